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

/// Writes `bytes` to `path` through a temp file in the same directory, so a reader never sees
/// half a page.
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
    let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(error)?;
    temp.write_all(bytes).map_err(error)?;
    temp.as_file().sync_all().map_err(error)?;
    temp.persist(path).map_err(|e| error(e.error))?;
    Ok(())
}
