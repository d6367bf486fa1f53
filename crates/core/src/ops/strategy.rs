//! Planning the writes about how a service deploys: changing its strategy,
//! and letting a deployment paused at a pause hook go on.

use super::plan::{Plan, PlanError, Step};
use crate::diff::Change;
use crate::provider::ReadProvider;
use flightdeck_model::{MAX_BAKE_MINUTES, Service, ServiceDeploymentStatus, Strategy};

/// The bake, in words.
fn bake(minutes: Option<u32>) -> String {
    minutes.map_or("none".into(), |m| format!("{m} min"))
}

/// A new strategy for the service's next deployments. The bake stays as it
/// is unless given; blue/green, canary and linear need one.
pub(super) fn plan_strategy(
    plan: &mut Plan,
    svc: &Service,
    strategy: &Strategy,
    bake_minutes: Option<u32>,
) -> Result<(), PlanError> {
    let current = &svc.deployment_config;
    if let Some(m) = bake_minutes.filter(|m| *m > MAX_BAKE_MINUTES) {
        return Err(PlanError::Invalid(format!(
            "bake: {m} min is more than ECS's {MAX_BAKE_MINUTES}"
        )));
    }
    let bake_after = if strategy.shifts_traffic() {
        let b = bake_minutes.or(current.bake_minutes);
        if b.is_none() {
            return Err(PlanError::Invalid(format!(
                "{} needs a bake time (both revisions run after all traffic moved): give the bake in minutes",
                strategy.short()
            )));
        }
        b
    } else {
        None
    };
    let bake_before = current
        .bake_minutes
        .filter(|_| current.strategy.shifts_traffic());
    if &current.strategy == strategy && bake_before == bake_after {
        return Err(PlanError::Refused(format!(
            "{}/{} already deploys as {}",
            svc.cluster,
            svc.name,
            current.describe()
        )));
    }
    plan.diff.push(Change::new(
        "strategy",
        current.strategy.short(),
        strategy.short(),
    ));
    if bake_before != bake_after {
        plan.diff
            .push(Change::new("bake", bake(bake_before), bake(bake_after)));
    }
    let after = flightdeck_model::DeploymentConfig {
        strategy: strategy.clone(),
        bake_minutes: bake_after,
        ..current.clone()
    };
    plan.notes
        .push(format!("the next deployments run as: {}", after.describe()));
    if svc.rollout_state() == Some(flightdeck_model::RolloutState::InProgress) {
        plan.notes
            .push("the deployment in progress finishes with the strategy it started with".into());
    }
    if strategy.shifts_traffic() && svc.target_groups.is_empty() {
        plan.notes.push(format!(
            "{} has no load balancer: ECS runs the stages but shifts no traffic, and blue/green needs an alternate target group and listener rule (loadBalancers[].advancedConfiguration) to do so",
            svc.name
        ));
    }
    plan.steps.push(Step::SetDeploymentStrategy {
        strategy: strategy.clone(),
        bake_minutes: bake_after,
    });
    Ok(())
}

/// Lets the deployment waiting at a pause hook go on to its next stage.
pub(super) async fn plan_continue(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
) -> Result<(), PlanError> {
    let since = svc
        .primary_deployment()
        .map_or(svc.created_at, |d| d.created_at)
        - chrono::Duration::minutes(5);
    let history = p.service_deployments(&svc.reference(), since).await?;
    let waiting = history.iter().find(|d| {
        matches!(
            d.status,
            ServiceDeploymentStatus::Pending | ServiceDeploymentStatus::InProgress
        ) && d.waiting_hook().is_some()
    });
    let Some((d, hook)) = waiting.and_then(|d| d.waiting_hook().map(|h| (d, h))) else {
        return Err(PlanError::Refused(format!(
            "no deployment of {}/{} is waiting at a pause hook",
            svc.cluster, svc.name
        )));
    };
    let Some(id) = hook.id.clone() else {
        return Err(PlanError::Invalid(format!(
            "ECS did not name the paused hook of {}",
            d.arn
        )));
    };
    let stage = d
        .stage
        .as_ref()
        .map_or("its stage".to_string(), ToString::to_string);
    let target = d
        .target
        .as_ref()
        .map_or("the new revision".to_string(), ToString::to_string);
    plan.diff.push(Change::new(
        "deployment",
        format!("{target} paused at {stage} ({hook})"),
        "goes on to its next stage".to_string(),
    ));
    plan.notes.push(format!(
        "then it runs as: {}",
        svc.deployment_config.describe()
    ));
    plan.notes.push(
        "to switch back to the old revision instead, roll back (ECS stops the deployment)".into(),
    );
    plan.steps.push(Step::ContinueServiceDeployment {
        deployment: d.arn.clone(),
        hook: id,
    });
    // Not a new deployment, but the one that goes on is there to watch.
    plan.starts_deployment = true;
    Ok(())
}
