//! What integrations, queues and forecasts report: everything a front end prints, as plain
//! data that also serializes to the `--json` output.

use std::path::PathBuf;

use serde::Serialize;

/// How a path changed in a commit (or between two trees).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathChange {
    /// `A` added, `D` deleted, `M` modified, `T` type changed (file, symlink, submodule), `R`
    /// renamed (from `old_path`).
    pub status: char,
    /// The path after the change (for a deletion, the deleted path).
    pub path: String,
    /// For a rename, the path before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// For a mode-only or content change, the file mode before and after when they differ,
    /// such as `100644 -> 100755`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// Why a path conflicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Both sides changed the file's content in ways that do not merge (text or binary).
    Content,
    /// Both sides added the path with different content.
    AddAdd,
    /// The target side deleted the file and the incoming side modified it.
    DeletedByUs,
    /// The target side modified the file and the incoming side deleted it.
    DeletedByThem,
    /// The file mode (executable bit, symlink, submodule) changed differently on each side.
    Mode,
    /// The incoming side writes a file where the target side has a directory.
    DirectoryInTheWay,
    /// The incoming side writes below a path that is a file on the target side.
    FileInTheWay,
}

impl ConflictKind {
    /// A short description for people, in the terms of a pick onto the base.
    pub fn describe(self) -> &'static str {
        match self {
            ConflictKind::Content => "both modified",
            ConflictKind::AddAdd => "both added",
            ConflictKind::DeletedByUs => "deleted on the base, modified by the commit",
            ConflictKind::DeletedByThem => "modified on the base, deleted by the commit",
            ConflictKind::Mode => "file mode changed on both sides",
            ConflictKind::DirectoryInTheWay => "a directory on the base is in the way",
            ConflictKind::FileInTheWay => "a file on the base is in the way",
        }
    }

    /// A short description that names no side, for two branches.
    pub fn describe_between_branches(self) -> &'static str {
        match self {
            ConflictKind::Content => "both changed",
            ConflictKind::AddAdd => "both added",
            ConflictKind::DeletedByUs | ConflictKind::DeletedByThem => {
                "deleted on one side, changed on the other"
            }
            ConflictKind::Mode => "file mode changed on both sides",
            ConflictKind::DirectoryInTheWay | ConflictKind::FileInTheWay => {
                "a file on one side, a directory on the other"
            }
        }
    }
}

/// One conflicting path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathConflict {
    /// The path.
    pub path: String,
    /// Why it conflicts.
    pub kind: ConflictKind,
}

/// What happened (or, in a dry run, would happen) to one commit of the branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Picked onto the base as a new commit.
    Picked,
    /// The commit changes nothing (its tree is its parent's); skipped.
    Empty,
    /// Its changes are already on the base, so the pick would change nothing; skipped.
    AlreadyApplied,
    /// It conflicts with the base.
    Conflict,
    /// Not picked because an earlier commit conflicted (its own changes apply cleanly on top
    /// of the earlier ones resolved in the branch's favour).
    NotReached,
}

/// One commit of the branch and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitReport {
    /// The commit on the branch.
    pub original: String,
    /// The new commit on the base (or, in a dry run, the in-memory candidate commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The first line of its message.
    pub subject: String,
    /// `Name <email>` of its author.
    pub author: String,
    /// The paths it changes (renames detected for the report only).
    pub changes: Vec<PathChange>,
    /// What happened to it.
    pub outcome: Outcome,
    /// The conflicting paths, when it conflicts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<PathConflict>,
}

impl CommitReport {
    /// The original commit's id shortened to 7 hex digits.
    pub fn short(&self) -> &str {
        &self.original[..self.original.len().min(7)]
    }
}

/// One gate command's run on a candidate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateResult {
    /// The argv that ran.
    pub argv: Vec<String>,
    /// Whether it exited 0.
    pub passed: bool,
    /// Its exit code (`None` when killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// The candidate commit it ran on.
    pub candidate: String,
    /// The log that holds its output (stdout and stderr, interleaved).
    pub log: PathBuf,
    /// The last lines of its output, when it failed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tail: String,
    /// Why it could not be started, or that it ran out of time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether it was killed for running longer than `[integrate] gate_timeout`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub timed_out: bool,
}

impl GateResult {
    /// The command as one line, words separated by spaces (quoted where needed).
    pub fn command(&self) -> String {
        self.argv
            .iter()
            .map(|a| {
                if !a.is_empty()
                    && a.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
                {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The gates of one integration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Gates {
    /// Whether `--no-gates` skipped them.
    pub skipped: bool,
    /// Each gate's run on the candidate that was published, in order.
    pub results: Vec<GateResult>,
    /// The gate commands configured (what a dry run would run).
    pub configured: Vec<Vec<String>>,
}

/// A worktree where the base branch is checked out, updated after publishing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorktreeUpdate {
    /// The worktree's root.
    pub path: PathBuf,
    /// The paths written or removed there (and in its index).
    pub paths: Vec<String>,
}

/// An alternative kept under `refs/orch/archive/<task>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Archived {
    /// The task.
    pub task: String,
    /// Its branch.
    pub branch: String,
    /// The archive ref.
    pub reference: String,
    /// The commit archived.
    pub commit: String,
    /// The worktree removed, if one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worktree_removed: Option<PathBuf>,
    /// Why the worktree was kept, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What one integration did (or, with `dry_run`, would do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Integration {
    /// The task integrated, when the target is (or belongs to) a task of the plan.
    pub task: Option<String>,
    /// The branch integrated.
    pub branch: String,
    /// The base branch.
    pub base: String,
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
    /// The base's tip before.
    pub old_tip: String,
    /// The base's tip after (`None` when nothing was published).
    pub new_tip: Option<String>,
    /// The candidate tip that was (or, in a dry run, would be) published.
    pub candidate: Option<String>,
    /// Each commit of the branch and what became of it, oldest first.
    pub commits: Vec<CommitReport>,
    /// The gates.
    pub gates: Gates,
    /// How many times the commits were picked (more than 1 when the base moved meanwhile).
    pub attempts: u32,
    /// Worktrees where the base is checked out that were (or would be) updated.
    pub worktrees: Vec<WorktreeUpdate>,
    /// Alternatives archived (or, in a dry run, to archive).
    pub archived: Vec<Archived>,
    /// Where the integration was recorded: the plan's sections and the journal.
    pub recorded: Vec<String>,
    /// Things that did not stop the integration but should be looked at.
    pub warnings: Vec<String>,
    /// In a dry run: why the real run would stop (a conflict, or dirty paths where the base
    /// is checked out). The front end exits 3 when this is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

impl Integration {
    /// The commits picked (or, in a dry run, that would be picked).
    pub fn picked(&self) -> impl Iterator<Item = &CommitReport> {
        self.commits.iter().filter(|c| c.outcome == Outcome::Picked)
    }

    /// Whether the base moved.
    pub fn published(&self) -> bool {
        self.new_tip.is_some()
    }
}

/// What became of one task in a queue run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum QueueOutcome {
    /// Integrated (or, in a dry run, would be).
    Integrated {
        /// The integration.
        integration: Box<Integration>,
    },
    /// Nothing to pick: every commit is already on the base.
    NothingToDo,
    /// Conflicted or failed a gate, and was set to Failed with a note.
    Quarantined {
        /// Why, as written in the note.
        reason: String,
        /// Whether a gate failed (otherwise a conflict).
        gate: bool,
    },
    /// Not tried, because a task it depends on is not on the base.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Stopped by an error that is neither a conflict nor a gate (the queue went on).
    Error {
        /// The error.
        message: String,
    },
}

/// One task of a queue run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    /// The task.
    pub task: String,
    /// Its branch.
    pub branch: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: QueueOutcome,
}

/// What a queue run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueReport {
    /// The base branch.
    pub base: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Completed tasks already on the base (found by their `Orch-Task` trailer).
    pub already_integrated: Vec<String>,
    /// Each task tried or skipped, in dependency order.
    pub items: Vec<QueueItem>,
}

impl QueueReport {
    /// Whether every task that was due went in.
    pub fn all_integrated(&self) -> bool {
        self.items.iter().all(|i| {
            matches!(
                i.outcome,
                QueueOutcome::Integrated { .. } | QueueOutcome::NothingToDo
            )
        })
    }

    /// Whether a gate failed for some task (the front end exits 4).
    pub fn any_gate_failed(&self) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i.outcome, QueueOutcome::Quarantined { gate: true, .. }))
    }
}

/// One active branch checked against the base.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BranchForecast {
    /// The task.
    pub task: String,
    /// Its branch.
    pub branch: String,
    /// How many commits it would bring.
    pub commits: usize,
    /// The commits that would conflict with the base, with their paths.
    pub conflicts: Vec<CommitReport>,
    /// Why the branch could not be checked, if it could not (such as a merge commit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Two active branches whose changes clash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PairForecast {
    /// The first task.
    pub a: String,
    /// The second task.
    pub b: String,
    /// The paths that would conflict.
    pub paths: Vec<PathConflict>,
}

/// The conflict forecast between active task branches and the base.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// The base branch.
    pub base: String,
    /// Each active branch against the base.
    pub branches: Vec<BranchForecast>,
    /// The pairs of branches that would conflict with each other.
    pub pairs: Vec<PairForecast>,
    /// Active tasks that were not checked, and why (such as a missing branch).
    pub unchecked: Vec<Unchecked>,
}

/// An active task the forecast could not check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unchecked {
    /// The task.
    pub task: String,
    /// Why it was not checked.
    pub reason: String,
}

impl Forecast {
    /// Whether any conflict was found.
    pub fn any_conflict(&self) -> bool {
        self.branches.iter().any(|b| !b.conflicts.is_empty()) || !self.pairs.is_empty()
    }
}
