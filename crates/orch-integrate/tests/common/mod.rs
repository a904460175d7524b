//! Shared helpers: real repositories made with the git CLI (the hermetic `orch_e2e`
//! environment), settings for the library, and snapshots of everything an integration must
//! not change.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use orch_e2e::{Repo, run_in};
use orch_integrate::{Identity, Integrator, Settings};

/// The committer the tests pin: `Orch Test`, 2026-01-01T00:00:00Z.
pub fn committer() -> Identity {
    Identity {
        name: Some("Orch Test".to_owned()),
        email: Some("orch@example.com".to_owned()),
        time: Some((1_767_225_600, 0)),
    }
}

/// Settings for the repository at `repo`'s root, base `main`, with `gates`.
pub fn settings(repo: &Repo, gates: &[&[&str]]) -> Settings {
    let workspace = orch_status::locate(repo.root(), None).expect("locate");
    Settings {
        gate_timeout: None,
        repo: repo.root().to_owned(),
        workspace,
        base: "main".to_owned(),
        branch_prefix: "feature/".to_owned(),
        gates: gates
            .iter()
            .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
            .collect(),
        lock_timeout: Duration::from_secs(20),
        command: "orch-integrate test".to_owned(),
        actor: "tester".to_owned(),
        committer: committer(),
    }
}

/// An integrator for `repo` with `gates`.
pub fn integrator(repo: &Repo, gates: &[&[&str]]) -> Integrator {
    Integrator::new(settings(repo, gates))
}

/// Stages everything and commits with `message` in the root.
pub fn commit_all(repo: &Repo, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", message]);
}

/// Runs git in `dir` in the hermetic environment; panics if it fails.
#[track_caller]
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let run = run_in(Path::new("git"), args, dir, &[]);
    assert_eq!(
        run.code,
        Some(0),
        "git {args:?} in {} failed: {}",
        dir.display(),
        run.stderr
    );
    run.stdout
}

/// `git rev-parse <rev>`.
pub fn rev(repo: &Repo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_owned()
}

/// Makes `path` (relative to the root) executable or not.
pub fn chmod(repo: &Repo, path: &str, executable: bool) {
    use std::os::unix::fs::PermissionsExt as _;
    let full = repo.root().join(path);
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(full, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Makes a symlink at `path` (relative to the root) pointing to `target`.
pub fn symlink(repo: &Repo, path: &str, target: &str) {
    let full = repo.root().join(path);
    let _ = std::fs::remove_file(&full);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("dirs");
    }
    std::os::unix::fs::symlink(target, full).expect("symlink");
}

/// Removes `path` (file or directory) relative to the root.
pub fn remove(repo: &Repo, path: &str) {
    let full = repo.root().join(path);
    if full.is_dir() && !full.is_symlink() {
        std::fs::remove_dir_all(full).expect("remove dir");
    } else {
        std::fs::remove_file(full).expect("remove file");
    }
}

/// Numbered lines `prefix 1` … `prefix n`.
pub fn lines(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} {i}\n")).collect()
}

/// Everything an integration that fails must leave as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Every ref and its value, and HEAD.
    pub refs: String,
    /// `git status --porcelain --ignored` of the root.
    pub status: String,
    /// The index, entry by entry.
    pub index: String,
    /// Every file of the root worktree (outside .git) and its content.
    pub files: BTreeMap<PathBuf, String>,
    /// How many objects the repository holds (loose and packed).
    pub objects: String,
}

/// Takes a snapshot of `repo` (its refs, index, status, files and object count).
pub fn snapshot(repo: &Repo) -> Snapshot {
    let mut files = BTreeMap::new();
    collect(repo.root(), repo.root(), &mut files);
    let objects = repo
        .git(&["count-objects", "-v"])
        .lines()
        .filter(|l| l.starts_with("count:") || l.starts_with("in-pack:") || l.starts_with("packs:"))
        .collect::<Vec<_>>()
        .join(" ");
    Snapshot {
        refs: format!(
            "{}HEAD {}",
            repo.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
            repo.git(&["symbolic-ref", "-q", "HEAD"])
        ),
        status: repo.git(&[
            "status",
            "--porcelain",
            "--ignored",
            "--untracked-files=all",
        ]),
        index: repo.git(&["ls-files", "-s", "--debug"]),
        files,
        objects,
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        let kind = entry.file_type().expect("file type");
        let rel = path.strip_prefix(root).expect("prefix").to_owned();
        if kind.is_symlink() {
            let target = std::fs::read_link(&path).expect("read link");
            out.insert(rel, format!("-> {}", target.display()));
        } else if kind.is_dir() {
            collect(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            out.insert(rel, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}

/// A plan with the given tasks (`id`, status, dependencies as written), an Execution Log and
/// the template's Integration Summary. Branches are derived: `feature/<id>`.
pub fn plan_text(tasks: &[(&str, &str, &str)]) -> String {
    let mut plan = String::from(
        "# Multi-Agent Orchestration Plan\n\n## 3. Task Assignment Matrix\n\n\
         | Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status | Dependencies | Estimate |\n\
         |---------|-------------|--------------|----------|--------|----------------|--------|--------------|----------|\n",
    );
    for (id, status, deps) in tasks {
        plan.push_str(&format!(
            "| {id} | Task {id} | Builder / `rust` | - | - | A | {status} | {deps} | 1h |\n"
        ));
    }
    plan.push_str(
        "\n## Execution Log\n\n| Task ID | Agent ID | Started | Completed | Actual Duration | Status | Notes |\n\
         |---------|----------|---------|-----------|-----------------|--------|-------|\n",
    );
    for (id, status, _) in tasks {
        plan.push_str(&format!("| {id} | - | - | - | - | {status} | - |\n"));
    }
    plan.push_str(
        "\n---\n\n## Integration Summary\n\n<!-- Orchestrator completes after all tasks done -->\n\n\
         ### Selected Approach\n**Decision:** [OAuth 2.0 / JWT / Session-based]\n\n**Rationale:**\n- [why]\n\n\
         ### Final Deliverables\n\n- [ ] Selected implementation merged to main\n\n---\n\n## Retrospective\n\nThe end.\n",
    );
    plan
}

/// Writes the plan (untracked) into the main worktree.
pub fn write_plan(repo: &Repo, tasks: &[(&str, &str, &str)]) {
    repo.write("MULTI_AGENT_PLAN.md", plan_text(tasks));
}

/// Makes branch `feature/<task>` from `main` with one commit writing `files`, and goes back to
/// `main`.
pub fn task_branch(repo: &Repo, task: &str, files: &[(&str, &str)]) {
    repo.git(&["checkout", "-q", "-b", &format!("feature/{task}"), "main"]);
    for (path, content) in files {
        repo.write(path, content);
    }
    for (path, _) in files {
        repo.git(&["add", "--", path]);
    }
    repo.git(&["commit", "-q", "-m", &format!("{task}: work")]);
    repo.git(&["checkout", "-q", "main"]);
}
