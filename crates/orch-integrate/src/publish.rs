//! Publishing a candidate: compare-and-swap of the base ref, then the update of any worktree
//! where the base is checked out.
//!
//! Publishes are serialized by `<state_dir>/integrate.lock`, so that two integrations never
//! write the same checked-out worktree at once. The ref update itself is a compare-and-swap
//! against the tip the candidate was picked onto, so a commit made to the base by anyone else
//! (a person running `git commit`, a script) is never lost: the base only fast-forwards.

use std::path::Path;
use std::time::Duration;

use git2::{Oid, Repository};
use orch_status::lock;

use crate::checkout::{apply, change_paths, checked_out, problems, tree_changes, writes_file};
use crate::error::IntegrateError;
use crate::repo::base_tip;
use crate::report::WorktreeUpdate;

/// How often a ref that git itself has locked is tried again before giving up.
const LOCKED_RETRIES: u32 = 40;

/// What to publish.
pub struct PublishRequest<'a> {
    /// The base branch.
    pub base: &'a str,
    /// The tip the candidate was picked onto (the expected old value).
    pub old: Oid,
    /// The candidate.
    pub new: Oid,
    /// orch's state dir, where the integration lock lives.
    pub state_dir: &'a Path,
    /// The plan: if the move writes it in a checked-out worktree, its lock is held while
    /// that happens, so that no status update made meanwhile is lost.
    pub plan: &'a Path,
    /// How long to wait for the integration lock.
    pub lock_timeout: Duration,
    /// The command line, for the lock file.
    pub command: &'a str,
    /// The reflog message.
    pub message: &'a str,
    /// Only check, move nothing (a dry run): report the worktrees that would be updated, or
    /// the dirty paths that would stop the publish.
    pub check_only: bool,
}

/// What [`publish`] did.
#[derive(Debug)]
pub enum Published {
    /// The base now points at the candidate; these worktrees were updated.
    Moved(Vec<WorktreeUpdate>),
    /// The base had moved to this tip: pick again onto it.
    Stale(Oid),
    /// A check-only run: these worktrees would be updated.
    Checked(Vec<WorktreeUpdate>),
}

/// Moves the base from `old` to `new` with compare-and-swap, then updates every worktree where
/// the base is checked out. Refuses, with nothing moved, if a path the move changes is dirty in
/// such a worktree.
pub fn publish(
    repo: &Repository,
    request: &PublishRequest<'_>,
) -> Result<Published, IntegrateError> {
    let state_dir = request.state_dir;
    std::fs::create_dir_all(state_dir).map_err(IntegrateError::io("create", state_dir))?;
    let _lock = if request.check_only {
        None
    } else {
        Some(
            lock::acquire(
                &state_dir.join("integrate"),
                request.lock_timeout,
                request.command,
            )
            .map_err(IntegrateError::Lock)?,
        )
    };
    let current = base_tip(repo, request.base)?;
    if current != request.old {
        return Ok(Published::Stale(current));
    }
    let worktrees = checked_out(repo, request.base)?;
    let mut changes = Vec::new();
    let mut _plan_lock = None;
    if !worktrees.is_empty() {
        let tree = |id: Oid| {
            repo.find_commit(id)
                .and_then(|c| c.tree())
                .map_err(IntegrateError::git(format!("read the tree of {id}")))
        };
        changes = tree_changes(repo, &tree(request.old)?, &tree(request.new)?)?;
        if !request.check_only
            && worktrees
                .iter()
                .any(|w| writes_file(w, &changes, request.plan))
        {
            _plan_lock = Some(
                lock::acquire(request.plan, request.lock_timeout, request.command)
                    .map_err(IntegrateError::Lock)?,
            );
        }
        for worktree in &worktrees {
            let found = problems(worktree, &changes)?;
            if !found.is_empty() {
                return Err(IntegrateError::Dirty {
                    base: request.base.to_owned(),
                    worktree: worktree.path.clone(),
                    paths: found,
                });
            }
        }
    }
    let updates: Vec<WorktreeUpdate> = worktrees
        .iter()
        .map(|w| WorktreeUpdate {
            path: w.path.clone(),
            paths: change_paths(&changes),
        })
        .collect();
    if request.check_only {
        return Ok(Published::Checked(updates));
    }
    let name = format!("refs/heads/{}", request.base);
    let mut tries = 0;
    loop {
        match repo.reference_matching(&name, request.new, true, request.old, request.message) {
            Ok(_) => break,
            Err(e) if e.code() == git2::ErrorCode::Modified => {
                return Ok(Published::Stale(base_tip(repo, request.base)?));
            }
            Err(e) if e.code() == git2::ErrorCode::Locked && tries < LOCKED_RETRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => {
                return Err(IntegrateError::Git {
                    what: format!("move {} to {}", request.base, request.new),
                    source: e,
                });
            }
        }
    }
    for worktree in &worktrees {
        apply(worktree, &changes).map_err(|reason| IntegrateError::Checkout {
            base: request.base.to_owned(),
            new_tip: request.new.to_string(),
            worktree: worktree.path.clone(),
            reason,
        })?;
    }
    Ok(Published::Moved(updates))
}
