//! Reading the plan and choosing the tasks of a run.

use orch_core::{Plan, Status, TaskId};

use crate::{Error, Result, Session};

/// The plan, read from disk and validated.
pub(super) fn read_plan(session: &Session) -> Result<Plan> {
    let doc = orch_status::read_plan_file(&session.plan_file)
        .map_err(|e| Error::Spec(orch_status::Diagnostics(e.diagnostics().to_vec())))?;
    doc.plan().map_err(Error::Spec)
}

/// The selected task ids, in plan order; `None` selects every task that is not Completed.
pub(super) fn select(plan: &Plan, tasks: Option<&[TaskId]>) -> Result<Vec<TaskId>> {
    match tasks {
        None | Some([]) => Ok(plan
            .tasks()
            .iter()
            .filter(|t| t.status != Status::Completed)
            .map(|t| t.id.clone())
            .collect()),
        Some(ids) => {
            let unknown: Vec<crate::Problem> = ids
                .iter()
                .filter(|id| plan.get(id).is_none())
                .map(|id| crate::Problem::UnknownTask(id.clone()))
                .collect();
            if !unknown.is_empty() {
                return Err(Error::Refused(unknown));
            }
            let mut out: Vec<TaskId> = Vec::new();
            for task in plan.tasks() {
                if ids.contains(&task.id) && !out.contains(&task.id) {
                    out.push(task.id.clone());
                }
            }
            Ok(out)
        }
    }
}
