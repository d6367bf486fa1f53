//! A scenario's faults on the living world: each step fires when the
//! drill's clock reaches it and changes what the world does from then on
//! (a bad release, more demand, a failed zone, a slow dependency, a
//! mistaken scale-out). Steps before the start (`-3d`) are applied when the
//! drill begins, dated when they happened.

use super::*;
use crate::scenario::{Fault, Scenario};

/// A drill being played on the world.
#[derive(Debug, Clone)]
pub struct Running {
    pub scenario: Scenario,
    /// When the drill began (its clock's zero).
    pub started: Timestamp,
    /// Steps fired so far, in order.
    fired: usize,
    /// When each fired step took effect.
    pub fired_at: Vec<Timestamp>,
}

impl Running {
    pub fn new(scenario: Scenario, started: Timestamp) -> Self {
        Running {
            scenario,
            started,
            fired: 0,
            fired_at: vec![],
        }
    }

    /// Whether the drill's time is up.
    pub fn over(&self, now: Timestamp) -> bool {
        now - self.started >= Duration::minutes(i64::from(self.scenario.minutes))
    }
}

/// A service made slow (the dependency) or failing because of it (a caller).
#[derive(Debug, Clone, PartialEq)]
pub struct Impairment {
    pub until: Timestamp,
    pub latency_factor: f64,
    /// Extra 5xx percentage.
    pub errors: f64,
    /// What its error log lines say.
    pub error_message: Option<String>,
}

/// An availability zone that failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Outage {
    pub zone: String,
    pub until: Timestamp,
    /// Services whose replacements find no room in the other zones.
    pub unplaceable: Vec<String>,
}

/// A desired count that changed the bill from a day on: Cost Explorer's
/// daily lines follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct CostChange {
    pub service: String,
    pub desired: u32,
    pub since: Timestamp,
}

/// Who a scenario's scale-out is by, as CloudTrail names them.
const MISTAKE_BY: (&str, &str) = (
    "assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k",
    "203.0.113.57",
);

impl World {
    /// Fires every step of the drill that is due at the world's time.
    pub(super) fn fire_due_steps(&mut self) {
        let now = self.now;
        let Some(running) = self.scenario.as_mut() else {
            return;
        };
        let env_name = running.scenario.environment.get_ref().clone();
        let mut due = vec![];
        while let Some(step) = running.scenario.steps.get(running.fired) {
            let at = running.started + step.at;
            if at > now {
                break;
            }
            due.push((step.fault.clone(), at));
            running.fired += 1;
            running.fired_at.push(now);
        }
        let rng = &mut self.rng;
        let Some(env) = self.envs.iter_mut().find(|e| e.spec.name == env_name) else {
            return;
        };
        for (fault, at) in due {
            apply(env, &fault, at, now, rng);
        }
    }
}

/// Before a drill begins, what its story takes for granted: a service the
/// failed zone will leave unplaceable runs a task in that zone (ECS spread
/// it there), so the outage stops it and its replacement finds no room.
pub(super) fn stage(env: &mut EnvState, fault: &Fault) {
    let Fault::AzOutage {
        zone, unplaceable, ..
    } = fault
    else {
        return;
    };
    for name in unplaceable {
        if let Some(svc) = env.service_mut(name)
            && !svc.tasks.iter().any(|t| t.availability_zone == *zone)
            && let Some(task) = svc.tasks.first_mut()
        {
            task.availability_zone = zone.clone();
        }
    }
}

/// Applies one fault to its environment at `now` (`at`: when the step says
/// it happened, earlier for steps before the drill).
fn apply(env: &mut EnvState, fault: &Fault, at: Timestamp, now: Timestamp, rng: &mut ChaCha8Rng) {
    match fault {
        Fault::Deploy { service, tag } => {
            if let Some(svc) = env.service_mut(service) {
                ci_deploys(svc, now, rng, PIPELINE, Some(tag));
            }
        }
        Fault::Demand {
            service,
            factor,
            minutes,
        } => {
            if let Some(svc) = env.service_mut(service) {
                svc.spike = Some(Spike {
                    until: now + Duration::minutes(i64::from(*minutes)),
                    demand: *factor,
                    errors: 0.0,
                    lag: 0.0,
                });
            }
        }
        Fault::AzOutage {
            zone,
            minutes,
            unplaceable,
        } => {
            env.outage = Some(Outage {
                zone: zone.clone(),
                until: now + Duration::minutes(i64::from(*minutes)),
                unplaceable: unplaceable.clone(),
            });
            for svc in &mut env.services {
                lose_zone(svc, zone, now, rng);
            }
        }
        Fault::SlowDependency {
            service,
            callers,
            latency_factor,
            caller_errors,
            minutes,
        } => {
            let until = now + Duration::minutes(i64::from(*minutes));
            if let Some(svc) = env.service_mut(service) {
                svc.impairment = Some(Impairment {
                    until,
                    latency_factor: *latency_factor,
                    errors: 0.3,
                    error_message: None,
                });
            }
            for caller in callers {
                if let Some(svc) = env.service_mut(caller) {
                    svc.impairment = Some(Impairment {
                        until,
                        latency_factor: 1.0 + latency_factor / 2.0,
                        errors: *caller_errors,
                        error_message: Some(format!(
                            "upstream {service} timed out after 5000 ms (GET /{service}/query)"
                        )),
                    });
                }
            }
        }
        Fault::Scale {
            service,
            desired,
            min,
            max,
        } => {
            let Some(svc) = env.service_mut(service) else {
                return;
            };
            svc.desired = *desired;
            if at < now {
                started_long_ago(svc, at, rng);
            }
            let mut parameters = vec![format!("desiredCount={desired}")];
            if let Some(t) = svc.target.as_mut() {
                t.min = min.unwrap_or(t.min);
                t.max = max.unwrap_or(t.max).max(t.min);
                parameters.push(format!("minCapacity={} maxCapacity={}", t.min, t.max));
            }
            let event = write_event(rng, at, "UpdateService", MISTAKE_BY, svc, parameters);
            svc.record_write(event);
            env.cost_changes.push(CostChange {
                service: service.clone(),
                desired: *desired,
                since: at,
            });
        }
    }
}

/// A scale-out dated before the drill: the tasks it added have run since
/// then (started when it happened, as ECS announced them), not since the
/// drill began.
fn started_long_ago(svc: &mut ServiceState, at: Timestamp, rng: &mut ChaCha8Rng) {
    let Some(primary) = svc.deployments.first().cloned() else {
        return;
    };
    let running = svc.tasks.len() as u32;
    if svc.desired <= running {
        return;
    }
    let mut ids = vec![];
    for _ in running..svc.desired {
        let mut task = new_task(&primary, &svc.tasks, at, rng);
        task.phase = TaskPhase::Running;
        task.started_at = Some(at + Duration::seconds(40));
        ids.push(task.id.clone());
        svc.tasks.push(task);
    }
    let name = svc.spec.name.clone();
    let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
    svc.push_event(
        hex(rng, 8),
        at,
        EventKind::TasksStarted,
        format!("(service {name}) has started {} tasks:{list}.", ids.len()),
    );
}

/// Every task of `svc` in `zone` stops: its host is gone.
fn lose_zone(svc: &mut ServiceState, zone: &str, now: Timestamp, rng: &mut ChaCha8Rng) {
    let lost: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| svc.tasks[i].availability_zone == zone)
        .collect();
    if lost.is_empty() {
        return;
    }
    let mut ids = vec![];
    for i in lost.into_iter().rev() {
        let instance = format!("i-0{}", hex(rng, 16));
        let reason = format!("Host EC2 (instance {instance}) terminated.");
        ids.push(stop_task(svc, i, now, &reason, None).id);
    }
    let name = svc.spec.name.clone();
    let list: String = ids.iter().map(|id| format!(" (task {id})")).collect();
    svc.push_event(
        hex(rng, 8),
        now,
        EventKind::TasksStopped,
        format!(
            "(service {name}) has stopped {} running tasks:{list}.",
            ids.len()
        ),
    );
}

/// Ends what has run its time: a zone comes back, a dependency recovers.
pub(super) fn expire(env: &mut EnvState, now: Timestamp) {
    if env.outage.as_ref().is_some_and(|o| o.until <= now) {
        env.outage = None;
    }
    for svc in &mut env.services {
        if svc.impairment.as_ref().is_some_and(|i| i.until <= now) {
            svc.impairment = None;
        }
    }
}

/// While a zone is down: the tasks ECS just launched there go to the other
/// zones, and a service that finds no room anywhere gets none, only ECS's
/// placement event (at most every 5 minutes, as ECS repeats it).
pub(super) fn place(svc: &mut ServiceState, outage: &Outage, now: Timestamp, rng: &mut ChaCha8Rng) {
    let fresh = |t: &SimTask| t.launched_at == now && matches!(t.phase, TaskPhase::Pending { .. });
    if outage.unplaceable.contains(&svc.spec.name) {
        let before = svc.tasks.len();
        svc.tasks.retain(|t| !fresh(t));
        if svc.tasks.len() == before {
            return;
        }
        // Nothing started: ECS never announces tasks it could not place.
        svc.events.retain(|e| {
            !(e.created_at == now && e.kind == flightdeck_model::EventKind::TasksStarted)
        });
        let name = svc.spec.name.clone();
        let said_lately = svc.events.iter().any(|e| {
            now - e.created_at < Duration::minutes(5)
                && e.kind == flightdeck_model::EventKind::UnableToPlace
        });
        if !said_lately {
            let instance = hex(rng, 32);
            svc.push_event(
                hex(rng, 8),
                now, EventKind::UnableToPlace,
                format!(
                    "(service {name}) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance {instance}) has insufficient memory available."
                ));
        }
        return;
    }
    let others: Vec<&str> = crate::scenario::ZONES
        .iter()
        .copied()
        .filter(|z| *z != outage.zone)
        .collect();
    for task in svc.tasks.iter_mut().filter(|t| fresh(t)) {
        if task.availability_zone == outage.zone {
            task.availability_zone = others[rng.random_range(0..others.len())].to_string();
        }
    }
}
