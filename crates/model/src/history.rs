//! What happened to a service before now, beyond its current state: ECS's
//! service-deployment history and the writes CloudTrail recorded.

use super::{
    HookStatus, HookTimeoutAction, LifecycleStage, ServiceDeploymentStatus, TaskDefRef, Timestamp,
    WriteSource,
};
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
    /// The function it runs, or a pause (`pause` on the wire).
    pub name: HookTarget,
    pub status: HookStatus,
    /// When a waiting pause times out, and what ECS does then.
    pub expires_at: Option<Timestamp>,
    pub timeout_action: Option<HookTimeoutAction>,
}

/// What a lifecycle hook runs: a Lambda function by its name, or a pause
/// waiting for the operator. Written as the function's name or `pause`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HookTarget {
    /// A pause hook: the deployment waits for someone to continue it.
    Pause,
    /// A Lambda function, by its name.
    Function(String),
}

impl HookTarget {
    /// How a pause is written.
    const PAUSE: &'static str = "pause";

    /// The function's name, or `pause`.
    pub fn as_str(&self) -> &str {
        match self {
            HookTarget::Pause => Self::PAUSE,
            HookTarget::Function(name) => name,
        }
    }

    /// The written form back: `pause` is a pause, anything else a function.
    pub fn parse(name: &str) -> Self {
        if name == Self::PAUSE {
            HookTarget::Pause
        } else {
            HookTarget::Function(name.to_string())
        }
    }
}

impl std::fmt::Display for HookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for HookTarget {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for HookTarget {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Self::parse(&name))
    }
}

impl HookRun {
    /// A finished hook: `smoke SUCCEEDED`.
    pub fn new(name: HookTarget, status: HookStatus) -> Self {
        HookRun {
            id: None,
            name,
            status,
            expires_at: None,
            timeout_action: None,
        }
    }

    /// A pause waiting for someone to continue or roll back.
    pub fn is_waiting(&self) -> bool {
        self.status == HookStatus::AwaitingAction
    }
}

impl std::fmt::Display for HookRun {
    /// `hook smoke SUCCEEDED`, `pause AWAITING_ACTION (ROLLBACK at 14:30 UTC)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            HookTarget::Pause => write!(f, "pause {}", self.status)?,
            HookTarget::Function(name) => write!(f, "hook {name} {}", self.status)?,
        }
        if let (true, Some(at)) = (self.is_waiting(), self.expires_at) {
            write!(
                f,
                " ({} at {})",
                self.timeout_action
                    .as_ref()
                    .map_or("times out", HookTimeoutAction::as_str),
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
    pub from: WriteSource,
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
