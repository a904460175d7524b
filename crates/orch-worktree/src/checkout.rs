//! Filling a new worktree: a parallel checkout for plain trees, libgit2's checkout otherwise.
//!
//! libgit2 checks out one file at a time and asks the attribute machinery about every path;
//! on a 20,000-file tree `git_worktree_add` took 1.6 to 2 times as long as `git worktree add`
//! (and git2 offers no way to pass it checkout options). A new worktree is
//! the simplest checkout there is (an empty directory, no index, nothing to merge), so when no
//! attribute, filter, line-ending conversion or submodule can change what a file becomes, the
//! blobs are written by several threads at once and the index is built from the tree with the
//! stat data of the written files. Anything unusual goes to libgit2, which handles it all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use git2::{
    FileMode, IndexEntry, IndexTime, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult,
};

use crate::error::{Error, Result};

/// How many files a checkout thread writes before it hands their index entries over.
const RUN: usize = 256;

/// How the worktree was filled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// The parallel checkout, with this many threads.
    Parallel(usize),
    /// libgit2's checkout, for this reason.
    Libgit2(String),
}

/// One file of the tree to write.
struct Blob {
    path: Vec<u8>,
    id: Oid,
    mode: i32,
}

/// Checks out `tree` into the empty worktree of `worktree` and writes its index. `common_dir`
/// is the repository's git dir, opened by each thread; `extra_attributes` are attribute files
/// outside the repository (global and system) that git would read.
pub fn checkout(
    worktree: &Repository,
    common_dir: &Path,
    tree: &git2::Tree<'_>,
    threads: usize,
    extra_attributes: &[PathBuf],
) -> Result<Method> {
    let workdir = worktree
        .workdir()
        .ok_or_else(|| Error::NoRepository(common_dir.to_owned()))?
        .to_owned();
    let reason = match plain_tree(worktree, common_dir, tree, extra_attributes)? {
        Ok((dirs, blobs)) if cfg!(unix) => {
            let threads = threads.clamp(1, 16);
            parallel(worktree, common_dir, &workdir, &dirs, blobs, threads)?;
            return Ok(Method::Parallel(threads));
        }
        Ok(_) => "this platform".to_owned(),
        Err(reason) => reason,
    };
    let mut options = git2::build::CheckoutBuilder::new();
    options.safe().recreate_missing(true);
    worktree
        .checkout_tree(tree.as_object(), Some(&mut options))
        .map_err(Error::git(format!(
            "cannot check out {}",
            workdir.display()
        )))?;
    Ok(Method::Libgit2(reason))
}

/// The directories and files of `tree` when nothing can change how they are written, else why
/// not.
#[allow(clippy::type_complexity)]
fn plain_tree(
    worktree: &Repository,
    common_dir: &Path,
    tree: &git2::Tree<'_>,
    extra_attributes: &[PathBuf],
) -> Result<std::result::Result<(Vec<Vec<u8>>, Vec<Blob>), String>> {
    let config = worktree
        .config()
        .map_err(Error::git("cannot read the repository's config"))?;
    let text = |key: &str| config.get_string(key).ok().map(|v| v.to_ascii_lowercase());
    let flag = |key: &str, default: bool| config.get_bool(key).unwrap_or(default);
    if text("core.autocrlf")
        .is_some_and(|v| !matches!(v.as_str(), "false" | "input" | "no" | "off" | "0"))
    {
        return Ok(Err("core.autocrlf converts line endings".to_owned()));
    }
    if text("core.eol").is_some_and(|v| v == "crlf") {
        return Ok(Err("core.eol is crlf".to_owned()));
    }
    if !flag("core.symlinks", true)
        || !flag("core.filemode", true)
        || flag("core.ignorecase", false)
    {
        return Ok(Err(
            "core.symlinks, core.filemode or core.ignorecase is set".to_owned(),
        ));
    }
    if config.get_path("core.attributesfile").is_ok() {
        return Ok(Err("core.attributesFile is set".to_owned()));
    }
    let info = common_dir.join("info").join("attributes");
    if let Some(file) = std::iter::once(&info)
        .chain(extra_attributes)
        .find(|f| f.exists())
    {
        return Ok(Err(format!("{} may set attributes", file.display())));
    }
    let mut dirs = Vec::new();
    let mut blobs = Vec::new();
    let mut why = None;
    let walked = tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        let name = entry.name_bytes();
        if !plain_name(name) {
            why = Some(format!(
                "the tree has the path {:?}",
                String::from_utf8_lossy(name)
            ));
            return TreeWalkResult::Abort;
        }
        if name == b".gitattributes" || name == b".gitmodules" {
            why = Some("the tree has a .gitattributes or .gitmodules file".to_owned());
            return TreeWalkResult::Abort;
        }
        let mut path = parent.as_bytes().to_vec();
        path.extend_from_slice(name);
        let mode = entry.filemode();
        match entry.kind() {
            Some(ObjectType::Tree) => dirs.push(path),
            Some(ObjectType::Blob)
                if mode == i32::from(FileMode::Blob)
                    || mode == i32::from(FileMode::BlobExecutable)
                    || mode == i32::from(FileMode::Link) =>
            {
                blobs.push(Blob {
                    path,
                    id: entry.id(),
                    mode,
                })
            }
            _ => {
                why = Some("the tree has a submodule or an unusual entry".to_owned());
                return TreeWalkResult::Abort;
            }
        }
        TreeWalkResult::Ok
    });
    Ok(match (why, walked) {
        (Some(why), _) => Err(why),
        // git2 stops the walk at a directory name that is not UTF-8; libgit2 copes with it.
        (None, Err(e)) => Err(format!("the tree walk stopped: {}", e.message())),
        (None, Ok(())) => Ok((dirs, blobs)),
    })
}

/// A name git writes as it is on every platform: no separators, no `.`/`..`, nothing git
/// treats specially (`.git` in any case or NTFS spelling), no control characters.
fn plain_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.eq_ignore_ascii_case(b".git")
        && !name.eq_ignore_ascii_case(b"git~1")
        && !name.ends_with(b".")
        && !name.ends_with(b" ")
        && !name
            .iter()
            .any(|&b| b < 0x20 || b == 0x7f || matches!(b, b'/' | b'\\' | b':'))
}

#[cfg(unix)]
fn parallel(
    worktree: &Repository,
    common_dir: &Path,
    workdir: &Path,
    dirs: &[Vec<u8>],
    blobs: Vec<Blob>,
    threads: usize,
) -> Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let full = |relative: &[u8]| workdir.join(std::ffi::OsStr::from_bytes(relative));
    // Parents come before children in a pre-order walk.
    for dir in dirs {
        let path = full(dir);
        std::fs::create_dir(&path).map_err(Error::io("cannot create the directory", &path))?;
    }
    // Workers take runs of files in tree order (so each stays within a few directories) and
    // hand their index entries to this thread, which adds them in order while the others are
    // still writing.
    let runs: Vec<&[Blob]> = blobs.chunks(RUN).collect();
    let next = AtomicUsize::new(0);
    let mut index = worktree
        .index()
        .map_err(Error::git("cannot open the new worktree's index"))?;
    let mut failure: Option<Error> = None;
    let mut added = 0;
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::channel::<Result<(usize, Vec<IndexEntry>)>>();
        for _ in 0..threads.min(runs.len()) {
            let send = send.clone();
            let (runs, next) = (&runs, &next);
            scope.spawn(move || {
                let repo = match Repository::open_bare(common_dir) {
                    Ok(repo) => repo,
                    Err(source) => {
                        let what =
                            format!("cannot open the repository at {}", common_dir.display());
                        let _ = send.send(Err(Error::Git { what, source }));
                        return;
                    }
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(run) = runs.get(i) else { return };
                    let result = write_blobs(&repo, workdir, run).map(|entries| (i, entries));
                    let failed = result.is_err();
                    if send.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(send);
        let mut pending = BTreeMap::new();
        for result in receive {
            let mut ready = match result {
                Ok((i, entries)) if failure.is_none() => {
                    pending.insert(i, entries);
                    pending.remove(&added)
                }
                Ok(_) => None,
                Err(error) => {
                    failure.get_or_insert(error);
                    None
                }
            };
            while let Some(run) = ready {
                for entry in &run {
                    if let Err(source) = index.add(entry) {
                        let what = "cannot add a file to the new worktree's index".to_owned();
                        failure.get_or_insert(Error::Git { what, source });
                    }
                }
                added += 1;
                ready = pending.remove(&added);
            }
            if failure.is_some() {
                // The other workers stop at their next run.
                next.store(runs.len(), Ordering::Relaxed);
            }
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    if added != runs.len() {
        return Err(Error::Bug(
            "a checkout thread stopped unexpectedly".to_owned(),
        ));
    }
    index
        .write()
        .map_err(Error::git("cannot write the new worktree's index"))
}

#[cfg(not(unix))]
fn parallel(
    _: &Repository,
    _: &Path,
    _: &Path,
    _: &[Vec<u8>],
    _: Vec<Blob>,
    _: usize,
) -> Result<()> {
    Ok(())
}

/// Writes one chunk of blobs and returns their index entries, in tree order.
#[cfg(unix)]
fn write_blobs(repo: &Repository, workdir: &Path, blobs: &[Blob]) -> Result<Vec<IndexEntry>> {
    use std::io::Write as _;
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
    let mut entries = Vec::with_capacity(blobs.len());
    for blob in blobs {
        let path = workdir.join(std::ffi::OsStr::from_bytes(&blob.path));
        let object = repo.find_blob(blob.id).map_err(Error::git(format!(
            "cannot read the blob of {}",
            String::from_utf8_lossy(&blob.path)
        )))?;
        let content = object.content();
        let meta = if blob.mode == i32::from(FileMode::Link) {
            let target = std::ffi::OsStr::from_bytes(content);
            std::os::unix::fs::symlink(target, &path)
                .and_then(|()| std::fs::symlink_metadata(&path))
                .map_err(Error::io("cannot create the link", &path))?
        } else {
            let executable = blob.mode == i32::from(FileMode::BlobExecutable);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(if executable { 0o777 } else { 0o666 })
                .open(&path)
                .map_err(Error::io("cannot create the file", &path))?;
            file.write_all(content)
                .and_then(|()| file.metadata())
                .map_err(Error::io("cannot write the file", &path))?
        };
        // The index holds 32-bit stat fields; git truncates them the same way.
        entries.push(IndexEntry {
            ctime: IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
            mtime: IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            mode: blob.mode as u32,
            uid: meta.uid(),
            gid: meta.gid(),
            file_size: meta.len() as u32,
            id: blob.id,
            flags: 0,
            flags_extended: 0,
            path: blob.path.clone(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        for ok in [
            &b"src"[..],
            b"main.rs",
            b".gitignore",
            b"a b",
            b"caf\xc3\xa9",
        ] {
            assert!(plain_name(ok), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &b""[..],
            b".",
            b"..",
            b".git",
            b".GIT",
            b"GIT~1",
            b"x.",
            b"x ",
            b"a\\b",
            b"a:b",
            b"a\nb",
        ] {
            assert!(!plain_name(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
