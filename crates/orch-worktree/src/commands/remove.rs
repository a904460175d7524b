//! `orch-worktree remove`: remove the worktrees (and optionally the branches) of tasks.

use orch_plan::cli::{CliError, Context};
use orch_plan::outln;
use orch_worktree::error::Failed;
use orch_worktree::remove::{RemoveOptions, Removed, remove};
use orch_worktree::target::{Selection, select};

/// Arguments of `orch-worktree remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The tasks whose worktrees to remove.
    #[arg(value_name = "TASK", required = true)]
    tasks: Vec<String>,
    /// Remove even a dirty or locked worktree, and delete even an unmerged branch.
    #[arg(long)]
    force: bool,
    /// Delete the task's branch too (refused while it has commits the base branch lacks).
    #[arg(long)]
    delete_branch: bool,
}

/// Removes the worktrees and prints what was removed.
pub fn cmd_remove(ctx: &Context, args: &RemoveArgs) -> Result<(), CliError> {
    let ids = super::task_args(&args.tasks)?;
    let (workspace, session, repo) = super::open(ctx)?;
    let (plan, doc) = super::load_plan(&workspace)?;
    let tasks = select(&plan, &Selection::Ids(ids)).map_err(|problems| {
        super::cli_error(orch_worktree::Error::Refused(problems), Some(&doc))
    })?;
    let options = RemoveOptions {
        force: args.force,
        delete_branch: args.delete_branch,
    };
    // A worktree's problems are fixed in the worktree, not in the plan: no row is named.
    let outcomes =
        remove(&session, &repo, &tasks, options).map_err(|e| super::cli_error(e, None))?;
    let (removed, failed): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    let removed: Vec<Removed> = removed.into_iter().filter_map(Result::ok).collect();
    let failed: Vec<Failed> = failed.into_iter().filter_map(Result::err).collect();
    if ctx.json {
        super::print_json(&removed)?;
    } else {
        for r in &removed {
            let branch = match (&r.branch, r.branch_deleted) {
                (Some(branch), true) => format!("; deleted branch {branch}"),
                (Some(branch), false) => format!("; kept branch {branch}"),
                (None, _) => String::new(),
            };
            outln!("removed  {}  {}{branch}", r.task, r.path.display());
        }
    }
    for warning in removed.iter().flat_map(|r| &r.warnings) {
        orch_plan::errln!("warning: {warning}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(super::failures(&failed, "remove the worktree of"))
    }
}
