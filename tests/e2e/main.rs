//! End-to-end tests: the real binaries on real git repositories in temp dirs.

mod coordination;
mod dogfood;
mod integrate;
mod messages;
mod plan_errors;
mod plan_fmt;
mod plan_init;
mod plan_locate;
mod plan_read;
mod plan_stats;
mod plan_views;
mod run;
mod worktrees;
