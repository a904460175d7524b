//! The matrix reader on real-world shapes of plan files, and its error positions.

use std::path::Path;

use orch_core::Status;
use orch_status::{ColumnKind, PlanDoc, ReadError, escape_cell, read_plan};
use proptest::prelude::*;

const HEADER: &str = "| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n";

fn read(text: &str) -> Result<PlanDoc, ReadError> {
    read_plan(Path::new("PLAN.md"), text.as_bytes().to_vec())
}

fn errors(text: &str) -> Vec<String> {
    match read(text) {
        Ok(_) => panic!("expected errors for {text:?}"),
        Err(error) => error
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

#[test]
fn reads_the_seed_template_as_it_is() {
    let text = include_str!("fixtures/seed-plan.md");
    let doc = read(text).expect("the seed reads");
    let ids: Vec<&str> = doc.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]);
    let t2 = &doc.tasks[1];
    assert_eq!(t2.agent, "Builder-1");
    assert_eq!(
        t2.skills,
        ["builder-skill", "oauth-skill", "validator-skill"]
    );
    assert_eq!(t2.worktree, "../oauth");
    assert_eq!(t2.branch, "feature/auth-oauth");
    assert_eq!(t2.group, "B");
    let deps: Vec<&str> = doc.tasks[4].depends_on.iter().map(|d| d.as_str()).collect();
    assert_eq!(deps, ["T2", "T3", "T4"]);
    assert_eq!(
        doc.tasks[6].estimate.as_ref().map(|e| e.seconds()),
        Some(5400)
    );
    // The status cell's span is exactly the text to splice.
    let row = doc.row(&t2.id).expect("T2 has a row");
    let cell = doc
        .matrix
        .cell(row, ColumnKind::Status)
        .expect("status cell");
    assert_eq!(&doc.text[cell.content.clone()], "Not Started");
    doc.plan().expect("the seed is a valid plan");
}

#[test]
fn seed_fixture_is_the_shared_seed() {
    // The fixture is a byte copy of ../shared/seeds/multi-agent-plan-template.md, kept so the
    // crate tests anywhere; when the shared seed is beside the checkout, they must agree.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seeds/multi-agent-plan-template.md");
    if let Ok(bytes) = std::fs::read(&shared) {
        assert_eq!(bytes, include_bytes!("fixtures/seed-plan.md").to_vec());
    }
}

#[test]
fn crlf_bom_code_fences_extra_columns_and_any_order() {
    let text = "\u{feff}# Plan\r\n\r\n```\r\n| Task ID | Status |\r\n|---|---|\r\n| FENCED | Done |\r\n```\r\n\r\n| Notes | Status | task id | Dependencies |\r\n|:--|:-:|--:|---|\r\n| a \\| b | `in_progress` | T1 | - |\r\n| \u{1F680} \u{4E2D}\u{6587} | completed | T2 | T1 |\r\n";
    let doc = read(text).expect("reads");
    assert_eq!(doc.tasks.len(), 2);
    assert_eq!(doc.tasks[0].status, Status::InProgress);
    assert_eq!(doc.tasks[1].status, Status::Completed);
    assert_eq!(doc.matrix.columns[0].name, "Notes");
    assert_eq!(doc.matrix.columns[0].kind, None);
    let row = &doc.matrix.table.rows[0];
    assert_eq!(row.cells[0].value(&doc.text), "a | b");
    assert_eq!(&doc.text[row.cells[0].content.clone()], "a \\| b");
    let second = &doc.matrix.table.rows[1];
    assert_eq!(
        second.cells[0].value(&doc.text),
        "\u{1F680} \u{4E2D}\u{6587}"
    );
    // Spans index the original bytes, BOM included.
    let status = doc.matrix.cell(second, ColumnKind::Status).expect("status");
    assert_eq!(&doc.text[status.content.clone()], "completed");
}

#[test]
fn errors_name_line_and_column() {
    let bad_status = format!("# P\n\n{HEADER}| T1 | d | a | - | - | A | Done | - | 1h |\n");
    assert_eq!(
        errors(&bad_status),
        [
            "PLAN.md:5:28: unknown status \"Done\"; use one of Not Started, In Progress, Blocked, Completed, Failed (any case, '-' or '_' for spaces)"
        ]
    );
    let emoji = format!("{HEADER}| T1 | \u{1F680}\u{1F680} | a | - | - | A | Nope | - | 1h |\n");
    assert!(
        errors(&emoji)[0].starts_with("PLAN.md:3:29: unknown status"),
        "{:?}",
        errors(&emoji)
    );

    for (id, needle) in [
        ("../x", "contains '/'"),
        ("-rf", "must start with a letter or a digit"),
        ("a..b", "may not contain '..'"),
        ("HEAD", "may not be HEAD"),
        ("", "task id is empty"),
    ] {
        let text = format!("{HEADER}| {id} | d | a | - | - | A | Not Started | - | 1h |\n");
        let found = errors(&text);
        assert!(found[0].starts_with("PLAN.md:3:"), "{found:?}");
        assert!(found[0].contains(needle), "{id:?}: {found:?}");
    }

    let short = format!("{HEADER}| T1 | d | a |\n");
    assert_eq!(
        errors(&short),
        [
            "PLAN.md:3:1: this matrix row has 3 cells but the header has 9; add the missing cells (write - for an empty value)"
        ]
    );
    let long = format!("{HEADER}| T1 | d | a | - | - | A | Not Started | - | 1h | x | y |\n");
    assert_eq!(
        errors(&long),
        [
            "PLAN.md:3:1: this matrix row has 11 cells but the header has 9; remove the extra cells, or write a | inside a value as \\|"
        ]
    );
    let estimate = format!("{HEADER}| T1 | d | a | - | - | A | Not Started | - | soon |\n");
    assert!(errors(&estimate)[0].contains("cannot read estimate \"soon\""));
    let branch = format!("{HEADER}| T1 | d | a | - | `x..y` | A | Not Started | - | 1h |\n");
    assert!(errors(&branch)[0].contains("branch name \"x..y\" is not allowed"));
}

#[test]
fn empty_garbage_and_missing_matrix() {
    assert!(errors("")[0].starts_with("PLAN.md:1:1: no task matrix found"));
    assert!(
        errors("# Just a title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")[0]
            .contains("no task matrix found")
    );
    let garbage = read_plan(
        Path::new("PLAN.md"),
        vec![0x89, b'P', b'N', b'G', 0, 0xff, 0xfe],
    );
    let garbage = garbage.expect_err("garbage is refused");
    assert!(garbage.to_string().contains("not UTF-8"), "{garbage}");
    let nul = errors("ok\n\0\n");
    assert!(
        nul[0].starts_with("PLAN.md:2:1: the plan contains a NUL byte"),
        "{nul:?}"
    );
    let no_delimiter = errors("# P\n\n| Task ID | Status |\n| T1 | Done |\n");
    assert!(
        no_delimiter[0].starts_with("PLAN.md:3:1: this looks like the task matrix's header"),
        "{no_delimiter:?}"
    );
}

#[test]
fn graph_errors_point_at_rows() {
    let text = format!(
        "{HEADER}| T1 | d | a | - | - | A | Not Started | T3 | 1h |\n| T2 | d | a | - | - | A | Not Started | T9 | 1h |\n| T3 | d | a | - | - | A | Not Started | T1 | 1h |\n| t2 | d | a | - | - | A | Not Started | - | 1h |\n"
    );
    let doc = read(&text).expect("cells read");
    let problems: Vec<String> = doc
        .plan()
        .expect_err("invalid")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[0].contains("dependency cycle: T1 -> T3 -> T1"),
        "{problems:?}"
    );
    assert!(problems[0].starts_with("PLAN.md:3:"), "{problems:?}");
    assert!(
        problems[1].starts_with("PLAN.md:4:") && problems[1].contains("depends on T9"),
        "{problems:?}"
    );
    assert!(
        problems[2].starts_with("PLAN.md:6:3: duplicate task id t2"),
        "{problems:?}"
    );
}

fn cell_text() -> impl Strategy<Value = String> {
    "[ -~\u{a0}-\u{17f}\u{4e00}-\u{4e08}\u{1F680}-\u{1F686}]{0,24}"
        .prop_map(|s| s.trim_matches([' ', '\t']).to_owned())
}

proptest! {
    /// A matrix written with escaped cells reads back the same values, whatever the text.
    #[test]
    fn rendered_matrix_reads_back(rows in proptest::collection::vec((cell_text(), cell_text(), cell_text()), 1..6)) {
        let mut text = String::from("# Plan\n\n| Task ID | Description | Agent/Skills | Status | Notes |\n|---|---|---|---|---|\n");
        for (i, (description, agent, notes)) in rows.iter().enumerate() {
            text.push_str(&format!(
                "| T{i} | {} | {} | Not Started | {} |\n",
                escape_cell(description).expect("printable"),
                escape_cell(&agent.replace('/', "")).expect("printable"),
                escape_cell(notes).expect("printable"),
            ));
        }
        let doc = read(&text).expect("reads");
        prop_assert_eq!(doc.tasks.len(), rows.len());
        for (i, (description, agent, notes)) in rows.iter().enumerate() {
            prop_assert_eq!(&doc.tasks[i].description, description);
            // A lone `-` in the Agent/Skills cell means "no agent".
            let agent = agent.replace('/', "");
            let expected = if agent.trim() == "-" { "" } else { agent.trim() };
            prop_assert_eq!(doc.tasks[i].agent.as_str(), expected);
            prop_assert_eq!(doc.matrix.table.rows[i].cells[4].value(&doc.text), notes.as_str());
        }
    }

    /// Any input at all: no panic, and every cell span lies on character boundaries.
    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), table in "[|a-z `\\\\\r\n-]{0,200}") {
        let _ = read_plan(Path::new("x"), bytes);
        let text = format!("| Task ID | Status |\n|---|---|\n{table}");
        if let Ok(doc) = read(&text) {
            for row in &doc.matrix.table.rows {
                for cell in &row.cells {
                    prop_assert!(doc.text.get(cell.span.clone()).is_some());
                    prop_assert!(doc.text.get(cell.content.clone()).is_some());
                }
            }
        }
    }
}
