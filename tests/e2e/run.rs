//! `orch-plan prompt` and `orch-worktree run` end to end, with real processes as agents: the
//! brief, dependency order, concurrency within a group, `--max-parallel 1`, failures that hold
//! back only their dependents, retries, timeouts that kill the process group, statuses set by
//! the agent, and two conductors on one plan.
//!
//! The agents are small `sh -c` scripts: the conductor passes them as argv, never to a shell.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use orch_e2e::{Repo, Run, bin};
use serde_json::Value;

const PLAN: &str = "MULTI_AGENT_PLAN.md";

/// A matrix row: id, agent, status, dependencies.
type Row<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A repository whose committed plan has these rows; worktrees go to `../repo-worktrees/<id>`.
fn repo_with(rows: &[Row<'_>]) -> Repo {
    let mut plan = String::from(
        "# Plan\n\n## 2. Project Goal and Scope\n\n### Feature Objective\n\nShip the login page.\n\n\
         ## 3. Task Assignment Matrix\n\n\
         | Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (id, agent, status, deps) in rows {
        plan.push_str(&format!(
            "| {id} | Task {id} | {agent} / `some-skill` | ../repo-worktrees/{id} | feature/{id} | A | {status} | {deps} | 1h |\n"
        ));
    }
    let repo = Repo::new();
    repo.write(PLAN, plan);
    repo.git(&["add", PLAN]);
    repo.git(&["commit", "-q", "-m", "Add the plan"]);
    repo
}

/// Runs `orch-worktree run` with `args`, then `--`, then `sh -c script`.
fn run(repo: &Repo, args: &[&str], script: &str) -> Run {
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", script]);
    repo.orch("orch-worktree", &all)
}

/// The status of every task, from `orch-plan show --json`.
fn statuses(repo: &Repo) -> Vec<(String, String)> {
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    shown["tasks"]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .map(|t| {
                    (
                        t["id"].as_str().unwrap_or_default().to_owned(),
                        t["status"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn status_of(repo: &Repo, id: &str) -> String {
    statuses(repo)
        .into_iter()
        .find(|(t, _)| t == id)
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// The journal's entries.
fn journal(repo: &Repo) -> Vec<Value> {
    let text =
        std::fs::read_to_string(repo.root().join(".git/orch/journal.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `unix_ms` of the journal's `event` entries for `task`.
fn times(entries: &[Value], event: &str, task: &str) -> Vec<u64> {
    entries
        .iter()
        .filter(|e| e["event"] == event && e["task"] == task)
        .filter_map(|e| e["detail"]["unix_ms"].as_u64())
        .collect()
}

/// A directory beside the repository for the agents' marker files.
fn marks(repo: &Repo) -> PathBuf {
    let dir = repo.parent().join("marks");
    std::fs::create_dir_all(&dir).expect("marks dir");
    dir
}

/// An agent script that records its start and end (nanoseconds) in `dir/<task>`, sleeps, and
/// commits a file.
fn timed_agent(dir: &Path, sleep: &str) -> String {
    format!(
        "echo \"$(date +%s%N)\" > '{dir}/'\"$ORCH_TASK\".start; sleep {sleep}; \
         echo \"$ORCH_TASK\" > out.txt && git add out.txt && git commit -qm \"done $ORCH_TASK\"; \
         echo \"$(date +%s%N)\" > '{dir}/'\"$ORCH_TASK\".end",
        dir = dir.display()
    )
}

/// The (start, end) nanoseconds an agent recorded.
fn interval(dir: &Path, task: &str) -> (u128, u128) {
    let read = |suffix: &str| {
        std::fs::read_to_string(dir.join(format!("{task}.{suffix}")))
            .unwrap_or_default()
            .trim()
            .parse::<u128>()
            .unwrap_or_else(|_| panic!("no {suffix} mark for {task}"))
    };
    (read("start"), read("end"))
}

#[test]
fn prompt_brings_the_task_handoffs_messages_and_commands() {
    let repo = repo_with(&[
        ("T1", "Architect", "Completed", "-"),
        ("T2", "Builder", "Not Started", "T1"),
    ]);
    let send = |args: &[&str]| {
        let mut all = vec!["msg", "send"];
        all.extend_from_slice(args);
        repo.orch("orch-plan", &all).expect_code(0);
    };
    send(&[
        "--from",
        "architect-t1",
        "--to",
        "All",
        "--type",
        "Handoff",
        "--task",
        "T1",
        "--body",
        "The API is in api.md.",
    ]);
    send(&[
        "--from",
        "orchestrator",
        "--to",
        "builder-t2",
        "--type",
        "Directive",
        "--body",
        "Use the new client.",
    ]);
    send(&[
        "--from",
        "someone",
        "--to",
        "validator-t9",
        "--type",
        "Question",
        "--body",
        "Not for T2.",
    ]);
    let text = repo
        .orch("orch-plan", &["prompt", "T2"])
        .expect_code(0)
        .stdout;
    for expected in [
        "# Task T2: Task T2",
        "agent `builder-t2`",
        "**Dependencies:** T1",
        "**Branch:** `feature/T2`",
        "Ship the login page.",
        "The API is in api.md.",
        "Use the new client.",
        "claim T2 --agent builder-t2",
        "status T2 completed",
        "block T2 --severity",
        "--type Handoff --task T2",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("Not for T2."), "{text}");
    // A repository may override the template.
    repo.write(
        ".orch/templates/PROMPT.md",
        "custom brief for {{ task.id }} ({{ agent_id }})\n",
    );
    let custom = repo
        .orch("orch-plan", &["prompt", "T2"])
        .expect_code(0)
        .stdout;
    assert_eq!(custom, "custom brief for T2 (builder-t2)\n");
    let missing = repo.orch("orch-plan", &["prompt", "T9"]).expect_code(1);
    assert!(missing.stderr.contains("T9"), "{}", missing.stderr);
}

#[test]
fn run_follows_dependencies_and_runs_a_group_concurrently() {
    let repo = repo_with(&[
        ("T1", "Architect", "Not Started", "-"),
        ("T2", "Builder", "Not Started", "T1"),
        ("T3", "Builder", "Not Started", "T1"),
        ("T4", "Builder", "Not Started", "T1"),
        ("T5", "Validator", "Not Started", "T2, T3, T4"),
    ]);
    let dir = marks(&repo);
    let outcome = run(&repo, &["--max-parallel", "3"], &timed_agent(&dir, "1")).expect_code(0);
    assert!(
        outcome.stdout.contains("5 completed, 0 failed, 0 skipped"),
        "{}",
        outcome.stdout
    );
    assert!(statuses(&repo).iter().all(|(_, s)| s == "Completed"));
    let entries = journal(&repo);
    let start = |t: &str| times(&entries, "run_start", t)[0];
    let exit = |t: &str| times(&entries, "run_exit", t)[0];
    for dependent in ["T2", "T3", "T4"] {
        assert!(
            start(dependent) >= exit("T1"),
            "{dependent} started before T1 ended"
        );
    }
    for dependency in ["T2", "T3", "T4"] {
        assert!(
            start("T5") >= exit(dependency),
            "T5 started before {dependency} ended"
        );
    }
    // The three agents of the group ran at the same time.
    let group: Vec<(u128, u128)> = ["T2", "T3", "T4"]
        .iter()
        .map(|t| interval(&dir, t))
        .collect();
    let latest_start = group.iter().map(|g| g.0).max().unwrap_or_default();
    let earliest_end = group.iter().map(|g| g.1).min().unwrap_or_default();
    assert!(
        latest_start < earliest_end,
        "the group did not overlap: {group:?}"
    );
    // The agents worked in their own worktrees, on their branches.
    let committed = repo.git(&["log", "--format=%s", "feature/T3"]);
    assert!(committed.contains("done T3"), "{committed}");
}

#[test]
fn max_parallel_one_serialises_and_json_prints_one_event_a_line() {
    let repo = repo_with(&[
        ("T1", "Builder", "Not Started", "-"),
        ("T2", "Builder", "Not Started", "-"),
        ("T3", "Builder", "Not Started", "-"),
    ]);
    let dir = marks(&repo);
    let outcome = run(
        &repo,
        &["--all", "--max-parallel", "1", "--json"],
        &timed_agent(&dir, "0.3"),
    )
    .expect_code(0);
    let events: Vec<Value> = outcome
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.iter().all(|e| e["time"].is_string()));
    let last = events.last().cloned().unwrap_or_default();
    assert_eq!(last["event"], "summary");
    assert_eq!(last["completed"].as_array().map(Vec::len), Some(3));
    let mut intervals: Vec<(u128, u128)> = ["T1", "T2", "T3"]
        .iter()
        .map(|t| interval(&dir, t))
        .collect();
    intervals.sort_unstable();
    for pair in intervals.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "two agents overlapped: {intervals:?}"
        );
    }
}

#[test]
fn a_failed_task_holds_back_only_its_dependents() {
    let repo = repo_with(&[
        ("T1", "Builder", "Not Started", "-"),
        ("T2", "Builder", "Not Started", "T1"),
        ("T3", "Builder", "Not Started", "-"),
    ]);
    let script = "if [ \"$ORCH_TASK\" = T1 ]; then echo 'boom: the build broke' >&2; exit 3; fi; \
                  echo ok > out.txt && git add out.txt && git commit -qm ok";
    let outcome = run(&repo, &["--max-parallel", "2"], script).expect_code(1);
    assert_eq!(status_of(&repo, "T1"), "Failed");
    assert_eq!(status_of(&repo, "T2"), "Not Started");
    assert_eq!(status_of(&repo, "T3"), "Completed");
    assert!(
        outcome.stdout.contains("held back by T1 (Failed)"),
        "{}",
        outcome.stdout
    );
    let entries = journal(&repo);
    let failed = entries
        .iter()
        .find(|e| e["event"] == "status" && e["task"] == "T1" && e["new"] == "Failed")
        .cloned()
        .unwrap_or_default();
    let note = failed["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("code 3") && note.contains("boom: the build broke"),
        "{failed}"
    );
    let log =
        std::fs::read_to_string(repo.root().join(".git/orch/logs/T1.log")).unwrap_or_default();
    assert!(log.contains("boom: the build broke"), "{log}");
}

#[test]
fn retries_run_a_failing_agent_again() {
    let repo = repo_with(&[("T1", "Builder", "Not Started", "-")]);
    let counter = marks(&repo).join("count");
    let script = format!(
        "n=$(cat '{c}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{c}'; [ $n -ge 3 ] || exit 1; \
         echo ok > out.txt && git add out.txt && git commit -qm ok",
        c = counter.display()
    );
    run(&repo, &["--retries", "1"], &script).expect_code(1);
    assert_eq!(status_of(&repo, "T1"), "Failed");
    // A Failed task is run again by the next conductor, and its retries now suffice.
    run(&repo, &["T1", "--retries", "2"], &script).expect_code(0);
    assert_eq!(status_of(&repo, "T1"), "Completed");
    let retries = journal(&repo)
        .iter()
        .filter(|e| e["event"] == "run_retry")
        .count();
    assert_eq!(retries, 1, "one retry in each run that needed one");
}

#[test]
fn a_timeout_kills_the_process_group_and_fails_the_task() {
    let repo = repo_with(&[("T1", "Builder", "Not Started", "-")]);
    let pid_file = marks(&repo).join("pid");
    let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
    // Left alone, the agent would exit 0 after 30 s and its task would be Completed.
    let outcome = run(&repo, &["--timeout", "1s"], &script).expect_code(1);
    assert!(outcome.stdout.contains("timeout"), "{}", outcome.stdout);
    assert_eq!(status_of(&repo, "T1"), "Failed");
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    // The grandchild is gone (or a zombie waiting for its new parent to reap it).
    assert!(
        stat.as_ref().map_or(true, |s| s.contains(") Z ")),
        "the agent's child {pid} survived: {stat:?}"
    );
    assert!(journal(&repo).iter().any(|e| e["event"] == "run_timeout"));
}

#[test]
fn a_timed_out_attempt_is_retried() {
    let repo = repo_with(&[("T1", "Builder", "Not Started", "-")]);
    // The first attempt hangs past the timeout; the second finds its mark and commits.
    let mark = marks(&repo).join("tried");
    let script = format!(
        "if [ -e '{mark}' ]; then echo done > t1.txt && git add t1.txt && git commit -qm 'T1 work'; else touch '{mark}'; sleep 30; fi",
        mark = mark.display()
    );
    let outcome = run(&repo, &["--timeout", "1s", "--retries", "1"], &script).expect_code(0);
    assert!(outcome.stdout.contains("timeout"), "{}", outcome.stdout);
    assert_eq!(status_of(&repo, "T1"), "Completed");
    let events = journal(&repo);
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(names.contains(&"run_timeout"), "{names:?}");
    assert!(names.contains(&"run_retry"), "{names:?}");
}

#[test]
fn a_status_set_by_the_agent_wins() {
    let repo = repo_with(&[("T1", "Builder", "Not Started", "-")]);
    let orch_plan = bin("orch-plan");
    let script = format!(
        "'{}' status \"$ORCH_TASK\" blocked --agent \"$ORCH_AGENT_ID\"",
        orch_plan.display()
    );
    let outcome = run(&repo, &[], &script).expect_code(1);
    assert_eq!(status_of(&repo, "T1"), "Blocked");
    assert!(
        outcome.stdout.contains("Blocked (by the agent)"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn two_conductors_never_run_a_task_twice() {
    let repo = repo_with(&[
        ("T1", "Builder", "Not Started", "-"),
        ("T2", "Builder", "Not Started", "-"),
        ("T3", "Builder", "Not Started", "-"),
        ("T4", "Builder", "Not Started", "-"),
    ]);
    let runs = marks(&repo).join("runs");
    let script = format!(
        "echo \"$ORCH_TASK\" >> '{}'; sleep 0.5; echo ok > out.txt && git add out.txt && git commit -qm ok",
        runs.display()
    );
    let args = [
        "run",
        "--max-parallel",
        "4",
        "--",
        "sh",
        "-c",
        script.as_str(),
    ];
    let children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            repo.orch_command("orch-worktree", &args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn a conductor")
        })
        .collect();
    for mut child in children {
        let _ = child.wait();
    }
    let text = std::fs::read_to_string(&runs).unwrap_or_default();
    let mut seen: Vec<&str> = text.lines().collect();
    seen.sort_unstable();
    assert_eq!(seen, ["T1", "T2", "T3", "T4"], "each task ran exactly once");
    assert!(statuses(&repo).iter().all(|(_, s)| s == "Completed"));
}

#[test]
fn sigint_stops_the_agents_and_gives_their_tasks_back() {
    let repo = repo_with(&[
        ("T1", "Builder", "Not Started", "-"),
        ("T2", "Builder", "Not Started", "T1"),
    ]);
    let pid_file = marks(&repo).join("pid");
    let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
    let conductor = repo
        .orch_command("orch-worktree", &["run", "--", "sh", "-c", script.as_str()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the conductor");
    let began = Instant::now();
    while !pid_file.exists() && began.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(pid_file.exists(), "the agent never started");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &conductor.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success());
    let output = conductor
        .wait_with_output()
        .expect("wait for the conductor");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The agent was stopped, not waited for: left alone it would have exited 0.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("exit     T1 attempt 1: no exit code"),
        "{stdout}"
    );
    assert_eq!(status_of(&repo, "T1"), "Not Started");
    assert_eq!(status_of(&repo, "T2"), "Not Started");
    let pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    assert!(
        stat.as_ref().map_or(true, |s| s.contains(") Z ")),
        "the agent's child {pid} survived: {stat:?}"
    );
    assert!(!repo.root().join("MULTI_AGENT_PLAN.md.lock").exists());
    // The plan is free: the next run takes the task again.
    let again = run(
        &repo,
        &["T1"],
        "echo ok > out.txt && git add out.txt && git commit -qm ok",
    );
    again.expect_code(0);
}

#[test]
fn profiles_by_role_and_event_hooks_come_from_the_spec() {
    let repo = repo_with(&[
        ("T1", "Builder", "Not Started", "-"),
        ("T2", "Writer", "Not Started", "T1"),
    ]);
    let hooks = marks(&repo).join("hooks");
    repo.write(
        "orch.toml",
        format!(
            "[project]\nname = \"Test\"\n\n\
             [[task]]\nid = \"T1\"\ndescription = \"Task T1\"\nagent = \"Builder\"\n\n\
             [[task]]\nid = \"T2\"\ndescription = \"Task T2\"\nagent = \"Writer\"\ndepends_on = [\"T1\"]\n\n\
             [agents.builder]\ncommand = [\"sh\", \"-c\", \"echo {{task}} > out.txt && git add out.txt && git commit -qm '{{task}} on {{branch}}'\"]\n\n\
             [hooks]\non_event = [\"sh\", \"-c\", \"echo {{event}} {{task}} >> '{}'\"]\n",
            hooks.display()
        ),
    );
    // No profile matches the Writer: nothing starts, and the error names the task.
    let refused = repo.orch("orch-worktree", &["run"]).expect_code(1);
    assert!(refused.stderr.contains("T2"), "{}", refused.stderr);
    assert_eq!(status_of(&repo, "T1"), "Not Started");
    repo.orch("orch-worktree", &["run", "T1"]).expect_code(0);
    assert_eq!(status_of(&repo, "T1"), "Completed");
    let log = repo.git(&["log", "-1", "--format=%s", "feature/T1"]);
    assert_eq!(log.trim(), "T1 on feature/T1");
    // An unknown --agent profile is refused before anything starts, naming the profiles.
    let unknown = repo
        .orch("orch-worktree", &["run", "--agent", "nobody"])
        .expect_code(1);
    assert!(unknown.stderr.contains("builder"), "{}", unknown.stderr);
    assert_eq!(status_of(&repo, "T2"), "Not Started");
    // --agent chooses the profile for every task, whatever its role.
    repo.orch("orch-worktree", &["run", "--agent", "BUILDER"])
        .expect_code(0);
    assert_eq!(status_of(&repo, "T2"), "Completed");
    // The hooks are not waited for: give the last one a moment.
    let began = Instant::now();
    let mut text = String::new();
    while began.elapsed() < Duration::from_secs(10) {
        text = std::fs::read_to_string(&hooks).unwrap_or_default();
        if text.contains("summary") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for expected in ["start T1", "exit T1", "status T1", "summary"] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from {text:?}"
        );
    }
}

/// On a terminal, a live line shows the run's clock, the tasks done out of the total and each
/// running task with its own clock, under the plain event lines.
#[test]
fn on_a_terminal_a_live_line_shows_progress_and_running_tasks() {
    use std::io::Read as _;
    use std::process::Stdio;

    let repo = repo_with(&[("T1", "Builder", "Not Started", "-")]);
    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let slave = std::fs::File::from(pty.slave);
    let mut command = orch_e2e::command_in(
        &bin("orch-worktree"),
        &["run", "T1", "--", "sleep", "1"],
        repo.root(),
        &[("TERM", "xterm")],
    );
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().expect("dup the terminal")))
        .stderr(Stdio::from(slave));
    let mut child = command.spawn().expect("start orch-worktree run");
    // The command keeps its copies of the terminal until dropped; reading the other end ends
    // (with EIO) only once no process holds it.
    drop(command);
    let mut master = std::fs::File::from(pty.master);
    let mut output = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = master.read(&mut buffer) {
        if n == 0 {
            break;
        }
        output.extend_from_slice(&buffer[..n]);
    }
    let status = child.wait().expect("wait");
    let text = String::from_utf8_lossy(&output);
    assert!(status.success(), "{text}");
    // One frame of the live line: "⠁ [00:00:00] 0/1 done; running: T1 0s".
    let frame = text
        .split(['\r', '\n'])
        .find(|l| l.contains("0/1 done; running: T1 "))
        .unwrap_or_else(|| panic!("no live line in {text:?}"));
    assert!(frame.contains("[00:00:0"), "{frame:?}");
    let clock = frame
        .rsplit("running: T1 ")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    let seconds = clock.strip_suffix('s').unwrap_or_default();
    assert!(
        !seconds.is_empty() && seconds.chars().all(|c| c.is_ascii_digit()),
        "{frame:?}"
    );
    // The event lines print above it, and the line is cleared at the end.
    assert!(text.contains("T1"), "{text}");
    assert!(text.contains("Completed"), "{text}");
}
