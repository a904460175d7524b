//! The `orch-plan` command: create, check and show the plan.

mod cli_error;
mod commands;
mod context;

use std::process::ExitCode;

fn main() -> ExitCode {
    commands::run()
}
