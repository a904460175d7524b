//! Why an integration did not happen, typed so that front ends can pick the exit code: a
//! conflict or lost race is exit 3 ([`IntegrateError::is_conflict`]), a failed gate exit 4
//! ([`IntegrateError::is_gate_failure`]), anything else exit 1.

use std::fmt::Write as _;
use std::path::PathBuf;

use orch_status::lock::LockError;

use crate::report::{CommitReport, GateResult};

/// Why an integration, a queue step or a forecast stopped. Unless a variant says otherwise,
/// nothing was changed: no ref, index, working tree or plan byte.
#[derive(Debug, thiserror::Error)]
pub enum IntegrateError {
    /// The task id, branch name or base name is not acceptable.
    #[error("{0}")]
    InvalidName(String),
    /// Neither a task of the plan nor a branch has this name.
    #[error(
        "{target:?} is neither a task in {plan} nor a branch (refs/heads/{target}); `orch-plan show` lists the tasks and `git branch` the branches"
    )]
    UnknownTarget {
        /// What was asked for.
        target: String,
        /// The plan that was searched.
        plan: String,
    },
    /// The task's branch does not exist.
    #[error(
        "task {task}'s branch {branch} does not exist; create it with `orch-worktree spawn {task}`, or name the branch in the plan's Branch column"
    )]
    NoBranch {
        /// The task.
        task: String,
        /// Its branch.
        branch: String,
    },
    /// The base branch does not exist.
    #[error(
        "the base branch {0} does not exist; create it, or set [project] base in orch.toml to the branch integration targets"
    )]
    NoBase(String),
    /// The branch shares no history with the base.
    #[error(
        "{branch} shares no history with {base}, so there is nothing to cherry-pick from; rebase {branch} onto {base} first"
    )]
    Unrelated {
        /// The branch.
        branch: String,
        /// The base branch.
        base: String,
    },
    /// A merge commit is in the range and no mainline parent was given.
    #[error(
        "commit {commit} ({subject}) on {branch} is a merge with {parents} parents; pass --mainline 1 to pick each merge as its change against its first parent (the branch's own line), or rebase {branch} to drop the merges"
    )]
    MergeCommit {
        /// The branch.
        branch: String,
        /// The merge commit (short id).
        commit: String,
        /// Its subject.
        subject: String,
        /// How many parents it has.
        parents: usize,
    },
    /// The mainline parent does not exist on a merge commit.
    #[error(
        "--mainline {mainline} does not fit commit {commit} ({subject}), which has {parents} parents; use a number from 1 to {parents}"
    )]
    BadMainline {
        /// The merge commit (short id).
        commit: String,
        /// Its subject.
        subject: String,
        /// The mainline asked for.
        mainline: u32,
        /// How many parents it has.
        parents: usize,
    },
    /// Commits conflict with the base. Nothing was changed.
    #[error("{}", conflict_message(target, base, commits))]
    Conflict {
        /// The task or branch.
        target: String,
        /// The base branch.
        base: String,
        /// The conflicting commits with their paths.
        commits: Vec<CommitReport>,
    },
    /// A gate failed on the candidate. The base branch did not move.
    #[error("{}", gate_message(target, base, gate))]
    Gate {
        /// The task or branch.
        target: String,
        /// The base branch.
        base: String,
        /// The gate that failed.
        gate: Box<GateResult>,
    },
    /// The base branch is checked out in a worktree where paths the integration changes have
    /// uncommitted changes. Nothing was changed.
    #[error(
        "{base} is checked out in {} and these paths, which the integration changes, have uncommitted changes there: {}; commit or stash them (or `git checkout -- PATH`), then run the integration again; nothing was changed",
        worktree.display(), list(paths)
    )]
    Dirty {
        /// The base branch.
        base: String,
        /// The worktree.
        worktree: PathBuf,
        /// The paths in the way, each with why.
        paths: Vec<String>,
    },
    /// The base branch kept moving while the integration tried to publish.
    #[error(
        "{base} moved {attempts} times while {target} was being integrated; nothing was changed, and retrying is safe"
    )]
    Contended {
        /// The task or branch.
        target: String,
        /// The base branch.
        base: String,
        /// How many picks were tried.
        attempts: u32,
    },
    /// Every gate worktree of the pool is busy with another integration (retryable, exit 3).
    #[error(
        "all {slots} gate worktrees under {} are busy with other integrations; wait for one to finish and run again (a lock left by a crashed process is broken automatically)",
        pool.display()
    )]
    GatesBusy {
        /// The pool directory.
        pool: PathBuf,
        /// How many slots it has.
        slots: usize,
    },
    /// A lock (the integration lock or a gate worktree's) could not be taken.
    #[error(transparent)]
    Lock(LockError),
    /// The plan could not be read.
    #[error("cannot read the plan: {0}")]
    Plan(String),
    /// Git failed.
    #[error("git failed to {what}: {}", source.message())]
    Git {
        /// What was being done.
        what: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// A file could not be read or written.
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: String,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The base branch moved, but updating the worktree where it is checked out failed part
    /// way. The integration itself is in.
    #[error(
        "{base} moved to {new_tip}, but updating {} failed: {reason}; run `git status` there and `git checkout -- PATH` for the paths it shows",
        worktree.display()
    )]
    Checkout {
        /// The base branch.
        base: String,
        /// Its new tip.
        new_tip: String,
        /// The worktree.
        worktree: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl IntegrateError {
    /// Whether this is a conflict or a lost race, safe to retry once resolved (exit 3).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            IntegrateError::Conflict { .. }
                | IntegrateError::Dirty { .. }
                | IntegrateError::Contended { .. }
                | IntegrateError::GatesBusy { .. }
                | IntegrateError::Lock(LockError::Timeout { .. })
        )
    }

    /// Whether a validation gate failed (exit 4).
    pub fn is_gate_failure(&self) -> bool {
        matches!(self, IntegrateError::Gate { .. })
    }

    /// Whether the base branch moved despite the error (only when updating a checked-out
    /// worktree failed after publishing).
    pub fn base_moved(&self) -> bool {
        matches!(self, IntegrateError::Checkout { .. })
    }

    pub(crate) fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> IntegrateError {
        let what = what.into();
        move |source| IntegrateError::Git { what, source }
    }

    pub(crate) fn io(
        what: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> IntegrateError {
        let (what, path) = (what.into(), path.into());
        move |source| IntegrateError::Io { what, path, source }
    }
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn conflict_message(target: &str, base: &str, commits: &[CommitReport]) -> String {
    let count = commits.len();
    let mut out = format!(
        "{target} does not apply cleanly to {base}: {count} commit{} conflict{}; nothing was changed",
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
    );
    for commit in commits {
        let _ = write!(out, "\n  {} {}", commit.short(), commit.subject);
        for path in &commit.conflicts {
            let _ = write!(out, "\n    {} ({})", path.path, path.kind.describe());
        }
    }
    out.push_str(&format!(
        "\nrebase the branch onto {base} and resolve these paths, or run `git cherry-pick` by hand; later commits were checked as if earlier conflicts were resolved in the branch's favour"
    ));
    out
}

fn gate_message(target: &str, base: &str, gate: &GateResult) -> String {
    let status = match gate.exit_code {
        _ if gate.timed_out => "timed out".to_owned(),
        Some(code) => format!("exited with {code}"),
        None if gate.error.is_some() => "could not start".to_owned(),
        None => "was killed by a signal".to_owned(),
    };
    let mut out = format!(
        "gate `{}` {status} on the candidate for {target} ({}), so {base} did not move; its output is in {}; fix the branch and integrate again (--no-gates skips the gates)",
        gate.command(),
        &gate.candidate[..gate.candidate.len().min(12)],
        gate.log.display()
    );
    if let Some(error) = &gate.error {
        let _ = write!(out, "\n  {error}");
    }
    if !gate.tail.is_empty() {
        out.push_str("\n  last lines of its output:");
        for line in gate.tail.lines() {
            let _ = write!(out, "\n  | {line}");
        }
    }
    out
}
