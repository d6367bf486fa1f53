//! Alarms evaluated on their periods, with state history.

use super::*;

/// `ALARM` when every one of the last N periods breaches, `OK` when not,
/// `INSUFFICIENT_DATA` when there are not enough datapoints.
pub(super) fn evaluate(alarm: &AlarmSpec, series: &Series, now: Timestamp) -> (AlarmState, String) {
    let per_period = (alarm.period_secs / 60).max(1) as usize;
    let needed = per_period * alarm.evaluation_periods as usize;
    let window_start =
        now - Duration::seconds(i64::from(alarm.period_secs * alarm.evaluation_periods));
    let points: Vec<MetricPoint> = series.iter().filter(|p| p.at > window_start).collect();
    if points.len() < needed {
        return (
            AlarmState::InsufficientData,
            format!(
                "Insufficient Data: {} datapoints were unknown.",
                alarm.evaluation_periods
            ),
        );
    }
    let values: Vec<f64> = points[points.len() - needed..]
        .chunks(per_period)
        .map(|c| c.iter().map(|p| p.value).sum::<f64>() / c.len() as f64)
        .collect();
    let breaching = values
        .iter()
        .filter(|v| alarm.comparison.breaches(**v, alarm.threshold))
        .count();
    let list = values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    let word = match alarm.comparison {
        Comparison::GreaterThanThreshold => "greater than",
        Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
        Comparison::LessThanThreshold => "less than",
        Comparison::LessThanOrEqualToThreshold => "less than or equal to",
    };
    if breaching == values.len() {
        (
            AlarmState::Alarm,
            format!(
                "Threshold Crossed: {} datapoints [{list}] were {word} the threshold ({}).",
                values.len(),
                alarm.threshold
            ),
        )
    } else {
        (
            AlarmState::Ok,
            format!(
                "Threshold Crossed: {} of {} datapoints [{list}] were not {word} the threshold ({}).",
                values.len() - breaching,
                values.len(),
                alarm.threshold
            ),
        )
    }
}

pub(super) fn evaluate_alarms(env: &mut EnvState, now: Timestamp) {
    for alarm in &mut env.alarms {
        let Some(svc) = env
            .services
            .iter()
            .find(|s| s.spec.name == alarm.spec.service)
        else {
            continue;
        };
        let empty = Series::default();
        let series = svc.series.get(&alarm.spec.signal).unwrap_or(&empty);
        let (state, reason) = evaluate(&alarm.spec, series, now);
        if state != alarm.state {
            alarm.history.push_front(AlarmHistoryItem {
                timestamp: now,
                from: alarm.state,
                to: state,
                summary: format!("Alarm updated from {} to {}", alarm.state, state),
            });
            alarm.history.truncate(ALARM_HISTORY_KEPT);
            alarm.state = state;
            alarm.updated_at = now;
        }
        alarm.reason = reason;
    }
}
