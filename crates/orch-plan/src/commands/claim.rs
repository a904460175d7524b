//! `orch-plan claim`: take a task, with compare-and-swap, so that exactly one agent wins.

use orch_plan::cli::CliError;
use orch_plan::cli::Context;

/// Arguments of `orch-plan claim`.
#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// The task to claim.
    task: String,
    /// The agent claiming it.
    #[arg(long, value_name = "ID")]
    agent: String,
}

/// Moves the task from Not Started to In Progress for this agent. When several agents claim
/// one task at once, exactly one wins; the others exit 3. A task whose dependencies are not
/// all Completed cannot be claimed (exit 1, naming them).
pub fn cmd_claim(ctx: &Context, args: &ClaimArgs) -> Result<(), CliError> {
    let task = super::status::task_arg(&args.task)?;
    let change = ctx.store()?.claim(&task, &args.agent)?;
    super::status::report(ctx, &change)
}
