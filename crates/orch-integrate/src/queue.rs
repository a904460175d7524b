//! The queue: every Completed task not yet on the base, integrated in dependency order. A task
//! that conflicts or fails a gate is quarantined (set to Failed with a note naming the paths or
//! the gate) and the queue goes on with the tasks that do not depend on it.

use std::collections::HashMap;

use git2::{Oid, Repository, Sort};
use orch_core::{Status, TaskId};
use orch_status::store::{StatusRequest, Store};

use crate::Options;
use crate::error::IntegrateError;
use crate::integrate::{Integrator, Target, nothing_picked, task_branch};
use crate::repo::{base_tip, branch_tip, check_branch, open_repository, staged};
use crate::report::{QueueItem, QueueOutcome, QueueReport};

/// How a queue runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueOptions {
    /// Report what would happen and change nothing. Each task is picked onto the candidate of
    /// the tasks before it, as if they had gone in.
    pub dry_run: bool,
    /// Skip the gates.
    pub no_gates: bool,
}

/// How many paths a quarantine note names before it says "and N more".
const NOTE_PATHS: usize = 5;

impl Integrator {
    /// Integrates every Completed task that is not on the base yet (found by its
    /// `Orch-Task: <id>` trailer on the base), in dependency order. See [`QueueReport`] for
    /// what happened to each; [`QueueReport::all_integrated`] tells whether all went in.
    pub fn queue(&self, options: &QueueOptions) -> Result<QueueReport, IntegrateError> {
        let settings = &self.settings;
        let base = settings.base.as_str();
        check_branch(base)?;
        let doc = self.require_plan()?;
        let (plan, _doc) = doc
            .into_plan()
            .map_err(|problems| IntegrateError::Plan(problems.to_string()))?;
        let repo = open_repository(&settings.repo)?;
        let mut report = QueueReport {
            base: base.to_owned(),
            dry_run: options.dry_run,
            ..QueueReport::default()
        };
        // Why each task that is not on the base is not, for its dependents.
        let mut missing: HashMap<TaskId, String> = HashMap::new();
        let graph = plan.graph();
        staged(&repo, |staging| {
            let mut onto = base_tip(&repo, base)?;
            for id in graph.topological() {
                let Some(task) = plan.get(id) else { continue };
                if task.status != Status::Completed {
                    missing.insert(id.clone(), format!("it is {}", task.status));
                    continue;
                }
                let branch = task_branch(task, &settings.branch_prefix);
                let item = |outcome| QueueItem {
                    task: id.to_string(),
                    branch: branch.clone(),
                    outcome,
                };
                if let Err(e) = check_branch(&branch) {
                    missing.insert(id.clone(), "its branch name is not valid".to_owned());
                    report.items.push(item(QueueOutcome::Error {
                        message: e.to_string(),
                    }));
                    continue;
                }
                let Some(tip) = branch_tip(&repo, &branch)? else {
                    missing.insert(id.clone(), format!("its branch {branch} does not exist"));
                    report.items.push(item(QueueOutcome::Skipped {
                        reason: format!("its branch {branch} does not exist"),
                    }));
                    continue;
                };
                if !options.dry_run {
                    onto = base_tip(&repo, base)?;
                }
                if on_base(&repo, onto, tip, id)? {
                    report.already_integrated.push(id.to_string());
                    continue;
                }
                if let Some((dep, why)) = task
                    .depends_on
                    .iter()
                    .find_map(|d| missing.get(d).map(|why| (d, why)))
                {
                    let reason = format!("it depends on {dep}, which is not on {base}: {why}");
                    missing.insert(id.clone(), format!("it was skipped ({reason})"));
                    report.items.push(item(QueueOutcome::Skipped { reason }));
                    continue;
                }
                let target = Target {
                    task: Some(id.clone()),
                    branch: branch.clone(),
                    worktree: None,
                };
                let run_options = Options {
                    dry_run: options.dry_run,
                    no_gates: options.no_gates,
                    archive: Vec::new(),
                    mainline: None,
                };
                let outcome = match self.run(staging, &target, &run_options, onto) {
                    Ok(done) if done.dry_run && done.blocked.is_some() => {
                        let reason = done.blocked.clone().unwrap_or_default();
                        missing.insert(id.clone(), "it would conflict".to_owned());
                        QueueOutcome::Quarantined {
                            reason,
                            gate: false,
                        }
                    }
                    Ok(done) if nothing_picked(&done) => QueueOutcome::NothingToDo,
                    Ok(mut done) => {
                        if done.dry_run {
                            if let Some(candidate) = done
                                .candidate
                                .as_deref()
                                .and_then(|c| Oid::from_str(c).ok())
                            {
                                onto = candidate;
                            }
                        } else {
                            self.record(&mut done);
                        }
                        QueueOutcome::Integrated {
                            integration: Box::new(done),
                        }
                    }
                    Err(e)
                        if matches!(e, IntegrateError::Conflict { .. }) || e.is_gate_failure() =>
                    {
                        let gate = e.is_gate_failure();
                        let mut reason = quarantine_note(&e);
                        if !options.dry_run
                            && let Err(why) = self.quarantine(id, &reason)
                        {
                            reason.push_str(&format!(" (it could not be set to Failed: {why})"));
                        }
                        missing.insert(id.clone(), "it was quarantined".to_owned());
                        QueueOutcome::Quarantined { reason, gate }
                    }
                    Err(e) => {
                        missing.insert(id.clone(), "its integration failed".to_owned());
                        QueueOutcome::Error {
                            message: e.to_string(),
                        }
                    }
                };
                report.items.push(item(outcome));
            }
            Ok(())
        })?;
        Ok(report)
    }

    /// Sets a task to Failed with `note` (compare-and-swap: only if it is still Completed).
    fn quarantine(&self, task: &TaskId, note: &str) -> Result<(), String> {
        let settings = &self.settings;
        let store = Store {
            plan: settings.workspace.plan.clone(),
            journal: orch_status::journal::Journal::new(&settings.workspace.state_dir),
            lock_timeout: settings.lock_timeout,
            command: settings.command.clone(),
        };
        store
            .set_status(&StatusRequest {
                task: task.clone(),
                status: Status::Failed,
                expect: Some(Status::Completed),
                agent: settings.actor.clone(),
                set_agent: false,
                note: Some(note.to_owned()),
                force: true,
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The Failed note of a task that conflicted or failed a gate: one line.
fn quarantine_note(error: &IntegrateError) -> String {
    match error {
        IntegrateError::Conflict { base, commits, .. } => {
            let mut paths: Vec<&str> = commits
                .iter()
                .flat_map(|c| c.conflicts.iter().map(|p| p.path.as_str()))
                .collect();
            paths.dedup();
            let more = paths.len().saturating_sub(NOTE_PATHS);
            paths.truncate(NOTE_PATHS);
            let first = commits
                .first()
                .map(|c| c.short().to_owned())
                .unwrap_or_default();
            format!(
                "quarantined by integrate: conflicts with {base} in {}{} (commit {first}); rebase the branch onto {base} and set it Completed again",
                paths.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        }
        IntegrateError::Gate { gate, .. } => format!(
            "quarantined by integrate: gate `{}` failed ({}); log: {}",
            gate.command().replace('`', "'"),
            match gate.exit_code {
                _ if gate.timed_out => "timed out".to_owned(),
                Some(c) => format!("exit {c}"),
                None => "did not finish".to_owned(),
            },
            gate.log.display()
        ),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Whether the task's work is on the base: a commit since the merge base carries its
/// `Orch-Task` trailer, or the branch has nothing the base does not have.
pub(crate) fn on_base(
    repo: &Repository,
    base_tip: Oid,
    branch_tip: Oid,
    task: &TaskId,
) -> Result<bool, IntegrateError> {
    let Ok(merge_base) = repo.merge_base(base_tip, branch_tip) else {
        return Ok(false);
    };
    if merge_base == branch_tip {
        return Ok(true);
    }
    let git = |e| IntegrateError::git("look for the task's trailer on the base")(e);
    let mut walk = repo.revwalk().map_err(git)?;
    walk.set_sorting(Sort::NONE).map_err(git)?;
    walk.push(base_tip).map_err(git)?;
    walk.hide(merge_base).map_err(git)?;
    for id in walk {
        let commit = repo.find_commit(id.map_err(git)?).map_err(git)?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let Ok(trailers) = git2::message_trailers_strs(&message) else {
            continue;
        };
        if trailers.iter().any(|(key, value)| {
            key.eq_ignore_ascii_case("Orch-Task")
                && value.trim().eq_ignore_ascii_case(task.as_str())
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}
