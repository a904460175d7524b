//! The library behind `orch-plan`: the task spec (`orch.toml`), rendering the plan from
//! templates, and the views the commands print (diagrams, JSON reports, the live dashboard,
//! the metrics from the journal, the HTML export).
//!
//! Nothing here touches the terminal; the binary decides what to print.

#![deny(missing_docs)]

pub mod cli;
pub mod dashboard;
pub mod diagram;
pub mod export;
pub mod prompt;
pub mod render;
pub mod report;
pub mod spec;
pub mod stats;
