//! The atomic store: hand edits during an update, and splices that always round-trip.

use std::cell::Cell as Counter;
use std::path::Path;
use std::time::Duration;

use orch_status::atomic::{Change, update_file};
use orch_status::edit::{apply, cell_splice};
use orch_status::{escape_cell, read_plan};
use proptest::prelude::*;

#[test]
fn a_hand_edit_saved_between_read_and_rename_is_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("PLAN.md");
    std::fs::write(&path, "one\ntwo\n").expect("write");
    let calls = Counter::new(0);
    let committed = update_file(&path, Duration::from_secs(5), "test", |bytes| {
        calls.set(calls.get() + 1);
        let text = String::from_utf8_lossy(bytes.expect("exists")).into_owned();
        if calls.get() == 1 {
            // An editor saves the file after orch read it and before orch renames over it.
            std::fs::write(&path, "one\ntwo\nthree (typed by hand)\n").expect("hand edit");
        }
        Ok::<_, std::convert::Infallible>(Change::Write(
            text.replace("one", "ONE").into_bytes(),
            (),
        ))
    })
    .expect("update");
    assert!(committed.written);
    drop(committed);
    assert_eq!(calls.get(), 2, "the edit ran again on the new bytes");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "ONE\ntwo\nthree (typed by hand)\n"
    );
    assert!(
        !dir.path().join("PLAN.md.lock").exists(),
        "the lock is released"
    );
}

#[test]
fn an_edit_that_keeps_the_file_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("PLAN.md");
    std::fs::write(&path, "same\n").expect("write");
    let before = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .expect("mtime");
    let committed = update_file(&path, Duration::from_secs(5), "test", |_| {
        Ok::<_, ()>(Change::Keep(7))
    })
    .expect("update");
    assert_eq!((committed.outcome, committed.written), (7, false));
    drop(committed);
    assert_eq!(
        std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime"),
        before
    );
}

#[cfg(unix)]
#[test]
fn a_plan_behind_a_symlink_is_updated_where_it_lives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("plans/REAL.md");
    std::fs::create_dir_all(real.parent().expect("parent")).expect("dir");
    std::fs::write(&real, "old\n").expect("write");
    let link = dir.path().join("PLAN.md");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let committed = update_file(&link, Duration::from_secs(5), "test", |_| {
        Ok::<_, ()>(Change::Write(b"new\n".to_vec(), ()))
    })
    .expect("update");
    drop(committed);
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).expect("read"), "new\n");
}

fn cell_text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{4e2d}\u{1F680}]{0,16}".prop_map(|s| s.trim_matches(' ').to_owned())
}

proptest! {
    /// Splicing any value into any cell of any matrix changes that cell only, and it reads back.
    #[test]
    fn every_splice_round_trips(
        rows in proptest::collection::vec(proptest::collection::vec(cell_text(), 3), 1..5),
        padding in 0usize..4,
        target in (0usize..5, 0usize..3),
        value in cell_text(),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let pad = " ".repeat(padding);
        let mut text = format!("# P{eol}{eol}| Task ID | Status | Notes | A | B |{eol}|---|---|---|---|---|{eol}");
        for (i, cells) in rows.iter().enumerate() {
            let escaped: Vec<String> = cells.iter().map(|c| escape_cell(c).expect("printable")).collect();
            // Writers leave a space before a pipe that follows a trailing backslash.
            let last_pad = if escaped[2].ends_with('\\') { " " } else { "" };
            text.push_str(&format!("|{pad}T{i}{pad}| Not Started |{pad}{}{pad} | {} |{}{last_pad}|{eol}", escaped[0], escaped[1], escaped[2]));
        }
        text.push_str(&format!("{eol}tail{eol}"));
        let doc = read_plan(Path::new("P.md"), text.clone().into_bytes()).expect("reads");
        let row_index = target.0 % rows.len();
        let column = 2 + target.1;
        let row = &doc.matrix.table.rows[row_index];
        let splice = cell_splice(&doc.text, &row.cells[column], &value).expect("splice");
        let edited = apply(&doc.text, vec![splice]).expect("apply");
        let after = read_plan(Path::new("P.md"), edited.clone().into_bytes()).expect("still reads");
        for (r, row) in after.matrix.table.rows.iter().enumerate() {
            for (c, cell) in row.cells.iter().enumerate() {
                let before = doc.matrix.table.rows[r].cells[c].value(&doc.text);
                let expected = if (r, c) == (row_index, column) { value.as_str() } else { before };
                prop_assert_eq!(cell.value(&after.text), expected, "row {} column {}", r, c);
            }
        }
        // Bytes outside the edited row are untouched.
        let line_start = |t: &str, n: usize| t.match_indices(eol).nth(n).map_or(0, |(i, _)| i);
        let row_line = 3 + row_index;
        prop_assert_eq!(&edited[..line_start(&edited, row_line)], &text[..line_start(&text, row_line)]);
        let tail = |t: &str| t[line_start(t, row_line + 1)..].to_owned();
        prop_assert_eq!(tail(&edited), tail(&text));
    }
}

#[test]
fn blockers_go_at_the_end_of_their_section_before_its_rule() {
    let text = "## 8. Notes and Blockers\n\n```\n## Not a heading\n```\n<!-- c -->\n\n---\n\n## Execution Timeline\n";
    let at = orch_status::edit::blockers_insertion_point(text).expect("the section exists");
    assert_eq!(
        &text[..at],
        "## 8. Notes and Blockers\n\n```\n## Not a heading\n```\n<!-- c -->\n"
    );
    assert_eq!(
        orch_status::edit::blockers_insertion_point("# Plan\n\nNo such section.\n"),
        None
    );
}
