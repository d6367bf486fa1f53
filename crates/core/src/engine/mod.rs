//! The engine: background pollers under a request budget. It learns what
//! the operator is looking at through a [`Focus`] and sends every result to
//! the app as a [`DataEvent`]; it never blocks the UI.

mod budget;
mod fetch;
mod schedule;

pub use budget::{ApiFamily, TokenBucket};
pub use fetch::{DataEvent, Fetched, Payload, ScalingData, fetch};
pub use schedule::{Focus, Job, JobKey, JobKind, Schedule, View};

use crate::provider::Provider;
use flightdeck_model::clock::Clock;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{mpsc, watch};

/// How often the scheduler wakes up to look for due work.
const SCHEDULER_PERIOD: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs the pollers until `events` is closed. One request budget per
/// environment and API family; one fetch per job key in flight at a time.
pub async fn run(
    providers: Vec<Arc<dyn Provider>>,
    clock: Arc<dyn Clock>,
    mut focus: watch::Receiver<Focus>,
    events: mpsc::UnboundedSender<DataEvent>,
) {
    let mut schedule = Schedule::default();
    let mut buckets: HashMap<(String, ApiFamily), TokenBucket> = HashMap::new();
    let in_flight: Arc<Mutex<HashSet<JobKey>>> = Arc::default();
    let mut generation = 0u64;
    let mut ticker = tokio::time::interval(SCHEDULER_PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = focus.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
        if events.is_closed() {
            return;
        }
        let now = clock.now();
        let current = focus.borrow_and_update().clone();
        for job in schedule.due(&current, now) {
            let busy = in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&job.key);
            if busy {
                continue;
            }
            let Some(provider) = providers
                .iter()
                .find(|p| p.environment().name == job.key.env)
                .cloned()
            else {
                continue;
            };
            let bucket = buckets
                .entry((job.key.env.clone(), job.family()))
                .or_insert_with(|| TokenBucket::for_family(job.family(), now));
            if !bucket.try_take(job.cost(), now) {
                tracing::debug!(?job.key, "request budget exhausted; deferred");
                continue;
            }
            schedule.started(&job.key, now);
            generation += 1;
            in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(job.key.clone());
            let events = events.clone();
            let in_flight = in_flight.clone();
            let clock = clock.clone();
            tokio::spawn(async move {
                let event = fetch(provider.as_ref(), &job, generation, clock.as_ref()).await;
                in_flight
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&job.key);
                let _ = events.send(event);
            });
        }
    }
}
