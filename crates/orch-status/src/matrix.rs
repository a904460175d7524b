//! The task matrix: the first table whose header has both `Task ID` and `Status`.

use std::path::{Path, PathBuf};

use orch_core::{Estimate, Plan, PlanError, Status, Task, TaskId, names};

use crate::diagnostic::{Diagnostic, Diagnostics, LineIndex};
use crate::table::{Cell, Row, Table};

/// The columns orch understands. Others are kept untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// `Task ID`
    TaskId,
    /// `Description`
    Description,
    /// `Agent/Skills`
    AgentSkills,
    /// `Worktree`
    Worktree,
    /// `Branch`
    Branch,
    /// `Parallel Group`
    Group,
    /// `Status`
    Status,
    /// `Dependencies`
    Dependencies,
    /// `Estimate`
    Estimate,
}

impl ColumnKind {
    /// Every kind, in the canonical column order.
    pub const ALL: [ColumnKind; 9] = [
        ColumnKind::TaskId,
        ColumnKind::Description,
        ColumnKind::AgentSkills,
        ColumnKind::Worktree,
        ColumnKind::Branch,
        ColumnKind::Group,
        ColumnKind::Status,
        ColumnKind::Dependencies,
        ColumnKind::Estimate,
    ];

    /// The canonical header text.
    pub fn header(self) -> &'static str {
        match self {
            ColumnKind::TaskId => "Task ID",
            ColumnKind::Description => "Description",
            ColumnKind::AgentSkills => "Agent/Skills",
            ColumnKind::Worktree => "Worktree",
            ColumnKind::Branch => "Branch",
            ColumnKind::Group => "Parallel Group",
            ColumnKind::Status => "Status",
            ColumnKind::Dependencies => "Dependencies",
            ColumnKind::Estimate => "Estimate",
        }
    }

    /// Recognises a header, ignoring case, spacing and a few common variants.
    pub fn from_header(text: &str) -> Option<ColumnKind> {
        let key: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '/'))
            .collect::<String>()
            .to_lowercase();
        Some(match key.as_str() {
            "taskid" | "id" | "task" => ColumnKind::TaskId,
            "description" => ColumnKind::Description,
            "agentskills" | "agent" | "agents" => ColumnKind::AgentSkills,
            "worktree" => ColumnKind::Worktree,
            "branch" => ColumnKind::Branch,
            "parallelgroup" | "group" => ColumnKind::Group,
            "status" => ColumnKind::Status,
            "dependencies" | "dependson" | "deps" => ColumnKind::Dependencies,
            "estimate" => ColumnKind::Estimate,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A header cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The header as written.
    pub name: String,
    /// What orch reads from the column, if anything.
    pub kind: Option<ColumnKind>,
}

/// The task matrix with its columns and the byte range of every cell.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The table itself.
    pub table: Table,
    /// The header cells, in file order.
    pub columns: Vec<Column>,
    positions: [Option<usize>; 9],
}

impl Matrix {
    /// The position of the column of `kind`, if the matrix has one.
    pub fn column(&self, kind: ColumnKind) -> Option<usize> {
        self.positions[kind.index()]
    }

    /// The cell of `row` in the column of `kind`.
    pub fn cell<'r>(&self, row: &'r Row, kind: ColumnKind) -> Option<&'r Cell> {
        self.column(kind).and_then(|i| row.cells.get(i))
    }
}

/// A plan file that was read: its text, its matrix and the tasks of the matrix's rows.
#[derive(Clone, Debug)]
pub struct PlanDoc {
    /// The file the plan was read from.
    pub path: PathBuf,
    /// The whole file, BOM included; every span indexes into it.
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
    /// The task matrix.
    pub matrix: Matrix,
    /// One task per matrix row, in file order.
    pub tasks: Vec<Task>,
}

/// Why a plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read at all.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid plan.
    #[error("{0}")]
    Invalid(Diagnostics),
}

impl ReadError {
    /// The diagnostics, if the file was read.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ReadError::Io { .. } => &[],
            ReadError::Invalid(diagnostics) => &diagnostics.0,
        }
    }
}

/// Reads and parses the plan at `path`.
pub fn read_plan_file(path: &Path) -> Result<PlanDoc, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_plan(path, bytes)
}

/// Parses the bytes of a plan. `path` is used in diagnostics.
pub fn read_plan(path: &Path, bytes: Vec<u8>) -> Result<PlanDoc, ReadError> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.as_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let (line, column) = LineIndex::new(&prefix).position(&prefix, valid);
            return Err(invalid(
                path,
                Some((line, column)),
                format!(
                    "the plan is not UTF-8 text (byte 0x{:02x}); save it as UTF-8 markdown",
                    bytes[valid]
                ),
            ));
        }
    };
    let lines = LineIndex::new(&text);
    if let Some(nul) = text.find('\0') {
        let at = lines.position(&text, nul);
        return Err(invalid(path, Some(at), "the plan contains a NUL byte, so it is not a markdown text file; check that --plan names the right file".to_owned()));
    }
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let reader = Reader {
        path,
        text: &text,
        lines: &lines,
    };
    let matrix = reader.find_matrix(&text[bom..], bom)?;
    let tasks = reader.tasks(&matrix)?;
    Ok(PlanDoc {
        path: path.to_owned(),
        text,
        lines,
        matrix,
        tasks,
    })
}

fn invalid(path: &Path, at: Option<(usize, usize)>, message: String) -> ReadError {
    ReadError::Invalid(Diagnostics(vec![Diagnostic {
        file: path.to_owned(),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        message,
    }]))
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    lines: &'a LineIndex,
}

impl Reader<'_> {
    fn at(&self, offset: usize, message: String) -> Diagnostic {
        let (line, column) = self.lines.position(self.text, offset);
        Diagnostic {
            file: self.path.to_owned(),
            line: Some(line),
            column: Some(column),
            message,
        }
    }

    fn find_matrix(&self, body: &str, base: usize) -> Result<Matrix, ReadError> {
        let is_matrix = |values: &[&str]| {
            let has = |k| values.iter().any(|v| ColumnKind::from_header(v) == Some(k));
            has(ColumnKind::TaskId) && has(ColumnKind::Status)
        };
        if let Some(table) = Table::find(body, base, is_matrix) {
            let kinds: Vec<Option<ColumnKind>> = table
                .header
                .cells
                .iter()
                .map(|c| ColumnKind::from_header(c.value(self.text)))
                .collect();
            let mut positions = [None; 9];
            let mut errors = Vec::new();
            for (i, kind) in kinds.iter().enumerate() {
                let Some(kind) = kind else { continue };
                if let Some(first) = positions[kind.index()] {
                    let cell: &Cell = &table.header.cells[i];
                    errors.push(self.at(cell.content.start, format!(
                        "the matrix has two {:?} columns (columns {} and {}); remove or rename one",
                        kind.header(), first + 1, i + 1
                    )));
                } else {
                    positions[kind.index()] = Some(i);
                }
            }
            if !errors.is_empty() {
                return Err(ReadError::Invalid(Diagnostics(errors)));
            }
            let columns = table
                .header
                .cells
                .iter()
                .zip(kinds)
                .map(|(cell, kind)| Column {
                    name: cell.value(self.text).to_owned(),
                    kind,
                })
                .collect();
            return Ok(Matrix {
                table,
                columns,
                positions,
            });
        }
        // Point at a line that looks like a matrix header but did not parse as a table.
        let mut offset = base;
        for line in body.split_inclusive('\n') {
            let lower = line.to_lowercase();
            if line.trim_start().starts_with('|')
                && lower.contains("task id")
                && lower.contains("status")
            {
                return Err(ReadError::Invalid(Diagnostics(vec![self.at(offset,
                    "this looks like the task matrix's header, but no table starts here; put a delimiter row such as |---|---| with one cell per column right below it".to_owned())])));
            }
            offset += line.len();
        }
        Err(invalid(self.path, Some((1, 1)),
            "no task matrix found: the plan needs a table whose header has \"Task ID\" and \"Status\" columns; run `orch-plan init` to create one, or see templates/MULTI_AGENT_PLAN.md".to_owned()))
    }

    fn tasks(&self, matrix: &Matrix) -> Result<Vec<Task>, ReadError> {
        let width = matrix.columns.len();
        let mut tasks = Vec::with_capacity(matrix.table.rows.len());
        let mut errors = Vec::new();
        for row in &matrix.table.rows {
            let have = width - row.missing + row.extra;
            if row.missing > 0 || row.extra > 0 {
                let hint = if row.extra > 0 {
                    "remove the extra cells, or write a | inside a value as \\|"
                } else {
                    "add the missing cells (write - for an empty value)"
                };
                errors.push(self.at(
                    row.span.start,
                    format!("this matrix row has {have} cells but the header has {width}; {hint}"),
                ));
                continue;
            }
            match self.task(matrix, row) {
                Ok(task) => tasks.push(task),
                Err(mut row_errors) => errors.append(&mut row_errors),
            }
        }
        if errors.is_empty() {
            Ok(tasks)
        } else {
            Err(ReadError::Invalid(Diagnostics(errors)))
        }
    }

    fn task(&self, matrix: &Matrix, row: &Row) -> Result<Task, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let value = |kind| {
            matrix
                .cell(row, kind)
                .map_or("", |c: &Cell| c.value(self.text))
        };
        let place = |kind| {
            matrix
                .cell(row, kind)
                .map_or(row.span.start, |c: &Cell| c.content.start)
        };
        let optional = |kind| {
            let v = value(kind);
            if v == "-" {
                String::new()
            } else {
                v.to_owned()
            }
        };

        let id = TaskId::parse(value(ColumnKind::TaskId))
            .map_err(|e| errors.push(self.at(place(ColumnKind::TaskId), e.to_string())));
        let status = Status::parse(value(ColumnKind::Status))
            .map_err(|e| errors.push(self.at(place(ColumnKind::Status), e.to_string())));
        let estimate = Estimate::parse(value(ColumnKind::Estimate))
            .map_err(|e| errors.push(self.at(place(ColumnKind::Estimate), e.to_string())));
        let mut depends_on = Vec::new();
        let deps = value(ColumnKind::Dependencies);
        if !(deps.is_empty() || deps == "-") {
            for piece in deps.split(',') {
                match TaskId::parse(piece.trim()) {
                    Ok(dep) => depends_on.push(dep),
                    Err(e) => errors.push(self.at(place(ColumnKind::Dependencies), format!(
                        "in dependencies {deps:?}: {e}; separate ids with commas, or write - for none"
                    ))),
                }
            }
        }
        let worktree = optional(ColumnKind::Worktree);
        if !worktree.is_empty()
            && let Err(e) = names::check_worktree_path(&worktree)
        {
            errors.push(self.at(place(ColumnKind::Worktree), e.to_string()));
        }
        let branch = optional(ColumnKind::Branch);
        if !branch.is_empty()
            && let Err(e) = names::check_branch(&branch)
        {
            errors.push(self.at(place(ColumnKind::Branch), e.to_string()));
        }
        let (agent, skills) = split_agent(value(ColumnKind::AgentSkills));
        match (id, status, estimate) {
            (Ok(id), Ok(status), Ok(estimate)) if errors.is_empty() => Ok(Task {
                id,
                description: value(ColumnKind::Description).to_owned(),
                agent,
                skills,
                worktree,
                branch,
                group: optional(ColumnKind::Group),
                status,
                depends_on,
                estimate,
            }),
            _ => Err(errors),
        }
    }
}

/// Splits `Architect / architecture-skill, api-design-skill` into the role and the skills.
fn split_agent(cell: &str) -> (String, Vec<String>) {
    if cell == "-" {
        return (String::new(), Vec::new());
    }
    match cell.split_once('/') {
        Some((agent, skills)) => (
            agent.trim().to_owned(),
            skills
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => (cell.trim().to_owned(), Vec::new()),
    }
}

impl PlanDoc {
    /// The row of the first task with this id.
    pub fn row(&self, id: &TaskId) -> Option<&Row> {
        self.tasks
            .iter()
            .position(|t| &t.id == id)
            .map(|i| &self.matrix.table.rows[i])
    }

    /// Checks the tasks as a whole (unique ids, known dependencies, no cycle) and builds the
    /// plan, or returns every problem, each at the row it concerns, in file order.
    pub fn plan(&self) -> Result<Plan, Diagnostics> {
        Plan::try_new(self.tasks.clone()).map_err(|(_, errors)| self.locate_errors(&errors))
    }

    /// Like [`PlanDoc::plan`], but moves the tasks into the plan instead of copying them: the
    /// cheaper choice for commands that only read. The document keeps its text and spans.
    pub fn into_plan(mut self) -> Result<(Plan, PlanDoc), Diagnostics> {
        let tasks = std::mem::take(&mut self.tasks);
        match Plan::try_new(tasks) {
            Ok(plan) => Ok((plan, self)),
            Err((tasks, errors)) => {
                self.tasks = tasks;
                Err(self.locate_errors(&errors))
            }
        }
    }

    fn locate_errors(&self, errors: &[PlanError]) -> Diagnostics {
        let mut found: Vec<Diagnostic> = errors
            .iter()
            .map(|error| self.locate_error(error))
            .collect();
        found.sort_by_key(|d| (d.line, d.column));
        Diagnostics(found)
    }

    fn locate_error(&self, error: &PlanError) -> Diagnostic {
        let id = error.task();
        let (row, kind) = match error {
            // The later row is the one to fix.
            PlanError::DuplicateId { .. } => (
                self.tasks.iter().rposition(|t| &t.id == id),
                ColumnKind::TaskId,
            ),
            // Ids compare ignoring case, so with duplicates the row is the one that lists
            // the offending dependency.
            PlanError::UnknownDependency { dependency, .. } => (
                self.tasks
                    .iter()
                    .position(|t| &t.id == id && t.depends_on.contains(dependency)),
                ColumnKind::Dependencies,
            ),
            PlanError::SelfDependency(_) => (
                self.tasks
                    .iter()
                    .position(|t| &t.id == id && t.depends_on.contains(id)),
                ColumnKind::Dependencies,
            ),
            PlanError::Cycle(_) => (
                self.tasks.iter().position(|t| &t.id == id),
                ColumnKind::Dependencies,
            ),
        };
        let offset = row.map_or(self.matrix.table.span.start, |i| {
            let row = &self.matrix.table.rows[i];
            self.matrix
                .cell(row, kind)
                .map_or(row.span.start, |c| c.content.start)
        });
        let (line, column) = self.lines.position(&self.text, offset);
        Diagnostic {
            file: self.path.clone(),
            line: Some(line),
            column: Some(column),
            message: error.to_string(),
        }
    }
}
