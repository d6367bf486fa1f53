//! Application Auto Scaling: step and target-tracking policies acting on
//! their alarms within min..max, no scale-in during a deployment.

use super::*;

/// Application Auto Scaling: each policy acts when one of its alarms is in
/// ALARM, outside its cooldown, within min..max; scale-in pauses while a
/// deployment is in progress.
pub(super) fn apply_scaling(env: &mut EnvState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let states: HashMap<String, AlarmState> = env
        .alarms
        .iter()
        .map(|a| (a.spec.name.clone(), a.state))
        .collect();
    for svc in &mut env.services {
        let in_rollout = svc.deployments.len() > 1;
        let desired = svc.desired;
        // The datapoints the target-tracking alarms evaluate: 3 for
        // scale-out, 15 for scale-in.
        let (cpu_high, mem_high) = (
            svc.recent_mean(Signal::Cpu, 3),
            svc.recent_mean(Signal::Memory, 3),
        );
        let (cpu_low, mem_low) = (
            svc.recent_mean(Signal::Cpu, 15),
            svc.recent_mean(Signal::Memory, 15),
        );
        let Some(target) = svc.target.as_mut() else {
            continue;
        };
        if target.suspended {
            continue;
        }
        // What each target-tracking policy wants: the count that brings its
        // metric back to its target (which keeps a scale-in from overshooting).
        let wanted = |kind: &PolicyKind, high: bool| match kind {
            PolicyKind::TargetTracking {
                target: goal,
                metric,
            } => {
                let memory = *metric == ScalingMetric::EcsServiceAverageMemoryUtilization;
                let value = match (memory, high) {
                    (true, true) => mem_high,
                    (true, false) => mem_low,
                    (false, true) => cpu_high,
                    (false, false) => cpu_low,
                };
                value.map(|v| (f64::from(desired) * v / goal).ceil().max(1.0) as u32)
            }
            PolicyKind::StepScaling { .. } => None,
        };
        // AWS scales in only as far as every target-tracking policy agrees.
        let scale_in_floor = target
            .policies
            .iter()
            .filter_map(|p| wanted(&p.kind, false))
            .max();
        let mut change: Option<(u32, String, String)> = None;
        for policy in &mut target.policies {
            if policy
                .last_action
                .is_some_and(|t| now - t < policy.cooldown)
            {
                continue;
            }
            let Some((alarm, _)) = policy.alarms.iter().enumerate().find_map(|(i, a)| {
                (states.get(a) == Some(&AlarmState::Alarm)).then_some((a.clone(), i))
            }) else {
                continue;
            };
            let new = match &policy.kind {
                PolicyKind::TargetTracking { .. }
                    if TrackingSide::of(&alarm) == Some(TrackingSide::High) =>
                {
                    wanted(&policy.kind, true).unwrap_or(desired).max(desired)
                }
                PolicyKind::TargetTracking { .. } => scale_in_floor.unwrap_or(desired).min(desired),
                PolicyKind::StepScaling { adjustments, .. } => {
                    let adj = adjustments.first().map_or(0, |a| a.adjustment);
                    desired.saturating_add_signed(adj)
                }
            };
            let new = new.clamp(target.min, target.max);
            if new == desired || (new < desired && in_rollout) {
                continue;
            }
            policy.last_action = Some(now);
            change = Some((new, alarm, policy.name.clone()));
            break;
        }
        if let Some((new, alarm, policy)) = change {
            target.activities.push_front(ScalingActivity {
                id: uuid(rng),
                resource_id: format!("service/{}/{}", svc.cluster, svc.spec.name),
                started_at: now,
                ended_at: Some(now + Duration::seconds(30)),
                status: flightdeck_model::ActivityStatus::Successful,
                description: format!("Setting desired count to {new}."),
                cause: format!("monitor alarm {alarm} in state ALARM triggered policy {policy}"),
            });
            target.activities.truncate(ACTIVITIES_KEPT);
            svc.desired = new;
        }
    }
}
