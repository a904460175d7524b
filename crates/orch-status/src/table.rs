//! GFM tables with the byte range of every cell, read with pulldown-cmark.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

// The fast reader lives in its own file beside this one; it is a child of this module so that it
// can build cells and rows exactly as this reader does.
mod fast;

/// One cell of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The bytes between the cell's pipes, padding included. Empty at the row's end for a cell
    /// the row leaves out.
    pub span: Range<usize>,
    /// The cell's content without the padding around it.
    pub content: Range<usize>,
    /// Where the inline text is, when it differs from the content's bytes.
    decoded: Decoded,
}

/// Where a cell's inline text is. Most cells are plain text, and many others read as a piece of
/// their content (the code of a code span, say), so few cells need a copy of their own.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decoded {
    /// The content's bytes as they stand.
    Content,
    /// These bytes of the text, a piece of the content that reads as the value.
    Slice(Range<usize>),
    /// Text of its own (escapes, markup between words).
    Owned(String),
}

/// How far into a cell's content a piece that reads as its value may start, for the cell to
/// need no copy: enough for code spans, emphasis and link text, and little enough to keep the
/// search short.
const MAX_SLICE_START: usize = 8;

impl Decoded {
    /// Where `value` is, for a cell with this `content` in a text that is `text` shifted by
    /// `base`: the first piece of the content that starts within [`MAX_SLICE_START`] bytes and
    /// reads as the value, else a copy. Both readers go through here, so equal values are stored
    /// alike.
    fn of(value: Cow<'_, str>, text: &str, content: &Range<usize>, base: usize) -> Decoded {
        let raw = text
            .as_bytes()
            .get(content.start.saturating_sub(base)..content.end.saturating_sub(base))
            .unwrap_or(&[]);
        let want = value.as_bytes();
        let len = want.len();
        let found = match want.first() {
            None => Some(0),
            Some(first) => (0..=MAX_SLICE_START.min(raw.len().saturating_sub(len)))
                .find(|&at| raw.get(at) == Some(first) && raw.get(at..at + len) == Some(want)),
        };
        match found {
            Some(at) => Decoded::Slice(content.start + at..content.start + at + len),
            None => Decoded::Owned(value.into_owned()),
        }
    }
}

impl Cell {
    /// The inline text: code-span backticks, escapes and emphasis markers removed, trimmed.
    /// `text` is the text the table was read from (the whole file, BOM included).
    pub fn value<'a>(&'a self, text: &'a str) -> &'a str {
        self.value_in(text, 0)
    }

    /// The value, for a text that is `text` shifted by `base` (the text the table was read from).
    fn value_in<'a>(&'a self, text: &'a str, base: usize) -> &'a str {
        let range = match &self.decoded {
            Decoded::Content => &self.content,
            Decoded::Slice(range) => range,
            Decoded::Owned(value) => return value,
        };
        text.get(range.start.saturating_sub(base)..range.end.saturating_sub(base))
            .unwrap_or("")
    }
}

impl Row {
    /// The values of the cells, for a text that is `text` shifted by `base`.
    fn values_in<'a>(&'a self, text: &'a str, base: usize) -> Vec<&'a str> {
        self.cells.iter().map(|c| c.value_in(text, base)).collect()
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

    fn finish(self, text: &str, base: usize) -> Cell {
        let decoded = match self.decoded {
            Some(value) => {
                let trimmed = value.trim_matches([' ', '\t']);
                let value = if trimmed.len() == value.len() {
                    Cow::Owned(value)
                } else {
                    Cow::Borrowed(trimmed)
                };
                Decoded::of(value, text, &self.content, base)
            }
            // A cell with content but no inline text (an image without alt text, say) reads as
            // empty.
            None if !self.seen && !self.content.is_empty() => {
                Decoded::of(Cow::Borrowed(""), text, &self.content, base)
            }
            None => Decoded::Content,
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

impl Table {
    /// The first table of a markdown text whose header `wanted` accepts, given the header cells'
    /// values, exactly as [`tables`] reads it. Byte ranges are as in [`tables`].
    ///
    /// When the table starts with a pipe at the top level and its body rows are plain pipe rows,
    /// only the text up to its delimiter row goes through pulldown-cmark, and the body rows are
    /// read line by line with the same rules, which is much faster on large tables.
    pub fn find(text: &str, base: usize, wanted: impl Fn(&[&str]) -> bool) -> Option<Table> {
        if let Some(table) = fast::find(text, base, &wanted) {
            return Some(table);
        }
        tables(text, base)
            .into_iter()
            .find(|table| wanted(&table.header.values_in(text, base)))
    }

    /// Like [`Table::find`], but only with the fast reader: `None` when it cannot vouch for its
    /// result (the document then needs a full read), never because no table matched. For tests
    /// and measurements.
    pub fn find_fast(text: &str, base: usize, wanted: impl Fn(&[&str]) -> bool) -> Option<Table> {
        fast::find(text, base, &wanted)
    }
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
                    row.cells.push(done.finish(text, base));
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
    // Spaces and tabs are single bytes, so trimming bytes keeps the ends on char boundaries.
    let raw = text.as_bytes().get(range.clone()).unwrap_or(&[]);
    let padding = |b: &u8| *b == b' ' || *b == b'\t';
    let Some(first) = raw.iter().position(|b| !padding(b)) else {
        // An empty cell's content sits after one space of padding, where a value would go.
        let at = range.start + raw.len().min(1) + base;
        return at..at;
    };
    let last = raw.iter().rposition(|b| !padding(b)).unwrap_or(first);
    range.start + first + base..range.start + last + 1 + base
}

/// Finds the cells GFM padded in (missing) and the ones it dropped (extra), from the raw line.
fn count_cells(text: &str, base: usize, row: &mut Row) {
    let row_start = row.span.start.saturating_sub(base);
    let row_end = row.span.end.saturating_sub(base);
    let Some(line) = text.get(row_start..row_end) else {
        return;
    };
    let line_end = row_start + line.trim_end_matches(['\r', '\n']).len();
    row.missing = row
        .cells
        .iter()
        .rev()
        .take_while(|c| c.span.is_empty() && c.span.start >= line_end + base)
        .count();
    // The cells GFM kept end before `last_end`; what follows may only be a closing pipe.
    let kept = row.cells.len() - row.missing;
    let last_end = match kept.checked_sub(1).and_then(|last| row.cells.get(last)) {
        None => row_start,
        Some(cell) => cell.span.end.saturating_sub(base),
    };
    let rest = text.get(last_end..line_end).unwrap_or("");
    let rest = rest.strip_prefix('|').unwrap_or(rest);
    if !rest.trim().is_empty() {
        let pieces = 1 + count_unescaped_pipes(rest);
        let trailing_pipe = rest.trim_end().ends_with('|') && !rest.trim_end().ends_with("\\|");
        row.extra = pieces - usize::from(trailing_pipe);
    }
}

/// Counts the pipes that split GFM table rows in pulldown-cmark: every `|` that does not directly
/// follow a backslash (even a backslash that is itself escaped).
fn count_unescaped_pipes(text: &str) -> usize {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
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
