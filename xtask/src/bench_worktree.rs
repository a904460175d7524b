//! The worktree rows of `cargo xtask bench`: `orch-worktree spawn` against `git worktree add`
//! on a generated repository of 20,000 files (2,000 with `--quick`), in the same run.
//!
//! One task is measured against one `git worktree add -b`; four tasks (one process, spawned
//! concurrently) against a sequential loop of four `git worktree add -b`. Every worktree is
//! removed between runs (not timed), and the order of orch and git alternates between repeats.
//! The repository lives in the system's temp dir, or in `$ORCH_BENCH_DIR` when set (for
//! example `/dev/shm`, to measure the tools rather than the file system's inode allocator).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// One row: what orch did, its median, the git baseline and its median.
pub struct Measured {
    pub name: String,
    pub orch: Duration,
    pub baseline_name: String,
    pub baseline: Duration,
}

/// Generates the repository, measures, and returns the rows.
pub fn run(bins: &Path, quick: bool) -> anyhow::Result<Vec<Measured>> {
    let orch = bins.join("orch-worktree");
    let files = if quick { 2_000 } else { 20_000 };
    let repeats = if quick { 2 } else { 5 };
    let parent = std::env::var_os("ORCH_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let scratch = tempfile::Builder::new()
        .prefix("orch-bench-worktree-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot make a temp dir in {}", parent.display()))?;
    let repo = scratch.path().join("repo");
    eprintln!(
        "generating a repository of {files} files in {}",
        repo.display()
    );
    generate(&repo, files)?;
    check_orch_checkout(&orch, &repo)?;

    let mut orch_one = Vec::new();
    let mut git_one = Vec::new();
    let mut orch_four = Vec::new();
    let mut git_four = Vec::new();
    // The first round warms the caches and is not counted.
    for round in 0..=repeats {
        let git_first = round % 2 == 1;
        let pair = |orch_runs: &mut Vec<Duration>, git_runs: &mut Vec<Duration>, n: usize| {
            let tasks: Vec<String> = (1..=n).map(|i| format!("W{i}")).collect();
            let mut steps: [(bool, Duration); 2] = [(false, Duration::ZERO); 2];
            for (slot, is_git) in [(0, git_first), (1, !git_first)] {
                let took = if is_git {
                    time(|| {
                        for i in 1..=n {
                            let branch = format!("bench/g{i}");
                            let path = format!("../g/g{i}");
                            crate::git(&repo, &["worktree", "add", "-q", "-b", &branch, &path])?;
                        }
                        Ok(())
                    })?
                } else {
                    let mut args = vec!["spawn".to_owned()];
                    args.extend(tasks.iter().cloned());
                    time(|| crate::run_quiet(Command::new(&orch).args(&args).current_dir(&repo)))?
                };
                clean(&repo)?;
                steps[slot] = (is_git, took);
            }
            for (is_git, took) in steps {
                if round > 0 {
                    if is_git {
                        git_runs.push(took)
                    } else {
                        orch_runs.push(took)
                    }
                }
            }
            anyhow::Ok(())
        };
        pair(&mut orch_one, &mut git_one, 1)?;
        pair(&mut orch_four, &mut git_four, 4)?;
    }
    let rows = vec![
        Measured {
            name: format!("orch-worktree spawn, 1 task, {files} files (median of {repeats})"),
            orch: median(orch_one),
            baseline_name: "git worktree add -b, 1 worktree".to_owned(),
            baseline: median(git_one),
        },
        Measured {
            name: format!(
                "orch-worktree spawn, 4 tasks in one process, {files} files (median of {repeats})"
            ),
            orch: median(orch_four),
            baseline_name: "git worktree add -b, 4 in a sequential loop".to_owned(),
            baseline: median(git_four),
        },
    ];
    Ok(rows)
}

/// A repository of `files` files in directories of 100, with sizes from 100 bytes to 4 KiB,
/// committed and packed like a fresh clone, and a plan with tasks W1 to W4.
fn generate(repo: &Path, files: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(repo)?;
    crate::git(repo, &["init", "-q", "-b", "main"])?;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..files {
        let dir = repo.join(format!("src/mod{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let lines = 2 + (seed % 60) as usize;
        let mut text = String::with_capacity(lines * 64);
        for line in 0..lines {
            let _ = writeln!(
                text,
                "pub fn item_{i}_{line}() -> u64 {{ {} }} // generated",
                seed.wrapping_mul(line as u64 + 1) % 1_000_003
            );
        }
        std::fs::write(dir.join(format!("file{:03}.rs", i % 100)), text)?;
    }
    let mut plan = String::from(
        "# Benchmark plan\n\n| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for i in 1..=4 {
        let _ = writeln!(
            plan,
            "| W{i} | Worktree {i} | Builder / `builder` | - | - | A | Not Started | - | 1h |"
        );
    }
    std::fs::write(repo.join("MULTI_AGENT_PLAN.md"), plan)?;
    crate::git(repo, &["add", "-A"])?;
    crate::git(repo, &["commit", "-q", "-m", "Generated"])?;
    crate::git(repo, &["repack", "-adq"])?;
    crate::git(repo, &["prune-packed"])?;
    Ok(())
}

/// Correctness first: a spawned worktree must be clean in git's own eyes.
fn check_orch_checkout(orch: &Path, repo: &Path) -> anyhow::Result<()> {
    crate::run_quiet(Command::new(orch).args(["spawn", "W1"]).current_dir(repo))?;
    let worktree = repo.with_file_name("repo-worktrees").join("W1");
    let output = crate::git_command(&worktree)
        .args(["status", "--porcelain"])
        .output()
        .context("cannot run git status")?;
    if !output.status.success() || !output.stdout.is_empty() {
        bail!(
            "the worktree orch-worktree spawned is not clean:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    clean(repo)
}

/// Removes every worktree and branch the benchmark made, and flushes the deletions to disk so
/// that they do not slow the next measurement.
fn clean(repo: &Path) -> anyhow::Result<()> {
    let workspace = repo.parent().context("the repository has a parent")?;
    for dir in ["repo-worktrees", "g"] {
        let path = workspace.join(dir);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    crate::git(repo, &["worktree", "prune"])?;
    let output = crate::git_command(repo)
        .args(["for-each-ref", "--format=%(refname:short)", "refs/heads"])
        .output()?;
    let branches: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|b| *b != "main")
        .map(str::to_owned)
        .collect();
    if !branches.is_empty() {
        let mut args = vec!["branch", "-D", "-q"];
        args.extend(branches.iter().map(String::as_str));
        crate::git(repo, &args)?;
    }
    let _ = Command::new("sync").status();
    Ok(())
}

fn time(f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}
