//! Status changes, claims and blockers on the plan, made with the atomic-update protocol.
//!
//! Each operation reads the plan under its lock, checks the compare-and-swap condition and the
//! transition rules, splices only the cells it changes (the task's Status cell and its row of
//! the Execution Log; for blockers, one entry in "Notes and Blockers"), verifies that the result
//! reads back exactly, writes it atomically and appends one journal line before the lock is
//! released.

use std::path::PathBuf;
use std::time::Duration;

use orch_core::{Estimate, Status, Task, TaskId, Timestamp};

use crate::atomic::{self, Change, UpdateError};
use crate::diagnostic::Diagnostics;
use crate::edit::{self, EditError, ExecutionLog, LogColumn, Splice};
use crate::journal::{Entry, Journal, JournalError};
use crate::lock::{Holder, LockError, now};
use crate::matrix::{ColumnKind, PlanDoc, ReadError, read_plan};
use crate::table::Table;

/// Who changes the plan, how long they wait for the lock, and where changes are journaled.
#[derive(Clone, Debug)]
pub struct Store {
    /// The plan file.
    pub plan: PathBuf,
    /// The journal.
    pub journal: Journal,
    /// How long to wait for the plan's lock.
    pub lock_timeout: Duration,
    /// The command line, for the lock file and the journal.
    pub command: String,
}

/// A requested status change.
#[derive(Clone, Debug)]
pub struct StatusRequest {
    /// The task.
    pub task: TaskId,
    /// The new status.
    pub status: Status,
    /// Compare-and-swap: change only if the task has this status now.
    pub expect: Option<Status>,
    /// The agent making the change (recorded in the Execution Log and the journal).
    pub agent: String,
    /// Whether `agent` was given explicitly (only then is the Execution Log's Agent ID set).
    pub set_agent: bool,
    /// A note for the Execution Log and the journal.
    pub note: Option<String>,
    /// Skip the transition rules and the dependency check.
    pub force: bool,
}

/// What a status change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The task.
    pub task: TaskId,
    /// Its status before.
    pub old: Status,
    /// Its status now.
    pub new: Status,
    /// Whether the plan was written (false when the task already had the status).
    pub changed: bool,
    /// The holder of a stale lock that was broken on the way.
    pub broken_lock: Option<Holder>,
}

/// A blocker to record.
#[derive(Clone, Debug)]
pub struct BlockRequest {
    /// The task and who reports it.
    pub status: StatusRequest,
    /// Critical, High, Medium or Low.
    pub severity: String,
    /// Dependency, Decision, Technical or Resource.
    pub kind: String,
    /// What blocks progress.
    pub description: String,
    /// What is needed to unblock.
    pub resolution: String,
    /// Whether a human must step in.
    pub escalate: bool,
}

/// Why a change was not made. The plan is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The plan does not exist.
    #[error("no plan at {}; create one with `orch-plan init`, or name another with --plan FILE (or ORCH_PLAN)", .0.display())]
    NoPlan(PathBuf),
    /// The plan cannot be read.
    #[error(transparent)]
    Read(ReadError),
    /// The plan reads but is not valid as a whole.
    #[error("the plan has problems to fix before it can be updated (run `orch-plan check`):\n{0}")]
    Invalid(Diagnostics),
    /// The task is not in the plan.
    #[error("task {task} is not in {}; `orch-plan show` lists the tasks", plan.display())]
    UnknownTask {
        /// The task.
        task: TaskId,
        /// The plan.
        plan: PathBuf,
    },
    /// The compare-and-swap condition failed (retryable, exit 3).
    #[error(
        "{task} is {actual}, not {expected}, so it was not changed (--expect); read the plan again and decide"
    )]
    ExpectMismatch {
        /// The task.
        task: TaskId,
        /// The status the caller expected.
        expected: Status,
        /// The status it has.
        actual: Status,
    },
    /// Another agent claimed the task first (exit 3).
    #[error("{task} is already {status}{}, so it cannot be claimed; pick another task with `orch-plan ready`", by.as_ref().map(|b| format!(" (by {b})")).unwrap_or_default())]
    AlreadyClaimed {
        /// The task.
        task: TaskId,
        /// Its status.
        status: Status,
        /// The agent recorded in the Execution Log, if any.
        by: Option<String>,
    },
    /// The transition table does not allow the change.
    #[error("{task} cannot go from {from} to {to}; from {from} it may become {}; pass --force to override", list(from.next()))]
    Transition {
        /// The task.
        task: TaskId,
        /// Its status.
        from: Status,
        /// The requested status.
        to: Status,
    },
    /// Some dependencies are not Completed.
    #[error("{task} cannot start: its dependencies {} are not Completed yet; `orch-plan ready` lists the tasks that can start", waiting.iter().map(|(id, s)| format!("{id} ({s})")).collect::<Vec<_>>().join(", "))]
    Dependencies {
        /// The task.
        task: TaskId,
        /// The unfinished dependencies and their statuses.
        waiting: Vec<(TaskId, Status)>,
    },
    /// A value cannot be written, or the edit does not read back.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// A blocker field is not one of the allowed values.
    #[error("{field} {value:?} is not one of {allowed}")]
    BadField {
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// The allowed values.
        allowed: &'static str,
    },
    /// The lock could not be taken (retryable, exit 3).
    #[error(transparent)]
    Lock(LockError),
    /// The plan kept changing under the update (retryable, exit 3).
    #[error("{} kept changing while it was being updated; nothing was written, and retrying is safe", .0.display())]
    Contended(PathBuf),
    /// The plan is read-only.
    #[error("{} is read-only, so it was not changed; make it writable (chmod u+w) to update it", .0.display())]
    ReadOnly(PathBuf),
    /// Reading or writing failed.
    #[error("cannot update {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The change was made but the journal could not be written.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl StoreError {
    /// Whether this is a conflict or contention that is safe to retry (exit 3).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StoreError::ExpectMismatch { .. }
                | StoreError::AlreadyClaimed { .. }
                | StoreError::Lock(LockError::Timeout { .. })
                | StoreError::Contended(_)
        )
    }
}

fn list(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

impl From<UpdateError<StoreError>> for StoreError {
    fn from(error: UpdateError<StoreError>) -> StoreError {
        match error {
            UpdateError::Edit(error) => error,
            UpdateError::Lock(error) => StoreError::Lock(error),
            UpdateError::Contended(path) => StoreError::Contended(path),
            UpdateError::ReadOnly(path) => StoreError::ReadOnly(path),
            UpdateError::Io { path, source } => StoreError::Io { path, source },
        }
    }
}

/// How a status change is checked before it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Status,
    Claim,
}

impl Store {
    /// Sets a task's status: `orch-plan status`.
    pub fn set_status(&self, request: &StatusRequest) -> Result<StatusChange, StoreError> {
        self.change(request, Mode::Status, None)
    }

    /// Claims a Not Started task whose dependencies are Completed, with compare-and-swap: when
    /// several agents claim one task at once, exactly one wins and the rest get
    /// [`StoreError::AlreadyClaimed`]. Claiming a task this agent already holds succeeds again.
    pub fn claim(&self, task: &TaskId, agent: &str) -> Result<StatusChange, StoreError> {
        let request = StatusRequest {
            task: task.clone(),
            status: Status::InProgress,
            expect: None,
            agent: agent.to_owned(),
            set_agent: true,
            note: None,
            force: false,
        };
        self.change(&request, Mode::Claim, None)
    }

    /// Sets a task to Blocked and records the blocker in "Notes and Blockers".
    pub fn block(&self, request: &BlockRequest) -> Result<StatusChange, StoreError> {
        let severity = canonical(
            &request.severity,
            "severity",
            &["Critical", "High", "Medium", "Low"],
            "Critical, High, Medium or Low",
        )?;
        let kind = canonical(
            &request.kind,
            "blocker type",
            &["Dependency", "Decision", "Technical", "Resource"],
            "Dependency, Decision, Technical or Resource",
        )?;
        let entry = format!(
            "### {} - {} - {}\n**Severity:** {severity}\n**Blocker Type:** {kind}\n**Description:** {}\n**Required Resolution:** {}\n**Escalation:** {}\n",
            request.status.task,
            one_line(&request.status.agent)?,
            now().minutes(),
            one_line(&request.description)?,
            one_line(&request.resolution)?,
            if request.escalate {
                "Yes - needs human intervention"
            } else {
                "No"
            },
        );
        let mut status = request.status.clone();
        status.status = Status::Blocked;
        self.change(&status, Mode::Status, Some(&entry))
    }

    fn change(
        &self,
        request: &StatusRequest,
        mode: Mode,
        blocker: Option<&str>,
    ) -> Result<StatusChange, StoreError> {
        let time = now();
        let committed =
            atomic::update_file(&self.plan, self.lock_timeout, &self.command, |bytes| {
                let bytes = bytes.ok_or_else(|| StoreError::NoPlan(self.plan.clone()))?;
                let doc = read_plan(&self.plan, bytes.to_vec()).map_err(StoreError::Read)?;
                decide(doc, request, mode, blocker, time)
            })?;
        let change = StatusChange {
            broken_lock: committed.broken_lock.clone(),
            ..committed.outcome.clone()
        };
        if let Some(holder) = &committed.broken_lock {
            self.journal.lock_broken(
                &time.rfc3339(),
                &request.agent,
                &self.command,
                &self.plan,
                holder,
            )?;
        }
        if committed.written {
            let event = match (mode, blocker) {
                (Mode::Claim, _) => "claim",
                (_, Some(_)) => "block",
                _ => "status",
            };
            self.journal.append(&Entry {
                time: time.rfc3339(),
                event: event.to_owned(),
                actor: request.agent.clone(),
                task: Some(request.task.to_string()),
                old: Some(change.old.to_string()),
                new: Some(change.new.to_string()),
                note: request.note.clone(),
                command: Some(self.command.clone()),
                detail: serde_json::Value::Null,
            })?;
        }
        drop(committed);
        Ok(change)
    }
}

/// Checks the request against the plan as read under the lock and computes the new bytes.
fn decide(
    doc: PlanDoc,
    request: &StatusRequest,
    mode: Mode,
    blocker: Option<&str>,
    time: Timestamp,
) -> Result<Change<StatusChange>, StoreError> {
    // The tasks move into the plan; the document keeps its text and spans.
    let (plan, doc) = doc.into_plan().map_err(StoreError::Invalid)?;
    let doc = &doc;
    let position = plan
        .tasks()
        .iter()
        .position(|t| t.id == request.task)
        .ok_or_else(|| StoreError::UnknownTask {
            task: request.task.clone(),
            plan: doc.path.clone(),
        })?;
    let task = &plan.tasks()[position];
    let old = task.status;
    let log = ExecutionLog::find(doc);
    let unchanged = |old| StatusChange {
        task: task.id.clone(),
        old,
        new: old,
        changed: false,
        broken_lock: None,
    };

    if let Some(expected) = request.expect
        && expected != old
    {
        return Err(StoreError::ExpectMismatch {
            task: task.id.clone(),
            expected,
            actual: old,
        });
    }
    if mode == Mode::Claim && old != Status::NotStarted {
        let by = log
            .as_ref()
            .and_then(|l| l.value(&doc.text, task.id.as_str(), LogColumn::AgentId))
            .filter(|a| a != "-" && !a.is_empty());
        if old == Status::InProgress && by.as_deref() == Some(request.agent.as_str()) {
            return Ok(Change::Keep(unchanged(old)));
        }
        return Err(StoreError::AlreadyClaimed {
            task: task.id.clone(),
            status: old,
            by,
        });
    }
    if old == request.status && blocker.is_none() {
        return Ok(Change::Keep(unchanged(old)));
    }
    if !request.force && old != request.status && !old.can_become(request.status) {
        return Err(StoreError::Transition {
            task: task.id.clone(),
            from: old,
            to: request.status,
        });
    }
    if !request.force && request.status == Status::InProgress {
        let graph = plan.graph();
        let waiting: Vec<(TaskId, Status)> = graph
            .unfinished_dependencies(&task.id)
            .into_iter()
            .filter_map(|id| plan.get(id).map(|t| (t.id.clone(), t.status)))
            .collect();
        if !waiting.is_empty() {
            return Err(StoreError::Dependencies {
                task: task.id.clone(),
                waiting,
            });
        }
    }

    let row = &doc.matrix.table.rows[position];
    let status_cell = doc.matrix.cell(row, ColumnKind::Status).ok_or_else(|| {
        StoreError::Edit(EditError::RoundTrip(
            "the matrix row has no Status cell".to_owned(),
        ))
    })?;
    let mut splices = vec![edit::cell_splice(
        &doc.text,
        status_cell,
        request.status.as_str(),
    )?];
    let mut log_values = Vec::new();
    if let Some(log) = &log {
        log_values = log_updates(doc, log, task, old, request, time);
        splices.extend(log_splices(doc, log, task.id.as_str(), &log_values)?);
    }
    if let Some(entry) = blocker {
        splices.push(blocker_splice(&doc.text, entry));
    }
    let text = edit::apply(&doc.text, splices)?;
    verify(
        doc,
        &text,
        position,
        request.status,
        log.as_ref().map(|log| LogEdit {
            log,
            task: task.id.as_str(),
            values: &log_values,
        }),
    )?;
    let change = StatusChange {
        task: task.id.clone(),
        old,
        new: request.status,
        changed: true,
        broken_lock: None,
    };
    Ok(Change::Write(text.into_bytes(), change))
}

/// The Execution Log cells a transition sets.
fn log_updates(
    doc: &PlanDoc,
    log: &ExecutionLog,
    task: &Task,
    old: Status,
    request: &StatusRequest,
    time: Timestamp,
) -> Vec<(LogColumn, String)> {
    let id = task.id.as_str();
    let mut values = vec![(LogColumn::Status, request.status.to_string())];
    if request.set_agent {
        values.push((LogColumn::AgentId, request.agent.clone()));
    }
    let started = log
        .value(&doc.text, id, LogColumn::Started)
        .filter(|v| v != "-" && !v.is_empty());
    match request.status {
        Status::InProgress => {
            // A first start, a retry after Failed, or a reopen after Completed starts the clock.
            if started.is_none() || matches!(old, Status::Failed | Status::Completed) {
                values.push((LogColumn::Started, time.rfc3339()));
                values.push((LogColumn::Completed, "-".to_owned()));
                values.push((LogColumn::ActualDuration, "-".to_owned()));
            }
        }
        Status::Completed | Status::Failed => {
            values.push((LogColumn::Completed, time.rfc3339()));
            let duration = started
                .and_then(|s| Timestamp::parse(&s).ok())
                .map(|s| Estimate::format_seconds(time.0.saturating_sub(s.0)));
            values.push((
                LogColumn::ActualDuration,
                duration.unwrap_or_else(|| "-".to_owned()),
            ));
        }
        Status::NotStarted | Status::Blocked => {}
    }
    if let Some(note) = &request.note {
        values.push((LogColumn::Notes, note.clone()));
    }
    values.retain(|(kind, _)| log.column(*kind).is_some());
    values
}

fn log_splices(
    doc: &PlanDoc,
    log: &ExecutionLog,
    task: &str,
    values: &[(LogColumn, String)],
) -> Result<Vec<Splice>, StoreError> {
    let Some(row) = log.row(&doc.text, task) else {
        return Ok(vec![log.new_row(&doc.text, task, values)?]);
    };
    if row.missing > 0 {
        return Err(EditError::MissingCell(doc.lines.line(row.span.start)).into());
    }
    let mut splices = Vec::new();
    for (kind, value) in values {
        if let Some(cell) = log.column(*kind).and_then(|i| row.cells.get(i))
            && cell.value(&doc.text) != value
        {
            splices.push(edit::cell_splice(&doc.text, cell, value)?);
        }
    }
    Ok(splices)
}

fn blocker_splice(text: &str, entry: &str) -> Splice {
    let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let entry = entry.replace('\n', ending);
    match edit::blockers_insertion_point(text) {
        Some(at) => Splice {
            range: at..at,
            text: format!("{ending}{entry}"),
        },
        None => {
            let lead = if text.ends_with('\n') || text.is_empty() {
                ""
            } else {
                ending
            };
            Splice {
                range: text.len()..text.len(),
                text: format!("{lead}{ending}## Notes and Blockers{ending}{ending}{entry}"),
            }
        }
    }
}

/// The Execution Log cells an edit writes for one task.
struct LogEdit<'a> {
    log: &'a ExecutionLog,
    task: &'a str,
    values: &'a [(LogColumn, String)],
}

/// Reads the edited tables back: every cell of the matrix and of the Execution Log must read
/// as it did, except the edited ones, which must read as the values written. This checks the
/// whole tables, with the table reader alone, so it costs little next to the write.
fn verify(
    doc: &PlanDoc,
    text: &str,
    position: usize,
    status: Status,
    log: Option<LogEdit<'_>>,
) -> Result<(), StoreError> {
    let fail = |why: &str| StoreError::Edit(EditError::RoundTrip(why.to_owned()));
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let is_matrix = |headers: &[&str]| {
        let kinds: Vec<Option<ColumnKind>> =
            headers.iter().map(|h| ColumnKind::from_header(h)).collect();
        kinds.contains(&Some(ColumnKind::TaskId)) && kinds.contains(&Some(ColumnKind::Status))
    };
    let matrix =
        Table::find(&text[bom..], bom, is_matrix).ok_or_else(|| fail("the task matrix is gone"))?;
    if matrix.span.start != doc.matrix.table.span.start {
        return Err(fail("the task matrix moved"));
    }
    let status_column = doc.matrix.column(ColumnKind::Status);
    let expected = |row: usize, column: usize| {
        (row == position && Some(column) == status_column).then_some(status.as_str())
    };
    same_cells(&doc.matrix.table, &doc.text, &matrix, text, expected)
        .map_err(|why| fail(&format!("task matrix: {why}")))?;
    let Some(LogEdit {
        log: old,
        task,
        values,
    }) = log
    else {
        return Ok(());
    };
    let new = ExecutionLog::find_table(text, matrix.span.end)
        .ok_or_else(|| fail("the Execution Log is gone"))?;
    let new = ExecutionLog {
        columns: old.columns.clone(),
        table: new,
    };
    let row = new
        .row_index(text, task)
        .ok_or_else(|| fail("the Execution Log has no row for the task"))?;
    let value_of = |column: usize| {
        values
            .iter()
            .find(|(kind, _)| new.column(*kind) == Some(column))
            .map(|(_, v)| v.as_str())
    };
    let appended = old.row_index(&doc.text, task).is_none();
    let mut old_table = old.table.clone();
    if appended {
        // The new row: every cell is `-` but the task id and the values written.
        let cells = &new
            .table
            .rows
            .get(row)
            .ok_or_else(|| fail("the new Execution Log row is gone"))?
            .cells;
        for (column, cell) in cells.iter().enumerate() {
            let want = if Some(column) == new.column(LogColumn::TaskId) {
                task
            } else {
                value_of(column).unwrap_or("-")
            };
            if cell.value(text) != want.trim() {
                return Err(fail("the new Execution Log row does not read back"));
            }
        }
        old_table.rows.push(new.table.rows[row].clone());
        return same_cells(&old_table, &doc.text, &new.table, text, |r, c| {
            (r == row).then(|| new.table.rows[row].cells[c].value(text))
        })
        .map_err(|why| fail(&format!("Execution Log: {why}")));
    }
    same_cells(&old.table, &doc.text, &new.table, text, |r, c| {
        if r == row { value_of(c) } else { None }
    })
    .map_err(|why| fail(&format!("Execution Log: {why}")))
}

/// Whether every cell of `new` reads as the same cell of `old`, or as `expected` gives it.
fn same_cells<'a>(
    old: &Table,
    old_text: &str,
    new: &Table,
    new_text: &str,
    expected: impl Fn(usize, usize) -> Option<&'a str>,
) -> Result<(), String> {
    if old.rows.len() != new.rows.len() {
        return Err(format!("{} rows became {}", old.rows.len(), new.rows.len()));
    }
    for (r, (a, b)) in old.rows.iter().zip(&new.rows).enumerate() {
        if a.cells.len() != b.cells.len() || a.missing != b.missing || a.extra != b.extra {
            return Err(format!("row {} changed shape", r + 1));
        }
        for (c, (x, y)) in a.cells.iter().zip(&b.cells).enumerate() {
            let want = expected(r, c).map_or_else(|| x.value(old_text), str::trim);
            if y.value(new_text) != want {
                return Err(format!(
                    "row {} column {} reads {:?}, not {want:?}",
                    r + 1,
                    c + 1,
                    y.value(new_text)
                ));
            }
        }
    }
    Ok(())
}

fn canonical(
    value: &str,
    field: &'static str,
    allowed: &[&'static str],
    names: &'static str,
) -> Result<&'static str, StoreError> {
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(value.trim()))
        .copied()
        .ok_or_else(|| StoreError::BadField {
            field,
            value: value.to_owned(),
            allowed: names,
        })
}

/// Blocker fields are single lines of plain text.
fn one_line(value: &str) -> Result<String, StoreError> {
    crate::escape::escape_cell(value).map_err(|e| StoreError::Edit(EditError::Cell(e)))?;
    Ok(value.trim().to_owned())
}
