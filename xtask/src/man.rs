//! `cargo xtask man` and `cargo xtask completions`: man pages and shell completion scripts for
//! the orch binaries, written to `target/man` and `target/completions`.
//!
//! Each binary generates its own from its clap definition (`orch-plan manpages DIR`,
//! `orch-plan completions SHELL`), so the definition stays in the binary and nothing here can
//! drift from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The binaries that generate man pages and completions.
const BINARIES: &[&str] = &["orch-plan", "orch-worktree"];

/// The shells `completions` knows.
const SHELLS: &[(&str, &str)] = &[
    ("bash", "{}.bash"),
    ("zsh", "_{}"),
    ("fish", "{}.fish"),
    ("powershell", "_{}.ps1"),
    ("elvish", "{}.elv"),
];

/// Arguments of `cargo xtask man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Where to write the pages [default: target/man].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Arguments of `cargo xtask completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// Where to write the scripts [default: target/completions].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// `target/<name>` of this workspace (or of `CARGO_TARGET_DIR`).
fn target_subdir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate::workspace_root().join("target"), PathBuf::from);
    target.join(name)
}

/// Writes the man pages of every binary.
pub fn run_man(args: &ManArgs) -> anyhow::Result<()> {
    let dir = args.out.clone().unwrap_or_else(|| target_subdir("man"));
    let bins = crate::build_bins(false)?;
    for name in BINARIES {
        let dir = dir.to_str().context("the output directory is not UTF-8")?;
        print!(
            "{}",
            String::from_utf8_lossy(&run(&bins.join(name), &["manpages", dir])?)
        );
    }
    Ok(())
}

/// Writes the completion scripts of every binary, for every shell.
pub fn run_completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| target_subdir("completions"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bins = crate::build_bins(false)?;
    for name in BINARIES {
        for (shell, file) in SHELLS {
            let script = run(&bins.join(name), &["completions", shell])?;
            let path = dir.join(file.replace("{}", name));
            std::fs::write(&path, script)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// Runs a binary and returns its standard output.
fn run(program: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output.stdout)
}
