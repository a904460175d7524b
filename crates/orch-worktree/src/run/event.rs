//! The events of a run, as `--json` prints them and the journal keeps them, and its summary.

use std::path::PathBuf;

use serde::Serialize;

use crate::Session;

/// One thing that happened during a run; `--json` prints each as one line.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// An attempt started.
    Start {
        /// The task.
        task: String,
        /// The agent id it runs under.
        agent_id: String,
        /// Which attempt, from 1.
        attempt: u32,
        /// The worktree it runs in.
        worktree: PathBuf,
        /// Its log.
        log: PathBuf,
    },
    /// An attempt's process exited.
    Exit {
        /// The task.
        task: String,
        /// Which attempt.
        attempt: u32,
        /// The exit code (`None`: killed by a signal or never started).
        code: Option<i32>,
        /// How long it ran.
        seconds: f64,
    },
    /// A failed attempt is run again.
    Retry {
        /// The task.
        task: String,
        /// The attempt about to start.
        attempt: u32,
    },
    /// An attempt ran out of time and its process group was killed.
    Timeout {
        /// The task.
        task: String,
        /// Which attempt.
        attempt: u32,
    },
    /// A task reached its final status in this run.
    Status {
        /// The task.
        task: String,
        /// Its status.
        status: String,
        /// Who set it: `agent` (the agent itself) or `conductor`.
        by: String,
        /// The note written with it.
        note: Option<String>,
    },
    /// A selected task did not run.
    Skip {
        /// The task.
        task: String,
        /// Why.
        reason: String,
    },
    /// The run is over.
    Summary(Summary),
}

/// The totals of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Selected tasks that ended Completed.
    pub completed: Vec<String>,
    /// Selected tasks that ended Failed.
    pub failed: Vec<String>,
    /// Selected tasks that did not run or ended in another status.
    pub skipped: Vec<String>,
    /// Wall time of the run, in seconds.
    pub wall_seconds: f64,
    /// The sum of the agents' run times, in seconds.
    pub busy_seconds: f64,
    /// `busy_seconds / (wall_seconds × max_parallel)`, 0..1.
    pub parallel_efficiency: f64,
    /// The parallelism allowed.
    pub max_parallel: usize,
    /// Whether the run was interrupted (SIGINT or SIGTERM).
    pub interrupted: bool,
}

impl Summary {
    /// Whether every selected task ended Completed.
    pub fn all_completed(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// Journals a run event (status changes are journaled by the store itself).
pub(super) fn journal_event(session: &Session, event: &RunEvent) {
    let (name, task, note) = match event {
        RunEvent::Start { task, .. } => ("run_start", Some(task), None),
        RunEvent::Exit { task, .. } => ("run_exit", Some(task), None),
        RunEvent::Retry { task, .. } => ("run_retry", Some(task), None),
        RunEvent::Timeout { task, .. } => ("run_timeout", Some(task), None),
        RunEvent::Skip { task, reason } => ("run_skip", Some(task), Some(reason.clone())),
        RunEvent::Status { .. } => return,
        RunEvent::Summary(_) => ("run_end", None, None),
    };
    let mut detail = serde_json::to_value(event).unwrap_or(serde_json::Value::Null);
    if let Some(object) = detail.as_object_mut() {
        object.insert("unix_ms".to_owned(), serde_json::json!(unix_ms()));
    }
    // A journal failure does not stop the agents.
    let _ = session.record(name, task.map(String::as_str), note, detail);
}

/// Milliseconds since the epoch, for ordering events finer than the journal's seconds.
pub fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Starts the `[hooks] on_event` argv for `event`, with `{event}` and `{task}` replaced and the
/// event as JSON in `ORCH_EVENT_JSON`. The hook is not waited for (the runtime reaps it), and
/// a hook that cannot start does not stop the run.
pub(super) fn run_hook(argv: &[String], event: &RunEvent) {
    let json = serde_json::to_value(event).unwrap_or(serde_json::Value::Null);
    let name = json["event"].as_str().unwrap_or_default().to_owned();
    let task = json["task"].as_str().unwrap_or_default().to_owned();
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.replace("{event}", &name).replace("{task}", &task))
        .collect();
    let Some((program, rest)) = args.split_first() else {
        return;
    };
    let _ = tokio::process::Command::new(program)
        .args(rest)
        .env("ORCH_EVENT_JSON", json.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
