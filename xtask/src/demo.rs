//! `cargo xtask demo`: the whole orch flow on the embedded example, from nothing, in a temp
//! repository.
//!
//! The example is the seed's case: T1 architecture, T2–T4 three alternative implementations
//! in parallel, T5 benchmarks, T6 security review, T7 report. `orch-plan init` renders the plan
//! from the embedded starter spec; `orch-worktree run` drives small scripted demo agents (this
//! very binary, `xtask demo-agent`) through the dependency graph, each committing real files in
//! its worktree and sending a handoff; `orch-worktree conflicts` forecasts clashes; the
//! winning implementation is integrated onto main and the other two archived; the rest goes in
//! too; and the final plan, messages and history are printed.

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

/// Options of the hidden `xtask demo-agent`, the scripted agent the demo's conductor runs.
#[derive(Debug, clap::Args)]
pub struct DemoAgentArgs {
    /// The task to work on (the conductor passes `{task}`).
    task: String,
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

    let plan = bins.join("orch-plan");
    let worktree = bins.join("orch-worktree");
    let agent =
        std::env::current_exe().context("cannot find the xtask binary for the demo agents")?;
    let agent = agent
        .to_str()
        .context("the xtask path is not UTF-8")?
        .to_owned();
    let bin_dir = bins
        .to_str()
        .context("the target path is not UTF-8")?
        .to_owned();

    step(
        "Render the plan from the embedded example spec",
        &plan,
        &repo,
        &["init"],
        &[],
    )?;
    step("Check it", &plan, &repo, &["check"], &[])?;
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
    step("The dependency graph", &plan, &repo, &["graph"], &[])?;
    step(
        "Run the agents through the graph: T1, then T2-T4 in parallel, then T5 and T6, then T7",
        &worktree,
        &repo,
        &[
            "run",
            "--all",
            "--max-parallel",
            "3",
            "--",
            &agent,
            "demo-agent",
            "{task}",
        ],
        &[("ORCH_DEMO_BIN_DIR", &bin_dir)],
    )?;
    step(
        "Every task's worktree and branch",
        &worktree,
        &repo,
        &["list"],
        &[],
    )?;
    step(
        "Forecast clashes between the task branches",
        &worktree,
        &repo,
        &["conflicts"],
        &[],
    )?;
    step(
        "Integrate the architecture",
        &worktree,
        &repo,
        &["integrate", "T1"],
        &[],
    )?;
    step(
        "Integrate the winning implementation (OAuth), archive the other two",
        &worktree,
        &repo,
        &["integrate", "T2", "--archive", "T3,T4"],
        &[],
    )?;
    for task in ["T5", "T6", "T7"] {
        step(
            &format!("Integrate {task}"),
            &worktree,
            &repo,
            &["integrate", task],
            &[],
        )?;
    }
    step("The final plan", &plan, &repo, &["show"], &[])?;
    step(
        "The handoffs the agents sent",
        &plan,
        &repo,
        &["msg", "list"],
        &[],
    )?;
    step(
        "main's history",
        Path::new("git"),
        &repo,
        &["log", "--oneline", "--decorate=short", "main"],
        &[],
    )?;

    println!(
        "\nThe plan is {}",
        repo.join("MULTI_AGENT_PLAN.md").display()
    );
    if args.keep {
        let kept: PathBuf = scratch.keep();
        println!(
            "The demo repository is kept at {}: look at MULTI_AGENT_PLAN.md (Integration Summary, Execution Log), INTER_AGENT_MESSAGES.md, .git/orch/journal.jsonl and .git/orch/logs/",
            kept.join("auth-service").display()
        );
    } else {
        println!("(the demo repository is removed now; pass --keep to look around)");
    }
    Ok(())
}

fn step(
    title: &str,
    program: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<()> {
    let name = program
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    println!("\n== {title}\n$ {name} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(crate::HERMETIC_ENV.iter().copied())
        .envs(env.iter().copied())
        .env_remove("ORCH_PLAN")
        .status()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !status.success() {
        bail!("{name} {} failed with {status}", args.join(" "));
    }
    Ok(())
}

/// The scripted agent: writes its task's deliverable in the current directory (its worktree),
/// commits it, and sends a handoff to the orchestrator.
pub fn agent(args: &DemoAgentArgs) -> anyhow::Result<()> {
    let (file, text) = match args.task.as_str() {
        "T1" => (
            "docs/architecture.md",
            "# Auth architecture\n\nOne `Authenticator` trait: `login`, `verify`, `logout`.\n",
        ),
        "T2" => (
            "src/auth/oauth.rs",
            "//! OAuth 2.0: authorization code flow with PKCE.\npub fn login() -> &'static str { \"oauth\" }\n",
        ),
        "T3" => (
            "src/auth/jwt.rs",
            "//! JWT: RS256-signed access tokens.\npub fn login() -> &'static str { \"jwt\" }\n",
        ),
        "T4" => (
            "src/auth/session.rs",
            "//! Server-side sessions in a signed cookie.\npub fn login() -> &'static str { \"session\" }\n",
        ),
        "T5" => (
            "docs/benchmarks.md",
            "# Benchmarks\n\n| Approach | p95 |\n|---|---|\n| OAuth | 41 ms |\n| JWT | 12 ms |\n| Session | 18 ms |\n",
        ),
        "T6" => (
            "docs/security-audit.md",
            "# Security audit\n\nNo critical findings; JWT needs key rotation.\n",
        ),
        "T7" => (
            "docs/decision.md",
            "# Decision\n\nOAuth 2.0, for delegated access; JWT and sessions archived.\n",
        ),
        other => bail!("the demo has no task {other}"),
    };
    let path = Path::new(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // A short pause, so the parallel groups visibly overlap.
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(path, text)?;
    let here = std::env::current_dir()?;
    crate::git(&here, &["add", file])?;
    crate::git(
        &here,
        &["commit", "-q", "-m", &format!("{}: add {file}", args.task)],
    )?;
    let bin_dir = std::env::var("ORCH_DEMO_BIN_DIR")
        .context("ORCH_DEMO_BIN_DIR is not set; run the agent through `cargo xtask demo`")?;
    let from = std::env::var("ORCH_AGENT_ID").unwrap_or_else(|_| "demo-agent".to_owned());
    let body = format!("Deliverable: `{file}` on this task's branch.");
    let status = Command::new(Path::new(&bin_dir).join("orch-plan"))
        .args([
            "msg",
            "send",
            "--from",
            &from,
            "--to",
            "Orchestrator",
            "--type",
            "Handoff",
            "--task",
            &args.task,
            "--body",
            &body,
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .context("cannot run orch-plan")?;
    if !status.success() {
        bail!("orch-plan msg send failed with {status}");
    }
    Ok(())
}
