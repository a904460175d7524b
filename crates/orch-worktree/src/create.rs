//! Making one worktree, in two steps: the claim (administrative files, branch, directory), done
//! one worktree after another under the spawn lock, and the fill (the checkout), done for
//! several worktrees at once after the lock is released. Each step notes what it made, so that
//! a failure anywhere takes back exactly that and nothing else.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::Session;
use crate::base::Start;
use crate::checkout::{self, Method};
use crate::error::{Error, Result};
use crate::repo::INITIALIZING;
use crate::target::Target;

/// A worktree to create, with everything decided.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    /// The task's path and branch.
    pub target: Target,
    /// The administrative name.
    pub admin: String,
    /// Where the branch starts (or where the existing branch is).
    pub start: Start,
    /// Whether the branch exists already (it is used as it is).
    pub branch_exists: bool,
    /// Whether the directory exists already, empty.
    pub dir_was_empty: bool,
}

/// Makes the administrative files, the branch and the directory with its `.git` file. The
/// worktree stays locked as `initializing` by this process until [`fill`] completes it, so
/// that other processes leave it alone.
pub(crate) fn claim(session: &Session, repo: &Repository, job: &Job) -> Result<Undo, Error> {
    let mut undo = Undo::new(session, job);
    match claim_steps(session, repo, job, &mut undo) {
        Ok(()) => Ok(undo),
        Err(error) => Err(undo.run(error)),
    }
}

fn claim_steps(session: &Session, repo: &Repository, job: &Job, undo: &mut Undo) -> Result<()> {
    let target = &job.target;
    let admin = session.layout.admin_dir(&job.admin);
    match std::fs::create_dir(&admin) {
        Ok(()) => undo.admin = true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Contention(format!(
                "the worktree name {} was taken at the same moment",
                job.admin
            )));
        }
        Err(source) => return Err(Error::io("cannot create", &admin)(source)),
    }
    let dot_git = target.path.join(".git");
    write(&admin.join("locked"), &format!("{}\n", lock_reason()))?;
    write(&admin.join("commondir"), "../..\n")?;
    write(
        &admin.join("HEAD"),
        &format!("ref: {}\n", target.head_ref()),
    )?;
    write(&admin.join("gitdir"), &format!("{}\n", dot_git.display()))?;
    if !job.branch_exists {
        let message = format!(
            "orch-worktree: spawn {} from {}",
            target.task, job.start.from
        );
        match repo.reference(&target.head_ref(), job.start.commit, false, &message) {
            Ok(_) => undo.branch = true,
            Err(e) if matches!(e.code(), git2::ErrorCode::Exists | git2::ErrorCode::Locked) => {
                return Err(Error::Contention(format!(
                    "branch {} was created by another process at the same moment",
                    target.branch
                )));
            }
            Err(source) => {
                return Err(Error::Git {
                    what: format!("cannot create branch {}", target.branch),
                    source,
                });
            }
        }
    }
    if job.dir_was_empty {
        undo.filled = true;
    } else {
        match std::fs::create_dir(&target.path) {
            Ok(()) => undo.dir = true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Contention(format!(
                    "{} appeared while the worktree was being created",
                    target.path.display()
                )));
            }
            Err(source) => {
                return Err(Error::io("cannot create the directory", &target.path)(
                    source,
                ));
            }
        }
    }
    write(&dot_git, &format!("gitdir: {}\n", admin.display()))
}

/// Checks out the claimed worktree's files with `threads` threads, then unlocks it. On failure
/// the whole worktree is taken back.
pub(crate) fn fill(
    session: &Session,
    job: &Job,
    mut undo: Undo,
    threads: usize,
    extra_attributes: &[PathBuf],
) -> Result<Method> {
    let steps = || -> Result<Method> {
        let target = &job.target;
        let worktree = Repository::open(&target.path).map_err(Error::git(format!(
            "cannot open the new worktree {}",
            target.path.display()
        )))?;
        let tree = worktree
            .find_commit(job.start.commit)
            .and_then(|c| c.tree())
            .map_err(Error::git(format!(
                "cannot read commit {}",
                job.start.commit
            )))?;
        let method = checkout::checkout(
            &worktree,
            &session.layout.common_dir,
            &tree,
            threads,
            extra_attributes,
        )?;
        let locked = session.layout.admin_dir(&job.admin).join("locked");
        std::fs::remove_file(&locked)
            .map_err(Error::io("cannot unlock the worktree by removing", &locked))?;
        Ok(method)
    };
    match steps() {
        Ok(method) => {
            undo.disarm();
            Ok(method)
        }
        Err(error) => Err(undo.run(error)),
    }
}

/// The lock reason of a worktree being created: git's `initializing`, and who is creating it.
fn lock_reason() -> String {
    format!(
        "{INITIALIZING} by orch-worktree, pid {} on {}",
        std::process::id(),
        orch_status::lock::hostname()
    )
}

/// Whether a worktree locked with `reason` is being created right now by a live process on
/// this host, rather than left behind by an interrupted one.
pub(crate) fn being_created(reason: &str) -> bool {
    let Some((_, rest)) = reason.split_once(", pid ") else {
        return false;
    };
    let Some((pid, host)) = rest.split_once(" on ") else {
        return false;
    };
    match pid.trim().parse::<u32>() {
        Ok(pid) => {
            host.trim() == orch_status::lock::hostname() && orch_status::lock::process_alive(pid)
        }
        Err(_) => false,
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(Error::io("cannot write", path))
}

/// What a creation made and must take back if it fails; runs on error, and when dropped armed
/// (unwinding) as a last resort.
#[derive(Debug)]
pub(crate) struct Undo {
    main_root: PathBuf,
    admin_dir: PathBuf,
    path: PathBuf,
    branch_ref: String,
    branch_name: String,
    commit: Oid,
    armed: bool,
    branch: bool,
    admin: bool,
    dir: bool,
    filled: bool,
}

impl Undo {
    fn new(session: &Session, job: &Job) -> Undo {
        Undo {
            main_root: session.layout.main_root.clone(),
            admin_dir: session.layout.admin_dir(&job.admin),
            path: job.target.path.clone(),
            branch_ref: job.target.head_ref(),
            branch_name: job.target.branch.clone(),
            commit: job.start.commit,
            armed: true,
            branch: false,
            admin: false,
            dir: false,
            filled: false,
        }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }

    /// Takes back what was made and returns `error`, with anything that could not be taken
    /// back.
    pub(crate) fn run(mut self, error: Error) -> Error {
        self.armed = false;
        let leftovers = self.undo();
        if leftovers.is_empty() {
            error
        } else {
            Error::Leftovers {
                error: Box::new(error),
                leftovers: leftovers.join(", "),
            }
        }
    }

    fn undo(&self) -> Vec<String> {
        let mut leftovers = Vec::new();
        let mut note =
            |what: String, e: &dyn std::fmt::Display| leftovers.push(format!("{what} ({e})"));
        if self.dir {
            if let Err(e) = std::fs::remove_dir_all(&self.path) {
                note(self.path.display().to_string(), &e);
            }
        } else if self.filled {
            // The directory was there and empty: leave it empty, as it was.
            for entry in std::fs::read_dir(&self.path)
                .into_iter()
                .flatten()
                .flatten()
            {
                let item = entry.path();
                let removed = match entry.file_type() {
                    Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&item),
                    _ => std::fs::remove_file(&item),
                };
                if let Err(e) = removed {
                    note(item.display().to_string(), &e);
                }
            }
        }
        let admin_removed = match self.admin {
            true => std::fs::remove_dir_all(&self.admin_dir),
            false => Ok(()),
        };
        if let Err(e) = admin_removed {
            note(self.admin_dir.display().to_string(), &e);
        }
        if self.branch {
            // Only the branch this spawn made, and only while it is still where it was made.
            let deleted = Repository::open(&self.main_root).and_then(|repo| {
                let mut branch = repo.find_reference(&self.branch_ref)?;
                if branch.target() == Some(self.commit) {
                    branch.delete()?;
                }
                Ok(())
            });
            if let Err(e) = deleted {
                note(format!("branch {}", self.branch_name), &e.message());
            }
        }
        leftovers
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if self.armed {
            self.undo();
        }
    }
}
