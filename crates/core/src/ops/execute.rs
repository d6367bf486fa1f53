//! Executing a confirmed plan: re-read and refuse a stale plan, write the
//! audit record, make the calls in order, write the outcome.

use super::plan::{Fingerprint, Operation, Plan, PlanError, Step};
use super::planner::read_current;
use crate::audit::{AuditLog, Outcome, Phase, Record};
use crate::provider::{
    ExecSession, Provider, ProviderError, ServiceUpdate, StrategyUpdate, TargetUpdate, WriteAnswer,
    WriteCall, WriteProvider, find_service,
};
use flightdeck_model::{Service, ServiceRef, TaskDefRef, Timestamp};
use thiserror::Error;

/// One API call that was made, with the request id AWS gave it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Call {
    /// The plan's step, as the plan shows it.
    pub step: String,
    pub request_id: Option<String>,
}

/// What a successful write left behind.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Executed {
    pub service: Service,
    /// The deployment the write started, to watch.
    pub deployment_id: Option<String>,
    pub task_definition: TaskDefRef,
    /// Every call made, in order.
    pub calls: Vec<Call>,
    /// The calls ran but the audit record after them could not be written:
    /// why. The change is real; the audit log does not show its outcome.
    pub unrecorded: Option<String>,
    /// The task the write started (a run-task's, to follow) or stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Box<flightdeck_model::Task>>,
    /// The ECS Exec session an exec opened, to attach the terminal to.
    /// Never recorded: its token is a credential.
    #[serde(skip)]
    pub session: Option<ExecSession>,
}

impl Executed {
    /// AWS request ids of the calls, in order.
    pub fn request_ids(&self) -> Vec<String> {
        request_ids(&self.calls)
    }

    /// Where `plan` left the service, in words: the same in the cockpit's
    /// message and after a command's `done:`.
    pub fn describe(&self, plan: &Plan) -> String {
        let svc = &self.service;
        let (name, desired, running) = (
            format!("{}/{}", svc.cluster, svc.name),
            svc.desired,
            svc.running,
        );
        match &plan.operation {
            Operation::SetStrategy { .. } => {
                format!("{name} deploys as: {}", svc.deployment_config.describe())
            }
            Operation::StopTask { task, .. }
                if plan.notes.iter().any(|n| n == super::task::ONE_OFF_STOP) =>
            {
                format!("one-off task {task} of {name} is stopping")
            }
            Operation::StopTask { task, .. } => format!(
                "task {task} of {name} is stopping; ECS starts a replacement (desired {desired}, {running} running)"
            ),
            Operation::RunTask { .. } => match &self.task {
                Some(t) => format!(
                    "one-off task {} of {} started for {name} ({})",
                    t.id,
                    t.task_definition,
                    t.last_status.as_str()
                ),
                None => format!("a one-off task of {name} was started"),
            },
            _ => match &self.deployment_id {
                Some(d) => format!(
                    "{name} runs {} (desired {desired}); deployment {d}",
                    self.task_definition
                ),
                None => format!("{name}: desired {desired}, {running} running"),
            },
        }
    }
}

fn request_ids(calls: &[Call]) -> Vec<String> {
    calls.iter().filter_map(|c| c.request_id.clone()).collect()
}

#[derive(Debug, Clone, PartialEq, Error, serde::Serialize, serde::Deserialize)]
pub enum ExecError {
    /// The service changed since the plan (exit 3): plan again. Nothing changed.
    #[error("refused: the plan is stale ({0}); plan again")]
    Stale(String),
    /// What the plan would reach is already so (ECS rolled the service
    /// back first): nothing to do, nothing changed.
    #[error("nothing to do: {0}")]
    NothingToDo(String),
    /// No audit record, no write: nothing changed.
    #[error("refused: cannot write the audit log {path}: {error}; nothing was changed")]
    Audit { path: String, error: String },
    /// The re-read before the calls failed: nothing changed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Another operator holds the service's lease, or the lease table
    /// could not be reached: nothing changed (exit 3).
    #[error(transparent)]
    Lease(#[from] crate::lease::LeaseError),
    /// A call failed. The calls in `ran` took effect before it.
    #[error("{}", failed_text(.error, .ran, .unrecorded.as_deref()))]
    Failed {
        error: ProviderError,
        ran: Vec<Call>,
        /// The audit record after the failure could not be written either.
        unrecorded: Option<String>,
    },
}

impl ExecError {
    /// Whether AWS was changed: some call ran before the failure.
    pub fn changed_something(&self) -> bool {
        matches!(self, ExecError::Failed { ran, .. } if !ran.is_empty())
    }

    /// Why the outcome is missing from the audit log, when it is.
    pub fn unrecorded(&self) -> Option<&str> {
        match self {
            ExecError::Failed { unrecorded, .. } => unrecorded.as_deref(),
            _ => None,
        }
    }
}

fn failed_text(error: &ProviderError, ran: &[Call], unrecorded: Option<&str>) -> String {
    let mut text = error.to_string();
    if ran.is_empty() {
        text.push_str("; no call had succeeded, nothing was changed");
    } else {
        text.push_str("; these calls ran before it and took effect: ");
        text.push_str(&describe_calls(ran));
    }
    if let Some(why) = unrecorded {
        text.push_str(&format!("; NOT RECORDED in the audit log ({why})"));
    }
    text
}

/// `step (request id R); step (...)`, for messages.
pub fn describe_calls(calls: &[Call]) -> String {
    calls
        .iter()
        .map(|c| match &c.request_id {
            Some(id) => format!("{} (request id {id})", c.step),
            None => c.step.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The audit record of `plan` in `phase`.
pub(super) fn record(plan: &Plan, who: &str, phase: Phase, time: Timestamp) -> Record {
    Record {
        time,
        phase,
        who: who.to_string(),
        environment: plan.environment.clone(),
        account: plan.account.clone(),
        region: plan.region.clone(),
        operation: plan.operation.verb().to_string(),
        cluster: plan.operation.cluster().to_string(),
        service: plan.operation.service().to_string(),
        calls: plan.steps.iter().map(|s| s.to_string()).collect(),
        diff: plan
            .diff
            .iter()
            .map(|c| format!("{}: {} -> {}", c.field, c.before, c.after))
            .collect(),
        from_task_definition: plan.from_task_definition.to_string(),
        to_task_definition: None,
        deployment_id: None,
        request_ids: vec![],
        result: None,
        error: None,
        lease_taken_from: plan
            .take_lease
            .as_ref()
            .and(plan.lease.as_ref())
            .map(|l| l.holder.clone()),
        lease_reason: plan.take_lease.clone(),
        task: None,
    }
}

/// Runs a confirmed plan. `who` is the caller identity's ARN.
///
/// Whether `service` already runs the revision `plan` rolls back to, its
/// deployment of it done or under way: the words that say so.
fn rollback_already_done(plan: &Plan, service: &flightdeck_model::Service) -> Option<String> {
    let target = plan.rollback_target()?;
    let primary = service.primary_deployment()?;
    if service.task_definition != *target || primary.task_definition != *target {
        return None;
    }
    let how = if primary.rollout_state == flightdeck_model::RolloutState::Completed {
        "already rolled"
    } else {
        "is already rolling"
    };
    Some(format!(
        "ECS {how} {} back to :{} (deployment {}, {}); nothing to do",
        service.name, target.revision, primary.id, primary.rollout_state
    ))
}

/// Nothing is called unless the record before is on disk. Once a call has
/// been made, failing to write the record after does not hide it: the
/// result says what ran (`Executed::unrecorded`, `ExecError::Failed`).
pub async fn execute(
    p: &Provider,
    plan: &Plan,
    audit: &AuditLog,
    who: &str,
    now: Timestamp,
) -> Result<Executed, ExecError> {
    let (cluster, service) = (plan.operation.cluster(), plan.operation.service());
    let current = read_current(p.reads(), cluster, service).await?;
    // What acts on one task (a stop, an exec, a forward) is stale only when
    // its task no longer runs: the desired count auto scaling moves
    // meanwhile does not change what it does.
    let differences = match &plan.operation {
        Operation::StopTask { .. } | Operation::Exec { .. } | Operation::PortForward { .. } => {
            let mut gone = vec![];
            for step in &plan.steps {
                let task = match step {
                    Step::StopTask { task, .. } | Step::ExecuteCommand { task, .. } => task,
                    Step::StartPortForward { forward } => &forward.task,
                    _ => continue,
                };
                gone.extend(
                    super::task::task_gone(p.reads(), &current.service, task)
                        .await
                        .map_err(PlanError::from)?,
                );
            }
            gone
        }
        _ => plan.fingerprint.differences(
            &Fingerprint::of(&current.service, current.target.as_ref()),
            &plan.operation,
        ),
    };
    // A rollback whose end is already reached (the circuit breaker got
    // there first) has nothing to do: said so, not refused as stale.
    if let Some(done) = rollback_already_done(plan, &current.service)
        && !differences.is_empty()
    {
        let mut nothing = record(plan, who, Phase::Refused, now);
        nothing.error = Some(done.clone());
        audit.append(&nothing).map_err(|e| ExecError::Audit {
            path: audit.path().display().to_string(),
            error: e.to_string(),
        })?;
        return Err(ExecError::NothingToDo(done));
    }
    let audit_error = |e: std::io::Error| format!("cannot write {}: {e}", audit.path().display());
    let refuse = |e: std::io::Error| ExecError::Audit {
        path: audit.path().display().to_string(),
        error: e.to_string(),
    };
    if !differences.is_empty() {
        let mut refused = record(plan, who, Phase::Refused, now);
        refused.error = Some(format!("stale plan: {}", differences.join("; ")));
        audit.append(&refused).map_err(refuse)?;
        return Err(ExecError::Stale(differences.join("; ")));
    }
    audit
        .append(&record(plan, who, Phase::Before, now))
        .map_err(refuse)?;
    let mut ran = vec![];
    let outcome = run_steps(p, plan, &mut ran).await;
    let mut after = record(plan, who, Phase::After, now);
    after.request_ids = request_ids(&ran);
    match outcome {
        Ok(mut done) => {
            after.result = Some(Outcome::Ok);
            after.to_task_definition = Some(done.task_definition.to_string());
            after.deployment_id = done.deployment_id.clone();
            after.task = done.task.as_ref().map(|t| t.id.clone());
            done.unrecorded = audit.append(&after).err().map(audit_error);
            Ok(done)
        }
        Err(error) => {
            after.result = Some(Outcome::Error);
            after.error = Some(error.to_string());
            let unrecorded = audit.append(&after).err().map(audit_error);
            Err(ExecError::Failed {
                error,
                ran,
                unrecorded,
            })
        }
    }
}

/// Makes the plan's calls in order; every call that succeeds is pushed to
/// `ran` before the next is made.
async fn run_steps(
    p: &Provider,
    plan: &Plan,
    ran: &mut Vec<Call>,
) -> Result<Executed, ProviderError> {
    let (cluster, service) = (plan.operation.cluster(), plan.operation.service());
    let target = ServiceRef::new(cluster, service);
    let mut progress = Progress::default();
    for step in &plan.steps {
        let call = progress.call_for(step, &target);
        let written = match (p.write(&call).await, step) {
            (Ok(written), _) => written,
            // Only ECS's recognised refusal (no service deployment to stop,
            // the feature unavailable) means the same rollback by hand; any
            // other failure may have been applied and must not be followed
            // by a second write.
            (Err(ProviderError::Unsupported(why)), Step::StopServiceDeployment { fallback }) => {
                let by_hand = WriteCall::UpdateService {
                    service: target.clone(),
                    update: ServiceUpdate {
                        task_definition: Some(fallback.clone()),
                        ..ServiceUpdate::default()
                    },
                };
                let written = p.write(&by_hand).await?;
                ran.push(Call {
                    step: format!("ecs:UpdateService taskDefinition={fallback} (by hand: {why})"),
                    request_id: written.request_id,
                });
                progress.took(written.value);
                continue;
            }
            (Err(e), _) => return Err(e),
        };
        ran.push(Call {
            step: step.to_string(),
            request_id: written.request_id,
        });
        progress.took(written.value);
    }
    let service = match progress.updated {
        Some(s) => s,
        None => find_service(p.reads(), cluster, service)
            .await?
            .ok_or_else(|| ProviderError::NotFound(format!("service {cluster}/{service}")))?,
    };
    // ECS may start the new deployment a moment after answering (native
    // rollback): then there is no deployment of ours to watch yet.
    let expected = progress.expected;
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
        calls: ran.clone(),
        unrecorded: None,
        task: progress.started,
        session: progress.session,
    })
}

/// What a plan's calls made so far, which the later calls and the result
/// build on.
#[derive(Default)]
struct Progress {
    /// The revision a RegisterTaskDefinition made.
    registered: Option<TaskDefRef>,
    /// The service as the last call that changed it answered.
    updated: Option<Service>,
    /// The revision the new deployment must run, to recognise it.
    expected: Option<TaskDefRef>,
    /// The session an exec or a port forward opened.
    session: Option<ExecSession>,
    /// The task a RunTask started.
    started: Option<Box<flightdeck_model::Task>>,
}

impl Progress {
    /// The call `step` makes on `target`, after the calls before it.
    fn call_for(&mut self, step: &Step, target: &ServiceRef) -> WriteCall {
        let service = target.clone();
        match step {
            Step::RegisterTaskDefinition { base, images } => WriteCall::RegisterTaskDefinition {
                base: base.clone(),
                images: images.clone(),
            },
            Step::UpdateService {
                task_definition,
                uses_new_revision,
                desired,
                force_new_deployment,
            } => {
                let td = if *uses_new_revision {
                    self.registered.clone()
                } else {
                    task_definition.clone()
                };
                if td.is_some() {
                    self.expected = td.clone();
                }
                WriteCall::UpdateService {
                    service,
                    update: ServiceUpdate {
                        desired: *desired,
                        task_definition: td,
                        force_new_deployment: *force_new_deployment,
                        strategy: None,
                    },
                }
            }
            Step::StopServiceDeployment { fallback } => {
                self.expected = Some(fallback.clone());
                WriteCall::StopDeploymentWithRollback { service }
            }
            Step::SetDeploymentStrategy {
                strategy,
                bake_minutes,
            } => WriteCall::UpdateService {
                service,
                update: ServiceUpdate {
                    strategy: Some(StrategyUpdate {
                        strategy: strategy.clone(),
                        bake_minutes: *bake_minutes,
                    }),
                    ..ServiceUpdate::default()
                },
            },
            Step::ContinueServiceDeployment { deployment, hook } => WriteCall::ContinueDeployment {
                service,
                deployment: deployment.clone(),
                hook: hook.clone(),
            },
            Step::StopTask { task, reason } => WriteCall::StopTask {
                service,
                task: task.clone(),
                reason: reason.clone(),
            },
            Step::ExecuteCommand {
                task,
                container,
                command,
            } => WriteCall::ExecuteCommand {
                cluster: service.cluster,
                task: task.clone(),
                container: container.clone(),
                command: command.clone(),
            },
            Step::StartPortForward { forward } => WriteCall::StartPortForward(forward.clone()),
            Step::RunTask { task } => WriteCall::RunTask(task.clone()),
            Step::RegisterScalableTarget {
                min,
                max,
                suspend_dynamic_scaling,
            } => WriteCall::RegisterScalableTarget {
                service,
                update: TargetUpdate {
                    min: *min,
                    max: *max,
                    suspend_dynamic_scaling: *suspend_dynamic_scaling,
                },
            },
        }
    }

    /// Takes in what a call answered.
    fn took(&mut self, answer: WriteAnswer) {
        match answer {
            WriteAnswer::TaskDefinition(td) => {
                self.registered = Some(td.reference);
                self.expected = self.registered.clone();
            }
            WriteAnswer::Service(s) => self.updated = Some(s),
            WriteAnswer::Session(s) => self.session = Some(s),
            WriteAnswer::Task(t) => self.started = Some(Box::new(t)),
            WriteAnswer::ScalableTarget(_) | WriteAnswer::Done => {}
        }
    }
}
