//! The subcommands, one file each (`FooArgs` + `cmd_foo`), and the dispatch.

mod block;
mod check;
mod claim;
mod fmt;
mod graph;
mod init;
mod log;
mod msg;
mod ready;
mod show;
mod status;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Create, check and show the multi-agent plan (MULTI_AGENT_PLAN.md).
#[derive(Debug, Parser)]
#[command(
    name = "orch-plan",
    version,
    about = "Plan and coordinate coding agents working in parallel: MULTI_AGENT_PLAN.md and INTER_AGENT_MESSAGES.md",
    max_term_width = 100
)]
struct Cli {
    /// The plan to use instead of MULTI_AGENT_PLAN.md in the main worktree.
    #[arg(long, global = true, env = "ORCH_PLAN", value_name = "FILE")]
    plan: Option<PathBuf>,

    /// Print machine-readable JSON (errors too, on stderr).
    #[arg(long, global = true)]
    json: bool,

    /// How long a writing command waits for the plan's lock before giving up with exit 3.
    #[arg(long, global = true, value_name = "DUR", default_value = "10s", value_parser = orch_core::parse_duration)]
    lock_timeout: std::time::Duration,

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
    /// Set a task's status (atomic; --expect makes it a compare-and-swap).
    Status(status::StatusArgs),
    /// Claim a Not Started task whose dependencies are Completed: exactly one agent wins.
    Claim(claim::ClaimArgs),
    /// Set a task to Blocked and record the blocker in "Notes and Blockers".
    Block(block::BlockArgs),
    /// Show the journal: every change orch made.
    Log(log::LogArgs),
    /// Send, list, acknowledge and resolve messages in INTER_AGENT_MESSAGES.md.
    Msg(msg::MsgArgs),
    /// Normalise status spellings and align the plan's tables.
    Fmt(fmt::FmtArgs),
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
        Err(error) if json_requested => return report(&CliError::from(error), true),
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(ErrorKind::Usage.exit_code());
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            let error = CliError::new(
                ErrorKind::Io,
                format!("cannot read the current directory: {error}"),
            );
            return report(&error, cli.json);
        }
    };
    let ctx = Context {
        cwd,
        plan_override: cli.plan,
        json: cli.json,
        lock_timeout: cli.lock_timeout,
        command_line: command_line(&args),
        default_actor: std::env::var("ORCH_AGENT_ID")
            .or_else(|_| std::env::var("USER"))
            .ok(),
    };
    let outcome = match &cli.command {
        Command::Init(args) => init::cmd_init(&ctx, args),
        Command::Check(args) => check::cmd_check(&ctx, args),
        Command::Show(args) => show::cmd_show(&ctx, args),
        Command::Ready(args) => ready::cmd_ready(&ctx, args),
        Command::Graph(args) => graph::cmd_graph(&ctx, args),
        Command::Status(args) => status::cmd_status(&ctx, args),
        Command::Claim(args) => claim::cmd_claim(&ctx, args),
        Command::Block(args) => block::cmd_block(&ctx, args),
        Command::Log(args) => log::cmd_log(&ctx, args),
        Command::Msg(args) => msg::cmd_msg(&ctx, args),
        Command::Fmt(args) => fmt::cmd_fmt(&ctx, args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error, ctx.json),
    }
}

/// The command line, for lock files and the journal.
fn command_line(args: &[OsString]) -> String {
    let words: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let word = a.to_string_lossy();
            let word = if i == 0 {
                word.rsplit('/').next().unwrap_or(&word).to_owned()
            } else {
                word.into_owned()
            };
            if word.is_empty() || word.contains([' ', '"', '\'']) {
                format!("{word:?}")
            } else {
                word
            }
        })
        .collect();
    let line = words.join(" ");
    // Keep lock files and journal lines short even for long --body arguments.
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Prints a JSON value on stdout, followed by a newline.
fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    println!("{}", orch_plan::cli::to_json(value)?);
    Ok(())
}

/// Prints an error on stderr and returns its exit code.
fn report(error: &CliError, json: bool) -> ExitCode {
    let (text, code) = error.render(json);
    eprintln!("{text}");
    code
}
