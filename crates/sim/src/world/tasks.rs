//! Tasks of a tick: launch, start after a few ticks, stop with a reason,
//! die at random, and match the desired count.

use super::*;

/// A task of `deployment`, placed as ECS spreads a service's tasks over
/// the zones (`spread(attribute:ecs.availability-zone)`): in a zone with
/// the fewest of `running` (its other tasks), the draw breaking ties.
pub(super) fn new_task(
    deployment: &Deployment,
    running: &[SimTask],
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> SimTask {
    let count = |zone: &str| {
        running
            .iter()
            .filter(|t| t.availability_zone == zone)
            .count()
    };
    let fewest = crate::scenario::ZONES
        .iter()
        .map(|z| count(z))
        .min()
        .unwrap_or(0);
    let emptiest: Vec<&str> = crate::scenario::ZONES
        .iter()
        .copied()
        .filter(|z| count(z) == fewest)
        .collect();
    let az = emptiest[rng.random_range(0..emptiest.len())];
    SimTask {
        id: hex(rng, 32),
        task_definition: deployment.task_definition.clone(),
        deployment_id: deployment.id.clone(),
        phase: TaskPhase::Pending {
            ready_at: now + TICK * TASK_START_TICKS as i32,
        },
        availability_zone: az.to_string(),
        launched_at: now,
        started_at: None,
        stopped_at: None,
        stopped_reason: None,
        exit_code: None,
        unhealthy: false,
    }
}

/// Stops task `index` of `svc`: the tick that follows starts a replacement
/// when the service wants more tasks than it runs.
pub fn stop_task(
    svc: &mut ServiceState,
    index: usize,
    now: Timestamp,
    reason: &str,
    exit_code: Option<i32>,
) -> SimTask {
    let mut task = svc.tasks.remove(index);
    task.phase = TaskPhase::Stopped;
    task.stopped_at = Some(now);
    task.stopped_reason = Some(reason.to_string());
    task.exit_code = exit_code;
    svc.stopped.push_front(task.clone());
    svc.stopped.truncate(STOPPED_TASKS_KEPT);
    task
}

/// Stops task `index` for `reason` and counts it against its deployment
/// (what the circuit breaker tallies).
fn fail_task(svc: &mut ServiceState, index: usize, now: Timestamp, reason: &str) -> SimTask {
    let task = stop_task(svc, index, now, reason, None);
    if let Some(d) = svc
        .deployments
        .iter_mut()
        .find(|d| d.id == task.deployment_id)
    {
        d.failed_tasks += 1;
    }
    task
}

/// Pending tasks become RUNNING when their time comes, unless their image
/// cannot be pulled (stopped, counted against their deployment) or never
/// becomes healthy (left pending: the rollout makes no progress).
pub(super) fn progress_tasks(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let faults: HashMap<u32, Option<ImageFault>> = svc
        .tasks
        .iter()
        .map(|t| t.task_definition.revision)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|r| (r, svc.cached_image_fault(r)))
        .collect();
    let mut cannot_pull = vec![];
    for (i, task) in svc.tasks.iter_mut().enumerate() {
        let TaskPhase::Pending { ready_at } = task.phase else {
            continue;
        };
        if ready_at > now {
            continue;
        }
        match faults
            .get(&task.task_definition.revision)
            .copied()
            .flatten()
        {
            Some(ImageFault::CannotPull) => cannot_pull.push(i),
            Some(ImageFault::NeverHealthy) => {}
            Some(ImageFault::FailsHealthChecks) | None => {
                task.phase = TaskPhase::Running;
                task.started_at = Some(now);
            }
        }
    }
    fail_health_checks(svc, &faults, now, rng);
    let name = svc.spec.name.clone();
    for i in cannot_pull.into_iter().rev() {
        let revision = svc.tasks[i].task_definition.revision;
        let image = svc
            .images(revision)
            .into_iter()
            .map(|(_, image)| image)
            .find(|image| image.contains("broken"))
            .unwrap_or_default();
        let reason = format!(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
        );
        let task = fail_task(svc, i, now, &reason);
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::Other,
            format!(
                "(service {name}) (task {}) failed to start: {reason}",
                task.id
            ),
        );
    }
}

/// How long a task of an unhealthy image runs before the load balancer's
/// health checks have failed enough times for ECS to stop it.
const HEALTH_CHECKS_FAIL_AFTER: Duration = Duration::seconds(90);
/// How long before the load balancer first marks it unhealthy (two failed
/// checks 15 s apart, after the grace period).
const MARKED_UNHEALTHY_AFTER: Duration = Duration::seconds(30);

/// Tasks of an image that fails its health checks are stopped a while after
/// they start, and count against their deployment (the circuit breaker's
/// tally).
fn fail_health_checks(
    svc: &mut ServiceState,
    faults: &HashMap<u32, Option<ImageFault>>,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) {
    let ran = |t: &SimTask, after: Duration| {
        faults.get(&t.task_definition.revision).copied().flatten()
            == Some(ImageFault::FailsHealthChecks)
            && t.started_at.is_some_and(|s| now - s >= after)
    };
    let name = svc.spec.name.clone();
    // A service behind no load balancer fails its container health check.
    let group = svc.target_groups.first().cloned();
    let check = group.as_ref().map_or_else(
        || "container health checks".to_string(),
        |g| format!("ELB health checks in (target-group {g})"),
    );
    // First the load balancer marks them unhealthy (the task shows it, ECS
    // says so once): the failure is visible before the circuit breaker acts.
    let marked: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| !svc.tasks[i].unhealthy && ran(&svc.tasks[i], MARKED_UNHEALTHY_AFTER))
        .collect();
    for i in marked {
        svc.tasks[i].unhealthy = true;
        let id = svc.tasks[i].id.clone();
        let message = match &group {
            Some(group) => format!(
                "(service {name}) (port 80) (task {id}) is unhealthy in (target-group {group}) due to (reason Health checks failed)."
            ),
            None => format!(
                "(service {name}) (task {id}) is unhealthy: its container health check failed."
            ),
        };
        svc.push_event(hex(rng, 8), now, EventKind::Unhealthy, message);
    }
    let failing: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| ran(&svc.tasks[i], HEALTH_CHECKS_FAIL_AFTER))
        .collect();
    for i in failing.into_iter().rev() {
        let reason = format!("Task failed {check}");
        let task = fail_task(svc, i, now, &reason);
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::TasksStopped,
            format!(
                "(service {name}) has stopped 1 running tasks: (task {}).",
                task.id
            ),
        );
    }
}

/// Now and then a task dies (out of memory, failed health check) and ECS
/// replaces it: the stop reasons an on-call engineer needs to see.
pub(super) fn maybe_fail_task(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let stressed = svc.spike.is_some();
    let p = if stressed {
        1.0 / 900.0
    } else {
        1.0 / 40_000.0
    };
    let running: Vec<usize> = svc
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.phase == TaskPhase::Running)
        .map(|(i, _)| i)
        .collect();
    for &i in running.iter().rev() {
        if rng.random_bool(p) {
            let out_of_memory_now = rng.random_bool(0.5);
            let (reason, code) = match svc.target_groups.first() {
                Some(group) if !out_of_memory_now => (
                    format!("Task failed ELB health checks in (target-group {group})"),
                    None,
                ),
                _ => (out_of_memory(svc), Some(137)),
            };
            let task = stop_task(svc, i, now, &reason, code);
            let name = svc.spec.name.clone();
            svc.push_event(
                hex(rng, 8),
                now,
                EventKind::TasksStopped,
                format!(
                    "(service {name}) has stopped 1 running tasks: (task {}).",
                    task.id
                ),
            );
        }
    }
}

/// ECS's stop reason for a task whose essential container ran out of memory.
fn out_of_memory(svc: &ServiceState) -> String {
    let container = svc.spec.containers.first().map_or("", |c| c.name.as_str());
    format!(
        "Essential container in task exited: {container} OutOfMemoryError: Container killed due to memory usage"
    )
}

/// A leaking service: each running task is killed for running out of
/// memory `leak_minutes` after it started, and the scheduler replaces it.
pub(super) fn leak_kills(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let Some(minutes) = svc.spec.leak_minutes else {
        return;
    };
    let lifetime = Duration::minutes(i64::from(minutes));
    let doomed: Vec<usize> = svc
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.phase == TaskPhase::Running && t.started_at.is_some_and(|s| now - s >= lifetime)
        })
        .map(|(i, _)| i)
        .collect();
    let name = svc.spec.name.clone();
    let reason = out_of_memory(svc);
    for i in doomed.into_iter().rev() {
        let task = stop_task(svc, i, now, &reason, Some(137));
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::TasksStopped,
            format!(
                "(service {name}) has stopped 1 running tasks: (task {}).",
                task.id
            ),
        );
    }
}

/// Starts or stops tasks of the primary deployment to match the desired count.
pub(super) fn reconcile_desired(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let name = svc.spec.name.clone();
    let Some(primary) = svc.deployments.first().cloned() else {
        return;
    };
    let on_primary = svc
        .tasks
        .iter()
        .filter(|t| t.deployment_id == primary.id)
        .count() as u32;
    let in_rollout = svc.deployments.len() > 1;
    let total = svc.tasks.len() as u32;
    // A traffic-shifting deployment starts the whole green fleet beside
    // blue, whatever blue runs; a rolling update runs up to 200 %;
    // otherwise match desired exactly.
    let ceiling = if svc.shift.is_some() {
        total + svc.desired
    } else if in_rollout {
        svc.desired * 2
    } else {
        svc.desired
    };
    if on_primary < svc.desired && total < ceiling.max(svc.desired) {
        let n = (svc.desired - on_primary).min(ceiling.max(svc.desired) - total);
        let mut ids = vec![];
        for _ in 0..n {
            let task = new_task(&primary, &svc.tasks, now, rng);
            ids.push(task.id.clone());
            svc.tasks.push(task);
        }
        if !ids.is_empty() {
            let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
            svc.push_event(
                hex(rng, 8),
                now,
                EventKind::TasksStarted,
                format!("(service {name}) has started {n} tasks:{list}."),
            );
        }
    } else if !in_rollout && total > svc.desired {
        let n = (total - svc.desired) as usize;
        let reason = format!("Scaling activity initiated by (deployment {})", primary.id);
        let mut ids = vec![];
        for _ in 0..n {
            // Stop the newest task first, pending before running.
            let idx = svc.tasks.len() - 1;
            ids.push(stop_task(svc, idx, now, &reason, Some(0)).id);
        }
        let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::TasksStopped,
            format!("(service {name}) has stopped {n} running tasks:{list}."),
        );
    }
    let steady = !in_rollout && svc.running() == svc.desired && svc.pending() == 0;
    if steady && now - svc.last_steady_event >= Duration::hours(6) {
        svc.push_event(
            hex(rng, 8),
            now,
            EventKind::SteadyState,
            format!("(service {name}) has reached a steady state."),
        );
        svc.last_steady_event = now;
    }
}
