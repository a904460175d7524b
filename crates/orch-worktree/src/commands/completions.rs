//! `orch-worktree completions SHELL` and the hidden `orch-worktree manpages DIR`.

use orch_plan::{out, outln};
use std::path::PathBuf;

use orch_plan::cli::{CliError, Context};

/// Arguments of `orch-worktree completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for the shell.
pub fn cmd_completions(_ctx: &Context, args: &CompletionsArgs) -> Result<(), CliError> {
    out!(
        "{}",
        orch_plan::cli::completions(super::command(), args.shell)
    );
    Ok(())
}

/// Arguments of `orch-worktree manpages`.
#[derive(Debug, clap::Args)]
pub struct ManpagesArgs {
    /// The directory to write the pages to; it is created if needed.
    dir: PathBuf,
}

/// Writes `orch-worktree.1` and one page per subcommand.
pub fn cmd_manpages(ctx: &Context, args: &ManpagesArgs) -> Result<(), CliError> {
    let dir = ctx.cwd.join(&args.dir);
    orch_plan::cli::manpages(super::command(), &dir)?;
    outln!("wrote the man pages of orch-worktree to {}", dir.display());
    Ok(())
}
