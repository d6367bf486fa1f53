//! Planning a write: read what is there, check the guards, and describe the
//! exact API calls and the normalised diff the operator confirms.

use crate::audit::AuditLog;
use crate::diff::{Change, image_change, revision_diff, tag};
use crate::provider::{PortForward, Provider, ProviderError, find_service};
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
            Operation::Exec { .. } => "exec",
            Operation::PortForward { .. } => "port-forward",
        }
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

/// A revision of a service's family that a rollback could go to.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RevisionChoice {
    pub revision: TaskDefRef,
    /// Each container's image.
    pub images: Vec<String>,
    pub registered_at: Timestamp,
}

impl RevisionChoice {
    /// One line: `:113  api:v1.4 (registered 2026-11-20 14:02)`; an image
    /// by its repository's last name and tag, so it fits 80 columns.
    pub fn describe(&self) -> String {
        let images: Vec<&str> = self
            .images
            .iter()
            .map(|i| i.rsplit('/').next().unwrap_or(i))
            .collect();
        format!(
            ":{}  {} (registered {})",
            self.revision.revision,
            images.join(", "),
            self.registered_at.format("%Y-%m-%d %H:%M")
        )
    }
}

fn describe_choices(choices: &[RevisionChoice]) -> String {
    if choices.is_empty() {
        return "no earlier revision of the family is registered".into();
    }
    format!(
        "the revisions before it: {}; name one with --to REVISION",
        choices
            .iter()
            .map(RevisionChoice::describe)
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// How many earlier revisions a rollback without a target offers.
const REVISION_CHOICES: usize = 5;

/// The revisions of `current`'s family before it, newest first, each
/// described (its images, when it was registered); one that cannot be
/// read is left out.
async fn earlier_revisions(p: &dyn Provider, current: &TaskDefRef) -> Vec<RevisionChoice> {
    let mut revisions = p
        .task_definition_revisions(&current.family)
        .await
        .unwrap_or_default();
    revisions.retain(|r| r.revision < current.revision);
    revisions.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let mut out = vec![];
    for r in revisions.into_iter().take(REVISION_CHOICES) {
        if let Ok(td) = p.task_definition(&r).await {
            out.push(RevisionChoice {
                images: td.containers.iter().map(|c| c.image.clone()).collect(),
                registered_at: td.registered_at,
                revision: r,
            });
        }
    }
    out
}

/// What a plan needs to read about a service.
pub struct Current {
    pub service: Service,
    pub target: Option<ScalableTarget>,
}

/// Reads the service and its scalable target.
pub async fn read_current(
    p: &dyn Provider,
    cluster: &str,
    service: &str,
) -> Result<Current, PlanError> {
    let svc = find_service(p, cluster, service).await?.ok_or_else(|| {
        PlanError::Invalid(format!("no service `{service}` in cluster `{cluster}`"))
    })?;
    let target = p
        .scalable_targets()
        .await?
        .into_iter()
        .find(|t| t.cluster == cluster && t.service == service);
    Ok(Current {
        service: svc,
        target,
    })
}

/// Plans `op` against what `p` reads now. `account` is the caller's.
pub async fn plan(
    p: &dyn Provider,
    account: &str,
    op: Operation,
    audit: Option<&AuditLog>,
) -> Result<Plan, PlanError> {
    let info = p.environment().clone();
    if info.read_only {
        return Err(PlanError::Refused(format!(
            "environment {} is read-only",
            info.name
        )));
    }
    let current = read_current(p, op.cluster(), op.service()).await?;
    let svc = &current.service;
    let fingerprint = Fingerprint::of(svc, current.target.as_ref());
    let mut plan = Plan {
        environment: info.name.clone(),
        account: account.to_string(),
        region: info.region.clone(),
        production: info.production,
        steps: vec![],
        diff: vec![],
        notes: vec![],
        fingerprint,
        from_task_definition: svc.task_definition.clone(),
        starts_deployment: false,
        operation: op.clone(),
    };
    if svc.rollout_state() == Some(flightdeck_model::RolloutState::InProgress)
        && matches!(op, Operation::Deploy { .. })
    {
        plan.notes.push(format!(
            "a deployment of {} is still in progress; this one replaces it",
            svc.task_definition
        ));
    }
    if !matches!(
        op,
        Operation::Scale { .. }
            | Operation::StopTask { .. }
            | Operation::Exec { .. }
            | Operation::PortForward { .. }
    ) {
        let config = &svc.deployment_config;
        if !config.writable() {
            return Err(PlanError::Refused(format!(
                "{}/{}: {}; flightdeck deploys only services of ECS's own controller",
                svc.cluster,
                svc.name,
                config.describe()
            )));
        }
        if matches!(op, Operation::Deploy { .. } | Operation::Rollback { .. }) {
            plan.notes
                .push(format!("deploys as: {}", config.describe()));
        }
    }
    match &op {
        Operation::Deploy { images, force, .. } => {
            plan_deploy(p, &mut plan, svc, images, *force).await?
        }
        Operation::Rollback { to, .. } => plan_rollback(p, &mut plan, svc, *to, audit).await?,
        Operation::Scale {
            desired,
            min,
            max,
            suspend,
            ..
        } => plan_scale(
            &mut plan,
            svc,
            current.target.as_ref(),
            *desired,
            *min,
            *max,
            *suspend,
        )?,
        Operation::SetStrategy {
            strategy,
            bake_minutes,
            ..
        } => super::strategy::plan_strategy(&mut plan, svc, strategy, *bake_minutes)?,
        Operation::Continue { .. } => super::strategy::plan_continue(p, &mut plan, svc).await?,
        Operation::StopTask { task, reason, .. } => {
            super::task::plan_stop_task(p, &mut plan, svc, task, reason.as_deref()).await?
        }
        Operation::Exec {
            task,
            container,
            command,
            ..
        } => {
            let wanted = super::task::ExecWanted {
                task: task.as_deref(),
                container: container.as_deref(),
                command,
            };
            super::task::plan_exec(p, &mut plan, svc, &wanted).await?
        }
        Operation::PortForward {
            task,
            container,
            remote_host,
            remote_port,
            local_port,
            ..
        } => {
            let wanted = super::task::ForwardWanted {
                task: task.as_deref(),
                container: container.as_deref(),
                remote_host: remote_host.as_deref(),
                remote_port: *remote_port,
                local_port: *local_port,
            };
            super::task::plan_port_forward(p, &mut plan, svc, &wanted).await?
        }
    }
    Ok(plan)
}

async fn plan_deploy(
    p: &dyn Provider,
    plan: &mut Plan,
    svc: &Service,
    images: &[(String, String)],
    force: bool,
) -> Result<(), PlanError> {
    if force && !images.is_empty() {
        return Err(PlanError::Invalid(
            "give new images or --force, not both".into(),
        ));
    }
    if force {
        plan.diff.push(Change::new(
            "deployment",
            format!("{} (current)", svc.task_definition),
            format!("new deployment of {}", svc.task_definition),
        ));
        plan.steps.push(Step::UpdateService {
            task_definition: None,
            uses_new_revision: false,
            desired: None,
            force_new_deployment: true,
        });
        plan.starts_deployment = true;
        return Ok(());
    }
    if images.is_empty() {
        return Err(PlanError::Invalid(
            "nothing to deploy: give --image CONTAINER=IMAGE or --force".into(),
        ));
    }
    let td = p.task_definition(&svc.task_definition).await?;
    let mut changed = vec![];
    for (container, image) in images {
        let c = td
            .containers
            .iter()
            .find(|c| &c.name == container)
            .ok_or_else(|| {
                PlanError::Invalid(format!(
                    "{} has no container `{container}`; it has: {}",
                    td.reference,
                    td.containers
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        if image.trim().is_empty() {
            return Err(PlanError::Invalid(format!("empty image for `{container}`")));
        }
        if &c.image != image {
            plan.diff.push(image_change(container, &c.image, image));
            if tag(image).is_none() {
                plan.notes.push(format!(
                    "{image} has no tag: ECS will pull `latest`, whatever it is then"
                ));
            }
            changed.push((container.clone(), image.clone()));
        }
    }
    if changed.is_empty() {
        return Err(PlanError::Refused(format!(
            "{} already runs those images; use --force for a new deployment",
            td.reference
        )));
    }
    plan.diff.insert(
        0,
        Change::new(
            "task definition",
            &td.reference,
            format!("{}:<next revision>", td.reference.family),
        ),
    );
    plan.steps.push(Step::RegisterTaskDefinition {
        base: td.reference.clone(),
        images: changed,
    });
    plan.steps.push(Step::UpdateService {
        task_definition: None,
        uses_new_revision: true,
        desired: None,
        force_new_deployment: false,
    });
    plan.starts_deployment = true;
    Ok(())
}

/// The tag of an image reference (`repo:tag`), if it has one.
async fn plan_rollback(
    p: &dyn Provider,
    plan: &mut Plan,
    svc: &Service,
    to: Option<u32>,
    audit: Option<&AuditLog>,
) -> Result<(), PlanError> {
    let family = svc.task_definition.family.clone();
    // ECS's history may know a traffic-shifting deployment is still going
    // (a bake, a pause) when the service's own deployments look settled.
    let mut history_in_progress = false;
    let target = match to {
        Some(revision) => TaskDefRef::new(family.clone(), revision),
        None => {
            // ECS keeps 90 days of deployment history; where it cannot be
            // read (an older API, a missing permission) the audit log speaks.
            let history = match p
                .service_deployments(&svc.cluster, &svc.name, svc.created_at)
                .await
            {
                Ok(history) => history,
                Err(e) => {
                    plan.notes.push(format!(
                        "ECS's deployment history could not be read ({e}): the target comes from the audit log"
                    ));
                    vec![]
                }
            };
            history_in_progress = history.first().is_some_and(|d| {
                matches!(
                    d.status,
                    flightdeck_model::ServiceDeploymentStatus::Pending
                        | flightdeck_model::ServiceDeploymentStatus::InProgress
                )
            });
            // ECS already rolled the last deployment back (its circuit
            // breaker, an alarm): the service is where a rollback would
            // take it. Going further back is a choice to name (`--to`),
            // never one to offer a tired operator.
            if let Some(rolled) = rolled_back_by_ecs(svc, &history) {
                return Err(PlanError::Refused(format!(
                    "nothing to roll back: ECS already rolled {}/{} back from {} to {} at {}{}; to go further back, name the revision (rollback --to REVISION)",
                    svc.cluster,
                    svc.name,
                    rolled
                        .target
                        .as_ref()
                        .map_or("the failed revision".to_string(), ToString::to_string),
                    svc.task_definition,
                    rolled
                        .finished_at
                        .unwrap_or(rolled.created_at)
                        .format("%H:%M:%S"),
                    rolled
                        .rollback_reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                )));
            }
            let Some((target, source)) = rollback_target(svc, &history, audit) else {
                return Err(PlanError::NoRollbackTarget {
                    reason: format!(
                        "no completed deployment to roll back to is known for {}/{}: neither ECS's deployment history nor the audit log has one before {}",
                        svc.cluster, svc.name, svc.task_definition
                    ),
                    choices: earlier_revisions(p, &svc.task_definition).await,
                });
            };
            plan.notes.push(format!(
                "{target} is the last deployment that completed, by {source}"
            ));
            target
        }
    };
    let in_progress = svc.rollout_state() == Some(flightdeck_model::RolloutState::InProgress)
        || history_in_progress;
    if target == svc.task_definition && !in_progress {
        return Err(PlanError::Refused(format!(
            "{}/{} already runs {target}",
            svc.cluster, svc.name
        )));
    }
    let from = p.task_definition(&svc.task_definition).await?;
    let to_td = match p.task_definition(&target).await {
        Ok(td) => td,
        Err(ProviderError::NotFound(_)) | Err(ProviderError::Invalid(_)) => {
            return Err(PlanError::Invalid(format!(
                "task definition {target} does not exist"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    plan.diff = revision_diff(&from, &to_td);
    let native = in_progress && to.is_none();
    plan.steps.push(if native {
        Step::StopServiceDeployment { fallback: target }
    } else {
        Step::UpdateService {
            task_definition: Some(target),
            uses_new_revision: false,
            desired: None,
            force_new_deployment: false,
        }
    });
    plan.starts_deployment = true;
    Ok(())
}

/// The task definition of the last deployment that completed before the
/// current one, and where that is known from: the ACTIVE deployment a
/// rollout is replacing, else ECS's deployment history (`history`, newest
/// first: the newest SUCCESSFUL deployment of another revision), else the
/// `from` of the audit log's last successful change to the current revision.
pub fn rollback_target(
    svc: &Service,
    history: &[flightdeck_model::ServiceDeployment],
    audit: Option<&AuditLog>,
) -> Option<(TaskDefRef, &'static str)> {
    use flightdeck_model::{DeploymentStatus, RolloutState};
    let primary_done = svc.rollout_state() == Some(RolloutState::Completed);
    if !primary_done
        && let Some(d) = svc.deployments.iter().find(|d| {
            d.status == DeploymentStatus::Active && d.rollout_state == RolloutState::Completed
        })
    {
        return Some((d.task_definition.clone(), "the deployment ECS is replacing"));
    }
    if let Some(target) = history
        .iter()
        .filter(|d| d.status.completed())
        .filter_map(|d| d.target.clone())
        .find(|t| *t != svc.task_definition)
    {
        return Some((target, "ECS's deployment history"));
    }
    audit?
        .previous_revision(&svc.cluster, &svc.name, &svc.task_definition)
        .map(|t| (t, "the audit log"))
}

/// The deployment ECS rolled back to bring the service to the revision it
/// runs, settled: the newest deployment in ECS's history of another
/// revision ended ROLLBACK_SUCCESSFUL and nothing is in progress.
fn rolled_back_by_ecs<'h>(
    svc: &Service,
    history: &'h [flightdeck_model::ServiceDeployment],
) -> Option<&'h flightdeck_model::ServiceDeployment> {
    use flightdeck_model::{RolloutState, ServiceDeploymentStatus};
    if svc.rollout_state() != Some(RolloutState::Completed) {
        return None;
    }
    history
        .iter()
        .find(|d| d.target.as_ref() != Some(&svc.task_definition))
        .filter(|d| d.status == ServiceDeploymentStatus::RollbackSuccessful)
}

/// More tasks than any service may run (ECS's quota of tasks per service
/// is 5,000 by default and can be raised): such a number is a typo.
pub const MAX_TASKS: u32 = 10_000;

fn plan_scale(
    plan: &mut Plan,
    svc: &Service,
    target: Option<&ScalableTarget>,
    desired: Option<u32>,
    min: Option<u32>,
    max: Option<u32>,
    suspend: Option<bool>,
) -> Result<(), PlanError> {
    if desired.is_none() && min.is_none() && max.is_none() && suspend.is_none() {
        return Err(PlanError::Invalid(
            "nothing to scale: give --desired N or --min N --max N".into(),
        ));
    }
    for (what, n) in [("desired", desired), ("min", min), ("max", max)] {
        if let Some(n) = n.filter(|n| *n > MAX_TASKS) {
            return Err(PlanError::Invalid(format!(
                "{what} {n} is more than ECS allows ({MAX_TASKS} tasks a service at most)"
            )));
        }
    }
    let changes_target = min.is_some() || max.is_some() || suspend.is_some();
    if changes_target && target.is_none() {
        return Err(PlanError::Refused(format!(
            "{}/{} has no auto scaling target: only --desired applies",
            svc.cluster, svc.name
        )));
    }
    let (new_min, new_max) = match target {
        Some(t) => (min.unwrap_or(t.min), max.unwrap_or(t.max)),
        None => (0, u32::MAX),
    };
    if new_min > new_max {
        return Err(PlanError::Invalid(format!(
            "min {new_min} is greater than max {new_max}"
        )));
    }
    if let Some(d) = desired
        && target.is_some()
        && (d < new_min || d > new_max)
    {
        return Err(PlanError::Refused(format!(
            "desired {d} is outside the auto scaling range {new_min}..{new_max} of {}/{}: Application Auto Scaling would move it back; change the range with --min/--max",
            svc.cluster, svc.name
        )));
    }
    if let Some(t) = target
        && changes_target
    {
        if new_min != t.min {
            plan.diff.push(Change::new("min", t.min, new_min));
        }
        if new_max != t.max {
            plan.diff.push(Change::new("max", t.max, new_max));
        }
        if let Some(s) = suspend
            && s != t.dynamic_scaling_suspended
        {
            let word = |s: bool| if s { "suspended" } else { "active" };
            plan.diff.push(Change::new(
                "dynamic scaling",
                word(t.dynamic_scaling_suspended),
                word(s),
            ));
        }
        if !(svc.desired >= new_min && svc.desired <= new_max) && desired.is_none() {
            plan.diff.push(Change::new(
                "desired (by auto scaling)",
                svc.desired,
                svc.desired.clamp(new_min, new_max),
            ));
        }
        plan.steps.push(Step::RegisterScalableTarget {
            min: min.filter(|m| *m != t.min),
            max: max.filter(|m| *m != t.max),
            suspend_dynamic_scaling: suspend.filter(|s| *s != t.dynamic_scaling_suspended),
        });
    }
    if let Some(d) = desired
        && d != svc.desired
    {
        plan.diff.push(Change::new("desired", svc.desired, d));
        plan.steps.push(Step::UpdateService {
            task_definition: None,
            uses_new_revision: false,
            desired: Some(d),
            force_new_deployment: false,
        });
        if target.is_some_and(|t| !t.dynamic_scaling_suspended) && suspend != Some(true) {
            plan.notes.push(
                "auto scaling stays active: its policies may change the desired count again".into(),
            );
        }
    }
    if plan.diff.is_empty() {
        return Err(PlanError::Refused(format!(
            "{}/{} is already at that scale",
            svc.cluster, svc.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_names_the_last_completed_deployment_and_where_it_is_known_from() {
        use crate::fixtures::service;
        use flightdeck_model::{RolloutState, ServiceDeploymentStatus};
        let deployed = crate::fixtures::service_deployment;
        // The service runs api:7 (the fixture), completed.
        let svc = service("api", 2, 2, RolloutState::Completed, 0);
        // Nothing known: no history, no audit log.
        assert_eq!(rollback_target(&svc, &[], None), None);
        // Only the current deployment in the history: still nothing.
        let current = deployed(7, ServiceDeploymentStatus::Successful);
        assert_eq!(
            rollback_target(&svc, std::slice::from_ref(&current), None),
            None
        );
        // The newest completed deployment of another revision; one that was
        // rolled back never served.
        let history = [
            current,
            deployed(6, ServiceDeploymentStatus::RollbackSuccessful),
            deployed(5, ServiceDeploymentStatus::Successful),
            deployed(4, ServiceDeploymentStatus::Successful),
        ];
        assert_eq!(
            rollback_target(&svc, &history, None),
            Some((TaskDefRef::new("api", 5), "ECS's deployment history"))
        );
    }
}
