//! The world's own tests: determinism, rollouts, scaling, alarms.

use super::*;

mod determinism_and_rollouts {
    use super::*;

    fn start() -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap()
    }

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
                assert!(
                    cpu.len() >= 170,
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
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
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
