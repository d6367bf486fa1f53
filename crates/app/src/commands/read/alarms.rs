//! `alarms`: CloudWatch alarms, ALARM first, by severity.

use super::*;
use flightdeck_model::{MetricName, MetricNamespace};

#[derive(Debug, Serialize)]
pub(super) struct AlarmRow {
    environment: String,
    name: String,
    /// The name tables show (AWS's target-tracking alarms by their service).
    display_name: String,
    state: String,
    metric: MetricName,
    namespace: MetricNamespace,
    threshold: f64,
    comparison: String,
    condition: String,
    severity: String,
    state_reason: String,
    state_updated_at: String,
}

pub(super) async fn alarms(
    providers: &[Arc<Provider>],
    state: Option<AlarmState>,
    json: bool,
) -> Result<(), Failure> {
    let (rows, outcome) = Outcome::gather(providers, async |p| {
        let env = &p.environment().name;
        let mut alarms = p.alarms().await?;
        alarms.sort_by(|a, b| {
            (a.state, a.severity.rank(), &a.name).cmp(&(b.state, b.severity.rank(), &b.name))
        });
        Ok(alarms
            .into_iter()
            .filter(|a| state.is_none_or(|s| a.state == s))
            .map(|a| AlarmRow {
                environment: env.clone(),
                state: a.state.to_string(),
                condition: a.condition(),
                metric: a.metric.clone(),
                namespace: a.namespace.clone(),
                threshold: a.threshold,
                comparison: a.comparison.symbol().to_string(),
                severity: format!("{:?}", a.severity).to_lowercase(),
                state_reason: a.state_reason.clone(),
                state_updated_at: a.state_updated_at.to_rfc3339(),
                display_name: a.display_name().into_owned(),
                name: a.name,
            })
            .collect())
    })
    .await;
    if json {
        print_json(&rows)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.state.clone(),
                    r.display_name.clone(),
                    format!("{} {}", r.namespace, r.condition),
                ]
            })
            .collect();
        table::print(&["ENVIRONMENT", "STATE", "ALARM", "CONDITION"], &cells);
    }
    outcome.finish()
}
