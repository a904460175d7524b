//! Picking: conflicts change nothing, merge commits, empty commits, trailers and authors, dry
//! runs, and names checked before any git call.

mod common;

use common::{commit_all, integrator, lines, rev, snapshot, task_branch, write_plan};
use orch_e2e::Repo;
use orch_integrate::{ConflictKind, IntegrateError, Options, Outcome};

/// main and feature/T1 both edit line 2 of `shared.txt`; feature/T1 also adds `ok.txt` first.
fn conflicting_repo() -> Repo {
    let repo = Repo::new();
    repo.write("shared.txt", lines("shared", 5));
    repo.write("other.txt", lines("other", 5));
    commit_all(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature/T1"]);
    repo.write("ok.txt", "fine\n");
    commit_all(&repo, "add ok.txt");
    repo.write(
        "shared.txt",
        repo.read("shared.txt")
            .replace("shared 2\n", "shared 2 (branch)\n"),
    );
    commit_all(&repo, "edit shared line 2");
    repo.write(
        "other.txt",
        repo.read("other.txt")
            .replace("other 3\n", "other 3 (branch)\n"),
    );
    commit_all(&repo, "edit other line 3");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "shared.txt",
        repo.read("shared.txt")
            .replace("shared 2\n", "shared 2 (main)\n"),
    );
    repo.write(
        "other.txt",
        repo.read("other.txt")
            .replace("other 3\n", "other 3 (main)\n"),
    );
    commit_all(&repo, "main edits the same lines");
    write_plan(&repo, &[("T1", "Completed", "-")]);
    repo
}

#[test]
fn a_conflict_reports_every_commit_and_path_and_changes_nothing() {
    let repo = conflicting_repo();
    let plan = repo.read("MULTI_AGENT_PLAN.md");
    let before = snapshot(&repo);
    let error = integrator(&repo, &[])
        .integrate("T1", &Options::default())
        .expect_err("conflict");
    assert!(error.is_conflict(), "{error}");
    assert!(!error.is_gate_failure());
    let IntegrateError::Conflict { commits, .. } = &error else {
        panic!("not a conflict: {error:?}");
    };
    let reported: Vec<(&str, &str, ConflictKind)> = commits
        .iter()
        .flat_map(|c| {
            c.conflicts
                .iter()
                .map(move |p| (c.subject.as_str(), p.path.as_str(), p.kind))
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("edit shared line 2", "shared.txt", ConflictKind::Content),
            ("edit other line 3", "other.txt", ConflictKind::Content),
        ]
    );
    let message = error.to_string();
    assert!(message.contains("shared.txt (both modified)"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    // No ref, index, working tree file, object or plan byte changed.
    assert_eq!(snapshot(&repo), before);
    assert_eq!(repo.read("MULTI_AGENT_PLAN.md"), plan);
}

#[test]
fn modify_delete_and_add_add_are_conflicts() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    commit_all(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.write("a.txt", "a changed\n");
    repo.write("b.txt", "b from the branch\n");
    commit_all(&repo, "modify a, add b");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["rm", "-q", "a.txt"]);
    repo.write("b.txt", "b from main\n");
    commit_all(&repo, "delete a, add b");
    let error = integrator(&repo, &[])
        .integrate("feature/x", &Options::default())
        .expect_err("conflict");
    let IntegrateError::Conflict { commits, .. } = error else {
        panic!("not a conflict");
    };
    let kinds: Vec<(&str, ConflictKind)> = commits[0]
        .conflicts
        .iter()
        .map(|p| (p.path.as_str(), p.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("a.txt", ConflictKind::DeletedByUs),
            ("b.txt", ConflictKind::AddAdd)
        ]
    );
}

/// feature/x: B1 adds a.txt; a side branch from B1 adds s.txt and is merged back (M).
fn repo_with_a_merge() -> Repo {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.write("a.txt", "a\n");
    commit_all(&repo, "B1 adds a");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("s.txt", "s\n");
    commit_all(&repo, "S1 adds s");
    repo.git(&["checkout", "-q", "feature/x"]);
    repo.write("b.txt", "b\n");
    commit_all(&repo, "B2 adds b");
    repo.git(&["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n");
    commit_all(&repo, "main moves");
    repo
}

#[test]
fn a_merge_commit_is_refused_without_mainline_and_picked_with_it() {
    let repo = repo_with_a_merge();
    let before = snapshot(&repo);
    let error = integrator(&repo, &[])
        .integrate("feature/x", &Options::default())
        .expect_err("merge refused");
    assert!(
        matches!(error, IntegrateError::MergeCommit { parents: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("--mainline 1"), "{error}");
    assert_eq!(snapshot(&repo), before);

    let bad = integrator(&repo, &[])
        .integrate(
            "feature/x",
            &Options {
                mainline: Some(3),
                ..Options::default()
            },
        )
        .expect_err("no third parent");
    assert!(
        matches!(
            bad,
            IntegrateError::BadMainline {
                mainline: 3,
                parents: 2,
                ..
            }
        ),
        "{bad:?}"
    );

    let done = integrator(&repo, &[])
        .integrate(
            "feature/x",
            &Options {
                mainline: Some(1),
                ..Options::default()
            },
        )
        .expect("picked with mainline 1");
    let subjects: Vec<&str> = done.commits.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["B1 adds a", "B2 adds b", "Merge side"]);
    let files = repo.git(&["ls-tree", "--name-only", "main"]);
    assert_eq!(files, "README.md\na.txt\nb.txt\nmain.txt\ns.txt\n");
    // The picks are ordinary commits: no merge lands on main.
    assert_eq!(
        repo.git(&["rev-list", "--merges", "--count", "main"])
            .trim(),
        "0"
    );
}

#[test]
fn empty_and_already_applied_commits_are_skipped_and_reported() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "nothing at all"]);
    repo.write("same.txt", "same\n");
    commit_all(&repo, "add same.txt");
    repo.write("new.txt", "new\n");
    commit_all(&repo, "add new.txt");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("same.txt", "same\n");
    commit_all(&repo, "main adds the same file");
    let done = integrator(&repo, &[])
        .integrate("feature/x", &Options::default())
        .expect("integrated");
    let outcomes: Vec<(&str, Outcome)> = done
        .commits
        .iter()
        .map(|c| (c.subject.as_str(), c.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("nothing at all", Outcome::Empty),
            ("add same.txt", Outcome::AlreadyApplied),
            ("add new.txt", Outcome::Picked),
        ]
    );
    assert_eq!(
        repo.git(&["rev-list", "--count", "main~1..main"]).trim(),
        "1"
    );
}

#[test]
fn authors_dates_and_messages_are_kept_and_trailers_added() {
    let repo = Repo::new();
    task_branch(&repo, "T1", &[("a.txt", "a\n")]);
    // Rewrite the branch commit with another author, date and a multi-paragraph message.
    repo.git(&["checkout", "-q", "feature/T1"]);
    repo.git(&[
        "-c",
        "user.name=Ignored",
        "commit",
        "-q",
        "--amend",
        "--author=Ada Lovelace <ada@example.org>",
        "--date=2020-02-03T04:05:06+0230",
        "-m",
        "Add a\n\nA body line.\n\nSigned-off-by: Ada Lovelace <ada@example.org>",
    ]);
    let original = rev(&repo, "feature/T1");
    repo.git(&["checkout", "-q", "main"]);
    write_plan(&repo, &[("T1", "Completed", "-")]);
    integrator(&repo, &[])
        .integrate("t1", &Options::default())
        .expect("integrated");
    let format = "%an <%ae>|%ad|%cn <%ce>|%cd";
    let show = |rev: &str| {
        repo.git(&[
            "log",
            "-1",
            "--date=raw",
            &format!("--format={format}"),
            rev,
        ])
    };
    let (picked, source) = (show("main"), show(&original));
    let field = |s: &str, i: usize| s.trim().split('|').nth(i).map(str::to_owned);
    assert_eq!(field(&picked, 0), field(&source, 0), "author");
    assert_eq!(field(&picked, 1), field(&source, 1), "author date");
    assert_eq!(
        field(&picked, 1),
        Some("1580693706 +0230".to_owned()),
        "author date"
    );
    assert_eq!(
        field(&picked, 2).as_deref(),
        Some("Orch Test <orch@example.com>")
    );
    assert_eq!(field(&picked, 3).as_deref(), Some("1767225600 +0000"));
    assert_eq!(
        repo.git(&["log", "-1", "--format=%B", "main"]).trim_end(),
        format!(
            "Add a\n\nA body line.\n\nSigned-off-by: Ada Lovelace <ada@example.org>\nOrch-Task: T1\n(cherry picked from commit {original})"
        )
    );
    assert_eq!(
        repo.git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Orch-Task,valueonly)",
            "main"
        ])
        .trim(),
        "T1"
    );
}

#[test]
fn a_dry_run_reports_per_commit_and_changes_nothing() {
    let repo = Repo::new();
    task_branch(&repo, "T1", &[("a.txt", "a\n"), ("dir/b.txt", "b\n")]);
    write_plan(&repo, &[("T1", "Completed", "-"), ("T2", "Completed", "-")]);
    let before = snapshot(&repo);
    let options = Options {
        dry_run: true,
        ..Options::default()
    };
    let done = integrator(&repo, &[&["false"]])
        .integrate("T1", &options)
        .expect("dry run");
    assert!(done.dry_run && !done.published() && done.blocked.is_none());
    assert!(done.candidate.is_some());
    assert_eq!(done.commits.len(), 1);
    assert_eq!(done.commits[0].outcome, Outcome::Picked);
    let paths: Vec<(char, &str)> = done.commits[0]
        .changes
        .iter()
        .map(|c| (c.status, c.path.as_str()))
        .collect();
    assert_eq!(paths, [('A', "a.txt"), ('A', "dir/b.txt")]);
    assert_eq!(done.gates.configured, [vec!["false".to_owned()]]);
    assert!(done.gates.results.is_empty(), "a dry run runs no gate");
    assert_eq!(done.worktrees.len(), 1, "main is checked out in the root");
    assert_eq!(snapshot(&repo), before);

    // A dry run of a conflicting branch says why the real run would stop.
    let repo = conflicting_repo();
    let before = snapshot(&repo);
    let done = integrator(&repo, &[])
        .integrate("T1", &options)
        .expect("dry run");
    assert!(
        done.blocked
            .as_deref()
            .is_some_and(|b| b.contains("shared.txt")),
        "{done:?}"
    );
    let outcomes: Vec<Outcome> = done.commits.iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Picked, Outcome::Conflict, Outcome::Conflict]
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn names_are_checked_before_any_git_call() {
    let repo = Repo::new();
    for bad in ["../etc", "a..b", "-rf", "x.lock", "a b"] {
        let error = integrator(&repo, &[])
            .integrate(bad, &Options::default())
            .expect_err(bad);
        assert!(
            matches!(error, IntegrateError::InvalidName(_)),
            "{bad}: {error:?}"
        );
    }
    let error = integrator(&repo, &[])
        .integrate("no-such-branch", &Options::default())
        .expect_err("unknown");
    assert!(
        matches!(error, IntegrateError::UnknownTarget { .. }),
        "{error:?}"
    );
    let mut settings = common::settings(&repo, &[]);
    settings.base = "main..x".to_owned();
    let error = orch_integrate::Integrator::new(settings)
        .integrate("main", &Options::default())
        .expect_err("bad base");
    assert!(matches!(error, IntegrateError::InvalidName(_)), "{error:?}");
}

#[test]
fn the_report_names_renames_and_mode_changes() {
    let repo = Repo::new();
    repo.write("old/name.txt", lines("name", 4));
    repo.write("tool.sh", "#!/bin/sh\n");
    commit_all(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    std::fs::create_dir_all(repo.root().join("new")).expect("dir");
    repo.git(&["mv", "old/name.txt", "new/name.txt"]);
    common::chmod(&repo, "tool.sh", true);
    repo.write("added.txt", "added\n");
    commit_all(&repo, "rename, chmod, add");
    repo.git(&["checkout", "-q", "main"]);
    let options = Options {
        dry_run: true,
        ..Options::default()
    };
    let done = integrator(&repo, &[])
        .integrate("feature/x", &options)
        .expect("dry run");
    let changes: Vec<(char, &str, Option<&str>, Option<&str>)> = done.commits[0]
        .changes
        .iter()
        .map(|c| {
            (
                c.status,
                c.path.as_str(),
                c.old_path.as_deref(),
                c.mode.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ('A', "added.txt", None, None),
            ('R', "new/name.txt", Some("old/name.txt"), None),
            ('M', "tool.sh", None, Some("100644 -> 100755")),
        ]
    );
    let text = orch_integrate::render::integration(&done);
    assert!(
        text.contains("      R old/name.txt -> new/name.txt"),
        "{text}"
    );
    assert!(
        text.contains("      M tool.sh (100644 -> 100755)"),
        "{text}"
    );
}
