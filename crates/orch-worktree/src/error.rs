//! Every way an orch-worktree operation can fail, as typed values; the binary renders them.

use std::fmt;
use std::path::{Path, PathBuf};

use orch_core::TaskId;
use orch_core::names::NameError;
use orch_status::Diagnostics;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more requests were refused before anything changed.
    #[error("{}", Problems(.0))]
    Refused(Vec<Problem>),
    /// The spec `orch.toml` is invalid.
    #[error("{0}")]
    Spec(Diagnostics),
    /// The command does not run inside a git repository with a main worktree.
    #[error(
        "{} is not inside a git repository with a main worktree; run orch-worktree inside the repository or one of its worktrees",
        .0.display()
    )]
    NoRepository(PathBuf),
    /// Git failed.
    #[error("{what}: {}", source.message())]
    Git {
        /// What was being done, such as `cannot create branch feature/T1`.
        what: String,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
    /// A file operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done, such as `cannot create the directory`.
        what: String,
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Another process changed the same worktree or branch at the same moment.
    #[error("{0}; another orch-worktree or git process is working on it, so retry")]
    Contention(String),
    /// Something that cannot happen did (a worker thread stopped without a result).
    #[error("{0}; this is a bug in orch-worktree: please report it with the command line")]
    Bug(String),
    /// The spawn lock stayed busy for the whole lock timeout.
    #[error("{0}")]
    Busy(String),
    /// A creation failed and its rollback could not take everything back.
    #[error("{error}; the rollback could not remove {leftovers}: remove it by hand")]
    Leftovers {
        /// Why the creation failed.
        error: Box<Error>,
        /// What is left behind.
        leftovers: String,
    },
    /// The journal could not be written (the change itself was made).
    #[error(transparent)]
    Journal(#[from] orch_status::journal::JournalError),
}

impl Error {
    /// A git error with what was being done.
    pub(crate) fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
        let what = what.into();
        move |source| Error::Git { what, source }
    }

    /// A file error with what was being done and where.
    pub(crate) fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.to_owned();
        let path = path.to_owned();
        move |source| Error::Io { what, path, source }
    }

    /// Whether retrying may succeed (exit 3 rather than 1).
    pub fn is_contention(&self) -> bool {
        matches!(self, Error::Contention(_) | Error::Busy(_))
    }
}

/// A task whose operation failed after every check had passed (a spawn is rolled back).
#[derive(Debug)]
pub struct Failed {
    /// The task.
    pub task: TaskId,
    /// Why.
    pub error: Error,
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One refused request, with what is wrong and how to fix it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Problem {
    /// The plan has no task with this id.
    #[error("task {0} is not in the plan; run `orch-plan show` to see the task ids")]
    UnknownTask(TaskId),
    /// No task matches the selection (`--ready` or `--group`).
    #[error("{0}")]
    NothingSelected(String),
    /// The task's branch name is not allowed.
    #[error("task {task}: {error}")]
    BadBranch {
        /// The task.
        task: TaskId,
        /// Why the name is refused.
        error: NameError,
    },
    /// The task's worktree path is not allowed.
    #[error("task {task}: {error}")]
    BadPath {
        /// The task.
        task: TaskId,
        /// Why the path is refused.
        error: NameError,
    },
    /// The task's worktree path leads somewhere a worktree may not go.
    #[error(
        "task {task}: worktree path {} {why}; set the task's Worktree cell (or worktree_root in orch.toml) to a directory beside the repository, such as ../{{repo}}-worktrees/{task}",
        path.display()
    )]
    PathEscapes {
        /// The task.
        task: TaskId,
        /// The resolved path.
        path: PathBuf,
        /// Where it leads, such as `is inside the git directory`.
        why: String,
    },
    /// Two selected tasks would share a worktree path or a branch.
    #[error(
        "tasks {first} and {second} would both use the {what} {value}; give each task its own Worktree and Branch cells"
    )]
    Shared {
        /// The first task.
        first: TaskId,
        /// The second task.
        second: TaskId,
        /// `worktree path` or `branch`.
        what: &'static str,
        /// The shared value.
        value: String,
    },
    /// The worktree path exists and is not this task's worktree.
    #[error(
        "task {task}: {} already exists and {why}; orch-worktree never writes into it: move it away, or set the task's Worktree cell to another path",
        path.display()
    )]
    PathTaken {
        /// The task.
        task: TaskId,
        /// The existing path.
        path: PathBuf,
        /// What is there, such as `is a non-empty directory`.
        why: String,
    },
    /// The task's branch is checked out in another worktree.
    #[error(
        "task {task}: branch {branch} is already checked out in {}; switch that worktree to another branch, or give the task another branch",
        path.display()
    )]
    CheckedOutElsewhere {
        /// The task.
        task: TaskId,
        /// The branch.
        branch: String,
        /// Where it is checked out.
        path: PathBuf,
    },
    /// A spawn of this task was interrupted and left a half-made worktree.
    #[error(
        "task {task}: the worktree at {} is still marked as being created (an earlier spawn was interrupted); remove it with `orch-worktree remove {task} --force` and spawn again",
        path.display()
    )]
    Interrupted {
        /// The task.
        task: TaskId,
        /// The worktree.
        path: PathBuf,
    },
    /// `--from-deps` needs every dependency Completed.
    #[error("task {task}: dependencies {} are not Completed, so there is no result to start from; finish them first, or spawn without --from-deps", list(.deps))]
    UnfinishedDependencies {
        /// The task.
        task: TaskId,
        /// The dependencies that are not Completed.
        deps: Vec<TaskId>,
    },
    /// A dependency's branch does not exist.
    #[error(
        "task {task}: dependency {dep} has no branch {branch}; spawn and finish {dep} first, or spawn {task} without --from-deps"
    )]
    MissingDependencyBranch {
        /// The task.
        task: TaskId,
        /// The dependency.
        dep: TaskId,
        /// Its branch.
        branch: String,
    },
    /// The dependencies' branches do not merge cleanly.
    #[error("task {task}: the branches of its dependencies {} conflict in {}; resolve the conflict on one of those branches, or spawn {task} without --from-deps", list(.deps), .paths.join(", "))]
    MergeConflict {
        /// The task.
        task: TaskId,
        /// The dependencies merged.
        deps: Vec<TaskId>,
        /// The conflicting paths.
        paths: Vec<String>,
    },
    /// The base revision does not name a commit.
    #[error(
        "base {rev:?} does not name a commit ({detail}); name an existing branch or commit with --base, or set base in orch.toml"
    )]
    BadBase {
        /// The revision as given.
        rev: String,
        /// What git said.
        detail: String,
    },
    /// The task has no worktree to remove.
    #[error("task {0} has no worktree; `orch-worktree list` shows the worktrees")]
    NoWorktree(TaskId),
    /// The worktree has changes that removing it would lose.
    #[error(
        "task {task}: the worktree {} has uncommitted changes ({}); commit or stash them, or pass --force to discard them",
        path.display(), .files.join(", ")
    )]
    Dirty {
        /// The task.
        task: TaskId,
        /// The worktree.
        path: PathBuf,
        /// Some of the changed files.
        files: Vec<String>,
    },
    /// The branch has commits that the base branch does not.
    #[error(
        "task {task}: branch {branch} has {ahead} commit(s) not on {base}; integrate them first, or pass --force to delete the branch anyway"
    )]
    Unmerged {
        /// The task.
        task: TaskId,
        /// The branch.
        branch: String,
        /// The base branch.
        base: String,
        /// How many commits would be lost.
        ahead: usize,
    },
    /// The directory git records for the worktree holds something else.
    #[error(
        "task {task}: {} is not the worktree git records (its .git file is missing or points elsewhere); orch-worktree leaves it alone: remove it by hand if it is yours, then run `orch-worktree prune`",
        path.display()
    )]
    Foreign {
        /// The task.
        task: TaskId,
        /// The directory.
        path: PathBuf,
    },
    /// The worktree is locked.
    #[error(
        "task {task}: the worktree {} is locked ({reason}); unlock it with `git worktree unlock`, or pass --force",
        path.display()
    )]
    Locked {
        /// The task.
        task: TaskId,
        /// The worktree.
        path: PathBuf,
        /// The lock's reason.
        reason: String,
    },
    /// Another worktree lives inside the one to remove.
    #[error(
        "task {task}: the worktree {} holds another worktree, {}; remove that one first",
        path.display(), inner.display()
    )]
    Nested {
        /// The task.
        task: TaskId,
        /// The worktree.
        path: PathBuf,
        /// The worktree inside it.
        inner: PathBuf,
    },
}

impl Problem {
    /// The task the problem concerns, if any.
    pub fn task(&self) -> Option<&TaskId> {
        match self {
            Problem::UnknownTask(task) | Problem::NoWorktree(task) => Some(task),
            Problem::NothingSelected(_) | Problem::BadBase { .. } => None,
            Problem::Shared { second, .. } => Some(second),
            Problem::BadBranch { task, .. }
            | Problem::BadPath { task, .. }
            | Problem::PathEscapes { task, .. }
            | Problem::PathTaken { task, .. }
            | Problem::CheckedOutElsewhere { task, .. }
            | Problem::Interrupted { task, .. }
            | Problem::UnfinishedDependencies { task, .. }
            | Problem::MissingDependencyBranch { task, .. }
            | Problem::MergeConflict { task, .. }
            | Problem::Dirty { task, .. }
            | Problem::Unmerged { task, .. }
            | Problem::Locked { task, .. }
            | Problem::Foreign { task, .. }
            | Problem::Nested { task, .. } => Some(task),
        }
    }
}

/// Task ids as `T2, T3`.
pub(crate) fn list(ids: &[TaskId]) -> String {
    ids.iter()
        .map(TaskId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
