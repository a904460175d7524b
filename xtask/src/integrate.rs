//! `cargo xtask integrate TASK|BRANCH [...]`: the orch integration, run from this workspace.
//!
//! It builds and runs `orch-worktree integrate` with the same arguments, so both front ends are
//! one command over the one library (orch-integrate), with the same output and exit codes.

use std::process::Command;

use anyhow::Context as _;

/// Options of `cargo xtask integrate`: everything `orch-worktree integrate` takes.
#[derive(Debug, clap::Args)]
pub struct IntegrateArgs {
    /// TASK|BRANCH and the options of `orch-worktree integrate` (--dry-run, --no-gates,
    /// --archive T2,T4, --mainline N, --json, --plan FILE, --lock-timeout DUR).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "ARGS"
    )]
    args: Vec<String>,
}

/// Runs `orch-worktree integrate` and exits with its exit code (0, 1, 3 or 4).
pub fn run(args: &IntegrateArgs) -> anyhow::Result<()> {
    let bins = crate::build_bins(false)?;
    let program = bins.join("orch-worktree");
    let status = Command::new(&program)
        .arg("integrate")
        .args(&args.args)
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => std::process::exit(code),
        None => anyhow::bail!("{} was killed by a signal", program.display()),
    }
}
