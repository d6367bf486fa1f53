//! The embedded simulated production: the six seed environments, alive and
//! deterministic under a seed and an injectable clock.

pub mod catalog;
mod costs;
pub mod estate;
mod logs;
mod provider;
pub mod scenario;
mod signals;
pub mod world;

pub use provider::{SharedWorld, SimProvider, metric_identity};
pub use world::World;
