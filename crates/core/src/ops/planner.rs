//! Planning a write: read what is there, check the guards, and describe the
//! exact API calls and the normalised diff the operator confirms. Deploy,
//! rollback and scale are planned here; strategies and tasks in their own
//! modules, all building the [`Plan`] of [`super::plan`].

use super::earlier::earlier_revisions;
use super::plan::{Fingerprint, Operation, Plan, PlanError, Step};
use crate::audit::AuditLog;
use crate::diff::{Change, image_change, revision_diff, tag};
use crate::provider::{ProviderError, ReadProvider, find_service};
use flightdeck_model::{ScalableTarget, Service, TaskDefRef};

/// What a plan needs to read about a service.
pub struct Current {
    pub service: Service,
    pub target: Option<ScalableTarget>,
}

/// Reads the service and its scalable target.
pub async fn read_current(
    p: &dyn ReadProvider,
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
    p: &dyn ReadProvider,
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
        lease: None,
        take_lease: None,
        aws_cli: vec![],
        operation: op.clone(),
    };
    how_it_deploys(&mut plan, svc, &op)?;
    plan_operation(p, &mut plan, &current, &op, audit).await?;
    plan.aws_cli = super::aws_cli::commands(&plan);
    Ok(plan)
}

/// What a plan says of how the service deploys, and the refusal of a
/// controller flightdeck does not deploy with (CODE_DEPLOY, EXTERNAL).
fn how_it_deploys(plan: &mut Plan, svc: &Service, op: &Operation) -> Result<(), PlanError> {
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
            | Operation::RunTask { .. }
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
    Ok(())
}

/// The steps of `op` itself, after the checks every plan shares.
async fn plan_operation(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    current: &Current,
    op: &Operation,
    audit: Option<&AuditLog>,
) -> Result<(), PlanError> {
    let svc = &current.service;
    match op {
        Operation::Deploy { images, force, .. } => {
            plan_deploy(p, plan, svc, images, *force).await?
        }
        Operation::Rollback { to, .. } => plan_rollback(p, plan, svc, *to, audit).await?,
        Operation::Scale {
            desired,
            min,
            max,
            suspend,
            ..
        } => plan_scale(
            plan,
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
        } => super::strategy::plan_strategy(plan, svc, strategy, *bake_minutes)?,
        Operation::Continue { .. } => super::strategy::plan_continue(p, plan, svc).await?,
        Operation::StopTask { task, reason, .. } => {
            super::task::plan_stop_task(p, plan, svc, task, reason.as_deref()).await?
        }
        Operation::RunTask {
            command,
            container,
            cpu,
            memory,
            ..
        } => {
            let wanted = super::run_task::Wanted {
                command,
                container: container.as_deref(),
                cpu: *cpu,
                memory: *memory,
            };
            super::run_task::plan_run_task(p, plan, svc, &wanted).await?
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
            super::task::plan_exec(p, plan, svc, &wanted).await?
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
            super::task::plan_port_forward(p, plan, svc, &wanted).await?
        }
    }
    Ok(())
}

async fn plan_deploy(
    p: &dyn ReadProvider,
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
        let c = super::plan::named_container(&td, container)?;
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

/// A rollback to `to`, else to the last deployment that completed; one
/// in progress is stopped by ECS's own rollback when no target is named.
async fn plan_rollback(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    to: Option<u32>,
    audit: Option<&AuditLog>,
) -> Result<(), PlanError> {
    let (target, history_in_progress) = match to {
        Some(revision) => (
            TaskDefRef::new(svc.task_definition.family.clone(), revision),
            false,
        ),
        None => last_completed(p, plan, svc, audit).await?,
    };
    let in_progress = svc.rollout_state() == Some(flightdeck_model::RolloutState::InProgress)
        || history_in_progress;
    if target == svc.task_definition && !in_progress {
        return Err(PlanError::Refused(format!(
            "{}/{} already runs {target}",
            svc.cluster, svc.name
        )));
    }
    plan.diff = rollback_diff(p, svc, &target).await?;
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

/// The rollback's target when none is named: the last deployment that
/// completed, and whether ECS's history says a deployment is still going
/// (a bake, a pause) when the service's own deployments look settled.
async fn last_completed(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    audit: Option<&AuditLog>,
) -> Result<(TaskDefRef, bool), PlanError> {
    let history = deployment_history(p, plan, svc).await;
    let in_progress = history.first().is_some_and(|d| {
        matches!(
            d.status,
            flightdeck_model::ServiceDeploymentStatus::Pending
                | flightdeck_model::ServiceDeploymentStatus::InProgress
        )
    });
    // ECS already rolled the last deployment back (its circuit
    // breaker, an alarm): the service is where a rollback would
    // take it. Going further back is the operator's choice among the
    // earlier revisions, never a default.
    if let Some(rolled) = rolled_back_by_ecs(svc, &history) {
        return Err(PlanError::NoRollbackTarget {
            reason: already_rolled_back(svc, rolled),
            choices: earlier_revisions(p, &svc.task_definition, &history).await,
        });
    }
    let Some((target, source)) = rollback_target(svc, &history, audit) else {
        return Err(PlanError::NoRollbackTarget {
            reason: format!(
                "no completed deployment to roll back to is known for {}/{}: neither ECS's deployment history nor the audit log has one before {}",
                svc.cluster, svc.name, svc.task_definition
            ),
            choices: earlier_revisions(p, &svc.task_definition, &history).await,
        });
    };
    plan.notes.push(format!(
        "{target} is the last deployment that completed, by {source}"
    ));
    Ok((target, in_progress))
}

/// ECS's deployment history of the service, newest first. ECS keeps 90
/// days of it; where it cannot be read (an older API, a missing
/// permission) it is empty and a note says the audit log speaks.
async fn deployment_history(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
) -> Vec<flightdeck_model::ServiceDeployment> {
    match p
        .service_deployments(&svc.reference(), svc.created_at)
        .await
    {
        Ok(history) => history,
        Err(e) => {
            plan.notes.push(format!(
                "ECS's deployment history could not be read ({e}): the target comes from the audit log"
            ));
            vec![]
        }
    }
}

/// Why a rollback ECS already made is refused: from which revision, to
/// which, when and why.
fn already_rolled_back(svc: &Service, rolled: &flightdeck_model::ServiceDeployment) -> String {
    format!(
        "nothing to roll back: {}/{} was already rolled back from {} to {} at {}{}",
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
            .map(|r| format!(" ({})", r.trim_end_matches('.')))
            .unwrap_or_default()
    )
}

/// The diff from the revision the service runs to `target`, which must
/// exist.
async fn rollback_diff(
    p: &dyn ReadProvider,
    svc: &Service,
    target: &TaskDefRef,
) -> Result<Vec<Change>, PlanError> {
    let from = p.task_definition(&svc.task_definition).await?;
    let to_td = match p.task_definition(target).await {
        Ok(td) => td,
        Err(ProviderError::NotFound(_)) | Err(ProviderError::Invalid(_)) => {
            return Err(PlanError::Invalid(format!(
                "task definition {target} does not exist"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(revision_diff(&from, &to_td))
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
