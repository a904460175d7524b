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
        run.stderr.contains("skipped 1 unreadable line of ") && run.stderr.contains("(line 13)"),
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
    // The line that is not JSON.
    assert_eq!(s["unreadable"], 1);
    assert_eq!(s["unreadable_lines"], serde_json::json!([13]));
    assert_eq!(s["future_entries"], 0);
    // T3 is retried once from Failed: two attempts; T2 has one.
    assert_eq!(s["tasks"][2]["attempts"], 2);
    assert_eq!(s["tasks"][1]["attempts"], 1);
    // The seed plan's statuses are not the journal's: it says nothing was started.
    let disagreements = s["disagreements"].as_array().expect("a list");
    assert_eq!(disagreements.len(), 4, "{disagreements:?}");
    assert_eq!(disagreements[0]["task"], "T1");
    assert_eq!(disagreements[0]["journal"], "Completed");
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
         | Total Duration | 8 hours | 3h 30m | -4h 30m |\n\
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

#[test]
fn stats_counts_every_unreadable_line_once_and_names_them() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    let journal = [
        change("09:00", "T1", "Not Started", "In Progress"),
        "garbage\n".to_owned(),
        "\0\0\0\n".to_owned(),
        "[1,2]\n".to_owned(),
        "{\"time\":\"2026-11-21T09:30:00Z\",\"event\":\"status\",\"task\":\"T1\",\"new\":\"Failed\"}\n".to_owned(),
        "{\"time\":\"half past nine\",\"event\":\"status\",\"actor\":\"a\",\"task\":\"T1\",\"new\":\"Failed\"}\n".to_owned(),
        change("10:00", "T1", "In Progress", "Completed"),
        "{\"time\":\"2099-01-01T00:00:00Z\",\"event\":\"status\",\"actor\":\"a\",\"task\":\"T2\",\"old\":\"Not Started\",\"new\":\"In Progress\"}\n".to_owned(),
    ]
    .concat();
    repo.write(".git/orch/journal.jsonl", journal);
    let path = repo.root().join(".git/orch/journal.jsonl");

    let human = repo.orch("orch-plan", &["stats"]).expect_code(0);
    assert!(
        human.stderr.contains(&format!(
            "warning: skipped 5 unreadable lines of {} (lines 2, 3, 4, 5 and 6); ",
            path.display()
        )),
        "{}",
        human.stderr
    );
    assert!(
        human.stderr.contains(&format!(
            "warning: skipped 1 entry of {} dated after now, ",
            path.display()
        )) && human.stderr.contains("(line 8)"),
        "{}",
        human.stderr
    );
    // The entry dated 2099 does not stretch the wall time: T1 ran 09:00–10:00.
    assert!(
        human.stdout.contains("Wall time            1h\n"),
        "{}",
        human.stdout
    );

    let s = repo
        .orch("orch-plan", &["stats", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(s["unreadable"], 5);
    assert_eq!(s["unreadable_lines"], serde_json::json!([2, 3, 4, 5, 6]));
    assert_eq!(s["future_entries"], 1);
    assert_eq!(s["future_lines"], serde_json::json!([8]));
    assert_eq!(s["wall_seconds"], 3600);
}

#[test]
fn read_only_commands_say_they_cannot_read_a_journal_that_is_a_directory() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    let path = repo.root().join(".git/orch/journal.jsonl");
    std::fs::create_dir_all(&path).expect("a directory where the journal goes");
    for args in [
        &["stats"][..],
        &["stats", "--json"],
        &["log"],
        &["watch", "--once"],
    ] {
        let run = repo.orch("orch-plan", args).expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("cannot read the journal {}: ", path.display())),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("cannot write") && !run.stderr.contains("change itself was made"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn log_reads_naturally_for_an_entry_without_a_task() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.write(
        ".git/orch/journal.jsonl",
        "{\"time\":\"2026-11-21T12:00:00Z\",\"event\":\"message\",\"actor\":\"b2\",\"new\":\"Sent\",\"detail\":{\"id\":\"M-0001\"}}\n",
    );
    let run = repo.orch("orch-plan", &["log"]).expect_code(0);
    assert_eq!(
        run.stdout,
        "2026-11-21T12:00:00Z  message      b2               M-0001: Sent\n"
    );
}
