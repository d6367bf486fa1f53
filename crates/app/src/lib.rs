//! flightdeck's application layer: the resolved options of a run, its
//! configuration, the session of environments and providers, the cockpit's
//! runtime (terminal, event loop, effects carried out, recording, replay),
//! and what every command does. The binary parses the command line and
//! calls in here; nothing here sees clap. See `ARCHITECTURE.md` for the map.

pub mod actions;
pub mod attach;
pub mod commands;
pub mod config;
pub mod discover;
pub mod forwards;
pub mod frames;
pub mod input;
pub mod last_known;
pub mod options;
pub mod output;
pub mod runtime;
pub mod session;
pub mod team;
