//! Provider-neutral domain types. Nothing from an SDK appears here: providers
//! translate their own types into these, and everything above the provider
//! layer (engine, app, ui, cli) speaks only this vocabulary.

pub mod clock;
mod cost;
pub mod duration;
mod ecs;
mod history;
mod monitoring;
mod scaling;
pub mod secrets;
mod status;
mod strategy;
pub mod text;

pub use cost::{CostReport, DailyCost, ServiceCost};
pub use ecs::{
    CapacityProviderItem, Cluster, ContainerDefinition, ContainerState, Deployment,
    DeploymentStatus, EnvVar, EventKind, LaunchType, LogSource, Placement, RolloutState, SecretRef,
    Service, ServiceEvent, ServiceRef, StopCause, Task, TaskDefRef, TaskDefinition,
};
pub use history::{HookRun, HookTarget, ServiceDeployment, WriteEvent};
pub use monitoring::{
    Alarm, AlarmHistoryItem, AlarmState, ApiStats, Comparison, LogEvent, MetricPoint, MetricQuery,
    MetricSeries, Severity, TARGET_TRACKING_PREFIX, TargetGroupSeries, TrackingSide, alarms_of,
};
pub use scaling::{PolicyKind, ScalableTarget, ScalingActivity, ScalingPolicy, StepAdjustment};
pub use secrets::{SecretKind, is_secret};
pub use status::{
    ActivityStatus, ClusterStatus, HealthStatus, HookStatus, HookTimeoutAction, LifecycleStage,
    ManagedAgentStatus, MetricName, MetricNamespace, ScalingMetric, ServiceDeploymentStatus,
    ServiceStatus, Statistic, TaskDefinitionStatus, TaskStatus, WriteSource,
};
pub use strategy::{
    Controller, DeploymentConfig, HookKind, LifecycleHook, MAX_BAKE_MINUTES, Strategy,
};
pub use text::trim_float;

/// All times are UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// What the cockpit knows about one configured environment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnvironmentInfo {
    pub name: String,
    pub region: String,
    pub production: bool,
    pub read_only: bool,
}

/// Who the provider is talking to AWS as.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

/// `chrono::Duration` as whole seconds, for `#[serde(with = ...)]`.
pub mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &chrono::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::Duration, D::Error> {
        Ok(chrono::Duration::seconds(i64::deserialize(d)?))
    }
}
