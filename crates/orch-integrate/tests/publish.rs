//! Gates and publishing: failing gates, dirty checked-out main, the plan file, main moving
//! during the gates, concurrent integrations, recording and archiving.

mod common;

use std::path::Path;

use common::{commit_all, integrator, rev, settings, snapshot, task_branch, write_plan};
use orch_e2e::Repo;
use orch_integrate::{IntegrateError, Integrator, Options};

fn one_task() -> Repo {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    commit_all(&repo, "base");
    task_branch(&repo, "T1", &[("a.txt", "a from T1\n"), ("t1.txt", "t1\n")]);
    write_plan(&repo, &[("T1", "Completed", "-")]);
    repo
}

#[test]
fn a_failing_gate_exits_as_a_gate_failure_and_main_does_not_move() {
    let repo = one_task();
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let main = rev(&repo, "main");
    let gate: &[&str] = &["sh", "-c", "echo checking; echo 'it broke' >&2; exit 3"];
    let error = integrator(&repo, &[&["true"], gate])
        .integrate("T1", &Options::default())
        .expect_err("gate fails");
    assert!(error.is_gate_failure() && !error.is_conflict(), "{error}");
    let IntegrateError::Gate { gate, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(gate.exit_code, Some(3));
    assert!(gate.tail.contains("it broke"), "{}", gate.tail);
    let log = std::fs::read_to_string(&gate.log).expect("log");
    assert!(
        log.contains("checking") && log.contains("it broke"),
        "{log}"
    );
    assert!(gate.log.starts_with(repo.root().join(".git/orch/logs")));
    assert_eq!(rev(&repo, "main"), main);
    assert_eq!(repo.read("a.txt"), "a\n");
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), plan);
}

#[test]
fn gates_run_in_a_detached_pooled_worktree_at_the_candidate() {
    let repo = one_task();
    let gate: &[&str] = &[
        "sh",
        "-c",
        "test \"$(git rev-parse HEAD)\" = \"$ORCH_INTEGRATE_CANDIDATE\" && test -f t1.txt \
         && ! git symbolic-ref -q HEAD && test ! -e MULTI_AGENT_PLAN.md && pwd > ../last-gate-dir",
    ];
    let done = integrator(&repo, &[gate])
        .integrate("T1", &Options::default())
        .expect("gate passes");
    assert_eq!(done.gates.results.len(), 1);
    assert!(done.gates.results[0].passed);
    let dir =
        std::fs::read_to_string(repo.root().join(".git/orch/gates/last-gate-dir")).expect("dir");
    assert!(dir.trim().ends_with(".git/orch/gates/slot-0"), "{dir}");
    assert!(
        !repo.git(&["branch", "--list"]).contains("orch-gate"),
        "no branch left behind"
    );
    // The slot is reused by the next integration.
    task_branch(&repo, "T2", &[("t2.txt", "t2\n")]);
    integrator(&repo, &[&["test", "-f", "t2.txt"]])
        .integrate("feature/T2", &Options::default())
        .expect("second integration");
    assert_eq!(repo.git(&["worktree", "list"]).lines().count(), 2);
}

#[test]
fn a_dirty_checked_out_main_is_refused_with_nothing_moved() {
    let repo = one_task();
    repo.write("a.txt", "uncommitted work\n");
    let before = snapshot(&repo);
    let error = integrator(&repo, &[])
        .integrate("T1", &Options::default())
        .expect_err("dirty");
    assert!(error.is_conflict(), "{error}");
    assert!(
        matches!(&error, IntegrateError::Dirty { paths, .. } if paths == &["a.txt (modified)"]),
        "{error:?}"
    );
    assert_eq!(snapshot(&repo), before);
    assert_eq!(repo.read("a.txt"), "uncommitted work\n");

    // An untracked file where the branch adds one is in the way too; so is a staged change.
    repo.git(&["checkout", "-q", "--", "a.txt"]);
    repo.write("t1.txt", "mine\n");
    let error = integrator(&repo, &[])
        .integrate("T1", &Options::default())
        .expect_err("untracked");
    assert!(
        error
            .to_string()
            .contains("t1.txt (an untracked or ignored file is in the way)"),
        "{error}"
    );
    std::fs::remove_file(repo.root().join("t1.txt")).expect("rm");
    repo.write("a.txt", "staged\n");
    repo.git(&["add", "a.txt"]);
    repo.write("a.txt", "a\n");
    let error = integrator(&repo, &[])
        .integrate("T1", &Options::default())
        .expect_err("staged");
    assert!(
        error.to_string().contains("a.txt (staged changes)"),
        "{error}"
    );
}

#[test]
fn a_dirty_plan_file_is_not_in_the_way_unless_the_branch_touches_it() {
    let repo = Repo::new();
    write_plan(&repo, &[("T1", "Completed", "-"), ("T2", "Completed", "-")]);
    commit_all(&repo, "commit the plan");
    task_branch(&repo, "T1", &[("t1.txt", "t1\n")]);
    task_branch(
        &repo,
        "T2",
        &[("MULTI_AGENT_PLAN.md", "a branch rewrote the plan\n")],
    );
    // Uncommitted status edits in the plan, as orch makes them all the time.
    let dirty = repo
        .read("MULTI_AGENT_PLAN.md")
        .replace("| T2 | - | - |", "| T2 | agent-2 | - |");
    repo.write("MULTI_AGENT_PLAN.md", &dirty);
    let done = integrator(&repo, &[])
        .integrate("T1", &Options::default())
        .expect("integrated");
    assert!(done.published());
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    assert!(
        plan.contains("| T2 | agent-2 | - |"),
        "the hand edit is kept"
    );
    assert!(plan.contains("**Decision:** T1 (`feature/T1`)"), "{plan}");
    assert_eq!(repo.read("t1.txt"), "t1\n");

    let before = snapshot(&repo);
    let error = integrator(&repo, &[])
        .integrate("T2", &Options::default())
        .expect_err("dirty plan");
    assert!(
        error.to_string().contains("MULTI_AGENT_PLAN.md (modified)"),
        "{error}"
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn main_moving_during_the_gates_makes_the_pick_run_again_on_the_new_tip() {
    let repo = one_task();
    let mark = repo.parent().join("moved-once");
    let script = format!(
        "if [ ! -e '{mark}' ]; then touch '{mark}'; echo other > '{root}/other.txt'; \
         git -C '{root}' add other.txt && git -C '{root}' -c user.name=Other -c user.email=o@x commit -q -m 'someone else'; fi",
        mark = mark.display(),
        root = repo.root().display()
    );
    let old = rev(&repo, "main");
    let done = integrator(&repo, &[&["sh", "-c", &script]])
        .integrate("T1", &Options::default())
        .expect("integrated on the second try");
    assert_eq!(done.attempts, 2);
    let moved = rev(&repo, "main~1");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s", &moved]).trim(),
        "someone else"
    );
    assert_eq!(done.old_tip, moved);
    repo.git(&["merge-base", "--is-ancestor", &old, &moved]);
    assert_eq!(
        repo.git(&["ls-tree", "--name-only", "main"]),
        "README.md\na.txt\nother.txt\nt1.txt\n"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "?? MULTI_AGENT_PLAN.md\n"
    );
}

#[test]
fn two_integrations_at_once_both_land_and_main_only_fast_forwards() {
    let repo = Repo::new();
    task_branch(&repo, "T1", &[("one.txt", "1\n")]);
    task_branch(&repo, "T2", &[("two.txt", "2\n")]);
    write_plan(&repo, &[("T1", "Completed", "-"), ("T2", "Completed", "-")]);
    let start = rev(&repo, "main");
    let gate: &[&str] = &["sleep", "0.3"];
    let threads: Vec<_> = ["T1", "T2"]
        .into_iter()
        .map(|task| {
            let settings = settings(&repo, &[gate]);
            std::thread::spawn(move || {
                Integrator::new(settings).integrate(task, &Options::default())
            })
        })
        .collect();
    let results: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    for result in &results {
        assert!(result.as_ref().is_ok_and(|d| d.published()), "{result:?}");
    }
    assert_eq!(
        repo.git(&["ls-tree", "--name-only", "main"]),
        "README.md\none.txt\ntwo.txt\n"
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{start}..main")])
            .trim(),
        "2"
    );
    // Every move of main in its reflog is a fast-forward.
    let values: Vec<String> = repo
        .git(&["reflog", "show", "--format=%H", "refs/heads/main"])
        .lines()
        .map(str::to_owned)
        .collect();
    for pair in values.windows(2) {
        repo.git(&["merge-base", "--is-ancestor", &pair[1], &pair[0]]);
    }
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "?? MULTI_AGENT_PLAN.md\n"
    );
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    assert!(
        plan.contains("#### T1 into `main`") && plan.contains("#### T2 into `main`"),
        "{plan}"
    );
}

#[test]
fn the_integration_is_recorded_in_the_plan_and_the_journal() {
    let repo = one_task();
    let done = integrator(&repo, &[&["true"]])
        .integrate("T1", &Options::default())
        .expect("integrated");
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let new = &done.new_tip.clone().expect("new tip")[..7];
    let old = &done.old_tip[..7];
    assert!(plan.contains("**Decision:** T1 (`feature/T1`)\n"), "{plan}");
    assert!(
        plan.contains("### Integrations\n\n#### T1 into `main` (2"),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            "- Branch `feature/T1`: 1 commit picked, `main` moved `{old}` → `{new}`\n"
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("- `{new}` T1: work (picked from `")),
        "{plan}"
    );
    assert!(plan.contains("- Gates: `true` passed ("), "{plan}");
    assert!(
        plan.contains(&format!(
            "| T1 | - | - | - | - | Completed | integrated into main: {old}..{new} (1 commit) |"
        )),
        "{plan}"
    );
    let journal =
        std::fs::read_to_string(repo.root().join(".git/orch/journal.jsonl")).expect("journal");
    let entry: serde_json::Value =
        serde_json::from_str(journal.lines().last().expect("a line")).expect("json");
    assert_eq!(entry["event"], "integrate");
    assert_eq!(entry["task"], "T1");
    assert_eq!(entry["new"], done.new_tip.clone().expect("tip"));
    assert_eq!(entry["detail"]["gates"]["results"][0]["passed"], true);
    assert!(
        done.recorded
            .iter()
            .any(|r| r.contains("Integration Summary and Execution Log")),
        "{:?}",
        done.recorded
    );

    // --no-gates is said in the record.
    task_branch(&repo, "T2", &[("t2.txt", "t2\n")]);
    integrator(&repo, &[&["false"]])
        .integrate(
            "feature/T2",
            &Options {
                no_gates: true,
                ..Options::default()
            },
        )
        .expect("integrated without gates");
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    assert!(
        plan.contains("#### feature/T2 into `main`") || plan.contains("branch `feature/T2`"),
        "{plan}"
    );
    assert!(plan.contains("- Gates: skipped (--no-gates)"), "{plan}");
}

#[test]
fn archive_keeps_the_alternatives_and_removes_their_clean_worktrees() {
    let repo = Repo::new();
    task_branch(&repo, "T2", &[("oauth.txt", "oauth\n")]);
    task_branch(&repo, "T3", &[("jwt.txt", "jwt\n")]);
    task_branch(&repo, "T4", &[("session.txt", "session\n")]);
    write_plan(
        &repo,
        &[
            ("T2", "Completed", "-"),
            ("T3", "Completed", "-"),
            ("T4", "Completed", "-"),
        ],
    );
    let wt = |name: &str| repo.parent().join(name);
    repo.git(&[
        "worktree",
        "add",
        "-q",
        wt("wt-T3").to_str().expect("utf-8"),
        "feature/T3",
    ]);
    repo.git(&[
        "worktree",
        "add",
        "-q",
        wt("wt-T4").to_str().expect("utf-8"),
        "feature/T4",
    ]);
    std::fs::write(wt("wt-T4").join("scratch.txt"), "uncommitted\n").expect("write");
    let t3 = rev(&repo, "feature/T3");
    let archive = vec![
        orch_core::TaskId::parse("T3").expect("id"),
        orch_core::TaskId::parse("T4").expect("id"),
    ];
    let done = integrator(&repo, &[])
        .integrate(
            "T2",
            &Options {
                archive,
                ..Options::default()
            },
        )
        .expect("integrated");
    assert_eq!(rev(&repo, "refs/orch/archive/T3"), t3);
    assert_eq!(rev(&repo, "refs/orch/archive/T4"), rev(&repo, "feature/T4"));
    assert!(
        !Path::new(&wt("wt-T3")).exists(),
        "the clean worktree is removed"
    );
    assert!(
        wt("wt-T4").join("scratch.txt").exists(),
        "the dirty one is kept"
    );
    assert!(
        done.archived[1]
            .note
            .as_deref()
            .is_some_and(|n| n.contains("uncommitted")),
        "{:?}",
        done.archived
    );
    assert!(!repo.git(&["worktree", "list"]).contains("wt-T3"));
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    assert!(
        plan.contains("- Archived T3 as `refs/orch/archive/T3`, worktree "),
        "{plan}"
    );

    // The task being integrated cannot be archived, and unknown tasks are refused up front.
    let error = integrator(&repo, &[])
        .integrate(
            "T3",
            &Options {
                archive: vec![orch_core::TaskId::parse("T3").expect("id")],
                ..Options::default()
            },
        )
        .expect_err("self-archive");
    assert!(
        error.to_string().contains("the task being integrated"),
        "{error}"
    );
}
