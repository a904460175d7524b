//! `orch-plan log`: the journal, every change orch made, oldest first.

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};
use orch_plan::outln;
use orch_status::journal::Entry;

/// Arguments of `orch-plan log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Only the entries of this task.
    #[arg(long)]
    task: Option<String>,
}

/// Prints the journal.
pub fn cmd_log(ctx: &Context, args: &LogArgs) -> Result<(), CliError> {
    let task = args
        .task
        .as_deref()
        .map(super::status::task_arg)
        .transpose()?;
    let workspace = ctx.workspace()?;
    let journal = ctx.journal(&workspace);
    let contents = journal
        .read_lines()
        .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()).with_file(journal.path()))?;
    let entries: Vec<Entry> = contents
        .lines
        .into_iter()
        .map(|l| l.entry)
        .filter(|e| match &task {
            Some(task) => e
                .task
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(task.as_str())),
            None => true,
        })
        .collect();
    let skipped = contents.skipped.len();
    if skipped > 0 {
        orch_plan::errln!(
            "warning: skipped {skipped} unreadable {} of {} ({}); each line must be one JSON object with \"time\", \"event\" and \"actor\"; fix or delete {}",
            if skipped == 1 { "line" } else { "lines" },
            journal.path().display(),
            orch_plan::stats::describe_lines(&contents.skipped),
            if skipped == 1 { "it" } else { "them" },
        );
    }
    if ctx.json {
        return super::print_json(&entries);
    }
    if entries.is_empty() {
        outln!("the journal is empty ({})", journal.path().display());
    }
    for e in &entries {
        outln!("{}", human_line(e));
    }
    Ok(())
}

/// One entry for people: its time, event and actor, then what it is about and what changed:
/// `T2: Not Started -> In Progress`, or for an entry without a task the message id it names
/// (`M-0001: Sent`), or the change alone. A note follows in parentheses.
fn human_line(e: &Entry) -> String {
    let change = match (&e.old, &e.new) {
        (Some(old), Some(new)) => Some(format!("{old} -> {new}")),
        (None, Some(new)) => Some(new.clone()),
        _ => None,
    };
    let subject = e
        .task
        .as_deref()
        .or_else(|| e.detail.get("id").and_then(serde_json::Value::as_str));
    let about = match (subject, change) {
        (Some(subject), Some(change)) => format!("{subject}: {change}"),
        (Some(subject), None) => subject.to_owned(),
        (None, Some(change)) => change,
        (None, None) => String::new(),
    };
    let mut line = format!("{}  {:<12} {:<16} {about}", e.time, e.event, e.actor);
    if let Some(note) = &e.note {
        line = format!("{} ({note})", line.trim_end());
    }
    line.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(task: Option<&str>, old: Option<&str>, new: Option<&str>) -> Entry {
        Entry {
            time: "2026-11-21T12:00:00Z".into(),
            event: "message".into(),
            actor: "b2".into(),
            task: task.map(Into::into),
            old: old.map(Into::into),
            new: new.map(Into::into),
            ..Entry::default()
        }
    }

    #[test]
    fn an_entry_without_a_task_reads_naturally() {
        let time = "2026-11-21T12:00:00Z";
        assert_eq!(
            human_line(&entry(None, None, Some("Sent"))),
            format!("{time}  message      b2               Sent")
        );
        let mut with_id = entry(None, None, Some("Sent"));
        with_id.detail = serde_json::json!({"id": "M-0001"});
        assert_eq!(
            human_line(&with_id),
            format!("{time}  message      b2               M-0001: Sent")
        );
        assert_eq!(
            human_line(&entry(Some("T2"), Some("Not Started"), Some("In Progress"))),
            format!("{time}  message      b2               T2: Not Started -> In Progress")
        );
        let mut bare = entry(None, None, None);
        bare.note = Some("broke the stale lock".into());
        assert_eq!(
            human_line(&bare),
            format!("{time}  message      b2 (broke the stale lock)")
        );
        assert!(!human_line(&entry(None, None, Some("Sent"))).contains(" :"));
    }
}
