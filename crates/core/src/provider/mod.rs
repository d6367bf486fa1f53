//! The provider layer: async traits for every read and write the cockpit
//! performs, over the provider-neutral [`flightdeck_model`] types.
//!
//! Implementations: `flightdeck_sim::SimProvider` (the embedded simulated
//! production) and `flightdeck_aws::AwsProvider` (the AWS SDK), each in a
//! crate of its own.
//! Cross-cutting wrappers such as [`ReadOnlyGuard`] wrap any provider rather
//! than being copied into each one.

mod error;
mod exec;
mod guard;
mod locate;

pub use error::ProviderError;
pub use exec::{ExecSession, PortForward};
pub use guard::ReadOnlyGuard;
pub use locate::{LocateError, locate_service};

use async_trait::async_trait;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, ApiStats, CallerIdentity, Cluster, CostReport, EnvironmentInfo,
    LogEvent, MetricQuery, MetricSeries, ScalableTarget, ScalingActivity, ScalingPolicy, Service,
    ServiceDeployment, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp, WriteEvent,
};

pub type Result<T> = std::result::Result<T, ProviderError>;

/// A request for log events of one log group.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    pub log_group: String,
    /// Only streams starting with this (the awslogs stream prefix).
    pub stream_prefix: Option<String>,
    /// Only events at or after this instant.
    pub since: Timestamp,
    /// CloudWatch Logs filter pattern (plain text match in the sim).
    pub filter: Option<String>,
    pub limit: usize,
    /// The caller will ask again in seconds (the cockpit following, `logs
    /// --follow`): a provider may serve it from a live stream.
    pub live: bool,
}

/// Every read the cockpit makes of one environment.
#[async_trait]
pub trait ReadProvider: Send + Sync {
    /// The environment this provider reads.
    fn environment(&self) -> &EnvironmentInfo;
    async fn caller_identity(&self) -> Result<CallerIdentity>;
    async fn clusters(&self) -> Result<Vec<Cluster>>;
    /// Every service of a cluster, fully described (deployments and events).
    async fn services(&self, cluster: &str) -> Result<Vec<Service>>;
    /// Running tasks and recently stopped ones (with stop reasons) of a service.
    async fn tasks(&self, cluster: &str, service: &str) -> Result<Vec<Task>>;
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition>;
    /// Every revision of a family, newest first.
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>>;
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>>;
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>>;
    /// Recent activities of every ECS scalable target, newest first.
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>>;
    async fn alarms(&self) -> Result<Vec<Alarm>>;
    /// Newest first.
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>>;
    /// ECS's deployment history of a service since `since`, newest first.
    async fn service_deployments(
        &self,
        cluster: &str,
        service: &str,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>>;
    /// Every write call to ECS and Application Auto Scaling in the
    /// environment since `since`, by anyone (CloudTrail), newest first.
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>>;
    async fn metrics(
        &self,
        queries: &[MetricQuery],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<MetricSeries>>;
    /// Requests, 5xx and p95 response time of ALB target groups (ARNs),
    /// per minute, in the order asked. A group with no traffic has empty
    /// series.
    async fn target_group_metrics(
        &self,
        groups: &[String],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>>;
    /// Oldest first.
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>>;
    /// The API calls made so far, by operation, with the throttling
    /// answers; `None` for a provider that calls no API (the simulation).
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
    async fn costs(&self, days: u32) -> Result<CostReport>;
}

/// One service of a cluster, `None` when the cluster has no such service.
pub async fn find_service<P: ReadProvider + ?Sized>(
    p: &P,
    cluster: &str,
    name: &str,
) -> Result<Option<Service>> {
    Ok(p.services(cluster)
        .await?
        .into_iter()
        .find(|s| s.name == name))
}

/// Every service of every cluster of the environment, fully described.
pub async fn all_services<P: ReadProvider + ?Sized>(p: &P) -> Result<Vec<Service>> {
    let mut services = vec![];
    for c in p.clusters().await? {
        services.extend(p.services(&c.name).await?);
    }
    Ok(services)
}

/// What a write returned, with the AWS request id of the call that made it
/// (for the audit log). Derefs to the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    pub value: T,
    pub request_id: Option<String>,
}

impl<T> Written<T> {
    pub fn new(value: T, request_id: Option<String>) -> Self {
        Written { value, request_id }
    }
}

impl<T> std::ops::Deref for Written<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A change to a service, the way ECS UpdateService expresses it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceUpdate {
    pub desired: Option<u32>,
    pub task_definition: Option<TaskDefRef>,
    pub force_new_deployment: bool,
    /// A new deployment strategy; the rest of the deployment configuration
    /// (hooks, alarms, circuit breaker) stays as it is.
    pub strategy: Option<StrategyUpdate>,
}

/// The strategy part of UpdateService's deploymentConfiguration.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyUpdate {
    pub strategy: flightdeck_model::Strategy,
    /// The bake after all traffic moved (`bakeTimeInMinutes`).
    pub bake_minutes: Option<u32>,
}

/// A change to a scalable target, the way RegisterScalableTarget expresses it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetUpdate {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub suspend_dynamic_scaling: Option<bool>,
}

/// Every write the cockpit can make. Only the operations layer calls these,
/// after a plan and a confirmation; [`ReadOnlyGuard`] refuses them all for a
/// read-only environment whatever the caller.
#[async_trait]
pub trait WriteProvider: Send + Sync {
    /// Registers a new revision of `base`'s family, a copy of `base` with
    /// the given `(container, image)` replaced.
    async fn register_task_definition(
        &self,
        base: &TaskDefRef,
        images: &[(String, String)],
    ) -> Result<Written<TaskDefinition>>;
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> Result<Written<Service>>;
    async fn register_scalable_target(
        &self,
        cluster: &str,
        service: &str,
        update: &TargetUpdate,
    ) -> Result<Written<ScalableTarget>>;
    /// ECS's own rollback of the deployment in progress
    /// (StopServiceDeployment, stopType ROLLBACK). `Invalid` when the
    /// service has nothing to stop or does not support it.
    async fn stop_deployment_with_rollback(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Written<Service>>;
    /// Lets a deployment paused at a pause hook go on
    /// (ContinueServiceDeployment, action CONTINUE): `deployment` is the
    /// service deployment's ARN, `hook` the paused hook's id.
    async fn continue_deployment(
        &self,
        cluster: &str,
        service: &str,
        deployment: &str,
        hook: &str,
    ) -> Result<Written<Service>>;
    /// Stops one task of `service` (StopTask); the service starts a
    /// replacement. `reason` is what ECS shows as the stop reason.
    async fn stop_task(
        &self,
        cluster: &str,
        service: &str,
        task: &str,
        reason: &str,
    ) -> Result<Written<Task>>;
    /// Opens an interactive ECS Exec session running `command` in
    /// `container` of `task` (ExecuteCommand); the caller attaches the
    /// operator's terminal with `session-manager-plugin`.
    async fn execute_command(
        &self,
        cluster: &str,
        task: &str,
        container: &str,
        command: &str,
    ) -> Result<Written<ExecSession>>;
    /// Opens a port-forwarding session (SSM StartSession with a
    /// port-forwarding document) to the forward's task; the caller runs
    /// `session-manager-plugin` on it for as long as it stays open.
    async fn start_port_forward(&self, forward: &PortForward) -> Result<Written<ExecSession>>;
    /// Ends a session (SSM TerminateSession).
    async fn terminate_session(&self, session_id: &str) -> Result<()>;
}

/// A provider that can both read and write one environment.
pub trait Provider: ReadProvider + WriteProvider {}
impl<T: ReadProvider + WriteProvider> Provider for T {}
