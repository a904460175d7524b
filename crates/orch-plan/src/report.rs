//! The JSON shapes the commands print. They are a public API: fields may be added, never
//! renamed (see DESIGN.md, "JSON shapes").

use orch_core::{Estimate, Plan, Task, TaskId};
use serde::Serialize;

/// A task as `show --json` and `ready --json` print it.
#[derive(Debug, Serialize)]
pub struct TaskView<'a> {
    /// The task id.
    pub id: &'a str,
    /// What the task delivers.
    pub description: &'a str,
    /// The agent role.
    pub agent: &'a str,
    /// The skills the agent loads.
    pub skills: &'a [String],
    /// The worktree path as written in the plan (empty when derived).
    pub worktree: &'a str,
    /// The branch as written in the plan (empty when derived).
    pub branch: &'a str,
    /// The parallel group.
    pub group: &'a str,
    /// The status, canonically spelled.
    pub status: &'static str,
    /// The ids of the tasks this one depends on.
    pub depends_on: Vec<&'a str>,
    /// The estimate as written, or null.
    pub estimate: Option<&'a str>,
    /// The estimate in seconds, or null.
    pub estimate_seconds: Option<u64>,
}

impl<'a> TaskView<'a> {
    /// The view of `task`.
    pub fn new(task: &'a Task) -> TaskView<'a> {
        TaskView {
            id: task.id.as_str(),
            description: &task.description,
            agent: &task.agent,
            skills: &task.skills,
            worktree: &task.worktree,
            branch: &task.branch,
            group: &task.group,
            status: task.status.as_str(),
            depends_on: task.depends_on.iter().map(TaskId::as_str).collect(),
            estimate: task.estimate.as_ref().map(Estimate::text),
            estimate_seconds: task.estimate.as_ref().map(Estimate::seconds),
        }
    }
}

/// Completed tasks out of all tasks.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// How many tasks are Completed.
    pub completed: usize,
    /// How many tasks the plan has.
    pub total: usize,
}

/// What `show --json` prints.
#[derive(Debug, Serialize)]
pub struct ShowReport<'a> {
    /// The plan file.
    pub plan: String,
    /// Every task, in plan order.
    pub tasks: Vec<TaskView<'a>>,
    /// Not Started tasks whose dependencies are all Completed.
    pub ready: Vec<&'a str>,
    /// Tasks whose status is Blocked.
    pub blocked: Vec<&'a str>,
    /// Not Started tasks still waiting for a dependency.
    pub waiting: Vec<&'a str>,
    /// Tasks that are In Progress.
    pub in_progress: Vec<&'a str>,
    /// Tasks that Failed.
    pub failed: Vec<&'a str>,
    /// The chain of dependent tasks with the largest total estimate.
    pub critical_path: Vec<&'a str>,
    /// The critical path's total estimate in seconds.
    pub critical_path_seconds: u64,
    /// The critical path's total estimate, formatted (`7.5h`).
    pub critical_path_length: String,
    /// The tasks grouped by topological level.
    pub levels: Vec<Vec<&'a str>>,
    /// Completed out of total.
    pub progress: Progress,
}

fn strs(ids: Vec<&TaskId>) -> Vec<&str> {
    ids.into_iter().map(TaskId::as_str).collect()
}

impl<'a> ShowReport<'a> {
    /// Builds the report of a plan read from `plan_path`.
    pub fn new(plan: &'a Plan, plan_path: String) -> ShowReport<'a> {
        let graph = plan.graph();
        let (critical, seconds) = graph.critical_path();
        let with = |status| {
            plan.tasks()
                .iter()
                .filter(move |t| t.status == status)
                .map(|t| t.id.as_str())
                .collect()
        };
        ShowReport {
            plan: plan_path,
            tasks: plan.tasks().iter().map(TaskView::new).collect(),
            ready: strs(graph.ready()),
            blocked: strs(graph.blocked()),
            waiting: strs(graph.waiting()),
            in_progress: with(orch_core::Status::InProgress),
            failed: with(orch_core::Status::Failed),
            critical_path: strs(critical),
            critical_path_seconds: seconds,
            critical_path_length: Estimate::format_seconds(seconds),
            levels: graph.levels().into_iter().map(strs).collect(),
            progress: Progress {
                completed: plan.completed(),
                total: plan.tasks().len(),
            },
        }
    }
}
