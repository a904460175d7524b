//! The live dashboard of `orch-plan watch`: what it shows, the keys that change it, and how it
//! is drawn (a ratatui widget) or printed as plain text.
//!
//! [`DashboardState`] is built from what the files hold (the plan, the message log, the
//! journal) and the time; it reads no file and no clock, and never touches the terminal. The
//! binary reads the files, feeds the keys in and draws the widget.

mod plain;
mod render;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use orch_core::{Estimate, Plan, Status, Timestamp};
use orch_status::PlanDoc;
use orch_status::edit::{ExecutionLog, LogColumn};
use orch_status::journal::Entry;
use orch_status::messages::MessageLog;

/// How many journal entries the dashboard keeps, the latest ones.
const KEEP_EVENTS: usize = 2000;

/// What the dashboard is built from.
pub struct Inputs<'a> {
    /// The plan, validated.
    pub plan: &'a Plan,
    /// The plan's document (its path, and the Execution Log's start times).
    pub doc: &'a PlanDoc,
    /// The message log, if there is one.
    pub messages: Option<&'a MessageLog>,
    /// The journal, oldest first.
    pub journal: &'a [Entry],
    /// The current time.
    pub now: Timestamp,
}

/// A key press, as the dashboard understands it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// The up arrow.
    Up,
    /// The down arrow.
    Down,
    /// Enter.
    Enter,
    /// Escape.
    Esc,
    /// Ctrl-C.
    Interrupt,
}

/// What the caller should do after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Draw again and go on.
    Continue,
    /// Restore the terminal and exit.
    Quit,
}

/// Which screen is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The matrix and the panels.
    Overview,
    /// The selected task's details.
    Details,
}

/// One task as the dashboard shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskLine {
    /// The id.
    pub id: String,
    /// The status.
    pub status: Status,
    /// The parallel group.
    pub group: String,
    /// The agent role.
    pub agent: String,
    /// The skills.
    pub skills: Vec<String>,
    /// The description.
    pub description: String,
    /// The worktree, as written in the plan.
    pub worktree: String,
    /// The branch, as written in the plan.
    pub branch: String,
    /// The estimate as written, or `-`.
    pub estimate: String,
    /// The ids of its dependencies.
    pub depends_on: Vec<String>,
    /// The ids of the tasks that depend on it.
    pub dependents: Vec<String>,
    /// The dependencies that are not Completed yet.
    pub waiting_on: Vec<String>,
    /// When it last entered In Progress (journal, else the Execution Log's Started).
    pub started: Option<Timestamp>,
    /// Why it is blocked: the note of the change that blocked it.
    pub blocker: Option<String>,
}

/// One message as the dashboard shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageLine {
    /// `M-0007`, or `-` for a hand-written message without an id.
    pub id: String,
    /// The sender.
    pub from: String,
    /// The recipient.
    pub to: String,
    /// The type.
    pub kind: String,
    /// Sent, Acknowledged or Resolved.
    pub status: String,
    /// The task it concerns.
    pub task: Option<String>,
    /// When it was sent.
    pub time: Option<Timestamp>,
    /// The first non-blank line of its body.
    pub summary: String,
}

/// Everything the dashboard shows, and the viewer's choices (filters, selection, view).
#[derive(Clone, Debug)]
pub struct DashboardState {
    /// The plan file, for the title.
    pub title: String,
    /// Every task, in plan order.
    pub tasks: Vec<TaskLine>,
    /// The parallel groups, in order of first appearance.
    pub groups: Vec<String>,
    /// Not Started tasks whose dependencies are Completed.
    pub ready: Vec<String>,
    /// The critical path and its length.
    pub critical_path: (Vec<String>, String),
    /// Every message, in file order.
    pub messages: Vec<MessageLine>,
    /// The latest journal entries, oldest first.
    pub events: Vec<Entry>,
    /// The time elapsed times are measured to.
    pub now: Timestamp,
    /// Whether to use colours (off with `NO_COLOR`).
    pub colour: bool,
    /// Show only tasks with this status.
    pub status_filter: Option<Status>,
    /// Show only tasks of this group.
    pub group_filter: Option<String>,
    /// The selected row among the visible tasks.
    pub selected: usize,
    /// The screen shown.
    pub view: View,
    /// A problem reading the files; the rest shows the last good state.
    pub error: Option<String>,
}

impl DashboardState {
    /// Builds the dashboard of `inputs`, with no filter, the first task selected.
    pub fn new(inputs: &Inputs<'_>, colour: bool) -> DashboardState {
        let mut state = DashboardState {
            title: inputs.doc.path.display().to_string(),
            tasks: Vec::new(),
            groups: Vec::new(),
            ready: Vec::new(),
            critical_path: (Vec::new(), String::new()),
            messages: Vec::new(),
            events: Vec::new(),
            now: inputs.now,
            colour,
            status_filter: None,
            group_filter: None,
            selected: 0,
            view: View::Overview,
            error: None,
        };
        state.refresh(inputs);
        state
    }

    /// Takes in new file contents, keeping the filters, the view and the selected task.
    pub fn refresh(&mut self, inputs: &Inputs<'_>) {
        let selected = self.selected_task().map(|t| t.id.clone());
        let plan = inputs.plan;
        let graph = plan.graph();
        let latest = latest_changes(inputs.journal);
        let log = ExecutionLog::find(inputs.doc);
        self.tasks = plan
            .tasks()
            .iter()
            .map(|task| {
                let key = task.id.as_str().to_ascii_lowercase();
                let from_log = || {
                    let value = log.as_ref()?.value(
                        &inputs.doc.text,
                        task.id.as_str(),
                        LogColumn::Started,
                    )?;
                    Timestamp::parse(&value).ok()
                };
                let journal = latest.get(&key);
                TaskLine {
                    id: task.id.to_string(),
                    status: task.status,
                    group: task.group.clone(),
                    agent: task.agent.clone(),
                    skills: task.skills.clone(),
                    description: task.description.clone(),
                    worktree: task.worktree.clone(),
                    branch: task.branch.clone(),
                    estimate: task
                        .estimate
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |e| e.text().to_owned()),
                    depends_on: task.depends_on.iter().map(ToString::to_string).collect(),
                    dependents: graph
                        .dependents(&task.id)
                        .into_iter()
                        .map(ToString::to_string)
                        .collect(),
                    waiting_on: graph
                        .unfinished_dependencies(&task.id)
                        .into_iter()
                        .map(ToString::to_string)
                        .collect(),
                    started: (task.status == Status::InProgress)
                        .then(|| journal.and_then(|j| j.started).or_else(from_log))
                        .flatten(),
                    blocker: (task.status == Status::Blocked)
                        .then(|| journal.and_then(|j| j.blocker.clone()))
                        .flatten(),
                }
            })
            .collect();
        self.groups = Vec::new();
        for task in &self.tasks {
            if !task.group.is_empty() && !self.groups.contains(&task.group) {
                self.groups.push(task.group.clone());
            }
        }
        self.ready = graph.ready().into_iter().map(ToString::to_string).collect();
        let (path, seconds) = graph.critical_path();
        self.critical_path = (
            path.into_iter().map(ToString::to_string).collect(),
            Estimate::format_seconds(seconds),
        );
        self.messages = inputs
            .messages
            .map(|log| log.messages.iter().map(message_line).collect())
            .unwrap_or_default();
        let skip = inputs.journal.len().saturating_sub(KEEP_EVENTS);
        self.events = inputs.journal[skip..].to_vec();
        self.now = inputs.now;
        self.error = None;
        if self
            .group_filter
            .as_ref()
            .is_some_and(|g| !self.groups.contains(g))
        {
            self.group_filter = None;
        }
        self.select(selected.as_deref());
    }

    /// Moves the clock on, for elapsed times.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// Shows a problem reading the files (or clears it with `None`).
    pub fn set_error(&mut self, error: Option<String>) {
        self.error = error;
    }

    /// The tasks the filters let through, in plan order.
    pub fn visible(&self) -> Vec<&TaskLine> {
        self.tasks
            .iter()
            .filter(|t| self.status_filter.is_none_or(|s| t.status == s))
            .filter(|t| self.group_filter.as_ref().is_none_or(|g| &t.group == g))
            .collect()
    }

    /// The selected task, if any task is visible.
    pub fn selected_task(&self) -> Option<&TaskLine> {
        self.visible().get(self.selected).copied()
    }

    /// Selects the visible task `id`, else keeps the row in range.
    fn select(&mut self, id: Option<&str>) {
        let visible = self.visible();
        let count = visible.len();
        let found = id.and_then(|id| visible.iter().position(|t| t.id == id));
        self.selected = found.unwrap_or(self.selected).min(count.saturating_sub(1));
        if count == 0 {
            self.view = View::Overview;
        }
    }

    /// Handles a key: `q`, Ctrl-C quit; Esc leaves the details (or quits from the overview);
    /// `s` and `g` cycle the status and group filters; ↑/↓ and `k`/`j` move the selection;
    /// Enter opens the selected task's details.
    pub fn handle(&mut self, key: Key) -> Action {
        let selected = self.selected_task().map(|t| t.id.clone());
        match key {
            Key::Char('q') | Key::Interrupt => return Action::Quit,
            Key::Esc if self.view == View::Details => self.view = View::Overview,
            Key::Esc => return Action::Quit,
            Key::Char('s') => {
                self.status_filter = match self.status_filter {
                    None => Some(Status::ALL[0]),
                    Some(s) => Status::ALL
                        .iter()
                        .position(|&x| x == s)
                        .and_then(|i| Status::ALL.get(i + 1).copied()),
                };
                self.view = View::Overview;
                self.select(selected.as_deref());
            }
            Key::Char('g') => {
                self.group_filter = match &self.group_filter {
                    None => self.groups.first().cloned(),
                    Some(g) => self
                        .groups
                        .iter()
                        .position(|x| x == g)
                        .and_then(|i| self.groups.get(i + 1).cloned()),
                };
                self.view = View::Overview;
                self.select(selected.as_deref());
            }
            Key::Up | Key::Char('k') => self.selected = self.selected.saturating_sub(1),
            Key::Down | Key::Char('j') => {
                let last = self.visible().len().saturating_sub(1);
                self.selected = (self.selected + 1).min(last);
            }
            Key::Enter if self.selected_task().is_some() => self.view = View::Details,
            _ => {}
        }
        Action::Continue
    }

    /// The journal entries of a task, oldest first.
    pub fn events_of(&self, id: &str) -> Vec<&Entry> {
        self.events
            .iter()
            .filter(|e| {
                e.task
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(id))
            })
            .collect()
    }

    /// The messages about a task, in file order.
    pub fn messages_of(&self, id: &str) -> Vec<&MessageLine> {
        self.messages
            .iter()
            .filter(|m| {
                m.task
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(id))
            })
            .collect()
    }

    /// The status of a task by id, for showing dependencies.
    pub fn status_of(&self, id: &str) -> Option<Status> {
        self.tasks
            .iter()
            .find(|t| t.id.eq_ignore_ascii_case(id))
            .map(|t| t.status)
    }

    /// How long a running task has been running, as `h:mm:ss`.
    pub fn elapsed(&self, task: &TaskLine) -> Option<String> {
        task.started.map(|start| {
            let seconds = self.now.0.saturating_sub(start.0);
            format!(
                "{}:{:02}:{:02}",
                seconds / 3600,
                seconds % 3600 / 60,
                seconds % 60
            )
        })
    }

    /// The plain text of the dashboard, for output that is not a terminal.
    pub fn plain(&self) -> String {
        plain::render(self)
    }
}

/// What the journal last said about a task.
#[derive(Default)]
struct Latest {
    started: Option<Timestamp>,
    blocker: Option<String>,
}

/// For each task (id lowercased), when it last entered In Progress and the note of the change
/// that last blocked it.
fn latest_changes(journal: &[Entry]) -> HashMap<String, Latest> {
    let mut latest: HashMap<String, Latest> = HashMap::new();
    for entry in journal {
        let (Some(task), Some(new)) = (&entry.task, &entry.new) else {
            continue;
        };
        let Ok(status) = Status::parse(new) else {
            continue;
        };
        let slot = latest.entry(task.to_ascii_lowercase()).or_default();
        match status {
            Status::InProgress => slot.started = Timestamp::parse(&entry.time).ok(),
            Status::Blocked => slot.blocker = entry.note.clone(),
            _ => {}
        }
    }
    latest
}

fn message_line(message: &orch_status::messages::Message) -> MessageLine {
    MessageLine {
        id: message
            .id
            .map_or_else(|| "-".to_owned(), |id| id.to_string()),
        from: message.from.clone(),
        to: message.to.clone(),
        kind: message
            .kind
            .map_or_else(|| "-".to_owned(), |k| k.as_str().to_owned()),
        status: message
            .status
            .map_or_else(|| "-".to_owned(), |s| s.as_str().to_owned()),
        task: message.task.clone(),
        time: message.timestamp,
        summary: message
            .body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_owned(),
    }
}
