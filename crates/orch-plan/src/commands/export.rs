//! `orch-plan export --html`: the plan as a standalone HTML page.

use orch_plan::outln;
use std::io::Write as _;
use std::path::PathBuf;

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Arguments of `orch-plan export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Render a standalone HTML page (one file: inline style, no scripts, nothing fetched).
    #[arg(long, required = true)]
    html: bool,
    /// Write the page to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Renders the plan and prints it or writes it to `--output`.
pub fn cmd_export(ctx: &Context, args: &ExportArgs) -> Result<(), CliError> {
    let doc = ctx.read_plan()?;
    // An invalid plan (a cycle, say) is still worth looking at; it only loses its summary.
    let plan = doc.plan().ok();
    let page = orch_plan::export::html(&doc, plan.as_ref(), orch_status::lock::now());
    let Some(output) = &args.output else {
        if ctx.json {
            return super::print_json(&serde_json::json!({
                "format": "html",
                "output": null,
                "bytes": page.len(),
                "html": page,
            }));
        }
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = stdout.write_all(page.as_bytes());
        return Ok(());
    };
    let output = ctx.cwd.join(output);
    refuse_coordination_file(ctx, &output)?;
    write_file(&output, page.as_bytes())?;
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "format": "html",
            "output": output.display().to_string(),
            "bytes": page.len(),
        }));
    }
    outln!("wrote {} ({} bytes)", output.display(), page.len());
    Ok(())
}

/// Refuses an output path that is one of orch's own files: the plan, the message log, the spec,
/// or anything in the state dir (the journal, locks, logs). Writing a page over one of them
/// would lose it without its lock or journal.
fn refuse_coordination_file(ctx: &Context, output: &std::path::Path) -> Result<(), CliError> {
    let workspace = ctx.workspace()?;
    let target = resolved(output);
    let mut protected = vec![
        ("the plan", workspace.plan.clone()),
        ("the message log", workspace.messages.clone()),
    ];
    if let Some(root) = &workspace.root {
        protected.push(("the spec", root.join(orch_plan::spec::SPEC_FILE)));
    }
    for (what, path) in &protected {
        if resolved(path) == target {
            return Err(CliError::invalid(format!(
                "{} is {what}; write the page to another file, such as plan.html",
                output.display()
            ))
            .with_file(output));
        }
    }
    if target.starts_with(resolved(&workspace.state_dir)) {
        return Err(CliError::invalid(format!(
            "{} is inside orch's state dir {}; write the page to another file, such as plan.html",
            output.display(),
            workspace.state_dir.display()
        ))
        .with_file(output));
    }
    Ok(())
}

/// `path` with symlinks resolved as far as it exists (a file that does not exist yet resolves
/// through its directory).
fn resolved(path: &std::path::Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| path.to_owned()),
        _ => path.to_owned(),
    }
}

/// Writes `bytes` to `path` through a temp file in the same directory, so a reader never sees
/// half a page. A new file gets 0666 less the umask, as if redirected; an existing one keeps
/// its mode.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let error = |e: std::io::Error| {
        CliError::new(
            ErrorKind::Io,
            format!("cannot write {}: {e}", path.display()),
        )
        .with_file(path)
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".orch-export-").suffix(".tmp");
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(&dir).map_err(error)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        temp.as_file()
            .set_permissions(metadata.permissions())
            .map_err(error)?;
    }
    temp.write_all(bytes).map_err(error)?;
    temp.as_file().sync_all().map_err(error)?;
    temp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}
