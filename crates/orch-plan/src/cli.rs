//! The plumbing the orch binaries share: the command context, errors and their exit codes (in
//! one place), and plain-text tables. Nothing here prints; the binaries do.

pub mod context;
pub mod error;
pub mod table;

pub use context::{Context, read_plan_at};
pub use error::{CliError, ErrorKind};

/// Encodes a value as pretty JSON for stdout.
pub fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| CliError::new(ErrorKind::Io, format!("cannot encode JSON output: {e}")))
}
