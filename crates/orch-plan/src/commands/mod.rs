//! The subcommands, one file each (`FooArgs` + `cmd_foo`), and the dispatch.

// Every command prints through orch_plan's `out!` and `outln!`, which end quietly on a closed pipe.
use orch_plan::outln;

mod block;
mod check;
mod claim;
mod completions;
mod export;
mod fmt;
mod graph;
mod init;
mod log;
mod manpages;
mod msg;
mod prompt;
mod ready;
mod show;
mod stats;
mod status;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use orch_plan::cli::CliError;

/// Create, check and show the multi-agent plan (MULTI_AGENT_PLAN.md).
#[derive(Debug, Parser)]
#[command(
    name = "orch-plan",
    version,
    about = "Plan and coordinate coding agents working in parallel: MULTI_AGENT_PLAN.md and INTER_AGENT_MESSAGES.md",
    max_term_width = 100
)]
struct Cli {
    #[command(flatten)]
    global: orch_plan::cli::GlobalArgs,

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
    /// Print the agent's brief for a task: the task, its context, handoffs and commands.
    Prompt(prompt::PromptArgs),
    /// Show the journal: every change orch made.
    Log(log::LogArgs),
    /// Send, list, acknowledge and resolve messages in INTER_AGENT_MESSAGES.md.
    Msg(msg::MsgArgs),
    /// Normalise status spellings and align the plan's tables.
    Fmt(fmt::FmtArgs),
    /// Metrics from the journal: throughput, success rate, efficiency, retries, conflicts …
    Stats(stats::StatsArgs),
    /// A live dashboard of the plan, refreshed when the plan, messages or journal change.
    Watch(watch::WatchArgs),
    /// Render the plan as a standalone HTML page.
    Export(export::ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Write the man pages of orch-plan into a directory (for packagers and `cargo xtask man`).
    #[command(hide = true)]
    Manpages(manpages::ManpagesArgs),
}

/// The command-line definition, for shell completions and man pages.
fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Parses the command line, runs the subcommand and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    orch_plan::cli::main::<Cli>(
        |cli| &cli.global,
        |cli, ctx| {
            let outcome = match &cli.command {
                Command::Init(args) => init::cmd_init(ctx, args),
                Command::Check(args) => check::cmd_check(ctx, args),
                Command::Show(args) => show::cmd_show(ctx, args),
                Command::Ready(args) => ready::cmd_ready(ctx, args),
                Command::Graph(args) => graph::cmd_graph(ctx, args),
                Command::Status(args) => status::cmd_status(ctx, args),
                Command::Claim(args) => claim::cmd_claim(ctx, args),
                Command::Block(args) => block::cmd_block(ctx, args),
                Command::Prompt(args) => prompt::cmd_prompt(ctx, args),
                Command::Log(args) => log::cmd_log(ctx, args),
                Command::Msg(args) => msg::cmd_msg(ctx, args),
                Command::Fmt(args) => fmt::cmd_fmt(ctx, args),
                Command::Stats(args) => stats::cmd_stats(ctx, args),
                Command::Watch(args) => watch::cmd_watch(ctx, args),
                Command::Export(args) => export::cmd_export(ctx, args),
                Command::Completions(args) => completions::cmd_completions(ctx, args),
                Command::Manpages(args) => manpages::cmd_manpages(ctx, args),
            };
            outcome.map(|()| ExitCode::SUCCESS)
        },
    )
}

/// Prints a JSON value on stdout, followed by a newline.
fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    outln!("{}", orch_plan::cli::to_json(value)?);
    Ok(())
}
