//! The message log, `INTER_AGENT_MESSAGES.md`: reading it, appending messages and moving their
//! status, without changing a byte of anything else.
//!
//! The file is an intro, then messages separated by lines of `---`. Each message is a block of
//! header lines (`ID:`, `FROM:`, `TO:`, `TYPE:`, `TIMESTAMP:`, `STATUS:`, and optionally
//! `TASK:`, `PRIORITY:`, `DEADLINE:`), a blank line, and a markdown body.
//!
//! Reading rules:
//!
//! - A `---` line (trailing spaces and tabs allowed) is a separator only when the next non-blank
//!   line is a header line, another `---` line, or the end of the file. A `---` in a hand-written
//!   body followed by prose stays part of the body.
//! - Everything before the first separator is the intro, kept byte for byte.
//! - Header keys are read in any case and with spaces around the colon; values are trimmed.
//! - Bodies are quoted mboxrd-style: when a body is written, every line that is `---` preceded by
//!   any number of backslashes gets one more backslash, and reading takes one away again. So a
//!   body never holds a separator, and every body reads back exactly as it was written.
//! - A message without an `ID:` line gets the next free id the next time the tool writes the
//!   file: an `ID:` line is inserted at the top of its header block and nothing else of it changes.
//!
//! Problems in hand-written messages (an unknown `TYPE`, a bad `TIMESTAMP`, …) are collected as
//! [`Diagnostic`]s with their line and column; they never stop a new message from being appended.

mod read;
mod send;
mod write;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use orch_core::Timestamp;

use crate::Diagnostic;

pub use send::{SendError, Sent, send};
pub use write::{Appended, StatusUpdate};

/// The file `orch-plan msg send` creates when there is no message log yet.
pub const DEFAULT_INTRO: &str = "# Inter-Agent Messages\n\n---\n";

/// A message id such as `M-0007`: `M-` and a number from 1, shown with at least four digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(u32);

impl MessageId {
    /// The id with this number, or `None` for 0.
    pub fn new(number: u32) -> Option<MessageId> {
        (number > 0).then_some(MessageId(number))
    }

    /// The id's number.
    pub fn number(self) -> u32 {
        self.0
    }

    /// The id after this one, or `None` when the numbers are used up.
    pub fn next(self) -> Option<MessageId> {
        self.0.checked_add(1).map(MessageId)
    }

    /// Reads `M-0007`, `m-7` or `7`.
    pub fn parse(text: &str) -> Result<MessageId, ValueError> {
        let error = || ValueError::new("ID", text, "write it as M- and a number, such as M-0001");
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix("M-")
            .or_else(|| trimmed.strip_prefix("m-"))
            .unwrap_or(trimmed);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        digits
            .parse()
            .ok()
            .and_then(MessageId::new)
            .ok_or_else(error)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "M-{:04}", self.0)
    }
}

impl std::str::FromStr for MessageId {
    type Err = ValueError;

    fn from_str(text: &str) -> Result<MessageId, ValueError> {
        MessageId::parse(text)
    }
}

/// A header value that cannot be read: what it is, and what would be accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {field} {value:?}; {expected}")]
pub struct ValueError {
    /// The header (`TYPE`, `STATUS`, …).
    pub field: &'static str,
    /// The value as written.
    pub value: String,
    /// What would be accepted, as advice to the writer.
    pub expected: &'static str,
}

impl ValueError {
    fn new(field: &'static str, value: &str, expected: &'static str) -> ValueError {
        ValueError {
            field,
            value: value.to_owned(),
            expected,
        }
    }
}

/// Declares a closed set of header values, read in any case with `-`, `_` or spaces ignored.
macro_rules! value_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, $expected:literal, { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The canonical spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Reads a value in any case; `-`, `_` and spaces are ignored.
            pub fn parse(text: &str) -> Result<$name, ValueError> {
                let folded: String = text
                    .chars()
                    .filter(|c| !matches!(c, '-' | '_' | ' ' | '\t'))
                    .flat_map(char::to_lowercase)
                    .collect();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(&folded))
                    .ok_or_else(|| ValueError::new($field, text, $expected))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValueError;

            fn from_str(text: &str) -> Result<$name, ValueError> {
                $name::parse(text)
            }
        }
    };
}

value_enum!(
    /// What a message is for.
    MessageType, "TYPE", "use Handoff, Blocker, Question, Update or Directive", {
        /// Task complete, passing to the next agent.
        Handoff => "Handoff",
        /// Cannot proceed, need help.
        Blocker => "Blocker",
        /// Need information from another agent.
        Question => "Question",
        /// A change that affects others.
        Update => "Update",
        /// An instruction from the orchestrator.
        Directive => "Directive",
    }
);

value_enum!(
    /// Where a message is in its life: Sent → Acknowledged → Resolved.
    MessageStatus, "STATUS", "use Sent, Acknowledged or Resolved", {
        /// Written, not yet seen by its recipient.
        Sent => "Sent",
        /// The recipient has seen it.
        Acknowledged => "Acknowledged",
        /// Dealt with.
        Resolved => "Resolved",
    }
);

value_enum!(
    /// How urgent a message is.
    Priority, "PRIORITY", "use Low, Medium, High or Critical", {
        /// Whenever convenient.
        Low => "Low",
        /// The default urgency.
        Medium => "Medium",
        /// Soon.
        High => "High",
        /// Now.
        Critical => "Critical",
    }
);

value_enum!(
    /// The header lines a message may have.
    HeaderKey, "header", "use ID, FROM, TO, TYPE, TIMESTAMP, STATUS, TASK, PRIORITY or DEADLINE", {
        /// `ID:`, the message id.
        Id => "ID",
        /// `FROM:`, the sender.
        From => "FROM",
        /// `TO:`, the recipient: an agent id, `All` or `Orchestrator`.
        To => "TO",
        /// `TYPE:`, see [`MessageType`].
        Type => "TYPE",
        /// `TIMESTAMP:`, RFC 3339 in UTC.
        Timestamp => "TIMESTAMP",
        /// `STATUS:`, see [`MessageStatus`].
        Status => "STATUS",
        /// `TASK:`, the task the message concerns.
        Task => "TASK",
        /// `PRIORITY:`, see [`Priority`].
        Priority => "PRIORITY",
        /// `DEADLINE:`, when an answer is needed.
        Deadline => "DEADLINE",
    }
);

/// One header line of a message, with byte ranges into the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Which header this is.
    pub key: HeaderKey,
    /// The 1-based line it is on.
    pub line: usize,
    /// The line's bytes, without its line break.
    pub range: Range<usize>,
    /// The value's bytes, trimmed of spaces and tabs (empty at the end of the line when the
    /// value is empty).
    pub value: Range<usize>,
}

/// A message as read from the log.
///
/// Values that cannot be read are `None` here and reported in [`MessageLog::diagnostics`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `M-0007`; `None` for a hand-written message without a (readable) `ID:` line.
    pub id: Option<MessageId>,
    /// The sender, as written (empty if there is no `FROM:` line).
    pub from: String,
    /// The recipient, as written (empty if there is no `TO:` line).
    pub to: String,
    /// The type; `None` when missing or unknown.
    pub kind: Option<MessageType>,
    /// When it was sent; `None` when missing or unreadable.
    pub timestamp: Option<Timestamp>,
    /// The status; a message without a `STATUS:` line is Sent, and an unknown value is `None`.
    pub status: Option<MessageStatus>,
    /// The task it concerns, as written.
    pub task: Option<String>,
    /// The priority; `None` when missing or unknown.
    pub priority: Option<Priority>,
    /// When an answer is needed, as written.
    pub deadline: Option<String>,
    /// The markdown body: exactly what the tool was given when it wrote the message; for a
    /// hand-written message, the text after the header block without its last line break (and
    /// one blank line) before the separator.
    pub body: String,
    /// The 1-based line of the first header line.
    pub line: usize,
    /// The message's bytes: from its first header line up to the separator after it.
    pub span: Range<usize>,
    /// Its header lines, in file order.
    pub headers: Vec<Header>,
}

impl Message {
    /// The first header line with this key.
    pub fn header(&self, key: HeaderKey) -> Option<&Header> {
        self.headers.iter().find(|h| h.key == key)
    }

    /// The message as JSON, in the stable shape of `orch-plan msg list --json`: `id`, `from`,
    /// `to`, `type`, `task`, `priority`, `timestamp`, `status`, `body`, `deadline` and `line`,
    /// with canonical spellings and `null` for what is missing or unreadable.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.map(|id| id.to_string()),
            "from": self.from,
            "to": self.to,
            "type": self.kind.map(MessageType::as_str),
            "task": self.task,
            "priority": self.priority.map(Priority::as_str),
            "timestamp": self.timestamp.map(Timestamp::rfc3339),
            "status": self.status.map(MessageStatus::as_str),
            "body": self.body,
            "deadline": self.deadline,
            "line": self.line,
        })
    }
}

/// The whole message log: the text, where the intro ends, the messages and the problems found.
#[derive(Clone, Debug)]
pub struct MessageLog {
    /// The file, for diagnostics.
    pub path: PathBuf,
    /// The whole file; every range indexes into it.
    pub text: String,
    /// The line break the file uses (that of its first line): `"\n"` or `"\r\n"`.
    pub eol: &'static str,
    /// The intro: everything before the first separator.
    pub intro: Range<usize>,
    /// The messages, in file order.
    pub messages: Vec<Message>,
    /// Problems in hand-written messages, with their line and column.
    pub diagnostics: Vec<Diagnostic>,
}

impl MessageLog {
    /// Reads a message log from its text. Never fails: problems become diagnostics.
    pub fn parse(path: &Path, text: String) -> MessageLog {
        read::parse(path, text)
    }

    /// Reads a message log from its bytes, which must be UTF-8.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<MessageLog, MessageError> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(MessageLog::parse(path, text)),
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(error.as_bytes().get(..valid).unwrap_or(&[]))
                    .into_owned();
                let (line, column) = crate::LineIndex::new(&prefix).position(&prefix, valid);
                Err(MessageError::NotUtf8 {
                    path: path.to_owned(),
                    line,
                    column,
                })
            }
        }
    }

    /// Reads the message log at `path`; `None` when the file does not exist.
    pub fn read_file(path: &Path) -> Result<Option<MessageLog>, MessageError> {
        match std::fs::read(path) {
            Ok(bytes) => MessageLog::from_bytes(path, bytes).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(MessageError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The intro's text.
    pub fn intro_text(&self) -> &str {
        self.text.get(self.intro.clone()).unwrap_or("")
    }

    /// The message with this id. Refuses an id that is not there, or that several messages carry.
    pub fn find(&self, id: MessageId) -> Result<&Message, MessageError> {
        let mut found = self.messages.iter().filter(|m| m.id == Some(id));
        let Some(first) = found.next() else {
            return Err(MessageError::UnknownId {
                id,
                path: self.path.clone(),
            });
        };
        let others: Vec<usize> = found.map(|m| m.line).collect();
        if others.is_empty() {
            Ok(first)
        } else {
            Err(MessageError::DuplicateId {
                id,
                path: self.path.clone(),
                lines: std::iter::once(first.line).chain(others).collect(),
            })
        }
    }

    /// Appends `message` at the end of the log, giving ids to hand-written messages that have
    /// none. Old messages keep every byte except the `ID:` lines inserted.
    pub fn append(&self, message: &NewMessage) -> Result<Appended, MessageError> {
        write::append(self, message)
    }

    /// Moves message `id` to `status`, forwards only (Sent → Acknowledged → Resolved). Moving
    /// to the status it has already is a success that writes nothing.
    pub fn set_status(
        &self,
        id: MessageId,
        status: MessageStatus,
    ) -> Result<StatusUpdate, MessageError> {
        write::set_status(self, id, status)
    }
}

/// A message to append. Header values are one line each; the body may be anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The sender's agent id.
    pub from: String,
    /// The recipient: an agent id, `All` or `Orchestrator`.
    pub to: String,
    /// The type.
    pub kind: MessageType,
    /// When it is sent.
    pub timestamp: Timestamp,
    /// The task it concerns.
    pub task: Option<String>,
    /// How urgent it is.
    pub priority: Option<Priority>,
    /// When an answer is needed.
    pub deadline: Option<String>,
    /// The markdown body, written so that it reads back exactly.
    pub body: String,
}

impl NewMessage {
    /// The message with its header values checked (one line each, no control or bidirectional
    /// characters, a valid task id), trimmed, and with `All` and `Orchestrator` in their
    /// canonical spelling: exactly the values [`MessageLog::append`] writes.
    pub fn normalized(&self) -> Result<NewMessage, MessageError> {
        write::normalize(self)
    }
}

/// Why the message log could not be read or changed. The file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The file is not UTF-8.
    #[error("{}:{line}:{column}: the message log is not UTF-8 text; save it as UTF-8 markdown", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the first bad byte.
        line: usize,
        /// The 1-based column of the first bad byte.
        column: usize,
    },
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A header value is empty.
    #[error("{field} is empty; give a value on one line")]
    Empty {
        /// The header.
        field: &'static str,
    },
    /// A header value holds a line break.
    #[error(
        "the {field} value {value:?} contains a line break; header values are one line, so write it on one line (the body may have many)"
    )]
    LineBreak {
        /// The header.
        field: &'static str,
        /// The refused value.
        value: String,
    },
    /// A header value holds a control or bidirectional character.
    #[error(
        "the {field} value {value:?} contains the control or bidirectional character U+{code:04X}; remove it"
    )]
    Forbidden {
        /// The header.
        field: &'static str,
        /// The refused value.
        value: String,
        /// The character's code point.
        code: u32,
    },
    /// The `TASK` value is not a valid task id.
    #[error("in TASK: {0}")]
    Task(#[from] orch_core::TaskIdError),
    /// No message has this id.
    #[error("no message {id} in {}; `orch-plan msg list` shows the ids", path.display())]
    UnknownId {
        /// The id asked for.
        id: MessageId,
        /// The file.
        path: PathBuf,
    },
    /// Several messages have this id.
    #[error("{} has message {id} more than once (lines {}); give all but one a new id by hand, or delete their ID lines so the next write assigns new ones", path.display(), join_lines(lines))]
    DuplicateId {
        /// The id asked for.
        id: MessageId,
        /// The file.
        path: PathBuf,
        /// The 1-based lines of the messages carrying it.
        lines: Vec<usize>,
    },
    /// The move goes backwards.
    #[error("{}:{line}: message {id} is {current}, so it cannot go back to {wanted}; messages only move Sent -> Acknowledged -> Resolved", path.display())]
    Backwards {
        /// The message.
        id: MessageId,
        /// The file.
        path: PathBuf,
        /// The 1-based line of the message.
        line: usize,
        /// Its status now.
        current: MessageStatus,
        /// The status asked for.
        wanted: MessageStatus,
    },
    /// The message's `STATUS:` line cannot be read, so no transition can be checked.
    #[error("{}:{line}:{column}: message {id} has STATUS {value:?}; write Sent, Acknowledged or Resolved there by hand, then retry", path.display())]
    UnreadableStatus {
        /// The message.
        id: MessageId,
        /// The file.
        path: PathBuf,
        /// The 1-based line of the `STATUS:` line.
        line: usize,
        /// The 1-based column of its value.
        column: usize,
        /// The value as written.
        value: String,
    },
    /// Every message number is used.
    #[error("{} has used up every message number; renumber its messages by hand", path.display())]
    IdsExhausted {
        /// The file.
        path: PathBuf,
    },
}

fn join_lines(lines: &[usize]) -> String {
    let lines: Vec<String> = lines.iter().map(ToString::to_string).collect();
    lines.join(", ")
}
