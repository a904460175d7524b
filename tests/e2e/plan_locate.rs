//! Finding the canonical plan: from subdirectories, from linked worktrees, and the overrides.

use orch_e2e::{AUTH_PLAN, Repo};
use serde_json::json;

fn status_of(run: &orch_e2e::Run, index: usize) -> serde_json::Value {
    run.json()["tasks"][index]["status"].clone()
}

#[test]
fn a_linked_worktree_reads_the_main_worktrees_plan() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.git(&["add", "MULTI_AGENT_PLAN.md"]);
    repo.git(&["commit", "-q", "-m", "Add the plan"]);
    let linked = repo.parent().join("linked");
    let linked_str = linked.to_str().expect("utf-8 temp path");
    repo.git(&["worktree", "add", "-q", "-b", "feature/x", linked_str]);

    // The main worktree's copy moves on; the linked worktree's checked-out copy does not.
    repo.write(
        "MULTI_AGENT_PLAN.md",
        AUTH_PLAN.replacen("| A | Not Started |", "| A | Completed |", 1),
    );
    let deep = linked.join("src/deep");
    std::fs::create_dir_all(&deep).expect("dirs");
    for dir in [&linked, &deep] {
        let run = repo
            .orch_in(dir, "orch-plan", &["show", "--json"], &[])
            .expect_code(0);
        assert_eq!(
            status_of(&run, 0),
            json!("Completed"),
            "from {}",
            dir.display()
        );
        let plan = run.json()["plan"]
            .as_str()
            .map(std::path::PathBuf::from)
            .expect("plan path");
        assert_eq!(
            plan.canonicalize().expect("plan exists"),
            repo.root()
                .join("MULTI_AGENT_PLAN.md")
                .canonicalize()
                .expect("plan exists")
        );
    }
}

#[test]
fn plan_flag_and_environment_override() {
    let repo = Repo::new();
    repo.write("MULTI_AGENT_PLAN.md", AUTH_PLAN);
    repo.write(
        "other/PLAN.md",
        AUTH_PLAN.replacen("| A | Not Started |", "| A | Failed |", 1),
    );
    let run = repo
        .orch("orch-plan", &["show", "--json", "--plan", "other/PLAN.md"])
        .expect_code(0);
    assert_eq!(status_of(&run, 0), json!("Failed"));
    let run = repo
        .orch_in(
            repo.root(),
            "orch-plan",
            &["show", "--json"],
            &[("ORCH_PLAN", "other/PLAN.md")],
        )
        .expect_code(0);
    assert_eq!(status_of(&run, 0), json!("Failed"));
    // The flag wins over the environment.
    let run = repo
        .orch_in(
            repo.root(),
            "orch-plan",
            &["show", "--json", "--plan", "MULTI_AGENT_PLAN.md"],
            &[("ORCH_PLAN", "other/PLAN.md")],
        )
        .expect_code(0);
    assert_eq!(status_of(&run, 0), json!("Not Started"));

    // --plan works outside any repository too.
    let outside = tempfile::tempdir().expect("temp dir");
    let plan = repo.root().join("other/PLAN.md");
    let plan = plan.to_str().expect("utf-8 path");
    repo.orch_in(outside.path(), "orch-plan", &["check", "--plan", plan], &[])
        .expect_code(0);
}
