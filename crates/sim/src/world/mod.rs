//! The simulated production: every seed environment advanced in fixed
//! 10-second ticks. State at an instant depends only on the seed, the start
//! instant and that instant, never on how often it was looked at.

use crate::catalog::{
    ALL_SIGNALS, AlarmSpec, EnvSpec, PolicySpec, ServiceSpec, Signal, seed_environments,
};
use crate::logs;
use crate::signals::{self, Spike};
use chrono::{Duration, TimeZone, Timelike};
use flightdeck_model::{
    AlarmHistoryItem, AlarmState, Comparison, Deployment, DeploymentConfig, DeploymentStatus,
    EventKind, HookKind, LifecycleHook, LogEvent, MetricPoint, PolicyKind, RolloutState,
    ScalingActivity, ScalingMetric, ServiceEvent, Severity, StepAdjustment, Strategy, TaskDefRef,
    Timestamp, TrackingSide,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap, VecDeque};

mod alarms;
mod build;
mod colleague;
mod demand;
mod faults;
mod groups;
mod history;
pub mod one_off;
mod rollout;
mod scaling;
mod series;
mod shift;
mod tasks;
#[cfg(test)]
mod tests;

use alarms::*;
use build::*;
use colleague::*;
use demand::*;
pub use groups::{GroupSeries, alternate_target_group_arn};
use history::*;
use rollout::*;
use scaling::*;
pub use series::Series;
use shift::*;
use tasks::*;

pub use build::target_group_arn;
pub use faults::{CostChange, Impairment, Outage, Running};
pub use history::write_event;
pub use rollout::{older_image, start_deployment, stop_with_rollback};
pub use shift::{Shift, continue_paused};
pub use tasks::stop_task;

/// Simulated time between two ticks.
pub const TICK: Duration = Duration::seconds(10);

/// How much history exists when the world is created.
pub const WARM_UP: Duration = Duration::hours(3);

/// Metric datapoints kept per series (one a minute).
pub const METRIC_POINTS: usize = 360;

/// Log events kept per log group.
pub const LOG_CAPACITY: usize = 3000;

/// Metric points a service keeps per series.
fn kept_points(spec: &ServiceSpec) -> usize {
    if spec.light {
        LIGHT_METRIC_POINTS
    } else {
        METRIC_POINTS
    }
}

/// The signals a service keeps: all of them, or for a light service those
/// its alarms and the cockpit's panes read and that cannot be derived.
fn kept_signals(spec: &ServiceSpec) -> impl Iterator<Item = Signal> + use<> {
    let light = spec.light;
    let worker = spec.workload == crate::catalog::Workload::Worker;
    ALL_SIGNALS.into_iter().filter(move |s| {
        !light
            || match s {
                Signal::LatencyP95 | Signal::LatencyP99 | Signal::ReplicaLag => false,
                Signal::QueueDepth => worker,
                _ => true,
            }
    })
}

/// What a light service (of a generated estate) keeps: an hour of
/// metrics, no log lines (they are made when read); and how much it logs.
const LIGHT_METRIC_POINTS: usize = 60;
const LIGHT_LOG_CAPACITY: usize = 200;
const LIGHT_LOG_RATE: f64 = 0.02;

/// How long a generated estate has been running when the world starts.
pub const ESTATE_WARM_UP: Duration = Duration::minutes(30);

/// ECS keeps a service's last 100 events.
pub const EVENT_CAPACITY: usize = 100;

const STOPPED_TASKS_KEPT: usize = 20;

const ACTIVITIES_KEPT: usize = 50;

const ALARM_HISTORY_KEPT: usize = 50;

/// A task takes this long from launch to RUNNING.
const TASK_START_TICKS: i64 = 4;

#[derive(Debug, Clone, PartialEq)]
pub enum TaskPhase {
    Pending { ready_at: Timestamp },
    Running,
    Stopped,
}

#[derive(Debug, Clone)]
pub struct SimTask {
    pub id: String,
    pub task_definition: TaskDefRef,
    /// The deployment that started this task.
    pub deployment_id: String,
    pub phase: TaskPhase,
    pub availability_zone: String,
    pub launched_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub stopped_reason: Option<String>,
    pub exit_code: Option<i32>,
    /// The load balancer's health checks have failed (its image fails
    /// them): UNHEALTHY until ECS stops it.
    pub unhealthy: bool,
}

#[derive(Debug, Clone)]
pub struct PolicyState {
    pub name: String,
    pub kind: PolicyKind,
    pub alarms: Vec<String>,
    pub cooldown: Duration,
    pub last_action: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct TargetState {
    pub min: u32,
    pub max: u32,
    pub suspended: bool,
    pub policies: Vec<PolicyState>,
    /// Newest first.
    pub activities: VecDeque<ScalingActivity>,
}

#[derive(Debug, Clone)]
pub struct ServiceState {
    pub spec: ServiceSpec,
    pub cluster: String,
    pub arn: String,
    pub desired: u32,
    pub current_revision: u32,
    pub latest_revision: u32,
    pub tasks: Vec<SimTask>,
    /// Newest first.
    pub stopped: VecDeque<SimTask>,
    /// Newest first.
    pub deployments: Vec<Deployment>,
    /// ECS's service-deployment history, newest first.
    pub history: VecDeque<flightdeck_model::ServiceDeployment>,
    /// Write calls to this service as CloudTrail records them, newest first.
    pub trail: VecDeque<flightdeck_model::WriteEvent>,
    /// How it deploys (the seed's strategy, else rolling with the circuit breaker).
    pub config: flightdeck_model::DeploymentConfig,
    /// The traffic-shifting deployment in progress (blue/green, canary, linear).
    pub shift: Option<Shift>,
    /// ARNs of the target groups the service registers with (services
    /// that listen on a port sit behind the environment's ALB).
    pub target_groups: Vec<String>,
    /// The alternate group of a traffic-shifting service: green registers
    /// in whichever of the two does not carry production traffic.
    pub alternate_target_groups: Vec<String>,
    /// Which group carries production traffic: 0 the target group, 1 the alternate.
    pub live_group: usize,
    /// Each group's own requests, errors and latency (by the index above).
    pub group_series: [GroupSeries; 2],
    /// Newest first.
    pub events: VecDeque<ServiceEvent>,
    /// The signals it keeps (a light service keeps only those its alarms
    /// and the cockpit read, see [`ServiceState::points`]).
    pub series: HashMap<Signal, Series>,
    pub spike: Option<Spike>,
    /// Slow, or failing because a dependency is (a scenario's fault).
    pub impairment: Option<Impairment>,
    pub memory_drift: f64,
    pub target: Option<TargetState>,
    pub logs: VecDeque<LogEvent>,
    pub created_at: Timestamp,
    last_steady_event: Timestamp,
    /// Revisions registered while the world runs.
    pub registered: BTreeMap<u32, Registration>,
    /// When the seed's own latest revision was registered; older seed
    /// revisions are dated back from it.
    pub seed_registered_at: Timestamp,
    /// What goes wrong with each revision's image, once worked out.
    image_faults: HashMap<u32, Option<ImageFault>>,
    /// One-off tasks started for it (RunTask), newest last.
    pub one_offs: VecDeque<one_off::OneOff>,
}

/// A revision registered while the world runs.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `(container, image)`.
    pub images: Vec<(String, String)>,
    pub at: Timestamp,
}

impl ServiceState {
    pub fn running(&self) -> u32 {
        self.tasks
            .iter()
            .filter(|t| t.phase == TaskPhase::Running)
            .count() as u32
    }

    pub fn pending(&self) -> u32 {
        self.tasks
            .iter()
            .filter(|t| matches!(t.phase, TaskPhase::Pending { .. }))
            .count() as u32
    }

    pub fn task_definition(&self) -> TaskDefRef {
        TaskDefRef::new(self.spec.family.clone(), self.current_revision)
    }

    /// `(container, image)` of a revision: as registered, or the catalog's
    /// images with older tags for older revisions.
    pub fn images(&self, revision: u32) -> Vec<(String, String)> {
        if let Some(registration) = self.registered.get(&revision) {
            return registration.images.clone();
        }
        let back = self.spec.revisions.saturating_sub(revision);
        self.spec
            .containers
            .iter()
            .map(|c| (c.name.clone(), older_image(&c.image, back)))
            .collect()
    }

    /// When a revision was registered: as registered while the world ran,
    /// or, for the seed's revisions, a few days apart before its latest.
    pub fn registered_at(&self, revision: u32) -> Timestamp {
        if let Some(registration) = self.registered.get(&revision) {
            return registration.at;
        }
        let back = self.spec.revisions.saturating_sub(revision);
        (self.seed_registered_at - Duration::days(2 * i64::from(back))).max(self.created_at)
    }

    /// Registers a new revision from `base` with some images replaced, at `now`.
    pub fn register_revision(
        &mut self,
        base: u32,
        images: &[(String, String)],
        now: Timestamp,
    ) -> u32 {
        let mut containers = self.images(base);
        for (name, image) in images {
            if let Some(c) = containers.iter_mut().find(|(n, _)| n == name) {
                c.1 = image.clone();
            }
        }
        self.latest_revision += 1;
        self.registered.insert(
            self.latest_revision,
            Registration {
                images: containers,
                at: now,
            },
        );
        self.latest_revision
    }

    /// What goes wrong when tasks of `revision` start, by the demo's
    /// convention on image tags: `broken` cannot be pulled, `stuck` never
    /// becomes healthy.
    fn image_fault(&self, revision: u32) -> Option<ImageFault> {
        if self.tagged(revision, "broken") {
            Some(ImageFault::CannotPull)
        } else if self.tagged(revision, "stuck") {
            Some(ImageFault::NeverHealthy)
        } else if self.tagged(revision, "unhealthy") {
            Some(ImageFault::FailsHealthChecks)
        } else {
            None
        }
    }

    /// [`ServiceState::image_fault`], remembered: a revision's images never
    /// change, and this is asked every tick.
    fn cached_image_fault(&mut self, revision: u32) -> Option<ImageFault> {
        if let Some(fault) = self.image_faults.get(&revision) {
            return *fault;
        }
        let fault = self.image_fault(revision);
        self.image_faults.insert(revision, fault);
        fault
    }

    /// Whether an image of `revision` has `word` in its tag (the demo's
    /// convention for what goes wrong with it).
    fn tagged(&self, revision: u32, word: &str) -> bool {
        self.images(revision)
            .iter()
            .any(|(_, i)| i.rsplit_once(':').is_some_and(|(_, t)| t.contains(word)))
    }

    /// Metric points kept per series.
    fn metric_points(&self) -> usize {
        kept_points(&self.spec)
    }

    /// The datapoints of `signal` from `start` to `end`. A light service's
    /// p95 and p99 are its mean latency's multiples (as every service's
    /// are), and its queue is empty unless it is a worker; it has no
    /// replica lag.
    pub fn points(&self, signal: Signal, start: Timestamp, end: Timestamp) -> Vec<MetricPoint> {
        if let Some(series) = self.series.get(&signal) {
            return series.between(start, end);
        }
        let derived = |f: fn(f64) -> f64| {
            self.series
                .get(&Signal::Latency)
                .map_or_else(Vec::new, |l| {
                    l.between(start, end)
                        .into_iter()
                        .map(|p| MetricPoint {
                            at: p.at,
                            value: f(p.value),
                        })
                        .collect()
                })
        };
        match signal {
            Signal::LatencyP95 => derived(|l| l * signals::P95_OF_MEAN),
            Signal::LatencyP99 => derived(|l| l * signals::P99_OF_MEAN),
            Signal::QueueDepth => derived(|_| 0.0),
            _ => vec![],
        }
    }

    /// Log events kept (a light service keeps none, see
    /// [`ServiceState::logs_on_demand`]).
    fn log_capacity(&self) -> usize {
        if self.logs_on_demand() {
            0
        } else {
            LOG_CAPACITY
        }
    }

    pub fn log_group(&self) -> String {
        format!("/ecs/{}/{}", self.cluster, self.spec.name)
    }

    /// Mean of the last `n` datapoints, as an alarm evaluating them sees it.
    fn recent_mean(&self, signal: Signal, n: usize) -> Option<f64> {
        let series = self.series.get(&signal)?;
        let points: Vec<f64> = series.values().rev().take(n).collect();
        (!points.is_empty()).then(|| points.iter().sum::<f64>() / points.len() as f64)
    }

    pub fn latest(&self, signal: Signal) -> Option<f64> {
        self.series
            .get(&signal)
            .and_then(|s| s.values().next_back())
    }

    /// Adds an event where its time puts it (newest first): one dated in
    /// the past, by a step before the drill, goes among the older ones.
    fn push_event(&mut self, id: String, at: Timestamp, kind: EventKind, message: String) {
        let place = self
            .events
            .iter()
            .position(|e| e.created_at <= at)
            .unwrap_or(self.events.len());
        self.events.insert(
            place,
            ServiceEvent {
                id,
                created_at: at,
                message,
                kind,
            },
        );
        self.events.truncate(EVENT_CAPACITY);
    }
}

#[derive(Debug, Clone)]
pub struct SimAlarm {
    pub spec: AlarmSpec,
    pub state: AlarmState,
    pub reason: String,
    pub updated_at: Timestamp,
    /// Newest first.
    pub history: VecDeque<AlarmHistoryItem>,
    /// ARNs of what the alarm triggers.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EnvState {
    pub spec: EnvSpec,
    pub services: Vec<ServiceState>,
    pub alarms: Vec<SimAlarm>,
    /// An availability zone that failed (a scenario's fault).
    pub outage: Option<Outage>,
    /// Desired counts that changed the bill (a scenario's scale-out).
    pub cost_changes: Vec<CostChange>,
}

impl EnvState {
    pub fn service(&self, name: &str) -> Option<&ServiceState> {
        self.services.iter().find(|s| s.spec.name == name)
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut ServiceState> {
        self.services.iter_mut().find(|s| s.spec.name == name)
    }
}

/// Cloned, a world goes on exactly as the original would: every generator
/// and every state is in it (tests build one and clone it).
#[derive(Clone)]
pub struct World {
    pub seed: u64,
    rng: ChaCha8Rng,
    /// The colleagues' own generator ([`colleague`]).
    colleagues: ChaCha8Rng,
    /// The instant of the last tick applied.
    now: Timestamp,
    pub envs: Vec<EnvState>,
    /// The drill being played, if any.
    pub scenario: Option<Running>,
    /// The drill's environment, from the world's first tick: its history
    /// before the drill is the scenario's story alone (no colleague's
    /// write in it contradicts a step dated days earlier).
    drilled: Option<String>,
}

/// Lowercase hex of `len` random digits.
pub(crate) fn hex(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A random id in the shape of a UUID (`8-4-4-4-12` hex digits), as AWS
/// gives scaling activities and CloudTrail events.
fn uuid(rng: &mut impl Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// Aligns an instant down to a whole tick so that every world with the same
/// seed and start ticks at the same instants.
fn align(t: Timestamp) -> Timestamp {
    let secs = t.timestamp();
    let step = TICK.num_seconds();
    chrono::Utc
        .timestamp_opt(secs - secs.rem_euclid(step), 0)
        .single()
        .unwrap_or(t)
}

impl World {
    /// A world whose history starts [`WARM_UP`] before `start` and has been
    /// simulated up to `start`.
    pub fn new(seed: u64, start: Timestamp) -> Self {
        Self::create(seed, start, None, None)
    }

    /// A world with no environment, to stand in while the real one is made.
    pub fn empty(seed: u64) -> Self {
        Self {
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            colleagues: ChaCha8Rng::seed_from_u64(seed),
            now: Timestamp::MIN_UTC,
            envs: vec![],
            scenario: None,
            drilled: None,
        }
    }

    /// [`World::new`], then `scenario` played from `start`: the steps dated
    /// before it happen at once, the others as the world reaches them.
    pub fn with_scenario(seed: u64, start: Timestamp, scenario: crate::scenario::Scenario) -> Self {
        Self::create(seed, start, None, Some(scenario))
    }

    /// The seed environments, plus a generated `estate` that has been
    /// running for [`ESTATE_WARM_UP`] (its services are light, but there
    /// may be thousands), plus a drill.
    pub fn create(
        seed: u64,
        start: Timestamp,
        estate: Option<crate::estate::EstateSpec>,
        scenario: Option<crate::scenario::Scenario>,
    ) -> Self {
        let start = align(start);
        let origin = start - WARM_UP;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let envs = seed_environments()
            .into_iter()
            .map(|spec| build_env(spec, origin, &mut rng))
            .collect();
        let mut world = Self {
            seed,
            rng,
            colleagues: ChaCha8Rng::seed_from_u64(seed.rotate_left(17) ^ 0xc011_ea9e),
            now: origin,
            envs,
            scenario: None,
            drilled: scenario.as_ref().map(|s| s.environment.get_ref().clone()),
        };
        if let Some(estate) = estate {
            world.advance_to(start - ESTATE_WARM_UP);
            let born = world.now;
            for spec in crate::estate::generate(estate, seed) {
                let env = build_env(spec, born, &mut world.rng);
                world.envs.push(env);
            }
        }
        world.advance_to(start);
        if let Some(scenario) = scenario {
            if let Some(env) = world
                .envs
                .iter_mut()
                .find(|e| e.spec.name == *scenario.environment.get_ref())
            {
                for step in &scenario.steps {
                    faults::stage(env, &step.fault);
                }
            }
            world.scenario = Some(Running::new(scenario, world.now));
            world.fire_due_steps();
        }
        world
    }

    /// The environments [`World::create`] makes with `estate`, without
    /// making them.
    pub fn environments(
        seed: u64,
        estate: Option<crate::estate::EstateSpec>,
    ) -> Vec<flightdeck_model::EnvironmentInfo> {
        seed_environments()
            .into_iter()
            .chain(
                estate
                    .map(|e| crate::estate::generate(e, seed))
                    .unwrap_or_default(),
            )
            .map(|e| e.info())
            .collect()
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Applies every tick up to `t`. Earlier instants are ignored: time
    /// never runs backwards in the world.
    pub fn advance_to(&mut self, t: Timestamp) {
        if self.envs.is_empty() {
            // An empty world (its making failed) has nothing to tick.
            self.now = self.now.max(t);
            return;
        }
        while self.now + TICK <= t {
            self.now += TICK;
            self.tick();
        }
    }

    pub fn env(&self, name: &str) -> Option<&EnvState> {
        self.envs.iter().find(|e| e.spec.name == name)
    }

    /// Splits the borrow so writes can draw ids from the world's generator.
    pub fn env_and_rng(
        &mut self,
        name: &str,
    ) -> Option<(&mut EnvState, &mut ChaCha8Rng, Timestamp)> {
        let now = self.now;
        let rng = &mut self.rng;
        self.envs
            .iter_mut()
            .find(|e| e.spec.name == name)
            .map(|e| (e, rng, now))
    }

    fn tick(&mut self) {
        self.fire_due_steps();
        let now = self.now;
        let minute = now.second() == 0;
        let rng = &mut self.rng;
        for env in &mut self.envs {
            faults::expire(env, now);
            let outage = env.outage.clone();
            for svc in &mut env.services {
                maybe_spike(svc, now, rng);
                progress_tasks(svc, now, rng);
                leak_kills(svc, now, rng);
                if svc.shift.is_some() {
                    progress_shift(svc, now, rng);
                } else if !circuit_breaker(svc, now, rng) {
                    progress_rollout(svc, now, rng);
                }
                reconcile_desired(svc, now, rng);
                if let Some(outage) = &outage {
                    faults::place(svc, outage, now, rng);
                }
                maybe_fail_task(svc, now, rng);
                refresh_deployment_counts(svc, now);
                emit_logs(svc, now, rng);
                if minute {
                    record_signals(svc, now, rng);
                }
            }
            // A drill's environment changes only by its script and the
            // operator: colleagues leave it alone meanwhile.
            let drilled = self.drilled.as_ref() == Some(&env.spec.name);
            if minute && !drilled {
                maybe_colleague_acts(env, now, &mut self.colleagues);
            }
            if minute {
                evaluate_alarms(env, now);
                alarm_rollbacks(env, now, rng);
                apply_scaling(env, now, rng);
            }
        }
    }
}
