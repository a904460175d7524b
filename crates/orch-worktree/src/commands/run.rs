//! `orch-worktree run`: drive agent processes through the plan's dependency graph.

use orch_plan::outln;
use std::process::ExitCode;

use orch_plan::cli::{CliError, Context};
use orch_worktree::run::{AgentCommand, RunEvent, RunOptions, Summary, run};

/// Arguments of `orch-worktree run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every selected task ended Completed, 1 otherwise (or on an error before any agent started), 130 when interrupted by SIGINT or SIGTERM: the agents are stopped and their tasks go back to Not Started."
)]
pub struct RunArgs {
    /// The tasks to run (default: every task that is not Completed).
    #[arg(value_name = "TASK", conflicts_with = "all")]
    tasks: Vec<String>,
    /// Run every task that is not Completed (the default without TASK).
    #[arg(long)]
    all: bool,
    /// How many agents may run at once (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_parallel: Option<u32>,
    /// The [agents.NAME] profile of orch.toml to run for every task (default: the profile
    /// named like each task's agent, ignoring case).
    #[arg(long, value_name = "PROFILE", conflicts_with = "command")]
    agent: Option<String>,
    /// Kill an attempt's whole process group after this long (e.g. 30s, 10m); the attempt
    /// failed (retried with --retries, else the task is marked Failed).
    #[arg(long, value_name = "DUR", value_parser = orch_core::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// How many times a failing or timed-out agent is run again before its task is marked
    /// Failed.
    #[arg(long, value_name = "N", default_value_t = 0)]
    retries: u32,
    /// The agent command, run as argv (no shell) in the task's worktree; `{prompt}`,
    /// `{prompt_file}`, `{task}`, `{worktree}` and `{branch}` are filled in per argument.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Runs the selected tasks' agents and prints their events and a summary. Returns the exit
/// code: 0 when every selected task ended Completed, 1 otherwise, 130 when interrupted.
pub fn cmd_run(ctx: &Context, args: &RunArgs) -> Result<ExitCode, CliError> {
    let tasks = if args.all || args.tasks.is_empty() {
        None
    } else {
        Some(super::task_args(&args.tasks)?)
    };
    let command = if !args.command.is_empty() {
        AgentCommand::Explicit(args.command.clone())
    } else if let Some(profile) = &args.agent {
        AgentCommand::Profile(profile.clone())
    } else {
        AgentCommand::ByRole
    };
    let max_parallel = args.max_parallel.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    let (workspace, session, repo) = super::open(ctx)?;
    let options = RunOptions {
        tasks,
        max_parallel,
        command,
        timeout: args.timeout,
        retries: args.retries,
    };
    // The live line's total: the named tasks, or every task not Completed yet.
    let total = match &options.tasks {
        Some(tasks) => tasks.len(),
        None => orch_status::read_plan_file(&workspace.plan)
            .map(|doc| {
                doc.tasks
                    .iter()
                    .filter(|t| t.status != orch_core::Status::Completed)
                    .count()
            })
            .unwrap_or(0),
    };
    let mut view = View::new(ctx.json, total);
    let summary = run(&session, &repo, &workspace, &options, &mut |event| {
        view.show(event)
    })
    .map_err(|e| super::cli_error(e, None));
    view.finish();
    Ok(exit_code(&summary?))
}

/// The tasks running now and when each started, shared with the live line's redraws.
type Running = std::sync::Arc<std::sync::Mutex<Vec<(String, std::time::Instant)>>>;

/// How events reach the user: JSON Lines, plain lines, or plain lines under a live status line
/// when stdout is a terminal (overall elapsed time, tasks done out of the total, and each
/// running task with its own elapsed time, redrawn as the clock moves).
struct View {
    json: bool,
    bar: Option<indicatif::ProgressBar>,
    running: Running,
}

impl View {
    fn new(json: bool, total: usize) -> View {
        use std::io::IsTerminal as _;
        let running: Running = std::sync::Arc::default();
        let bar = (!json && std::io::stdout().is_terminal()).then(|| {
            let shared = std::sync::Arc::clone(&running);
            let list = move |_: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                let running = shared.lock().map(|r| r.clone()).unwrap_or_default();
                let text = if running.is_empty() {
                    "-".to_owned()
                } else {
                    let now = std::time::Instant::now();
                    running
                        .iter()
                        .map(|(task, since)| {
                            format!("{task} {}s", now.duration_since(*since).as_secs())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = out.write_str(&text);
            };
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {pos}/{len} done; running: {running}",
            ) {
                bar.set_style(style.with_key("running", list));
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(250));
            bar
        });
        View { json, bar, running }
    }

    fn show(&mut self, event: &RunEvent) {
        if self.json {
            let mut value = serde_json::to_value(event).unwrap_or(serde_json::Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.insert(
                    "time".to_owned(),
                    serde_json::Value::String(orch_status::lock::now().rfc3339()),
                );
            }
            outln!("{value}");
            return;
        }
        let line = human(event);
        let settled = self.track(event);
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                if settled {
                    bar.inc(1);
                }
            }
            None => outln!("{line}"),
        }
    }

    /// Keeps the live line's state: which tasks run since when; true when a task settled.
    fn track(&mut self, event: &RunEvent) -> bool {
        let Ok(mut running) = self.running.lock() else {
            return false;
        };
        match event {
            RunEvent::Start { task, .. } => {
                if !running.iter().any(|(t, _)| t == task) {
                    running.push((task.clone(), std::time::Instant::now()));
                }
                false
            }
            RunEvent::Status { task, .. } | RunEvent::Skip { task, .. } => {
                running.retain(|(t, _)| t != task);
                true
            }
            _ => false,
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn exit_code(summary: &Summary) -> ExitCode {
    if summary.interrupted {
        ExitCode::from(130)
    } else if summary.all_completed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// One event as a line for people.
fn human(event: &RunEvent) -> String {
    match event {
        RunEvent::Start {
            task,
            agent_id,
            attempt,
            log,
            ..
        } => format!(
            "start    {task} as {agent_id} (attempt {attempt}), log {}",
            log.display()
        ),
        RunEvent::Exit {
            task,
            attempt,
            code,
            seconds,
        } => {
            let code = code.map_or_else(|| "no exit code".to_owned(), |c| format!("code {c}"));
            format!("exit     {task} attempt {attempt}: {code} after {seconds:.1}s")
        }
        RunEvent::Retry { task, attempt } => format!("retry    {task} (attempt {attempt})"),
        RunEvent::Timeout { task, attempt } => {
            format!("timeout  {task} attempt {attempt}: process group killed")
        }
        RunEvent::Status {
            task,
            status,
            by,
            note,
        } => {
            let note = note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            format!("status   {task} {status} (by the {by}){note}")
        }
        RunEvent::Skip { task, reason } => format!("skip     {task}: {reason}"),
        RunEvent::Summary(s) => format!(
            "\n{}{} completed, {} failed, {} skipped in {:.1}s; parallel efficiency {:.0}% of {} slot(s){}{}",
            if s.interrupted { "interrupted: " } else { "" },
            s.completed.len(),
            s.failed.len(),
            s.skipped.len(),
            s.wall_seconds,
            s.parallel_efficiency * 100.0,
            s.max_parallel,
            list("\nfailed: ", &s.failed),
            list("\nskipped: ", &s.skipped),
        ),
    }
}

fn list(label: &str, ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!("{label}{}", ids.join(", "))
    }
}
