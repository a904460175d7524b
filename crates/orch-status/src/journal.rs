//! The journal: `<git-common-dir>/orch/journal.jsonl`, one JSON object a line for every change
//! orch makes. It is the audit trail and the source for metrics.
//!
//! Lines are appended with one `write` on a file opened for appending, so concurrent writers
//! never interleave within a line; a line torn by a crash is skipped when reading.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One journal line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When it happened (RFC 3339, UTC).
    pub time: String,
    /// What happened: `status`, `claim`, `block`, `message`, `ack`, `resolve`, `lock_broken` …
    pub event: String,
    /// Who did it: the agent id, or the user.
    pub actor: String,
    /// The task concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The value before (a status, for status changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The value after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// A free-text note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The command line that made the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Anything else worth keeping (message ids, lock holders, …).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// Why the journal could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal {}: {source}; the change itself was made", path.display())]
pub struct JournalError {
    /// The journal file.
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: std::io::Error,
}

/// The journal file of a state directory.
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal in `state_dir` (`<git-common-dir>/orch`).
    pub fn new(state_dir: &Path) -> Journal {
        Journal {
            path: state_dir.join("journal.jsonl"),
        }
    }

    /// The journal file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one line, and syncs it to disk.
    pub fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        let error = |source| JournalError {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_string(entry).map_err(|e| error(std::io::Error::other(e)))?;
        line.push('\n');
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir).map_err(error)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(error)?;
        file.write_all(line.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }

    /// Records that a stale lock on `file` was broken to make a change.
    pub fn lock_broken(
        &self,
        time: &str,
        actor: &str,
        command: &str,
        file: &Path,
        holder: &crate::lock::Holder,
    ) -> Result<(), JournalError> {
        self.append(&Entry {
            time: time.to_owned(),
            event: "lock_broken".to_owned(),
            actor: actor.to_owned(),
            command: Some(command.to_owned()),
            note: Some(format!("broke the stale lock of {holder}")),
            detail: serde_json::json!({
                "file": file.display().to_string(),
                "holder_pid": holder.pid,
                "holder_host": holder.host,
            }),
            ..Entry::default()
        })
    }

    /// Reads every entry, oldest first. Lines that do not parse (a line torn by a crash) are
    /// skipped and counted.
    pub fn read(&self) -> Result<(Vec<Entry>, usize), JournalError> {
        let text = match fs::read(&self.path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(source) => {
                return Err(JournalError {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let mut entries = Vec::new();
        let mut skipped = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str(line) {
                Ok(entry) => entries.push(entry),
                Err(_) => skipped += 1,
            }
        }
        Ok((entries, skipped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_reads_back_skipping_torn_lines() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::new(&dir.path().join("orch"));
        let entry = Entry {
            time: "2026-11-21T12:00:00Z".into(),
            event: "status".into(),
            actor: "builder-1".into(),
            task: Some("T2".into()),
            old: Some("Not Started".into()),
            new: Some("In Progress".into()),
            ..Entry::default()
        };
        journal.append(&entry).expect("append");
        let mut file = OpenOptions::new()
            .append(true)
            .open(journal.path())
            .expect("open");
        file.write_all(b"{\"time\": \"2026-11-21T12:0")
            .expect("torn line");
        let (entries, skipped) = journal.read().expect("read");
        assert_eq!(entries, vec![entry]);
        assert_eq!(skipped, 1);
    }
}
