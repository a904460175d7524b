//! `orch-worktree prune`: forget worktrees whose directory is gone.

use orch_plan::cli::{CliError, Context};
use orch_plan::outln;
use orch_worktree::remove::prune;

/// Arguments of `orch-worktree prune`.
#[derive(Debug, clap::Args)]
pub struct PruneArgs {}

/// Removes the administrative data of worktrees whose directory is gone, and prints them.
pub fn cmd_prune(ctx: &Context, _args: &PruneArgs) -> Result<(), CliError> {
    let (workspace, session, repo) = super::open(ctx)?;
    let plan = super::load_plan_if_any(&workspace)?;
    let report = prune(&session, &repo, plan.as_ref().map(|(plan, _)| plan))
        .map_err(|e| super::cli_error(e, None))?;
    if ctx.json {
        super::print_json(&report)?;
    } else {
        for p in &report.pruned {
            let task = p
                .task
                .as_deref()
                .map(|t| format!(" (task {t})"))
                .unwrap_or_default();
            outln!("pruned   {}  {}{task}", p.name, p.path.display());
        }
        for p in &report.locked {
            outln!(
                "kept     {}  {}: locked; `git worktree unlock {}` first",
                p.name,
                p.path.display(),
                p.path.display()
            );
        }
        if report.pruned.is_empty() && report.locked.is_empty() {
            outln!("nothing to prune: every registered worktree's directory exists");
        }
    }
    for warning in &report.warnings {
        orch_plan::errln!("warning: {warning}");
    }
    Ok(())
}
