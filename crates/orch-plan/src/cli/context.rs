//! What every subcommand gets: where it runs, which plan it targets, how it prints.

use std::path::{Path, PathBuf};

use orch_core::Plan;
use orch_status::{PlanDoc, Workspace};

use crate::cli::error::{CliError, ErrorKind};

/// The global options and the directory the command runs in.
pub struct Context {
    /// The directory the command was started in.
    pub cwd: PathBuf,
    /// `--plan FILE` or `ORCH_PLAN`.
    pub plan_override: Option<PathBuf>,
    /// `--json`: machine output on stdout, errors as JSON on stderr.
    pub json: bool,
    /// `--lock-timeout`: how long writers wait for a lock.
    pub lock_timeout: std::time::Duration,
    /// The command line, recorded in lock files and the journal.
    pub command_line: String,
    /// Who acts when a command names no agent: `ORCH_AGENT_ID` or the user name, as the binary
    /// read them from its environment.
    pub default_actor: Option<String>,
}

impl Context {
    /// Who makes a change: `--agent`, else the default actor (`ORCH_AGENT_ID`, set by the
    /// conductor, else the user name), else `unknown`.
    pub fn actor(&self, agent: Option<&str>) -> String {
        agent
            .map(str::to_owned)
            .or_else(|| self.default_actor.clone())
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The store that makes atomic changes to the canonical plan.
    pub fn store(&self) -> Result<orch_status::store::Store, CliError> {
        let workspace = self.workspace()?;
        Ok(orch_status::store::Store {
            journal: self.journal(&workspace),
            plan: workspace.plan,
            lock_timeout: self.lock_timeout,
            command: self.command_line.clone(),
        })
    }

    /// The journal of this workspace.
    pub fn journal(&self, workspace: &Workspace) -> orch_status::journal::Journal {
        orch_status::journal::Journal::new(&workspace.state_dir)
    }

    /// Finds the canonical plan (and the state dir) for this command.
    pub fn workspace(&self) -> Result<Workspace, CliError> {
        orch_status::locate(&self.cwd, self.plan_override.as_deref()).map_err(CliError::from)
    }

    /// Reads the canonical plan and validates it as a whole, for a command that only reads it
    /// and then exits.
    ///
    /// The plan is deliberately never freed: a one-shot command exits right after printing, and
    /// the OS reclaims the memory at once, while freeing tens of thousands of small
    /// allocations one by one costs about as much as parsing them (11 ms on 10,000 tasks).
    pub fn load_plan_for_exit(&self) -> Result<(&'static Plan, &'static PlanDoc), CliError> {
        let doc = self.read_plan()?;
        let (plan, doc) = doc
            .into_plan()
            .map_err(|problems| CliError::from_diagnostics(ErrorKind::Validation, problems.0))?;
        let leaked: &'static (Plan, PlanDoc) = Box::leak(Box::new((plan, doc)));
        Ok((&leaked.0, &leaked.1))
    }

    /// Reads and parses the canonical plan, without checking it as a whole.
    pub fn read_plan(&self) -> Result<PlanDoc, CliError> {
        let workspace = self.workspace()?;
        read_plan_at(&workspace.plan)
    }
}

/// Reads and parses the plan at `path`, with a hint when it does not exist.
pub fn read_plan_at(path: &Path) -> Result<PlanDoc, CliError> {
    match orch_status::read_plan_file(path) {
        Ok(doc) => Ok(doc),
        Err(orch_status::ReadError::Io { path, source }) if source.kind() == std::io::ErrorKind::NotFound => {
            Err(CliError::invalid(format!(
                "no plan at {}; create one with `orch-plan init`, or name another with --plan FILE (or ORCH_PLAN)",
                path.display()
            ))
            .with_file(&path))
        }
        Err(error) => Err(CliError::from(error)),
    }
}
