//! The plan's Integration Summary, where integrations are recorded: the `**Decision:**` line of
//! "Selected Approach" names what was integrated, and each integration appends an entry to an
//! "Integrations" subsection. Only those bytes change; headings are found outside code fences,
//! and the file's line endings are kept.

use crate::edit::{EditError, Splice, apply};
use crate::sections::{Heading, content_end, headings, section_end};

/// Whether a Decision value is still the template's placeholder.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || v == "-" || v.starts_with("<!--") || (v.starts_with('[') && v.ends_with(']'))
}

/// Records an integration in the plan's Integration Summary and returns the new text.
///
/// - The `**Decision:**` line of the section gets `decision` if it holds the template's
///   placeholder, or `; decision` appended if it does not mention `key` yet.
/// - `entry` (markdown, `\n` line endings) is appended to the section's `### Integrations`
///   subsection, which is made after "Selected Approach" (or at the end of the section) if
///   there is none yet.
/// - A plan without an Integration Summary gets one at its end.
pub fn record_integration(
    text: &str,
    key: &str,
    decision: &str,
    entry: &str,
) -> Result<String, EditError> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let entry = entry.trim_end().replace('\n', nl);
    let all = headings(text);
    let Some(section) = all
        .iter()
        .position(|h| h.title.contains("integration summary"))
    else {
        let lead = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            nl
        };
        let added = format!(
            "{lead}{nl}## Integration Summary{nl}{nl}### Selected Approach{nl}**Decision:** {decision}{nl}{nl}### Integrations{nl}{nl}{entry}{nl}"
        );
        return Ok(format!("{text}{added}"));
    };
    let level = all[section].level;
    let end = section_end(text, &all, section);
    let mut splices = Vec::new();

    // The Decision line.
    let body = all[section].end..end;
    let mut offset = body.start;
    for line in text[body.clone()].split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(value) = trimmed.strip_prefix("**Decision:**") {
            let value_start = offset + (line.len() - trimmed.len()) + "**Decision:**".len();
            let value_end = offset + line.trim_end_matches(['\n', '\r']).len();
            let current = value.trim_end_matches(['\n', '\r']);
            let new = if is_placeholder(current) {
                Some(format!(" {decision}"))
            } else if !mentions(current, key) {
                Some(format!("{}; {decision}", current.trim_end()))
            } else {
                None
            };
            if let Some(new) = new {
                splices.push(Splice {
                    range: value_start..value_end,
                    text: new,
                });
            }
            break;
        }
        offset += line.len();
    }

    // The Integrations subsection.
    let inside = |h: &&Heading| h.start > all[section].start && h.start < end;
    let sub = all
        .iter()
        .enumerate()
        .filter(|(_, h)| inside(h))
        .find(|(_, h)| h.level == level + 1 && h.title == "integrations");
    match sub {
        Some((i, _)) => {
            let at = content_end(text, all[i].end, section_end(text, &all, i).min(end));
            splices.push(Splice {
                range: at..at,
                text: format!(
                    "{}{nl}{entry}{nl}",
                    if text[..at].ends_with('\n') { "" } else { nl }
                ),
            });
        }
        None => {
            let selected = all
                .iter()
                .enumerate()
                .filter(|(_, h)| inside(h))
                .find(|(_, h)| h.level == level + 1 && h.title.contains("selected approach"));
            let at = match selected {
                Some((i, _)) => content_end(text, all[i].end, section_end(text, &all, i).min(end)),
                None => content_end(text, all[section].end, end),
            };
            let hashes = "#".repeat(level + 1);
            let lead = if text[..at].ends_with('\n') { "" } else { nl };
            splices.push(Splice {
                range: at..at,
                text: format!("{lead}{nl}{hashes} Integrations{nl}{nl}{entry}{nl}"),
            });
        }
    }
    apply(text, splices)
}

/// Whether `value` names `key` as a word (ids compare ignoring case).
fn mentions(value: &str, key: &str) -> bool {
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/')))
        .any(|word| word.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "# Plan\n\n## Integration Summary\n\n<!-- note -->\n\n### Selected Approach\n**Decision:** [OAuth 2.0 / JWT / Session-based]\n\n**Rationale:**\n- x\n\n### Performance Comparison\n\n| a |\n|---|\n\n---\n\n## Retrospective\n";

    #[test]
    fn first_integration_sets_the_decision_and_adds_the_subsection() {
        let text =
            record_integration(PLAN, "T2", "T2 (`feature/oauth`)", "#### T2\n- one").expect("edit");
        assert!(
            text.contains("**Decision:** T2 (`feature/oauth`)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "- x\n\n### Integrations\n\n#### T2\n- one\n\n### Performance Comparison"
            ),
            "{text}"
        );
        assert!(text.ends_with("---\n\n## Retrospective\n"));
        // A second one appends to the decision and to the subsection.
        let again =
            record_integration(&text, "T4", "T4 (`feature/s`)", "#### T4\n- two").expect("edit");
        assert!(
            again.contains("**Decision:** T2 (`feature/oauth`); T4 (`feature/s`)\n"),
            "{again}"
        );
        assert!(
            again.contains("#### T2\n- one\n\n#### T4\n- two\n\n### Performance"),
            "{again}"
        );
        // The same task again leaves the decision alone.
        let third = record_integration(&again, "t2", "T2 (`feature/oauth`)", "#### T2 again")
            .expect("edit");
        assert!(third.contains("**Decision:** T2 (`feature/oauth`); T4 (`feature/s`)\n"));
    }

    #[test]
    fn a_plan_without_the_section_gets_one_and_crlf_is_kept() {
        let text = record_integration("# Plan\r\n\r\nText.\r\n", "b", "branch `b`", "#### b\n- c")
            .expect("edit");
        assert_eq!(
            text,
            "# Plan\r\n\r\nText.\r\n\n## Integration Summary\n\n### Selected Approach\n**Decision:** branch `b`\n\n### Integrations\n\n#### b\r\n- c\n"
                .replace("\r\n", "\n")
                .replace('\n', "\r\n")
        );
    }

    #[test]
    fn headings_in_code_fences_are_not_sections() {
        let text = "```\n## Integration Summary\n```\n";
        let out = record_integration(text, "T1", "T1", "#### T1").expect("edit");
        assert!(out.starts_with(text));
        assert!(out.contains("\n## Integration Summary\n\n### Selected Approach"));
    }
}
