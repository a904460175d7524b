//! Atomic coordination with real processes: compare-and-swap chains, claim races, `kill -9`
//! at random moments, byte preservation, and bad input that changes nothing.

use std::process::Stdio;
use std::thread;
use std::time::Duration;

use orch_e2e::{Repo, plan_with_tasks};
use serde_json::json;

const PLAN: &str = "MULTI_AGENT_PLAN.md";

fn statuses(repo: &Repo) -> Vec<String> {
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    shown["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| t["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

fn journal_lines(repo: &Repo) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(repo.root().join(".git/orch/journal.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("journal lines are JSON"))
        .collect()
}

#[test]
fn thirty_two_processes_chain_fifty_compare_and_swaps_each() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(32, "In Progress"));
    let root = repo.root().to_owned();
    let workers: Vec<_> = (0..32)
        .map(|i| {
            let root = root.clone();
            thread::spawn(move || {
                let task = format!("T{i}");
                let mut current = "In Progress";
                for step in 0..50 {
                    let next = if current == "In Progress" {
                        "Blocked"
                    } else {
                        "In Progress"
                    };
                    let run = orch_e2e::run_in(
                        &orch_e2e::bin("orch-plan"),
                        &[
                            "status",
                            &task,
                            next,
                            "--expect",
                            current,
                            "--lock-timeout",
                            "120s",
                            "--agent",
                            &format!("agent-{i}"),
                        ],
                        &root,
                        &[],
                    );
                    assert_eq!(run.code, Some(0), "{task} step {step}: {}", run.stderr);
                    current = next;
                }
                current
            })
        })
        .collect();
    let finals: Vec<&str> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    assert!(
        finals.iter().all(|f| *f == "In Progress"),
        "after 50 toggles every chain is back where it started"
    );
    // A lost update would have broken a chain: every --expect above succeeded, and the plan agrees.
    assert!(statuses(&repo).iter().all(|s| s == "In Progress"));
    let journal = journal_lines(&repo);
    assert_eq!(
        journal.iter().filter(|e| e["event"] == "status").count(),
        32 * 50
    );
    repo.orch("orch-plan", &["check"]).expect_code(0);
}

#[test]
fn sixteen_processes_claim_one_task_and_exactly_one_wins() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(3, "Not Started"));
    let children: Vec<_> = (0..16)
        .map(|i| {
            repo.orch_command(
                "orch-plan",
                &[
                    "claim",
                    "T1",
                    "--agent",
                    &format!("agent-{i}"),
                    "--lock-timeout",
                    "60s",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
        })
        .collect();
    let codes: Vec<Option<i32>> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait").status.code())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(3)).count(),
        15,
        "{codes:?}"
    );
    assert_eq!(
        statuses(&repo),
        ["Not Started", "In Progress", "Not Started"]
    );
    let claims: Vec<_> = journal_lines(&repo)
        .into_iter()
        .filter(|e| e["event"] == "claim")
        .collect();
    assert_eq!(claims.len(), 1);
    // The winner is recorded in the Execution Log, and claiming again is a harmless no-op for it.
    let winner = claims[0]["actor"].as_str().expect("actor").to_owned();
    assert!(repo.read(PLAN).contains(&format!("| T1 | {winner} |")));
    repo.orch("orch-plan", &["claim", "T1", "--agent", &winner])
        .expect_code(0);
}

#[test]
fn kill_dash_nine_at_random_moments_never_tears_the_plan() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(4, "In Progress"));
    let original = repo.read(PLAN);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut current = "In Progress".to_owned();
    for round in 0..200 {
        let next = if current == "In Progress" {
            "Blocked"
        } else {
            "In Progress"
        };
        let before = repo.read(PLAN);
        let mut child = repo
            .orch_command(
                "orch-plan",
                &["status", "T2", next, "--lock-timeout", "30s"],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        thread::sleep(Duration::from_micros(seed % 12_000));
        let _ = child.kill();
        let _ = child.wait();
        // The plan parses and is either the old or the new version.
        let after = repo.read(PLAN);
        let status = statuses(&repo)[2].clone();
        assert!(
            status == current || status == next,
            "round {round}: {status}"
        );
        if status == current {
            assert_eq!(
                after, before,
                "round {round}: not updated, so not a byte changed"
            );
        }
        current = status;
        // The next update proceeds: a stale lock is broken, leftover temp files are cleaned up.
        let next = if current == "In Progress" {
            "Blocked"
        } else {
            "In Progress"
        };
        repo.orch(
            "orch-plan",
            &[
                "status",
                "T2",
                next,
                "--expect",
                &current,
                "--lock-timeout",
                "30s",
            ],
        )
        .expect_code(0);
        current = next.to_owned();
    }
    let leftovers: Vec<String> = std::fs::read_dir(repo.root())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".lock") || n.contains(".lock."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Nothing outside T2's Status cell and its Execution Log row changed.
    let restore = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.starts_with("| T2 "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(restore(&repo.read(PLAN)), restore(&original));
}

#[test]
fn only_the_edited_cells_change_crlf_bom_pipes_emoji_padding_extra_columns() {
    let repo = Repo::new();
    let plan = "\u{feff}# Plan \u{1F680}\r\n\r\nIntro text with a | pipe.\r\n\r\n\
        | Notes | Task ID | Status        | Description | Dependencies |\r\n\
        |:------|---------|:-------------:|-------------|--------------|\r\n\
        | a \\| b | T1      | Not Started   | 中文 and \u{1F600} | - |\r\n\
        | keep  | T2      |  Not Started  | `code \\| span` | T1 |\r\n\
        \r\nTrailing text.\r\n";
    repo.write(PLAN, plan);
    repo.orch("orch-plan", &["status", "T1", "In Progress"])
        .expect_code(0);
    let expected = plan.replace("| T1      | Not Started   |", "| T1      | In Progress   |");
    assert_eq!(repo.read(PLAN), expected);
    repo.orch("orch-plan", &["status", "T1", "completed"])
        .expect_code(0);
    repo.orch("orch-plan", &["status", "t2", "in_progress"])
        .expect_code(0);
    let expected = expected
        .replace("| T1      | In Progress   |", "| T1      | Completed     |")
        .replace("| T2      |  Not Started  |", "| T2      |  In Progress  |");
    assert_eq!(repo.read(PLAN), expected);
}

#[test]
fn the_execution_log_follows_each_transition() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(2, "Not Started"));
    repo.orch("orch-plan", &["claim", "T0", "--agent", "builder-1"])
        .expect_code(0);
    repo.orch(
        "orch-plan",
        &["status", "T0", "Completed", "--note", "done | shipped"],
    )
    .expect_code(0);
    let plan = repo.read(PLAN);
    let row = plan
        .lines()
        .filter(|l| l.starts_with("| T0 |"))
        .nth(1)
        .expect("log row");
    let cells: Vec<&str> = row.split(" | ").collect();
    assert_eq!(cells[1], "builder-1");
    assert!(cells[2].ends_with('Z') && cells[3].ends_with('Z'), "{row}");
    assert!(cells[4].ends_with('s') || cells[4].ends_with('m'), "{row}");
    assert_eq!(
        cells[5].trim(),
        "Completed",
        "padded to keep the column aligned"
    );
    assert!(row.ends_with("done \\| shipped |"), "{row}");
    let log = repo
        .orch("orch-plan", &["log", "--task", "T0", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(log.as_array().map(Vec::len), Some(2));
    assert_eq!(log[0]["event"], json!("claim"));
    assert_eq!(log[1]["old"], json!("In Progress"));
    assert_eq!(log[1]["new"], json!("Completed"));
}

#[test]
fn claim_waits_for_dependencies_and_transitions_are_enforced() {
    let repo = Repo::new();
    repo.write(PLAN, orch_e2e::AUTH_PLAN);
    let run = repo
        .orch("orch-plan", &["claim", "T5", "--agent", "v"])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("T2 (Not Started), T3 (Not Started), T4 (Not Started)"),
        "{}",
        run.stderr
    );
    let run = repo
        .orch("orch-plan", &["status", "T1", "Completed"])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("cannot go from Not Started to Completed"),
        "{}",
        run.stderr
    );
    repo.orch("orch-plan", &["status", "T1", "Completed", "--force"])
        .expect_code(0);
    repo.orch("orch-plan", &["claim", "T2", "--agent", "b1"])
        .expect_code(0);
    // Setting the status a task already has is a harmless no-op, so retrying is safe.
    let run = repo
        .orch("orch-plan", &["status", "T2", "In Progress", "--json"])
        .expect_code(0);
    assert_eq!(run.json()["changed"], json!(false));
}

#[test]
fn block_records_the_blocker_in_the_seed_format() {
    let repo = Repo::new();
    repo.write(PLAN, orch_e2e::AUTH_PLAN);
    repo.orch("orch-plan", &["status", "T1", "In Progress"])
        .expect_code(0);
    repo.orch(
        "orch-plan",
        &[
            "block",
            "T1",
            "--severity",
            "high",
            "--type",
            "decision",
            "--description",
            "Which provider?",
            "--resolution",
            "Product decision",
            "--escalate",
            "--agent",
            "architect-001",
        ],
    )
    .expect_code(0);
    let plan = repo.read(PLAN);
    let at = plan
        .find("### T1 - architect-001 - ")
        .expect("blocker heading");
    let entry = &plan[at..];
    for line in [
        "**Severity:** High",
        "**Blocker Type:** Decision",
        "**Description:** Which provider?",
        "**Required Resolution:** Product decision",
        "**Escalation:** Yes",
    ] {
        assert!(entry.contains(line), "{line}");
    }
    assert!(
        at < plan.find("## Execution Timeline").expect("timeline"),
        "inside Notes and Blockers"
    );
    assert_eq!(statuses(&repo)[0], "Blocked");
    // The orchestrator hears about it in the message log.
    let messages = repo
        .orch(
            "orch-plan",
            &["msg", "list", "--to", "Orchestrator", "--json"],
        )
        .expect_code(0)
        .json();
    assert_eq!(messages[0]["type"], json!("Blocker"));
    assert_eq!(messages[0]["task"], json!("T1"));
    assert_eq!(messages[0]["priority"], json!("High"));
    assert!(
        messages[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("Which provider?"))
    );
    let run = repo
        .orch(
            "orch-plan",
            &[
                "block",
                "T2",
                "--severity",
                "huge",
                "--type",
                "decision",
                "--description",
                "x",
                "--resolution",
                "y",
            ],
        )
        .expect_code(1);
    assert!(
        run.stderr
            .contains("severity \"huge\" is not one of Critical, High, Medium or Low"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_input_changes_nothing() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(2, "Not Started"));
    let before = repo.read(PLAN);
    let cases: [(&[&str], i32, &str); 7] = [
        (&["status", "T9", "Blocked"], 1, "task T9 is not in"),
        (&["status", "T0", "Done"], 1, "unknown status \"Done\""),
        (&["status", "../x", "Blocked"], 1, "task id \"../x\""),
        (
            &["status", "T0", "Completed"],
            1,
            "cannot go from Not Started to Completed",
        ),
        (
            &["status", "T0", "Blocked", "--note", "two\nlines"],
            1,
            "line break",
        ),
        (
            &["status", "T0", "Blocked", "--note", "bidi \u{202e} trick"],
            1,
            "U+202E",
        ),
        (
            &["status", "T0", "Blocked", "--expect", "In Progress"],
            3,
            "not In Progress",
        ),
    ];
    for (args, code, needle) in cases {
        let run = repo.orch("orch-plan", args).expect_code(code);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert_eq!(repo.read(PLAN), before, "{args:?} changed the plan");
    }
    assert!(journal_lines(&repo).is_empty());
}

#[test]
fn a_read_only_plan_and_a_live_lock_are_refused() {
    let repo = Repo::new();
    repo.write(PLAN, plan_with_tasks(2, "Not Started"));
    let before = repo.read(PLAN);
    let path = repo.root().join(PLAN);
    let mut permissions = std::fs::metadata(&path).expect("metadata").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions.clone()).expect("chmod");
    let run = repo
        .orch("orch-plan", &["status", "T0", "Blocked"])
        .expect_code(1);
    assert!(run.stderr.contains("read-only"), "{}", run.stderr);
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&path, permissions).expect("chmod");

    let mut holder = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("sleep");
    repo.write(
        "MULTI_AGENT_PLAN.md.lock",
        format!("pid: {}\n", holder.id()),
    );
    let run = repo
        .orch(
            "orch-plan",
            &["status", "T0", "Blocked", "--lock-timeout", "1"],
        )
        .expect_code(3);
    assert!(
        run.stderr
            .contains(&format!("locked by pid {}", holder.id())),
        "{}",
        run.stderr
    );
    let run = repo
        .orch(
            "orch-plan",
            &["status", "T0", "Blocked", "--lock-timeout", "1", "--json"],
        )
        .expect_code(3);
    assert_eq!(run.stderr_json()["error"]["kind"], json!("conflict"));
    assert_eq!(repo.read(PLAN), before);
    // Once the holder is gone, its lock is stale: the next update breaks it and says so.
    let _ = holder.kill();
    let _ = holder.wait();
    repo.orch("orch-plan", &["status", "T0", "Blocked"])
        .expect_code(0);
    assert!(
        journal_lines(&repo)
            .iter()
            .any(|e| e["event"] == "lock_broken")
    );
}

#[test]
fn a_task_without_an_execution_log_row_gets_one() {
    let repo = Repo::new();
    let plan =
        plan_with_tasks(3, "Not Started").replace("| T1 | - | - | - | - | Not Started | - |\n", "");
    repo.write(PLAN, &plan);
    repo.orch("orch-plan", &["claim", "T1", "--agent", "builder-7"])
        .expect_code(0);
    let after = repo.read(PLAN);
    let rows = after
        .lines()
        .filter(|l| l.starts_with("| T") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit));
    let log_rows: Vec<&str> = rows.skip(3).collect();
    assert_eq!(log_rows.len(), 3, "{after}");
    assert!(
        log_rows[2].starts_with("| T1 | builder-7 | 20"),
        "{}",
        log_rows[2]
    );
    assert!(
        log_rows[2].ends_with("| - | - | In Progress | - |"),
        "{}",
        log_rows[2]
    );
    // Everything before the new row is as it was.
    let at = after.find(log_rows[2]).expect("new row");
    assert_eq!(
        after[..at].replace(
            "| T1 | Task number 1 | Builder / `builder-skill` | - | - | A | In Progress | - | 1h |",
            "| T1 | Task number 1 | Builder / `builder-skill` | - | - | A | Not Started | - | 1h |"
        ),
        plan[..at]
    );
    repo.orch("orch-plan", &["check"]).expect_code(0);
}
