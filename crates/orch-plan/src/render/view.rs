//! The values the templates see, computed from the spec and its plan.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use orch_core::{Estimate, Plan, Status, Task, TaskId};
use orch_status::{MESSAGES_FILE, PLAN_FILE};
use serde::Serialize;

use crate::diagram;
use crate::spec::Spec;

#[derive(Serialize)]
struct View {
    project: ProjectView,
    tasks: Vec<TaskView>,
    groups: Vec<GroupView>,
    agents: Vec<AgentView>,
    skills: Vec<SkillView>,
    diagram: String,
    schedule: ScheduleView,
    gates: Vec<String>,
    setup: Vec<String>,
    copy: Vec<String>,
    files: FilesView,
}

#[derive(Serialize)]
struct ProjectView {
    name: String,
    created: String,
    orchestrator: String,
    model: String,
    status: &'static str,
    objective: String,
    base: String,
    repo: String,
    root: String,
    worktree_parent: String,
}

#[derive(Serialize)]
struct TaskView {
    id: String,
    description: String,
    agent: String,
    skills: Vec<String>,
    worktree: String,
    branch: String,
    group: String,
    status: &'static str,
    depends_on: Vec<String>,
    estimate: String,
    agent_id: String,
    path: String,
}

#[derive(Serialize)]
struct GroupView {
    /// The group's name; empty for a task without a group.
    name: String,
    /// `Group A`, or `Task T9 (no group)`.
    label: String,
    phase: usize,
    tasks: Vec<String>,
    descriptions: Vec<String>,
    parallel: bool,
    after: Vec<String>,
    start: String,
    end: String,
    duration: String,
    loading: String,
}

#[derive(Serialize)]
struct AgentView {
    agent: String,
    tasks: Vec<String>,
    model: String,
}

#[derive(Serialize)]
struct SkillView {
    name: String,
    quoted: String,
}

#[derive(Serialize)]
struct ScheduleView {
    total: String,
    total_offset: String,
    sequential: String,
    savings: String,
    workers: usize,
}

#[derive(Serialize)]
struct FilesView {
    plan: &'static str,
    messages: &'static str,
    spec: String,
}

/// The template context for `spec`, whose checked plan is `plan`.
pub(super) fn build(spec: &Spec, plan: &Plan, repo_name: &str, root: &Path) -> minijinja::Value {
    let tasks = plan.tasks();
    let model = spec
        .project
        .model
        .as_ref()
        .map_or("-".to_owned(), |m| m.get_ref().trim().to_owned());
    let text = |value: &Option<toml::Spanned<String>>| {
        value
            .as_ref()
            .map_or("-".to_owned(), |v| v.get_ref().trim().to_owned())
    };
    let groups = groups(plan);
    let (schedule, groups) = schedule(tasks, groups);
    let view = View {
        project: ProjectView {
            name: spec.project.name.get_ref().trim().to_owned(),
            created: spec.project.created(),
            orchestrator: text(&spec.project.orchestrator),
            model: model.clone(),
            status: overall_status(tasks),
            objective: spec.project.objective.as_ref().map_or(String::new(), |o| {
                o.get_ref().replace("\r\n", "\n").trim().to_owned()
            }),
            base: spec.project.base().to_owned(),
            repo: repo_name.to_owned(),
            root: display(root),
            worktree_parent: display(&absolute(root, &spec.worktree_root(repo_name))),
        },
        tasks: tasks
            .iter()
            .zip(&spec.tasks)
            .map(|(task, task_spec)| TaskView {
                id: task.id.to_string(),
                description: task.description.clone(),
                agent: task.agent.clone(),
                skills: task.skills.clone(),
                worktree: task.worktree.clone(),
                branch: task.branch.clone(),
                group: task.group.clone(),
                status: task.status.as_str(),
                depends_on: task.depends_on.iter().map(TaskId::to_string).collect(),
                estimate: task
                    .estimate
                    .as_ref()
                    .map_or(String::new(), |e| e.text().to_owned()),
                agent_id: task_spec.agent_id().to_owned(),
                path: display(&absolute(root, &task.worktree)),
            })
            .collect(),
        groups,
        agents: agents(tasks, &model),
        skills: skills(tasks),
        diagram: diagram::ascii(plan),
        schedule,
        gates: spec
            .integrate
            .gates
            .iter()
            .map(|g| shell_words(g.get_ref()))
            .collect(),
        setup: spec
            .worktree
            .setup
            .iter()
            .map(|g| shell_words(g.get_ref()))
            .collect(),
        copy: spec
            .worktree
            .copy
            .iter()
            .map(|c| c.get_ref().clone())
            .collect(),
        files: FilesView {
            plan: PLAN_FILE,
            messages: MESSAGES_FILE,
            spec: spec
                .file()
                .strip_prefix(root)
                .map_or_else(|_| display(spec.file()), display),
        },
    };
    minijinja::Value::from_serialize(&view)
}

fn overall_status(tasks: &[Task]) -> &'static str {
    if tasks.iter().all(|t| t.status == Status::NotStarted) {
        "Planning"
    } else if tasks.iter().all(|t| t.status == Status::Completed) {
        "Completed"
    } else {
        "In Progress"
    }
}

/// The parallel groups in dependency order: a group comes after every group holding a
/// dependency of one of its tasks. A task without a group is a group of its own. Groups that
/// depend on each other are ordered by their earliest topological level, then by plan order.
fn groups(plan: &Plan) -> Vec<Vec<usize>> {
    let tasks = plan.tasks();
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut group_of = vec![0; tasks.len()];
    for (i, task) in tasks.iter().enumerate() {
        let found = if task.group.is_empty() {
            None
        } else {
            names.iter().position(|n| *n == task.group)
        };
        group_of[i] = found.unwrap_or_else(|| {
            names.push(&task.group);
            members.push(Vec::new());
            members.len() - 1
        });
        members[group_of[i]].push(i);
    }
    let index: HashMap<&TaskId, usize> =
        tasks.iter().enumerate().map(|(i, t)| (&t.id, i)).collect();
    let graph = plan.graph();
    let key = |g: usize| {
        let level = members[g]
            .iter()
            .filter_map(|&i| graph.level_of(&tasks[i].id))
            .min()
            .unwrap_or(0);
        (level, members[g][0])
    };
    let needs: Vec<Vec<usize>> = members
        .iter()
        .enumerate()
        .map(|(g, list)| {
            let mut out: Vec<usize> = list
                .iter()
                .flat_map(|&i| tasks[i].depends_on.iter())
                .filter_map(|d| index.get(d).map(|&j| group_of[j]))
                .filter(|&h| h != g)
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect();
    let mut placed = vec![false; members.len()];
    let mut order = Vec::with_capacity(members.len());
    while order.len() < members.len() {
        let remaining = (0..members.len()).filter(|&g| !placed[g]);
        let ready = remaining
            .clone()
            .filter(|&g| needs[g].iter().all(|&h| placed[h]))
            .min_by_key(|&g| key(g));
        // Groups whose tasks depend on each other both ways cannot be ordered; take the earliest.
        let Some(next) = ready.or_else(|| remaining.min_by_key(|&g| key(g))) else {
            break;
        };
        placed[next] = true;
        order.push(next);
    }
    order.into_iter().map(|g| members[g].clone()).collect()
}

/// The planned schedule: groups one after another, each as long as its longest estimate.
fn schedule(tasks: &[Task], groups: Vec<Vec<usize>>) -> (ScheduleView, Vec<GroupView>) {
    let seconds = |i: usize| tasks[i].estimate.as_ref().map(Estimate::seconds);
    let label = |members: &[usize]| {
        let first = &tasks[members[0]];
        if first.group.is_empty() {
            format!("Task {} (no group)", first.id)
        } else {
            format!("Group {}", first.group)
        }
    };
    let mut owner = vec![0; tasks.len()];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            owner[i] = g;
        }
    }
    let index: HashMap<&TaskId, usize> =
        tasks.iter().enumerate().map(|(i, t)| (&t.id, i)).collect();
    let mut clock = 0u64;
    let mut views = Vec::with_capacity(groups.len());
    for (g, members) in groups.iter().enumerate() {
        let longest = members.iter().filter_map(|&i| seconds(i)).max();
        let start = clock;
        clock = clock.saturating_add(longest.unwrap_or(0));
        let mut after: Vec<usize> = members
            .iter()
            .flat_map(|&i| tasks[i].depends_on.iter())
            .filter_map(|d| index.get(d).map(|&j| owner[j]))
            .filter(|&h| h != g)
            .collect();
        after.sort_unstable();
        after.dedup();
        views.push(GroupView {
            name: tasks[members[0]].group.clone(),
            label: label(members),
            phase: g + 1,
            tasks: members.iter().map(|&i| tasks[i].id.to_string()).collect(),
            descriptions: members
                .iter()
                .map(|&i| tasks[i].description.clone())
                .collect(),
            parallel: members.len() > 1,
            after: after.into_iter().map(|h| label(&groups[h])).collect(),
            start: offset(start),
            end: offset(clock),
            duration: longest.map_or("-".to_owned(), Estimate::format_seconds),
            loading: loading(tasks, members),
        });
    }
    let sequential: u64 = (0..tasks.len()).filter_map(seconds).sum();
    let any_estimate = (0..tasks.len()).any(|i| seconds(i).is_some());
    let savings = if sequential > 0 && clock <= sequential {
        format!("{:.0}%", (1.0 - clock as f64 / sequential as f64) * 100.0)
    } else {
        "-".to_owned()
    };
    let schedule = ScheduleView {
        total: if any_estimate {
            Estimate::format_seconds(clock)
        } else {
            "-".to_owned()
        },
        total_offset: offset(clock),
        sequential: if any_estimate {
            Estimate::format_seconds(sequential)
        } else {
            "-".to_owned()
        },
        savings,
        workers: groups.iter().map(Vec::len).max().unwrap_or(0),
    };
    (schedule, views)
}

fn offset(seconds: u64) -> String {
    if seconds == 0 {
        "+0h".to_owned()
    } else {
        format!("+{}", Estimate::format_seconds(seconds))
    }
}

/// The Progressive Loading Order block of a group: each task's agent and the skills it loads.
fn loading(tasks: &[Task], members: &[usize]) -> String {
    let mut out = String::new();
    for &i in members {
        let task = &tasks[i];
        let _ = writeln!(out, "{} ({}) loads:", task.agent, task.id);
        if task.skills.is_empty() {
            out.push_str("(no skills listed)\n");
        }
        for (n, skill) in task.skills.iter().enumerate() {
            let _ = writeln!(out, "{}. {skill}", n + 1);
        }
    }
    out
}

/// One row per agent role, with its tasks, in order of first appearance.
fn agents(tasks: &[Task], model: &str) -> Vec<AgentView> {
    let mut out: Vec<AgentView> = Vec::new();
    for task in tasks {
        match out.iter_mut().find(|a| a.agent == task.agent) {
            Some(agent) => agent.tasks.push(task.id.to_string()),
            None => out.push(AgentView {
                agent: task.agent.clone(),
                tasks: vec![task.id.to_string()],
                model: model.to_owned(),
            }),
        }
    }
    out
}

/// Every distinct skill, in order of first appearance.
fn skills(tasks: &[Task]) -> Vec<SkillView> {
    let mut out: Vec<SkillView> = Vec::new();
    for skill in tasks.iter().flat_map(|t| t.skills.iter()) {
        if !out.iter().any(|s| &s.name == skill) {
            let quoted = serde_json::to_string(skill).unwrap_or_else(|_| format!("{skill:?}"));
            out.push(SkillView {
                name: skill.clone(),
                quoted,
            });
        }
    }
    out
}

/// An argv list as a shell command line, quoting the words that need it.
fn shell_words(argv: &[String]) -> String {
    let quote = |word: &String| {
        let plain = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,{}".contains(c));
        if plain {
            word.clone()
        } else {
            format!("'{}'", word.replace('\'', "'\\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// `path` resolved against `root`, with `.` and `..` resolved lexically.
fn absolute(root: &Path, path: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in root.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if out.file_name().is_some() {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths_lexically() {
        assert_eq!(
            absolute(Path::new("/a/repo"), "../repo-worktrees/T1"),
            PathBuf::from("/a/repo-worktrees/T1")
        );
        assert_eq!(
            absolute(Path::new("/a/repo"), "./x/../y"),
            PathBuf::from("/a/repo/y")
        );
        assert_eq!(absolute(Path::new("/"), "../../x"), PathBuf::from("/x"));
        assert_eq!(
            absolute(Path::new("/a/repo"), "/abs/wt"),
            PathBuf::from("/abs/wt")
        );
        assert_eq!(absolute(Path::new("rel"), "../../x"), PathBuf::from("../x"));
    }

    #[test]
    fn quotes_shell_words() {
        let argv = ["cargo", "test", "--workspace", "a b", "it's"].map(String::from);
        assert_eq!(
            shell_words(&argv),
            "cargo test --workspace 'a b' 'it'\\''s'"
        );
    }
}
