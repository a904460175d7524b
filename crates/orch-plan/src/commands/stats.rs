//! `orch-plan stats`: metrics of the orchestration, computed from the journal, and with
//! `--write` recorded in the plan's Retrospective Metrics table.

use orch_plan::{out, outln};
use std::fmt::Write as _;

use orch_core::Plan;
use orch_status::atomic::{self, Change};
use orch_status::journal::Entry;
use orch_status::read_plan;

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};
use orch_plan::stats::{self, Stats, WrittenMetric};

/// Arguments of `orch-plan stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Also record the metrics in the plan's Retrospective Metrics table (only that table
    /// changes; atomic and journaled).
    #[arg(long)]
    write: bool,
    /// Who records them, for the journal [default: ORCH_AGENT_ID, else the user name].
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
}

/// Prints the metrics (and writes them into the plan with `--write`).
pub fn cmd_stats(ctx: &Context, args: &StatsArgs) -> Result<(), CliError> {
    let workspace = ctx.workspace()?;
    let journal = ctx.journal(&workspace);
    let contents = journal
        .read_lines()
        .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()).with_file(journal.path()))?;
    let plan = match orch_plan::cli::read_plan_at(&workspace.plan).and_then(|doc| {
        doc.into_plan()
            .map(|(plan, _)| plan)
            .map_err(|p| CliError::from_diagnostics(ErrorKind::Validation, p.0))
    }) {
        Ok(plan) => Some(plan),
        Err(error) if args.write => return Err(error),
        Err(error) => {
            orch_plan::errln!("warning: {error}; the figures leave out the plan's estimates");
            None
        }
    };
    let now = orch_status::lock::now();
    let stats = stats::compute_journal(&contents, plan.as_ref(), now);
    for warning in stats.warnings(journal.path(), &workspace.plan) {
        orch_plan::errln!("warning: {warning}");
    }
    let written = if args.write {
        Some(write(ctx, &workspace, &stats, args.agent.as_deref())?)
    } else {
        None
    };
    if ctx.json {
        /// The figures, and with `--write` what was written.
        #[derive(serde::Serialize)]
        struct Output<'a> {
            #[serde(flatten)]
            stats: &'a Stats,
            #[serde(skip_serializing_if = "Option::is_none")]
            written: Option<&'a [WrittenMetric]>,
        }
        return super::print_json(&Output {
            stats: &stats,
            written: written.as_ref().map(|(_, w)| w.as_slice()),
        });
    }
    out!("{}", human(&stats, plan.as_ref()));
    if let Some((changed, metrics)) = written {
        let added = metrics.iter().filter(|m| m.added).count();
        if changed {
            outln!(
                "\nwrote {} metric(s) ({added} new row(s)) to the Retrospective Metrics table of {}",
                metrics.len(),
                workspace.plan.display()
            );
        } else {
            outln!(
                "\nthe Retrospective Metrics table of {} is up to date",
                workspace.plan.display()
            );
        }
    }
    Ok(())
}

/// Writes the Metrics table under the plan's lock and journals a `stats` event. Returns
/// whether the plan changed and what was written.
fn write(
    ctx: &Context,
    workspace: &orch_status::Workspace,
    stats: &Stats,
    agent: Option<&str>,
) -> Result<(bool, Vec<WrittenMetric>), CliError> {
    let path = &workspace.plan;
    let committed = atomic::update_file(path, ctx.lock_timeout, &ctx.command_line, |bytes| {
        let bytes = bytes.ok_or_else(|| {
            CliError::invalid(format!("no plan at {}", path.display())).with_file(path)
        })?;
        let doc = read_plan(path, bytes.to_vec()).map_err(CliError::from)?;
        let (text, written) = stats::write_metrics_table(&doc, stats)
            .map_err(|e| CliError::invalid(e.to_string()).with_file(path))?;
        Ok::<_, CliError>(if text == doc.text {
            Change::Keep(written)
        } else {
            Change::Write(text.into_bytes(), written)
        })
    })
    .map_err(CliError::from)?;
    let actor = ctx.actor(agent);
    let journal = ctx.journal(workspace);
    let time = orch_status::lock::now().rfc3339();
    if let Some(holder) = &committed.broken_lock {
        journal
            .lock_broken(&time, &actor, &ctx.command_line, path, holder)
            .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
    }
    let changed = committed.written;
    if changed {
        journal
            .append(&Entry {
                time,
                event: "stats".to_owned(),
                actor,
                note: Some("wrote the Retrospective Metrics table".to_owned()),
                command: Some(ctx.command_line.clone()),
                detail: serde_json::json!({
                    "completed": stats.completed,
                    "failed": stats.failed,
                    "success_rate": stats.success_rate,
                    "throughput_per_hour": stats.throughput_per_hour,
                    "parallel_efficiency": stats.parallel_efficiency,
                    "retries": stats.retries,
                    "conflicts": stats.conflicts,
                    "quarantines": stats.quarantines,
                    "wall_seconds": stats.wall_seconds,
                }),
                ..Entry::default()
            })
            .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
    }
    Ok((changed, committed.outcome_and_release()))
}

/// A duration for people, `-` for none.
fn duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(
        || "-".to_owned(),
        |s| stats::format_duration(s.round() as u64),
    )
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// The metrics as text: the headline figures, time per status, and a table per task.
fn human(s: &Stats, plan: Option<&Plan>) -> String {
    let mut out = String::new();
    let wall = (s.wall_seconds > 0).then_some(s.wall_seconds as f64);
    let rows = vec![
        ("Completed", s.completed.to_string()),
        ("Failed", s.failed.to_string()),
        ("Success rate", percent(s.success_rate)),
        (
            "Throughput",
            s.throughput_per_hour
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.2} tasks/hour")),
        ),
        ("Wall time", duration(wall)),
        ("Busy time", duration(Some(s.busy_seconds as f64))),
        ("Max concurrency", s.max_concurrency.to_string()),
        ("Parallel efficiency", percent(s.parallel_efficiency)),
        ("Time savings", percent(s.time_savings)),
        ("Retries", s.retries.to_string()),
        ("Conflicts", s.conflicts.to_string()),
        ("Quarantines", s.quarantines.to_string()),
        (
            "Integration latency",
            format!(
                "mean {}, p95 {} ({} integration(s))",
                duration(s.integration_latency.mean_seconds),
                duration(s.integration_latency.p95_seconds.map(|v| v as f64)),
                s.integration_latency.count
            ),
        ),
        (
            "Time per task",
            format!(
                "mean {}, p95 {}",
                duration(s.time_per_task.mean_seconds),
                duration(s.time_per_task.p95_seconds.map(|v| v as f64))
            ),
        ),
        (
            "Estimate vs actual",
            match s.estimate_vs_actual.ratio {
                Some(r) => format!(
                    "{} estimated, {} actual ({r:.2}x, {} task(s))",
                    duration(Some(s.estimate_vs_actual.estimated_seconds as f64)),
                    duration(Some(s.estimate_vs_actual.actual_seconds as f64)),
                    s.estimate_vs_actual.tasks
                ),
                None => "-".to_owned(),
            },
        ),
        (
            "Quality gates",
            format!(
                "{} passed, {} failed ({})",
                s.gates_passed,
                s.gates_failed,
                percent(s.gate_pass_rate)
            ),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "{name:<21}{value}");
    }
    out.push('\n');
    let status_rows = s
        .time_per_status
        .iter()
        .map(|t| {
            vec![
                t.status.to_owned(),
                t.summary.count.to_string(),
                duration(t.summary.mean_seconds),
                duration(t.summary.p95_seconds.map(|v| v as f64)),
            ]
        })
        .collect();
    out.push_str(&orch_plan::cli::table::render(
        &["Status", "Intervals", "Mean", "p95"],
        status_rows,
    ));
    if !s.tasks.is_empty() {
        out.push('\n');
        let task_rows = s
            .tasks
            .iter()
            .map(|t| {
                vec![
                    t.id.clone(),
                    t.plan_status.or(t.status).unwrap_or("-").to_owned(),
                    t.attempts.to_string(),
                    duration(Some(t.busy_seconds as f64)),
                    duration(t.estimate_seconds.map(|v| v as f64)),
                    t.ratio
                        .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
                    duration(t.integration_latency_seconds.map(|v| v as f64)),
                ]
            })
            .collect();
        out.push_str(&orch_plan::cli::table::render(
            &[
                "Task",
                "Status",
                "Attempts",
                "Busy",
                "Estimate",
                "Actual/Est",
                "To integrate",
            ],
            task_rows,
        ));
    }
    if s.entries == 0 && s.unreadable == 0 {
        let _ = writeln!(
            out,
            "\nthe journal is empty: the figures fill in as agents claim, complete and integrate tasks{}",
            if plan.is_some() {
                ""
            } else {
                " (and the plan could not be read)"
            }
        );
    }
    out
}
