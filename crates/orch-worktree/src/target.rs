//! From a task of the plan to its worktree path and branch, checked before any git call.

use std::path::PathBuf;

use orch_core::names::{self, NameError};
use orch_core::{Plan, Status, Task, TaskId};

use crate::config::Config;
use crate::error::Problem;
use crate::paths;
use crate::repo::Layout;

/// Where a task's worktree goes and which branch it checks out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The task.
    pub task: TaskId,
    /// The worktree's directory: absolute and normalised.
    pub path: PathBuf,
    /// The branch's short name, such as `feature/T1`.
    pub branch: String,
}

impl Target {
    /// The branch's full ref name.
    pub fn head_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }
}

/// Which tasks a command acts on.
#[derive(Clone, Debug)]
pub enum Selection {
    /// These tasks, in this order.
    Ids(Vec<TaskId>),
    /// The Not Started tasks whose dependencies are all Completed.
    Ready,
    /// The tasks of one parallel group.
    Group(String),
}

/// The tasks of `plan` that `selection` names, in order and without repeats. `--ready` may
/// select nothing; naming an unknown task or an empty group is refused.
pub fn select<'p>(plan: &'p Plan, selection: &Selection) -> Result<Vec<&'p Task>, Vec<Problem>> {
    match selection {
        Selection::Ids(ids) => {
            let mut tasks: Vec<&Task> = Vec::with_capacity(ids.len());
            let mut problems = Vec::new();
            for id in ids {
                match plan.get(id) {
                    Some(task) if !tasks.iter().any(|t| t.id == task.id) => tasks.push(task),
                    Some(_) => {}
                    None => problems.push(Problem::UnknownTask(id.clone())),
                }
            }
            if problems.is_empty() {
                Ok(tasks)
            } else {
                Err(problems)
            }
        }
        Selection::Ready => {
            let graph = plan.graph();
            Ok(graph
                .ready()
                .into_iter()
                .filter_map(|id| plan.get(id))
                .collect())
        }
        Selection::Group(group) => {
            let tasks: Vec<&Task> = plan
                .tasks()
                .iter()
                .filter(|t| t.group.eq_ignore_ascii_case(group.trim()))
                .collect();
            if tasks.is_empty() {
                let mut groups: Vec<&str> = plan
                    .tasks()
                    .iter()
                    .map(|t| t.group.as_str())
                    .filter(|g| !g.is_empty())
                    .collect();
                groups.sort_unstable();
                groups.dedup();
                let known = if groups.is_empty() {
                    "the plan has no parallel groups".to_owned()
                } else {
                    format!("the plan's groups are {}", groups.join(", "))
                };
                return Err(vec![Problem::NothingSelected(format!(
                    "no task is in parallel group {group:?}; {known}"
                ))]);
            }
            Ok(tasks)
        }
    }
}

/// The task's branch: its Branch cell, or the branch prefix followed by the id.
pub fn branch_of(config: &Config, task: &Task) -> String {
    if task.branch.trim().is_empty() {
        format!("{}{}", config.branch_prefix, task.id)
    } else {
        task.branch.trim().to_owned()
    }
}

/// The task's worktree as written: its Worktree cell, or the worktree root joined with the id.
pub fn worktree_of(config: &Config, layout: &Layout, task: &Task) -> String {
    if !task.worktree.trim().is_empty() {
        return task.worktree.trim().to_owned();
    }
    let root = config.worktree_root_for(&layout.repo_name);
    let root = root.trim().trim_end_matches('/');
    if root.is_empty() {
        task.id.to_string()
    } else {
        format!("{root}/{}", task.id)
    }
}

/// Checks a branch name with orch's allowlist and git's own rules for ref names.
pub fn check_branch(branch: &str) -> Result<(), NameError> {
    names::check_branch(branch)?;
    if git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) {
        Ok(())
    } else {
        Err(NameError::Branch {
            name: branch.to_owned(),
            why: "git refuses it as a ref name",
        })
    }
}

/// The task's target, with its branch name and worktree path checked and the path fenced (other
/// worktrees are checked later, against what git has registered).
pub fn target(layout: &Layout, config: &Config, task: &Task) -> Result<Target, Problem> {
    let branch = branch_of(config, task);
    check_branch(&branch).map_err(|error| Problem::BadBranch {
        task: task.id.clone(),
        error,
    })?;
    let written = worktree_of(config, layout, task);
    names::check_worktree_path(&written).map_err(|error| Problem::BadPath {
        task: task.id.clone(),
        error,
    })?;
    let path = paths::resolve(&layout.main_root, &written);
    let none: [&std::path::Path; 0] = [];
    layout
        .fence
        .check(&path, none)
        .map_err(|why| Problem::PathEscapes {
            task: task.id.clone(),
            path: path.clone(),
            why,
        })?;
    Ok(Target {
        task: task.id.clone(),
        path,
        branch,
    })
}

/// The dependencies of `task` that are not Completed.
pub(crate) fn unfinished_dependencies(plan: &Plan, task: &Task) -> Vec<TaskId> {
    task.depends_on
        .iter()
        .filter(|d| plan.get(d).is_none_or(|t| t.status != Status::Completed))
        .cloned()
        .collect()
}
