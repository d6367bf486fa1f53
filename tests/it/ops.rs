//! Writes on the simulation: plan -> execute -> watch for every operation,
//! the circuit-breaker rollback, STUCK, stale plans, read-only and the audit.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use chrono::Duration;
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::model::{EnvironmentInfo, ServiceRef, TaskDefRef};
use flightdeck::ops::{
    AuditLog, ExecError, Operation, Outcome, Phase, PlanError, RolloutStatus, STUCK_AFTER, Step,
    Watch, execute, plan,
};
use flightdeck::provider::{Provider, ProviderError, ReadProvider, Writes};
use flightdeck::sim::SimProvider;
use std::sync::{Arc, Mutex};

use crate::common;
use crate::common::faulty;
use faulty::Faulty;

const ENV: &str = "muejam-staging";
const CLUSTER: &str = "muejam-staging";
const SERVICE: &str = "backend";
const WHO: &str = "arn:aws:sts::678901234567:assumed-role/oncall/alice";

struct Sim {
    clock: ManualClock,
    p: Arc<Provider>,
    audit: AuditLog,
    _dir: tempfile::TempDir,
}

fn sim(env: &str, read_only: bool) -> Sim {
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-22T14:30:00Z")
        .unwrap()
        .to_utc();
    let clock = ManualClock::new(t0);
    assert_eq!(t0, common::start());
    let world = Arc::new(Mutex::new(common::seed_world()));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let p = SimProvider::all(world, shared)
        .into_iter()
        .find(|p| p.environment().name == env)
        .unwrap();
    let info = EnvironmentInfo {
        read_only,
        ..p.environment().clone()
    };
    let dir = tempfile::tempdir().unwrap();
    Sim {
        clock,
        p: Arc::new(Provider::new(p.with_environment(info))),
        audit: AuditLog::new(dir.path().join("audit.jsonl")),
        _dir: dir,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn deploy(image: &str) -> Operation {
    Operation::Deploy {
        cluster: CLUSTER.into(),
        service: SERVICE.into(),
        images: vec![("backend".into(), image.into())],
        force: false,
    }
}

impl Sim {
    async fn service(&self) -> flightdeck::model::Service {
        self.p
            .services(CLUSTER)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.name == SERVICE)
            .unwrap()
    }

    /// Plans and executes `op`, then follows the rollout every 10 s for up
    /// to `minutes`.
    async fn run(&self, op: Operation, minutes: i64, stuck_after: Duration) -> RolloutStatus {
        let plan = plan(self.p.reads(), "678901234567", op, Some(&self.audit))
            .await
            .unwrap();
        let done = execute(self.p.as_ref(), &plan, &self.audit, WHO, self.clock.now())
            .await
            .unwrap();
        let id = done.deployment_id.expect("a deployment to watch");
        let mut watch = Watch::new(ENV, &done.service, &id, self.clock.now(), stuck_after);
        for _ in 0..minutes * 6 {
            self.clock.advance(Duration::seconds(10));
            let status = watch.observe(&self.service().await, self.clock.now());
            if status.is_final() {
                return status;
            }
        }
        watch.status
    }
}

#[test]
fn deploy_a_new_image_plans_registers_updates_and_succeeds() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let before = s.service().await;
        let p = plan(
            s.p.reads(),
            "678901234567",
            deploy("acme/backend:v5.4.0"),
            Some(&s.audit),
        )
        .await
        .unwrap();
        assert!(matches!(p.steps[0], Step::RegisterTaskDefinition { .. }));
        assert!(matches!(
            p.steps[1],
            Step::UpdateService {
                uses_new_revision: true,
                ..
            }
        ));
        let text = p.lines().join("\n");
        assert!(text.contains("image backend"), "{text}");
        assert!(text.contains("acme/backend:v5.4.0"), "{text}");
        assert!(text.contains("ecs:RegisterTaskDefinition"), "{text}");
        assert!(text.contains("account 678901234567"), "{text}");
        // The plan says what kind of deployment will run.
        assert!(
            text.contains(
                "deploys as: rolling (100-200 % of the desired tasks); the circuit breaker rolls back"
            ),
            "{text}"
        );
        assert!(!p.production);
        assert_eq!(s.service().await, before, "planning changes nothing");

        let status = s.run(deploy("acme/backend:v5.4.0"), 10, STUCK_AFTER).await;
        assert_eq!(status, RolloutStatus::Succeeded);
        let after = s.service().await;
        assert_eq!(
            after.task_definition.revision,
            before.task_definition.revision + 1
        );
        let td = s.p.task_definition(&after.task_definition).await.unwrap();
        assert_eq!(td.containers[0].image, "acme/backend:v5.4.0");
        // Same environment and secrets as before: only the image changed.
        let old = s.p.task_definition(&before.task_definition).await.unwrap();
        assert_eq!(td.containers[0].environment, old.containers[0].environment);

        let records = s.audit.records();
        let phases: Vec<Phase> = records.iter().map(|r| r.phase).collect();
        assert_eq!(phases, vec![Phase::Before, Phase::After]);
        assert_eq!(records[1].result, Some(Outcome::Ok));
        // One request id per call: RegisterTaskDefinition, UpdateService.
        assert_eq!(records[1].request_ids.len(), 2, "{:?}", records[1]);
        assert_eq!(records[1].who, WHO);
        assert_eq!(
            records[1].to_task_definition.as_deref(),
            Some(after.task_definition.to_string().as_str())
        );
    });
}

#[test]
fn a_broken_image_trips_the_circuit_breaker_and_is_rolled_back_not_succeeded() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let before = s.service().await.task_definition;
        let status = s
            .run(deploy("acme/backend:v5.4.0-broken"), 20, STUCK_AFTER)
            .await;
        assert_eq!(status, RolloutStatus::RolledBack);
        // ECS rolls back to the last completed deployment and settles there.
        s.clock.advance(Duration::minutes(10));
        let svc = s.service().await;
        assert_eq!(svc.task_definition, before);
        assert_eq!(
            svc.rollout_state(),
            Some(flightdeck::model::RolloutState::Completed)
        );
        assert!(
            svc.events
                .iter()
                .any(|e| e.message.contains("circuit breaker")
                    || e.message.contains("deployment failed")),
            "{:?}",
            svc.events.iter().take(5).collect::<Vec<_>>()
        );
        let tasks = s.p.tasks(&ServiceRef::new(CLUSTER, SERVICE)).await.unwrap();
        assert!(tasks.iter().any(|t| {
            t.stopped_reason
                .as_deref()
                .is_some_and(|r| r.contains("CannotPullContainerError"))
        }));
        // Rolling back now would go one revision further than the breaker
        // did: the plan says there is nothing to roll back, and lists the
        // older revisions for an operator who means to go further back
        // (none chosen for them).
        let op = Operation::Rollback {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            to: None,
        };
        let e = plan(s.p.reads(), "678901234567", op, Some(&s.audit))
            .await
            .unwrap_err();
        let PlanError::NoRollbackTarget { choices, .. } = &e else {
            panic!("{e:?}");
        };
        assert!(
            choices
                .iter()
                .all(|c| c.revision.revision < before.revision),
            "{choices:?}"
        );
        let words = e.to_string();
        assert!(
            words.contains(&format!(
                "nothing to roll back: {CLUSTER}/{SERVICE} was already rolled back from"
            )) && words.contains(&format!("to {before}"))
                && !words.contains(".)"),
            "{words}"
        );
    });
}

#[test]
fn a_rollout_without_progress_is_stuck() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let status = s
            .run(
                deploy("acme/backend:v5.4.0-stuck"),
                20,
                Duration::minutes(5),
            )
            .await;
        assert_eq!(status, RolloutStatus::Stuck);
    });
}

#[test]
fn rollback_goes_to_the_last_completed_deployment_and_force_redeploys() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let original = s.service().await.task_definition;
        assert_eq!(
            s.run(deploy("acme/backend:v5.4.0"), 10, STUCK_AFTER).await,
            RolloutStatus::Succeeded
        );
        let rollback = Operation::Rollback {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            to: None,
        };
        let p = plan(s.p.reads(), "678901234567", rollback.clone(), Some(&s.audit))
            .await
            .unwrap();
        assert!(
            matches!(&p.steps[0], Step::UpdateService { task_definition: Some(td), .. } if *td == original),
            "{:?}",
            p.steps
        );
        assert!(
            p.notes.contains(&format!(
                "{original} is the last deployment that completed, by ECS's deployment history"
            )),
            "{:?}",
            p.notes
        );
        assert_eq!(s.run(rollback, 10, STUCK_AFTER).await, RolloutStatus::Succeeded);
        assert_eq!(s.service().await.task_definition, original);

        // --to a revision that does not exist is invalid; force redeploys.
        let missing = plan(
            s.p.reads(),
            "678901234567",
            Operation::Rollback {
                cluster: CLUSTER.into(),
                service: SERVICE.into(),
                to: Some(9999),
            },
            Some(&s.audit),
        )
        .await;
        assert!(matches!(missing, Err(PlanError::Invalid(_))), "{missing:?}");
        let force = Operation::Deploy {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            images: vec![],
            force: true,
        };
        assert_eq!(s.run(force, 10, STUCK_AFTER).await, RolloutStatus::Succeeded);
        assert_eq!(s.service().await.task_definition, original);
    });
}

#[test]
fn rollback_during_a_rollout_targets_the_deployment_it_replaces() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let original = s.service().await.task_definition;
        let p = plan(s.p.reads(), "678901234567", deploy("acme/backend:v6-stuck"), None)
            .await
            .unwrap();
        execute(s.p.as_ref(), &p, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        s.clock.advance(Duration::seconds(30));
        let back = plan(
            s.p.reads(),
            "678901234567",
            Operation::Rollback {
                cluster: CLUSTER.into(),
                service: SERVICE.into(),
                to: None,
            },
            None,
        )
        .await
        .unwrap();
        // ECS's own rollback of the deployment in progress.
        assert!(
            matches!(&back.steps[0], Step::StopServiceDeployment { fallback } if *fallback == original),
            "{:?}",
            back.steps
        );
        let done = execute(s.p.as_ref(), &back, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        let id = done.deployment_id.expect("the rollback deployment");
        let mut watch = Watch::new(ENV, &done.service, &id, s.clock.now(), STUCK_AFTER);
        for _ in 0..60 {
            s.clock.advance(Duration::seconds(10));
            if watch.observe(&s.service().await, s.clock.now()).is_final() {
                break;
            }
        }
        assert_eq!(watch.status, RolloutStatus::Succeeded);
        assert_eq!(s.service().await.task_definition, original);
        assert!(s.service().await.events.iter().any(|e| e.message.contains("rolled back")
            || e.message.contains("rolling back")));
    });
}

#[test]
fn scaling_respects_the_auto_scaling_range() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let scale = |desired, min, max, suspend| Operation::Scale {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            desired,
            min,
            max,
            suspend,
        };
        // muejam-staging scales within 1..4.
        let outside = plan(s.p.reads(), "a", scale(Some(9), None, None, None), None).await;
        let Err(PlanError::Refused(reason)) = outside else {
            panic!("{outside:?}");
        };
        assert!(reason.contains("1..4"), "{reason}");
        let bad = plan(s.p.reads(), "a", scale(None, Some(5), Some(2), None), None).await;
        assert!(matches!(bad, Err(PlanError::Invalid(_))), "{bad:?}");

        let widen = plan(
            s.p.reads(),
            "a",
            scale(Some(6), Some(2), Some(8), Some(true)),
            None,
        )
        .await
        .unwrap();
        assert_eq!(widen.steps.len(), 2, "{:?}", widen.steps);
        execute(s.p.as_ref(), &widen, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        let target =
            s.p.scalable_targets()
                .await
                .unwrap()
                .into_iter()
                .find(|t| t.service == SERVICE)
                .unwrap();
        assert_eq!(
            (target.min, target.max, target.dynamic_scaling_suspended),
            (2, 8, true)
        );
        s.clock.advance(Duration::minutes(2));
        let svc = s.service().await;
        assert_eq!(svc.desired, 6);
        assert_eq!(svc.running + svc.pending, 6, "scaling takes effect");
    });
}

#[test]
fn a_stale_plan_is_refused_and_recorded() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let p = plan(s.p.reads(), "a", deploy("acme/backend:v7"), None)
            .await
            .unwrap();
        // Somebody else deploys in between: the revision the plan deploys
        // from is no longer the service's.
        let other = plan(s.p.reads(), "a", deploy("acme/backend:v8"), None)
            .await
            .unwrap();
        execute(s.p.as_ref(), &other, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        let revision = s.service().await.task_definition;
        let stale = execute(s.p.as_ref(), &p, &s.audit, WHO, s.clock.now()).await;
        assert!(matches!(stale, Err(ExecError::Stale(_))), "{stale:?}");
        assert_eq!(s.service().await.task_definition, revision);
        let last = s.audit.records().pop().unwrap();
        assert_eq!(last.phase, Phase::Refused);
        // The change timeline says it once: "refused: stale plan".
        let facts = flightdeck::timeline::Facts {
            audit: vec![last],
            ..Default::default()
        };
        let entries = flightdeck::timeline::assemble(
            &flightdeck::timeline::Scope::Environment,
            s.clock.now() - chrono::Duration::hours(1),
            &facts,
        );
        let said: Vec<&str> = entries.iter().map(|e| e.summary.as_str()).collect();
        assert!(
            said.iter().any(|s| s.contains("refused: stale plan"))
                && !said.iter().any(|s| s.contains("refused: refused")),
            "{said:?}"
        );
    });
}

#[test]
fn read_only_is_refused_by_the_plan_and_by_the_provider_itself() {
    let s = sim(ENV, true);
    rt().block_on(async {
        let refused = plan(s.p.reads(), "a", deploy("acme/backend:v7"), None).await;
        assert!(matches!(refused, Err(PlanError::Refused(_))), "{refused:?}");
        // Even a caller that skips the plan cannot write.
        let base = s.service().await.task_definition;
        let direct =
            s.p.register_task_definition(&base, &[("backend".into(), "x:1".into())])
                .await;
        assert!(
            matches!(direct, Err(ProviderError::ReadOnly { .. })),
            "{direct:?}"
        );
        assert_eq!(s.service().await.task_definition, base);
        assert!(
            s.p.task_definition(&TaskDefRef::new(&base.family, base.revision + 1))
                .await
                .is_err()
        );
    });
}

/// A rollout in progress on `s`, and the rollback plan that stops it.
/// Issue 23: a rollback planned while a rollout fails goes through though
/// the deployment's tasks churn (its `updatedAt` moves) and auto scaling
/// moves the desired count meanwhile: neither is what it decides on.
#[test]
fn a_rollback_planned_during_a_failing_rollout_is_not_stale_while_tasks_churn() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let original = s.service().await.task_definition;
        let back = rollout_and_rollback_plan(&s, s.p.as_ref(), "acme/backend:v6-stuck").await;
        // Eight seconds to read the plan and type the name; tasks move.
        s.clock.advance(Duration::seconds(8));
        let before = s.service().await;
        let scale = plan(
            s.p.reads(),
            "a",
            Operation::Scale {
                cluster: CLUSTER.into(),
                service: SERVICE.into(),
                desired: Some(before.desired + 1),
                min: None,
                max: None,
                suspend: None,
            },
            None,
        )
        .await
        .unwrap();
        execute(s.p.as_ref(), &scale, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        s.clock.advance(Duration::seconds(20));
        let now = s.service().await;
        assert_ne!(
            now.primary_deployment().map(|d| d.updated_at),
            back.fingerprint.deployment.as_ref().map(|(_, at)| *at),
            "the deployment moved since the plan"
        );
        let done = execute(s.p.as_ref(), &back, &s.audit, WHO, s.clock.now()).await;
        assert!(done.is_ok(), "{done:?}");
        assert_eq!(s.service().await.task_definition, original);
    });
}

/// Issue 23: when the circuit breaker rolled back first, the operator's
/// rollback says so and changes nothing; it is not "stale".
#[test]
fn a_rollback_the_circuit_breaker_got_to_first_has_nothing_to_do() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let original = s.service().await.task_definition;
        let back = rollout_and_rollback_plan(&s, s.p.as_ref(), "acme/backend:v5.4.0-broken").await;
        assert_eq!(back.rollback_target(), Some(&original));
        // The circuit breaker gets there while the operator types.
        for _ in 0..120 {
            s.clock.advance(Duration::seconds(10));
            if s.service().await.task_definition == original {
                break;
            }
        }
        assert_eq!(
            s.service().await.task_definition,
            original,
            "the breaker rolled back"
        );
        let records = s.audit.records().len();
        let done = execute(s.p.as_ref(), &back, &s.audit, WHO, s.clock.now()).await;
        let Err(ExecError::NothingToDo(why)) = &done else {
            panic!("{done:?}");
        };
        assert!(
            why.contains(&format!("backend back to :{}", original.revision))
                && why.contains("nothing to do"),
            "{why}"
        );
        assert_eq!(
            s.audit.records().len(),
            records + 1,
            "the refusal is recorded"
        );
        assert_eq!(s.audit.records().pop().unwrap().phase, Phase::Refused);
    });
}

/// Deploys `image`, and 30 s into its rollout plans the rollback (ECS's own,
/// of the deployment in progress).
async fn rollout_and_rollback_plan(s: &Sim, p: &Provider, image: &str) -> flightdeck::ops::Plan {
    let deploy = plan(p.reads(), "678901234567", deploy(image), None)
        .await
        .unwrap();
    execute(p, &deploy, &s.audit, WHO, s.clock.now())
        .await
        .unwrap();
    s.clock.advance(Duration::seconds(30));
    let back = plan(
        p.reads(),
        "678901234567",
        Operation::Rollback {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            to: None,
        },
        None,
    )
    .await
    .unwrap();
    assert!(matches!(back.steps[0], Step::StopServiceDeployment { .. }));
    back
}

#[test]
fn a_native_rollback_that_fails_otherwise_is_not_followed_by_a_second_write() {
    let s = sim(ENV, false);
    let faulty = Arc::new(Faulty::new(s.p.clone()));
    let writer = Provider::shared(faulty.clone());
    rt().block_on(async {
        let back = rollout_and_rollback_plan(&s, &writer, "acme/backend:v6-stuck").await;
        let updates = faulty.updates();
        // Not a refusal ECS is known to give: it may have been applied.
        for error in [
            ProviderError::Other("ecs:StopServiceDeployment: HTTP 500".into()),
            ProviderError::Network("ecs:StopServiceDeployment timed out after 20s".into()),
            ProviderError::Invalid("ecs:StopServiceDeployment: bad request".into()),
        ] {
            *faulty.stop_rollback_error.lock().unwrap() = Some(error.clone());
            let result = execute(&writer, &back, &s.audit, WHO, s.clock.now()).await;
            let Err(ExecError::Failed { error: e, ran, .. }) = result else {
                panic!("{result:?}");
            };
            assert_eq!(e, error);
            assert!(ran.is_empty(), "{ran:?}");
            assert_eq!(
                faulty.updates(),
                updates,
                "no UpdateService by hand after {error}"
            );
        }
    });
}

#[test]
fn a_recognised_refusal_of_the_native_rollback_rolls_back_by_hand() {
    let s = sim(ENV, false);
    let faulty = Arc::new(Faulty::new(s.p.clone()));
    let writer = Provider::shared(faulty.clone());
    rt().block_on(async {
        let original = s.service().await.task_definition;
        let back = rollout_and_rollback_plan(&s, &writer, "acme/backend:v6-stuck").await;
        let updates = faulty.updates();
        *faulty.stop_rollback_error.lock().unwrap() = Some(ProviderError::Unsupported(
            "ecs:StopServiceDeployment: ServiceDeploymentNotFoundException".into(),
        ));
        let done = execute(&writer, &back, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        assert_eq!(faulty.updates(), updates + 1);
        assert_eq!(done.calls.len(), 1);
        assert!(done.calls[0].step.contains("by hand"), "{:?}", done.calls);
        assert_eq!(done.task_definition, original);
    });
}

#[test]
fn an_audit_log_that_fails_after_the_calls_says_what_changed_and_that_it_is_unrecorded() {
    let s = sim(ENV, false);
    let faulty = Arc::new(Faulty::new(s.p.clone()));
    let writer = Provider::shared(faulty.clone());
    let path = s.audit.path().to_path_buf();
    // Between the record before and the record after, the audit file
    // becomes a directory: appending to it fails.
    let breaker = path.clone();
    *faulty.before_update.lock().unwrap() = Some(Box::new(move || {
        std::fs::remove_file(&breaker).unwrap();
        std::fs::create_dir(&breaker).unwrap();
    }));
    rt().block_on(async {
        let p = plan(
            writer.reads(),
            "678901234567",
            deploy("acme/backend:v5.4.0"),
            Some(&s.audit),
        )
        .await
        .unwrap();
        let done = execute(&writer, &p, &s.audit, WHO, s.clock.now())
            .await
            .expect("the calls ran: this is not a refusal");
        let why = done.unrecorded.as_deref().expect("flagged as not recorded");
        assert!(why.contains("audit.jsonl"), "{why}");
        assert_eq!(done.calls.len(), 2, "{:?}", done.calls);
        assert!(done.calls[0].step.starts_with("ecs:RegisterTaskDefinition"));
        assert!(done.calls[1].step.starts_with("ecs:UpdateService"));
        assert!(done.calls.iter().all(|c| c.request_id.is_some()));
        assert!(
            done.deployment_id.is_some(),
            "the rollout can still be watched"
        );
        assert_eq!(s.service().await.task_definition, done.task_definition);
    });
}

#[test]
fn a_failed_call_after_a_successful_one_names_what_ran() {
    let s = sim(ENV, false);
    let faulty = Arc::new(Faulty::new(s.p.clone()));
    let writer = Provider::shared(faulty.clone());
    *faulty.update_error.lock().unwrap() = Some(ProviderError::Throttled(
        "ecs:UpdateService: Rate exceeded".into(),
    ));
    rt().block_on(async {
        let p = plan(
            writer.reads(),
            "678901234567",
            deploy("acme/backend:v5.4.0"),
            Some(&s.audit),
        )
        .await
        .unwrap();
        let err = execute(&writer, &p, &s.audit, WHO, s.clock.now())
            .await
            .unwrap_err();
        assert!(err.changed_something());
        let ExecError::Failed {
            ran, unrecorded, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(ran.len(), 1);
        assert!(ran[0].step.starts_with("ecs:RegisterTaskDefinition"));
        assert!(unrecorded.is_none());
        let text = err.to_string();
        let id = ran[0].request_id.clone().unwrap();
        assert!(text.contains("took effect") && text.contains(&id), "{text}");
        let after = s.audit.records().pop().unwrap();
        assert_eq!(after.phase, Phase::After);
        assert_eq!(after.result, Some(Outcome::Error));
        assert_eq!(after.request_ids, vec![id]);
    });
}

/// A canary bakes for minutes without any task starting or stopping: the
/// watch follows it to SUCCEEDED, not STUCK; an errors-answering canary is
/// ROLLED BACK by its alarm.
#[test]
fn a_canary_is_watched_through_its_bake_and_its_alarm_rollback() {
    let s = sim("tellmemore-prod", false);
    rt().block_on(async {
        let cluster = s.p.clusters().await.unwrap()[0].name.clone();
        let follow =
            async |image: &str| {
                let op = Operation::Deploy {
                    cluster: cluster.clone(),
                    service: "api".into(),
                    images: vec![("api".into(), image.into())],
                    force: false,
                };
                let plan = plan(s.p.reads(), "567890123456", op, None).await.unwrap();
                assert!(
                    plan.notes.iter().any(|n| n
                        .starts_with("deploys as: canary 10 % for 5 min, then 100 %, bake 15 min")),
                    "{:?}",
                    plan.notes
                );
                let done = execute(s.p.as_ref(), &plan, &s.audit, WHO, s.clock.now())
                    .await
                    .unwrap();
                let id = done.deployment_id.unwrap();
                let mut watch = Watch::new(
                    "tellmemore-prod",
                    &done.service,
                    &id,
                    s.clock.now(),
                    STUCK_AFTER,
                );
                for _ in 0..40 * 6 {
                    s.clock.advance(Duration::seconds(10));
                    let svc =
                        s.p.services(&cluster)
                            .await
                            .unwrap()
                            .into_iter()
                            .find(|x| x.name == "api")
                            .unwrap();
                    let status = watch.observe(&svc, s.clock.now());
                    if status.is_final() {
                        return (status, watch.reason.clone());
                    }
                }
                (watch.status, watch.reason.clone())
            };
        let (status, why) = follow("acme/api:3.5.0").await;
        assert_eq!(status, RolloutStatus::Succeeded, "{why}");
        let (status, why) = follow("acme/api:3.5.1-errors").await;
        assert_eq!(status, RolloutStatus::RolledBack, "{why}");
        assert!(
            why.contains("tellmemore-prod-api-error-rate-critical"),
            "{why}"
        );
    });
}

/// Follows `watch` on `service` of `cluster`, reading ECS's deployment
/// history too, every 10 s for up to `minutes`, until `stop` says so.
async fn follow_until(
    s: &Sim,
    cluster: &str,
    service: &str,
    watch: &mut Watch,
    minutes: i64,
    stop: impl Fn(&Watch) -> bool,
) {
    for _ in 0..minutes * 6 {
        s.clock.advance(Duration::seconds(10));
        let svc =
            s.p.services(cluster)
                .await
                .unwrap()
                .into_iter()
                .find(|x| x.name == service)
                .unwrap();
        let history =
            s.p.service_deployments(
                &ServiceRef::new(cluster, service),
                watch.started - Duration::minutes(5),
            )
            .await
            .unwrap();
        watch.observe_history(&history, s.clock.now());
        watch.observe(&svc, s.clock.now());
        if stop(watch) {
            return;
        }
    }
}

/// RadioX's blue/green release: the smoke test passes, the deployment
/// waits at its pause hook for the operator, who continues it with a plan
/// and a confirmation; the watch follows it through the traffic switch and
/// the bake to SUCCEEDED, and the audit log has both writes.
#[test]
fn a_blue_green_release_waits_for_the_operator_who_continues_it() {
    let s = sim("radiox-prod", false);
    rt().block_on(async {
        let cluster = s.p.clusters().await.unwrap()[0].name.clone();
        let op = Operation::Deploy {
            cluster: cluster.clone(),
            service: "backend-api".into(),
            images: vec![("backend-api".into(), "acme/backend-api:v2.15.0".into())],
            force: false,
        };
        let deploy = plan(s.p.reads(), "210987654321", op, None).await.unwrap();
        let done = execute(s.p.as_ref(), &deploy, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        let id = done.deployment_id.unwrap();
        let mut watch = Watch::new(
            "radiox-prod",
            &done.service,
            &id,
            s.clock.now(),
            STUCK_AFTER,
        );
        assert!(watch.follows_history());
        // Nobody continues: the watch waits, IN PROGRESS, far beyond the
        // stuck limit of 10 minutes.
        follow_until(&s, &cluster, "backend-api", &mut watch, 20, |_| false).await;
        assert_eq!(watch.status, RolloutStatus::InProgress, "{}", watch.reason);
        assert!(
            watch
                .reason
                .starts_with("waiting for someone to continue or roll back"),
            "{}",
            watch.reason
        );
        let op = Operation::Continue {
            cluster: cluster.clone(),
            service: "backend-api".into(),
        };
        let go_on = plan(s.p.reads(), "210987654321", op, None).await.unwrap();
        let text = go_on.lines().join("\n");
        assert!(
            text.contains("ecs:ContinueServiceDeployment") && text.contains("action=CONTINUE"),
            "{text}"
        );
        execute(s.p.as_ref(), &go_on, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        follow_until(&s, &cluster, "backend-api", &mut watch, 30, |w| {
            w.status.is_final()
        })
        .await;
        assert_eq!(watch.status, RolloutStatus::Succeeded, "{}", watch.reason);
        let records = s.audit.records();
        let continued: Vec<_> = records
            .iter()
            .filter(|r| r.operation == "continue")
            .collect();
        assert_eq!(continued.len(), 2, "before and after: {records:?}");
        assert_eq!(continued[1].result, Some(Outcome::Ok));
        // Nothing waits any more: a second continue is refused.
        let op = Operation::Continue {
            cluster: cluster.clone(),
            service: "backend-api".into(),
        };
        assert!(matches!(
            plan(s.p.reads(), "210987654321", op, None).await,
            Err(PlanError::Refused(_))
        ));
    });
}

/// Changing a service's strategy is a plan like any other write: the diff
/// shows old and new, the next deploy's plan deploys as the new strategy,
/// and the same change again is refused.
#[test]
fn a_strategy_change_is_planned_executed_and_audited() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let set = |bake| Operation::SetStrategy {
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            strategy: flightdeck::model::Strategy::Canary {
                percent: 10.0,
                bake_minutes: 5,
            },
            bake_minutes: bake,
        };
        // A traffic-shifting strategy needs a bake, and the service has none yet.
        assert!(matches!(
            plan(s.p.reads(), "678901234567", set(None), None).await,
            Err(PlanError::Invalid(why)) if why.contains("needs a bake time")
        ));
        let change = plan(s.p.reads(), "678901234567", set(Some(15)), None)
            .await
            .unwrap();
        let text = change.lines().join("\n");
        assert!(
            text.contains("strategy  rolling:100:200 -> canary:10:5"),
            "{text}"
        );
        assert!(
            text.contains(
                "strategy=CANARY canaryPercent=10 canaryBakeTimeInMinutes=5 bakeTimeInMinutes=15"
            ),
            "{text}"
        );
        execute(s.p.as_ref(), &change, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        let config = s.service().await.deployment_config;
        assert_eq!(config.bake_minutes, Some(15));
        assert!(config.strategy.shifts_traffic());
        assert_eq!(config.circuit_breaker, Some(true), "the rest is kept");
        let next = plan(
            s.p.reads(),
            "678901234567",
            deploy("acme/backend:9.9.9"),
            None,
        )
        .await
        .unwrap();
        assert!(
            next.notes
                .iter()
                .any(|n| n.starts_with("deploys as: canary 10 % for 5 min")),
            "{:?}",
            next.notes
        );
        assert!(matches!(
            plan(s.p.reads(), "678901234567", set(None), None).await,
            Err(PlanError::Refused(why)) if why.contains("already deploys as")
        ));
        let last = s.audit.records().pop().unwrap();
        assert_eq!(last.operation, "strategy");
        assert_eq!(last.result, Some(Outcome::Ok));
    });
}

fn stop_task(task: &str) -> Operation {
    Operation::StopTask {
        cluster: CLUSTER.into(),
        service: SERVICE.into(),
        task: task.into(),
        reason: Some("wedged".into()),
    }
}

#[test]
fn a_stopped_task_is_replaced_and_a_stale_stop_refused() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let running = |tasks: &[flightdeck::model::Task]| {
            tasks
                .iter()
                .filter(|t| t.desired_status == flightdeck::model::TaskStatus::Running)
                .map(|t| t.id.clone())
                .collect::<Vec<_>>()
        };
        let before = running(&s.p.tasks(&ServiceRef::new(CLUSTER, SERVICE)).await.unwrap());
        let desired = s.service().await.desired as usize;
        assert_eq!(before.len(), desired);
        let victim = before[0].clone();
        let p = plan(s.p.reads(), "a", stop_task(&victim[..8]), None)
            .await
            .unwrap();
        assert_eq!(
            p.steps,
            [Step::StopTask {
                task: victim.clone(),
                reason: "wedged".into()
            }]
        );
        assert!(!p.starts_deployment);
        // Auto scaling moving the desired count does not make it stale.
        s.clock.advance(Duration::seconds(10));
        let done = execute(s.p.as_ref(), &p, &s.audit, WHO, s.clock.now())
            .await
            .unwrap();
        assert_eq!(done.calls.len(), 1);
        assert!(done.deployment_id.is_none());
        let tasks = s.p.tasks(&ServiceRef::new(CLUSTER, SERVICE)).await.unwrap();
        let stopped = tasks.iter().find(|t| t.id == victim).unwrap();
        assert_eq!(stopped.stopped_reason.as_deref(), Some("wedged"));
        // The service starts a replacement on its next round.
        s.clock.advance(Duration::seconds(20));
        let after = running(&s.p.tasks(&ServiceRef::new(CLUSTER, SERVICE)).await.unwrap());
        assert_eq!(after.len(), desired, "{after:?}");
        assert!(!after.contains(&victim));
        // The same plan again: its task is stopped, so it is stale.
        let again = execute(s.p.as_ref(), &p, &s.audit, WHO, s.clock.now()).await;
        assert!(
            matches!(&again, Err(ExecError::Stale(why)) if why.contains("stopped")),
            "{again:?}"
        );
        // And planned afresh, it is refused.
        let refused = plan(s.p.reads(), "a", stop_task(&victim), None).await;
        assert!(
            matches!(&refused, Err(PlanError::Refused(why)) if why.contains("already stopped")),
            "{refused:?}"
        );
        let phases: Vec<Phase> = s.audit.records().iter().map(|r| r.phase).collect();
        assert_eq!(phases, [Phase::Before, Phase::After, Phase::Refused]);
        assert_eq!(s.audit.records()[0].operation, "stop-task");
    });
}

#[test]
fn a_task_stop_is_refused_read_only_by_the_provider_itself() {
    let s = sim(ENV, true);
    rt().block_on(async {
        let task = s.p.tasks(&ServiceRef::new(CLUSTER, SERVICE)).await.unwrap()[0]
            .id
            .clone();
        let refused = plan(s.p.reads(), "a", stop_task(&task), None).await;
        assert!(matches!(refused, Err(PlanError::Refused(_))), "{refused:?}");
        let direct =
            s.p.stop_task(&ServiceRef::new(CLUSTER, SERVICE), &task, "x")
                .await;
        assert!(
            matches!(direct, Err(ProviderError::ReadOnly { .. })),
            "{direct:?}"
        );
    });
}

/// Issue 23, item 2: a rollback whose target nothing names offers the
/// family's earlier revisions, newest first, each with its images, when
/// it was registered and until when it ran by ECS's history, instead of
/// only a flag to name one.
#[test]
fn a_rollback_without_a_known_target_offers_the_earlier_revisions() {
    let s = sim(ENV, false);
    rt().block_on(async {
        let mut seen = 0;
        for svc in s.p.services(CLUSTER).await.unwrap() {
            let op = Operation::Rollback {
                cluster: CLUSTER.into(),
                service: svc.name.clone(),
                to: None,
            };
            let Err(PlanError::NoRollbackTarget { reason, choices }) =
                plan(s.p.reads(), "a", op, None).await
            else {
                continue;
            };
            seen += 1;
            assert!(reason.contains("no completed deployment"), "{reason}");
            let current = svc.task_definition.revision;
            assert!(!choices.is_empty(), "{}: {reason}", svc.name);
            assert!(choices.len() <= 5);
            assert!(
                choices
                    .windows(2)
                    .all(|w| w[0].revision.revision > w[1].revision.revision)
            );
            assert!(
                choices
                    .iter()
                    .all(|c| c.revision.revision < current && !c.images.is_empty())
            );
            // ECS's history names the revision the running one replaced:
            // the operator sees until when it ran, and that the older ones
            // did not run within the history.
            let previous = &choices[0];
            if previous.revision.revision + 1 == current {
                assert!(previous.last_ran.is_some(), "{previous:?}");
                assert!(
                    previous.describe().contains(", ran until "),
                    "{}",
                    previous.describe()
                );
            }
            if let Some(older) = choices.get(1) {
                assert!(
                    older.describe().ends_with("not run in ECS's history"),
                    "{}",
                    older.describe()
                );
            }
            let text = PlanError::NoRollbackTarget {
                reason,
                choices: choices.clone(),
            }
            .to_string();
            assert!(
                text.contains(&choices[0].describe()) && !text.contains("--to"),
                "{text}"
            );
        }
        assert!(
            seen > 0,
            "some service of {ENV} has no completed deployment on record"
        );
    });
}
