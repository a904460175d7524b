//! A fast reader for the one table a caller looks for, such as the task matrix.
//!
//! Reading a large table with pulldown-cmark builds an event tree for every inline piece of every
//! cell, which dominates the time `orch-plan check` takes on a plan with thousands of tasks. This
//! reader lets pulldown-cmark settle everything up to the table's delimiter row (code fences, HTML
//! blocks, lists and quotes before the table) and reads the body rows itself, line by line, with
//! pulldown-cmark's own rules for table rows. It gives up, and the caller reads the whole text with
//! pulldown-cmark instead, whenever a row is not one it can read with certainty.

use std::borrow::Cow;
use std::ops::Range;

use super::{Cell, Decoded, Row, Table, count_cells, tables, trimmed};

/// How many candidate header lines are confirmed with pulldown-cmark before giving up.
const MAX_CANDIDATES: usize = 3;

/// How many cells with markup are decoded with one pulldown-cmark run.
const CHUNK: usize = 256;

/// pulldown-cmark stops padding rows with empty cells once a table has this many padded cells.
const MAX_PADDED_CELLS: usize = 1 << 18;

/// The class of bytes that inline parsing may turn into something other than themselves, such as
/// `*`: a cell without any of them reads as its bytes. The class is wider than pulldown-cmark's
/// own list (with only tables enabled it treats `\`, `` ` ``, `*`, `_`, `[`, `]`, `!`, `<`, `&`
/// and line endings specially), which only costs a slower decoding for cells that did not need
/// one.
const MARKUP: u8 = 1;

/// The class of bytes that may end a cell: a pipe, unless it is escaped, and line endings. An
/// escaped pipe inside a cell is markup.
const END: u8 = 2;

/// Every byte's class: 0 for plain text, else [`MARKUP`] or [`END`].
const CLASS: [u8; 256] = {
    let mut class = [0; 256];
    let mut b = 0;
    while b < 0x20 {
        if b != b'\t' as usize {
            class[b] = MARKUP;
        }
        b += 1;
    }
    class[0x7f] = MARKUP;
    let marks = b"\\`*_[]!<>&~^$";
    let mut i = 0;
    while i < marks.len() {
        class[marks[i] as usize] = MARKUP;
        i += 1;
    }
    class[b'|' as usize] = END;
    class[b'\n' as usize] = END;
    class[b'\r' as usize] = END;
    class
};

/// Finds the first table whose header values `wanted` accepts, reading its body rows without
/// pulldown-cmark. Returns `None` when the result cannot be vouched for; the caller must then read
/// the whole text with [`tables`]. Ranges are offsets into `text` plus `base`.
pub(super) fn find(text: &str, base: usize, wanted: &dyn Fn(&[&str]) -> bool) -> Option<Table> {
    let mut from = 0;
    for _ in 0..MAX_CANDIDATES {
        let (header, delimiter_end) = next_candidate(text, &mut from, wanted)?;
        let prefix = text.get(..delimiter_end)?;
        // A link reference definition changes how `[x]` reads in any cell, and one whose title
        // runs past the prefix reads differently in the prefix alone.
        if prefix.contains("]:") {
            return None;
        }
        let first = tables(prefix, base)
            .into_iter()
            .find(|table| wanted(&table.header.values_in(text, base)));
        match first {
            Some(table)
                if table.span.start == base + header && table.span.end == base + delimiter_end =>
            {
                return read_body(text, base, table);
            }
            // An earlier table is the one wanted, but it was not a candidate.
            Some(_) => return None,
            // The candidate is no table (inside a code fence, say): try the next one.
            None => {}
        }
    }
    None
}

/// The end of the line that starts at `start` (before its line ending) and the start of the next.
/// Line endings are `\n`, `\r\n` and a lone `\r`, as in pulldown-cmark.
fn line_at(bytes: &[u8], start: usize) -> (usize, usize) {
    let rest = bytes.get(start..).unwrap_or(&[]);
    match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
        None => (bytes.len(), bytes.len()),
        Some(n) => {
            let end = start + n;
            let crlf = bytes.get(end) == Some(&b'\r') && bytes.get(end + 1) == Some(&b'\n');
            (end, end + 1 + usize::from(crlf))
        }
    }
}

/// Finds the next line from `from` on that starts with `|`, whose raw cells `wanted` accepts and
/// that is followed by a delimiter row. Returns the line's start and the end of the delimiter row
/// (line ending included), and moves `from` past the line.
fn next_candidate(
    text: &str,
    from: &mut usize,
    wanted: &dyn Fn(&[&str]) -> bool,
) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    while *from < bytes.len() {
        let start = *from;
        let (end, next) = line_at(bytes, start);
        *from = next;
        if bytes[start] != b'|' {
            continue;
        }
        let (delimiter, delimiter_end) = line_at(bytes, next);
        let Some(row) = bytes.get(next..delimiter) else {
            continue;
        };
        if !is_delimiter_row(row) {
            continue;
        }
        let line = text.get(start..end)?;
        let cells: Vec<&str> = split_row(line).map(|c| c.trim()).collect();
        if wanted(&cells) {
            return Some((start, delimiter_end));
        }
    }
    None
}

/// Whether a line may be a table's delimiter row, such as `|---|:-:|`.
fn is_delimiter_row(line: &[u8]) -> bool {
    line.contains(&b'|')
        && line.contains(&b'-')
        && line.iter().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
}

/// The raw cells of a row line: an optional leading pipe, then pieces split at every pipe that
/// does not directly follow a backslash; a last piece that is only whitespace is no cell.
fn split_row(line: &str) -> impl Iterator<Item = &str> {
    let body = line.strip_prefix('|').unwrap_or(line);
    let bytes = body.as_bytes();
    let mut start = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut i = start;
        while i < bytes.len() {
            if bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\') {
                let piece = body.get(start..i);
                start = i + 1;
                return piece;
            }
            i += 1;
        }
        done = true;
        body.get(start..).filter(|rest| !rest.trim().is_empty())
    })
}

/// A cell whose value is not simply its content, waiting to be decoded.
struct Pending {
    row: usize,
    cell: usize,
    /// Whether a splitting pipe follows the cell (rather than the end of its line).
    piped: bool,
}

/// Reads the body rows of `table`, which pulldown-cmark found at the top level of `text`, ending
/// with its delimiter row.
fn read_body(text: &str, base: usize, mut table: Table) -> Option<Table> {
    let bytes = text.as_bytes();
    let mut body = Body {
        text,
        base,
        width: table.header.cells.len(),
        rows: Vec::new(),
        pending: Vec::new(),
        padded: table.header.cells.len(),
    };
    let mut at = table.span.end.saturating_sub(base);
    while at < bytes.len() {
        if bytes[at] == b'|' {
            at = body.read_row(at)?;
            continue;
        }
        // A blank line ends the table; any other line is left to pulldown-cmark.
        let padding = bytes[at..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if matches!(bytes.get(at + padding), None | Some(b'\n' | b'\r')) {
            break;
        }
        return None;
    }
    table.span.end = at + base;
    // A link reference definition after the table only matters to cells with brackets.
    if text.get(at..)?.contains("]:")
        && text
            .get(table.span.start.saturating_sub(base)..at)?
            .contains('[')
    {
        return None;
    }
    decode_pending(text, base, &mut body.rows, &body.pending)?;
    table.rows = body.rows;
    Some(table)
}

/// The body rows read so far.
struct Body<'a> {
    /// The text the table is read from, and how far its offsets are shifted.
    text: &'a str,
    base: usize,
    /// How many cells the header has, and so every row.
    width: usize,
    rows: Vec<Row>,
    /// The cells that still need pulldown-cmark to decode.
    pending: Vec<Pending>,
    /// How many cells pulldown-cmark would have padded so far (the header's at most).
    padded: usize,
}

impl Body<'_> {
    /// Reads the row line at `start`, which begins with a pipe, as pulldown-cmark's
    /// `parse_table_row_inner` does, and returns where the next line starts. Returns `None` for
    /// a row without cells, which ends a table in a way left to pulldown-cmark.
    fn read_row(&mut self, start: usize) -> Option<usize> {
        let (text, base, width) = (self.text, self.base, self.width);
        let bytes = text.as_bytes();
        let mut cells = Vec::with_capacity(width);
        let mut found = 0;
        let mut ix = start;
        loop {
            if bytes.get(ix) == Some(&b'|') {
                ix += 1;
            }
            let span_start = ix;
            // Vertical tabs and form feeds are padding to pulldown-cmark but content to
            // `trimmed`, so a cell with them takes the exact way.
            let mut special = false;
            while let Some(&b @ (b' ' | b'\t' | 0x0b | 0x0c)) = bytes.get(ix) {
                special |= b == 0x0b || b == 0x0c;
                ix += 1;
            }
            if matches!(bytes.get(ix), None | Some(b'\n' | b'\r')) {
                break;
            }
            loop {
                let rest = bytes.get(ix..).unwrap_or(&[]);
                ix += rest
                    .iter()
                    .position(|&b| CLASS[usize::from(b)] != 0)
                    .unwrap_or(rest.len());
                match bytes.get(ix) {
                    None | Some(b'\n' | b'\r') => break,
                    // A pipe splits the row unless it directly follows a backslash.
                    Some(b'|') if bytes.get(ix.wrapping_sub(1)) != Some(&b'\\') => break,
                    Some(_) => {
                        special = true;
                        ix += 1;
                    }
                }
            }
            found += 1;
            if found > width {
                continue;
            }
            let content = trimmed(text, &(span_start..ix), base);
            let mut decoded = Decoded::Content;
            if special {
                let raw = text.get(content.start - base..content.end - base)?;
                match decode_simple(raw) {
                    Some(value) => decoded = Decoded::of(value, text, &content, base),
                    None => self.pending.push(Pending {
                        row: self.rows.len(),
                        cell: cells.len(),
                        piped: bytes.get(ix) == Some(&b'|'),
                    }),
                }
            }
            cells.push(Cell {
                span: span_start + base..ix + base,
                content,
                decoded,
            });
        }
        if found == 0 {
            return None;
        }
        let end = ix;
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        let missing = width.saturating_sub(found);
        self.padded += missing;
        if self.padded >= MAX_PADDED_CELLS {
            return None;
        }
        let pad: Range<usize> = next + base..next + base;
        cells.extend((0..missing).map(|_| Cell {
            span: pad.clone(),
            content: pad.clone(),
            decoded: Decoded::Content,
        }));
        let mut row = Row {
            span: start + base..next + base,
            cells,
            missing,
            extra: 0,
        };
        // Without extra cells, what follows the last cell is at most a pipe and padding, so
        // `count_cells` would find exactly the padded cells and no extra ones.
        if found > width {
            count_cells(text, base, &mut row);
        }
        self.rows.push(row);
        Some(next)
    }
}

/// Decodes the common shapes of cell content without pulldown-cmark: plain text with escaped
/// pipes (`\|`) and code spans of single backticks whose code has no backslash. Returns `None`
/// for anything else. The result matches pulldown-cmark's: an escaped pipe reads as `|`, a code
/// span reads as its code less one space at each end when both ends have one and the code is not
/// all spaces, and the whole is trimmed of spaces and tabs. A cell that is one code span reads as
/// a piece of its content, with no copy.
fn decode_simple(content: &str) -> Option<Cow<'_, str>> {
    if let Some(inner) = content.strip_prefix('`').and_then(|c| c.strip_suffix('`'))
        && !inner.is_empty()
        && !inner.bytes().any(ends_code)
    {
        return Some(Cow::Borrowed(code_text(inner).trim_matches([' ', '\t'])));
    }
    let bytes = content.as_bytes();
    let mut out = String::with_capacity(content.len());
    // The start of the text not yet copied, and where to look next.
    let mut piece = 0;
    let mut i = 0;
    loop {
        let rest = bytes.get(i..).unwrap_or(&[]);
        i += rest
            .iter()
            .position(|&b| CLASS[usize::from(b)] != 0)
            .unwrap_or(rest.len());
        match (bytes.get(i), bytes.get(i + 1)) {
            (None, _) => break,
            (Some(b'\\'), Some(b'|')) => {
                out.push_str(content.get(piece..i)?);
                // The pipe starts the next piece of text.
                piece = i + 1;
                i += 2;
            }
            (Some(b'`'), next) if next != Some(&b'`') => {
                out.push_str(content.get(piece..i)?);
                let open = i + 1;
                let code = bytes.get(open..).unwrap_or(&[]);
                let close = open + code.iter().position(|&b| ends_code(b))?;
                if bytes.get(close) != Some(&b'`') || bytes.get(close + 1) == Some(&b'`') {
                    return None;
                }
                out.push_str(code_text(content.get(open..close)?));
                piece = close + 1;
                i = close + 1;
            }
            _ => return None,
        }
    }
    out.push_str(content.get(piece..)?);
    // The content has no padding of its own, so only code at its ends can leave some.
    if out.starts_with([' ', '\t']) || out.ends_with([' ', '\t']) {
        return Some(Cow::Owned(out.trim_matches([' ', '\t']).to_owned()));
    }
    Some(Cow::Owned(out))
}

/// Whether a byte ends the code of a simple code span: its closing backtick, or a byte that
/// makes the span one for pulldown-cmark to read (an escape, a pipe, a control character).
fn ends_code(b: u8) -> bool {
    matches!(b, b'`' | b'\\' | b'|' | 0x7f) || (b < 0x20 && b != b'\t')
}

/// The text of a code span's code: less one space at each end when both ends have one and the
/// code is not all spaces.
fn code_text(code: &str) -> &str {
    let spaced = code.starts_with(' ') && code.ends_with(' ');
    match code.get(1..code.len().saturating_sub(1)) {
        Some(inner) if spaced && !code.bytes().all(|c| c == b' ') => inner,
        _ => code,
    }
}

/// Decodes the cells `decode_simple` left, exactly as pulldown-cmark reads them: each cell
/// becomes a row of a one-column table with the same bytes from its opening pipe to its end, and
/// the same closing pipe or line end, and pulldown-cmark reads a batch of such rows at a time.
fn decode_pending(text: &str, base: usize, rows: &mut [Row], pending: &[Pending]) -> Option<()> {
    let mut doc = String::new();
    for batch in pending.chunks(CHUNK) {
        doc.clear();
        doc.push_str("|h|\n|-|\n");
        for item in batch {
            let cell = rows.get(item.row)?.cells.get(item.cell)?;
            doc.push('|');
            doc.push_str(text.get(cell.span.start - base..cell.span.end - base)?);
            if item.piped {
                doc.push('|');
            }
            doc.push('\n');
        }
        let mut found = tables(&doc, 0);
        let table = found.first_mut().filter(|t| t.rows.len() == batch.len())?;
        for (item, row) in batch.iter().zip(&mut table.rows) {
            let target = rows.get_mut(item.row)?.cells.get_mut(item.cell)?;
            let cell = row.cells.first_mut().filter(|cell| {
                cell.span.len() == target.span.len()
                    && cell.content.len() == target.content.len()
                    && cell.content.start - cell.span.start
                        == target.content.start - target.span.start
            })?;
            // A slice of the content sits at the same place in both contents.
            target.decoded = match std::mem::replace(&mut cell.decoded, Decoded::Content) {
                Decoded::Slice(range) => {
                    let at = range.start.checked_sub(cell.content.start)? + target.content.start;
                    Decoded::Slice(at..at + range.len())
                }
                other => other,
            };
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value pulldown-cmark reads for a cell with this content.
    fn slow_value(content: &str) -> String {
        let text = format!("| h |\n|---|\n| {content} |\n");
        let found = tables(&text, 0);
        found[0].rows[0].cells[0].value(&text).to_owned()
    }

    #[test]
    fn simple_decoding_matches_pulldown() {
        for content in [
            "a \\| b",
            "\\|",
            "`code`",
            "` spaced `",
            "`  two  `",
            "` `",
            "`\t`",
            "x `a` \\| `b` y",
            "`*a* [b] <c> &amp; !d _e_`",
            "Builder-1 / `builder-skill`, `validator-skill`",
            "\u{1F680} `\u{4E2D}\u{6587}` \\| é",
        ] {
            assert_eq!(
                decode_simple(content).as_deref(),
                Some(slow_value(content).as_str()),
                "{content:?}"
            );
        }
    }

    #[test]
    fn leaves_other_markup_to_pulldown() {
        for content in [
            "**b**", "_e_", "`open", "``a``", "a\\b", "`a\\|b`", "[l](u)", "<b>", "&amp;", "a\u{b}",
        ] {
            assert_eq!(decode_simple(content), None, "{content:?}");
        }
    }

    #[test]
    fn splits_raw_rows_at_unescaped_pipes() {
        let cells: Vec<&str> = split_row("| a | b \\| c |d\\\\| e |  ").collect();
        assert_eq!(cells, [" a ", " b \\| c ", "d\\\\| e "]);
        let cells: Vec<&str> = split_row("a | b").collect();
        assert_eq!(cells, ["a ", " b"]);
        assert!(is_delimiter_row(b"|---|:-:| --: |"));
        assert!(!is_delimiter_row(b"---"));
        assert!(!is_delimiter_row(b"|---|\t---|"));
    }
}
