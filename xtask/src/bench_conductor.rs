//! The conductor's overhead: `orch-worktree run` of many no-op tasks whose worktrees already
//! exist, so that only the conductor's own work is timed (claims, status updates, journal,
//! process starts, scheduling). The baseline is the floor of starting as many processes: the
//! same number of `git rev-parse HEAD` runs, one after another, in the same run.
//!
//! Every task's claim and completion are plan updates with fsync, serialised by the plan's lock,
//! so on a disk with slow fsync that is most of the time. The repositories live in the system's
//! temp dir, or in `$ORCH_BENCH_DIR` when set, like the worktree benchmark's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// One measurement: the conductor's total time, the baseline's, and the task count.
pub struct Measured {
    /// How many no-op tasks ran.
    pub tasks: usize,
    /// The median wall time of `orch-worktree run`.
    pub orch: Duration,
    /// The median wall time of as many sequential `git rev-parse HEAD`.
    pub baseline: Duration,
}

/// Measures `repeats` times with `tasks` independent no-op tasks and `--max-parallel 8`.
pub fn run(bins: &Path, tasks: usize, repeats: usize) -> anyhow::Result<Measured> {
    let mut orch = Vec::with_capacity(repeats);
    let mut baseline = Vec::with_capacity(repeats);
    let parent = std::env::var_os("ORCH_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    for _ in 0..repeats {
        let scratch = tempfile::Builder::new()
            .prefix("orch-bench-run-")
            .tempdir_in(&parent)
            .with_context(|| format!("cannot make a temp dir in {}", parent.display()))?;
        let repo = scratch.path().join("repo");
        std::fs::create_dir(&repo)?;
        crate::git(&repo, &["init", "-q", "-b", "main"])?;
        std::fs::write(repo.join("MULTI_AGENT_PLAN.md"), plan(tasks))?;
        crate::git(&repo, &["add", "."])?;
        crate::git(&repo, &["commit", "-q", "-m", "plan"])?;
        let ids: Vec<String> = (0..tasks).map(|i| format!("T{i}")).collect();
        let mut spawn = vec!["spawn".to_owned()];
        spawn.extend(ids.iter().cloned());
        crate::run_quiet(
            Command::new(bins.join("orch-worktree"))
                .args(&spawn)
                .current_dir(&repo),
        )?;

        let start = Instant::now();
        crate::run_quiet(
            Command::new(bins.join("orch-worktree"))
                .args(["run", "--all", "--max-parallel", "8", "--", "true"])
                .current_dir(&repo),
        )?;
        orch.push(start.elapsed());

        let start = Instant::now();
        for _ in 0..tasks {
            crate::run_quiet(
                Command::new("git")
                    .args(["rev-parse", "HEAD"])
                    .current_dir(&repo),
            )?;
        }
        baseline.push(start.elapsed());
    }
    orch.sort();
    baseline.sort();
    Ok(Measured {
        tasks,
        orch: orch[orch.len() / 2],
        baseline: baseline[baseline.len() / 2],
    })
}

/// A plan of independent tasks.
fn plan(tasks: usize) -> String {
    let mut text = String::from(
        "# Plan\n\n| Task ID | Description | Status | Dependencies |\n|---|---|---|---|\n",
    );
    for i in 0..tasks {
        text.push_str(&format!("| T{i} | No-op task {i} | Not Started | - |\n"));
    }
    text
}
