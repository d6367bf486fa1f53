//! The revisions a rollback without a named target can go back to, each
//! with what ECS's deployment history says of it: how long it ran settled
//! and when it last did, so the operator picks one that was healthy.

use super::plan::RevisionChoice;
use crate::provider::ReadProvider;
use chrono::Duration;
use flightdeck_model::{ServiceDeployment, ServiceDeploymentStatus, TaskDefRef, Timestamp};
use std::collections::HashMap;

/// How many earlier revisions a rollback without a target offers.
const REVISION_CHOICES: usize = 5;

/// The revisions of `current`'s family before it, newest first, each
/// described (its images, when it was registered, how long it ran); one
/// that cannot be read is left out.
pub(super) async fn earlier_revisions(
    p: &dyn ReadProvider,
    current: &TaskDefRef,
    history: &[ServiceDeployment],
) -> Vec<RevisionChoice> {
    let mut revisions = p
        .task_definition_revisions(&current.family)
        .await
        .unwrap_or_default();
    revisions.retain(|r| r.revision < current.revision);
    revisions.sort_by_key(|r| std::cmp::Reverse(r.revision));
    let served = served(history);
    let mut out = vec![];
    for r in revisions.into_iter().take(REVISION_CHOICES) {
        if let Ok(td) = p.task_definition(&r).await {
            let ran = served.get(&r);
            out.push(RevisionChoice {
                images: td.containers.iter().map(|c| c.image.clone()).collect(),
                registered_at: td.registered_at,
                ran_seconds: ran.and_then(|s| s.for_how_long).map(|d| d.num_seconds()),
                last_ran: ran.map(|s| s.until),
                revision: r,
            });
        }
    }
    out
}

/// What the history says one revision did.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Served {
    /// How long it ran settled, in all; `None` when it ran only before
    /// the oldest deployment on record (since when is unknown).
    for_how_long: Option<Duration>,
    /// When it last stopped being the service's settled revision.
    until: Timestamp,
}

/// Each revision the service settled on, by ECS's history (any order): a
/// deployment that succeeded leaves its target running, one rolled back or
/// stopped leaves its source, until the next deployment begins. A
/// deployment still going settles nothing.
fn served(history: &[ServiceDeployment]) -> HashMap<TaskDefRef, Served> {
    let mut oldest_first: Vec<&ServiceDeployment> = history.iter().collect();
    oldest_first.sort_by_key(|d| d.created_at);
    let mut out: HashMap<TaskDefRef, Served> = HashMap::new();
    if let Some(first) = oldest_first.first() {
        for source in &first.sources {
            out.insert(
                source.clone(),
                Served {
                    for_how_long: None,
                    until: first.created_at,
                },
            );
        }
    }
    for pair in oldest_first.windows(2) {
        let (d, next) = (pair[0], pair[1]);
        let settled = match d.status {
            ServiceDeploymentStatus::Successful => d.target.clone(),
            ServiceDeploymentStatus::RollbackSuccessful | ServiceDeploymentStatus::Stopped => {
                d.sources.first().cloned()
            }
            _ => None,
        };
        let Some(revision) = settled else { continue };
        let from = d.finished_at.unwrap_or(d.created_at);
        let span = (next.created_at - from).max(Duration::zero());
        let entry = out.entry(revision).or_insert(Served {
            for_how_long: None,
            until: next.created_at,
        });
        entry.for_how_long = Some(entry.for_how_long.unwrap_or_else(Duration::zero) + span);
        entry.until = entry.until.max(next.created_at);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{service_deployment, t0};

    fn at(hour: i64) -> Timestamp {
        t0() + Duration::hours(hour)
    }

    fn rev(n: u32) -> TaskDefRef {
        TaskDefRef::new("api", n)
    }

    /// `from` to `to`, begun at `created` and ended at `finished` (hours).
    fn deployment(
        status: ServiceDeploymentStatus,
        from: u32,
        to: u32,
        created: i64,
        finished: i64,
    ) -> ServiceDeployment {
        let mut d = service_deployment(to, status);
        d.sources = vec![rev(from)];
        d.created_at = at(created);
        d.finished_at = Some(at(finished));
        d
    }

    #[test]
    fn a_revision_runs_from_its_deployment_settling_to_the_next_one() {
        use ServiceDeploymentStatus::*;
        // :10 before 1:00; :11 settled at 2:00, replaced at 5:00 by :12,
        // which failed and left :11 running again from 6:00 to 9:00.
        let history = vec![
            deployment(Successful, 12, 13, 9, 10),
            deployment(RollbackSuccessful, 11, 12, 5, 6),
            deployment(Successful, 10, 11, 1, 2),
        ];
        let served = served(&history);
        assert_eq!(
            served[&rev(10)],
            Served {
                for_how_long: None,
                until: at(1)
            }
        );
        assert_eq!(
            served[&rev(11)],
            Served {
                for_how_long: Some(Duration::hours(3 + 3)),
                until: at(9)
            }
        );
        assert!(!served.contains_key(&rev(12)), "it never settled");
        assert!(!served.contains_key(&rev(13)), "it runs now");
    }
}
