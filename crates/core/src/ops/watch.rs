//! Following the deployment a write created to its end. "Stable" is not
//! "succeeded": a rollout succeeded only when our deployment is the live one
//! with rolloutState COMPLETED on our task definition.

use chrono::Duration;
use flightdeck_model::{
    DeploymentConfig, DeploymentStatus, LifecycleStage, RolloutState, Service, ServiceDeployment,
    ServiceDeploymentStatus, Strategy, TaskDefRef, Timestamp, trim_float,
};
use serde::Serialize;
use std::fmt;

/// The default time without progress after which a rollout is STUCK.
pub const STUCK_AFTER: Duration = Duration::minutes(10);
/// How long a new deployment may take to appear in what ECS reports.
const SHOW_UP: Duration = Duration::minutes(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutStatus {
    InProgress,
    Succeeded,
    Failed,
    /// The circuit breaker (or somebody) put the service back on another
    /// revision: stable, but not what we deployed.
    RolledBack,
    /// No progress for longer than the stuck limit.
    Stuck,
}

impl RolloutStatus {
    pub fn is_final(self) -> bool {
        !matches!(self, RolloutStatus::InProgress)
    }
}

impl fmt::Display for RolloutStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RolloutStatus::InProgress => "IN PROGRESS",
            RolloutStatus::Succeeded => "SUCCEEDED",
            RolloutStatus::Failed => "FAILED",
            RolloutStatus::RolledBack => "ROLLED BACK",
            RolloutStatus::Stuck => "STUCK",
        })
    }
}

/// One rollout being followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Watch {
    pub environment: String,
    pub cluster: String,
    pub service: String,
    pub deployment_id: String,
    pub task_definition: TaskDefRef,
    pub started: Timestamp,
    pub stuck_after: Duration,
    /// `(running, pending, failed)` of our deployment at the last change.
    progress: (u32, u32, u32),
    last_progress: Timestamp,
    /// Whether a read has shown our deployment yet: until then its absence
    /// means the read is older than our write, not that it is gone.
    seen: bool,
    /// How the service deploys (the strategy's waits, bake times).
    config: DeploymentConfig,
    /// ECS's record of our deployment (DescribeServiceDeployments): its
    /// stage, traffic and hooks, for the strategies that shift traffic.
    pub history: Option<ServiceDeployment>,
    /// When its stage or traffic last moved, as far as the watch saw.
    stage_since: Timestamp,
    pub status: RolloutStatus,
    /// Why the status is what it is, in ECS's words where there are some.
    pub reason: String,
}

impl Watch {
    pub fn new(
        environment: &str,
        service: &Service,
        deployment_id: &str,
        started: Timestamp,
        stuck_after: Duration,
    ) -> Self {
        Watch {
            environment: environment.to_string(),
            cluster: service.cluster.clone(),
            service: service.name.clone(),
            deployment_id: deployment_id.to_string(),
            task_definition: service.task_definition.clone(),
            started,
            stuck_after,
            progress: (0, 0, 0),
            last_progress: started,
            seen: false,
            config: service.deployment_config.clone(),
            history: None,
            stage_since: started,
            status: RolloutStatus::InProgress,
            reason: String::new(),
        }
    }

    /// When our deployment began: ECS's own instant once its history names
    /// it, else when the watch began.
    pub fn began(&self) -> Timestamp {
        self.history.as_ref().map_or(self.started, |d| d.created_at)
    }

    /// Whether ECS's deployment history has more to say than the service
    /// (blue/green, canary, linear): then the watch reads it too.
    pub fn follows_history(&self) -> bool {
        !matches!(self.config.strategy, Strategy::Rolling { .. })
    }

    /// Takes ECS's service-deployment history of the service (newest first)
    /// and keeps our deployment's entry: the one of our revision created
    /// since the write. The next [`Watch::observe`] classifies with it.
    pub fn observe_history(&mut self, history: &[ServiceDeployment], now: Timestamp) {
        // Ours: of our revision, and started by our write or still going
        // when the watch began (continuing a paused deployment).
        let ours = history.iter().find(|d| {
            d.target.as_ref() == Some(&self.task_definition)
                && (d.created_at >= self.started - SHOW_UP
                    || d.finished_at.is_none_or(|f| f >= self.started))
        });
        let Some(ours) = ours else {
            return;
        };
        let moved = self.history.as_ref().is_none_or(|before| {
            before.stage != ours.stage || before.traffic_on_target != ours.traffic_on_target
        });
        if moved {
            self.stage_since = now;
        }
        self.history = Some(ours.clone());
    }

    /// Looks at the service once more and says where the rollout is.
    pub fn observe(&mut self, svc: &Service, now: Timestamp) -> RolloutStatus {
        if self.status.is_final() && self.status != RolloutStatus::Stuck {
            return self.status;
        }
        let (status, reason) = self.judge_by_service(svc, now);
        let (status, reason) = match &self.history {
            Some(h) => {
                let limit = self.stuck_after + self.config.planned_waits();
                let (from_history, mut why) = classify(h, self.stage_since, limit, now);
                if from_history == RolloutStatus::InProgress
                    && let Some(left) = bake_left(&self.config, h, self.stage_since, now)
                {
                    let minutes = (left.num_seconds() + 59) / 60;
                    why.push_str(&format!(", about {minutes} min of bake left"));
                }
                merge((status, reason), (from_history, why))
            }
            None => (status, reason),
        };
        self.status = status;
        self.reason = reason;
        status
    }

    /// The classification from the service's deployments alone.
    fn judge_by_service(&mut self, svc: &Service, now: Timestamp) -> (RolloutStatus, String) {
        let ours = svc.deployments.iter().find(|d| d.id == self.deployment_id);
        self.seen |= ours.is_some();
        match ours {
            None if !self.seen && now - self.started < SHOW_UP => (
                RolloutStatus::InProgress,
                "waiting for the deployment to show up".into(),
            ),
            Some(d) if d.rollout_state == RolloutState::Failed => {
                let back = svc
                    .primary_deployment()
                    .is_some_and(|p| p.id != self.deployment_id);
                if back {
                    (RolloutStatus::RolledBack, d.rollout_reason.clone())
                } else {
                    (RolloutStatus::Failed, d.rollout_reason.clone())
                }
            }
            Some(d)
                if d.status == DeploymentStatus::Primary
                    && d.rollout_state == RolloutState::Completed
                    && svc.task_definition == self.task_definition =>
            {
                (RolloutStatus::Succeeded, d.rollout_reason.clone())
            }
            Some(d) if d.status != DeploymentStatus::Primary => (
                RolloutStatus::Failed,
                "another deployment replaced ours before it completed".into(),
            ),
            Some(d) => {
                let now_progress = (d.running, d.pending, d.failed_tasks);
                if now_progress != self.progress {
                    self.progress = now_progress;
                    self.last_progress = now;
                }
                // A bake (canary, linear steps, the final bake) waits on
                // purpose: only beyond it is no progress STUCK.
                let limit = self.stuck_after + svc.deployment_config.planned_waits();
                if now - self.last_progress >= limit {
                    (
                        RolloutStatus::Stuck,
                        format!(
                            "no progress for {} min: {} running, {} pending, {} failed of {}",
                            (now - self.last_progress).num_minutes(),
                            d.running,
                            d.pending,
                            d.failed_tasks,
                            d.desired
                        ),
                    )
                } else {
                    (RolloutStatus::InProgress, d.rollout_reason.clone())
                }
            }
            None if svc.task_definition != self.task_definition => (
                RolloutStatus::RolledBack,
                format!(
                    "our deployment is gone; the service runs {}",
                    svc.task_definition
                ),
            ),
            None => (
                RolloutStatus::Failed,
                "our deployment is gone (replaced by another one)".into(),
            ),
        }
    }
}

/// One verdict from the service's deployments and one from ECS's
/// deployment history: ECS's history knows why a traffic-shifting
/// deployment ended (a hook, an alarm) and where it is (stage, traffic), so
/// its final word and its progress win; STUCK only when both see no move.
fn merge(
    service: (RolloutStatus, String),
    history: (RolloutStatus, String),
) -> (RolloutStatus, String) {
    use RolloutStatus::*;
    match (service.0, history.0) {
        (_, RolledBack | Failed) => history,
        (InProgress | Stuck, Succeeded) => history,
        // A bake or a pause is still to come after the tasks settle.
        (Succeeded, InProgress | Stuck) => history,
        (Stuck, Stuck) => history,
        (InProgress | Stuck, InProgress) => history,
        (InProgress, Stuck) => (InProgress, history.1),
        _ => service,
    }
}

/// How long the bake of a traffic-shifting deployment has to go: the final
/// bake, a canary's bake at its share, or the wait before a linear step.
/// Counted from `since`, when the watch saw the stage or traffic move, so
/// it may be longer than ECS's own count, never shorter.
pub fn bake_left(
    config: &DeploymentConfig,
    d: &ServiceDeployment,
    since: Timestamp,
    now: Timestamp,
) -> Option<Duration> {
    let minutes = match (&d.stage, &config.strategy) {
        (Some(LifecycleStage::BakeTime), _) => config.bake_minutes?,
        (Some(LifecycleStage::ProductionTrafficShift), Strategy::Canary { bake_minutes, .. })
        | (
            Some(LifecycleStage::ProductionTrafficShift),
            Strategy::Linear {
                step_bake_minutes: bake_minutes,
                ..
            },
        ) if d.traffic_on_target.is_some_and(|t| t > 0.0 && t < 100.0) => *bake_minutes,
        _ => return None,
    };
    let left = Duration::minutes(i64::from(minutes)) - (now - since);
    Some(left.max(Duration::zero()))
}

/// Where one deployment of ECS's service-deployment history is, whatever
/// its strategy (rolling, blue/green, canary, linear): the same
/// classification as [`Watch::observe`], from DescribeServiceDeployments.
/// `last_change` is when its stage or traffic last moved: in progress
/// without a move for `stuck_after` is STUCK, except during a bake, whose
/// length the strategy sets.
pub fn classify(
    d: &ServiceDeployment,
    last_change: Timestamp,
    stuck_after: Duration,
    now: Timestamp,
) -> (RolloutStatus, String) {
    let reason = |r: &Option<String>| r.clone().unwrap_or_default();
    match &d.status {
        ServiceDeploymentStatus::Successful => (RolloutStatus::Succeeded, reason(&d.status_reason)),
        ServiceDeploymentStatus::RollbackRequested
        | ServiceDeploymentStatus::RollbackInProgress
        | ServiceDeploymentStatus::RollbackSuccessful => {
            let why = d
                .rollback_reason
                .clone()
                .or_else(|| d.status_reason.clone())
                .unwrap_or_default();
            let alarms = if d.triggered_alarms.is_empty() {
                String::new()
            } else {
                format!(" (alarms: {})", d.triggered_alarms.join(", "))
            };
            (RolloutStatus::RolledBack, format!("{why}{alarms}"))
        }
        ServiceDeploymentStatus::RollbackFailed => (
            RolloutStatus::Failed,
            format!("the rollback failed: {}", reason(&d.status_reason)),
        ),
        ServiceDeploymentStatus::Stopped | ServiceDeploymentStatus::StopRequested => (
            RolloutStatus::Failed,
            format!("stopped: {}", reason(&d.status_reason)),
        ),
        ServiceDeploymentStatus::Pending
        | ServiceDeploymentStatus::InProgress
        | ServiceDeploymentStatus::Other(_) => {
            let mut progress = vec![];
            if let Some(stage) = &d.stage {
                progress.push(format!("stage {stage}"));
            }
            if let Some(weight) = d.traffic_on_target {
                progress.push(format!(
                    "{} % of traffic on the new revision",
                    trim_float(weight)
                ));
            }
            for hook in &d.hooks {
                progress.push(hook.to_string());
            }
            if d.waiting_hook().is_some() {
                progress.insert(
                    0,
                    "waiting for someone to continue or roll back".to_string(),
                );
            }
            // A bake or a pause waits on purpose: the strategy or a person
            // decides how long.
            let waiting = d.stage == Some(LifecycleStage::BakeTime) || d.waiting_hook().is_some();
            if !waiting && now - last_change >= stuck_after {
                progress.insert(
                    0,
                    format!("no progress for {} min", (now - last_change).num_minutes()),
                );
                (RolloutStatus::Stuck, progress.join(", "))
            } else {
                (RolloutStatus::InProgress, progress.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use flightdeck_model::{Deployment, LaunchType};

    fn t(min: i64) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap()
            + Duration::minutes(min)
    }

    fn deployment(
        id: &str,
        rev: u32,
        status: DeploymentStatus,
        state: RolloutState,
        running: u32,
    ) -> Deployment {
        Deployment {
            id: id.into(),
            status,
            task_definition: TaskDefRef::new("api", rev),
            desired: 2,
            running,
            pending: 0,
            failed_tasks: 0,
            rollout_state: state,
            rollout_reason: String::new(),
            created_at: t(0),
            updated_at: t(0),
        }
    }

    fn service(rev: u32, deployments: Vec<Deployment>) -> Service {
        Service {
            cluster: "c".into(),
            name: "api".into(),
            arn: String::new(),
            status: flightdeck_model::ServiceStatus::Active,
            desired: 2,
            running: 2,
            pending: 0,
            task_definition: TaskDefRef::new("api", rev),
            launch_type: LaunchType::Fargate,
            deployments,
            target_groups: vec![],
            alternate_target_groups: vec![],
            events: vec![],
            created_at: t(0),
            deployment_config: flightdeck_model::DeploymentConfig::default(),
            exec_enabled: false,
            placement: Default::default(),
        }
    }

    use DeploymentStatus::{Active, Primary};
    use RolloutState::{Completed, Failed, InProgress};

    #[test]
    fn completed_on_our_revision_is_success() {
        let start = service(8, vec![deployment("new", 8, Primary, InProgress, 0)]);
        let mut w = Watch::new("e", &start, "new", t(0), STUCK_AFTER);
        assert_eq!(w.observe(&start, t(1)), RolloutStatus::InProgress);
        let done = service(8, vec![deployment("new", 8, Primary, Completed, 2)]);
        assert_eq!(w.observe(&done, t(3)), RolloutStatus::Succeeded);
    }

    #[test]
    fn a_circuit_breaker_rollback_is_not_success() {
        let start = service(8, vec![deployment("new", 8, Primary, InProgress, 0)]);
        let mut w = Watch::new("e", &start, "new", t(0), STUCK_AFTER);
        let rolling_back = service(
            7,
            vec![
                deployment("back", 7, Primary, InProgress, 1),
                deployment("new", 8, Active, Failed, 0),
            ],
        );
        assert_eq!(w.observe(&rolling_back, t(2)), RolloutStatus::RolledBack);
        // Stable again on the old revision: still rolled back.
        let stable = service(7, vec![deployment("back", 7, Primary, Completed, 2)]);
        assert_eq!(w.observe(&stable, t(5)), RolloutStatus::RolledBack);
    }

    #[test]
    fn no_progress_for_the_limit_is_stuck_and_progress_unsticks() {
        let start = service(8, vec![deployment("new", 8, Primary, InProgress, 0)]);
        let mut w = Watch::new("e", &start, "new", t(0), Duration::minutes(5));
        assert_eq!(w.observe(&start, t(4)), RolloutStatus::InProgress);
        assert_eq!(w.observe(&start, t(6)), RolloutStatus::Stuck);
        let moving = service(8, vec![deployment("new", 8, Primary, InProgress, 1)]);
        assert_eq!(w.observe(&moving, t(7)), RolloutStatus::InProgress);
    }

    #[test]
    fn a_read_older_than_our_write_is_not_a_rollback() {
        let old = service(7, vec![deployment("old", 7, Primary, Completed, 2)]);
        let mut w = Watch::new("e", &service(8, vec![]), "new", t(0), STUCK_AFTER);
        assert_eq!(w.observe(&old, t(0)), RolloutStatus::InProgress);
        // Long after, still absent: gone, and the service is on another revision.
        assert_eq!(w.observe(&old, t(3)), RolloutStatus::RolledBack);
    }

    #[test]
    fn a_failed_rollout_without_rollback_is_failed() {
        let start = service(8, vec![deployment("new", 8, Primary, InProgress, 0)]);
        let mut w = Watch::new("e", &start, "new", t(0), STUCK_AFTER);
        let failed = service(8, vec![deployment("new", 8, Primary, Failed, 0)]);
        assert_eq!(w.observe(&failed, t(2)), RolloutStatus::Failed);
    }

    /// Recorded courses of service deployments, as DescribeServiceDeployments
    /// reports them through each strategy.
    fn recorded(status: ServiceDeploymentStatus) -> ServiceDeployment {
        crate::fixtures::service_deployment(8, status)
    }

    #[test]
    fn every_strategy_is_classified_from_its_deployment_history() {
        // A canary baking with 10 % of the traffic: in progress, however
        // long the bake.
        let mut canary = recorded(ServiceDeploymentStatus::InProgress);
        canary.stage = Some(LifecycleStage::BakeTime);
        canary.traffic_on_target = Some(10.0);
        canary.hooks = vec![flightdeck_model::HookRun::new(
            flightdeck_model::HookTarget::Function("smoke".into()),
            flightdeck_model::HookStatus::Succeeded,
        )];
        assert_eq!(
            classify(&canary, t(0), STUCK_AFTER, t(30)),
            (
                RolloutStatus::InProgress,
                "stage BAKE_TIME, 10 % of traffic on the new revision, hook smoke SUCCEEDED".into()
            )
        );
        // Blue/green scaling up without a move for longer than the limit.
        let mut blue_green = recorded(ServiceDeploymentStatus::InProgress);
        blue_green.stage = Some(LifecycleStage::ScaleUp);
        let (status, why) = classify(&blue_green, t(0), STUCK_AFTER, t(12));
        assert_eq!(status, RolloutStatus::Stuck);
        assert!(
            why.starts_with("no progress for 12 min, stage SCALE_UP"),
            "{why}"
        );
        // An alarm rolled it back: which alarm says why.
        let mut rolled = recorded(ServiceDeploymentStatus::RollbackSuccessful);
        rolled.rollback_reason = Some("CloudWatch alarm in ALARM".into());
        rolled.triggered_alarms = vec!["api-5xx".into()];
        assert_eq!(
            classify(&rolled, t(0), STUCK_AFTER, t(5)),
            (
                RolloutStatus::RolledBack,
                "CloudWatch alarm in ALARM (alarms: api-5xx)".into()
            )
        );
        // Done, stopped, and a rollback that failed.
        assert_eq!(
            classify(
                &recorded(ServiceDeploymentStatus::Successful),
                t(0),
                STUCK_AFTER,
                t(5)
            )
            .0,
            RolloutStatus::Succeeded
        );
        let mut stopped = recorded(ServiceDeploymentStatus::Stopped);
        stopped.status_reason = Some("a newer deployment started".into());
        assert_eq!(
            classify(&stopped, t(0), STUCK_AFTER, t(5)),
            (
                RolloutStatus::Failed,
                "stopped: a newer deployment started".into()
            )
        );
        assert_eq!(
            classify(
                &recorded(ServiceDeploymentStatus::RollbackFailed),
                t(0),
                STUCK_AFTER,
                t(5)
            )
            .0,
            RolloutStatus::Failed
        );
    }

    /// A blue/green deployment followed through ECS's history: the stage
    /// and the bake left while the service alone shows nothing moving, and
    /// ECS's rollback (a hook, an alarm) even before the service shows it.
    #[test]
    fn a_traffic_shifting_rollout_is_followed_through_its_history() {
        let mut start = service(8, vec![deployment("new", 8, Primary, InProgress, 2)]);
        start.deployment_config = flightdeck_model::DeploymentConfig {
            strategy: Strategy::BlueGreen,
            bake_minutes: Some(10),
            ..Default::default()
        };
        let mut w = Watch::new("e", &start, "new", t(0), Duration::minutes(5));
        assert!(w.follows_history());
        let mut green = recorded(ServiceDeploymentStatus::InProgress);
        green.created_at = t(0);
        green.stage = Some(LifecycleStage::BakeTime);
        green.traffic_on_target = Some(100.0);
        w.observe_history(&[green.clone()], t(3));
        // Seven minutes into the bake: tasks have not moved for 10 min,
        // longer than the stuck limit, but the bake is the plan.
        assert_eq!(w.observe(&start, t(10)), RolloutStatus::InProgress);
        assert!(
            w.reason.ends_with("about 3 min of bake left"),
            "{}",
            w.reason
        );
        // ECS rolls back on an alarm; the service still lists ours first.
        green.status = ServiceDeploymentStatus::RollbackInProgress;
        green.rollback_reason = Some("alarm".into());
        green.triggered_alarms = vec!["api-latency".into()];
        w.observe_history(&[green], t(11));
        assert_eq!(w.observe(&start, t(11)), RolloutStatus::RolledBack);
        assert_eq!(w.reason, "alarm (alarms: api-latency)");
    }

    #[test]
    fn a_pause_waits_for_the_operator_without_being_stuck() {
        // The tasks have settled (COMPLETED), as moto says at once: ECS's
        // history still has the pause and the bake to come.
        let mut start = service(8, vec![deployment("new", 8, Primary, Completed, 2)]);
        start.deployment_config.strategy = Strategy::BlueGreen;
        let mut w = Watch::new("e", &start, "new", t(0), Duration::minutes(5));
        let mut green = recorded(ServiceDeploymentStatus::InProgress);
        green.created_at = t(0);
        green.stage = Some(LifecycleStage::PostTestTrafficShift);
        green.hooks = vec![flightdeck_model::HookRun {
            id: Some("h1".into()),
            expires_at: Some(t(30)),
            timeout_action: Some(flightdeck_model::HookTimeoutAction::Rollback),
            ..flightdeck_model::HookRun::new(
                flightdeck_model::HookTarget::Pause,
                flightdeck_model::HookStatus::AwaitingAction,
            )
        }];
        w.observe_history(&[green.clone()], t(2));
        assert_eq!(w.observe(&start, t(25)), RolloutStatus::InProgress);
        assert!(
            w.reason
                .starts_with("waiting for someone to continue or roll back"),
            "{}",
            w.reason
        );
        assert!(w.reason.contains("ROLLBACK at 14:30 UTC"), "{}", w.reason);
        // An older, finished deployment of the same revision is not ours.
        green.status = ServiceDeploymentStatus::Successful;
        green.finished_at = Some(t(40));
        let mut w = Watch::new("e", &start, "new", t(60), Duration::minutes(5));
        w.observe_history(&[green], t(61));
        assert!(w.history.is_none());
    }

    #[test]
    fn the_bake_left_counts_from_the_last_move() {
        let canary = flightdeck_model::DeploymentConfig {
            strategy: Strategy::Canary {
                percent: 10.0,
                bake_minutes: 5,
            },
            bake_minutes: Some(15),
            ..Default::default()
        };
        let mut d = recorded(ServiceDeploymentStatus::InProgress);
        d.stage = Some(LifecycleStage::ProductionTrafficShift);
        d.traffic_on_target = Some(10.0);
        assert_eq!(
            bake_left(&canary, &d, t(0), t(2)),
            Some(Duration::minutes(3))
        );
        d.stage = Some(LifecycleStage::BakeTime);
        d.traffic_on_target = Some(100.0);
        assert_eq!(bake_left(&canary, &d, t(0), t(20)), Some(Duration::zero()));
        d.stage = Some(LifecycleStage::ScaleUp);
        assert_eq!(bake_left(&canary, &d, t(0), t(2)), None);
    }
}
