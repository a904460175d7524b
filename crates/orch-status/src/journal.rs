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

/// Why the journal could not be read. Reading changes nothing, so unlike [`JournalError`] this
/// says nothing about a change having been made.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot read the journal {}: {source}; make it a readable file (or move it aside: orch starts a new journal when it writes the next change)",
    path.display()
)]
pub struct JournalReadError {
    /// The journal file.
    pub path: PathBuf,
    /// What the OS said.
    #[source]
    pub source: std::io::Error,
}

/// One journal line that reads as an entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Its line number in the journal file, from 1.
    pub number: usize,
    /// The entry.
    pub entry: Entry,
}

/// What the journal holds: its entries with their line numbers, and the lines that are not
/// entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contents {
    /// The entries, in file order.
    pub lines: Vec<Line>,
    /// The line numbers (from 1) of the non-blank lines that are not journal entries: a line
    /// torn by a crash, text that is not JSON, JSON that is not an object, an object without a
    /// required field.
    pub skipped: Vec<usize>,
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
    pub fn read(&self) -> Result<(Vec<Entry>, usize), JournalReadError> {
        let contents = self.read_lines()?;
        let skipped = contents.skipped.len();
        Ok((
            contents.lines.into_iter().map(|l| l.entry).collect(),
            skipped,
        ))
    }

    /// Reads every entry with its line number, oldest first, and the numbers of the lines that
    /// are not entries. A missing journal is an empty one.
    pub fn read_lines(&self) -> Result<Contents, JournalReadError> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(parse_lines(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Contents::default()),
            Err(source) => Err(JournalReadError {
                path: self.path.clone(),
                source,
            }),
        }
    }
}

/// Reads the text of a journal. Blank lines are neither entries nor skipped; a line is an entry
/// only when it is one JSON object with the fields an [`Entry`] requires.
pub fn parse_lines(text: &str) -> Contents {
    let mut contents = Contents::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        // A JSON array would otherwise fill the fields in order.
        let entry = trimmed
            .starts_with('{')
            .then(|| serde_json::from_str::<Entry>(trimmed).ok())
            .flatten();
        match entry {
            Some(entry) => contents.lines.push(Line { number, entry }),
            None => contents.skipped.push(number),
        }
    }
    contents
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

    #[test]
    fn numbers_the_entries_and_the_lines_that_are_not_entries() {
        let good = r#"{"time":"2026-11-21T12:00:00Z","event":"status","actor":"a"}"#;
        let text = format!(
            "{good}\n\ngarbage\n\0\0\0\n[1,2]\n[\"2026-11-21T12:00:00Z\",\"status\",\"a\"]\n{{\"time\":\"x\",\"event\":\"status\"}}\r\n{good}\r\n"
        );
        let contents = parse_lines(&text);
        let numbers: Vec<usize> = contents.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 8]);
        assert_eq!(contents.skipped, [3, 4, 5, 6, 7]);
    }

    #[test]
    fn a_journal_that_cannot_be_read_says_so_without_claiming_a_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Journal::new(dir.path());
        fs::create_dir_all(journal.path()).expect("a directory where the journal goes");
        let message = journal.read_lines().expect_err("a directory").to_string();
        assert!(
            message.starts_with(&format!(
                "cannot read the journal {}: ",
                journal.path().display()
            )),
            "{message}"
        );
        assert!(!message.contains("the change itself was made"), "{message}");
        assert!(!message.ends_with('.'), "{message}");
        let missing = Journal::new(&dir.path().join("nowhere"));
        assert_eq!(
            missing.read_lines().expect("missing is empty"),
            Contents::default()
        );
    }
}
