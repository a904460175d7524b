//! The library behind `orch-plan`: the task spec (`orch.toml`), rendering the plan from
//! templates, and the views the commands print (diagrams, JSON reports).
//!
//! Nothing here touches the terminal; the binary decides what to print.

#![deny(missing_docs)]

pub mod cli;
pub mod diagram;
pub mod render;
pub mod report;
pub mod spec;
