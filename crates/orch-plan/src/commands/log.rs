//! `orch-plan log`: the journal, every change orch made, oldest first.

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};
use orch_plan::outln;

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
    let (entries, skipped) = journal
        .read()
        .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|e| match &task {
            Some(task) => e
                .task
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(task.as_str())),
            None => true,
        })
        .collect();
    if skipped > 0 {
        eprintln!(
            "warning: skipped {skipped} unreadable line(s) of {}",
            journal.path().display()
        );
    }
    if ctx.json {
        return super::print_json(&entries);
    }
    if entries.is_empty() {
        outln!("the journal is empty ({})", journal.path().display());
    }
    for e in &entries {
        let mut line = format!("{}  {:<12} {:<16}", e.time, e.event, e.actor);
        if let Some(task) = &e.task {
            line.push_str(&format!(" {task}"));
        }
        match (&e.old, &e.new) {
            (Some(old), Some(new)) => line.push_str(&format!(": {old} -> {new}")),
            (None, Some(new)) => line.push_str(&format!(": {new}")),
            _ => {}
        }
        if let Some(note) = &e.note {
            line.push_str(&format!(" ({note})"));
        }
        outln!("{}", line.trim_end());
    }
    Ok(())
}
