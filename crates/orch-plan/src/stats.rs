//! Metrics of an orchestration, computed from the journal: what `orch-plan stats` prints and
//! `orch-plan stats --write` records in the plan's Retrospective.
//!
//! [`compute_journal`] (and [`compute`], for entries without line numbers) is a pure function
//! of the journal entries, the plan (for estimates, task names and statuses) and the time
//! `now`; it reads no file and no clock.
//!
//! # How the journal is read
//!
//! - Entries are taken in time order (a stable sort on their `time`, so entries written in the
//!   same second keep their journal order).
//! - **unreadable**: the lines that are skipped because they cannot be trusted to mean
//!   anything: lines that are not journal entries (a line torn by a crash, text that is not a
//!   JSON object, an entry without a required field) and entries whose time cannot be read.
//!   [`Stats::unreadable`] counts them and [`Stats::unreadable_lines`] lists their line
//!   numbers.
//! - **future entries**: entries dated after `now` are skipped too (a wrong clock or a
//!   hand-edited date would otherwise stretch the wall time without bound).
//!   [`Stats::future_entries`] counts them and [`Stats::future_lines`] lists their line
//!   numbers.
//! - A **status change** is any entry with a `task` whose `new` value reads as a status
//!   (`status`, `claim` and `block` entries, and any later event that records a status the same
//!   way). Its previous status is its `old` value when that reads as a status, else the status
//!   the journal last gave the task. An entry that gives a task the status it already has
//!   changes nothing.
//! - Task ids compare ignoring ASCII case, as everywhere in orch. Changes made by hand in the
//!   markdown leave no journal line and are invisible here, except as **disagreements**: the
//!   tasks of the plan whose last status in the journal is not their status in the plan, listed
//!   in [`Stats::disagreements`]. The figures still follow the journal.
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
//! - **attempts** of a task: its status changes into In Progress, except those whose previous
//!   status is Blocked (resuming after a blocker continues the same attempt), plus the
//!   conductor's `run_retry` events of that task (it retries an agent without leaving In
//!   Progress).
//! - **retries**: status changes into In Progress whose previous status is Failed, plus the
//!   conductor's `run_retry` events. So a task's first attempt is no retry, and neither is a
//!   new attempt after a reset to Not Started or a reopening from Completed.
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
//!
//! Durations are shown to people by [`format_duration`]: whole units, largest first, at most
//! two (`45s`, `1m 15s`, `2h 5m`, `3d 4h`).

mod figures;
mod metrics_table;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use orch_core::{Plan, Status, TaskId, Timestamp};
use orch_status::journal::{Contents, Entry};

pub use figures::{Disagreement, EstimateVsActual, Stats, StatusTime, Summary, TaskStats};
pub use metrics_table::{MetricsTableError, WrittenMetric, write_metrics_table};

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

/// Computes the metrics of the journal `entries` for `plan` at time `now`, numbering the
/// entries' lines from 1 in order (as if the journal held exactly these lines).
pub fn compute(entries: &[Entry], plan: Option<&Plan>, now: Timestamp) -> Stats {
    let numbered: Vec<(usize, &Entry)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (i + 1, e))
        .collect();
    compute_numbered(&numbered, &[], plan, now)
}

/// Computes the metrics of what was read from the journal for `plan` at time `now`; the lines
/// that are not entries count as unreadable.
pub fn compute_journal(contents: &Contents, plan: Option<&Plan>, now: Timestamp) -> Stats {
    let numbered: Vec<(usize, &Entry)> = contents
        .lines
        .iter()
        .map(|l| (l.number, &l.entry))
        .collect();
    compute_numbered(&numbered, &contents.skipped, plan, now)
}

/// Computes the metrics of `entries` (each with its line number) given the numbers of the
/// `skipped` lines that are not entries.
fn compute_numbered(
    entries: &[(usize, &Entry)],
    skipped: &[usize],
    plan: Option<&Plan>,
    now: Timestamp,
) -> Stats {
    let mut unreadable_lines = skipped.to_vec();
    let mut future_lines = Vec::new();
    let mut timed: Vec<(Timestamp, &Entry)> = Vec::new();
    for &(line, entry) in entries {
        match Timestamp::parse(&entry.time) {
            Err(_) => unreadable_lines.push(line),
            Ok(time) if time > now => future_lines.push(line),
            Ok(time) => timed.push((time, entry)),
        }
    }
    unreadable_lines.sort_unstable();
    unreadable_lines.dedup();
    future_lines.sort_unstable();
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
    let mut stats = finish(tracks, order, totals, plan, now);
    stats.entries = entries.len();
    stats.unreadable = unreadable_lines.len();
    stats.unreadable_lines = unreadable_lines;
    stats.future_entries = future_lines.len();
    stats.future_lines = future_lines;
    stats
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
            // Resuming after a blocker continues the same attempt.
            if previous != Some(Status::Blocked) {
                track.attempts += 1;
            }
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
                track.attempts += 1;
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
    let mut disagreements = Vec::new();
    if let Some(plan) = plan {
        for task in plan.tasks() {
            let key = task.id.as_str().to_ascii_lowercase();
            if let Some(journal) = tracks.get(&key).and_then(|t| t.status)
                && journal != task.status
            {
                disagreements.push(Disagreement {
                    task: task.id.as_str().to_owned(),
                    journal: journal.as_str(),
                    plan: task.status.as_str(),
                });
            }
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
        entries: 0,
        unreadable: 0,
        unreadable_lines: Vec::new(),
        future_entries: 0,
        future_lines: Vec::new(),
        disagreements,
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

/// A duration for people: whole units, largest first, at most two (`0s`, `45s`, `1m 15s`,
/// `2h 5m`, `3d 4h`). The smaller unit is rounded to the nearest.
pub fn format_duration(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 86_400;
    let round = |unit: u64| seconds.saturating_add(unit / 2) / unit * unit;
    // Rounding to the smaller unit may carry into the next larger one (23h 59m 59s is 1d).
    let s = if seconds >= DAY {
        round(HOUR)
    } else if seconds >= HOUR {
        round(MINUTE)
    } else {
        seconds
    };
    let (large, small, large_unit, small_unit) = if s >= DAY {
        (s / DAY, s % DAY / HOUR, "d", "h")
    } else if s >= HOUR {
        (s / HOUR, s % HOUR / MINUTE, "h", "m")
    } else if s >= MINUTE {
        (s / MINUTE, s % MINUTE, "m", "s")
    } else {
        return format!("{s}s");
    };
    if small == 0 {
        format!("{large}{large_unit}")
    } else {
        format!("{large}{large_unit} {small}{small_unit}")
    }
}

/// A signed duration (a delta) for people, as [`format_duration`] with a leading `-` when it is
/// negative and a leading `+` when `plus` is set and it is not.
pub fn format_signed_duration(seconds: i128, plus: bool) -> String {
    let magnitude = u64::try_from(seconds.unsigned_abs()).unwrap_or(u64::MAX);
    let sign = if seconds < 0 {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    };
    format!("{sign}{}", format_duration(magnitude))
}

/// The first few of `lines` for a message: `line 3`, `lines 3, 5 and 9`, or the first
/// [`LINES_SHOWN`] and `and N more`.
pub fn describe_lines(lines: &[usize]) -> String {
    let shown: Vec<String> = lines
        .iter()
        .take(LINES_SHOWN)
        .map(ToString::to_string)
        .collect();
    let more = lines.len().saturating_sub(LINES_SHOWN);
    match (shown.as_slice(), more) {
        ([], _) => "no lines".to_owned(),
        ([one], _) => format!("line {one}"),
        ([first @ .., last], 0) => format!("lines {} and {last}", first.join(", ")),
        (all, more) => format!("lines {} and {more} more", all.join(", ")),
    }
}

/// How many line numbers [`describe_lines`] shows.
pub const LINES_SHOWN: usize = 10;
