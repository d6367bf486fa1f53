//! The world's own tests: determinism, rollouts, scaling, alarms.

use super::*;

/// The instant every world of these tests starts at.
fn start() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap()
}

mod determinism_and_rollouts {
    use super::*;

    #[test]
    fn same_seed_same_world_regardless_of_polling() {
        let mut a = World::new(42, start());
        let mut b = World::new(42, start());
        // `a` is looked at every tick, `b` once at the end.
        for i in 1..=60 {
            a.advance_to(start() + Duration::seconds(10 * i));
        }
        b.advance_to(start() + Duration::minutes(10));
        let cpu = |w: &World| {
            w.envs
                .iter()
                .flat_map(|e| &e.services)
                .map(|s| s.latest(Signal::Cpu))
                .collect::<Vec<_>>()
        };
        assert_eq!(cpu(&a), cpu(&b));
        let logs = |w: &World| w.envs[0].services[0].logs.back().cloned();
        assert_eq!(logs(&a), logs(&b));
    }

    #[test]
    fn different_seeds_differ() {
        let a = World::new(1, start());
        let b = World::new(2, start());
        assert_ne!(
            a.envs[0].services[0].logs.back(),
            b.envs[0].services[0].logs.back()
        );
    }

    #[test]
    fn warm_up_fills_metrics_and_logs() {
        let mut w = World::new(7, start());
        // Scaling decisions land on the minute; ECS acts on them a tick later.
        w.advance_to(start() + TICK);
        for env in &w.envs {
            for svc in &env.services {
                let cpu = &svc.series[&Signal::Cpu];
                // A crash-looping service has minutes with no task running,
                // hence no datapoint.
                let expected = if svc.spec.leak_minutes.is_some() {
                    120
                } else {
                    170
                };
                assert!(
                    cpu.len() >= expected,
                    "{} has {} cpu points",
                    svc.spec.name,
                    cpu.len()
                );
                assert!(!svc.logs.is_empty(), "{} has no logs", svc.spec.name);
                assert_eq!(svc.tasks.len() as u32, svc.desired, "{}", svc.spec.name);
                assert!(svc.running() >= 1, "{}", svc.spec.name);
            }
            assert!(
                env.alarms
                    .iter()
                    .all(|a| a.state != AlarmState::InsufficientData)
            );
        }
    }

    #[test]
    fn scaling_stays_within_min_and_max_over_a_day() {
        let mut w = World::new(11, start());
        for h in 1..=24 {
            w.advance_to(start() + Duration::hours(h));
            for env in &w.envs {
                for svc in &env.services {
                    if let Some(t) = &svc.target {
                        assert!(
                            svc.desired >= t.min && svc.desired <= t.max,
                            "{} desired {}",
                            svc.spec.name,
                            svc.desired
                        );
                    }
                }
            }
        }
        let activities: usize = w
            .envs
            .iter()
            .flat_map(|e| &e.services)
            .filter_map(|s| s.target.as_ref())
            .map(|t| t.activities.len())
            .sum();
        assert!(activities > 0, "auto scaling never acted in a day");
        // Target tracking settles: no service scales more than a few dozen times a day.
        for svc in w.envs.iter().flat_map(|e| &e.services) {
            let n = svc.target.as_ref().map_or(0, |t| t.activities.len());
            assert!(
                n < 40,
                "{} flapped: {n} scaling activities in a day",
                svc.spec.name
            );
        }
        let transitions: usize = w
            .envs
            .iter()
            .flat_map(|e| &e.alarms)
            .map(|a| a.history.len())
            .sum();
        assert!(
            transitions > 12,
            "alarms hardly changed state in a day: {transitions}"
        );
    }

    #[test]
    fn event_and_log_buffers_are_bounded() {
        let mut w = World::new(5, start());
        w.advance_to(start() + Duration::hours(12));
        for svc in w.envs.iter().flat_map(|e| &e.services) {
            assert!(svc.events.len() <= EVENT_CAPACITY);
            assert!(svc.logs.len() <= LOG_CAPACITY);
            assert!(svc.series[&Signal::Cpu].len() <= METRIC_POINTS);
        }
    }

    #[test]
    fn a_deployment_replaces_every_task_and_completes() {
        let mut w = World::new(3, start());
        let (env, rng, now) = w.env_and_rng("muejam-staging").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let next = TaskDefRef::new("muejam-backend", svc.latest_revision - 1);
        let id = start_deployment(svc, next.clone(), now, rng);
        w.advance_to(start() + Duration::minutes(10));
        let svc = w.env("muejam-staging").unwrap().service("backend").unwrap();
        assert_eq!(svc.deployments.len(), 1);
        assert_eq!(svc.deployments[0].id, id);
        assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
        assert!(
            svc.tasks
                .iter()
                .all(|t| t.task_definition == next && t.deployment_id == id)
        );
        assert_eq!(svc.task_definition(), next);
        assert!(svc.stopped.iter().any(|t| {
            t.stopped_reason
                .as_deref()
                .unwrap_or("")
                .contains("replaced")
        }));
    }
}

mod forced_deployment_tests {
    use super::*;

    #[test]
    fn a_forced_deployment_of_the_same_revision_replaces_every_task() {
        let t0 = start();
        let mut w = World::new(3, t0);
        let (env, rng, now) = w.env_and_rng("muejam-production").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let before: Vec<String> = svc.tasks.iter().map(|t| t.id.clone()).collect();
        let td = svc.task_definition();
        let id = start_deployment(svc, td, now, rng);
        w.advance_to(t0 + Duration::minutes(10));
        let svc = w
            .env("muejam-production")
            .unwrap()
            .service("backend")
            .unwrap();
        assert_eq!(svc.deployments[0].id, id);
        assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
        assert!(svc.tasks.iter().all(|t| !before.contains(&t.id)));
    }
}

mod history_and_colleagues {
    use super::*;
    use flightdeck_model::ServiceDeploymentStatus;

    #[test]
    fn deployments_enter_the_history_and_complete_there() {
        let mut w = World::new(3, start());
        let (env, rng, now) = w.env_and_rng("muejam-staging").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let from = svc.task_definition();
        let next = TaskDefRef::new("muejam-backend", svc.latest_revision - 1);
        let id = start_deployment(svc, next.clone(), now, rng);
        let arn = svc.deployment_arn(&id);
        let entry = svc.history.front().unwrap();
        assert_eq!(
            (&entry.arn, &entry.status),
            (&arn, &ServiceDeploymentStatus::InProgress)
        );
        assert_eq!(entry.target.as_ref(), Some(&next));
        assert_eq!(entry.sources, [from]);
        w.advance_to(start() + Duration::minutes(10));
        let svc = w.env("muejam-staging").unwrap().service("backend").unwrap();
        let entry = svc.history.iter().find(|d| d.arn == arn).unwrap();
        assert_eq!(entry.status, ServiceDeploymentStatus::Successful);
        assert!(entry.finished_at.is_some());
    }

    /// Issue 23 (QA): a revision registered today says today, and the
    /// seed's revisions were registered before the deployment that runs
    /// the latest, older ones further back.
    #[test]
    fn revisions_are_registered_when_they_were_made() {
        let mut w = World::new(3, start());
        let (env, _, now) = w.env_and_rng("muejam-staging").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let base = svc.current_revision;
        let deployed = svc.deployments[0].created_at;
        assert!(svc.registered_at(base) <= deployed);
        let seed = svc.spec.revisions;
        assert!(svc.registered_at(seed - 1) < svc.registered_at(seed));
        assert!(svc.registered_at(1) >= svc.created_at);
        let later = now + Duration::minutes(3);
        let revision = svc.register_revision(base, &[], later);
        assert_eq!(svc.registered_at(revision), later);
    }

    #[test]
    fn the_circuit_breaker_rolls_back_and_the_history_says_why() {
        let mut w = World::new(3, start());
        let (env, rng, now) = w.env_and_rng("muejam-staging").unwrap();
        let svc = env.service_mut("backend").unwrap();
        let base = svc.current_revision;
        let revision = svc.register_revision(
            base,
            &[("backend".into(), "acme/backend:v9-broken".into())],
            now,
        );
        let id = start_deployment(svc, TaskDefRef::new("muejam-backend", revision), now, rng);
        let arn = svc.deployment_arn(&id);
        w.advance_to(start() + Duration::minutes(20));
        let svc = w.env("muejam-staging").unwrap().service("backend").unwrap();
        let failed = svc.history.iter().find(|d| d.arn == arn).unwrap();
        assert_eq!(
            failed.status,
            ServiceDeploymentStatus::RollbackSuccessful,
            "{failed:?}"
        );
        assert!(
            failed.circuit_breaker_failures.unwrap_or(0) >= 3,
            "{failed:?}"
        );
        assert!(
            failed
                .rollback_reason
                .as_deref()
                .is_some_and(|r| r.contains("circuit breaker")),
            "{failed:?}"
        );
        // The rollback is a deployment of its own, back to the old revision.
        let rollback = svc.history.front().unwrap();
        assert_eq!(rollback.status, ServiceDeploymentStatus::Successful);
        assert_eq!(
            rollback.target,
            Some(TaskDefRef::new("muejam-backend", base))
        );
    }

    #[test]
    fn colleagues_deploy_and_scale_and_cloudtrail_says_who() {
        let mut w = World::new(42, start());
        w.advance_to(start() + Duration::hours(6));
        let trail: Vec<&flightdeck_model::WriteEvent> = w
            .envs
            .iter()
            .flat_map(|e| &e.services)
            .flat_map(|s| &s.trail)
            .collect();
        assert!(trail.len() >= 6, "{} writes in 9 hours", trail.len());
        assert!(trail.iter().all(|e| e.who.starts_with("arn:aws:sts::")));
        // Every deploy by CI is in its service's deployment history.
        for env in &w.envs {
            for svc in &env.services {
                for deploy in svc.trail.iter().filter(|e| {
                    e.call == "UpdateService"
                        && e.parameters
                            .iter()
                            .any(|p| p.starts_with("taskDefinition="))
                }) {
                    let revision = deploy.parameters[0].trim_start_matches("taskDefinition=");
                    assert!(
                        svc.history
                            .iter()
                            .any(|d| d.target.as_ref().is_some_and(|t| t.to_string() == revision)),
                        "{revision} not in the history of {}",
                        svc.spec.name
                    );
                }
            }
        }
    }
}

mod strategies {
    //! Blue/green, canary and linear deployments on the seed services that
    //! use them: every course the issue names.
    use super::*;
    use flightdeck_model::{
        HookRun, HookStatus, HookTarget, LifecycleStage, ServiceDeploymentStatus,
    };

    /// Deploys `tag` as a new revision of `env`/`service`; returns the
    /// world, the deployment's history ARN and the old revision.
    fn deploy(env: &str, service: &str, tag: &str) -> (World, String, u32) {
        deploy_prepared(env, service, tag, |_| {})
    }

    /// [`deploy`], with the service changed by `prepare` just before.
    fn deploy_prepared(
        env: &str,
        service: &str,
        tag: &str,
        prepare: impl FnOnce(&mut ServiceState),
    ) -> (World, String, u32) {
        let mut w = World::new(5, start());
        let (e, rng, now) = w.env_and_rng(env).unwrap();
        let svc = e.service_mut(service).unwrap();
        prepare(svc);
        let blue = svc.current_revision;
        let container = svc.spec.containers[0].name.clone();
        let revision =
            svc.register_revision(blue, &[(container, format!("acme/{service}:{tag}"))], now);
        let td = TaskDefRef::new(svc.spec.family.clone(), revision);
        let id = start_deployment(svc, td, now, rng);
        let arn = svc.deployment_arn(&id);
        (w, arn, blue)
    }

    fn entry<'a>(
        w: &'a World,
        env: &str,
        service: &str,
        arn: &str,
    ) -> &'a flightdeck_model::ServiceDeployment {
        w.env(env)
            .unwrap()
            .service(service)
            .unwrap()
            .history
            .iter()
            .find(|d| d.arn == arn)
            .unwrap()
    }

    #[test]
    fn a_canary_takes_its_share_bakes_and_completes() {
        let (mut w, arn, _) = deploy("tellmemore-prod", "api", "3.5.0");
        w.advance_to(start() + Duration::minutes(2));
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(
            d.stage,
            Some(LifecycleStage::ProductionTrafficShift),
            "{d:?}"
        );
        assert_eq!(d.traffic_on_target, Some(10.0));
        // Both revisions run while the canary takes 10 %.
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        assert!(svc.tasks.len() as u32 > svc.desired);
        w.advance_to(start() + Duration::minutes(8));
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(
            (d.stage.clone(), d.traffic_on_target),
            (Some(LifecycleStage::BakeTime), Some(100.0))
        );
        w.advance_to(start() + Duration::minutes(25));
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(d.status, ServiceDeploymentStatus::Successful, "{d:?}");
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        assert!(svc.shift.is_none());
        assert_eq!(svc.deployments.len(), 1);
        assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
        assert!(
            svc.tasks
                .iter()
                .all(|t| t.deployment_id == svc.deployments[0].id)
        );
    }

    /// Each revision has its own target group: green's takes the canary's
    /// share of the requests, and after the deployment it is the group
    /// carrying production traffic (the groups swapped roles).
    #[test]
    fn each_revision_has_its_own_group_and_the_groups_swap_after_success() {
        let (mut w, _, _) = deploy("tellmemore-prod", "api", "3.5.0");
        let last = |s: &Series| s.back().map(|p| (p.at, p.value));
        w.advance_to(start() + Duration::minutes(3));
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        assert_eq!(svc.live_group, 0);
        let (blue, green) = (&svc.group_series[0], &svc.group_series[1]);
        let (at, blue_requests) = last(&blue.requests).unwrap();
        let (green_at, green_requests) = last(&green.requests).unwrap();
        assert_eq!(at, green_at);
        let share = green_requests / (blue_requests + green_requests);
        assert!((share - 0.1).abs() < 0.01, "{share}");
        w.advance_to(start() + Duration::minutes(25));
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        assert_eq!(svc.live_group, 1);
        let now = last(&svc.group_series[1].requests).unwrap().0;
        assert_ne!(last(&svc.group_series[0].requests).unwrap().0, now);
    }

    /// A good canary and blue answer each with their own latency: never the
    /// same p95 in the same minute, though both serve good revisions.
    #[test]
    fn each_group_answers_with_its_own_latency() {
        let (mut w, _, _) = deploy("tellmemore-prod", "api", "3.5.0");
        w.advance_to(start() + Duration::minutes(5));
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        let (blue, green) = (&svc.group_series[0].p95_secs, &svc.group_series[1].p95_secs);
        let both: Vec<(f64, f64)> = green
            .iter()
            .filter_map(|g| Some((blue.value_at(g.at)?, g.value)))
            .collect();
        assert!(both.len() >= 2, "{both:?}");
        assert!(both.iter().all(|(b, g)| b != g), "{both:?}");
        let ratio = |(b, g): &(f64, f64)| g / b;
        assert!(
            both.iter().all(|p| (0.7..1.4).contains(&ratio(p))),
            "{both:?}"
        );
    }

    /// A bad canary's 5xx and latency are in its own group, not blue's.
    #[test]
    fn a_bad_canarys_errors_are_its_own_groups() {
        let (mut w, _, _) = deploy("tellmemore-prod", "api", "3.5.0-errors");
        w.advance_to(start() + Duration::minutes(3));
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        let errors = |i: usize| svc.group_series[i].error_percent.back().unwrap().value;
        let p95 = |i: usize| svc.group_series[i].p95_secs.back().unwrap().value;
        assert!(
            errors(1) > 50.0 && errors(0) < 5.0,
            "{} {}",
            errors(0),
            errors(1)
        );
        assert!(p95(1) > 4.0 * p95(0));
    }

    /// Auto scaling has just lowered the desired count when the canary
    /// starts, blue still running the old count: green starts in full
    /// beside blue (no rolling 200 % ceiling), and the deployment goes on.
    #[test]
    fn a_scale_in_just_before_a_canary_does_not_hold_green_back() {
        let (mut w, arn, _) = deploy_prepared("tellmemore-prod", "api", "3.5.0", |svc| {
            // Held there: no auto scaling moves it back during the test.
            svc.target = None;
            svc.desired = svc.tasks.len() as u32 - 1;
        });
        w.advance_to(start() + Duration::minutes(3));
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(
            d.stage,
            Some(LifecycleStage::ProductionTrafficShift),
            "{d:?}"
        );
    }

    #[test]
    fn a_canary_answering_errors_is_rolled_back_by_its_alarm() {
        let (mut w, arn, blue) = deploy("tellmemore-prod", "api", "3.5.0-errors");
        w.advance_to(start() + Duration::minutes(8));
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(
            d.status,
            ServiceDeploymentStatus::RollbackSuccessful,
            "{d:?}"
        );
        assert_eq!(
            d.triggered_alarms,
            ["tellmemore-prod-api-error-rate-critical"]
        );
        assert_eq!(d.traffic_on_target, Some(0.0));
        let svc = w.env("tellmemore-prod").unwrap().service("api").unwrap();
        assert_eq!(
            svc.current_revision, blue,
            "traffic and tasks are back on blue"
        );
        assert!(svc.tasks.iter().all(|t| t.task_definition.revision == blue));
    }

    /// Continues the paused deployment of RadioX `backend-api`, as the
    /// operator does with ContinueServiceDeployment.
    fn approve(w: &mut World) {
        let (e, _, now) = w.env_and_rng("radiox-prod").unwrap();
        assert!(continue_paused(e.service_mut("backend-api").unwrap(), now));
    }

    #[test]
    fn blue_green_smoke_tests_waits_for_the_switch_and_a_failing_test_switches_back() {
        let (mut w, arn, _) = deploy("radiox-prod", "backend-api", "v2.15.0");
        w.advance_to(start() + Duration::minutes(4));
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(
            d.hooks[0],
            HookRun::new(
                HookTarget::Function("radiox-prod-smoke-test".into()),
                HookStatus::Succeeded
            )
        );
        let pause = d.waiting_hook().expect("the pause waits for the operator");
        // 30 minutes from when it began waiting, after the smoke test.
        let expires = pause.expires_at.unwrap();
        assert!(
            expires > start() + Duration::minutes(30) && expires <= start() + Duration::minutes(34),
            "{expires}"
        );
        assert_eq!(
            pause.timeout_action,
            Some(flightdeck_model::HookTimeoutAction::Rollback)
        );
        assert_eq!(d.stage, Some(LifecycleStage::PostTestTrafficShift));
        assert_eq!(
            d.traffic_on_target,
            Some(0.0),
            "nothing moves before the switch"
        );
        // Waiting is not progress, but nothing else moves either.
        w.advance_to(start() + Duration::minutes(10));
        assert!(
            entry(&w, "radiox-prod", "backend-api", &arn)
                .waiting_hook()
                .is_some()
        );
        approve(&mut w);
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(
            d.traffic_on_target,
            Some(100.0),
            "all traffic at once: {d:?}"
        );
        assert_eq!(d.hooks[1].status, HookStatus::Succeeded);
        w.advance_to(start() + Duration::minutes(25));
        assert_eq!(
            entry(&w, "radiox-prod", "backend-api", &arn).status,
            ServiceDeploymentStatus::Successful
        );

        let (mut w, arn, blue) = deploy("radiox-prod", "backend-api", "v2.15.0-smokefail");
        w.advance_to(start() + Duration::minutes(5));
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(
            d.status,
            ServiceDeploymentStatus::RollbackSuccessful,
            "{d:?}"
        );
        assert_eq!(d.hooks[0].status, HookStatus::Failed);
        assert!(
            d.rollback_reason
                .as_deref()
                .is_some_and(|r| r.contains("smoke tests"))
        );
        let svc = w
            .env("radiox-prod")
            .unwrap()
            .service("backend-api")
            .unwrap();
        assert_eq!(svc.current_revision, blue);
    }

    #[test]
    fn a_pause_nobody_continues_rolls_back_at_its_timeout() {
        let (mut w, arn, blue) = deploy("radiox-prod", "backend-api", "v2.15.0");
        w.advance_to(start() + Duration::minutes(4));
        let expires = entry(&w, "radiox-prod", "backend-api", &arn)
            .waiting_hook()
            .and_then(|h| h.expires_at)
            .unwrap();
        w.advance_to(expires + Duration::minutes(2));
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(d.status, ServiceDeploymentStatus::RollbackSuccessful);
        assert_eq!(d.hooks[1].status, HookStatus::TimedOut);
        assert!(
            d.rollback_reason.as_deref().unwrap().contains("30 min"),
            "{d:?}"
        );
        let svc = w
            .env("radiox-prod")
            .unwrap()
            .service("backend-api")
            .unwrap();
        assert_eq!(svc.current_revision, blue);
    }

    #[test]
    fn the_release_manager_continues_ci_deployments() {
        let (mut w, arn, _) = deploy("radiox-prod", "backend-api", "v2.15.0");
        let (e, _, _) = w.env_and_rng("radiox-prod").unwrap();
        e.service_mut("backend-api")
            .unwrap()
            .shift
            .as_mut()
            .unwrap()
            .pipeline_approves = true;
        w.advance_to(start() + Duration::minutes(10));
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(d.traffic_on_target, Some(100.0), "{d:?}");
        let svc = w
            .env("radiox-prod")
            .unwrap()
            .service("backend-api")
            .unwrap();
        assert!(
            svc.trail
                .iter()
                .any(|e| e.call == "ContinueServiceDeployment"
                    && e.who.ends_with("ReleaseManager_2d41c7/dana.r"))
        );
    }

    #[test]
    fn linear_moves_traffic_in_steps_with_a_bake_after_each() {
        let (mut w, arn, _) = deploy_prepared("tellmemore-prod", "api", "3.5.0", |svc| {
            svc.config.strategy = Strategy::Linear {
                step_percent: 25.0,
                step_bake_minutes: 3,
            };
            svc.config.bake_minutes = Some(5);
        });
        let mut seen = vec![];
        for minute in 1..=30 {
            w.advance_to(start() + Duration::minutes(minute));
            let d = entry(&w, "tellmemore-prod", "api", &arn);
            if let Some(t) = d.traffic_on_target
                && seen.last() != Some(&t)
            {
                seen.push(t);
            }
        }
        assert_eq!(seen, [0.0, 25.0, 50.0, 75.0, 100.0]);
        let d = entry(&w, "tellmemore-prod", "api", &arn);
        assert_eq!(d.status, ServiceDeploymentStatus::Successful, "{d:?}");
    }

    #[test]
    fn the_operator_rolls_back_during_the_bake_and_traffic_returns_at_once() {
        let (mut w, arn, blue) = deploy("radiox-prod", "backend-api", "v2.15.0");
        w.advance_to(start() + Duration::minutes(4));
        approve(&mut w);
        w.advance_to(start() + Duration::minutes(6));
        assert_eq!(
            entry(&w, "radiox-prod", "backend-api", &arn).stage,
            Some(LifecycleStage::BakeTime)
        );
        let (e, rng, now) = w.env_and_rng("radiox-prod").unwrap();
        assert!(stop_with_rollback(
            e.service_mut("backend-api").unwrap(),
            now,
            rng
        ));
        let d = entry(&w, "radiox-prod", "backend-api", &arn);
        assert_eq!(d.status, ServiceDeploymentStatus::RollbackSuccessful);
        assert_eq!(d.traffic_on_target, Some(0.0));
        let svc = w
            .env("radiox-prod")
            .unwrap()
            .service("backend-api")
            .unwrap();
        assert_eq!(svc.current_revision, blue);
        assert_eq!(svc.deployments[0].status, DeploymentStatus::Primary);
        assert_eq!(svc.deployments[0].task_definition.revision, blue);
    }
}

mod estate {
    //! The generated estate of `--scale`: beside the seed environments,
    //! alive, quiet enough that what fires stands out.
    use super::*;
    use crate::estate::EstateSpec;

    #[test]
    fn a_generated_estate_runs_beside_the_seeds_and_is_mostly_quiet() {
        let spec = EstateSpec {
            services: 300,
            log_storm: 0,
        };
        let w = World::create(5, start(), Some(spec), None);
        assert_eq!(w.envs.len(), 7);
        let estate = w.env("estate-01").unwrap();
        assert_eq!(estate.services.len(), 300);
        let infos = World::environments(5, Some(spec));
        let made: Vec<_> = w.envs.iter().map(|e| e.spec.name.clone()).collect();
        assert_eq!(
            infos.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
            made
        );
        // A generated environment is production: nothing said otherwise.
        assert!(
            infos
                .iter()
                .all(|i| i.production == (i.name != "muejam-staging"))
        );
        // Half an hour of metrics and tasks running.
        let svc = &estate.services[0];
        assert!(
            svc.series[&Signal::Cpu].len() >= 25,
            "{}",
            svc.series[&Signal::Cpu].len()
        );
        assert_eq!(svc.running(), svc.desired);
        // Auto scaling's own low alarms sit in ALARM at the minimum, as
        // on AWS; the estate's own are mostly OK.
        let own: Vec<_> = estate
            .alarms
            .iter()
            .filter(|a| !a.spec.name.starts_with("TargetTracking-"))
            .collect();
        let firing = own.iter().filter(|a| a.state == AlarmState::Alarm).count();
        assert!(own.len() >= 300);
        assert!(firing * 100 < own.len(), "{firing} of {}", own.len());
    }

    #[test]
    fn a_storming_service_logs_thousands_of_lines_a_second() {
        let spec = EstateSpec {
            services: 3,
            log_storm: 2000,
        };
        let mut w = World::create(5, start(), Some(spec), None);
        w.advance_to(start() + Duration::seconds(10));
        let storm = &w.env("estate-01").unwrap().services[0];
        // 20,000 lines in the last tick: the kept ones are all from it.
        assert_eq!(storm.logs.len(), LOG_CAPACITY);
        assert!(storm.logs.iter().all(|e| e.timestamp > start()));
        let quiet = &w.env("estate-01").unwrap().services[1];
        assert!(quiet.logs.len() < 100, "{}", quiet.logs.len());
    }

    /// A light service keeps no log lines and a bounded hour of the
    /// signals it needs, however long the world runs; its lines are made
    /// when read, the same each time, and its p95 is its mean's multiple.
    #[test]
    fn a_light_service_stays_small_and_reads_the_same_lines_twice() {
        let spec = EstateSpec {
            services: 3,
            log_storm: 0,
        };
        let mut w = World::create(5, start(), Some(spec), None);
        let later = start() + Duration::hours(2);
        w.advance_to(later);
        let svc = &w.env("estate-01").unwrap().services[1];
        assert!(svc.spec.light && svc.logs_on_demand());
        assert!(svc.logs.is_empty());
        assert!(svc.series.len() < ALL_SIGNALS.len());
        assert!(svc.series.values().all(|s| s.len() <= LIGHT_METRIC_POINTS));
        assert!(
            svc.group_series
                .iter()
                .all(|g| g.requests.len() <= LIGHT_METRIC_POINTS)
        );
        let since = later - Duration::hours(1);
        let first = svc.log_lines(since, later);
        assert!(!first.is_empty());
        assert!(
            first
                .iter()
                .all(|e| e.timestamp > since && e.timestamp <= later)
        );
        assert!(
            first
                .iter()
                .zip(first.iter().skip(1))
                .all(|(a, b)| a.timestamp <= b.timestamp)
        );
        assert_eq!(first, svc.log_lines(since, later));
        let mean = svc.points(Signal::Latency, since, later);
        let p95 = svc.points(Signal::LatencyP95, since, later);
        assert_eq!(mean.len(), p95.len());
        assert!(!mean.is_empty());
        assert!(
            mean.iter()
                .zip(&p95)
                .all(|(m, p)| m.at == p.at && p.value == m.value * 2.5)
        );
    }
}
