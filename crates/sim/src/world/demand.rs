//! Demand and what it produces each tick: random spikes, the metric
//! signals, and log lines.

use super::*;

/// Incidents: about one spike per service every few hours.
pub(super) fn maybe_spike(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    if let Some(s) = svc.spike
        && s.until <= now
    {
        svc.spike = None;
    }
    // Memory drifts slowly, like caches warming and GC settling.
    svc.memory_drift = (svc.memory_drift + (rng.random::<f64>() - 0.5) * 0.3).clamp(-6.0, 12.0);
    // About one every 3 h a service; a light one (of thousands) one every
    // 33 h, or a large estate would be all spikes.
    let chance = if svc.spec.light {
        1.0 / 12_000.0
    } else {
        1.0 / 1200.0
    };
    if svc.spike.is_none() && rng.random_bool(chance) {
        let minutes = rng.random_range(8..30);
        let errors = if rng.random_bool(0.4) {
            rng.random_range(1.0..7.0)
        } else {
            0.0
        };
        let lag = if rng.random_bool(0.3) {
            rng.random_range(5.0..25.0)
        } else {
            0.0
        };
        svc.spike = Some(Spike {
            until: now + Duration::minutes(minutes),
            demand: rng.random_range(1.4..2.4),
            errors,
            lag,
        });
    }
}

pub(super) fn emit_logs(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let requests = svc.latest(Signal::Requests).unwrap_or(0.0);
    let rate_per_sec = match (svc.spec.log_rate, svc.spec.workload) {
        (Some(rate), _) => rate,
        (None, _) if svc.spec.light => LIGHT_LOG_RATE,
        (None, crate::catalog::Workload::Worker) => 0.5,
        (None, crate::catalog::Workload::Redis) => 0.03,
        (None, _) => (requests / 60.0 / 10.0).clamp(0.2, 4.0),
    };
    let expected = rate_per_sec * TICK.num_seconds() as f64;
    let count = expected.floor() as u32 + u32::from(rng.random_bool(expected.fract()));
    let error_p = (svc.latest(Signal::ErrorRate).unwrap_or(0.2) / 100.0).clamp(0.0, 0.5);
    let latency = svc.latest(Signal::Latency).unwrap_or(0.1);
    if count == 0 {
        return;
    }
    let running: Vec<String> = svc
        .tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Running)
        .map(|t| t.id.clone())
        .collect();
    if running.is_empty() {
        return;
    }
    for i in 0..count {
        let task = &running[rng.random_range(0..running.len())];
        let container = &svc.spec.containers[rng.random_range(0..svc.spec.containers.len())].name;
        let at = now - TICK
            + Duration::milliseconds(
                i64::from(i) * 10_000 / i64::from(count.max(1)) + rng.random_range(0..50),
            );
        let error = rng.random_bool(error_p);
        let mut message = logs::line(rng, svc.spec.workload, container, latency, error);
        // A caller of a slow dependency says which one in its error lines.
        if let Some(why) = svc
            .impairment
            .as_ref()
            .and_then(|i| i.error_message.as_ref())
            .filter(|_| error && rng.random_bool(0.7))
        {
            message = format!("ERROR {why}");
        }
        svc.logs.push_back(LogEvent {
            id: format!(
                "{}{:06}",
                at.timestamp_millis(),
                rng.random_range(0..1_000_000)
            ),
            timestamp: at,
            stream: format!("ecs/{container}/{task}"),
            message,
        });
    }
    let capacity = svc.log_capacity();
    while svc.logs.len() > capacity {
        svc.logs.pop_front();
    }
}

pub(super) fn record_signals(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let inputs = signals::Inputs {
        workload: svc.spec.workload,
        base_cpu: svc.spec.base_cpu,
        nominal_tasks: svc.spec.desired,
        running: svc.running(),
        daily: signals::daily_curve(now),
        spike: svc.spike,
        memory_drift: svc.memory_drift,
        bad_traffic: svc.traffic_on_errors(),
        latency_factor: svc.impairment.as_ref().map_or(1.0, |i| i.latency_factor),
        extra_errors: svc.impairment.as_ref().map_or(0.0, |i| i.errors),
    };
    let kept = svc.metric_points();
    for (signal, value) in signals::compute(&inputs, rng) {
        let series = svc.series.entry(signal).or_default();
        if let Some(value) = value {
            series.push_back(MetricPoint { at: now, value });
        }
        while series.len() > kept {
            series.pop_front();
        }
    }
    super::groups::record_group_signals(svc, now);
}
