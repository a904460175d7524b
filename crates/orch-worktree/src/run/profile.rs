//! Which argv each task's agent runs: the command after `--`, the `[agents.NAME]` profile
//! named by `--agent`, or the profile whose name matches the task's Agent cell.

use std::collections::{BTreeMap, HashMap};

use orch_core::{Plan, TaskId};
use orch_plan::spec::Spec;

use crate::{Error, Problem, Result, Session};

/// Where the agent command comes from.
#[derive(Clone, Debug)]
pub enum AgentCommand {
    /// The argv given after `--`, for every task.
    Explicit(Vec<String>),
    /// The `[agents.NAME]` profile of this name, for every task.
    Profile(String),
    /// For each task, the profile whose name matches its agent role, ignoring case.
    ByRole,
}

/// The argv (placeholders not yet filled) of every selected task, checked before anything
/// starts: a missing profile is an error naming the tasks and the profiles there are.
pub fn resolve_commands(
    session: &Session,
    plan: &Plan,
    selected: &[TaskId],
    command: &AgentCommand,
) -> Result<HashMap<TaskId, Vec<String>>> {
    if let AgentCommand::Explicit(argv) = command {
        if argv.is_empty() {
            return Err(refused("the agent command after `--` is empty"));
        }
        return Ok(selected
            .iter()
            .map(|id| (id.clone(), argv.clone()))
            .collect());
    }
    let profiles: BTreeMap<String, Vec<String>> = load_spec(session)?
        .map(|spec| {
            spec.agents
                .into_iter()
                .map(|(name, profile)| (name, profile.command.into_inner()))
                .collect()
        })
        .unwrap_or_default();
    let known = || {
        if profiles.is_empty() {
            "orch.toml defines no [agents.NAME] profile".to_owned()
        } else {
            format!(
                "the profiles are: {}",
                profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    let find = |name: &str| {
        profiles
            .iter()
            .find(|(profile, _)| profile.eq_ignore_ascii_case(name.trim()))
            .map(|(_, argv)| argv.clone())
    };
    let mut out = HashMap::new();
    let mut missing: Vec<String> = Vec::new();
    for id in selected {
        let role = match command {
            AgentCommand::Profile(name) => name.clone(),
            _ => plan.get(id).map(|t| t.agent.clone()).unwrap_or_default(),
        };
        match find(&role) {
            Some(argv) if !argv.is_empty() => {
                out.insert(id.clone(), argv);
            }
            Some(_) => missing.push(format!("{id} (profile {role} has an empty command)")),
            None => missing.push(format!("{id} (agent {role:?})")),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    Err(refused(&format!(
        "no agent command for {}; {}; add an [agents.NAME] profile to orch.toml, choose one with --agent PROFILE, or give the command after `--`",
        missing.join(", "),
        known()
    )))
}

/// The `[hooks] on_event` argv of `orch.toml`, if there is one.
pub fn event_hook(session: &Session) -> Result<Option<Vec<String>>> {
    Ok(load_spec(session)?
        .and_then(|spec| spec.hooks.on_event)
        .map(|argv| argv.into_inner())
        .filter(|argv| !argv.is_empty()))
}

/// The spec, `orch.toml` at the main worktree's root, if there is one.
fn load_spec(session: &Session) -> Result<Option<Spec>> {
    let file = session.layout.main_root.join("orch.toml");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(Error::Io {
                what: "cannot read the spec".to_owned(),
                path: file,
                source,
            });
        }
    };
    Spec::parse(&file, &text).map(Some).map_err(Error::Spec)
}

fn refused(message: &str) -> Error {
    Error::Refused(vec![Problem::NothingSelected(message.to_owned())])
}
