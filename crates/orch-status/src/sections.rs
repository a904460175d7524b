//! The sections of a markdown document: its headings, where a section ends, and where new
//! content of a section goes. Shared by every writer that adds to a section of the plan
//! (blockers, the Integration Summary, the Retrospective's Metrics).

/// A heading found in the text (outside code fences).
pub struct Heading {
    /// Where its line starts.
    pub start: usize,
    /// Where the line after it starts.
    pub end: usize,
    /// `#` count.
    pub level: usize,
    /// Its text, lowercased.
    pub title: String,
}

/// The ATX headings of a markdown text, in order, skipping fenced code blocks.
pub fn headings(text: &str) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut offset = 0;
    let mut fence: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if trimmed.starts_with('#') {
            let level = trimmed.chars().take_while(|&c| c == '#').count();
            let rest = &trimmed[level..];
            if level <= 6 && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n'])) {
                found.push(Heading {
                    start: offset,
                    end: offset + line.len(),
                    level,
                    title: rest.trim().trim_end_matches('#').trim().to_lowercase(),
                });
            }
        }
        offset += line.len();
    }
    found
}

/// The end of the section that starts at heading `i`: the next heading of the same or a higher
/// level, or the end of the text.
pub fn section_end(text: &str, all: &[Heading], i: usize) -> usize {
    all[i + 1..]
        .iter()
        .find(|h| h.level <= all[i].level)
        .map_or(text.len(), |h| h.start)
}

/// Steps back from `end` (the start of a line) over blank lines and one `---` rule, to the
/// start of the line after the section's last content: where new content goes.
pub fn content_end(text: &str, start: usize, mut end: usize) -> usize {
    let mut stepped_rule = false;
    while end > start {
        let before = &text[start..end];
        let Some(body) = before.strip_suffix('\n') else {
            break;
        };
        let body = body.strip_suffix('\r').unwrap_or(body);
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        let line = body[line_start..].trim();
        if line.is_empty() {
            end = start + line_start;
        } else if line == "---" && !stepped_rule {
            stepped_rule = true;
            end = start + line_start;
        } else {
            break;
        }
    }
    end
}
