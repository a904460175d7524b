//! Changing the message log by splicing: appending a message, moving a status, and giving ids
//! to hand-written messages. Every other byte stays as it was.

use orch_core::TaskId;

use super::read::{content, is_blank, is_dash, lines};
use super::{
    DEFAULT_INTRO, HeaderKey, Message, MessageError, MessageId, MessageLog, MessageStatus,
    NewMessage,
};
use crate::is_forbidden;

/// The log with a message appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The new text of the whole file.
    pub text: String,
    /// The new message's id.
    pub id: MessageId,
    /// The ids given to hand-written messages on the way, in file order.
    pub assigned: Vec<MessageId>,
}

/// The outcome of a status move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The new text of the whole file, or `None` when the message already had the status.
    pub text: Option<String>,
    /// The message.
    pub id: MessageId,
    /// Its status before.
    pub old: MessageStatus,
    /// Its status after.
    pub new: MessageStatus,
    /// The task the message concerns, as written.
    pub task: Option<String>,
    /// The ids given to hand-written messages on the way, in file order.
    pub assigned: Vec<MessageId>,
}

/// Replace `remove` bytes at `at` with `insert`.
struct Splice {
    at: usize,
    remove: usize,
    insert: String,
}

fn apply(text: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by_key(|s| s.at);
    let extra: usize = splices.iter().map(|s| s.insert.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut done = 0;
    for splice in splices {
        let at = splice.at.max(done);
        out.push_str(text.get(done..at).unwrap_or(""));
        out.push_str(&splice.insert);
        done = (at + splice.remove).min(text.len());
    }
    out.push_str(text.get(done..).unwrap_or(""));
    out
}

/// Splices that give every message without an id the next free one, in file order; the ids
/// given; and the next free id after them.
fn assign_ids(log: &MessageLog) -> Result<(Vec<Splice>, Vec<MessageId>, MessageId), MessageError> {
    let exhausted = || MessageError::IdsExhausted {
        path: log.path.clone(),
    };
    let highest = log.messages.iter().filter_map(|m| m.id).max();
    let mut next = match highest {
        Some(id) => id.next().ok_or_else(exhausted)?,
        None => MessageId(1),
    };
    let mut splices = Vec::new();
    let mut assigned = Vec::new();
    for message in &log.messages {
        if message.id.is_some() {
            continue;
        }
        let splice = match message.header(HeaderKey::Id) {
            // An unreadable id is the writer's to fix; it is reported, never overwritten.
            Some(header) if !header.value.is_empty() => continue,
            // `ID:` with nothing after it: fill it in.
            Some(header) => Splice {
                at: header.range.start,
                remove: header.range.len(),
                insert: format!("ID: {next}"),
            },
            None => {
                let first = message.headers.first().map(|h| h.range.clone());
                let at = first.as_ref().map_or(message.span.start, |r| r.start);
                Splice {
                    at,
                    remove: 0,
                    insert: format!(
                        "ID: {next}{}",
                        line_break_after(log, first.map_or(at, |r| r.end))
                    ),
                }
            }
        };
        splices.push(splice);
        assigned.push(next);
        next = next.next().ok_or_else(exhausted)?;
    }
    Ok((splices, assigned, next))
}

/// The line break that ends the line ending at byte `end`, or the file's if it has none.
fn line_break_after(log: &MessageLog, end: usize) -> &'static str {
    let rest = log.text.get(end..).unwrap_or("");
    if rest.starts_with("\r\n") {
        "\r\n"
    } else if rest.starts_with('\n') {
        "\n"
    } else {
        log.eol
    }
}

/// Checks a header value: trimmed, not empty, one line, no control or bidirectional characters.
pub(super) fn header_value(field: &'static str, value: &str) -> Result<String, MessageError> {
    if value.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return Err(MessageError::LineBreak {
            field,
            value: value.to_owned(),
        });
    }
    if let Some(c) = value.chars().find(|&c| is_forbidden(c)) {
        return Err(MessageError::Forbidden {
            field,
            value: value.to_owned(),
            code: u32::from(c),
        });
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(MessageError::Empty { field });
    }
    Ok(value.to_owned())
}

/// A recipient or sender: `All` and `Orchestrator` in their canonical spelling.
fn party(field: &'static str, value: &str) -> Result<String, MessageError> {
    let value = header_value(field, value)?;
    Ok(
        match ["All", "Orchestrator"]
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(&value))
        {
            Some(canonical) => canonical.to_owned(),
            None => value,
        },
    )
}

/// Quotes a body: every line that is `---` after any number of backslashes gets one more.
pub(super) fn quote_body(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    for segment in body.split_inclusive('\n') {
        let line = segment.strip_suffix('\n').unwrap_or(segment);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if is_dash(line.trim_start_matches('\\')) {
            out.push('\\');
        }
        out.push_str(segment);
    }
    out
}

/// The message with its header values checked, trimmed and in canonical spelling.
pub(super) fn normalize(message: &NewMessage) -> Result<NewMessage, MessageError> {
    let task = match &message.task {
        Some(task) => {
            let task = header_value("TASK", task)?;
            TaskId::parse(&task)?;
            Some(task)
        }
        None => None,
    };
    let deadline = match &message.deadline {
        Some(deadline) => Some(header_value("DEADLINE", deadline)?),
        None => None,
    };
    Ok(NewMessage {
        from: party("FROM", &message.from)?,
        to: party("TO", &message.to)?,
        kind: message.kind,
        timestamp: message.timestamp,
        task,
        priority: message.priority,
        deadline,
        body: message.body.clone(),
    })
}

/// The text of a new message, ending with its separator.
fn render(message: &NewMessage, id: MessageId, eol: &str) -> Result<String, MessageError> {
    let message = normalize(message)?;
    let mut headers = vec![
        ("ID", id.to_string()),
        ("FROM", message.from),
        ("TO", message.to),
        ("TYPE", message.kind.as_str().to_owned()),
        ("TIMESTAMP", message.timestamp.rfc3339()),
        ("STATUS", MessageStatus::Sent.as_str().to_owned()),
    ];
    if let Some(task) = message.task {
        headers.push(("TASK", task));
    }
    if let Some(priority) = message.priority {
        headers.push(("PRIORITY", priority.as_str().to_owned()));
    }
    if let Some(deadline) = message.deadline {
        headers.push(("DEADLINE", deadline));
    }
    let mut out = String::new();
    for (key, value) in headers {
        out.push_str(key);
        out.push_str(": ");
        out.push_str(&value);
        out.push_str(eol);
    }
    out.push_str(eol);
    if !message.body.is_empty() {
        out.push_str(&quote_body(&message.body));
        out.push_str(eol);
        out.push_str(eol);
    }
    out.push_str("---");
    out.push_str(eol);
    Ok(out)
}

/// Whether the last non-blank line of `text` is `---` (which, followed by the end of the file,
/// is a separator).
fn ends_with_separator(text: &str) -> bool {
    lines(text)
        .iter()
        .rev()
        .map(|l| content(text, l))
        .find(|s| !is_blank(s))
        .is_some_and(is_dash)
}

/// Whether the last line of `text` (the one a line break ends, if `text` ends with one) is blank.
fn last_line_blank(text: &str) -> bool {
    lines(text)
        .last()
        .is_none_or(|l| is_blank(content(text, l)))
}

/// Adds a separator after a file whose last message (written by hand) has none, with the
/// padding that leaves that message reading as it reads now.
fn close_last_message(log: &MessageLog, out: &mut String) {
    let eol = log.eol;
    // A blank line before the separator, so that markdown does not read the line above as a
    // heading.
    let preferred = if out.is_empty() || out.ends_with('\n') {
        if last_line_blank(out) { "" } else { eol }.to_owned()
    } else if out.ends_with('\r') {
        format!("\n{eol}")
    } else {
        format!("{eol}{eol}")
    };
    let mut candidates = vec![preferred.clone(), String::new()];
    for count in 1..=3 {
        for bits in 0..(1u32 << count) {
            let pad: String = (0..count)
                .map(|i| if bits >> i & 1 == 1 { "\r\n" } else { "\n" })
                .collect();
            candidates.push(pad);
        }
    }
    let closed = |pad: &str| format!("{out}{pad}---{eol}");
    let last = log.messages.last().filter(|m| m.span.end == log.text.len());
    let chosen = candidates
        .into_iter()
        .filter(|pad| out.is_empty() || format!("{out}{pad}").ends_with('\n'))
        .find(|pad| {
            let Some(last) = last else { return true };
            let again = MessageLog::parse(&log.path, closed(pad));
            again
                .messages
                .last()
                .is_some_and(|m| reads_the_same(last, m))
        })
        .unwrap_or(preferred);
    *out = closed(&chosen);
}

/// Whether two readings of a message agree on everything but positions and ids.
fn reads_the_same(a: &Message, b: &Message) -> bool {
    let key = |m: &Message| {
        (
            m.from.clone(),
            m.to.clone(),
            m.kind,
            m.timestamp,
            m.status,
            m.task.clone(),
            m.priority,
            m.deadline.clone(),
            m.body.clone(),
            m.headers.iter().filter(|h| h.key != HeaderKey::Id).count(),
        )
    };
    key(a) == key(b)
}

pub(super) fn append(log: &MessageLog, message: &NewMessage) -> Result<Appended, MessageError> {
    let (splices, assigned, id) = assign_ids(log)?;
    let eol = log.eol;
    let rendered = render(message, id, eol)?;
    let mut out = if log.text.is_empty() {
        DEFAULT_INTRO.replace('\n', eol)
    } else {
        apply(&log.text, splices)
    };
    if !ends_with_separator(&out) {
        close_last_message(log, &mut out);
    } else if !out.ends_with('\n') {
        // `---` at the very end: a last line ending in `\r` reads the same with `\n` after it.
        out.push_str(if out.ends_with('\r') { "\n" } else { eol });
    }
    out.push_str(&rendered);
    Ok(Appended {
        text: out,
        id,
        assigned,
    })
}

pub(super) fn set_status(
    log: &MessageLog,
    id: MessageId,
    status: MessageStatus,
) -> Result<StatusUpdate, MessageError> {
    let message = log.find(id)?;
    let current = match (message.status, message.header(HeaderKey::Status)) {
        (Some(current), _) => current,
        (None, header) => {
            let at = header.map_or(message.span.start, |h| h.value.start);
            let (line, column) = crate::LineIndex::new(&log.text).position(&log.text, at);
            return Err(MessageError::UnreadableStatus {
                id,
                path: log.path.clone(),
                line,
                column,
                value: header
                    .and_then(|h| log.text.get(h.value.clone()))
                    .unwrap_or("")
                    .to_owned(),
            });
        }
    };
    let mut update = StatusUpdate {
        text: None,
        id,
        old: current,
        new: status,
        task: message.task.clone(),
        assigned: Vec::new(),
    };
    if current == status {
        return Ok(update);
    }
    if current > status {
        return Err(MessageError::Backwards {
            id,
            path: log.path.clone(),
            line: message.line,
            current,
            wanted: status,
        });
    }
    let (mut splices, assigned, _) = assign_ids(log)?;
    match message.header(HeaderKey::Status) {
        Some(header) => splices.push(Splice {
            at: header.value.start,
            remove: header.value.len(),
            insert: status.as_str().to_owned(),
        }),
        None => {
            // No STATUS line (a hand-written message): add one after the last header line.
            let last = message
                .headers
                .last()
                .map_or(message.span.start..message.span.start, |h| h.range.clone());
            let rest = log.text.get(last.end..).unwrap_or("");
            let splice =
                if let Some(after) = ["\r\n", "\n"].into_iter().find(|b| rest.starts_with(b)) {
                    Splice {
                        at: last.end + after.len(),
                        remove: 0,
                        insert: format!("STATUS: {status}{after}"),
                    }
                } else {
                    Splice {
                        at: last.end,
                        remove: 0,
                        insert: format!("{}STATUS: {status}", log.eol),
                    }
                };
            splices.push(splice);
        }
    }
    update.text = Some(apply(&log.text, splices));
    update.assigned = assigned;
    Ok(update)
}
