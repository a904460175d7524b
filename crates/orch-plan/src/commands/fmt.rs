//! `orch-plan fmt`: canonical status spellings and aligned tables.

use orch_plan::outln;
use orch_status::atomic::{self, Change};
use orch_status::journal::Entry;
use orch_status::{format, read_plan};

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Arguments of `orch-plan fmt`.
#[derive(Debug, clap::Args)]
pub struct FmtArgs {
    /// Change nothing; exit 1 if the plan is not formatted.
    #[arg(long)]
    check: bool,
}

/// Formats the plan atomically under its lock.
pub fn cmd_fmt(ctx: &Context, args: &FmtArgs) -> Result<(), CliError> {
    let workspace = ctx.workspace()?;
    let plan = workspace.plan.clone();
    let committed = atomic::update_file(&plan, ctx.lock_timeout, &ctx.command_line, |bytes| {
        let bytes = bytes.ok_or_else(|| {
            CliError::invalid(format!(
                "no plan at {}; create one with `orch-plan init`",
                plan.display()
            ))
        })?;
        let doc = read_plan(&plan, bytes.to_vec()).map_err(CliError::from)?;
        let formatted = format::format_plan(&doc)
            .map_err(|e| CliError::new(ErrorKind::Invalid, e.to_string()))?;
        let changed = formatted.text != doc.text;
        if !changed || args.check {
            Ok::<_, CliError>(Change::Keep((formatted, changed)))
        } else {
            Ok(Change::Write(
                formatted.text.clone().into_bytes(),
                (formatted, changed),
            ))
        }
    })
    .map_err(CliError::from)?;
    let written = committed.written;
    if written {
        ctx.journal(&workspace)
            .append(&Entry {
                time: orch_status::lock::now().rfc3339(),
                event: "fmt".to_owned(),
                actor: ctx.actor(None),
                command: Some(ctx.command_line.clone()),
                detail: serde_json::json!({"statuses": committed.outcome.0.statuses, "tables": committed.outcome.0.tables}),
                ..Entry::default()
            })
            .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
    }
    // Release the lock before printing.
    let (formatted, changed) = committed.outcome_and_release();
    let changed = &changed;
    for (line, reason) in &formatted.skipped {
        orch_plan::errln!(
            "note: {}:{line}: table left as it is: {reason}",
            plan.display()
        );
    }
    if ctx.json {
        super::print_json(&serde_json::json!({
            "plan": plan.display().to_string(),
            "changed": changed,
            "written": *changed && !args.check,
            "statuses": formatted.statuses,
            "tables": formatted.tables,
        }))?;
    } else if !changed {
        outln!("{}: already formatted", plan.display());
    } else if args.check {
        outln!(
            "{}: not formatted ({} statuses, {} tables would change); run `orch-plan fmt`",
            plan.display(),
            formatted.statuses,
            formatted.tables
        );
    } else {
        outln!(
            "{}: formatted ({} statuses, {} tables)",
            plan.display(),
            formatted.statuses,
            formatted.tables
        );
    }
    if args.check && *changed {
        return Err(CliError::new(
            ErrorKind::Validation,
            format!("{} is not formatted; run `orch-plan fmt`", plan.display()),
        ));
    }
    Ok(())
}
