//! Automation for the orch workspace, run as `cargo xtask <command>`.

mod bench;
mod bench_conductor;
mod bench_integrate;
mod bench_peer;
mod bench_report;
mod bench_worktree;
mod demo;
mod fixtures;
mod fuzz;
mod integrate;
mod man;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

/// Automation for the orch workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the orch flow on the embedded example in a temp repository.
    Demo(demo::DemoArgs),
    /// The scripted agent the demo's conductor runs in each worktree.
    #[command(hide = true)]
    DemoAgent(demo::DemoAgentArgs),
    /// Measure orch against the git CLI in the same run and print a table of medians and ratios.
    Bench(bench::BenchArgs),
    /// Run the fuzz targets of fuzz/ (installs cargo-fuzz if needed).
    Fuzz(fuzz::FuzzArgs),
    /// Cherry-pick a task's branch onto the base behind the gates (as `orch-worktree integrate`).
    Integrate(integrate::IntegrateArgs),
    /// Write man pages for the orch binaries into target/man.
    Man(man::ManArgs),
    /// Write shell completion scripts for the orch binaries into target/completions.
    Completions(man::CompletionsArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Task::Bench(args) => bench::run(&args),
        Task::Demo(args) => demo::run(&args),
        Task::DemoAgent(args) => demo::agent(&args),
        Task::Fuzz(args) => fuzz::run(&args),
        Task::Integrate(args) => integrate::run(&args),
        Task::Man(args) => man::run_man(&args),
        Task::Completions(args) => man::run_completions(&args),
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// Builds the workspace's binaries (release or debug) and returns the directory that holds them.
pub fn build_bins(release: bool) -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.args([
        "build",
        "--quiet",
        "--bins",
        "--package",
        "orch-plan",
        "--package",
        "orch-worktree",
    ]);
    if release {
        command.arg("--release");
    }
    let status = command
        .current_dir(&root)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join(if release { "release" } else { "debug" }))
}

/// Identity and config for every git and orch process xtask starts: no user or system git
/// config, a fixed identity.
pub const HERMETIC_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_AUTHOR_NAME", "orch demo"),
    ("GIT_AUTHOR_EMAIL", "demo@orch.invalid"),
    ("GIT_COMMITTER_NAME", "orch demo"),
    ("GIT_COMMITTER_EMAIL", "demo@orch.invalid"),
];

/// `command` in the hermetic environment, with no `ORCH_PLAN` from the caller's.
pub fn hermetic(command: &mut Command) -> &mut Command {
    command
        .envs(HERMETIC_ENV.iter().copied())
        .env_remove("ORCH_PLAN")
}

/// Runs `command` in the hermetic environment with its output discarded (the benchmarks time
/// it so); fails if it does not exit 0.
pub fn run_quiet(command: &mut Command) -> anyhow::Result<()> {
    let status = hermetic(command)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// A git command in `dir`, in the hermetic environment.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    hermetic(command.current_dir(dir));
    command
}

/// Runs git in `dir` in the hermetic environment, its output kept back; fails if it does not
/// exit 0, with what git printed on stderr.
pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = git_command(dir)
        .args(args)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git {} failed with {}: {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}
