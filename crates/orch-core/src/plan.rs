use std::collections::HashMap;

use crate::{Estimate, Status, TaskId};

/// One row of the task matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// What the task delivers.
    pub description: String,
    /// The agent role, the part of the Agent/Skills cell before ` / `.
    pub agent: String,
    /// The skills the agent loads, the comma-separated part after ` / `.
    pub skills: Vec<String>,
    /// Where the task's worktree goes, as written (relative to the repository root).
    pub worktree: String,
    /// The task's branch.
    pub branch: String,
    /// The parallel group.
    pub group: String,
    /// The task's status.
    pub status: Status,
    /// The tasks that must be Completed before this one can start.
    pub depends_on: Vec<TaskId>,
    /// The estimated duration, if any.
    pub estimate: Option<Estimate>,
}

/// Why a set of tasks does not form a valid plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Two tasks share an id (ids compare ignoring case).
    #[error(
        "duplicate task id {id} (ids are compared ignoring case; {first} comes first); give each task its own id"
    )]
    DuplicateId {
        /// The repeated id, as written in the later row.
        id: TaskId,
        /// The id as written in the first row that has it.
        first: TaskId,
    },
    /// A task depends on a task that is not in the plan.
    #[error(
        "task {task} depends on {dependency}, which is not in the plan; add a row for {dependency} or remove it from the dependencies"
    )]
    UnknownDependency {
        /// The task whose dependency is missing.
        task: TaskId,
        /// The missing dependency.
        dependency: TaskId,
    },
    /// A task lists itself as a dependency.
    #[error("task {0} depends on itself; remove {0} from its own dependencies")]
    SelfDependency(TaskId),
    /// The dependencies form a cycle; the first id is repeated at the end.
    #[error("dependency cycle: {} (each task depends on the next); remove one of these dependencies", format_cycle(.0))]
    Cycle(Vec<TaskId>),
}

impl PlanError {
    /// The task whose row the error is best reported at.
    pub fn task(&self) -> &TaskId {
        match self {
            PlanError::DuplicateId { id, .. } => id,
            PlanError::UnknownDependency { task, .. } => task,
            PlanError::SelfDependency(task) => task,
            PlanError::Cycle(cycle) => &cycle[0],
        }
    }
}

fn format_cycle(cycle: &[TaskId]) -> String {
    cycle
        .iter()
        .map(TaskId::as_str)
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// A validated plan: unique ids, known dependencies and no cycle.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) tasks: Vec<Task>,
    pub(crate) index: HashMap<TaskId, usize>,
    /// For each task, the indices of its dependencies.
    pub(crate) deps: Vec<Vec<usize>>,
}

impl Plan {
    /// Checks the tasks and builds the plan, or returns every problem found.
    pub fn new(tasks: Vec<Task>) -> Result<Plan, Vec<PlanError>> {
        Plan::try_new(tasks).map_err(|(_, errors)| errors)
    }

    /// Like [`Plan::new`], but hands the tasks back with the problems, so a caller can report
    /// them against the tasks without having cloned them first.
    pub fn try_new(tasks: Vec<Task>) -> Result<Plan, (Vec<Task>, Vec<PlanError>)> {
        let mut errors = Vec::new();
        let mut index = HashMap::with_capacity(tasks.len());
        for (i, task) in tasks.iter().enumerate() {
            if let Some(&first) = index.get(&task.id) {
                let first: &Task = &tasks[first];
                errors.push(PlanError::DuplicateId {
                    id: task.id.clone(),
                    first: first.id.clone(),
                });
            } else {
                index.insert(task.id.clone(), i);
            }
        }
        let mut deps = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let mut mine = Vec::with_capacity(task.depends_on.len());
            for dependency in &task.depends_on {
                if dependency == &task.id {
                    errors.push(PlanError::SelfDependency(task.id.clone()));
                } else if let Some(&d) = index.get(dependency) {
                    if !mine.contains(&d) {
                        mine.push(d);
                    }
                } else {
                    errors.push(PlanError::UnknownDependency {
                        task: task.id.clone(),
                        dependency: dependency.clone(),
                    });
                }
            }
            deps.push(mine);
        }
        let plan = Plan { tasks, index, deps };
        errors.extend(plan.cycles().into_iter().map(PlanError::Cycle));
        if errors.is_empty() {
            Ok(plan)
        } else {
            Err((plan.tasks, errors))
        }
    }

    /// The tasks in plan order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The task with this id, if any.
    pub fn get(&self, id: &TaskId) -> Option<&Task> {
        self.index.get(id).map(|&i| &self.tasks[i])
    }

    /// How many tasks are Completed.
    pub fn completed(&self) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status == Status::Completed)
            .count()
    }
}
