//! `orch-plan init`: render the plan and the message log from the task spec (`orch.toml`).

use orch_plan::outln;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use orch_plan::render::{self, RenderError, STARTER_SPEC};
use orch_plan::spec::{SPEC_FILE, Spec};

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Arguments of `orch-plan init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The task spec to render from, instead of orch.toml at the repository root.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,

    /// Overwrite an existing plan. The message log is never overwritten.
    #[arg(long)]
    force: bool,
}

/// What `init` wrote, for the report.
struct Outcome {
    plan: PathBuf,
    messages: PathBuf,
    spec: PathBuf,
    tasks: usize,
    spec_created: bool,
    messages_kept: bool,
}

/// Renders `MULTI_AGENT_PLAN.md` and `INTER_AGENT_MESSAGES.md` from the spec, writing a
/// commented starter `orch.toml` first when there is none.
///
/// Everything is rendered and checked in memory before the first file is written, so a bad
/// spec or template leaves every file as it was. Files are written atomically. An existing plan
/// is only replaced with `--force`; an existing message log is always kept.
pub fn cmd_init(ctx: &Context, args: &InitArgs) -> Result<(), CliError> {
    let workspace = ctx.workspace()?;
    let root = match (&ctx.plan_override, &workspace.root) {
        (Some(_), _) => match workspace.plan.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => ctx.cwd.clone(),
        },
        (None, Some(root)) => root.clone(),
        (None, None) => {
            return Err(CliError::invalid(
                "cannot find the main worktree for the plan; run the command inside the repository, or name the plan with --plan FILE (or ORCH_PLAN)",
            ));
        }
    };
    let plan_path = workspace.plan.clone();
    if !root.is_dir() {
        return Err(CliError::invalid(format!(
            "the directory {} for the plan does not exist; create it, or name another plan with --plan FILE",
            root.display()
        ))
        .with_file(&plan_path));
    }
    if exists(&plan_path) && !args.force {
        return Err(CliError::invalid(format!(
            "{} already exists; pass --force to render it again from the spec (the message log is kept either way)",
            plan_path.display()
        ))
        .with_file(&plan_path));
    }

    let explicit = args.spec.is_some();
    let spec_path = args
        .spec
        .as_ref()
        .map_or_else(|| root.join(SPEC_FILE), |p| ctx.cwd.join(p));
    let (spec_text, spec_created) = read_spec(&spec_path, explicit)?;
    let spec = Spec::parse(&spec_path, &spec_text)
        .map_err(|problems| CliError::from_diagnostics(ErrorKind::Invalid, problems.0))?;
    let repo_name = root
        .file_name()
        .map_or_else(|| "repo".to_owned(), |n| n.to_string_lossy().into_owned());
    let overrides = render::override_dir(&root);
    let rendered =
        render::render(&spec, &repo_name, &root, Some(&overrides)).map_err(render_error)?;

    // Nothing has been written yet; from here on, only I/O can fail.
    if spec_created && !write_new(&spec_path, STARTER_SPEC)? {
        return Err(CliError::invalid(format!(
            "{} appeared while init was running; run `orch-plan init` again to render from it",
            spec_path.display()
        ))
        .with_file(&spec_path));
    }
    let messages_path = workspace.messages.clone();
    let messages_kept = exists(&messages_path) || !write_new(&messages_path, &rendered.messages)?;
    // The plan goes through the atomic update protocol, under its lock, like every writer of
    // the plan, so a status update running at the same moment is never torn or half-applied.
    let plan_bytes = rendered.plan.clone().into_bytes();
    orch_status::atomic::update_file(&plan_path, ctx.lock_timeout, &ctx.command_line, |_| {
        Ok::<_, CliError>(orch_status::atomic::Change::Write(plan_bytes.clone(), ()))
    })
    .map_err(CliError::from)?;

    report(
        ctx,
        &Outcome {
            plan: plan_path,
            messages: messages_path,
            spec: spec_path,
            tasks: spec.tasks.len(),
            spec_created,
            messages_kept,
        },
    )
}

/// Reads the spec; without `--spec`, a missing `orch.toml` means the starter spec is used (and
/// written once everything has rendered).
fn read_spec(path: &Path, explicit: bool) -> Result<(String, bool), CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, false)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok((STARTER_SPEC.to_owned(), true))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(CliError::invalid(format!(
            "no spec at {}; check the path given to --spec, or leave --spec out to start from a commented starter {SPEC_FILE}",
            path.display()
        ))
        .with_file(path)),
        Err(error) if error.kind() == std::io::ErrorKind::InvalidData => Err(CliError::invalid(format!(
            "{} is not UTF-8 text; save the spec as UTF-8 TOML",
            path.display()
        ))
        .with_file(path)),
        Err(error) => Err(CliError::new(
            ErrorKind::Io,
            format!("cannot read {}: {error}; check that it is a readable file", path.display()),
        )
        .with_file(path)),
    }
}

fn render_error(error: RenderError) -> CliError {
    let kind = match error {
        RenderError::Io { .. } => ErrorKind::Io,
        _ => ErrorKind::Invalid,
    };
    CliError::from_diagnostics(kind, error.diagnostics())
}

/// Whether something (a file, a directory, even a dangling symlink) is at `path`.
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Creates `path` with `text` atomically (a temp file in the same directory, flushed to disk,
/// then linked into place) unless something is there already; then it returns `false` and
/// leaves it alone.
fn write_new(path: &Path, text: &str) -> Result<bool, CliError> {
    let io_error = |error: std::io::Error| {
        CliError::new(
            ErrorKind::Io,
            format!(
                "cannot write {}: {error}; check that its directory is writable",
                path.display()
            ),
        )
        .with_file(path)
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".orch-init-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Like a file created by an editor: 0666 less the umask.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder.tempfile_in(dir).map_err(io_error)?;
    temp.write_all(text.as_bytes()).map_err(io_error)?;
    temp.as_file().sync_all().map_err(io_error)?;
    match temp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(io_error(e.error)),
    }
    orch_status::atomic::sync_dir(dir);
    Ok(true)
}

fn report(ctx: &Context, outcome: &Outcome) -> Result<(), CliError> {
    let text = |path: &Path| path.display().to_string();
    if ctx.json {
        return super::print_json(&serde_json::json!({
            "plan": text(&outcome.plan),
            "messages": text(&outcome.messages),
            "spec": text(&outcome.spec),
            "tasks": outcome.tasks,
            "spec_created": outcome.spec_created,
            "messages_kept": outcome.messages_kept,
        }));
    }
    if outcome.spec_created {
        outln!(
            "wrote {} (a commented starter spec: edit it, then run `orch-plan init --force`)",
            text(&outcome.spec)
        );
    }
    outln!(
        "wrote {} ({} tasks from {})",
        text(&outcome.plan),
        outcome.tasks,
        text(&outcome.spec)
    );
    if outcome.messages_kept {
        outln!(
            "kept {} (it holds the messages; init never overwrites it)",
            text(&outcome.messages)
        );
    } else {
        outln!("wrote {}", text(&outcome.messages));
    }
    outln!("next: `orch-plan check`, then `orch-plan show`");
    Ok(())
}
