//! flightdeck: a terminal cockpit for operating AWS production environments
//! built on ECS. See `ARCHITECTURE.md` for the map.

pub mod clock;
pub mod diagnostic;
pub mod model;
pub mod provider;
pub mod sim;
pub mod text;
pub mod theme;
pub mod ui;
pub mod app;
pub mod engine;
