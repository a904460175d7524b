//! End-to-end tests: the real binaries on real git repositories in temp dirs.

mod dogfood;
mod plan_errors;
mod plan_init;
mod plan_locate;
mod plan_read;
