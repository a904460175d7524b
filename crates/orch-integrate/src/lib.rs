//! Cherry-pick integration for orch: brings a task's branch onto the base branch (`main`)
//! behind validation gates, without ever breaking the base or touching a user's work.
//!
//! 1. **Plan** ([`plan_pick`]): the commits of `base..branch`, oldest first. A merge commit is
//!    refused unless a mainline parent is given.
//! 2. **Pick** ([`pick`]): each commit is cherry-picked in memory onto the base's tip. Only the
//!    paths a commit changes are merged (the "dehydrated" pick), so the cost follows the
//!    change, not the repository. New objects stay in an in-memory object store until the
//!    pick is known to be clean. Authors, dates and messages are kept; the trailers
//!    `Orch-Task: <id>` and `(cherry picked from commit <sha>)` are added. Empty commits are
//!    skipped and reported.
//! 3. **Conflicts** stop the integration with every conflicting commit and path reported, and
//!    nothing changed: no ref, index, working tree, plan byte or object.
//! 4. **Gates** ([`run_gates`]): the `[integrate] gates` of `orch.toml` run in a pooled
//!    detached worktree at the candidate commit, never in a user's worktree. A failure stops
//!    the integration and the base does not move.
//! 5. **Publish** ([`publish`]): compare-and-swap of the base ref against the tip the pick
//!    started from. If the base moved meanwhile, the pick (and the gates) run again on the new
//!    tip. A worktree where the base is checked out gets exactly the changed paths, or, if any
//!    of them has uncommitted changes there, nothing moves at all.
//! 6. **Record**: the plan's Integration Summary and Execution Log, and the journal.
//!    Alternatives named with `--archive` are kept as `refs/orch/archive/<task>` and their
//!    worktrees removed.
//!
//! [`Integrator::queue`] integrates every Completed task not yet on the base in dependency
//! order, quarantining the ones that conflict or fail a gate; [`Integrator::forecast`] checks
//! every active branch against the base and against each other, in memory.
//!
//! Nothing here prints or reads the environment: front ends pass [`Settings`] in, print the
//! reports (the [`render`] functions give every front end the same text, and the reports
//! serialize to JSON) and map [`IntegrateError`]s to exit codes (3 when
//! [`IntegrateError::is_conflict`], 4 when [`IntegrateError::is_gate_failure`]). Front ends
//! should call [`read_objects_like_git`] once at start-up.

#![deny(missing_docs)]

mod archive;
mod checkout;
mod diff;
mod error;
mod forecast;
mod gates;
mod integrate;
mod merge;
mod pick;
mod publish;
mod queue;
mod record;
pub mod render;
mod repo;
mod report;
mod tree;

use std::path::PathBuf;
use std::time::Duration;

use orch_core::TaskId;
use orch_status::Workspace;

pub use archive::{GitWorktreeRemover, WorktreeRemover};
pub use error::IntegrateError;
pub use gates::{GateRun, run_gates};
pub use integrate::{Integrator, Target, resolve_target, task_branch};
pub use pick::{Pick, PickOptions, PickPlan, PlannedCommit, pick, plan_pick, with_trailers};
pub use publish::{PublishRequest, Published, publish};
pub use queue::QueueOptions;
pub use repo::{open_repository, read_objects_like_git};
pub use report::{
    Archived, BranchForecast, CommitReport, ConflictKind, Forecast, GateResult, Gates, Integration,
    Outcome, PairForecast, PathChange, PathConflict, QueueItem, QueueOutcome, QueueReport,
    Unchecked, WorktreeUpdate,
};

/// Who commits: the committer of the picked commits. What is left out comes from the
/// repository's `user.name` and `user.email` (else `orch <orch@localhost>`) and the clock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The name (`GIT_COMMITTER_NAME`, as the front end read it).
    pub name: Option<String>,
    /// The email address (`GIT_COMMITTER_EMAIL`).
    pub email: Option<String>,
    /// A fixed time (`GIT_COMMITTER_DATE`): seconds since the epoch and the offset from UTC in
    /// minutes.
    pub time: Option<(i64, i32)>,
}

/// Everything an integration needs to know about where it runs. Front ends fill it from the
/// command line, `orch.toml` and the environment.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Any directory inside the repository or one of its worktrees.
    pub repo: PathBuf,
    /// The plan and the state dir (from `orch_status::locate`).
    pub workspace: Workspace,
    /// The base branch (`[project] base`, default `main`).
    pub base: String,
    /// The prefix of branches derived from task ids (`[project] branch_prefix`).
    pub branch_prefix: String,
    /// The gate commands (`[integrate] gates`), argv lists.
    pub gates: Vec<Vec<String>>,
    /// How long one gate may run before its process group is killed and it counts as failed
    /// (`[integrate] gate_timeout`); `None` for no limit.
    pub gate_timeout: Option<Duration>,
    /// How long to wait for the plan's lock and the integration lock.
    pub lock_timeout: Duration,
    /// The command line, for lock files and the journal.
    pub command: String,
    /// Who integrates, for the journal and the Execution Log.
    pub actor: String,
    /// The committer of the picked commits.
    pub committer: Identity,
}

/// How one integration runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Report what would happen, per commit, and change nothing.
    pub dry_run: bool,
    /// Skip the gates (the record says so).
    pub no_gates: bool,
    /// Alternatives to keep as `refs/orch/archive/<task>`, their worktrees removed.
    pub archive: Vec<TaskId>,
    /// For merge commits: the parent (1-based) whose side is the branch's line.
    pub mainline: Option<u32>,
}
