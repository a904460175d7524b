//! Bad plans: each a clear error naming file, line and column, exit 1, no panic, no change.

use orch_e2e::Repo;
use serde_json::json;

const HEADER: &str = "# Plan\n\n| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n";

fn row(id: &str, status: &str, deps: &str) -> String {
    format!("| {id} | Do {id} | Builder | - | - | A | {status} | {deps} | 1h |\n")
}

/// Runs `check` on `plan` and returns stderr, after checking exit 1 and that the plan's bytes
/// did not change.
fn check_fails(plan: &[u8]) -> String {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", plan);
    let run = repo.orch("orch-plan", &["check"]).expect_code(1);
    assert_eq!(
        std::fs::read(repo.root().join("MULTI_AGENT_PLAN.md")).expect("plan"),
        plan
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    run.stderr
}

#[test]
fn cyclic_and_unknown_dependencies() {
    let plan = format!(
        "{HEADER}{}{}{}",
        row("T1", "Not Started", "T3"),
        row("T2", "Not Started", "T1, T9"),
        row("T3", "Not Started", "T2")
    );
    let stderr = check_fails(plan.as_bytes());
    assert!(stderr.contains("MULTI_AGENT_PLAN.md:6:"), "{stderr}");
    assert!(
        stderr.contains("task T2 depends on T9, which is not in the plan"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dependency cycle: T1 -> T3 -> T2 -> T1"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems found"), "{stderr}");
}

#[test]
fn self_dependency_and_case_insensitive_duplicates() {
    let plan = format!(
        "{HEADER}{}{}",
        row("T1", "Not Started", "T1"),
        row("t1", "Not Started", "-")
    );
    let stderr = check_fails(plan.as_bytes());
    assert!(stderr.contains("duplicate task id t1"), "{stderr}");
    assert!(
        stderr.contains("MULTI_AGENT_PLAN.md:6:3: duplicate"),
        "{stderr}"
    );
    assert!(stderr.contains("task T1 depends on itself"), "{stderr}");
}

#[test]
fn invalid_ids() {
    for id in ["../x", "-rf", "a..b", "HEAD", ""] {
        let plan = format!("{HEADER}{}", row(id, "Not Started", "-"));
        let stderr = check_fails(plan.as_bytes());
        assert!(
            stderr.contains("MULTI_AGENT_PLAN.md:5:3: task id"),
            "{id:?}: {stderr}"
        );
    }
    let plan = format!("{HEADER}{}", row("T1", "Not Started", "../etc"));
    assert!(check_fails(plan.as_bytes()).contains("in dependencies \"../etc\""));
}

#[test]
fn unknown_status_missing_and_extra_cells() {
    let plan = format!("{HEADER}{}", row("T1", "Done", "-"));
    let stderr = check_fails(plan.as_bytes());
    assert!(stderr.contains("MULTI_AGENT_PLAN.md:5:"), "{stderr}");
    assert!(
        stderr.contains("unknown status \"Done\"; use one of Not Started"),
        "{stderr}"
    );

    let missing = format!("{HEADER}| T1 | Do it | Builder |\n");
    assert!(
        check_fails(missing.as_bytes())
            .contains("MULTI_AGENT_PLAN.md:5:1: this matrix row has 3 cells but the header has 9")
    );
    let extra = format!("{HEADER}| T1 | a | b | c | d | e | Not Started | - | 1h | extra |\n");
    assert!(check_fails(extra.as_bytes()).contains("has 10 cells but the header has 9"));
}

#[test]
fn empty_file_and_binary_garbage() {
    assert!(check_fails(b"").contains("MULTI_AGENT_PLAN.md:1:1: no task matrix found"));
    let garbage: Vec<u8> = (0..=255u8).rev().cycle().take(4096).collect();
    assert!(check_fails(&garbage).contains("not UTF-8"));
    assert!(check_fails(b"| Task ID | Status |\n|---|---|\n| T1 | \0 |\n").contains("NUL byte"));
}

#[test]
fn json_errors_carry_kind_file_and_line() {
    let repo = Repo::new();
    repo.write(
        "MULTI_AGENT_PLAN.md",
        format!("{HEADER}{}", row("T1", "Done", "-")),
    );
    let run = repo.orch("orch-plan", &["check", "--json"]).expect_code(1);
    let error = &run.stderr_json()["error"];
    assert_eq!(error["kind"], json!("invalid"));
    assert_eq!(error["line"], json!(5));
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("MULTI_AGENT_PLAN.md")),
        "{error}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown status")),
        "{error}"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn usage_errors_exit_2() {
    let repo = Repo::new();
    repo.orch("orch-plan", &["show", "--no-such-flag"])
        .expect_code(2);
    repo.orch("orch-plan", &["no-such-command"]).expect_code(2);
    let run = repo
        .orch("orch-plan", &["graph", "--format", "png", "--json"])
        .expect_code(2);
    assert_eq!(run.stderr_json()["error"]["kind"], json!("usage"));
    repo.orch("orch-plan", &["--help"]).expect_code(0);
}

#[test]
fn missing_plan_and_no_repository() {
    let repo = Repo::new();
    let run = repo.orch("orch-plan", &["show"]).expect_code(1);
    assert!(
        run.stderr.contains("no plan at") && run.stderr.contains("orch-plan init"),
        "{}",
        run.stderr
    );

    let outside = tempfile::tempdir().expect("temp dir");
    let run = repo
        .orch_in(outside.path(), "orch-plan", &["check"], &[])
        .expect_code(1);
    assert!(
        run.stderr.contains("is not inside a git repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--plan FILE"), "{}", run.stderr);
}
