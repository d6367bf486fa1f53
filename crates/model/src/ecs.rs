//! ECS: clusters, services, deployments, tasks and task definitions.

use super::Timestamp;
use super::status::{
    ClusterStatus, HealthStatus, ManagedAgentStatus, ServiceStatus, TaskDefinitionStatus,
    TaskStatus,
};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LaunchType {
    Fargate,
    Ec2,
}

impl fmt::Display for LaunchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LaunchType::Fargate => "FARGATE",
            LaunchType::Ec2 => "EC2",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Cluster {
    pub name: String,
    pub status: ClusterStatus,
    pub launch_type: LaunchType,
    pub active_services: u32,
    pub running_tasks: u32,
    pub pending_tasks: u32,
    /// Whether Container Insights is enabled (richer metrics).
    pub container_insights: bool,
}

/// `family:revision`, the way ECS names a task definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct TaskDefRef {
    pub family: String,
    pub revision: u32,
}

impl TaskDefRef {
    pub fn new(family: impl Into<String>, revision: u32) -> Self {
        Self {
            family: family.into(),
            revision,
        }
    }
}

impl fmt::Display for TaskDefRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.family, self.revision)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    Primary,
    Active,
    Inactive,
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeploymentStatus::Primary => "PRIMARY",
            DeploymentStatus::Active => "ACTIVE",
            DeploymentStatus::Inactive => "INACTIVE",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutState {
    Completed,
    InProgress,
    Failed,
}

impl fmt::Display for RolloutState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RolloutState::Completed => "COMPLETED",
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Failed => "FAILED",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub task_definition: TaskDefRef,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
    pub rollout_state: RolloutState,
    pub rollout_reason: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One of a service's events. Written as ECS gives it (id, time, message);
/// its kind is not written but read again from the message.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(from = "EventWire")]
pub struct ServiceEvent {
    pub id: String,
    pub created_at: Timestamp,
    pub message: String,
    /// What the event tells, read from its message where it is decoded
    /// (the AWS provider, a recording) or said by the simulator.
    #[serde(skip_serializing)]
    pub kind: EventKind,
}

/// A service event as it is written.
#[derive(serde::Deserialize)]
struct EventWire {
    id: String,
    created_at: Timestamp,
    message: String,
}

impl From<EventWire> for ServiceEvent {
    fn from(e: EventWire) -> Self {
        ServiceEvent::read(e.id, e.created_at, e.message)
    }
}

/// What an ECS service event tells. ECS gives events as prose only; they
/// are read once ([`EventKind::of`]) where they are decoded, and
/// everything else matches on the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `has stopped N running tasks`.
    TasksStopped,
    /// `has started N tasks`.
    TasksStarted,
    /// `(deployment …) deployment completed.`
    DeploymentCompleted,
    /// `(deployment …) deployment failed: …`
    DeploymentFailed,
    /// `… rolled back …` (a circuit breaker, an alarm, a hook, the operator).
    RolledBack,
    /// `was unable to place a task …`
    UnableToPlace,
    /// `… is unhealthy in (target-group …)`
    Unhealthy,
    /// `has reached a steady state.`
    SteadyState,
    Other,
}

impl ServiceEvent {
    /// An event as ECS wrote it, its kind read from its message.
    pub fn read(id: String, created_at: Timestamp, message: String) -> Self {
        ServiceEvent {
            id,
            created_at,
            kind: EventKind::of(&message),
            message,
        }
    }

    /// The deployment an event names (`(deployment ecs-svc/123)`).
    pub fn deployment(&self) -> Option<&str> {
        self.message
            .split("(deployment ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
    }
}

impl EventKind {
    /// What ECS's words say: the one place its event prose is read.
    pub fn of(message: &str) -> EventKind {
        let m = message;
        if m.contains("has stopped") {
            EventKind::TasksStopped
        } else if m.contains("has started") {
            EventKind::TasksStarted
        } else if m.contains("deployment completed") {
            EventKind::DeploymentCompleted
        } else if m.contains(") deployment failed") {
            EventKind::DeploymentFailed
        } else if m.contains("rolled back") {
            EventKind::RolledBack
        } else if m.contains("unable to place a task") {
            EventKind::UnableToPlace
        } else if m.contains("is unhealthy in") {
            EventKind::Unhealthy
        } else if m.contains("has reached a steady state") {
            EventKind::SteadyState
        } else {
            EventKind::Other
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Service {
    pub cluster: String,
    pub name: String,
    /// The service's ARN as AWS spells it (empty in recordings made before
    /// it was kept).
    #[serde(default)]
    pub arn: String,
    pub status: ServiceStatus,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub task_definition: TaskDefRef,
    pub launch_type: LaunchType,
    /// Newest first, as ECS returns them.
    pub deployments: Vec<Deployment>,
    /// ARNs of the load balancer target groups the service registers its
    /// tasks with (ALB alarms name these, not the service).
    pub target_groups: Vec<String>,
    /// The alternate target groups of a blue/green, canary or linear
    /// service (`loadBalancers[].advancedConfiguration`): the new revision
    /// registers in the group that does not carry production traffic.
    #[serde(default)]
    pub alternate_target_groups: Vec<String>,
    /// Newest first; ECS keeps the last 100.
    pub events: Vec<ServiceEvent>,
    pub created_at: Timestamp,
    /// How it deploys: controller, strategy, bake, hooks, rollback alarms.
    pub deployment_config: super::DeploymentConfig,
    /// Whether the service starts its tasks with ECS Exec enabled.
    #[serde(default)]
    pub exec_enabled: bool,
    /// Where and how it starts its tasks: a one-off task (RunTask) starts
    /// the same way.
    #[serde(default)]
    pub placement: Placement,
}

/// How a service starts its tasks, as DescribeServices says: its awsvpc
/// network, its capacity providers (else its launch type), its platform
/// version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Placement {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// `assignPublicIp`; `None` when the service has no awsvpc network.
    pub assign_public_ip: Option<bool>,
    /// The capacity provider strategy; empty when the launch type says.
    pub capacity_providers: Vec<CapacityProviderItem>,
    /// Fargate's platform version (`LATEST`, `1.4.0`).
    pub platform_version: Option<String>,
}

impl Placement {
    /// Whether it has an awsvpc network configuration to start tasks in.
    pub fn has_network(&self) -> bool {
        !self.subnets.is_empty()
    }
}

/// One capacity provider of a strategy: `base` tasks first, then by `weight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CapacityProviderItem {
    pub name: String,
    pub weight: u32,
    pub base: u32,
}

/// A service by its cluster and name: how everything above the providers
/// refers to one. Shown as `cluster/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ServiceRef {
    pub cluster: String,
    pub name: String,
}

impl ServiceRef {
    pub fn new(cluster: impl Into<String>, name: impl Into<String>) -> Self {
        ServiceRef {
            cluster: cluster.into(),
            name: name.into(),
        }
    }

    /// Whether `service` is the one referred to.
    pub fn is(&self, service: &Service) -> bool {
        self.cluster == service.cluster && self.name == service.name
    }
}

impl fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.cluster, self.name)
    }
}

impl Service {
    pub fn reference(&self) -> ServiceRef {
        ServiceRef::new(&self.cluster, &self.name)
    }

    /// The groups blue and green register in, the service's target groups
    /// then the alternates; empty without an alternate (nothing to tell
    /// apart).
    pub fn revision_groups(&self) -> Vec<String> {
        if self.alternate_target_groups.is_empty() {
            return vec![];
        }
        self.target_groups
            .iter()
            .chain(&self.alternate_target_groups)
            .cloned()
            .collect()
    }

    /// The PRIMARY deployment, the one the service is converging to.
    pub fn primary_deployment(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }

    /// The rollout state of the primary deployment.
    pub fn rollout_state(&self) -> Option<RolloutState> {
        self.primary_deployment().map(|d| d.rollout_state)
    }

    /// The log group convention of the seed environments.
    pub fn default_log_group(&self) -> String {
        format!("/ecs/{}/{}", self.cluster, self.name)
    }

    /// Where this service logs in CloudWatch Logs: its task definition's
    /// awslogs or FireLens configuration when known, else the
    /// `/ecs/<cluster>/<service>` convention.
    pub fn log_source(&self, task_definition: Option<&TaskDefinition>) -> LogSource {
        task_definition
            .and_then(TaskDefinition::log_source)
            .unwrap_or_else(|| LogSource::group(self.default_log_group()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ContainerState {
    pub name: String,
    pub last_status: TaskStatus,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    /// The container runtime's id: ECS Exec's session target needs it.
    #[serde(default)]
    pub runtime_id: Option<String>,
    /// The ExecuteCommandAgent's last status (`RUNNING` when ECS Exec can
    /// reach the container); `None` when the task runs without it.
    #[serde(default)]
    pub exec_agent: Option<ManagedAgentStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Task {
    pub id: String,
    /// The task's ARN (empty in recordings made before it was kept).
    #[serde(default)]
    pub arn: String,
    pub task_definition: TaskDefRef,
    pub last_status: TaskStatus,
    pub desired_status: TaskStatus,
    pub health: HealthStatus,
    pub availability_zone: String,
    pub started_at: Option<Timestamp>,
    pub stopped_at: Option<Timestamp>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<ContainerState>,
    /// Whether ECS Exec was enabled when the task was started.
    #[serde(default)]
    pub exec_enabled: bool,
}

/// Why ECS stopped a task, read once from its stop reason: the prose ECS
/// writes is parsed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// Auto scaling lowered the desired count.
    Scaling,
    /// The host went away: an EC2 instance terminated, a Spot interruption.
    Host,
    /// Anything else: the container exited, a health check, a person.
    Other,
}

impl StopCause {
    pub fn of(reason: &str) -> StopCause {
        if reason.starts_with("Scaling activity") {
            StopCause::Scaling
        } else if reason.starts_with("Host EC2")
            || reason.contains("Spot Task was interrupted")
            || (reason.contains("instance") && reason.contains("terminated"))
        {
            StopCause::Host
        } else {
            StopCause::Other
        }
    }
}

impl Task {
    /// Why it stopped, when it did and ECS said.
    pub fn stop_cause(&self) -> Option<StopCause> {
        self.stopped_reason.as_deref().map(StopCause::of)
    }

    /// The EC2 instance a host stop names (`i-0abc…`).
    pub fn lost_instance(&self) -> Option<&str> {
        let reason = self.stopped_reason.as_deref()?;
        let at = reason.find("i-")?;
        reason[at..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .next()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A secret injected from Secrets Manager or SSM: only its reference is known.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SecretRef {
    pub name: String,
    pub value_from: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub cpu: u32,
    pub memory: u32,
    pub essential: bool,
    pub port: Option<u16>,
    pub environment: Vec<EnvVar>,
    pub secrets: Vec<SecretRef>,
    /// The CloudWatch Logs group it logs to: awslogs's, or FireLens's
    /// when its output is CloudWatch Logs.
    pub log_group: Option<String>,
    /// awslogs's stream prefix (streams are `prefix/container/task`).
    pub log_stream_prefix: Option<String>,
    /// Where it logs when not to CloudWatch Logs, in words (`splunk`,
    /// `FireLens to datadog`, `nowhere: no logConfiguration`).
    #[serde(default)]
    pub logs_elsewhere: Option<String>,
}

impl TaskDefinition {
    /// The awslogs group and stream prefix, essential containers first.
    pub fn log_source(&self) -> Option<LogSource> {
        let mut containers: Vec<&ContainerDefinition> = self.containers.iter().collect();
        containers.sort_by_key(|c| !c.essential);
        containers.iter().find_map(|c| {
            Some(LogSource {
                group: c.log_group.clone()?,
                stream_prefix: c.log_stream_prefix.as_ref().map(|p| format!("{p}/")),
            })
        })
    }

    /// Where the logs go when no container logs to CloudWatch Logs: the
    /// essential container's destination, in words.
    pub fn logs_elsewhere(&self) -> Option<&str> {
        if self.containers.iter().any(|c| c.log_group.is_some()) {
            return None;
        }
        let mut containers: Vec<&ContainerDefinition> = self.containers.iter().collect();
        containers.sort_by_key(|c| !c.essential);
        containers.iter().find_map(|c| c.logs_elsewhere.as_deref())
    }
}

/// Where a service's log events are: its awslogs group and, from the
/// stream prefix, which of the group's streams (`prefix/container/task`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct LogSource {
    pub group: String,
    /// `prefix/`, so a shared group shows only this service's streams.
    pub stream_prefix: Option<String>,
}

impl LogSource {
    pub fn group(group: impl Into<String>) -> Self {
        LogSource {
            group: group.into(),
            stream_prefix: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ECS's words, as the ECS documentation and its consoles show them,
    /// read once into a kind.
    #[test]
    fn service_events_are_read_once_into_kinds() {
        let event = |message: &str| {
            ServiceEvent::read("e".into(), chrono::DateTime::UNIX_EPOCH, message.into())
        };
        for (message, kind) in [
            (
                "(service api) has stopped 1 running tasks: (task 0a1b).",
                EventKind::TasksStopped,
            ),
            (
                "(service api) has started 2 tasks: (task 0a1b) (task 2c3d).",
                EventKind::TasksStarted,
            ),
            (
                "(service api) (deployment ecs-svc/42) deployment completed.",
                EventKind::DeploymentCompleted,
            ),
            (
                "(service api) (deployment ecs-svc/42) deployment failed: tasks failed to start.",
                EventKind::DeploymentFailed,
            ),
            (
                "(service api) (deployment ecs-svc/42) rolled back: alarm",
                EventKind::RolledBack,
            ),
            (
                "(service qdrant) was unable to place a task because no container instance met all of its requirements.",
                EventKind::UnableToPlace,
            ),
            (
                "(service api) (port 80) is unhealthy in (target-group arn:x) due to (reason Health checks failed).",
                EventKind::Unhealthy,
            ),
            (
                "(service api) has reached a steady state.",
                EventKind::SteadyState,
            ),
            (
                "(service api) registered 1 targets in (target-group arn:x)",
                EventKind::Other,
            ),
        ] {
            assert_eq!(event(message).kind, kind, "{message}");
        }
        let failed = event("(service api) (deployment ecs-svc/42) deployment failed: x");
        assert_eq!(failed.deployment(), Some("ecs-svc/42"));
        assert_eq!(
            event("(service api) has reached a steady state.").deployment(),
            None
        );
    }

    fn container(name: &str, essential: bool, group: Option<&str>) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "x:1".into(),
            cpu: 0,
            memory: 0,
            essential,
            port: None,
            environment: vec![],
            secrets: vec![],
            log_group: group.map(str::to_string),
            log_stream_prefix: Some("svc".into()),
            logs_elsewhere: None,
        }
    }

    #[test]
    fn logs_come_from_the_essential_container_with_its_stream_prefix() {
        let td = TaskDefinition {
            reference: TaskDefRef::new("svc", 1),
            cpu: 256,
            memory: 512,
            containers: vec![
                container("sidecar", false, Some("/ecs/sidecars")),
                container("app", true, Some("/ecs/app")),
            ],
            registered_at: Timestamp::default(),
            status: TaskDefinitionStatus::Active,
        };
        let source = td.log_source().unwrap();
        assert_eq!(source.group, "/ecs/app");
        assert_eq!(source.stream_prefix.as_deref(), Some("svc/"));
        let none = TaskDefinition {
            containers: vec![container("app", true, None)],
            ..td.clone()
        };
        assert_eq!(none.log_source(), None);
        let mut splunk = container("app", true, None);
        splunk.logs_elsewhere = Some("splunk".into());
        let elsewhere = TaskDefinition {
            containers: vec![splunk],
            ..none
        };
        assert_eq!(elsewhere.logs_elsewhere(), Some("splunk"));
        assert_eq!(td.logs_elsewhere(), None);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TaskDefinition {
    pub reference: TaskDefRef,
    /// Task-level CPU units (1024 = 1 vCPU) and memory in MiB.
    pub cpu: u32,
    pub memory: u32,
    pub containers: Vec<ContainerDefinition>,
    pub registered_at: Timestamp,
    pub status: TaskDefinitionStatus,
}
