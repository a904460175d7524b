//! Atomic, lock-protected updates of one file: the protocol of DESIGN.md.
//!
//! 1. Take `<file>.lock` (see [`crate::lock`]).
//! 2. Read the bytes, let the caller compute the new bytes from them.
//! 3. Write a temp file in the same directory and fsync it; re-check that the file still holds
//!    the bytes the edit was computed from (a hand edit saved meanwhile re-runs step 2, a bounded
//!    number of times); rename the temp file over the file; fsync the directory.
//!
//! The caller appends its journal entry while it still holds the returned [`Committed`] value,
//! then drops it to release the lock. Temp files left by a crash are removed under the lock and
//! never read.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::lock::{self, FileLock, Holder, LockError};

/// How many times a hand edit saved between read and rename makes the update start again.
const MAX_ATTEMPTS: usize = 8;

/// What the caller's edit decided.
#[derive(Debug)]
pub enum Change<T> {
    /// Replace the file with these bytes.
    Write(Vec<u8>, T),
    /// Leave the file as it is.
    Keep(T),
}

/// A finished update. The lock is held until this value is dropped.
#[derive(Debug)]
pub struct Committed<T> {
    /// What the edit returned.
    pub outcome: T,
    /// Whether the file was replaced.
    pub written: bool,
    /// The holder of a stale lock that was broken on the way, for the journal.
    pub broken_lock: Option<Holder>,
    /// The bytes the edit was computed from (`None` if the file did not exist).
    pub before: Option<Vec<u8>>,
    _lock: FileLock,
}

impl<T> Committed<T> {
    /// Releases the lock and returns what the edit returned.
    pub fn outcome_and_release(self) -> T {
        self.outcome
    }
}

/// Why an update did not happen. The file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError<E> {
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The edit refused.
    #[error(transparent)]
    Edit(E),
    /// The file is read-only.
    #[error("{} is read-only, so it was not changed; make it writable (chmod u+w) to update it", .0.display())]
    ReadOnly(PathBuf),
    /// The file kept changing under the update (hand edits); retrying is safe.
    #[error("{} kept changing while it was being updated ({MAX_ATTEMPTS} attempts); nothing was written, and retrying is safe", .0.display())]
    Contended(PathBuf),
    /// Reading or writing failed.
    #[error("cannot update {}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// Updates `path` atomically under its lock. `edit` gets the current bytes (`None` when the file
/// does not exist) and may be called more than once if the file changes under it.
pub fn update_file<T, E>(
    path: &Path,
    lock_timeout: Duration,
    command: &str,
    mut edit: impl FnMut(Option<&[u8]>) -> Result<Change<T>, E>,
) -> Result<Committed<T>, UpdateError<E>> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| UpdateError::Io { path, source }
    };
    // A plan kept elsewhere behind a symlink is updated where it lives: renaming over the link
    // would replace the link with a copy.
    let resolved;
    let path = match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            resolved = fs::canonicalize(path).map_err(io(path))?;
            resolved.as_path()
        }
        _ => path,
    };
    let acquired = lock::acquire(path, lock_timeout, command)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    remove_leftover_temps(&dir, path);
    for _ in 0..MAX_ATTEMPTS {
        let before = read_optional(path).map_err(io(path))?;
        let change = edit(before.as_deref()).map_err(UpdateError::Edit)?;
        let (bytes, outcome) = match change {
            Change::Keep(outcome) => {
                return Ok(Committed {
                    outcome,
                    written: false,
                    broken_lock: acquired.broken,
                    before,
                    _lock: acquired.lock,
                });
            }
            Change::Write(bytes, outcome) => (bytes, outcome),
        };
        let metadata = match fs::metadata(path) {
            Ok(metadata) => Some(metadata),
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => {
                return Err(UpdateError::Io {
                    path: path.to_owned(),
                    source: error,
                });
            }
        };
        if metadata
            .as_ref()
            .is_some_and(|m| m.permissions().readonly())
        {
            return Err(UpdateError::ReadOnly(path.to_owned()));
        }
        let prefix = temp_prefix(path);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // A file created here gets the mode an editor would give it (0666 less the umask), not
        // the temp file's private 0600; an existing file keeps its own (set below).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let mut temp = builder.tempfile_in(&dir).map_err(io(path))?;
        temp.write_all(&bytes).map_err(io(path))?;
        if let Some(metadata) = &metadata {
            temp.as_file()
                .set_permissions(metadata.permissions())
                .map_err(io(path))?;
        }
        temp.as_file().sync_all().map_err(io(path))?;
        // A hand edit saved since the read: compute the edit again from the new bytes.
        if read_optional(path).map_err(io(path))? != before {
            continue;
        }
        temp.persist(path).map_err(|e| UpdateError::Io {
            path: path.to_owned(),
            source: e.error,
        })?;
        sync_dir(&dir);
        return Ok(Committed {
            outcome,
            written: true,
            broken_lock: acquired.broken,
            before,
            _lock: acquired.lock,
        });
    }
    Err(UpdateError::Contended(path.to_owned()))
}

fn read_optional(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Temp files are `.<name>.orch-<random>.tmp` beside the file: hidden, and never a plan name.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}.orch-")
}

/// Removes temp files a crashed update left behind. Only called under the lock, when no other
/// update of this file can be writing one.
fn remove_leftover_temps(dir: &Path, path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a rename durable. Best effort: not every file system can sync a directory.
pub fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}
