//! Writing values into table cells so that the reader gets back exactly what was written.

/// A value that cannot be put in a table cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellError {
    /// Table rows are single lines.
    #[error(
        "the value {0:?} contains a line break; table cells hold one line, so write it on one line"
    )]
    LineBreak(String),
    /// Control and bidirectional-override characters are refused (they hide text in review).
    #[error("the value {0:?} contains the control or bidirectional character U+{1:04X}; remove it")]
    Control(String, u32),
}

/// Escapes `value` for a GFM table cell: `|` becomes `\|`, and the characters markdown would
/// read as markup (backslash, backtick, `*`, `_`, `[`, `]`, `<`, `>`, `~`, an entity-like `&`,
/// and padding spaces) are escaped so the cell reads back as `value`, trimmed.
///
/// Refuses line breaks and control or bidirectional characters. The escaped text may end with a
/// backslash (`\\`), so writers must leave at least one space before the closing pipe.
pub fn escape_cell(value: &str) -> Result<String, CellError> {
    if value.contains(['\n', '\r']) {
        return Err(CellError::LineBreak(value.to_owned()));
    }
    if let Some(c) = value.chars().find(|&c| is_forbidden(c)) {
        return Err(CellError::Control(value.to_owned(), c as u32));
    }
    // GFM trims spaces and tabs around a cell, and nothing else.
    let value = value.trim_matches([' ', '\t']);
    let mut out = String::with_capacity(value.len() + 8);
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '`' | '|' | '*' | '_' | '[' | ']' | '<' | '>' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '&' if looks_like_entity(&chars[i + 1..]) => out.push_str("\\&"),
            // A leading `-` followed by text is fine inline; a lone "-" means "none" and stays.
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Characters refused in cells: C0/C1 controls (tab included) and the bidi controls.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn looks_like_entity(rest: &[char]) -> bool {
    let name: Vec<&char> = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .collect();
    !name.is_empty() && rest.get(name.len()) == Some(&';')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables;
    use proptest::prelude::*;

    fn round_trip(values: &[String]) -> Vec<String> {
        let mut text = String::from("| A | B |\n|---|---|\n|");
        for value in values {
            text.push(' ');
            text.push_str(&escape_cell(value).expect("writable"));
            text.push_str(" |");
        }
        text.push('\n');
        let found = tables(&text, 0);
        found[0].rows[0]
            .cells
            .iter()
            .map(|c| c.value(&text).to_owned())
            .collect()
    }

    #[test]
    fn tricky_values_read_back() {
        for value in [
            "a | b",
            "back\\slash",
            "`code`",
            "**bold** _em_",
            "[link](x)",
            "<b>html</b>",
            "&amp; &",
            "~~strike~~",
            "\u{1F680} \u{4E2D}\u{6587}",
            "ends with \\",
            "\\|",
            "a\\\\|b",
        ] {
            let values = vec![value.to_owned(), "x".to_owned()];
            assert_eq!(round_trip(&values), values, "{value:?}");
        }
    }

    #[test]
    fn refuses_breaks_and_controls() {
        assert!(matches!(escape_cell("a\nb"), Err(CellError::LineBreak(_))));
        assert!(matches!(
            escape_cell("a\u{202E}b"),
            Err(CellError::Control(_, 0x202E))
        ));
        assert!(matches!(escape_cell("a\tb"), Err(CellError::Control(_, 9))));
    }

    proptest! {
        #[test]
        fn any_printable_value_reads_back(
            a in "[ -~\u{a0}-\u{2ff}\u{4e00}-\u{4e10}\u{1F600}-\u{1F610}]{0,40}",
            b in "[|\\\\`*_ a-z]{0,12}",
        ) {
            let values = vec![a.trim_matches(' ').to_owned(), b.trim_matches(' ').to_owned()];
            prop_assert_eq!(round_trip(&values), values);
        }
    }
}
