//! `orch-worktree list`: every linked worktree with its task, status, branch and state.

use orch_plan::cli::{CliError, Context};
use orch_plan::{out, outln};
use orch_worktree::list::{Listed, list};

/// Arguments of `orch-worktree list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {}

/// Lists the linked worktrees: a table, or with `--json` an array of objects with `task`,
/// `path`, `branch`, `head`, `ahead`, `behind`, `dirty` and `status`.
pub fn cmd_list(ctx: &Context, _args: &ListArgs) -> Result<(), CliError> {
    let (workspace, session, repo) = super::open(ctx)?;
    let plan = super::load_plan_if_any(&workspace)?;
    let rows = list(&session, &repo, plan.as_ref().map(|(plan, _)| plan))
        .map_err(|e| super::cli_error(e, None))?;
    if ctx.json {
        return super::print_json(&rows);
    }
    if rows.is_empty() {
        outln!("no worktrees besides the main one; create one with `orch-worktree spawn TASK`");
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows.iter().map(row).collect();
    out!(
        "{}",
        orch_plan::cli::table::render(
            &[
                "Task", "Status", "Branch", "Ahead", "Behind", "State", "Head", "Path"
            ],
            table
        )
    );
    Ok(())
}

fn row(w: &Listed) -> Vec<String> {
    let dash = || "-".to_owned();
    let count = |n: Option<usize>| n.map_or_else(dash, |n| n.to_string());
    let state = if w.prunable {
        "gone (prune)"
    } else if w.dirty {
        "dirty"
    } else {
        "clean"
    };
    let state = match &w.locked {
        Some(_) => format!("{state}, locked"),
        None => state.to_owned(),
    };
    vec![
        w.task.clone().unwrap_or_else(dash),
        w.status.clone().unwrap_or_else(dash),
        w.branch.clone().unwrap_or_else(|| "(detached)".to_owned()),
        count(w.ahead),
        count(w.behind),
        state,
        w.head
            .as_deref()
            .map_or_else(dash, |h| h[..h.len().min(10)].to_owned()),
        w.path.clone(),
    ]
}
