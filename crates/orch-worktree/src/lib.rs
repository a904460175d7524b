//! One git worktree and branch per task: the library behind `orch-worktree`.
//!
//! [`spawn`](spawn::spawn) creates the worktrees of tasks of the plan (paths and branches from
//! the matrix or derived from `orch.toml`), concurrently, each one either complete or rolled
//! back; [`list`](list::list) reports every linked worktree with its task, branch, divergence
//! from the base branch and whether it is dirty; [`remove`](remove::remove) and
//! [`prune`](remove::prune) take them away safely; [`run`](run::run) drives one agent process
//! per task through the dependency graph. Every name and path is checked before any git
//! call or file creation.
//!
//! Nothing here prints or reads the environment; the binary does both.

#![deny(missing_docs)]

pub mod base;
pub mod checkout;
pub mod config;
mod create;
pub mod error;
pub mod list;
pub mod paths;
pub mod remove;
pub mod repo;
pub mod run;
pub mod setup;
pub mod spawn;
pub mod target;

use std::path::PathBuf;
use std::time::Duration;

use orch_status::journal::{Entry, Journal, JournalError};

pub use config::Config;
pub use error::{Error, Problem, Result};
pub use repo::Layout;

/// What every operation needs: the repository, its settings, the plan's file, and who acts.
#[derive(Clone, Debug)]
pub struct Session {
    /// Where the repository is.
    pub layout: Layout,
    /// The settings of `orch.toml` (or the defaults).
    pub config: Config,
    /// The canonical plan.
    pub plan_file: PathBuf,
    /// orch's state dir (`<git-common-dir>/orch`): the journal and the logs.
    pub state_dir: PathBuf,
    /// Who acts, for the journal.
    pub actor: String,
    /// The command line, for the journal and the lock.
    pub command: String,
    /// How long to wait for another orch-worktree process's spawn lock.
    pub lock_timeout: Duration,
}

impl Session {
    /// The session for `workspace` (from `orch_status::locate`), reading `orch.toml` at the
    /// main worktree's root, and the repository.
    pub fn open(
        workspace: &orch_status::Workspace,
        actor: String,
        command: String,
        lock_timeout: Duration,
    ) -> Result<(Session, git2::Repository)> {
        let Some(root) = &workspace.root else {
            let place = workspace
                .plan
                .parent()
                .map_or_else(PathBuf::new, |p| p.to_owned());
            return Err(Error::NoRepository(place));
        };
        let (layout, repo) = Layout::open(root)?;
        let config = Config::load(&layout.main_root)?;
        Ok((
            Session {
                layout,
                config,
                plan_file: workspace.plan.clone(),
                state_dir: workspace.state_dir.clone(),
                actor,
                command,
                lock_timeout,
            },
            repo,
        ))
    }

    /// The journal.
    pub fn journal(&self) -> Journal {
        Journal::new(&self.state_dir)
    }

    /// Takes the lock that orch-worktree processes of this repository hold while they decide
    /// and claim (or remove) worktrees, waiting up to `lock_timeout`. A lock left by a dead
    /// process is broken, and the break journaled.
    pub(crate) fn lock_worktrees(&self) -> Result<orch_status::lock::FileLock> {
        std::fs::create_dir_all(&self.state_dir).map_err(Error::io(
            "cannot create orch's state directory",
            &self.state_dir,
        ))?;
        let target = self.state_dir.join("worktrees");
        let acquired = orch_status::lock::acquire(&target, self.lock_timeout, &self.command)
            .map_err(|e| match e {
                orch_status::lock::LockError::Timeout { .. } => Error::Busy(format!(
                    "another orch-worktree process is spawning or removing worktrees: {e}"
                )),
                orch_status::lock::LockError::Io { path, source } => Error::Io {
                    what: "cannot take the lock".to_owned(),
                    path,
                    source,
                },
            })?;
        if let Some(holder) = &acquired.broken {
            // The lock was free to take; a journal failure does not undo that.
            let _ = self.journal().lock_broken(
                &now(),
                &self.actor,
                &self.command,
                acquired.lock.path(),
                holder,
            );
        }
        Ok(acquired.lock)
    }

    /// Appends one journal entry for `event` on `task`.
    pub(crate) fn record(
        &self,
        event: &str,
        task: Option<&str>,
        note: Option<String>,
        detail: serde_json::Value,
    ) -> std::result::Result<(), JournalError> {
        self.journal().append(&Entry {
            time: now(),
            event: event.to_owned(),
            actor: self.actor.clone(),
            task: task.map(str::to_owned),
            note,
            command: Some(self.command.clone()),
            detail,
            ..Entry::default()
        })
    }
}

/// The current time, RFC 3339 in UTC.
pub(crate) fn now() -> String {
    orch_status::lock::now().rfc3339()
}
