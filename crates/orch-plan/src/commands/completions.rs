//! `orch-plan completions SHELL`: the shell completion script, on standard output.

use orch_plan::cli::CliError;
use orch_plan::cli::Context;
use orch_plan::out;

/// Arguments of `orch-plan completions`.
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
