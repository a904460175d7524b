//! Recording an integration: the plan's Integration Summary and the task's Execution Log row
//! (one atomic update of the plan, under its lock), and one `integrate` line in the journal.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use orch_core::Timestamp;
use orch_status::atomic::{self, Change};
use orch_status::edit::{self, EditError, ExecutionLog, LogColumn};
use orch_status::journal::{Entry, Journal};
use orch_status::{read_plan, summary};

use crate::error::IntegrateError;
use crate::integrate::Target;
use crate::report::{Integration, Outcome};

/// Where and by whom an integration is recorded.
pub(crate) struct Recorder<'a> {
    pub plan: &'a Path,
    pub state_dir: &'a Path,
    pub lock_timeout: Duration,
    pub command: &'a str,
    pub actor: &'a str,
}

impl Recorder<'_> {
    /// Records `done`; returns what was recorded, and warnings for what could not be.
    pub fn record(&self, done: &Integration, time: Timestamp) -> (Vec<String>, Vec<String>) {
        let mut recorded = Vec::new();
        let mut warnings = Vec::new();
        match self.record_plan(done, time) {
            Ok(Some(what)) => recorded.push(what),
            Ok(None) => warnings.push(format!(
                "no plan at {}, so the integration is recorded in the journal only",
                self.plan.display()
            )),
            Err(why) => warnings.push(format!(
                "the integration is in, but it could not be recorded in {}: {why}; add it to the Integration Summary by hand",
                self.plan.display()
            )),
        }
        let journal = Journal::new(self.state_dir);
        let entry = Entry {
            time: time.rfc3339(),
            event: "integrate".to_owned(),
            actor: self.actor.to_owned(),
            task: done.task.clone(),
            old: Some(done.old_tip.clone()),
            new: done.new_tip.clone(),
            note: Some(log_note(done)),
            command: Some(self.command.to_owned()),
            detail: serde_json::json!({
                "branch": done.branch,
                "base": done.base,
                "commits": done.commits.iter().map(|c| serde_json::json!({
                    "original": c.original, "new": c.new, "subject": c.subject, "outcome": c.outcome,
                })).collect::<Vec<_>>(),
                "gates": done.gates,
                "attempts": done.attempts,
                "archived": done.archived,
            }),
        };
        match journal.append(&entry) {
            Ok(()) => recorded.push(format!("journal {}", journal.path().display())),
            Err(e) => warnings.push(e.to_string()),
        }
        (recorded, warnings)
    }

    /// Journals an integration refused for a conflict (`conflict`) or a failed gate
    /// (`gate_failed`); other errors are not journaled. Nothing else is written: a refused
    /// integration leaves the plan as it was. A journal that cannot be written is not an error
    /// of the integration (the refusal is reported on stderr and by the exit code anyway).
    pub fn record_refusal(
        &self,
        target: &Target,
        base: &str,
        error: &IntegrateError,
        time: Timestamp,
    ) {
        let (event, note, detail) = match error {
            IntegrateError::Conflict { commits, .. } => {
                let paths: Vec<&str> = commits
                    .iter()
                    .flat_map(|c| c.conflicts.iter().map(|p| p.path.as_str()))
                    .collect();
                (
                    "conflict",
                    format!("conflicts with {base} in {}", paths.join(", ")),
                    serde_json::json!({
                        "branch": target.branch,
                        "base": base,
                        "commits": commits.iter().map(|c| serde_json::json!({
                            "original": c.original,
                            "subject": c.subject,
                            "paths": c.conflicts.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    }),
                )
            }
            IntegrateError::Gate { gate, .. } => (
                "gate_failed",
                format!("gate `{}` failed", gate.command()),
                serde_json::json!({
                    "branch": target.branch,
                    "base": base,
                    "gate": gate,
                }),
            ),
            _ => return,
        };
        let entry = Entry {
            time: time.rfc3339(),
            event: event.to_owned(),
            actor: self.actor.to_owned(),
            task: target.task.as_ref().map(ToString::to_string),
            old: None,
            new: None,
            note: Some(note),
            command: Some(self.command.to_owned()),
            detail,
        };
        let _ = Journal::new(self.state_dir).append(&entry);
    }

    fn record_plan(&self, done: &Integration, time: Timestamp) -> Result<Option<String>, String> {
        if !self.plan.exists() {
            return Ok(None);
        }
        let key = done.task.clone().unwrap_or_else(|| done.branch.clone());
        let decision = match &done.task {
            Some(task) => format!("{task} (`{}`)", done.branch),
            None => format!("branch `{}`", done.branch),
        };
        let entry = summary_entry(done, time);
        let note = log_note(done);
        let committed = atomic::update_file(self.plan, self.lock_timeout, self.command, |bytes| {
            let Some(bytes) = bytes else {
                return Ok(Change::Keep(false));
            };
            let doc = read_plan(self.plan, bytes.to_vec()).map_err(|e| e.to_string())?;
            let mut text = doc.text.clone();
            if let Some(task) = &done.task {
                text = with_log_note(&doc, task, &note).map_err(|e| e.to_string())?;
            }
            let text = summary::record_integration(&text, &key, &decision, &entry)
                .map_err(|e| e.to_string())?;
            let check = read_plan(self.plan, text.clone().into_bytes()).map_err(|e| {
                format!("the edited plan does not read back ({e}); nothing was written")
            })?;
            if check.tasks != doc.tasks {
                return Err("the edit would change the task matrix; nothing was written".to_owned());
            }
            Ok(Change::Write(text.into_bytes(), true))
        })
        .map_err(|e| e.to_string())?;
        if let Some(holder) = &committed.broken_lock {
            let _ = Journal::new(self.state_dir).lock_broken(
                &time.rfc3339(),
                self.actor,
                self.command,
                self.plan,
                holder,
            );
        }
        let sections = if done.task.is_some() {
            "Integration Summary and Execution Log"
        } else {
            "Integration Summary"
        };
        Ok(committed
            .outcome
            .then(|| format!("{} ({sections})", self.plan.display())))
    }
}

/// The plan's text with the task's Execution Log Notes set to `note` (a row is added if the
/// task has none). A plan without an Execution Log is left as it is.
fn with_log_note(doc: &orch_status::PlanDoc, task: &str, note: &str) -> Result<String, EditError> {
    let Some(log) = ExecutionLog::find(doc) else {
        return Ok(doc.text.clone());
    };
    if log.column(LogColumn::Notes).is_none() {
        return Ok(doc.text.clone());
    }
    let values = [(LogColumn::Notes, note.to_owned())];
    let splice = match log.row(&doc.text, task) {
        None => log.new_row(&doc.text, task, &values)?,
        Some(row) => {
            let cell = log
                .column(LogColumn::Notes)
                .and_then(|i| row.cells.get(i))
                .filter(|_| row.missing == 0);
            match cell {
                Some(cell) => edit::cell_splice(&doc.text, cell, note)?,
                None => return Ok(doc.text.clone()),
            }
        }
    };
    edit::apply(&doc.text, vec![splice])
}

/// The Execution Log note: what moved where.
fn log_note(done: &Integration) -> String {
    let picked = done.picked().count();
    format!(
        "integrated into {}: {}..{} ({picked} commit{})",
        done.base,
        short(&done.old_tip),
        done.new_tip.as_deref().map_or("-", short),
        if picked == 1 { "" } else { "s" }
    )
}

fn short(id: &str) -> &str {
    &id[..id.len().min(7)]
}

/// The Integration Summary entry of one integration.
fn summary_entry(done: &Integration, time: Timestamp) -> String {
    let mut out = String::new();
    let what = done.task.as_deref().unwrap_or(&done.branch);
    let _ = writeln!(
        out,
        "#### {} into `{}` ({} UTC)",
        inline(what),
        done.base,
        time.minutes()
    );
    let picked = done.picked().count();
    let _ = writeln!(
        out,
        "- Branch `{}`: {picked} commit{} picked, `{}` moved `{}` → `{}`{}",
        done.branch,
        if picked == 1 { "" } else { "s" },
        done.base,
        short(&done.old_tip),
        done.new_tip.as_deref().map_or("-", short),
        if done.attempts > 1 {
            format!(
                " (picked {} times: the base moved meanwhile)",
                done.attempts
            )
        } else {
            String::new()
        }
    );
    for commit in &done.commits {
        match commit.outcome {
            Outcome::Picked => {
                let new = commit.new.as_deref().map_or("-", short);
                let _ = writeln!(
                    out,
                    "- `{new}` {} (picked from `{}`)",
                    inline(&commit.subject),
                    commit.short()
                );
            }
            Outcome::Empty | Outcome::AlreadyApplied => {
                let why = if commit.outcome == Outcome::Empty {
                    "empty"
                } else {
                    "already on the base"
                };
                let _ = writeln!(
                    out,
                    "- `{}` {}: skipped ({why})",
                    commit.short(),
                    inline(&commit.subject)
                );
            }
            Outcome::Conflict | Outcome::NotReached => {}
        }
    }
    if done.gates.skipped {
        let _ = writeln!(out, "- Gates: skipped (--no-gates)");
    } else if done.gates.results.is_empty() {
        let _ = writeln!(out, "- Gates: none configured");
    } else {
        let gates: Vec<String> = done
            .gates
            .results
            .iter()
            .map(|g| {
                format!(
                    "`{}` {} ({:.1} s)",
                    inline_code(&g.command()),
                    if g.passed { "passed" } else { "failed" },
                    g.duration_ms as f64 / 1000.0
                )
            })
            .collect();
        let _ = writeln!(out, "- Gates: {}", gates.join(", "));
    }
    for archived in &done.archived {
        let worktree = match (&archived.worktree_removed, &archived.note) {
            (Some(path), _) => format!(", worktree {} removed", path.display()),
            (None, Some(note)) => format!(", {}", inline(note)),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "- Archived {} as `{}`{worktree}",
            archived.task, archived.reference
        );
    }
    out
}

/// Text from commits made safe for one line of markdown: no control characters, and the
/// characters that would start markup (an HTML comment would hide the rest of the plan)
/// escaped.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|c| !c.is_control()).take(200) {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for inside a code span: no control characters and no backticks.
fn inline_code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '`' { '\'' } else { c })
        .collect()
}
