//! One integration, end to end: resolve the target, pick in memory, run the gates, publish
//! with compare-and-swap (picking again if the base moved), archive the alternatives, record.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Signature, Time};
use orch_core::{Task, TaskId};
use orch_status::{PlanDoc, ReadError};

use crate::archive::{Alternative, GitWorktreeRemover, WorktreeRemover, archive};
use crate::error::IntegrateError;
use crate::gates::{GateRun, run_gates};
use crate::pick::{PickOptions, pick, plan_pick};
use crate::publish::{PublishRequest, Published, publish};
use crate::record::Recorder;
use crate::repo::{Staging, base_tip, branch_tip, check_branch, open_repository, staged};
use crate::report::{Gates, Integration, Outcome};
use crate::{Options, Settings};

/// How many times the commits are picked again because the base moved, before giving up.
const MAX_ATTEMPTS: u32 = 8;

/// What an integration targets: a task's branch, or a branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The task, when the target is a task or the branch of one.
    pub task: Option<TaskId>,
    /// The branch.
    pub branch: String,
    /// The task's worktree as the plan names it, if it does.
    pub worktree: Option<String>,
}

impl Target {
    /// The task id, or else the branch: how the target is named in messages and logs.
    pub fn label(&self) -> String {
        self.task
            .as_ref()
            .map_or_else(|| self.branch.clone(), TaskId::to_string)
    }
}

/// The branch of a plan task: its Branch cell, or else `branch_prefix` + its id.
pub fn task_branch(task: &Task, branch_prefix: &str) -> String {
    if task.branch.is_empty() || task.branch == "-" {
        format!("{branch_prefix}{}", task.id)
    } else {
        task.branch.clone()
    }
}

/// Resolves `TASK|BRANCH`: a task of the plan (ids compare ignoring case) names its branch; a
/// branch name works too, and is matched back to its task when the plan has one. Names are
/// checked before any git call.
pub fn resolve_target(
    repo: &Repository,
    tasks: &[Task],
    target: &str,
    branch_prefix: &str,
    plan: &Path,
) -> Result<Target, IntegrateError> {
    let of = |task: &Task| Target {
        task: Some(task.id.clone()),
        branch: task_branch(task, branch_prefix),
        worktree: (!task.worktree.is_empty() && task.worktree != "-")
            .then(|| task.worktree.clone()),
    };
    if let Ok(id) = TaskId::parse(target)
        && let Some(task) = tasks.iter().find(|t| t.id == id)
    {
        let found = of(task);
        check_branch(&found.branch)?;
        return Ok(found);
    }
    check_branch(target)?;
    if branch_tip(repo, target)?.is_none() {
        return Err(IntegrateError::UnknownTarget {
            target: target.to_owned(),
            plan: plan.display().to_string(),
        });
    }
    match tasks
        .iter()
        .find(|t| task_branch(t, branch_prefix) == target)
    {
        Some(task) => Ok(of(task)),
        None => Ok(Target {
            task: None,
            branch: target.to_owned(),
            worktree: None,
        }),
    }
}

/// Runs integrations, queues and forecasts with one set of [`Settings`].
pub struct Integrator {
    pub(crate) settings: Settings,
    remover: Box<dyn WorktreeRemover>,
}

impl Integrator {
    /// An integrator that removes archived worktrees with [`GitWorktreeRemover`].
    pub fn new(settings: Settings) -> Integrator {
        let remover = Box::new(GitWorktreeRemover {
            repo: settings.repo.clone(),
        });
        Integrator { settings, remover }
    }

    /// Uses `remover` to remove the worktrees of archived alternatives.
    pub fn with_remover(mut self, remover: Box<dyn WorktreeRemover>) -> Integrator {
        self.remover = remover;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reads the plan, if there is one.
    pub fn read_plan(&self) -> Result<Option<PlanDoc>, IntegrateError> {
        match orch_status::read_plan_file(&self.settings.workspace.plan) {
            Ok(doc) => Ok(Some(doc)),
            Err(ReadError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            Err(e) => Err(IntegrateError::Plan(e.to_string())),
        }
    }

    /// Reads the plan, which the queue and the forecast need.
    pub(crate) fn require_plan(&self) -> Result<PlanDoc, IntegrateError> {
        self.read_plan()?.ok_or_else(|| {
            IntegrateError::Plan(format!(
                "there is no plan at {}; create one with `orch-plan init`",
                self.settings.workspace.plan.display()
            ))
        })
    }

    /// Integrates `target` (`TASK|BRANCH`) onto the base: see the crate documentation for the
    /// steps and guarantees.
    pub fn integrate(
        &self,
        target: &str,
        options: &Options,
    ) -> Result<Integration, IntegrateError> {
        check_branch(&self.settings.base)?;
        let doc = self.read_plan()?;
        let tasks = doc.as_ref().map_or(&[][..], |d| &d.tasks[..]);
        let repo = open_repository(&self.settings.repo)?;
        let target = resolve_target(
            &repo,
            tasks,
            target,
            &self.settings.branch_prefix,
            &self.settings.workspace.plan,
        )?;
        let alternatives = self.alternatives(tasks, &target, &options.archive)?;
        let start = base_tip(&repo, &self.settings.base)?;
        let mut done = match staged(&repo, |staging| self.run(staging, &target, options, start)) {
            Ok(done) => done,
            Err(e) => {
                if !options.dry_run {
                    // A refused integration changes nothing, but the journal keeps it, so that
                    // `orch-plan stats` counts conflicts and failed gates.
                    let recorder = self.recorder();
                    recorder.record_refusal(
                        &target,
                        &self.settings.base,
                        &e,
                        orch_status::lock::now(),
                    );
                }
                return Err(e);
            }
        };
        if done.dry_run {
            done.archived = archive(&repo, &alternatives, self.remover.as_ref(), true, "")?;
            return Ok(done);
        }
        if !done.published() {
            return Ok(done);
        }
        let message = format!(
            "orch integrate: archive the alternatives to {}",
            target.label()
        );
        done.archived = archive(&repo, &alternatives, self.remover.as_ref(), false, &message)?;
        self.record(&mut done);
        Ok(done)
    }

    /// Records a published integration in the plan and the journal.
    pub(crate) fn record(&self, done: &mut Integration) {
        let (recorded, warnings) = self.recorder().record(done, orch_status::lock::now());
        done.recorded = recorded;
        done.warnings.extend(warnings);
    }

    fn recorder(&self) -> Recorder<'_> {
        Recorder {
            plan: &self.settings.workspace.plan,
            state_dir: &self.settings.workspace.state_dir,
            lock_timeout: self.settings.lock_timeout,
            command: &self.settings.command,
            actor: &self.settings.actor,
        }
    }

    /// Checks the `--archive` list against the plan before anything happens.
    fn alternatives(
        &self,
        tasks: &[Task],
        target: &Target,
        archive: &[TaskId],
    ) -> Result<Vec<Alternative>, IntegrateError> {
        let mut found = Vec::with_capacity(archive.len());
        for id in archive {
            let task = tasks.iter().find(|t| &t.id == id).ok_or_else(|| {
                IntegrateError::InvalidName(format!(
                    "--archive names {id}, which is not a task in {}; `orch-plan show` lists the tasks",
                    self.settings.workspace.plan.display()
                ))
            })?;
            if target.task.as_ref() == Some(id) {
                return Err(IntegrateError::InvalidName(format!(
                    "--archive names {id}, the task being integrated; list only the alternatives that were not selected"
                )));
            }
            let branch = task_branch(task, &self.settings.branch_prefix);
            check_branch(&branch)?;
            let worktree = (!task.worktree.is_empty() && task.worktree != "-")
                .then(|| PathBuf::from(&task.worktree));
            found.push(Alternative {
                task: task.id.clone(),
                branch,
                worktree,
            });
        }
        Ok(found)
    }

    /// The committer of new commits: the settings' identity, filled in from the repository's
    /// config (else `orch <orch@localhost>`) and the clock.
    pub(crate) fn committer(
        &self,
        repo: &Repository,
    ) -> Result<Signature<'static>, IntegrateError> {
        let identity = &self.settings.committer;
        let config = repo.signature().ok();
        let from_config = |part: for<'a> fn(&'a Signature<'static>) -> Option<&'a str>| {
            config.as_ref().and_then(part).map(str::to_owned)
        };
        let name = identity
            .name
            .clone()
            .or_else(|| from_config(Signature::name))
            .unwrap_or_else(|| "orch".to_owned());
        let email = identity
            .email
            .clone()
            .or_else(|| from_config(Signature::email))
            .unwrap_or_else(|| "orch@localhost".to_owned());
        match identity.time {
            Some((seconds, offset)) => Signature::new(&name, &email, &Time::new(seconds, offset)),
            None => Signature::now(&name, &email),
        }
        .map_err(IntegrateError::git(format!(
            "make the committer signature {name} <{email}>"
        )))
    }

    /// Picks, gates and publishes `target`, starting from base tip `start`, inside one
    /// in-memory object store. Picks again (and runs the gates again) when the base moved.
    pub(crate) fn run(
        &self,
        staging: &Staging<'_>,
        target: &Target,
        options: &Options,
        start: Oid,
    ) -> Result<Integration, IntegrateError> {
        let settings = &self.settings;
        let repo = staging.repo;
        let base = settings.base.as_str();
        let committer = self.committer(repo)?;
        let label = target.label();
        let mut onto = start;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let tip =
                branch_tip(repo, &target.branch)?.ok_or_else(|| IntegrateError::NoBranch {
                    task: label.clone(),
                    branch: target.branch.clone(),
                })?;
            let planned = plan_pick(repo, base, &target.branch, onto, tip, options.mainline)?;
            let picked = pick(
                repo,
                onto,
                &planned.commits,
                &PickOptions {
                    task: target.task.as_ref(),
                    committer: &committer,
                },
            )?;
            let mut done = Integration {
                task: target.task.as_ref().map(TaskId::to_string),
                branch: target.branch.clone(),
                base: base.to_owned(),
                dry_run: options.dry_run,
                old_tip: onto.to_string(),
                new_tip: None,
                candidate: (!picked.is_empty()).then(|| picked.tip.to_string()),
                commits: picked.commits.clone(),
                gates: Gates {
                    skipped: options.no_gates,
                    results: Vec::new(),
                    configured: settings.gates.clone(),
                },
                attempts,
                worktrees: Vec::new(),
                archived: Vec::new(),
                recorded: Vec::new(),
                warnings: Vec::new(),
                blocked: None,
            };
            if !picked.is_clean() {
                if options.dry_run {
                    done.candidate = None;
                    done.blocked = Some(
                        IntegrateError::Conflict {
                            target: label.clone(),
                            base: base.to_owned(),
                            commits: picked.conflicts(),
                        }
                        .to_string(),
                    );
                    return Ok(done);
                }
                return Err(IntegrateError::Conflict {
                    target: label,
                    base: base.to_owned(),
                    commits: picked.conflicts(),
                });
            }
            if picked.is_empty() {
                done.warnings.push(format!(
                    "nothing to integrate: {} brings no change that is not already on {base}",
                    target.branch
                ));
                return Ok(done);
            }
            let reflog = format!(
                "orch integrate: cherry-pick {label} ({}), {} commits",
                target.branch,
                done.picked().count()
            );
            let mut request = PublishRequest {
                base,
                old: onto,
                new: picked.tip,
                state_dir: &settings.workspace.state_dir,
                plan: &settings.workspace.plan,
                lock_timeout: settings.lock_timeout,
                command: &settings.command,
                message: &reflog,
                check_only: true,
            };
            // Check the worktrees where the base is checked out before anything is written,
            // so that dirty paths there stop the integration before the gates run; the
            // publish checks them again under the integration lock.
            match publish(repo, &request) {
                Ok(Published::Checked(updates)) => done.worktrees = updates,
                Ok(_) => {}
                Err(e) if e.is_conflict() && options.dry_run => done.blocked = Some(e.to_string()),
                Err(e) => return Err(e),
            }
            if options.dry_run {
                return Ok(done);
            }
            staging.persist(onto, picked.tip)?;
            if !options.no_gates && !settings.gates.is_empty() {
                let results = run_gates(
                    repo,
                    picked.tip,
                    &GateRun {
                        state_dir: &settings.workspace.state_dir,
                        gates: &settings.gates,
                        timeout: settings.gate_timeout,
                        label: &label,
                        base,
                        command: &settings.command,
                    },
                )?;
                if let Some(failed) = results.iter().find(|r| !r.passed) {
                    return Err(IntegrateError::Gate {
                        target: label,
                        base: base.to_owned(),
                        gate: Box::new(failed.clone()),
                    });
                }
                done.gates.results = results;
            }
            request.check_only = false;
            match publish(repo, &request)? {
                Published::Moved(updates) | Published::Checked(updates) => {
                    done.worktrees = updates;
                    done.new_tip = Some(picked.tip.to_string());
                    return Ok(done);
                }
                Published::Stale(moved) if attempts < MAX_ATTEMPTS => onto = moved,
                Published::Stale(_) => {
                    return Err(IntegrateError::Contended {
                        target: label,
                        base: base.to_owned(),
                        attempts,
                    });
                }
            }
        }
    }
}

/// Whether the commits of a report were all skipped (nothing to pick).
pub(crate) fn nothing_picked(done: &Integration) -> bool {
    !done.commits.iter().any(|c| c.outcome == Outcome::Picked)
}
