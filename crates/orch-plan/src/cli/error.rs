//! Every error a command can end with, and the one place that maps error kinds to exit codes
//! and renders them (human text or `--json`). The binaries print what this renders.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use orch_status::{Diagnostic, LocateError, ReadError};

/// What kind of failure ended the command; decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input: a malformed plan or spec, an unknown task, a refused value. Exit 1.
    Invalid,
    /// The plan is readable but fails validation (`check`). Exit 1.
    Validation,
    /// Reading or writing a file failed. Exit 1.
    Io,
    /// Git failed. Exit 1.
    Git,
    /// The command line itself is wrong. Exit 2.
    Usage,
    /// A compare-and-swap was lost, a lock timed out, a merge conflicted: retryable. Exit 3.
    Conflict,
    /// A validation gate failed. Exit 4.
    Gate,
}

impl ErrorKind {
    /// The exit code DESIGN.md assigns to this kind.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Invalid | ErrorKind::Validation | ErrorKind::Io | ErrorKind::Git => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Conflict => 3,
            ErrorKind::Gate => 4,
        }
    }

    /// The name used in `--json` errors.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::Validation => "validation",
            ErrorKind::Io => "io",
            ErrorKind::Git => "git",
            ErrorKind::Usage => "usage",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Gate => "gate",
        }
    }
}

/// An error that ends a command.
#[derive(Debug)]
pub struct CliError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// What went wrong and how to fix it, without a trailing period.
    pub message: String,
    /// The file the error is about, if any.
    pub file: Option<PathBuf>,
    /// Each problem found, with its place, when there are several.
    pub diagnostics: Vec<Diagnostic>,
}

impl CliError {
    /// A new error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            message: message.into(),
            file: None,
            diagnostics: Vec::new(),
        }
    }

    /// Bad input (exit 1).
    pub fn invalid(message: impl Into<String>) -> CliError {
        CliError::new(ErrorKind::Invalid, message)
    }

    /// Names the file the error is about.
    pub fn with_file(mut self, path: &Path) -> CliError {
        self.file = Some(path.to_owned());
        self
    }

    /// An error made of diagnostics, such as the problems `check` found.
    pub fn from_diagnostics(kind: ErrorKind, diagnostics: Vec<Diagnostic>) -> CliError {
        let message = match diagnostics.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} problems found", many.len()),
        };
        let file = diagnostics.first().map(|d| d.file.clone());
        CliError {
            kind,
            message,
            file,
            diagnostics,
        }
    }

    fn first_line(&self) -> Option<usize> {
        self.diagnostics.first().and_then(|d| d.line)
    }

    /// The text to print on stderr (human or JSON) and the exit code.
    pub fn render(&self, json: bool) -> (String, ExitCode) {
        let text = if json {
            self.to_json()
        } else {
            self.to_human()
        };
        (text, ExitCode::from(self.kind.exit_code()))
    }

    fn to_human(&self) -> String {
        let mut out = String::new();
        if self.diagnostics.is_empty() {
            let _ = write!(out, "error: {}", self.message);
        } else {
            for (i, d) in self.diagnostics.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                let _ = write!(out, "error: {d}");
            }
            if self.diagnostics.len() > 1 {
                let _ = write!(out, "\nerror: {} problems found", self.diagnostics.len());
            }
        }
        out
    }

    fn to_json(&self) -> String {
        let diagnostics: Vec<serde_json::Value> = self
            .diagnostics
            .iter()
            .map(|d| {
                serde_json::json!({
                    "file": d.file.display().to_string(),
                    "line": d.line,
                    "column": d.column,
                    "message": d.message,
                })
            })
            .collect();
        let first = self.diagnostics.first();
        serde_json::json!({
            "error": {
                "kind": self.kind.name(),
                "message": self.message,
                "file": self.file.as_ref().map(|f| f.display().to_string()),
                "line": self.first_line(),
                "column": first.and_then(|d| d.column),
                "diagnostics": diagnostics,
            }
        })
        .to_string()
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<LocateError> for CliError {
    fn from(error: LocateError) -> CliError {
        let kind = match error {
            LocateError::Git { .. } => ErrorKind::Git,
            _ => ErrorKind::Invalid,
        };
        CliError::new(kind, error.to_string())
    }
}

impl From<ReadError> for CliError {
    fn from(error: ReadError) -> CliError {
        match error {
            ReadError::Io { ref path, .. } => {
                let path = path.clone();
                CliError::new(ErrorKind::Io, error.to_string()).with_file(&path)
            }
            ReadError::Invalid(diagnostics) => {
                CliError::from_diagnostics(ErrorKind::Invalid, diagnostics.0)
            }
        }
    }
}

impl From<orch_status::store::StoreError> for CliError {
    fn from(error: orch_status::store::StoreError) -> CliError {
        use orch_status::store::StoreError;
        match error {
            StoreError::Read(error) => CliError::from(error),
            StoreError::Invalid(problems) => {
                CliError::from_diagnostics(ErrorKind::Validation, problems.0)
            }
            StoreError::Io { ref path, .. }
            | StoreError::NoPlan(ref path)
            | StoreError::ReadOnly(ref path) => {
                let path = path.clone();
                let kind = if matches!(error, StoreError::Io { .. }) {
                    ErrorKind::Io
                } else {
                    ErrorKind::Invalid
                };
                CliError::new(kind, error.to_string()).with_file(&path)
            }
            StoreError::Journal(_) => CliError::new(ErrorKind::Io, error.to_string()),
            error if error.is_conflict() => CliError::new(ErrorKind::Conflict, error.to_string()),
            error => CliError::new(ErrorKind::Invalid, error.to_string()),
        }
    }
}

impl From<orch_status::messages::MessageError> for CliError {
    fn from(error: orch_status::messages::MessageError) -> CliError {
        use orch_status::messages::MessageError;
        let kind = match error {
            MessageError::Io { .. } => ErrorKind::Io,
            _ => ErrorKind::Invalid,
        };
        let file = match &error {
            MessageError::NotUtf8 { path, .. }
            | MessageError::Io { path, .. }
            | MessageError::UnknownId { path, .. }
            | MessageError::DuplicateId { path, .. }
            | MessageError::Backwards { path, .. }
            | MessageError::UnreadableStatus { path, .. }
            | MessageError::IdsExhausted { path } => Some(path.clone()),
            _ => None,
        };
        let cli = CliError::new(kind, error.to_string());
        match file {
            Some(path) => cli.with_file(&path),
            None => cli,
        }
    }
}

/// An atomic update that did not happen: a lock that stayed busy and a file that kept changing
/// are contention (exit 3, safe to retry); a refused edit keeps its own kind; the rest is I/O.
impl<E: Into<CliError> + std::fmt::Display> From<orch_status::atomic::UpdateError<E>> for CliError {
    fn from(error: orch_status::atomic::UpdateError<E>) -> CliError {
        use orch_status::atomic::UpdateError;
        use orch_status::lock::LockError;
        match error {
            UpdateError::Edit(error) => error.into(),
            UpdateError::Lock(error @ LockError::Timeout { .. }) => {
                CliError::new(ErrorKind::Conflict, error.to_string())
            }
            UpdateError::Contended(ref path) => {
                let path = path.clone();
                CliError::new(ErrorKind::Conflict, error.to_string()).with_file(&path)
            }
            UpdateError::Lock(error) => CliError::new(ErrorKind::Io, error.to_string()),
            UpdateError::ReadOnly(ref path) | UpdateError::Io { ref path, .. } => {
                let path = path.clone();
                CliError::new(ErrorKind::Io, error.to_string()).with_file(&path)
            }
        }
    }
}

impl From<clap::Error> for CliError {
    fn from(error: clap::Error) -> CliError {
        CliError::new(ErrorKind::Usage, error.to_string().trim_end().to_owned())
    }
}
