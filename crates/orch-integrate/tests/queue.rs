//! The queue (dependency order, quarantine, going on with the independent tasks) and the
//! conflict forecast.

mod common;

use common::{commit_all, integrator, lines, rev, snapshot, task_branch, write_plan};
use orch_e2e::Repo;
use orch_integrate::{ConflictKind, Options, QueueOptions, QueueOutcome};

/// T1 and T4 are independent and clean; T2 conflicts with main on shared.txt; T3 depends on
/// T2; T5 is In Progress; T6 is already integrated.
fn queue_repo() -> Repo {
    let repo = Repo::new();
    repo.write("shared.txt", lines("shared", 4));
    commit_all(&repo, "base");
    task_branch(&repo, "T1", &[("one.txt", "1\n")]);
    task_branch(
        &repo,
        "T2",
        &[(
            "shared.txt",
            "shared 1\nshared 2 (T2)\nshared 3\nshared 4\n",
        )],
    );
    task_branch(&repo, "T3", &[("three.txt", "3\n")]);
    task_branch(&repo, "T4", &[("four.txt", "4\n")]);
    task_branch(&repo, "T5", &[("five.txt", "5\n")]);
    task_branch(&repo, "T6", &[("six.txt", "6\n")]);
    repo.write(
        "shared.txt",
        "shared 1\nshared 2 (main)\nshared 3\nshared 4\n",
    );
    commit_all(&repo, "main edits shared line 2");
    write_plan(
        &repo,
        &[
            ("T1", "Completed", "-"),
            ("T2", "Completed", "-"),
            ("T3", "Completed", "T2"),
            ("T4", "Completed", "-"),
            ("T5", "In Progress", "-"),
            ("T6", "Completed", "-"),
        ],
    );
    integrator(&repo, &[])
        .integrate("T6", &Options::default())
        .expect("T6 goes in first");
    repo
}

fn outcomes(report: &orch_integrate::QueueReport) -> Vec<(String, &'static str)> {
    report
        .items
        .iter()
        .map(|i| {
            let what = match &i.outcome {
                QueueOutcome::Integrated { .. } => "integrated",
                QueueOutcome::NothingToDo => "nothing",
                QueueOutcome::Quarantined { .. } => "quarantined",
                QueueOutcome::Skipped { .. } => "skipped",
                QueueOutcome::Error { .. } => "error",
            };
            (i.task.clone(), what)
        })
        .collect()
}

#[test]
fn the_queue_quarantines_a_conflicting_task_and_goes_on_with_the_others() {
    let repo = queue_repo();
    let report = integrator(&repo, &[])
        .queue(&QueueOptions::default())
        .expect("queue");
    let expected = [
        ("T1", "integrated"),
        ("T2", "quarantined"),
        ("T4", "integrated"),
        ("T3", "skipped"),
    ];
    assert_eq!(outcomes(&report), expected.map(|(t, o)| (t.to_owned(), o)));
    assert_eq!(report.already_integrated, ["T6"]);
    assert!(!report.all_integrated() && !report.any_gate_failed());
    let QueueOutcome::Skipped { reason } = &report.items[3].outcome else {
        panic!("T3 is not skipped");
    };
    assert!(reason.contains("depends on T2"), "{reason}");
    assert_eq!(
        repo.git(&["ls-tree", "--name-only", "main"]),
        "README.md\nfour.txt\none.txt\nshared.txt\nsix.txt\n"
    );
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let t2 = plan
        .lines()
        .find(|l| l.starts_with("| T2 | Task"))
        .expect("T2 row");
    assert!(t2.contains("| Failed "), "{t2}");
    let log = plan
        .lines()
        .find(|l| l.starts_with("| T2 | - |"))
        .expect("T2 log row");
    assert!(
        log.contains("quarantined by integrate: conflicts with main in shared.txt"),
        "{log}"
    );
    assert!(plan.contains("#### T1 into `main`") && plan.contains("#### T4 into `main`"));

    // A second run has nothing left to do but to say why T3 still waits.
    let again = integrator(&repo, &[])
        .queue(&QueueOptions::default())
        .expect("queue");
    assert_eq!(outcomes(&again), [("T3".to_owned(), "skipped")]);
    assert_eq!(again.already_integrated, ["T1", "T4", "T6"]);
}

#[test]
fn a_gate_failure_in_the_queue_quarantines_that_task_only() {
    let repo = queue_repo();
    let gate: &[&str] = &["sh", "-c", "test ! -f one.txt"];
    let report = integrator(&repo, &[gate])
        .queue(&QueueOptions::default())
        .expect("queue");
    assert!(report.any_gate_failed());
    let QueueOutcome::Quarantined { reason, gate: true } = &report.items[0].outcome else {
        panic!("T1 is not quarantined by the gate: {:?}", report.items[0]);
    };
    assert!(
        reason.contains("gate `sh -c 'test ! -f one.txt'` failed (exit 1)"),
        "{reason}"
    );
    let t4 = report.items.iter().find(|i| i.task == "T4").expect("T4");
    assert!(
        matches!(t4.outcome, QueueOutcome::Integrated { .. }),
        "{t4:?}"
    );
}

#[test]
fn a_queue_dry_run_chains_the_candidates_and_changes_nothing() {
    let repo = queue_repo();
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let before = snapshot(&repo);
    let report = integrator(&repo, &[])
        .queue(&QueueOptions {
            dry_run: true,
            no_gates: false,
        })
        .expect("queue");
    let expected = [
        ("T1", "integrated"),
        ("T2", "quarantined"),
        ("T4", "integrated"),
        ("T3", "skipped"),
    ];
    assert_eq!(outcomes(&report), expected.map(|(t, o)| (t.to_owned(), o)));
    let candidate = |i: usize| match &report.items[i].outcome {
        QueueOutcome::Integrated { integration } => integration.clone(),
        other => panic!("{other:?}"),
    };
    let (t1, t4) = (candidate(0), candidate(2));
    assert_eq!(
        t4.old_tip,
        t1.candidate.clone().expect("T1's candidate"),
        "T4 goes on top of T1"
    );
    assert_eq!(t1.old_tip, rev(&repo, "main"));
    assert_eq!(snapshot(&repo), before);
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), plan);
}

#[test]
fn the_forecast_finds_a_known_clash_and_changes_nothing() {
    let repo = Repo::new();
    repo.write("a.txt", lines("a", 3));
    repo.write("b.txt", lines("b", 3));
    commit_all(&repo, "base");
    task_branch(&repo, "T1", &[("a.txt", "a 1 (T1)\na 2\na 3\n")]);
    task_branch(
        &repo,
        "T2",
        &[("a.txt", "a 1 (T2)\na 2\na 3\n"), ("t2.txt", "2\n")],
    );
    task_branch(&repo, "T3", &[("b.txt", "b 1 (T3)\nb 2\nb 3\n")]);
    task_branch(&repo, "T4", &[("a.txt", "a 1 (T4)\n")]);
    repo.write("b.txt", "b 1 (main)\nb 2\nb 3\n");
    commit_all(&repo, "main edits b");
    write_plan(
        &repo,
        &[
            ("T1", "In Progress", "-"),
            ("T2", "Completed", "-"),
            ("T3", "Blocked", "-"),
            ("T4", "Not Started", "-"),
            ("T5", "In Progress", "-"),
        ],
    );
    let before = snapshot(&repo);
    let forecast = integrator(&repo, &[]).forecast().expect("forecast");
    assert!(forecast.any_conflict());
    let against_base: Vec<(&str, Vec<&str>)> = forecast
        .branches
        .iter()
        .map(|b| {
            (
                b.task.as_str(),
                b.conflicts
                    .iter()
                    .flat_map(|c| c.conflicts.iter().map(|p| p.path.as_str()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        against_base,
        [("T1", vec![]), ("T2", vec![]), ("T3", vec!["b.txt"])]
    );
    assert_eq!(forecast.pairs.len(), 1, "{:?}", forecast.pairs);
    let pair = &forecast.pairs[0];
    assert_eq!((pair.a.as_str(), pair.b.as_str()), ("T1", "T2"));
    assert_eq!(pair.paths[0].path, "a.txt");
    assert_eq!(pair.paths[0].kind, ConflictKind::Content);
    assert_eq!(forecast.unchecked.len(), 1);
    assert_eq!(forecast.unchecked[0].task, "T5");
    assert!(forecast.unchecked[0].reason.contains("does not exist"));
    assert_eq!(snapshot(&repo), before);
}
