//! Cost Explorer results, already aggregated for display.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyCost {
    /// `YYYY-MM-DD`
    pub date: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCost {
    pub service: String,
    pub amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    pub currency: String,
    pub total: f64,
    pub days: Vec<DailyCost>,
    pub by_service: Vec<ServiceCost>,
    pub month_to_date: f64,
    /// Projected total for the current calendar month, when known.
    pub forecast_month: Option<f64>,
}
