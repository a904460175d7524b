//! The integration benchmark: a 20-commit branch cherry-picked onto `main` in a generated
//! 20,000-file repository (2,000 with `--quick`), three ways, each a whole process, on the same
//! input in the same run:
//!
//! - orch: `orch-worktree integrate T1 --no-gates` (release build): plan, in-memory pick, pack write,
//!   compare-and-swap publish, plan record and journal;
//! - `git cherry-pick` in a worktree (what a person would run);
//! - `git replay --advance main` (git's own in-memory replay; it prints the ref update instead
//!   of making it, so it does slightly less).
//!
//! All three must produce the same tree; that is checked once, outside the timings.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Commits on the branch.
const COMMITS: usize = 20;
/// Files per directory in the generated tree.
const PER_DIR: usize = 100;
/// Lines per generated file.
const LINES: usize = 30;

/// Runs the benchmark, prints its table and returns it as a section of the report.
pub fn run(quick: bool) -> anyhow::Result<String> {
    let files = if quick { 2_000 } else { 20_000 };
    let repeats = if quick { 3 } else { 11 };
    let (orch_worktree, pick_publish) = build()?;
    let scratch = tempfile::Builder::new()
        .prefix("orch-bench-integrate-")
        .tempdir()?;
    let repo = scratch.path().join("repo");
    std::fs::create_dir(&repo)?;
    crate::git(&repo, &["init", "-q", "-b", "main"])?;
    generate(&repo, files)?;
    // Nothing is checked out in the main worktree (an unborn branch), as in a repository whose
    // main worktree sits on another branch; the cherry-pick gets a worktree of its own.
    crate::git(&repo, &["symbolic-ref", "HEAD", "refs/heads/idle"])?;
    let start = rev(&repo, "main")?;
    let plan = repo.join("MULTI_AGENT_PLAN.md");
    let plan_text = plan_text();
    let worktree = scratch.path().join("pick");
    let worktree_arg = worktree.to_str().context("temp path is not UTF-8")?;
    crate::git(
        &repo,
        &["worktree", "add", "-q", "--detach", worktree_arg, &start],
    )?;
    let repo_arg = repo.to_str().context("temp path is not UTF-8")?.to_owned();
    let plan_arg = plan.to_str().context("temp path is not UTF-8")?.to_owned();
    let state_arg = scratch.path().join("state");
    let state_arg = state_arg
        .to_str()
        .context("temp path is not UTF-8")?
        .to_owned();
    let range = format!("{start}..feature/T1");
    // Each run commits at a new time, so that every run writes new objects, as a real one does.
    let clock = std::cell::Cell::new(0u32);
    let run = |command: &mut Command| {
        clock.set(clock.get() + 1);
        let date = format!("@{} +0000", 1_769_904_000 + u64::from(clock.get()));
        crate::run_quiet((command).env("GIT_COMMITTER_DATE", date))
    };

    let reset = || -> anyhow::Result<()> {
        crate::git(&repo, &["update-ref", "refs/heads/main", &start])?;
        std::fs::write(&plan, &plan_text)?;
        Ok(())
    };
    let orch = || {
        run(Command::new(&orch_worktree)
            .args(["integrate", "T1", "--no-gates", "--plan", &plan_arg])
            .current_dir(&repo))
    };
    let orch_pick = || {
        run(Command::new(&pick_publish)
            .args([&repo_arg, "main", "feature/T1", &state_arg])
            .current_dir(&repo))
    };
    let reset_pick = || crate::git(&worktree, &["reset", "-q", "--hard", &start]);
    let pick = || {
        run(Command::new("git")
            .args(["cherry-pick", &range])
            .current_dir(&worktree))
    };
    let replay = || {
        run(Command::new("git")
            .args(["replay", "--advance", "main", &range])
            .current_dir(&repo))
    };

    // One run each, to warm the caches and to check that they all make the same tree.
    reset()?;
    orch()?;
    let orch_tree = rev(&repo, "main^{tree}")?;
    reset()?;
    orch_pick()?;
    let orch_pick_tree = rev(&repo, "main^{tree}")?;
    reset()?;
    reset_pick()?;
    pick()?;
    let pick_tree = rev(&worktree, "HEAD^{tree}")?;
    reset_pick()?;
    for (name, tree) in [
        ("the pick_publish example", &orch_pick_tree),
        ("git cherry-pick", &pick_tree),
    ] {
        if *tree != orch_tree {
            bail!("orch integrate made tree {orch_tree} but {name} made {tree}");
        }
    }
    let replay_tree = replay_tree(&repo, &range)?;
    if let Some(tree) = &replay_tree
        && *tree != orch_tree
    {
        bail!("orch integrate made tree {orch_tree} but git replay made {tree}");
    }

    let times = Times {
        orch: timed(repeats, &reset, &orch)?,
        orch_pick: timed(repeats, &reset, &orch_pick)?,
        pick: timed(repeats, &reset_pick, &pick)?,
        replay: match replay_tree {
            Some(_) => Some(timed(repeats, &|| Ok(()), &replay)?),
            None => None,
        },
    };
    let report = render(files, repeats, quick, &times);
    print!("{report}");
    Ok(report)
}

/// The medians.
struct Times {
    orch: Duration,
    orch_pick: Duration,
    pick: Duration,
    replay: Option<Duration>,
}

fn render(files: usize, repeats: usize, quick: bool, t: &Times) -> String {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    let mut out = format!(
        "\n## Integration: a {COMMITS}-commit branch onto main, {files} files\n\n\
         Median of {repeats} runs of whole processes{}; every command makes the same tree, and \
         every run writes new commits.\n\n\
         | Command | Median | Compared with | Ratio | Target |\n|---|---:|---|---:|---|\n",
        if quick { " (quick mode)" } else { "" }
    );
    let _ = writeln!(
        out,
        "| orch: `orch-worktree integrate T1 --no-gates` (pick, publish, plan and journal written with fsync) | {} | | | |",
        ms(t.orch)
    );
    let _ = writeln!(
        out,
        "| orch library: pick and publish (`pick_publish` example) | {} | | | |",
        ms(t.orch_pick)
    );
    let _ = writeln!(
        out,
        "| `git cherry-pick` in a worktree | {} | orch integrate | orch is {:.1}x faster | at least 10x faster |",
        ms(t.pick),
        ratio(t.pick, t.orch)
    );
    match t.replay {
        Some(replay) => {
            let _ = writeln!(
                out,
                "| `git replay --advance main` (prints the ref update, does not make it) | {} | orch pick and publish | orch takes {:.2}x its time | at most 2x |",
                ms(replay),
                ratio(t.orch_pick, replay)
            );
            let _ = writeln!(
                out,
                "| | | orch integrate | orch takes {:.2}x its time | |",
                ratio(t.orch, replay)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| `git replay --advance main` | not available in this git | | | |"
            );
        }
    }
    out
}

/// Runs `prepare` (untimed) then `f` (timed), `repeats` times, and returns the median.
fn timed(
    repeats: usize,
    prepare: &dyn Fn() -> anyhow::Result<()>,
    f: &dyn Fn() -> anyhow::Result<()>,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        prepare()?;
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// The tree `git replay` makes, or `None` when this git has no `replay`.
fn replay_tree(repo: &Path, range: &str) -> anyhow::Result<Option<String>> {
    let output = crate::hermetic(
        Command::new("git")
            .args(["replay", "--advance", "main", range])
            .current_dir(repo),
    )
    .output()
    .context("cannot run git replay")?;
    if !output.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let new = text
        .split_whitespace()
        .nth(2)
        .context("git replay printed no ref update")?;
    Ok(Some(rev(repo, &format!("{new}^{{tree}}"))?))
}

/// Builds, in release mode, the orch-worktree binary and the library's `pick_publish` example, and
/// returns their paths.
fn build() -> anyhow::Result<(PathBuf, PathBuf)> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let builds: [&[&str]; 2] = [
        &[
            "build",
            "--quiet",
            "--release",
            "--package",
            "orch-worktree",
            "--bin",
            "orch-worktree",
        ],
        &[
            "build",
            "--quiet",
            "--release",
            "--package",
            "orch-integrate",
            "--example",
            "pick_publish",
        ],
    ];
    for args in builds {
        let status = Command::new(&cargo)
            .args(args)
            .current_dir(&root)
            .status()
            .context("cannot run cargo")?;
        if !status.success() {
            bail!("cargo {} failed", args.join(" "));
        }
    }
    let release = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("release");
    let exe = std::env::consts::EXE_SUFFIX;
    Ok((
        release.join(format!("orch-worktree{exe}")),
        release.join("examples").join(format!("pick_publish{exe}")),
    ))
}

/// The plan of the benchmark: one Completed task, T1, on `feature/T1`.
fn plan_text() -> String {
    "# Plan\n\n| Task ID | Description | Branch | Status | Dependencies |\n|---|---|---|---|---|\n\
     | T1 | The branch under test | feature/T1 | Completed | - |\n\n## Execution Log\n\n\
     | Task ID | Agent ID | Started | Completed | Actual Duration | Status | Notes |\n\
     |---|---|---|---|---|---|---|\n| T1 | - | - | - | - | Completed | - |\n\n\
     ## Integration Summary\n\n### Selected Approach\n**Decision:** -\n"
        .to_owned()
}

/// Writes the repository with `git fast-import`: `files` files in directories of 100, the
/// branch `feature/T1` with 20 commits (edits, an addition every fifth commit, a deletion
/// every seventh), and 5 commits on `main` that edit other lines of some of the same files,
/// so that the pick does real three-way merges.
fn generate(repo: &Path, files: usize) -> anyhow::Result<()> {
    let path = |i: usize| format!("d{:03}/f{:02}.txt", i / PER_DIR, i % PER_DIR);
    let content = |i: usize, edits: &[(usize, String)]| {
        let mut text = String::with_capacity(LINES * 24);
        for line in 1..=LINES {
            match edits.iter().find(|(l, _)| *l == line) {
                Some((_, edit)) => text.push_str(edit),
                None => {
                    let _ = write!(text, "file {i} line {line}");
                }
            }
            text.push('\n');
        }
        text
    };
    let touched = |k: usize, m: usize| (k * 37 + m * 4001 + 11) % files;
    let mut stream = Vec::with_capacity(files * LINES * 24);
    let mut time = 1_767_225_600u64;
    let mut commit = |stream: &mut Vec<u8>, branch: &str, message: &str, from: Option<&str>| {
        time += 60;
        let _ = write!(
            stream,
            "commit refs/heads/{branch}\nauthor Bench <bench@orch.invalid> {time} +0000\ncommitter Bench <bench@orch.invalid> {time} +0000\ndata {}\n{message}\n",
            message.len() + 1
        );
        if let Some(from) = from {
            let _ = writeln!(stream, "from {from}");
        }
    };
    let file = |stream: &mut Vec<u8>, path: &str, text: &str| {
        let _ = write!(
            stream,
            "M 100644 inline {path}\ndata {}\n{text}\n",
            text.len()
        );
    };
    commit(&mut stream, "main", "base", None);
    for i in 0..files {
        file(&mut stream, &path(i), &content(i, &[]));
    }
    let _ = writeln!(
        stream,
        "reset refs/heads/feature/T1\nfrom refs/heads/main\n"
    );
    for k in 0..COMMITS {
        commit(&mut stream, "feature/T1", &format!("T1: change {k}"), None);
        for m in 0..3 {
            let i = touched(k, m);
            file(
                &mut stream,
                &path(i),
                &content(i, &[(20, format!("line 20 changed by commit {k}"))]),
            );
        }
        if k % 5 == 0 {
            file(
                &mut stream,
                &format!("new/n{k}/added.txt"),
                &content(files + k, &[]),
            );
        }
        if k % 7 == 6 {
            let _ = writeln!(stream, "D {}", path((k * 131 + 7) % files));
        }
    }
    for k in 0..5 {
        commit(&mut stream, "main", &format!("main: change {k}"), None);
        let i = touched(k, 0);
        file(
            &mut stream,
            &path(i),
            &content(i, &[(1, format!("line 1 changed on main {k}"))]),
        );
        let other = (k * 997 + 3) % files;
        file(
            &mut stream,
            &path(other),
            &content(other, &[(5, format!("main {k}"))]),
        );
    }
    let mut child = crate::hermetic(
        Command::new("git")
            .args(["fast-import", "--quiet"])
            .current_dir(repo)
            .stdin(Stdio::piped()),
    )
    .spawn()
    .context("cannot run git fast-import")?;
    child
        .stdin
        .take()
        .context("no stdin for git fast-import")?
        .write_all(&stream)?;
    if !child.wait()?.success() {
        bail!("git fast-import failed");
    }
    Ok(())
}

fn rev(dir: &Path, rev: &str) -> anyhow::Result<String> {
    let output = crate::hermetic(
        Command::new("git")
            .args(["rev-parse", rev])
            .current_dir(dir),
    )
    .output()
    .context("cannot run git rev-parse")?;
    if !output.status.success() {
        bail!("git rev-parse {rev} failed in {}", dir.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
