//! flightdeck: a terminal cockpit for operating AWS production environments
//! built on ECS. See `ARCHITECTURE.md` for the map.

pub mod clock;
pub mod model;
pub mod provider;
pub mod sim;
pub mod app;
pub mod engine;
