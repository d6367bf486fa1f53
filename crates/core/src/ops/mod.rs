//! Writes, the safe way: plan (read, guard, diff, exact calls) -> confirm
//! (by the caller: typed service name in production) -> execute (re-read,
//! refuse a stale plan, audit before and after) -> watch (follow the new
//! deployment to SUCCEEDED, FAILED, ROLLED BACK or STUCK).
//!
//! Invariant: nothing here writes without a [`Plan`]; read-only is refused
//! again below, by the provider's guard.

pub mod aws_cli;
pub mod compare;
mod confirm;
mod earlier;
mod execute;
pub mod leased;
#[cfg(test)]
mod no_secrets;
pub mod plan;
mod planner;
pub mod revisions;
pub mod run_task;
mod strategy;
pub mod task;
pub mod watch;

pub use crate::audit::{AuditLog, Outcome, Phase, Record};
pub use crate::diff::Change;
pub use confirm::{Confirmation, Unconfirmed};
pub use execute::{Call, ExecError, Executed, describe_calls, execute};
pub use plan::{Fingerprint, Operation, Plan, PlanError, RevisionChoice, Step};
pub use planner::{MAX_TASKS, plan, rollback_target};
pub use watch::{RolloutStatus, STUCK_AFTER, Watch, classify};

/// How the note of a stale plan planned again begins (the cockpit shows
/// it beside the confirmation, not only among the notes).
pub const REPLANNED: &str = "planned again:";
