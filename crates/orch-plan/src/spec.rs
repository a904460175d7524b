//! The task spec, `orch.toml`: what `orch-plan init` renders the plan from.
//!
//! [`Spec::parse`] reads and checks the whole file. Every problem it finds is a
//! [`Diagnostic`] with the file, line and column of the value to fix, and a message that says
//! how to fix it. Values that are derived from the repository (worktree paths, which use the
//! repository directory's name) are checked again by [`Spec::tasks`] and [`Spec::plan`].

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use orch_core::{Estimate, Plan, PlanError, Status, Task, TaskId, names};
use orch_status::{Diagnostic, Diagnostics, LineIndex};
use serde::Deserialize;
use toml::Spanned;

mod check;

/// The spec's file name at the root of the main worktree.
pub const SPEC_FILE: &str = "orch.toml";
/// The base branch when `[project] base` is not given.
pub const DEFAULT_BASE: &str = "main";
/// Where worktrees go when `[project] worktree_root` is not given; `{repo}` is replaced by the
/// repository directory's name.
pub const DEFAULT_WORKTREE_ROOT: &str = "../{repo}-worktrees";
/// The prefix of derived branch names when `[project] branch_prefix` is not given.
pub const DEFAULT_BRANCH_PREFIX: &str = "feature/";
/// The placeholder in `worktree_root` that stands for the repository directory's name.
pub const REPO_PLACEHOLDER: &str = "{repo}";

/// A checked task spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The `[project]` table.
    pub project: Project,
    /// The `[[task]]` tables, in file order.
    pub tasks: Vec<TaskSpec>,
    /// The `[agents.NAME]` profiles for `orch-worktree run`, by name.
    pub agents: BTreeMap<String, AgentProfile>,
    /// The `[integrate]` table.
    pub integrate: Integrate,
    /// The `[worktree]` table.
    pub worktree: WorktreeConfig,
    /// The `[hooks]` table.
    pub hooks: Hooks,
    file: PathBuf,
    text: String,
    lines: LineIndex,
}

/// The `[project]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// The project's name, shown in the plan's title block.
    pub name: Spanned<String>,
    /// The branch that integration targets (default `main`).
    pub base: Option<Spanned<String>>,
    /// Where worktrees go, relative to the main worktree (default `../{repo}-worktrees`).
    pub worktree_root: Option<Spanned<String>>,
    /// The prefix of derived branch names (default `feature/`).
    pub branch_prefix: Option<Spanned<String>>,
    /// The plan's Created line, used verbatim (default: the current UTC time).
    pub created: Option<Spanned<String>>,
    /// The plan's Orchestrator line.
    pub orchestrator: Option<Spanned<String>>,
    /// The plan's Model line.
    pub model: Option<Spanned<String>>,
    /// The Feature Objective paragraph (markdown; may span lines).
    pub objective: Option<Spanned<String>>,
}

/// One `[[task]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// The task id, such as `T1`.
    pub id: Spanned<String>,
    /// What the task delivers.
    pub description: Spanned<String>,
    /// The agent role, such as `Architect`.
    pub agent: Spanned<String>,
    /// The skills the agent loads.
    #[serde(default)]
    pub skills: Vec<Spanned<String>>,
    /// The parallel group, such as `A`.
    pub group: Option<Spanned<String>>,
    /// The ids of the tasks that must be Completed first.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    /// The estimated duration, such as `1.5h`.
    pub estimate: Option<Spanned<String>>,
    /// The worktree path, relative to the main worktree (derived from the id when absent).
    pub worktree: Option<Spanned<String>>,
    /// The branch (derived from the id when absent).
    pub branch: Option<Spanned<String>>,
    /// The initial status (default Not Started).
    pub status: Option<Spanned<String>>,
    /// The Agent ID written in the Execution Log (default `-`).
    pub agent_id: Option<Spanned<String>>,
}

/// An `[agents.NAME]` profile: how `orch-worktree run` starts that agent.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentProfile {
    /// The argv to run; `{prompt}` stands for the task's brief.
    pub command: Spanned<Vec<String>>,
}

/// The `[integrate]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrate {
    /// The gate commands (argv lists) run on the candidate before the base branch moves.
    #[serde(default)]
    pub gates: Vec<Spanned<Vec<String>>>,
    /// How long one gate may run before it is killed and counted as failed (`"30m"`);
    /// no limit when absent.
    pub gate_timeout: Option<Spanned<String>>,
}

impl Integrate {
    /// The gate timeout, when one is set and reads as a duration (the spec check reports one
    /// that does not).
    pub fn gate_timeout(&self) -> Option<std::time::Duration> {
        self.gate_timeout
            .as_ref()
            .and_then(|t| orch_core::parse_duration(t.get_ref().trim()).ok())
    }
}

/// The `[worktree]` table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorktreeConfig {
    /// Ignored files copied from the main worktree into each new worktree.
    #[serde(default)]
    pub copy: Vec<Spanned<String>>,
    /// Commands (argv lists) run in each new worktree.
    #[serde(default)]
    pub setup: Vec<Spanned<Vec<String>>>,
    /// Where a new task branch starts: `"base"` (the base branch's tip, the default) or
    /// `"dependencies"` (the result of the task's Completed dependencies).
    pub base_from: Option<Spanned<String>>,
}

/// The `[hooks]` table: commands `orch-worktree run` starts on its events.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    /// An argv run (without a shell, not waited for) on every run event; `{event}` and
    /// `{task}` are replaced in each argument.
    pub on_event: Option<Spanned<Vec<String>>>,
}

/// The values `[worktree] base_from` accepts.
pub const BASE_FROM_VALUES: [&str; 2] = ["base", "dependencies"];

impl WorktreeConfig {
    /// Whether new task branches start from the task's dependencies (`base_from =
    /// "dependencies"`) rather than from the base branch.
    pub fn base_from_dependencies(&self) -> bool {
        self.base_from
            .as_ref()
            .is_some_and(|b| b.get_ref().trim() == "dependencies")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    project: Project,
    #[serde(default, rename = "task")]
    tasks: Vec<TaskSpec>,
    #[serde(default)]
    agents: BTreeMap<String, AgentProfile>,
    #[serde(default)]
    integrate: Integrate,
    #[serde(default)]
    worktree: WorktreeConfig,
    #[serde(default)]
    hooks: Hooks,
}

impl Project {
    /// The base branch.
    pub fn base(&self) -> &str {
        self.base
            .as_ref()
            .map_or(DEFAULT_BASE, |b| b.get_ref().trim())
    }

    /// The worktree root as written, `{repo}` included.
    pub fn worktree_root(&self) -> &str {
        self.worktree_root
            .as_ref()
            .map_or(DEFAULT_WORKTREE_ROOT, |w| w.get_ref().trim())
    }

    /// The prefix of derived branch names.
    pub fn branch_prefix(&self) -> &str {
        self.branch_prefix
            .as_ref()
            .map_or(DEFAULT_BRANCH_PREFIX, |b| b.get_ref().trim())
    }

    /// The Created line: the `created` value as written, or else the current UTC time as
    /// `YYYY-MM-DD HH:MM`.
    pub fn created(&self) -> String {
        match &self.created {
            Some(created) => created.get_ref().trim().to_owned(),
            None => now().minutes(),
        }
    }
}

impl TaskSpec {
    /// The Agent ID for the Execution Log, `-` when not given.
    pub fn agent_id(&self) -> &str {
        match self.agent_id.as_ref().map(|a| a.get_ref().trim()) {
            Some(id) if !id.is_empty() => id,
            _ => "-",
        }
    }
}

impl Spec {
    /// Reads and checks the spec `text` of the file at `path` (used in diagnostics).
    ///
    /// Returns every problem found, each with its line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Spec, Diagnostics> {
        let lines = LineIndex::new(text);
        let document: Document = match toml::from_str(text) {
            Ok(document) => document,
            Err(error) => {
                let at = error.span().map_or(0, |span| span.start);
                let (line, column) = lines.position(text, at);
                return Err(Diagnostics(vec![Diagnostic {
                    file: path.to_owned(),
                    line: Some(line),
                    column: Some(column),
                    message: toml_message(error.message()),
                }]));
            }
        };
        let spec = Spec {
            project: document.project,
            tasks: document.tasks,
            agents: document.agents,
            integrate: document.integrate,
            worktree: document.worktree,
            hooks: document.hooks,
            file: path.to_owned(),
            text: text.to_owned(),
            lines,
        };
        let mut errors = check::fields(&spec);
        if let Err(mut more) = spec.plan(REPO_PLACEHOLDER) {
            errors.append(&mut more.0);
        }
        if errors.is_empty() {
            Ok(spec)
        } else {
            errors.sort_by_key(|d| (d.line, d.column));
            errors.dedup();
            Err(Diagnostics(errors))
        }
    }

    /// The file the spec was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The spec's text as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The worktree root with `{repo}` replaced by `repo_name`.
    pub fn worktree_root(&self, repo_name: &str) -> String {
        self.project
            .worktree_root()
            .replace(REPO_PLACEHOLDER, repo_name)
    }

    /// The task's worktree: its `worktree` value, or else the worktree root joined with the id.
    pub fn worktree_of(&self, task: &TaskSpec, repo_name: &str) -> String {
        match &task.worktree {
            Some(worktree) => worktree.get_ref().trim().to_owned(),
            None => {
                let root = self.worktree_root(repo_name);
                let root = root.trim_end_matches('/');
                let id = task.id.get_ref().trim();
                if root.is_empty() {
                    id.to_owned()
                } else {
                    format!("{root}/{id}")
                }
            }
        }
    }

    /// The task's branch: its `branch` value, or else the branch prefix followed by the id.
    pub fn branch_of(&self, task: &TaskSpec) -> String {
        match &task.branch {
            Some(branch) => branch.get_ref().trim().to_owned(),
            None => format!(
                "{}{}",
                self.project.branch_prefix(),
                task.id.get_ref().trim()
            ),
        }
    }

    /// The tasks of the spec, with worktrees derived for the repository directory `repo_name`.
    ///
    /// Fails when a value does not make a valid task, such as a derived worktree path that the
    /// repository's name makes unsafe.
    pub fn tasks(&self, repo_name: &str) -> Result<Vec<Task>, Diagnostics> {
        let mut tasks = Vec::with_capacity(self.tasks.len());
        let mut errors = Vec::new();
        for spec in &self.tasks {
            match self.task(spec, repo_name) {
                Ok(task) => tasks.push(task),
                Err(mut more) => errors.append(&mut more),
            }
        }
        if errors.is_empty() {
            Ok(tasks)
        } else {
            Err(Diagnostics(errors))
        }
    }

    /// The checked plan of the spec's tasks (unique ids, known dependencies, no cycle), with
    /// worktrees derived for the repository directory `repo_name`.
    pub fn plan(&self, repo_name: &str) -> Result<Plan, Diagnostics> {
        let tasks = self.tasks(repo_name)?;
        Plan::new(tasks.clone()).map_err(|errors| {
            Diagnostics(
                errors
                    .iter()
                    .map(|error| self.plan_error(&tasks, error))
                    .collect(),
            )
        })
    }

    fn task(&self, spec: &TaskSpec, repo_name: &str) -> Result<Task, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let id = TaskId::parse(spec.id.get_ref().trim())
            .map_err(|e| errors.push(self.at(&spec.id.span(), e.to_string())));
        let mut depends_on = Vec::with_capacity(spec.depends_on.len());
        for dependency in &spec.depends_on {
            match TaskId::parse(dependency.get_ref().trim()) {
                Ok(dependency) => depends_on.push(dependency),
                Err(e) => errors.push(self.at(
                    &dependency.span(),
                    format!("in depends_on: {e}; list the ids of other [[task]] tables"),
                )),
            }
        }
        let estimate = match &spec.estimate {
            Some(estimate) => Estimate::parse(estimate.get_ref())
                .map_err(|e| errors.push(self.at(&estimate.span(), e.to_string()))),
            None => Ok(None),
        };
        let status = match &spec.status {
            Some(status) => Status::parse(status.get_ref())
                .map_err(|e| errors.push(self.at(&status.span(), e.to_string()))),
            None => Ok(Status::NotStarted),
        };
        // A bad id is reported once, not again through the names derived from it.
        let id_ok = id.is_ok();
        let worktree = self.worktree_of(spec, repo_name);
        if let Err(e) = names::check_worktree_path(&worktree) {
            match (&spec.worktree, &self.project.worktree_root) {
                (Some(own), _) => errors.push(self.at(&own.span(), e.to_string())),
                _ if !id_ok => {}
                // A worktree_root that is bad in itself is reported once, at the key.
                (None, Some(root)) if names::check_worktree_path(root.get_ref().trim()).is_err() => {}
                (None, Some(root)) => errors.push(self.at(
                    &root.span(),
                    format!("the worktree derived for task {} from worktree_root: {e}", spec.id.get_ref()),
                )),
                (None, None) => errors.push(self.at(
                    &spec.id.span(),
                    format!("the worktree derived from the default worktree_root: {e}; set worktree for this task"),
                )),
            }
        }
        let branch = self.branch_of(spec);
        if let Err(e) = names::check_branch(&branch) {
            match (&spec.branch, &self.project.branch_prefix) {
                (Some(own), _) => errors.push(self.at(&own.span(), e.to_string())),
                _ if !id_ok => {}
                // A branch_prefix that is bad in itself is reported once, at the key.
                (None, Some(prefix)) if !check::prefix_ok(prefix.get_ref().trim()) => {}
                (None, Some(prefix)) => errors.push(self.at(
                    &prefix.span(),
                    format!(
                        "the branch derived for task {} from branch_prefix: {e}",
                        spec.id.get_ref()
                    ),
                )),
                (None, None) => errors.push(self.at(
                    &spec.id.span(),
                    format!("the branch derived from the id: {e}; set branch for this task"),
                )),
            }
        }
        match (id, estimate, status) {
            (Ok(id), Ok(estimate), Ok(status)) if errors.is_empty() => Ok(Task {
                id,
                description: spec.description.get_ref().trim().to_owned(),
                agent: spec.agent.get_ref().trim().to_owned(),
                skills: spec
                    .skills
                    .iter()
                    .map(|s| s.get_ref().trim().to_owned())
                    .collect(),
                worktree,
                branch,
                group: match spec.group.as_ref().map(|g| g.get_ref().trim()) {
                    Some("-") | None => String::new(),
                    Some(group) => group.to_owned(),
                },
                status,
                depends_on,
                estimate,
            }),
            _ => Err(errors),
        }
    }

    /// Places a plan-level error at the value to fix: the later id of a duplicate, or the
    /// dependency entry that is unknown, a self-dependency or closes a cycle.
    fn plan_error(&self, tasks: &[Task], error: &PlanError) -> Diagnostic {
        let span = match error {
            PlanError::DuplicateId { id, .. } => tasks
                .iter()
                .rposition(|t| &t.id == id)
                .map(|i| self.tasks[i].id.span()),
            PlanError::UnknownDependency { task, dependency } => {
                self.dependency_span(tasks, task, dependency)
            }
            PlanError::SelfDependency(task) => self.dependency_span(tasks, task, task),
            PlanError::Cycle(cycle) => match cycle.as_slice() {
                [from, to, ..] => self.dependency_span(tasks, from, to),
                _ => None,
            },
        };
        self.at(&span.unwrap_or(0..0), error.to_string())
    }

    fn dependency_span(
        &self,
        tasks: &[Task],
        task: &TaskId,
        dependency: &TaskId,
    ) -> Option<Range<usize>> {
        let mut fallback = None;
        for (i, built) in tasks.iter().enumerate() {
            if &built.id != task {
                continue;
            }
            fallback.get_or_insert(self.tasks[i].id.span());
            let entry = self.tasks[i]
                .depends_on
                .iter()
                .find(|d| TaskId::parse(d.get_ref().trim()).is_ok_and(|d| &d == dependency));
            if let Some(entry) = entry {
                return Some(entry.span());
            }
        }
        fallback
    }

    /// A diagnostic at the start of `span` in the spec.
    pub(crate) fn at(&self, span: &Range<usize>, message: String) -> Diagnostic {
        let (line, column) = self.lines.position(&self.text, span.start);
        Diagnostic {
            file: self.file.clone(),
            line: Some(line),
            column: Some(column),
            message,
        }
    }
}

/// Turns a TOML error message into one that says how to fix the problem.
fn toml_message(message: &str) -> String {
    let message = message.trim().trim_end_matches('.').replace('\n', " ");
    let hint = if message.starts_with("unknown field") {
        "remove the key or correct its spelling (the starter orch.toml written by `orch-plan init` documents every key)"
    } else if message.starts_with("missing field") {
        "add the key"
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        "write a value of the expected type"
    } else if message.starts_with("duplicate key") {
        "remove one of the two keys"
    } else {
        "fix the TOML syntax here"
    };
    format!("{message}; {hint}")
}

#[cfg(test)]
mod tests;

/// The current time, from the system clock.
fn now() -> orch_core::Timestamp {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    orch_core::Timestamp(seconds)
}
