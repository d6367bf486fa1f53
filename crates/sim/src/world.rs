//! The simulated production: every seed environment advanced in fixed
//! 10-second ticks. State at an instant depends only on the seed, the start
//! instant and that instant, never on how often it was looked at.

use super::catalog::{
    ALL_SIGNALS, AlarmSpec, EnvSpec, PolicySpec, ServiceSpec, Signal, seed_environments,
};
use super::logs;
use super::signals::{self, Spike};
use chrono::{Duration, TimeZone, Timelike};
use flightdeck_model::{
    AlarmHistoryItem, AlarmState, Comparison, Deployment, DeploymentStatus, LogEvent, MetricPoint,
    PolicyKind, RolloutState, ScalingActivity, ServiceEvent, Severity, StepAdjustment, TaskDefRef,
    Timestamp,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Simulated time between two ticks.
pub const TICK: Duration = Duration::seconds(10);
/// How much history exists when the world is created.
pub const WARM_UP: Duration = Duration::hours(3);
/// Metric datapoints kept per series (one a minute).
pub const METRIC_POINTS: usize = 360;
/// Log events kept per log group.
pub const LOG_CAPACITY: usize = 3000;
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum ImageFault {
    CannotPull,
    NeverHealthy,
}

/// The image tag `back` revisions before the current one: the last number in
/// the tag counts down (`v2.14.3` -> `v2.14.1`), or `-prevN` is appended.
pub fn older_image(image: &str, back: u32) -> String {
    if back == 0 {
        return image.to_string();
    }
    let Some((repo, tag)) = image.rsplit_once(':') else {
        return image.to_string();
    };
    let digits_end = tag.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1);
    if let Some(end) = digits_end {
        let start = tag[..end]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        if let Ok(n) = tag[start..end].parse::<u32>()
            && n >= back
        {
            return format!("{repo}:{}{}{}", &tag[..start], n - back, &tag[end..]);
        }
    }
    format!("{repo}:{tag}-prev{back}")
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
    pub desired: u32,
    pub current_revision: u32,
    pub latest_revision: u32,
    pub tasks: Vec<SimTask>,
    /// Newest first.
    pub stopped: VecDeque<SimTask>,
    /// Newest first.
    pub deployments: Vec<Deployment>,
    /// Newest first.
    pub events: VecDeque<ServiceEvent>,
    pub series: HashMap<Signal, VecDeque<MetricPoint>>,
    pub spike: Option<Spike>,
    pub memory_drift: f64,
    pub target: Option<TargetState>,
    pub logs: VecDeque<LogEvent>,
    pub created_at: Timestamp,
    last_steady_event: Timestamp,
    /// Container images of revisions registered while the world runs.
    pub registered: BTreeMap<u32, Vec<(String, String)>>,
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
        if let Some(images) = self.registered.get(&revision) {
            return images.clone();
        }
        let back = self.spec.revisions.saturating_sub(revision);
        self.spec
            .containers
            .iter()
            .map(|c| (c.name.clone(), older_image(&c.image, back)))
            .collect()
    }

    /// Registers a new revision from `base` with some images replaced.
    pub fn register_revision(&mut self, base: u32, images: &[(String, String)]) -> u32 {
        let mut containers = self.images(base);
        for (name, image) in images {
            if let Some(c) = containers.iter_mut().find(|(n, _)| n == name) {
                c.1 = image.clone();
            }
        }
        self.latest_revision += 1;
        self.registered.insert(self.latest_revision, containers);
        self.latest_revision
    }

    /// What goes wrong when tasks of `revision` start, by the demo's
    /// convention on image tags: `broken` cannot be pulled, `stuck` never
    /// becomes healthy.
    fn image_fault(&self, revision: u32) -> Option<ImageFault> {
        let images = self.images(revision);
        let tag = |word: &str| {
            images
                .iter()
                .any(|(_, i)| i.rsplit_once(':').is_some_and(|(_, t)| t.contains(word)))
        };
        if tag("broken") {
            Some(ImageFault::CannotPull)
        } else if tag("stuck") {
            Some(ImageFault::NeverHealthy)
        } else {
            None
        }
    }

    pub fn log_group(&self) -> String {
        format!("/ecs/{}/{}", self.cluster, self.spec.name)
    }

    /// Mean of the last `n` datapoints, as an alarm evaluating them sees it.
    fn recent_mean(&self, signal: Signal, n: usize) -> Option<f64> {
        let series = self.series.get(&signal)?;
        let points: Vec<f64> = series.iter().rev().take(n).map(|p| p.value).collect();
        (!points.is_empty()).then(|| points.iter().sum::<f64>() / points.len() as f64)
    }

    fn latest(&self, signal: Signal) -> Option<f64> {
        self.series
            .get(&signal)
            .and_then(|s| s.back())
            .map(|p| p.value)
    }

    fn push_event(&mut self, id: String, at: Timestamp, message: String) {
        self.events.push_front(ServiceEvent {
            id,
            created_at: at,
            message,
        });
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
}

impl EnvState {
    pub fn service(&self, name: &str) -> Option<&ServiceState> {
        self.services.iter().find(|s| s.spec.name == name)
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut ServiceState> {
        self.services.iter_mut().find(|s| s.spec.name == name)
    }
}

pub struct World {
    pub seed: u64,
    rng: ChaCha8Rng,
    /// The instant of the last tick applied.
    now: Timestamp,
    pub envs: Vec<EnvState>,
}

/// Lowercase hex of `len` random digits.
fn hex(rng: &mut impl Rng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

fn deployment_id(rng: &mut impl Rng) -> String {
    format!(
        "ecs-svc/{}",
        rng.random_range(1_000_000_000_000_000_000u64..9_999_999_999_999_999_999)
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
            now: origin,
            envs,
        };
        world.advance_to(start);
        world
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Applies every tick up to `t`. Earlier instants are ignored: time
    /// never runs backwards in the world.
    pub fn advance_to(&mut self, t: Timestamp) {
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
        let now = self.now;
        let minute = now.second() == 0;
        let rng = &mut self.rng;
        for env in &mut self.envs {
            for svc in &mut env.services {
                maybe_spike(svc, now, rng);
                progress_tasks(svc, now, rng);
                if !circuit_breaker(svc, now, rng) {
                    progress_rollout(svc, now, rng);
                }
                reconcile_desired(svc, now, rng);
                maybe_fail_task(svc, now, rng);
                refresh_deployment_counts(svc, now);
                emit_logs(svc, now, rng);
                if minute {
                    record_signals(svc, now, rng);
                }
            }
            if minute {
                evaluate_alarms(env, now);
                apply_scaling(env, now, rng);
            }
        }
    }
}

fn build_env(spec: EnvSpec, origin: Timestamp, rng: &mut ChaCha8Rng) -> EnvState {
    let mut alarms: Vec<SimAlarm> = spec.alarms.iter().cloned().map(new_alarm(origin)).collect();
    let mut services = Vec::new();
    for svc_spec in &spec.services {
        let mut svc = build_service(svc_spec.clone(), &spec, origin, rng);
        if let Some(scaling) = &svc_spec.scaling {
            let mut policies = Vec::new();
            for p in &scaling.policies {
                policies.push(build_policy(p, &spec, svc_spec, &mut alarms, rng, origin));
            }
            svc.target = Some(TargetState {
                min: scaling.min,
                max: scaling.max,
                suspended: false,
                policies,
                activities: VecDeque::new(),
            });
        }
        services.push(svc);
    }
    EnvState {
        spec,
        services,
        alarms,
    }
}

fn new_alarm(origin: Timestamp) -> impl Fn(AlarmSpec) -> SimAlarm {
    move |spec| SimAlarm {
        spec,
        state: AlarmState::InsufficientData,
        reason: "Unchecked: Initial alarm creation".into(),
        updated_at: origin,
        history: VecDeque::new(),
        actions: vec![],
    }
}

fn policy_arn(env: &EnvSpec, svc: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:scalingPolicy:{}:resource/ecs/service/{}/{svc}:policyName/{name}",
        env.region,
        env.account,
        uuid_like(name),
        env.cluster
    )
}

/// A stable pseudo-UUID derived from a name (no randomness: ARNs must not
/// shift when the generator is consumed differently).
fn uuid_like(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xffff,
        (h >> 48) & 0xffff,
        h & 0xffff_ffff_ffff
    )
}

fn build_policy(
    p: &PolicySpec,
    env: &EnvSpec,
    svc: &ServiceSpec,
    alarms: &mut Vec<SimAlarm>,
    rng: &mut ChaCha8Rng,
    origin: Timestamp,
) -> PolicyState {
    match p {
        PolicySpec::TargetTracking { signal, target } => {
            let metric = if *signal == Signal::Memory {
                "ECSServiceAverageMemoryUtilization"
            } else {
                "ECSServiceAverageCPUUtilization"
            };
            let short = if *signal == Signal::Memory {
                "memory"
            } else {
                "cpu"
            };
            let name = format!("{}-{short}-target-tracking", svc.name);
            let arn = policy_arn(env, &svc.name, &name);
            let resource = format!("service/{}/{}", env.cluster, svc.name);
            let high = format!("TargetTracking-{resource}-AlarmHigh-{}", hex(rng, 8));
            let low = format!("TargetTracking-{resource}-AlarmLow-{}", hex(rng, 8));
            let mk = |name: &str, cmp, threshold, evals| AlarmSpec {
                name: name.to_string(),
                service: svc.name.clone(),
                signal: *signal,
                comparison: cmp,
                threshold,
                period_secs: 60,
                evaluation_periods: evals,
                severity: Severity::Info,
                description: format!(
                    "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}."
                ),
            };
            for (spec,) in [
                (mk(&high, Comparison::GreaterThanThreshold, *target, 3),),
                (mk(
                    &low,
                    Comparison::LessThanThreshold,
                    (target * 0.9).round(),
                    15,
                ),),
            ] {
                let mut alarm = new_alarm(origin)(spec);
                alarm.actions.push(arn.clone());
                alarms.push(alarm);
            }
            PolicyState {
                name,
                kind: PolicyKind::TargetTracking {
                    metric: metric.into(),
                    target: *target,
                },
                alarms: vec![high, low],
                cooldown: Duration::seconds(180),
                last_action: None,
            }
        }
        PolicySpec::Step {
            name,
            alarm,
            adjustment,
            cooldown_secs,
        } => {
            let arn = policy_arn(env, &svc.name, name);
            if let Some(a) = alarms.iter_mut().find(|a| &a.spec.name == alarm) {
                a.actions.push(arn);
            }
            PolicyState {
                name: name.clone(),
                kind: PolicyKind::StepScaling {
                    adjustments: vec![StepAdjustment {
                        lower_bound: Some(0.0),
                        upper_bound: None,
                        adjustment: *adjustment,
                    }],
                    cooldown_secs: *cooldown_secs,
                },
                alarms: vec![alarm.clone()],
                cooldown: Duration::seconds(i64::from(*cooldown_secs)),
                last_action: None,
            }
        }
    }
}

fn build_service(
    spec: ServiceSpec,
    env: &EnvSpec,
    origin: Timestamp,
    rng: &mut ChaCha8Rng,
) -> ServiceState {
    let revision = spec.revisions;
    let created_at = origin - Duration::days(120);
    let deployed_at = origin - Duration::hours(rng.random_range(20..200));
    let td = TaskDefRef::new(spec.family.clone(), revision);
    let deployment = Deployment {
        id: deployment_id(rng),
        status: DeploymentStatus::Primary,
        task_definition: td.clone(),
        desired: spec.desired,
        running: spec.desired,
        pending: 0,
        failed_tasks: 0,
        rollout_state: RolloutState::Completed,
        rollout_reason: "ECS deployment completed.".into(),
        created_at: deployed_at,
        updated_at: deployed_at + Duration::minutes(6),
    };
    let mut svc = ServiceState {
        cluster: env.cluster.clone(),
        desired: spec.desired,
        current_revision: revision,
        latest_revision: revision,
        tasks: vec![],
        stopped: VecDeque::new(),
        deployments: vec![],
        events: VecDeque::new(),
        series: ALL_SIGNALS.iter().map(|s| (*s, VecDeque::new())).collect(),
        spike: None,
        memory_drift: 0.0,
        target: None,
        logs: VecDeque::new(),
        created_at,
        last_steady_event: origin,
        registered: BTreeMap::new(),
        spec,
    };
    let name = svc.spec.name.clone();
    let dep_id = deployment.id.clone();
    svc.push_event(
        hex(rng, 8),
        deployment.created_at,
        format!("(service {name}) has started {} tasks.", svc.spec.desired),
    );
    svc.push_event(
        hex(rng, 8),
        deployment.updated_at,
        format!("(service {name}) (deployment {dep_id}) deployment completed."),
    );
    svc.push_event(
        hex(rng, 8),
        deployment.updated_at,
        format!("(service {name}) has reached a steady state."),
    );
    for _ in 0..svc.spec.desired {
        let mut task = new_task(&deployment, deployed_at, rng);
        task.phase = TaskPhase::Running;
        task.started_at = Some(deployed_at + Duration::seconds(40));
        svc.tasks.push(task);
    }
    svc.deployments.push(deployment);
    svc
}

fn new_task(deployment: &Deployment, now: Timestamp, rng: &mut ChaCha8Rng) -> SimTask {
    let az = ["us-east-1a", "us-east-1b", "us-east-1c"][rng.random_range(0..3)];
    SimTask {
        id: hex(rng, 32),
        task_definition: deployment.task_definition.clone(),
        deployment_id: deployment.id.clone(),
        phase: TaskPhase::Pending {
            ready_at: now + TICK * TASK_START_TICKS as i32,
        },
        availability_zone: az.to_string(),
        launched_at: now,
        started_at: None,
        stopped_at: None,
        stopped_reason: None,
        exit_code: None,
    }
}

/// Incidents: about one spike per service every few hours.
fn maybe_spike(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    if let Some(s) = svc.spike
        && s.until <= now
    {
        svc.spike = None;
    }
    // Memory drifts slowly, like caches warming and GC settling.
    svc.memory_drift = (svc.memory_drift + (rng.random::<f64>() - 0.5) * 0.3).clamp(-6.0, 12.0);
    if svc.spike.is_none() && rng.random_bool(1.0 / 1200.0) {
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

fn stop_task(
    svc: &mut ServiceState,
    index: usize,
    now: Timestamp,
    reason: &str,
    exit_code: Option<i32>,
) -> SimTask {
    let mut task = svc.tasks.remove(index);
    task.phase = TaskPhase::Stopped;
    task.stopped_at = Some(now);
    task.stopped_reason = Some(reason.to_string());
    task.exit_code = exit_code;
    svc.stopped.push_front(task.clone());
    svc.stopped.truncate(STOPPED_TASKS_KEPT);
    task
}

/// Pending tasks become RUNNING when their time comes, unless their image
/// cannot be pulled (stopped, counted against their deployment) or never
/// becomes healthy (left pending: the rollout makes no progress).
fn progress_tasks(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let faults: HashMap<u32, Option<ImageFault>> = svc
        .tasks
        .iter()
        .map(|t| t.task_definition.revision)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|r| (r, svc.image_fault(r)))
        .collect();
    let mut cannot_pull = vec![];
    for (i, task) in svc.tasks.iter_mut().enumerate() {
        let TaskPhase::Pending { ready_at } = task.phase else {
            continue;
        };
        if ready_at > now {
            continue;
        }
        match faults
            .get(&task.task_definition.revision)
            .copied()
            .flatten()
        {
            Some(ImageFault::CannotPull) => cannot_pull.push(i),
            Some(ImageFault::NeverHealthy) => {}
            None => {
                task.phase = TaskPhase::Running;
                task.started_at = Some(now);
            }
        }
    }
    let name = svc.spec.name.clone();
    for i in cannot_pull.into_iter().rev() {
        let revision = svc.tasks[i].task_definition.revision;
        let image = svc
            .images(revision)
            .into_iter()
            .map(|(_, image)| image)
            .find(|image| image.contains("broken"))
            .unwrap_or_default();
        let reason = format!(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
        );
        let task = stop_task(svc, i, now, &reason, None);
        if let Some(d) = svc
            .deployments
            .iter_mut()
            .find(|d| d.id == task.deployment_id)
        {
            d.failed_tasks += 1;
        }
        svc.push_event(
            hex(rng, 8),
            now,
            format!(
                "(service {name}) (task {}) failed to start: {reason}",
                task.id
            ),
        );
    }
}

/// The operator's rollback of the deployment in progress, the way ECS's
/// StopServiceDeployment does it: the deployment stops and a new one goes
/// back to the last deployment that completed. `false` when there is none.
pub fn stop_with_rollback(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) -> bool {
    let Some(primary) = svc.deployments.first().cloned() else {
        return false;
    };
    let (Some((id, td)), RolloutState::InProgress) =
        (last_completed(svc, &primary.id), primary.rollout_state)
    else {
        return false;
    };
    fail_primary(svc, "Stopped: rolled back by the operator.", now);
    let name = svc.spec.name.clone();
    svc.push_event(
        hex(rng, 8),
        now,
        format!(
            "(service {name}) (deployment {}) stopped; rolling back to deployment {id} ({td}).",
            primary.id
        ),
    );
    start_deployment(svc, td, now, rng);
    true
}

/// The last deployment other than `except` that completed: what a
/// rollback goes back to, as `(id, task definition)`.
fn last_completed(svc: &ServiceState, except: &str) -> Option<(String, TaskDefRef)> {
    svc.deployments
        .iter()
        .find(|d| d.id != except && d.rollout_state == RolloutState::Completed)
        .map(|d| (d.id.clone(), d.task_definition.clone()))
}

/// Marks the PRIMARY deployment's rollout FAILED, with ECS's reason.
fn fail_primary(svc: &mut ServiceState, reason: &str, now: Timestamp) {
    if let Some(d) = svc.deployments.first_mut() {
        d.rollout_state = RolloutState::Failed;
        d.rollout_reason = reason.into();
        d.updated_at = now;
    }
}

/// The deployment circuit breaker: after enough failed tasks the rollout
/// fails and ECS rolls back to the last deployment that completed.
fn circuit_breaker(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) -> bool {
    let Some(primary) = svc.deployments.first().cloned() else {
        return false;
    };
    let threshold = svc.desired.div_ceil(2).clamp(3, 200);
    if primary.rollout_state != RolloutState::InProgress || primary.failed_tasks < threshold {
        return false;
    }
    let name = svc.spec.name.clone();
    fail_primary(
        svc,
        "ECS deployment circuit breaker: tasks failed to start.",
        now,
    );
    svc.push_event(
        hex(rng, 8),
        now,
        format!(
            "(service {name}) (deployment {}) deployment failed: tasks failed to start.",
            primary.id
        ),
    );
    let pending: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| svc.tasks[i].deployment_id == primary.id)
        .collect();
    for i in pending.into_iter().rev() {
        stop_task(
            svc,
            i,
            now,
            "Deployment failed: circuit breaker rolled back",
            None,
        );
    }
    if let Some((id, td)) = last_completed(svc, &primary.id) {
        svc.push_event(
            hex(rng, 8),
            now,
            format!("(service {name}) rolling back to deployment {id} ({td})."),
        );
        start_deployment(svc, td, now, rng);
    }
    true
}

/// Brings each deployment's desired/running/pending in line with the tasks;
/// run once per tick, after everything that starts or stops tasks.
fn refresh_deployment_counts(svc: &mut ServiceState, now: Timestamp) {
    if let Some(primary) = svc.deployments.first_mut() {
        primary.desired = svc.desired;
    }
    for d in &mut svc.deployments {
        let (running, pending) =
            svc.tasks
                .iter()
                .filter(|t| t.deployment_id == d.id)
                .fold((0, 0), |(r, p), t| match t.phase {
                    TaskPhase::Running => (r + 1, p),
                    TaskPhase::Pending { .. } => (r, p + 1),
                    TaskPhase::Stopped => (r, p),
                });
        if d.running != running || d.pending != pending {
            d.running = running;
            d.pending = pending;
            d.updated_at = now;
        }
    }
}

/// Rolling update with minimumHealthyPercent 100 and maximumPercent 200:
/// new tasks start first, an old task stops for each new one running.
fn progress_rollout(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let Some(primary) = svc.deployments.first().cloned() else {
        return;
    };
    if primary.rollout_state != RolloutState::InProgress {
        return;
    }
    let name = svc.spec.name.clone();
    let new_running = svc
        .tasks
        .iter()
        .filter(|t| t.deployment_id == primary.id && t.phase == TaskPhase::Running)
        .count() as u32;
    let old_running_idx: Vec<usize> = svc
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.deployment_id != primary.id)
        .map(|(i, _)| i)
        .collect();
    let excess = (new_running + old_running_idx.len() as u32).saturating_sub(svc.desired);
    let mut stopped_ids = vec![];
    for &i in old_running_idx.iter().rev().take(excess as usize) {
        let reason = format!("Deployment {} replaced this task.", primary.id);
        let t = stop_task(svc, i, now, &reason, Some(0));
        stopped_ids.push(t.id);
    }
    if !stopped_ids.is_empty() {
        let list: String = stopped_ids
            .iter()
            .map(|id| format!(" (task {id})"))
            .collect();
        svc.push_event(
            hex(rng, 8),
            now,
            format!(
                "(service {name}) has stopped {} running tasks:{list}.",
                stopped_ids.len()
            ),
        );
    }
    let old_left = svc.tasks.iter().any(|t| t.deployment_id != primary.id);
    if !old_left && new_running >= svc.desired {
        if let Some(d) = svc.deployments.first_mut() {
            d.rollout_state = RolloutState::Completed;
            d.rollout_reason = "ECS deployment completed.".into();
            d.updated_at = now;
        }
        svc.deployments.truncate(1);
        svc.push_event(
            hex(rng, 8),
            now,
            format!(
                "(service {name}) (deployment {}) deployment completed.",
                primary.id
            ),
        );
        svc.push_event(
            hex(rng, 8),
            now,
            format!("(service {name}) has reached a steady state."),
        );
        svc.last_steady_event = now;
    }
}

/// Starts or stops tasks of the primary deployment to match the desired count.
fn reconcile_desired(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let name = svc.spec.name.clone();
    let Some(primary) = svc.deployments.first().cloned() else {
        return;
    };
    let on_primary = svc
        .tasks
        .iter()
        .filter(|t| t.deployment_id == primary.id)
        .count() as u32;
    let in_rollout = svc.deployments.len() > 1;
    let total = svc.tasks.len() as u32;
    // During a rollout, up to 200% may run; otherwise match desired exactly.
    let ceiling = if in_rollout {
        svc.desired * 2
    } else {
        svc.desired
    };
    if on_primary < svc.desired && total < ceiling.max(svc.desired) {
        let n = (svc.desired - on_primary).min(ceiling.max(svc.desired) - total);
        let mut ids = vec![];
        for _ in 0..n {
            let task = new_task(&primary, now, rng);
            ids.push(task.id.clone());
            svc.tasks.push(task);
        }
        if !ids.is_empty() {
            let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
            svc.push_event(
                hex(rng, 8),
                now,
                format!("(service {name}) has started {n} tasks:{list}."),
            );
        }
    } else if !in_rollout && total > svc.desired {
        let n = (total - svc.desired) as usize;
        let reason = format!("Scaling activity initiated by (deployment {})", primary.id);
        let mut ids = vec![];
        for _ in 0..n {
            // Stop the newest task first, pending before running.
            let idx = svc.tasks.len() - 1;
            ids.push(stop_task(svc, idx, now, &reason, Some(0)).id);
        }
        let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
        svc.push_event(
            hex(rng, 8),
            now,
            format!("(service {name}) has stopped {n} running tasks:{list}."),
        );
    }
    let steady = !in_rollout && svc.running() == svc.desired && svc.pending() == 0;
    if steady && now - svc.last_steady_event >= Duration::hours(6) {
        svc.push_event(
            hex(rng, 8),
            now,
            format!("(service {name}) has reached a steady state."),
        );
        svc.last_steady_event = now;
    }
}

/// Now and then a task dies (out of memory, failed health check) and ECS
/// replaces it: the stop reasons an on-call engineer needs to see.
fn maybe_fail_task(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let stressed = svc.spike.is_some();
    let p = if stressed {
        1.0 / 900.0
    } else {
        1.0 / 40_000.0
    };
    let running: Vec<usize> = svc
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.phase == TaskPhase::Running)
        .map(|(i, _)| i)
        .collect();
    for &i in running.iter().rev() {
        if rng.random_bool(p) {
            let container = svc
                .spec
                .containers
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let (reason, code) = if rng.random_bool(0.5) {
                (
                    format!(
                        "Essential container in task exited: {container} OutOfMemoryError: Container killed due to memory usage"
                    ),
                    Some(137),
                )
            } else {
                ("Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0f1e2d3c)".to_string(), None)
            };
            let task = stop_task(svc, i, now, &reason, code);
            let name = svc.spec.name.clone();
            svc.push_event(
                hex(rng, 8),
                now,
                format!(
                    "(service {name}) has stopped 1 running tasks: (task {}).",
                    task.id
                ),
            );
        }
    }
}

fn emit_logs(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let requests = svc.latest(Signal::Requests).unwrap_or(0.0);
    let rate_per_sec = match svc.spec.workload {
        super::catalog::Workload::Worker => 0.5,
        super::catalog::Workload::Redis => 0.03,
        _ => (requests / 60.0 / 10.0).clamp(0.2, 4.0),
    };
    let expected = rate_per_sec * TICK.num_seconds() as f64;
    let count = expected.floor() as u32 + u32::from(rng.random_bool(expected.fract()));
    let error_p = (svc.latest(Signal::ErrorRate).unwrap_or(0.2) / 100.0).clamp(0.0, 0.5);
    let latency = svc.latest(Signal::Latency).unwrap_or(0.1);
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
        let message = logs::line(rng, svc.spec.workload, container, latency, error);
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
    while svc.logs.len() > LOG_CAPACITY {
        svc.logs.pop_front();
    }
}

fn record_signals(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let inputs = signals::Inputs {
        workload: svc.spec.workload,
        base_cpu: svc.spec.base_cpu,
        nominal_tasks: svc.spec.desired,
        running: svc.running(),
        daily: signals::daily_curve(now),
        spike: svc.spike,
        memory_drift: svc.memory_drift,
    };
    for (signal, value) in signals::compute(&inputs, rng) {
        let series = svc.series.entry(signal).or_default();
        if let Some(value) = value {
            series.push_back(MetricPoint { at: now, value });
        }
        while series.len() > METRIC_POINTS {
            series.pop_front();
        }
    }
}

/// `ALARM` when every one of the last N periods breaches, `OK` when not,
/// `INSUFFICIENT_DATA` when there are not enough datapoints.
fn evaluate(
    alarm: &AlarmSpec,
    series: &VecDeque<MetricPoint>,
    now: Timestamp,
) -> (AlarmState, String) {
    let per_period = (alarm.period_secs / 60).max(1) as usize;
    let needed = per_period * alarm.evaluation_periods as usize;
    let window_start =
        now - Duration::seconds(i64::from(alarm.period_secs * alarm.evaluation_periods));
    let points: Vec<&MetricPoint> = series.iter().filter(|p| p.at > window_start).collect();
    if points.len() < needed {
        return (
            AlarmState::InsufficientData,
            format!(
                "Insufficient Data: {} datapoints were unknown.",
                alarm.evaluation_periods
            ),
        );
    }
    let values: Vec<f64> = points[points.len() - needed..]
        .chunks(per_period)
        .map(|c| c.iter().map(|p| p.value).sum::<f64>() / c.len() as f64)
        .collect();
    let breaching = values
        .iter()
        .filter(|v| alarm.comparison.breaches(**v, alarm.threshold))
        .count();
    let list = values
        .iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    let word = match alarm.comparison {
        Comparison::GreaterThanThreshold => "greater than",
        Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
        Comparison::LessThanThreshold => "less than",
        Comparison::LessThanOrEqualToThreshold => "less than or equal to",
    };
    if breaching == values.len() {
        (
            AlarmState::Alarm,
            format!(
                "Threshold Crossed: {} datapoints [{list}] were {word} the threshold ({}).",
                values.len(),
                alarm.threshold
            ),
        )
    } else {
        (
            AlarmState::Ok,
            format!(
                "Threshold Crossed: {} of {} datapoints [{list}] were not {word} the threshold ({}).",
                values.len() - breaching,
                values.len(),
                alarm.threshold
            ),
        )
    }
}

fn evaluate_alarms(env: &mut EnvState, now: Timestamp) {
    for alarm in &mut env.alarms {
        let Some(svc) = env
            .services
            .iter()
            .find(|s| s.spec.name == alarm.spec.service)
        else {
            continue;
        };
        let empty = VecDeque::new();
        let series = svc.series.get(&alarm.spec.signal).unwrap_or(&empty);
        let (state, reason) = evaluate(&alarm.spec, series, now);
        if state != alarm.state {
            alarm.history.push_front(AlarmHistoryItem {
                timestamp: now,
                from: alarm.state,
                to: state,
                summary: format!("Alarm updated from {} to {}", alarm.state, state),
            });
            alarm.history.truncate(ALARM_HISTORY_KEPT);
            alarm.state = state;
            alarm.updated_at = now;
        }
        alarm.reason = reason;
    }
}

/// Application Auto Scaling: each policy acts when one of its alarms is in
/// ALARM, outside its cooldown, within min..max; scale-in pauses while a
/// deployment is in progress.
fn apply_scaling(env: &mut EnvState, now: Timestamp, rng: &mut ChaCha8Rng) {
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
                let value = match (metric.contains("Memory"), high) {
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
                PolicyKind::TargetTracking { .. } if alarm.contains("AlarmHigh") => {
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
                id: format!(
                    "{}-{}-{}-{}-{}",
                    hex(rng, 8),
                    hex(rng, 4),
                    hex(rng, 4),
                    hex(rng, 4),
                    hex(rng, 12)
                ),
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

/// Creates a new PRIMARY deployment; the previous primary becomes ACTIVE and
/// is drained by the rolling update.
pub fn start_deployment(
    svc: &mut ServiceState,
    td: TaskDefRef,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> String {
    for d in &mut svc.deployments {
        d.status = DeploymentStatus::Active;
    }
    let id = deployment_id(rng);
    svc.deployments.insert(
        0,
        Deployment {
            id: id.clone(),
            status: DeploymentStatus::Primary,
            task_definition: td.clone(),
            desired: svc.desired,
            running: 0,
            pending: 0,
            failed_tasks: 0,
            rollout_state: RolloutState::InProgress,
            rollout_reason: "ECS deployment in progress.".into(),
            created_at: now,
            updated_at: now,
        },
    );
    svc.current_revision = td.revision;
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap()
    }

    #[test]
    fn same_seed_same_world_regardless_of_polling() {
        let mut a = World::new(42, start());
        let mut b = World::new(42, start());
        // `a` is looked at every tick, `b` once at the end.
        for i in 1..=60 {
            a.advance_to(start() + Duration::seconds(10 * i));
        }
        b.advance_to(start() + Duration::minutes(10));
        let cpu = |w: &World| {
            w.envs
                .iter()
                .flat_map(|e| &e.services)
                .map(|s| s.latest(Signal::Cpu))
                .collect::<Vec<_>>()
        };
        assert_eq!(cpu(&a), cpu(&b));
        let logs = |w: &World| w.envs[0].services[0].logs.back().cloned();
        assert_eq!(logs(&a), logs(&b));
    }

    #[test]
    fn different_seeds_differ() {
        let a = World::new(1, start());
        let b = World::new(2, start());
        assert_ne!(
            a.envs[0].services[0].logs.back(),
            b.envs[0].services[0].logs.back()
        );
    }

    #[test]
    fn warm_up_fills_metrics_and_logs() {
        let mut w = World::new(7, start());
        // Scaling decisions land on the minute; ECS acts on them a tick later.
        w.advance_to(start() + TICK);
        for env in &w.envs {
            for svc in &env.services {
                let cpu = &svc.series[&Signal::Cpu];
                assert!(
                    cpu.len() >= 170,
                    "{} has {} cpu points",
                    svc.spec.name,
                    cpu.len()
                );
                assert!(!svc.logs.is_empty(), "{} has no logs", svc.spec.name);
                assert_eq!(svc.tasks.len() as u32, svc.desired, "{}", svc.spec.name);
                assert!(svc.running() >= 1, "{}", svc.spec.name);
            }
            assert!(
                env.alarms
                    .iter()
                    .all(|a| a.state != AlarmState::InsufficientData)
            );
        }
    }

    #[test]
    fn scaling_stays_within_min_and_max_over_a_day() {
        let mut w = World::new(11, start());
        for h in 1..=24 {
            w.advance_to(start() + Duration::hours(h));
            for env in &w.envs {
                for svc in &env.services {
                    if let Some(t) = &svc.target {
                        assert!(
                            svc.desired >= t.min && svc.desired <= t.max,
                            "{} desired {}",
                            svc.spec.name,
                            svc.desired
                        );
                    }
                }
            }
        }
        let activities: usize = w
            .envs
            .iter()
            .flat_map(|e| &e.services)
            .filter_map(|s| s.target.as_ref())
            .map(|t| t.activities.len())
            .sum();
        assert!(activities > 0, "auto scaling never acted in a day");
        // Target tracking settles: no service scales more than a few dozen times a day.
        for svc in w.envs.iter().flat_map(|e| &e.services) {
            let n = svc.target.as_ref().map_or(0, |t| t.activities.len());
            assert!(
                n < 40,
                "{} flapped: {n} scaling activities in a day",
                svc.spec.name
            );
        }
        let transitions: usize = w
            .envs
            .iter()
            .flat_map(|e| &e.alarms)
            .map(|a| a.history.len())
            .sum();
        assert!(
            transitions > 12,
            "alarms hardly changed state in a day: {transitions}"
        );
    }

    #[test]
    fn event_and_log_buffers_are_bounded() {
        let mut w = World::new(5, start());
        w.advance_to(start() + Duration::hours(12));
        for svc in w.envs.iter().flat_map(|e| &e.services) {
            assert!(svc.events.len() <= EVENT_CAPACITY);
            assert!(svc.logs.len() <= LOG_CAPACITY);
            assert!(svc.series[&Signal::Cpu].len() <= METRIC_POINTS);
        }
    }

    #[test]
    fn a_deployment_replaces_every_task_and_completes() {
        let mut w = World::new(3, start());
        let (env, rng, now) = w.env_and_rng("muejam-staging").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let next = TaskDefRef::new("muejam-backend", svc.latest_revision - 1);
        let id = start_deployment(svc, next.clone(), now, rng);
        w.advance_to(start() + Duration::minutes(10));
        let svc = w.env("muejam-staging").unwrap().service("backend").unwrap();
        assert_eq!(svc.deployments.len(), 1);
        assert_eq!(svc.deployments[0].id, id);
        assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
        assert!(
            svc.tasks
                .iter()
                .all(|t| t.task_definition == next && t.deployment_id == id)
        );
        assert_eq!(svc.task_definition(), next);
        assert!(svc.stopped.iter().any(|t| {
            t.stopped_reason
                .as_deref()
                .unwrap_or("")
                .contains("replaced")
        }));
    }
}

#[cfg(test)]
mod forced_deployment_tests {
    use super::*;

    #[test]
    fn a_forced_deployment_of_the_same_revision_replaces_every_task() {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let mut w = World::new(3, t0);
        let (env, rng, now) = w.env_and_rng("muejam-production").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let before: Vec<String> = svc.tasks.iter().map(|t| t.id.clone()).collect();
        let td = svc.task_definition();
        let id = start_deployment(svc, td, now, rng);
        w.advance_to(t0 + Duration::minutes(10));
        let svc = w
            .env("muejam-production")
            .unwrap()
            .service("backend")
            .unwrap();
        assert_eq!(svc.deployments[0].id, id);
        assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
        assert!(svc.tasks.iter().all(|t| !before.contains(&t.id)));
    }
}
