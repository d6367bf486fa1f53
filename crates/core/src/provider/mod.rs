//! The provider layer: async traits for every read and write the cockpit
//! performs, over the provider-neutral [`flightdeck_model`] types.
//!
//! Implementations: `flightdeck_sim::SimProvider` (the embedded simulated
//! production) and `flightdeck_aws::AwsProvider` (the AWS SDK), each in a
//! crate of its own.
//! The layers above hold an environment as a [`Provider`]: its reads, and
//! its writer unless it is read-only.

mod environment;
mod error;
mod exec;
mod locate;
mod one_off;
mod write;

pub use environment::Provider;
pub use error::ProviderError;
pub use exec::{ExecSession, PortForward};
pub use locate::{LocateError, locate_service};
pub use one_off::{OneOffTask, STARTED_BY};
pub use write::{
    ServiceUpdate, StrategyUpdate, TargetUpdate, WriteAnswer, WriteCall, WriteProvider, Writes,
    Written,
};

use async_trait::async_trait;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, ApiStats, CallerIdentity, Cluster, CostReport, EnvironmentInfo,
    LogEvent, MetricQuery, MetricSeries, ScalableTarget, ScalingActivity, ScalingPolicy, Service,
    ServiceDeployment, ServiceRef, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp,
    WriteEvent,
};

pub type Result<T> = std::result::Result<T, ProviderError>;

/// Every read and write trait, for code that calls a concrete provider's
/// methods (`use flightdeck_core::provider::prelude::*`).
pub mod prelude {
    pub use super::{
        ChangeReads, CostReads, EcsReads, LogReads, MonitoringReads, ReadProvider, ScalingReads,
        WriteProvider, Writes,
    };
}

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

/// ECS: clusters, services, their tasks, task definitions and deployment
/// history.
#[async_trait]
pub trait EcsReads: Send + Sync {
    async fn clusters(&self) -> Result<Vec<Cluster>>;
    /// Every service of a cluster, fully described (deployments and events).
    async fn services(&self, cluster: &str) -> Result<Vec<Service>>;
    /// Running tasks and recently stopped ones (with stop reasons) of a service.
    async fn tasks(&self, service: &ServiceRef) -> Result<Vec<Task>>;
    /// One task of a cluster by its id, whoever started it (a one-off
    /// task followed to its end).
    async fn task(&self, cluster: &str, id: &str) -> Result<Task>;
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition>;
    /// Every revision of a family, newest first.
    async fn task_definition_revisions(&self, family: &str) -> Result<Vec<TaskDefRef>>;
    /// ECS's deployment history of a service since `since`, newest first.
    async fn service_deployments(
        &self,
        service: &ServiceRef,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>>;
}

/// Application Auto Scaling: the services' scalable targets, policies and
/// activities.
#[async_trait]
pub trait ScalingReads: Send + Sync {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>>;
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>>;
    /// Recent activities of every ECS scalable target, newest first.
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>>;
}

/// CloudWatch: alarms, their history, and metrics.
#[async_trait]
pub trait MonitoringReads: Send + Sync {
    async fn alarms(&self) -> Result<Vec<Alarm>>;
    /// Newest first.
    async fn alarm_history(&self, alarm: &str) -> Result<Vec<AlarmHistoryItem>>;
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
}

/// CloudWatch Logs.
#[async_trait]
pub trait LogReads: Send + Sync {
    /// Oldest first.
    async fn log_events(&self, query: &LogQuery) -> Result<Vec<LogEvent>>;
}

/// CloudTrail: who changed what.
#[async_trait]
pub trait ChangeReads: Send + Sync {
    /// Every write call to ECS and Application Auto Scaling in the
    /// environment since `since`, by anyone (CloudTrail), newest first.
    async fn write_events(&self, since: Timestamp) -> Result<Vec<WriteEvent>>;
}

/// Cost Explorer.
#[async_trait]
pub trait CostReads: Send + Sync {
    async fn costs(&self, days: u32) -> Result<CostReport>;
}

/// Every read the cockpit makes of one environment: each API family's
/// reads, and who the provider is. A consumer that needs one family can
/// take that trait alone.
#[async_trait]
pub trait ReadProvider:
    EcsReads + ScalingReads + MonitoringReads + LogReads + ChangeReads + CostReads
{
    /// The environment this provider reads.
    fn environment(&self) -> &EnvironmentInfo;
    async fn caller_identity(&self) -> Result<CallerIdentity>;
    /// The API calls made so far, by operation, with the throttling
    /// answers; `None` for a provider that calls no API (the simulation).
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
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
