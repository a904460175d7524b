//! `cargo xtask fuzz`: runs the fuzz targets of `fuzz/` (libFuzzer through cargo-fuzz) for a
//! while each, starting from a corpus of the project's own plans and message logs.
//!
//! cargo-fuzz is installed (at a pinned version) when it is missing. Its sanitizer flags need
//! a nightly compiler; the stable one accepts them with `RUSTC_BOOTSTRAP=1`, which is set only
//! for this build. Builds go to `target/fuzz`, the working corpus to `target/fuzz/corpus`, and
//! a finding to `fuzz/artifacts/<target>/` (ignored by git), which `cargo fuzz run TARGET FILE`
//! replays.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The targets, with the files their corpus starts from (relative to the workspace root).
const TARGETS: &[(&str, &[&str])] = &[
    (
        "plan",
        &[
            "templates/MULTI_AGENT_PLAN.md",
            "MULTI_AGENT_PLAN.md",
            "../shared/seeds/multi-agent-plan-template.md",
        ],
    ),
    (
        "messages",
        &[
            "templates/INTER_AGENT_MESSAGES.md",
            "INTER_AGENT_MESSAGES.md",
        ],
    ),
];

/// The cargo-fuzz version installed when none is found.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Arguments of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub struct FuzzArgs {
    /// How long each target runs, in seconds.
    #[arg(long, default_value_t = 60, conflicts_with = "runs")]
    seconds: u64,
    /// How many inputs each target runs instead (with --seed, the same inputs every time).
    #[arg(long)]
    runs: Option<u64>,
    /// The random seed (libFuzzer's -seed) [default: a new one each run].
    #[arg(long)]
    seed: Option<u64>,
    /// The targets to run [default: all of them].
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
}

pub fn run(args: &FuzzArgs) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    ensure_cargo_fuzz(&cargo)?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("fuzz");
    let chosen: Vec<&(&str, &[&str])> = if args.targets.is_empty() {
        TARGETS.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for name in &args.targets {
            let Some(target) = TARGETS.iter().find(|(t, _)| t == name) else {
                let known: Vec<&str> = TARGETS.iter().map(|(t, _)| *t).collect();
                bail!(
                    "no fuzz target {name:?}; the targets are {}",
                    known.join(", ")
                );
            };
            chosen.push(target);
        }
        chosen
    };
    for (name, seeds) in chosen {
        let corpus = target_dir.join("corpus").join(name);
        seed(&root, &corpus, seeds)?;
        let limit = match args.runs {
            Some(runs) => format!("-runs={runs}"),
            None => format!("-max_total_time={}", args.seconds),
        };
        eprintln!("fuzzing {name} ({limit}; corpus {})", corpus.display());
        let mut command = Command::new(&cargo);
        command
            .args(["fuzz", "run", "--target-dir"])
            .arg(&target_dir)
            .arg(name)
            .arg(&corpus)
            .arg("--")
            .arg(limit);
        if let Some(seed) = args.seed {
            command.arg(format!("-seed={seed}"));
        }
        let status = command
            .arg(format!(
                "-dict={}",
                root.join("fuzz/markdown.dict").display()
            ))
            .arg("-rss_limit_mb=4096")
            .arg("-print_final_stats=1")
            .current_dir(root.join("fuzz"))
            .env("RUSTC_BOOTSTRAP", "1")
            .status()
            .context("cannot run cargo fuzz")?;
        if !status.success() {
            bail!(
                "fuzz target {name} found a problem ({status}); the input is in fuzz/artifacts/{name}/, and `cargo fuzz run {name} FILE` (in fuzz/, with RUSTC_BOOTSTRAP=1) replays it"
            );
        }
    }
    Ok(())
}

/// Installs cargo-fuzz unless `cargo fuzz` already runs.
fn ensure_cargo_fuzz(cargo: &str) -> anyhow::Result<()> {
    let found = Command::new(cargo)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Ok(());
    }
    eprintln!("installing cargo-fuzz {CARGO_FUZZ_VERSION}");
    let status = Command::new(cargo)
        .args([
            "install",
            "--locked",
            "cargo-fuzz",
            "--version",
            CARGO_FUZZ_VERSION,
        ])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz failed with {status}");
    }
    Ok(())
}

/// Copies the seed files that exist into `corpus` (kept between runs, so it grows).
fn seed(root: &Path, corpus: &Path, seeds: &[&str]) -> anyhow::Result<()> {
    std::fs::create_dir_all(corpus)
        .with_context(|| format!("cannot create {}", corpus.display()))?;
    for (i, seed) in seeds.iter().enumerate() {
        let from = root.join(seed);
        if from.is_file() {
            let to = corpus.join(format!("seed-{i}.md"));
            std::fs::copy(&from, &to)
                .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}
