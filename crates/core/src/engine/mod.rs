//! The engine: background pollers under a request budget. It learns what
//! the operator is looking at through a [`Focus`] and sends every result to
//! the app as a [`DataEvent`]; it never blocks the UI.

mod budget;
mod fetch;
mod schedule;

pub use budget::{ApiFamily, TokenBucket};
pub use fetch::{DataEvent, Fetched, Payload, ScalingData, fetch};
pub use schedule::{Focus, Job, JobKey, JobKind, Schedule, View};

use crate::audit::AuditLog;
use crate::provider::{Provider, ProviderError};
use flightdeck_model::clock::Clock;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// How often the scheduler wakes up to look for due work.
const SCHEDULER_PERIOD: std::time::Duration = std::time::Duration::from_millis(200);

/// Runs the pollers until `events` is closed. One request budget per
/// environment and API family; one fetch per job key in flight at a time.
///
/// Fetches run in a [`JoinSet`] owned by this loop: however a fetch ends,
/// its key leaves the in-flight set when the loop reaps it, and a fetch that
/// panicked is answered with an error event for its pane (and polled again).
pub async fn run(
    providers: Vec<Arc<dyn Provider>>,
    clock: Arc<dyn Clock>,
    audit: Option<AuditLog>,
    mut focus: watch::Receiver<Focus>,
    events: mpsc::UnboundedSender<DataEvent>,
) {
    let mut schedule = Schedule::default();
    let mut buckets: HashMap<(String, ApiFamily), TokenBucket> = HashMap::new();
    let mut fetches: JoinSet<DataEvent> = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, (JobKey, u64)> = HashMap::new();
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
            Some(done) = fetches.join_next_with_id() => {
                let event = match done {
                    Ok((id, event)) => {
                        in_flight.remove(&id);
                        event
                    }
                    Err(e) => {
                        let Some((key, generation)) = in_flight.remove(&e.id()) else {
                            continue;
                        };
                        failed_fetch(key, generation, &e, clock.now())
                    }
                };
                let _ = events.send(event);
                continue;
            }
        }
        if events.is_closed() {
            return;
        }
        let now = clock.now();
        let current = focus.borrow_and_update().clone();
        for job in schedule.due(&current, now) {
            if in_flight.values().any(|(key, _)| *key == job.key) {
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
            let key = job.key.clone();
            let clock = clock.clone();
            let audit = audit.clone();
            let handle = fetches.spawn(async move {
                fetch(
                    provider.as_ref(),
                    &job,
                    generation,
                    clock.as_ref(),
                    audit.as_ref(),
                )
                .await
            });
            in_flight.insert(handle.id(), (key, generation));
        }
    }
}

/// The event of a fetch that did not finish (it panicked): an error in the
/// pane of its datum, so the operator sees it and the datum is polled again.
fn failed_fetch(
    key: JobKey,
    generation: u64,
    error: &tokio::task::JoinError,
    now: flightdeck_model::Timestamp,
) -> DataEvent {
    let what = if error.is_panic() {
        "panicked"
    } else {
        "was cancelled"
    };
    tracing::error!(?key, "fetch {what}: {error}");
    DataEvent {
        data: Fetched {
            fetched_at: now,
            generation,
            result: Err(ProviderError::Other(format!(
                "internal error: reading this {what}; it is read again at the next refresh (details in the log file)"
            ))),
        },
        key,
    }
}
