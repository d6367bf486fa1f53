//! The metrics of each revision while a deployment shifts traffic: blue
//! and green each register in their own ALB target group, so each group's
//! requests, 5xx and response time are that revision's. Which group is
//! blue is not in any ECS answer; it is the one that carried the traffic
//! before the deployment began.
//!
//! Green is the service's newest deployment, whichever deployment a watch
//! follows: after an operator's rollback to blue the watch follows blue's
//! old deployment, and the traffic it gets back is still blue's.

use chrono::Duration;
use flightdeck_model::{Deployment, MetricPoint, TargetGroupSeries, Timestamp};
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
        f.pad(match self {
            Side::Blue => "blue",
            Side::Green => "green",
        })
    }
}

/// The traffic-shifting deployment the groups are told apart by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sides {
    /// When green's deployment began: blue is the group that had the
    /// traffic before.
    pub began: Timestamp,
    /// The revision that was live before it.
    pub blue: Option<u32>,
    /// The revision traffic shifts to; `None` when the service has one
    /// deployment only (nothing shifts: its live group is blue).
    pub green: Option<u32>,
}

impl Sides {
    /// From the service's deployments: green is the newest, blue the
    /// newest of the others that completed (else the newest of the
    /// others). One deployment left: it is green when it is
    /// the one whose traffic shift the watch `followed` through ECS's
    /// history (it completed, blue is gone; blue is the group that had the
    /// traffic before it began), else it is blue (a rollback to blue, a
    /// service at rest).
    pub fn of(deployments: &[Deployment], followed: Option<&str>) -> Option<Sides> {
        let newest = deployments.iter().max_by_key(|d| d.created_at)?;
        // Blue is what served: a completed deployment before a newer one
        // that failed (a canary after an earlier failed one keeps its
        // traffic on the revision ECS rolled back to).
        let others = || deployments.iter().filter(|d| d.id != newest.id);
        let before = others()
            .filter(|d| d.rollout_state == flightdeck_model::RolloutState::Completed)
            .max_by_key(|d| d.created_at)
            .or_else(|| others().max_by_key(|d| d.created_at));
        Some(match before {
            Some(blue) => Sides {
                began: newest.created_at,
                blue: Some(blue.task_definition.revision),
                green: Some(newest.task_definition.revision),
            },
            None if followed == Some(newest.id.as_str()) => Sides {
                began: newest.created_at,
                blue: None,
                green: Some(newest.task_definition.revision),
            },
            None => Sides {
                began: newest.created_at,
                blue: Some(newest.task_definition.revision),
                green: None,
            },
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
    /// The revision registered in the group, when its side is known.
    pub revision: Option<u32>,
    /// Mean requests a minute over the window's minutes with requests;
    /// `None` when it takes none now: no request in the window, or none
    /// in the newest minute another group had requests in (a revision
    /// rolled back, or replaced, no longer takes traffic).
    pub requests_per_minute: Option<f64>,
    /// 5xx answers of the targets, in percent of the requests over the
    /// window (also of a group that no longer takes traffic).
    pub error_percent: Option<f64>,
    /// The last minute's p95 response time.
    pub p95_ms: Option<f64>,
}

impl RevisionMetrics {
    /// "111 req/min · 5xx 60.1 % · p95 1746 ms", "no requests now (5xx
    /// 60.1 % before)" for a group that took some in the window, or "no
    /// requests".
    pub fn figures(&self) -> String {
        match (self.requests_per_minute, self.error_percent) {
            (Some(requests), Some(errors)) => format!(
                "{requests:.0} req/min · 5xx {errors:.1} % · p95 {}",
                self.p95_ms.map_or("–".into(), |ms| format!("{ms:.0} ms"))
            ),
            (None, Some(errors)) => format!("no requests now (5xx {errors:.1} % before)"),
            _ => "no requests".into(),
        }
    }
}

impl RevisionMetrics {
    /// "green :58", "blue  :57", "idle" (a group nothing is registered
    /// in) or "?" (sides not told apart).
    pub fn label(&self) -> String {
        match (self.side, self.revision) {
            (Some(side), Some(r)) => format!("{side:<5} :{r}"),
            (Some(side), None) => side.to_string(),
            (None, _) if self.requests_per_minute.is_none() => "idle".into(),
            (None, _) => "?".into(),
        }
    }
}

impl std::fmt::Display for RevisionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<9} {}  ({})",
            self.label(),
            self.figures(),
            self.target_group
        )
    }
}

/// Each group's figures at `now`, told apart by `sides`, in the order
/// given.
pub fn summarise(
    groups: &[TargetGroupSeries],
    sides: Sides,
    now: Timestamp,
) -> Vec<RevisionMetrics> {
    // Blue carried more traffic than any other group before green's
    // deployment began, the rest is green; with one deployment, blue is
    // the group that carries the traffic now.
    let (since, until) = match sides.green {
        Some(_) => (sides.began - BEFORE, sides.began),
        None => (now - WINDOW, now),
    };
    let before = |g: &TargetGroupSeries| sum(&g.requests, since, until);
    let blue = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (i, before(g)))
        .filter(|(_, requests)| *requests > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    let from = now - WINDOW;
    let in_window = |points: &[MetricPoint]| -> Vec<MetricPoint> {
        points
            .iter()
            .filter(|p| p.at > from && p.at <= now)
            .copied()
            .collect()
    };
    // The newest minute any group had requests in: a group without a
    // request in it takes no traffic now, whatever it took before.
    let newest = groups
        .iter()
        .flat_map(|g| in_window(&g.requests))
        .map(|p| p.at)
        .max();
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let own = in_window(&g.requests);
            let live = own.iter().map(|p| p.at).max() == newest;
            // A group that no longer takes traffic keeps its 5xx share
            // over the window (the evidence beside the other's), but no
            // rate: its mean of earlier minutes would read as traffic.
            let (requests, errors) = (sum(&own, from, now), sum(&g.errors, from, now));
            let minutes = if live { own.len() } else { 0 };
            let side = match (blue, sides.green) {
                (Some(b), _) if b == i => Some(Side::Blue),
                (Some(_), Some(_)) => Some(Side::Green),
                // One deployment: only its live group has a side.
                _ => None,
            };
            RevisionMetrics {
                target_group: TargetGroupSeries::name(&g.target_group).to_string(),
                side,
                revision: match side {
                    Some(Side::Blue) => sides.blue,
                    Some(Side::Green) => sides.green,
                    None => None,
                },
                requests_per_minute: (minutes > 0).then(|| requests / minutes as f64),
                error_percent: (requests > 0.0).then(|| 100.0 * errors / requests),
                p95_ms: g
                    .p95_secs
                    .iter()
                    .rfind(|p| p.at > from && p.at <= now)
                    .filter(|_| live)
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

    /// Green's deployment (:58) began at minute `began`, after blue's (:57).
    fn shift(began: i64) -> Sides {
        Sides {
            began: t(began),
            blue: Some(57),
            green: Some(58),
        }
    }

    fn deployment(id: &str, revision: u32, minute: i64) -> Deployment {
        Deployment {
            id: id.into(),
            status: flightdeck_model::DeploymentStatus::Primary,
            task_definition: flightdeck_model::TaskDefRef::new("api", revision),
            desired: 2,
            running: 2,
            pending: 0,
            failed_tasks: 0,
            rollout_state: flightdeck_model::RolloutState::Completed,
            rollout_reason: String::new(),
            created_at: t(minute),
            updated_at: t(minute),
        }
    }

    /// QA: :57 served, :58 failed and was rolled back (still listed), :59
    /// shifts traffic now: blue is :57, never the failed :58.
    #[test]
    fn blue_is_the_revision_that_served_not_a_newer_one_that_failed() {
        let served = deployment("a", 57, 0);
        let mut failed = deployment("b", 58, 5);
        failed.rollout_state = flightdeck_model::RolloutState::Failed;
        let mut green = deployment("c", 59, 10);
        green.rollout_state = flightdeck_model::RolloutState::InProgress;
        let sides = Sides::of(&[served, failed, green], None).unwrap();
        assert_eq!((sides.blue, sides.green), (Some(57), Some(59)));
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
        let out = summarise(&[green, blue], shift(5), t(9));
        assert_eq!(out[0].target_group, "api-alt");
        assert_eq!(out[0].side, Some(Side::Green));
        assert_eq!(out[1].side, Some(Side::Blue));
        assert_eq!(
            (out[0].label(), out[1].label()),
            ("green :58".into(), "blue  :57".into())
        );
        assert_eq!(out[0].requests_per_minute, Some(100.0));
        assert_eq!(out[0].error_percent, Some(60.0));
        assert_eq!(out[1].error_percent, Some(1.0));
    }

    #[test]
    fn no_traffic_before_leaves_the_sides_unknown_and_no_request_means_no_figure() {
        let a = group("api", &[(6, 10.0)], &[]);
        let b = group("api-alt", &[], &[]);
        let out = summarise(&[a, b], shift(5), t(8));
        assert!(out.iter().all(|m| m.side.is_none()));
        assert_eq!(
            (out[0].label(), out[1].label()),
            ("?".into(), "idle".into())
        );
        assert_eq!(out[0].error_percent, Some(0.0));
        assert_eq!(out[1].requests_per_minute, None);
        assert_eq!(out[1].error_percent, None);
    }

    #[test]
    fn the_figures_cover_the_window_and_p95_is_the_last_minutes() {
        let a = group("api", &[(0, 10.0), (9, 10.0), (10, 30.0)], &[(0, 10.0)]);
        let out = summarise(&[a], shift(-5), t(10));
        assert_eq!(out[0].requests_per_minute, Some(20.0));
        assert_eq!(out[0].error_percent, Some(0.0));
        assert_eq!(out[0].p95_ms, Some(900.0));
    }

    /// An operator's rollback to blue: the watch follows blue's old
    /// deployment, but green is still the newest one, and the traffic
    /// back on blue's group is :57's, not :58's.
    #[test]
    fn after_a_rollback_to_blue_the_traffic_is_blues() {
        let old = deployment("ecs-svc/1", 57, -300);
        let new = deployment("ecs-svc/2", 58, 5);
        let sides = Sides::of(&[old.clone(), new.clone()], None).unwrap();
        assert_eq!(sides, shift(5));
        // Blue had it all before; green took it at minute 6; the rollback
        // at minute 8 gave it back to blue.
        let blue = group(
            "api",
            &[
                (3, 1000.0),
                (4, 1000.0),
                (8, 1000.0),
                (9, 1000.0),
                (20, 1000.0),
            ],
            &[],
        );
        let green = group("api-alt", &[(6, 1000.0), (7, 1000.0)], &[(7, 50.0)]);
        let out = summarise(&[blue.clone(), green.clone()], sides, t(20));
        assert_eq!(out[0].label(), "blue  :57");
        assert!(out[0].requests_per_minute.is_some());
        assert_eq!(
            (out[1].label(), out[1].figures()),
            ("green :58".into(), "no requests".into())
        );
        // From the first minute blue had requests and green none, green
        // takes no traffic: never the mean of its minutes before.
        for minute in 8..12 {
            let out = summarise(&[blue.clone(), green.clone()], sides, t(minute));
            assert!(
                out[1].figures().starts_with("no requests"),
                "at minute {minute}: {}",
                out[1].figures()
            );
            assert_eq!(out[1].requests_per_minute, None);
            assert_eq!(out[1].p95_ms, None);
        }
        // Once ECS forgets the failed deployment: the live group is :57's
        // (the watch followed blue's old deployment, with no history).
        let sides = Sides::of(std::slice::from_ref(&old), None).unwrap();
        let out = summarise(&[green.clone(), blue.clone()], sides, t(20));
        assert_eq!(
            (out[0].label(), out[1].label()),
            ("idle".into(), "blue  :57".into())
        );
        // A shift the watch followed to its end: blue is gone from ECS's
        // list; its group is still told by the traffic before green began.
        let sides = Sides::of(std::slice::from_ref(&new), Some("ecs-svc/2")).unwrap();
        let out = summarise(&[blue, green], sides, t(20));
        assert_eq!(
            (out[0].label(), out[1].label()),
            ("blue".into(), "green :58".into())
        );
    }
}
