//! The integration tests, as one test binary: each file of this directory
//! is a module of it. Every test binary links the AWS SDK again, so a new
//! test file goes here, never in `tests/*.rs` (`tidy` refuses one).

mod common;

mod actions;
mod actions_tui;
mod aws;
mod bad_input;
mod cli;
mod commands;
mod discovery;
mod drills;
mod engine;
mod one_off;
mod ops;
mod pty;
mod recording;
mod revisions;
mod runbooks;
mod scenarios;
mod snapshots;
mod strategies;
mod team;
mod terminal_safety;
mod tidy;
mod tidy_circles;
mod timeline;
mod update;
mod writes_tui;
