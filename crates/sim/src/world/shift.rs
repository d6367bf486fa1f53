//! Traffic-shifting deployments (blue/green, canary, linear), the way ECS
//! runs them: the new revision (green) scales up beside the old (blue), a
//! lifecycle hook may test it, production traffic moves by the strategy's
//! steps, both run through a bake, then blue is cleaned up. A failing hook,
//! a rollback alarm or the operator switches traffic back to blue at once.
//!
//! A pause hook after the smoke test waits for the operator to continue
//! (ContinueServiceDeployment) and rolls back at its timeout; the release
//! manager approves CI's own deployments a few minutes into the pause.
//!
//! Images whose tag contains `smokefail` fail the smoke-test hook; tags with
//! `errors` answer with 5xx errors in proportion to the traffic they take.

use super::*;
use flightdeck_model::{
    HookRun, HookStatus, HookTarget, HookTimeoutAction, LifecycleStage, ServiceDeploymentStatus,
};

/// A traffic-shifting deployment in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// The green deployment.
    pub deployment_id: String,
    pub stage: LifecycleStage,
    /// When the stage began.
    pub since: Timestamp,
    /// Percent of production traffic on green.
    pub traffic: f64,
    /// Whether the smoke-test hook passed.
    pub tested: bool,
    /// When the pause hook began waiting for someone to continue.
    pub waiting_since: Option<Timestamp>,
    /// CI's deployments: the release manager continues them.
    pub pipeline_approves: bool,
}

/// How long the smoke-test hook runs.
const HOOK_RUNS: i64 = 1;
/// How long into a pause the release manager continues CI's deployment.
const RELEASE_MANAGER_MINUTES: i64 = 4;
/// Who continues CI's deployments, as CloudTrail names them.
const RELEASE_MANAGER: (&str, &str) = (
    "assumed-role/AWSReservedSSO_ReleaseManager_2d41c7/dana.r",
    "203.0.113.61",
);

impl ServiceState {
    /// Percent of production traffic on a revision that answers with
    /// errors (the demo's `errors` tag): it raises the service's 5xx rate.
    pub fn traffic_on_errors(&self) -> f64 {
        let Some(shift) = &self.shift else {
            return 0.0;
        };
        let green = self
            .deployments
            .iter()
            .find(|d| d.id == shift.deployment_id)
            .map(|d| d.task_definition.revision);
        match green {
            Some(r) if self.tagged(r, "errors") => shift.traffic,
            _ => 0.0,
        }
    }

    /// Updates the history entry of the green deployment with where it is.
    fn record_progress(&mut self) {
        let Some(shift) = self.shift.clone() else {
            return;
        };
        let arn = self.deployment_arn(&shift.deployment_id);
        if let Some(d) = self.history.iter_mut().find(|d| d.arn == arn) {
            d.stage = Some(shift.stage.clone());
            d.traffic_on_target = Some(shift.traffic);
        }
    }

    /// Records a hook's run in the green deployment's history entry,
    /// replacing its earlier state.
    fn record_hook(&mut self, run: HookRun) {
        let Some(shift) = &self.shift else {
            return;
        };
        let arn = self.deployment_arn(&shift.deployment_id);
        if let Some(d) = self.history.iter_mut().find(|d| d.arn == arn) {
            match d.hooks.iter_mut().find(|h| h.name == run.name) {
                Some(h) => *h = run,
                None => d.hooks.push(run),
            }
        }
    }

    fn hook(&self, kind: HookKind) -> Option<&LifecycleHook> {
        self.config.hooks.iter().find(|h| h.kind == kind)
    }

    /// The pause hook's id in this deployment.
    fn pause_id(&self) -> Option<String> {
        self.shift
            .as_ref()
            .map(|s| format!("pause-{}", s.deployment_id.rsplit('/').next().unwrap_or("")))
    }
}

/// A deployment just started on a service whose strategy shifts traffic.
pub(super) fn begin_shift(svc: &mut ServiceState, deployment_id: &str, now: Timestamp) {
    if matches!(svc.config.strategy, Strategy::Rolling { .. }) {
        return;
    }
    svc.shift = Some(Shift {
        deployment_id: deployment_id.to_string(),
        stage: LifecycleStage::ScaleUp,
        since: now,
        traffic: 0.0,
        tested: false,
        waiting_since: None,
        pipeline_approves: false,
    });
    svc.record_progress();
}

fn enter(svc: &mut ServiceState, stage: LifecycleStage, now: Timestamp) {
    if let Some(shift) = svc.shift.as_mut() {
        shift.stage = stage;
        shift.since = now;
    }
    svc.record_progress();
}

fn set_traffic(svc: &mut ServiceState, traffic: f64) {
    if let Some(shift) = svc.shift.as_mut() {
        shift.traffic = traffic.clamp(0.0, 100.0);
    }
    svc.record_progress();
}

/// One tick of the deployment: the next stage when the current one is done.
pub(super) fn progress_shift(svc: &mut ServiceState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let Some(shift) = svc.shift.clone() else {
        return;
    };
    let Some(green) = svc
        .deployments
        .iter()
        .find(|d| d.id == shift.deployment_id)
        .cloned()
    else {
        svc.shift = None;
        return;
    };
    let minutes = |m: u32| Duration::minutes(i64::from(m));
    let elapsed = now - shift.since;
    match shift.stage {
        LifecycleStage::ScaleUp => {
            let threshold = svc.desired.div_ceil(2).clamp(3, 200);
            if green.failed_tasks >= threshold {
                roll_back(
                    svc,
                    "ECS deployment circuit breaker: tasks failed to start.",
                    vec![],
                    now,
                    rng,
                );
            } else if green.running >= svc.desired {
                enter(svc, LifecycleStage::TestTrafficShift, now);
            }
        }
        LifecycleStage::TestTrafficShift => {
            if svc.config.hooks.is_empty() {
                enter(svc, LifecycleStage::ProductionTrafficShift, now);
                first_shift(svc);
            } else {
                enter(svc, LifecycleStage::PostTestTrafficShift, now);
                if let Some(function) = svc
                    .hook(HookKind::Lambda)
                    .map(|h| HookTarget::Function(h.name().to_string()))
                {
                    svc.record_hook(HookRun::new(function.clone(), HookStatus::InProgress));
                }
            }
        }
        LifecycleStage::PostTestTrafficShift => after_test_traffic(svc, &shift, &green, now, rng),
        LifecycleStage::ProductionTrafficShift => match svc.config.strategy {
            Strategy::Canary { bake_minutes, .. } if shift.traffic < 100.0 => {
                if elapsed >= minutes(bake_minutes) {
                    set_traffic(svc, 100.0);
                    enter(svc, LifecycleStage::BakeTime, now);
                }
            }
            Strategy::Linear {
                step_percent,
                step_bake_minutes,
            } if shift.traffic < 100.0 => {
                if elapsed >= minutes(step_bake_minutes) {
                    set_traffic(svc, shift.traffic + step_percent);
                    if let Some(s) = svc.shift.as_mut() {
                        s.since = now;
                    }
                }
            }
            _ => enter(svc, LifecycleStage::BakeTime, now),
        },
        LifecycleStage::BakeTime if elapsed >= minutes(svc.config.bake_minutes.unwrap_or(0)) => {
            clean_up(svc, &green, now, rng);
        }
        _ => {}
    }
}

/// After test traffic moved to green: the smoke test, then the pause for
/// someone to switch production traffic.
fn after_test_traffic(
    svc: &mut ServiceState,
    shift: &Shift,
    green: &Deployment,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) {
    if let Some(function) = svc
        .hook(HookKind::Lambda)
        .map(|h| HookTarget::Function(h.name().to_string()))
        && !shift.tested
    {
        if now - shift.since < Duration::minutes(HOOK_RUNS) {
            return;
        }
        if svc.tagged(green.task_definition.revision, "smokefail") {
            svc.record_hook(HookRun::new(function.clone(), HookStatus::Failed));
            roll_back(
                svc,
                "Lifecycle hook at POST_TEST_TRAFFIC_SHIFT failed: smoke tests did not pass.",
                vec![],
                now,
                rng,
            );
            return;
        }
        svc.record_hook(HookRun::new(function.clone(), HookStatus::Succeeded));
        if let Some(s) = svc.shift.as_mut() {
            s.tested = true;
        }
    }
    let Some(timeout) = svc
        .hook(HookKind::Pause)
        .map(|h| Duration::minutes(i64::from(h.timeout_minutes.unwrap_or(60))))
    else {
        switch_production_traffic(svc, now);
        return;
    };
    match shift.waiting_since {
        None => {
            if let Some(s) = svc.shift.as_mut() {
                s.waiting_since = Some(now);
            }
            svc.record_hook(HookRun {
                id: svc.pause_id(),
                name: HookTarget::Pause,
                status: HookStatus::AwaitingAction,
                expires_at: Some(now + timeout),
                timeout_action: Some(HookTimeoutAction::Rollback),
            });
        }
        Some(since) if now - since >= timeout => {
            svc.record_hook(HookRun::new(HookTarget::Pause, HookStatus::TimedOut));
            let reason = format!(
                "Lifecycle hook at POST_TEST_TRAFFIC_SHIFT timed out: nobody continued the deployment within {} min.",
                timeout.num_minutes()
            );
            roll_back(svc, &reason, vec![], now, rng);
        }
        Some(since)
            if shift.pipeline_approves
                && now - since >= Duration::minutes(RELEASE_MANAGER_MINUTES) =>
        {
            let arn = svc.deployment_arn(&shift.deployment_id);
            if continue_paused(svc, now) {
                let event = write_event(
                    rng,
                    now,
                    "ContinueServiceDeployment",
                    RELEASE_MANAGER,
                    svc,
                    vec![
                        format!("serviceDeploymentArn={arn}"),
                        "action=CONTINUE".into(),
                    ],
                );
                svc.record_write(event);
            }
        }
        Some(_) => {}
    }
}

/// The operator (or the release manager) continues a paused deployment:
/// production traffic moves to green. `false` when nothing waits.
pub fn continue_paused(svc: &mut ServiceState, now: Timestamp) -> bool {
    if svc.shift.as_ref().is_none_or(|s| s.waiting_since.is_none()) {
        return false;
    }
    svc.record_hook(HookRun {
        id: svc.pause_id(),
        ..HookRun::new(HookTarget::Pause, HookStatus::Succeeded)
    });
    switch_production_traffic(svc, now);
    true
}

fn switch_production_traffic(svc: &mut ServiceState, now: Timestamp) {
    enter(svc, LifecycleStage::ProductionTrafficShift, now);
    first_shift(svc);
}

/// The first move of production traffic: a canary's share, a linear
/// step, or all of it.
fn first_shift(svc: &mut ServiceState) {
    let traffic = match svc.config.strategy {
        Strategy::Canary { percent, .. } => percent,
        Strategy::Linear { step_percent, .. } => step_percent,
        _ => 100.0,
    };
    set_traffic(svc, traffic);
}

/// Blue is removed: the deployment completed.
fn clean_up(svc: &mut ServiceState, green: &Deployment, now: Timestamp, rng: &mut ChaCha8Rng) {
    enter(svc, LifecycleStage::CleanUp, now);
    replace_old_tasks(svc, &green.id, usize::MAX, now, rng);
    svc.shift = None;
    svc.swap_groups();
    complete_primary(svc, &green.id, now, rng);
}

/// Traffic back to blue at once, green's tasks stopped: what ECS does when a
/// hook fails, a rollback alarm goes off or the operator rolls back.
/// `false` when no traffic-shifting deployment is in progress.
pub(super) fn roll_back(
    svc: &mut ServiceState,
    reason: &str,
    alarms: Vec<String>,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> bool {
    let Some(shift) = svc.shift.take() else {
        return false;
    };
    let green_id = shift.deployment_id;
    let green: Vec<usize> = (0..svc.tasks.len())
        .filter(|&i| svc.tasks[i].deployment_id == green_id)
        .collect();
    for i in green.into_iter().rev() {
        stop_task(
            svc,
            i,
            now,
            "Deployment rolled back: traffic switched back",
            Some(0),
        );
    }
    fail_primary(svc, reason, now);
    // Blue never stopped serving: it is the primary again, completed.
    if let Some(blue) = svc.deployments.iter().position(|d| d.id != green_id) {
        let mut blue = svc.deployments.remove(blue);
        blue.status = DeploymentStatus::Primary;
        svc.current_revision = blue.task_definition.revision;
        for d in &mut svc.deployments {
            d.status = DeploymentStatus::Active;
        }
        svc.deployments.insert(0, blue);
    }
    let arn = svc.deployment_arn(&green_id);
    if let Some(d) = svc.history.iter_mut().find(|d| d.arn == arn) {
        d.status = ServiceDeploymentStatus::RollbackSuccessful;
        d.status_reason = Some(reason.into());
        d.rollback_reason = Some(reason.into());
        d.traffic_on_target = Some(0.0);
        d.triggered_alarms = alarms;
        d.finished_at = Some(now);
    }
    let name = svc.spec.name.clone();
    svc.push_event(
        hex(rng, 8),
        now,
        EventKind::RolledBack,
        format!("(service {name}) (deployment {green_id}) rolled back: {reason}"),
    );
    true
}

/// After the alarms of a minute are evaluated: a rollback alarm in ALARM
/// rolls back the deployment in progress that names it.
pub(super) fn alarm_rollbacks(env: &mut EnvState, now: Timestamp, rng: &mut ChaCha8Rng) {
    let firing: Vec<String> = env
        .alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .map(|a| a.spec.name.clone())
        .collect();
    for svc in &mut env.services {
        let shifting = svc.shift.as_ref().is_some_and(|s| s.traffic > 0.0);
        let triggered: Vec<String> = svc
            .config
            .rollback_alarms
            .iter()
            .filter(|a| firing.contains(a))
            .cloned()
            .collect();
        if shifting && !triggered.is_empty() {
            let reason = format!(
                "CloudWatch alarm {} went into ALARM during the deployment.",
                triggered.join(", ")
            );
            roll_back(svc, &reason, triggered, now, rng);
        }
    }
}
