//! Metrics of an orchestration, computed from the journal: what `orch-plan stats` prints and
//! `orch-plan stats --write` records in the plan's Retrospective.
//!
//! [`compute`] is a pure function of the journal entries, the plan (for estimates and task
//! names) and the time `now`; it reads no file and no clock.
//!
//! # How the journal is read
//!
//! - Entries are taken in time order (a stable sort on their `time`, so entries written in the
//!   same second keep their journal order). An entry whose time cannot be read is skipped and
//!   counted in [`Stats::unreadable`].
//! - A **status change** is any entry with a `task` whose `new` value reads as a status
//!   (`status`, `claim` and `block` entries, and any later event that records a status the same
//!   way). Its previous status is its `old` value when that reads as a status, else the status
//!   the journal last gave the task. An entry that gives a task the status it already has
//!   changes nothing.
//! - Task ids compare ignoring ASCII case, as everywhere in orch. Changes made by hand in the
//!   markdown leave no journal line and are invisible here.
//!
//! # Definitions
//!
//! - A task's **interval** in a status runs from the status change that entered it to the next
//!   status change of that task. An interval still open at the end of the journal is cut at
//!   `now` when the status is In Progress (the task is being worked on) and left out otherwise.
//! - A task's **busy time** is the sum of its In Progress intervals.
//! - **completed** / **failed**: the tasks whose last status in the journal is Completed /
//!   Failed. **success rate** = completed / (completed + failed), `None` when both are 0.
//! - **wall time**: from the first entry into In Progress of any task to the end of the last
//!   In Progress interval (the last moment any task was In Progress; when the last task to stop
//!   stopped by completing, this is the last completion).
//! - **throughput per hour** = completed / wall time in hours; `None` when the wall time is 0.
//! - **max concurrency**: the most tasks In Progress at one moment. At equal times, intervals
//!   that end are counted before intervals that start, so a handoff at the same second is not
//!   an overlap.
//! - **parallel efficiency** = total busy time / (wall time × max concurrency): the share of the
//!   capacity actually used, where the capacity is the peak number of agents that worked at
//!   once kept busy for the whole wall time. It is in 0..=1; `None` when the denominator is 0.
//!   (**average concurrency** = total busy time / wall time is reported beside it.)
//! - **time savings** = 1 − wall time / total busy time: how much shorter the run was than
//!   doing the same work one task after another.
//! - **retries**: status changes into In Progress whose previous status is Failed, plus the
//!   conductor's `run_retry` events (it retries an agent without leaving In Progress).
//! - **quarantines**: `quarantine` events, plus status changes to Failed whose note contains
//!   "quarantine" (how `orch-worktree queue` quarantines a task).
//! - **conflicts**: `conflict` events (`orch-worktree integrate` refused a conflicting branch)
//!   and `quarantine` events, `integrate` events whose
//!   `detail.conflict` is set (true, a non-empty list or object or string, a non-zero number),
//!   plus status changes to Failed whose note contains both "quarantine" and "conflict" (how
//!   the integration queue records a conflicting branch today).
//! - **integration latency** of a task: from its latest entry into Completed to the first
//!   successful `integrate` event of that task after it (an `integrate` event without a
//!   conflict and not a dry run). Each completion is counted once.
//! - **quality gates**: a successful `integrate` event whose `detail.gates.results` is a
//!   non-empty list passed its gates when every result has `passed: true` (else it failed
//!   them); a `gate_failed` event (a refused `orch-worktree integrate`) and a quarantine whose
//!   note contains "gate" failed them. **gate pass rate** =
//!   passed / (passed + failed).
//! - **time per status**: the mean and p95 of the closed intervals of each status, over all
//!   tasks. **time per task**: the mean and p95 of the busy time of the completed tasks.
//! - **p95** is the nearest-rank percentile: the value at position ⌈0.95 × n⌉ (from 1) of the
//!   sorted values.
//! - **estimate vs actual**: over the completed tasks that have an estimate in the plan, the
//!   sum of their estimates, the sum of their busy times, and actual / estimated.

mod metrics_table;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use orch_core::{Plan, Status, TaskId, Timestamp};
use orch_status::journal::Entry;
use serde::Serialize;

pub use metrics_table::{MetricsTableError, WrittenMetric, write_metrics_table};

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
    /// How many times it entered In Progress.
    pub attempts: usize,
    /// How many of those came from Failed.
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
    /// Entries into In Progress from Failed.
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
    /// How many journal entries were read.
    pub entries: usize,
    /// How many entries were skipped because their time cannot be read.
    pub unreadable: usize,
    /// The time the figures were computed for.
    pub now: String,
}

/// What the journal says about one task so far.
#[derive(Default)]
struct Track {
    name: String,
    status: Option<Status>,
    since: Option<Timestamp>,
    busy: u64,
    attempts: usize,
    retries: usize,
    first_started: Option<Timestamp>,
    /// The latest entry into Completed not yet matched with an integration.
    pending_completion: Option<Timestamp>,
    completed_at: Option<Timestamp>,
    integrated_at: Option<Timestamp>,
    latency: Option<u64>,
}

/// Counters over the whole journal.
#[derive(Default)]
struct Totals {
    intervals: Vec<(Timestamp, Timestamp)>,
    per_status: HashMap<Status, Vec<u64>>,
    latencies: Vec<u64>,
    retries: usize,
    conflicts: usize,
    quarantines: usize,
    gates_passed: usize,
    gates_failed: usize,
}

/// Computes the metrics of the journal `entries` for `plan` at time `now`.
pub fn compute(entries: &[Entry], plan: Option<&Plan>, now: Timestamp) -> Stats {
    let mut timed: Vec<(Timestamp, &Entry)> = entries
        .iter()
        .filter_map(|e| Timestamp::parse(&e.time).ok().map(|t| (t, e)))
        .collect();
    let unreadable = entries.len() - timed.len();
    timed.sort_by_key(|(t, _)| *t);

    let mut tracks: HashMap<String, Track> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut totals = Totals::default();
    for (time, entry) in timed {
        let key = entry.task.as_deref().map(str::to_ascii_lowercase);
        let new = entry.new.as_deref().and_then(|n| Status::parse(n).ok());
        match (key, new) {
            (Some(key), Some(new)) => {
                let track = tracks.entry(key.clone()).or_insert_with(|| {
                    order.push(key);
                    Track {
                        name: entry.task.clone().unwrap_or_default(),
                        ..Track::default()
                    }
                });
                change_status(track, &mut totals, entry, time, new);
            }
            (key, _) => {
                let track = key.and_then(|k| tracks.get_mut(&k));
                other_event(track, &mut totals, entry, time);
            }
        }
    }
    finish(tracks, order, totals, plan, now, entries.len(), unreadable)
}

/// Applies one status change to a task.
fn change_status(
    track: &mut Track,
    totals: &mut Totals,
    entry: &Entry,
    time: Timestamp,
    new: Status,
) {
    if track.status == Some(new) {
        return;
    }
    let previous = entry
        .old
        .as_deref()
        .and_then(|o| Status::parse(o).ok())
        .or(track.status);
    if let (Some(status), Some(since)) = (track.status, track.since) {
        let duration = time.0.saturating_sub(since.0);
        totals.per_status.entry(status).or_default().push(duration);
        if status == Status::InProgress {
            totals.intervals.push((since, time));
            track.busy += duration;
        }
    }
    match new {
        Status::InProgress => {
            track.attempts += 1;
            track.first_started.get_or_insert(time);
            if previous == Some(Status::Failed) {
                track.retries += 1;
                totals.retries += 1;
            }
        }
        Status::Completed => {
            track.pending_completion = Some(time);
            track.completed_at = Some(time);
        }
        Status::Failed => {
            let note = entry.note.as_deref().unwrap_or("").to_lowercase();
            if note.contains("quarantine") {
                totals.quarantines += 1;
                if note.contains("conflict") {
                    totals.conflicts += 1;
                }
                if note.contains("gate") {
                    totals.gates_failed += 1;
                }
            }
        }
        Status::NotStarted | Status::Blocked => {}
    }
    track.status = Some(new);
    track.since = Some(time);
}

/// Counts an entry that is not a status change.
fn other_event(track: Option<&mut Track>, totals: &mut Totals, entry: &Entry, time: Timestamp) {
    match entry.event.as_str() {
        // The conductor retries a failing agent without leaving In Progress.
        "run_retry" => {
            totals.retries += 1;
            if let Some(track) = track {
                track.retries += 1;
            }
        }
        "conflict" => totals.conflicts += 1,
        "gate_failed" => totals.gates_failed += 1,
        "quarantine" => {
            totals.conflicts += 1;
            totals.quarantines += 1;
        }
        "integrate" if truthy(entry.detail.get("conflict")) => totals.conflicts += 1,
        "integrate" if entry.detail.get("dry_run") == Some(&serde_json::Value::Bool(true)) => {}
        "integrate" => {
            if let Some(results) = entry
                .detail
                .get("gates")
                .and_then(|g| g.get("results"))
                .and_then(|r| r.as_array())
                .filter(|r| !r.is_empty())
            {
                let passed = results
                    .iter()
                    .all(|r| r.get("passed") == Some(&serde_json::Value::Bool(true)));
                if passed {
                    totals.gates_passed += 1;
                } else {
                    totals.gates_failed += 1;
                }
            }
            if let Some(track) = track {
                track.integrated_at = Some(time);
                if let Some(done) = track.pending_completion.take() {
                    let latency = time.0.saturating_sub(done.0);
                    track.latency = Some(latency);
                    totals.latencies.push(latency);
                }
            }
        }
        _ => {}
    }
}

/// Whether a `detail.conflict` value says there was a conflict.
fn truthy(value: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// Closes the open intervals and turns the tracks into [`Stats`].
fn finish(
    mut tracks: HashMap<String, Track>,
    order: Vec<String>,
    mut totals: Totals,
    plan: Option<&Plan>,
    now: Timestamp,
    entries: usize,
    unreadable: usize,
) -> Stats {
    for track in tracks.values_mut() {
        if let (Some(Status::InProgress), Some(since)) = (track.status, track.since) {
            let end = Timestamp(now.0.max(since.0));
            totals.intervals.push((since, end));
            track.busy += end.0 - since.0;
        }
    }
    let first_start = totals.intervals.iter().map(|i| i.0).min();
    let last_end = totals.intervals.iter().map(|i| i.1).max();
    let wall = match (first_start, last_end) {
        (Some(start), Some(end)) => end.0.saturating_sub(start.0),
        _ => 0,
    };
    let busy: u64 = tracks.values().map(|t| t.busy).sum();
    let concurrency = max_concurrency(&totals.intervals);
    let completed = count(&tracks, Status::Completed);
    let failed = count(&tracks, Status::Failed);
    let hours = wall as f64 / 3600.0;
    let capacity = wall as f64 * concurrency as f64;

    let estimate_of = |name: &str| -> Option<u64> {
        let id = TaskId::parse(name).ok()?;
        plan?.get(&id)?.estimate.as_ref().map(|e| e.seconds())
    };
    let mut tasks = Vec::new();
    let mut seen = Vec::new();
    if let Some(plan) = plan {
        for task in plan.tasks() {
            let key = task.id.as_str().to_ascii_lowercase();
            let view = task_stats(
                tracks.get(&key),
                task.id.as_str(),
                Some(task.status),
                estimate_of(task.id.as_str()),
            );
            seen.push(key);
            tasks.push(view);
        }
    }
    for key in &order {
        if let Some(track) = tracks.get(key).filter(|_| !seen.contains(key)) {
            tasks.push(task_stats(Some(track), &track.name, None, None));
        }
    }

    let done: Vec<&Track> = tracks
        .values()
        .filter(|t| t.status == Some(Status::Completed))
        .collect();
    let mut estimate = EstimateVsActual::default();
    for track in &done {
        if let Some(seconds) = estimate_of(&track.name) {
            estimate.tasks += 1;
            estimate.estimated_seconds += seconds;
            estimate.actual_seconds += track.busy;
        }
    }
    estimate.ratio = ratio(
        estimate.actual_seconds as f64,
        estimate.estimated_seconds as f64,
    );

    Stats {
        completed,
        failed,
        success_rate: ratio(completed as f64, (completed + failed) as f64),
        throughput_per_hour: ratio(completed as f64, hours),
        parallel_efficiency: ratio(busy as f64, capacity),
        retries: totals.retries,
        conflicts: totals.conflicts,
        quarantines: totals.quarantines,
        wall_seconds: wall,
        busy_seconds: busy,
        max_concurrency: concurrency,
        average_concurrency: ratio(busy as f64, wall as f64),
        time_savings: ratio(wall as f64, busy as f64).map(|r| 1.0 - r),
        first_start: first_start.map(Timestamp::rfc3339),
        last_end: last_end.map(Timestamp::rfc3339),
        integration_latency: Summary::of(totals.latencies),
        time_per_status: Status::ALL
            .iter()
            .map(|&s| StatusTime {
                status: s.as_str(),
                summary: Summary::of(totals.per_status.remove(&s).unwrap_or_default()),
            })
            .collect(),
        time_per_task: Summary::of(done.iter().map(|t| t.busy).collect()),
        estimate_vs_actual: estimate,
        gates_passed: totals.gates_passed,
        gates_failed: totals.gates_failed,
        gate_pass_rate: ratio(
            totals.gates_passed as f64,
            (totals.gates_passed + totals.gates_failed) as f64,
        ),
        tasks,
        entries,
        unreadable,
        now: now.rfc3339(),
    }
}

fn count(tracks: &HashMap<String, Track>, status: Status) -> usize {
    tracks.values().filter(|t| t.status == Some(status)).count()
}

/// `a / b`, `None` when `b` is 0.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn task_stats(
    track: Option<&Track>,
    id: &str,
    plan_status: Option<Status>,
    estimate: Option<u64>,
) -> TaskStats {
    let time = |t: Option<Timestamp>| t.map(Timestamp::rfc3339);
    let busy = track.map_or(0, |t| t.busy);
    TaskStats {
        id: id.to_owned(),
        status: track.and_then(|t| t.status).map(Status::as_str),
        plan_status: plan_status.map(Status::as_str),
        attempts: track.map_or(0, |t| t.attempts),
        retries: track.map_or(0, |t| t.retries),
        busy_seconds: busy,
        estimate_seconds: estimate,
        ratio: estimate
            .filter(|_| busy > 0)
            .and_then(|e| ratio(busy as f64, e as f64)),
        first_started: time(track.and_then(|t| t.first_started)),
        completed_at: time(track.and_then(|t| t.completed_at)),
        integrated_at: time(track.and_then(|t| t.integrated_at)),
        integration_latency_seconds: track.and_then(|t| t.latency),
    }
}

/// The most intervals that overlap at one moment; an interval ending at the time another
/// starts does not overlap it.
fn max_concurrency(intervals: &[(Timestamp, Timestamp)]) -> usize {
    let mut points: Vec<(u64, i8)> = intervals
        .iter()
        .filter(|(start, end)| end > start)
        .flat_map(|(start, end)| [(start.0, 1), (end.0, -1)])
        .collect();
    // Ends (-1) sort before starts (+1) at the same second.
    points.sort_unstable();
    let mut current: i64 = 0;
    let mut best: i64 = 0;
    for (_, delta) in points {
        current += i64::from(delta);
        best = best.max(current);
    }
    usize::try_from(best).unwrap_or(0)
}
