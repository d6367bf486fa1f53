//! The engine: background pollers under a request budget. It learns what
//! the operator is looking at through a [`Focus`] and sends every result to
//! the app as a [`DataEvent`]; it never blocks the UI.

mod budget;
mod fetch;
mod schedule;

pub use budget::{ApiFamily, BucketReport, BudgetReport, TokenBucket};
pub use fetch::{DataEvent, Fetched, Payload, ScalingData, fetch};
pub use schedule::{Focus, Job, JobKey, JobKind, Queries, Schedule, View};

use crate::provider::{Provider, ProviderError};
use crate::timeline::Records;
use flightdeck_model::Timestamp;
use flightdeck_model::clock::Clock;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// How often the scheduler wakes up to look for due work.
const SCHEDULER_PERIOD: std::time::Duration = std::time::Duration::from_millis(200);

/// A bucket and what it let through and held back.
struct Budget {
    bucket: TokenBucket,
    started: u64,
    deferred: u64,
}

/// The buckets as the debug overlay shows them.
fn report(
    budgets: &mut BTreeMap<(String, ApiFamily), Budget>,
    in_flight: usize,
    now: Timestamp,
) -> BudgetReport {
    BudgetReport {
        buckets: budgets
            .iter_mut()
            .map(|((env, family), b)| BucketReport {
                env: env.clone(),
                family: *family,
                available: b.bucket.available(now),
                capacity: b.bucket.capacity(),
                refill_per_sec: b.bucket.refill_per_sec(),
                started: b.started,
                deferred: b.deferred,
            })
            .collect(),
        in_flight,
    }
}

/// Runs the pollers until `events` is closed. One request budget per
/// environment and API family; one fetch per job key in flight at a time.
/// After each round, the budget is published on `budget` when given (the
/// debug overlay reads it).
///
/// Fetches run in a [`JoinSet`] owned by this loop: however a fetch ends,
/// its key leaves the in-flight set when the loop reaps it, and a fetch that
/// panicked is answered with an error event for its pane (and polled again).
pub async fn run(
    providers: Vec<Arc<Provider>>,
    clock: Arc<dyn Clock>,
    records: Records,
    mut focus: watch::Receiver<Focus>,
    events: mpsc::UnboundedSender<DataEvent>,
    budget: Option<watch::Sender<BudgetReport>>,
) {
    let mut schedule = Schedule::default();
    let mut budgets: BTreeMap<(String, ApiFamily), Budget> = BTreeMap::new();
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
                        failed_fetch(key, generation, &e, clock.as_ref())
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
            let budget = budgets
                .entry((job.key.env.clone(), job.family()))
                .or_insert_with(|| Budget {
                    bucket: TokenBucket::for_family(job.family(), now),
                    started: 0,
                    deferred: 0,
                });
            if !budget.bucket.try_take(job.cost(), now) {
                budget.deferred += 1;
                tracing::debug!(?job.key, "request budget exhausted; deferred");
                continue;
            }
            budget.started += 1;
            schedule.started(&job.key, now);
            generation += 1;
            let key = job.key.clone();
            let clock = clock.clone();
            let records = records.clone();
            let handle = fetches.spawn(async move {
                fetch(
                    provider.as_ref(),
                    &job,
                    generation,
                    clock.as_ref(),
                    &records,
                )
                .await
            });
            in_flight.insert(handle.id(), (key, generation));
        }
        if let Some(budget) = &budget {
            budget.send_replace(report(&mut budgets, in_flight.len(), now));
        }
    }
}

/// The event of a fetch that did not finish (it panicked): an error in the
/// pane of its datum, so the operator sees it and the datum is polled again.
fn failed_fetch(
    key: JobKey,
    generation: u64,
    error: &tokio::task::JoinError,
    clock: &dyn Clock,
) -> DataEvent {
    let (now, run) = (clock.now(), clock.run());
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
            run: Some(run),
            result: Err(ProviderError::Other(format!(
                "internal error: reading this {what}; it is read again at the next refresh (details in the log file)"
            ))),
        },
        key,
    }
}
