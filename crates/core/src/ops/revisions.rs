//! The metrics of each revision while a deployment shifts traffic: blue
//! and green each register in their own ALB target group, so each group's
//! requests, 5xx and response time are that revision's. Which group is
//! blue is not in any ECS answer; it is the one that carried the traffic
//! before the deployment began.

use chrono::Duration;
use flightdeck_model::{MetricPoint, TargetGroupSeries, Timestamp};
use serde::Serialize;

/// The figures cover this much time back from now.
pub const WINDOW: Duration = Duration::minutes(5);
/// Blue is told by the traffic in this much time before the deployment.
const BEFORE: Duration = Duration::minutes(10);

/// Which side of the deployment a group serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The revision that was live (production traffic before).
    Blue,
    /// The new revision.
    Green,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Blue => "blue",
            Side::Green => "green",
        })
    }
}

/// One target group's figures over the last [`WINDOW`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionMetrics {
    /// The group's name.
    pub target_group: String,
    /// `None` when no traffic before the deployment tells them apart.
    pub side: Option<Side>,
    /// Mean requests a minute; `None` without any request.
    pub requests_per_minute: Option<f64>,
    /// 5xx answers of the targets, in percent of the requests.
    pub error_percent: Option<f64>,
    /// The last minute's p95 response time.
    pub p95_ms: Option<f64>,
}

impl RevisionMetrics {
    /// "111 req/min · 5xx 60.1 % · p95 1746 ms", or "no requests".
    pub fn figures(&self) -> String {
        match (self.requests_per_minute, self.error_percent) {
            (Some(requests), Some(errors)) => format!(
                "{requests:.0} req/min · 5xx {errors:.1} % · p95 {}",
                self.p95_ms.map_or("–".into(), |ms| format!("{ms:.0} ms"))
            ),
            _ => "no requests".into(),
        }
    }
}

impl std::fmt::Display for RevisionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = self.side.map_or("?".into(), |s| s.to_string());
        write!(f, "{side:<5} {}  ({})", self.figures(), self.target_group)
    }
}

/// Each group's figures at `now`, for a deployment created at `began`,
/// in the order given.
pub fn summarise(
    groups: &[TargetGroupSeries],
    began: Timestamp,
    now: Timestamp,
) -> Vec<RevisionMetrics> {
    let before = |g: &TargetGroupSeries| sum(&g.requests, began - BEFORE, began);
    // Blue carried more traffic than any other group before; the rest is green.
    let blue = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (i, before(g)))
        .filter(|(_, requests)| *requests > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let from = now - WINDOW;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let minutes = g
                .requests
                .iter()
                .filter(|p| p.at > from && p.at <= now)
                .count();
            let requests = sum(&g.requests, from, now);
            let errors = sum(&g.errors, from, now);
            RevisionMetrics {
                target_group: TargetGroupSeries::name(&g.target_group).to_string(),
                side: blue.map(|b| if b == i { Side::Blue } else { Side::Green }),
                requests_per_minute: (minutes > 0).then(|| requests / minutes as f64),
                error_percent: (requests > 0.0).then(|| 100.0 * errors / requests),
                p95_ms: g
                    .p95_secs
                    .iter()
                    .rfind(|p| p.at > from && p.at <= now)
                    .map(|p| p.value * 1000.0),
            }
        })
        .collect()
}

/// The sum of the points in `(from, to]`.
fn sum(points: &[MetricPoint], from: Timestamp, to: Timestamp) -> f64 {
    points
        .iter()
        .filter(|p| p.at > from && p.at <= to)
        .map(|p| p.value)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minute: i64) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 29, 12, 0, 0)
            .unwrap()
            + Duration::minutes(minute)
    }

    fn points(values: &[(i64, f64)]) -> Vec<MetricPoint> {
        values
            .iter()
            .map(|&(m, value)| MetricPoint { at: t(m), value })
            .collect()
    }

    fn group(name: &str, requests: &[(i64, f64)], errors: &[(i64, f64)]) -> TargetGroupSeries {
        TargetGroupSeries {
            target_group: format!("arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/{name}/ab"),
            requests: points(requests),
            errors: points(errors),
            p95_secs: points(&[(9, 0.2), (10, 0.9)]),
        }
    }

    #[test]
    fn blue_is_the_group_that_had_the_traffic_and_each_side_has_its_own_figures() {
        // The deployment began at minute 5; a canary sends 10 % to green.
        let blue = group(
            "api",
            &[(3, 1000.0), (4, 1000.0), (6, 900.0), (7, 900.0)],
            &[(6, 9.0), (7, 9.0)],
        );
        let green = group(
            "api-alt",
            &[(6, 100.0), (7, 100.0)],
            &[(6, 50.0), (7, 70.0)],
        );
        let out = summarise(&[green, blue], t(5), t(9));
        assert_eq!(out[0].target_group, "api-alt");
        assert_eq!(out[0].side, Some(Side::Green));
        assert_eq!(out[1].side, Some(Side::Blue));
        assert_eq!(out[0].requests_per_minute, Some(100.0));
        assert_eq!(out[0].error_percent, Some(60.0));
        assert_eq!(out[1].error_percent, Some(1.0));
    }

    #[test]
    fn no_traffic_before_leaves_the_sides_unknown_and_no_request_means_no_figure() {
        let a = group("api", &[(6, 10.0)], &[]);
        let b = group("api-alt", &[], &[]);
        let out = summarise(&[a, b], t(5), t(8));
        assert!(out.iter().all(|m| m.side.is_none()));
        assert_eq!(out[0].error_percent, Some(0.0));
        assert_eq!(out[1].requests_per_minute, None);
        assert_eq!(out[1].error_percent, None);
    }

    #[test]
    fn the_figures_cover_the_window_and_p95_is_the_last_minutes() {
        let a = group("api", &[(0, 10.0), (9, 10.0), (10, 30.0)], &[(0, 10.0)]);
        let out = summarise(&[a], t(-5), t(10));
        assert_eq!(out[0].requests_per_minute, Some(20.0));
        assert_eq!(out[0].error_percent, Some(0.0));
        assert_eq!(out[0].p95_ms, Some(900.0));
    }
}
