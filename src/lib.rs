//! flightdeck: a terminal cockpit for operating AWS production environments
//! built on ECS. See `ARCHITECTURE.md` for the map.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod model;
pub mod ops;
pub mod provider;
pub mod runtime;
pub mod session;
pub mod sim;
pub mod text;
pub mod theme;
pub mod ui;
