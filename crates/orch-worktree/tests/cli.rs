//! The `orch-worktree` binary's command line: usage errors, JSON errors, and one spawn → list →
//! remove cycle. Being an integration test of this package, it also makes `cargo test
//! --workspace` build the binary that the end-to-end tests in `tests/e2e` run.

use std::path::Path;

use orch_e2e::{Repo, Run, run_in};

fn orch_worktree(dir: &Path, args: &[&str]) -> Run {
    run_in(
        Path::new(env!("CARGO_BIN_EXE_orch-worktree")),
        args,
        dir,
        &[],
    )
}

const PLAN: &str = "# Plan\n\n| Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n|---|---|---|---|---|---|---|---|---|\n| T1 | One | A / `s` | - | - | A | Not Started | - | 1h |\n";

#[test]
fn usage_errors_exit_2() {
    let repo = Repo::new();
    let run = orch_worktree(repo.root(), &["spawn"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = orch_worktree(repo.root(), &["spawn", "T1", "--ready"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = orch_worktree(
        repo.root(),
        &["spawn", "T1", "--from-deps", "--base", "main", "--json"],
    );
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stderr_json()["error"]["kind"], "usage");
    let run = orch_worktree(repo.root(), &["--help"]);
    assert_eq!(run.code, Some(0));
    for command in ["spawn", "list", "remove", "prune"] {
        assert!(run.stdout.contains(command), "{}", run.stdout);
    }
}

#[test]
fn outside_a_repository_is_an_error_with_a_hint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = orch_worktree(dir.path(), &["list", "--json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let message = run.stderr_json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("not inside a git repository"), "{message}");
}

#[test]
fn spawn_list_remove() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", PLAN);
    let run = orch_worktree(repo.root(), &["spawn", "T1", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.json()[0]["created"], true);
    let run = orch_worktree(repo.root(), &["list", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.json()[0]["task"], "T1");
    assert_eq!(run.json()[0]["dirty"], false);
    let run = orch_worktree(repo.root(), &["remove", "T1", "--delete-branch"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!repo.parent().join("repo-worktrees/T1").exists());
    assert_eq!(repo.git(&["branch", "--list", "feature/T1"]), "");
}
