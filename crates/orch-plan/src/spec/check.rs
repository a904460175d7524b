//! Checks of single values of the spec: text that goes into table cells, skills, commands and
//! paths. Ids, dependencies, estimates, statuses and names are checked where tasks are built.

use std::path::{Component, Path};

use orch_core::names;
use orch_status::{Diagnostic, escape_cell, is_forbidden};
use toml::Spanned;

use super::Spec;

/// Every problem with single values of `spec`.
pub(super) fn fields(spec: &Spec) -> Vec<Diagnostic> {
    let mut out = Checker {
        spec,
        errors: Vec::new(),
    };
    out.project();
    if spec.tasks.is_empty() {
        let end = spec.text.len();
        out.errors.push(spec.at(
            &(end..end),
            "the spec has no tasks; add a [[task]] table with id, description and agent for each task".to_owned(),
        ));
    }
    for task in &spec.tasks {
        out.text("description", &task.description, true);
        out.agent(&task.agent);
        for skill in &task.skills {
            out.skill(skill);
        }
        if let Some(group) = &task.group {
            out.text("group", group, false);
        }
        if let Some(agent_id) = &task.agent_id {
            out.text("agent_id", agent_id, false);
        }
    }
    for (name, profile) in &spec.agents {
        out.argv(&format!("agents.{name}.command"), &profile.command);
    }
    for gate in &spec.integrate.gates {
        out.argv("integrate.gates", gate);
    }
    if let Some(timeout) = &spec.integrate.gate_timeout {
        match orch_core::parse_duration(timeout.get_ref().trim()) {
            Ok(d) if d.is_zero() => out.push(
                timeout,
                "integrate.gate_timeout is zero; give a duration such as \"30m\", or remove it for no limit".to_owned(),
            ),
            Ok(_) => {}
            Err(why) => out.push(
                timeout,
                format!("integrate.gate_timeout: {why}"),
            ),
        }
    }
    if let Some(hook) = &spec.hooks.on_event {
        out.argv("hooks.on_event", hook);
    }
    for command in &spec.worktree.setup {
        out.argv("worktree.setup", command);
    }
    for path in &spec.worktree.copy {
        out.copy_path(path);
    }
    if let Some(base_from) = &spec.worktree.base_from {
        let text = base_from.get_ref().trim();
        if !super::BASE_FROM_VALUES.contains(&text) {
            out.push(
                base_from,
                format!("worktree.base_from {text:?} is not known; write \"base\" (start from the base branch) or \"dependencies\" (start from the Completed dependencies' branches)"),
            );
        }
    }
    out.errors
}

/// Whether `prefix` can start a branch name (an empty prefix can).
pub(super) fn prefix_ok(prefix: &str) -> bool {
    prefix.is_empty() || names::check_branch(&format!("{prefix}x")).is_ok()
}

struct Checker<'s> {
    spec: &'s Spec,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn push(&mut self, value: &Spanned<impl Sized>, message: String) {
        self.errors.push(self.spec.at(&value.span(), message));
    }

    fn project(&mut self) {
        let project = &self.spec.project;
        self.text("name", &project.name, true);
        for (key, value) in [
            ("created", &project.created),
            ("orchestrator", &project.orchestrator),
            ("model", &project.model),
        ] {
            if let Some(value) = value {
                self.text(key, value, true);
            }
        }
        if let Some(objective) = &project.objective
            && let Some(c) = objective
                .get_ref()
                .chars()
                .find(|&c| c != '\n' && c != '\r' && is_forbidden(c))
        {
            self.push(
                objective,
                format!(
                    "objective contains the control or bidirectional character U+{:04X}; remove it",
                    c as u32
                ),
            );
        }
        if let Some(base) = &project.base
            && let Err(e) = names::check_branch(base.get_ref().trim())
        {
            self.push(base, format!("base: {e}"));
        }
        if let Some(root) = &project.worktree_root
            && let Err(e) = names::check_worktree_path(root.get_ref().trim())
        {
            self.push(root, format!("worktree_root: {e}"));
        }
        if let Some(prefix) = &project.branch_prefix {
            let prefix_text = prefix.get_ref().trim();
            if !prefix_ok(prefix_text) {
                self.push(
                    prefix,
                    format!("branch_prefix {prefix_text:?} does not start a valid branch name; use letters, digits, '.', '_', '-' and '/' such as feature/"),
                );
            }
        }
    }

    /// A value written into a table cell or the title block: one line, no control characters,
    /// and (when `required`) not empty.
    fn text(&mut self, key: &str, value: &Spanned<String>, required: bool) {
        if let Err(e) = escape_cell(value.get_ref()) {
            self.push(value, format!("{key}: {e}"));
        } else if required && value.get_ref().trim().is_empty() {
            self.push(value, format!("{key} is empty; write a value"));
        }
    }

    fn agent(&mut self, agent: &Spanned<String>) {
        self.text("agent", agent, true);
        let text = agent.get_ref().trim();
        if text.contains('/') {
            self.push(agent, format!("agent {text:?} contains '/', which separates the role from the skills in the Agent/Skills column; write the role without '/' and list skills in skills = [...]"));
        } else if text == "-" {
            self.push(
                agent,
                "agent \"-\" reads as no agent; name the agent role, such as Builder".to_owned(),
            );
        }
    }

    fn skill(&mut self, skill: &Spanned<String>) {
        self.text("skills", skill, true);
        let text = skill.get_ref().trim();
        if text.contains(',') {
            self.push(skill, format!("skill {text:?} contains ',', which separates skills in the Agent/Skills column; give each skill its own string in skills = [...]"));
        }
    }

    fn argv(&mut self, key: &str, argv: &Spanned<Vec<String>>) {
        match argv.get_ref().first() {
            None => self.push(argv, format!("{key} has an empty command; write the program and its arguments, such as [\"cargo\", \"test\"]")),
            Some(program) if program.trim().is_empty() => {
                self.push(argv, format!("{key} has an empty program name; put the program first, such as [\"cargo\", \"test\"]"))
            }
            Some(_) => {
                if let Some(c) = argv.get_ref().iter().flat_map(|a| a.chars()).find(|&c| c == '\0') {
                    self.push(argv, format!("{key} has an argument with the character U+{:04X}; remove it", c as u32));
                }
            }
        }
    }

    fn copy_path(&mut self, path: &Spanned<String>) {
        let text = path.get_ref();
        let fix = "list a path relative to the main worktree, such as .env";
        if text.trim().is_empty() {
            self.push(path, format!("worktree.copy has an empty path; {fix}"));
        } else if text.chars().any(is_forbidden) {
            self.push(
                path,
                format!("worktree.copy path {text:?} contains a control character; {fix}"),
            );
        } else if Path::new(text)
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            self.push(path, format!("worktree.copy path {text:?} leaves the worktree (absolute, or with '..'); {fix}"));
        }
    }
}
