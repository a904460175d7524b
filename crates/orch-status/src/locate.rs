//! Finding the canonical plan and orch's state directory. This is the one place that does it.

use std::path::{Path, PathBuf};

/// The plan's file name at the root of the main worktree.
pub const PLAN_FILE: &str = "MULTI_AGENT_PLAN.md";
/// The message log's file name, beside the plan.
pub const MESSAGES_FILE: &str = "INTER_AGENT_MESSAGES.md";

/// Where a command's files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The canonical plan.
    pub plan: PathBuf,
    /// The message log, beside the plan.
    pub messages: PathBuf,
    /// The root of the main worktree, when the command runs inside a git repository that has one.
    pub root: Option<PathBuf>,
    /// Where orch keeps its journal and logs: `<git-common-dir>/orch` inside a git repository,
    /// or `.orch` beside the plan when the plan lives outside any repository.
    pub state_dir: PathBuf,
}

/// Why the plan could not be located.
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// Not inside a git repository and no plan was named.
    #[error("{} is not inside a git repository; run the command inside the repository or one of its worktrees, or name the plan with --plan FILE (or ORCH_PLAN)", .0.display())]
    NotARepository(PathBuf),
    /// The repository has no main worktree to hold the plan.
    #[error("the repository at {} is bare, so it has no main worktree for the plan; name the plan with --plan FILE (or ORCH_PLAN)", .0.display())]
    Bare(PathBuf),
    /// Git could not read the repository.
    #[error("cannot read the git repository at {}: {}", path.display(), source.message())]
    Git {
        /// Where the repository was looked for.
        path: PathBuf,
        /// What libgit2 said.
        #[source]
        source: git2::Error,
    },
}

/// Finds the plan for a command run in `cwd`.
///
/// With `explicit` (from `--plan` or `ORCH_PLAN`) that file is the plan, relative to `cwd`.
/// Otherwise the plan is `MULTI_AGENT_PLAN.md` at the root of the main worktree, reached
/// through git's common dir, so that a command run in a linked worktree (or any subdirectory)
/// targets the one canonical plan and never the worktree's own copy. This only reads.
pub fn locate(cwd: &Path, explicit: Option<&Path>) -> Result<Workspace, LocateError> {
    let common = common_dir(cwd)?;
    let root = common.as_ref().and_then(|c| c.main_root.clone());
    let plan = match explicit {
        Some(path) => cwd.join(path),
        None => match (&common, &root) {
            (None, _) => return Err(LocateError::NotARepository(cwd.to_owned())),
            (Some(c), None) => return Err(LocateError::Bare(c.common.clone())),
            (Some(_), Some(root)) => root.join(PLAN_FILE),
        },
    };
    let plan_dir = plan.parent().map_or_else(|| cwd.to_owned(), Path::to_owned);
    let messages = plan_dir.join(MESSAGES_FILE);
    let state_dir = match &common {
        Some(c) => c.common.join("orch"),
        None => plan_dir.join(".orch"),
    };
    Ok(Workspace {
        plan,
        messages,
        root,
        state_dir,
    })
}

struct Common {
    common: PathBuf,
    main_root: Option<PathBuf>,
}

fn common_dir(cwd: &Path) -> Result<Option<Common>, LocateError> {
    let repo = match git2::Repository::discover(cwd) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(source) => {
            return Err(LocateError::Git {
                path: cwd.to_owned(),
                source,
            });
        }
    };
    let common = repo.commondir().to_owned();
    // The main worktree is the work dir of the repository that owns the common dir.
    let main_root = if repo.is_worktree() {
        match git2::Repository::open(&common) {
            Ok(main) => main.workdir().map(Path::to_owned),
            Err(source) => {
                return Err(LocateError::Git {
                    path: common,
                    source,
                });
            }
        }
    } else {
        repo.workdir().map(Path::to_owned)
    };
    let main_root = main_root.map(|p| strip_trailing_separator(&p));
    Ok(Some(Common {
        common: strip_trailing_separator(&common),
        main_root,
    }))
}

fn strip_trailing_separator(path: &Path) -> PathBuf {
    path.components().collect()
}
