//! The lock beside a file: `<file>.lock`, taken create-exclusive as git takes its locks.
//!
//! The lock is created with its content in one step (a temp file hard-linked to the lock name),
//! so a crash never leaves an empty lock behind. It names its holder (pid, host, time, command).
//! A lock whose holder pid is dead on this host is stale and is broken; breaking is serialised
//! through an OS advisory lock on the lock's directory and re-checks the lock's bytes, so two
//! processes can never both break a lock and then both hold it. An empty or unreadable lock is
//! treated as held until it is clearly old.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use orch_core::Timestamp;

/// How old an empty or unreadable lock must be before it is broken.
const UNREADABLE_LOCK_MAX_AGE: Duration = Duration::from_secs(60);

/// Who holds a lock, as read from the lock file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holder {
    /// The holder's process id.
    pub pid: Option<u32>,
    /// The holder's host name.
    pub host: Option<String>,
    /// When the lock was taken (RFC 3339).
    pub time: Option<String>,
    /// What the holder was doing.
    pub command: Option<String>,
}

impl Holder {
    /// Reads the holder from a lock file's text: `pid: 123` style lines, or a bare pid.
    pub fn parse(text: &str) -> Holder {
        let mut holder = Holder::default();
        let trimmed = text.trim();
        if let Ok(pid) = trimmed.parse() {
            holder.pid = Some(pid);
            return holder;
        }
        for line in text.lines() {
            let Some((key, value)) = line.split_once([':', '=']) else {
                continue;
            };
            let value = value.trim().trim_matches(['"', ',']).trim();
            match key.trim().trim_matches('"').to_ascii_lowercase().as_str() {
                "pid" => holder.pid = value.parse().ok(),
                "host" | "hostname" => holder.host = Some(value.to_owned()),
                "time" | "since" => holder.time = Some(value.to_owned()),
                "command" => holder.command = Some(value.to_owned()),
                _ => {}
            }
        }
        holder
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}")?,
            None => write!(f, "an unknown process")?,
        }
        if let Some(host) = &self.host {
            write!(f, " on {host}")?;
        }
        if let Some(time) = &self.time {
            write!(f, " since {time}")?;
        }
        if let Some(command) = &self.command {
            write!(f, " ({command})")?;
        }
        Ok(())
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process held the lock for the whole timeout.
    #[error("{} is locked by {holder}; waited {waited:.1?}. This is safe to retry; raise --lock-timeout to wait longer, or, if that process is gone, remove {}", target.display(), lock.display())]
    Timeout {
        /// The file the lock protects.
        target: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Who holds it.
        holder: Box<Holder>,
        /// How long this process waited.
        waited: Duration,
    },
    /// The lock file could not be created or inspected.
    #[error("cannot lock {}: {source}; check that its directory exists and is writable", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct FileLock {
    path: PathBuf,
}

impl FileLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A lock that was taken, and the stale lock broken on the way, if any (for the journal).
#[derive(Debug)]
pub struct Acquired {
    /// The held lock.
    pub lock: FileLock,
    /// The holder of a stale lock that was broken to take this one.
    pub broken: Option<Holder>,
}

/// The path of the lock that protects `target`.
pub fn lock_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    target.with_file_name(name)
}

/// Takes the lock of `target`, waiting with jittered backoff up to `timeout`.
pub fn acquire(target: &Path, timeout: Duration, command: &str) -> Result<Acquired, LockError> {
    let lock = lock_path(target);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| LockError::Io { path, source }
    };
    let content = format!(
        "pid: {}\nhost: {}\ntime: {}\ncommand: {}\n",
        std::process::id(),
        hostname(),
        now().rfc3339(),
        command.replace(['\n', '\r'], " ")
    );
    let start = Instant::now();
    let mut delay = Duration::from_millis(1);
    let mut broken = None;
    loop {
        if try_create(&lock, &content).map_err(io(&lock))? {
            remove_dead_temps(&lock);
            return Ok(Acquired {
                lock: FileLock { path: lock },
                broken,
            });
        }
        let (text, age) = match read_lock(&lock) {
            Ok(Some(found)) => found,
            // Released between our attempt and the read: try again at once.
            Ok(None) => continue,
            Err(error) => {
                return Err(LockError::Io {
                    path: lock,
                    source: error,
                });
            }
        };
        let holder = Holder::parse(&text);
        if is_stale(&holder, age)
            && let Some(stale) = break_stale(&lock, &text).map_err(io(&lock))?
        {
            broken = Some(stale);
            continue;
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(LockError::Timeout {
                target: target.to_owned(),
                lock,
                holder: Box::new(holder),
                waited,
            });
        }
        let jittered = delay.mul_f64(0.5 + random_unit());
        std::thread::sleep(jittered.min(timeout.saturating_sub(waited)));
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}

/// The lock's temp files are `.<lock name>.<pid>.<random>.tmp`, so that the temp files of a
/// process killed before it could link or remove them can be told apart from live ones.
fn temp_prefix(lock: &Path) -> String {
    let name = lock
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}.{}.", std::process::id())
}

/// Removes lock temp files whose process is dead (killed between writing and linking them).
/// Called while holding the lock; temp files of live processes are left alone.
fn remove_dead_temps(lock: &Path) {
    let name = lock
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let dir = lock
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        if !rest.ends_with(".tmp") {
            continue;
        }
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !process_alive(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Creates the lock with its content in one step. Returns false if it already exists.
fn try_create(lock: &Path, content: &str) -> std::io::Result<bool> {
    let dir = lock
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(lock))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(content.as_bytes())?;
    match fs::hard_link(temp.path(), lock) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
        // File systems without hard links: create-exclusive, then write (not atomic, but a
        // short or empty lock is treated as held until it is clearly old).
        Err(_) => match OpenOptions::new().write(true).create_new(true).open(lock) {
            Ok(mut file) => {
                file.write_all(content.as_bytes())?;
                Ok(true)
            }
            Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(error),
        },
    }
}

/// Reads a lock's text and age; `None` if it is gone.
fn read_lock(lock: &Path) -> std::io::Result<Option<(String, Duration)>> {
    let bytes = match fs::read(lock) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let age = fs::metadata(lock)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| SystemTime::now().duration_since(modified).ok())
        .unwrap_or_default();
    Ok(Some((String::from_utf8_lossy(&bytes).into_owned(), age)))
}

fn is_stale(holder: &Holder, age: Duration) -> bool {
    match holder.pid {
        // A lock without a host is taken to be from this host.
        Some(pid) => holder.host.as_deref().is_none_or(|h| h == hostname()) && !process_alive(pid),
        // An empty or unreadable lock is held until it is clearly old.
        None => age > UNREADABLE_LOCK_MAX_AGE,
    }
}

/// Removes the lock if it still holds `seen`, under the break mutex. Returns the broken holder.
fn break_stale(lock: &Path, seen: &str) -> std::io::Result<Option<Holder>> {
    // The mutex is an advisory lock on the lock's directory: the kernel releases it if this
    // process dies, and it leaves no file behind in the user's worktree.
    let dir = lock
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mutex = fs::File::open(dir)?;
    mutex.lock()?;
    let outcome = match fs::read(lock) {
        Ok(bytes) if String::from_utf8_lossy(&bytes) == seen => match fs::remove_file(lock) {
            Ok(()) => Some(Holder::parse(seen)),
            Err(error) if error.kind() == ErrorKind::NotFound => None,
            Err(error) => {
                let _ = mutex.unlock();
                return Err(error);
            }
        },
        Ok(_) => None,
        Err(error) if error.kind() == ErrorKind::NotFound => None,
        Err(error) => {
            let _ = mutex.unlock();
            return Err(error);
        }
    };
    mutex.unlock()?;
    Ok(outcome)
}

/// Whether a process with this pid runs on this host (zombies count as dead).
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let stat = Path::new("/proc").join(pid.to_string()).join("stat");
    match fs::read_to_string(&stat) {
        // The state is the first field after the parenthesised command name.
        Ok(text) => !matches!(
            text.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().chars().next()),
            Some(Some('Z' | 'X'))
        ),
        Err(_) if Path::new("/proc/self").exists() => false,
        // No procfs: ask kill(1) whether the pid can be signalled.
        Err(_) => std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
    }
}

/// This host's name, as lock files record it.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The current time.
pub fn now() -> Timestamp {
    Timestamp(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// A number in [0, 1) that differs between processes and calls, for jitter.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}
