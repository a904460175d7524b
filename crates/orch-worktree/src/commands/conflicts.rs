//! `orch-worktree conflicts`: forecast, in memory, which active task branches would conflict
//! with the base or with each other, and on which paths.

use orch_integrate::Integrator;
use orch_plan::cli::{CliError, Context};
use orch_plan::out;

/// Arguments of `orch-worktree conflicts`.
#[derive(Debug, clap::Args)]
pub struct ConflictsArgs {}

/// Prints the forecast; it writes nothing.
pub fn cmd_conflicts(ctx: &Context, _args: &ConflictsArgs) -> Result<(), CliError> {
    let settings = super::integrate::settings(ctx)?;
    let forecast = Integrator::new(settings)
        .forecast()
        .map_err(super::integrate::cli_error)?;
    if ctx.json {
        super::print_json(&forecast)
    } else {
        out!("{}", orch_integrate::render::forecast(&forecast));
        Ok(())
    }
}
