//! Keeping a worktree where the base branch is checked out in step with the branch: after the
//! base moves, exactly the paths that changed are written there and in its index, the way
//! `receive.denyCurrentBranch=updateInstead` updates a pushed-to checkout.
//!
//! Before anything moves, every such path is checked: it must match the old tip in the index
//! and in the working tree (and a new path must not be taken by an untracked or ignored
//! file). If one does not, nothing moves at all. Other paths, such as a plan file with
//! uncommitted status edits, are never looked at, so they are never in the way.

use std::collections::HashSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{IndexEntry, IndexTime, ObjectType, Oid, Repository, RepositoryState, Tree};

use crate::error::IntegrateError;
use crate::repo::{Entry, Slot, bytes_to_path, display_path, slot};

/// A worktree where the base branch is checked out.
pub(crate) struct CheckedOut {
    /// Its root.
    pub path: PathBuf,
    /// The repository opened there (its own HEAD and index).
    pub repo: Repository,
}

/// The worktrees (main and linked) whose HEAD is `refs/heads/<base>`.
pub(crate) fn checked_out(
    repo: &Repository,
    base: &str,
) -> Result<Vec<CheckedOut>, IntegrateError> {
    let target = format!("refs/heads/{base}");
    let on_base = |r: &Repository| {
        r.find_reference("HEAD")
            .ok()
            .and_then(|h| h.symbolic_target().map(|t| t == target))
            .unwrap_or(false)
    };
    let mut found = Vec::new();
    if let Some(root) = repo.workdir()
        && on_base(repo)
    {
        let opened = Repository::open(root).map_err(IntegrateError::git(format!(
            "open the worktree {}",
            root.display()
        )))?;
        found.push(CheckedOut {
            // Without the trailing separator libgit2 gives work dirs, for messages.
            path: root.components().collect(),
            repo: opened,
        });
    }
    let names = repo
        .worktrees()
        .map_err(IntegrateError::git("list the worktrees"))?;
    for name in names.iter().flatten() {
        let Ok(worktree) = repo.find_worktree(name) else {
            continue;
        };
        if worktree.validate().is_err() {
            continue;
        }
        let Ok(opened) = Repository::open_from_worktree(&worktree) else {
            continue;
        };
        if on_base(&opened) {
            found.push(CheckedOut {
                path: worktree.path().components().collect(),
                repo: opened,
            });
        }
    }
    Ok(found)
}

/// One path that differs between the old and the new tip.
pub(crate) struct Change {
    path: Vec<u8>,
    old: Option<Entry>,
    new: Option<Entry>,
    /// Whether the old tip has a directory at the path (a directory becoming a file).
    old_dir: bool,
}

/// The paths that differ between two trees, with their entries.
pub(crate) fn tree_changes(
    repo: &Repository,
    old: &Tree<'_>,
    new: &Tree<'_>,
) -> Result<Vec<Change>, IntegrateError> {
    let git = IntegrateError::git("compare the old and new tips");
    let paths = crate::diff::changes(repo, old, new, false)
        .map_err(git)?
        .paths;
    let mut changes = Vec::with_capacity(paths.len());
    for path in paths {
        let git = IntegrateError::git("compare the old and new tips");
        let old_slot = slot(old, &path).map_err(git)?;
        let new_slot =
            slot(new, &path).map_err(IntegrateError::git("compare the old and new tips"))?;
        if old_slot.file() == new_slot.file() {
            continue;
        }
        changes.push(Change {
            old: old_slot.file(),
            new: new_slot.file(),
            old_dir: old_slot == Slot::Dir,
            path,
        });
    }
    Ok(changes)
}

/// Whether one of `changes` writes the file `file` in `worktree`.
pub(crate) fn writes_file(worktree: &CheckedOut, changes: &[Change], file: &Path) -> bool {
    let canon = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let file = canon(file);
    changes
        .iter()
        .any(|c| canon(&worktree.path.join(bytes_to_path(&c.path))) == file)
}

/// The paths of `changes` as people read them.
pub(crate) fn change_paths(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| display_path(&c.path)).collect()
}

/// Every reason why `changes` cannot be written to `worktree` safely (empty when it can).
pub(crate) fn problems(
    worktree: &CheckedOut,
    changes: &[Change],
) -> Result<Vec<String>, IntegrateError> {
    let repo = &worktree.repo;
    let mut found = Vec::new();
    if repo.state() != RepositoryState::Clean {
        found.push(format!("a {:?} is in progress there", repo.state()).to_lowercase());
    }
    let index = repo.index().map_err(IntegrateError::git(format!(
        "read the index of {}",
        worktree.path.display()
    )))?;
    let removed: HashSet<&[u8]> = changes
        .iter()
        .filter(|c| c.old.is_some() && c.new.is_none())
        .map(|c| c.path.as_slice())
        .collect();
    let filemode = repo
        .config()
        .and_then(|c| c.get_bool("core.filemode"))
        .unwrap_or(true);
    for change in changes {
        let name = display_path(&change.path);
        let path = bytes_to_path(&change.path);
        if (1..=3).any(|stage| index.get_path(&path, stage).is_some()) {
            found.push(format!("{name} (unmerged)"));
            continue;
        }
        let staged = index.get_path(&path, 0).map(|e| Entry {
            id: e.id,
            mode: e.mode as i32,
        });
        if staged != change.old {
            found.push(format!("{name} (staged changes)"));
            continue;
        }
        let on_disk = worktree.path.join(&path);
        match change.old {
            Some(old) => {
                if let Some(why) = differs(&on_disk, old, filemode) {
                    found.push(format!("{name} ({why})"));
                }
            }
            None => match fs::symlink_metadata(&on_disk) {
                Ok(meta) if meta.is_dir() && change.old_dir => {
                    if !only_removed(&worktree.path, &on_disk, &removed) {
                        found.push(format!(
                            "{name} (untracked files in the directory it replaces)"
                        ));
                    }
                }
                Ok(_) => found.push(format!(
                    "{name} (an untracked or ignored file is in the way)"
                )),
                Err(_) => {}
            },
        }
        if change.old.is_none() && change.new.is_some() {
            // Every parent directory on disk must be a directory, or a tracked file this
            // update removes.
            let mut end = 0;
            while let Some(i) = change.path[end..].iter().position(|&b| b == b'/') {
                let prefix = &change.path[..end + i];
                end += i + 1;
                match fs::symlink_metadata(worktree.path.join(bytes_to_path(prefix))) {
                    Ok(meta) if meta.is_dir() => continue,
                    Ok(_) if removed.contains(prefix) => break,
                    Ok(_) => {
                        found.push(format!("{name} ({} is a file there)", display_path(prefix)));
                        break;
                    }
                    Err(_) => break,
                }
            }
        }
    }
    Ok(found)
}

/// Why the file at `path` does not hold `entry`, if it does not.
fn differs(path: &Path, entry: Entry, filemode: bool) -> Option<&'static str> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Some("deleted in the worktree");
    };
    match entry.mode {
        0o120000 => {
            if !meta.file_type().is_symlink() {
                return Some("no longer a symlink");
            }
            let target = fs::read_link(path).ok()?;
            let id = Oid::hash_object(ObjectType::Blob, path_bytes(&target).as_slice()).ok()?;
            (id != entry.id).then_some("modified")
        }
        0o160000 => None,
        mode => {
            if !meta.is_file() {
                return Some("no longer a regular file");
            }
            if filemode && is_executable(&meta) != (mode == 0o100755) {
                return Some("mode changed");
            }
            match Oid::hash_file(ObjectType::Blob, path) {
                Ok(id) if id == entry.id => None,
                _ => Some("modified"),
            }
        }
    }
}

/// Whether every file under `dir` on disk is a tracked file the update removes.
fn only_removed(root: &Path, dir: &Path, removed: &HashSet<&[u8]>) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().all(|entry| {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            return only_removed(root, &path, removed);
        }
        path.strip_prefix(root)
            .map(|rel| removed.contains(path_bytes(rel).as_slice()))
            .unwrap_or(false)
    })
}

/// Writes `changes` to the worktree and its index: removals first (so that a file can replace
/// a directory and the other way round), then the new and changed files.
pub(crate) fn apply(worktree: &CheckedOut, changes: &[Change]) -> Result<(), String> {
    let repo = &worktree.repo;
    let mut index = repo
        .index()
        .map_err(|e| format!("cannot read the index: {}", e.message()))?;
    for change in changes.iter().filter(|c| c.new.is_none()) {
        let path = bytes_to_path(&change.path);
        let full = worktree.path.join(&path);
        match fs::remove_file(&full) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", full.display())),
        }
        remove_empty_parents(&worktree.path, &full);
        index.remove_path(&path).map_err(|e| {
            format!(
                "cannot update the index for {}: {}",
                path.display(),
                e.message()
            )
        })?;
    }
    for change in changes {
        let Some(entry) = change.new else {
            continue;
        };
        let path = bytes_to_path(&change.path);
        let full = worktree.path.join(&path);
        write_entry(repo, &full, entry)?;
        let meta = fs::symlink_metadata(&full)
            .map_err(|e| format!("cannot read {} back: {e}", full.display()))?;
        index
            .add(&index_entry(&change.path, entry, &meta))
            .map_err(|e| {
                format!(
                    "cannot update the index for {}: {}",
                    path.display(),
                    e.message()
                )
            })?;
    }
    index
        .write()
        .map_err(|e| format!("cannot write the index: {}", e.message()))
}

fn write_entry(repo: &Repository, full: &Path, entry: Entry) -> Result<(), String> {
    if let Ok(meta) = fs::symlink_metadata(full)
        && meta.is_dir()
        && entry.mode != 0o160000
    {
        // A directory becoming a file: its tracked files were removed above, and the check
        // made sure nothing else was in it.
        fs::remove_dir_all(full).map_err(|e| format!("cannot remove {}: {e}", full.display()))?;
    }
    if let Some(parent) = full.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    if entry.mode == 0o160000 {
        return fs::create_dir_all(full)
            .map_err(|e| format!("cannot create {}: {e}", full.display()));
    }
    let blob = repo
        .find_blob(entry.id)
        .map_err(|e| format!("cannot read blob {}: {}", entry.id, e.message()))?;
    if entry.mode == 0o120000 {
        match fs::remove_file(full) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot replace {}: {e}", full.display())),
        }
        return make_symlink(blob.content(), full);
    }
    // Write beside the file and rename over it, so the file is never seen half-written.
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = full.with_file_name(format!(".{name}.orch-{}.tmp", std::process::id()));
    let written = create_file(&temp, entry.mode == 0o100755)
        .and_then(|mut file| {
            file.write_all(blob.content())
                .and_then(|()| file.sync_all())
        })
        .and_then(|()| fs::rename(&temp, full));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", full.display()));
    }
    Ok(())
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(unix)]
fn create_file(path: &Path, executable: bool) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o777 } else { 0o666 })
        .open(path)
}

#[cfg(not(unix))]
fn create_file(path: &Path, _executable: bool) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn make_symlink(target: &[u8], at: &Path) -> Result<(), String> {
    std::os::unix::fs::symlink(bytes_to_path(target), at)
        .map_err(|e| format!("cannot create the symlink {}: {e}", at.display()))
}

#[cfg(not(unix))]
fn make_symlink(target: &[u8], at: &Path) -> Result<(), String> {
    fs::write(at, target).map_err(|e| format!("cannot write {}: {e}", at.display()))
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

/// An index entry for a file just written, with its stat data, so that `git status` sees it
/// clean without hashing it again. The index keeps 32-bit stat fields, truncated as git
/// truncates them.
fn index_entry(path: &[u8], entry: Entry, meta: &fs::Metadata) -> IndexEntry {
    #[cfg(unix)]
    let (ctime, mtime, dev, ino, uid, gid) = {
        use std::os::unix::fs::MetadataExt as _;
        let time = |s: i64, ns: i64| IndexTime::new(s as i32, ns as u32);
        (
            time(meta.ctime(), meta.ctime_nsec()),
            time(meta.mtime(), meta.mtime_nsec()),
            meta.dev() as u32,
            meta.ino() as u32,
            meta.uid(),
            meta.gid(),
        )
    };
    #[cfg(not(unix))]
    let (ctime, mtime, dev, ino, uid, gid) =
        (IndexTime::new(0, 0), IndexTime::new(0, 0), 0, 0, 0, 0);
    IndexEntry {
        ctime,
        mtime,
        dev,
        ino,
        mode: entry.mode as u32,
        uid,
        gid,
        file_size: meta.len() as u32,
        id: entry.id,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: path.to_vec(),
    }
}
