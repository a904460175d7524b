//! `orch-plan show`: the matrix, progress, ready and blocked tasks, and the critical path.

use orch_plan::out;
use std::fmt::Write as _;

use orch_plan::report::ShowReport;

use orch_plan::cli::CliError;
use orch_plan::cli::Context;

/// Arguments of `orch-plan show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {}

/// Prints the plan's state.
pub fn cmd_show(ctx: &Context, _args: &ShowArgs) -> Result<(), CliError> {
    let (plan, doc) = ctx.load_plan_for_exit()?;
    let report = ShowReport::new(plan, doc.path.display().to_string());
    if ctx.json {
        return super::print_json(&report);
    }
    let rows = plan
        .tasks()
        .iter()
        .map(|t| {
            let deps: Vec<&str> = t.depends_on.iter().map(|d| d.as_str()).collect();
            vec![
                t.id.to_string(),
                t.status.to_string(),
                orch_plan::cli::table::or_dash(&t.group),
                if deps.is_empty() {
                    "-".to_owned()
                } else {
                    deps.join(", ")
                },
                t.estimate
                    .as_ref()
                    .map_or("-".to_owned(), |e| e.to_string()),
                orch_plan::cli::table::or_dash(&t.agent),
                t.description.clone(),
            ]
        })
        .collect();
    let mut out = orch_plan::cli::table::render(&orch_plan::cli::table::MATRIX_HEADER, rows);
    let progress = &report.progress;
    let percent = (progress.completed * 100)
        .checked_div(progress.total)
        .unwrap_or(100);
    let _ = writeln!(
        out,
        "\nProgress:      {}/{} completed ({percent}%)",
        progress.completed, progress.total
    );
    let _ = writeln!(
        out,
        "In progress:   {}",
        orch_plan::cli::table::list(&report.in_progress)
    );
    let _ = writeln!(
        out,
        "Ready:         {}",
        orch_plan::cli::table::list(&report.ready)
    );
    let _ = writeln!(
        out,
        "Blocked:       {}",
        orch_plan::cli::table::list(&report.blocked)
    );
    if !report.failed.is_empty() {
        let _ = writeln!(
            out,
            "Failed:        {}",
            orch_plan::cli::table::list(&report.failed)
        );
    }
    let _ = writeln!(
        out,
        "Waiting:       {}",
        orch_plan::cli::table::list(&report.waiting)
    );
    let _ = writeln!(
        out,
        "Critical path: {} ({})",
        if report.critical_path.is_empty() {
            "-".to_owned()
        } else {
            report.critical_path.join(" -> ")
        },
        report.critical_path_length
    );
    out!("{out}");
    Ok(())
}
