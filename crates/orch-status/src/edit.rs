//! Surgical edits of a plan: only the bytes of the edited cells change, and every edit is
//! verified by reading the result back before anything is written.

use std::ops::Range;

use crate::escape::{CellError, escape_cell};
use crate::matrix::{ColumnKind, PlanDoc};
use crate::table::{Cell, Row, Table};

/// Replace `range` of the text with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    /// The bytes to replace.
    pub range: Range<usize>,
    /// What to put there.
    pub text: String,
}

/// Why an edit cannot be made. Nothing is written in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The value cannot go into a cell.
    #[error(transparent)]
    Cell(#[from] CellError),
    /// A row of the Execution Log leaves out cells.
    #[error(
        "line {0}: this Execution Log row has fewer cells than its header; add the missing cells (write - for an empty value)"
    )]
    MissingCell(usize),
    /// Two edits touch the same bytes.
    #[error("two edits overlap at byte {0}; this is a bug in orch, please report it")]
    Overlap(usize),
    /// The edited text does not read back as intended.
    #[error("the edit does not read back exactly ({0}); nothing was written")]
    RoundTrip(String),
}

/// The splice that sets `cell` to `value`, escaped. Only the cell's own bytes change. Its
/// padding is kept where it can be: a shorter value leaves more trailing spaces, a longer one
/// uses them up (down to one), so aligned tables stay aligned as far as the padding allows.
///
/// The caller makes sure the cell exists in the row (is not one GFM padded in).
pub fn cell_splice(text: &str, cell: &Cell, value: &str) -> Result<Splice, EditError> {
    let escaped = escape_cell(value)?;
    let old = text.get(cell.content.clone()).unwrap_or("");
    let trailing = text.get(cell.content.end..cell.span.end).unwrap_or("");
    let spaces = trailing.len() - trailing.trim_start_matches(' ').len();
    let rest = &trailing[spaces..];
    let (old_width, new_width) = (old.chars().count(), escaped.chars().count());
    let mut padding = if new_width <= old_width {
        spaces + (old_width - new_width)
    } else {
        spaces
            .saturating_sub(new_width - old_width)
            .max(spaces.min(1))
    };
    // A value written into an empty cell gets one space on each side, as people write them.
    let lead = if old.is_empty() && cell.content.start == cell.span.start {
        " "
    } else {
        ""
    };
    // A value written into an empty cell gets a space after it too; and a value ending in a
    // backslash must not touch the closing pipe, or the two would read as an escaped `\|`.
    if padding == 0 && (old.is_empty() || escaped.ends_with('\\')) {
        padding = 1;
    }
    Ok(Splice {
        range: cell.content.start..cell.span.end,
        text: format!("{lead}{escaped}{}{rest}", " ".repeat(padding)),
    })
}

/// Applies non-overlapping splices to `text`.
pub fn apply(text: &str, mut splices: Vec<Splice>) -> Result<String, EditError> {
    splices.sort_by_key(|s| (s.range.start, s.range.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for splice in &splices {
        if splice.range.start < at || splice.range.end > text.len() {
            return Err(EditError::Overlap(splice.range.start));
        }
        out.push_str(
            text.get(at..splice.range.start)
                .ok_or(EditError::Overlap(at))?,
        );
        out.push_str(&splice.text);
        at = splice.range.end;
    }
    out.push_str(text.get(at..).ok_or(EditError::Overlap(at))?);
    Ok(out)
}

/// A column of the Execution Log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogColumn {
    /// `Task ID`
    TaskId,
    /// `Agent ID`
    AgentId,
    /// `Started`
    Started,
    /// `Completed`
    Completed,
    /// `Actual Duration`
    ActualDuration,
    /// `Status`
    Status,
    /// `Notes`
    Notes,
}

impl LogColumn {
    fn from_header(text: &str) -> Option<LogColumn> {
        let key: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        Some(match key.as_str() {
            "taskid" | "task" | "id" => LogColumn::TaskId,
            "agentid" | "agent" => LogColumn::AgentId,
            "started" | "start" => LogColumn::Started,
            "completed" | "finished" | "end" => LogColumn::Completed,
            "actualduration" | "duration" => LogColumn::ActualDuration,
            "status" => LogColumn::Status,
            "notes" | "note" => LogColumn::Notes,
            _ => return None,
        })
    }
}

/// The plan's Execution Log: the first table after the matrix with a `Task ID` column and a
/// `Started`, `Completed` or `Actual Duration` column.
#[derive(Clone, Debug)]
pub struct ExecutionLog {
    /// The table.
    pub table: Table,
    pub(crate) columns: Vec<Option<LogColumn>>,
}

impl ExecutionLog {
    /// Finds the Execution Log of a plan, if it has one.
    pub fn find(doc: &PlanDoc) -> Option<ExecutionLog> {
        // The log comes after the matrix, which ends at the top level of the document; reading
        // from there keeps a large matrix from being parsed twice.
        let table = ExecutionLog::find_table(&doc.text, doc.matrix.table.span.end)?;
        let columns = table
            .header
            .cells
            .iter()
            .map(|c| LogColumn::from_header(c.value(&doc.text)))
            .collect();
        Some(ExecutionLog { table, columns })
    }

    /// The first Execution Log table of `text` at or after byte `from`.
    pub(crate) fn find_table(text: &str, from: usize) -> Option<Table> {
        let is_log = |headers: &[&str]| {
            let columns: Vec<Option<LogColumn>> =
                headers.iter().map(|h| LogColumn::from_header(h)).collect();
            let has = |k| columns.contains(&Some(k));
            has(LogColumn::TaskId)
                && (has(LogColumn::Started)
                    || has(LogColumn::Completed)
                    || has(LogColumn::ActualDuration))
        };
        Table::find(text.get(from..)?, from, is_log)
    }

    /// The index of a task's row (ids compare ignoring case).
    pub fn row_index(&self, text: &str, task: &str) -> Option<usize> {
        let id = self.column(LogColumn::TaskId)?;
        self.table.rows.iter().position(|row| {
            row.cells
                .get(id)
                .is_some_and(|c| c.value(text).eq_ignore_ascii_case(task))
        })
    }

    /// The position of a column.
    pub fn column(&self, kind: LogColumn) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(kind))
    }

    /// The row of a task (ids compare ignoring case).
    pub fn row(&self, text: &str, task: &str) -> Option<&Row> {
        let id = self.column(LogColumn::TaskId)?;
        self.table.rows.iter().find(|row| {
            row.cells
                .get(id)
                .is_some_and(|c| c.value(text).eq_ignore_ascii_case(task))
        })
    }

    /// The value of a task's cell, if both exist.
    pub fn value(&self, text: &str, task: &str, kind: LogColumn) -> Option<String> {
        let i = self.column(kind)?;
        self.row(text, task)?
            .cells
            .get(i)
            .map(|c| c.value(text).to_owned())
    }

    /// A new row for `task` with `-` in every other cell, ending with the table's line ending,
    /// inserted after the last row.
    pub fn new_row(
        &self,
        text: &str,
        task: &str,
        values: &[(LogColumn, String)],
    ) -> Result<Splice, EditError> {
        let last = self.table.rows.last().unwrap_or(&self.table.header);
        let ending = if text
            .get(last.span.clone())
            .is_some_and(|r| r.ends_with("\r\n"))
        {
            "\r\n"
        } else {
            "\n"
        };
        let mut cells = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let value = match column {
                Some(LogColumn::TaskId) => task.to_owned(),
                Some(kind) => values
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or("-".to_owned(), |(_, v)| v.clone()),
                None => "-".to_owned(),
            };
            cells.push(escape_cell(&value)?);
        }
        // The delimiter row follows the header; after it is where the first row goes.
        let at = match self.table.rows.last() {
            Some(row) => row.span.end,
            None => delimiter_end(text, &self.table),
        };
        let needs_break = at > 0 && !text[..at].ends_with('\n');
        let lead = if needs_break { ending } else { "" };
        Ok(Splice {
            range: at..at,
            text: format!("{lead}| {} |{ending}", cells.join(" | ")),
        })
    }
}

/// The offset after the table's delimiter row (the line after the header).
fn delimiter_end(text: &str, table: &Table) -> usize {
    let after_header = table.header.span.end;
    match text[after_header..].find('\n') {
        Some(i) => after_header + i + 1,
        None => text.len(),
    }
}

/// Where a new blocker entry goes: at the end of the "Notes and Blockers" section, before the
/// `---` rule and blank lines that close it. `None` if the plan has no such section.
pub fn blockers_insertion_point(text: &str) -> Option<usize> {
    let all = crate::sections::headings(text);
    let section = all
        .iter()
        .position(|h| h.title.contains("notes and blockers"))?;
    let end = crate::sections::section_end(text, &all, section);
    Some(crate::sections::content_end(text, all[section].end, end))
}

/// The value a matrix cell of `kind` has after an edit, for verification.
pub fn matrix_value(doc: &PlanDoc, row: usize, kind: ColumnKind) -> Option<&str> {
    let row = doc.matrix.table.rows.get(row)?;
    doc.matrix.cell(row, kind).map(|c| c.value(&doc.text))
}
