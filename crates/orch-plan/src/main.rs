//! The `orch-plan` command: create, check and show the plan.

mod commands;

use std::process::ExitCode;

fn main() -> ExitCode {
    commands::run()
}
