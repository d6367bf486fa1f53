//! A large generated estate, for trying the cockpit at scale: `N` services
//! over environments of up to [`SERVICES_PER_ENVIRONMENT`] (one cluster
//! each), with alarms, scaling targets and logs in proportion, all drawn
//! from the seed so the same `N` and seed give the same estate.
//!
//! Its services are *light*: they log little and keep an hour of metrics,
//! so thousands of them fit in the memory of a laptop. One of them can
//! storm, logging thousands of lines a second.

use crate::catalog::{
    AlarmSpec, ContainerSpec, EnvSpec, PolicySpec, ScalingSpec, ServiceSpec, Signal, Workload,
};
use flightdeck_model::{Comparison, LaunchType, Severity};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Services per generated environment (and cluster).
pub const SERVICES_PER_ENVIRONMENT: usize = 1000;

/// Teams that own the generated services.
const TEAMS: [&str; 20] = [
    "payments",
    "search",
    "catalog",
    "checkout",
    "identity",
    "media",
    "billing",
    "ledger",
    "notify",
    "growth",
    "ads",
    "maps",
    "inventory",
    "orders",
    "reviews",
    "pricing",
    "fraud",
    "reports",
    "support",
    "shipping",
];

/// What a team runs: a component name, its workload and whether it listens.
const COMPONENTS: [(&str, Workload, bool); 8] = [
    ("api", Workload::NodeApi, true),
    ("web", Workload::Frontend, true),
    ("worker", Workload::Worker, false),
    ("consumer", Workload::Worker, false),
    ("gateway", Workload::JavaApi, true),
    ("admin", Workload::DjangoApi, true),
    ("ml", Workload::PythonApi, true),
    ("cache", Workload::Redis, false),
];

/// How the estate is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstateSpec {
    pub services: usize,
    /// Lines a second the storming service logs (0: no storm).
    pub log_storm: u32,
}

/// The estate's environments, named `estate-01`, `estate-02`, ….
pub fn generate(spec: EstateSpec, seed: u64) -> Vec<EnvSpec> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0e57_a7e5);
    let envs = spec.services.div_ceil(SERVICES_PER_ENVIRONMENT);
    (0..envs)
        .map(|e| {
            let from = e * SERVICES_PER_ENVIRONMENT;
            let count = (spec.services - from).min(SERVICES_PER_ENVIRONMENT);
            let storm = (e == 0).then_some(spec.log_storm).filter(|r| *r > 0);
            environment(e + 1, count, storm, &mut rng)
        })
        .collect()
}

fn environment(index: usize, count: usize, storm: Option<u32>, rng: &mut ChaCha8Rng) -> EnvSpec {
    let name = format!("estate-{index:02}");
    let account = format!("7{index:011}");
    let region = if index % 2 == 1 {
        "us-east-1"
    } else {
        "eu-west-1"
    };
    let mut services = Vec::with_capacity(count);
    let mut alarms = Vec::with_capacity(count * 2);
    for i in 0..count {
        let team = TEAMS[i % TEAMS.len()];
        let (component, workload, listens) = COMPONENTS[(i / TEAMS.len()) % COMPONENTS.len()];
        let service = format!(
            "{team}-{component}-{:02}",
            i / (TEAMS.len() * COMPONENTS.len()) + 1
        );
        let mut svc = service_spec(&account, region, &service, workload, listens, rng);
        if i == 0 {
            svc.log_rate = storm.map(f64::from);
        }
        alarms.extend(alarm_specs(&name, &service, workload, listens, rng));
        services.push(svc);
    }
    EnvSpec {
        cluster: name.clone(),
        name,
        production: true,
        account,
        region: region.into(),
        launch_type: LaunchType::Fargate,
        container_insights: false,
        fixed_monthly_costs: vec![
            (
                "Amazon Relational Database Service".into(),
                4.0 * count as f64,
            ),
            ("Amazon Elastic Load Balancing".into(), 1.5 * count as f64),
        ],
        ecs_monthly_override: None,
        services,
        alarms,
    }
}

fn service_spec(
    account: &str,
    region: &str,
    name: &str,
    workload: Workload,
    listens: bool,
    rng: &mut ChaCha8Rng,
) -> ServiceSpec {
    let desired = rng.random_range(1..=6);
    let revisions = rng.random_range(1..=240);
    let scaled = rng.random_bool(1.0 / 3.0);
    ServiceSpec {
        name: name.into(),
        family: name.into(),
        desired,
        cpu: [256, 512, 1024][rng.random_range(0..3)],
        memory: [512, 1024, 2048][rng.random_range(0..3)],
        workload,
        containers: vec![ContainerSpec {
            name: name.into(),
            image: format!(
                "{account}.dkr.ecr.{region}.amazonaws.com/{name}:1.{}.{}",
                revisions / 10,
                revisions % 10
            ),
            port: listens.then_some(8080),
            environment: vec![("ENVIRONMENT".into(), "production".into())],
            secrets: vec![],
        }],
        scaling: scaled.then(|| ScalingSpec {
            min: desired,
            max: desired * 4,
            policies: vec![PolicySpec::TargetTracking {
                signal: Signal::Cpu,
                target: 60.0,
            }],
        }),
        base_cpu: rng.random_range(10.0..35.0),
        revisions,
        leak_minutes: None,
        deployment: None,
        light: true,
        log_rate: None,
    }
}

fn alarm_specs(
    env: &str,
    service: &str,
    workload: Workload,
    listens: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<AlarmSpec> {
    let alarm = |suffix: &str, signal, threshold, severity, description: &str| AlarmSpec {
        name: format!("{env}-{service}-{suffix}"),
        service: service.into(),
        signal,
        comparison: Comparison::GreaterThanThreshold,
        threshold,
        period_secs: 60,
        evaluation_periods: 3,
        severity,
        description: description.into(),
    };
    let mut out = vec![alarm(
        "cpu-high",
        Signal::Cpu,
        rng.random_range(80.0..95.0),
        Severity::Warning,
        "CPU above its usual range",
    )];
    if listens {
        out.push(alarm(
            "5xx-critical",
            Signal::ErrorRate,
            5.0,
            Severity::Critical,
            &format!(
                "Pages on-call: 5xx above 5 %\nrunbook: https://runbooks.example.com/{env}/{service}/5xx"
            ),
        ));
    } else if workload == Workload::Worker {
        out.push(alarm(
            "queue-backlog",
            Signal::QueueDepth,
            500.0,
            Severity::Warning,
            "Queue backlog growing",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estate_has_the_services_asked_for_unique_and_the_same_under_a_seed() {
        let spec = EstateSpec {
            services: 2500,
            log_storm: 0,
        };
        let estate = generate(spec, 42);
        assert_eq!(estate.len(), 3);
        assert_eq!(estate.iter().map(|e| e.services.len()).sum::<usize>(), 2500);
        assert_eq!(estate[2].services.len(), 500);
        for env in &estate {
            let mut names: Vec<_> = env.services.iter().map(|s| &s.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), env.services.len(), "{}", env.name);
            // Alarms in proportion: one or two a service, each on one of them.
            assert!(env.alarms.len() >= env.services.len());
            assert!(env.alarms.len() <= 2 * env.services.len());
        }
        assert_eq!(generate(spec, 42), estate);
        assert_ne!(generate(spec, 43), estate);
    }

    #[test]
    fn a_storm_is_one_service_of_the_first_environment() {
        let estate = generate(
            EstateSpec {
                services: 30,
                log_storm: 5000,
            },
            1,
        );
        let storming: Vec<_> = estate[0]
            .services
            .iter()
            .filter(|s| s.log_rate.is_some())
            .collect();
        assert_eq!(storming.len(), 1);
        assert_eq!(storming[0].log_rate, Some(5000.0));
    }
}
