//! The AWS provider: every read and write of the provider traits over the
//! official AWS SDK for Rust. No SDK type leaves this module.
//!
//! Invariants: every call has an operation timeout and an explicit retry
//! policy ([`sdk`]); every error is classified ([`errors`]); list calls
//! follow their continuation tokens and describe calls respect the AWS
//! batch limits; task definitions are cached for the session (a revision
//! never changes) and costs on disk for hours.

mod cloudwatch;
mod codedeploy;
mod costs;
pub mod doctor;
mod ecs;
mod errors;
mod history;
mod http;
pub mod leases;
mod live_tail;
mod logs;
pub mod organizations;
pub mod recordings;
mod scaling;
mod sdk;
mod ssm;
pub mod sso;
mod stats;
mod target_groups;
pub mod team;
mod time;
mod trail;

pub use cloudwatch::METRIC_QUERIES_PER_CALL;
pub use costs::COST_CACHE_TTL;
pub use ecs::{DESCRIBE_SERVICES_BATCH, DESCRIBE_TASKS_BATCH};
pub use sdk::{AssumeRole, Settings, loader, strip_loopback_stream_prefix};
pub use trail::{TRAIL_CACHE_TTL, WRITE_CALLS};

use async_trait::async_trait;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use errors::Action;
use flightdeck_core::provider::{
    ChangeReads, CostReads, EcsReads, LogQuery, LogReads, MonitoringReads, ProviderError,
    ReadProvider, Result, ScalingReads, WriteAnswer, WriteCall, WriteProvider, Written,
};
use flightdeck_model::clock::Clock;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, ApiStats, CallerIdentity, Cluster, CostReport, EnvironmentInfo,
    LogEvent, MetricQuery, MetricSeries, ScalableTarget, ScalingActivity, ScalingPolicy, Service,
    ServiceDeployment, ServiceRef, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp,
    WriteEvent,
};
use sdk::Clients;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One environment on AWS.
pub struct AwsProvider {
    info: EnvironmentInfo,
    settings: Settings,
    clients: Clients,
    /// Every call the clients made, by operation.
    counter: stats::CallCounter,
    clock: Arc<dyn Clock>,
    task_definitions: Mutex<HashMap<TaskDefRef, TaskDefinition>>,
    tails: live_tail::LiveTails,
    /// The caller's account, asked once (log group ARNs need it).
    account: tokio::sync::OnceCell<String>,
    /// The last CloudTrail lookup, reused for a while (2 calls a second).
    trail: Mutex<Option<trail::CachedTrail>>,
    /// Alarm histories, read again only after a state change.
    alarm_histories: Mutex<cloudwatch::AlarmHistories>,
    /// CodeDeploy's deployment groups, reused for a while.
    deployment_groups: Mutex<codedeploy::CachedGroups>,
    /// Target groups' load balancer dimensions, found once.
    load_balancers: Mutex<target_groups::LoadBalancers>,
    /// The endpoint every client was given (flag, config or
    /// `AWS_ENDPOINT_URL`), when not AWS's own: ECS Exec's plugin needs it.
    endpoint_url: Option<String>,
}

impl AwsProvider {
    /// Resolves credentials, region and endpoint the way the AWS CLI does
    /// and builds the clients. Fails only when no region can be found.
    pub async fn connect(settings: Settings, clock: Arc<dyn Clock>) -> Result<AwsProvider> {
        let config = sdk::load(&settings).await;
        Self::with_config(settings, &config, clock)
    }

    /// [`AwsProvider::connect`] for every environment of a start, their
    /// configurations loaded once per profile, region and endpoint.
    pub async fn connect_all(
        settings: Vec<Settings>,
        clock: Arc<dyn Clock>,
    ) -> Vec<Result<AwsProvider>> {
        let mut loaded = sdk::Loaded::default();
        let mut out = Vec::with_capacity(settings.len());
        for s in settings {
            let config = loaded.config(&s).await;
            out.push(Self::with_config(s, &config, clock.clone()));
        }
        out
    }

    /// Builds the provider from a ready SDK configuration (tests use static
    /// credentials this way).
    pub fn with_config(
        settings: Settings,
        config: &aws_config::SdkConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<AwsProvider> {
        let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
            ProviderError::Other(format!(
                "environment {}: no AWS region; set `region` in its config section, AWS_REGION or --region",
                settings.name
            ))
        })?;
        let counter = stats::CallCounter::default();
        Ok(AwsProvider {
            info: EnvironmentInfo {
                name: settings.name.clone(),
                region,
                production: settings.production,
                read_only: settings.read_only,
            },
            clients: Clients::new(config, &counter),
            counter,
            settings,
            clock,
            task_definitions: Mutex::new(HashMap::new()),
            tails: live_tail::LiveTails::default(),
            account: tokio::sync::OnceCell::new(),
            trail: Mutex::new(None),
            alarm_histories: Mutex::new(cloudwatch::AlarmHistories::default()),
            deployment_groups: Mutex::new(codedeploy::CachedGroups::default()),
            load_balancers: Mutex::new(target_groups::LoadBalancers::default()),
            endpoint_url: config.endpoint_url().map(str::to_string),
        })
    }

    /// The error mapper for one action, naming this environment's profile
    /// in credential advice.
    fn fail<E>(
        &self,
        action: Action,
    ) -> impl FnOnce(SdkError<E, HttpResponse>) -> ProviderError + '_
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        move |e| errors::classify(e, action, self.settings.profile.as_deref())
    }

    async fn account(&self) -> Result<String> {
        self.account
            .get_or_try_init(|| async { Ok(self.caller_identity().await?.account) })
            .await
            .cloned()
    }

    fn wants_cluster(&self, cluster: &str) -> bool {
        self.settings
            .clusters
            .as_ref()
            .is_none_or(|c| c.iter().any(|c| c == cluster))
    }

    fn alarm_histories(&self) -> MutexGuard<'_, cloudwatch::AlarmHistories> {
        lock(&self.alarm_histories)
    }

    fn task_definition_cache(&self) -> MutexGuard<'_, HashMap<TaskDefRef, TaskDefinition>> {
        lock(&self.task_definitions)
    }
}

/// A lock of the provider's caches and live tails. A poisoned lock only
/// means a panic elsewhere; the data it guards is still valid.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl ReadProvider for AwsProvider {
    fn environment(&self) -> &EnvironmentInfo {
        &self.info
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        let out = self
            .clients
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(self.fail(Action("sts:GetCallerIdentity")))?;
        Ok(CallerIdentity {
            account: out.account().unwrap_or_default().to_string(),
            arn: out.arn().unwrap_or_default().to_string(),
        })
    }
    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.counter.snapshot())
    }
}

#[async_trait]
impl EcsReads for AwsProvider {
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        self.list_clusters().await
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        let mut services = self.list_services(cluster).await?;
        self.name_deployment_groups(&mut services).await;
        Ok(services)
    }
    async fn tasks(&self, service: &ServiceRef) -> Result<Vec<Task>> {
        self.list_tasks(&service.cluster, &service.name).await
    }
    async fn task(&self, cluster: &str, id: &str) -> Result<Task> {
        self.describe_one_task(cluster, id).await
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        self.describe_task_definition(reference).await
    }
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>> {
        self.list_revisions(family).await
    }
    async fn service_deployments(
        &self,
        service: &ServiceRef,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        self.list_service_deployments(&service.cluster, &service.name, since)
            .await
    }
}

#[async_trait]
impl ScalingReads for AwsProvider {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        self.list_scalable_targets().await
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        self.list_scaling_policies().await
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        self.list_scaling_activities().await
    }
}

#[async_trait]
impl MonitoringReads for AwsProvider {
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        self.list_alarms().await
    }
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>> {
        self.list_alarm_history(alarm).await
    }
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<MetricSeries>> {
        self.get_metrics(queries, start, end).await
    }
    async fn target_group_metrics(
        &self,
        groups: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>> {
        self.read_target_group_metrics(groups, start, end).await
    }
}

#[async_trait]
impl LogReads for AwsProvider {
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>> {
        if query.live {
            self.followed_log_events(query).await
        } else {
            self.filter_log_events(query).await
        }
    }
}

#[async_trait]
impl ChangeReads for AwsProvider {
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>> {
        self.lookup_write_events(since).await
    }
}

#[async_trait]
impl CostReads for AwsProvider {
    async fn costs(&self, days: u32) -> Result<CostReport> {
        self.cost_report(days).await
    }
}

#[async_trait]
impl WriteProvider for AwsProvider {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>> {
        fn answer<T>(w: Written<T>, wrap: fn(T) -> WriteAnswer) -> Written<WriteAnswer> {
            Written::new(wrap(w.value), w.request_id)
        }
        Ok(match call {
            WriteCall::RegisterTaskDefinition { base, images } => answer(
                self.register_copy(base, images).await?,
                WriteAnswer::TaskDefinition,
            ),
            WriteCall::UpdateService { service, update } => answer(
                self.update(&service.cluster, &service.name, update).await?,
                WriteAnswer::Service,
            ),
            WriteCall::RegisterScalableTarget { service, update } => answer(
                self.register_target(&service.cluster, &service.name, update)
                    .await?,
                WriteAnswer::ScalableTarget,
            ),
            WriteCall::StopDeploymentWithRollback { service } => answer(
                self.stop_with_rollback(&service.cluster, &service.name)
                    .await?,
                WriteAnswer::Service,
            ),
            WriteCall::ContinueDeployment {
                service,
                deployment,
                hook,
            } => answer(
                self.continue_paused(&service.cluster, &service.name, deployment, hook)
                    .await?,
                WriteAnswer::Service,
            ),
            WriteCall::StopTask {
                service,
                task,
                reason,
            } => answer(
                self.stop_one_task(&service.cluster, task, reason).await?,
                WriteAnswer::Task,
            ),
            WriteCall::RunTask(run) => answer(self.run_one_off(run).await?, WriteAnswer::Task),
            WriteCall::ExecuteCommand {
                cluster,
                task,
                container,
                command,
            } => answer(
                self.open_exec(cluster, task, container, command).await?,
                WriteAnswer::Session,
            ),
            WriteCall::StartPortForward(forward) => {
                answer(self.open_port_forward(forward).await?, WriteAnswer::Session)
            }
            WriteCall::TerminateSession { session_id } => {
                self.end_session(session_id).await?;
                Written::new(WriteAnswer::Done, None)
            }
        })
    }
}
