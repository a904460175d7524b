//! Removing task worktrees (and optionally their branches) safely, and pruning the
//! administrative data of worktrees whose directory is gone.

use std::path::{Path, PathBuf};

use git2::{BranchType, Repository, WorktreePruneOptions};
use orch_core::{Plan, Task};
use serde::Serialize;

use crate::Session;
use crate::create::being_created;
use crate::error::{Error, Failed, Problem, Result};
use crate::list::{TaskTargets, dirty_files};
use crate::repo::{self, Registered};
use crate::target;

/// How to remove.
#[derive(Clone, Copy, Debug, Default)]
pub struct RemoveOptions {
    /// Remove even a dirty or locked worktree, and delete even an unmerged branch.
    pub force: bool,
    /// Delete the task's branch too.
    pub delete_branch: bool,
}

/// A removed worktree.
#[derive(Clone, Debug, Serialize)]
pub struct Removed {
    /// The task.
    pub task: String,
    /// The worktree's directory.
    pub path: PathBuf,
    /// The branch it had checked out.
    pub branch: Option<String>,
    /// Whether the branch was deleted.
    pub branch_deleted: bool,
    /// Things worth knowing that did not stop the removal.
    pub warnings: Vec<String>,
}

/// A pruned worktree entry.
#[derive(Clone, Debug, Serialize)]
pub struct Pruned {
    /// The task whose worktree it was, if any.
    pub task: Option<String>,
    /// The administrative name.
    pub name: String,
    /// The directory that is gone.
    pub path: PathBuf,
    /// The branch it had checked out (the branch itself is kept).
    pub branch: Option<String>,
}

/// What `prune` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PruneReport {
    /// The entries removed.
    pub pruned: Vec<Pruned>,
    /// Entries whose directory is gone but that are locked, so they were kept.
    pub locked: Vec<Pruned>,
    /// Things worth knowing that did not stop the prune.
    pub warnings: Vec<String>,
}

/// Removes the worktrees of `tasks`. Every worktree is checked first (it exists, holds no
/// other worktree, is clean and unlocked, its branch is merged when it is to be deleted) and
/// any problem refuses the whole request with nothing changed.
pub fn remove(
    session: &Session,
    repo: &Repository,
    tasks: &[&Task],
    options: RemoveOptions,
) -> Result<Vec<std::result::Result<Removed, Failed>>> {
    let _lock = session.lock_worktrees()?;
    let registered = repo::registered(repo, &session.layout)?;
    let mut problems = Vec::new();
    let mut found: Vec<(&Task, &Registered)> = Vec::with_capacity(tasks.len());
    for task in tasks {
        match check(session, repo, task, &registered, options) {
            Ok(Ok(worktree)) => found.push((task, worktree)),
            Ok(Err(problem)) => problems.push(problem),
            Err(error) => return Err(error),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Refused(problems));
    }
    Ok(found
        .into_iter()
        .map(|(task, worktree)| {
            remove_one(session, repo, task, worktree, options).map_err(|error| Failed {
                task: task.id.clone(),
                error,
            })
        })
        .collect())
}

/// Finds the task's worktree and checks that it may be removed.
fn check<'r>(
    session: &Session,
    repo: &Repository,
    task: &Task,
    registered: &'r [Registered],
    options: RemoveOptions,
) -> Result<std::result::Result<&'r Registered, Problem>> {
    let id = || task.id.clone();
    let target = match target::target(&session.layout, &session.config, task) {
        Ok(target) => target,
        Err(problem) => return Ok(Err(problem)),
    };
    let Some(worktree) = registered
        .iter()
        .find(|r| r.is_at(&target.path))
        .or_else(|| {
            registered
                .iter()
                .find(|r| r.branch() == Some(target.branch.as_str()))
        })
    else {
        return Ok(Err(Problem::NoWorktree(id())));
    };
    let path = worktree.path.clone();
    if let Some(inner) = registered
        .iter()
        .find(|r| r.path != worktree.path && r.path.starts_with(&worktree.path))
    {
        return Ok(Err(Problem::Nested {
            task: id(),
            path,
            inner: inner.path.clone(),
        }));
    }
    if worktree.exists && !belongs(&worktree.path, &session.layout.admin_dir(&worktree.name)) {
        return Ok(Err(Problem::Foreign { task: id(), path }));
    }
    if let Some(reason) = worktree.locked.as_deref().filter(|r| being_created(r)) {
        return Err(Error::Contention(format!(
            "the worktree of {} at {} is being created right now ({})",
            task.id,
            path.display(),
            reason.trim()
        )));
    }
    if options.force {
        return Ok(Ok(worktree));
    }
    if let Some(reason) = &worktree.locked {
        return Ok(Err(Problem::Locked {
            task: id(),
            path,
            reason: if reason.trim().is_empty() {
                "no reason given".to_owned()
            } else {
                reason.trim().to_owned()
            },
        }));
    }
    if worktree.exists {
        let files = dirty_files(&worktree.path, 5)?;
        if !files.is_empty() {
            return Ok(Err(Problem::Dirty {
                task: id(),
                path,
                files,
            }));
        }
    }
    if let (true, Some(branch)) = (options.delete_branch, worktree.branch()) {
        let base = &session.config.base;
        let (Ok(tip), Ok(base_tip)) = (
            repo.refname_to_id(&format!("refs/heads/{branch}")),
            repo.refname_to_id(&format!("refs/heads/{base}")),
        ) else {
            return Ok(Err(Problem::BadBase {
                rev: base.clone(),
                detail: format!("cannot compare branch {branch} with it"),
            }));
        };
        let (ahead, _) = repo
            .graph_ahead_behind(tip, base_tip)
            .map_err(Error::git(format!("cannot compare {branch} with {base}")))?;
        if ahead > 0 {
            return Ok(Err(Problem::Unmerged {
                task: id(),
                branch: branch.to_owned(),
                base: base.clone(),
                ahead,
            }));
        }
    }
    Ok(Ok(worktree))
}

/// Whether the directory `path` is the worktree whose administrative dir is `admin`: its
/// `.git` file points there.
fn belongs(path: &Path, admin: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path.join(".git")) else {
        return false;
    };
    let Some(gitdir) = text.trim().strip_prefix("gitdir:") else {
        return false;
    };
    repo::same_path(&path.join(gitdir.trim()), admin)
}

/// Removes the directory, then the administrative data, then (if asked) the branch.
fn remove_one(
    session: &Session,
    repo: &Repository,
    task: &Task,
    worktree: &Registered,
    options: RemoveOptions,
) -> Result<Removed> {
    if worktree.exists {
        std::fs::remove_dir_all(&worktree.path)
            .map_err(Error::io("cannot remove the worktree", &worktree.path))?;
    }
    let mut prune = WorktreePruneOptions::new();
    prune.valid(true).locked(true).working_tree(false);
    repo.find_worktree(&worktree.name)
        .and_then(|w| w.prune(Some(&mut prune)))
        .map_err(Error::git(format!(
            "removed {} but cannot remove its administrative data (run `orch-worktree prune`)",
            worktree.path.display()
        )))?;
    let mut branch_deleted = false;
    if let (true, Some(branch)) = (options.delete_branch, worktree.branch()) {
        match repo.find_branch(branch, BranchType::Local) {
            Ok(mut found) => {
                found
                    .delete()
                    .map_err(Error::git(format!("cannot delete branch {branch}")))?;
                branch_deleted = true;
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(source) => {
                return Err(Error::Git {
                    what: format!("cannot read branch {branch}"),
                    source,
                });
            }
        }
    }
    let mut warnings = Vec::new();
    let detail = serde_json::json!({
        "path": worktree.path.display().to_string(),
        "branch": worktree.branch(),
        "branch_deleted": branch_deleted,
        "forced": options.force,
    });
    if let Err(e) = session.record("remove", Some(task.id.as_str()), None, detail) {
        warnings.push(e.to_string());
    }
    Ok(Removed {
        task: task.id.to_string(),
        path: worktree.path.clone(),
        branch: worktree.branch().map(str::to_owned),
        branch_deleted,
        warnings,
    })
}

/// Removes the administrative data of every worktree whose directory is gone, except locked
/// ones. Branches are kept.
pub fn prune(session: &Session, repo: &Repository, plan: Option<&Plan>) -> Result<PruneReport> {
    let _lock = session.lock_worktrees()?;
    let registered = repo::registered(repo, &session.layout)?;
    let tasks = TaskTargets::new(session, plan);
    let mut report = PruneReport::default();
    for worktree in registered.iter().filter(|w| !w.exists) {
        let entry = Pruned {
            task: tasks.of(worktree).map(|(_, t)| t.id.to_string()),
            name: worktree.name.clone(),
            path: worktree.path.clone(),
            branch: worktree.branch().map(str::to_owned),
        };
        if worktree.locked.is_some() {
            report.locked.push(entry);
            continue;
        }
        let found = repo
            .find_worktree(&worktree.name)
            .map_err(Error::git(format!(
                "cannot open worktree {}",
                worktree.name
            )))?;
        // libgit2 checks again that the directory is gone and the worktree is not locked.
        if !found.is_prunable(None).map_err(Error::git(format!(
            "cannot check worktree {}",
            worktree.name
        )))? {
            continue;
        }
        found.prune(None).map_err(Error::git(format!(
            "cannot prune worktree {}",
            worktree.name
        )))?;
        let detail = serde_json::json!({
            "name": entry.name,
            "path": entry.path.display().to_string(),
            "branch": entry.branch,
        });
        if let Err(e) = session.record("prune", entry.task.as_deref(), None, detail) {
            report.warnings.push(e.to_string());
        }
        report.pruned.push(entry);
    }
    Ok(report)
}
