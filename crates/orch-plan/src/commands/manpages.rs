//! `orch-plan manpages DIR` (hidden): writes the man pages of orch-plan and its subcommands,
//! for `cargo xtask man` and for packagers.

use orch_plan::outln;
use std::path::PathBuf;

use orch_plan::cli::{CliError, Context};

/// Arguments of `orch-plan manpages`.
#[derive(Debug, clap::Args)]
pub struct ManpagesArgs {
    /// The directory to write the pages to; it is created if needed.
    dir: PathBuf,
}

/// Writes `orch-plan.1` and one page per subcommand (`orch-plan-status.1`, …).
pub fn cmd_manpages(ctx: &Context, args: &ManpagesArgs) -> Result<(), CliError> {
    let dir = ctx.cwd.join(&args.dir);
    orch_plan::cli::manpages(super::command(), &dir)?;
    outln!("wrote the man pages of orch-plan to {}", dir.display());
    Ok(())
}
