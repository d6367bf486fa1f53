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
    if svc.logs_on_demand() {
        return;
    }
    let requests = svc.latest(Signal::Requests).unwrap_or(0.0);
    let rate_per_sec = match (svc.spec.log_rate, svc.spec.workload) {
        (Some(rate), _) => rate,
        (None, crate::catalog::Workload::Worker) => 0.5,
        (None, crate::catalog::Workload::Redis) => 0.03,
        (None, _) => (requests / 60.0 / 10.0).clamp(0.2, 4.0),
    };
    let error_p = (svc.latest(Signal::ErrorRate).unwrap_or(0.2) / 100.0).clamp(0.0, 0.5);
    let latency = svc.latest(Signal::Latency).unwrap_or(0.1);
    let lines = tick_lines(svc, now, rate_per_sec, (latency, error_p), rng);
    svc.logs.extend(lines);
    let capacity = svc.log_capacity();
    while svc.logs.len() > capacity {
        svc.logs.pop_front();
    }
}

/// The lines `svc` logs in the tick ending at `now`, at `rate_per_sec`,
/// with its latency and error share then.
fn tick_lines(
    svc: &ServiceState,
    now: Timestamp,
    rate_per_sec: f64,
    (latency, error_p): (f64, f64),
    rng: &mut ChaCha8Rng,
) -> Vec<LogEvent> {
    let expected = rate_per_sec * TICK.num_seconds() as f64;
    let count = expected.floor() as u32 + u32::from(rng.random_bool(expected.fract()));
    // A storm's lines beyond what a buffer keeps would be dropped at once:
    // at most `LOG_CAPACITY` are made, spread over the tick.
    let count = count.min(LOG_CAPACITY as u32);
    if count == 0 {
        return vec![];
    }
    let running: Vec<&str> = svc
        .tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Running)
        .map(|t| t.id.as_str())
        .collect();
    if running.is_empty() {
        return vec![];
    }
    let mut lines = Vec::with_capacity(count as usize);
    for i in 0..count {
        let task = running[rng.random_range(0..running.len())];
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
        lines.push(LogEvent {
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
    lines
}

impl ServiceState {
    /// A light service of a generated estate keeps no log lines: they are
    /// made when read, each tick's from a generator seeded by the service
    /// and the tick, so the same window reads the same lines every time.
    /// 2,000 services would otherwise keep 200 lines each.
    pub fn logs_on_demand(&self) -> bool {
        self.spec.light && self.spec.log_rate.is_none()
    }

    /// The log lines of the window `since..=now`, oldest first: the kept
    /// ones, or a light service's made on demand (at most its last
    /// `LIGHT_LOG_CAPACITY` lines' worth of ticks).
    pub fn log_lines(
        &self,
        since: Timestamp,
        now: Timestamp,
    ) -> std::borrow::Cow<'_, VecDeque<LogEvent>> {
        if !self.logs_on_demand() {
            return std::borrow::Cow::Borrowed(&self.logs);
        }
        let horizon = Duration::seconds((LIGHT_LOG_CAPACITY as f64 / LIGHT_LOG_RATE) as i64);
        let first = since.max(now - horizon).max(self.created_at);
        let mut tick = now - Duration::seconds(now.timestamp().rem_euclid(TICK.num_seconds()));
        let mut ticks = vec![];
        while tick > first {
            ticks.push(tick);
            tick -= TICK;
        }
        let mut lines = VecDeque::new();
        for tick in ticks.into_iter().rev() {
            let mut rng = ChaCha8Rng::seed_from_u64(log_seed(&self.arn, tick));
            let error_p =
                (self.value_at(Signal::ErrorRate, tick).unwrap_or(0.2) / 100.0).clamp(0.0, 0.5);
            let latency = self.value_at(Signal::Latency, tick).unwrap_or(0.1);
            lines.extend(tick_lines(
                self,
                tick,
                LIGHT_LOG_RATE,
                (latency, error_p),
                &mut rng,
            ));
        }
        std::borrow::Cow::Owned(lines)
    }

    /// The newest datapoint of `signal` at or before `at`.
    fn value_at(&self, signal: Signal, at: Timestamp) -> Option<f64> {
        self.series.get(&signal)?.value_at(at)
    }
}

/// The seed of one tick's lines of one service (FNV-1a of both).
fn log_seed(arn: &str, tick: Timestamp) -> u64 {
    arn.bytes()
        .chain(tick.timestamp().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
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
        // A signal not kept is still computed: the generator's draws stay
        // the same either way.
        if let (Some(series), Some(value)) = (svc.series.get_mut(&signal), value) {
            series.push(now, value, kept);
        }
    }
    super::groups::record_group_signals(svc, now);
}
