//! Reading the message log: lines, separators, header blocks and quoted bodies.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use orch_core::{TaskId, Timestamp};

use super::{
    Header, HeaderKey, Message, MessageId, MessageLog, MessageStatus, MessageType, Priority,
};
use crate::{Diagnostic, LineIndex};

/// One line of the file: `start..end` is its text without the `\n`, `next` where the next begins.
#[derive(Clone, Copy, Debug)]
pub(super) struct Line {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) next: usize,
}

/// The lines of `text`. A final line without a line break counts; a final `\n` adds no line.
pub(super) fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = text.get(start..).unwrap_or("");
        match rest.find('\n') {
            Some(i) => {
                out.push(Line {
                    start,
                    end: start + i,
                    next: start + i + 1,
                });
                start += i + 1;
            }
            None => {
                out.push(Line {
                    start,
                    end: text.len(),
                    next: text.len(),
                });
                break;
            }
        }
    }
    out
}

/// A line's text without its `\r\n` or `\n`.
pub(super) fn content<'a>(text: &'a str, line: &Line) -> &'a str {
    let s = text.get(line.start..line.end).unwrap_or("");
    s.strip_suffix('\r').unwrap_or(s)
}

/// `---`, with trailing spaces or tabs: a separator candidate.
pub(super) fn is_dash(s: &str) -> bool {
    s.strip_prefix("---")
        .is_some_and(|rest| rest.bytes().all(|b| b == b' ' || b == b'\t'))
}

/// `---` after one or more backslashes: a quoted separator in a body.
pub(super) fn is_quoted_dash(s: &str) -> bool {
    s.starts_with('\\') && is_dash(s.trim_start_matches('\\'))
}

/// Empty, or only spaces and tabs.
pub(super) fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b == b' ' || b == b'\t')
}

/// Reads a header line leniently (any case, up to three spaces of indent, spaces around the
/// colon). Returns the key and the trimmed value's range within `s`.
pub(super) fn header_line(s: &str) -> Option<(HeaderKey, Range<usize>)> {
    let indent = s.len() - s.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = s.get(indent..)?;
    let colon = rest.find(':')?;
    let key = rest.get(..colon)?.trim_end_matches([' ', '\t']);
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
    {
        return None;
    }
    let key = HeaderKey::parse(key).ok()?;
    let after = indent + colon + 1;
    let value = s.get(after..)?;
    let lead = value.len() - value.trim_start_matches([' ', '\t']).len();
    let start = after + lead;
    let end = start + value.trim_matches([' ', '\t']).len();
    Some((key, start..end))
}

#[derive(Clone, Debug)]
enum Kind {
    Blank,
    Dash,
    Header(HeaderKey, Range<usize>),
    Other,
}

fn kind_of(text: &str, line: &Line) -> Kind {
    let s = content(text, line);
    if is_blank(s) {
        Kind::Blank
    } else if is_dash(s) {
        Kind::Dash
    } else if let Some((key, value)) = header_line(s) {
        Kind::Header(key, line.start + value.start..line.start + value.end)
    } else {
        Kind::Other
    }
}

/// The line break of the file's first line. A file without one gets `\n`, unless it ends with
/// `\r`: then the `\n` a writer adds makes its first line break `\r\n`.
fn eol_of(text: &str, lines: &[Line]) -> &'static str {
    let crlf = match lines.first() {
        Some(line) if line.next > line.end => text
            .get(line.start..line.end)
            .is_some_and(|s| s.ends_with('\r')),
        _ => text.ends_with('\r'),
    };
    if crlf { "\r\n" } else { "\n" }
}

/// Which lines are separators: a `---` line whose next non-blank line is a header line, another
/// `---` line, or the end of the file.
fn separators(kinds: &[Kind]) -> Vec<usize> {
    let mut found = Vec::new();
    // What the next non-blank line below is; `None` is the end of the file.
    let mut below: Option<&Kind> = None;
    for (i, kind) in kinds.iter().enumerate().rev() {
        match kind {
            Kind::Blank => continue,
            Kind::Dash if matches!(below, None | Some(Kind::Dash | Kind::Header(..))) => {
                found.push(i)
            }
            _ => {}
        }
        below = Some(kind);
    }
    found.reverse();
    found
}

/// Strips the blank line the writer puts after a body, and removes one backslash from each
/// quoted separator line.
///
/// The writer ends a non-empty body with two of the file's line breaks, so stripping exactly
/// those first makes reading the inverse of writing. A hand-written body loses its last line
/// break and at most one blank line.
pub(super) fn unquote_body(raw: &str, eol: &str) -> String {
    let double = format!("{eol}{eol}");
    let mixed = format!("\n{eol}");
    let raw = [double.as_str(), mixed.as_str(), eol, "\n"]
        .into_iter()
        .find_map(|suffix| raw.strip_suffix(suffix))
        .unwrap_or(raw);
    let mut body = String::with_capacity(raw.len());
    for segment in raw.split_inclusive('\n') {
        let line = segment.strip_suffix('\n').unwrap_or(segment);
        let line = line.strip_suffix('\r').unwrap_or(line);
        match segment.strip_prefix('\\') {
            Some(rest) if is_quoted_dash(line) => body.push_str(rest),
            _ => body.push_str(segment),
        }
    }
    body
}

/// Collects diagnostics with positions.
struct Problems<'a> {
    path: &'a Path,
    text: &'a str,
    index: LineIndex,
    found: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn at(&mut self, offset: usize, message: String) {
        let (line, column) = self.index.position(self.text, offset);
        self.found.push(Diagnostic {
            file: self.path.to_owned(),
            line: Some(line),
            column: Some(column),
            message,
        });
    }
}

pub(super) fn parse(path: &Path, text: String) -> MessageLog {
    let lines = lines(&text);
    let eol = eol_of(&text, &lines);
    let kinds: Vec<Kind> = lines.iter().map(|l| kind_of(&text, l)).collect();
    let seps = separators(&kinds);
    let mut problems = Problems {
        path,
        text: &text,
        index: LineIndex::new(&text),
        found: Vec::new(),
    };
    let mut messages = Vec::new();
    let intro_end = seps
        .first()
        .and_then(|&i| lines.get(i))
        .map_or(text.len(), |l| l.start);
    for (k, &sep) in seps.iter().enumerate() {
        let last = seps.get(k + 1).copied().unwrap_or(lines.len());
        let end = lines.get(last).map_or(text.len(), |l| l.start);
        let Some(first) = (sep + 1..last).find(|&i| !matches!(kinds[i], Kind::Blank)) else {
            continue;
        };
        if !matches!(kinds[first], Kind::Header(..)) {
            let offset = lines[first].start;
            problems.at(offset, "text between messages that has no header lines, so it is not read as a message; start it with FROM:, TO: and TYPE: lines, or move it into the message above".to_owned());
            continue;
        }
        messages.push(read_message(
            &text,
            eol,
            &lines,
            &kinds,
            first..last,
            end,
            &mut problems,
        ));
    }
    check_duplicate_ids(&messages, &mut problems);
    let diagnostics = problems.found;
    MessageLog {
        path: path.to_owned(),
        text,
        eol,
        intro: 0..intro_end,
        messages,
        diagnostics,
    }
}

/// Reads one message: header lines from `range.start`, then a body up to byte `end`.
fn read_message(
    text: &str,
    eol: &str,
    lines: &[Line],
    kinds: &[Kind],
    range: Range<usize>,
    end: usize,
    problems: &mut Problems<'_>,
) -> Message {
    let mut headers: Vec<Header> = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let Kind::Header(key, value) = &kinds[i] else {
            break;
        };
        let line = &lines[i];
        let line_end = line.start + content(text, line).len();
        headers.push(Header {
            key: *key,
            line: i + 1,
            range: line.start..line_end,
            value: value.clone(),
        });
        i += 1;
    }
    let body_start = match kinds.get(i) {
        _ if i >= range.end => end,
        Some(Kind::Blank) => lines[i].next,
        _ => lines[i].start,
    };
    let raw = text.get(body_start.min(end)..end).unwrap_or("");
    let start = lines[range.start].start;
    let mut message = Message {
        id: None,
        from: String::new(),
        to: String::new(),
        kind: None,
        timestamp: None,
        status: Some(MessageStatus::Sent),
        task: None,
        priority: None,
        deadline: None,
        body: unquote_body(raw, eol),
        line: range.start + 1,
        span: start..end,
        headers,
    };
    read_headers(text, &mut message, problems);
    message
}

fn read_headers(text: &str, message: &mut Message, problems: &mut Problems<'_>) {
    let mut seen: Vec<(HeaderKey, usize)> = Vec::new();
    for header in &message.headers {
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == header.key) {
            problems.at(
                header.range.start,
                format!(
                    "a second {} line in this message (the first is on line {first}); delete one of them",
                    header.key
                ),
            );
            continue;
        }
        seen.push((header.key, header.line));
        let value = text.get(header.value.clone()).unwrap_or("");
        let at = header.value.start;
        let owned = || (!value.is_empty()).then(|| value.to_owned());
        match header.key {
            HeaderKey::Id if value.is_empty() => {}
            HeaderKey::Id => match MessageId::parse(value) {
                Ok(id) => message.id = Some(id),
                Err(error) => problems.at(at, format!("{error}, or delete the ID line so that the next write assigns one")),
            },
            HeaderKey::From => message.from = value.to_owned(),
            HeaderKey::To => message.to = value.to_owned(),
            HeaderKey::Type if value.is_empty() => {}
            HeaderKey::Type => match MessageType::parse(value) {
                Ok(kind) => message.kind = Some(kind),
                Err(error) => problems.at(at, error.to_string()),
            },
            HeaderKey::Timestamp if value.is_empty() => {}
            HeaderKey::Timestamp => match Timestamp::parse(value) {
                Ok(time) => message.timestamp = Some(time),
                Err(_) => problems.at(at, format!("cannot read TIMESTAMP {value:?}; write it as RFC 3339 in UTC, such as 2026-11-21T14:30:00Z")),
            },
            HeaderKey::Status => match MessageStatus::parse(value) {
                Ok(status) => message.status = Some(status),
                Err(error) => {
                    message.status = None;
                    problems.at(at, error.to_string());
                }
            },
            HeaderKey::Task => {
                if let Some(Err(error)) = owned().map(|t| TaskId::parse(&t)) {
                    problems.at(at, format!("in TASK: {error}"));
                }
                message.task = owned();
            }
            HeaderKey::Priority if value.is_empty() => {}
            HeaderKey::Priority => match Priority::parse(value) {
                Ok(priority) => message.priority = Some(priority),
                Err(error) => problems.at(at, error.to_string()),
            },
            HeaderKey::Deadline => message.deadline = owned(),
        }
    }
    let start = message.span.start;
    for (key, example) in [
        (HeaderKey::From, "FROM: builder-1"),
        (HeaderKey::To, "TO: Orchestrator"),
        (HeaderKey::Type, "TYPE: Update"),
        (HeaderKey::Timestamp, "TIMESTAMP: 2026-11-21T14:30:00Z"),
    ] {
        let empty = match message.header(key) {
            None => true,
            Some(h) => h.value.is_empty(),
        };
        if empty {
            problems.at(
                start,
                format!(
                    "this message has no {key} value; add a line such as {example:?} to its header"
                ),
            );
        }
    }
}

fn check_duplicate_ids(messages: &[Message], problems: &mut Problems<'_>) {
    let mut first_line: HashMap<MessageId, usize> = HashMap::new();
    for message in messages {
        let Some(id) = message.id else { continue };
        match first_line.get(&id) {
            None => {
                first_line.insert(id, message.line);
            }
            Some(first) => {
                let at = message
                    .header(HeaderKey::Id)
                    .map_or(message.span.start, |h| h.value.start);
                problems.at(
                    at,
                    format!(
                        "message id {id} is used again (first on line {first}); give this message a new id, or delete its ID line so that the next write assigns one"
                    ),
                );
            }
        }
    }
}
