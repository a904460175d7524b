//! `orch-plan fmt`: canonical status spellings and aligned tables.
//!
//! This is the one writer allowed to change bytes outside the cells it edits, and it still only
//! rewrites table rows: every cell keeps its content byte for byte (statuses aside, which take
//! their canonical spelling), and only the padding and delimiter rows change. Prose, lists and
//! everything else stay as they are; that is why this does not re-render the document through
//! a markdown printer.

use std::ops::Range;

use orch_core::Status;
use unicode_width::UnicodeWidthStr;

use crate::edit::{EditError, ExecutionLog, LogColumn, Splice, apply};
use crate::matrix::{ColumnKind, PlanDoc, read_plan};
use crate::table::{Table, tables};

/// What formatting did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Formatted {
    /// The formatted text.
    pub text: String,
    /// How many status cells got their canonical spelling.
    pub statuses: usize,
    /// How many tables were realigned.
    pub tables: usize,
    /// Tables left alone, with their first line and the reason.
    pub skipped: Vec<(usize, &'static str)>,
}

/// Formats a plan: statuses in the matrix and the Execution Log take their canonical spelling,
/// and every simple table (rows starting with `|` at the start of the line, no extra cells) is
/// aligned. The result is verified to read back as the same tasks with the same cell values.
pub fn format_plan(doc: &PlanDoc) -> Result<Formatted, EditError> {
    let text = doc.text.as_str();
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut overrides: Vec<(Range<usize>, String)> = Vec::new();
    let mut statuses = 0;
    for (row, task) in doc.matrix.table.rows.iter().zip(&doc.tasks) {
        if let Some(cell) = doc.matrix.cell(row, ColumnKind::Status)
            && &text[cell.content.clone()] != task.status.as_str()
        {
            overrides.push((cell.content.clone(), task.status.as_str().to_owned()));
            statuses += 1;
        }
    }
    if let Some(log) = ExecutionLog::find(doc)
        && let Some(column) = log.column(LogColumn::Status)
    {
        for row in &log.table.rows {
            let Some(cell) = row.cells.get(column) else {
                continue;
            };
            if let Ok(status) = Status::parse(cell.value(text))
                && &text[cell.content.clone()] != status.as_str()
            {
                overrides.push((cell.content.clone(), status.as_str().to_owned()));
                statuses += 1;
            }
        }
    }
    let mut splices = Vec::new();
    let mut formatted = Formatted {
        statuses,
        ..Formatted::default()
    };
    let all = tables(&text[bom..], bom);
    for table in &all {
        match align(text, table, &overrides) {
            Ok(Some(splice)) => {
                splices.push(splice);
                formatted.tables += 1;
            }
            Ok(None) => {}
            Err(reason) => formatted
                .skipped
                .push((doc.lines.line(table.span.start), reason)),
        }
    }
    // Status cells of tables that were skipped still get their spelling fixed.
    for (range, value) in &overrides {
        if !splices
            .iter()
            .any(|s: &Splice| s.range.start <= range.start && range.end <= s.range.end)
        {
            splices.push(Splice {
                range: range.clone(),
                text: value.clone(),
            });
        }
    }
    formatted.text = apply(text, splices)?;
    verify(doc, &formatted.text, &all)?;
    Ok(formatted)
}

/// The splice that realigns one table, `None` if it is aligned already.
fn align(
    text: &str,
    table: &Table,
    overrides: &[(Range<usize>, String)],
) -> Result<Option<Splice>, &'static str> {
    let rows: Vec<&crate::table::Row> = std::iter::once(&table.header).chain(&table.rows).collect();
    let width = table.header.cells.len();
    for row in &rows {
        let line_start = text[..row.span.start].rfind('\n').map_or(0, |i| i + 1);
        if line_start != row.span.start || !text[row.span.start..].starts_with('|') {
            return Err("its rows do not all start with | at the start of the line");
        }
        if row.extra > 0 {
            return Err("a row has more cells than the header");
        }
    }
    let delimiter_range =
        table.header.span.end..table.rows.first().map_or(table.span.end, |r| r.span.start);
    let delimiter = &text[delimiter_range.clone()];
    let ending = if table.header.span.end > 0 && text[..table.header.span.end].ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let alignments: Vec<(bool, bool)> = delimiter
        .trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| {
            let c = c.trim();
            (c.starts_with(':'), c.ends_with(':'))
        })
        .collect();
    let contents: Vec<Vec<&str>> = rows
        .iter()
        .map(|row| {
            (0..width)
                .map(|i| match row.cells.get(i) {
                    Some(cell) if i < width - row.missing => overrides
                        .iter()
                        .find(|(r, _)| *r == cell.content)
                        .map_or(&text[cell.content.clone()], |(_, v)| v.as_str()),
                    _ => "",
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..width)
        .map(|i| {
            contents
                .iter()
                .map(|r| UnicodeWidthStr::width(r[i]))
                .max()
                .unwrap_or(0)
                .max(3)
        })
        .collect();
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                format!(
                    "{c}{}",
                    " ".repeat(w.saturating_sub(UnicodeWidthStr::width(*c)))
                )
            })
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    let rule: Vec<String> = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let (left, right) = alignments.get(i).copied().unwrap_or((false, false));
            let dashes = "-".repeat(w - usize::from(left) - usize::from(right));
            format!(
                "{}{dashes}{}",
                if left { ":" } else { "" },
                if right { ":" } else { "" }
            )
        })
        .collect();
    let last_end = rows
        .last()
        .map_or(table.span.end, |r| r.span.end)
        .max(delimiter_range.end);
    let trailing_break = text[..last_end].ends_with('\n');
    let mut out = String::new();
    out.push_str(&line(&contents[0]));
    out.push_str(ending);
    out.push_str(&format!("| {} |", rule.join(" | ")));
    for cells in &contents[1..] {
        out.push_str(ending);
        out.push_str(&line(cells));
    }
    if trailing_break {
        out.push_str(ending);
    }
    let range = table.header.span.start..last_end;
    if text[range.clone()] == out {
        Ok(None)
    } else {
        Ok(Some(Splice { range, text: out }))
    }
}

/// The formatted text must read back as the same tasks, and every table cell the same.
fn verify(doc: &PlanDoc, formatted: &str, before: &[Table]) -> Result<(), EditError> {
    let fail = |why: &str| EditError::RoundTrip(why.to_owned());
    let after =
        read_plan(&doc.path, formatted.as_bytes().to_vec()).map_err(|e| fail(&e.to_string()))?;
    if after.tasks != doc.tasks {
        return Err(fail("the tasks changed"));
    }
    let bom = if formatted.starts_with('\u{feff}') {
        3
    } else {
        0
    };
    let tables_after = tables(&formatted[bom..], bom);
    if tables_after.len() != before.len() {
        return Err(fail("the number of tables changed"));
    }
    for (old, new) in before.iter().zip(&tables_after) {
        let values = |t: &Table, text: &str| -> Vec<Vec<String>> {
            std::iter::once(&t.header)
                .chain(&t.rows)
                .map(|r| {
                    r.cells
                        .iter()
                        .map(|c| normalise_status(c.value(text)))
                        .collect()
                })
                .collect()
        };
        if values(old, &doc.text) != values(new, formatted) {
            return Err(fail("a table cell changed"));
        }
    }
    Ok(())
}

fn normalise_status(value: &str) -> String {
    Status::parse(value).map_or_else(|_| value.to_owned(), |s| s.as_str().to_owned())
}
