//! The subcommands, one file each (`FooArgs` + `cmd_foo`), the dispatch, and the one place
//! that turns library errors into exit codes.

// Every command prints through orch_plan's `out!` and `outln!`, which end quietly on a closed pipe.
use orch_plan::outln;

mod completions;
mod conflicts;
mod integrate;
mod list;
mod prune;
mod queue;
mod remove;
mod run;
mod spawn;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use git2::Repository;
use orch_core::{Plan, TaskId};
use orch_plan::cli::{CliError, Context, ErrorKind};
use orch_status::{ColumnKind, Diagnostic, PlanDoc, Workspace};
use orch_worktree::error::Failed;
use orch_worktree::{Error, Problem, Session};

/// One git worktree and branch per task of the plan (MULTI_AGENT_PLAN.md).
#[derive(Debug, Parser)]
#[command(
    name = "orch-worktree",
    version,
    about = "One git worktree and branch per task, and integration back to main: spawn, list, remove, prune, integrate, queue, conflicts",
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
    /// Create the worktree and branch of tasks (by id, --ready or --group).
    Spawn(spawn::SpawnArgs),
    /// List the linked worktrees: task, status, branch, ahead/behind the base, dirty.
    List(list::ListArgs),
    /// Remove the worktrees of tasks (refuses dirty ones and unmerged branches without --force).
    Remove(remove::RemoveArgs),
    /// Remove the administrative data of worktrees whose directory is gone.
    Prune(prune::PruneArgs),
    /// Cherry-pick a task's branch onto the base branch, behind the validation gates.
    Integrate(integrate::IntegrateArgs),
    /// Integrate every Completed task not yet on the base, in dependency order.
    Queue(queue::QueueArgs),
    /// Forecast which active task branches would conflict, and on which paths.
    Conflicts(conflicts::ConflictsArgs),
    /// Run agent processes through the dependency graph, one per task, in its worktree.
    Run(run::RunArgs),
    /// Print the shell completion script.
    Completions(completions::CompletionsArgs),
    /// Write the man pages into a directory (for packagers and `cargo xtask man`).
    #[command(hide = true)]
    Manpages(completions::ManpagesArgs),
}

/// The clap definition of the command line, for completions and man pages.
fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Parses the command line, runs the subcommand and turns its outcome into an exit code.
pub fn run() -> ExitCode {
    orch_plan::cli::main::<Cli>(
        |cli| &cli.global,
        |cli, ctx| {
            let outcome = match &cli.command {
                Command::Spawn(args) => spawn::cmd_spawn(ctx, args),
                Command::List(args) => list::cmd_list(ctx, args),
                Command::Remove(args) => remove::cmd_remove(ctx, args),
                Command::Prune(args) => prune::cmd_prune(ctx, args),
                Command::Integrate(args) => integrate::cmd_integrate(ctx, args),
                Command::Queue(args) => queue::cmd_queue(ctx, args),
                Command::Conflicts(args) => conflicts::cmd_conflicts(ctx, args),
                // It returns its own exit code (1 if a task failed, 130 if interrupted).
                Command::Run(args) => return run::cmd_run(ctx, args),
                Command::Completions(args) => completions::cmd_completions(ctx, args),
                Command::Manpages(args) => completions::cmd_manpages(ctx, args),
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

/// Reads task id arguments; a bad one is bad input (exit 1), refused before any git call.
fn task_args(texts: &[String]) -> Result<Vec<TaskId>, CliError> {
    texts
        .iter()
        .map(|t| TaskId::parse(t.trim()).map_err(|e| CliError::invalid(e.to_string())))
        .collect()
}

/// The workspace, the session and the repository of the command.
fn open(ctx: &Context) -> Result<(Workspace, Session, Repository), CliError> {
    let workspace = ctx.workspace()?;
    let (session, repo) = Session::open(
        &workspace,
        ctx.actor(None),
        ctx.command_line.clone(),
        ctx.lock_timeout,
    )
    .map_err(|e| cli_error(e, None))?;
    Ok((workspace, session, repo))
}

/// The canonical plan, validated as a whole; its document locates problems at their rows.
fn load_plan(workspace: &Workspace) -> Result<(Plan, PlanDoc), CliError> {
    let doc = orch_plan::cli::read_plan_at(&workspace.plan)?;
    let plan = doc
        .plan()
        .map_err(|problems| CliError::from_diagnostics(ErrorKind::Validation, problems.0))?;
    Ok((plan, doc))
}

/// The plan if there is one (commands that only report work without it).
fn load_plan_if_any(workspace: &Workspace) -> Result<Option<(Plan, PlanDoc)>, CliError> {
    if workspace.plan.exists() {
        load_plan(workspace).map(Some)
    } else {
        Ok(None)
    }
}

/// Turns a library error into a command error, placing problems at their task's row of the
/// plan when `doc` is given.
fn cli_error(error: Error, doc: Option<&PlanDoc>) -> CliError {
    match error {
        Error::Refused(problems) => refused(&problems, doc),
        Error::Spec(diagnostics) => CliError::from_diagnostics(ErrorKind::Invalid, diagnostics.0),
        Error::Git { .. } => CliError::new(ErrorKind::Git, error.to_string()),
        Error::Contention(_) | Error::Busy(_) => {
            CliError::new(ErrorKind::Conflict, error.to_string())
        }
        Error::Io { ref path, .. } => {
            let path = path.clone();
            CliError::new(ErrorKind::Io, error.to_string()).with_file(&path)
        }
        Error::NoRepository(_) => CliError::invalid(error.to_string()),
        Error::Leftovers { .. } | Error::Journal(_) | Error::Bug(_) => {
            CliError::new(ErrorKind::Io, error.to_string())
        }
    }
}

fn refused(problems: &[Problem], doc: Option<&PlanDoc>) -> CliError {
    let located: Vec<Diagnostic> = problems
        .iter()
        .map(|problem| {
            let (line, column) = doc
                .and_then(|doc| place(doc, problem))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            Diagnostic {
                file: doc.map_or_else(std::path::PathBuf::new, |d| d.path.clone()),
                line,
                column,
                message: problem.to_string(),
            }
        })
        .collect();
    match located.as_slice() {
        [one] if one.line.is_none() => CliError::invalid(one.message.clone()),
        _ if doc.is_none() => {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            CliError::invalid(format!(
                "{} problems, nothing was changed:\n{}",
                problems.len(),
                lines.join("\n")
            ))
        }
        _ => CliError::from_diagnostics(ErrorKind::Invalid, located),
    }
}

/// Where in the plan a problem is best fixed: the cell of the task's row it concerns.
fn place(doc: &PlanDoc, problem: &Problem) -> Option<(usize, usize)> {
    let row = doc.row(problem.task()?)?;
    let kind = match problem {
        Problem::BadPath { .. } | Problem::PathEscapes { .. } | Problem::PathTaken { .. } => {
            ColumnKind::Worktree
        }
        Problem::BadBranch { .. } | Problem::CheckedOutElsewhere { .. } => ColumnKind::Branch,
        Problem::UnfinishedDependencies { .. }
        | Problem::MissingDependencyBranch { .. }
        | Problem::MergeConflict { .. } => ColumnKind::Dependencies,
        _ => ColumnKind::TaskId,
    };
    let offset = doc
        .matrix
        .cell(row, kind)
        .map_or(row.span.start, |c| c.content.start);
    Some(doc.lines.position(&doc.text, offset))
}

/// The error for tasks that failed after the checks passed: exit 3 when every failure was
/// contention (retry), else 1.
fn failures(failed: &[Failed], what: &str) -> CliError {
    let kind = if failed.iter().all(|f| f.error.is_contention()) {
        ErrorKind::Conflict
    } else {
        ErrorKind::Git
    };
    let lines: Vec<String> = failed
        .iter()
        .map(|f| format!("cannot {what} {}: {}", f.task, f.error))
        .collect();
    match lines.as_slice() {
        [one] => CliError::new(kind, one.clone()),
        _ => CliError::new(
            kind,
            format!("{} tasks failed:\n  {}", lines.len(), lines.join("\n  ")),
        ),
    }
}
