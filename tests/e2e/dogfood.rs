//! This repository's own plan, made by `orch-plan init` from the committed `orch.toml`, and the
//! tidy checks that keep README.md and CI in step.

use std::path::{Path, PathBuf};

use orch_e2e::{Repo, run_in};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .expect("workspace root")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn the_projects_own_plan_passes_check() {
    let plan = workspace().join("MULTI_AGENT_PLAN.md");
    let plan = plan.to_str().expect("utf-8 path");
    let run = run_in(
        &orch_e2e::bin("orch-plan"),
        &["check", "--plan", plan],
        &workspace(),
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn the_projects_own_plan_matches_its_spec() {
    // Render the committed spec afresh and compare every task, except the statuses that move
    // on in the plan itself.
    let repo = Repo::new();
    let spec = workspace().join("orch.toml");
    let fresh = repo.parent().join("fresh/MULTI_AGENT_PLAN.md");
    std::fs::create_dir_all(fresh.parent().expect("parent")).expect("dir");
    let (spec, fresh) = (
        spec.to_str().expect("utf-8"),
        fresh.to_str().expect("utf-8"),
    );
    repo.orch("orch-plan", &["init", "--spec", spec, "--plan", fresh])
        .expect_code(0);
    let tasks_of = |plan: &str| {
        let mut shown = repo
            .orch("orch-plan", &["show", "--json", "--plan", plan])
            .expect_code(0)
            .json();
        let mut tasks = shown["tasks"].take();
        for task in tasks.as_array_mut().into_iter().flatten() {
            task["status"] = serde_json::Value::Null;
        }
        tasks
    };
    let committed = workspace().join("MULTI_AGENT_PLAN.md");
    assert_eq!(
        tasks_of(committed.to_str().expect("utf-8")),
        tasks_of(fresh),
        "MULTI_AGENT_PLAN.md no longer matches orch.toml: edit orch.toml, run `orch-plan init --force`, and carry the statuses over"
    );
}

#[test]
fn ci_runs_the_test_command_that_the_readme_gives() {
    let readme = read(&workspace().join("README.md"));
    let ci = read(&workspace().join(".ci/run"));
    for command in ["cargo test --workspace", "cargo xtask demo"] {
        assert!(readme.contains(command), "README.md must give `{command}`");
        assert!(ci.contains(command), ".ci/run must run `{command}`");
    }
}

/// README.md's Performance section shows docs/bench.md as `cargo xtask bench` wrote it: the
/// report without its title, its sections one level down, between the two markers.
#[test]
fn the_readme_shows_the_committed_benchmark_report() {
    let readme = read(&workspace().join("README.md"));
    let report = read(&workspace().join("docs/bench.md"));
    let begin = "<!-- bench:begin: written by `cargo xtask bench` from docs/bench.md; do not edit by hand -->";
    let end = "<!-- bench:end -->";
    let start = readme
        .find(begin)
        .expect("README.md lacks the bench:begin marker")
        + begin.len();
    let stop = readme
        .find(end)
        .expect("README.md lacks the bench:end marker");
    let mut expected = String::new();
    for line in report
        .lines()
        .skip_while(|l| l.starts_with("# ") || l.is_empty())
    {
        if line.starts_with('#') {
            expected.push('#');
        }
        expected.push_str(line);
        expected.push('\n');
    }
    assert!(
        report.starts_with("# orch benchmarks\n\nMeasured on "),
        "docs/bench.md must say when it was measured"
    );
    assert!(
        report.contains("\n\nMachine: "),
        "docs/bench.md must name the machine"
    );
    assert!(
        !report.contains("(quick mode)"),
        "docs/bench.md must come from a full run of `cargo xtask bench`, not --quick"
    );
    assert_eq!(
        readme[start..stop].trim(),
        expected.trim(),
        "README.md's copy of docs/bench.md is stale: run `cargo xtask bench`"
    );
}
