//! `orch-plan stats`: metrics from the journal, printed as JSON and written into the plan's
//! Retrospective Metrics table.

use orch_e2e::{AUTH_PLAN, Repo};

/// A journal line for a status change at `hh:mm` on 2026-11-21.
fn change(time: &str, task: &str, old: &str, new: &str) -> String {
    format!(
        "{{\"time\":\"2026-11-21T{time}:00Z\",\"event\":\"status\",\"actor\":\"agent\",\"task\":\"{task}\",\"old\":\"{old}\",\"new\":\"{new}\"}}\n"
    )
}

/// T1 runs 09:00–10:00; T2 10:00–12:00; T3 10:00–11:00, fails, is retried 11:30–12:30; T4
/// runs 10:00–11:00 and fails for good. T2 is integrated at 12:15 after a conflict at 12:05.
fn journal() -> String {
    [
        change("09:00", "T1", "Not Started", "In Progress"),
        change("10:00", "T1", "In Progress", "Completed"),
        change("10:00", "T2", "Not Started", "In Progress"),
        change("10:00", "T3", "Not Started", "In Progress"),
        change("10:00", "T4", "Not Started", "In Progress"),
        change("11:00", "T3", "In Progress", "Failed"),
        change("11:00", "T4", "In Progress", "Failed"),
        change("11:30", "T3", "Failed", "In Progress"),
        change("12:00", "T2", "In Progress", "Completed"),
        "{\"time\":\"2026-11-21T12:05:00Z\",\"event\":\"conflict\",\"actor\":\"orchestrator\",\"task\":\"T2\"}\n".to_owned(),
        "{\"time\":\"2026-11-21T12:15:00Z\",\"event\":\"integrate\",\"actor\":\"orchestrator\",\"task\":\"T2\",\"detail\":{\"gates\":{\"results\":[{\"passed\":true}]}}}\n".to_owned(),
        change("12:30", "T3", "In Progress", "Completed"),
        "not json at all\n".to_owned(),
    ]
    .concat()
}

/// A repository with the seed plan and the journal above.
fn repo() -> Repo {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.write(".git/orch/journal.jsonl", journal());
    repo
}

#[test]
fn stats_json_has_the_known_answers() {
    let repo = repo();
    let run = repo.orch("orch-plan", &["stats", "--json"]).expect_code(0);
    assert!(
        run.stderr.contains("skipped 1 unreadable line"),
        "{}",
        run.stderr
    );
    let s = run.json();
    assert_eq!(s["completed"], 3);
    assert_eq!(s["failed"], 1);
    assert_eq!(s["success_rate"], 0.75);
    // Wall time 09:00–12:30 = 3.5h; busy 1h + 2h + (1h + 1h) + 1h = 6h; at most 3 at once.
    assert_eq!(s["wall_seconds"], 12_600);
    assert_eq!(s["busy_seconds"], 21_600);
    assert_eq!(s["max_concurrency"], 3);
    let efficiency = s["parallel_efficiency"].as_f64().expect("a number");
    assert!(
        (efficiency - 21_600.0 / (12_600.0 * 3.0)).abs() < 1e-9,
        "{efficiency}"
    );
    let throughput = s["throughput_per_hour"].as_f64().expect("a number");
    assert!((throughput - 3.0 / 3.5).abs() < 1e-9, "{throughput}");
    assert_eq!(s["retries"], 1);
    assert_eq!(s["conflicts"], 1);
    assert_eq!(s["quarantines"], 0);
    assert_eq!(s["integration_latency"]["mean_seconds"], 900.0);
    assert_eq!(s["gate_pass_rate"], 1.0);
    // T1 1h + T2 3h + T3 3h estimated for the completed tasks; they took 1h + 2h + 2h.
    assert_eq!(s["estimate_vs_actual"]["estimated_seconds"], 25_200);
    assert_eq!(s["estimate_vs_actual"]["actual_seconds"], 18_000);
    assert_eq!(s["tasks"].as_array().map(Vec::len), Some(7));
    assert_eq!(s["unreadable"], 0);
}

#[test]
fn stats_from_real_commands_count_outcomes_and_retries() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    for args in [
        &["claim", "T1", "--agent", "a"][..],
        &["status", "T1", "completed", "--agent", "a"],
        &["claim", "T2", "--agent", "b"],
        &["status", "T2", "failed", "--agent", "b"],
        &["status", "T2", "in_progress", "--agent", "b"],
        &["claim", "T3", "--agent", "c"],
        &["status", "T3", "failed", "--agent", "c"],
    ] {
        repo.orch("orch-plan", args).expect_code(0);
    }
    let s = repo
        .orch("orch-plan", &["stats", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(
        (s["completed"].as_u64(), s["failed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["success_rate"], 0.5);
    assert_eq!(s["retries"], 1);
    assert_eq!(s["conflicts"], 0);
    let human = repo.orch("orch-plan", &["stats"]).expect_code(0);
    assert!(
        human.stdout.contains("Success rate         50%"),
        "{}",
        human.stdout
    );
}

#[test]
fn stats_write_changes_only_the_metrics_table() {
    let repo = repo();
    let run = repo
        .orch("orch-plan", &["stats", "--write", "--agent", "lead"])
        .expect_code(0);
    assert!(
        run.stdout.contains("wrote 10 metric(s) (7 new row(s))"),
        "{}",
        run.stdout
    );
    let after = repo.read("MULTI_AGENT_PLAN.md");
    let start = AUTH_PLAN
        .find("| Metric | Target")
        .expect("the seed has the table");
    let end = start + AUTH_PLAN[start..].find("\n\n").expect("the table ends") + 1;
    assert_eq!(
        &after[..start],
        &AUTH_PLAN[..start],
        "bytes before the table"
    );
    assert!(after.ends_with(&AUTH_PLAN[end..]), "bytes after the table");
    let table = &after[start..after.len() - (AUTH_PLAN.len() - end)];
    assert_eq!(
        table,
        "| Metric | Target | Actual | Delta |\n\
         |--------|--------|--------|-------|\n\
         | Total Duration | 8 hours | 3.5h | -4.5h |\n\
         | Total Cost | $0.75 | - | - |\n\
         | Time Savings vs Sequential | 66% | 42% | -24 pts |\n\
         | Quality Gate Pass Rate | 100% | 100% | +0 pts |\n\
         | Success Rate | - | 75% | - |\n\
         | Throughput per Hour | - | 0.86 tasks/h | - |\n\
         | Parallel Efficiency | - | 57% | - |\n\
         | Retries | - | 1 | - |\n\
         | Conflicts | - | 1 | - |\n\
         | Quarantines | - | 0 | - |\n\
         | Integration Latency (mean) | - | 15m | - |\n"
    );
    repo.orch("orch-plan", &["check"]).expect_code(0);
    let journal = repo.read(".git/orch/journal.jsonl");
    let last: serde_json::Value =
        serde_json::from_str(journal.lines().last().expect("a line")).expect("JSON");
    assert_eq!(last["event"], "stats");
    assert_eq!(last["actor"], "lead");

    // The same figures again: nothing to write, nothing journaled.
    let run = repo.orch("orch-plan", &["stats", "--write"]).expect_code(0);
    assert!(run.stdout.contains("up to date"), "{}", run.stdout);
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), after);
    assert_eq!(repo.read(".git/orch/journal.jsonl"), journal);
}
