//! Archiving the alternatives that were not selected: each branch's tip is kept as
//! `refs/orch/archive/<task>`, and its worktree is removed if it is clean.

use std::path::{Path, PathBuf};

use git2::{Repository, StatusOptions, WorktreePruneOptions};
use orch_core::TaskId;

use crate::error::IntegrateError;
use crate::report::Archived;

/// Removes the worktree of an archived task. `orch-worktree` owns worktrees and can pass its
/// own removal (with its bookkeeping); [`GitWorktreeRemover`] is the plain-git default.
pub trait WorktreeRemover: Send + Sync {
    /// Removes the worktree of `task`, whose branch is `branch` and whose worktree the plan
    /// names `planned` (relative to the main worktree, when it names one). Returns the path
    /// removed, `Ok(None)` when the task has no worktree, or why the worktree was kept.
    fn remove(
        &self,
        task: &TaskId,
        branch: &str,
        planned: Option<&Path>,
    ) -> Result<Option<PathBuf>, String>;
}

/// Removes a linked worktree that has the task's branch checked out (or sits where the plan
/// says), if it has no uncommitted or untracked changes and is not locked.
pub struct GitWorktreeRemover {
    /// Any path in the repository.
    pub repo: PathBuf,
}

impl WorktreeRemover for GitWorktreeRemover {
    fn remove(
        &self,
        _task: &TaskId,
        branch: &str,
        planned: Option<&Path>,
    ) -> Result<Option<PathBuf>, String> {
        let repo = crate::repo::open_repository(&self.repo).map_err(|e| e.to_string())?;
        let names = repo.worktrees().map_err(|e| e.message().to_owned())?;
        let target = format!("refs/heads/{branch}");
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        let planned = planned.map(|p| canon(&repo.workdir().unwrap_or(Path::new(".")).join(p)));
        for name in names.iter().flatten() {
            let Ok(worktree) = repo.find_worktree(name) else {
                continue;
            };
            let Ok(opened) = Repository::open_from_worktree(&worktree) else {
                continue;
            };
            let on_branch = opened
                .find_reference("HEAD")
                .ok()
                .and_then(|h| h.symbolic_target().map(|t| t == target))
                .unwrap_or(false);
            let here = planned
                .as_ref()
                .is_some_and(|p| *p == canon(worktree.path()));
            if !on_branch && !here {
                continue;
            }
            let path = worktree.path().to_owned();
            if !matches!(worktree.is_locked(), Ok(git2::WorktreeLockStatus::Unlocked)) {
                return Err(format!("worktree {} kept: it is locked", path.display()));
            }
            let mut options = StatusOptions::new();
            options.include_untracked(true).include_ignored(false);
            let dirty = opened
                .statuses(Some(&mut options))
                .map(|s| !s.is_empty())
                .unwrap_or(true);
            if dirty {
                return Err(format!(
                    "worktree {} kept: it has uncommitted or untracked changes",
                    path.display()
                ));
            }
            drop(opened);
            let mut prune = WorktreePruneOptions::new();
            prune.valid(true).working_tree(true);
            worktree
                .prune(Some(&mut prune))
                .map_err(|e| format!("worktree {} kept: {}", path.display(), e.message()))?;
            return Ok(Some(path));
        }
        Ok(None)
    }
}

/// One alternative to archive: the task and its branch.
pub(crate) struct Alternative {
    pub task: TaskId,
    pub branch: String,
    pub worktree: Option<PathBuf>,
}

/// Keeps each alternative's tip as `refs/orch/archive/<task>` and removes its worktree. With
/// `dry_run`, only reports what would be archived.
pub(crate) fn archive(
    repo: &Repository,
    alternatives: &[Alternative],
    remover: &dyn WorktreeRemover,
    dry_run: bool,
    message: &str,
) -> Result<Vec<Archived>, IntegrateError> {
    let mut done = Vec::with_capacity(alternatives.len());
    for alternative in alternatives {
        let tip = crate::repo::branch_tip(repo, &alternative.branch)?.ok_or_else(|| {
            IntegrateError::NoBranch {
                task: alternative.task.to_string(),
                branch: alternative.branch.clone(),
            }
        })?;
        let reference = format!("refs/orch/archive/{}", alternative.task);
        let mut archived = Archived {
            task: alternative.task.to_string(),
            branch: alternative.branch.clone(),
            reference: reference.clone(),
            commit: tip.to_string(),
            worktree_removed: None,
            note: None,
        };
        if !dry_run {
            repo.reference(&reference, tip, true, message)
                .map_err(IntegrateError::git(format!("create {reference}")))?;
            match remover.remove(
                &alternative.task,
                &alternative.branch,
                alternative.worktree.as_deref(),
            ) {
                Ok(path) => archived.worktree_removed = path,
                Err(note) => archived.note = Some(note),
            }
        }
        done.push(archived);
    }
    Ok(done)
}
