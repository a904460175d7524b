//! The subcommands, one file each (`FooArgs` + `cmd_foo`), and the dispatch.

mod check;
mod graph;
mod init;
mod ready;
mod show;
mod table;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cli_error::{CliError, ErrorKind};
use crate::context::Context;

/// Create, check and show the multi-agent plan (MULTI_AGENT_PLAN.md).
#[derive(Debug, Parser)]
#[command(name = "orch-plan", version, about, max_term_width = 100)]
struct Cli {
    /// The plan to use instead of MULTI_AGENT_PLAN.md in the main worktree.
    #[arg(long, global = true, env = "ORCH_PLAN", value_name = "FILE")]
    plan: Option<PathBuf>,

    /// Print machine-readable JSON (errors too, on stderr).
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render MULTI_AGENT_PLAN.md and INTER_AGENT_MESSAGES.md from orch.toml and the templates.
    Init(init::InitArgs),
    /// Validate the plan: ids, dependencies, cycles, statuses, names.
    Check(check::CheckArgs),
    /// Show the matrix, progress, ready and blocked tasks and the critical path.
    Show(show::ShowArgs),
    /// List the Not Started tasks whose dependencies are all Completed.
    Ready(ready::ReadyArgs),
    /// Draw the dependency graph as ASCII, Mermaid or Graphviz dot.
    Graph(graph::GraphArgs),
}

/// Parses the command line, runs the subcommand and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let json_requested = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) if error.exit_code() == 0 => {
            // --help and --version are not errors.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) if json_requested => return CliError::from(error).report(true),
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(ErrorKind::Usage.exit_code());
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            return CliError::new(
                ErrorKind::Io,
                format!("cannot read the current directory: {error}"),
            )
            .report(cli.json);
        }
    };
    let ctx = Context {
        cwd,
        plan_override: cli.plan,
        json: cli.json,
    };
    let outcome = match &cli.command {
        Command::Init(args) => init::cmd_init(&ctx, args),
        Command::Check(args) => check::cmd_check(&ctx, args),
        Command::Show(args) => show::cmd_show(&ctx, args),
        Command::Ready(args) => ready::cmd_ready(&ctx, args),
        Command::Graph(args) => graph::cmd_graph(&ctx, args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => error.report(ctx.json),
    }
}

/// Prints a JSON value on stdout, followed by a newline.
fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(ErrorKind::Io, format!("cannot encode JSON output: {e}")))?;
    println!("{text}");
    Ok(())
}
