//! Rendering `MULTI_AGENT_PLAN.md` and `INTER_AGENT_MESSAGES.md` from a [`Spec`] and the
//! templates.
//!
//! The templates are embedded in the binary; a repository may override each one by putting a
//! file of the same name in `.orch/templates/`. Every value that goes into a table cell passes
//! through the `cell` (or `code_cell`) filter, which escapes it with
//! [`orch_status::escape_cell`] so that the plan reads back exactly; a value that cannot be
//! written fails the render instead of being dropped. The rendered plan is read back before it
//! is returned, so a template that breaks the task matrix is an error, not a broken file.

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use orch_status::{Diagnostic, Diagnostics, MESSAGES_FILE, PLAN_FILE, escape_cell};

use crate::spec::Spec;

mod view;

/// The embedded plan template, `templates/MULTI_AGENT_PLAN.md`.
pub const PLAN_TEMPLATE: &str = include_str!("../../../templates/MULTI_AGENT_PLAN.md");
/// The embedded message log template, `templates/INTER_AGENT_MESSAGES.md`.
pub const MESSAGES_TEMPLATE: &str = include_str!("../../../templates/INTER_AGENT_MESSAGES.md");
/// The commented starter spec, `templates/orch.toml`, written when a repository has none.
pub const STARTER_SPEC: &str = include_str!("../../../templates/orch.toml");
/// The embedded agent brief template, `templates/PROMPT.md` (see [`crate::prompt`]).
pub const PROMPT_TEMPLATE: &str = include_str!("../../../templates/PROMPT.md");
/// The file name of the agent brief template and of its override.
pub const PROMPT_FILE: &str = "PROMPT.md";
/// Where a repository keeps its template overrides, relative to the main worktree.
pub const OVERRIDE_DIR: &str = ".orch/templates";

/// The rendered files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The text of `MULTI_AGENT_PLAN.md`.
    pub plan: String,
    /// The text of `INTER_AGENT_MESSAGES.md`.
    pub messages: String,
}

/// Why the files could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The spec does not make a valid plan for this repository.
    #[error("{0}")]
    Spec(Diagnostics),
    /// A template override exists but cannot be read.
    #[error("cannot read the template override {}: {source}; make it readable, or remove it to use the embedded template", path.display())]
    Io {
        /// The override file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A template has a syntax error or failed while rendering; the diagnostic names the
    /// template (its override path, or the embedded file) and the line.
    #[error("{0}")]
    Template(Diagnostic),
    /// The plan was rendered but its task matrix does not read back as the spec's tasks.
    #[error("{0}")]
    RoundTrip(Diagnostics),
}

impl RenderError {
    /// The problems as diagnostics, each with its file and, where known, line.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            RenderError::Spec(diagnostics) | RenderError::RoundTrip(diagnostics) => {
                diagnostics.0.clone()
            }
            RenderError::Template(diagnostic) => vec![diagnostic.clone()],
            RenderError::Io { path, .. } => vec![Diagnostic {
                file: path.clone(),
                line: None,
                column: None,
                message: self.to_string(),
            }],
        }
    }
}

/// Where the template overrides of the repository whose main worktree is `root` live.
pub fn override_dir(root: &Path) -> PathBuf {
    root.join(OVERRIDE_DIR)
}

/// Renders the plan and the message log for `spec`.
///
/// `repo_name` is the repository directory's name (it replaces `{repo}` in the worktree root),
/// `root` the main worktree (worktree paths are shown resolved against it), and `overrides`
/// the directory to look for template overrides in, usually [`override_dir`]`(root)`: a file
/// there named like an embedded template replaces it.
pub fn render(
    spec: &Spec,
    repo_name: &str,
    root: &Path,
    overrides: Option<&Path>,
) -> Result<Rendered, RenderError> {
    let plan = spec.plan(repo_name).map_err(RenderError::Spec)?;
    let context = view::build(spec, &plan, repo_name, root);
    let mut env = environment();
    let plan_name = add_template(&mut env, overrides, PLAN_FILE, PLAN_TEMPLATE)?;
    let messages_name = add_template(&mut env, overrides, MESSAGES_FILE, MESSAGES_TEMPLATE)?;
    let plan_text = render_one(&env, &plan_name, &context)?;
    let messages = render_one(&env, &messages_name, &context)?;
    check_round_trip(&plan_name, &plan_text, plan.tasks())?;
    Ok(Rendered {
        plan: plan_text,
        messages,
    })
}

/// Renders the agent brief template (or its override in `overrides`) with `context`.
pub(crate) fn render_prompt_template(
    overrides: Option<&Path>,
    context: &minijinja::Value,
) -> Result<String, RenderError> {
    let mut env = environment();
    let name = add_template(&mut env, overrides, PROMPT_FILE, PROMPT_TEMPLATE)?;
    render_one(&env, &name, context)
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("cell", cell);
    env.add_filter("code_cell", code_cell);
    env.add_filter("code", code);
    env.add_function("fence", fence);
    env
}

/// Adds the override of `file` if there is one, else the embedded template; returns the name
/// the template is known by (and reported under).
fn add_template(
    env: &mut Environment<'static>,
    overrides: Option<&Path>,
    file: &str,
    embedded: &'static str,
) -> Result<String, RenderError> {
    let (name, source) = match overrides.map(|dir| dir.join(file)) {
        Some(path) if path.is_file() => match std::fs::read_to_string(&path) {
            Ok(source) => (path.display().to_string(), source),
            Err(source) => return Err(RenderError::Io { path, source }),
        },
        _ => (format!("templates/{file} (embedded)"), embedded.to_owned()),
    };
    env.add_template_owned(name.clone(), source)
        .map_err(|e| template_error(&name, &e))?;
    Ok(name)
}

fn render_one(
    env: &Environment<'_>,
    name: &str,
    context: &minijinja::Value,
) -> Result<String, RenderError> {
    env.get_template(name)
        .and_then(|template| template.render(context))
        .map_err(|e| template_error(name, &e))
}

fn template_error(name: &str, error: &minijinja::Error) -> RenderError {
    let detail = error.detail().map_or_else(
        || error.kind().to_string(),
        |d| format!("{}: {d}", error.kind()),
    );
    let hint = match error.kind() {
        minijinja::ErrorKind::SyntaxError => "fix the template syntax at this line",
        minijinja::ErrorKind::UndefinedError => "use only the variables the embedded template uses",
        _ => "fix the template or the value it renders",
    };
    RenderError::Template(Diagnostic {
        file: PathBuf::from(error.name().unwrap_or(name)),
        line: error.line(),
        column: None,
        message: format!("{}; {hint}", detail.trim_end_matches('.')),
    })
}

/// Reads the rendered plan back and checks that its matrix holds exactly the spec's tasks, in
/// every column the template renders.
fn check_round_trip(name: &str, text: &str, tasks: &[orch_core::Task]) -> Result<(), RenderError> {
    let rendered = PathBuf::from(format!("{PLAN_FILE} (rendered from {name})"));
    let doc = orch_status::read_plan(&rendered, text.as_bytes().to_vec()).map_err(|error| {
        let mut diagnostics = error.diagnostics().to_vec();
        for d in &mut diagnostics {
            d.message = format!(
                "{}; the template must render the canonical task matrix",
                d.message
            );
        }
        RenderError::RoundTrip(Diagnostics(diagnostics))
    })?;
    // A repository's own template may leave columns out; the ones it has must be exact.
    let same = |spec: &orch_core::Task, read: &orch_core::Task| {
        use orch_status::ColumnKind as C;
        let has = |kind| doc.matrix.column(kind).is_some();
        spec.id == read.id
            && spec.status == read.status
            && (!has(C::Description) || spec.description == read.description)
            && (!has(C::AgentSkills) || (spec.agent == read.agent && spec.skills == read.skills))
            && (!has(C::Worktree) || spec.worktree == read.worktree)
            && (!has(C::Branch) || spec.branch == read.branch)
            && (!has(C::Group) || spec.group == read.group)
            && (!has(C::Dependencies) || spec.depends_on == read.depends_on)
            && (!has(C::Estimate) || spec.estimate == read.estimate)
    };
    if doc.tasks.len() == tasks.len() && tasks.iter().zip(&doc.tasks).all(|(a, b)| same(a, b)) {
        return Ok(());
    }
    let differs = tasks
        .iter()
        .zip(&doc.tasks)
        .position(|(a, b)| !same(a, b))
        .unwrap_or(tasks.len().min(doc.tasks.len()));
    let line = tasks
        .get(differs)
        .or(tasks.first())
        .and_then(|task| doc.row(&task.id))
        .map(|row| doc.lines.line(row.span.start));
    Err(RenderError::RoundTrip(Diagnostics(vec![Diagnostic {
        file: rendered,
        line,
        column: None,
        message: format!(
            "the rendered task matrix does not read back as the spec's tasks ({} rows for {} tasks, first difference at row {}); render one row per task, every value through the cell filter",
            doc.tasks.len(),
            tasks.len(),
            differs + 1
        ),
    }])))
}

fn filter_error(error: impl std::fmt::Display) -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, error.to_string())
}

/// The `cell` filter: the value escaped for a table cell; `-` for an empty value.
fn cell(value: String) -> Result<String, minijinja::Error> {
    let escaped = escape_cell(&value).map_err(filter_error)?;
    Ok(if escaped.is_empty() {
        "-".to_owned()
    } else {
        escaped
    })
}

/// The `code_cell` filter: the value as a code span in a table cell, like `` `../oauth` ``.
/// A value a code span cannot carry exactly (backticks, pipes, backslashes) is escaped as
/// plain text instead, so the cell still reads back as the value.
fn code_cell(value: String) -> Result<String, minijinja::Error> {
    let escaped = cell(value.clone())?;
    let value = value.trim();
    if value.is_empty() || value.contains(['`', '|', '\\']) {
        Ok(escaped)
    } else {
        Ok(format!("`{value}`"))
    }
}

/// The `code` filter: the value as an inline code span outside tables, with a fence longer
/// than any run of backticks in it.
fn code(value: String) -> Result<String, minijinja::Error> {
    escape_cell(&value).map_err(filter_error)?;
    let ticks = fence_len(&value, 1);
    let fence = "`".repeat(ticks);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    Ok(format!("{fence}{pad}{value}{pad}{fence}"))
}

/// The `fence` function: a fence of backticks (at least three) longer than any run of
/// backticks in `text`, for a fenced code block that holds `text`.
fn fence(text: String) -> String {
    "`".repeat(fence_len(&text, 3))
}

fn fence_len(text: &str, minimum: usize) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    minimum.max(longest + 1)
}

#[cfg(test)]
mod tests;
