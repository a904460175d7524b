//! The fast table reader against pulldown-cmark: whenever the fast reader answers, its table must
//! equal the one pulldown-cmark reads from the whole document, byte range for byte range.

use orch_status::{ColumnKind, Table, tables};
use proptest::prelude::*;

/// The matrix test of `find_matrix`: a header with both `Task ID` and `Status`.
fn is_matrix(values: &[&str]) -> bool {
    let has = |kind| {
        values
            .iter()
            .any(|v| ColumnKind::from_header(v) == Some(kind))
    };
    has(ColumnKind::TaskId) && has(ColumnKind::Status)
}

/// The first matrix table, read with pulldown-cmark from the whole text. `full` is the file,
/// BOM included, and `base` the length of its BOM.
fn slow(full: &str, base: usize) -> Option<Table> {
    tables(&full[base..], base).into_iter().find(|table| {
        let values: Vec<&str> = table.header.cells.iter().map(|c| c.value(full)).collect();
        is_matrix(&values)
    })
}

/// Checks the fast reader against pulldown-cmark on `full` (a BOM, if any, is stripped as
/// `read_plan` does) and returns whether the fast reader answered.
fn check(full: &str) -> bool {
    let base = if full.starts_with('\u{feff}') { 3 } else { 0 };
    let text = &full[base..];
    let expected = slow(full, base);
    let fast = Table::find_fast(text, base, is_matrix);
    if let Some(table) = &fast {
        assert_eq!(
            Some(table),
            expected.as_ref(),
            "fast reader differs on {full:?}"
        );
        let rows = |t: &Table| -> Vec<Vec<String>> {
            t.rows
                .iter()
                .map(|r| r.cells.iter().map(|c| c.value(full).to_owned()).collect())
                .collect()
        };
        assert_eq!(rows(table), expected.as_ref().map(rows).unwrap_or_default());
    }
    assert_eq!(
        Table::find(text, base, is_matrix),
        expected,
        "find differs on {full:?}"
    );
    fast.is_some()
}

const HEADER: &str = "| Task ID | Description | Status |\n|---|---|---|\n";

#[test]
fn reads_a_plain_matrix_fast() {
    let text = format!("# Plan\n\n{HEADER}| T1 | a `b` \\| c | Done |\n| T2 | x |\n\nAfter.\n");
    assert!(check(&text));
    assert!(check(&format!("\u{feff}{}", text.replace('\n', "\r\n"))));
    // The last row may end the file without a line ending.
    assert!(check(&format!("{HEADER}| T1 | x | y | extra |")));
    // Lone carriage returns end lines too.
    assert!(check(
        &format!("{HEADER}| T1 | x | y |").replace('\n', "\r")
    ));
}

#[test]
fn reads_a_large_generated_plan_fast() {
    let mut text = String::from(
        "# Plan\n\n| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for i in 1..=500 {
        text.push_str(&format!(
            "| T{i} | Implement part {i} of the system \\| with `code` | Builder-{} / `builder-skill`, `validator-skill` | `../wt/T{i}` | `feature/t{i}` | G{} | Completed | T{}, T{} | {}h |\n",
            i % 8,
            i % 13,
            i.max(2) - 1,
            (i / 2).max(1),
            1 + i % 4
        ));
    }
    assert!(check(&text));
}

#[test]
fn skips_candidates_that_pulldown_does_not_read_as_tables() {
    let fenced = "```\n| Task ID | Status |\n|---|---|\n| F1 | x |\n```\n\n";
    assert!(check(&format!("{fenced}{HEADER}| T1 | a | b |\n")));
    // A header inside a paragraph is no table either.
    let lazy = "Some text\n| Task ID | Status |\n|---|---|\n\n";
    assert!(check(&format!("{lazy}{HEADER}| T1 | a | b |\n")));
    // After three candidates that are not tables, the fast reader gives up.
    let text = format!("{fenced}{fenced}{fenced}{HEADER}| T1 | a | b |\n");
    assert!(!check(&text));
}

#[test]
fn falls_back_on_a_row_without_a_leading_pipe() {
    assert!(!check(&format!("{HEADER}| T1 | a | b |\nT2 | c | d\n")));
    assert!(!check(&format!(
        "{HEADER}| T1 | a | b |\n  | T2 | c | d |\n"
    )));
}

#[test]
fn falls_back_on_text_or_a_heading_right_after_the_table() {
    assert!(!check(&format!(
        "{HEADER}| T1 | a | b |\nText right after.\n"
    )));
    assert!(!check(&format!("{HEADER}| T1 | a | b |\n# Heading\n")));
    assert!(!check(&format!("{HEADER}| T1 | a | b |\n```\ncode\n```\n")));
    // A blank line ends the table; anything may follow.
    assert!(check(&format!("{HEADER}| T1 | a | b |\n \t\n# Heading\n")));
}

#[test]
fn falls_back_on_a_link_reference_definition() {
    let row = "| T1 | [ref] | b |\n";
    assert!(!check(&format!(
        "[ref]: https://example.com\n\n{HEADER}{row}"
    )));
    assert!(!check(&format!(
        "{HEADER}{row}\n[ref]: https://example.com\n"
    )));
    assert!(!check(&format!("> [ref]: /url\n\n{HEADER}{row}")));
    let header = "| Task ID | [Description] | Status |\n|---|---|---|\n";
    assert!(!check(&format!("{header}| T1 | a | b |\n\n[ref]: /url\n")));
    // Without one, brackets are read by the exact decoder; one after the table only matters
    // when a cell has brackets.
    assert!(check(&format!("{HEADER}{row}")));
    assert!(check(&format!("{HEADER}| T1 | a | b |\n\n[ref]: /url\n")));
}

#[test]
fn falls_back_on_a_row_without_cells() {
    assert!(!check(&format!(
        "{HEADER}| T1 | a | b |\n|\n| T2 | c | d |\n"
    )));
    assert!(!check(&format!("{HEADER}| T1 | a | b |\n|  \t\n")));
}

#[test]
fn falls_back_when_the_matrix_is_not_a_top_level_pipe_table() {
    // In a block quote, a list or without a leading pipe, no line is a candidate, or pulldown-cmark
    // finds the table somewhere else.
    assert!(!check("> | Task ID | Status |\n> |---|---|\n| T1 | a |\n"));
    assert!(!check("- | Task ID | Status |\n  |---|---|\n| T1 | a |\n"));
    assert!(!check("Task ID | Status\n---|---\n| T1 | a |\n"));
    // A first matrix whose header has markup is no candidate; a later one is, but pulldown-cmark
    // finds the first one in its prefix.
    let text =
        format!("| **Task ID** | Status |\n|---|---|\n| T0 | x |\n\n{HEADER}| T1 | a | b |\n");
    assert!(!check(&text));
    // Indented code is no table at all.
    assert!(!check("    | Task ID | Status |\n    |---|---|\n"));
}

#[test]
fn falls_back_when_pulldown_stops_padding_cells() {
    // pulldown-cmark pads at most 2^18 cells per table; past that its output is its own.
    let width = 120;
    let mut text = String::from("| Task ID | Status |");
    text.push_str(&" x |".repeat(width - 2));
    text.push('\n');
    text.push_str(&"|---".repeat(width));
    text.push_str("|\n");
    text.push_str(&"| T |\n".repeat((1 << 18) / (width - 1) + 2));
    assert!(!check(&text));
}

#[test]
fn decodes_markup_exactly() {
    for cell in [
        "`a`",
        "` a `",
        "`  `",
        "` a`",
        "x `a` y `b` z",
        "a \\| b",
        "\\|",
        "`a \\| b`",
        "a \\\\| b",
        "**bold** _em_",
        "[link](x) ![img](y)",
        "<b>html</b> <http://x.y>",
        "&amp; &copy; &nope;",
        "``a`b``",
        "`unpaired",
        "a\\",
        "\u{1F680} `\u{4E2D}\u{6587}` é",
        "~~s~~ ^x^ $m$",
        "a\u{b}b",
        // Vertical tabs and form feeds pad cells for pulldown-cmark but not for `trimmed`.
        "\u{b}",
        " \u{c} x",
        "`*a*` `[b]` `<c>` `&amp;`",
    ] {
        let text = format!("{HEADER}| T1 | {cell} | {cell}\n| T2 |{cell}|x|\n");
        assert!(check(&text), "fast reader gave up on {cell:?}");
    }
}

/// Pieces of cell text: plain, markup, escapes, pipes and multibyte characters.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "T1",
        "x y",
        " ",
        "  ",
        "\t",
        "|",
        "\\|",
        "\\",
        "\\\\",
        "\\\\|",
        "`",
        "``",
        "`c`",
        "` s `",
        "*",
        "**",
        "_",
        "__",
        "[",
        "]",
        "[l](u)",
        "![i](s)",
        "<",
        ">",
        "<b>",
        "<a:b>",
        "&",
        "&amp;",
        "&#42;",
        "!",
        "~",
        "~~",
        "\u{1F680}",
        "\u{4E2D}\u{6587}",
        "é",
        "-",
        ".",
        "...",
        ":",
        "\u{b}",
    ])
}

fn cell() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..5).prop_map(|pieces| pieces.concat())
}

/// Blocks that may come before the matrix.
fn block() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "Some *text* with `code`.",
        "# Heading",
        "```\n| Task ID | Status |\n|---|---|\n| F1 | fenced |\n```",
        "~~~\n| Task ID | Status |\n|---|---|\n",
        "| A | B |\n|---|---|\n| 1 | 2 |",
        "| Task ID | Other |\n|---|---|\n| 1 | 2 |",
        "- item\n- | Task ID | Status |\n  |---|---|\n  | L1 | x |",
        "> | Task ID | Status |\n> |---|---|",
        "<div>\n| Task ID | Status |\n|---|---|\n</div>",
        "    | Task ID | Status |\n    |---|---|",
        "| Task ID | Status |\nno delimiter",
        "Paragraph line",
        "[ref]: /url",
    ])
}

/// Lines that may follow the table.
fn trailer() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "\n",
        "\n\nText after.\n",
        "\nText right after.\n",
        "\n# Heading right after\n",
        "\n  \n| not | the table |\n",
        "\n\n[ref]: /url\n",
        "\n|\n",
    ])
}

/// A row line of the generated table.
#[derive(Debug, Clone)]
struct RowLine {
    cells: Vec<String>,
    /// Whether the line starts with a pipe, and what comes before it.
    lead: bool,
    indent: &'static str,
    trail: bool,
    /// Padding on both sides of every cell.
    pad: &'static str,
}

#[derive(Debug, Clone)]
struct Doc {
    bom: bool,
    eol: &'static str,
    blocks: Vec<(&'static str, bool)>,
    width: usize,
    /// The delimiter row's shape: 0 plain, 1 aligned, 2 one column short, 3 without the leading
    /// pipe, 4 with a tab.
    delimiter: u8,
    rows: Vec<RowLine>,
    trailer: &'static str,
}

impl Doc {
    fn render(&self) -> String {
        let mut text = String::new();
        if self.bom {
            text.push('\u{feff}');
        }
        for (block, blank) in &self.blocks {
            text.push_str(block);
            text.push('\n');
            if *blank {
                text.push('\n');
            }
        }
        let names = [
            "Task ID",
            "Status",
            "Description",
            "Agent/Skills",
            "Estimate",
        ];
        text.push('|');
        for name in &names[..self.width] {
            text.push_str(&format!(" {name} |"));
        }
        text.push('\n');
        let columns = if self.delimiter == 2 {
            self.width - 1
        } else {
            self.width
        };
        if self.delimiter != 3 {
            text.push('|');
        }
        for i in 0..columns {
            text.push_str(match (self.delimiter, i % 2) {
                (1, 1) => ":-:|",
                (4, 1) => "---\t|",
                _ => "---|",
            });
        }
        text.push('\n');
        for row in &self.rows {
            text.push_str(row.indent);
            if row.lead {
                text.push('|');
            }
            let pad = row.pad;
            let joined: Vec<String> = row.cells.iter().map(|c| format!("{pad}{c}{pad}")).collect();
            text.push_str(&joined.join("|"));
            if row.trail {
                text.push('|');
            }
            text.push('\n');
        }
        // The last row's line ending belongs to the trailer: without one, the file ends there.
        if !self.rows.is_empty() && self.trailer.is_empty() {
            text.pop();
        }
        text.push_str(self.trailer.strip_prefix('\n').unwrap_or(self.trailer));
        if self.eol == "\n" {
            text
        } else {
            text.replace('\n', self.eol)
        }
    }
}

fn row_line(width: usize, clean: bool) -> impl Strategy<Value = RowLine> {
    let (lead, indent) = if clean {
        (Just(true).boxed(), Just("").boxed())
    } else {
        (
            prop::bool::weighted(0.9).boxed(),
            prop::sample::select(vec!["", "", "", "", " ", "  ", "\t"]).boxed(),
        )
    };
    (
        prop::collection::vec(cell(), width.saturating_sub(2)..=width + 2),
        lead,
        indent,
        any::<bool>(),
        prop::sample::select(vec!["", " ", "  "]),
    )
        .prop_map(move |(mut cells, lead, indent, trail, pad)| {
            if clean {
                // A first cell with text keeps the row from being empty.
                cells.insert(0, "T".to_owned());
            }
            RowLine {
                cells,
                lead,
                indent,
                trail,
                pad,
            }
        })
}

fn doc(clean: bool) -> impl Strategy<Value = Doc> {
    let blocks = if clean {
        prop::collection::vec((block(), Just(true)), 0..3)
            .prop_map(|b| b.into_iter().filter(|(t, _)| !t.starts_with('[')).collect())
            .boxed()
    } else {
        prop::collection::vec((block(), any::<bool>()), 0..3).boxed()
    };
    let delimiter = if clean {
        (0u8..=1).boxed()
    } else {
        prop_oneof![4 => 0u8..=1, 1 => 2u8..=4].boxed()
    };
    let trailers = if clean {
        prop::sample::select(vec!["", "\n", "\n\nText after.\n", "\n  \n# Heading\n"]).boxed()
    } else {
        trailer().boxed()
    };
    (
        any::<bool>(),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        blocks,
        2usize..=5,
        delimiter,
        trailers,
    )
        .prop_flat_map(move |(bom, eol, blocks, width, delimiter, trailer)| {
            prop::collection::vec(row_line(width, clean), 0..8).prop_map(move |rows| Doc {
                bom,
                eol,
                blocks: blocks.clone(),
                width,
                delimiter,
                rows,
                trailer,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_reader_matches_pulldown(doc in doc(false)) {
        check(&doc.render());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn fast_reader_reads_clean_documents(doc in doc(true)) {
        let text = doc.render();
        // Blocks before the matrix that hold a matrix-like table of their own make pulldown-cmark
        // find that one first; the fast reader must then give up, and otherwise answer.
        // pulldown-cmark ends lines of fenced code and HTML blocks only at `\n`, so with lone
        // `\r` line endings such a block swallows the rest of the file.
        let shadowed = doc
            .blocks
            .iter()
            .any(|(b, _)| b.starts_with("- ") || b.starts_with("> ") || b.starts_with("~~~"))
            || (doc.eol == "\r" && !doc.blocks.is_empty());
        let fast = check(&text);
        prop_assert!(fast || shadowed, "fast reader gave up on {:?}", text);
    }
}

/// Lines for documents of loosely related lines: headers, delimiter rows, rows and blocks in any
/// order, so that candidates, containers and table ends meet in every way.
fn noise_line() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "| Task ID | Status |",
            "| Task ID | Status |\n|---|---|",
            "| Task ID | Status |\n|---|---|",
            "|Task ID|Status|Notes|\n|-|-|-|",
            "|Task ID|Status|Notes|",
            "| task_id | STATUS |",
            "Task ID | Status",
            "|---|---|",
            "|:--|--:|",
            "|---|---|---|",
            "---|---",
            "| --- | --- |",
            "```",
            "~~~",
            "<div>",
            "</div>",
            "<!--",
            "-->",
            "> | Task ID | Status |",
            "> |---|---|",
            "- | Task ID | Status |",
            "  |---|---|",
            "    | Task ID | Status |",
            "# Heading",
            "Text",
            "",
            "   ",
            "|",
            "| |",
            "[ref]: /url",
            "[ref]",
            "***",
        ])
        .prop_map(str::to_owned),
        (
            prop::collection::vec(cell(), 1..5),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(cells, lead, trail)| {
                let mut line = String::new();
                if lead {
                    line.push('|');
                }
                line.push_str(&cells.join("|"));
                if trail {
                    line.push('|');
                }
                line
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn fast_reader_matches_pulldown_on_loose_lines(
        bom in any::<bool>(),
        eol in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        lines in prop::collection::vec(noise_line(), 0..14),
        last_eol in any::<bool>(),
    ) {
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str(&lines.join("\n"));
        if last_eol {
            text.push('\n');
        }
        check(&text.replace('\n', eol));
    }
}
