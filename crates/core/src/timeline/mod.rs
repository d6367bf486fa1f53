//! The change timeline: *what changed* before an alarm, on one time axis.
//! Deployments (current and ECS's history), task definition changes with
//! their diff, alarm state changes, scaling activities, task stops, service
//! events, this operator's writes (audit log), the team's writes with
//! flightdeck (its shared trail) and everybody's writes (CloudTrail),
//! newest first.
//!
//! [`assemble`] is pure: it turns [`Facts`] into [`Entry`]s. [`gather`]
//! reads the facts from a provider and the audit log.

mod entries;
mod gather;

pub use entries::assemble;
pub use gather::{ALARM_HISTORIES_READ, gather};

use crate::audit::{AuditLog, Record};
use crate::provider::ProviderError;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, ScalingActivity, Service, ServiceDeployment, ServiceRef, Task,
    TaskDefinition, Timestamp, WriteEvent,
};
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// One record of the team's shared audit trail (`[team] audit_log_group`),
/// with the operator whose stream it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRecord {
    pub operator: String,
    pub record: Record,
}

/// The team's shared audit trail, as read back.
#[async_trait::async_trait]
pub trait TeamTrail: Send + Sync + std::fmt::Debug {
    /// This operator, whose own records the local audit log has.
    fn operator(&self) -> &str;
    /// Every operator's records about `account` and `region` since `since`.
    async fn records(
        &self,
        account: &str,
        region: &str,
        since: Timestamp,
    ) -> Result<Vec<TeamRecord>, ProviderError>;
}

/// Where a timeline reads the writes made with flightdeck: this
/// machine's audit log and the team's shared trail.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub local: Option<AuditLog>,
    pub team: Option<Arc<dyn TeamTrail>>,
}

impl Records {
    /// The local audit log only.
    pub fn local(log: AuditLog) -> Self {
        Records {
            local: Some(log),
            team: None,
        }
    }
}

/// What kind of change an entry is; the timeline filters on it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A deployment started, completed, failed or was rolled back.
    Deployment,
    /// A new task definition revision went out, with its diff.
    TaskDefinition,
    /// An alarm changed state.
    Alarm,
    /// Auto scaling changed the desired count.
    Scaling,
    /// A task stopped, with its reason.
    TaskStop,
    /// A service event of ECS.
    Event,
    /// A write made by this operator through flightdeck (the audit log).
    Operator,
    /// A write call anyone made (CloudTrail): console, CLI, CI.
    Write,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Deployment,
        Kind::TaskDefinition,
        Kind::Alarm,
        Kind::Scaling,
        Kind::TaskStop,
        Kind::Event,
        Kind::Operator,
        Kind::Write,
    ];

    /// The short name used in tables, filters and `--kind`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Deployment => "deploy",
            Kind::TaskDefinition => "taskdef",
            Kind::Alarm => "alarm",
            Kind::Scaling => "scaling",
            Kind::TaskStop => "stop",
            Kind::Event => "event",
            Kind::Operator => "audit",
            Kind::Write => "write",
        }
    }

    pub fn parse(label: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.label() == label)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// One change on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Entry {
    pub at: Timestamp,
    pub kind: Kind,
    /// The service it concerns; `None` for environment-wide changes.
    pub service: Option<ServiceRef>,
    /// One line: what happened.
    pub summary: String,
    /// What the entry is about, for a jump to it: the alarm's name, the
    /// deployment's ARN or id, the task's id, the event's id.
    pub subject: Option<String>,
    /// Who did it (a person or role, ECS, auto scaling) when known.
    pub who: Option<Actor>,
    /// The evidence: diff lines, reasons, parameters, where from.
    pub detail: Vec<String>,
}

/// Who made a change on the timeline: AWS itself, or a caller. Written as
/// `ECS`, `CloudWatch`, `auto scaling`, or the caller's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// ECS: deployments, task stops, service events.
    Ecs,
    /// CloudWatch: alarm state changes.
    CloudWatch,
    /// Application Auto Scaling: scaling activities.
    AutoScaling,
    /// A person or role, by the name its IAM ARN gives
    /// (`maria.k (AWSReservedSSO_PowerUser_9f03b7)`, a user's name).
    Caller(String),
}

impl Actor {
    /// The caller behind an IAM ARN: the role session of an assumed role
    /// (`maria.k (AWSReservedSSO_PowerUser_9f03b7)`), the user's name.
    pub fn caller(arn: &str) -> Actor {
        let resource = arn.rsplit_once(':').map_or(arn, |(_, r)| r);
        Actor::Caller(match resource.split('/').collect::<Vec<_>>().as_slice() {
            ["assumed-role", role, session] => format!("{session} ({role})"),
            ["user", .., name] => (*name).to_string(),
            _ => arn.to_string(),
        })
    }

    /// How it is written.
    pub fn as_str(&self) -> &str {
        match self {
            Actor::Ecs => "ECS",
            Actor::CloudWatch => "CloudWatch",
            Actor::AutoScaling => "auto scaling",
            Actor::Caller(name) => name,
        }
    }

    /// The written form back.
    pub fn parse(s: &str) -> Actor {
        [Actor::Ecs, Actor::CloudWatch, Actor::AutoScaling]
            .into_iter()
            .find(|a| a.as_str() == s)
            .unwrap_or_else(|| Actor::Caller(s.to_string()))
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Actor::parse(&s))
    }
}

/// What the timeline covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "scope", content = "service")]
pub enum Scope {
    /// One service: its deployment history, tasks and alarms too.
    Service(ServiceRef),
    /// Every service of the environment, from what the panes already read.
    Environment,
}

impl Scope {
    /// Whether a change to `service` (or to nothing in particular) is in scope.
    pub fn covers(&self, service: Option<&ServiceRef>) -> bool {
        match (self, service) {
            (Scope::Environment, _) => true,
            (Scope::Service(s), Some(other)) => s == other,
            (Scope::Service(_), None) => false,
        }
    }
}

/// A source that could not be read, and why (the timeline is shown
/// without it, and says so).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Gap {
    /// e.g. "CloudTrail LookupEvents".
    pub source: String,
    pub error: String,
}

/// Everything a timeline is made of, as read.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The services in scope, with their current deployments and events.
    pub services: Vec<Service>,
    /// ECS's deployment history per service (only where it was read).
    pub deployments: Vec<(ServiceRef, Vec<ServiceDeployment>)>,
    /// The revisions deployments name, for their diffs.
    pub task_definitions: Vec<TaskDefinition>,
    /// Alarms with their state history (only those whose history was read).
    pub alarms: Vec<(Alarm, Vec<AlarmHistoryItem>)>,
    pub activities: Vec<ScalingActivity>,
    /// Stopped tasks per service.
    pub tasks: Vec<(ServiceRef, Vec<Task>)>,
    /// The audit log's records.
    pub audit: Vec<Record>,
    /// The team's records (the shared trail), but this operator's.
    pub team: Vec<TeamRecord>,
    /// CloudTrail write events.
    pub writes: Vec<WriteEvent>,
}

/// The timeline of a scope since an instant.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Timeline {
    pub scope: Scope,
    pub since: Timestamp,
    /// Newest first.
    pub entries: Vec<Entry>,
    /// Sources that could not be read.
    pub gaps: Vec<Gap>,
}

impl Timeline {
    /// The entries of the given kinds (all when `kinds` is empty).
    pub fn filtered<'a>(&'a self, kinds: &'a [Kind]) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(move |e| kinds.is_empty() || kinds.contains(&e.kind))
    }
}

#[cfg(test)]
mod tests;
