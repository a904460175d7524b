//! `orch-plan msg`: send, list, acknowledge and resolve messages in INTER_AGENT_MESSAGES.md.
//!
//! Every write goes through the atomic update protocol on the message log (lock, temp file,
//! fsync, rename) and appends one journal line while the lock is held, so message ids are
//! assigned from the file's current content and concurrent senders never collide.

use orch_plan::{out, outln};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use orch_core::{TaskId, Timestamp};
use orch_status::Workspace;
use orch_status::atomic::{self, Change, Committed};
use orch_status::journal::Entry;
use orch_status::lock;
use orch_status::messages::{
    self, Message, MessageError, MessageId, MessageLog, MessageStatus, MessageType, NewMessage,
    Priority, SendError,
};

use orch_plan::cli::Context;
use orch_plan::cli::{CliError, ErrorKind};

/// Arguments of `orch-plan msg`.
#[derive(Debug, clap::Args)]
pub struct MsgArgs {
    #[command(subcommand)]
    command: MsgCommand,
}

#[derive(Debug, clap::Subcommand)]
enum MsgCommand {
    /// Append a message to INTER_AGENT_MESSAGES.md and print its id.
    Send(SendArgs),
    /// List messages, oldest first; filters combine, and compare ignoring case.
    List(ListArgs),
    /// Mark a message Acknowledged (from Sent).
    Ack(MoveArgs),
    /// Mark a message Resolved (from Sent or Acknowledged).
    Resolve(MoveArgs),
}

#[derive(Debug, clap::Args)]
struct SendArgs {
    /// The sender's agent id [default: ORCH_AGENT_ID, else the user name].
    #[arg(long, value_name = "AGENT")]
    from: Option<String>,
    /// The recipient: an agent id, All or Orchestrator.
    #[arg(long, value_name = "AGENT")]
    to: String,
    /// Handoff, Blocker, Question, Update or Directive (any case).
    #[arg(long = "type", value_name = "TYPE")]
    kind: String,
    /// The task the message concerns; it must be in the plan when the plan can be read.
    #[arg(long, value_name = "TASK")]
    task: Option<String>,
    /// Low, Medium, High or Critical (any case).
    #[arg(long, value_name = "PRIORITY")]
    priority: Option<String>,
    /// When an answer is needed: a time such as 2026-11-21T14:30:00Z, or a duration from now
    /// such as 2h.
    #[arg(long, value_name = "WHEN")]
    deadline: Option<String>,
    /// The markdown body; it may hold several lines, including `---`.
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body from FILE, or from standard input when FILE is `-`.
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Only messages to this recipient (exactly this one: `--to All` lists messages to All).
    #[arg(long, value_name = "AGENT")]
    to: Option<String>,
    /// Only messages from this sender.
    #[arg(long, value_name = "AGENT")]
    from: Option<String>,
    /// Only messages with this status: Sent, Acknowledged or Resolved.
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,
    /// Only messages about this task.
    #[arg(long, value_name = "TASK")]
    task: Option<String>,
    /// Only messages of this type.
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<String>,
}

#[derive(Debug, clap::Args)]
struct MoveArgs {
    /// The message id, such as M-0007.
    id: String,
    /// Who makes the change, for the journal [default: ORCH_AGENT_ID, else the user name].
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
}

/// Runs a `msg` subcommand.
pub fn cmd_msg(ctx: &Context, args: &MsgArgs) -> Result<(), CliError> {
    match &args.command {
        MsgCommand::Send(args) => send(ctx, args),
        MsgCommand::List(args) => list(ctx, args),
        MsgCommand::Ack(args) => move_status(ctx, args, MessageStatus::Acknowledged, "ack"),
        MsgCommand::Resolve(args) => move_status(ctx, args, MessageStatus::Resolved, "resolve"),
    }
}

fn send(ctx: &Context, args: &SendArgs) -> Result<(), CliError> {
    let kind = MessageType::parse(&args.kind).map_err(invalid)?;
    let priority = args
        .priority
        .as_deref()
        .map(Priority::parse)
        .transpose()
        .map_err(invalid)?;
    let time = lock::now();
    let deadline = args
        .deadline
        .as_deref()
        .map(|d| deadline(d, time))
        .transpose()?;
    let body = body(ctx, args)?;
    let workspace = ctx.workspace()?;
    let task = args
        .task
        .as_deref()
        .map(|t| task_in_plan(&workspace, t))
        .transpose()?;
    let message = NewMessage {
        from: ctx.actor(args.from.as_deref()),
        to: args.to.clone(),
        kind,
        timestamp: time,
        task,
        priority,
        deadline,
        body,
    };
    let sent = messages::send(
        &workspace.messages,
        &ctx.journal(&workspace),
        ctx.lock_timeout,
        &ctx.command_line,
        &message,
    );
    let sent = match sent {
        Ok(sent) => sent,
        Err(SendError::Update(error)) => return Err(CliError::from(error)),
        Err(SendError::Journal(error)) => {
            return Err(CliError::new(ErrorKind::Io, error.to_string()));
        }
    };
    if sent.broke_lock {
        orch_plan::errln!(
            "note: broke a stale lock of {}",
            workspace.messages.display()
        );
    }
    let id = sent.message.id.map(|id| id.to_string()).unwrap_or_default();
    if ctx.json {
        super::print_json(&sent.message.to_json())?;
    } else {
        outln!("{id}");
    }
    if !sent.assigned.is_empty() {
        orch_plan::errln!(
            "note: gave ids to hand-written messages: {}",
            ids(&sent.assigned).join(", ")
        );
    }
    Ok(())
}

fn list(ctx: &Context, args: &ListArgs) -> Result<(), CliError> {
    let status = args
        .status
        .as_deref()
        .map(MessageStatus::parse)
        .transpose()
        .map_err(invalid)?;
    let kind = args
        .kind
        .as_deref()
        .map(MessageType::parse)
        .transpose()
        .map_err(invalid)?;
    let workspace = ctx.workspace()?;
    let log = MessageLog::read_file(&workspace.messages).map_err(CliError::from)?;
    let Some(log) = log else {
        return if ctx.json {
            super::print_json(&serde_json::json!([]))
        } else {
            Ok(())
        };
    };
    for diagnostic in &log.diagnostics {
        orch_plan::errln!("warning: {diagnostic}");
    }
    let same = |filter: &Option<String>, value: &str| {
        filter
            .as_deref()
            .is_none_or(|f| f.trim().eq_ignore_ascii_case(value.trim()))
    };
    let shown: Vec<&Message> = log
        .messages
        .iter()
        .filter(|m| same(&args.to, &m.to) && same(&args.from, &m.from))
        .filter(|m| same(&args.task, m.task.as_deref().unwrap_or("")))
        .filter(|m| status.is_none_or(|s| m.status.unwrap_or(MessageStatus::Sent) == s))
        .filter(|m| kind.is_none_or(|k| m.kind == Some(k)))
        .collect();
    if ctx.json {
        let messages: Vec<serde_json::Value> = shown.iter().map(|m| m.to_json()).collect();
        return super::print_json(&messages);
    }
    let rows = shown.iter().map(|m| row(m)).collect();
    out!(
        "{}",
        orch_plan::cli::table::render(
            &["ID", "Status", "Type", "From", "To", "Task", "Time", "Body"],
            rows
        )
    );
    Ok(())
}

/// One line of `msg list`: the first line of the body stands for the body.
fn row(m: &Message) -> Vec<String> {
    let or_dash = |value: Option<String>| {
        value
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "-".to_owned())
    };
    vec![
        or_dash(m.id.map(|id| id.to_string())),
        or_dash(Some(m.status.unwrap_or(MessageStatus::Sent).to_string())),
        or_dash(m.kind.map(|k| k.to_string())),
        or_dash(Some(m.from.clone())),
        or_dash(Some(m.to.clone())),
        or_dash(m.task.clone()),
        or_dash(m.timestamp.map(|t| t.minutes())),
        or_dash(
            m.body
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(str::to_owned),
        ),
    ]
}

/// `msg ack` and `msg resolve`: moves a message forward under the log's lock; moving to the
/// status it already has is an idempotent success.
fn move_status(
    ctx: &Context,
    args: &MoveArgs,
    status: MessageStatus,
    event: &str,
) -> Result<(), CliError> {
    let id = MessageId::parse(&args.id).map_err(invalid)?;
    let workspace = ctx.workspace()?;
    let path = &workspace.messages;
    let committed = atomic::update_file(path, ctx.lock_timeout, &ctx.command_line, |bytes| {
        let update = read_log(path, bytes)?.set_status(id, status)?;
        Ok::<_, MessageError>(match update.text.clone() {
            Some(text) => Change::Write(text.into_bytes(), update),
            None => Change::Keep(update),
        })
    })
    .map_err(CliError::from)?;
    let actor = ctx.actor(args.agent.as_deref());
    let update = &committed.outcome;
    let journaled = if committed.written {
        let entry = Entry {
            time: lock::now().rfc3339(),
            event: event.to_owned(),
            actor: actor.clone(),
            task: update.task.clone(),
            old: Some(update.old.to_string()),
            new: Some(update.new.to_string()),
            command: Some(ctx.command_line.clone()),
            detail: serde_json::json!({"id": update.id.to_string(), "assigned": ids(&update.assigned)}),
            ..Entry::default()
        };
        journal(ctx, &workspace, &committed, &actor, entry)
    } else {
        Ok(())
    };
    let changed = committed.written;
    let update = committed.outcome_and_release();
    if ctx.json {
        super::print_json(&serde_json::json!({
            "id": update.id.to_string(),
            "old": update.old.as_str(),
            "new": update.new.as_str(),
            "changed": changed,
        }))?;
    } else if changed {
        outln!("{}: {} -> {}", update.id, update.old, update.new);
    } else {
        outln!("{}: already {}, nothing to change", update.id, update.new);
    }
    journaled
}

fn journal<T>(
    ctx: &Context,
    workspace: &Workspace,
    committed: &Committed<T>,
    actor: &str,
    entry: Entry,
) -> Result<(), CliError> {
    let journal = ctx.journal(workspace);
    let io = |e: orch_status::journal::JournalError| CliError::new(ErrorKind::Io, e.to_string());
    if let Some(holder) = &committed.broken_lock {
        orch_plan::errln!("note: broke the stale lock of {holder}");
        journal
            .lock_broken(
                &entry.time,
                actor,
                &ctx.command_line,
                &workspace.messages,
                holder,
            )
            .map_err(io)?;
    }
    journal.append(&entry).map_err(io)
}

/// The message log from the bytes read under the lock; a missing file is an empty log.
fn read_log(path: &Path, bytes: Option<&[u8]>) -> Result<MessageLog, MessageError> {
    match bytes {
        Some(bytes) => MessageLog::from_bytes(path, bytes.to_vec()),
        None => Ok(MessageLog::parse(path, String::new())),
    }
}

/// The body from `--body`, `--body-file FILE` or `--body-file -` (standard input).
fn body(ctx: &Context, args: &SendArgs) -> Result<String, CliError> {
    if let Some(body) = &args.body {
        return Ok(body.clone());
    }
    let Some(file) = &args.body_file else {
        return Ok(String::new());
    };
    let (bytes, name) = if file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
            CliError::new(
                ErrorKind::Io,
                format!("cannot read the body from standard input: {e}"),
            )
        })?;
        (bytes, "standard input".to_owned())
    } else {
        let path = ctx.cwd.join(file);
        let bytes = std::fs::read(&path).map_err(|e| {
            CliError::new(
                ErrorKind::Io,
                format!("cannot read the body file {}: {e}", path.display()),
            )
            .with_file(&path)
        })?;
        (bytes, path.display().to_string())
    };
    String::from_utf8(bytes).map_err(|e| {
        CliError::invalid(format!(
            "the body from {name} is not UTF-8 text (at byte {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// `--deadline`: a time, or a duration from now such as `2h`; written as RFC 3339 in UTC.
fn deadline(text: &str, now: Timestamp) -> Result<String, CliError> {
    if let Ok(time) = Timestamp::parse(text) {
        return Ok(time.rfc3339());
    }
    let relative = text.trim().ends_with(|c: char| c.is_ascii_alphabetic());
    match orch_core::parse_duration(text) {
        Ok(duration) if relative => {
            Ok(Timestamp(now.0.saturating_add(duration.as_secs())).rfc3339())
        }
        _ => Err(CliError::invalid(format!(
            "cannot read --deadline {text:?}; give a time such as 2026-11-21T14:30:00Z, or a duration from now such as 2h"
        ))),
    }
}

/// Checks `--task`: a valid task id, and one the plan has when the plan can be read. Returns
/// the plan's spelling.
fn task_in_plan(workspace: &Workspace, text: &str) -> Result<String, CliError> {
    let task = TaskId::parse(text).map_err(|e| CliError::invalid(e.to_string()))?;
    let Ok(doc) = orch_status::read_plan_file(&workspace.plan) else {
        return Ok(task.to_string());
    };
    match doc.tasks.iter().find(|t| t.id == task) {
        Some(found) => Ok(found.id.to_string()),
        None => {
            let known: Vec<&str> = doc.tasks.iter().map(|t| t.id.as_str()).collect();
            Err(CliError::invalid(format!(
                "task {task} is not in the plan {}; use one of its tasks ({})",
                workspace.plan.display(),
                if known.is_empty() {
                    "it has none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
            .with_file(&workspace.plan))
        }
    }
}

fn ids(ids: &[MessageId]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn invalid(error: impl std::fmt::Display) -> CliError {
    CliError::invalid(error.to_string())
}
