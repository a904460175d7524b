//! The metrics of a constructed journal, checked against answers worked out by hand.

use std::path::Path;

use orch_core::{Plan, Timestamp};
use orch_status::journal::Entry;

use super::*;

const PLAN: &str = "# Plan\n\n\
| Task ID | Description | Status | Dependencies | Estimate |\n\
|---------|-------------|--------|--------------|----------|\n\
| T1 | Design | Completed | - | 1h |\n\
| T2 | OAuth | Completed | T1 | 3h |\n\
| T3 | JWT | Completed | T1 | 3h |\n\
| T4 | Sessions | Completed | T1 | 2h |\n\
| T5 | Bench | Failed | T2 | 1h |\n\
| T6 | Docs | Not Started | T5 | 1h |\n\n\
## Retrospective\n\n\
### Metrics\n\n\
| Metric | Target | Actual | Delta |\n\
|--------|--------|--------|-------|\n\
| Total Duration | 7h | - | - |\n\
| Total Cost | - | - | - |\n\
| Time Savings vs Sequential | 32% | - | - |\n\
| Quality Gate Pass Rate | 100% | - | - |\n\n\
### Lessons Learned\n- none\n";

fn plan_doc() -> orch_status::PlanDoc {
    orch_status::read_plan(Path::new("MULTI_AGENT_PLAN.md"), PLAN.as_bytes().to_vec())
        .expect("the test plan reads")
}

fn plan() -> Plan {
    plan_doc().plan().expect("the test plan is valid")
}

/// `2026-11-21` at `hh:mm` UTC.
fn at(hh: u64, mm: u64) -> String {
    Timestamp(1_795_219_200 + hh * 3600 + mm * 60).rfc3339()
}

fn change(time: String, task: &str, old: &str, new: &str, note: Option<&str>) -> Entry {
    Entry {
        time,
        event: "status".into(),
        actor: "agent".into(),
        task: Some(task.into()),
        old: Some(old.into()),
        new: Some(new.into()),
        note: note.map(Into::into),
        ..Entry::default()
    }
}

fn event(time: String, event: &str, task: &str, detail: serde_json::Value) -> Entry {
    Entry {
        time,
        event: event.into(),
        actor: "orchestrator".into(),
        task: Some(task.into()),
        detail,
        ..Entry::default()
    }
}

/// The story: T1 runs 10:00–11:00. T2 runs 11:00–14:00 and is integrated at 14:10. T3 starts at
/// 11:00, fails at 12:00, is retried 12:30–14:30, is quarantined for a conflict at 14:40,
/// retried again 14:50–15:20 and integrated at 15:30. T4 starts at 11:30, is blocked
/// 12:00–13:00, completes at 15:00, has a `conflict` event at 15:25 and is integrated (gates
/// skipped) at 15:30. T5 runs 15:00–15:40 and is quarantined at 16:00 because a gate failed.
fn journal() -> Vec<Entry> {
    let gates_passed =
        serde_json::json!({"gates": {"skipped": false, "results": [{"passed": true}]}});
    vec![
        change(at(10, 0), "T1", "Not Started", "In Progress", None),
        change(at(11, 0), "T1", "In Progress", "Completed", None),
        change(at(11, 0), "T2", "Not Started", "In Progress", None),
        change(at(11, 0), "t3", "Not Started", "In Progress", None),
        change(at(11, 30), "T4", "Not Started", "In Progress", None),
        change(at(12, 0), "T3", "In Progress", "Failed", Some("tests fail")),
        change(
            at(12, 0),
            "T4",
            "In Progress",
            "Blocked",
            Some("which library?"),
        ),
        change(at(12, 30), "T3", "Failed", "In Progress", None),
        change(at(13, 0), "T4", "Blocked", "In Progress", None),
        change(at(14, 0), "T2", "In Progress", "Completed", None),
        event(at(14, 10), "integrate", "T2", gates_passed.clone()),
        change(at(14, 30), "T3", "In Progress", "Completed", None),
        change(
            at(14, 40),
            "T3",
            "Completed",
            "Failed",
            Some("quarantined by integrate: conflicts with main in src/a.rs (commit abc1234)"),
        ),
        change(at(14, 50), "T3", "Failed", "In Progress", None),
        change(at(15, 0), "T4", "In Progress", "Completed", None),
        change(at(15, 0), "T5", "Not Started", "In Progress", None),
        change(at(15, 20), "T3", "In Progress", "Completed", None),
        event(at(15, 25), "conflict", "T4", serde_json::Value::Null),
        event(at(15, 30), "integrate", "T3", gates_passed),
        event(
            at(15, 30),
            "integrate",
            "T4",
            serde_json::json!({"gates": {"skipped": true, "results": []}}),
        ),
        change(at(15, 40), "T5", "In Progress", "Completed", None),
        change(
            at(16, 0),
            "T5",
            "Completed",
            "Failed",
            Some("quarantined by integrate: gate `cargo test` failed (exit 1)"),
        ),
        event(
            at(16, 5),
            "message",
            "T5",
            serde_json::json!({"id": "M-0001"}),
        ),
        Entry {
            time: "yesterday".into(),
            event: "status".into(),
            ..Entry::default()
        },
    ]
}

fn stats() -> Stats {
    compute(
        &journal(),
        Some(&plan()),
        Timestamp::parse(&at(17, 0)).expect("time"),
    )
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn counts_outcomes_retries_conflicts_and_quarantines() {
    let s = stats();
    assert_eq!((s.completed, s.failed), (4, 1));
    assert!(close(s.success_rate, 0.8));
    // T3 re-entered In Progress from Failed twice; T4's return from Blocked is no retry.
    assert_eq!(s.retries, 2);
    // The quarantine note naming a conflict, and the `conflict` event.
    assert_eq!(s.conflicts, 2);
    // T3 (conflict) and T5 (gate).
    assert_eq!(s.quarantines, 2);
    assert_eq!((s.entries, s.unreadable), (24, 1));
    // The entry dated "yesterday" is the 24th.
    assert_eq!(s.unreadable_lines, [24]);
    assert_eq!((s.future_entries, s.future_lines.len()), (0, 0));
    // The journal's last statuses are the plan's.
    assert_eq!(s.disagreements, []);
}

#[test]
fn busy_time_wall_time_concurrency_and_efficiency() {
    let s = stats();
    // T1 1h + T2 3h + T3 (1h + 2h + 30m) + T4 (30m + 2h) + T5 40m = 10h 40m.
    assert_eq!(s.busy_seconds, 38_400);
    // From 10:00 to 15:40, when T5 left In Progress.
    assert_eq!(s.wall_seconds, 20_400);
    assert_eq!(s.first_start.as_deref(), Some(at(10, 0).as_str()));
    assert_eq!(s.last_end.as_deref(), Some(at(15, 40).as_str()));
    // T2, T3 and T4 between 11:30 and 12:00 and again between 13:00 and 14:00.
    assert_eq!(s.max_concurrency, 3);
    assert!(close(s.parallel_efficiency, 38_400.0 / (20_400.0 * 3.0)));
    assert!(close(s.average_concurrency, 38_400.0 / 20_400.0));
    assert!(close(s.throughput_per_hour, 4.0 / (20_400.0 / 3600.0)));
    assert!(close(s.time_savings, 1.0 - 20_400.0 / 38_400.0));
}

#[test]
fn time_per_status_and_per_task() {
    let s = stats();
    let of = |status: &str| {
        s.time_per_status
            .iter()
            .find(|t| t.status == status)
            .map(|t| t.summary.clone())
            .expect("every status is listed")
    };
    // 1h, 3h, 1h, 2h, 30m, 30m, 2h, 40m.
    assert_eq!(of("In Progress").count, 8);
    assert!(close(of("In Progress").mean_seconds, 4800.0));
    assert_eq!(of("In Progress").p95_seconds, Some(10_800));
    assert_eq!(
        of("Blocked"),
        Summary {
            count: 1,
            mean_seconds: Some(3600.0),
            p95_seconds: Some(3600)
        }
    );
    // T3 12:00–12:30 and 14:40–14:50; T5's Failed is still open and left out.
    assert_eq!(of("Failed").count, 2);
    assert!(close(of("Failed").mean_seconds, 1200.0));
    assert_eq!(of("Failed").p95_seconds, Some(1800));
    // T3 14:30–14:40 and T5 15:40–16:00; the other completions are still open.
    assert!(close(of("Completed").mean_seconds, 900.0));
    assert_eq!(of("Not Started").count, 0);
    // The completed tasks T1–T4 were busy 1h, 3h, 3.5h and 2.5h.
    assert_eq!(s.time_per_task.count, 4);
    assert!(close(s.time_per_task.mean_seconds, 9000.0));
    assert_eq!(s.time_per_task.p95_seconds, Some(12_600));
}

#[test]
fn integration_latency_gates_and_estimates() {
    let s = stats();
    // T2 10m, T3 10m (from its last completion), T4 30m.
    assert_eq!(s.integration_latency.count, 3);
    assert!(close(s.integration_latency.mean_seconds, 1000.0));
    assert_eq!(s.integration_latency.p95_seconds, Some(1800));
    // T2 and T3 passed their gates, T4 skipped them, T5 was quarantined for a gate.
    assert_eq!((s.gates_passed, s.gates_failed), (2, 1));
    assert!(close(s.gate_pass_rate, 2.0 / 3.0));
    // Estimated 1h + 3h + 3h + 2h = 9h for the completed tasks; they took 10h.
    assert_eq!(s.estimate_vs_actual.tasks, 4);
    assert_eq!(s.estimate_vs_actual.estimated_seconds, 32_400);
    assert_eq!(s.estimate_vs_actual.actual_seconds, 36_000);
    assert!(close(s.estimate_vs_actual.ratio, 36_000.0 / 32_400.0));
}

#[test]
fn per_task_figures_follow_the_plan_order() {
    let s = stats();
    let ids: Vec<&str> = s.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "T6"]);
    let t3 = &s.tasks[2];
    // Started, retried from Failed twice.
    assert_eq!((t3.attempts, t3.retries, t3.busy_seconds), (3, 2, 12_600));
    // Resuming after the blocker at 13:00 is the same attempt.
    let t4 = &s.tasks[3];
    assert_eq!((t4.attempts, t4.retries, t4.busy_seconds), (1, 0, 9000));
    assert_eq!(t3.status, Some("Completed"));
    assert!(close(t3.ratio, 12_600.0 / 10_800.0));
    assert_eq!(t3.integration_latency_seconds, Some(600));
    assert_eq!(t3.completed_at.as_deref(), Some(at(15, 20).as_str()));
    let t6 = &s.tasks[5];
    assert_eq!(
        (t6.status, t6.plan_status, t6.busy_seconds),
        (None, Some("Not Started"), 0)
    );
}

#[test]
fn a_running_task_is_busy_until_now_and_an_empty_journal_has_no_rates() {
    let now = Timestamp::parse(&at(12, 0)).expect("time");
    let entries = vec![change(at(10, 0), "T1", "Not Started", "In Progress", None)];
    let s = compute(&entries, None, now);
    assert_eq!(
        (s.busy_seconds, s.wall_seconds, s.max_concurrency),
        (7200, 7200, 1)
    );
    assert!(close(s.parallel_efficiency, 1.0));
    assert_eq!(s.success_rate, None);
    assert_eq!(s.tasks.len(), 1);

    let empty = compute(&[], Some(&plan()), now);
    assert_eq!(empty.success_rate, None);
    assert_eq!(empty.throughput_per_hour, None);
    assert_eq!(empty.parallel_efficiency, None);
    assert_eq!(empty.first_start, None);
    assert_eq!(empty.tasks.len(), 6);
}

#[test]
fn p95_is_the_nearest_rank() {
    assert_eq!(Summary::of(vec![]).p95_seconds, None);
    assert_eq!(Summary::of(vec![5]).p95_seconds, Some(5));
    let hundred: Vec<u64> = (1..=100).rev().collect();
    assert_eq!(Summary::of(hundred).p95_seconds, Some(95));
    let twenty_one: Vec<u64> = (1..=21).collect();
    assert_eq!(Summary::of(twenty_one).p95_seconds, Some(20));
}

#[test]
fn writes_only_the_metrics_table() {
    let doc = plan_doc();
    let (text, written) = write_metrics_table(&doc, &stats()).expect("write");
    let table_start = PLAN.find("| Metric |").expect("table");
    let table_end = PLAN.find("\n### Lessons").expect("after");
    assert_eq!(&text[..table_start], &PLAN[..table_start]);
    assert!(text.ends_with(&PLAN[table_end..]));
    let expected = "| Metric | Target | Actual | Delta |\n\
|--------|--------|--------|-------|\n\
| Total Duration | 7h | 5h 40m | -1h 20m |\n\
| Total Cost | - | - | - |\n\
| Time Savings vs Sequential | 32% | 47% | +15 pts |\n\
| Quality Gate Pass Rate | 100% | 67% | -33 pts |\n\
| Success Rate | - | 80% | - |\n\
| Throughput per Hour | - | 0.71 tasks/h | - |\n\
| Parallel Efficiency | - | 63% | - |\n\
| Retries | - | 2 | - |\n\
| Conflicts | - | 2 | - |\n\
| Quarantines | - | 2 | - |\n\
| Integration Latency (mean) | - | 16m 40s | - |\n";
    assert_eq!(
        &text[table_start..text.len() - (PLAN.len() - table_end)],
        expected,
        "{text}"
    );
    assert_eq!(written.iter().filter(|w| w.added).count(), 7);

    // Writing again with the same figures changes nothing.
    let again = orch_status::read_plan(Path::new("MULTI_AGENT_PLAN.md"), text.clone().into_bytes())
        .expect("reads");
    let (same, _) = write_metrics_table(&again, &stats()).expect("write again");
    assert_eq!(same, text);
}

#[test]
fn a_plan_without_the_table_gets_one() {
    let bare = "# Plan\r\n\r\n| Task ID | Status |\r\n|---|---|\r\n| T1 | Completed |\r\n";
    let doc = orch_status::read_plan(Path::new("p.md"), bare.as_bytes().to_vec()).expect("reads");
    let (text, written) = write_metrics_table(&doc, &stats()).expect("write");
    assert!(text.starts_with(bare));
    assert!(text[bare.len()..].starts_with("\r\n## Retrospective\r\n\r\n### Metrics\r\n\r\n| Metric | Target | Actual | Delta |\r\n"), "{text}");
    assert!(written.iter().all(|w| w.added));
}

#[test]
fn the_conductors_retries_count_too() {
    // The conductor retries a failing agent without leaving In Progress: `run_retry` events.
    let mut entries = journal();
    entries.push(event(
        at(16, 0),
        "run_retry",
        "T1",
        serde_json::json!({"attempt": 2}),
    ));
    entries.push(event(
        at(16, 1),
        "run_retry",
        "T2",
        serde_json::json!({"attempt": 2}),
    ));
    let s = compute(
        &entries,
        Some(&plan()),
        Timestamp::parse(&at(17, 0)).expect("time"),
    );
    assert_eq!(s.retries, 4);
    // A conductor's retry is another attempt without leaving In Progress.
    let t1 = &s.tasks[0];
    assert_eq!((t1.attempts, t1.retries), (2, 1));
}

#[test]
fn attempts_count_entries_into_in_progress_except_from_blocked_plus_the_conductors_retries() {
    let now = Timestamp::parse(&at(17, 0)).expect("time");
    let entries = vec![
        // T1: retried twice by the conductor while In Progress.
        change(at(10, 0), "T1", "Not Started", "In Progress", None),
        event(
            at(10, 10),
            "run_retry",
            "T1",
            serde_json::json!({"attempt": 2}),
        ),
        event(
            at(10, 20),
            "run_retry",
            "T1",
            serde_json::json!({"attempt": 3}),
        ),
        // T2: blocked twice, resumed twice, then failed and started again.
        change(at(10, 0), "T2", "Not Started", "In Progress", None),
        change(at(10, 30), "T2", "In Progress", "Blocked", None),
        change(at(11, 0), "T2", "Blocked", "In Progress", None),
        change(at(11, 30), "T2", "In Progress", "Blocked", None),
        change(at(12, 0), "T2", "Blocked", "In Progress", None),
        change(at(12, 30), "T2", "In Progress", "Failed", None),
        change(at(13, 0), "T2", "Failed", "In Progress", None),
        // T3: reset to Not Started by hand and started again: a new attempt, no retry.
        change(at(10, 0), "T3", "Not Started", "In Progress", None),
        change(at(10, 30), "T3", "In Progress", "Not Started", None),
        change(at(11, 0), "T3", "Not Started", "In Progress", None),
    ];
    let s = compute(&entries, None, now);
    let figures: Vec<(&str, usize, usize)> = s
        .tasks
        .iter()
        .map(|t| (t.id.as_str(), t.attempts, t.retries))
        .collect();
    assert_eq!(figures, [("T1", 3, 2), ("T2", 2, 1), ("T3", 2, 0)]);
    assert_eq!(s.retries, 3);
}

/// A journal file with every kind of line that is not a usable entry.
const BROKEN_JOURNAL: &str = concat!(
    r#"{"time":"2026-11-21T10:00:00Z","event":"status","actor":"a","task":"T1","old":"Not Started","new":"In Progress"}"#,
    "\n",
    "garbage\n",
    "\0\0\0\n",
    "\n",
    "[1,2]\n",
    r#"{"time":"2026-11-21T10:30:00Z","event":"status","task":"T1","new":"Failed"}"#,
    "\n",
    r#"{"time":"half past ten","event":"status","actor":"a","task":"T1","new":"Failed"}"#,
    "\n",
    r#"{"time":"2026-11-21T11:00:00Z","event":"status","actor":"a","task":"T1","old":"In Progress","new":"Completed"}"#,
    "\n",
    r#"{"time":"2026-11-21T11:05"#,
    "\n",
);

#[test]
fn every_skipped_line_counts_once_with_its_line_number() {
    let contents = orch_status::journal::parse_lines(BROKEN_JOURNAL);
    let now = Timestamp::parse(&at(17, 0)).expect("time");
    let s = compute_journal(&contents, Some(&plan()), now);
    // Garbage, NUL bytes, an array, a missing actor, an unreadable time and a torn line; the
    // blank line 4 is no line at all.
    assert_eq!(s.unreadable, 6);
    assert_eq!(s.unreadable_lines, [2, 3, 5, 6, 7, 9]);
    // The lines that are entries, including the one whose time cannot be read.
    assert_eq!(s.entries, 3);
    assert_eq!(s.completed, 1);
    assert_eq!(s.busy_seconds, 3600);

    let json = serde_json::to_value(&s).expect("serializes");
    assert_eq!(json["unreadable"], 6);
    assert_eq!(
        json["unreadable_lines"],
        serde_json::json!([2, 3, 5, 6, 7, 9])
    );

    let warnings = s.warnings(Path::new(".git/orch/journal.jsonl"), Path::new("PLAN.md"));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "skipped 6 unreadable lines of .git/orch/journal.jsonl (lines 2, 3, 5, 6, 7 and 9); "
        ),
        "{}",
        warnings[0]
    );
    assert!(!warnings[0].ends_with('.'), "{}", warnings[0]);
}

#[test]
fn line_lists_name_the_first_ten_and_count_the_rest() {
    assert_eq!(describe_lines(&[7]), "line 7");
    assert_eq!(describe_lines(&[3, 9]), "lines 3 and 9");
    let twelve: Vec<usize> = (1..=12).collect();
    assert_eq!(
        describe_lines(&twelve),
        "lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"
    );
    let ten: Vec<usize> = (1..=10).collect();
    assert_eq!(
        describe_lines(&ten),
        "lines 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10"
    );
}

#[test]
fn entries_dated_after_now_are_skipped_and_counted() {
    let mut entries = journal();
    // The 25th line: a clock set to 2099 starts T6.
    entries.push(change(
        "2099-01-01T00:00:00Z".into(),
        "T6",
        "Not Started",
        "In Progress",
        None,
    ));
    let s = compute(
        &entries,
        Some(&plan()),
        Timestamp::parse(&at(17, 0)).expect("time"),
    );
    // The figures are those of the story without it.
    let story = stats();
    assert_eq!(s.wall_seconds, story.wall_seconds);
    assert_eq!(s.busy_seconds, story.busy_seconds);
    assert_eq!(s.time_savings, story.time_savings);
    assert_eq!((s.future_entries, s.future_lines.clone()), (1, vec![25]));
    assert_eq!(s.unreadable, 1);
    assert_eq!(s.tasks[5].status, None);
    let warnings = s.warnings(Path::new("journal.jsonl"), Path::new("PLAN.md"));
    assert!(
        warnings.iter().any(|w| w.starts_with(&format!(
            "skipped 1 entry of journal.jsonl dated after now, {} (line 25); ",
            at(17, 0)
        ))),
        "{warnings:?}"
    );
    // An entry at exactly `now` is trusted.
    let at_now = vec![change(at(17, 0), "T1", "Not Started", "In Progress", None)];
    let s = compute(&at_now, None, Timestamp::parse(&at(17, 0)).expect("time"));
    assert_eq!((s.future_entries, s.tasks.len()), (0, 1));
}

#[test]
fn tasks_whose_journal_and_plan_statuses_differ_are_reported() {
    let mut entries = journal();
    // The journal completes T6, which the plan still says is Not Started (hand-edited).
    entries.push(change(at(16, 10), "T6", "Not Started", "In Progress", None));
    entries.push(change(at(16, 20), "T6", "In Progress", "Completed", None));
    let s = compute(
        &entries,
        Some(&plan()),
        Timestamp::parse(&at(17, 0)).expect("time"),
    );
    assert_eq!(
        s.disagreements,
        [Disagreement {
            task: "T6".into(),
            journal: "Completed",
            plan: "Not Started",
        }]
    );
    // Completed still means completed in the journal.
    assert_eq!(s.completed, 5);
    let json = serde_json::to_value(&s).expect("serializes");
    assert_eq!(
        json["disagreements"],
        serde_json::json!([{"task": "T6", "journal": "Completed", "plan": "Not Started"}])
    );
    let warnings = s.warnings(Path::new("journal.jsonl"), Path::new("PLAN.md"));
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "the journal and PLAN.md disagree on the status of 1 task(s): T6 (journal Completed, plan Not Started); "
        )),
        "{warnings:?}"
    );
    // Without a plan there is nothing to disagree with.
    let s = compute(&entries, None, Timestamp::parse(&at(17, 0)).expect("time"));
    assert_eq!(s.disagreements, []);
}

#[test]
fn durations_are_whole_units_largest_first_at_most_two() {
    let cases = [
        (0, "0s"),
        (45, "45s"),
        (60, "1m"),
        (75, "1m 15s"),
        (3599, "59m 59s"),
        (3600, "1h"),
        (7500, "2h 5m"),
        // 2h 5m 31s rounds to the nearest minute.
        (7531, "2h 6m"),
        // 23h 59m 59s rounds up into a day.
        (86_399, "1d"),
        (3 * 86_400 + 4 * 3600, "3d 4h"),
        (26_338 * 86_400 + 9 * 3600, "26338d 9h"),
    ];
    for (seconds, text) in cases {
        assert_eq!(format_duration(seconds), text, "{seconds}");
        // What is written reads back as the same duration, to the shown precision.
        if seconds > 0 {
            let read = orch_core::Estimate::parse(text)
                .expect("reads")
                .expect("present")
                .seconds();
            assert!(read.abs_diff(seconds) <= 1800, "{text}");
        }
    }
    assert_eq!(format_signed_duration(-26_940, false), "-7h 29m");
    assert_eq!(format_signed_duration(-26_940, true), "-7h 29m");
    assert_eq!(format_signed_duration(900, true), "+15m");
    assert_eq!(format_signed_duration(900, false), "15m");
    assert_eq!(format_signed_duration(0, true), "+0s");
    assert_eq!(
        format_signed_duration(i128::MIN, false),
        format!("-{}", format_duration(u64::MAX))
    );
}
