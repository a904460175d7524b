//! `orch-worktree spawn`: create the worktree and branch of tasks.

use orch_plan::outln;
use std::path::PathBuf;

use orch_plan::cli::{CliError, Context, ErrorKind};
use orch_worktree::error::Failed;
use orch_worktree::spawn::{SpawnOptions, Spawned, spawn};
use orch_worktree::target::{Selection, select};
use serde::Serialize;

/// Arguments of `orch-worktree spawn`.
#[derive(Debug, clap::Args)]
pub struct SpawnArgs {
    /// The tasks to spawn.
    #[arg(value_name = "TASK", required_unless_present_any = ["ready", "group"], conflicts_with_all = ["ready", "group"])]
    tasks: Vec<String>,
    /// Spawn every Not Started task whose dependencies are all Completed.
    #[arg(long, conflicts_with = "group")]
    ready: bool,
    /// Spawn every task of this parallel group.
    #[arg(long, value_name = "G")]
    group: Option<String>,
    /// Start each new branch from the task's Completed dependencies: one dependency's branch
    /// tip, or an in-memory merge of several (default from `[worktree] base_from`).
    #[arg(long, conflicts_with = "base")]
    from_deps: bool,
    /// Start new branches at this revision instead of the base branch's tip.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
}

/// Spawns the tasks' worktrees and prints what was created or found.
pub fn cmd_spawn(ctx: &Context, args: &SpawnArgs) -> Result<(), CliError> {
    // Ids are checked before the repository is opened.
    let selection = if args.ready {
        Selection::Ready
    } else if let Some(group) = &args.group {
        Selection::Group(group.clone())
    } else {
        Selection::Ids(super::task_args(&args.tasks)?)
    };
    // Blobs are written as they are stored, like git's own checkout, which does not re-hash
    // them either; hashing every object read costs about a tenth of a large spawn.
    git2::opts::strict_hash_verification(false);
    // The index entries name blobs just read from the tree; checking that each exists again
    // costs an object lookup per file.
    git2::opts::strict_object_creation(false);
    // Each blob is read once; caching them only costs time.
    git2::opts::enable_caching(false);
    let (workspace, session, repo) = super::open(ctx)?;
    let (plan, doc) = super::load_plan(&workspace)?;
    let tasks = select(&plan, &selection).map_err(|problems| {
        super::cli_error(orch_worktree::Error::Refused(problems), Some(&doc))
    })?;
    if tasks.is_empty() {
        if ctx.json {
            return super::print_json(&Vec::<View<'_>>::new());
        }
        outln!("no task is ready: `orch-plan show` shows what each task waits for");
        return Ok(());
    }
    let options = SpawnOptions {
        base: args.base.clone(),
        from_dependencies: args.from_deps
            || (session.config.from_dependencies && args.base.is_none()),
        // Writing files waits on the file system as much as on the processor: two threads a
        // core kept both busy in `cargo xtask bench`.
        threads: 2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
        extra_attributes: global_attribute_files(),
    };
    let outcomes = spawn(&session, &repo, &plan, &tasks, &options)
        .map_err(|e| super::cli_error(e, Some(&doc)))?;
    let mut spawned: Vec<Spawned> = Vec::new();
    let mut failed: Vec<Failed> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(s) => spawned.push(s),
            Err(f) => failed.push(f),
        }
    }
    if ctx.json {
        let view: Vec<View<'_>> = spawned.iter().map(view).collect();
        super::print_json(&view)?;
    } else {
        print_human(&spawned);
    }
    for warning in spawned.iter().flat_map(|s| &s.warnings) {
        orch_plan::errln!("warning: {warning}");
    }
    if !failed.is_empty() {
        return Err(super::failures(&failed, "spawn"));
    }
    let setup_failed: Vec<String> = spawned
        .iter()
        .filter_map(|s| {
            let setup = s.setup.as_ref()?;
            let why = setup.failed.as_deref()?;
            let log = setup
                .log
                .as_ref()
                .map(|l| format!("; its output is in {}", l.display()))
                .unwrap_or_default();
            Some(format!(
                "the setup of {} failed: {why}{log}; the worktree {} is kept for inspection",
                s.task,
                s.path.display()
            ))
        })
        .collect();
    match setup_failed.as_slice() {
        [] => Ok(()),
        [one] => Err(CliError::new(ErrorKind::Invalid, one.clone())),
        many => Err(CliError::new(
            ErrorKind::Invalid,
            format!("{} setups failed:\n  {}", many.len(), many.join("\n  ")),
        )),
    }
}

/// The JSON object of one task: `task`, `path`, `branch`, `base`, `created`, `setup` and more.
#[derive(Serialize)]
struct View<'a> {
    task: &'a str,
    path: String,
    branch: &'a str,
    base: Option<&'a str>,
    base_from: Option<&'a str>,
    created: bool,
    branch_created: bool,
    checkout: Option<&'a str>,
    setup: Option<SetupView<'a>>,
}

/// What the setup did: `ok`, `log`, and what was copied or failed.
#[derive(Serialize)]
struct SetupView<'a> {
    ok: bool,
    log: Option<String>,
    copied: &'a [String],
    missing: &'a [String],
    failed: Option<&'a str>,
}

fn view(s: &Spawned) -> View<'_> {
    View {
        task: &s.task,
        path: s.path.display().to_string(),
        branch: &s.branch,
        base: s.base.as_deref(),
        base_from: s.base_from.as_deref(),
        created: s.created,
        branch_created: s.branch_created,
        checkout: s.checkout.as_deref(),
        setup: s.setup.as_ref().map(|setup| SetupView {
            ok: setup.ok,
            log: setup.log.as_ref().map(|l| l.display().to_string()),
            copied: &setup.copied,
            missing: &setup.missing,
            failed: setup.failed.as_deref(),
        }),
    }
}

fn print_human(spawned: &[Spawned]) {
    for s in spawned {
        if !s.created {
            outln!("exists   {}  {}  {}", s.task, s.branch, s.path.display());
            continue;
        }
        let short = s.base.as_deref().map_or("", |b| &b[..b.len().min(10)]);
        let from = s.base_from.as_deref().unwrap_or("-");
        let branch_note = if s.branch_created {
            ""
        } else {
            " (existing branch, not moved)"
        };
        outln!(
            "created  {}  {}{branch_note}  {}  from {from} ({short})",
            s.task,
            s.branch,
            s.path.display()
        );
        if let Some(setup) = &s.setup {
            if !setup.copied.is_empty() {
                outln!("         copied {}", setup.copied.join(", "));
            }
            if !setup.missing.is_empty() {
                outln!(
                    "         not in the main worktree, not copied: {}",
                    setup.missing.join(", ")
                );
            }
            match (&setup.failed, &setup.log) {
                (None, Some(log)) => outln!("         setup ok (output in {})", log.display()),
                (Some(why), _) => outln!("         setup FAILED: {why}"),
                (None, None) => {}
            }
        }
    }
}

/// The attribute files outside the repository that git reads: the user's
/// (`$XDG_CONFIG_HOME/git/attributes`, else `~/.config/git/attributes`) and the system's.
fn global_attribute_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("/etc/gitattributes")];
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(dir) = xdg {
        files.push(dir.join("git").join("attributes"));
    }
    files
}
