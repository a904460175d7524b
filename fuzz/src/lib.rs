//! The properties orch's fuzz targets check, as plain functions of the input bytes. A panic
//! (an assertion here, or anything inside orch) is a finding.

use std::path::Path;

use orch_core::{Status, Timestamp};
use orch_status::edit::{apply, cell_splice};
use orch_status::format::format_plan;
use orch_status::messages::{MessageLog, MessageType, NewMessage};
use orch_status::{ColumnKind, read_plan};

/// Any bytes as a plan:
///
/// - reading never panics, and every span it reports indexes the text on character boundaries;
/// - the dependency graph of what was read never panics;
/// - setting the first task's status changes only that cell's bytes, and the edited plan reads
///   back with that status and every other task as it was (orch's store relies on this);
/// - `fmt` either declines or gives a plan that reads back as the same tasks.
pub fn plan(data: &[u8]) {
    let path = Path::new("MULTI_AGENT_PLAN.md");
    let Ok(doc) = read_plan(path, data.to_vec()) else {
        return;
    };
    let text = doc.text.as_str();
    for row in &doc.matrix.table.rows {
        assert!(
            text.get(row.span.clone()).is_some(),
            "row span {:?}",
            row.span
        );
        for cell in &row.cells {
            assert!(
                text.get(cell.span.clone()).is_some(),
                "cell span {:?}",
                cell.span
            );
            assert!(
                text.get(cell.content.clone()).is_some(),
                "content {:?}",
                cell.content
            );
            let _ = cell.value(text);
        }
    }
    let _ = doc.plan();

    if let (Some(row), Some(task)) = (doc.matrix.table.rows.first(), doc.tasks.first())
        && row.missing == 0
        && let Some(cell) = doc.matrix.cell(row, ColumnKind::Status)
    {
        let next = if task.status == Status::Completed {
            Status::Blocked
        } else {
            Status::Completed
        };
        if let Ok(splice) = cell_splice(text, cell, next.as_str()) {
            let (start, end, new_len) = (splice.range.start, splice.range.end, splice.text.len());
            let edited = apply(text, vec![splice]).expect("one splice applies");
            assert_eq!(
                &edited[..start],
                &text[..start],
                "bytes before the cell changed"
            );
            assert_eq!(
                &edited[start + new_len..],
                &text[end..],
                "bytes after the cell changed"
            );
            let again = read_plan(path, edited.into_bytes()).expect("the edited plan reads");
            assert_eq!(again.tasks.len(), doc.tasks.len());
            assert_eq!(again.tasks[0].status, next);
            assert_eq!(again.tasks[1..], doc.tasks[1..]);
        }
    }

    if let Ok(formatted) = format_plan(&doc) {
        let again = read_plan(path, formatted.text.into_bytes()).expect("a formatted plan reads");
        assert_eq!(again.tasks, doc.tasks);
    }
}

/// Any bytes as a message log, and the same bytes (as text) as a new message's body:
///
/// - reading never panics;
/// - appending either declines or adds exactly one message, whose headers and body read back
///   exactly, while every message before it keeps its body.
pub fn messages(data: &[u8]) {
    let path = Path::new("INTER_AGENT_MESSAGES.md");
    let Ok(log) = MessageLog::from_bytes(path, data.to_vec()) else {
        return;
    };
    for message in &log.messages {
        let _ = message.to_json();
    }
    let body = String::from_utf8_lossy(data).into_owned();
    let new = NewMessage {
        from: "fuzz-agent".to_owned(),
        to: "All".to_owned(),
        kind: MessageType::Update,
        timestamp: Timestamp(1_767_225_600),
        task: None,
        priority: None,
        deadline: None,
        body,
    };
    let Ok(normalized) = new.normalized() else {
        return;
    };
    let Ok(appended) = log.append(&normalized) else {
        return;
    };
    let again = MessageLog::parse(path, appended.text);
    assert_eq!(again.messages.len(), log.messages.len() + 1);
    let last = again.messages.last().expect("the new message");
    assert_eq!(last.id, Some(appended.id));
    assert_eq!(last.from, normalized.from);
    assert_eq!(last.to, normalized.to);
    assert_eq!(last.body, normalized.body);
    for (before, after) in log.messages.iter().zip(&again.messages) {
        assert_eq!(before.body, after.body);
    }
}
