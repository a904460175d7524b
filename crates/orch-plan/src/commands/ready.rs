//! `orch-plan ready`: the tasks that can start now.

use orch_plan::report::TaskView;
use orch_plan::{out, outln};

use orch_plan::cli::CliError;
use orch_plan::cli::Context;

/// Arguments of `orch-plan ready`.
#[derive(Debug, clap::Args)]
pub struct ReadyArgs {}

/// Lists the Not Started tasks whose dependencies are all Completed, in plan order.
pub fn cmd_ready(ctx: &Context, _args: &ReadyArgs) -> Result<(), CliError> {
    let (plan, _doc) = ctx.load_plan_for_exit()?;
    let graph = plan.graph();
    let ready: Vec<_> = graph
        .ready()
        .into_iter()
        .filter_map(|id| plan.get(id))
        .collect();
    if ctx.json {
        let views: Vec<TaskView> = ready.into_iter().map(TaskView::new).collect();
        return super::print_json(&views);
    }
    if ready.is_empty() {
        let done = plan.completed() == plan.tasks().len();
        outln!(
            "{}",
            if done {
                "no task is ready: every task is Completed"
            } else {
                "no task is ready"
            }
        );
        return Ok(());
    }
    let rows = ready
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.group.clone(),
                t.agent.clone(),
                t.description.clone(),
            ]
        })
        .collect();
    out!(
        "{}",
        orch_plan::cli::table::render(&["ID", "Group", "Agent", "Description"], rows)
    );
    Ok(())
}
