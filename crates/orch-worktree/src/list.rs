//! Listing the linked worktrees with their task, branch, head, divergence from the base branch,
//! whether they are dirty, and the task's status.

use std::path::Path;

use git2::{Oid, Repository, StatusOptions};
use orch_core::{Plan, Task};
use serde::Serialize;

use crate::Session;
use crate::error::{Error, Result};
use crate::repo::{self, Registered};
use crate::target;

/// One linked worktree. The first eight fields are the public JSON shape of
/// `orch-worktree list --json`; fields are only ever added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// The task whose worktree path or branch this is, if any.
    pub task: Option<String>,
    /// The worktree's directory (absolute).
    pub path: String,
    /// The branch checked out (short name), or `None` when HEAD is detached.
    pub branch: Option<String>,
    /// The commit checked out (full id).
    pub head: Option<String>,
    /// Commits on the worktree's HEAD that the base branch does not have.
    pub ahead: Option<usize>,
    /// Commits on the base branch that the worktree's HEAD does not have.
    pub behind: Option<usize>,
    /// Whether any file is modified, staged or untracked (ignored files do not count).
    pub dirty: bool,
    /// The task's status, canonical spelling.
    pub status: Option<String>,
    /// The worktree's administrative name (under `<git-common-dir>/worktrees`).
    pub name: String,
    /// The lock's reason, when the worktree is locked.
    pub locked: Option<String>,
    /// Whether the directory is gone (`orch-worktree prune` removes the entry).
    pub prunable: bool,
}

/// Every linked worktree of the repository (not the main worktree, and not the gate worktrees
/// that orch-integrate keeps under `<git-common-dir>/orch/gates`): worktrees of tasks first, in
/// plan order, then the others by path.
pub fn list(session: &Session, repo: &Repository, plan: Option<&Plan>) -> Result<Vec<Listed>> {
    let registered = repo::registered(repo, &session.layout)?;
    let base = repo
        .refname_to_id(&format!("refs/heads/{}", session.config.base))
        .ok();
    let tasks = TaskTargets::new(session, plan);
    let mut rows: Vec<(usize, Listed)> = Vec::with_capacity(registered.len());
    let gates = session.layout.common_dir.join("orch").join("gates");
    for worktree in registered.iter().filter(|w| !w.path.starts_with(&gates)) {
        let found = tasks.of(worktree);
        let order = found.map_or(usize::MAX, |(i, _)| i);
        let task = found.map(|(_, t)| t);
        let head = head_of(repo, &session.layout.admin_dir(&worktree.name));
        let (ahead, behind) = match (head, base) {
            (Some(head), Some(base)) => match repo.graph_ahead_behind(head, base) {
                Ok((ahead, behind)) => (Some(ahead), Some(behind)),
                Err(_) => (None, None),
            },
            _ => (None, None),
        };
        let dirty = worktree.exists && !dirty_files(&worktree.path, 1)?.is_empty();
        rows.push((
            order,
            Listed {
                task: task.map(|t| t.id.to_string()),
                path: worktree.path.display().to_string(),
                branch: worktree.branch().map(str::to_owned),
                head: head.map(|h| h.to_string()),
                ahead,
                behind,
                dirty,
                status: task.map(|t| t.status.as_str().to_owned()),
                name: worktree.name.clone(),
                locked: worktree.locked.clone(),
                prunable: !worktree.exists,
            },
        ));
    }
    rows.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.path.cmp(&y.path)));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// The plan's tasks with their resolved targets, to find the task of a worktree.
pub struct TaskTargets<'p>(Vec<(usize, &'p Task, target::Target)>);

impl<'p> TaskTargets<'p> {
    /// The targets of the plan's tasks (none without a plan). Tasks whose names are invalid
    /// have no worktree and are left out.
    pub fn new(session: &Session, plan: Option<&'p Plan>) -> TaskTargets<'p> {
        let tasks = plan.map_or(&[][..], |p| p.tasks());
        TaskTargets(
            tasks
                .iter()
                .enumerate()
                .filter_map(|(i, task)| {
                    target::target(&session.layout, &session.config, task)
                        .ok()
                        .map(|t| (i, task, t))
                })
                .collect(),
        )
    }

    /// The task (and its place in the plan) whose worktree this is: the task whose resolved
    /// path is the worktree's directory, else the task whose branch it has checked out.
    pub fn of(&self, worktree: &Registered) -> Option<(usize, &'p Task)> {
        self.0
            .iter()
            .find(|(_, _, t)| worktree.is_at(&t.path))
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(_, _, t)| worktree.branch() == Some(t.branch.as_str()))
            })
            .map(|(i, task, _)| (*i, *task))
    }
}

/// The commit a linked worktree has checked out, from its administrative `HEAD`.
fn head_of(repo: &Repository, admin: &Path) -> Option<Oid> {
    let text = std::fs::read_to_string(admin.join("HEAD")).ok()?;
    let text = text.trim();
    match text.strip_prefix("ref:") {
        Some(name) => repo.refname_to_id(name.trim()).ok(),
        None => Oid::from_str(text).ok(),
    }
}

/// Up to `limit` files of the worktree at `path` that are modified, staged or untracked (not
/// ignored), as paths relative to the worktree.
pub fn dirty_files(path: &Path, limit: usize) -> Result<Vec<String>> {
    let worktree = Repository::open(path).map_err(Error::git(format!(
        "cannot open the worktree {}",
        path.display()
    )))?;
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .include_ignored(false)
        .recurse_untracked_dirs(false)
        .renames_head_to_index(false);
    let statuses = worktree
        .statuses(Some(&mut options))
        .map_err(Error::git(format!(
            "cannot read the status of {}",
            path.display()
        )))?;
    Ok(statuses
        .iter()
        .filter(|s| !s.status().is_ignored())
        .take(limit)
        .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
        .collect())
}
