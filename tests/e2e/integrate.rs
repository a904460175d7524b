//! `orch-worktree integrate`, `queue` and `conflicts` end to end: spawn, work, complete, land.

use orch_e2e::Repo;
use serde_json::json;

const PLAN: &str = "# Plan\n\n| Task ID | Description | Status | Dependencies | Estimate |\n|---|---|---|---|---|\n| T1 | First | Not Started | - | 1h |\n| T2 | Second | Not Started | - | 1h |\n| T3 | Third | Not Started | - | 1h |\n\n## Integration Summary\n\n### Selected Approach\n**Decision:** -\n";

/// A repository with the plan and a spec whose gate checks that `ok.txt` exists.
fn repo() -> Repo {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", PLAN);
    repo.write("orch.toml", "[project]\nname = \"t\"\n\n[[task]]\nid = \"T1\"\ndescription = \"First\"\nagent = \"a\"\n\n[integrate]\ngates = [[\"test\", \"-f\", \"ok.txt\"]]\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "Add the plan"]);
    repo
}

/// Spawns `task`, commits `files` in its worktree, and marks it Completed.
fn work(repo: &Repo, task: &str, files: &[(&str, &str)]) {
    let spawned = repo
        .orch("orch-worktree", &["spawn", task, "--json"])
        .expect_code(0)
        .json();
    let path = std::path::PathBuf::from(spawned[0]["path"].as_str().expect("path"));
    for (name, text) in files {
        std::fs::write(path.join(name), text).expect("write");
    }
    let run = orch_e2e::run_in(std::path::Path::new("git"), &["add", "."], &path, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = orch_e2e::run_in(
        std::path::Path::new("git"),
        &["commit", "-q", "-m", &format!("Work on {task}")],
        &path,
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    repo.orch_in(
        &path,
        "orch-plan",
        &["claim", task, "--agent", "agent"],
        &[],
    )
    .expect_code(0);
    repo.orch_in(&path, "orch-plan", &["status", task, "Completed"], &[])
        .expect_code(0);
}

#[test]
fn integrate_lands_a_task_behind_its_gate_and_records_it() {
    let repo = repo();
    work(&repo, "T1", &[("ok.txt", "fine\n"), ("t1.txt", "one\n")]);
    let before = repo.git(&["rev-parse", "main"]);
    let dry = repo
        .orch("orch-worktree", &["integrate", "T1", "--dry-run"])
        .expect_code(0);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    assert_eq!(
        repo.git(&["rev-parse", "main"]),
        before,
        "a dry run moves nothing"
    );

    let done = repo
        .orch("orch-worktree", &["integrate", "T1", "--json"])
        .expect_code(0)
        .json();
    assert!(done.is_object(), "{done}");
    let log = repo.git(&["log", "-1", "--format=%B", "main"]);
    assert!(log.contains("Orch-Task: T1"), "{log}");
    assert!(log.contains("(cherry picked from commit "), "{log}");
    // The checked-out main got the new files; the plan records the integration.
    assert_eq!(repo.read("t1.txt"), "one\n");
    assert!(repo.read("MULTI_AGENT_PLAN.md").contains("T1"), "recorded");
    let status = repo.git(&["status", "--porcelain", "--untracked-files=no"]);
    assert!(
        status.lines().all(|l| l.ends_with("MULTI_AGENT_PLAN.md")),
        "{status}"
    );
    // orch's own gate worktrees are not listed as anyone's worktree.
    let listed = repo
        .orch("orch-worktree", &["list", "--json"])
        .expect_code(0)
        .json();
    assert!(
        listed
            .as_array()
            .into_iter()
            .flatten()
            .all(|w| !w["path"].as_str().unwrap_or("").contains("/orch/gates/")),
        "{listed}"
    );
    // Integrating again finds nothing new to pick.
    repo.orch("orch-worktree", &["integrate", "T1"])
        .expect_code(0);
}

#[test]
fn a_failing_gate_exits_4_and_a_conflict_exits_3_with_main_unmoved() {
    let repo = repo();
    work(&repo, "T1", &[("t1.txt", "no ok.txt, so the gate fails\n")]);
    let before = repo.git(&["rev-parse", "main"]);
    let run = repo
        .orch("orch-worktree", &["integrate", "T1"])
        .expect_code(4);
    assert!(run.stderr.contains("gate"), "{}", run.stderr);
    assert_eq!(repo.git(&["rev-parse", "main"]), before);

    // T2 adds t2.txt on its branch while main adds a different t2.txt.
    work(&repo, "T2", &[("t2.txt", "T2's version\n")]);
    repo.write("t2.txt", "main's version\n");
    repo.git(&["add", "t2.txt"]);
    repo.git(&["commit", "-q", "-m", "Main writes t2"]);
    let main = repo.git(&["rev-parse", "main"]);
    let run = repo
        .orch(
            "orch-worktree",
            &["integrate", "T2", "--no-gates", "--json"],
        )
        .expect_code(3);
    assert_eq!(run.stderr_json()["error"]["kind"], json!("conflict"));
    assert_eq!(repo.git(&["rev-parse", "main"]), main);

    // Both refusals are in the journal (and nowhere else), so the metrics count them.
    let log = repo
        .orch("orch-plan", &["log", "--json"])
        .expect_code(0)
        .json();
    let events = log.as_array().expect("an array of events");
    let gate = events
        .iter()
        .find(|e| e["event"] == "gate_failed")
        .expect("a gate_failed event");
    assert_eq!(gate["task"], json!("T1"));
    assert_eq!(
        gate["detail"]["gate"]["argv"],
        json!(["test", "-f", "ok.txt"])
    );
    let conflict = events
        .iter()
        .find(|e| e["event"] == "conflict")
        .expect("a conflict event");
    assert_eq!(conflict["task"], json!("T2"));
    assert_eq!(conflict["detail"]["commits"][0]["paths"], json!(["t2.txt"]));
    let stats = repo
        .orch("orch-plan", &["stats", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(stats["conflicts"], json!(1), "{stats}");
    assert_eq!(stats["gates_failed"], json!(1), "{stats}");
    // A dry run that would conflict journals nothing.
    repo.orch(
        "orch-worktree",
        &["integrate", "T2", "--no-gates", "--dry-run"],
    );
    let again = repo
        .orch("orch-plan", &["log", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(again, log);
}

#[test]
fn a_gate_past_its_timeout_is_killed_with_everything_it_started() {
    let repo = repo();
    // The gate starts a background sleep, records its pid and waits for it.
    let pid_file = repo.parent().join("gate-child.pid");
    let script = format!("sleep 600 & echo $! > '{}'; wait", pid_file.display());
    repo.write(
        "orch.toml",
        format!(
            "[project]\nname = \"t\"\n\n[[task]]\nid = \"T1\"\ndescription = \"First\"\nagent = \"a\"\n\n[integrate]\ngates = [[\"sh\", \"-c\", {script:?}]]\ngate_timeout = \"500ms\"\n"
        ),
    );
    repo.git(&["commit", "-q", "-am", "A gate that hangs"]);
    work(&repo, "T1", &[("t1.txt", "one\n")]);
    let before = repo.git(&["rev-parse", "main"]);
    let run = repo
        .orch("orch-worktree", &["integrate", "T1", "--json"])
        .expect_code(4);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert_eq!(repo.git(&["rev-parse", "main"]), before);
    let pid = std::fs::read_to_string(&pid_file).expect("the gate wrote its child's pid");
    let pid = pid.trim();
    assert!(!pid.is_empty());
    // The whole process group was killed: the background sleep is gone too (a zombie at
    // most, until init reaps it).
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false);
    assert!(!alive, "the gate's child {pid} still runs");
    // The journal says which gate and why.
    let log = repo
        .orch("orch-plan", &["log", "--task", "T1", "--json"])
        .expect_code(0)
        .json();
    let failed = log
        .as_array()
        .and_then(|events| events.iter().find(|e| e["event"] == "gate_failed"))
        .expect("a gate_failed event");
    assert_eq!(failed["detail"]["gate"]["timed_out"], json!(true));
    // --gate-timeout overrides the spec: with a generous limit the gate would be waited for, so
    // show only that the flag is read and checked.
    repo.orch(
        "orch-worktree",
        &["integrate", "T1", "--gate-timeout", "soon"],
    )
    .expect_code(2);
}

#[test]
fn the_queue_lands_what_it_can_and_conflicts_are_forecast() {
    let repo = repo();
    work(&repo, "T1", &[("ok.txt", "fine\n"), ("shared.txt", "T1\n")]);
    work(&repo, "T2", &[("ok.txt", "fine\n"), ("shared.txt", "T2\n")]);
    let forecast = repo
        .orch("orch-worktree", &["conflicts", "--json"])
        .expect_code(0)
        .json();
    assert!(forecast.to_string().contains("shared.txt"), "{forecast}");
    // T1 goes in; T2 then conflicts on shared.txt and is quarantined.
    let run = repo.orch("orch-worktree", &["queue"]).expect_code(3);
    assert!(
        run.stdout.contains("T1") && run.stdout.contains("T2"),
        "{}",
        run.stdout
    );
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["tasks"][1]["status"], json!("Failed"));
    assert!(
        repo.git(&["log", "--format=%B", "main"])
            .contains("Orch-Task: T1")
    );
}

#[test]
fn cargo_xtask_integrate_and_orch_worktree_integrate_are_one_command() {
    let help = repo()
        .orch("orch-worktree", &["integrate", "--help"])
        .expect_code(0);
    for flag in ["--dry-run", "--no-gates", "--archive", "--mainline"] {
        assert!(help.stdout.contains(flag), "{flag}");
    }
}
