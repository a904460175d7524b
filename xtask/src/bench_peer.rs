//! The peer row of `cargo xtask bench`: one status edit with another tool that keeps a task
//! board in markdown files in a git repository, measured in the same run as `orch-plan status`.
//!
//! The peer is the Backlog.md CLI (`backlog`), installed from the npm registry at a pinned
//! version into `target/bench/peers/` (kept between runs). Its project gets as many tasks as
//! orch's plan, with the same dependency shape, written as its own task files; the timed command
//! is `backlog task edit task-N -s STATUS`, toggled between two statuses like orch's row, and
//! each edit is read back from the task file once before timing. Its remote operations and
//! branch scans are turned off, so it does no more than orch does (its best case).
//!
//! Nothing here may fail the benchmark: without npm, without the registry or with a broken
//! install, the row says why the peer was not measured. `ORCH_BENCH_PEERS=off` skips it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The npm package and version measured.
const PACKAGE: &str = "backlog.md";
const VERSION: &str = "1.52.0";
/// How long the install may take before the peer is reported as unavailable.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(240);

/// What became of the peer.
pub enum Peer {
    /// The median of the peer's status edits.
    Measured {
        /// What ran, for the report.
        what: String,
        /// The median wall time of one edit as a whole process.
        median: Duration,
    },
    /// Why the peer was not measured.
    Unavailable(String),
}

/// Installs the peer if needed and measures one status edit on a project of `tasks` tasks.
pub fn run(tasks: usize, repeats: usize) -> Peer {
    if std::env::var("ORCH_BENCH_PEERS").is_ok_and(|v| v == "off" || v == "0") {
        return Peer::Unavailable("skipped (ORCH_BENCH_PEERS=off)".to_owned());
    }
    match measure(tasks, repeats) {
        Ok(peer) => peer,
        Err(err) => Peer::Unavailable(format!("not measured: {err:#}")),
    }
}

fn measure(tasks: usize, repeats: usize) -> anyhow::Result<Peer> {
    let backlog = match install()? {
        Ok(path) => path,
        Err(reason) => return Ok(Peer::Unavailable(reason)),
    };
    let scratch = tempfile::Builder::new()
        .prefix("orch-bench-peer-")
        .tempdir()?;
    let home = scratch.path().join("home");
    let repo = scratch.path().join("repo");
    std::fs::create_dir(&home)?;
    std::fs::create_dir(&repo)?;
    crate::git(&repo, &["init", "-q", "-b", "main"])?;
    let peer = |args: &[&str]| -> anyhow::Result<()> {
        let output = crate::hermetic(Command::new(&backlog).args(args).current_dir(&repo))
            .env("HOME", &home)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .context("cannot run backlog")?;
        if !output.status.success() {
            bail!(
                "backlog {} failed with {}: {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    };
    peer(&["init", "bench", "--defaults", "--integration-mode", "none"])?;
    peer(&["config", "set", "remoteOperations", "false"])?;
    peer(&["config", "set", "checkActiveBranches", "false"])?;
    let task_dir = repo.join("backlog/tasks");
    if !task_dir.is_dir() {
        bail!("backlog init made no {}", task_dir.display());
    }
    write_tasks(&task_dir, tasks)?;

    // The task in the middle of the board, as orch's row edits one row of its plan.
    let id = tasks / 2;
    let file = task_dir.join(format!("task-{id} - Task-{id}.md"));
    let task_arg = format!("task-{id}");
    let statuses = ["In Progress", "To Do"];
    for status in statuses {
        peer(&["task", "edit", &task_arg, "-s", status, "--plain"])?;
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if !text.contains(&format!("\nstatus: {status}\n")) {
            bail!(
                "backlog did not record status {status:?} in {}",
                file.display()
            );
        }
    }
    let mut next = 0;
    let mut times = Vec::with_capacity(repeats);
    for round in 0..=repeats {
        let start = Instant::now();
        peer(&["task", "edit", &task_arg, "-s", statuses[next], "--plain"])?;
        // The first run warms the caches and is not counted.
        if round > 0 {
            times.push(start.elapsed());
        }
        next = 1 - next;
    }
    times.sort();
    Ok(Peer::Measured {
        what: format!("Backlog.md {VERSION} `backlog task edit -s`, one file per task"),
        median: times[times.len() / 2],
    })
}

/// Returns the `backlog` executable, installing it first if it is not there, or why not.
fn install() -> anyhow::Result<Result<PathBuf, String>> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    let prefix = target.join(format!("bench/peers/{PACKAGE}-{VERSION}"));
    let backlog = prefix.join("node_modules/.bin/backlog");
    if reports_version(&backlog) {
        return Ok(Ok(backlog));
    }
    let npm_found = Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !npm_found {
        return Ok(Err("not measured: npm is not installed".to_owned()));
    }
    std::fs::create_dir_all(&prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    eprintln!(
        "installing {PACKAGE}@{VERSION} from the npm registry into {}",
        prefix.display()
    );
    let log = prefix.join("npm-install.log");
    let log_file = std::fs::File::create(&log)?;
    let mut child = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("{PACKAGE}@{VERSION}"))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .context("cannot run npm")?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > INSTALL_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Err(format!(
                "not measured: npm install took over {} s (see {})",
                INSTALL_TIMEOUT.as_secs(),
                log.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        return Ok(Err(format!(
            "not measured: npm install {PACKAGE}@{VERSION} failed with {status} (see {})",
            log.display()
        )));
    }
    if !reports_version(&backlog) {
        return Ok(Err(format!(
            "not measured: {} does not run on this machine",
            backlog.display()
        )));
    }
    Ok(Ok(backlog))
}

fn reports_version(backlog: &Path) -> bool {
    Command::new(backlog)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == VERSION
        })
}

/// Writes `tasks` task files in Backlog.md's layout, each depending on up to two earlier ones
/// (the shape of orch's generated plan).
fn write_tasks(dir: &Path, tasks: usize) -> anyhow::Result<()> {
    for i in 1..=tasks {
        let deps = match i {
            1 => " []".to_owned(),
            2 => "\n  - TASK-1".to_owned(),
            _ => format!("\n  - TASK-{}\n  - TASK-{}", i - 1, (i / 2).max(1)),
        };
        let text = format!(
            "---\nid: TASK-{i}\ntitle: Task {i}\nstatus: To Do\nassignee:\n  - '@builder-{}'\n\
             created_date: '2026-01-01 00:00'\nlabels: []\ndependencies:{deps}\nordinal: {}\n---\n\n\
             ## Description\n\nImplement part {i} of the system.\n",
            i % 8,
            i * 1000
        );
        std::fs::write(dir.join(format!("task-{i} - Task-{i}.md")), text)?;
    }
    Ok(())
}
