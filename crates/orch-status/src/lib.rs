//! Markdown ⇄ domain for orch: reads the plan's task matrix with the byte range of every cell,
//! and finds the canonical plan through git's common dir.
//!
//! The reader never changes a byte. It records where each cell sits in the file so that writers
//! can later splice single cells and leave everything else exactly as it was.

#![deny(missing_docs)]

pub mod atomic;
mod diagnostic;
pub mod edit;
mod escape;
pub mod format;
pub mod journal;
mod locate;
pub mod lock;
mod matrix;
pub mod messages;
pub mod sections;
pub mod store;
pub mod summary;
mod table;

pub use diagnostic::{Diagnostic, Diagnostics, LineIndex};
pub use escape::{CellError, escape_cell, is_forbidden};
pub use locate::{LocateError, MESSAGES_FILE, PLAN_FILE, Workspace, locate};
pub use matrix::{Column, ColumnKind, Matrix, PlanDoc, ReadError, read_plan, read_plan_file};
pub use table::{Cell, Row, Table, tables};
