//! What ECS and CloudTrail remember of a service: its service-deployment
//! history (ListServiceDeployments) and the write calls made to it, by the
//! operator through the provider or by colleagues ([`super::colleague`]).

use super::*;
use flightdeck_model::{ServiceDeployment, ServiceDeploymentStatus, WriteEvent, WriteSource};

/// Deployments kept per service (ECS keeps 90 days of them).
const HISTORY_KEPT: usize = 50;

/// Write events kept per service (CloudTrail keeps 90 days).
const TRAIL_KEPT: usize = 100;

impl ServiceState {
    /// The service-deployment ARN of a deployment, from its id.
    pub fn deployment_arn(&self, id: &str) -> String {
        let number = id.rsplit('/').next().unwrap_or(id);
        format!(
            "{}/{number}",
            self.arn.replacen(":service/", ":service-deployment/", 1)
        )
    }

    fn history_entry(&mut self, id: &str) -> Option<&mut ServiceDeployment> {
        let arn = self.deployment_arn(id);
        self.history.iter_mut().find(|d| d.arn == arn)
    }

    /// Records a write call CloudTrail would have logged.
    pub fn record_write(&mut self, event: WriteEvent) {
        self.trail.push_front(event);
        self.trail.truncate(TRAIL_KEPT);
    }
}

/// A deployment began: it enters the history IN_PROGRESS, replacing the
/// revisions the service ran; one still in progress is stopped by it.
pub(super) fn record_start(svc: &mut ServiceState, id: &str, target: &TaskDefRef, now: Timestamp) {
    for d in svc.history.iter_mut() {
        if matches!(
            d.status,
            ServiceDeploymentStatus::InProgress | ServiceDeploymentStatus::Pending
        ) {
            d.status = ServiceDeploymentStatus::Stopped;
            d.status_reason = Some("Stopped: a newer deployment started.".into());
            d.finished_at = Some(now);
        }
    }
    let mut sources: Vec<TaskDefRef> = svc
        .deployments
        .iter()
        .filter(|d| d.id != id)
        .map(|d| d.task_definition.clone())
        .collect();
    sources.dedup();
    let entry = ServiceDeployment {
        arn: svc.deployment_arn(id),
        status: ServiceDeploymentStatus::InProgress,
        status_reason: None,
        target: Some(target.clone()),
        sources,
        created_at: now,
        started_at: Some(now),
        finished_at: None,
        rollback_reason: None,
        circuit_breaker_failures: None,
        triggered_alarms: vec![],
        stage: None,
        traffic_on_target: None,
        hooks: vec![],
    };
    svc.history.push_front(entry);
    svc.history.truncate(HISTORY_KEPT);
}

/// A deployment completed; a rollback in progress ends with it.
pub(super) fn record_success(svc: &mut ServiceState, id: &str, now: Timestamp) {
    for d in svc.history.iter_mut() {
        if d.status == ServiceDeploymentStatus::RollbackInProgress {
            d.status = ServiceDeploymentStatus::RollbackSuccessful;
            d.finished_at = Some(now);
        }
    }
    if let Some(d) = svc.history_entry(id) {
        d.status = ServiceDeploymentStatus::Successful;
        d.status_reason = Some("ECS deployment completed.".into());
        d.finished_at = Some(now);
    }
}

/// A deployment failed: it is rolled back when `rolled_back`, else stopped.
pub(super) fn record_failure(
    svc: &mut ServiceState,
    id: &str,
    reason: &str,
    failed_tasks: Option<u32>,
    rolled_back: bool,
    now: Timestamp,
) {
    if let Some(d) = svc.history_entry(id) {
        d.status_reason = Some(reason.into());
        d.circuit_breaker_failures = failed_tasks;
        if rolled_back {
            d.status = ServiceDeploymentStatus::RollbackInProgress;
            d.rollback_reason = Some(reason.into());
        } else {
            d.status = ServiceDeploymentStatus::Stopped;
            d.finished_at = Some(now);
        }
    }
}

/// A write event on `svc` as CloudTrail records it, with a fresh event id;
/// `session` is the caller's role session (`assumed-role/Role/name`).
pub fn write_event(
    rng: &mut impl Rng,
    at: Timestamp,
    call: &str,
    (session, from): (&str, &str),
    svc: &ServiceState,
    parameters: Vec<String>,
) -> WriteEvent {
    let account = svc.arn.split(':').nth(4).unwrap_or_default();
    WriteEvent {
        id: uuid(rng),
        at,
        call: call.into(),
        who: format!("arn:aws:sts::{account}:{session}"),
        from: WriteSource::parse(from),
        cluster: Some(svc.cluster.clone()),
        service: Some(svc.spec.name.clone()),
        parameters,
        error: None,
    }
}
