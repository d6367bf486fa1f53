//! What happened to a service before now, beyond its current state: ECS's
//! service-deployment history and the writes CloudTrail recorded.

use super::{LifecycleStage, ServiceDeploymentStatus, TaskDefRef, Timestamp};
use serde::Serialize;

/// One deployment of ECS's service-deployment history
/// (ListServiceDeployments, DescribeServiceDeployments and the task
/// definitions of its service revisions).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
    /// Each lifecycle hook run so far.
    pub hooks: Vec<HookRun>,
}

/// One run of a lifecycle hook in a deployment (lifecycleHookDetails).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct HookRun {
    /// What ContinueServiceDeployment names a paused hook by.
    pub id: Option<String>,
    /// The function's name, or `pause`.
    pub name: String,
    /// `IN_PROGRESS`, `SUCCEEDED`, `FAILED`, `TIMED_OUT`, or
    /// `AWAITING_ACTION` for a pause waiting for the operator.
    pub status: String,
    /// When a waiting pause times out, and what ECS does then.
    pub expires_at: Option<Timestamp>,
    pub timeout_action: Option<String>,
}

impl HookRun {
    /// A finished hook: `smoke SUCCEEDED`.
    pub fn new(name: &str, status: &str) -> Self {
        HookRun {
            id: None,
            name: name.into(),
            status: status.into(),
            expires_at: None,
            timeout_action: None,
        }
    }

    /// A pause waiting for someone to continue or roll back.
    pub fn is_waiting(&self) -> bool {
        self.status == "AWAITING_ACTION"
    }
}

impl std::fmt::Display for HookRun {
    /// `hook smoke SUCCEEDED`, `pause AWAITING_ACTION (ROLLBACK at 14:30 UTC)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name == "pause" {
            write!(f, "pause {}", self.status)?;
        } else {
            write!(f, "hook {} {}", self.name, self.status)?;
        }
        if let (true, Some(at)) = (self.is_waiting(), self.expires_at) {
            write!(
                f,
                " ({} at {})",
                self.timeout_action.as_deref().unwrap_or("times out"),
                at.format("%H:%M UTC")
            )?;
        }
        Ok(())
    }
}

impl ServiceDeployment {
    /// The pause hook waiting for the operator, if any.
    pub fn waiting_hook(&self) -> Option<&HookRun> {
        self.hooks.iter().find(|h| h.is_waiting())
    }

    /// When it ended or, still running, when it began.
    pub fn at(&self) -> Timestamp {
        self.finished_at
            .or(self.started_at)
            .unwrap_or(self.created_at)
    }
}

/// One write call to ECS or Application Auto Scaling that CloudTrail
/// recorded (LookupEvents): who changed what, from where.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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
