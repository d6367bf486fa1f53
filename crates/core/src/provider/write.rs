//! Writes as data: every write the cockpit can make is one [`WriteCall`],
//! and a provider that writes answers one method, [`WriteProvider::write`].
//! A wrapper (the read-only guard, a test's fault injector) handles every
//! write in one place; [`Writes`] gives callers the typed answers.

use super::{ExecSession, OneOffTask, PortForward, ProviderError, Result};
use async_trait::async_trait;
use flightdeck_model::{ScalableTarget, Service, ServiceRef, Task, TaskDefRef, TaskDefinition};

/// What a write returned, with the AWS request id of the call that made it
/// (for the audit log). Derefs to the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    pub value: T,
    pub request_id: Option<String>,
}

impl<T> Written<T> {
    pub fn new(value: T, request_id: Option<String>) -> Self {
        Written { value, request_id }
    }
}

impl<T> std::ops::Deref for Written<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A change to a service, the way ECS UpdateService expresses it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceUpdate {
    pub desired: Option<u32>,
    pub task_definition: Option<TaskDefRef>,
    pub force_new_deployment: bool,
    /// A new deployment strategy; the rest of the deployment configuration
    /// (hooks, alarms, circuit breaker) stays as it is.
    pub strategy: Option<StrategyUpdate>,
}

/// The strategy part of UpdateService's deploymentConfiguration.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyUpdate {
    pub strategy: flightdeck_model::Strategy,
    /// The bake after all traffic moved (`bakeTimeInMinutes`).
    pub bake_minutes: Option<u32>,
}

/// A change to a scalable target, the way RegisterScalableTarget expresses it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetUpdate {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub suspend_dynamic_scaling: Option<bool>,
}

/// One write, as the API call that makes it.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteCall {
    /// A new revision of `base`'s family, a copy of `base` with the given
    /// `(container, image)` replaced.
    RegisterTaskDefinition {
        base: TaskDefRef,
        images: Vec<(String, String)>,
    },
    UpdateService {
        service: ServiceRef,
        update: ServiceUpdate,
    },
    RegisterScalableTarget {
        service: ServiceRef,
        update: TargetUpdate,
    },
    /// ECS's own rollback of the deployment in progress
    /// (StopServiceDeployment, stopType ROLLBACK). `Unsupported` when the
    /// service has nothing to stop or does not support it.
    StopDeploymentWithRollback { service: ServiceRef },
    /// Lets a deployment paused at a pause hook go on
    /// (ContinueServiceDeployment, action CONTINUE): `deployment` is the
    /// service deployment's ARN, `hook` the paused hook's id.
    ContinueDeployment {
        service: ServiceRef,
        deployment: String,
        hook: String,
    },
    /// Stops one task of `service` (StopTask); the service starts a
    /// replacement. `reason` is what ECS shows as the stop reason.
    StopTask {
        service: ServiceRef,
        task: String,
        reason: String,
    },
    /// Starts a one-off task (RunTask) with a command override.
    RunTask(OneOffTask),
    /// Opens an interactive ECS Exec session running `command` in
    /// `container` of `task` (ExecuteCommand); the caller attaches the
    /// operator's terminal with `session-manager-plugin`.
    ExecuteCommand {
        cluster: String,
        task: String,
        container: String,
        command: String,
    },
    /// Opens a port-forwarding session (SSM StartSession with a
    /// port-forwarding document) to the forward's task.
    StartPortForward(PortForward),
    /// Ends a session (SSM TerminateSession).
    TerminateSession { session_id: String },
}

impl WriteCall {
    /// The API operation, as IAM names it: `ecs:UpdateService`.
    pub fn operation(&self) -> &'static str {
        match self {
            WriteCall::RegisterTaskDefinition { .. } => "ecs:RegisterTaskDefinition",
            WriteCall::UpdateService { .. } => "ecs:UpdateService",
            WriteCall::RegisterScalableTarget { .. } => {
                "application-autoscaling:RegisterScalableTarget"
            }
            WriteCall::StopDeploymentWithRollback { .. } => "ecs:StopServiceDeployment",
            WriteCall::ContinueDeployment { .. } => "ecs:ContinueServiceDeployment",
            WriteCall::StopTask { .. } => "ecs:StopTask",
            WriteCall::RunTask(_) => "ecs:RunTask",
            WriteCall::ExecuteCommand { .. } => "ecs:ExecuteCommand",
            WriteCall::StartPortForward(_) => "ssm:StartSession",
            WriteCall::TerminateSession { .. } => "ssm:TerminateSession",
        }
    }
}

/// What a write made or changed.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one answer a write call, handed on at once: never kept in bulk"
)]
pub enum WriteAnswer {
    TaskDefinition(TaskDefinition),
    Service(Service),
    ScalableTarget(ScalableTarget),
    Task(Task),
    Session(ExecSession),
    /// The call changes nothing to read back (a session ended).
    Done,
}

/// Every write the cockpit can make. Only the operations layer calls it,
/// after a plan and a confirmation; a read-only [`super::Provider`] has no
/// writer, so it refuses every call whatever the caller.
#[async_trait]
pub trait WriteProvider: Send + Sync {
    async fn write(&self, call: &WriteCall) -> Result<Written<WriteAnswer>>;
}

/// The typed face of [`WriteProvider::write`]: one method per call, each
/// returning what that call makes.
#[async_trait]
pub trait Writes: WriteProvider {
    async fn register_task_definition(
        &self,
        base: &TaskDefRef,
        images: &[(String, String)],
    ) -> Result<Written<TaskDefinition>> {
        let call = WriteCall::RegisterTaskDefinition {
            base: base.clone(),
            images: images.to_vec(),
        };
        answer(self.write(&call).await?, &call, |a| match a {
            WriteAnswer::TaskDefinition(td) => Some(td),
            _ => None,
        })
    }

    async fn update_service(
        &self,
        service: &ServiceRef,
        update: &ServiceUpdate,
    ) -> Result<Written<Service>> {
        let call = WriteCall::UpdateService {
            service: service.clone(),
            update: update.clone(),
        };
        answer(self.write(&call).await?, &call, service_answer)
    }

    async fn register_scalable_target(
        &self,
        service: &ServiceRef,
        update: &TargetUpdate,
    ) -> Result<Written<ScalableTarget>> {
        let call = WriteCall::RegisterScalableTarget {
            service: service.clone(),
            update: update.clone(),
        };
        answer(self.write(&call).await?, &call, |a| match a {
            WriteAnswer::ScalableTarget(t) => Some(t),
            _ => None,
        })
    }

    async fn stop_deployment_with_rollback(
        &self,
        service: &ServiceRef,
    ) -> Result<Written<Service>> {
        let call = WriteCall::StopDeploymentWithRollback {
            service: service.clone(),
        };
        answer(self.write(&call).await?, &call, service_answer)
    }

    async fn continue_deployment(
        &self,
        service: &ServiceRef,
        deployment: &str,
        hook: &str,
    ) -> Result<Written<Service>> {
        let call = WriteCall::ContinueDeployment {
            service: service.clone(),
            deployment: deployment.to_string(),
            hook: hook.to_string(),
        };
        answer(self.write(&call).await?, &call, service_answer)
    }

    async fn stop_task(
        &self,
        service: &ServiceRef,
        task: &str,
        reason: &str,
    ) -> Result<Written<Task>> {
        let call = WriteCall::StopTask {
            service: service.clone(),
            task: task.to_string(),
            reason: reason.to_string(),
        };
        answer(self.write(&call).await?, &call, |a| match a {
            WriteAnswer::Task(t) => Some(t),
            _ => None,
        })
    }

    async fn run_task(&self, task: &OneOffTask) -> Result<Written<Task>> {
        let call = WriteCall::RunTask(task.clone());
        answer(self.write(&call).await?, &call, |a| match a {
            WriteAnswer::Task(t) => Some(t),
            _ => None,
        })
    }

    async fn execute_command(
        &self,
        cluster: &str,
        task: &str,
        container: &str,
        command: &str,
    ) -> Result<Written<ExecSession>> {
        let call = WriteCall::ExecuteCommand {
            cluster: cluster.to_string(),
            task: task.to_string(),
            container: container.to_string(),
            command: command.to_string(),
        };
        answer(self.write(&call).await?, &call, session_answer)
    }

    async fn start_port_forward(&self, forward: &PortForward) -> Result<Written<ExecSession>> {
        let call = WriteCall::StartPortForward(forward.clone());
        answer(self.write(&call).await?, &call, session_answer)
    }

    async fn terminate_session(&self, session_id: &str) -> Result<()> {
        let call = WriteCall::TerminateSession {
            session_id: session_id.to_string(),
        };
        self.write(&call).await.map(|_| ())
    }
}

impl<T: WriteProvider + ?Sized> Writes for T {}

fn service_answer(a: WriteAnswer) -> Option<Service> {
    match a {
        WriteAnswer::Service(s) => Some(s),
        _ => None,
    }
}

fn session_answer(a: WriteAnswer) -> Option<ExecSession> {
    match a {
        WriteAnswer::Session(s) => Some(s),
        _ => None,
    }
}

/// The answer of `call` as the type it makes; a provider answering with
/// another is a bug of that provider, reported as such.
fn answer<T>(
    written: Written<WriteAnswer>,
    call: &WriteCall,
    pick: impl FnOnce(WriteAnswer) -> Option<T>,
) -> Result<Written<T>> {
    let Written { value, request_id } = written;
    pick(value)
        .map(|value| Written { value, request_id })
        .ok_or_else(|| {
            ProviderError::Invalid(format!(
                "{} answered with something else than it makes",
                call.operation()
            ))
        })
}
