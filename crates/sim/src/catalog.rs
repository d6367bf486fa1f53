//! The seed environments of `SEED_ENVIRONMENTS.md`, as data: names, task
//! sizes, scaling rules, alarm thresholds and cost tables, in the TOML files
//! of `crates/sim/seeds/` embedded in the binary. These types say what each
//! field means; the world in [`super::world`] brings them to life.

use flightdeck_model::{Comparison, LaunchType, Severity};
use serde::{Deserialize, Serialize};

/// What kind of traffic a service serves; drives its signals and log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    NodeApi,
    JavaApi,
    DjangoApi,
    PythonApi,
    Frontend,
    Worker,
    Redis,
    VectorDb,
}

/// A time series the simulation produces for one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    Cpu,
    Memory,
    /// Average target response time, seconds.
    Latency,
    /// p95 response time, seconds.
    LatencyP95,
    /// p99 response time, seconds.
    LatencyP99,
    /// Percentage of 5xx responses.
    ErrorRate,
    /// Requests per minute.
    Requests,
    QueueDepth,
    /// Database replica lag, seconds.
    ReplicaLag,
}

pub const ALL_SIGNALS: [Signal; 9] = [
    Signal::Cpu,
    Signal::Memory,
    Signal::Latency,
    Signal::LatencyP95,
    Signal::LatencyP99,
    Signal::ErrorRate,
    Signal::Requests,
    Signal::QueueDepth,
    Signal::ReplicaLag,
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub port: Option<u16>,
    pub environment: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PolicySpec {
    /// Target tracking on CPU or memory utilisation (percent).
    TargetTracking { signal: Signal, target: f64 },
    /// Step scaling driven by one of the environment's alarms, by name suffix.
    Step {
        name: String,
        alarm: String,
        adjustment: i32,
        cooldown_secs: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingSpec {
    pub min: u32,
    pub max: u32,
    pub policies: Vec<PolicySpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: String,
    pub family: String,
    pub desired: u32,
    pub cpu: u32,
    pub memory: u32,
    pub workload: Workload,
    pub containers: Vec<ContainerSpec>,
    pub scaling: Option<ScalingSpec>,
    /// Average CPU percent at the daily mean with the nominal task count.
    pub base_cpu: f64,
    /// Number of task definition revisions registered so far.
    pub revisions: u32,
    /// A memory leak: each task is killed for running out of memory this
    /// many minutes after it starts, and replaced (a crash loop).
    #[serde(default)]
    pub leak_minutes: Option<u32>,
    /// How it deploys when not a rolling update with the circuit breaker.
    #[serde(default)]
    pub deployment: Option<DeploymentSpec>,
    /// A service of a generated large estate: it keeps an hour of metrics
    /// and a few hundred log lines, so thousands of them fit in memory.
    #[serde(default)]
    pub light: bool,
    /// Log lines a second, instead of what its traffic gives (a log storm).
    #[serde(default)]
    pub log_rate: Option<f64>,
}

/// A traffic-shifting deployment strategy of ECS, as a seed document
/// describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DeploymentSpec {
    BlueGreen {
        bake_minutes: u32,
        /// A Lambda smoke test run after test traffic moved.
        #[serde(default)]
        hook: Option<String>,
        /// After the smoke test, a pause hook waits this many minutes for
        /// someone to switch production traffic (ContinueServiceDeployment),
        /// then rolls back.
        #[serde(default)]
        approval_minutes: Option<u32>,
        #[serde(default)]
        rollback_alarms: Vec<String>,
    },
    Canary {
        percent: f64,
        canary_minutes: u32,
        bake_minutes: u32,
        #[serde(default)]
        rollback_alarms: Vec<String>,
    },
    Linear {
        step_percent: f64,
        step_minutes: u32,
        bake_minutes: u32,
        #[serde(default)]
        rollback_alarms: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    /// Full alarm name.
    pub name: String,
    pub service: String,
    pub signal: Signal,
    pub comparison: Comparison,
    pub threshold: f64,
    pub period_secs: u32,
    pub evaluation_periods: u32,
    pub severity: Severity,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSpec {
    pub name: String,
    /// Production unless the seed says `production = false`, as for a
    /// configured environment: a name is never trusted to say so.
    #[serde(default = "production_by_default")]
    pub production: bool,
    pub account: String,
    pub region: String,
    pub cluster: String,
    pub launch_type: LaunchType,
    pub container_insights: bool,
    pub services: Vec<ServiceSpec>,
    pub alarms: Vec<AlarmSpec>,
    /// Monthly costs outside ECS tasks, `(Cost Explorer service name, USD)`.
    pub fixed_monthly_costs: Vec<(String, f64)>,
    /// For environments whose seed gives a full cost table, the ECS line too.
    pub ecs_monthly_override: Option<f64>,
}

impl EnvSpec {
    /// What the cockpit knows of this environment before any config.
    pub fn info(&self) -> flightdeck_model::EnvironmentInfo {
        flightdeck_model::EnvironmentInfo {
            name: self.name.clone(),
            region: self.region.clone(),
            production: self.production,
            read_only: false,
        }
    }
}

fn production_by_default() -> bool {
    true
}

/// The seed environments as embedded TOML files, in the order of
/// SEED_ENVIRONMENTS.md.
const SEED_FILES: [(&str, &str); 6] = [
    ("radiox-prod", include_str!("../seeds/radiox-prod.toml")),
    ("reelnet-prod", include_str!("../seeds/reelnet-prod.toml")),
    (
        "prod-infra-production",
        include_str!("../seeds/prod-infra-production.toml"),
    ),
    (
        "tellmemore-prod",
        include_str!("../seeds/tellmemore-prod.toml"),
    ),
    (
        "muejam-staging",
        include_str!("../seeds/muejam-staging.toml"),
    ),
    (
        "muejam-production",
        include_str!("../seeds/muejam-production.toml"),
    ),
];

/// All six seed environments, in the order of SEED_ENVIRONMENTS.md, from
/// the embedded seed files.
#[expect(
    clippy::expect_used,
    reason = "the files are embedded at build time and a test parses every one"
)]
pub fn seed_environments() -> Vec<EnvSpec> {
    SEED_FILES
        .iter()
        .map(|(name, text)| parse_seed(name, text).expect("an embedded seed file parses"))
        .collect()
}

/// Parses one seed file.
pub fn parse_seed(name: &str, text: &str) -> Result<EnvSpec, String> {
    toml::from_str(text).map_err(|e| format!("seed environment {name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_file_parses() {
        for (name, text) in SEED_FILES {
            let env = parse_seed(name, text).unwrap();
            assert_eq!(env.name, name);
        }
    }

    #[test]
    fn a_broken_seed_file_says_where() {
        let err = parse_seed("x", "name = \"x\"\nregion = 3\n").unwrap_err();
        assert!(
            err.contains("seed environment x") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn six_environments_with_the_seed_names() {
        let names: Vec<_> = seed_environments().into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "radiox-prod",
                "reelnet-prod",
                "prod-infra-production",
                "tellmemore-prod",
                "muejam-staging",
                "muejam-production"
            ]
        );
    }

    #[test]
    fn tellmemore_costs_add_up_to_the_seed_table() {
        let tmm = seed_environments()
            .into_iter()
            .find(|e| e.name == "tellmemore-prod")
            .unwrap();
        let fixed: f64 = tmm.fixed_monthly_costs.iter().map(|(_, v)| v).sum();
        assert_eq!(fixed + tmm.ecs_monthly_override.unwrap_or(0.0), 600.0);
    }

    #[test]
    fn every_step_policy_names_an_existing_alarm() {
        for env in seed_environments() {
            for svc in &env.services {
                for p in svc.scaling.iter().flat_map(|s| &s.policies) {
                    if let PolicySpec::Step { alarm, .. } = p {
                        assert!(env.alarms.iter().any(|a| &a.name == alarm), "{alarm}");
                    }
                }
            }
        }
    }
}
