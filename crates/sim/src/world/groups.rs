//! Each target group's own traffic. A traffic-shifting service registers
//! its two revisions in two groups: blue in the one carrying production
//! traffic, green in the other. Their requests, 5xx and response time
//! follow the service's own from the traffic split, so the bad revision
//! shows in its own group. After a deployment succeeds the groups swap
//! roles, as ECS swaps them in the listener rule.

use super::*;
use flightdeck_model::{LifecycleStage, TargetGroupSeries};

/// One group's series, one point a minute while it has requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSeries {
    pub requests: Series,
    pub error_percent: Series,
    pub p95_secs: Series,
}

impl GroupSeries {
    fn push(
        &mut self,
        at: Timestamp,
        (requests, error_percent, p95): (f64, f64, f64),
        kept: usize,
    ) {
        for (series, value) in [
            (&mut self.requests, requests),
            (&mut self.error_percent, error_percent),
            (&mut self.p95_secs, p95),
        ] {
            series.push(at, value, kept);
        }
    }
}

/// The share of requests the smoke test sends to green through the test
/// listener while it runs.
const TEST_TRAFFIC: f64 = 0.01;

/// The ARN of a service's alternate group, from its target group's: the
/// same name, shortened to fit ELB's 32 characters with `-alt`.
pub fn alternate_target_group_arn(production: &str) -> String {
    let prefix = production.rsplit_once(':').map_or("", |(p, _)| p);
    let name: String = TargetGroupSeries::name(production)
        .chars()
        .take(28)
        .collect();
    let name = format!("{name}-alt");
    let id: String = uuid_like(&name).replace('-', "").chars().take(16).collect();
    format!("{prefix}:targetgroup/{name}/{id}")
}

impl ServiceState {
    /// The group ARNs by index: 0 the service's target group, 1 its alternate.
    pub fn group_arn(&self, index: usize) -> Option<&String> {
        match index {
            0 => self.target_groups.first(),
            _ => self.alternate_target_groups.first(),
        }
    }

    /// Which group (0 or 1) an ARN is, when it is one of this service's.
    pub fn group_index(&self, arn: &str) -> Option<usize> {
        (0..2).find(|&i| self.group_arn(i).is_some_and(|a| a == arn))
    }

    /// Production traffic moved to the other group: green is the new blue.
    pub(super) fn swap_groups(&mut self) {
        if !self.alternate_target_groups.is_empty() {
            self.live_group = 1 - self.live_group;
        }
    }

    /// Gives a service that listens an alternate group when it takes a
    /// strategy that shifts traffic (the sim sets up the listener rules
    /// an operator would have).
    pub fn ensure_alternate_group(&mut self) {
        if self.alternate_target_groups.is_empty()
            && let Some(production) = self.target_groups.first()
        {
            self.alternate_target_groups = vec![alternate_target_group_arn(production)];
        }
    }
}

/// Splits this minute's requests, errors and latency of the service (just
/// recorded) between its groups. No randomness: the service's own values
/// carry the noise, and the world's other draws stay as they were.
pub(super) fn record_group_signals(svc: &mut ServiceState, now: Timestamp) {
    if svc.alternate_target_groups.is_empty() {
        return;
    }
    let (Some(requests), Some(errors), Some(latency)) = (
        svc.latest(Signal::Requests),
        svc.latest(Signal::ErrorRate),
        svc.latest(Signal::Latency),
    ) else {
        return;
    };
    // What the service answers without the bad revision's share.
    let bad_share = svc.traffic_on_errors() / 100.0;
    let clean_errors = (errors - 60.0 * bad_share).max(0.0);
    let clean_p95 = 2.5 * latency / (1.0 + 4.0 * bad_share);
    let (green_share, test, green_bad) = match &svc.shift {
        Some(shift) => {
            let revision = svc
                .deployments
                .iter()
                .find(|d| d.id == shift.deployment_id)
                .map(|d| d.task_definition.revision);
            let bad =
                revision.is_some_and(|r| svc.tagged(r, "errors") || svc.tagged(r, "smokefail"));
            let testing = matches!(
                shift.stage,
                LifecycleStage::TestTrafficShift | LifecycleStage::PostTestTrafficShift
            );
            let test = if testing {
                (requests * TEST_TRAFFIC).max(20.0)
            } else {
                0.0
            };
            (shift.traffic / 100.0, test, bad)
        }
        None => (0.0, 0.0, false),
    };
    let blue = svc.live_group;
    let kept = svc.metric_points();
    let green_requests = (requests * green_share + test).round();
    let blue_requests = (requests * (1.0 - green_share)).round();
    if blue_requests > 0.0 {
        let own = wobble(now, blue);
        svc.group_series[blue].push(
            now,
            (blue_requests, clean_errors * own, clean_p95 * own),
            kept,
        );
    }
    if green_requests > 0.0 {
        let own = wobble(now, 1 - blue);
        let (errors, p95) = if green_bad {
            (clean_errors * own + 60.0, clean_p95 * own * 5.0)
        } else {
            (clean_errors * own, clean_p95 * own)
        };
        svc.group_series[1 - blue].push(now, (green_requests, errors, p95), kept);
    }
}

/// A group's own share of the noise, ±12 %, drawn from the minute and the
/// group alone: two groups serving the same revision never answer in
/// lockstep, and the world's own draws are not moved.
fn wobble(now: Timestamp, group: usize) -> f64 {
    let seed = (now.timestamp() / 60).unsigned_abs() ^ ((group as u64 + 1) << 48);
    ChaCha8Rng::seed_from_u64(seed).random_range(0.88..1.12)
}
