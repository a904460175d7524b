//! The conflict forecast: every active task branch checked, in memory, against the base (with
//! the real pick) and against each other (a three-way merge of their changes). Nothing is
//! written: every object made stays in the in-memory store.

use orch_core::Status;

use crate::diff::changes;
use crate::error::IntegrateError;
use crate::integrate::{Integrator, task_branch};
use crate::merge::merge_paths;
use crate::pick::{PickOptions, pick, plan_pick};
use crate::queue::on_base;
use crate::repo::{base_tip, branch_tip, check_branch, open_repository, staged};
use crate::report::{BranchForecast, Forecast, PairForecast, Unchecked};

impl Integrator {
    /// Checks every active task (In Progress, Blocked or Completed, with a branch, not yet on
    /// the base) against the base and against each other, and lists what would conflict.
    pub fn forecast(&self) -> Result<Forecast, IntegrateError> {
        let settings = &self.settings;
        let base = settings.base.as_str();
        check_branch(base)?;
        let doc = self.require_plan()?;
        let repo = open_repository(&settings.repo)?;
        let tip = base_tip(&repo, base)?;
        let mut forecast = Forecast {
            base: base.to_owned(),
            ..Forecast::default()
        };
        let mut active = Vec::new();
        for task in &doc.tasks {
            if !matches!(
                task.status,
                Status::InProgress | Status::Blocked | Status::Completed
            ) {
                continue;
            }
            let branch = task_branch(task, &settings.branch_prefix);
            let unchecked = |reason: String| Unchecked {
                task: task.id.to_string(),
                reason,
            };
            if let Err(e) = check_branch(&branch) {
                forecast.unchecked.push(unchecked(e.to_string()));
                continue;
            }
            match branch_tip(&repo, &branch)? {
                None => forecast
                    .unchecked
                    .push(unchecked(format!("its branch {branch} does not exist"))),
                Some(branch_tip) if on_base(&repo, tip, branch_tip, &task.id)? => {}
                Some(branch_tip) => active.push((task, branch, branch_tip)),
            }
        }
        let committer = self.committer(&repo)?;
        staged(&repo, |_| {
            for (task, branch, branch_tip) in &active {
                let mut entry = BranchForecast {
                    task: task.id.to_string(),
                    branch: branch.clone(),
                    commits: 0,
                    conflicts: Vec::new(),
                    error: None,
                };
                match plan_pick(&repo, base, branch, tip, *branch_tip, None) {
                    Ok(planned) => {
                        entry.commits = planned.commits.len();
                        let options = PickOptions {
                            task: Some(&task.id),
                            committer: &committer,
                        };
                        entry.conflicts = pick(&repo, tip, &planned.commits, &options)?.conflicts();
                    }
                    Err(e) => entry.error = Some(e.to_string()),
                }
                forecast.branches.push(entry);
            }
            let git = |what: &str| IntegrateError::git(format!("{what} for the forecast"));
            for (i, (a, _, a_tip)) in active.iter().enumerate() {
                for (b, _, b_tip) in &active[i + 1..] {
                    let Ok(merge_base) = repo.merge_base(*a_tip, *b_tip) else {
                        continue;
                    };
                    let tree = |id| {
                        repo.find_commit(id)
                            .and_then(|c| c.tree())
                            .map_err(git("read a tree"))
                    };
                    let (ancestor, ours, theirs) =
                        (tree(merge_base)?, tree(*a_tip)?, tree(*b_tip)?);
                    let paths = changes(&repo, &ancestor, &theirs, false)
                        .map_err(git("compare branches"))?
                        .paths;
                    let merged = merge_paths(&repo, &ancestor, &ours, &theirs, &paths)
                        .map_err(git("merge branches"))?;
                    if !merged.conflicts.is_empty() {
                        forecast.pairs.push(PairForecast {
                            a: a.id.to_string(),
                            b: b.id.to_string(),
                            paths: merged.conflicts,
                        });
                    }
                }
            }
            Ok(())
        })?;
        Ok(forecast)
    }
}
