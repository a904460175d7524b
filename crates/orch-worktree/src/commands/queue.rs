//! `orch-worktree queue`: integrate every Completed task not yet on the base, in dependency
//! order, quarantining the ones that conflict or fail a gate.

use orch_integrate::{Integrator, QueueOptions};
use orch_plan::cli::{CliError, Context, ErrorKind};
use orch_plan::out;

/// Arguments of `orch-worktree queue`.
#[derive(Debug, clap::Args)]
pub struct QueueArgs {
    /// Show what would happen, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Skip the `[integrate] gates` of orch.toml.
    #[arg(long)]
    no_gates: bool,
    /// Kill a gate that runs longer than this and count it as failed (overrides
    /// `[integrate] gate_timeout`).
    #[arg(long, value_name = "DUR", value_parser = orch_core::parse_duration)]
    gate_timeout: Option<std::time::Duration>,
}

/// Runs the queue; exits 0 when every task went in, 4 if a gate failed, else 3.
pub fn cmd_queue(ctx: &Context, args: &QueueArgs) -> Result<(), CliError> {
    let mut settings = super::integrate::settings(ctx)?;
    if args.gate_timeout.is_some() {
        settings.gate_timeout = args.gate_timeout;
    }
    let options = QueueOptions {
        dry_run: args.dry_run,
        no_gates: args.no_gates,
    };
    let report = Integrator::new(settings)
        .queue(&options)
        .map_err(super::integrate::cli_error)?;
    if ctx.json {
        super::print_json(&report)?;
    } else {
        out!("{}", orch_integrate::render::queue(&report));
    }
    if report.all_integrated() {
        Ok(())
    } else if report.any_gate_failed() {
        Err(CliError::new(
            ErrorKind::Gate,
            "a gate failed; its task was quarantined (see the report above)",
        ))
    } else {
        Err(CliError::new(
            ErrorKind::Conflict,
            "not every task went in; the ones that conflicted were quarantined (see the report above)",
        ))
    }
}
