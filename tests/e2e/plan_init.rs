//! `orch-plan init`: from the starter spec, from a written spec, refusals, and overrides.

use orch_e2e::Repo;
use serde_json::json;

const SPEC: &str = r#"
[project]
name = "Payments"
base = "main"
branch_prefix = "agent/"

[[task]]
id = "P1"
description = "Design the ledger | with a pipe"
agent = "Architect"
skills = ["architecture-skill"]
group = "A"
estimate = "30m"

[[task]]
id = "P2"
description = "Build it 🚀"
agent = "Builder"
group = "B"
depends_on = ["P1"]
estimate = "2h"
branch = "feature/ledger"
"#;

fn files(repo: &Repo) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo.root())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n != ".git")
        .collect();
    names.sort();
    names
}

#[test]
fn init_check_show_tour_from_the_starter_spec() {
    let repo = Repo::new();
    let run = repo.orch("orch-plan", &["init", "--json"]).expect_code(0);
    let out = run.json();
    assert_eq!(out["tasks"], json!(7));
    assert_eq!(out["spec_created"], json!(true));
    assert_eq!(
        files(&repo),
        [
            "INTER_AGENT_MESSAGES.md",
            "MULTI_AGENT_PLAN.md",
            "README.md",
            "orch.toml"
        ]
    );
    repo.orch("orch-plan", &["check"]).expect_code(0);
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    let ids: Vec<&str> = shown["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]);
    assert_eq!(shown["critical_path"], json!(["T1", "T2", "T5", "T7"]));
    assert_eq!(shown["tasks"][1]["agent"], json!("Builder-1"));
    assert_eq!(shown["tasks"][4]["depends_on"], json!(["T2", "T3", "T4"]));
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    for heading in [
        "## 1. Architecture Decision",
        "## 3. Task Assignment Matrix",
        "## 8. Notes and Blockers",
        "### Actual Execution Log",
        "## Integration Summary",
        "## Retrospective",
        "### Worktree Locations",
    ] {
        assert!(plan.contains(heading), "missing {heading}");
    }
    // Derived worktrees use the repository's directory name.
    assert!(plan.contains("`../repo-worktrees/T1`"), "{plan}");
}

#[test]
fn init_renders_a_written_spec_with_escaped_cells() {
    let repo = Repo::new();
    repo.write("orch.toml", SPEC);
    repo.orch("orch-plan", &["init"]).expect_code(0);
    let shown = repo
        .orch("orch-plan", &["show", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(
        shown["tasks"][0]["description"],
        json!("Design the ledger | with a pipe")
    );
    assert_eq!(shown["tasks"][0]["branch"], json!("agent/P1"));
    assert_eq!(shown["tasks"][1]["description"], json!("Build it 🚀"));
    assert_eq!(shown["tasks"][1]["branch"], json!("feature/ledger"));
    assert_eq!(shown["tasks"][1]["estimate"], json!("2h"));
    assert_eq!(repo.read("orch.toml"), SPEC, "the spec is never rewritten");
}

#[test]
fn init_refuses_to_overwrite_without_force_and_keeps_messages() {
    let repo = Repo::new();
    repo.write("orch.toml", SPEC);
    repo.orch("orch-plan", &["init"]).expect_code(0);
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let messages = format!(
        "{}\nID: M-0001\nFROM: a\nTO: b\nTYPE: Update\nTIMESTAMP: 2026-01-01T00:00:00Z\nSTATUS: Sent\n\nkeep me\n",
        repo.read("INTER_AGENT_MESSAGES.md")
    );
    repo.write("INTER_AGENT_MESSAGES.md", &messages);

    let run = repo.orch("orch-plan", &["init"]).expect_code(1);
    assert!(
        run.stderr.contains("already exists") && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), plan);

    repo.write("orch.toml", SPEC.replace("Build it", "Build it again"));
    let out = repo
        .orch("orch-plan", &["init", "--force", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(out["messages_kept"], json!(true));
    assert!(repo.read("MULTI_AGENT_PLAN.md").contains("Build it again"));
    assert_eq!(
        repo.read("INTER_AGENT_MESSAGES.md"),
        messages,
        "messages are never overwritten"
    );
}

#[test]
fn a_bad_spec_writes_nothing_and_names_the_line() {
    let repo = Repo::new();
    let cyclic = SPEC.replace(
        "estimate = \"30m\"",
        "estimate = \"30m\"\ndepends_on = [\"P2\"]",
    );
    repo.write("orch.toml", &cyclic);
    let run = repo.orch("orch-plan", &["init"]).expect_code(1);
    assert!(run.stderr.contains("orch.toml:"), "{}", run.stderr);
    assert!(run.stderr.contains("dependency cycle"), "{}", run.stderr);
    assert_eq!(files(&repo), ["README.md", "orch.toml"]);

    repo.write("orch.toml", SPEC.replace("group = \"B\"", "gruop = \"B\""));
    let run = repo.orch("orch-plan", &["init", "--json"]).expect_code(1);
    let error = &run.stderr_json()["error"];
    assert_eq!(error["line"], json!(19), "{error}");
    assert_eq!(files(&repo), ["README.md", "orch.toml"]);

    repo.write("orch.toml", "[project\nname = 1\n");
    let run = repo.orch("orch-plan", &["init"]).expect_code(1);
    assert!(run.stderr.contains("orch.toml:1:"), "{}", run.stderr);
    repo.write("orch.toml", SPEC.replace("id = \"P2\"", "id = \"../P2\""));
    assert!(
        repo.orch("orch-plan", &["init"])
            .expect_code(1)
            .stderr
            .contains("task id \"../P2\"")
    );
    assert_eq!(files(&repo), ["README.md", "orch.toml"]);
}

#[test]
fn templates_can_be_overridden_per_repository() {
    let repo = Repo::new();
    repo.write("orch.toml", SPEC);
    repo.write(
        ".orch/templates/MULTI_AGENT_PLAN.md",
        "# {{ project.name }} (house style)\n\n| Task ID | Status |\n|---|---|\n{% for task in tasks %}| {{ task.id }} | {{ task.status }} |\n{% endfor %}",
    );
    let run = repo.orch("orch-plan", &["init"]);
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(plan.starts_with("# Payments (house style)"), "{plan}");
    repo.orch("orch-plan", &["check"]).expect_code(0);
}

#[test]
fn init_from_a_linked_worktree_writes_the_main_plan() {
    let repo = Repo::new();
    repo.write("orch.toml", SPEC);
    repo.git(&["add", "orch.toml"]);
    repo.git(&["commit", "-q", "-m", "Add the spec"]);
    let linked = repo.parent().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature/y",
        linked.to_str().expect("utf-8"),
    ]);
    repo.orch_in(&linked, "orch-plan", &["init"], &[])
        .expect_code(0);
    assert!(repo.root().join("MULTI_AGENT_PLAN.md").exists());
    assert!(!linked.join("MULTI_AGENT_PLAN.md").exists());
}

#[cfg(unix)]
#[test]
fn init_creates_files_with_the_usual_mode_not_a_temp_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let repo = Repo::new();
    repo.orch("orch-plan", &["init"]).expect_code(0);
    let mode = |name: &str| {
        std::fs::metadata(repo.root().join(name))
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    // Both follow the umask, like files an editor creates; a temp file's 0600 would differ.
    assert_eq!(mode("MULTI_AGENT_PLAN.md"), mode("orch.toml"));
    assert_eq!(mode("INTER_AGENT_MESSAGES.md"), mode("orch.toml"));
}
