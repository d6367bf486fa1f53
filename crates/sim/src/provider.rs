//! [`SimProvider`]: the provider traits over the simulated world, one
//! environment per provider, all sharing one world and one clock.

use super::costs;
use super::world::{self, EnvState, ServiceState, TaskPhase, World};
use crate::catalog::Signal;
use async_trait::async_trait;
use flightdeck_core::provider::{
    ChangeReads, CostReads, EcsReads, LogQuery, LogReads, MonitoringReads, OneOffTask,
    ProviderError, ReadProvider, Result, ScalingReads, ServiceUpdate, TargetUpdate, WriteAnswer,
    WriteCall, WriteProvider, Written,
};
use flightdeck_model::clock::Clock;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, ClusterStatus, ContainerDefinition,
    ContainerState, CostReport, EnvVar, EnvironmentInfo, HealthStatus, LaunchType, LogEvent,
    ManagedAgentStatus, MetricName, MetricNamespace, MetricPoint, MetricQuery, MetricSeries,
    Placement, ScalableTarget, ScalingActivity, ScalingPolicy, SecretRef, Service,
    ServiceDeployment, ServiceRef, ServiceStatus, Statistic, TargetGroupSeries, Task, TaskDefRef,
    TaskDefinition, TaskDefinitionStatus, TaskStatus, Timestamp, WriteEvent,
};
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex, PoisonError};

pub type SharedWorld = Arc<Mutex<World>>;

/// The operator's identity and address in the simulated CloudTrail (the
/// caller identity's role session; a documentation address).
const OPERATOR: (&str, &str) = ("assumed-role/OnCallEngineer/demo", "192.0.2.10");

pub struct SimProvider {
    world: SharedWorld,
    clock: Arc<dyn Clock>,
    info: EnvironmentInfo,
    /// The world's seed, which never changes (prices the days of costs).
    seed: u64,
}

impl SimProvider {
    /// One provider per environment of `world`, sharing it and `clock`.
    pub fn all(world: SharedWorld, clock: Arc<dyn Clock>) -> Vec<SimProvider> {
        let (seed, infos): (u64, Vec<EnvironmentInfo>) = {
            let w = world.lock().unwrap_or_else(PoisonError::into_inner);
            let infos = w.envs.iter().map(|e| e.spec.info()).collect();
            (w.seed, infos)
        };
        Self::named(world, clock, seed, infos)
    }

    /// One provider per environment of `infos`, for a world that may still
    /// be in the making (see [`crate::World::environments`]).
    pub fn named(
        world: SharedWorld,
        clock: Arc<dyn Clock>,
        seed: u64,
        infos: Vec<EnvironmentInfo>,
    ) -> Vec<SimProvider> {
        infos
            .into_iter()
            .map(|info| SimProvider {
                world: world.clone(),
                clock: clock.clone(),
                info,
                seed,
            })
            .collect()
    }

    /// This provider with the environment described as `info` says (the
    /// config's `production` and `read_only`); the name stays the world's.
    pub fn with_environment(mut self, info: EnvironmentInfo) -> Self {
        self.info = EnvironmentInfo {
            name: self.info.name,
            ..info
        };
        self
    }

    /// Runs `f` on this environment after bringing the world up to the clock.
    fn read<R>(&self, f: impl FnOnce(&EnvState, Timestamp) -> Result<R>) -> Result<R> {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        world.advance_to(self.clock.now());
        let now = world.now();
        let env = world
            .env(&self.info.name)
            .ok_or_else(|| ProviderError::NotFound(format!("environment {}", self.info.name)))?;
        f(env, now)
    }

    /// Runs `f` on one service of this environment, mutably, after bringing
    /// the world up to the clock; `f` also gets the cluster's launch type,
    /// the world's generator (for ids) and the instant of the call (the
    /// clock's, between the world's ticks).
    fn change_service<R>(
        &self,
        cluster: &str,
        service: &str,
        f: impl FnOnce(&mut ServiceState, &Place, &mut ChaCha8Rng, Timestamp) -> Result<R>,
    ) -> Result<R> {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        let at = self.clock.now();
        world.advance_to(at);
        let (env, rng, tick) = world
            .env_and_rng(&self.info.name)
            .ok_or_else(|| ProviderError::NotFound(format!("environment {}", self.info.name)))?;
        // What a write makes is stamped with the instant of the call, as ECS
        // stamps it, not with the world's last tick.
        let now = at.max(tick);
        Self::check_cluster(env, cluster)?;
        let place = Place::of(env);
        let svc = env
            .service_mut(service)
            .ok_or_else(|| ProviderError::NotFound(format!("service {cluster}/{service}")))?;
        f(svc, &place, rng, now)
    }

    fn check_cluster(env: &EnvState, cluster: &str) -> Result<()> {
        if env.spec.cluster == cluster {
            Ok(())
        } else {
            Err(ProviderError::NotFound(format!("cluster {cluster}")))
        }
    }

    fn find_service<'a>(
        env: &'a EnvState,
        cluster: &str,
        service: &str,
    ) -> Result<&'a ServiceState> {
        Self::check_cluster(env, cluster)?;
        env.service(service)
            .ok_or_else(|| ProviderError::NotFound(format!("service {cluster}/{service}")))
    }
}

/// Where an environment's resources live, for what they are and are called.
pub(crate) struct Place {
    launch_type: LaunchType,
    /// `arn:aws:ecs:REGION:ACCOUNT`
    ecs_arn: String,
    region: String,
}

impl Place {
    fn of(env: &EnvState) -> Place {
        Place {
            launch_type: env.spec.launch_type,
            ecs_arn: format!("arn:aws:ecs:{}:{}", env.spec.region, env.spec.account),
            region: env.spec.region.clone(),
        }
    }
}

fn to_service(svc: &ServiceState, place: &Place) -> Service {
    Service {
        cluster: svc.cluster.clone(),
        name: svc.spec.name.clone(),
        arn: format!(
            "{}:service/{}/{}",
            place.ecs_arn, svc.cluster, svc.spec.name
        ),
        status: ServiceStatus::Active,
        desired: svc.desired,
        running: svc.running(),
        pending: svc.pending(),
        task_definition: svc.task_definition(),
        launch_type: place.launch_type,
        deployments: svc.deployments.clone(),
        target_groups: svc.target_groups.clone(),
        alternate_target_groups: svc.alternate_target_groups.clone(),
        events: svc.events.iter().cloned().collect(),
        created_at: svc.created_at,
        deployment_config: svc.config.clone(),
        exec_enabled: true,
        placement: placement(svc, place),
    }
}

/// The simulated network: private subnets of the cluster in three zones,
/// the service's own security group, no public IP (Fargate only).
fn placement(svc: &ServiceState, place: &Place) -> Placement {
    if place.launch_type != LaunchType::Fargate {
        return Placement::default();
    }
    Placement {
        subnets: ["a", "b", "c"]
            .iter()
            .map(|z| format!("subnet-{}-private-{z}", svc.cluster))
            .collect(),
        security_groups: vec![format!("sg-{}", svc.spec.name)],
        assign_public_ip: Some(false),
        capacity_providers: vec![],
        platform_version: Some("LATEST".into()),
    }
}

/// A one-off task as DescribeTasks shows it at `now`.
fn to_one_off(run: &world::one_off::OneOff, place: &Place, cluster: &str, now: Timestamp) -> Task {
    let status = run.status(now);
    let stopped = status == TaskStatus::Stopped;
    Task {
        id: run.id.clone(),
        arn: format!("{}:task/{cluster}/{}", place.ecs_arn, run.id),
        task_definition: run.task_definition.clone(),
        last_status: status.clone(),
        desired_status: if stopped {
            TaskStatus::Stopped
        } else {
            TaskStatus::Running
        },
        health: HealthStatus::Unknown,
        availability_zone: run.availability_zone.clone(),
        started_at: (now >= run.started_at()).then(|| run.started_at()),
        stopped_at: stopped.then(|| run.stopped_at()),
        stopped_reason: stopped.then(|| run.stopped_reason()),
        containers: vec![ContainerState {
            name: run.container.clone(),
            last_status: status,
            exit_code: run.exit_code(now),
            reason: None,
            runtime_id: None,
            exec_agent: None,
        }],
        exec_enabled: false,
    }
}

fn to_task(t: &world::SimTask, place: &Place, cluster: &str) -> Task {
    let status = match t.phase {
        TaskPhase::Pending { .. } => TaskStatus::Pending,
        TaskPhase::Running => TaskStatus::Running,
        TaskPhase::Stopped => TaskStatus::Stopped,
    };
    Task {
        id: t.id.clone(),
        arn: format!("{}:task/{cluster}/{}", place.ecs_arn, t.id),
        task_definition: t.task_definition.clone(),
        last_status: status.clone(),
        desired_status: if t.phase == TaskPhase::Stopped {
            TaskStatus::Stopped
        } else {
            TaskStatus::Running
        },
        health: match t.phase {
            TaskPhase::Running if t.unhealthy => HealthStatus::Unhealthy,
            TaskPhase::Running => HealthStatus::Healthy,
            TaskPhase::Pending { .. } | TaskPhase::Stopped => HealthStatus::Unknown,
        },
        availability_zone: t.availability_zone.clone(),
        started_at: t.started_at,
        stopped_at: t.stopped_at,
        stopped_reason: t.stopped_reason.clone(),
        containers: vec![ContainerState {
            name: "main".into(),
            runtime_id: Some(format!("{}-0527074092", t.id)),
            exec_agent: (status == TaskStatus::Running).then_some(ManagedAgentStatus::Running),
            last_status: status,
            exit_code: t.exit_code,
            reason: None,
        }],
        exec_enabled: true,
    }
}

/// Why ECS Exec cannot open on the simulation.
pub const SIM_EXEC: &str = "the simulated production runs no containers to open a shell in or forward a port to: ECS Exec works on an AWS environment";

/// A request id for the audit log, shaped like AWS's.
fn request_id(rng: &mut ChaCha8Rng) -> String {
    let n: u128 = rand::Rng::random(rng);
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn to_task_definition(svc: &ServiceState, revision: u32) -> TaskDefinition {
    let images = svc.images(revision);
    let log_group = svc.log_group();
    TaskDefinition {
        reference: TaskDefRef::new(svc.spec.family.clone(), revision),
        cpu: svc.spec.cpu,
        memory: svc.spec.memory,
        containers: svc
            .spec
            .containers
            .iter()
            .map(|c| ContainerDefinition {
                name: c.name.clone(),
                image: images
                    .iter()
                    .find(|(n, _)| *n == c.name)
                    .map(|(_, i)| i.clone())
                    .unwrap_or_else(|| c.image.clone()),
                cpu: svc.spec.cpu / svc.spec.containers.len().max(1) as u32,
                memory: svc.spec.memory / svc.spec.containers.len().max(1) as u32,
                essential: true,
                port: c.port,
                environment: c
                    .environment
                    .iter()
                    .map(|(n, v)| EnvVar {
                        name: n.clone(),
                        value: v.clone(),
                    })
                    .collect(),
                secrets: c
                    .secrets
                    .iter()
                    .map(|(n, v)| SecretRef {
                        name: n.clone(),
                        value_from: v.clone(),
                    })
                    .collect(),
                log_group: Some(log_group.clone()),
                log_stream_prefix: Some("ecs".into()),
                logs_elsewhere: None,
            })
            .collect(),
        registered_at: svc.registered_at(revision),
        status: TaskDefinitionStatus::Active,
    }
}

fn signal_for(query: &MetricQuery) -> Option<Signal> {
    use MetricName as M;
    use MetricNamespace as N;
    Some(match (&query.namespace, &query.metric) {
        (N::Ecs, M::CpuUtilization) => Signal::Cpu,
        (N::Ecs, M::MemoryUtilization) => Signal::Memory,
        // Used over reserved, in percent: the same utilisation.
        (N::ContainerInsights, M::CpuUtilized) if query.ratio_of.is_some() => Signal::Cpu,
        (N::ContainerInsights, M::MemoryUtilized) if query.ratio_of.is_some() => Signal::Memory,
        (N::ApplicationElb, M::TargetResponseTime) => match query.statistic {
            Statistic::P95 => Signal::LatencyP95,
            Statistic::P99 => Signal::LatencyP99,
            _ => Signal::Latency,
        },
        (N::ApplicationElb, M::RequestCount) => Signal::Requests,
        (N::ApplicationElb, M::HttpCodeTarget5xxPercent) => Signal::ErrorRate,
        (N::Sqs, M::ApproximateNumberOfMessagesVisible) => Signal::QueueDepth,
        (N::Rds, M::ReplicaLag) => Signal::ReplicaLag,
        _ => return None,
    })
}

/// Namespace, metric name, statistic and unit under which a signal is published.
pub fn metric_identity(signal: Signal) -> (MetricNamespace, MetricName, Statistic, &'static str) {
    use MetricName as M;
    use MetricNamespace as N;
    match signal {
        Signal::Cpu => (N::Ecs, M::CpuUtilization, Statistic::Average, "Percent"),
        Signal::Memory => (N::Ecs, M::MemoryUtilization, Statistic::Average, "Percent"),
        Signal::Latency => (
            N::ApplicationElb,
            M::TargetResponseTime,
            Statistic::Average,
            "Seconds",
        ),
        Signal::LatencyP95 => (
            N::ApplicationElb,
            M::TargetResponseTime,
            Statistic::P95,
            "Seconds",
        ),
        Signal::LatencyP99 => (
            N::ApplicationElb,
            M::TargetResponseTime,
            Statistic::P99,
            "Seconds",
        ),
        Signal::ErrorRate => (
            N::ApplicationElb,
            M::HttpCodeTarget5xxPercent,
            Statistic::Average,
            "Percent",
        ),
        Signal::Requests => (N::ApplicationElb, M::RequestCount, Statistic::Sum, "Count"),
        Signal::QueueDepth => (
            N::Sqs,
            M::ApproximateNumberOfMessagesVisible,
            Statistic::Maximum,
            "Count",
        ),
        Signal::ReplicaLag => (N::Rds, M::ReplicaLag, Statistic::Maximum, "Seconds"),
    }
}

fn dimensions(env: &EnvState, service: &str, signal: Signal) -> Vec<(String, String)> {
    let cluster = env.spec.cluster.clone();
    match signal {
        Signal::Cpu | Signal::Memory => vec![
            ("ClusterName".into(), cluster),
            ("ServiceName".into(), service.into()),
        ],
        Signal::QueueDepth => vec![("QueueName".into(), format!("{}-{service}", env.spec.name))],
        Signal::ReplicaLag => vec![(
            "DBInstanceIdentifier".into(),
            format!("{}-replica", env.spec.name),
        )],
        // The ALB's metrics: dimensioned by the target group's resource part.
        _ => {
            let arn = world::target_group_arn(&env.spec, service);
            let resource = arn.rsplit_once(':').map_or(arn.as_str(), |(_, r)| r);
            vec![("TargetGroup".into(), resource.to_string())]
        }
    }
}

/// A target group's series as CloudWatch gives them: the 5xx as a count.
fn group_metrics(env: &EnvState, arn: &str, start: Timestamp, end: Timestamp) -> TargetGroupSeries {
    let mut out = TargetGroupSeries {
        target_group: arn.to_string(),
        requests: vec![],
        errors: vec![],
        p95_secs: vec![],
    };
    let Some(series) = env
        .services
        .iter()
        .find_map(|s| s.group_index(arn).map(|i| &s.group_series[i]))
    else {
        return out;
    };
    out.requests = series.requests.between(start, end);
    out.errors = series
        .requests
        .iter()
        .zip(series.error_percent.iter())
        .filter(|(r, _)| r.at >= start && r.at <= end)
        .map(|(r, e)| MetricPoint {
            at: r.at,
            value: (r.value * e.value / 100.0).round(),
        })
        .collect();
    out.p95_secs = series.p95_secs.between(start, end);
    out
}

fn to_alarm(alarm: &world::SimAlarm, env: &EnvState) -> Alarm {
    let (namespace, metric, statistic, unit) = metric_identity(alarm.spec.signal);
    Alarm {
        name: alarm.spec.name.clone(),
        description: alarm.spec.description.clone(),
        state: alarm.state,
        state_reason: alarm.reason.clone(),
        state_updated_at: alarm.updated_at,
        metric,
        namespace,
        dimensions: dimensions(env, &alarm.spec.service, alarm.spec.signal),
        statistic,
        threshold: alarm.spec.threshold,
        comparison: alarm.spec.comparison,
        period_secs: alarm.spec.period_secs,
        evaluation_periods: alarm.spec.evaluation_periods,
        unit: unit.into(),
        severity: alarm.spec.severity,
        actions: alarm.actions.clone(),
        // The simulated teams tag the alarms that page a human with their
        // runbook (auto scaling's own alarms page nobody).
        tags: if alarm.spec.severity == flightdeck_model::Severity::Info {
            vec![]
        } else {
            vec![(
                "runbook".into(),
                format!(
                    "https://runbooks.example.com/{}/{}",
                    env.spec.name, alarm.spec.name
                ),
            )]
        },
    }
}

/// Which service and signal a metric query means in this environment.
fn resolve(env: &EnvState, query: &MetricQuery) -> Option<(String, Signal)> {
    let signal = signal_for(query)?;
    env.services
        .iter()
        .find(|s| dimensions(env, &s.spec.name, signal) == query.dimensions)
        .map(|s| (s.spec.name.clone(), signal))
}

#[async_trait]
impl ReadProvider for SimProvider {
    fn environment(&self) -> &EnvironmentInfo {
        &self.info
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        self.read(|env, _| {
            Ok(CallerIdentity {
                account: env.spec.account.clone(),
                arn: format!(
                    "arn:aws:sts::{}:assumed-role/OnCallEngineer/demo",
                    env.spec.account
                ),
            })
        })
    }
}

#[async_trait]
impl EcsReads for SimProvider {
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        self.read(|env, _| {
            Ok(vec![Cluster {
                name: env.spec.cluster.clone(),
                status: ClusterStatus::Active,
                launch_type: env.spec.launch_type,
                active_services: env.services.len() as u32,
                running_tasks: env.services.iter().map(ServiceState::running).sum(),
                pending_tasks: env.services.iter().map(ServiceState::pending).sum(),
                container_insights: env.spec.container_insights,
            }])
        })
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        self.read(|env, _| {
            Self::check_cluster(env, cluster)?;
            let place = Place::of(env);
            Ok(env.services.iter().map(|s| to_service(s, &place)).collect())
        })
    }
    async fn tasks(&self, service: &ServiceRef) -> Result<Vec<Task>> {
        let (cluster, service) = (service.cluster.as_str(), service.name.as_str());
        self.read(|env, _| {
            let svc = Self::find_service(env, cluster, service)?;
            let place = Place::of(env);
            Ok(svc
                .tasks
                .iter()
                .chain(svc.stopped.iter())
                .map(|t| to_task(t, &place, cluster))
                .collect())
        })
    }
    async fn task(&self, cluster: &str, id: &str) -> Result<Task> {
        // A one-off task plays by the clock, not by the world's ticks.
        let at = self.clock.now();
        self.read(|env, tick| {
            Self::check_cluster(env, cluster)?;
            let place = Place::of(env);
            let now = at.max(tick);
            for svc in &env.services {
                if let Some(run) = svc.one_offs.iter().find(|r| r.id == id) {
                    return Ok(to_one_off(run, &place, cluster, now));
                }
                if let Some(t) = svc
                    .tasks
                    .iter()
                    .chain(svc.stopped.iter())
                    .find(|t| t.id == id)
                {
                    return Ok(to_task(t, &place, cluster));
                }
            }
            Err(ProviderError::NotFound(format!(
                "task {id} in cluster {cluster}"
            )))
        })
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        self.read(|env, _| {
            let svc = env
                .services
                .iter()
                .find(|s| {
                    s.spec.family == reference.family
                        && reference.revision >= 1
                        && reference.revision <= s.latest_revision
                })
                .ok_or_else(|| ProviderError::NotFound(format!("task definition {reference}")))?;
            Ok(to_task_definition(svc, reference.revision))
        })
    }
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        self.read(|env, _| {
            let svc = env
                .services
                .iter()
                .find(|s| s.spec.family == family)
                .ok_or_else(|| {
                    ProviderError::NotFound(format!("task definition family {family}"))
                })?;
            Ok((1..=svc.latest_revision)
                .rev()
                .map(|r| TaskDefRef::new(family, r))
                .collect())
        })
    }
    async fn service_deployments(
        &self,
        service: &ServiceRef,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        self.read(|env, _| {
            let svc = Self::find_service(env, &service.cluster, &service.name)?;
            Ok(svc
                .history
                .iter()
                .filter(|d| d.at() >= since)
                .cloned()
                .collect())
        })
    }
}

#[async_trait]
impl ScalingReads for SimProvider {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        self.read(|env, _| {
            Ok(env
                .services
                .iter()
                .filter_map(|s| {
                    s.target.as_ref().map(|t| ScalableTarget {
                        cluster: s.cluster.clone(),
                        service: s.spec.name.clone(),
                        resource_id: ScalableTarget::resource_id_for(&s.cluster, &s.spec.name),
                        min: t.min,
                        max: t.max,
                        dynamic_scaling_suspended: t.suspended,
                    })
                })
                .collect())
        })
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        self.read(|env, _| {
            Ok(env
                .services
                .iter()
                .flat_map(|s| {
                    let resource_id = ScalableTarget::resource_id_for(&s.cluster, &s.spec.name);
                    s.target.iter().flat_map(move |t| {
                        let resource_id = resource_id.clone();
                        t.policies.iter().map(move |p| ScalingPolicy {
                            name: p.name.clone(),
                            resource_id: resource_id.clone(),
                            kind: p.kind.clone(),
                            alarms: p.alarms.clone(),
                        })
                    })
                })
                .collect())
        })
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        self.read(|env, _| {
            let mut all: Vec<ScalingActivity> = env
                .services
                .iter()
                .filter_map(|s| s.target.as_ref())
                .flat_map(|t| t.activities.iter())
                .cloned()
                .collect();
            all.sort_by_key(|a| std::cmp::Reverse(a.started_at));
            Ok(all)
        })
    }
}

#[async_trait]
impl MonitoringReads for SimProvider {
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        self.read(|env, _| Ok(env.alarms.iter().map(|a| to_alarm(a, env)).collect()))
    }
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        self.read(|env, _| {
            env.alarms
                .iter()
                .find(|a| a.spec.name == alarm)
                .map(|a| a.history.iter().cloned().collect())
                .ok_or_else(|| ProviderError::NotFound(format!("alarm {alarm}")))
        })
    }
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<MetricSeries>> {
        self.read(|env, _| {
            Ok(queries
                .iter()
                .map(|q| {
                    let points: Vec<MetricPoint> = resolve(env, q)
                        .and_then(|(svc, signal)| {
                            env.service(&svc).map(|s| s.points(signal, start, end))
                        })
                        .unwrap_or_default();
                    MetricSeries {
                        id: q.id.clone(),
                        points,
                    }
                })
                .collect())
        })
    }
    async fn target_group_metrics(
        &self,
        groups: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>> {
        self.read(|env, _| {
            Ok(groups
                .iter()
                .map(|arn| group_metrics(env, arn, start, end))
                .collect())
        })
    }
}

#[async_trait]
impl LogReads for SimProvider {
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        let at = self.clock.now();
        self.read(|env, now| {
            let svc = env
                .services
                .iter()
                .find(|s| s.log_group() == query.log_group)
                .ok_or_else(|| ProviderError::NotFound(format!("log group {}", query.log_group)))?;
            let matches = |e: &&LogEvent| {
                e.timestamp >= query.since
                    && query
                        .stream_prefix
                        .as_deref()
                        .is_none_or(|p| e.stream.starts_with(p))
                    && query
                        .filter
                        .as_deref()
                        .is_none_or(|f| e.message.contains(f))
            };
            let lines = svc.log_lines(query.since, now);
            let mut events: Vec<LogEvent> = lines
                .iter()
                .rev()
                .filter(matches)
                .take(query.limit)
                .cloned()
                .collect();
            events.reverse();
            // The one-off tasks' streams in the same group, by the clock.
            let one_offs: Vec<LogEvent> = svc
                .one_offs
                .iter()
                .flat_map(|r| r.lines(at.max(now)))
                .filter(|e| matches(&e))
                .collect();
            if !one_offs.is_empty() {
                events.extend(one_offs);
                events.sort_by_key(|e| e.timestamp);
                let over = events.len().saturating_sub(query.limit);
                events.drain(..over);
            }
            Ok(events)
        })
    }
}

#[async_trait]
impl ChangeReads for SimProvider {
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        self.read(|env, _| {
            let mut events: Vec<WriteEvent> = env
                .services
                .iter()
                .flat_map(|s| s.trail.iter())
                .filter(|e| e.at >= since)
                .cloned()
                .collect();
            events.sort_by_key(|e| std::cmp::Reverse(e.at));
            Ok(events)
        })
    }
}

#[async_trait]
impl CostReads for SimProvider {
    async fn costs(&self, days: u32) -> Result<CostReport> {
        let seed = self.seed;
        self.read(|env, now| {
            Ok(costs::report(
                &env.spec,
                seed,
                now.date_naive(),
                days.clamp(1, 90),
                &env.cost_changes,
            ))
        })
    }
}

/// The writes, each as the simulated AWS answers it.
impl SimProvider {
    async fn write_register_task_definition(
        &self,
        base: &TaskDefRef,
        images: &[(String, String)],
    ) -> Result<Written<TaskDefinition>> {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        let at = self.clock.now();
        world.advance_to(at);
        let (env, rng, tick) = world
            .env_and_rng(&self.info.name)
            .ok_or_else(|| ProviderError::NotFound(format!("environment {}", self.info.name)))?;
        // What a write makes is stamped with the instant of the call, as ECS
        // stamps it, not with the world's last tick.
        let now = at.max(tick);
        let svc = env
            .services
            .iter_mut()
            .find(|s| s.spec.family == base.family)
            .ok_or_else(|| ProviderError::NotFound(format!("task definition {base}")))?;
        if base.revision == 0 || base.revision > svc.latest_revision {
            return Err(ProviderError::NotFound(format!("task definition {base}")));
        }
        if let Some((name, _)) = images
            .iter()
            .find(|(n, _)| !svc.spec.containers.iter().any(|c| &c.name == n))
        {
            return Err(ProviderError::Invalid(format!(
                "task definition {base} has no container `{name}`"
            )));
        }
        let revision = svc.register_revision(base.revision, images, now);
        let mut event = world::write_event(
            rng,
            now,
            "RegisterTaskDefinition",
            OPERATOR,
            svc,
            std::iter::once(format!("family={}", base.family))
                .chain(images.iter().map(|(c, i)| format!("{c}={i}")))
                .collect(),
        );
        event.cluster = None;
        event.service = None;
        svc.record_write(event);
        Ok(Written::new(
            to_task_definition(svc, revision),
            Some(request_id(rng)),
        ))
    }

    async fn write_update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> Result<Written<Service>> {
        self.change_service(cluster, service, |svc, place, rng, now| {
            // Validate everything before changing anything, like ECS.
            if let Some(td) = &update.task_definition
                && (td.family != svc.spec.family
                    || td.revision == 0
                    || td.revision > svc.latest_revision)
            {
                return Err(ProviderError::Invalid(format!(
                    "task definition {td} does not exist"
                )));
            }
            let mut parameters = vec![];
            if let Some(desired) = update.desired {
                svc.desired = desired;
                parameters.push(format!("desiredCount={desired}"));
            }
            if let Some(td) = &update.task_definition {
                parameters.push(format!("taskDefinition={td}"));
            }
            if update.force_new_deployment {
                parameters.push("forceNewDeployment=true".into());
            }
            if let Some(change) = &update.strategy {
                svc.config.strategy = change.strategy.clone();
                svc.config.bake_minutes = change.bake_minutes;
                if change.strategy.shifts_traffic() {
                    svc.ensure_alternate_group();
                }
                parameters.push(format!(
                    "deploymentConfiguration.{}",
                    change.strategy.api_fields()
                ));
                if let Some(bake) = change.bake_minutes {
                    parameters.push(format!("bakeTimeInMinutes={bake}"));
                }
            }
            let event = world::write_event(rng, now, "UpdateService", OPERATOR, svc, parameters);
            svc.record_write(event);
            if let Some(td) = &update.task_definition {
                world::start_deployment(svc, td.clone(), now, rng);
            } else if update.force_new_deployment {
                let td = svc.task_definition();
                world::start_deployment(svc, td, now, rng);
            }
            Ok(Written::new(to_service(svc, place), Some(request_id(rng))))
        })
    }

    async fn write_stop_deployment_with_rollback(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Written<Service>> {
        self.change_service(cluster, service, |svc, place, rng, now| {
            let deployment = svc
                .deployments
                .first()
                .map(|d| svc.deployment_arn(&d.id))
                .unwrap_or_default();
            if !world::stop_with_rollback(svc, now, rng) {
                return Err(ProviderError::Unsupported(format!(
                    "service {cluster}/{service} has no deployment in progress with a completed one to roll back to"
                )));
            }
            let event = world::write_event(
                rng,
                now,
                "StopServiceDeployment",
                OPERATOR,
                svc,
                vec![
                    format!("serviceDeploymentArn={deployment}"),
                    "stopType=ROLLBACK".into(),
                ],
            );
            svc.record_write(event);
            Ok(Written::new(
                to_service(svc, place),
                Some(request_id(rng)),
            ))
        })
    }

    async fn write_stop_task(
        &self,
        cluster: &str,
        service: &str,
        task: &str,
        reason: &str,
    ) -> Result<Written<Task>> {
        self.change_service(cluster, service, |svc, place, rng, now| {
            // A one-off task started for the service stops as it is.
            let stopped = if let Some(run) = svc.one_offs.iter_mut().find(|r| r.id == task) {
                if run.status(now) != TaskStatus::Stopped {
                    run.stopped = Some((now, reason.to_string()));
                }
                to_one_off(run, place, cluster, now)
            } else {
                let index = svc.tasks.iter().position(|t| t.id == task).ok_or_else(|| {
                    ProviderError::Invalid(format!(
                        "task {task} is not a running task of {cluster}/{service}"
                    ))
                })?;
                to_task(
                    &world::stop_task(svc, index, now, reason, None),
                    place,
                    cluster,
                )
            };
            let event = world::write_event(
                rng,
                now,
                "StopTask",
                OPERATOR,
                svc,
                vec![format!("task={task}"), format!("reason={reason}")],
            );
            svc.record_write(event);
            Ok(Written::new(stopped, Some(request_id(rng))))
        })
    }

    /// A one-off task of the service: its command plays as
    /// [`world::one_off`] says.
    async fn write_run_task(&self, run: &OneOffTask) -> Result<Written<Task>> {
        self.change_service(&run.cluster, &run.service, |svc, place, rng, now| {
            let td = svc.task_definition();
            if run.task_definition.family != td.family
                || run.task_definition.revision > svc.latest_revision
            {
                return Err(ProviderError::Invalid(format!(
                    "task definition {} is not registered",
                    run.task_definition
                )));
            }
            if !svc.spec.containers.iter().any(|c| c.name == run.container) {
                return Err(ProviderError::Invalid(format!(
                    "container {} is not in {}",
                    run.container, run.task_definition
                )));
            }
            let zones = ["a", "b", "c"];
            let zone = zones[rand::Rng::random_range(rng, 0..zones.len())];
            let one_off = world::one_off::OneOff {
                // Unique across runs of the same seed (a command's each run).
                id: format!(
                    "{:012x}{}",
                    now.timestamp_micros() & 0xffff_ffff_ffff,
                    world::hex(rng, 20)
                ),
                task_definition: run.task_definition.clone(),
                container: run.container.clone(),
                command: run.command.clone(),
                created: now,
                availability_zone: format!("{}{zone}", place.region),
                stream_prefix: "ecs".into(),
                stopped: None,
            };
            let event = world::write_event(
                rng,
                now,
                "RunTask",
                OPERATOR,
                svc,
                vec![
                    format!("taskDefinition={}", run.task_definition),
                    format!("startedBy={}", flightdeck_core::provider::STARTED_BY),
                ],
            );
            svc.record_write(event);
            let task = to_one_off(&one_off, place, &run.cluster, now);
            if svc.one_offs.len() >= world::one_off::KEPT {
                svc.one_offs.pop_front();
            }
            svc.one_offs.push_back(one_off);
            Ok(Written::new(task, Some(request_id(rng))))
        })
    }

    /// The simulation runs no containers: there is nothing to open a
    /// shell in, and it says so rather than pretend.
    async fn write_execute_command(
        &self,
        _cluster: &str,
        _task: &str,
        _container: &str,
        _command: &str,
    ) -> Result<Written<flightdeck_core::provider::ExecSession>> {
        Err(ProviderError::Unsupported(SIM_EXEC.into()))
    }

    async fn write_start_port_forward(
        &self,
        _forward: &flightdeck_core::provider::PortForward,
    ) -> Result<Written<flightdeck_core::provider::ExecSession>> {
        Err(ProviderError::Unsupported(SIM_EXEC.into()))
    }

    async fn write_terminate_session(&self, _session_id: &str) -> Result<()> {
        Ok(())
    }

    async fn write_continue_deployment(
        &self,
        cluster: &str,
        service: &str,
        deployment: &str,
        hook: &str,
    ) -> Result<Written<Service>> {
        self.change_service(cluster, service, |svc, place, rng, now| {
            let waiting = svc
                .history
                .iter()
                .find(|d| d.arn == deployment)
                .and_then(|d| d.waiting_hook())
                .and_then(|h| h.id.as_deref())
                == Some(hook);
            if !waiting || !world::continue_paused(svc, now) {
                return Err(ProviderError::Invalid(format!(
                    "service deployment {deployment} has no lifecycle hook {hook} awaiting action"
                )));
            }
            let event = world::write_event(
                rng,
                now,
                "ContinueServiceDeployment",
                OPERATOR,
                svc,
                vec![
                    format!("serviceDeploymentArn={deployment}"),
                    format!("hookId={hook}"),
                    "action=CONTINUE".into(),
                ],
            );
            svc.record_write(event);
            Ok(Written::new(to_service(svc, place), Some(request_id(rng))))
        })
    }

    async fn write_register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        update: &TargetUpdate,
    ) -> Result<Written<ScalableTarget>> {
        self.change_service(cluster, service, |svc, _, rng, now| {
            let desired = svc.desired;
            let target = svc.target.as_mut().ok_or_else(|| {
                ProviderError::NotFound(format!("scalable target service/{cluster}/{service}"))
            })?;
            let min = update.min.unwrap_or(target.min);
            let max = update.max.unwrap_or(target.max);
            if min > max {
                return Err(ProviderError::Invalid(format!(
                    "min {min} is greater than max {max}"
                )));
            }
            target.min = min;
            target.max = max;
            if let Some(s) = update.suspend_dynamic_scaling {
                target.suspended = s;
            }
            let suspended = target.suspended;
            // Application Auto Scaling moves the desired count into the new range.
            svc.desired = desired.clamp(min, max);
            let mut parameters = vec![
                format!("resourceId=service/{cluster}/{service}"),
                format!("minCapacity={min}"),
                format!("maxCapacity={max}"),
            ];
            if let Some(s) = update.suspend_dynamic_scaling {
                parameters.push(format!("suspendedState.DynamicScalingInSuspended={s}"));
            }
            let event = world::write_event(
                rng,
                now,
                "RegisterScalableTarget",
                OPERATOR,
                svc,
                parameters,
            );
            svc.record_write(event);
            let target = ScalableTarget {
                cluster: cluster.into(),
                service: service.into(),
                resource_id: ScalableTarget::resource_id_for(cluster, service),
                min,
                max,
                dynamic_scaling_suspended: suspended,
            };
            Ok(Written::new(target, Some(request_id(rng))))
        })
    }
}

#[async_trait]
impl WriteProvider for SimProvider {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        fn answer<T>(w: Written<T>, wrap: fn(T) -> WriteAnswer) -> Written<WriteAnswer> {
            Written::new(wrap(w.value), w.request_id)
        }
        Ok(match call {
            WriteCall::RegisterTaskDefinition { base, images } => answer(
                self.write_register_task_definition(base, images).await?,
                WriteAnswer::TaskDefinition,
            ),
            WriteCall::UpdateService { service, update } => answer(
                self.write_update_service(&service.cluster, &service.name, update)
                    .await?,
                WriteAnswer::Service,
            ),
            WriteCall::RegisterScalableTarget { service, update } => answer(
                self.write_register_scalable_target(&service.cluster, &service.name, update)
                    .await?,
                WriteAnswer::ScalableTarget,
            ),
            WriteCall::StopDeploymentWithRollback { service } => answer(
                self.write_stop_deployment_with_rollback(&service.cluster, &service.name)
                    .await?,
                WriteAnswer::Service,
            ),
            WriteCall::ContinueDeployment {
                service,
                deployment,
                hook,
            } => answer(
                self.write_continue_deployment(&service.cluster, &service.name, deployment, hook)
                    .await?,
                WriteAnswer::Service,
            ),
            WriteCall::StopTask {
                service,
                task,
                reason,
            } => answer(
                self.write_stop_task(&service.cluster, &service.name, task, reason)
                    .await?,
                WriteAnswer::Task,
            ),
            WriteCall::RunTask(run) => answer(self.write_run_task(run).await?, WriteAnswer::Task),
            WriteCall::ExecuteCommand {
                cluster,
                task,
                container,
                command,
            } => answer(
                self.write_execute_command(cluster, task, container, command)
                    .await?,
                WriteAnswer::Session,
            ),
            WriteCall::StartPortForward(forward) => answer(
                self.write_start_port_forward(forward).await?,
                WriteAnswer::Session,
            ),
            WriteCall::TerminateSession { session_id } => {
                self.write_terminate_session(session_id).await?;
                Written::new(WriteAnswer::Done, None)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::world::older_image;

    #[test]
    fn older_images_count_down_the_last_number() {
        assert_eq!(older_image("repo/a:v2.14.3", 2), "repo/a:v2.14.1");
        assert_eq!(older_image("repo/a:v2.14.3", 5), "repo/a:v2.13.8");
        assert_eq!(older_image("repo/a:0.7.2", 13), "repo/a:0.5.9");
        assert_eq!(older_image("repo/a:v3", 5), "repo/a:v3-prev5");
        assert_eq!(older_image("repo/a:latest", 1), "repo/a:latest-prev1");
        assert_eq!(older_image("repo/a:v5.3.0-rc.2", 1), "repo/a:v5.3.0-rc.1");
    }
}

#[cfg(test)]
impl SimProvider {
    /// One environment of a fresh world (seed 1) on a clock stopped at
    /// 2026-11-22 14:00 UTC.
    pub(crate) fn for_test(env: &str) -> SimProvider {
        use chrono::TimeZone;
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let world = Arc::new(Mutex::new(World::new(1, t)));
        SimProvider::all(
            world,
            Arc::new(flightdeck_model::clock::ManualClock::new(t)),
        )
        .into_iter()
        .find(|p| p.environment().name == env)
        .unwrap()
    }
}

#[cfg(test)]
mod write_tests {
    use super::*;
    use flightdeck_core::provider::Writes;
    use flightdeck_model::ServiceRef;

    fn staging() -> SimProvider {
        SimProvider::for_test("muejam-staging")
    }

    #[tokio::test]
    async fn a_refused_update_changes_nothing() {
        let p = staging();
        let before = p.services("muejam-staging").await.unwrap().remove(0);
        let update = ServiceUpdate {
            desired: Some(before.desired + 1),
            task_definition: Some(TaskDefRef::new("muejam-backend", 9999)),
            force_new_deployment: false,
            strategy: None,
        };
        let err = p
            .update_service(&ServiceRef::new("muejam-staging", "backend"), &update)
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Invalid(_)), "{err}");
        let after = p.services("muejam-staging").await.unwrap().remove(0);
        assert_eq!(after.desired, before.desired);
        assert_eq!(after.deployments, before.deployments);
    }

    /// A deployment is created at the instant of the UpdateService that
    /// made it, as ECS stamps createdAt: between the world's 10-second
    /// ticks, never floored to the last one (before the write).
    #[tokio::test]
    async fn a_write_between_ticks_is_stamped_with_its_own_instant() {
        use chrono::TimeZone;
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let clock = flightdeck_model::clock::ManualClock::new(t);
        let world = Arc::new(Mutex::new(World::new(1, t)));
        let p = SimProvider::all(world, Arc::new(clock.clone()))
            .into_iter()
            .find(|p| p.environment().name == "muejam-staging")
            .unwrap();
        clock.advance(chrono::Duration::milliseconds(18_900));
        let at = t + chrono::Duration::milliseconds(18_900);
        let backend = ServiceRef::new("muejam-staging", "backend");
        let update = ServiceUpdate {
            force_new_deployment: true,
            ..ServiceUpdate::default()
        };
        let svc = p.update_service(&backend, &update).await.unwrap();
        assert_eq!(svc.primary_deployment().unwrap().created_at, at);
        let history = p.service_deployments(&backend, t).await.unwrap();
        assert_eq!(history[0].created_at, at);
        let trail = p.write_events(t).await.unwrap();
        let write = trail.iter().find(|e| e.call == "UpdateService").unwrap();
        assert_eq!(write.at, at);
    }

    #[tokio::test]
    async fn registering_a_target_reports_its_real_suspension() {
        let p = staging();
        let suspend = TargetUpdate {
            suspend_dynamic_scaling: Some(true),
            ..TargetUpdate::default()
        };
        assert!(
            p.register_scalable_target(&ServiceRef::new("muejam-staging", "backend"), &suspend)
                .await
                .unwrap()
                .dynamic_scaling_suspended
        );
        let widen = TargetUpdate {
            max: Some(6),
            ..TargetUpdate::default()
        };
        let t = p
            .register_scalable_target(&ServiceRef::new("muejam-staging", "backend"), &widen)
            .await
            .unwrap();
        assert!(
            t.dynamic_scaling_suspended,
            "still suspended: the update did not mention it"
        );
        assert_eq!(t.value, p.scalable_targets().await.unwrap().remove(0));
    }
}

#[cfg(test)]
mod guard_tests {
    //! The core crate's read-only enforcement (a read-only `Provider` has
    //! no writer), around a simulated environment.
    use crate::SimProvider;
    use flightdeck_core::provider::{
        PortForward, Provider, ProviderError, ReadProvider, ServiceUpdate, TargetUpdate, WriteCall,
        WriteProvider, Writes,
    };
    use flightdeck_model::{EnvironmentInfo, ServiceRef, TaskDefRef};

    fn staging(read_only: bool) -> Provider {
        let sim = SimProvider::for_test("muejam-staging");
        let info = EnvironmentInfo {
            read_only,
            ..sim.environment().clone()
        };
        Provider::new(sim.with_environment(info))
    }

    /// One of every write call.
    fn every_call() -> Vec<WriteCall> {
        let service = ServiceRef::new("muejam-staging", "backend");
        vec![
            WriteCall::RegisterTaskDefinition {
                base: TaskDefRef::new("muejam-backend", 1),
                images: vec![],
            },
            WriteCall::UpdateService {
                service: service.clone(),
                update: ServiceUpdate::default(),
            },
            WriteCall::RegisterScalableTarget {
                service: service.clone(),
                update: TargetUpdate::default(),
            },
            WriteCall::StopDeploymentWithRollback {
                service: service.clone(),
            },
            WriteCall::ContinueDeployment {
                service: service.clone(),
                deployment: "arn".into(),
                hook: "hook".into(),
            },
            WriteCall::StopTask {
                service,
                task: "t".into(),
                reason: "r".into(),
            },
            WriteCall::ExecuteCommand {
                cluster: "muejam-staging".into(),
                task: "t".into(),
                container: "backend".into(),
                command: "sh".into(),
            },
            WriteCall::StartPortForward(PortForward {
                cluster: "muejam-staging".into(),
                task: "t".into(),
                container: "backend".into(),
                runtime_id: "r".into(),
                remote_host: None,
                remote_port: 8080,
                local_port: 8080,
            }),
            WriteCall::TerminateSession {
                session_id: "s".into(),
            },
        ]
    }

    #[tokio::test]
    async fn read_only_has_no_writer_for_any_call() {
        let p = staging(true);
        assert!(p.is_read_only());
        for call in every_call() {
            let err = p.write(&call).await.unwrap_err();
            assert_eq!(
                err,
                ProviderError::ReadOnly {
                    environment: "muejam-staging".into(),
                    operation: call.operation().into(),
                },
                "{call:?}"
            );
        }
    }

    #[tokio::test]
    async fn read_only_refuses_every_write_and_changes_nothing() {
        let p = staging(true);
        assert!(p.environment().read_only);
        let before = p
            .services("muejam-staging")
            .await
            .unwrap()
            .remove(0)
            .desired;
        let update = ServiceUpdate {
            desired: Some(before + 1),
            ..ServiceUpdate::default()
        };
        let err = p
            .update_service(&ServiceRef::new("muejam-staging", "backend"), &update)
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::ReadOnly { .. }), "{err}");
        let target = TargetUpdate {
            min: Some(2),
            ..TargetUpdate::default()
        };
        let err = p
            .register_scalable_target(&ServiceRef::new("muejam-staging", "backend"), &target)
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::ReadOnly { .. }), "{err}");
        let err = p
            .stop_deployment_with_rollback(&ServiceRef::new("muejam-staging", "backend"))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::ReadOnly { .. }), "{err}");
        let err = p
            .continue_deployment(&ServiceRef::new("muejam-staging", "backend"), "arn", "hook")
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::ReadOnly { .. }), "{err}");
        let err = p
            .register_task_definition(&flightdeck_model::TaskDefRef::new("muejam-backend", 1), &[])
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::ReadOnly { .. }), "{err}");
        let svc = p.services("muejam-staging").await.unwrap().remove(0);
        assert_eq!(svc.desired, before, "nothing changed");
        let t = p.scalable_targets().await.unwrap().remove(0);
        assert_eq!((t.min, t.max), (1, 4));
    }

    #[tokio::test]
    async fn read_write_lets_writes_through() {
        let p = staging(false);
        let update = ServiceUpdate {
            desired: Some(3),
            ..ServiceUpdate::default()
        };
        let svc = p
            .update_service(&ServiceRef::new("muejam-staging", "backend"), &update)
            .await
            .unwrap();
        assert_eq!(svc.desired, 3);
    }
}
