//! The polling engine's own loop (`engine::run`) against a provider that
//! panics: the panic becomes an error event for the pane, and the datum is
//! polled again afterwards (its in-flight key is not leaked).
#![expect(
    clippy::expect_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common::faulty;

use chrono::TimeZone;
use faulty::Faulty;
use flightdeck::app::{App, Pane};
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::engine::{self, DataEvent, JobKind, Payload};
use flightdeck::provider::{Provider, ReadProvider};
use flightdeck::sim::{SimProvider, World};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

async fn next_alarms(events: &mut mpsc::UnboundedReceiver<DataEvent>) -> DataEvent {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the engine is running");
        if event.key.kind == JobKind::Alarms {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_that_panics_is_reported_and_polled_again() {
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap();
    let clock = ManualClock::new(t0);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let world = Arc::new(Mutex::new(World::new(42, t0)));
    let sim = SimProvider::all(world, shared.clone())
        .into_iter()
        .find(|p| p.environment().name == "muejam-staging")
        .unwrap();
    let faulty = Arc::new(Faulty::new(Arc::new(Provider::new(sim))));
    faulty.alarm_panics.store(1, Ordering::SeqCst);
    let mut app = App::new(vec![faulty.environment().clone()], t0, false);
    app.pane = Pane::Alarms;
    let (_focus_tx, focus_rx) = watch::channel(app.focus());
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let providers = vec![Arc::new(Provider::shared(faulty.clone()))];
    let (budget_tx, budget) = watch::channel(engine::BudgetReport::default());
    let engine = tokio::spawn(engine::run(
        providers,
        shared,
        Default::default(),
        focus_rx,
        events_tx,
        Some(budget_tx),
    ));

    let first = next_alarms(&mut events).await;
    let error = first.data.result.unwrap_err().to_string();
    assert!(error.contains("internal error"), "{error}");
    assert!(error.contains("panicked"), "{error}");

    // Once the alarms are due again, they are fetched again, and this time
    // they arrive.
    clock.advance(chrono::Duration::seconds(61));
    let second = next_alarms(&mut events).await;
    let Ok(Payload::Alarms(alarms)) = second.data.result else {
        panic!("{:?}", second.data.result);
    };
    assert!(!alarms.is_empty());
    assert_eq!(faulty.alarm_calls.load(Ordering::SeqCst), 2);
    assert!(second.data.generation > first.data.generation);

    // The budget the debug overlay shows: the two alarm reads were paid
    // from the environment's CloudWatch bucket, which has its burst less
    // what the last round spent.
    let report = budget.borrow().clone();
    let cloudwatch = report
        .buckets
        .iter()
        .find(|b| b.family == engine::ApiFamily::CloudWatch)
        .expect("a CloudWatch bucket");
    assert_eq!(cloudwatch.env, "muejam-staging");
    assert!(cloudwatch.started >= 2, "{cloudwatch:?}");
    assert!(cloudwatch.available < cloudwatch.capacity, "{cloudwatch:?}");
    assert_eq!(cloudwatch.deferred, 0);
    engine.abort();
}

/// A clock that moves on a second each time it is read: reads that take
/// time.
struct Running(Mutex<flightdeck::model::Timestamp>);

impl Clock for Running {
    fn now(&self) -> flightdeck::model::Timestamp {
        let mut t = self.0.lock().expect("the clock's lock");
        let now = *t;
        *t += chrono::Duration::seconds(1);
        now
    }
}

/// A fetch is stamped with the instant it began: what it read is at least
/// that recent, never more, so a read that began before a write is never
/// taken for one made after it (the rollout watch's guard).
#[tokio::test]
async fn a_fetch_is_stamped_with_the_instant_it_began() {
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap();
    let shared: Arc<dyn Clock> = Arc::new(ManualClock::new(t0));
    let world = Arc::new(Mutex::new(World::new(42, t0)));
    let sim = SimProvider::all(world, shared)
        .into_iter()
        .find(|p| p.environment().name == "muejam-staging")
        .expect("muejam-staging");
    let job = engine::Job {
        key: engine::JobKey {
            env: "muejam-staging".into(),
            kind: JobKind::Services,
        },
        logs_since: None,
        known_services: 0,
    };
    let clock = Running(Mutex::new(t0));
    let event = engine::fetch(&Provider::new(sim), &job, 1, &clock, &Default::default()).await;
    assert!(event.data.result.is_ok());
    assert_eq!(event.data.fetched_at, t0);
}
