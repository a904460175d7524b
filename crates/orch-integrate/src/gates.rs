//! Validation gates: each configured argv runs in a detached worktree at the candidate commit,
//! never in a user's worktree.
//!
//! The worktrees are pooled under `<state_dir>/gates/slot-<n>` (registered with git as
//! `orch-gate-<n>`), one per concurrent integration, each taken under its own lock. A slot is
//! reused by checking the next candidate out over it, which keeps ignored build output (such as
//! `target/`) warm between integrations, while untracked files are removed so that every gate
//! sees exactly the candidate's tree.

use std::fs::{self, File};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use git2::build::CheckoutBuilder;
use git2::{Oid, Repository, WorktreeAddOptions};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use orch_status::lock::{self, FileLock, LockError};

use crate::error::IntegrateError;
use crate::report::GateResult;

/// How many pool slots are tried before giving up (each busy with another integration).
const MAX_SLOTS: usize = 16;
/// How many bytes of a failed gate's output are kept in its report.
const TAIL_BYTES: u64 = 4096;
/// How many lines of a failed gate's output are kept in its report.
const TAIL_LINES: usize = 20;

/// Where a gate run writes and how it identifies itself.
pub struct GateRun<'a> {
    /// orch's state dir (`<git-common-dir>/orch`): the pool and the logs go there.
    pub state_dir: &'a Path,
    /// The gate commands, in order.
    pub gates: &'a [Vec<String>],
    /// How long one gate may run; `None` for no limit.
    pub timeout: Option<Duration>,
    /// The label of the log file: `logs/integrate-<label>.log`.
    pub label: &'a str,
    /// The base branch, passed to gates as `ORCH_INTEGRATE_BASE`.
    pub base: &'a str,
    /// The command line, for the slot's lock file.
    pub command: &'a str,
}

/// Runs the gates on `candidate` in a pooled detached worktree, stopping at the first failure.
/// Returns every gate's result; the last one failed if any did. The log (stdout and stderr of
/// every gate) is `<state_dir>/logs/integrate-<label>.log`, started afresh by each call.
pub fn run_gates(
    repo: &Repository,
    candidate: Oid,
    run: &GateRun<'_>,
) -> Result<Vec<GateResult>, IntegrateError> {
    if run.gates.is_empty() {
        return Ok(Vec::new());
    }
    let logs = run.state_dir.join("logs");
    fs::create_dir_all(&logs).map_err(IntegrateError::io("create", &logs))?;
    let log_path = logs.join(format!("integrate-{}.log", sanitize(run.label)));
    let mut log = File::create(&log_path).map_err(IntegrateError::io("create", &log_path))?;
    let (slot, _lock) = take_slot(repo, run, candidate)?;
    checkout(&slot, candidate)?;
    let mut results = Vec::with_capacity(run.gates.len());
    for argv in run.gates {
        let result = run_one(&slot, argv, candidate, run, &mut log, &log_path)?;
        let passed = result.passed;
        results.push(result);
        if !passed {
            break;
        }
    }
    Ok(results)
}

fn run_one(
    dir: &Path,
    argv: &[String],
    candidate: Oid,
    run: &GateRun<'_>,
    log: &mut File,
    log_path: &Path,
) -> Result<GateResult, IntegrateError> {
    let io = |e| IntegrateError::io("write", log_path)(e);
    let mut result = GateResult {
        argv: argv.to_vec(),
        passed: false,
        exit_code: None,
        duration_ms: 0,
        candidate: candidate.to_string(),
        log: log_path.to_owned(),
        tail: String::new(),
        error: None,
        timed_out: false,
    };
    writeln!(
        log,
        "$ {}  (in {} at {candidate})",
        result.command(),
        dir.display()
    )
    .map_err(io)?;
    let start_offset = log.stream_position().map_err(io)?;
    let Some((program, args)) = argv.split_first() else {
        result.error =
            Some("the gate is an empty argv list; fix [integrate] gates in orch.toml".to_owned());
        return Ok(result);
    };
    let out = log.try_clone().map_err(io)?;
    let err = log.try_clone().map_err(io)?;
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env("ORCH_INTEGRATE_CANDIDATE", candidate.to_string())
        .env("ORCH_INTEGRATE_BASE", run.base);
    // The gate's own git commands must see the gate worktree, not whatever the caller pointed
    // git at.
    for name in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
    ] {
        command.env_remove(name);
    }
    // With a time limit, the gate gets its own process group, so that a timeout kills
    // everything it started. Without one it stays in orch's group, where Ctrl-C reaches it.
    if run.timeout.is_some() {
        command.process_group(0);
    }
    let start = Instant::now();
    match command.spawn().and_then(|child| wait(child, run.timeout)) {
        Ok(Waited::Exited(status)) => {
            result.exit_code = status.code();
            result.passed = status.success();
        }
        Ok(Waited::TimedOut(status)) => {
            result.exit_code = status.code();
            result.timed_out = true;
            let limit = run.timeout.unwrap_or_default();
            result.error = Some(format!(
                "timed out after {limit:?} and was killed; make the gate faster or raise [integrate] gate_timeout in orch.toml"
            ));
            let _ = writeln!(log, "# {}", result.error.as_deref().unwrap_or_default());
        }
        Err(e) => {
            result.error = Some(format!(
                "cannot run {program:?}: {e}; check the gate's argv in [integrate] gates of orch.toml"
            ));
            let _ = writeln!(log, "{}", result.error.as_deref().unwrap_or_default());
        }
    }
    result.duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    writeln!(
        log,
        "# {} in {:.1?}",
        if result.passed { "passed" } else { "failed" },
        Duration::from_millis(result.duration_ms)
    )
    .map_err(io)?;
    if !result.passed {
        result.tail = tail(log_path, start_offset);
    }
    Ok(result)
}

/// How a gate's process ended.
enum Waited {
    Exited(ExitStatus),
    TimedOut(ExitStatus),
}

/// How long a gate's process group gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// Waits for `child`; past `timeout`, sends its process group SIGTERM, then SIGKILL after a
/// grace period. Polls with a growing interval (1 ms up to 50 ms), so a quick gate costs no
/// more than a millisecond of waiting.
fn wait(mut child: Child, timeout: Option<Duration>) -> std::io::Result<Waited> {
    let Some(timeout) = timeout else {
        return child.wait().map(Waited::Exited);
    };
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Waited::Exited(status));
        }
        if start.elapsed() >= timeout {
            break;
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    let group = i32::try_from(child.id()).ok().map(Pid::from_raw);
    if let Some(group) = group {
        let _ = killpg(group, Signal::SIGTERM);
    }
    let grace = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            // The leader is gone; whatever it left in its group goes too.
            if let Some(group) = group {
                let _ = killpg(group, Signal::SIGKILL);
            }
            return Ok(Waited::TimedOut(status));
        }
        if grace.elapsed() >= KILL_GRACE {
            if let Some(group) = group {
                let _ = killpg(group, Signal::SIGKILL);
            }
            let _ = child.kill();
            return child.wait().map(Waited::TimedOut);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last lines a gate wrote, from `from` on.
fn tail(path: &Path, from: u64) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let end = file.seek(SeekFrom::End(0)).unwrap_or(from);
    let start = end.saturating_sub(TAIL_BYTES).max(from);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("# failed in ") && !l.starts_with("# passed in "))
        .collect();
    let skip = lines.len().saturating_sub(TAIL_LINES);
    lines[skip..]
        .iter()
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A log file name part from a task id or branch name: `/` becomes `-`.
fn sanitize(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Takes the first free pool slot, creating its worktree if needed.
fn take_slot(
    repo: &Repository,
    run: &GateRun<'_>,
    candidate: Oid,
) -> Result<(PathBuf, FileLock), IntegrateError> {
    let pool = run.state_dir.join("gates");
    fs::create_dir_all(&pool).map_err(IntegrateError::io("create", &pool))?;
    for n in 0..MAX_SLOTS {
        let path = pool.join(format!("slot-{n}"));
        let held = match lock::acquire(&path, Duration::ZERO, run.command) {
            Ok(acquired) => acquired.lock,
            Err(LockError::Timeout { .. }) => continue,
            Err(e) => return Err(IntegrateError::Lock(e)),
        };
        ensure_worktree(repo, &path, &format!("orch-gate-{n}"), candidate)?;
        return Ok((path, held));
    }
    Err(IntegrateError::GatesBusy {
        pool,
        slots: MAX_SLOTS,
    })
}

/// Makes sure the slot at `path` is a registered worktree of `repo` named `name`.
fn ensure_worktree(
    repo: &Repository,
    path: &Path,
    name: &str,
    candidate: Oid,
) -> Result<(), IntegrateError> {
    if let Ok(existing) = repo.find_worktree(name) {
        if existing.validate().is_ok() && same_path(existing.path(), path) {
            return Ok(());
        }
        // Registered but broken or elsewhere: forget it (the slot is ours alone).
        let mut prune = git2::WorktreePruneOptions::new();
        prune.valid(true).locked(true).working_tree(false);
        existing
            .prune(Some(&mut prune))
            .map_err(IntegrateError::git(format!(
                "prune the stale gate worktree {name}"
            )))?;
    }
    if path.exists() {
        fs::remove_dir_all(path)
            .map_err(IntegrateError::io("remove the stale gate worktree", path))?;
    }
    // libgit2 checks a new worktree out on a branch; a short-lived one is made for it and
    // deleted once the worktree's HEAD is detached.
    let commit = repo.find_commit(candidate).map_err(IntegrateError::git(
        "find the candidate for a new gate worktree",
    ))?;
    let branch_name = format!("{name}-{}", std::process::id());
    let branch = repo
        .branch(&branch_name, &commit, true)
        .map_err(IntegrateError::git(
            "create a branch for a new gate worktree",
        ))?;
    // libgit2 fails with "directory exists" when another integration creates git's
    // `worktrees` directory between its check and its mkdir; make sure it is there first.
    let admin = repo.commondir().join("worktrees");
    fs::create_dir_all(&admin).map_err(IntegrateError::io("create", &admin))?;
    let mut options = WorktreeAddOptions::new();
    options.reference(Some(branch.get()));
    let added = repo.worktree(name, path, Some(&options));
    let detached = added.and_then(|worktree| {
        let gate = Repository::open_from_worktree(&worktree)?;
        gate.set_head_detached(candidate)
    });
    let mut branch = branch;
    let deleted = branch.delete();
    detached.map_err(IntegrateError::git(format!(
        "create the gate worktree {}",
        path.display()
    )))?;
    deleted.map_err(IntegrateError::git(format!(
        "delete the temporary branch {branch_name}"
    )))
}

fn same_path(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    canon(a) == canon(b)
}

/// Checks `candidate` out in the slot with a detached HEAD, discarding anything left there
/// except ignored files.
fn checkout(slot: &Path, candidate: Oid) -> Result<(), IntegrateError> {
    let git =
        |what: &str| IntegrateError::git(format!("{what} in the gate worktree {}", slot.display()));
    let gate = Repository::open(slot).map_err(git("open the repository"))?;
    let commit = gate
        .find_commit(candidate)
        .map_err(git("find the candidate"))?;
    let mut options = CheckoutBuilder::new();
    options.force().remove_untracked(true);
    gate.checkout_tree(commit.as_object(), Some(&mut options))
        .map_err(git("check the candidate out"))?;
    gate.set_head_detached(candidate)
        .map_err(git("detach HEAD"))
}
