//! The dehydrated three-way merge: only the paths one side changed are looked at, so the cost
//! follows the change, not the size of the repository.
//!
//! A cherry-pick of commit C (parent P) onto tree O is the merge of O and C with P as the
//! ancestor. A path that C does not change merges to O's version, so only the paths in the
//! diff P→C are visited: for each, the ancestor's, ours (O) and theirs (C) entries decide the
//! result, a content merge runs when both sides changed a regular file, and the new tree is
//! built from O by updating only those paths.
//!
//! Renames are not followed: a file renamed on one side and changed on the other is reported as
//! a conflict, never merged into the wrong place.

use git2::{IndexEntry, IndexTime, Oid, Repository, Tree};

use crate::repo::{Entry, Slot, display_path, is_regular, slot};
use crate::report::{ConflictKind, PathConflict};
use crate::tree::write_tree;

/// The result of merging the changed paths.
pub(crate) struct Merged {
    /// The merged tree; conflicting paths hold the incoming side's version where it fits.
    pub tree: Oid,
    /// The conflicting paths.
    pub conflicts: Vec<PathConflict>,
}

/// Merges `theirs` into `ours` with `ancestor` as the base, visiting only `paths` (the paths
/// that differ between `ancestor` and `theirs`).
pub(crate) fn merge_paths(
    repo: &Repository,
    ancestor: &Tree<'_>,
    ours: &Tree<'_>,
    theirs: &Tree<'_>,
    paths: &[Vec<u8>],
) -> Result<Merged, git2::Error> {
    let mut conflicts = Vec::new();
    let mut removes: Vec<&[u8]> = Vec::new();
    let mut upserts: Vec<(&[u8], Entry)> = Vec::new();
    // Directories of ours that an upsert replaces with a file; allowed only if the same merge
    // removes everything in them.
    let mut replaced_dirs: Vec<&[u8]> = Vec::new();
    for path in paths {
        let a = slot(ancestor, path)?.file();
        let t = slot(theirs, path)?.file();
        if a == t {
            continue;
        }
        let o_slot = slot(ours, path)?;
        let o = o_slot.file();
        let result = if o == a {
            Ok(t)
        } else if o == t {
            continue;
        } else {
            merge_entries(repo, path, a, o, t)?
        };
        let target = match result {
            Ok(target) => target,
            Err(kind) => {
                conflicts.push(PathConflict {
                    path: display_path(path),
                    kind,
                });
                t
            }
        };
        if target == o {
            continue;
        }
        match target {
            None => removes.push(path),
            Some(entry) => {
                if o_slot == Slot::Dir {
                    replaced_dirs.push(path);
                } else if o.is_none()
                    && let Some(blocker) = file_above(ours, path)?
                    && !removes.contains(&blocker.as_slice())
                {
                    // A new path below something that stays a file on our side. Paths are
                    // sorted, so a removal of that file would already be in `removes`.
                    conflicts.push(PathConflict {
                        path: display_path(path),
                        kind: ConflictKind::FileInTheWay,
                    });
                    continue;
                }
                upserts.push((path, entry));
            }
        }
    }
    // A file replacing one of our directories: everything in it must be removed by the merge.
    for dir in replaced_dirs {
        if !all_removed(repo, ours, dir, &removes)? {
            conflicts.push(PathConflict {
                path: display_path(dir),
                kind: ConflictKind::DirectoryInTheWay,
            });
            upserts.retain(|(p, _)| *p != dir);
        }
    }
    if removes.is_empty() && upserts.is_empty() {
        return Ok(Merged {
            tree: ours.id(),
            conflicts,
        });
    }
    let mut updates: Vec<(&[u8], Option<Entry>)> = removes
        .iter()
        .map(|p| (*p, None))
        .chain(upserts.iter().map(|(p, e)| (*p, Some(*e))))
        .collect();
    let tree = write_tree(repo, ours, &mut updates)?;
    Ok(Merged { tree, conflicts })
}

/// Merges a path both sides changed: `Ok(result)` (`None` deletes the path) or the conflict.
#[allow(clippy::type_complexity)]
fn merge_entries(
    repo: &Repository,
    path: &[u8],
    a: Option<Entry>,
    o: Option<Entry>,
    t: Option<Entry>,
) -> Result<Result<Option<Entry>, ConflictKind>, git2::Error> {
    let (a, o, t) = match (a, o, t) {
        (None, Some(_), Some(_)) => return Ok(Err(ConflictKind::AddAdd)),
        (Some(_), None, Some(_)) => return Ok(Err(ConflictKind::DeletedByUs)),
        (Some(_), Some(_), None) => return Ok(Err(ConflictKind::DeletedByThem)),
        (Some(a), Some(o), Some(t)) => (a, o, t),
        // Every other combination has two equal sides and was decided by the caller.
        _ => return Ok(Ok(t)),
    };
    let mode = if o.mode == a.mode {
        t.mode
    } else if t.mode == a.mode || o.mode == t.mode {
        o.mode
    } else {
        return Ok(Err(ConflictKind::Mode));
    };
    let id = if o.id == a.id {
        t.id
    } else if t.id == a.id || o.id == t.id {
        o.id
    } else if is_regular(a.mode) && is_regular(o.mode) && is_regular(t.mode) {
        let entry = |e: Entry| index_entry(path, e);
        let merged = repo.merge_file_from_index(&entry(a), &entry(o), &entry(t), None)?;
        if !merged.is_automergeable() {
            return Ok(Err(ConflictKind::Content));
        }
        repo.blob(merged.content())?
    } else {
        return Ok(Err(ConflictKind::Content));
    };
    Ok(Ok(Some(Entry { id, mode })))
}

fn index_entry(path: &[u8], entry: Entry) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: entry.mode as u32,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: entry.id,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: path.to_vec(),
    }
}

/// The closest proper prefix of `path` that is a file in `tree`, if any.
fn file_above(tree: &Tree<'_>, path: &[u8]) -> Result<Option<Vec<u8>>, git2::Error> {
    let mut end = 0;
    while let Some(i) = path[end..].iter().position(|&b| b == b'/') {
        let prefix = &path[..end + i];
        match slot(tree, prefix)? {
            Slot::File(_) => return Ok(Some(prefix.to_vec())),
            Slot::Absent => return Ok(None),
            Slot::Dir => end += i + 1,
        }
    }
    Ok(None)
}

/// Whether every file below `dir` in `tree` is in `removes`.
fn all_removed(
    repo: &Repository,
    tree: &Tree<'_>,
    dir: &[u8],
    removes: &[&[u8]],
) -> Result<bool, git2::Error> {
    let sub = match tree.get_path(&crate::repo::bytes_to_path(dir)) {
        Ok(entry) => repo.find_tree(entry.id())?,
        Err(_) => return Ok(true),
    };
    let mut all = true;
    let walked = sub.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() != Some(git2::ObjectType::Tree) {
            let mut full = dir.to_vec();
            full.push(b'/');
            full.extend_from_slice(root.as_bytes());
            full.extend_from_slice(entry.name_bytes());
            if !removes.contains(&full.as_slice()) {
                all = false;
                return git2::TreeWalkResult::Abort;
            }
        }
        git2::TreeWalkResult::Ok
    });
    // Aborting the walk reports an error; only a walk that was not aborted can fail for real.
    if all {
        walked?;
    }
    Ok(all)
}
