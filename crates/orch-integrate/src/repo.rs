//! Repository plumbing shared by the pick, the gates and the publish: opening the repository,
//! the in-memory object store, tree lookups and names.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, Tree};

use crate::error::IntegrateError;

/// Makes libgit2 read objects the way git does: without hashing every object read again to
/// verify it (git leaves that to `git fsck`). libgit2 does it by default, and on a large tree it
/// is a third of the cost of a pick. This is a process-wide libgit2 setting, so it is the front
/// ends' call: `cargo xtask integrate` makes it at start-up, as `orch-worktree` should.
pub fn read_objects_like_git() {
    git2::opts::strict_hash_verification(false);
}

/// Opens the repository that holds `path` (any directory inside it or one of its worktrees),
/// as the main repository: its `HEAD` is the main worktree's.
pub fn open_repository(path: &Path) -> Result<Repository, IntegrateError> {
    let found = Repository::discover(path).map_err(IntegrateError::git(format!(
        "open the repository at {}",
        path.display()
    )))?;
    if found.is_worktree() {
        let common = found.commondir().to_owned();
        Repository::open(&common).map_err(IntegrateError::git(format!(
            "open the repository at {}",
            common.display()
        )))
    } else {
        Ok(found)
    }
}

/// Runs `f` with every object it writes kept in memory: nothing reaches the object database
/// until [`Staging::persist`] writes the objects of the picked commits. A conflict or a dry
/// run therefore leaves the repository exactly as it was.
///
/// The in-memory backend stays attached to `repo` afterwards, so callers open a repository of
/// their own for each staging scope.
pub(crate) fn staged<T>(
    repo: &Repository,
    f: impl FnOnce(&Staging<'_>) -> Result<T, IntegrateError>,
) -> Result<T, IntegrateError> {
    let odb = repo
        .odb()
        .map_err(IntegrateError::git("open the object database"))?;
    let mempack = odb
        .add_new_mempack_backend(1000)
        .map_err(IntegrateError::git("set up the in-memory object store"))?;
    f(&Staging {
        repo,
        odb: &odb,
        mempack: &mempack,
    })
}

/// The in-memory object store of one [`staged`] scope.
pub(crate) struct Staging<'a> {
    pub repo: &'a Repository,
    odb: &'a git2::Odb<'a>,
    mempack: &'a git2::Mempack<'a>,
}

impl Staging<'_> {
    /// Writes the objects of the commits from `tip` back to `onto` (first parents) that the
    /// object database does not have yet, as loose objects, as git does, then empties the
    /// in-memory store. Only what each commit changed is visited: a tree whose id the parent
    /// commit shares is already written.
    pub fn persist(&self, onto: Oid, tip: Oid) -> Result<(), IntegrateError> {
        let git = |what: &str| IntegrateError::git(format!("{what} the new objects"));
        // A second handle on the repository has no in-memory store, so it reads and writes
        // the object database on disk.
        let disk = Repository::open(self.repo.path()).map_err(git("open the repository for"))?;
        let disk = disk.odb().map_err(git("open the object database for"))?;
        let mut found = HashSet::new();
        let mut at = tip;
        while at != onto {
            let commit = self.repo.find_commit(at).map_err(git("read"))?;
            let parent = commit.parent(0).map_err(git("read"))?;
            found.insert(at);
            let (new, old) = (
                commit.tree().map_err(git("read"))?,
                parent.tree().map_err(git("read"))?,
            );
            new_objects(self.repo, &disk, &new, Some(&old), &mut found).map_err(git("find"))?;
            at = parent.id();
        }
        for id in found {
            let object = self.odb.read(id).map_err(git("read"))?;
            disk.write(object.kind(), object.data())
                .map_err(git("write"))?;
        }
        self.mempack.reset().map_err(git("forget"))
    }
}

/// Adds to `found` the trees and blobs of `new` that are not in `old` at the same place and
/// not on disk yet (`new` itself included).
fn new_objects(
    repo: &Repository,
    disk: &git2::Odb<'_>,
    new: &Tree<'_>,
    old: Option<&Tree<'_>>,
    found: &mut HashSet<Oid>,
) -> Result<(), git2::Error> {
    if old.is_some_and(|o| o.id() == new.id()) || disk.exists(new.id()) || found.contains(&new.id())
    {
        return Ok(());
    }
    found.insert(new.id());
    for entry in new.iter() {
        let before = old.and_then(|o| o.get_name_bytes(entry.name_bytes()));
        if before.as_ref().is_some_and(|b| b.id() == entry.id()) {
            continue;
        }
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = repo.find_tree(entry.id())?;
                let old_sub = match before {
                    Some(b) if b.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(b.id())?),
                    _ => None,
                };
                new_objects(repo, disk, &sub, old_sub.as_ref(), found)?;
            }
            Some(ObjectType::Blob) if !disk.exists(entry.id()) && !found.contains(&entry.id()) => {
                found.insert(entry.id());
            }
            _ => {}
        }
    }
    Ok(())
}

/// What a tree holds at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Nothing.
    Absent,
    /// A blob, symlink or submodule entry.
    File(Entry),
    /// A directory.
    Dir,
}

/// A non-directory tree entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub id: Oid,
    pub mode: i32,
}

impl Slot {
    /// The file at the path, treating a directory as no file.
    pub fn file(self) -> Option<Entry> {
        match self {
            Slot::File(entry) => Some(entry),
            Slot::Absent | Slot::Dir => None,
        }
    }
}

/// Looks up `path` (git's bytes, `/`-separated) in `tree`.
pub(crate) fn slot(tree: &Tree<'_>, path: &[u8]) -> Result<Slot, git2::Error> {
    match tree.get_path(&bytes_to_path(path)) {
        Ok(entry) => Ok(if entry.kind() == Some(ObjectType::Tree) {
            Slot::Dir
        } else {
            Slot::File(Entry {
                id: entry.id(),
                mode: entry.filemode(),
            })
        }),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(Slot::Absent),
        Err(e) => Err(e),
    }
}

/// Whether a mode is a regular file (executable or not), whose content can be merged.
pub(crate) fn is_regular(mode: i32) -> bool {
    mode & 0o170000 == 0o100000
}

/// A git path (bytes) as a file-system path.
#[cfg(unix)]
pub(crate) fn bytes_to_path(path: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt as _;
    PathBuf::from(std::ffi::OsStr::from_bytes(path))
}

/// A git path (bytes) as a file-system path.
#[cfg(not(unix))]
pub(crate) fn bytes_to_path(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

/// A git path for people.
pub(crate) fn display_path(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// The first 7 hex digits of an id.
pub(crate) fn short(id: Oid) -> String {
    let mut text = id.to_string();
    text.truncate(7);
    text
}

/// The tip of `refs/heads/<branch>`, if the branch exists.
pub(crate) fn branch_tip(repo: &Repository, branch: &str) -> Result<Option<Oid>, IntegrateError> {
    match repo.refname_to_id(&format!("refs/heads/{branch}")) {
        Ok(id) => Ok(Some(id)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(IntegrateError::Git {
            what: format!("read branch {branch}"),
            source: e,
        }),
    }
}

/// The tip of the base branch, which must exist.
pub(crate) fn base_tip(repo: &Repository, base: &str) -> Result<Oid, IntegrateError> {
    branch_tip(repo, base)?.ok_or_else(|| IntegrateError::NoBase(base.to_owned()))
}

/// Checks a branch name from the plan, the command line or orch.toml before it reaches git.
pub(crate) fn check_branch(name: &str) -> Result<(), IntegrateError> {
    orch_core::names::check_branch(name).map_err(|e| IntegrateError::InvalidName(e.to_string()))
}

/// The commit's first line, for reports.
pub(crate) fn subject(commit: &git2::Commit<'_>) -> String {
    let raw = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let line = raw.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().to_owned()
}

/// `Name <email>` of a signature, for reports.
pub(crate) fn who(signature: &git2::Signature<'_>) -> String {
    format!(
        "{} <{}>",
        String::from_utf8_lossy(signature.name_bytes()),
        String::from_utf8_lossy(signature.email_bytes())
    )
}
