//! Sending a message: the atomic append and its journal line, for every front end.

use std::path::Path;
use std::time::Duration;

use super::{Message, MessageError, MessageId, MessageLog, NewMessage};
use crate::atomic::{self, Change, UpdateError};
use crate::journal::{Entry, Journal, JournalError};

/// A message that was appended to the log.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The message as it reads back from the file.
    pub message: Message,
    /// Ids given on the way to hand-written messages that had none.
    pub assigned: Vec<MessageId>,
    /// Whether a stale lock was broken to send it (and journaled).
    pub broke_lock: bool,
}

/// Why a message was not sent (or, for [`SendError::Journal`], sent but not journaled).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The log could not be updated; nothing was written.
    #[error(transparent)]
    Update(#[from] UpdateError<MessageError>),
    /// The message was sent, but its journal line could not be written.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Appends `message` to the log at `path` under its lock, then journals it (event `message`)
/// before the lock is released. The message is checked first ([`NewMessage::normalized`]), so a
/// bad value changes nothing.
pub fn send(
    path: &Path,
    journal: &Journal,
    lock_timeout: Duration,
    command: &str,
    message: &NewMessage,
) -> Result<Sent, SendError> {
    let message = message.normalized().map_err(UpdateError::Edit)?;
    let committed = atomic::update_file(path, lock_timeout, command, |bytes| {
        let log = match bytes {
            Some(bytes) => MessageLog::from_bytes(path, bytes.to_vec())?,
            None => MessageLog::parse(path, String::new()),
        };
        let appended = log.append(&message)?;
        Ok::<_, MessageError>(Change::Write(appended.text.clone().into_bytes(), appended))
    })?;
    let time = message.timestamp.rfc3339();
    if let Some(holder) = &committed.broken_lock {
        journal.lock_broken(&time, &message.from, command, path, holder)?;
    }
    let appended = &committed.outcome;
    journal.append(&Entry {
        time,
        event: "message".to_owned(),
        actor: message.from.clone(),
        task: message.task.clone(),
        new: Some(super::MessageStatus::Sent.to_string()),
        command: Some(command.to_owned()),
        detail: serde_json::json!({
            "id": appended.id.to_string(),
            "to": message.to,
            "type": message.kind.as_str(),
            "assigned": appended.assigned.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
        ..Entry::default()
    })?;
    let broke_lock = committed.broken_lock.is_some();
    let appended = committed.outcome_and_release();
    let log = MessageLog::parse(path, appended.text);
    let sent = log.find(appended.id).map_err(UpdateError::Edit)?.clone();
    Ok(Sent {
        message: sent,
        assigned: appended.assigned,
        broke_lock,
    })
}
