//! Planning what acts on one task: its stop (and what that does to what
//! the service serves), and an ECS Exec session in one of its containers
//! (with every precondition ECS Exec has, checked first).

use super::plan::{Plan, PlanError, Step};
use crate::diff::Change;
use crate::provider::{PortForward, ProviderError, ReadProvider};
use flightdeck_model::{ContainerState, ManagedAgentStatus, Service, Task, TaskStatus};

/// The shortest prefix of a task id an operator may type.
pub const MIN_TASK_PREFIX: usize = 6;

/// The note of a stop of a one-off task (run-task), not a service's own.
pub const ONE_OFF_STOP: &str =
    "a one-off task: nothing replaces it, and its command does not finish";

/// The stop reason ECS records when the operator gives none.
pub const DEFAULT_STOP_REASON: &str = "Stopped by flightdeck";

/// The task of `tasks` that `wanted` names: its id, its ARN, or a prefix of
/// its id of at least [`MIN_TASK_PREFIX`] characters that no other has.
pub fn find_task<'a>(tasks: &'a [Task], wanted: &str) -> Result<&'a Task, PlanError> {
    let id = wanted.rsplit('/').next().unwrap_or(wanted).trim();
    if let Some(task) = tasks.iter().find(|t| t.id == id) {
        return Ok(task);
    }
    let running = || {
        let ids: Vec<&str> = tasks
            .iter()
            .filter(|t| t.desired_status != TaskStatus::Stopped)
            .map(|t| t.id.as_str())
            .collect();
        if ids.is_empty() {
            "it runs none".to_string()
        } else {
            format!("it runs: {}", ids.join(", "))
        }
    };
    if id.len() < MIN_TASK_PREFIX {
        return Err(PlanError::Invalid(format!(
            "no task `{id}` (give the task id, its ARN, or at least {MIN_TASK_PREFIX} characters of it); {}",
            running()
        )));
    }
    let mut matching = tasks.iter().filter(|t| t.id.starts_with(id));
    match (matching.next(), matching.next()) {
        (Some(task), None) => Ok(task),
        (Some(_), Some(_)) => Err(PlanError::Invalid(format!(
            "`{id}` names more than one task; give more of the id"
        ))),
        _ => Err(PlanError::Invalid(format!(
            "the service has no task `{id}`; {}",
            running()
        ))),
    }
}

/// Stop `task` of `svc`, which must still be running or starting.
pub(super) async fn plan_stop_task(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    task: &str,
    reason: Option<&str>,
) -> Result<(), PlanError> {
    let mut tasks = p.tasks(&svc.reference()).await?;
    // A one-off task started for the service (run-task) is not among its
    // tasks: found by its whole id, of the service's family.
    let one_off =
        !tasks.iter().any(|t| t.id == task) && add_one_off(p, svc, task, &mut tasks).await?;
    let found = find_task(&tasks, task)?;
    if found.desired_status == TaskStatus::Stopped {
        return Err(PlanError::Refused(format!(
            "task {} is already {}",
            found.id,
            if found.last_status == TaskStatus::Stopped {
                "stopped"
            } else {
                "stopping"
            }
        )));
    }
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(DEFAULT_STOP_REASON);
    if reason.chars().count() > 255 {
        return Err(PlanError::Invalid(
            "the stop reason is longer than ECS's 255 characters".into(),
        ));
    }
    plan.diff.push(Change::new(
        format!("task {}", found.id),
        format!(
            "{} {} ({}, {})",
            found.last_status.as_str(),
            found.health,
            found.task_definition,
            found.availability_zone
        ),
        "STOPPED",
    ));
    if one_off {
        plan.notes.push(ONE_OFF_STOP.into());
        plan.steps.push(Step::StopTask {
            task: found.id.clone(),
            reason: reason.to_string(),
        });
        return Ok(());
    }
    let others = tasks
        .iter()
        .filter(|t| t.id != found.id && t.desired_status != TaskStatus::Stopped)
        .count();
    plan.notes.push(if svc.desired == 0 {
        "the service's desired count is 0: nothing replaces this task".to_string()
    } else {
        format!(
            "ECS starts a replacement: the service wants {} and {others} other task{} run{}",
            svc.desired,
            if others == 1 { "" } else { "s" },
            if others == 1 { "s" } else { "" },
        )
    });
    if others == 0 && svc.desired > 0 {
        plan.notes.push(
            "this is the service's only task: it serves nothing until the replacement is healthy"
                .into(),
        );
    }
    plan.steps.push(Step::StopTask {
        task: found.id.clone(),
        reason: reason.to_string(),
    });
    Ok(())
}

/// Adds to `tasks` the one-off task `id` of the cluster when it runs a
/// revision of `svc`'s family (a run-task's); whether it did.
async fn add_one_off(
    p: &dyn ReadProvider,
    svc: &Service,
    id: &str,
    tasks: &mut Vec<Task>,
) -> Result<bool, ProviderError> {
    match p.task(&svc.cluster, id).await {
        Ok(t) if t.task_definition.family == svc.task_definition.family => {
            tasks.push(t);
            Ok(true)
        }
        Ok(_) | Err(ProviderError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What the operator asked ECS Exec for.
pub struct ExecWanted<'a> {
    pub task: Option<&'a str>,
    pub container: Option<&'a str>,
    pub command: &'a str,
}

/// What to do when a task runs without ECS Exec.
const ENABLE_EXEC: &str = "turn it on with `aws ecs update-service --enable-execute-command --force-new-deployment` (the tasks started after have it)";

/// The task and container an ECS Exec or port-forwarding session reaches:
/// named, or the first running ones. Every precondition ECS can be asked
/// about is checked, each with its own message: the task running with
/// execute command enabled, the container running, its
/// ExecuteCommandAgent running.
async fn session_target(
    p: &dyn ReadProvider,
    svc: &Service,
    task: Option<&str>,
    container: Option<&str>,
) -> Result<(Task, ContainerState), PlanError> {
    let tasks = p.tasks(&svc.reference()).await?;
    let task = match task {
        Some(t) => find_task(&tasks, t)?,
        None => tasks
            .iter()
            .find(|t| {
                t.last_status == TaskStatus::Running && t.desired_status != TaskStatus::Stopped
            })
            .ok_or_else(|| {
                PlanError::Refused(format!(
                    "{}/{} has no running task to open a session to",
                    svc.cluster, svc.name
                ))
            })?,
    };
    if task.last_status != TaskStatus::Running || task.desired_status == TaskStatus::Stopped {
        return Err(PlanError::Refused(format!(
            "task {} is {}, not running",
            task.id,
            task.last_status.as_str()
        )));
    }
    if !task.exec_enabled {
        return Err(PlanError::Refused(format!(
            "execute command is not enabled on task {} (the service has it {}): {ENABLE_EXEC}",
            task.id,
            if svc.exec_enabled {
                "on now, but the task started before"
            } else {
                "off"
            }
        )));
    }
    let found = match container {
        Some(name) => task
            .containers
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| {
                PlanError::Invalid(format!(
                    "task {} has no container `{name}`; it has: {}",
                    task.id,
                    task.containers
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        None => task
            .containers
            .iter()
            .find(|c| c.last_status == TaskStatus::Running)
            .or_else(|| task.containers.first())
            .ok_or_else(|| PlanError::Refused(format!("task {} lists no containers", task.id)))?,
    };
    if found.last_status != TaskStatus::Running {
        return Err(PlanError::Refused(format!(
            "container {} of task {} is {}, not running",
            found.name,
            task.id,
            found.last_status.as_str()
        )));
    }
    match &found.exec_agent {
        Some(ManagedAgentStatus::Running) => {}
        Some(status) => {
            return Err(PlanError::Refused(format!(
                "the ExecuteCommandAgent of container {} is {status}, not RUNNING: wait a moment, or check the task role's ssmmessages permissions",
                found.name
            )));
        }
        None => {
            return Err(PlanError::Refused(format!(
                "container {} of task {} runs no ExecuteCommandAgent: {ENABLE_EXEC}",
                found.name, task.id
            )));
        }
    }
    Ok((task.clone(), found.clone()))
}

/// An ECS Exec session in a container of one of `svc`'s tasks.
pub(super) async fn plan_exec(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    wanted: &ExecWanted<'_>,
) -> Result<(), PlanError> {
    let command = wanted.command.trim();
    if command.is_empty() {
        return Err(PlanError::Invalid("give a command, such as /bin/sh".into()));
    }
    let (task, container) = session_target(p, svc, wanted.task, wanted.container).await?;
    plan.diff.push(Change::new(
        "session",
        "none",
        format!("{command} in {}/{}", task.id, container.name),
    ));
    plan.notes.push(
        "an interactive session: what you type runs in the container, and ECS Exec may log it (the cluster's executeCommandConfiguration)".into(),
    );
    plan.steps.push(Step::ExecuteCommand {
        task: task.id.clone(),
        container: container.name.clone(),
        command: command.to_string(),
    });
    Ok(())
}

/// What the operator asked port forwarding for.
pub struct ForwardWanted<'a> {
    pub task: Option<&'a str>,
    pub container: Option<&'a str>,
    pub remote_host: Option<&'a str>,
    pub remote_port: u16,
    pub local_port: u16,
}

/// A local port forwarded to a container of one of `svc`'s tasks, or
/// through it to a remote host.
pub(super) async fn plan_port_forward(
    p: &dyn ReadProvider,
    plan: &mut Plan,
    svc: &Service,
    wanted: &ForwardWanted<'_>,
) -> Result<(), PlanError> {
    if wanted.remote_port == 0 {
        return Err(PlanError::Invalid(
            "the remote port must be 1 to 65535".into(),
        ));
    }
    let min = PortForward::MIN_LOCAL_PORT;
    if wanted.local_port < min {
        return Err(PlanError::Invalid(format!(
            "the local port must be {min} to 65535 (lower ones need root)"
        )));
    }
    let host = wanted.remote_host.map(str::trim).filter(|h| !h.is_empty());
    if let Some(h) = host
        && (h.len() > 253
            || !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c)))
    {
        return Err(PlanError::Invalid(format!(
            "`{h}` is not a host name or address"
        )));
    }
    let (task, container) = session_target(p, svc, wanted.task, wanted.container).await?;
    let runtime_id = container.runtime_id.clone().ok_or_else(|| {
        PlanError::Refused(format!(
            "container {} of task {} has no runtime id yet: wait a moment",
            container.name, task.id
        ))
    })?;
    let forward = PortForward {
        cluster: svc.cluster.clone(),
        task: task.id.clone(),
        container: container.name.clone(),
        runtime_id,
        remote_host: host.map(str::to_string),
        remote_port: wanted.remote_port,
        local_port: wanted.local_port,
    };
    plan.diff
        .push(Change::new("forward", "none", forward.describe()));
    plan.notes.push(
        "the forward stays open until you close it or quit; anyone on this machine can connect to the local port".into(),
    );
    plan.steps.push(Step::StartPortForward { forward });
    Ok(())
}

/// Why a plan on one task (a stop, an exec) is stale: its task no longer runs.
pub(super) async fn task_gone(
    p: &dyn ReadProvider,
    svc: &Service,
    task: &str,
) -> Result<Option<String>, ProviderError> {
    let mut tasks = p.tasks(&svc.reference()).await?;
    if !tasks.iter().any(|t| t.id == task) {
        add_one_off(p, svc, task, &mut tasks).await?;
    }
    Ok(match tasks.iter().find(|t| t.id == task) {
        Some(t) if t.desired_status != TaskStatus::Stopped => None,
        Some(t) => Some(format!(
            "task {task} is {} now",
            t.last_status.as_str().to_lowercase()
        )),
        None => Some(format!("task {task} is gone")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_model::{HealthStatus, TaskDefRef};

    fn task(id: &str, desired: TaskStatus) -> Task {
        Task {
            id: id.into(),
            arn: String::new(),
            task_definition: TaskDefRef::new("api", 3),
            last_status: TaskStatus::Running,
            desired_status: desired,
            health: HealthStatus::Healthy,
            availability_zone: "us-east-1a".into(),
            started_at: None,
            stopped_at: None,
            stopped_reason: None,
            containers: vec![],
            exec_enabled: false,
        }
    }

    #[test]
    fn a_task_is_named_by_id_arn_or_unique_prefix() {
        let tasks = [
            task("0f1e2d3c4b5a", TaskStatus::Running),
            task("0f1e99887766", TaskStatus::Running),
        ];
        let found = |w| find_task(&tasks, w).map(|t| t.id.clone());
        assert_eq!(found("0f1e2d3c4b5a").unwrap(), "0f1e2d3c4b5a");
        assert_eq!(
            found("arn:aws:ecs:us-east-1:1:task/prod/0f1e99887766").unwrap(),
            "0f1e99887766"
        );
        assert_eq!(found("0f1e2d").unwrap(), "0f1e2d3c4b5a");
        let ambiguous = found("0f1e").unwrap_err().to_string();
        assert!(ambiguous.contains("at least 6"), "{ambiguous}");
        let two = found("0f1e2").unwrap_err().to_string();
        assert!(two.contains("at least 6"), "{two}");
        let tasks = [
            task("0f1e2d3c4b5a", TaskStatus::Running),
            task("0f1e2d999999", TaskStatus::Running),
        ];
        let both = find_task(&tasks, "0f1e2d").unwrap_err().to_string();
        assert!(both.contains("more than one"), "{both}");
        let none = find_task(&tasks, "abcdef").unwrap_err().to_string();
        assert!(
            none.contains("it runs: 0f1e2d3c4b5a, 0f1e2d999999"),
            "{none}"
        );
    }
}
