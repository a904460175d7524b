//! `orch-worktree` end to end: spawn (by id, `--ready`, `--group`, `--from-deps`), idempotence,
//! refusals that leave nothing behind, setup hooks, list, remove, prune, concurrency, and
//! `orch-plan` run inside a spawned worktree.

use std::path::{Path, PathBuf};

use orch_e2e::{Repo, Run, run_in};
use serde_json::Value;

const PLAN: &str = "MULTI_AGENT_PLAN.md";

/// A matrix row: id, worktree, branch, group, status, dependencies.
type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

fn plan(rows: &[Row<'_>]) -> String {
    let mut out = String::from(
        "# Plan\n\n## 3. Task Assignment Matrix\n\n\
         | Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (id, worktree, branch, group, status, deps) in rows {
        out.push_str(&format!(
            "| {id} | Task {id} | Builder / `builder-skill` | {worktree} | {branch} | {group} | {status} | {deps} | 1h |\n"
        ));
    }
    out
}

/// A repository whose committed plan has these rows.
fn repo_with(rows: &[Row<'_>]) -> Repo {
    let repo = Repo::new();
    repo.write(PLAN, plan(rows));
    repo.git(&["add", PLAN]);
    repo.git(&["commit", "-q", "-m", "Add the plan"]);
    repo
}

fn wt(repo: &Repo, args: &[&str]) -> Run {
    repo.orch("orch-worktree", args)
}

/// The default worktree of a task: `../repo-worktrees/<id>`.
fn default_path(repo: &Repo, id: &str) -> PathBuf {
    repo.parent().join("repo-worktrees").join(id)
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let run = run_in(Path::new("git"), args, dir, &[]);
    assert_eq!(
        run.code,
        Some(0),
        "git {args:?} in {}: {}",
        dir.display(),
        run.stderr
    );
    run.stdout
}

fn commit_file(dir: &Path, file: &str, content: &str) {
    std::fs::write(dir.join(file), content).expect("write");
    git_in(dir, &["add", file]);
    git_in(dir, &["commit", "-q", "-m", &format!("Change {file}")]);
}

fn branches(repo: &Repo) -> Vec<String> {
    repo.git(&["branch", "--format=%(refname:short)"])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn worktree_count(repo: &Repo) -> usize {
    repo.git(&["worktree", "list", "--porcelain"])
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

fn tip(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

fn same(a: &Path, b: &Path) -> bool {
    a.canonicalize().ok() == b.canonicalize().ok()
}

fn journal(repo: &Repo) -> Vec<Value> {
    std::fs::read_to_string(repo.root().join(".git/orch/journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal lines are JSON"))
        .collect()
}

/// Asserts that nothing was created: only the main worktree, only these branches, no
/// worktree directories.
#[track_caller]
fn nothing_created(repo: &Repo, branches_before: &[String]) {
    assert_eq!(
        worktree_count(repo),
        1,
        "{}",
        repo.git(&["worktree", "list"])
    );
    assert_eq!(branches(repo), branches_before);
    assert!(!repo.parent().join("repo-worktrees").exists());
    assert!(
        !repo.root().join(".git/worktrees").exists()
            || std::fs::read_dir(repo.root().join(".git/worktrees"))
                .expect("dir")
                .next()
                .is_none()
    );
}

const THREE: [Row<'static>; 3] = [
    ("T1", "-", "-", "A", "Not Started", "-"),
    ("T2", "-", "-", "B", "Not Started", "T1"),
    ("T3", "-", "-", "B", "Not Started", "T1"),
];

#[test]
fn spawn_by_id_makes_a_clean_worktree_on_its_branch_and_journals_it() {
    let repo = repo_with(&THREE);
    let main = tip(&repo, "main");
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    let out = run.json();
    assert_eq!(out[0]["task"], "T1");
    assert_eq!(out[0]["branch"], "feature/T1");
    assert_eq!(out[0]["created"], true);
    assert_eq!(out[0]["base"], main.as_str());
    assert_eq!(out[0]["setup"]["ok"], true);
    let path = default_path(&repo, "T1");
    assert!(same(
        Path::new(out[0]["path"].as_str().expect("path")),
        &path
    ));
    assert!(path.join("README.md").exists() && path.join(PLAN).exists());
    assert_eq!(tip(&repo, "feature/T1"), main);
    // git itself sees a clean worktree on the branch.
    assert_eq!(git_in(&path, &["status", "--porcelain"]), "");
    assert_eq!(
        git_in(&path, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/feature/T1"
    );
    assert_eq!(worktree_count(&repo), 2);
    let spawns: Vec<Value> = journal(&repo)
        .into_iter()
        .filter(|e| e["event"] == "spawn")
        .collect();
    assert_eq!(spawns.len(), 1);
    assert_eq!(spawns[0]["task"], "T1");
    assert_eq!(spawns[0]["detail"]["branch"], "feature/T1");
    assert_eq!(spawns[0]["detail"]["base"], main.as_str());
}

#[test]
fn spawning_again_reports_the_worktree_and_changes_nothing() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1"]).expect_code(0);
    let path = default_path(&repo, "T1");
    std::fs::write(path.join("work.txt"), "in progress\n").expect("write");
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["created"], false);
    let run = wt(&repo, &["spawn", "T1"]).expect_code(0);
    assert!(run.stdout.starts_with("exists   T1"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(path.join("work.txt")).expect("kept"),
        "in progress\n"
    );
    assert_eq!(worktree_count(&repo), 2);
}

#[test]
fn spawn_ready_and_group_select_from_the_plan() {
    let repo = repo_with(&[
        ("T1", "-", "-", "A", "Completed", "-"),
        ("T2", "-", "-", "B", "Not Started", "T1"),
        ("T3", "-", "-", "B", "Not Started", "T4"),
        ("T4", "-", "-", "C", "In Progress", "-"),
        ("T5", "-", "-", "C", "Not Started", "-"),
    ]);
    let run = wt(&repo, &["spawn", "--ready", "--json"]).expect_code(0);
    let ids: Vec<String> = run
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["task"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids, ["T2", "T5"]);
    let run = wt(&repo, &["spawn", "--group", "b", "--json"]).expect_code(0);
    let created: Vec<(String, bool)> = run
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            (
                s["task"].as_str().unwrap_or("").to_owned(),
                s["created"] == true,
            )
        })
        .collect();
    assert_eq!(created, [("T2".to_owned(), false), ("T3".to_owned(), true)]);
    assert_eq!(worktree_count(&repo), 4);
    let run = wt(&repo, &["spawn", "--group", "Z"]).expect_code(1);
    assert!(
        run.stderr
            .contains("no task is in parallel group \"Z\"; the plan's groups are A, B, C"),
        "{}",
        run.stderr
    );
    // Nothing is ready any more: not an error.
    let done = repo_with(&[("T1", "-", "-", "A", "Completed", "-")]);
    let run = wt(&done, &["spawn", "--ready"]).expect_code(0);
    assert!(run.stdout.starts_with("no task is ready"), "{}", run.stdout);
}

#[test]
fn from_deps_starts_from_the_one_dependency_s_branch() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1"]).expect_code(0);
    commit_file(&default_path(&repo, "T1"), "design.md", "the API\n");
    repo.write(
        PLAN,
        plan(&THREE).replace("| A | Not Started |", "| A | Completed |"),
    );
    let run = wt(&repo, &["spawn", "T2", "--from-deps", "--json"]).expect_code(0);
    let out = run.json();
    assert_eq!(out[0]["base"], tip(&repo, "feature/T1").as_str());
    assert_eq!(out[0]["base_from"], "T1");
    assert_eq!(tip(&repo, "feature/T2"), tip(&repo, "feature/T1"));
    assert!(default_path(&repo, "T2").join("design.md").exists());
    // Without --from-deps the branch starts at main.
    let run = wt(&repo, &["spawn", "T3", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["base"], tip(&repo, "main").as_str());
}

#[test]
fn from_deps_merges_two_dependencies_in_memory() {
    let rows = [
        ("T1", "-", "-", "A", "Not Started", "-"),
        ("T2", "-", "-", "A", "Not Started", "-"),
        ("T3", "-", "-", "B", "Not Started", "T1, T2"),
    ];
    let repo = repo_with(&rows);
    wt(&repo, &["spawn", "T1", "T2"]).expect_code(0);
    commit_file(&default_path(&repo, "T1"), "one.txt", "1\n");
    commit_file(&default_path(&repo, "T2"), "two.txt", "2\n");
    repo.write(
        PLAN,
        plan(&rows).replace("| A | Not Started |", "| A | Completed |"),
    );
    let main_before = tip(&repo, "main");
    let run = wt(&repo, &["spawn", "T3", "--from-deps", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["base_from"], "merge of T1, T2");
    let path = default_path(&repo, "T3");
    assert!(path.join("one.txt").exists() && path.join("two.txt").exists());
    let parents = git_in(&path, &["rev-list", "--parents", "-n", "1", "HEAD"]);
    let parents: Vec<&str> = parents.split_whitespace().skip(1).collect();
    assert_eq!(
        parents,
        [tip(&repo, "feature/T1"), tip(&repo, "feature/T2")]
    );
    assert_eq!(
        git_in(&path, &["log", "-1", "--format=%s"]).trim(),
        "Merge dependencies of T3: T1, T2"
    );
    assert_eq!(git_in(&path, &["status", "--porcelain"]), "");
    // No other ref moved.
    assert_eq!(tip(&repo, "main"), main_before);
}

#[test]
fn from_deps_refuses_conflicts_and_unfinished_dependencies_creating_nothing() {
    let rows = [
        ("T1", "-", "-", "A", "Not Started", "-"),
        ("T2", "-", "-", "A", "Not Started", "-"),
        ("T3", "-", "-", "B", "Not Started", "T1, T2"),
    ];
    let repo = repo_with(&rows);
    // Unfinished dependencies.
    let run = wt(&repo, &["spawn", "T3", "--from-deps"]).expect_code(1);
    assert!(
        run.stderr.contains("dependencies T1, T2 are not Completed"),
        "{}",
        run.stderr
    );
    wt(&repo, &["spawn", "T1", "T2"]).expect_code(0);
    commit_file(&default_path(&repo, "T1"), "README.md", "one\n");
    commit_file(&default_path(&repo, "T2"), "README.md", "two\n");
    repo.write(
        PLAN,
        plan(&rows).replace("| A | Not Started |", "| A | Completed |"),
    );
    let before = branches(&repo);
    let run = wt(&repo, &["spawn", "T3", "--from-deps"]).expect_code(1);
    assert!(
        run.stderr.contains("conflict in README.md"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("MULTI_AGENT_PLAN.md:"),
        "placed at the row: {}",
        run.stderr
    );
    assert_eq!(branches(&repo), before);
    assert_eq!(worktree_count(&repo), 3);
    assert!(!default_path(&repo, "T3").exists());
}

#[test]
fn base_from_dependencies_in_orch_toml_is_the_default_and_base_overrides_it() {
    let rows = [
        ("T1", "-", "-", "A", "Completed", "-"),
        ("T2", "-", "-", "B", "Not Started", "T1"),
    ];
    let repo = repo_with(&rows);
    repo.write(
        "orch.toml",
        "[project]\nname = \"x\"\n\n[[task]]\nid = \"T1\"\ndescription = \"d\"\nagent = \"A\"\n\n[worktree]\nbase_from = \"dependencies\"\n",
    );
    repo.git(&["branch", "feature/T1"]);
    std::fs::write(repo.root().join("x.txt"), "x\n").expect("write");
    repo.git(&["add", "x.txt"]);
    repo.git(&["commit", "-q", "-m", "Move main on"]);
    let run = wt(&repo, &["spawn", "T2", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["base_from"], "T1");
    assert_eq!(tip(&repo, "feature/T2"), tip(&repo, "feature/T1"));
    wt(&repo, &["remove", "T2", "--delete-branch", "--force"]).expect_code(0);
    let run = wt(&repo, &["spawn", "T2", "--base", "main", "--json"]).expect_code(0);
    assert_eq!(tip(&repo, "feature/T2"), tip(&repo, "main"));
    assert_eq!(run.json()[0]["base_from"], "main");
    wt(&repo, &["remove", "T2", "--delete-branch", "--force"]).expect_code(0);
    let run = wt(&repo, &["spawn", "T2", "--base", "no-such-rev"]).expect_code(1);
    assert!(
        run.stderr
            .contains("base \"no-such-rev\" does not name a commit"),
        "{}",
        run.stderr
    );
}

#[test]
fn refusals_create_nothing() {
    let rows = [
        ("T1", "`../../x`", "-", "A", "Not Started", "-"),
        ("T2", "`.`", "-", "A", "Not Started", "-"),
        ("T3", "`sub/dir`", "-", "A", "Not Started", "-"),
        ("T4", "-", "`shared`", "A", "Not Started", "-"),
        ("T5", "-", "`shared`", "A", "Not Started", "-"),
        ("T6", "`../taken`", "-", "A", "Not Started", "-"),
        ("T7", "-", "`main`", "A", "Not Started", "-"),
        ("T8", "-", "-", "A", "Not Started", "-"),
    ];
    let repo = repo_with(&rows);
    std::fs::create_dir_all(repo.parent().join("taken")).expect("dir");
    std::fs::write(repo.parent().join("taken/mine.txt"), "keep me\n").expect("write");
    let before = branches(&repo);
    for (task, message) in [
        ("T1", "is not inside"),
        ("T2", "is the main worktree"),
        ("T3", "is inside the main worktree"),
        ("T6", "is a directory that is not empty"),
        ("T7", "branch main is already checked out in"),
    ] {
        let run = wt(&repo, &["spawn", task, "T8"]).expect_code(1);
        assert!(run.stderr.contains(message), "{task}: {}", run.stderr);
        nothing_created(&repo, &before);
    }
    let run = wt(&repo, &["spawn", "T4", "T5"]).expect_code(1);
    assert!(
        run.stderr.contains("would both use the branch shared"),
        "{}",
        run.stderr
    );
    let run = wt(&repo, &["spawn", "T9"]).expect_code(1);
    assert!(
        run.stderr.contains("task T9 is not in the plan"),
        "{}",
        run.stderr
    );
    let run = wt(&repo, &["spawn", "../x"]).expect_code(1);
    assert!(
        run.stderr.contains("task id \"../x\" contains '/'"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(repo.parent().join("taken/mine.txt")).expect("kept"),
        "keep me\n"
    );
    nothing_created(&repo, &before);
    // A path inside .git, and a branch checked out in another worktree.
    repo.write(
        PLAN,
        plan(&[("T1", "`.git/wt`", "-", "A", "Not Started", "-")]),
    );
    let run = wt(&repo, &["spawn", "T1"]).expect_code(1);
    assert!(run.stderr.contains(".git component"), "{}", run.stderr);
    let other = repo.parent().join("other");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature/T1",
        other.to_str().expect("utf-8"),
    ]);
    repo.write(PLAN, plan(&[("T1", "-", "-", "A", "Not Started", "-")]));
    let run = wt(&repo, &["spawn", "T1"]).expect_code(1);
    assert!(
        run.stderr
            .contains("branch feature/T1 is already checked out in"),
        "{}",
        run.stderr
    );
    assert!(!default_path(&repo, "T1").exists());
    assert_eq!(worktree_count(&repo), 2);
}

#[test]
fn a_failure_midway_is_rolled_back() {
    let repo = repo_with(&THREE);
    // A commit whose blob is missing: the checkout fails after the branch and the
    // administrative files were made.
    repo.write("big.txt", "content that goes missing\n");
    repo.git(&["add", "big.txt"]);
    repo.git(&["commit", "-q", "-m", "Add big.txt"]);
    let blob = tip(&repo, "HEAD:big.txt");
    std::fs::remove_file(
        repo.root()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .expect("remove the blob");
    let before = branches(&repo);
    let run = wt(&repo, &["spawn", "T1", "T2"]).expect_code(1);
    assert!(run.stderr.contains("cannot spawn T1"), "{}", run.stderr);
    nothing_created(&repo, &before);
}

#[test]
fn an_existing_empty_directory_and_an_existing_branch_are_used_as_they_are() {
    let repo = repo_with(&THREE);
    std::fs::create_dir_all(default_path(&repo, "T1")).expect("dir");
    repo.git(&["branch", "feature/T2", "HEAD"]);
    let old = tip(&repo, "feature/T2");
    commit_file(repo.root(), "new.txt", "new\n");
    let run = wt(&repo, &["spawn", "T1", "T2", "--json"]).expect_code(0);
    let out = run.json();
    assert_eq!(out[0]["created"], true);
    assert_eq!(out[1]["branch_created"], false);
    assert_eq!(
        tip(&repo, "feature/T2"),
        old,
        "an existing branch is not moved"
    );
    assert!(!default_path(&repo, "T2").join("new.txt").exists());
}

#[test]
fn setup_copies_ignored_files_and_runs_commands_with_their_output_logged() {
    let repo = repo_with(&THREE);
    repo.write(".gitignore", ".env\n");
    repo.write(".env", "TOKEN=secret\n");
    repo.git(&["add", ".gitignore"]);
    repo.git(&["commit", "-q", "-m", "Ignore .env"]);
    repo.write(
        "orch.toml",
        "[project]\nname = \"x\"\n\n[[task]]\nid = \"T1\"\ndescription = \"d\"\nagent = \"A\"\n\n[worktree]\ncopy = [\".env\", \"absent.txt\"]\nsetup = [[\"sh\", \"-c\", \"echo setup for $ORCH_TASK; echo in $ORCH_WORKTREE > setup.out\"]]\n",
    );
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    let setup = &run.json()[0]["setup"];
    assert_eq!(setup["ok"], true);
    assert_eq!(setup["copied"], serde_json::json!([".env"]));
    assert_eq!(setup["missing"], serde_json::json!(["absent.txt"]));
    let path = default_path(&repo, "T1");
    assert_eq!(
        std::fs::read_to_string(path.join(".env")).expect("copied"),
        "TOKEN=secret\n"
    );
    assert!(
        std::fs::read_to_string(path.join("setup.out"))
            .expect("ran")
            .starts_with("in ")
    );
    let log = std::fs::read_to_string(setup["log"].as_str().expect("log")).expect("log");
    assert!(log.contains("setup for T1"), "{log}");
}

#[test]
fn a_failing_setup_is_reported_and_the_worktree_kept() {
    let repo = repo_with(&THREE);
    repo.write(
        "orch.toml",
        "[project]\nname = \"x\"\n\n[[task]]\nid = \"T1\"\ndescription = \"d\"\nagent = \"A\"\n\n[worktree]\nsetup = [[\"sh\", \"-c\", \"echo boom; exit 3\"], [\"touch\", \"never\"]]\n",
    );
    let run = wt(&repo, &["spawn", "T1", "T2"]).expect_code(1);
    assert!(
        run.stderr
            .contains("the setup of T1 failed: `sh -c \"echo boom; exit 3\"` exited with 3"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("is kept for inspection"),
        "{}",
        run.stderr
    );
    for id in ["T1", "T2"] {
        assert!(default_path(&repo, id).join("README.md").exists(), "{id}");
        assert!(!default_path(&repo, id).join("never").exists());
    }
    let log = std::fs::read_to_string(repo.root().join(".git/orch/logs/T1.log")).expect("log");
    assert!(log.contains("boom"), "{log}");
}

#[test]
fn list_reports_tasks_branches_divergence_and_dirt() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1", "T2"]).expect_code(0);
    commit_file(&default_path(&repo, "T1"), "a.txt", "a\n");
    commit_file(&default_path(&repo, "T1"), "b.txt", "b\n");
    std::fs::write(default_path(&repo, "T2").join("scratch.txt"), "untracked\n").expect("write");
    commit_file(repo.root(), "main.txt", "main moves on\n");
    let stray = repo.parent().join("stray");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        stray.to_str().expect("utf-8"),
    ]);
    let run = wt(&repo, &["list", "--json"]).expect_code(0);
    let rows = run.json();
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 3);
    for row in rows {
        for key in [
            "task", "path", "branch", "head", "ahead", "behind", "dirty", "status",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    assert_eq!(rows[0]["task"], "T1");
    assert_eq!(rows[0]["branch"], "feature/T1");
    assert_eq!(rows[0]["head"], tip(&repo, "feature/T1").as_str());
    assert_eq!(
        (rows[0]["ahead"].clone(), rows[0]["behind"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(rows[0]["dirty"], false);
    assert_eq!(rows[0]["status"], "Not Started");
    assert_eq!(rows[1]["task"], "T2");
    assert_eq!(rows[1]["dirty"], true);
    assert_eq!(
        (rows[1]["ahead"].clone(), rows[1]["behind"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(rows[2]["task"], Value::Null);
    assert_eq!(rows[2]["branch"], Value::Null);
    assert_eq!(rows[2]["status"], Value::Null);
    assert!(same(
        Path::new(rows[2]["path"].as_str().expect("path")),
        &stray
    ));
    // The same from inside a worktree, and as a table.
    let inside = repo
        .orch_in(
            &default_path(&repo, "T2"),
            "orch-worktree",
            &["list", "--json"],
            &[],
        )
        .expect_code(0);
    assert_eq!(inside.json(), run.json());
    let table = wt(&repo, &["list"]).expect_code(0).stdout;
    assert!(table.starts_with("Task  Status"), "{table}");
    assert!(
        table.contains("feature/T1") && table.contains("dirty") && table.contains("(detached)"),
        "{table}"
    );
}

#[test]
fn remove_refuses_dirty_worktrees_and_unmerged_branches_without_force() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1", "T2", "T3"]).expect_code(0);
    commit_file(&default_path(&repo, "T1"), "work.txt", "done\n");
    std::fs::write(default_path(&repo, "T2").join("README.md"), "edited\n").expect("edit");
    let run = wt(&repo, &["remove", "T2", "T3"]).expect_code(1);
    assert!(
        run.stderr.contains("uncommitted changes (README.md)"),
        "{}",
        run.stderr
    );
    assert!(
        default_path(&repo, "T3").exists(),
        "nothing removed when one is refused"
    );
    let run = wt(&repo, &["remove", "T1", "--delete-branch"]).expect_code(1);
    assert!(
        run.stderr
            .contains("branch feature/T1 has 1 commit(s) not on main"),
        "{}",
        run.stderr
    );
    assert!(default_path(&repo, "T1").exists());
    // Removing without --delete-branch keeps the branch and its commit.
    let run = wt(&repo, &["remove", "T1", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["branch_deleted"], false);
    assert!(!default_path(&repo, "T1").exists());
    assert!(branches(&repo).contains(&"feature/T1".to_owned()));
    wt(&repo, &["remove", "T2", "--force"]).expect_code(0);
    // A merged branch goes with --delete-branch.
    wt(&repo, &["remove", "T3", "--delete-branch"]).expect_code(0);
    assert_eq!(branches(&repo), ["feature/T1", "feature/T2", "main"]);
    assert_eq!(worktree_count(&repo), 1);
    let run = wt(&repo, &["remove", "T3"]).expect_code(1);
    assert!(
        run.stderr.contains("task T3 has no worktree"),
        "{}",
        run.stderr
    );
    let removes = journal(&repo)
        .into_iter()
        .filter(|e| e["event"] == "remove")
        .count();
    assert_eq!(removes, 3);
}

#[test]
fn prune_forgets_worktrees_whose_directory_is_gone() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1", "T2"]).expect_code(0);
    std::fs::remove_dir_all(default_path(&repo, "T1")).expect("rm -rf");
    let rows = wt(&repo, &["list", "--json"]).expect_code(0).json();
    assert_eq!(rows[0]["prunable"], true);
    let run = wt(&repo, &["prune"]).expect_code(0);
    assert!(run.stdout.starts_with("pruned   T1"), "{}", run.stdout);
    assert_eq!(worktree_count(&repo), 2);
    assert!(
        branches(&repo).contains(&"feature/T1".to_owned()),
        "prune keeps branches"
    );
    let run = wt(&repo, &["prune"]).expect_code(0);
    assert!(run.stdout.starts_with("nothing to prune"), "{}", run.stdout);
    // The task can be spawned again on its kept branch.
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["branch_created"], false);
    assert_eq!(
        journal(&repo)
            .iter()
            .filter(|e| e["event"] == "prune")
            .count(),
        1
    );
}

#[test]
fn eight_tasks_spawn_concurrently_and_racing_processes_stay_consistent() {
    let ids: Vec<(String, &str)> = (1..=16)
        .map(|i| (format!("T{i}"), if i <= 8 { "A" } else { "B" }))
        .collect();
    let rows: Vec<Row<'_>> = ids
        .iter()
        .map(|(id, group)| (id.as_str(), "-", "-", *group, "Not Started", "-"))
        .collect();
    let repo = repo_with(&rows);
    for i in 0..50 {
        repo.write(&format!("src/m{}/f{i}.txt", i % 5), format!("file {i}\n"));
    }
    repo.git(&["add", "src"]);
    repo.git(&["commit", "-q", "-m", "Add files"]);
    // One process, eight tasks at once.
    let run = wt(&repo, &["spawn", "--group", "A", "--json"]).expect_code(0);
    let out = run.json();
    let created = out
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["created"] == true);
    assert_eq!(created.count(), 8);
    // Two processes race to spawn the same eight tasks: each worktree is made exactly once,
    // and a loser either finds it (exit 0) or reports the contention (exit 3).
    let children: Vec<_> = (0..2)
        .map(|_| {
            repo.orch_command("orch-worktree", &["spawn", "--group", "B"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(code == Some(0) || code == Some(3), "{code:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(worktree_count(&repo), 17);
    for i in 1..=16 {
        let path = default_path(&repo, &format!("T{i}"));
        assert_eq!(git_in(&path, &["status", "--porcelain"]), "", "T{i}");
        assert!(path.join("src/m3/f48.txt").exists(), "T{i}");
    }
    // A loser that lost everything retries and finds all of them.
    let run = wt(&repo, &["spawn", "--group", "B", "--json"]).expect_code(0);
    assert!(
        run.json()
            .as_array()
            .expect("array")
            .iter()
            .all(|s| s["created"] == false)
    );
}

#[test]
fn orch_plan_in_a_spawned_worktree_updates_the_canonical_plan() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1"]).expect_code(0);
    let path = default_path(&repo, "T1");
    let deep = path.join("src/deep");
    std::fs::create_dir_all(&deep).expect("dirs");
    let own_copy = std::fs::read_to_string(path.join(PLAN)).expect("the worktree's copy");
    repo.orch_in(
        &deep,
        "orch-plan",
        &["claim", "T1", "--agent", "builder-1"],
        &[],
    )
    .expect_code(0);
    repo.orch_in(&path, "orch-plan", &["status", "T1", "completed"], &[])
        .expect_code(0);
    let canonical = repo.read(PLAN);
    assert!(canonical.contains("| A | Completed   | - |"), "{canonical}");
    assert_eq!(
        std::fs::read_to_string(path.join(PLAN)).expect("unchanged"),
        own_copy
    );
    // orch-worktree sees the new status from anywhere.
    let rows = repo
        .orch_in(&deep, "orch-worktree", &["list", "--json"], &[])
        .expect_code(0)
        .json();
    assert_eq!(rows[0]["status"], "Completed");
}

#[test]
fn trees_with_attributes_or_links_are_checked_out_as_git_would() {
    let repo = repo_with(&THREE);
    repo.write(".gitattributes", "*.txt text eol=crlf\n");
    repo.write("notes/a.txt", "one\ntwo\n");
    repo.write("tool.sh", "#!/bin/sh\necho tool\n");
    repo.git(&["add", "."]);
    repo.git(&["update-index", "--chmod=+x", "tool.sh"]);
    repo.git(&["commit", "-q", "-m", "Attributes, an executable"]);
    // With attributes, libgit2 applies them: the text file gets CRLF, as with git.
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    let checkout = run.json()[0]["checkout"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(checkout.starts_with("libgit2"), "{checkout}");
    let path = default_path(&repo, "T1");
    assert_eq!(
        std::fs::read(path.join("notes/a.txt")).expect("read"),
        b"one\r\ntwo\r\n"
    );
    assert_eq!(git_in(&path, &["status", "--porcelain"]), "");
    // Without them, the parallel checkout writes the same bytes, modes and links as git.
    repo.git(&["rm", "-q", ".gitattributes"]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("tool.sh", repo.root().join("link")).expect("link");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-q", "-m", "No attributes, a link"]);
    let run = wt(&repo, &["spawn", "T2", "--json"]).expect_code(0);
    let checkout = run.json()[0]["checkout"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(checkout.starts_with("parallel"), "{checkout}");
    let ours = default_path(&repo, "T2");
    let theirs = repo.parent().join("by-git");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "by-git",
        theirs.to_str().expect("utf-8"),
    ]);
    for file in ["README.md", "notes/a.txt", "tool.sh", PLAN] {
        assert_eq!(
            std::fs::read(ours.join(file)).expect("ours"),
            std::fs::read(theirs.join(file)).expect("git's"),
            "{file}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode();
        assert_eq!(mode(&ours.join("tool.sh")), mode(&theirs.join("tool.sh")));
        assert_eq!(
            mode(&ours.join("README.md")),
            mode(&theirs.join("README.md"))
        );
        assert_eq!(
            std::fs::read_link(ours.join("link")).expect("a link"),
            Path::new("tool.sh")
        );
    }
    assert_eq!(git_in(&ours, &["status", "--porcelain"]), "");
    assert_eq!(
        git_in(&ours, &["ls-files", "--stage"]),
        git_in(&theirs, &["ls-files", "--stage"])
    );
}

#[test]
fn an_interrupted_spawn_is_reported_and_removed_with_force() {
    let repo = repo_with(&THREE);
    wt(&repo, &["spawn", "T1"]).expect_code(0);
    // As if the spawn had been killed before it finished: the worktree is still locked.
    std::fs::write(
        repo.root().join(".git/worktrees/T1/locked"),
        "initializing by orch-worktree, pid 4000000 on elsewhere\n",
    )
    .expect("lock");
    let run = wt(&repo, &["spawn", "T1"]).expect_code(1);
    assert!(
        run.stderr.contains("an earlier spawn was interrupted"),
        "{}",
        run.stderr
    );
    let run = wt(&repo, &["remove", "T1"]).expect_code(1);
    assert!(
        run.stderr
            .contains("is locked (initializing by orch-worktree"),
        "{}",
        run.stderr
    );
    wt(&repo, &["remove", "T1", "--force"]).expect_code(0);
    let run = wt(&repo, &["spawn", "T1", "--json"]).expect_code(0);
    assert_eq!(run.json()[0]["created"], true);
    assert_eq!(run.json()[0]["branch_created"], false);
}
