//! The agent's brief for one task (`orch-plan prompt TASK`, and the `{prompt}` placeholder of
//! `orch-worktree run`), rendered from `templates/PROMPT.md` or its override.
//!
//! The brief holds the task row, the project objective and constraints found in the plan, the
//! Handoff messages of the task's dependencies, the messages addressed to its agent, and the
//! exact commands to claim the task, report it done, raise a blocker and hand over.

use std::path::Path;

use minijinja::context;
use orch_core::{Plan, Task};
use orch_status::messages::{MessageLog, MessageType};

use crate::render::{self, RenderError};

/// The agent id the conductor gives the agent of `task`: `<agent>-<task>`, lowercased, with
/// every character outside `[a-z0-9._-]` replaced by `-` so that it is safe in commands.
pub fn agent_id(task: &Task) -> String {
    let role = if task.agent.trim().is_empty() {
        "agent"
    } else {
        task.agent.trim()
    };
    format!("{role}-{}", task.id)
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// What the brief is made from.
pub struct PromptInput<'a> {
    /// The plan, read from disk.
    pub plan: &'a Plan,
    /// The plan's text, searched for the objective and constraints sections.
    pub plan_text: &'a str,
    /// The plan's path, shown to the agent.
    pub plan_path: &'a Path,
    /// The message log, if there is one.
    pub messages: Option<&'a MessageLog>,
    /// The task the brief is for.
    pub task: &'a Task,
    /// The directory to look for a `PROMPT.md` override in.
    pub overrides: Option<&'a Path>,
}

/// Renders the brief for `input.task`.
pub fn render_prompt(input: &PromptInput<'_>) -> Result<String, RenderError> {
    let task = input.task;
    let id = agent_id(task);
    let from_dependency = |m: &orch_status::messages::Message| {
        m.kind == Some(MessageType::Handoff)
            && m.task.as_deref().is_some_and(|t| {
                task.depends_on
                    .iter()
                    .any(|dep| dep.as_str().eq_ignore_ascii_case(t.trim()))
            })
    };
    let handoffs: Vec<serde_json::Value> = input
        .messages
        .map(|log| {
            log.messages
                .iter()
                .filter(|m| from_dependency(m))
                .map(|m| m.to_json())
                .collect()
        })
        .unwrap_or_default();
    let inbox: Vec<serde_json::Value> = input
        .messages
        .map(|log| {
            log.messages
                .iter()
                .filter(|m| !from_dependency(m) && addressed_to(&m.to, task, &id))
                .map(|m| m.to_json())
                .collect()
        })
        .unwrap_or_default();
    let plan_arg = shell_quote(&input.plan_path.display().to_string());
    let t = task.id.as_str();
    let commands = context! {
        claim => format!("orch-plan --plan {plan_arg} claim {t} --agent {id}"),
        complete => format!("orch-plan --plan {plan_arg} status {t} completed --agent {id} --note 'what was done'"),
        block => format!(
            "orch-plan --plan {plan_arg} block {t} --severity High --type Technical --description 'what is in the way' --resolution 'what would unblock it'"
        ),
        handoff => format!(
            "orch-plan --plan {plan_arg} msg send --from {id} --to All --type Handoff --task {t} --body 'what the next agent needs to know'"
        ),
    };
    let task_view = context! {
        id => t,
        description => &task.description,
        agent => &task.agent,
        skills => &task.skills,
        worktree => &task.worktree,
        branch => &task.branch,
        group => &task.group,
        status => task.status.as_str(),
        depends_on => task.depends_on.iter().map(|d| d.as_str().to_owned()).collect::<Vec<_>>(),
        estimate => task.estimate.as_ref().map(ToString::to_string),
    };
    let view = context! {
        task => task_view,
        agent_id => &id,
        plan => input.plan_path.display().to_string(),
        objective => section(input.plan_text, "Feature Objective"),
        constraints => section(input.plan_text, "Constraints and Assumptions"),
        handoffs => handoffs,
        inbox => inbox,
        commands => commands,
        task_count => input.plan.tasks().len(),
    };
    render::render_prompt_template(input.overrides, &view)
}

/// Whether a message's `TO:` names this task's agent: its agent id, its role, its task id or
/// `All`, compared case-insensitively.
fn addressed_to(to: &str, task: &Task, agent_id: &str) -> bool {
    let to = to.trim();
    to.eq_ignore_ascii_case("all")
        || to.eq_ignore_ascii_case(agent_id)
        || to.eq_ignore_ascii_case(task.agent.trim())
        || to.eq_ignore_ascii_case(task.id.as_str())
}

/// The text under the markdown heading named `title` (any level), up to the next heading or
/// thematic break, with HTML comments and blank edges removed; `None` when absent or empty.
fn section(text: &str, title: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|line| {
        let trimmed = line.trim_start();
        trimmed.starts_with('#') && trimmed.trim_start_matches('#').trim() == title
    })?;
    let body: Vec<&str> = lines
        .take_while(|line| {
            let trimmed = line.trim_start();
            !trimmed.starts_with('#') && trimmed.trim() != "---"
        })
        .collect();
    let joined = strip_comments(&body.join("\n"));
    let meaningful = joined
        .lines()
        .any(|line| !line.trim().is_empty() && line.trim() != "-" && !line.trim().ends_with(':'));
    meaningful.then(|| joined.trim().to_owned())
}

/// Removes `<!-- … -->` comments, which are placeholders for the human in the plan template.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Why the brief could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The plan cannot be read.
    #[error("{0}")]
    Plan(#[from] orch_status::ReadError),
    /// The plan does not validate as a whole.
    #[error("{0}")]
    Invalid(orch_status::Diagnostics),
    /// The message log cannot be read.
    #[error("{0}")]
    Messages(#[from] orch_status::messages::MessageError),
    /// The plan has no such task.
    #[error("{plan}: no task {task} in the task matrix; list the tasks with `orch-plan show`")]
    UnknownTask {
        /// The plan searched.
        plan: String,
        /// The task asked for.
        task: String,
    },
    /// The template failed.
    #[error("{0}")]
    Render(#[from] RenderError),
}

/// Reads the workspace's plan and message log from disk and renders the brief for `task`.
pub fn prompt_for(
    workspace: &orch_status::Workspace,
    task: &orch_core::TaskId,
) -> Result<String, PromptError> {
    let doc = orch_status::read_plan_file(&workspace.plan)?;
    let plan_text = doc.text.clone();
    let (plan, _doc) = doc.into_plan().map_err(PromptError::Invalid)?;
    let Some(row) = plan.get(task) else {
        return Err(PromptError::UnknownTask {
            plan: workspace.plan.display().to_string(),
            task: task.to_string(),
        });
    };
    let messages = MessageLog::read_file(&workspace.messages)?;
    let overrides = workspace.root.as_deref().map(render::override_dir);
    render_prompt(&PromptInput {
        plan: &plan,
        plan_text: &plan_text,
        plan_path: &workspace.plan,
        messages: messages.as_ref(),
        task: row,
        overrides: overrides.as_deref(),
    })
    .map_err(PromptError::Render)
}

/// Quotes `text` for a POSIX shell when it holds anything but safe characters.
fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ':' | '+'));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_skip_placeholders_and_keep_text() {
        let text = "## 2\n\n### Feature Objective\n\n<!-- fill -->\nShip OAuth.\n\n### Next\nx\n";
        assert_eq!(
            section(text, "Feature Objective").as_deref(),
            Some("Ship OAuth.")
        );
        let empty = "### Feature Objective\n\n<!-- 1-2 sentences -->\n\n### Next\n";
        assert_eq!(section(empty, "Feature Objective"), None);
    }

    #[test]
    fn quoting_leaves_plain_paths_alone() {
        assert_eq!(shell_quote("/a/b.md"), "/a/b.md");
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
