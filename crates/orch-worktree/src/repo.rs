//! The repository as orch-worktree sees it: the main worktree, the git common dir, and the
//! linked worktrees git has registered.

use std::path::{Path, PathBuf};

use git2::{Repository, WorktreeLockStatus};

use crate::error::{Error, Result};
use crate::paths::{self, Fence};

/// The lock reason git and orch write while a worktree is being created.
pub(crate) const INITIALIZING: &str = "initializing";

/// Where the repository is: the main worktree, the git common dir and the fence for worktrees.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The main worktree (canonical).
    pub main_root: PathBuf,
    /// The git common dir (canonical).
    pub common_dir: PathBuf,
    /// The main worktree's directory name, for `{repo}` in `worktree_root`.
    pub repo_name: String,
    /// Where worktrees may go.
    pub fence: Fence,
}

impl Layout {
    /// The layout of the repository whose main worktree is `main_root`, and the repository.
    pub fn open(main_root: &Path) -> Result<(Layout, Repository)> {
        let repo = Repository::open(main_root).map_err(Error::git(format!(
            "cannot open the repository at {}",
            main_root.display()
        )))?;
        let main_root = main_root
            .canonicalize()
            .map_err(Error::io("cannot resolve the main worktree", main_root))?;
        let common = repo.commondir().to_owned();
        let common_dir = common
            .canonicalize()
            .map_err(Error::io("cannot resolve the git directory", &common))?;
        let repo_name = main_root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fence =
            Fence::new(&main_root, &common_dir).ok_or(Error::NoRepository(main_root.clone()))?;
        Ok((
            Layout {
                main_root,
                common_dir,
                repo_name,
                fence,
            },
            repo,
        ))
    }

    /// The administrative directory of the linked worktree `name`.
    pub fn admin_dir(&self, name: &str) -> PathBuf {
        self.common_dir.join("worktrees").join(name)
    }

    /// The branch checked out in the main worktree (`refs/heads/...`), if any.
    pub fn main_head_ref(&self) -> Option<String> {
        read_head_ref(&self.common_dir.join("HEAD"))
    }
}

/// A linked worktree git has registered.
#[derive(Clone, Debug)]
pub struct Registered {
    /// Its administrative name (the directory under `<common>/worktrees`).
    pub name: String,
    /// Its directory, as git records it, normalised.
    pub path: PathBuf,
    /// The branch checked out (`refs/heads/...`), or `None` when HEAD is detached.
    pub head_ref: Option<String>,
    /// The lock's reason, when the worktree is locked.
    pub locked: Option<String>,
    /// Whether its directory still exists.
    pub exists: bool,
}

impl Registered {
    /// The short branch name, such as `feature/T1`.
    pub fn branch(&self) -> Option<&str> {
        self.head_ref
            .as_deref()
            .and_then(|r| r.strip_prefix("refs/heads/"))
    }

    /// Whether `path` is this worktree's directory (compared lexically, then through links).
    pub fn is_at(&self, path: &Path) -> bool {
        same_path(&self.path, path)
    }
}

/// Every linked worktree of the repository, in git's order.
pub fn registered(repo: &Repository, layout: &Layout) -> Result<Vec<Registered>> {
    let names = repo
        .worktrees()
        .map_err(Error::git("cannot list the worktrees"))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names.iter().flatten() {
        // A worktree whose administrative files are unreadable is left to `git worktree`.
        let Ok(worktree) = repo.find_worktree(name) else {
            continue;
        };
        let path = paths::normalize(worktree.path());
        let locked = match worktree.is_locked() {
            Ok(WorktreeLockStatus::Locked(reason)) => Some(reason.unwrap_or_default()),
            _ => None,
        };
        out.push(Registered {
            name: name.to_owned(),
            head_ref: read_head_ref(&layout.admin_dir(name).join("HEAD")),
            exists: path.is_dir(),
            path,
            locked,
        });
    }
    Ok(out)
}

/// Where the branch `refs/heads/...` is checked out, if anywhere: the main worktree or a
/// linked one.
pub(crate) fn checked_out_at(
    layout: &Layout,
    registered: &[Registered],
    head_ref: &str,
) -> Option<(PathBuf, bool)> {
    if layout.main_head_ref().as_deref() == Some(head_ref) {
        return Some((layout.main_root.clone(), true));
    }
    registered
        .iter()
        .find(|r| r.head_ref.as_deref() == Some(head_ref))
        .map(|r| (r.path.clone(), r.exists))
}

/// The branch a HEAD file points to, if it is a symbolic ref.
fn read_head_ref(head: &Path) -> Option<String> {
    let text = std::fs::read_to_string(head).ok()?;
    text.strip_prefix("ref:")
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
}

/// Whether two paths name the same directory: equal after lexical normalisation, or after
/// following links where both exist.
pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    if paths::normalize(a) == paths::normalize(b) {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
