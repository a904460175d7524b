//! The orch domain: validated task ids, statuses and their transitions, estimates, tasks, plans
//! and the dependency graph.
//!
//! This crate does no I/O, and does not read the clock. Everything in it is a pure function of its inputs, so the markdown
//! layer (`orch-status`) and the command-line front ends can share one definition of what a
//! valid plan is.

#![deny(missing_docs)]

mod estimate;
mod graph;
mod id;
pub mod names;
mod plan;
mod status;
mod time;

pub use estimate::{Estimate, EstimateError, parse_duration};
pub use graph::{Graph, GraphError};
pub use id::{TaskId, TaskIdError};
pub use plan::{Plan, PlanError, Task};
pub use status::{Status, StatusError};
pub use time::{Timestamp, TimestampError};
