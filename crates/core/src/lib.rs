//! flightdeck's core: the provider traits and the read-only guard, the
//! write operations (plan, execute, watch, audit) and the polling engine.
//! It knows no SDK and no terminal.

pub mod engine;
pub mod ops;
pub mod provider;
