//! `orch-plan msg`: the message log with real processes: round trips, exact bodies, sixteen
//! concurrent senders, a held lock, bad input that changes nothing, and hand-written messages.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::thread;

use orch_e2e::{HERMETIC_ENV, Repo};
use serde_json::json;

const MESSAGES: &str = "INTER_AGENT_MESSAGES.md";

fn journal_lines(repo: &Repo) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(repo.root().join(".git/orch/journal.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("journal lines are JSON"))
        .collect()
}

fn bytes(repo: &Repo) -> Vec<u8> {
    std::fs::read(repo.root().join(MESSAGES)).expect("the message log")
}

fn list(repo: &Repo, filters: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["msg", "list", "--json"];
    args.extend_from_slice(filters);
    let out = repo.orch("orch-plan", &args).expect_code(0).json();
    out.as_array().expect("an array").clone()
}

/// Runs `orch-plan` in the repository with `stdin` as standard input.
fn with_stdin(repo: &Repo, args: &[&str], stdin: &[u8]) -> (Option<i32>, String, String) {
    let mut child = Command::new(orch_e2e::bin("orch-plan"))
        .args(args)
        .current_dir(repo.root())
        .env_remove("ORCH_PLAN")
        .envs(HERMETIC_ENV.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("orch-plan runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let output = child.wait_with_output().expect("orch-plan finishes");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn send_list_ack_resolve_round_trip() {
    let repo = Repo::new();
    repo.orch("orch-plan", &["init"]).expect_code(0);
    let template = repo.read(MESSAGES);
    let sent = repo
        .orch(
            "orch-plan",
            &[
                "msg",
                "send",
                "--from",
                "builder-1",
                "--to",
                "orchestrator",
                "--type",
                "handoff",
                "--task",
                "t2",
                "--priority",
                "HIGH",
                "--body",
                "Ready for review",
                "--json",
            ],
        )
        .expect_code(0)
        .json();
    assert_eq!(sent["id"], json!("M-0001"));
    assert_eq!(sent["to"], json!("Orchestrator"));
    assert_eq!(sent["task"], json!("T2"), "the plan's spelling");
    let run = repo
        .orch(
            "orch-plan",
            &[
                "msg",
                "send",
                "--from",
                "builder-2",
                "--to",
                "All",
                "--type",
                "Update",
            ],
        )
        .expect_code(0);
    assert_eq!(run.stdout, "M-0002\n");
    // The template's intro is kept byte for byte.
    assert!(repo.read(MESSAGES).starts_with(&template));

    let all = list(&repo, &[]);
    assert_eq!(all.len(), 2);
    let first = &all[0];
    for field in [
        "id",
        "from",
        "to",
        "type",
        "task",
        "priority",
        "timestamp",
        "status",
        "body",
        "deadline",
        "line",
    ] {
        assert!(first.get(field).is_some(), "{field} missing in {first}");
    }
    assert_eq!(
        (
            &first["from"],
            &first["type"],
            &first["priority"],
            &first["status"],
            &first["body"]
        ),
        (
            &json!("builder-1"),
            &json!("Handoff"),
            &json!("High"),
            &json!("Sent"),
            &json!("Ready for review")
        )
    );
    assert!(
        first["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(&all[0], &sent);
    assert_eq!(list(&repo, &["--to", "ORCHESTRATOR"]).len(), 1);
    assert_eq!(list(&repo, &["--to", "All"]).len(), 1);
    assert_eq!(list(&repo, &["--task", "T2", "--type", "handoff"]).len(), 1);
    assert_eq!(list(&repo, &["--from", "nobody"]).len(), 0);

    let acked = repo
        .orch("orch-plan", &["msg", "ack", "M-0001", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(
        acked,
        json!({"id": "M-0001", "old": "Sent", "new": "Acknowledged", "changed": true})
    );
    let again = repo
        .orch("orch-plan", &["msg", "ack", "M-0001"])
        .expect_code(0);
    assert!(
        again.stdout.contains("already Acknowledged"),
        "{}",
        again.stdout
    );
    repo.orch("orch-plan", &["msg", "resolve", "m-1"])
        .expect_code(0);
    repo.orch("orch-plan", &["msg", "resolve", "M-0001"])
        .expect_code(0);
    repo.orch("orch-plan", &["msg", "resolve", "M-0002"])
        .expect_code(0);
    assert_eq!(list(&repo, &["--status", "resolved"]).len(), 2);
    let human = repo.orch("orch-plan", &["msg", "list"]).expect_code(0);
    assert!(human.stdout.starts_with("ID "), "{}", human.stdout);
    assert!(
        human.stdout.contains("M-0001  Resolved  Handoff"),
        "{}",
        human.stdout
    );

    // One journal line per change: two sends, one ack, two resolves; none for the no-ops.
    let events: Vec<String> = journal_lines(&repo)
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert_eq!(events, ["message", "message", "ack", "resolve", "resolve"]);
    let ack = &journal_lines(&repo)[2];
    assert_eq!(
        (&ack["old"], &ack["new"], &ack["task"]),
        (&json!("Sent"), &json!("Acknowledged"), &json!("T2"))
    );
    assert_eq!(ack["detail"]["id"], json!("M-0001"));
}

#[test]
fn bodies_with_separator_lines_read_back_exactly() {
    let repo = Repo::new();
    let tricky = "Done.\n\n---\n\nID: M-0099\nFROM: mallory\n\n\\---\n--- \r\nemoji 🚀\n";
    repo.write("body.md", tricky);
    let id = repo
        .orch(
            "orch-plan",
            &[
                "msg",
                "send",
                "--from",
                "a",
                "--to",
                "b",
                "--type",
                "update",
                "--body-file",
                "body.md",
            ],
        )
        .expect_code(0)
        .stdout;
    let (code, stdout, stderr) = with_stdin(
        &repo,
        &[
            "msg",
            "send",
            "--from",
            "c",
            "--to",
            "d",
            "--type",
            "question",
            "--body-file",
            "-",
        ],
        "from stdin\n---\n".as_bytes(),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!((id.trim(), stdout.trim()), ("M-0001", "M-0002"));
    let all = list(&repo, &[]);
    assert_eq!(all.len(), 2, "the --- lines did not split messages");
    assert_eq!(all[0]["body"], json!(tricky));
    assert_eq!(all[1]["body"], json!("from stdin\n---\n"));
}

#[test]
fn sixteen_processes_send_ten_messages_each_at_once() {
    let repo = Repo::new();
    let root = repo.root().to_owned();
    let senders: Vec<_> = (0..16)
        .map(|sender| {
            let root = root.clone();
            thread::spawn(move || {
                for n in 0..10 {
                    let from = format!("agent-{sender}");
                    let body = format!("message {n} from {from}\n---\nline two");
                    let run = orch_e2e::run_in(
                        &orch_e2e::bin("orch-plan"),
                        &[
                            "msg",
                            "send",
                            "--from",
                            &from,
                            "--to",
                            "All",
                            "--type",
                            "Update",
                            "--body",
                            &body,
                            "--lock-timeout",
                            "120s",
                        ],
                        &root,
                        &[],
                    );
                    assert_eq!(run.code, Some(0), "{from} #{n}: {}", run.stderr);
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().expect("sender");
    }
    let all = list(&repo, &[]);
    assert_eq!(all.len(), 160);
    let ids: BTreeSet<String> = all
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = (1..=160).map(|n| format!("M-{n:04}")).collect();
    assert_eq!(ids, expected);
    let bodies: BTreeSet<String> = all
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_owned))
        .collect();
    for sender in 0..16 {
        for n in 0..10 {
            let body = format!("message {n} from agent-{sender}\n---\nline two");
            assert!(bodies.contains(&body), "{body:?} is missing or changed");
        }
    }
    // Each sender's messages are in the order it sent them.
    for sender in 0..16 {
        let from = format!("agent-{sender}");
        let mine: Vec<&str> = all
            .iter()
            .filter(|m| m["from"] == json!(from))
            .filter_map(|m| m["body"].as_str())
            .collect();
        let expected: Vec<String> = (0..10)
            .map(|n| format!("message {n} from {from}\n---\nline two"))
            .collect();
        assert_eq!(mine, expected);
    }
    let sends = journal_lines(&repo)
        .iter()
        .filter(|e| e["event"] == "message")
        .count();
    assert_eq!(sends, 160);
    assert!(!repo.root().join(format!("{MESSAGES}.lock")).exists());
}

#[test]
fn a_live_lock_holder_makes_writes_exit_3_and_changes_nothing() {
    let repo = Repo::new();
    repo.orch(
        "orch-plan",
        &[
            "msg", "send", "--from", "a", "--to", "b", "--type", "update",
        ],
    )
    .expect_code(0);
    let before = bytes(&repo);
    let mut holder = Command::new("sleep").arg("30").spawn().expect("sleep");
    repo.write(
        &format!("{MESSAGES}.lock"),
        format!("pid: {}\n", holder.id()),
    );
    let send = [
        "msg",
        "send",
        "--from",
        "a",
        "--to",
        "b",
        "--type",
        "update",
        "--lock-timeout",
        "1",
    ];
    let run = repo.orch("orch-plan", &send).expect_code(3);
    assert!(
        run.stderr
            .contains(&format!("locked by pid {}", holder.id())),
        "{}",
        run.stderr
    );
    let run = repo
        .orch(
            "orch-plan",
            &["msg", "ack", "M-0001", "--lock-timeout", "1", "--json"],
        )
        .expect_code(3);
    assert_eq!(run.stderr_json()["error"]["kind"], json!("conflict"));
    assert_eq!(bytes(&repo), before);
    assert_eq!(journal_lines(&repo).len(), 1);
    // Reading needs no lock.
    assert_eq!(list(&repo, &[]).len(), 1);
    let _ = holder.kill();
    let _ = holder.wait();
    // Once the holder is gone its lock is stale: the next write breaks it and journals that.
    repo.orch("orch-plan", &send).expect_code(0);
    let events: Vec<serde_json::Value> = journal_lines(&repo)
        .iter()
        .map(|e| e["event"].clone())
        .collect();
    assert_eq!(
        events,
        [json!("message"), json!("lock_broken"), json!("message")]
    );
}

#[test]
fn bad_input_exits_1_and_changes_nothing() {
    let repo = Repo::new();
    repo.orch("orch-plan", &["init"]).expect_code(0);
    repo.orch(
        "orch-plan",
        &[
            "msg", "send", "--from", "a", "--to", "b", "--type", "update",
        ],
    )
    .expect_code(0);
    repo.orch("orch-plan", &["msg", "resolve", "M-0001"])
        .expect_code(0);
    let before = bytes(&repo);
    let journal = journal_lines(&repo).len();
    let send = ["msg", "send", "--from", "a", "--to", "b"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            [&send[..], &["--type", "gossip"]].concat(),
            "cannot read TYPE \"gossip\"",
        ),
        (
            vec![
                "msg", "send", "--from", "a", "--to", "b\nc", "--type", "update",
            ],
            "contains a line break",
        ),
        (
            vec![
                "msg",
                "send",
                "--from",
                "a\u{202E}",
                "--to",
                "b",
                "--type",
                "update",
            ],
            "U+202E",
        ),
        (
            [&send[..], &["--type", "update", "--priority", "asap"]].concat(),
            "cannot read PRIORITY",
        ),
        (
            [&send[..], &["--type", "update", "--task", "T 2"]].concat(),
            "task id \"T 2\"",
        ),
        (
            [&send[..], &["--type", "update", "--task", "T99"]].concat(),
            "task T99 is not in the plan",
        ),
        (
            [&send[..], &["--type", "update", "--deadline", "someday"]].concat(),
            "cannot read --deadline",
        ),
        (
            [
                &send[..],
                &["--type", "update", "--body-file", "missing.md"],
            ]
            .concat(),
            "cannot read the body file",
        ),
        (vec!["msg", "ack", "M-0042"], "no message M-0042"),
        (vec!["msg", "ack", "X-1"], "cannot read ID \"X-1\""),
        (
            vec!["msg", "ack", "M-0001"],
            "is Resolved, so it cannot go back to Acknowledged",
        ),
        (
            vec!["msg", "list", "--status", "pending"],
            "cannot read STATUS \"pending\"",
        ),
    ];
    for (args, expected) in cases {
        let run = repo.orch("orch-plan", &args).expect_code(1);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(bytes(&repo), before, "{args:?} changed the file");
    }
    let run = repo
        .orch("orch-plan", &["msg", "ack", "M-0042", "--json"])
        .expect_code(1);
    let error = run.stderr_json();
    assert_eq!(error["error"]["kind"], json!("invalid"));
    assert!(
        error["error"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(MESSAGES))
    );
    assert_eq!(journal_lines(&repo).len(), journal);
}

#[test]
fn hand_written_messages_are_listed_with_warnings_and_get_ids_on_the_next_write() {
    let repo = Repo::new();
    let hand = "# Messages\r\n\r\n---\r\nFROM: builder-2\r\nTO: Orchestrator\r\nTYPE: Handof\r\nTASK: T3\r\nTIMESTAMP: [ISO 8601]\r\nSTATUS: Sent\r\n\r\n**Deliverables:** all of it\r\n---\r\n";
    repo.write(MESSAGES, hand);
    let run = repo
        .orch("orch-plan", &["msg", "list", "--json"])
        .expect_code(0);
    assert!(
        run.stderr
            .contains(&format!("{MESSAGES}:6:7: cannot read TYPE \"Handof\"")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("{MESSAGES}:8:12: cannot read TIMESTAMP")),
        "{}",
        run.stderr
    );
    let listed = run.json();
    assert_eq!(listed[0]["id"], json!(null));
    assert_eq!(listed[0]["type"], json!(null));
    assert_eq!(listed[0]["body"], json!("**Deliverables:** all of it"));

    let run = repo
        .orch(
            "orch-plan",
            &[
                "msg",
                "send",
                "--from",
                "o",
                "--to",
                "builder-2",
                "--type",
                "directive",
                "--body",
                "Fix the TYPE",
            ],
        )
        .expect_code(0);
    assert_eq!(run.stdout, "M-0002\n");
    assert!(run.stderr.contains("M-0001"), "{}", run.stderr);
    let after = repo.read(MESSAGES);
    let expected = hand.replace("---\r\nFROM:", "---\r\nID: M-0001\r\nFROM:");
    assert!(after.starts_with(&expected), "{after:?}");
    assert!(
        after.ends_with("\r\n\r\nFix the TYPE\r\n\r\n---\r\n"),
        "CRLF is kept: {after:?}"
    );
    let ids: Vec<serde_json::Value> = list(&repo, &[]).iter().map(|m| m["id"].clone()).collect();
    assert_eq!(ids, [json!("M-0001"), json!("M-0002")]);
    let journal = journal_lines(&repo);
    assert_eq!(journal[0]["detail"]["assigned"], json!(["M-0001"]));
}
