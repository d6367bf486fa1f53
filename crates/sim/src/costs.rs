//! Daily costs of an environment: ECS tasks at Fargate-like prices plus the
//! seed's other monthly lines, with a deterministic day-to-day variation.

use super::catalog::{EnvSpec, ServiceSpec};
use super::world::CostChange;
use chrono::{Datelike, Duration, NaiveDate};
use flightdeck_model::{CostReport, DailyCost, ServiceCost};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// US East Fargate on-demand prices.
const VCPU_HOUR: f64 = 0.040_48;
const GB_HOUR: f64 = 0.004_445;
pub const ECS_LINE: &str = "Amazon Elastic Container Service";

/// What one task of `s` costs a day.
fn task_day(s: &ServiceSpec) -> f64 {
    (f64::from(s.cpu) / 1024.0 * VCPU_HOUR + f64::from(s.memory) / 1024.0 * GB_HOUR) * 24.0 * 1.15
}

/// The ECS cost of `date` beyond the seed's desired counts: each service's
/// latest change in effect that day (a scale-out counts from its day on).
fn changed_tasks_cost(env: &EnvSpec, changes: &[CostChange], date: NaiveDate) -> f64 {
    env.services
        .iter()
        .filter_map(|s| {
            let desired = changes
                .iter()
                .filter(|c| c.service == s.name && c.since.date_naive() <= date)
                .max_by_key(|c| c.since)?
                .desired;
            Some((f64::from(desired) - f64::from(s.desired)) * task_day(s))
        })
        .sum()
}

/// The cost lines of one day, `(service, amount)`.
fn day_lines(
    env: &EnvSpec,
    seed: u64,
    date: NaiveDate,
    changes: &[CostChange],
) -> Vec<(String, f64)> {
    let day_seed = env
        .name
        .bytes()
        .fold(seed ^ u64::from(date.num_days_from_ce() as u32), |h, b| {
            h.rotate_left(5) ^ u64::from(b)
        });
    let mut rng = ChaCha8Rng::seed_from_u64(day_seed);
    let weekend = date.weekday().number_from_monday() >= 6;
    let traffic = if weekend { 0.9 } else { 1.0 };
    let ecs = env.ecs_monthly_override.map_or_else(
        || {
            env.services
                .iter()
                .map(|s| task_day(s) * f64::from(s.desired))
                .sum::<f64>()
        },
        |monthly| monthly / 30.0,
    ) + changed_tasks_cost(env, changes, date);
    let mut lines = Vec::new();
    if ecs > 0.0 {
        lines.push((
            ECS_LINE.to_string(),
            ecs * traffic * rng.random_range(0.92..1.12),
        ));
    }
    for (name, monthly) in &env.fixed_monthly_costs {
        lines.push((name.clone(), monthly / 30.0 * rng.random_range(0.9..1.1)));
    }
    lines
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The last `days` complete days before `today` (Cost Explorer lags, so today
/// is never included), month-to-date and a forecast for the month.
/// `changes`: desired counts that changed the bill (a scenario's scale-out).
pub fn report(
    env: &EnvSpec,
    seed: u64,
    today: NaiveDate,
    days: u32,
    changes: &[CostChange],
) -> CostReport {
    let mut by_service: BTreeMap<String, f64> = BTreeMap::new();
    let mut daily = Vec::new();
    for back in (1..=i64::from(days)).rev() {
        let date = today - Duration::days(back);
        let lines = day_lines(env, seed, date, changes);
        for (name, amount) in &lines {
            *by_service.entry(name.clone()).or_default() += amount;
        }
        daily.push(DailyCost {
            date: date.format("%Y-%m-%d").to_string(),
            amount: round2(lines.iter().map(|(_, v)| v).sum()),
        });
    }
    let first = today.with_day(1).unwrap_or(today);
    let elapsed = (today - first).num_days();
    let month_to_date: f64 = (0..elapsed)
        .map(|d| {
            day_lines(env, seed, first + Duration::days(d), changes)
                .iter()
                .map(|(_, v)| v)
                .sum::<f64>()
        })
        .sum();
    let recent: f64 = (1..=7)
        .map(|d| {
            day_lines(env, seed, today - Duration::days(d), changes)
                .iter()
                .map(|(_, v)| v)
                .sum::<f64>()
        })
        .sum::<f64>()
        / 7.0;
    let days_in_month = if today.month() == 12 {
        NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
    }
    .map_or(30, |next| (next - first).num_days());
    let forecast = month_to_date + recent * (days_in_month - elapsed) as f64;
    let mut by_service: Vec<ServiceCost> = by_service
        .into_iter()
        .map(|(service, amount)| ServiceCost {
            service,
            amount: round2(amount),
        })
        .collect();
    by_service.sort_by(|a, b| b.amount.total_cmp(&a.amount));
    CostReport {
        currency: "USD".into(),
        total: round2(daily.iter().map(|d| d.amount).sum()),
        days: daily,
        by_service,
        month_to_date: round2(month_to_date),
        forecast_month: Some(round2(forecast)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::seed_environments;

    #[test]
    fn tellmemore_runs_near_the_seed_table() {
        let env = seed_environments()
            .into_iter()
            .find(|e| e.name == "tellmemore-prod")
            .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let r = report(&env, 1, today, 30, &[]);
        assert_eq!(r.days.len(), 30);
        assert!((r.total - 600.0).abs() < 40.0, "30-day total {}", r.total);
        assert_eq!(r.days.last().unwrap().date, "2026-11-21");
    }

    #[test]
    fn costs_are_deterministic_per_seed() {
        let env = seed_environments().remove(0);
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(
            report(&env, 9, today, 14, &[]),
            report(&env, 9, today, 14, &[])
        );
        assert_ne!(
            report(&env, 9, today, 14, &[]),
            report(&env, 10, today, 14, &[])
        );
    }
}
