//! The cockpit's side of the lease table: the leases its writes hold while
//! their rollouts are watched (renewed, then released when the watch ends
//! or the cockpit quits), and the operator's presence.

use flightdeck_core::lease::{Lease, LeaseError, Team};
use flightdeck_model::Timestamp;
use std::sync::{Arc, Mutex, PoisonError};

/// The team's table as the cockpit uses it; clones share the held leases.
#[derive(Debug, Clone)]
pub struct Live {
    pub team: Team,
    held: Arc<Mutex<Vec<Lease>>>,
}

impl Live {
    pub fn new(team: Team) -> Self {
        Live {
            team,
            held: Arc::default(),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Vec<Lease>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `lease` while the rollout of its write is watched.
    pub fn hold(&self, lease: Lease) {
        self.held().push(lease);
    }

    /// The leases held now.
    pub fn leases(&self) -> Vec<Lease> {
        self.held().clone()
    }

    /// Renews each held lease whose rollout `watched` says is still
    /// followed and releases the others. Returns what the operator must
    /// be told: a lease another operator took over (who, why).
    pub async fn keep(&self, watched: impl Fn(&Lease) -> bool, now: Timestamp) -> Vec<String> {
        let leases = std::mem::take(&mut *self.held());
        let mut kept = vec![];
        let mut said = vec![];
        for lease in leases {
            if !watched(&lease) {
                if let Err(e) = self.team.release(&lease, now).await {
                    tracing::warn!("the lease was not released ({e}); it expires by itself");
                }
                continue;
            }
            match self.team.renew(&lease, now).await {
                Ok(renewed) => kept.push(renewed),
                Err(LeaseError::Held(by)) => {
                    said.push(format!("{}; your watch goes on", by.told_to(&lease.holder)))
                }
                Err(e) => {
                    tracing::warn!("lease renewal: {e}");
                    kept.push(lease);
                }
            }
        }
        self.held().extend(kept);
        said
    }

    /// Gives every held lease back (the cockpit quits).
    pub async fn release_all(&self, now: Timestamp) {
        let leases = std::mem::take(&mut *self.held());
        for lease in leases {
            if let Err(e) = self.team.release(&lease, now).await {
                tracing::warn!("the lease was not released ({e}); it expires by itself");
            }
        }
    }
}
