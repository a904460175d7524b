//! `cargo xtask bench`: orch measured against the git CLI in the same run.
//!
//! Every number is the median wall time of whole processes. Ratios compare orch with a git
//! command doing comparable work on the same input, measured on the same machine in the same
//! run, so they stay meaningful from machine to machine. Nothing here is asserted: tests never
//! time anything.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::fixtures;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Fewer repetitions and smaller inputs: proves the harness works (used by CI).
    #[arg(long)]
    quick: bool,
    /// Where to write the markdown report (default: docs/bench.md, which README.md shows, or
    /// target/bench/report.md with --quick).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

struct Row {
    name: String,
    orch: Duration,
    baseline_name: String,
    /// None when the baseline could not be measured (`baseline_name` says why).
    baseline: Option<Duration>,
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let provenance = crate::bench_report::Provenance::capture();
    let bins = crate::build_bins(true)?;
    let orch_plan = bins.join("orch-plan");
    let repeats = if args.quick { 3 } else { 21 };
    let scratch = tempfile::Builder::new().prefix("orch-bench-").tempdir()?;
    let repo = scratch.path().join("repo");
    std::fs::create_dir(&repo)?;
    crate::git(&repo, &["init", "-q", "-b", "main"])?;

    let mut rows = Vec::new();
    let sizes: &[usize] = if args.quick {
        &[1_000]
    } else {
        &[1_000, 10_000]
    };
    for &size in sizes {
        let name = format!("plan-{size}.md");
        let plan = repo.join(&name);
        std::fs::write(&plan, fixtures::plan(size))?;
        let plan_arg = plan.to_str().context("temp path is not UTF-8")?;
        let baseline = median(repeats, || {
            crate::run_quiet(
                Command::new("git")
                    .args(["hash-object", plan_arg])
                    .current_dir(&repo),
            )
        })?;
        for command in ["check", "show"] {
            let orch = median(repeats, || {
                crate::run_quiet(
                    Command::new(&orch_plan)
                        .args([command, "--json", "--plan", plan_arg])
                        .current_dir(&repo),
                )
            })?;
            rows.push(Row {
                name: format!("orch-plan {command}, {size} tasks"),
                orch,
                baseline_name: "git hash-object (same file)".to_owned(),
                baseline: Some(baseline),
            });
        }
    }

    // One status update on a 1,000-task plan: lock, read, splice, verify, fsync, rename,
    // journal. The baseline is git writing its index for the same file under its own lock.
    let plan = repo.join("plan-status.md");
    std::fs::write(&plan, fixtures::plan(1_000))?;
    let plan_arg = plan.to_str().context("temp path is not UTF-8")?.to_owned();
    let mut toggle = false;
    let orch = median(repeats, || {
        toggle = !toggle;
        // T1 starts In Progress; it moves to Blocked and back.
        let next = if toggle { "Blocked" } else { "In Progress" };
        crate::run_quiet(
            Command::new(&orch_plan)
                .args(["status", "T1", next, "--plan", &plan_arg])
                .current_dir(&repo),
        )
    })?;
    let baseline = median(repeats, || {
        crate::run_quiet(
            Command::new("git")
                .args(["update-index", "--add", &plan_arg])
                .current_dir(&repo),
        )
    })?;
    rows.push(Row {
        name: "orch-plan status, 1000 tasks".to_owned(),
        orch,
        baseline_name: "git update-index --add (same file)".to_owned(),
        baseline: Some(baseline),
    });
    // The same edit with a peer tool, on a board of the same size.
    let peer_repeats = if args.quick { 3 } else { 11 };
    rows.push(match crate::bench_peer::run(1_000, peer_repeats) {
        crate::bench_peer::Peer::Measured { what, median } => Row {
            name: "orch-plan status, 1000 tasks".to_owned(),
            orch,
            baseline_name: what,
            baseline: Some(median),
        },
        crate::bench_peer::Peer::Unavailable(why) => Row {
            name: "orch-plan status, 1000 tasks".to_owned(),
            orch,
            baseline_name: format!("Backlog.md `backlog task edit -s`: {why}"),
            baseline: None,
        },
    });

    for row in crate::bench_worktree::run(&bins, args.quick)? {
        rows.push(Row {
            name: row.name,
            orch: row.orch,
            baseline_name: row.baseline_name,
            baseline: Some(row.baseline),
        });
    }

    // The conductor's overhead per task, beyond the git work (the worktrees exist already).
    let (tasks, runs) = if args.quick { (20, 1) } else { (100, 5) };
    let conductor = crate::bench_conductor::run(&bins, tasks, runs)?;
    let per_task = |d: Duration| d / u32::try_from(conductor.tasks).unwrap_or(1);
    rows.push(Row {
        name: format!(
            "orch-worktree run, per task ({} no-op tasks, max-parallel 8; a claim and a completion, each a plan update with fsync)",
            conductor.tasks
        ),
        orch: per_task(conductor.orch),
        baseline_name: "git rev-parse HEAD (one process start)".to_owned(),
        baseline: Some(per_task(conductor.baseline)),
    });

    let mut report = render(&rows, repeats, args.quick);
    print!("{report}");
    report.push_str(&crate::bench_integrate::run(args.quick)?);
    let report = crate::bench_report::document(&report, args.quick, &provenance);
    let default_out = if args.quick {
        "target/bench/report.md"
    } else {
        crate::bench_report::COMMITTED
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::workspace_root().join(default_out));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, &report).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("report written to {}", out.display());
    if args.out.is_none() && !args.quick {
        crate::bench_report::show_in_readme(&report)?;
        eprintln!("README.md's Performance section updated");
    }
    Ok(())
}

/// Runs `f` once to warm caches, then `repeats` times, and returns the median duration.
fn median(repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    f()?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn render(rows: &[Row], repeats: usize, quick: bool) -> String {
    let mut out = format!(
        "## Plans, status updates, worktrees and the conductor\n\n\
         Median of {repeats} runs of whole processes{}.\n\n",
        if quick { " (quick mode)" } else { "" },
    );
    out.push_str("| Benchmark | orch | Baseline | Baseline time | Ratio (orch / baseline) |\n|---|---:|---|---:|---:|\n");
    for row in rows {
        let (time, ratio) = match row.baseline {
            Some(baseline) => (
                millis(baseline),
                format!(
                    "{:.2}",
                    row.orch.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
                ),
            ),
            None => ("—".to_owned(), "—".to_owned()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {time} | {ratio} |\n",
            row.name,
            millis(row.orch),
            row.baseline_name,
        ));
    }
    out
}
