//! `orch-plan prompt`: print the agent's brief for a task.

use orch_plan::cli::{CliError, Context, ErrorKind};
use orch_plan::out;
use orch_plan::prompt::{self, PromptError};

/// Arguments of `orch-plan prompt`.
#[derive(Debug, clap::Args)]
pub struct PromptArgs {
    /// The task to brief an agent for.
    task: String,
}

/// Prints the brief rendered from `templates/PROMPT.md` (or `.orch/templates/PROMPT.md`):
/// the task row, the project objective and constraints, the dependencies' handoffs, the
/// messages to the task's agent, and the commands to report status, blockers and handoffs.
/// With `--json` it prints `{"task": …, "agent_id": …, "prompt": …}`.
pub fn cmd_prompt(ctx: &Context, args: &PromptArgs) -> Result<(), CliError> {
    let task = super::status::task_arg(&args.task)?;
    let workspace = ctx.workspace()?;
    let text = prompt::prompt_for(&workspace, &task).map_err(prompt_error)?;
    if ctx.json {
        let plan = ctx.read_plan()?;
        let agent_id = plan
            .tasks
            .iter()
            .find(|t| t.id == task)
            .map(prompt::agent_id);
        return super::print_json(&serde_json::json!({
            "task": task.as_str(),
            "agent_id": agent_id,
            "prompt": text,
        }));
    }
    out!("{text}");
    Ok(())
}

/// Turns a prompt failure into the command's error, keeping files and lines.
fn prompt_error(error: PromptError) -> CliError {
    match error {
        PromptError::Plan(error) => CliError::from(error),
        PromptError::Invalid(problems) => {
            CliError::from_diagnostics(ErrorKind::Validation, problems.0)
        }
        PromptError::Render(error) => {
            let kind = match error {
                orch_plan::render::RenderError::Io { .. } => ErrorKind::Io,
                _ => ErrorKind::Invalid,
            };
            CliError::from_diagnostics(kind, error.diagnostics())
        }
        PromptError::Messages(orch_status::messages::MessageError::Io { .. }) => {
            CliError::new(ErrorKind::Io, error.to_string())
        }
        other => CliError::invalid(other.to_string()),
    }
}
