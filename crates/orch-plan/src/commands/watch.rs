//! `orch-plan watch`: a live dashboard of the plan.
//!
//! On a terminal it takes over the screen (raw mode, alternate screen) and redraws when the
//! plan, the message log or the journal change (file events from `notify`, debounced by
//! 100 ms) and once a second for the elapsed times. The terminal is restored on `q`, Esc,
//! Ctrl-C, on errors and on panics. When standard output is not a terminal, or with `--once`,
//! it prints the dashboard as plain text instead, and again after each change (`--once`: one
//! frame, then exit). `NO_COLOR` turns colours off.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use orch_core::{Plan, Timestamp};
use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};
use orch_plan::dashboard::{Action, DashboardState, Inputs, Key};
use orch_status::journal::Journal;
use orch_status::messages::MessageLog;
use orch_status::{PlanDoc, Workspace};

/// How long file events are gathered before the files are read again.
const DEBOUNCE: Duration = Duration::from_millis(100);
/// How often elapsed times move on.
const TICK: Duration = Duration::from_secs(1);

/// Arguments of `orch-plan watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Print the dashboard once as plain text and exit.
    #[arg(long)]
    once: bool,
}

/// What wakes the dashboard up.
enum Wake {
    /// A terminal event (a key, a resize).
    Terminal(Event),
    /// One of the watched files changed.
    Changed,
}

/// Runs the dashboard.
pub fn cmd_watch(ctx: &Context, args: &WatchArgs) -> Result<(), CliError> {
    if ctx.json {
        return Err(CliError::new(
            ErrorKind::Usage,
            "watch has no JSON output; use `orch-plan show --json` or `orch-plan stats --json`",
        ));
    }
    let sources = Sources::new(ctx)?;
    // NO_COLOR (https://no-color.org): any non-empty value turns colours off.
    let colour = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let (plan, doc, messages, journal) = sources.load()?;
    let mut state = DashboardState::new(
        &Inputs {
            plan: &plan,
            doc: &doc,
            messages: messages.as_ref(),
            journal: &journal,
            now: orch_status::lock::now(),
        },
        colour,
    );
    if args.once {
        print_plain(&state);
        return Ok(());
    }
    let (tx, rx) = mpsc::channel();
    let mut watch = FileWatch::start(&sources, tx.clone())?;
    if std::io::stdout().is_terminal() {
        interactive(&sources, &mut watch, &mut state, tx, &rx)
    } else {
        plain_loop(&sources, &mut watch, &mut state, &rx);
        Ok(())
    }
}

/// Prints the plain dashboard; false when standard output is closed.
fn print_plain(state: &DashboardState) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(orch_plan::cli::terminal_safe(&state.plain()).as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}

/// Prints the dashboard again after every change, until standard output closes.
fn plain_loop(
    sources: &Sources,
    watch: &mut FileWatch,
    state: &mut DashboardState,
    rx: &Receiver<Wake>,
) {
    if !print_plain(state) {
        return;
    }
    while let Ok(wake) = rx.recv() {
        if !matches!(wake, Wake::Changed) {
            continue;
        }
        // Gather the burst of events one write makes.
        let until = Instant::now() + DEBOUNCE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if rx.recv_timeout(left).is_err() {
                break;
            }
        }
        sources.reload(state);
        watch.catch_up(sources);
        if let Some(error) = &state.error {
            orch_plan::errln!("error: {error}");
        }
        let mut out = std::io::stdout().lock();
        if out.write_all(b"\n").is_err() {
            return;
        }
        drop(out);
        if !print_plain(state) {
            return;
        }
    }
}

/// Restores the terminal when dropped, on every way out of the dashboard.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The full-screen dashboard.
fn interactive(
    sources: &Sources,
    watch: &mut FileWatch,
    state: &mut DashboardState,
    tx: Sender<Wake>,
    rx: &Receiver<Wake>,
) -> Result<(), CliError> {
    let io =
        |e: std::io::Error| CliError::new(ErrorKind::Io, format!("cannot drive the terminal: {e}"));
    // This also installs a panic hook that restores the terminal before the panic is printed.
    let mut terminal = ratatui::try_init().map_err(io)?;
    let _restore = Restore;
    // Keys arrive on their own thread, which blocks reading the terminal; it ends with the
    // process.
    std::thread::spawn(move || {
        while let Ok(event) = event::read() {
            if tx.send(Wake::Terminal(event)).is_err() {
                break;
            }
        }
    });
    let mut next_tick = Instant::now() + TICK;
    let mut reload_at: Option<Instant> = None;
    loop {
        terminal
            .draw(|frame| frame.render_widget(&*state, frame.area()))
            .map_err(io)?;
        let deadline = reload_at.map_or(next_tick, |r| r.min(next_tick));
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(Wake::Terminal(Event::Key(key))) if key.kind == KeyEventKind::Press => {
                let key = match key.code {
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        Key::Interrupt
                    }
                    KeyCode::Char(c) => Key::Char(c),
                    KeyCode::Up => Key::Up,
                    KeyCode::Down => Key::Down,
                    KeyCode::Enter => Key::Enter,
                    KeyCode::Esc => Key::Esc,
                    _ => continue,
                };
                if state.handle(key) == Action::Quit {
                    return Ok(());
                }
            }
            // A resize, a release, focus: draw again.
            Ok(Wake::Terminal(_)) => {}
            Ok(Wake::Changed) => {
                reload_at.get_or_insert_with(|| Instant::now() + DEBOUNCE);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        let now = Instant::now();
        if reload_at.is_some_and(|r| r <= now) {
            reload_at = None;
            sources.reload(state);
            watch.catch_up(sources);
        }
        if next_tick <= now {
            next_tick = now + TICK;
            state.set_now(orch_status::lock::now());
        }
    }
}

/// The files the dashboard shows.
struct Sources {
    workspace: Workspace,
    journal: Journal,
}

impl Sources {
    fn new(ctx: &Context) -> Result<Sources, CliError> {
        let workspace = ctx.workspace()?;
        let journal = ctx.journal(&workspace);
        Ok(Sources { workspace, journal })
    }

    /// Reads the plan (which must be valid), the message log and the journal.
    #[allow(clippy::type_complexity)]
    fn load(
        &self,
    ) -> Result<
        (
            Plan,
            PlanDoc,
            Option<MessageLog>,
            Vec<orch_status::journal::Entry>,
        ),
        CliError,
    > {
        let doc = orch_plan::cli::read_plan_at(&self.workspace.plan)?;
        let (plan, doc) = doc
            .into_plan()
            .map_err(|p| CliError::from_diagnostics(ErrorKind::Validation, p.0))?;
        let messages = MessageLog::read_file(&self.workspace.messages)
            .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
        let (journal, _) = self
            .journal
            .read()
            .map_err(|e| CliError::new(ErrorKind::Io, e.to_string()))?;
        Ok((plan, doc, messages, journal))
    }

    /// Reads the files again into `state`; a problem (a plan saved half-way through an edit,
    /// say) is shown and the last good state stays.
    fn reload(&self, state: &mut DashboardState) {
        match self.load() {
            Ok((plan, doc, messages, journal)) => state.refresh(&Inputs {
                plan: &plan,
                doc: &doc,
                messages: messages.as_ref(),
                journal: &journal,
                now: now(),
            }),
            // The whole report, with the file, line and column of each problem.
            Err(error) => {
                let (text, _) = error.render(false);
                let lines: Vec<&str> = text
                    .lines()
                    .map(|l| l.strip_prefix("error: ").unwrap_or(l))
                    .collect();
                state.set_error(Some(lines.join("; ")));
            }
        }
    }

    /// The names of the files that matter.
    fn names(&self) -> Vec<std::ffi::OsString> {
        [
            self.workspace.plan.as_path(),
            self.workspace.messages.as_path(),
            self.journal.path(),
            self.workspace.state_dir.as_path(),
        ]
        .iter()
        .filter_map(|p| p.file_name().map(ToOwned::to_owned))
        .collect()
    }
}

fn now() -> Timestamp {
    orch_status::lock::now()
}

/// The file watcher: the plan's directory and the state directory (or, until it exists, the
/// directory that will hold it), not recursively.
struct FileWatch {
    watcher: Box<dyn Watcher + Send>,
    state_dir_watched: bool,
}

impl FileWatch {
    fn start(sources: &Sources, tx: Sender<Wake>) -> Result<FileWatch, CliError> {
        let names = sources.names();
        let handler = move |result: notify::Result<notify::Event>| {
            let Ok(event) = result else {
                return;
            };
            // Reading the files (as the dashboard itself does) is no change.
            let changed = match event.kind {
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
                EventKind::Access(_) => false,
                _ => true,
            };
            let relevant = changed
                && event
                    .paths
                    .iter()
                    .any(|p| p.file_name().is_some_and(|n| names.iter().any(|m| m == n)));
            if relevant {
                let _ = tx.send(Wake::Changed);
            }
        };
        let watcher: Box<dyn Watcher + Send> = match notify::recommended_watcher(handler.clone()) {
            Ok(watcher) => Box::new(watcher),
            // No native file events (an exhausted inotify limit, say): poll the files instead.
            Err(_) => Box::new(
                notify::PollWatcher::new(
                    handler,
                    notify::Config::default().with_poll_interval(Duration::from_secs(1)),
                )
                .map_err(|e| watch_error(&sources.workspace.plan, &e))?,
            ),
        };
        let mut watch = FileWatch {
            watcher,
            state_dir_watched: false,
        };
        let plan_dir = parent(&sources.workspace.plan);
        watch
            .watcher
            .watch(&plan_dir, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(&plan_dir, &e))?;
        let state_dir = &sources.workspace.state_dir;
        if state_dir.is_dir() {
            watch.catch_up(sources);
        } else {
            let holder = parent(state_dir);
            if holder != plan_dir && holder.is_dir() {
                watch
                    .watcher
                    .watch(&holder, RecursiveMode::NonRecursive)
                    .map_err(|e| watch_error(&holder, &e))?;
            }
        }
        Ok(watch)
    }

    /// Starts watching the state directory once it exists (the first journal line makes it).
    fn catch_up(&mut self, sources: &Sources) {
        let state_dir = &sources.workspace.state_dir;
        if !self.state_dir_watched && state_dir.is_dir() {
            self.state_dir_watched = self
                .watcher
                .watch(state_dir, RecursiveMode::NonRecursive)
                .is_ok();
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn watch_error(path: &Path, error: &notify::Error) -> CliError {
    CliError::new(
        ErrorKind::Io,
        format!("cannot watch {} for changes: {error}", path.display()),
    )
}
