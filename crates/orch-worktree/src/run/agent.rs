//! One attempt of one agent process: argv with placeholders filled in, its own process group,
//! its output appended to the task's log, and a timeout that kills the whole group.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The values that replace `{prompt}`, `{prompt_file}`, `{task}`, `{worktree}` and `{branch}`.
#[derive(Clone, Debug)]
pub struct Placeholders {
    /// The task's brief.
    pub prompt: String,
    /// The file the brief was written to.
    pub prompt_file: PathBuf,
    /// The task id.
    pub task: String,
    /// The task's worktree.
    pub worktree: PathBuf,
    /// The task's branch.
    pub branch: String,
}

/// Replaces the placeholders in every argument of `argv`; each argument stays one argument,
/// whatever the values hold, because no shell ever reads them.
pub fn substitute(argv: &[String], values: &Placeholders) -> Vec<String> {
    let pairs = [
        ("{prompt_file}", values.prompt_file.display().to_string()),
        ("{prompt}", values.prompt.clone()),
        ("{task}", values.task.clone()),
        ("{worktree}", values.worktree.display().to_string()),
        ("{branch}", values.branch.clone()),
    ];
    argv.iter()
        .map(|arg| {
            // One left-to-right pass, so that a value holding `{task}` is not replaced again.
            let mut out = String::with_capacity(arg.len());
            let mut rest = arg.as_str();
            'scan: while !rest.is_empty() {
                for (name, value) in &pairs {
                    if let Some(after) = rest.strip_prefix(name) {
                        out.push_str(value);
                        rest = after;
                        continue 'scan;
                    }
                }
                let mut chars = rest.chars();
                if let Some(c) = chars.next() {
                    out.push(c);
                }
                rest = chars.as_str();
            }
            out
        })
        .collect()
}

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The process exited with this code (`None`: killed by a signal).
    Exited(Option<i32>),
    /// The timeout passed; the process group was killed.
    TimedOut,
    /// The process could not be started.
    NotStarted(String),
    /// The run was interrupted; the process group was killed.
    Interrupted,
}

/// Everything one attempt needs.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The argv, placeholders already filled in.
    pub argv: Vec<String>,
    /// The working directory: the task's worktree.
    pub cwd: PathBuf,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// The log the output is appended to.
    pub log: PathBuf,
    /// How long the attempt may take.
    pub timeout: Option<Duration>,
    /// Which attempt this is, from 1.
    pub attempt: u32,
}

/// Runs one attempt to its end and reports how it ended and how long it took. When `cancel`
/// turns true, the process group is killed and the attempt ends as [`Ending::Interrupted`].
pub async fn run_attempt(
    launch: Launch,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> (Ending, Duration) {
    let started = Instant::now();
    let ending = attempt(&launch, cancel).await;
    (ending, started.elapsed())
}

async fn attempt(launch: &Launch, cancel: tokio::sync::watch::Receiver<bool>) -> Ending {
    let Some((program, args)) = launch.argv.split_first() else {
        return Ending::NotStarted("the agent command is empty".to_owned());
    };
    let log = match open_log(&launch.log, launch) {
        Ok(log) => log,
        Err(error) => {
            return Ending::NotStarted(format!(
                "cannot open the log {}: {error}",
                launch.log.display()
            ));
        }
    };
    let (out, err) = match (log.try_clone(), log.try_clone()) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(error), _) | (_, Err(error)) => {
            return Ending::NotStarted(format!(
                "cannot share the log {}: {error}",
                launch.log.display()
            ));
        }
    };
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(&launch.cwd)
        .envs(&launch.env)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let message = format!("cannot start `{program}`: {error}");
            let _ = writeln!(&log, "orch: {message}");
            return Ending::NotStarted(message);
        }
    };
    let group = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let deadline = async {
        match launch.timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    let mut cancel = cancel;
    let stopped = async move {
        // A dropped sender means nobody can cancel any more: wait forever.
        while cancel.changed().await.is_ok() {
            if *cancel.borrow() {
                return;
            }
        }
        std::future::pending::<()>().await;
    };
    let ending = tokio::select! {
        waited = child.wait() => match waited {
            Ok(status) => {
                let _ = writeln!(&log, "orch: the agent exited with {status}");
                return Ending::Exited(status.code());
            }
            Err(error) => {
                return Ending::NotStarted(format!("cannot wait for `{program}`: {error}"));
            }
        },
        () = deadline => Ending::TimedOut,
        () = stopped => Ending::Interrupted,
    };
    stop_group(&mut child, group).await;
    let why = if ending == Ending::TimedOut {
        "the timeout passed"
    } else {
        "the run was interrupted"
    };
    let _ = writeln!(&log, "orch: {why}; the process group was killed");
    ending
}

/// Stops the agent's whole process group: SIGTERM, a second of grace, then SIGKILL.
async fn stop_group(child: &mut tokio::process::Child, group: Option<Pid>) {
    if let Some(group) = group {
        let _ = killpg(group, Signal::SIGTERM);
        if tokio::time::timeout(Duration::from_secs(1), child.wait())
            .await
            .is_err()
        {
            let _ = killpg(group, Signal::SIGKILL);
        }
        // Members that outlived the leader go too.
        let _ = killpg(group, Signal::SIGKILL);
    }
    let _ = child.kill().await;
}

fn open_log(path: &Path, launch: &Launch) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(
        file,
        "orch: attempt {} at {}: {:?} in {}",
        launch.attempt,
        crate::now(),
        launch.argv,
        launch.cwd.display()
    )?;
    Ok(file)
}

/// The last `count` lines of the log at `path`, or nothing when it cannot be read.
pub fn tail(path: &Path, count: usize) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("orch: "))
        .collect();
    lines[lines.len().saturating_sub(count)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_each_argument_once() {
        let values = Placeholders {
            prompt: "do {task}".to_owned(),
            prompt_file: PathBuf::from("/s/prompts/T1.md"),
            task: "T1".to_owned(),
            worktree: PathBuf::from("/w/T1"),
            branch: "feature/T1".to_owned(),
        };
        let argv = vec![
            "agent".to_owned(),
            "-p".to_owned(),
            "{prompt}".to_owned(),
            "--file={prompt_file}".to_owned(),
            "{task}@{branch} in {worktree} {other}".to_owned(),
        ];
        assert_eq!(
            substitute(&argv, &values),
            [
                "agent",
                "-p",
                "do {task}",
                "--file=/s/prompts/T1.md",
                "T1@feature/T1 in /w/T1 {other}"
            ]
        );
    }
}
