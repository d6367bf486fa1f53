//! Incident drills on the simulation: every embedded scenario's course is
//! deterministic under a seed (its change timeline is a snapshot), and a
//! scenario left alone ends the way its file says.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use chrono::Duration;
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::model::{AlarmState, Timestamp};
use flightdeck::provider::ReadProvider;
use flightdeck::provider::prelude::*;
use flightdeck::sim::scenario::{self, Scenario};
use flightdeck::sim::{SimProvider, World};
use flightdeck::timeline::{Kind, Scope, gather};
use std::sync::{Arc, Mutex};

fn start() -> Timestamp {
    chrono::DateTime::parse_from_rfc3339("2026-11-22T14:30:00Z")
        .unwrap()
        .to_utc()
}

fn named(name: &str) -> Scenario {
    scenario::embedded()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
}

/// The drill's environment, on a world playing it, and the clock to move.
struct Drill {
    clock: ManualClock,
    world: Arc<Mutex<World>>,
    p: SimProvider,
}

fn drill(name: &str) -> Drill {
    let scenario = named(name);
    let env = scenario.environment.get_ref().clone();
    let clock = ManualClock::new(start());
    let world = Arc::new(Mutex::new(crate::common::scenario_world(&scenario)));
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let p = SimProvider::all(world.clone(), shared)
        .into_iter()
        .find(|p| p.environment().name == env)
        .unwrap();
    Drill { clock, world, p }
}

impl Drill {
    /// Moves the drill to `minutes` after its start.
    fn at(&self, minutes: i64) {
        self.clock.set(start() + Duration::minutes(minutes));
        self.world
            .lock()
            .unwrap()
            .advance_to(start() + Duration::minutes(minutes));
    }

    fn with<T>(&self, f: impl FnOnce(&flightdeck::sim::world::EnvState) -> T) -> T {
        let world = self.world.lock().unwrap();
        let env = world
            .env(
                world
                    .scenario
                    .as_ref()
                    .unwrap()
                    .scenario
                    .environment
                    .get_ref(),
            )
            .unwrap();
        f(env)
    }
}

/// The drill's change timeline, oldest first, times from its start: what a
/// postmortem would list. Each service's own timeline (with ECS's
/// deployment history), merged.
async fn course(d: &Drill) -> String {
    let since = start() - Duration::minutes(1);
    let mut entries = vec![];
    for svc in flightdeck::provider::all_services(&d.p).await.unwrap() {
        let t = gather(
            &d.p,
            &Scope::Service(svc.reference()),
            since,
            &Default::default(),
        )
        .await
        .unwrap();
        entries.extend(t.entries);
    }
    entries.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then(a.kind.cmp(&b.kind))
            .then(a.summary.cmp(&b.summary))
    });
    // ECS's service events repeat what the other entries say, at length.
    let mut lines: Vec<String> = entries
        .iter()
        .filter(|e| e.kind != Kind::Event)
        .map(|e| {
            let offset = e.at - start();
            format!(
                "{:>+4}:{:02} {:<8} {:<20} {}",
                offset.num_minutes(),
                (offset.num_seconds() % 60).abs(),
                e.kind.to_string(),
                e.service.as_ref().map_or("", |s| s.name.as_str()),
                e.summary
            )
        })
        .collect();
    lines.dedup();
    lines.join("\n")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn every_scenario_runs_the_same_course_under_the_same_seed() {
    for s in scenario::embedded() {
        let a = drill(&s.name);
        let b = drill(&s.name);
        a.at(i64::from(s.minutes));
        b.at(i64::from(s.minutes));
        let (ca, cb) = rt().block_on(async { (course(&a).await, course(&b).await) });
        assert_eq!(ca, cb, "{}", s.name);
        insta::assert_snapshot!(format!("course_{}", s.name), ca);
    }
}

#[test]
fn bad_deploy_left_alone_is_rolled_back_by_the_circuit_breaker() {
    let d = drill("bad-deploy");
    let before = d.with(|e| e.service("backend").unwrap().current_revision);
    d.at(3);
    let failing = d.with(|e| {
        let svc = e.service("backend").unwrap();
        svc.stopped
            .iter()
            .filter(|t| {
                t.stopped_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("Task failed ELB health checks"))
            })
            .count()
    });
    assert!(failing > 0, "tasks fail their health checks by 3m");
    d.at(20);
    d.with(|e| {
        let svc = e.service("backend").unwrap();
        assert_eq!(svc.current_revision, before, "back on the old revision");
        let bad = svc
            .history
            .iter()
            .find(|d| d.target.as_ref().is_some_and(|t| t.revision == before + 1))
            .unwrap();
        assert_eq!(bad.status.to_string(), "ROLLBACK_SUCCESSFUL", "{bad:?}");
        assert!(bad.circuit_breaker_failures.unwrap() >= 3, "{bad:?}");
    });
}

#[test]
fn a_traffic_spike_drives_auto_scaling_into_its_maximum() {
    let d = drill("traffic-spike");
    d.at(25);
    d.with(|e| {
        let api = e.service("backend-api").unwrap();
        let max = api.target.as_ref().unwrap().max;
        assert_eq!(api.desired, max, "backend-api at its maximum");
        let queue = e.service("processing-service").unwrap();
        assert_eq!(queue.desired, queue.target.as_ref().unwrap().max);
        let depth = queue
            .latest(flightdeck::sim::catalog::Signal::QueueDepth)
            .unwrap();
        assert!(
            depth > 15.0,
            "the queue climbs past what the maximum drains: {depth}"
        );
    });
}

#[test]
fn an_az_outage_stops_its_tasks_and_qdrant_cannot_be_placed() {
    let d = drill("az-outage");
    d.at(12);
    d.with(|e| {
        for svc in &e.services {
            assert!(
                svc.tasks
                    .iter()
                    .all(|t| t.availability_zone != "us-east-1b"),
                "{} still places tasks in the failed zone",
                svc.spec.name
            );
        }
        let lost = e
            .services
            .iter()
            .flat_map(|s| s.stopped.iter())
            .filter(|t| {
                t.stopped_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("Host EC2 (instance i-0"))
            })
            .count();
        assert!(lost > 0, "tasks stopped with host errors");
        let qdrant = e.service("qdrant").unwrap();
        assert!(
            qdrant.running() < qdrant.desired,
            "qdrant is short of tasks"
        );
        assert!(
            qdrant
                .events
                .iter()
                .any(|ev| ev.message.contains("unable to place a task")),
            "ECS says why"
        );
        let backend = e.service("backend").unwrap();
        assert_eq!(backend.running(), backend.desired, "backend recovered");
    });
    d.at(35);
    d.with(|e| {
        let qdrant = e.service("qdrant").unwrap();
        assert_eq!(qdrant.running(), qdrant.desired, "back when the zone is");
    });
}

#[test]
fn a_slow_dependency_makes_its_caller_fail_and_says_so_in_its_logs() {
    let d = drill("slow-dependency");
    d.at(12);
    d.with(|e| {
        use flightdeck::sim::catalog::Signal;
        let api = e.service("api").unwrap();
        let search = e.service("search-service").unwrap();
        assert!(api.latest(Signal::ErrorRate).unwrap() > 4.0);
        assert!(
            api.logs
                .iter()
                .any(|l| l.message.contains("upstream search-service timed out")),
            "api's error lines name search-service"
        );
        assert!(
            search.latest(Signal::ErrorRate).unwrap() < 2.0,
            "search itself answers"
        );
        let firing: Vec<&str> = e
            .alarms
            .iter()
            .filter(|a| a.state == AlarmState::Alarm)
            .map(|a| a.spec.name.as_str())
            .collect();
        assert!(
            firing.iter().any(|a| a.starts_with("tellmemore-prod-api")),
            "an alarm of api fires: {firing:?}"
        );
    });
    d.at(35);
    d.with(|e| {
        use flightdeck::sim::catalog::Signal;
        assert!(e.service("api").unwrap().latest(Signal::ErrorRate).unwrap() < 2.0);
    });
}

#[test]
fn a_cost_runaway_shows_in_the_costs_and_in_cloudtrail() {
    let d = drill("cost-runaway");
    d.at(5);
    rt().block_on(async {
        let costs = d.p.costs(14).await.unwrap();
        let days: Vec<f64> = costs.days.iter().map(|x| x.amount).collect();
        let before: f64 = days[..10].iter().sum::<f64>() / 10.0;
        let after: f64 = days[11..].iter().sum::<f64>() / 3.0;
        assert!(after > before * 1.5, "daily cost {before:.0} -> {after:.0}");
        let writes = d.p.write_events(start() - Duration::days(4)).await.unwrap();
        let scale = writes
            .iter()
            .find(|w| {
                w.service.as_deref() == Some("worker")
                    && w.parameters.contains(&"desiredCount=40".to_string())
            })
            .unwrap();
        assert!(scale.who.ends_with("maria.k"), "{scale:?}");
        // Three days ago, and inside a 3d window for the whole drill.
        let ago = start() - scale.at;
        assert!(
            ago >= Duration::hours(70) && ago + Duration::minutes(20) < Duration::days(3),
            "{ago}"
        );
        assert!(scale.parameters.contains(&"desiredCount=40".to_string()));
        // The story is the only write to worker in its history: nobody
        // changed it again the same day.
        let later: Vec<_> = writes
            .iter()
            .filter(|w| w.service.as_deref() == Some("worker") && w.at > scale.at)
            .collect();
        assert!(later.is_empty(), "{later:#?}");
        // Its tasks have run since the scale-out, not since the drill began.
        let cluster = d.with(|e| e.service("worker").unwrap().cluster.clone());
        let tasks =
            d.p.tasks(&flightdeck::model::ServiceRef::new(&cluster, "worker"))
                .await
                .unwrap();
        let long_running = tasks
            .iter()
            .filter(|t| {
                t.started_at
                    .is_some_and(|s| start() - s >= Duration::hours(70))
            })
            .count();
        assert!(long_running >= 30, "{long_running} of {}", tasks.len());
        let svc =
            d.p.services(&cluster)
                .await
                .unwrap()
                .into_iter()
                .find(|s| s.name == "worker")
                .unwrap();
        let dates: Vec<_> = svc.events.iter().map(|e| e.created_at).collect();
        assert!(
            dates.windows(2).all(|w| w[0] >= w[1]),
            "newest first: {dates:?}"
        );
    });
    d.with(|e| assert_eq!(e.service("worker").unwrap().running(), 40));
}
