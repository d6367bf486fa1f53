//! The debug overlay's figures (`!`): the AWS calls each environment's
//! provider made, by operation, with the throttling answers, and the
//! engine's request budget. The runtime sends them while the overlay is
//! open; nothing here is recorded.

use flightdeck_core::engine::BudgetReport;
use flightdeck_model::ApiStats;

/// The figures at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiReport {
    /// One per environment, in the cockpit's order.
    pub envs: Vec<EnvCalls>,
    pub budget: BudgetReport,
}

/// The calls of one environment's provider; `None` for the simulation,
/// which calls nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvCalls {
    pub env: String,
    pub stats: Option<ApiStats>,
}
