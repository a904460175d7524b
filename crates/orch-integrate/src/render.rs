//! The human text of the reports, shared by every front end (`cargo xtask integrate`,
//! `orch-worktree integrate|queue|conflicts`) so that they all say the same thing. These
//! functions only build strings; the binaries print them.

use std::fmt::Write as _;

use crate::report::{
    CommitReport, Forecast, Gates, Integration, Outcome, QueueOutcome, QueueReport,
};

fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// What an integration did, or in a dry run would do, one commit per line.
pub fn integration(done: &Integration) -> String {
    let mut out = String::new();
    let what = match &done.task {
        Some(task) => format!("{task} ({})", done.branch),
        None => done.branch.clone(),
    };
    let head = format!(
        "{what} onto {} at {}: {}",
        done.base,
        short(&done.old_tip),
        plural(done.commits.len(), "commit")
    );
    if done.dry_run {
        let _ = writeln!(out, "dry run: {head}; nothing was changed");
    } else {
        let _ = writeln!(out, "{head}");
    }
    for commit in &done.commits {
        commit_line(&mut out, commit, done.dry_run);
    }
    gates(&mut out, &done.gates, done.dry_run);
    let verb = if done.dry_run {
        "would update"
    } else {
        "updated"
    };
    for worktree in &done.worktrees {
        let _ = writeln!(
            out,
            "{verb} the checked-out {} in {} ({})",
            done.base,
            worktree.path.display(),
            plural(worktree.paths.len(), "path")
        );
    }
    if let Some(new) = &done.new_tip {
        let moved = if done.attempts > 1 {
            format!(
                " (picked {} times: {} moved meanwhile)",
                done.attempts, done.base
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}: {} -> {} ({}){moved}",
            done.base,
            short(&done.old_tip),
            short(new),
            plural(done.picked().count(), "new commit")
        );
    }
    for archived in &done.archived {
        let verb = if done.dry_run {
            "would archive"
        } else {
            "archived"
        };
        let _ = write!(out, "{verb} {} as {}", archived.task, archived.reference);
        if let Some(path) = &archived.worktree_removed {
            let _ = write!(out, "; removed its worktree {}", path.display());
        }
        if let Some(note) = &archived.note {
            let _ = write!(out, "; {note}");
        }
        out.push('\n');
    }
    for place in &done.recorded {
        let _ = writeln!(out, "recorded in {place}");
    }
    for warning in &done.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    if let Some(blocked) = &done.blocked {
        let _ = writeln!(out, "would stop: {blocked}");
    }
    out
}

fn commit_line(out: &mut String, commit: &CommitReport, dry_run: bool) {
    let label = match (commit.outcome, dry_run) {
        (Outcome::Picked, false) => "picked",
        (Outcome::Picked, true) => "would pick",
        (Outcome::Empty, _) => "skipped (empty)",
        (Outcome::AlreadyApplied, _) => "skipped (already on the base)",
        (Outcome::Conflict, _) => "conflict",
        (Outcome::NotReached, _) => "not reached",
    };
    let new = match (&commit.new, dry_run) {
        (Some(new), false) => format!(" -> {}", short(new)),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "  {label:<11} {}{new}  {}",
        commit.short(),
        commit.subject
    );
    if dry_run {
        for change in &commit.changes {
            let from = change
                .old_path
                .as_ref()
                .map(|p| format!("{p} -> "))
                .unwrap_or_default();
            let mode = change
                .mode
                .as_ref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            let _ = writeln!(out, "      {} {from}{}{mode}", change.status, change.path);
        }
    }
    for conflict in &commit.conflicts {
        let _ = writeln!(
            out,
            "      {} ({})",
            conflict.path,
            conflict.kind.describe()
        );
    }
}

fn gates(out: &mut String, gates: &Gates, dry_run: bool) {
    if gates.skipped {
        let _ = writeln!(out, "gates: skipped (--no-gates)");
    } else if gates.configured.is_empty() {
        let _ = writeln!(
            out,
            "gates: none configured ([integrate] gates in orch.toml)"
        );
    } else if dry_run {
        for argv in &gates.configured {
            let _ = writeln!(out, "would run gate: {}", argv.join(" "));
        }
    } else {
        for gate in &gates.results {
            let _ = writeln!(
                out,
                "gate {} {} ({:.1} s)",
                gate.command(),
                if gate.passed {
                    "passed"
                } else if gate.timed_out {
                    "timed out"
                } else {
                    "failed"
                },
                gate.duration_ms as f64 / 1000.0
            );
        }
    }
}

/// What a queue run did, one task per line.
pub fn queue(report: &QueueReport) -> String {
    let mut out = String::new();
    if report.dry_run {
        let _ = writeln!(out, "dry run: nothing was changed");
    }
    if !report.already_integrated.is_empty() {
        let _ = writeln!(
            out,
            "already on {}: {}",
            report.base,
            report.already_integrated.join(", ")
        );
    }
    if report.items.is_empty() {
        let _ = writeln!(out, "nothing to integrate: no Completed task is waiting");
    }
    for item in &report.items {
        let line = match &item.outcome {
            QueueOutcome::Integrated { integration } => {
                let tip = integration
                    .new_tip
                    .as_deref()
                    .or(integration.candidate.as_deref())
                    .map_or("-", short);
                let verb = if report.dry_run {
                    "would integrate"
                } else {
                    "integrated"
                };
                format!(
                    "{verb} ({}, {} at {tip})",
                    plural(integration.picked().count(), "commit"),
                    report.base
                )
            }
            QueueOutcome::NothingToDo => "nothing to pick: already on the base".to_owned(),
            QueueOutcome::Quarantined { reason, .. } => {
                let verb = if report.dry_run {
                    "would be quarantined"
                } else {
                    "quarantined"
                };
                format!("{verb}: {reason}")
            }
            QueueOutcome::Skipped { reason } => format!("skipped: {reason}"),
            QueueOutcome::Error { message } => format!("error: {message}"),
        };
        let _ = writeln!(out, "{:<10} {line}", item.task);
    }
    out
}

/// The conflict forecast: each branch against the base, then the clashing pairs.
pub fn forecast(forecast: &Forecast) -> String {
    let mut out = String::new();
    for branch in &forecast.branches {
        let state = match (&branch.error, branch.conflicts.is_empty()) {
            (Some(error), _) => format!("cannot check: {error}"),
            (None, true) => format!("applies cleanly to {}", forecast.base),
            (None, false) => format!(
                "conflicts with {} in {}",
                forecast.base,
                plural(branch.conflicts.len(), "commit")
            ),
        };
        let _ = writeln!(
            out,
            "{} ({}, {}): {state}",
            branch.task,
            branch.branch,
            plural(branch.commits, "commit")
        );
        for commit in &branch.conflicts {
            commit_line(&mut out, commit, false);
        }
    }
    for pair in &forecast.pairs {
        let _ = writeln!(out, "{} and {} clash:", pair.a, pair.b);
        for path in &pair.paths {
            let _ = writeln!(
                out,
                "      {} ({})",
                path.path,
                path.kind.describe_between_branches()
            );
        }
    }
    for unchecked in &forecast.unchecked {
        let _ = writeln!(out, "{}: not checked: {}", unchecked.task, unchecked.reason);
    }
    if !forecast.any_conflict() {
        let _ = writeln!(out, "no conflicts forecast");
    }
    out
}
