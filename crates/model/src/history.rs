//! What happened to a service before now, beyond its current state: ECS's
//! service-deployment history and the writes CloudTrail recorded.

use super::{LifecycleStage, ServiceDeploymentStatus, TaskDefRef, Timestamp};
use serde::Serialize;

/// One deployment of ECS's service-deployment history
/// (ListServiceDeployments, DescribeServiceDeployments and the task
/// definitions of its service revisions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDeployment {
    pub arn: String,
    pub status: ServiceDeploymentStatus,
    pub status_reason: Option<String>,
    /// The revision deployed; `None` when its service revision could not be read.
    pub target: Option<TaskDefRef>,
    /// The revisions it replaced.
    pub sources: Vec<TaskDefRef>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Why ECS rolled it back, when it did.
    pub rollback_reason: Option<String>,
    /// Tasks that failed to start, as the circuit breaker counted them.
    pub circuit_breaker_failures: Option<u32>,
    /// The CloudWatch alarms that triggered its rollback.
    pub triggered_alarms: Vec<String>,
    /// Where a blue/green, canary or linear deployment is; `None` for a
    /// rolling update.
    pub stage: Option<LifecycleStage>,
    /// Percent of production traffic ECS routes to the new revision, where
    /// it shifts traffic.
    pub traffic_on_target: Option<f64>,
    /// Each lifecycle hook's result so far: `(function, status)`.
    pub hook_results: Vec<(String, String)>,
}

impl ServiceDeployment {
    /// When it ended or, still running, when it began.
    pub fn at(&self) -> Timestamp {
        self.finished_at
            .or(self.started_at)
            .unwrap_or(self.created_at)
    }
}

/// One write call to ECS or Application Auto Scaling that CloudTrail
/// recorded (LookupEvents): who changed what, from where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteEvent {
    pub id: String,
    pub at: Timestamp,
    /// The API call, e.g. `UpdateService`.
    pub call: String,
    /// The caller: the IAM user, or the role session (`role/session`).
    pub who: String,
    /// Source IP address, or the AWS service that called on someone's behalf.
    pub from: String,
    /// The service it changed, when it names one, and its cluster
    /// (`default` when the call named none, as ECS reads it).
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// The call's parameters that matter, e.g. `desiredCount=4`.
    pub parameters: Vec<String>,
    /// AWS's error code when the call failed.
    pub error: Option<String>,
}

impl WriteEvent {
    /// Whether the write names `service` of `cluster`.
    pub fn touches(&self, cluster: &str, service: &str) -> bool {
        self.service.as_deref() == Some(service) && self.cluster.as_deref() == Some(cluster)
    }
}
