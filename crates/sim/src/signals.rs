//! How a service's metrics follow from its demand, running tasks and any
//! incident in progress. Pure functions of their inputs plus noise drawn from
//! the world's seeded generator.

use super::catalog::{Signal, Workload};
use chrono::Timelike;
use flightdeck_model::Timestamp;
use rand::Rng;
use std::f64::consts::PI;

/// Traffic relative to the daily mean: low around 03:00 UTC, high around 15:00.
pub fn daily_curve(t: Timestamp) -> f64 {
    let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0;
    1.0 + 0.35 * ((hour - 9.0) / 24.0 * 2.0 * PI).sin()
}

/// A burst of demand (and sometimes errors) on one service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub until: Timestamp,
    pub demand: f64,
    /// Extra error percentage while the spike lasts.
    pub errors: f64,
    /// Extra replica lag seconds while the spike lasts.
    pub lag: f64,
}

/// Everything the signals of one service depend on at one minute.
pub struct Inputs {
    pub workload: Workload,
    pub base_cpu: f64,
    pub nominal_tasks: u32,
    pub running: u32,
    pub daily: f64,
    pub spike: Option<Spike>,
    pub memory_drift: f64,
    /// Percent of the traffic on a revision that answers with errors (a bad
    /// canary or green): slower, and 5xx in proportion.
    pub bad_traffic: f64,
    /// A slow dependency (or being one): latency times this, and extra 5xx
    /// percent.
    pub latency_factor: f64,
    pub extra_errors: f64,
}

fn noise(rng: &mut impl Rng, spread: f64) -> f64 {
    (rng.random::<f64>() - 0.5) * 2.0 * spread
}

fn base_latency(w: Workload) -> f64 {
    match w {
        Workload::NodeApi => 0.12,
        Workload::JavaApi => 0.09,
        Workload::DjangoApi => 0.18,
        Workload::PythonApi => 0.15,
        Workload::Frontend => 0.05,
        Workload::Worker => 2.5,
        Workload::Redis => 0.001,
        Workload::VectorDb => 0.02,
    }
}

fn base_memory(w: Workload) -> f64 {
    match w {
        Workload::JavaApi => 58.0,
        Workload::Worker => 50.0,
        Workload::VectorDb => 55.0,
        Workload::Redis => 30.0,
        _ => 38.0,
    }
}

fn requests_per_task(w: Workload) -> f64 {
    match w {
        Workload::Worker => 0.0,
        Workload::Redis => 3000.0,
        Workload::VectorDb => 150.0,
        Workload::Frontend => 500.0,
        _ => 400.0,
    }
}

/// One value per signal for this minute. CPU and memory are `None` while no
/// task runs: CloudWatch has no datapoint then, which is not zero.
/// p95 and p99 response times as multiples of the mean.
pub const P95_OF_MEAN: f64 = 2.5;
pub const P99_OF_MEAN: f64 = 5.0;

pub fn compute(inputs: &Inputs, rng: &mut impl Rng) -> Vec<(Signal, Option<f64>)> {
    let spike_demand = inputs.spike.map_or(1.0, |s| s.demand);
    let nominal = f64::from(inputs.nominal_tasks.max(1));
    let demand =
        inputs.base_cpu / 100.0 * nominal * inputs.daily * spike_demand * (1.0 + noise(rng, 0.06));
    let running = f64::from(inputs.running);
    let cpu = (inputs.running > 0).then(|| (demand / running * 100.0).clamp(0.5, 100.0));
    let cpu_or_saturated = cpu.unwrap_or(100.0);
    let memory = cpu.map(|c| {
        (base_memory(inputs.workload) + 0.22 * c + inputs.memory_drift + noise(rng, 1.5))
            .clamp(1.0, 100.0)
    });
    let overload = ((cpu_or_saturated - 55.0).max(0.0) / 15.0).powi(2);
    let bad = inputs.bad_traffic / 100.0;
    let latency = base_latency(inputs.workload)
        * (1.0 + overload)
        * (1.0 + 4.0 * bad)
        * inputs.latency_factor.max(0.0)
        * (1.0 + noise(rng, 0.08));
    let spike_errors = inputs.spike.map_or(0.0, |s| s.errors);
    let error_rate = (0.15
        + (cpu_or_saturated - 75.0).max(0.0) * 0.25
        + spike_errors
        + 60.0 * bad
        + inputs.extra_errors
        + noise(rng, 0.1))
    .max(0.0);
    let requests = requests_per_task(inputs.workload)
        * nominal
        * inputs.daily
        * spike_demand
        * (1.0 + noise(rng, 0.05));
    let queue_depth = if inputs.workload == Workload::Worker {
        let capacity = running / nominal;
        (6.0 * inputs.daily * spike_demand / capacity.max(0.25) + noise(rng, 1.0)).max(0.0)
    } else {
        0.0
    };
    let replica_lag = (0.8 + noise(rng, 0.5) + inputs.spike.map_or(0.0, |s| s.lag)).max(0.0);
    vec![
        (Signal::Cpu, cpu),
        (Signal::Memory, memory),
        (Signal::Latency, Some(latency)),
        (Signal::LatencyP95, Some(latency * P95_OF_MEAN)),
        (Signal::LatencyP99, Some(latency * P99_OF_MEAN)),
        (Signal::ErrorRate, Some(error_rate)),
        (Signal::Requests, Some(requests.round())),
        (Signal::QueueDepth, Some(queue_depth.round())),
        (Signal::ReplicaLag, Some(replica_lag)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn daily_curve_peaks_in_the_afternoon() {
        let at = |h| chrono::Utc.with_ymd_and_hms(2026, 11, 22, h, 0, 0).unwrap();
        assert!(daily_curve(at(15)) > 1.3);
        assert!(daily_curve(at(3)) < 0.7);
    }

    #[test]
    fn no_running_task_means_no_cpu_datapoint() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let inputs = Inputs {
            workload: Workload::NodeApi,
            base_cpu: 50.0,
            nominal_tasks: 2,
            running: 0,
            daily: 1.0,
            spike: None,
            memory_drift: 0.0,
            bad_traffic: 0.0,
            latency_factor: 1.0,
            extra_errors: 0.0,
        };
        let values = compute(&inputs, &mut rng);
        assert_eq!(values[0], (Signal::Cpu, None));
        assert_eq!(values[1], (Signal::Memory, None));
    }

    #[test]
    fn more_tasks_mean_less_cpu_each() {
        let cpu_with = |running| {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let inputs = Inputs {
                workload: Workload::NodeApi,
                base_cpu: 50.0,
                nominal_tasks: 2,
                running,
                daily: 1.0,
                spike: None,
                memory_drift: 0.0,
                bad_traffic: 0.0,
                latency_factor: 1.0,
                extra_errors: 0.0,
            };
            compute(&inputs, &mut rng)[0].1.unwrap()
        };
        assert!(cpu_with(4) < cpu_with(2) * 0.6);
    }
}
