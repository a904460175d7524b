//! `orch-plan status`: set a task's status, atomically, with optional compare-and-swap.

use orch_core::{Status, TaskId};
use orch_plan::outln;
use orch_status::store::{StatusChange, StatusRequest};

use orch_plan::cli::CliError;
use orch_plan::cli::Context;

/// Arguments of `orch-plan status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The task.
    task: String,
    /// The new status: Not Started, In Progress, Blocked, Completed or Failed (any case, `-` or
    /// `_` for spaces).
    status: String,
    /// Compare-and-swap: change only if the task has this status now (else exit 3).
    #[arg(long, value_name = "STATUS")]
    expect: Option<String>,
    /// The agent making the change, recorded in the Execution Log and the journal.
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// A note for the Execution Log and the journal.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Allow a move the transition table refuses, and skip the dependency check.
    #[arg(long)]
    force: bool,
}

/// Reads a task id argument; a bad one is bad input (exit 1), refused before any file access.
pub fn task_arg(text: &str) -> Result<TaskId, CliError> {
    TaskId::parse(text).map_err(|e| CliError::invalid(e.to_string()))
}

/// Reads a status argument; a bad one is bad input (exit 1).
pub fn status_arg(text: &str) -> Result<Status, CliError> {
    Status::parse(text).map_err(|e| CliError::invalid(e.to_string()))
}

/// Sets the status and prints what changed.
pub fn cmd_status(ctx: &Context, args: &StatusArgs) -> Result<(), CliError> {
    let task = task_arg(&args.task)?;
    let status = status_arg(&args.status)?;
    let expect = args.expect.as_deref().map(status_arg).transpose()?;
    let store = ctx.store()?;
    let request = StatusRequest {
        task,
        status,
        expect,
        agent: ctx.actor(args.agent.as_deref()),
        set_agent: args.agent.is_some(),
        note: args.note.clone(),
        force: args.force,
    };
    let change = store.set_status(&request)?;
    report(ctx, &change)
}

/// Prints a status change, for `status`, `claim` and `block`.
pub fn report(ctx: &Context, change: &StatusChange) -> Result<(), CliError> {
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "task": change.task.as_str(),
            "old": change.old.as_str(),
            "new": change.new.as_str(),
            "changed": change.changed,
        }));
    }
    if change.changed {
        outln!("{}: {} -> {}", change.task, change.old, change.new);
    } else {
        outln!("{}: already {}, nothing to change", change.task, change.new);
    }
    if let Some(holder) = &change.broken_lock {
        orch_plan::errln!("note: broke the stale lock of {holder}");
    }
    Ok(())
}
