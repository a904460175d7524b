//! GFM tables with the byte range of every cell, read with pulldown-cmark.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// One cell of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The bytes between the cell's pipes, padding included. Empty at the row's end for a cell
    /// the row leaves out.
    pub span: Range<usize>,
    /// The cell's content without the padding around it.
    pub content: Range<usize>,
    /// The inline text when it differs from the content's bytes (escapes, code spans, markup).
    /// Most cells are plain text, so most cells need no copy of their own.
    decoded: Option<String>,
}

impl Cell {
    /// The inline text: code-span backticks, escapes and emphasis markers removed, trimmed.
    /// `text` is the text the table was read from (the whole file, BOM included).
    pub fn value<'a>(&'a self, text: &'a str) -> &'a str {
        match &self.decoded {
            Some(value) => value,
            None => text.get(self.content.clone()).unwrap_or(""),
        }
    }
}

/// A cell being read: its ranges, and its value when that is not its content as it stands.
struct OpenCell {
    span: Range<usize>,
    content: Range<usize>,
    /// The value so far; `None` while the value is exactly the content's bytes.
    decoded: Option<String>,
    /// Whether any inline text was seen.
    seen: bool,
}

impl OpenCell {
    fn push(&mut self, text: &str, range: &Range<usize>, base: usize, plain: bool) {
        let whole = plain
            && !self.seen
            && range.start + base == self.content.start
            && range.end + base == self.content.end;
        self.seen = true;
        if whole {
            return;
        }
        self.decoded.get_or_insert_with(String::new).push_str(text);
    }

    fn finish(self) -> Cell {
        let decoded = match self.decoded {
            Some(value) => Some(value.trim_matches([' ', '\t']).to_owned()),
            // A cell with content but no inline text (an image without alt text, say) reads as
            // empty.
            None if !self.seen && !self.content.is_empty() => Some(String::new()),
            None => None,
        };
        Cell {
            span: self.span,
            content: self.content,
            decoded,
        }
    }
}

/// One row of a table (the header row too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The whole row, line ending included.
    pub span: Range<usize>,
    /// The cells, as many as the header has: a row with fewer has empty cells at the end.
    pub cells: Vec<Cell>,
    /// How many cells the row leaves out at its end.
    pub missing: usize,
    /// How many cells the row has beyond the header's (GFM drops them silently).
    pub extra: usize,
}

/// A GFM table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The whole table.
    pub span: Range<usize>,
    /// The header row.
    pub header: Row,
    /// The body rows.
    pub rows: Vec<Row>,
}

/// Reads every table of a markdown text. Byte ranges are offsets into `text` plus `base`, so a
/// caller that strips a BOM can still splice the original bytes.
pub fn tables(text: &str, base: usize) -> Vec<Table> {
    let mut out = Vec::new();
    let mut current: Option<Table> = None;
    let mut row: Option<Row> = None;
    let mut cell: Option<OpenCell> = None;
    let mut width = 0;
    for (event, range) in Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::Table(alignments)) => {
                width = alignments.len();
                current = Some(Table {
                    span: shift(&range, base),
                    header: empty_row(&range, base, width),
                    rows: Vec::new(),
                });
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                row = Some(empty_row(&range, base, width));
            }
            Event::Start(Tag::TableCell) => {
                cell = Some(OpenCell {
                    span: shift(&range, base),
                    content: trimmed(text, &range, base),
                    decoded: None,
                    seen: false,
                });
            }
            Event::End(TagEnd::TableCell) => {
                if let (Some(done), Some(row)) = (cell.take(), row.as_mut()) {
                    row.cells.push(done.finish());
                }
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                if let (Some(mut done), Some(table)) = (row.take(), current.as_mut()) {
                    count_cells(text, base, &mut done);
                    if table.header.cells.is_empty() {
                        table.header = done;
                    } else {
                        table.rows.push(done);
                    }
                }
            }
            Event::End(TagEnd::Table) => {
                if let Some(table) = current.take() {
                    out.push(table);
                }
            }
            Event::Text(piece) => {
                if let Some(cell) = cell.as_mut() {
                    let plain = matches!(piece, pulldown_cmark::CowStr::Borrowed(_));
                    cell.push(&piece, &range, base, plain);
                }
            }
            Event::Code(piece) | Event::InlineHtml(piece) | Event::Html(piece) => {
                if let Some(cell) = cell.as_mut() {
                    cell.push(&piece, &range, base, false);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(cell) = cell.as_mut() {
                    cell.push(" ", &range, base, false);
                }
            }
            _ => {}
        }
    }
    out
}

fn shift(range: &Range<usize>, base: usize) -> Range<usize> {
    range.start + base..range.end + base
}

fn empty_row(range: &Range<usize>, base: usize, width: usize) -> Row {
    Row {
        span: shift(range, base),
        cells: Vec::with_capacity(width),
        missing: 0,
        extra: 0,
    }
}

fn trimmed(text: &str, range: &Range<usize>, base: usize) -> Range<usize> {
    let raw = &text[range.clone()];
    if raw.trim_matches([' ', '\t']).is_empty() {
        // An empty cell's content sits after one space of padding, where a value would go.
        let at = range.start + raw.len().min(1) + base;
        return at..at;
    }
    let start = range.start + (raw.len() - raw.trim_start_matches([' ', '\t']).len());
    let end = range.end - (raw.len() - raw.trim_end_matches([' ', '\t']).len());
    start.max(range.start) + base..end.max(start) + base
}

/// Finds the cells GFM padded in (missing) and the ones it dropped (extra), from the raw line.
fn count_cells(text: &str, base: usize, row: &mut Row) {
    let row_start = row.span.start - base;
    let row_end = row.span.end - base;
    let line = &text[row_start..row_end];
    let line_end = row_start + line.trim_end_matches(['\r', '\n']).len();
    row.missing = row
        .cells
        .iter()
        .rev()
        .take_while(|c| c.span.is_empty() && c.span.start - base >= line_end)
        .count();
    // The cells GFM kept end before `last_end`; what follows may only be a closing pipe.
    let kept = row.cells.len() - row.missing;
    let last_end = match kept {
        0 => row_start,
        n => row.cells[n - 1].span.end - base,
    };
    let rest = text.get(last_end..line_end).unwrap_or("");
    let rest = rest.strip_prefix('|').unwrap_or(rest);
    if !rest.trim().is_empty() {
        let pieces = split_unescaped_pipes(rest);
        let trailing_pipe = rest.trim_end().ends_with('|') && !rest.trim_end().ends_with("\\|");
        row.extra = pieces.len() - usize::from(trailing_pipe);
    }
}

/// Splits on pipes the way GFM table rows split in pulldown-cmark: at every `|` that does not
/// directly follow a backslash (even a backslash that is itself escaped).
fn split_unescaped_pipes(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
            pieces.push(&text[start..i]);
            start = i + 1;
        }
    }
    pieces.push(&text[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_values_missing_and_extra() {
        let text = "| Task ID | Status |\r\n|---|:-:|\r\n|  T1 | `In Progress` |\r\n| T2 |\r\n| T3 | x | y | z |\r\nT4 | a \\| b\r\n";
        let found = tables(text, 0);
        assert_eq!(found.len(), 1);
        let table = &found[0];
        let values: Vec<Vec<&str>> = table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.value(text)).collect())
            .collect();
        assert_eq!(
            values,
            vec![
                vec!["T1", "In Progress"],
                vec!["T2", ""],
                vec!["T3", "x"],
                vec!["T4", "a | b"]
            ]
        );
        let first = &table.rows[0].cells[1];
        assert_eq!(&text[first.content.clone()], "`In Progress`");
        assert_eq!(&text[first.span.clone()], " `In Progress` ");
        // With a base offset (a stripped BOM), every range moves by it.
        let shifted = tables(text, 3);
        assert_eq!(
            shifted[0].rows[0].cells[1].content.start,
            first.content.start + 3
        );
        let counts: Vec<(usize, usize)> = table.rows.iter().map(|r| (r.missing, r.extra)).collect();
        assert_eq!(counts, vec![(0, 0), (1, 0), (0, 2), (0, 0)]);
    }

    #[test]
    fn counts_extra_cells_as_pulldown_cmark_splits_them() {
        // The first body row holds `b \\| c` (two backslashes): the pipe directly follows a
        // backslash, so it does not split the cell.
        let text = "| A | B |\n|---|---|\n| a | b \\\\| c | d |\n| e | f | g \\| h |\n";
        let found = tables(text, 0);
        let rows = &found[0].rows;
        // GFM first turns `\|` into `|`, leaving `b \| c`, which inline parsing reads as `b | c`.
        assert_eq!(rows[0].cells[1].value(text), "b | c");
        assert_eq!((rows[0].extra, rows[1].extra), (1, 1));
    }

    #[test]
    fn ignores_tables_in_code_fences() {
        let text = "```\n| Task ID | Status |\n|---|---|\n| T1 | x |\n```\n";
        assert!(tables(text, 0).is_empty());
    }
}
