//! Executing a confirmed plan: re-read and refuse a stale plan, write the
//! audit record, make the calls in order, write the outcome.

use super::audit::{AuditLog, Phase, Record};
use super::plan::{Fingerprint, Plan, PlanError, Step, read_current};
use crate::provider::{Provider, ProviderError, ServiceUpdate, TargetUpdate, find_service};
use flightdeck_model::{Service, TaskDefRef, Timestamp};
use thiserror::Error;

/// What a successful write left behind.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    pub service: Service,
    /// The deployment the write started, to watch.
    pub deployment_id: Option<String>,
    pub task_definition: TaskDefRef,
    /// AWS request ids of the calls, in order, for the audit log.
    pub request_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExecError {
    /// The service changed since the plan (exit 3): plan again.
    #[error("refused: the plan is stale ({0}); plan again")]
    Stale(String),
    /// No audit record, no write.
    #[error("refused: cannot write the audit log {path}: {error}; nothing was changed")]
    Audit { path: String, error: String },
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A call failed; the calls before it took effect (see the audit log).
    #[error("{0}")]
    Provider(#[from] ProviderError),
}

/// Runs a confirmed plan. `who` is the caller identity's ARN.
pub async fn execute(
    p: &dyn Provider,
    plan: &Plan,
    audit: &AuditLog,
    who: &str,
    now: Timestamp,
) -> Result<Executed, ExecError> {
    let (cluster, service) = (plan.operation.cluster(), plan.operation.service());
    let current = read_current(p, cluster, service).await?;
    let differences = plan
        .fingerprint
        .differences(&Fingerprint::of(&current.service, current.target.as_ref()));
    let append = |record: &Record| {
        audit.append(record).map_err(|e| ExecError::Audit {
            path: audit.path().display().to_string(),
            error: e.to_string(),
        })
    };
    if !differences.is_empty() {
        let mut refused = Record::for_plan(plan, who, Phase::Refused, now);
        refused.error = Some(format!("stale plan: {}", differences.join("; ")));
        append(&refused)?;
        return Err(ExecError::Stale(differences.join("; ")));
    }
    append(&Record::for_plan(plan, who, Phase::Before, now))?;
    let outcome = run_steps(p, plan).await;
    let mut after = Record::for_plan(plan, who, Phase::After, now);
    match outcome {
        Ok(done) => {
            after.result = Some("ok".into());
            after.to_task_definition = Some(done.task_definition.to_string());
            after.deployment_id = done.deployment_id.clone();
            after.request_ids = done.request_ids.clone();
            append(&after)?;
            Ok(done)
        }
        Err(e) => {
            after.result = Some("error".into());
            after.error = Some(e.to_string());
            append(&after)?;
            Err(e.into())
        }
    }
}

async fn run_steps(p: &dyn Provider, plan: &Plan) -> Result<Executed, ProviderError> {
    let (cluster, service) = (plan.operation.cluster(), plan.operation.service());
    let mut registered: Option<TaskDefRef> = None;
    let mut updated: Option<Service> = None;
    // The revision the new deployment must run, to recognise it.
    let mut expected: Option<TaskDefRef> = None;
    let mut request_ids: Vec<String> = vec![];
    for step in &plan.steps {
        match step {
            Step::RegisterTaskDefinition { base, images } => {
                let written = p.register_task_definition(base, images).await?;
                request_ids.extend(written.request_id);
                registered = Some(written.value.reference);
                expected = registered.clone();
            }
            Step::UpdateService {
                task_definition,
                uses_new_revision,
                desired,
                force_new_deployment,
            } => {
                let td = if *uses_new_revision {
                    registered.clone()
                } else {
                    task_definition.clone()
                };
                if td.is_some() {
                    expected = td.clone();
                }
                let update = ServiceUpdate {
                    desired: *desired,
                    task_definition: td,
                    force_new_deployment: *force_new_deployment,
                };
                let written = p.update_service(cluster, service, &update).await?;
                request_ids.extend(written.request_id);
                updated = Some(written.value);
            }
            Step::StopServiceDeployment { fallback } => {
                expected = Some(fallback.clone());
                let written = {
                    match p.stop_deployment_with_rollback(cluster, service).await {
                        Ok(w) => w,
                        // Not supported here (no service deployment, an older
                        // API, an emulator): the same rollback by hand.
                        Err(
                            ProviderError::Invalid(_)
                            | ProviderError::Other(_)
                            | ProviderError::NotFound(_),
                        ) => {
                            let update = ServiceUpdate {
                                task_definition: Some(fallback.clone()),
                                ..ServiceUpdate::default()
                            };
                            p.update_service(cluster, service, &update).await?
                        }
                        Err(e) => return Err(e),
                    }
                };
                request_ids.extend(written.request_id);
                updated = Some(written.value);
            }
            Step::RegisterScalableTarget {
                min,
                max,
                suspend_dynamic_scaling,
            } => {
                let update = TargetUpdate {
                    min: *min,
                    max: *max,
                    suspend_dynamic_scaling: *suspend_dynamic_scaling,
                };
                let written = p
                    .register_scalable_target(cluster, service, &update)
                    .await?;
                request_ids.extend(written.request_id);
            }
        }
    }
    let service = match updated {
        Some(s) => s,
        None => find_service(p, cluster, service)
            .await?
            .ok_or_else(|| ProviderError::NotFound(format!("service {cluster}/{service}")))?,
    };
    // ECS may start the new deployment a moment after answering (native
    // rollback): then there is no deployment of ours to watch yet.
    let deployment_id = plan
        .starts_deployment
        .then(|| service.primary_deployment())
        .flatten()
        .filter(|d| expected.as_ref().is_none_or(|e| d.task_definition == *e))
        .map(|d| d.id.clone());
    Ok(Executed {
        task_definition: service.task_definition.clone(),
        deployment_id,
        service,
        request_ids,
    })
}
