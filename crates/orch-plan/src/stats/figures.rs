//! The figures `orch-plan stats` reports: the [`Stats`] of an orchestration and its parts, and
//! the warnings that go with them. See the parent module for how each is computed.

use std::path::Path;

use super::{LINES_SHOWN, describe_lines};
use serde::Serialize;

/// The mean and the 95th percentile of a set of durations.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// How many durations there are.
    pub count: usize,
    /// Their mean in seconds, `None` when there are none.
    pub mean_seconds: Option<f64>,
    /// Their nearest-rank 95th percentile in seconds, `None` when there are none.
    pub p95_seconds: Option<u64>,
}

impl Summary {
    /// The summary of `values` (in any order).
    pub fn of(mut values: Vec<u64>) -> Summary {
        if values.is_empty() {
            return Summary::default();
        }
        values.sort_unstable();
        let n = values.len();
        let rank = (95 * n).div_ceil(100).max(1);
        Summary {
            count: n,
            mean_seconds: Some(values.iter().sum::<u64>() as f64 / n as f64),
            p95_seconds: values.get(rank - 1).copied(),
        }
    }
}

/// How long tasks stayed in one status.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusTime {
    /// The status, canonically spelled.
    pub status: &'static str,
    /// The closed intervals in that status.
    #[serde(flatten)]
    pub summary: Summary,
}

/// Estimates against busy time, over the completed tasks that have an estimate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EstimateVsActual {
    /// How many tasks are counted.
    pub tasks: usize,
    /// The sum of their estimates, in seconds.
    pub estimated_seconds: u64,
    /// The sum of their busy times, in seconds.
    pub actual_seconds: u64,
    /// actual / estimated, `None` when nothing was estimated.
    pub ratio: Option<f64>,
}

/// One task's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskStats {
    /// The task id, as the plan spells it (else as the journal first does).
    pub id: String,
    /// Its last status in the journal, `None` when the journal never changed it.
    pub status: Option<&'static str>,
    /// Its status in the plan, `None` when the plan has no such task.
    pub plan_status: Option<&'static str>,
    /// Its entries into In Progress except from Blocked, plus the conductor's retries of it.
    pub attempts: usize,
    /// Its entries into In Progress from Failed, plus the conductor's retries of it.
    pub retries: usize,
    /// Its busy time in seconds.
    pub busy_seconds: u64,
    /// Its estimate in seconds, from the plan.
    pub estimate_seconds: Option<u64>,
    /// busy / estimate, when it has an estimate and was ever busy.
    pub ratio: Option<f64>,
    /// When it first entered In Progress.
    pub first_started: Option<String>,
    /// When it last entered Completed.
    pub completed_at: Option<String>,
    /// When it was last integrated.
    pub integrated_at: Option<String>,
    /// Its last integration latency, in seconds.
    pub integration_latency_seconds: Option<u64>,
}

/// A task whose last status in the journal is not its status in the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The task id, as the plan spells it.
    pub task: String,
    /// Its last status in the journal.
    pub journal: &'static str,
    /// Its status in the plan.
    pub plan: &'static str,
}

/// The metrics of an orchestration. See the module documentation for each definition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Tasks whose last status in the journal is Completed.
    pub completed: usize,
    /// Tasks whose last status in the journal is Failed.
    pub failed: usize,
    /// completed / (completed + failed), in 0..=1.
    pub success_rate: Option<f64>,
    /// Completed tasks per hour of wall time.
    pub throughput_per_hour: Option<f64>,
    /// Busy time / (wall time × max concurrency), in 0..=1.
    pub parallel_efficiency: Option<f64>,
    /// Entries into In Progress from Failed, plus the conductor's retries.
    pub retries: usize,
    /// Integration conflicts.
    pub conflicts: usize,
    /// Tasks quarantined by the integration queue.
    pub quarantines: usize,
    /// The wall time in seconds.
    pub wall_seconds: u64,
    /// The total busy time of all tasks, in seconds.
    pub busy_seconds: u64,
    /// The most tasks In Progress at once.
    pub max_concurrency: usize,
    /// Busy time / wall time.
    pub average_concurrency: Option<f64>,
    /// 1 − wall time / busy time.
    pub time_savings: Option<f64>,
    /// When the first task entered In Progress.
    pub first_start: Option<String>,
    /// When the last In Progress interval ended (or `now`, if one is still open).
    pub last_end: Option<String>,
    /// From Completed to integrated.
    pub integration_latency: Summary,
    /// How long tasks stayed in each status.
    pub time_per_status: Vec<StatusTime>,
    /// The busy time of the completed tasks.
    pub time_per_task: Summary,
    /// Estimates against busy time.
    pub estimate_vs_actual: EstimateVsActual,
    /// Integrations whose quality gates passed.
    pub gates_passed: usize,
    /// Integrations whose quality gates failed.
    pub gates_failed: usize,
    /// gates_passed / (gates_passed + gates_failed).
    pub gate_pass_rate: Option<f64>,
    /// Every task of the plan, in plan order, then tasks only the journal knows.
    pub tasks: Vec<TaskStats>,
    /// How many journal entries were read (lines that are entries, whether or not they were
    /// used).
    pub entries: usize,
    /// How many lines were skipped because they are not entries or their time cannot be read.
    pub unreadable: usize,
    /// The line numbers of those lines, in file order.
    pub unreadable_lines: Vec<usize>,
    /// How many entries were skipped because they are dated after `now`.
    pub future_entries: usize,
    /// The line numbers of those entries, in file order.
    pub future_lines: Vec<usize>,
    /// The tasks whose last status in the journal is not their status in the plan.
    pub disagreements: Vec<Disagreement>,
    /// The time the figures were computed for.
    pub now: String,
}

impl Stats {
    /// The warnings to show beside the figures, without the `warning: ` prefix: the journal
    /// lines skipped as unreadable or as dated after `now`, and the tasks whose status the plan
    /// and the journal disagree on. `journal` and `plan` are the files, to name them.
    pub fn warnings(&self, journal: &Path, plan: &Path) -> Vec<String> {
        let them = |n: usize| if n == 1 { "it" } else { "them" };
        let mut warnings = Vec::new();
        if self.unreadable > 0 {
            let n = self.unreadable;
            let lines = if n == 1 { "line" } else { "lines" };
            warnings.push(format!(
                "skipped {n} unreadable {lines} of {} ({}); each line must be one JSON object \
                 with an RFC 3339 \"time\", an \"event\" and an \"actor\"; fix {} or delete {}",
                journal.display(),
                describe_lines(&self.unreadable_lines),
                them(n),
                them(n),
            ));
        }
        if self.future_entries > 0 {
            let n = self.future_entries;
            let entries = if n == 1 { "entry" } else { "entries" };
            warnings.push(format!(
                "skipped {n} {entries} of {} dated after now, {} ({}); a clock was wrong or a \
                 time was edited; correct the time of {} or delete {}",
                journal.display(),
                self.now,
                describe_lines(&self.future_lines),
                them(n),
                them(n),
            ));
        }
        if !self.disagreements.is_empty() {
            let mut tasks: Vec<String> = self
                .disagreements
                .iter()
                .take(LINES_SHOWN)
                .map(|d| format!("{} (journal {}, plan {})", d.task, d.journal, d.plan))
                .collect();
            let more = self.disagreements.len().saturating_sub(LINES_SHOWN);
            if more > 0 {
                tasks.push(format!("and {more} more"));
            }
            warnings.push(format!(
                "the journal and {} disagree on the status of {} task(s): {}; the figures follow \
                 the journal, which misses statuses edited by hand in the plan; change statuses \
                 with `orch-plan status <task> <status>` so both agree",
                plan.display(),
                self.disagreements.len(),
                tasks.join(", "),
            ));
        }
        warnings
    }
}
