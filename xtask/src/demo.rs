//! `cargo xtask demo`: the orch flow on the embedded example, from nothing, in a temp repository.
//!
//! Today the flow covers the plan: `init` renders the plan from the embedded starter spec (the
//! seed's case: T1 architecture, T2–T4 three alternative implementations in parallel, T5
//! benchmarks, T6 security review, T7 report), then `check`, `show`, `ready` and `graph` read
//! it back. Later steps of the flow join as they are built.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// Options of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the demo repository instead of deleting it at the end.
    #[arg(long)]
    keep: bool,
}

pub fn run(args: &DemoArgs) -> anyhow::Result<()> {
    let bins = crate::build_bins(false)?;
    let scratch = tempfile::Builder::new().prefix("orch-demo-").tempdir()?;
    let repo = scratch.path().join("auth-service");
    std::fs::create_dir(&repo)?;
    std::fs::write(
        repo.join("README.md"),
        "# auth-service\n\nThe demo repository of orch.\n",
    )?;
    crate::git(&repo, &["init", "-q", "-b", "main"])?;
    crate::git(&repo, &["add", "README.md"])?;
    crate::git(&repo, &["commit", "-q", "-m", "Initial commit"])?;

    let orch_plan = bins.join("orch-plan");
    step(
        "Render the plan from the embedded example spec",
        &orch_plan,
        &repo,
        &["init"],
    )?;
    step("Check it", &orch_plan, &repo, &["check"])?;
    step(
        "Show the matrix, progress and the critical path",
        &orch_plan,
        &repo,
        &["show"],
    )?;
    step("What can start now", &orch_plan, &repo, &["ready"])?;
    step("The dependency graph", &orch_plan, &repo, &["graph"])?;
    crate::git(
        &repo,
        &[
            "add",
            "orch.toml",
            "MULTI_AGENT_PLAN.md",
            "INTER_AGENT_MESSAGES.md",
        ],
    )?;
    crate::git(&repo, &["commit", "-q", "-m", "Add the orchestration plan"])?;

    println!(
        "\nThe plan is {}",
        repo.join("MULTI_AGENT_PLAN.md").display()
    );
    if args.keep {
        let kept: PathBuf = scratch.keep();
        println!(
            "The demo repository is kept at {}",
            kept.join("auth-service").display()
        );
    } else {
        println!("(the demo repository is removed now; pass --keep to look around)");
    }
    Ok(())
}

fn step(title: &str, program: &Path, dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let name = program
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    println!("\n== {title}\n$ {name} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("ORCH_PLAN")
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !status.success() {
        bail!("{name} {} failed with {status}", args.join(" "));
    }
    Ok(())
}
