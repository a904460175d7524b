//! Plain-text tables for terminal output.

/// The widest a column may get before its cells are cut with `…`.
const MAX_WIDTH: usize = 60;

/// Renders rows under a header, columns padded to their widest cell (counted in characters).
pub fn render(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(|cell| clip(&cell)).collect())
        .collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn clip(cell: &str) -> String {
    if cell.chars().count() <= MAX_WIDTH {
        cell.to_owned()
    } else {
        let mut cut: String = cell.chars().take(MAX_WIDTH - 1).collect();
        cut.push('…');
        cut
    }
}

/// The matrix's columns as `show` and `watch` print them.
pub const MATRIX_HEADER: [&str; 7] = [
    "ID",
    "Status",
    "Group",
    "Depends on",
    "Estimate",
    "Agent",
    "Description",
];

/// The text, or `-` when it is empty.
pub fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

/// The items joined with `, `, or `-` when there are none.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
