//! Deployments: start one, replace tasks by deployment id, images that
//! cannot be pulled or never get healthy, the circuit breaker and its
//! rollback, ECS's StopServiceDeployment.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ImageFault {
    CannotPull,
    NeverHealthy,
    /// Starts, then fails the load balancer's health checks.
    FailsHealthChecks,
}

/// The image tag `back` revisions before the current one: the last number in
/// the tag counts down (`v2.14.3` -> `v2.14.1`, `v2.13.8` five back), or
/// `-prevN` is appended where no number can.
pub fn older_image(image: &str, back: u32) -> String {
    if back == 0 {
        return image.to_string();
    }
    let Some((repo, tag)) = image.rsplit_once(':') else {
        return image.to_string();
    };
    let digits_end = tag.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1);
    if let Some(end) = digits_end {
        let start = tag[..end]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |i| i + 1);
        if let Ok(n) = tag[start..end].parse::<u32>() {
            if n >= back {
                return format!("{repo}:{}{}{}", &tag[..start], n - back, &tag[end..]);
            }
            // Borrow from the number before it, ten patches a minor:
            // `0.7.2` five back is `0.6.7`, never a `-prev5` that reads
            // newer than `0.7.0`.
            let borrow = (back - n).div_ceil(10);
            let head = &tag[..start];
            if let Some(prev_end) = head.rfind(|c: char| c.is_ascii_digit()).map(|i| i + 1) {
                let prev_start = head[..prev_end]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |i| i + 1);
                if let Ok(prev) = head[prev_start..prev_end].parse::<u32>()
                    && prev >= borrow
                {
                    return format!(
                        "{repo}:{}{}{}{}{}",
                        &head[..prev_start],
                        prev - borrow,
                        &head[prev_end..],
                        n + borrow * 10 - back,
                        &tag[end..]
                    );
                }
            }
        }
    }
    format!("{repo}:{tag}-prev{back}")
}

pub(super) fn deployment_id(rng: &mut impl Rng) -> String {
    format!(
        "ecs-svc/{}",
        rng.random_range(1_000_000_000_000_000_000u64..9_999_999_999_999_999_999)
    )
}

/// Creates a new PRIMARY deployment; the previous primary becomes ACTIVE and
/// is drained by the rolling update.
pub fn start_deployment(
    svc: &mut ServiceState,
    td: TaskDefRef,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> String {
    for d in &mut svc.deployments {
        d.status = DeploymentStatus::Active;
    }
    let id = deployment_id(rng);
    record_start(svc, &id, &td, now);
    svc.deployments.insert(
        0,
        Deployment {
            id: id.clone(),
            status: DeploymentStatus::Primary,
            task_definition: td.clone(),
            desired: svc.desired,
            running: 0,
            pending: 0,
            failed_tasks: 0,
            rollout_state: RolloutState::InProgress,
            rollout_reason: "ECS deployment in progress.".into(),
            created_at: now,
            updated_at: now,
        },
    );
    svc.current_revision = td.revision;
    begin_shift(svc, &id, now);
    id
}

/// The operator's rollback of the deployment in progress, the way ECS's
/// StopServiceDeployment does it: the deployment stops and a new one goes
/// back to the last deployment that completed. `false` when there is none.
pub fn stop_with_rollback(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) -> bool {
    // Blue/green, canary, linear: traffic goes back to blue at once.
    if roll_back(
        svc,
        "Stopped: rolled back by the operator.",
        vec![],
        now,
        rng,
    ) {
        return true;
    }
    let Some(primary) = svc.deployments.first().cloned() else {
        return false;
    };
    let (Some((id, td)), RolloutState::InProgress) =
        (last_completed(svc, &primary.id), primary.rollout_state)
    else {
        return false;
    };
    fail_primary(svc, "Stopped: rolled back by the operator.", now);
    record_failure(
        svc,
        &primary.id,
        "Stopped: rolled back by the operator.",
        None,
        true,
        now,
    );
    let name = svc.spec.name.clone();
    svc.push_event(
        hex(rng, 8),
        now,
        EventKind::Other,
        format!(
            "(service {name}) (deployment {}) stopped; rolling back to deployment {id} ({td}).",
            primary.id
        ),
    );
    start_deployment(svc, td, now, rng);
    true
}

/// The last deployment other than `except` that completed: what a
/// rollback goes back to, as `(id, task definition)`.
pub(super) fn last_completed(svc: &ServiceState, except: &str) -> Option<(String, TaskDefRef)> {
    svc.deployments
        .iter()
        .find(|d| d.id != except && d.rollout_state == RolloutState::Completed)
        .map(|d| (d.id.clone(), d.task_definition.clone()))
}

/// Marks the PRIMARY deployment's rollout FAILED, with ECS's reason.
pub(super) fn fail_primary(svc: &mut ServiceState, reason: &str, now: Timestamp) {
    if let Some(d) = svc.deployments.first_mut() {
        d.rollout_state = RolloutState::Failed;
        d.rollout_reason = reason.into();
        d.updated_at = now;
    }
}

/// The deployment circuit breaker: after enough failed tasks the rollout
/// fails and ECS rolls back to the last deployment that completed.
pub(super) fn circuit_breaker(
    svc: &mut ServiceState,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> bool {
    let threshold = svc.desired.div_ceil(2).clamp(3, 200);
    let Some(primary) = svc.deployments.first() else {
        return false;
    };
    if primary.rollout_state != RolloutState::InProgress || primary.failed_tasks < threshold {
        return false;
    }
    let primary = primary.clone();
    let name = svc.spec.name.clone();
    let reason = "ECS deployment circuit breaker: tasks failed to start.";
    fail_primary(svc, reason, now);
    let rolls_back = last_completed(svc, &primary.id).is_some();
    record_failure(
        svc,
        &primary.id,
        reason,
        Some(primary.failed_tasks),
        rolls_back,
        now,
    );
    svc.push_event(
        hex(rng, 8),
        now,
        EventKind::DeploymentFailed,
        format!(
            "(service {name}) (deployment {}) deployment failed: tasks failed to start.",
            primary.id
        ),
    );
    let pending: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| svc.tasks[i].deployment_id == primary.id)
        .collect();
    for i in pending.into_iter().rev() {
        stop_task(
            svc,
            i,
            now,
            "Deployment failed: circuit breaker rolled back",
            None,
        );
    }
    if let Some((id, td)) = last_completed(svc, &primary.id) {
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::Other,
            format!("(service {name}) rolling back to deployment {id} ({td})."),
        );
        start_deployment(svc, td, now, rng);
    }
    true
}

/// Brings each deployment's desired/running/pending in line with the tasks;
/// run once per tick, after everything that starts or stops tasks.
pub(super) fn refresh_deployment_counts(svc: &mut ServiceState, now: Timestamp) {
    if let Some(primary) = svc.deployments.first_mut() {
        primary.desired = svc.desired;
    }
    for d in &mut svc.deployments {
        let (running, pending) =
            svc.tasks
                .iter()
                .filter(|t| t.deployment_id == d.id)
                .fold((0, 0), |(r, p), t| match t.phase {
                    TaskPhase::Running => (r + 1, p),
                    TaskPhase::Pending { .. } => (r, p + 1),
                    TaskPhase::Stopped => (r, p),
                });
        if d.running != running || d.pending != pending {
            d.running = running;
            d.pending = pending;
            d.updated_at = now;
        }
    }
}

/// Rolling update with minimumHealthyPercent 100 and maximumPercent 200:
/// new tasks start first, an old task stops for each new one running.
pub(super) fn progress_rollout(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let Some(primary) = svc.deployments.first().cloned() else {
        return;
    };
    if primary.rollout_state != RolloutState::InProgress {
        return;
    }
    let name = svc.spec.name.clone();
    // A task the load balancer has not found healthy does not count: ECS
    // waits for its health checks (an image that fails them never counts).
    if svc.image_fault(primary.task_definition.revision) == Some(ImageFault::FailsHealthChecks) {
        return;
    }
    let new_running = svc
        .tasks
        .iter()
        .filter(|t| t.deployment_id == primary.id && t.phase == TaskPhase::Running)
        .count() as u32;
    let old = svc
        .tasks
        .iter()
        .filter(|t| t.deployment_id != primary.id)
        .count() as u32;
    let excess = (new_running + old).saturating_sub(svc.desired);
    replace_old_tasks(svc, &primary.id, excess as usize, now, rng);
    let old_left = svc.tasks.iter().any(|t| t.deployment_id != primary.id);
    if !old_left && new_running >= svc.desired {
        complete_primary(svc, &primary.id, now, rng);
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::SteadyState,
            format!("(service {name}) has reached a steady state."),
        );
        svc.last_steady_event = now;
    }
}

/// Stops up to `count` tasks of other deployments than `deployment_id`,
/// newest first, as replaced by it, and says so in one service event.
pub(super) fn replace_old_tasks(
    svc: &mut ServiceState,
    deployment_id: &str,
    count: usize,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) {
    let old: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| svc.tasks[i].deployment_id != deployment_id)
        .collect();
    let reason = format!("Deployment {deployment_id} replaced this task.");
    let stopped: Vec<String> = old
        .into_iter()
        .rev()
        .take(count)
        .map(|i| stop_task(svc, i, now, &reason, Some(0)).id)
        .collect();
    if !stopped.is_empty() {
        let name = &svc.spec.name;
        let list: String = stopped.iter().map(|id| format!(" (task {id})")).collect();
        let message = format!(
            "(service {name}) has stopped {} running tasks:{list}.",
            stopped.len()
        );
        svc.push_event(hex(rng, 8), now, EventKind::TasksStopped, message);
    }
}

/// The PRIMARY deployment completed: the others are gone, the history and
/// the service's events say so.
pub(super) fn complete_primary(
    svc: &mut ServiceState,
    deployment_id: &str,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) {
    if let Some(d) = svc.deployments.first_mut() {
        d.rollout_state = RolloutState::Completed;
        d.rollout_reason = "ECS deployment completed.".into();
        d.updated_at = now;
    }
    svc.deployments.truncate(1);
    record_success(svc, deployment_id, now);
    let name = &svc.spec.name;
    let message = format!("(service {name}) (deployment {deployment_id}) deployment completed.");
    svc.push_event(hex(rng, 8), now, EventKind::DeploymentCompleted, message);
}
