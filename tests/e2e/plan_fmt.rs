//! `orch-plan fmt`: canonical statuses and aligned tables, nothing else.

use orch_e2e::Repo;

#[test]
fn fmt_normalises_statuses_aligns_tables_and_leaves_prose_alone() {
    let repo = Repo::new();
    let plan = "# Plan\r\n\r\nSome *prose* with  two spaces and a | pipe.\r\n\r\n\
        | Task ID | Status | Description |\r\n\
        |:--|:-:|--:|\r\n\
        | T1 | in_progress | 中文 |\r\n\
        | T2 | NOT-STARTED | a \\| b |\r\n\
        \r\n- a list item\r\n";
    repo.write("MULTI_AGENT_PLAN.md", plan);
    let run = repo.orch("orch-plan", &["fmt", "--check"]).expect_code(1);
    assert!(run.stdout.contains("not formatted"), "{}", run.stdout);
    assert_eq!(
        repo.read("MULTI_AGENT_PLAN.md"),
        plan,
        "--check changes nothing"
    );

    repo.orch("orch-plan", &["fmt"]).expect_code(0);
    let expected = "# Plan\r\n\r\nSome *prose* with  two spaces and a | pipe.\r\n\r\n\
        | Task ID | Status      | Description |\r\n\
        | :------ | :---------: | ----------: |\r\n\
        | T1      | In Progress | 中文        |\r\n\
        | T2      | Not Started | a \\| b      |\r\n\
        \r\n- a list item\r\n";
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), expected);
    let run = repo.orch("orch-plan", &["fmt"]).expect_code(0);
    assert!(run.stdout.contains("already formatted"), "{}", run.stdout);
    repo.orch("orch-plan", &["fmt", "--check"]).expect_code(0);
    repo.orch("orch-plan", &["check"]).expect_code(0);
}

#[test]
fn fmt_keeps_the_seed_template_readable_and_idempotent() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", orch_e2e::AUTH_PLAN);
    let before = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    repo.orch("orch-plan", &["fmt"]).expect_code(0);
    let after = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(before["tasks"], after["tasks"]);
    let formatted = repo.read("MULTI_AGENT_PLAN.md");
    // Only table lines changed.
    let prose = |text: &str| {
        text.lines()
            .filter(|l| !l.starts_with('|'))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(prose(&formatted), prose(orch_e2e::AUTH_PLAN));
    repo.orch("orch-plan", &["fmt", "--check"]).expect_code(0);
}
