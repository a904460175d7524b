//! The dashboard as plain text, for output that is not a terminal: the matrix as `show` prints
//! it, then progress, running tasks with their elapsed time, ready, blocked and waiting tasks,
//! the critical path and the latest messages.

use std::fmt::Write as _;

use orch_core::Status;

use super::DashboardState;
use crate::cli::table;

/// How many messages the plain view lists.
const LATEST_MESSAGES: usize = 4;

pub(super) fn render(state: &DashboardState) -> String {
    let rows = state
        .visible()
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.status.to_string(),
                crate::cli::table::or_dash(&t.group),
                crate::cli::table::list(&t.depends_on),
                t.estimate.clone(),
                crate::cli::table::or_dash(&t.agent),
                t.description.clone(),
            ]
        })
        .collect();
    let mut out = format!(
        "orch-plan watch: {} at {}\n",
        state.title,
        state.now.rfc3339()
    );
    if let Some(error) = &state.error {
        let _ = writeln!(out, "error: {error}");
    }
    let filter = state.filter_text();
    if !filter.is_empty() {
        let _ = writeln!(out, "filter: {filter}");
    }
    out.push('\n');
    out.push_str(&table::render(&crate::cli::table::MATRIX_HEADER, rows));
    let total = state.tasks.len();
    let done = state
        .tasks
        .iter()
        .filter(|t| t.status == Status::Completed)
        .count();
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let _ = writeln!(
        out,
        "\nProgress:      {done}/{total} completed ({percent}%)"
    );
    let running: Vec<String> = state
        .tasks
        .iter()
        .filter(|t| t.status == Status::InProgress)
        .map(|t| {
            let elapsed = state.elapsed(t).unwrap_or_else(|| "?".to_owned());
            format!(
                "{} ({}, {elapsed})",
                t.id,
                crate::cli::table::or_dash(&t.agent)
            )
        })
        .collect();
    let _ = writeln!(out, "Running:       {}", crate::cli::table::list(&running));
    let _ = writeln!(
        out,
        "Ready:         {}",
        crate::cli::table::list(&state.ready)
    );
    let blocked: Vec<String> = state
        .tasks
        .iter()
        .filter(|t| t.status == Status::Blocked)
        .map(|t| match &t.blocker {
            Some(why) => format!("{} ({why})", t.id),
            None => t.id.clone(),
        })
        .collect();
    let _ = writeln!(out, "Blocked:       {}", crate::cli::table::list(&blocked));
    let waiting: Vec<String> = state
        .tasks
        .iter()
        .filter(|t| t.status == Status::NotStarted && !t.waiting_on.is_empty())
        .map(|t| format!("{} (on {})", t.id, t.waiting_on.join(", ")))
        .collect();
    let _ = writeln!(out, "Waiting:       {}", crate::cli::table::list(&waiting));
    let (path, length) = &state.critical_path;
    let path = if path.is_empty() {
        "-".to_owned()
    } else {
        path.join(" -> ")
    };
    let _ = writeln!(out, "Critical path: {path} ({length})");
    if !state.messages.is_empty() {
        let _ = writeln!(out, "\nLatest messages:");
        for m in state.messages.iter().rev().take(LATEST_MESSAGES) {
            let time = m.time.map_or_else(|| "-".to_owned(), |t| t.minutes());
            let task = m
                .task
                .as_deref()
                .map_or(String::new(), |t| format!(" {t}:"));
            let _ = writeln!(
                out,
                "  {} {time} {} -> {} {} [{}]{task} {}",
                m.id, m.from, m.to, m.kind, m.status, m.summary
            );
        }
    }
    out
}
