//! `orch-plan check`: validate the plan.

use orch_plan::cli::CliError;
use orch_plan::cli::Context;
use orch_plan::outln;

/// Arguments of `orch-plan check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

/// Reads the plan and checks ids, dependencies, cycles, statuses, estimates and names. Prints
/// every problem with its file, line and column, and exits 1 when there is any.
pub fn cmd_check(ctx: &Context, _args: &CheckArgs) -> Result<(), CliError> {
    let (plan, doc) = ctx.load_plan_for_exit()?;
    let levels = plan.graph().levels().len();
    if ctx.json {
        super::print_json(&serde_json::json!({
            "ok": true,
            "plan": doc.path.display().to_string(),
            "tasks": plan.tasks().len(),
            "levels": levels,
            "problems": [],
        }))
    } else {
        let tasks = plan.tasks().len();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        outln!(
            "ok: {}: {tasks} task{} in {levels} level{}, no problems",
            doc.path.display(),
            plural(tasks),
            plural(levels)
        );
        Ok(())
    }
}
