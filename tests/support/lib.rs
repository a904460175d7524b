//! The one hermetic environment for end-to-end tests: real git repositories in temp dirs and
//! the real orch binaries, with git's global and system config, identity and dates pinned.

#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The environment every git and orch process in a test gets.
pub const HERMETIC_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_AUTHOR_NAME", "Orch Test"),
    ("GIT_AUTHOR_EMAIL", "orch@example.com"),
    ("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_COMMITTER_NAME", "Orch Test"),
    ("GIT_COMMITTER_EMAIL", "orch@example.com"),
    ("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z"),
    ("GIT_TERMINAL_PROMPT", "0"),
    ("NO_COLOR", "1"),
    ("LC_ALL", "C"),
    ("TZ", "UTC"),
];

/// Variables from the caller's environment that would change what orch or git does.
const REMOVED_ENV: &[&str] = &[
    "ORCH_PLAN",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_CEILING_DIRECTORIES",
];

/// The path of a binary of this workspace.
///
/// `cargo test --workspace` (and `cargo nextest run --workspace`) build every binary first,
/// because each binary's package has integration tests of its own. Building from here instead
/// would wait forever on the build-directory lock that `cargo test` holds.
pub fn bin(name: &str) -> PathBuf {
    let path = target_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing; run the tests with `cargo test --workspace`",
        path.display()
    );
    path
}

fn target_dir() -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries in target/<profile>.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_owned()
}

/// What a finished process did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code and returns `self`, showing all output when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "a panic: {}",
            self.stderr
        );
        self
    }

    /// Parses standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Parses standard error as JSON.
    #[track_caller]
    pub fn stderr_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stderr)
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}): {}", self.stderr))
    }
}

/// A git repository in a temp dir, removed when dropped.
pub struct Repo {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    /// A new repository with branch `main` and one commit holding `README.md`.
    pub fn new() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("orch-test-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).expect("repo dir");
        let repo = Repo { dir, root };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("README.md", "# test\n");
        repo.git(&["add", "README.md"]);
        repo.git(&["commit", "-q", "-m", "Initial commit"]);
        repo
    }

    /// The repository's root (the main worktree).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temp dir that holds the repository; worktrees may go beside it.
    pub fn parent(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file relative to the root, creating directories.
    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dirs");
        }
        std::fs::write(path, content).expect("write");
    }

    /// Reads a file relative to the root.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative)).expect("read")
    }

    /// Runs git in the root and returns its stdout; panics if git fails.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let run = run_in(Path::new("git"), args, &self.root, &[]);
        assert_eq!(run.code, Some(0), "git {args:?} failed: {}", run.stderr);
        run.stdout
    }

    /// Runs an orch binary in the root.
    pub fn orch(&self, name: &str, args: &[&str]) -> Run {
        self.orch_in(&self.root, name, args, &[])
    }

    /// A command for an orch binary in the root, to spawn.
    pub fn orch_command(&self, name: &str, args: &[&str]) -> Command {
        command_in(&bin(name), args, &self.root, &[])
    }

    /// Runs an orch binary in `dir` with extra environment variables.
    pub fn orch_in(&self, dir: &Path, name: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(&bin(name), args, dir, env)
    }
}

impl Default for Repo {
    fn default() -> Repo {
        Repo::new()
    }
}

/// Runs `program` in `dir` in the hermetic environment plus `env`.
pub fn run_in(program: &Path, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Run {
    let output = command_in(program, args, dir, env).output();
    Run::from(output.unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display())))
}

/// A command for `program` in `dir` with the hermetic environment plus `env`, to spawn.
pub fn command_in(program: &Path, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for name in REMOVED_ENV {
        command.env_remove(name);
    }
    command
        .envs(HERMETIC_ENV.iter().copied())
        .envs(env.iter().copied());
    command
}

/// The seed-style example plan: T1 architecture, T2–T4 three alternative implementations, T5
/// benchmarks, T6 security audit, T7 report.
pub const AUTH_PLAN: &str = include_str!("../../crates/orch-status/tests/fixtures/seed-plan.md");

/// A plan with `count` independent tasks `T0`, `T1`, … all in `status`, with an Execution Log,
/// prose around the tables, and aligned (padded) status cells.
pub fn plan_with_tasks(count: usize, status: &str) -> String {
    let mut plan = String::from(
        "# Multi-Agent Orchestration Plan\n\n**Project:** Load test\n\n## 3. Task Assignment Matrix\n\n\
         | Task ID | Description | Agent/Skills | Worktree | Branch | Parallel Group | Status      | Dependencies | Estimate |\n\
         |---------|-------------|--------------|----------|--------|----------------|-------------|--------------|----------|\n",
    );
    for i in 0..count {
        plan.push_str(&format!(
            "| T{i} | Task number {i} | Builder / `builder-skill` | - | - | A | {status:<11} | - | 1h |\n"
        ));
    }
    plan.push_str("\nSome prose after the matrix.\n\n## 8. Notes and Blockers\n\n<!-- Agents: append blockers here -->\n\n---\n\n## Execution Timeline\n\n### Actual Execution Log\n\n| Task ID | Agent ID | Started | Completed | Actual Duration | Status | Notes |\n|---------|----------|---------|-----------|-----------------|--------|-------|\n");
    for i in 0..count {
        plan.push_str(&format!("| T{i} | - | - | - | - | {status} | - |\n"));
    }
    plan.push_str("\n---\n\n## Retrospective\n\nThe end.\n");
    plan
}
