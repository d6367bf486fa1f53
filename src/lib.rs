//! flightdeck: a terminal cockpit for operating AWS production environments
//! built on ECS. See `ARCHITECTURE.md` for the map.
//!
//! This crate is the binary's own layer (command line, configuration,
//! session, runtime); the layers below are crates of their own, re-exported
//! here under their old module names for the tests and benchmarks.

pub mod attach;
pub mod cli;
pub mod config;
pub mod forwards;
pub mod frames;
pub mod input;
pub mod options;
pub mod output;
pub mod runtime;
pub mod session;

#[cfg(feature = "aws")]
pub use flightdeck_aws as aws;
pub use flightdeck_core::{engine, ops, provider, timeline, triage};
pub use flightdeck_model as model;
pub use flightdeck_model::{clock, text};
pub use flightdeck_sim as sim;
pub use flightdeck_tui::{app, diagnostic, recording, theme, ui};
