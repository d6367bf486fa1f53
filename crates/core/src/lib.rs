//! flightdeck's core: the provider traits and the read-only guard, the
//! write operations (plan, execute, watch, audit), the polling engine and
//! triage (what needs a human now).
//! It knows no SDK and no terminal.

pub mod action;
pub mod audit;
pub mod diff;
pub mod engine;
pub mod files;
pub mod lease;
pub mod ops;
pub mod outbox;
pub mod provider;
pub mod runbook;
pub mod s3;
pub mod timeline;
pub mod triage;

#[cfg(test)]
mod fixtures;
