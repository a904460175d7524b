//! Snapshots of what `orch-plan` prints: stdout, stderr and the exit code together.

use std::path::Path;

use orch_e2e::{AUTH_PLAN, Repo, run_in};

/// Runs orch-plan in `repo` and renders everything it did, with the temp path redacted.
fn render(repo: &Repo, args: &[&str]) -> String {
    let run = run_in(
        Path::new(env!("CARGO_BIN_EXE_orch-plan")),
        args,
        repo.root(),
        &[],
    );
    let text = format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    );
    text.replace(&repo.root().display().to_string(), "$REPO")
}

#[test]
fn show_the_seed_plan() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    insta::assert_snapshot!(render(&repo, &["show"]));
}

#[test]
fn graph_the_seed_plan() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    insta::assert_snapshot!(render(&repo, &["graph"]));
    insta::assert_snapshot!(render(&repo, &["graph", "--format", "dot"]));
}

#[test]
fn check_reports_every_problem() {
    let repo = Repo::new();
    repo.write(
        "MULTI_AGENT_PLAN.md",
        "# Plan\n\n| Task ID | Status | Dependencies | Estimate |\n|---|---|---|---|\n| T1 | Not Started | T2 | 1h |\n| T2 | done | - | 2h |\n| T3 | Not Started | T1, T4 | soon |\n| ../x | Not Started | - | 1h |\n",
    );
    insta::assert_snapshot!(render(&repo, &["check"]));
    repo.write(
        "MULTI_AGENT_PLAN.md",
        "# Plan\n\n| Task ID | Status | Dependencies |\n|---|---|---|\n| T1 | Not Started | T3 |\n| T2 | Completed | T1 |\n| T3 | Blocked | T2 |\n| t2 | Failed | T9 |\n",
    );
    insta::assert_snapshot!(render(&repo, &["check"]));
    insta::assert_snapshot!(render(&repo, &["check", "--json"]));
}

#[test]
fn usage_errors() {
    let repo = Repo::new();
    insta::assert_snapshot!(render(&repo, &["show", "--bogus"]));
}
