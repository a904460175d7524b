//! Recording the metrics in the plan: the `### Metrics` table of the `## Retrospective`
//! section (template columns `| Metric | Target | Actual | Delta |`).
//!
//! Only that table changes. Rows whose metric orch computes get their Actual cell (and their
//! Delta cell, when the Target can be compared) spliced in place like any other cell edit;
//! computed metrics the table lacks are added as rows after its last row. A plan without the
//! table gets one: under its Retrospective section, or in a new one at the end. The result is
//! read back and refused unless the bytes outside the table are unchanged, the tasks read the
//! same, and every written value reads back exactly.

use std::ops::Range;

use orch_core::Estimate;
use orch_status::edit::{self, EditError, Splice};
use orch_status::sections::{content_end, headings, section_end};
use orch_status::{PlanDoc, Table, escape_cell, read_plan, tables};

use super::{Stats, format_duration, format_signed_duration};

/// A metric value written into the table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WrittenMetric {
    /// The metric's name, as in the table.
    pub metric: String,
    /// The value of its Actual cell.
    pub actual: String,
    /// The value of its Delta cell, when it was computed.
    pub delta: Option<String>,
    /// Whether its row was added.
    pub added: bool,
}

/// Why the metrics could not be written. Nothing is written in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsTableError {
    /// The Metrics table has no Actual column.
    #[error(
        "line {0}: the Retrospective's Metrics table has no Actual column; give it the columns | Metric | Target | Actual | Delta |"
    )]
    NoActualColumn(usize),
    /// A row leaves out the cell to write.
    #[error(
        "line {0}: this Metrics row has fewer cells than its header; add the missing cells (write - for an empty value)"
    )]
    MissingCell(usize),
    /// A splice failed.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The result does not read back as intended.
    #[error("writing the metrics does not read back exactly ({0}); nothing was written")]
    RoundTrip(String),
}

/// The metrics orch writes, in the order new rows are added: name, Actual value, and the raw
/// value for the Delta.
fn computed(stats: &Stats) -> Vec<(&'static str, String, Kind)> {
    let percent = |v: Option<f64>| {
        (
            v.map_or_else(dash, |v| format!("{:.0}%", v * 100.0)),
            Kind::Percent(v.map(|v| v * 100.0)),
        )
    };
    let duration = |v: Option<u64>| (v.map_or_else(dash, format_duration), Kind::Duration(v));
    let count = |n: usize| (n.to_string(), Kind::Other);
    let wall = (stats.wall_seconds > 0).then_some(stats.wall_seconds);
    let latency = stats
        .integration_latency
        .mean_seconds
        .map(|s| s.round() as u64);
    let throughput = stats
        .throughput_per_hour
        .map_or_else(dash, |v| format!("{v:.2} tasks/h"));
    [
        ("Total Duration", duration(wall)),
        ("Time Savings vs Sequential", percent(stats.time_savings)),
        ("Quality Gate Pass Rate", percent(stats.gate_pass_rate)),
        ("Success Rate", percent(stats.success_rate)),
        ("Throughput per Hour", (throughput, Kind::Other)),
        ("Parallel Efficiency", percent(stats.parallel_efficiency)),
        ("Retries", count(stats.retries)),
        ("Conflicts", count(stats.conflicts)),
        ("Quarantines", count(stats.quarantines)),
        ("Integration Latency (mean)", duration(latency)),
    ]
    .into_iter()
    .map(|(name, (actual, kind))| (name, actual, kind))
    .collect()
}

fn dash() -> String {
    "-".to_owned()
}

/// What a metric's raw value is, for comparing it with its Target.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Seconds.
    Duration(Option<u64>),
    /// Percent (0..=100).
    Percent(Option<f64>),
    /// Not compared.
    Other,
}

/// A metric name reduced to its letters and digits, lowercased, for matching rows.
fn key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// The Delta of the actual value against `target`: a signed duration (as
/// [`format_signed_duration`] writes it) or a signed number of percentage points, `None` when
/// they cannot be compared.
fn delta(kind: Kind, target: &str) -> Option<String> {
    match kind {
        Kind::Duration(actual) => {
            let actual = actual?;
            let target = Estimate::parse(target).ok()??.seconds();
            Some(format_signed_duration(
                i128::from(actual) - i128::from(target),
                true,
            ))
        }
        Kind::Percent(actual) => {
            let target = target
                .trim()
                .strip_suffix('%')?
                .trim()
                .parse::<f64>()
                .ok()?;
            Some(format!("{:+.0} pts", actual? - target))
        }
        Kind::Other => None,
    }
}

/// Sets the metrics in the plan's Retrospective Metrics table and returns the new text and
/// what was written.
pub fn write_metrics_table(
    doc: &PlanDoc,
    stats: &Stats,
) -> Result<(String, Vec<WrittenMetric>), MetricsTableError> {
    let text = doc.text.as_str();
    let metrics = computed(stats);
    let (new_text, written, region) = match locate(text) {
        Place::Table(table) => edit_table(doc, &table, &metrics)?,
        Place::Insert { at, heading } => {
            let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
            let lead = if at == 0 || text[..at].ends_with('\n') {
                ""
            } else {
                nl
            };
            let mut added = format!("{lead}{nl}{heading}");
            added.push_str(&format!(
                "| Metric | Target | Actual | Delta |{nl}|--------|--------|--------|-------|{nl}"
            ));
            let mut written = Vec::new();
            for (name, actual, _) in &metrics {
                added.push_str(&format!(
                    "| {name} | - | {} | - |{nl}",
                    escape_cell(actual).map_err(EditError::from)?
                ));
                written.push(WrittenMetric {
                    metric: (*name).to_owned(),
                    actual: actual.clone(),
                    delta: None,
                    added: true,
                });
            }
            if !text[at..].is_empty() && !text[at..].starts_with(['\n', '\r']) {
                added.push_str(nl);
            }
            let new_text = edit::apply(
                text,
                vec![Splice {
                    range: at..at,
                    text: added,
                }],
            )?;
            (new_text, written, at..at)
        }
    };
    verify(doc, &new_text, &written, region)?;
    Ok((new_text, written))
}

/// Applies the cell edits and new rows to an existing table.
fn edit_table(
    doc: &PlanDoc,
    table: &Table,
    metrics: &[(&'static str, String, Kind)],
) -> Result<(String, Vec<WrittenMetric>, Range<usize>), MetricsTableError> {
    let text = doc.text.as_str();
    let line = |offset: usize| doc.lines.line(offset);
    let headers: Vec<String> = table
        .header
        .cells
        .iter()
        .map(|c| key(c.value(text)))
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let metric_col = column("metric").unwrap_or(0);
    let actual_col =
        column("actual").ok_or(MetricsTableError::NoActualColumn(line(table.span.start)))?;
    let (target_col, delta_col) = (column("target"), column("delta"));

    let mut splices = Vec::new();
    let mut written = Vec::new();
    let mut present = Vec::new();
    for row in &table.rows {
        let Some(name_cell) = row.cells.get(metric_col) else {
            continue;
        };
        let name = name_cell.value(text);
        let Some((_, actual, kind)) = metrics.iter().find(|(m, _, _)| key(m) == key(name)) else {
            continue;
        };
        present.push(key(name));
        let has = |i: usize| i < row.cells.len().saturating_sub(row.missing);
        if !has(actual_col) {
            return Err(MetricsTableError::MissingCell(line(row.span.start)));
        }
        let target = target_col
            .and_then(|i| row.cells.get(i))
            .map_or("", |c| c.value(text));
        let delta = delta(*kind, target);
        if let Some(cell) = row.cells.get(actual_col)
            && cell.value(text) != actual
        {
            splices.push(edit::cell_splice(text, cell, actual)?);
        }
        if let (Some(delta), Some(i)) = (&delta, delta_col) {
            if !has(i) {
                return Err(MetricsTableError::MissingCell(line(row.span.start)));
            }
            if let Some(cell) = row.cells.get(i)
                && cell.value(text) != delta
            {
                splices.push(edit::cell_splice(text, cell, delta)?);
            }
        }
        written.push(WrittenMetric {
            metric: name.to_owned(),
            actual: actual.clone(),
            delta: delta.filter(|_| delta_col.is_some()),
            added: false,
        });
    }

    // The computed metrics the table lacks, as new rows after its last row.
    let last = table.rows.last().unwrap_or(&table.header);
    let nl = if text
        .get(last.span.clone())
        .is_some_and(|r| r.ends_with("\r\n"))
    {
        "\r\n"
    } else {
        "\n"
    };
    let at = match table.rows.last() {
        Some(row) => row.span.end,
        None => delimiter_end(text, table),
    };
    let mut added = String::new();
    for (name, actual, _) in metrics
        .iter()
        .filter(|(m, _, _)| !present.contains(&key(m)))
    {
        let cells: Vec<String> = (0..headers.len())
            .map(|i| {
                let value = if i == metric_col {
                    name
                } else if i == actual_col {
                    actual.as_str()
                } else {
                    "-"
                };
                escape_cell(value)
            })
            .collect::<Result<_, _>>()
            .map_err(EditError::from)?;
        if added.is_empty() && at > 0 && !text[..at].ends_with('\n') {
            added.push_str(nl);
        }
        added.push_str(&format!("| {} |{nl}", cells.join(" | ")));
        written.push(WrittenMetric {
            metric: (*name).to_owned(),
            actual: actual.clone(),
            delta: None,
            added: true,
        });
    }
    if !added.is_empty() {
        splices.push(Splice {
            range: at..at,
            text: added,
        });
    }
    let region = table.span.start..table.span.end.max(at);
    Ok((edit::apply(text, splices)?, written, region))
}

/// The offset after the table's delimiter row (the line after the header).
fn delimiter_end(text: &str, table: &Table) -> usize {
    let after_header = table.header.span.end;
    match text[after_header..].find('\n') {
        Some(i) => after_header + i + 1,
        None => text.len(),
    }
}

/// Checks the new text: the same bytes outside `region`, the same tasks, and every written
/// value in the Metrics table.
fn verify(
    doc: &PlanDoc,
    new_text: &str,
    written: &[WrittenMetric],
    region: Range<usize>,
) -> Result<(), MetricsTableError> {
    let fail = |why: &str| MetricsTableError::RoundTrip(why.to_owned());
    let old = doc.text.as_str();
    let (before, after) = (&old[..region.start], &old[region.end..]);
    if new_text.len() < before.len() + after.len()
        || !new_text.starts_with(before)
        || !new_text.ends_with(after)
    {
        return Err(fail("bytes outside the Metrics table would change"));
    }
    let reread =
        read_plan(&doc.path, new_text.as_bytes().to_vec()).map_err(|e| fail(&e.to_string()))?;
    if reread.tasks != doc.tasks {
        return Err(fail("the task matrix would change"));
    }
    let Place::Table(table) = locate(new_text) else {
        return Err(fail("the Metrics table is not found after the edit"));
    };
    let headers: Vec<String> = table
        .header
        .cells
        .iter()
        .map(|c| key(c.value(new_text)))
        .collect();
    let metric_col = headers.iter().position(|h| h == "metric").unwrap_or(0);
    let actual_col = headers
        .iter()
        .position(|h| h == "actual")
        .ok_or_else(|| fail("the Actual column is gone"))?;
    for metric in written {
        let row = table.rows.iter().find(|r| {
            r.cells
                .get(metric_col)
                .is_some_and(|c| key(c.value(new_text)) == key(&metric.metric))
        });
        let value = row
            .and_then(|r| r.cells.get(actual_col))
            .map(|c| c.value(new_text));
        if value != Some(metric.actual.as_str()) {
            return Err(fail(&format!("{} does not read back", metric.metric)));
        }
    }
    Ok(())
}

/// Where the Metrics table is, or where a new one goes.
enum Place {
    /// The existing table.
    Table(Table),
    /// No table: insert at `at`, after writing `heading` (markdown ending in a blank line).
    Insert { at: usize, heading: String },
}

/// Finds the Metrics table of the Retrospective, or where to put one.
fn locate(text: &str) -> Place {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let all = headings(text);
    let Some(retro) = all.iter().position(|h| h.title.contains("retrospective")) else {
        return Place::Insert {
            at: text.len(),
            heading: format!("## Retrospective{nl}{nl}### Metrics{nl}{nl}"),
        };
    };
    let retro_end = section_end(text, &all, retro);
    let metrics = all
        .iter()
        .enumerate()
        .skip(retro + 1)
        .take_while(|(_, h)| h.start < retro_end)
        .find(|(_, h)| h.title.contains("metrics"));
    let Some((m, heading)) = metrics else {
        let hashes = "#".repeat(all[retro].level + 1);
        return Place::Insert {
            at: content_end(text, all[retro].end, retro_end),
            heading: format!("{hashes} Metrics{nl}{nl}"),
        };
    };
    let end = section_end(text, &all, m).min(retro_end);
    let body = heading.end..end;
    let wanted = |t: &Table| {
        let headers: Vec<String> = t.header.cells.iter().map(|c| key(c.value(text))).collect();
        headers.iter().any(|h| h == "metric") && headers.iter().any(|h| h == "actual")
    };
    match tables(&text[body.clone()], body.start)
        .into_iter()
        .find(wanted)
    {
        Some(table) => Place::Table(table),
        None => Place::Insert {
            at: content_end(text, body.start, body.end),
            heading: String::new(),
        },
    }
}
