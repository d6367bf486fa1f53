//! What a plan is: the operation asked for, the exact API calls, the
//! normalised diff, and the fingerprint of what it decided on. The
//! planners that build one are in [`super::planner`].

use crate::diff::Change;
use crate::provider::{OneOffTask, PortForward, ProviderError};
use flightdeck_model::{ScalableTarget, Service, Strategy, TaskDefRef, Timestamp};
use serde::Serialize;
use std::fmt;
use thiserror::Error;

/// What the operator asked for.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "operation", rename_all = "snake_case")]
pub enum Operation {
    /// New images for some containers (a new revision), or `force` a new
    /// deployment of the current revision.
    Deploy {
        cluster: String,
        service: String,
        images: Vec<(String, String)>,
        force: bool,
    },
    /// Back to `to`, else to the last deployment that completed.
    Rollback {
        cluster: String,
        service: String,
        to: Option<u32>,
    },
    Scale {
        cluster: String,
        service: String,
        desired: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
        suspend: Option<bool>,
    },
    /// How the service's next deployments run; `bake_minutes` is the bake
    /// after all traffic moved (kept as it is when `None`).
    SetStrategy {
        cluster: String,
        service: String,
        strategy: Strategy,
        bake_minutes: Option<u32>,
    },
    /// The deployment paused at a pause hook goes on.
    Continue { cluster: String, service: String },
    /// One task of the service stops; the service replaces it. `task` is
    /// its id, ARN or a unique prefix of the id.
    StopTask {
        cluster: String,
        service: String,
        task: String,
        reason: Option<String>,
    },
    /// A one-off task of the service's task definition running `command`
    /// (a shell line, split into words as a shell would) in `container`
    /// (default: the first essential one), started in the service's
    /// network and capacity; `cpu` and `memory` override the task's.
    RunTask {
        cluster: String,
        service: String,
        #[serde(serialize_with = "redacted_line")]
        command: String,
        container: Option<String>,
        cpu: Option<u32>,
        memory: Option<u32>,
    },
    /// An interactive shell (or `command`) in a container of one of the
    /// service's tasks, through ECS Exec. The first running task and its
    /// first essential container when not named.
    Exec {
        cluster: String,
        service: String,
        task: Option<String>,
        container: Option<String>,
        command: String,
    },
    /// A local port forwarded to a container of one of the service's tasks
    /// (`remote_host` none), or through it to a remote host.
    PortForward {
        cluster: String,
        service: String,
        task: Option<String>,
        container: Option<String>,
        remote_host: Option<String>,
        remote_port: u16,
        local_port: u16,
    },
}

impl Operation {
    pub fn cluster(&self) -> &str {
        match self {
            Operation::Deploy { cluster, .. }
            | Operation::Rollback { cluster, .. }
            | Operation::Scale { cluster, .. }
            | Operation::SetStrategy { cluster, .. }
            | Operation::Continue { cluster, .. }
            | Operation::StopTask { cluster, .. }
            | Operation::RunTask { cluster, .. }
            | Operation::Exec { cluster, .. }
            | Operation::PortForward { cluster, .. } => cluster,
        }
    }

    pub fn service(&self) -> &str {
        match self {
            Operation::Deploy { service, .. }
            | Operation::Rollback { service, .. }
            | Operation::Scale { service, .. }
            | Operation::SetStrategy { service, .. }
            | Operation::Continue { service, .. }
            | Operation::StopTask { service, .. }
            | Operation::RunTask { service, .. }
            | Operation::Exec { service, .. }
            | Operation::PortForward { service, .. } => service,
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Operation::Deploy { .. } => "deploy",
            Operation::Rollback { .. } => "rollback",
            Operation::Scale { .. } => "scale",
            Operation::SetStrategy { .. } => "strategy",
            Operation::Continue { .. } => "continue",
            Operation::StopTask { .. } => "stop-task",
            Operation::RunTask { .. } => "run-task",
            Operation::Exec { .. } => "exec",
            Operation::PortForward { .. } => "port-forward",
        }
    }
}

/// A shell line as it may be shown: a word shaped like a secret redacted.
fn redacted_line<S: serde::Serializer>(line: &str, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(&shown_line(line))
}

/// `line` with each word shaped like a secret redacted (as typed when it
/// does not split into words).
pub fn shown_line(line: &str) -> String {
    match shell_words::split(line) {
        Ok(words) => shell_words::join(flightdeck_model::secrets::shown_args(&words)),
        Err(_) => flightdeck_model::secrets::shown_args(&[line]).concat(),
    }
}

/// One API call of a plan, in the order they run.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "call")]
pub enum Step {
    RegisterTaskDefinition {
        base: TaskDefRef,
        images: Vec<(String, String)>,
    },
    UpdateService {
        /// `None`: the revision the previous step registers.
        task_definition: Option<TaskDefRef>,
        uses_new_revision: bool,
        desired: Option<u32>,
        force_new_deployment: bool,
    },
    RegisterScalableTarget {
        min: Option<u32>,
        max: Option<u32>,
        suspend_dynamic_scaling: Option<bool>,
    },
    /// ECS's native rollback of the deployment in progress; where ECS
    /// refuses it, UpdateService to `fallback` does the same by hand.
    StopServiceDeployment { fallback: TaskDefRef },
    /// UpdateService with a new strategy in its deploymentConfiguration.
    SetDeploymentStrategy {
        strategy: Strategy,
        bake_minutes: Option<u32>,
    },
    /// ContinueServiceDeployment of a deployment paused at `hook`.
    ContinueServiceDeployment { deployment: String, hook: String },
    /// StopTask of one task; the stop reason is what ECS shows.
    StopTask { task: String, reason: String },
    /// RunTask: a one-off task with a command override.
    RunTask { task: OneOffTask },
    /// ExecuteCommand, interactive: the session the operator's terminal
    /// is attached to.
    ExecuteCommand {
        task: String,
        container: String,
        command: String,
    },
    /// SSM StartSession with a port-forwarding document.
    StartPortForward { forward: PortForward },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::RegisterTaskDefinition { base, images } => {
                write!(
                    f,
                    "ecs:RegisterTaskDefinition family={} (copy of {base}",
                    base.family
                )?;
                for (c, i) in images {
                    write!(f, ", {c} image={i}")?;
                }
                write!(f, ")")
            }
            Step::UpdateService {
                task_definition,
                uses_new_revision,
                desired,
                force_new_deployment,
            } => {
                write!(f, "ecs:UpdateService")?;
                if *uses_new_revision {
                    write!(f, " taskDefinition=<the new revision>")?;
                }
                if let Some(td) = task_definition {
                    write!(f, " taskDefinition={td}")?;
                }
                if let Some(d) = desired {
                    write!(f, " desiredCount={d}")?;
                }
                if *force_new_deployment {
                    write!(f, " forceNewDeployment=true")?;
                }
                Ok(())
            }
            Step::RegisterScalableTarget {
                min,
                max,
                suspend_dynamic_scaling,
            } => {
                write!(f, "application-autoscaling:RegisterScalableTarget")?;
                if let Some(m) = min {
                    write!(f, " MinCapacity={m}")?;
                }
                if let Some(m) = max {
                    write!(f, " MaxCapacity={m}")?;
                }
                if let Some(s) = suspend_dynamic_scaling {
                    write!(f, " DynamicScalingIn/OutSuspended={s}")?;
                }
                Ok(())
            }
            Step::SetDeploymentStrategy {
                strategy,
                bake_minutes,
            } => {
                write!(
                    f,
                    "ecs:UpdateService deploymentConfiguration {}",
                    strategy.api_fields()
                )?;
                if let Some(bake) = bake_minutes {
                    write!(f, " bakeTimeInMinutes={bake}")?;
                }
                write!(f, " (hooks, alarms and circuit breaker kept)")
            }
            Step::ContinueServiceDeployment { deployment, hook } => write!(
                f,
                "ecs:ContinueServiceDeployment serviceDeploymentArn={deployment} hookId={hook} action=CONTINUE"
            ),
            Step::StopTask { task, reason } => {
                write!(f, "ecs:StopTask task={task} reason={reason:?}")
            }
            Step::RunTask { task } => {
                write!(
                    f,
                    "ecs:RunTask taskDefinition={} container={} command={:?}",
                    task.task_definition,
                    task.container,
                    task.command_line()
                )?;
                if let Some(cpu) = task.cpu {
                    write!(f, " cpu={cpu}")?;
                }
                if let Some(memory) = task.memory {
                    write!(f, " memory={memory}")?;
                }
                write!(
                    f,
                    " ({}) startedBy={}",
                    task.describe_placement(),
                    crate::provider::STARTED_BY
                )
            }
            Step::StartPortForward { forward } => write!(
                f,
                "ssm:StartSession target={} document={} {}",
                forward.target(),
                forward.document(),
                forward
                    .parameters()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Step::ExecuteCommand {
                task,
                container,
                command,
            } => write!(
                f,
                "ecs:ExecuteCommand task={task} container={container} command={command:?} interactive=true"
            ),
            Step::StopServiceDeployment { fallback } => write!(
                f,
                "ecs:StopServiceDeployment stopType=ROLLBACK (the deployment in progress); where ECS cannot: ecs:UpdateService taskDefinition={fallback}"
            ),
        }
    }
}

/// What a plan read, so execution can refuse a plan the world has moved
/// past (optimistic concurrency). A plan is stale only when what its
/// operation decides on changed ([`Decides`]): a deployment's tasks
/// churning (its `updatedAt`) or auto scaling moving the desired count
/// under a rollback is the world going on, not a reason to refuse.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Fingerprint {
    pub task_definition: TaskDefRef,
    pub desired: u32,
    /// The PRIMARY deployment's id and last update.
    pub deployment: Option<(String, Timestamp)>,
    /// `(min, max, suspended)` of the scalable target.
    pub target: Option<(u32, u32, bool)>,
}

impl Plan {
    /// The revision a rollback goes back to.
    pub fn rollback_target(&self) -> Option<&TaskDefRef> {
        if !matches!(self.operation, Operation::Rollback { .. }) {
            return None;
        }
        self.steps.iter().find_map(|s| match s {
            Step::StopServiceDeployment { fallback } => Some(fallback),
            Step::UpdateService {
                task_definition: Some(target),
                ..
            } => Some(target),
            _ => None,
        })
    }
}

impl Fingerprint {
    pub fn of(service: &Service, target: Option<&ScalableTarget>) -> Self {
        Fingerprint {
            task_definition: service.task_definition.clone(),
            desired: service.desired,
            deployment: service
                .primary_deployment()
                .map(|d| (d.id.clone(), d.updated_at)),
            target: target.map(|t| (t.min, t.max, t.dynamic_scaling_suspended)),
        }
    }

    /// What changed since the plan among what `op` decides on, in words.
    pub fn differences(&self, now: &Fingerprint, op: &Operation) -> Vec<String> {
        let decides = Decides::of(op);
        let mut out = vec![];
        if decides.revision && self.task_definition != now.task_definition {
            out.push(format!(
                "task definition is now {} (plan read {})",
                now.task_definition, self.task_definition
            ));
        }
        if decides.desired && self.desired != now.desired {
            out.push(format!(
                "desired count is now {} (plan read {})",
                now.desired, self.desired
            ));
        }
        let deployment = |f: &Fingerprint| f.deployment.as_ref().map(|(id, _)| id.clone());
        if decides.deployment && deployment(self) != deployment(now) {
            out.push(format!(
                "another deployment started since the plan ({})",
                deployment(now).unwrap_or_else(|| "none".into())
            ));
        }
        if decides.target && self.target != now.target {
            out.push("the scalable target changed since the plan".into());
        }
        out
    }
}

/// What an operation's plan decides on, so what makes it stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decides {
    /// The revision it deploys from or rolls back from.
    revision: bool,
    /// The desired count it sets or keeps.
    desired: bool,
    /// The deployment it replaces, stops or continues (by id, not by
    /// its last update).
    deployment: bool,
    /// The auto scaling range it sets.
    target: bool,
}

impl Decides {
    fn of(op: &Operation) -> Decides {
        let all = Decides {
            revision: true,
            desired: true,
            deployment: true,
            target: true,
        };
        match op {
            Operation::Deploy { .. } | Operation::Rollback { .. } => Decides {
                desired: false,
                target: false,
                ..all
            },
            // A one-off task starts from the revision the plan showed.
            Operation::RunTask { .. } => Decides {
                desired: false,
                deployment: false,
                target: false,
                ..all
            },
            Operation::Continue { .. } | Operation::SetStrategy { .. } => Decides {
                revision: false,
                desired: false,
                target: false,
                ..all
            },
            _ => all,
        }
    }
}

/// A write, ready to be confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Plan {
    pub operation: Operation,
    pub environment: String,
    pub account: String,
    pub region: String,
    pub production: bool,
    pub steps: Vec<Step>,
    pub diff: Vec<Change>,
    /// Things the operator should know (auto scaling, rollouts).
    pub notes: Vec<String>,
    pub fingerprint: Fingerprint,
    /// The revision the service runs before the change.
    pub from_task_definition: TaskDefRef,
    /// Whether the change starts a deployment to watch.
    pub starts_deployment: bool,
    /// Another operator's lease on the service when the plan was made
    /// (`[team] lease_table`): executing is refused unless taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<crate::lease::Lease>,
    /// Why the operator takes a lease over (or writes without the lease
    /// table), given at the confirmation; kept in the audit record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_lease: Option<String>,
    /// The AWS CLI commands that make the same calls (`aws_cli::commands`),
    /// for the operator to read, copy or run by hand.
    #[serde(default)]
    pub aws_cli: Vec<String>,
}

impl Plan {
    /// The text the operator must type to confirm a production write.
    pub fn confirmation_word(&self) -> &str {
        self.operation.service()
    }

    /// The plan as text, the same in the TUI and the CLI.
    pub fn lines(&self) -> Vec<String> {
        let op = &self.operation;
        let mut out = vec![
            format!(
                "{} {}/{} in {}{} (account {}, {})",
                op.verb(),
                op.cluster(),
                op.service(),
                self.environment,
                if self.production { " [PRODUCTION]" } else { "" },
                self.account,
                self.region
            ),
            String::new(),
            "Changes:".into(),
        ];
        let width = self.diff.iter().map(|c| c.field.len()).max().unwrap_or(0);
        for c in &self.diff {
            out.push(format!("  {:width$}  {} -> {}", c.field, c.before, c.after));
        }
        out.push(String::new());
        out.push("API calls:".into());
        for (i, s) in self.steps.iter().enumerate() {
            out.push(format!("  {}. {s}", i + 1));
        }
        if !self.notes.is_empty() {
            out.push(String::new());
            for n in &self.notes {
                out.push(format!("Note: {n}"));
            }
        }
        if let Some(lease) = &self.lease {
            out.push(String::new());
            out.push(format!(
                "LEASE: {}, until {}; executing takes it over, with a reason the audit keeps and {} is shown",
                lease.describe(),
                lease.expires.format("%H:%M:%S UTC"),
                lease.holder
            ));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Error, serde::Serialize, serde::Deserialize)]
pub enum PlanError {
    /// A guard says no (exit 3).
    #[error("refused: {0}")]
    Refused(String),
    /// The request itself is wrong (exit 2).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A rollback whose target nothing names (no completed deployment in
    /// ECS's history or the audit log): the revisions to pick from (exit 3).
    #[error("refused: {reason}; {}", describe_choices(.choices))]
    NoRollbackTarget {
        reason: String,
        choices: Vec<RevisionChoice>,
    },
}

/// The container `name` of `td`, or an error naming those it has.
pub(super) fn named_container<'a>(
    td: &'a flightdeck_model::TaskDefinition,
    name: &str,
) -> Result<&'a flightdeck_model::ContainerDefinition, PlanError> {
    td.containers
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            PlanError::Invalid(format!(
                "{} has no container `{name}`; it has: {}",
                td.reference,
                td.containers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// A revision of a service's family that a rollback could go to.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RevisionChoice {
    pub revision: TaskDefRef,
    /// Each container's image.
    pub images: Vec<String>,
    pub registered_at: Timestamp,
    /// How long the service ran it settled, by ECS's deployment history;
    /// `None` when the history does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran_seconds: Option<i64>,
    /// When it last stopped being the service's settled revision: the
    /// last time ECS saw it run steady.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ran: Option<Timestamp>,
}

impl RevisionChoice {
    /// One line: `:113  api:v1.4  registered 2026-11-20, ran 3d until
    /// 12-03 14:02`; an image by its repository's last name and tag, so it
    /// fits 80 columns.
    pub fn describe(&self) -> String {
        let images: Vec<&str> = self
            .images
            .iter()
            .map(|i| i.rsplit('/').next().unwrap_or(i))
            .collect();
        let ran = match (self.ran_seconds, self.last_ran) {
            (Some(s), Some(until)) => format!(
                ", ran {} until {}",
                crate::triage::age(chrono::Duration::seconds(s)),
                until.format("%Y-%m-%d %H:%M")
            ),
            (None, Some(until)) => format!(", ran until {}", until.format("%Y-%m-%d %H:%M")),
            _ => ", not run in ECS's history".into(),
        };
        // `:9   ` and `:114 ` line up in a list of them.
        format!(
            ":{:<4} {}  registered {}{ran}",
            self.revision.revision,
            images.join(", "),
            self.registered_at.format("%Y-%m-%d"),
        )
    }
}

fn describe_choices(choices: &[RevisionChoice]) -> String {
    if choices.is_empty() {
        return "no earlier revision of the family is registered".into();
    }
    format!(
        "the revisions before it: {}",
        choices
            .iter()
            .map(RevisionChoice::describe)
            .collect::<Vec<_>>()
            .join("; ")
    )
}
