//! Setup hooks for a new worktree: files copied from the main worktree (`[worktree] copy`) and
//! commands run in the new worktree (`[worktree] setup`), their output kept in the task's log.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

/// What the setup of one new worktree did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SetupReport {
    /// Whether every copy and command succeeded.
    pub ok: bool,
    /// The log holding the commands' output, when commands ran.
    pub log: Option<PathBuf>,
    /// The `copy` entries copied.
    pub copied: Vec<String>,
    /// The `copy` entries that do not exist in the main worktree (skipped).
    pub missing: Vec<String>,
    /// What failed, when something did.
    pub failed: Option<String>,
}

/// What the setup needs to know.
pub struct SetupInput<'a> {
    /// The task, for `ORCH_TASK` and the log's name.
    pub task: &'a str,
    /// The main worktree, where copied files come from.
    pub main_root: &'a Path,
    /// The new worktree.
    pub worktree: &'a Path,
    /// The canonical plan, for `ORCH_PLAN`.
    pub plan: &'a Path,
    /// orch's state dir; logs go to its `logs/` directory.
    pub state_dir: &'a Path,
    /// The `copy` entries (relative paths without `..`, checked by the spec).
    pub copy: &'a [String],
    /// The `setup` commands (argv lists).
    pub commands: &'a [Vec<String>],
    /// The time, for the log.
    pub time: &'a str,
}

/// The log file of a task: `<state_dir>/logs/<task>.log`.
pub fn log_path(state_dir: &Path, task: &str) -> PathBuf {
    state_dir.join("logs").join(format!("{task}.log"))
}

/// Copies the files, then runs the commands in order; the first failure stops the setup. The
/// worktree is never removed here: a failed setup is kept for inspection.
pub fn run(input: &SetupInput<'_>) -> SetupReport {
    let mut report = SetupReport {
        ok: true,
        ..SetupReport::default()
    };
    for entry in input.copy {
        match copy_entry(input.main_root, input.worktree, entry) {
            Ok(true) => report.copied.push(entry.clone()),
            Ok(false) => report.missing.push(entry.clone()),
            Err(why) => {
                report.ok = false;
                report.failed = Some(format!("cannot copy {entry}: {why}"));
                return report;
            }
        }
    }
    if input.commands.is_empty() {
        return report;
    }
    let log = log_path(input.state_dir, input.task);
    report.log = Some(log.clone());
    if let Err(why) = run_commands(input, &log) {
        report.ok = false;
        report.failed = Some(why);
    }
    report
}

fn run_commands(input: &SetupInput<'_>, log: &Path) -> Result<(), String> {
    let mut file =
        open_log(log).map_err(|e| format!("cannot open the log {}: {e}", log.display()))?;
    let note = |file: &mut File, text: String| {
        // The log is best effort: a full disk must not hide the command's own outcome.
        let _ = writeln!(file, "{text}");
    };
    note(
        &mut file,
        format!(
            "== {} orch-worktree spawn {}: setup in {}",
            input.time,
            input.task,
            input.worktree.display()
        ),
    );
    for argv in input.commands {
        let Some((program, args)) = argv.split_first() else {
            continue;
        };
        let shown = show_argv(argv);
        note(&mut file, format!("$ {shown}"));
        let (stdout, stderr) = match (file.try_clone(), file.try_clone()) {
            (Ok(out), Ok(err)) => (out, err),
            (Err(e), _) | (_, Err(e)) => {
                return Err(format!("cannot share the log with `{shown}`: {e}"));
            }
        };
        let status = Command::new(program)
            .args(args)
            .current_dir(input.worktree)
            .env("ORCH_TASK", input.task)
            .env("ORCH_PLAN", input.plan)
            .env("ORCH_WORKTREE", input.worktree)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status();
        match status {
            Ok(status) if status.success() => note(&mut file, "== ok".to_owned()),
            Ok(status) => {
                let why = match status.code() {
                    Some(code) => format!("`{shown}` exited with {code}"),
                    None => format!("`{shown}` was stopped by a signal"),
                };
                note(&mut file, format!("== failed: {why}"));
                return Err(why);
            }
            Err(e) => {
                let why = format!("cannot start `{shown}`: {e}");
                note(&mut file, format!("== failed: {why}"));
                return Err(why);
            }
        }
    }
    Ok(())
}

fn open_log(log: &Path) -> std::io::Result<File> {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)?;
    }
    OpenOptions::new().create(true).append(true).open(log)
}

/// An argv as people would type it, quoting words with spaces.
fn show_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '"', '\'']) {
                format!("{a:?}")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Copies `entry` (a file, link or directory) from the main worktree into the new one. Files
/// that already exist in the new worktree are kept. Returns false when `entry` does not exist.
fn copy_entry(main_root: &Path, worktree: &Path, entry: &str) -> Result<bool, String> {
    let source = main_root.join(entry);
    let meta = match fs::symlink_metadata(&source) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("{}: {e}", source.display())),
    };
    let fence = worktree
        .canonicalize()
        .map_err(|e| format!("{}: {e}", worktree.display()))?;
    let target = worktree.join(entry);
    if !meta.is_dir() {
        copy_one(&source, &target, &fence)?;
        return Ok(true);
    }
    for item in walkdir::WalkDir::new(&source).follow_links(false) {
        let item = item.map_err(|e| e.to_string())?;
        let relative = item
            .path()
            .strip_prefix(&source)
            .map_err(|e| e.to_string())?;
        let to = target.join(relative);
        if item.file_type().is_dir() {
            create_inside(&to, &fence)?;
        } else {
            copy_one(item.path(), &to, &fence)?;
        }
    }
    Ok(true)
}

/// Creates `dir` and its parents, refusing to follow a link out of the worktree `fence`.
fn create_inside(dir: &Path, fence: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let real = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if real.starts_with(fence) {
        Ok(())
    } else {
        Err(format!(
            "{} leads out of the worktree through a link",
            dir.display()
        ))
    }
}

/// Copies one file or link, unless the target exists.
fn copy_one(from: &Path, to: &Path, fence: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        create_inside(parent, fence)?;
    }
    if fs::symlink_metadata(to).is_ok() {
        return Ok(());
    }
    let meta = fs::symlink_metadata(from).map_err(|e| format!("{}: {e}", from.display()))?;
    if meta.file_type().is_symlink() {
        #[cfg(unix)]
        {
            let link = fs::read_link(from).map_err(|e| format!("{}: {e}", from.display()))?;
            return std::os::unix::fs::symlink(link, to)
                .map_err(|e| format!("{}: {e}", to.display()));
        }
        #[cfg(not(unix))]
        return Ok(());
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(dir: &'a Path, copy: &'a [String], commands: &'a [Vec<String>]) -> SetupInput<'a> {
        SetupInput {
            task: "T1",
            main_root: dir,
            worktree: dir,
            plan: dir,
            state_dir: dir,
            copy,
            commands,
            time: "2026-01-01T00:00:00Z",
        }
    }

    #[test]
    fn copies_files_and_directories_and_notes_missing_ones() {
        let main = tempfile::tempdir().expect("temp dir");
        let new = tempfile::tempdir().expect("temp dir");
        fs::write(main.path().join(".env"), "SECRET=1\n").expect("write");
        fs::create_dir_all(main.path().join("conf/deep")).expect("dirs");
        fs::write(main.path().join("conf/deep/a.toml"), "a = 1\n").expect("write");
        fs::write(new.path().join("kept"), "mine\n").expect("write");
        fs::write(main.path().join("kept"), "theirs\n").expect("write");
        let copy: Vec<String> = [".env", "conf", "kept", "absent"]
            .map(String::from)
            .to_vec();
        let mut setup = input(main.path(), &copy, &[]);
        setup.worktree = new.path();
        let report = run(&setup);
        assert!(report.ok, "{report:?}");
        assert_eq!(report.copied, [".env", "conf", "kept"]);
        assert_eq!(report.missing, ["absent"]);
        assert_eq!(report.log, None);
        assert_eq!(
            fs::read_to_string(new.path().join(".env")).expect("copied"),
            "SECRET=1\n"
        );
        assert_eq!(
            fs::read_to_string(new.path().join("conf/deep/a.toml")).expect("copied"),
            "a = 1\n"
        );
        assert_eq!(
            fs::read_to_string(new.path().join("kept")).expect("kept"),
            "mine\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn commands_run_without_a_shell_and_the_first_failure_stops_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        let commands = vec![
            vec![
                "sh".to_owned(),
                "-c".to_owned(),
                "echo task=$ORCH_TASK; echo oops >&2".to_owned(),
            ],
            vec!["false".to_owned()],
            vec!["touch".to_owned(), "never".to_owned()],
        ];
        let report = run(&input(dir.path(), &[], &commands));
        assert!(!report.ok);
        assert_eq!(report.failed.as_deref(), Some("`false` exited with 1"));
        let log = fs::read_to_string(log_path(dir.path(), "T1")).expect("log");
        assert!(log.contains("task=T1\noops\n"), "{log}");
        assert!(
            log.contains("$ false\n== failed: `false` exited with 1"),
            "{log}"
        );
        assert!(!dir.path().join("never").exists());
        let report = run(&input(
            dir.path(),
            &[],
            &[vec!["no-such-program-orch".to_owned()]],
        ));
        assert!(
            report
                .failed
                .as_deref()
                .is_some_and(|f| f.starts_with("cannot start `no-such-program-orch`")),
            "{report:?}"
        );
    }
}
