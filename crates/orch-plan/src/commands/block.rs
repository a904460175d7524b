//! `orch-plan block`: set a task to Blocked and record the blocker in the plan.

use orch_core::Status;
use orch_plan::outln;
use orch_status::store::{BlockRequest, StatusRequest};

use orch_status::messages::{self, MessageType, NewMessage, Priority};

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Arguments of `orch-plan block`.
#[derive(Debug, clap::Args)]
pub struct BlockArgs {
    /// The blocked task.
    task: String,
    /// Critical, High, Medium or Low.
    #[arg(long)]
    severity: String,
    /// Dependency, Decision, Technical or Resource.
    #[arg(long = "type", value_name = "TYPE")]
    kind: String,
    /// What blocks progress.
    #[arg(long, value_name = "TEXT")]
    description: String,
    /// What is needed to unblock.
    #[arg(long, value_name = "TEXT")]
    resolution: String,
    /// A human must step in.
    #[arg(long)]
    escalate: bool,
    /// The agent reporting the blocker.
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Allow a move the transition table refuses.
    #[arg(long)]
    force: bool,
}

/// Blocks the task, appends a blocker entry in the seed's format to "Notes and Blockers", and
/// sends a Blocker message to the Orchestrator (priority from the severity).
pub fn cmd_block(ctx: &Context, args: &BlockArgs) -> Result<(), CliError> {
    let request = BlockRequest {
        status: StatusRequest {
            task: super::status::task_arg(&args.task)?,
            status: Status::Blocked,
            expect: None,
            agent: ctx.actor(args.agent.as_deref()),
            set_agent: args.agent.is_some(),
            note: Some(args.description.clone()),
            force: args.force,
        },
        severity: args.severity.clone(),
        kind: args.kind.clone(),
        description: args.description.clone(),
        resolution: args.resolution.clone(),
        escalate: args.escalate,
    };
    let change = ctx.store()?.block(&request)?;
    super::status::report(ctx, &change)?;
    if !change.changed {
        return Ok(());
    }
    let workspace = ctx.workspace()?;
    let priority = Priority::parse(&args.severity).ok();
    let message = NewMessage {
        from: request.status.agent.clone(),
        to: "Orchestrator".to_owned(),
        kind: MessageType::Blocker,
        timestamp: orch_status::lock::now(),
        task: Some(request.status.task.to_string()),
        priority,
        deadline: None,
        body: format!(
            "**Blocker Type:** {}\n**Description:** {}\n**Required Resolution:** {}\n**Escalation:** {}\n",
            args.kind.trim(),
            args.description.trim(),
            args.resolution.trim(),
            if args.escalate {
                "Yes - needs human intervention"
            } else {
                "No"
            },
        ),
    };
    let journal = ctx.journal(&workspace);
    match messages::send(
        &workspace.messages,
        &journal,
        ctx.lock_timeout,
        &ctx.command_line,
        &message,
    ) {
        Ok(sent) => {
            if let (Some(id), false) = (sent.message.id, ctx.json) {
                outln!("sent {id} (Blocker) to Orchestrator");
            }
            Ok(())
        }
        Err(error) => Err(CliError::new(
            ErrorKind::Io,
            format!(
                "{} is Blocked, but the Blocker message was not sent: {error}; send it with `orch-plan msg send`",
                change.task
            ),
        )),
    }
}
