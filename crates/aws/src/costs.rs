//! Cost Explorer (us-east-1 only, $0.01 a request, hours behind): daily
//! costs by service, cached on disk for hours so neither the cockpit nor a
//! script ever pays for a refresh that cannot show anything new.

use super::AwsProvider;
use super::errors::Action;
use aws_sdk_costexplorer::types::{
    DateInterval, Granularity, GroupDefinition, GroupDefinitionType, Metric, ResultByTime,
};
use chrono::{Datelike, Duration, NaiveDate};
use flightdeck_core::provider::{ProviderError, Result};
use flightdeck_model::{CostReport, DailyCost, ServiceCost, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How long a cached report is good for.
pub const COST_CACHE_TTL: Duration = Duration::hours(6);
const METRIC: &str = "UnblendedCost";

#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    fetched_at: Timestamp,
    report: CostReport,
}

impl AwsProvider {
    fn cost_cache_file(&self, days: u32) -> Option<PathBuf> {
        let dir = self.settings.cache_dir.as_ref()?;
        let name = flightdeck_core::files::file_part(&self.settings.name);
        Some(dir.join(format!("costs-{name}-{days}d.json")))
    }

    fn cached_costs(&self, days: u32, now: Timestamp) -> Option<CostReport> {
        let text = std::fs::read_to_string(self.cost_cache_file(days)?).ok()?;
        let entry: CacheEntry = serde_json::from_str(&text).ok()?;
        (now - entry.fetched_at < COST_CACHE_TTL && entry.fetched_at <= now).then_some(entry.report)
    }

    fn store_costs(&self, days: u32, now: Timestamp, report: &CostReport) {
        let Some(file) = self.cost_cache_file(days) else {
            return;
        };
        let entry = CacheEntry {
            fetched_at: now,
            report: report.clone(),
        };
        let stored = serde_json::to_vec(&entry)
            .map_err(std::io::Error::other)
            .and_then(|json| flightdeck_core::files::write_atomic(&file, &json));
        if let Err(e) = stored {
            tracing::warn!(file = %file.display(), "cannot cache costs: {e}");
        }
    }

    pub(super) async fn cost_report(&self, days: u32) -> Result<CostReport> {
        let now = self.clock.now();
        if let Some(report) = self.cached_costs(days, now) {
            return Ok(report);
        }
        let today = now.date_naive();
        let first_of_month = today.with_day(1).unwrap_or(today);
        let window_start = today - Duration::days(i64::from(days));
        let start = window_start.min(first_of_month);
        let mut results: Vec<ResultByTime> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .clients
                .costs()
                .get_cost_and_usage()
                .time_period(interval(start, today)?)
                .granularity(Granularity::Daily)
                .metrics(METRIC)
                .group_by(
                    GroupDefinition::builder()
                        .r#type(GroupDefinitionType::Dimension)
                        .key("SERVICE")
                        .build(),
                )
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(self.fail(Action("ce:GetCostAndUsage")))?;
            results.extend(out.results_by_time().iter().cloned());
            token = out.next_page_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        let forecast = self.cost_forecast(today).await;
        let report = summarise(&results, window_start, first_of_month, forecast);
        self.store_costs(days, now, &report);
        Ok(report)
    }

    /// This month's projected total; `None` when Cost Explorer cannot say
    /// (new accounts, the last day of a month, endpoints without forecasts).
    async fn cost_forecast(&self, today: NaiveDate) -> Option<f64> {
        let next_month = (today.with_day(1)? + Duration::days(32)).with_day(1)?;
        let tomorrow = today + Duration::days(1);
        if tomorrow >= next_month {
            return None;
        }
        let out = self
            .clients
            .costs()
            .get_cost_forecast()
            .time_period(interval(tomorrow, next_month).ok()?)
            .metric(Metric::UnblendedCost)
            .granularity(Granularity::Monthly)
            .send()
            .await;
        match out {
            Ok(out) => {
                let rest: f64 = out.total()?.amount()?.parse().ok()?;
                Some(rest)
            }
            Err(e) => {
                tracing::info!(
                    "no cost forecast: {}",
                    self.fail(Action("ce:GetCostForecast"))(e)
                );
                None
            }
        }
    }
}

fn interval(start: NaiveDate, end: NaiveDate) -> Result<DateInterval> {
    DateInterval::builder()
        .start(start.format("%Y-%m-%d").to_string())
        .end(end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| ProviderError::Invalid(format!("ce:GetCostAndUsage: {e}")))
}

fn amount(
    metrics: Option<&std::collections::HashMap<String, aws_sdk_costexplorer::types::MetricValue>>,
) -> (f64, Option<String>) {
    metrics
        .and_then(|m| m.get(METRIC))
        .map(|v| {
            (
                v.amount().and_then(|a| a.parse().ok()).unwrap_or(0.0),
                v.unit().map(str::to_string),
            )
        })
        .unwrap_or((0.0, None))
}

/// Daily results by service -> the report: the last `days` days, totals by
/// service over them, month to date and the forecast (month to date plus
/// Cost Explorer's projection of the rest of the month).
fn summarise(
    results: &[ResultByTime],
    window_start: NaiveDate,
    first_of_month: NaiveDate,
    forecast_rest: Option<f64>,
) -> CostReport {
    let mut currency = None;
    let mut days = Vec::new();
    let mut by_service: BTreeMap<String, f64> = BTreeMap::new();
    let mut month_to_date = 0.0;
    for r in results {
        let Some(date) = r
            .time_period()
            .and_then(|p| NaiveDate::parse_from_str(p.start(), "%Y-%m-%d").ok())
        else {
            continue;
        };
        let mut day_total = 0.0;
        for g in r.groups() {
            let (value, unit) = amount(g.metrics());
            currency = currency.or(unit);
            day_total += value;
            if date >= window_start {
                let service = g.keys().first().cloned().unwrap_or_else(|| "Other".into());
                *by_service.entry(service).or_default() += value;
            }
        }
        if r.groups().is_empty() {
            let (value, unit) = amount(r.total());
            currency = currency.or(unit);
            day_total += value;
        }
        if date >= first_of_month {
            month_to_date += day_total;
        }
        if date >= window_start {
            days.push(DailyCost {
                date: date.format("%Y-%m-%d").to_string(),
                amount: round_cents(day_total),
            });
        }
    }
    days.sort_by(|a, b| a.date.cmp(&b.date));
    let mut by_service: Vec<ServiceCost> = by_service
        .into_iter()
        .map(|(service, amount)| ServiceCost {
            service,
            amount: round_cents(amount),
        })
        .collect();
    by_service.sort_by(|a, b| {
        b.amount
            .total_cmp(&a.amount)
            .then(a.service.cmp(&b.service))
    });
    CostReport {
        currency: currency.unwrap_or_else(|| "USD".into()),
        total: round_cents(days.iter().map(|d| d.amount).sum()),
        days,
        by_service,
        month_to_date: round_cents(month_to_date),
        forecast_month: forecast_rest.map(|rest| round_cents(month_to_date + rest)),
    }
}

/// Rounds to cents; `+ 0.0` turns the `-0.0` of an empty sum into `0.0`.
fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_costexplorer::types::{Group, MetricValue};

    fn day(date: &str, groups: &[(&str, &str)]) -> ResultByTime {
        let mut r = ResultByTime::builder().time_period(
            DateInterval::builder()
                .start(date)
                .end(date)
                .build()
                .unwrap(),
        );
        for (service, amount) in groups {
            r = r.groups(
                Group::builder()
                    .keys(*service)
                    .metrics(
                        METRIC,
                        MetricValue::builder().amount(*amount).unit("USD").build(),
                    )
                    .build(),
            );
        }
        r.build()
    }

    #[test]
    fn summary_splits_window_month_and_services() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let results = vec![
            day("2026-10-31", &[("Amazon ECS", "5")]),
            day(
                "2026-11-01",
                &[("Amazon ECS", "10.004"), ("AWS Lambda", "1")],
            ),
            day("2026-11-02", &[("Amazon ECS", "12"), ("AWS Lambda", "2")]),
        ];
        let r = summarise(&results, d("2026-11-01"), d("2026-11-01"), Some(100.0));
        assert_eq!(r.currency, "USD");
        assert_eq!(r.days.len(), 2);
        assert_eq!(r.total, 25.0);
        assert_eq!(r.by_service[0].service, "Amazon ECS");
        assert_eq!(r.by_service[0].amount, 22.0);
        assert_eq!(r.month_to_date, 25.0);
        assert_eq!(r.forecast_month, Some(125.0));
    }

    #[test]
    fn no_data_is_zero_not_minus_zero() {
        let d = NaiveDate::parse_from_str("2026-11-01", "%Y-%m-%d").unwrap();
        let r = summarise(&[], d, d, None);
        assert_eq!(
            format!("{:.2} {:.2}", r.total, r.month_to_date),
            "0.00 0.00"
        );
    }
}
