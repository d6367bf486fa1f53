//! flightdeck: a terminal cockpit for operating AWS production environments
//! built on ECS. See `ARCHITECTURE.md` for the map.
//!
//! This crate is the binary's own layer: the command line (`cli`: the clap
//! definitions and the dispatch to the application's commands). The
//! application layer (`flightdeck-app`: options, configuration, session,
//! runtime, commands) and the layers below it are crates of their own,
//! re-exported here under their module names for the tests and benchmarks.

pub mod cli;

pub use flightdeck_app::{
    actions, attach, commands, config, forwards, frames, input, last_known, options, output,
    runtime, session, team,
};
#[cfg(feature = "aws")]
pub use flightdeck_aws as aws;
pub use flightdeck_core::{action, engine, lease, ops, provider, timeline, triage};
pub use flightdeck_model as model;
pub use flightdeck_model::{clock, text};
pub use flightdeck_sim as sim;
pub use flightdeck_tui::{app, diagnostic, recording, theme, ui};
