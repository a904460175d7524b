//! Spawning task worktrees: every request is checked first (names, paths, branches, bases) and
//! refused as a whole if anything is wrong; then the worktrees are created concurrently, each
//! one complete or rolled back, and set up.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::Repository;
use orch_core::{Plan, Task, TaskId};
use serde::Serialize;

use crate::base::{self, Start};
use crate::checkout::Method;
use crate::create::{self, Job, Undo, being_created};
use crate::error::{Error, Failed, Problem, Result};
use crate::repo::{self, INITIALIZING, Registered};
use crate::setup::{self, SetupReport};
use crate::target::{self, Target};
use crate::{Session, paths};

/// How to spawn.
#[derive(Clone, Debug, Default)]
pub struct SpawnOptions {
    /// `--base REV`: start new branches here instead of the base branch's tip.
    pub base: Option<String>,
    /// Start new branches from the tasks' Completed dependencies.
    pub from_dependencies: bool,
    /// How many threads to use in all (at least 1).
    pub threads: usize,
    /// Attribute files outside the repository that git reads (global and system); when one
    /// exists, checkouts go through libgit2 so that its rules apply.
    pub extra_attributes: Vec<PathBuf>,
}

/// One task's worktree, created now or found in place.
#[derive(Clone, Debug, Serialize)]
pub struct Spawned {
    /// The task.
    pub task: String,
    /// The worktree's directory.
    pub path: PathBuf,
    /// The branch.
    pub branch: String,
    /// The commit the worktree started at (full id), when it was created now.
    pub base: Option<String>,
    /// Where that commit came from: `main`, `T2`, `merge of T2, T3` or `existing branch`.
    pub base_from: Option<String>,
    /// Whether the worktree was created now (false: it already existed).
    pub created: bool,
    /// Whether the branch was created now (false: an existing branch was used as it was).
    pub branch_created: bool,
    /// How the files were written.
    pub checkout: Option<String>,
    /// What the setup hooks did, when the worktree was created now.
    pub setup: Option<SetupReport>,
    /// Things worth knowing that did not stop the spawn.
    pub warnings: Vec<String>,
}

/// What happened to one task.
pub type Outcome = std::result::Result<Spawned, Failed>;

enum Decision {
    Existing(Spawned),
    Create(Job),
}

/// Spawns the worktrees of `tasks`. Returns `Err` with every problem when any request is
/// refused (then nothing was created); otherwise one outcome per task, in order.
pub fn spawn(
    session: &Session,
    repo: &Repository,
    plan: &Plan,
    tasks: &[&Task],
    options: &SpawnOptions,
) -> Result<Vec<Outcome>> {
    let targets = check_targets(session, tasks)?;
    // Deciding and claiming happen under the spawn lock, so that every decision sees the
    // claims of other processes complete; the slow checkouts run after it is released.
    let lock = session.lock_worktrees()?;
    let decisions = decide_all(session, repo, plan, targets, options)?;
    let jobs: Vec<&Job> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Create(job) => Some(job),
            Decision::Existing(_) => None,
        })
        .collect();
    let made_dirs = prepare_dirs(session, &jobs)?;
    let claims: Vec<std::result::Result<Undo, Error>> = jobs
        .iter()
        .map(|job| create::claim(session, repo, job))
        .collect();
    drop(lock);
    let results = run_jobs(session, &jobs, claims, options);
    // Parent directories made for worktrees that were taken back go again.
    for dir in made_dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
    let mut results = results.into_iter();
    Ok(decisions
        .into_iter()
        .map(|d| match d {
            Decision::Existing(spawned) => Ok(spawned),
            Decision::Create(job) => results.next().unwrap_or_else(|| {
                Err(Failed {
                    task: job.target.task.clone(),
                    error: Error::Bug("the spawn stopped unexpectedly".to_owned()),
                })
            }),
        })
        .collect())
}

/// Resolves and checks each task's path and branch (no git call, no file), and refuses tasks
/// that would share either.
fn check_targets<'t>(session: &Session, tasks: &[&'t Task]) -> Result<Vec<(&'t Task, Target)>> {
    let mut problems = Vec::new();
    let mut targets: Vec<(&Task, Target)> = Vec::with_capacity(tasks.len());
    for task in tasks {
        match target::target(&session.layout, &session.config, task) {
            Ok(target) => {
                for (other, seen) in &targets {
                    let shared = if repo::same_path(&seen.path, &target.path) {
                        Some(("worktree path", target.path.display().to_string()))
                    } else if seen.branch == target.branch {
                        Some(("branch", target.branch.clone()))
                    } else {
                        None
                    };
                    if let Some((what, value)) = shared {
                        problems.push(Problem::Shared {
                            first: other.id.clone(),
                            second: task.id.clone(),
                            what,
                            value,
                        });
                    }
                }
                targets.push((task, target));
            }
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(Error::Refused(problems))
    }
}

/// Checks every request and decides what to do, or returns every problem found.
fn decide_all(
    session: &Session,
    repo: &Repository,
    plan: &Plan,
    targets: Vec<(&Task, Target)>,
    options: &SpawnOptions,
) -> Result<Vec<Decision>> {
    let layout = &session.layout;
    let mut problems = Vec::new();
    let registered = repo::registered(repo, layout)?;
    let rev = options.base.as_deref().unwrap_or(&session.config.base);
    let base = base::revision(repo, rev)?;
    let mut admin_names: HashSet<String> = registered
        .iter()
        .map(|r| r.name.to_ascii_lowercase())
        .collect();
    let mut decisions = Vec::with_capacity(targets.len());
    let mut bad_base = false;
    for (task, target) in targets {
        let decided = decide(
            session,
            repo,
            plan,
            task,
            target,
            &registered,
            &base,
            options,
        );
        match decided {
            Ok(Ok(Decision::Create(mut job))) => {
                job.admin = admin_name(session, &job.target.task, &mut admin_names);
                decisions.push(Decision::Create(job));
            }
            Ok(Ok(existing)) => decisions.push(existing),
            Ok(Err(Problem::BadBase { .. })) if bad_base => {}
            Ok(Err(problem)) => {
                bad_base |= matches!(problem, Problem::BadBase { .. });
                problems.push(problem);
            }
            Err(error) => return Err(error),
        }
    }
    if problems.is_empty() {
        Ok(decisions)
    } else {
        Err(Error::Refused(problems))
    }
}

/// Decides what to do for one task.
#[allow(clippy::too_many_arguments)]
fn decide(
    session: &Session,
    repo: &Repository,
    plan: &Plan,
    task: &Task,
    target: Target,
    registered: &[Registered],
    base: &std::result::Result<Start, Problem>,
    options: &SpawnOptions,
) -> Result<std::result::Result<Decision, Problem>> {
    let layout = &session.layout;
    let id = || task.id.clone();
    let head_ref = target.head_ref();
    if let Some(found) = registered.iter().find(|r| r.is_at(&target.path)) {
        let path = found.path.clone();
        let problem = if !found.exists {
            Problem::PathTaken {
                task: id(),
                path,
                why: "is still registered as a worktree, but its directory is gone; run `orch-worktree prune` first".to_owned(),
            }
        } else if found.head_ref.as_deref() != Some(head_ref.as_str()) {
            Problem::PathTaken {
                task: id(),
                path,
                why: match found.branch() {
                    Some(branch) => {
                        format!("is the worktree of branch {branch}, not {}", target.branch)
                    }
                    None => "is a worktree with a detached HEAD".to_owned(),
                },
            }
        } else if let Some(reason) = found
            .locked
            .as_deref()
            .filter(|r| r.trim().starts_with(INITIALIZING))
        {
            if being_created(reason) {
                return Err(Error::Contention(format!(
                    "the worktree of {} at {} is being created by another process right now",
                    task.id,
                    path.display()
                )));
            }
            Problem::Interrupted { task: id(), path }
        } else {
            return Ok(Ok(Decision::Existing(Spawned {
                task: task.id.to_string(),
                path,
                branch: target.branch.clone(),
                base: None,
                base_from: None,
                created: false,
                branch_created: false,
                checkout: None,
                setup: None,
                warnings: Vec::new(),
            })));
        };
        return Ok(Err(problem));
    }
    // The path as written, then where links would really take it.
    let others: Vec<&Path> = registered.iter().map(|r| r.path.as_path()).collect();
    for (path, via) in [
        (target.path.clone(), ""),
        (
            paths::resolve_links(&target.path),
            " (following symbolic links)",
        ),
    ] {
        if let Err(why) = layout.fence.check(&path, others.iter().copied()) {
            return Ok(Err(Problem::PathEscapes {
                task: id(),
                path: target.path.clone(),
                why: format!("{why}{via}"),
            }));
        }
    }
    if let Some((path, _)) = repo::checked_out_at(layout, registered, &head_ref) {
        return Ok(Err(Problem::CheckedOutElsewhere {
            task: id(),
            branch: target.branch.clone(),
            path,
        }));
    }
    let dir_was_empty = match std::fs::symlink_metadata(&target.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(Error::Io {
                what: "cannot inspect".to_owned(),
                path: target.path.clone(),
                source,
            });
        }
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(&target.path)
                .map_err(Error::io("cannot read the directory", &target.path))?;
            if entries.next().is_some() {
                return Ok(Err(Problem::PathTaken {
                    task: id(),
                    path: target.path.clone(),
                    why: "is a directory that is not empty".to_owned(),
                }));
            }
            true
        }
        Ok(meta) => {
            return Ok(Err(Problem::PathTaken {
                task: id(),
                path: target.path.clone(),
                why: if meta.file_type().is_symlink() {
                    "is a symbolic link".to_owned()
                } else {
                    "is a file".to_owned()
                },
            }));
        }
    };
    let (start, branch_exists) = match repo.refname_to_id(&head_ref) {
        Ok(tip) => (
            Start {
                commit: tip,
                from: "existing branch".to_owned(),
            },
            true,
        ),
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let start = if options.from_dependencies {
                base::from_dependencies(repo, plan, &session.config, task, base)?
            } else {
                base.clone()
            };
            match start {
                Ok(start) => (start, false),
                Err(problem) => return Ok(Err(problem)),
            }
        }
        Err(source) => {
            return Err(Error::Git {
                what: format!("cannot read branch {}", target.branch),
                source,
            });
        }
    };
    Ok(Ok(Decision::Create(Job {
        target,
        admin: String::new(),
        start,
        branch_exists,
        dir_was_empty,
    })))
}

/// The administrative name of a new worktree: the task id, or `id-2`, `id-3` … when taken.
fn admin_name(session: &Session, task: &TaskId, taken: &mut HashSet<String>) -> String {
    let mut name = task.to_string();
    let mut n = 1;
    while taken.contains(&name.to_ascii_lowercase()) || session.layout.admin_dir(&name).exists() {
        n += 1;
        name = format!("{task}-{n}");
    }
    taken.insert(name.to_ascii_lowercase());
    name
}

/// Makes `<common>/worktrees` and the missing parents of the worktrees' directories (so that
/// concurrent creations never race on them); returns the parents made, outermost first.
fn prepare_dirs(session: &Session, jobs: &[&Job]) -> Result<Vec<PathBuf>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let admin_root = session.layout.common_dir.join("worktrees");
    std::fs::create_dir_all(&admin_root).map_err(Error::io("cannot create", &admin_root))?;
    let mut made = Vec::new();
    for job in jobs {
        let Some(parent) = job.target.path.parent() else {
            continue;
        };
        let mut missing = Vec::new();
        let mut dir = parent;
        while !dir.exists() {
            missing.push(dir.to_owned());
            match dir.parent() {
                Some(up) => dir = up,
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            match std::fs::create_dir(&dir) {
                Ok(()) => made.push(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    for dir in made.iter().rev() {
                        let _ = std::fs::remove_dir(dir);
                    }
                    return Err(Error::Io {
                        what: "cannot create the directory".to_owned(),
                        path: dir,
                        source,
                    });
                }
            }
        }
    }
    Ok(made)
}

/// Fills the claimed worktrees with a few workers at once, then sets them up and journals
/// them; results come back in job order.
fn run_jobs(
    session: &Session,
    jobs: &[&Job],
    claims: Vec<std::result::Result<Undo, Error>>,
    options: &SpawnOptions,
) -> Vec<Outcome> {
    let threads = options.threads.max(1);
    let claimed = claims.iter().filter(|c| c.is_ok()).count();
    let workers = claimed.min(threads.max(4));
    let per_job = (threads / workers.max(1)).max(1);
    let queue: Mutex<Vec<(usize, std::result::Result<Undo, Error>)>> =
        Mutex::new(claims.into_iter().enumerate().rev().collect());
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(jobs.iter().map(|_| None).collect());
    let work = || {
        loop {
            let next = match queue.lock() {
                Ok(mut queue) => queue.pop(),
                Err(_) => None,
            };
            let Some((i, claim)) = next else { return };
            let Some(job) = jobs.get(i) else { return };
            let outcome = match claim {
                Ok(undo) => spawn_one(session, job, undo, per_job, options),
                Err(error) => Err(Failed {
                    task: job.target.task.clone(),
                    error,
                }),
            };
            if let Ok(mut results) = results.lock() {
                results[i] = Some(outcome);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(work);
        }
        work();
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .zip(jobs)
        .map(|(outcome, job)| {
            outcome.unwrap_or_else(|| {
                Err(Failed {
                    task: job.target.task.clone(),
                    error: Error::Bug("the spawn stopped unexpectedly".to_owned()),
                })
            })
        })
        .collect()
}

/// Fills one claimed worktree (taken back on failure), runs its setup and journals it.
fn spawn_one(
    session: &Session,
    job: &Job,
    undo: Undo,
    threads: usize,
    options: &SpawnOptions,
) -> Outcome {
    let method =
        create::fill(session, job, undo, threads, &options.extra_attributes).map_err(|error| {
            Failed {
                task: job.target.task.clone(),
                error,
            }
        })?;
    let config = &session.config;
    let time = crate::now();
    let setup = setup::run(&setup::SetupInput {
        task: job.target.task.as_str(),
        main_root: &session.layout.main_root,
        worktree: &job.target.path,
        plan: &session.plan_file,
        state_dir: &session.state_dir,
        copy: &config.copy,
        commands: &config.setup,
        time: &time,
    });
    let mut warnings = Vec::new();
    let detail = serde_json::json!({
        "path": job.target.path.display().to_string(),
        "branch": job.target.branch,
        "base": job.start.commit.to_string(),
        "base_from": job.start.from,
        "branch_created": !job.branch_exists,
        "setup_ok": setup.ok,
    });
    let task = Some(job.target.task.as_str());
    if let Err(e) = session.record("spawn", task, setup.failed.clone(), detail) {
        warnings.push(e.to_string());
    }
    Ok(Spawned {
        task: job.target.task.to_string(),
        path: job.target.path.clone(),
        branch: job.target.branch.clone(),
        base: Some(job.start.commit.to_string()),
        base_from: Some(job.start.from.clone()),
        created: true,
        branch_created: !job.branch_exists,
        checkout: Some(match method {
            Method::Parallel(n) => format!("parallel, {n} thread(s)"),
            Method::Libgit2(why) => format!("libgit2 ({why})"),
        }),
        setup: Some(setup),
        warnings,
    })
}
