//! The `orch-worktree` command: one git worktree and branch per task.

mod commands;

use std::process::ExitCode;

fn main() -> ExitCode {
    commands::run()
}
