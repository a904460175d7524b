//! The git CLI is the oracle: for each scenario, the tree `integrate` publishes equals the tree
//! `git cherry-pick main..feature/x` makes in a scratch clone, and the checked-out main
//! worktree ends up clean at that tree.

mod common;

use common::{chmod, commit_all, git_in, integrator, lines, remove, rev, symlink};
use orch_e2e::Repo;
use orch_integrate::{Options, Outcome};

/// Builds the branch with `branch` (on `feature/x` from main), then moves main on with
/// `main_moves`, integrates, and compares with git.
fn check(name: &str, setup: impl Fn(&Repo), branch: impl Fn(&Repo), main_moves: impl Fn(&Repo)) {
    let repo = Repo::new();
    setup(&repo);
    commit_all(&repo, "setup");
    repo.git(&["checkout", "-q", "-b", "feature/x"]);
    branch(&repo);
    repo.git(&["checkout", "-q", "main"]);
    main_moves(&repo);
    let old_main = rev(&repo, "main");

    // The oracle: git cherry-pick in a scratch clone of the same state.
    let scratch = repo.parent().join(format!("oracle-{name}"));
    let root = repo.root().to_str().expect("utf-8 path");
    git_in(
        repo.parent(),
        &["clone", "-q", root, scratch.to_str().expect("utf-8")],
    );
    git_in(&scratch, &["checkout", "-q", "main"]);
    git_in(
        &scratch,
        &[
            "cherry-pick",
            "--allow-empty",
            "--keep-redundant-commits",
            "origin/main..origin/feature/x",
        ],
    );
    let expected = git_in(&scratch, &["rev-parse", "HEAD^{tree}"])
        .trim()
        .to_owned();

    let done = integrator(&repo, &[])
        .integrate("feature/x", &Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(done.published(), "{name}: nothing published: {done:?}");
    assert_eq!(rev(&repo, "main^{tree}"), expected, "{name}: trees differ");
    // Every object the integration wrote is on disk and well formed (tree order, modes).
    repo.git(&["fsck", "--strict", "--no-dangling", "--no-progress"]);
    assert_eq!(done.old_tip, old_main);
    // main only moved forward, and the checked-out worktree is clean at the new tip.
    repo.git(&["merge-base", "--is-ancestor", &old_main, "main"]);
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        "",
        "{name}: the main worktree is not clean after the update"
    );
    let picked = done
        .commits
        .iter()
        .filter(|c| c.outcome == Outcome::Picked)
        .count();
    let count: usize = repo
        .git(&["rev-list", "--count", &format!("{old_main}..main")])
        .trim()
        .parse()
        .expect("count");
    assert_eq!(
        picked, count,
        "{name}: picked commits and new commits differ"
    );
}

fn base_files(repo: &Repo) {
    repo.write("src/lib.rs", lines("line", 30));
    repo.write("src/a/b/c.txt", "deep\n");
    repo.write("docs/guide.md", lines("guide", 10));
    repo.write("bin/tool.sh", "#!/bin/sh\necho tool\n");
    repo.write("data/blob.bin", [0u8, 1, 2, 3, 0, 255, 254, 0, 10, 13]);
    repo.write("old/name.txt", lines("name", 12));
    repo.write("thing", "a file that becomes a directory\n");
    repo.write("gone/one.txt", "one\n");
    repo.write("gone/two.txt", "two\n");
    symlink(repo, "link", "docs/guide.md");
}

fn nothing(_: &Repo) {}

fn main_edits_elsewhere(repo: &Repo) {
    // Line 1 of a file the branch edits at line 25, and a file of its own.
    let text = repo
        .read("src/lib.rs")
        .replacen("line 1\n", "line 1 (main)\n", 1);
    repo.write("src/lib.rs", text);
    repo.write("main-only.txt", "main\n");
    commit_all(repo, "main moves on");
}

#[test]
fn content_merge_of_a_file_both_sides_changed() {
    check(
        "content",
        base_files,
        |repo| {
            let text = repo
                .read("src/lib.rs")
                .replacen("line 25\n", "line 25 (branch)\n", 1);
            repo.write("src/lib.rs", text);
            commit_all(repo, "edit line 25");
        },
        main_edits_elsewhere,
    );
}

#[test]
fn adds_deletes_and_nested_directories() {
    check(
        "adds",
        base_files,
        |repo| {
            for i in 0..5 {
                repo.write(&format!("new/deep/dir{i}/file{i}.txt"), lines("new", i + 1));
            }
            commit_all(repo, "add nested files");
            remove(repo, "docs/guide.md");
            remove(repo, "src/a");
            commit_all(repo, "delete a file and a directory");
        },
        main_edits_elsewhere,
    );
}

#[test]
fn renames_and_mode_changes() {
    check(
        "renames",
        base_files,
        |repo| {
            std::fs::create_dir_all(repo.root().join("renamed")).expect("dir");
            repo.git(&["mv", "old/name.txt", "renamed/name.txt"]);
            commit_all(repo, "rename");
            let text = repo
                .read("renamed/name.txt")
                .replacen("name 3\n", "name 3 edited\n", 1);
            repo.write("renamed/name.txt", text);
            chmod(repo, "bin/tool.sh", true);
            commit_all(repo, "edit the renamed file; chmod +x");
            chmod(repo, "bin/tool.sh", false);
            repo.write("bin/tool.sh", "#!/bin/sh\necho tool 2\n");
            commit_all(repo, "chmod -x and edit at once");
            chmod(repo, "bin/tool.sh", true);
            commit_all(repo, "chmod +x again");
        },
        main_edits_elsewhere,
    );
}

#[test]
fn symlinks_and_binary_files() {
    check(
        "links",
        base_files,
        |repo| {
            symlink(repo, "link", "src/lib.rs");
            symlink(repo, "links/new", "../docs/guide.md");
            commit_all(repo, "retarget a symlink, add one");
            repo.write("data/blob.bin", [9u8, 0, 9, 0, 9, 0, 1]);
            repo.write("data/more.bin", [0u8; 64]);
            commit_all(repo, "binary files");
            remove(repo, "link");
            repo.write("link", "now a regular file\n");
            commit_all(repo, "a symlink becomes a file");
        },
        main_edits_elsewhere,
    );
}

#[test]
fn files_and_directories_trade_places() {
    check(
        "dirfile",
        base_files,
        |repo| {
            remove(repo, "thing");
            repo.write("thing/inner.txt", "inside\n");
            commit_all(repo, "a file becomes a directory");
            remove(repo, "gone");
            repo.write("gone", "a directory became this file\n");
            commit_all(repo, "a directory becomes a file");
        },
        main_edits_elsewhere,
    );
}

#[test]
fn several_files_in_one_commit_and_an_empty_commit() {
    check(
        "several",
        base_files,
        |repo| {
            for i in 0..12 {
                repo.write(&format!("many/f{i:02}.txt"), lines("many", 3 + i));
            }
            let text = repo
                .read("old/name.txt")
                .replacen("name 12\n", "name twelve\n", 1);
            repo.write("old/name.txt", text);
            commit_all(repo, "many files");
            repo.git(&["commit", "-q", "--allow-empty", "-m", "an empty commit"]);
            repo.write("many/f00.txt", "rewritten\n");
            commit_all(repo, "rewrite one");
        },
        nothing,
    );
}

/// A tiny deterministic generator, so the scenarios are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

#[test]
fn generated_scenarios_match_git() {
    for seed in 1..=6u64 {
        let files: Vec<String> = (0..16)
            .map(|i| format!("d{}/s{}/f{i}.txt", i % 3, i % 2))
            .collect();
        let touched_on_main: Vec<usize> = (0..16).filter(|i| i % 4 == 3).collect();
        check(
            &format!("seed{seed}"),
            |repo| {
                for f in &files {
                    repo.write(f, lines(f, 20));
                }
            },
            |repo| {
                let mut rng = Lcg(seed);
                let mut alive: Vec<String> = files
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !touched_on_main.contains(i))
                    .map(|(_, f)| f.clone())
                    .collect();
                for step in 0..8 {
                    match rng.next(6) {
                        0 if alive.len() > 2 => {
                            let f = alive.remove(rng.next(alive.len()));
                            remove(repo, &f);
                        }
                        1 => {
                            let f = format!("gen/n{step}/g{}.txt", rng.next(100));
                            repo.write(&f, lines("gen", 1 + rng.next(5)));
                            alive.push(f);
                        }
                        2 if !alive.is_empty() => {
                            let i = rng.next(alive.len());
                            let to = format!("moved/m{step}.txt");
                            std::fs::create_dir_all(repo.root().join("moved")).expect("dir");
                            repo.git(&["mv", &alive[i], &to]);
                            alive[i] = to;
                        }
                        3 if !alive.is_empty() => {
                            chmod(repo, &alive[rng.next(alive.len())], rng.next(2) == 0);
                        }
                        _ if !alive.is_empty() => {
                            let f = &alive[rng.next(alive.len())];
                            let line = 1 + rng.next(20);
                            let text = repo.read(f).replacen(
                                &format!(" {line}\n"),
                                &format!(" {line} edited in step {step}\n"),
                                1,
                            );
                            repo.write(f, text);
                        }
                        _ => {}
                    }
                    commit_all(repo, &format!("step {step}"));
                }
            },
            |repo| {
                for &i in &touched_on_main {
                    repo.write(&files[i], lines("main", 20));
                }
                commit_all(repo, "main moves on");
            },
        );
    }
}
