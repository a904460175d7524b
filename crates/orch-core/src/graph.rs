//! Algorithms over the dependency graph of a [`Plan`].

use std::collections::HashSet;

use crate::plan::Plan;
use crate::{Status, Task, TaskId};

/// The dependency graph of a plan, with the derived views the commands show.
#[derive(Clone, Debug)]
pub struct Graph<'p> {
    plan: &'p Plan,
    levels: Vec<usize>,
    dependents: Vec<Vec<usize>>,
}

/// Kept as the name of the error type for graph problems.
pub type GraphError = crate::PlanError;

impl Plan {
    /// Finds the distinct cycles, each as a path whose first id is repeated at the end.
    pub(crate) fn cycles(&self) -> Vec<Vec<TaskId>> {
        const WHITE: u8 = 0;
        const GRAY: u8 = 1;
        const BLACK: u8 = 2;
        let n = self.tasks.len();
        let mut colour = vec![WHITE; n];
        let mut seen = HashSet::new();
        let mut cycles = Vec::new();
        for start in 0..n {
            if colour[start] != WHITE {
                continue;
            }
            // An explicit stack of (node, next edge to follow) keeps deep plans off the call stack.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            colour[start] = GRAY;
            while let Some(&mut (node, ref mut edge)) = stack.last_mut() {
                if let Some(&next) = self.deps[node].get(*edge) {
                    *edge += 1;
                    match colour[next] {
                        WHITE => {
                            colour[next] = GRAY;
                            stack.push((next, 0));
                        }
                        GRAY => {
                            let from = stack.iter().position(|&(n, _)| n == next).unwrap_or(0);
                            let mut cycle: Vec<usize> =
                                stack[from..].iter().map(|&(n, _)| n).collect();
                            let lowest = cycle
                                .iter()
                                .enumerate()
                                .min_by_key(|&(_, &n)| n)
                                .map_or(0, |(i, _)| i);
                            cycle.rotate_left(lowest);
                            if seen.insert(cycle.clone()) {
                                let mut ids: Vec<TaskId> =
                                    cycle.iter().map(|&i| self.tasks[i].id.clone()).collect();
                                ids.push(ids[0].clone());
                                cycles.push(ids);
                            }
                        }
                        _ => {}
                    }
                } else {
                    colour[node] = BLACK;
                    stack.pop();
                }
            }
        }
        cycles
    }

    /// The plan's dependency graph.
    pub fn graph(&self) -> Graph<'_> {
        let n = self.tasks.len();
        let mut dependents = vec![Vec::new(); n];
        for (task, deps) in self.deps.iter().enumerate() {
            for &dep in deps {
                dependents[dep].push(task);
            }
        }
        // Kahn's algorithm; a valid plan has no cycle, so every task gets a level.
        let mut remaining: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut levels = vec![0usize; n];
        let mut queue: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
        let mut head = 0;
        while head < queue.len() {
            let task = queue[head];
            head += 1;
            for &next in &dependents[task] {
                levels[next] = levels[next].max(levels[task] + 1);
                remaining[next] -= 1;
                if remaining[next] == 0 {
                    queue.push(next);
                }
            }
        }
        Graph {
            plan: self,
            levels,
            dependents,
        }
    }
}

impl<'p> Graph<'p> {
    fn task(&self, i: usize) -> &'p Task {
        &self.plan.tasks[i]
    }

    fn ids(&self, indices: impl IntoIterator<Item = usize>) -> Vec<&'p TaskId> {
        indices
            .into_iter()
            .map(|i| &self.plan.tasks[i].id)
            .collect()
    }

    /// The topological level of each task, in plan order: 0 for tasks without dependencies,
    /// otherwise one more than the highest level among its dependencies.
    pub fn level_of(&self, id: &TaskId) -> Option<usize> {
        self.plan.index.get(id).map(|&i| self.levels[i])
    }

    /// The tasks grouped by topological level; within a level, in plan order.
    pub fn levels(&self) -> Vec<Vec<&'p TaskId>> {
        let depth = self.levels.iter().max().map_or(0, |&m| m + 1);
        let mut out = vec![Vec::new(); depth];
        for (i, &level) in self.levels.iter().enumerate() {
            out[level].push(&self.task(i).id);
        }
        out
    }

    /// Every task in an order where dependencies come first (by level, then plan order).
    pub fn topological(&self) -> Vec<&'p TaskId> {
        self.levels().into_iter().flatten().collect()
    }

    /// The tasks that depend directly on `id`, in plan order.
    pub fn dependents(&self, id: &TaskId) -> Vec<&'p TaskId> {
        match self.plan.index.get(id) {
            Some(&i) => self.ids(self.dependents[i].iter().copied()),
            None => Vec::new(),
        }
    }

    fn deps_completed(&self, i: usize) -> bool {
        self.plan.deps[i]
            .iter()
            .all(|&d| self.task(d).status == Status::Completed)
    }

    /// Not Started tasks whose dependencies are all Completed, in plan order.
    pub fn ready(&self) -> Vec<&'p TaskId> {
        self.ids(
            (0..self.levels.len())
                .filter(|&i| self.task(i).status == Status::NotStarted && self.deps_completed(i)),
        )
    }

    /// Tasks whose status is Blocked, in plan order.
    pub fn blocked(&self) -> Vec<&'p TaskId> {
        self.ids((0..self.levels.len()).filter(|&i| self.task(i).status == Status::Blocked))
    }

    /// Not Started tasks that still wait for a dependency, in plan order.
    pub fn waiting(&self) -> Vec<&'p TaskId> {
        self.ids(
            (0..self.levels.len())
                .filter(|&i| self.task(i).status == Status::NotStarted && !self.deps_completed(i)),
        )
    }

    /// The dependencies of `id` that are not yet Completed.
    pub fn unfinished_dependencies(&self, id: &TaskId) -> Vec<&'p TaskId> {
        match self.plan.index.get(id) {
            Some(&i) => self.ids(
                self.plan.deps[i]
                    .iter()
                    .copied()
                    .filter(|&d| self.task(d).status != Status::Completed),
            ),
            None => Vec::new(),
        }
    }

    /// The chain of dependent tasks with the largest total estimate, first task first, and that
    /// total in seconds. Tasks without an estimate count as zero; among chains of equal length
    /// the one with more tasks wins, then the one that comes first in the plan.
    pub fn critical_path(&self) -> (Vec<&'p TaskId>, u64) {
        let n = self.levels.len();
        if n == 0 {
            return (Vec::new(), 0);
        }
        let weight = |i: usize| self.task(i).estimate.as_ref().map_or(0, |e| e.seconds());
        // (total seconds, task count) of the heaviest chain ending at each task.
        let mut best = vec![(0u64, 0usize); n];
        let mut previous = vec![None; n];
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (self.levels[i], i));
        for &i in &order {
            let mut chosen: Option<usize> = None;
            for &d in &self.plan.deps[i] {
                if chosen.is_none_or(|c| best[d] > best[c]) {
                    chosen = Some(d);
                }
            }
            let (base_seconds, base_count) = chosen.map_or((0, 0), |c| best[c]);
            best[i] = (base_seconds.saturating_add(weight(i)), base_count + 1);
            previous[i] = chosen;
        }
        let mut end = 0;
        for i in 1..n {
            if best[i] > best[end] {
                end = i;
            }
        }
        let mut path = vec![end];
        while let Some(p) = previous[*path.last().unwrap_or(&end)] {
            path.push(p);
        }
        path.reverse();
        (self.ids(path), best[end].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Estimate, PlanError};

    fn id(text: &str) -> TaskId {
        TaskId::parse(text).expect("valid id")
    }

    fn task(name: &str, deps: &[&str], estimate: &str, status: Status) -> Task {
        Task {
            id: id(name),
            description: format!("task {name}"),
            agent: String::new(),
            skills: Vec::new(),
            worktree: String::new(),
            branch: String::new(),
            group: String::new(),
            status,
            depends_on: deps.iter().map(|d| id(d)).collect(),
            estimate: Estimate::parse(estimate).expect("valid estimate"),
        }
    }

    fn auth_plan() -> Plan {
        use Status::*;
        Plan::new(vec![
            task("T1", &[], "1h", Completed),
            task("T2", &["T1"], "3h", InProgress),
            task("T3", &["T1"], "3h", Completed),
            task("T4", &["T1"], "3h", Blocked),
            task("T5", &["T2", "T3", "T4"], "2h", NotStarted),
            task("T6", &["T2", "T3", "T4"], "2h", NotStarted),
            task("T7", &["T5", "T6"], "1.5h", NotStarted),
            task("T8", &["T3"], "30m", NotStarted),
        ])
        .expect("valid plan")
    }

    fn strs(ids: Vec<&TaskId>) -> Vec<&str> {
        ids.into_iter().map(TaskId::as_str).collect()
    }

    #[test]
    fn levels_ready_blocked_and_critical_path() {
        let plan = auth_plan();
        let graph = plan.graph();
        let levels: Vec<Vec<&str>> = graph.levels().into_iter().map(strs).collect();
        assert_eq!(
            levels,
            vec![
                vec!["T1"],
                vec!["T2", "T3", "T4"],
                vec!["T5", "T6", "T8"],
                vec!["T7"]
            ]
        );
        assert_eq!(strs(graph.ready()), vec!["T8"]);
        assert_eq!(strs(graph.blocked()), vec!["T4"]);
        assert_eq!(strs(graph.waiting()), vec!["T5", "T6", "T7"]);
        assert_eq!(strs(graph.dependents(&id("T1"))), vec!["T2", "T3", "T4"]);
        assert_eq!(
            strs(graph.unfinished_dependencies(&id("t5"))),
            vec!["T2", "T4"]
        );
        let (path, seconds) = graph.critical_path();
        assert_eq!(strs(path), vec!["T1", "T2", "T5", "T7"]);
        assert_eq!(seconds, 27_000);
    }

    #[test]
    fn critical_path_without_estimates_is_the_longest_chain() {
        let plan = Plan::new(vec![
            task("a", &[], "", Status::NotStarted),
            task("b", &[], "", Status::NotStarted),
            task("c", &["b"], "", Status::NotStarted),
        ])
        .expect("valid plan");
        let (path, seconds) = plan.graph().critical_path();
        assert_eq!(strs(path), vec!["b", "c"]);
        assert_eq!(seconds, 0);
        let empty = Plan::new(Vec::new()).expect("valid plan");
        assert_eq!(empty.graph().critical_path(), (Vec::new(), 0));
    }

    #[test]
    fn reports_every_problem() {
        let errors = Plan::new(vec![
            task("T1", &["T3"], "", Status::NotStarted),
            task("T2", &["T2", "T9"], "", Status::NotStarted),
            task("T3", &["T1"], "", Status::NotStarted),
            task("t1", &[], "", Status::NotStarted),
        ])
        .expect_err("invalid plan");
        assert_eq!(
            errors,
            vec![
                PlanError::DuplicateId {
                    id: id("t1"),
                    first: id("T1")
                },
                PlanError::SelfDependency(id("T2")),
                PlanError::UnknownDependency {
                    task: id("T2"),
                    dependency: id("T9")
                },
                PlanError::Cycle(vec![id("T1"), id("T3"), id("T1")]),
            ]
        );
        assert_eq!(
            errors[3].to_string(),
            "dependency cycle: T1 -> T3 -> T1 (each task depends on the next); remove one of these dependencies"
        );
    }

    #[test]
    fn finds_long_cycles_and_survives_deep_chains() {
        let errors = Plan::new(vec![
            task("a", &["b"], "", Status::NotStarted),
            task("b", &["c"], "", Status::NotStarted),
            task("c", &["a"], "", Status::NotStarted),
        ])
        .expect_err("cyclic");
        assert_eq!(
            errors,
            vec![PlanError::Cycle(vec![id("a"), id("b"), id("c"), id("a")])]
        );

        let names: Vec<String> = (0..20_000).map(|i| format!("t{i}")).collect();
        let tasks = (0..names.len())
            .map(|i| {
                let deps: Vec<&str> = if i == 0 {
                    vec![]
                } else {
                    vec![names[i - 1].as_str()]
                };
                task(&names[i], &deps, "1m", Status::NotStarted)
            })
            .collect();
        let plan = Plan::new(tasks).expect("a long chain is valid");
        assert_eq!(plan.graph().critical_path().0.len(), 20_000);
    }
}
