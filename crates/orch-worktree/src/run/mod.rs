//! The conductor behind `orch-worktree run`: it drives one agent process per task through the
//! plan's dependency graph.
//!
//! A task starts when every dependency is Completed, re-reading the plan from disk after each
//! event because agents set statuses themselves. At most `max_parallel` agents run at once.
//! Each task is claimed with compare-and-swap before it starts, so two conductors on one plan
//! never run the same task: a lost claim skips it. The agent runs as argv (never through a
//! shell) in its worktree, in its own process group, with its output in
//! `<state_dir>/logs/<task>.log`. A status the agent sets itself wins; otherwise exit 0 makes
//! the task Completed and a failure, after the retries, Failed, which holds back exactly its
//! dependents.

pub mod agent;
mod event;
mod profile;
mod select;
mod signals;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use orch_core::{Plan, Status, Task, TaskId};
use orch_status::Workspace;
use orch_status::store::{StatusRequest, Store};

use crate::spawn::{SpawnOptions, spawn};
use crate::{Error, Result, Session};
use agent::{Ending, Launch, Placeholders};
use event::journal_event;
pub use event::{RunEvent, Summary, unix_ms};
pub use profile::{AgentCommand, event_hook, resolve_commands};
use select::{read_plan, select};
use signals::Signals;

/// What to run and how.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The tasks to run; `None` runs every task that is not Completed.
    pub tasks: Option<Vec<TaskId>>,
    /// How many agents may run at once (at least 1).
    pub max_parallel: usize,
    /// Where each task's argv comes from.
    pub command: AgentCommand,
    /// How long one attempt may take before its process group is killed.
    pub timeout: Option<Duration>,
    /// How many times a failing attempt is run again.
    pub retries: u32,
}

/// Where a selected task stands in this run.
#[derive(Clone, Debug, PartialEq)]
enum State {
    Waiting,
    Running,
    Done(Status),
    Skipped,
}

/// A running task's fixed facts.
struct Running {
    agent_id: String,
    launch: Launch,
    branch_tip: Option<git2::Oid>,
    branch: String,
}

/// What a finished attempt sends back to the scheduler.
struct Finished {
    task: TaskId,
    ending: Ending,
    elapsed: Duration,
}

/// Runs the selected tasks to the end and returns the summary; `on_event` sees every event
/// as it happens. Errors before any agent started (a bad selection, an unknown profile) are
/// returned as errors; failures of single tasks become their status.
///
/// SIGINT or SIGTERM stops the run: the agents' process groups are killed, their tasks go
/// back to Not Started, and the summary says `interrupted`. Locks are never held across a
/// wait, so none is left behind.
pub fn run(
    session: &Session,
    repo: &git2::Repository,
    workspace: &Workspace,
    options: &RunOptions,
    on_event: &mut dyn FnMut(&RunEvent),
) -> Result<Summary> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io(
            "cannot start the async runtime",
            &session.state_dir,
        ))?;
    runtime.block_on(async {
        let plan = read_plan(session)?;
        let selected = select(&plan, options.tasks.as_deref())?;
        let commands = resolve_commands(session, &plan, &selected, &options.command)?;
        let conductor = Conductor {
            session,
            repo,
            workspace,
            options,
            store: Store {
                plan: session.plan_file.clone(),
                journal: session.journal(),
                lock_timeout: session.lock_timeout,
                command: session.command.clone(),
            },
            commands,
            hook: event_hook(session)?,
        };
        Ok(conductor.conduct(plan, selected, on_event).await)
    })
}

/// The fixed facts of one run.
struct Conductor<'a> {
    session: &'a Session,
    repo: &'a git2::Repository,
    workspace: &'a Workspace,
    options: &'a RunOptions,
    store: Store,
    commands: HashMap<TaskId, Vec<String>>,
    hook: Option<Vec<String>>,
}

impl Conductor<'_> {
    async fn conduct(
        &self,
        mut plan: Plan,
        selected: Vec<TaskId>,
        on_event: &mut dyn FnMut(&RunEvent),
    ) -> Summary {
        let started = Instant::now();
        let max_parallel = self.options.max_parallel.max(1);
        let mut states: BTreeMap<TaskId, State> = selected
            .iter()
            .map(|id| (id.clone(), State::Waiting))
            .collect();
        let mut running: HashMap<TaskId, Running> = HashMap::new();
        let mut busy = Duration::ZERO;
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Finished>();
        let (cancel, cancelled) = tokio::sync::watch::channel(false);
        let mut signals = Signals::new();
        let mut interrupted = false;
        let session = self.session;
        let hook = self.hook.as_deref();
        let mut emit = |event: RunEvent| {
            journal_event(session, &event);
            if let Some(hook) = hook {
                event::run_hook(hook, &event);
            }
            on_event(&event);
        };
        loop {
            if !interrupted {
                self.start_ready(
                    &plan,
                    &selected,
                    &mut states,
                    &mut running,
                    max_parallel,
                    &mut emit,
                )
                .into_iter()
                .for_each(|(id, launch)| spawn_attempt(&sender, &cancelled, id, launch));
            }
            if running.is_empty() {
                break;
            }
            // Wait for an agent to finish, or re-read the plan now and then: another conductor
            // or a human may complete a dependency meanwhile.
            let finished = tokio::select! {
                finished = receiver.recv() => finished,
                () = tokio::time::sleep(Duration::from_secs(1)) => None,
                () = signals.next(), if !interrupted => {
                    interrupted = true;
                    let _ = cancel.send(true);
                    None
                }
            };
            if let Some(finished) = finished {
                busy += finished.elapsed;
                let id = finished.task.clone();
                match self.settle(&mut running, finished, &mut emit) {
                    Some(state) => {
                        states.insert(id, state);
                    }
                    None => {
                        if let Some(run) = running.get(&id) {
                            spawn_attempt(&sender, &cancelled, id, run.launch.clone());
                        }
                    }
                }
            }
            if let Ok(fresh) = read_plan(session) {
                plan = fresh;
            }
        }
        let mut summary = Summary {
            max_parallel,
            interrupted,
            ..Summary::default()
        };
        for (id, state) in &states {
            match state {
                State::Done(Status::Completed) => summary.completed.push(id.to_string()),
                State::Done(Status::Failed) => summary.failed.push(id.to_string()),
                State::Waiting => {
                    let reason = if interrupted {
                        "the run was interrupted".to_owned()
                    } else {
                        waiting_reason(&plan, id)
                    };
                    emit(RunEvent::Skip {
                        task: id.to_string(),
                        reason,
                    });
                    summary.skipped.push(id.to_string());
                }
                State::Done(_) | State::Skipped | State::Running => {
                    summary.skipped.push(id.to_string());
                }
            }
        }
        let wall = started.elapsed();
        summary.wall_seconds = wall.as_secs_f64();
        summary.busy_seconds = busy.as_secs_f64();
        let capacity = wall.as_secs_f64() * max_parallel as f64;
        summary.parallel_efficiency = if capacity > 0.0 {
            (busy.as_secs_f64() / capacity).min(1.0)
        } else {
            0.0
        };
        emit(RunEvent::Summary(summary.clone()));
        summary
    }

    /// Settles tasks finished elsewhere and starts the ready ones while there is room; returns
    /// the launches to run.
    fn start_ready(
        &self,
        plan: &Plan,
        selected: &[TaskId],
        states: &mut BTreeMap<TaskId, State>,
        running: &mut HashMap<TaskId, Running>,
        max_parallel: usize,
        emit: &mut dyn FnMut(RunEvent),
    ) -> Vec<(TaskId, Launch)> {
        let mut launches = Vec::new();
        for id in selected {
            if states.get(id) != Some(&State::Waiting) {
                continue;
            }
            let Some(task) = plan.get(id) else { continue };
            if task.status == Status::Completed {
                states.insert(id.clone(), State::Done(Status::Completed));
                emit(status_event(id, Status::Completed, "plan", None));
                continue;
            }
            let ready = matches!(task.status, Status::NotStarted | Status::Failed)
                && task
                    .depends_on
                    .iter()
                    .all(|d| plan.get(d).is_some_and(|t| t.status == Status::Completed));
            if !ready || running.len() >= max_parallel {
                continue;
            }
            match self.start(plan, task) {
                Ok(run) => {
                    emit(RunEvent::Start {
                        task: id.to_string(),
                        agent_id: run.agent_id.clone(),
                        attempt: 1,
                        worktree: run.launch.cwd.clone(),
                        log: run.launch.log.clone(),
                    });
                    launches.push((id.clone(), run.launch.clone()));
                    states.insert(id.clone(), State::Running);
                    running.insert(id.clone(), run);
                }
                Err(Start::Lost(reason)) => {
                    states.insert(id.clone(), State::Skipped);
                    emit(RunEvent::Skip {
                        task: id.to_string(),
                        reason,
                    });
                }
                Err(Start::Failed(agent_id, note)) => {
                    let status = finish(
                        &self.store,
                        id,
                        &agent_id,
                        Status::Failed,
                        Some(note.clone()),
                    );
                    states.insert(id.clone(), State::Done(status));
                    emit(status_event(id, status, "conductor", Some(note)));
                }
            }
        }
        launches
    }

    /// Claims the task, spawns its worktree, writes its brief and builds its launch.
    fn start(&self, plan: &Plan, task: &Task) -> std::result::Result<Running, Start> {
        let session = self.session;
        let agent_id = orch_plan::prompt::agent_id(task);
        let claimed = if task.status == Status::Failed {
            self.store.set_status(&StatusRequest {
                task: task.id.clone(),
                status: Status::InProgress,
                expect: Some(Status::Failed),
                agent: agent_id.clone(),
                set_agent: false,
                note: Some("restarted by orch-worktree run".to_owned()),
                force: false,
            })
        } else {
            self.store.claim(&task.id, &agent_id)
        };
        if let Err(error) = claimed {
            return Err(Start::Lost(format!("not claimed: {error}")));
        }
        let fail = |note: String| Start::Failed(agent_id.clone(), note);
        let spawn_options = SpawnOptions {
            base: None,
            from_dependencies: session.config.from_dependencies,
            threads: 2,
            extra_attributes: Vec::new(),
        };
        let spawned = match spawn(session, self.repo, plan, &[task], &spawn_options) {
            Ok(mut outcomes) => match outcomes.pop() {
                Some(Ok(spawned)) => spawned,
                Some(Err(failed)) => {
                    return Err(fail(format!("cannot spawn the worktree: {}", failed.error)));
                }
                None => return Err(fail("cannot spawn the worktree".to_owned())),
            },
            Err(error) => return Err(fail(format!("cannot spawn the worktree: {error}"))),
        };
        let prompt = orch_plan::prompt::prompt_for(self.workspace, &task.id)
            .map_err(|e| fail(format!("cannot render the brief: {e}")))?;
        let prompt_file = session
            .state_dir
            .join("prompts")
            .join(format!("{}.md", task.id));
        let written = prompt_file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&prompt_file, &prompt));
        if let Err(error) = written {
            return Err(fail(format!(
                "cannot write the brief to {}: {error}",
                prompt_file.display()
            )));
        }
        let values = Placeholders {
            prompt,
            prompt_file,
            task: task.id.to_string(),
            worktree: spawned.path.clone(),
            branch: spawned.branch.clone(),
        };
        let env = BTreeMap::from([
            ("ORCH_TASK".to_owned(), task.id.to_string()),
            ("ORCH_AGENT_ID".to_owned(), agent_id.clone()),
            (
                "ORCH_PLAN".to_owned(),
                session.plan_file.display().to_string(),
            ),
        ]);
        let argv = self.commands.get(&task.id).cloned().unwrap_or_default();
        Ok(Running {
            agent_id,
            launch: Launch {
                argv: agent::substitute(&argv, &values),
                cwd: spawned.path,
                env,
                log: session
                    .state_dir
                    .join("logs")
                    .join(format!("{}.log", task.id)),
                timeout: self.options.timeout,
                attempt: 1,
            },
            branch_tip: branch_tip(self.repo, &spawned.branch),
            branch: spawned.branch,
        })
    }

    /// Handles a finished attempt. Returns the task's new state, or `None` when it is to be
    /// retried (its launch already counts the next attempt).
    fn settle(
        &self,
        running: &mut HashMap<TaskId, Running>,
        finished: Finished,
        emit: &mut dyn FnMut(RunEvent),
    ) -> Option<State> {
        let id = finished.task;
        let task = id.to_string();
        let run = running.get_mut(&id)?;
        let attempt = run.launch.attempt;
        emit(match &finished.ending {
            Ending::TimedOut => RunEvent::Timeout {
                task: task.clone(),
                attempt,
            },
            Ending::Exited(code) => RunEvent::Exit {
                task: task.clone(),
                attempt,
                code: *code,
                seconds: finished.elapsed.as_secs_f64(),
            },
            Ending::NotStarted(_) | Ending::Interrupted => RunEvent::Exit {
                task: task.clone(),
                attempt,
                code: None,
                seconds: finished.elapsed.as_secs_f64(),
            },
        });
        // A status the agent set itself wins.
        let current = read_plan(self.session)
            .ok()
            .and_then(|plan| plan.get(&id).map(|t| t.status));
        if let Some(status) = current.filter(|s| *s != Status::InProgress) {
            running.remove(&id);
            emit(status_event(&id, status, "agent", None));
            return Some(State::Done(status));
        }
        let (status, note) = match finished.ending {
            Ending::Exited(Some(0)) => {
                let repo = git2::Repository::open(&run.launch.cwd).ok();
                let tip = repo.as_ref().and_then(|r| branch_tip(r, &run.branch));
                let note = (tip.is_some() && tip == run.branch_tip)
                    .then(|| format!("the agent exited 0 but made no commit on {}", run.branch));
                (Status::Completed, note)
            }
            Ending::Interrupted => (
                Status::NotStarted,
                Some("the run was interrupted; the agent was stopped".to_owned()),
            ),
            // A timed-out attempt is a failed one: retried like any other.
            Ending::Exited(_) | Ending::NotStarted(_) | Ending::TimedOut
                if attempt <= self.options.retries =>
            {
                run.launch.attempt += 1;
                emit(RunEvent::Retry {
                    task,
                    attempt: run.launch.attempt,
                });
                return None;
            }
            Ending::TimedOut => (
                Status::Failed,
                Some(format!(
                    "timed out after {} on attempt {attempt}; the agent's process group was killed; its log is {}",
                    self.options
                        .timeout
                        .map_or_else(String::new, |t| format!("{}s", t.as_secs_f64())),
                    run.launch.log.display()
                )),
            ),
            Ending::Exited(code) => {
                let how = code.map_or_else(
                    || "was killed by a signal".to_owned(),
                    |c| format!("exited with code {c}"),
                );
                let tail = agent::tail(&run.launch.log, 10).join(" / ");
                (
                    Status::Failed,
                    Some(format!(
                        "the agent {how} after {attempt} attempt(s); last log lines: {tail}"
                    )),
                )
            }
            Ending::NotStarted(why) => (Status::Failed, Some(why)),
        };
        let run = running.remove(&id)?;
        let final_status = finish(&self.store, &id, &run.agent_id, status, note.clone());
        emit(status_event(&id, final_status, "conductor", note));
        Some(State::Done(final_status))
    }
}

/// Why a task could not start.
enum Start {
    /// Another conductor or agent has it: skip it.
    Lost(String),
    /// It was claimed but cannot run: mark it Failed with this note (agent id, note).
    Failed(String, String),
}

/// Starts one attempt on the runtime; its end comes back through `sender`.
fn spawn_attempt(
    sender: &tokio::sync::mpsc::UnboundedSender<Finished>,
    cancelled: &tokio::sync::watch::Receiver<bool>,
    task: TaskId,
    launch: Launch,
) {
    let sender = sender.clone();
    let cancelled = cancelled.clone();
    tokio::spawn(async move {
        let (ending, elapsed) = agent::run_attempt(launch, cancelled).await;
        let _ = sender.send(Finished {
            task,
            ending,
            elapsed,
        });
    });
}

/// Sets the status of a task the conductor holds, from In Progress; returns the status the
/// task has afterwards (someone else's change wins a race).
fn finish(
    store: &Store,
    id: &TaskId,
    agent_id: &str,
    status: Status,
    note: Option<String>,
) -> Status {
    let request = StatusRequest {
        task: id.clone(),
        status,
        expect: Some(Status::InProgress),
        agent: agent_id.to_owned(),
        set_agent: false,
        note,
        // Giving an interrupted task back (In Progress → Not Started) is not a normal move.
        force: status == Status::NotStarted,
    };
    match store.set_status(&request) {
        Ok(change) => change.new,
        // Someone else changed the task meanwhile: their status is the one that counts.
        Err(_) => orch_status::read_plan_file(&store.plan)
            .ok()
            .and_then(|doc| doc.tasks.iter().find(|t| t.id == *id).map(|t| t.status))
            .unwrap_or(status),
    }
}

fn status_event(id: &TaskId, status: Status, by: &str, note: Option<String>) -> RunEvent {
    RunEvent::Status {
        task: id.to_string(),
        status: status.as_str().to_owned(),
        by: by.to_owned(),
        note,
    }
}

/// Why a task never became ready.
fn waiting_reason(plan: &Plan, id: &TaskId) -> String {
    let Some(task) = plan.get(id) else {
        return "the task left the plan".to_owned();
    };
    let pending: Vec<String> = task
        .depends_on
        .iter()
        .filter_map(|d| {
            let status = plan.get(d).map_or("missing", |t| t.status.as_str());
            (status != "Completed").then(|| format!("{d} ({status})"))
        })
        .collect();
    if pending.is_empty() {
        format!("the task is {}", task.status)
    } else {
        format!("held back by {}", pending.join(", "))
    }
}

/// The tip of the local branch `name`, if it exists.
fn branch_tip(repo: &git2::Repository, name: &str) -> Option<git2::Oid> {
    repo.find_branch(name, git2::BranchType::Local)
        .ok()?
        .get()
        .target()
}
