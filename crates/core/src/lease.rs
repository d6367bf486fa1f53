//! The team's leases and presence (`[team] lease_table`).
//!
//! A write takes a *lease* on its service before its first call: one
//! operator's write at a time. A lease names its holder, what they are
//! doing and when it expires; the holder renews it while the rollout is
//! watched and releases it at the end, and a lease whose process died
//! expires by itself. Another operator's plan shows the lease; executing
//! is refused unless they take it over with a reason, which their audit
//! record keeps and the holder is told (their next renewal finds it gone).
//!
//! *Presence* is a heartbeat in the same table: who has an environment
//! (and which service) open now, expiring when they stop beating.
//!
//! [`LeaseStore`] is the table (DynamoDB in `flightdeck-aws`, in memory
//! for the simulation and the tests); [`Team`] is the rules over it.

use crate::provider::ProviderError;
use flightdeck_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a lease lasts unless renewed.
pub const LEASE_TTL: chrono::Duration = chrono::Duration::minutes(2);
/// How often a held lease is renewed while its rollout is watched.
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a presence lasts unless beaten again...
pub const PRESENCE_TTL: chrono::Duration = chrono::Duration::minutes(3);
/// ...a beat a minute.
pub const BEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// One operator's hold on one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The service: [`Team::key`].
    pub service: String,
    /// The operator (`[team] operator`, else the OS user at the host).
    pub holder: String,
    /// The caller identity's ARN the holder writes as.
    pub identity: String,
    /// What the holder is doing ("rollback checkout/api").
    pub what: String,
    pub since: Timestamp,
    pub expires: Timestamp,
    /// The holder this lease was taken over from, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Lease {
    /// Whether it still holds at `now` (the table deletes expired items
    /// only eventually, so every reader checks).
    pub fn live(&self, now: Timestamp) -> bool {
        self.expires > now
    }

    /// Who holds it and for what, in words.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} holds the lease ({}, since {}",
            self.holder,
            self.what,
            self.since.format("%H:%M:%S UTC")
        );
        if let Some(from) = &self.taken_from {
            text.push_str(&format!(", taken over from {from}"));
            if let Some(why) = &self.reason {
                text.push_str(&format!(": {why}"));
            }
        }
        text.push(')');
        text
    }
}

impl Lease {
    /// What `previous`, whose renewal found this lease, is told.
    pub fn told_to(&self, previous: &str) -> String {
        match &self.taken_from {
            Some(from) if from == previous => format!(
                "{} took the lease over from you ({}){}",
                self.holder,
                self.what,
                self.reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            _ => format!("{}; the lease is theirs now", self.describe()),
        }
    }
}

/// One operator with an environment open, beating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The environment: [`Team::scope`].
    pub scope: String,
    pub operator: String,
    /// The service they look at, when they look at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub seen: Timestamp,
    pub expires: Timestamp,
}

/// What stands in a write's way.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum LeaseError {
    /// Another operator holds the service (exit 3).
    #[error("refused: {}; nothing changed (take it over with a reason)", .0.describe())]
    Held(Box<Lease>),
    /// The lease table could not be read or written: nothing changed
    /// (a take-over with a reason writes without the table).
    #[error(
        "refused: the lease table could not be reached ({0}); nothing changed (a take-over with a reason writes without a lease)"
    )]
    Unavailable(String),
}

/// The lease table: conditional writes, so two operators racing for a
/// service cannot both win.
#[async_trait::async_trait]
pub trait LeaseStore: Send + Sync + std::fmt::Debug {
    /// The lease on `service`, live or not.
    async fn get(&self, service: &str) -> Result<Option<Lease>, ProviderError>;
    /// Writes `lease` when `service` has no live lease at `now`, or one of
    /// the same holder, or exactly `over` (a take-over of what was read);
    /// otherwise writes nothing and answers the lease in the way.
    async fn put(
        &self,
        lease: &Lease,
        now: Timestamp,
        over: Option<&Lease>,
    ) -> Result<Result<(), Lease>, ProviderError>;
    /// Moves the expiry of `lease` when its holder still holds it (the same
    /// `since`); otherwise answers the lease in the way.
    async fn renew(
        &self,
        lease: &Lease,
        expires: Timestamp,
    ) -> Result<Result<(), Option<Lease>>, ProviderError>;
    /// Ends `lease` when its holder still holds it: expired at `ended`,
    /// and kept until the table deletes it, so a holder it was taken over
    /// from still learns who took it and why.
    async fn release(&self, lease: &Lease, ended: Timestamp) -> Result<(), ProviderError>;
    /// Records the operator's presence.
    async fn beat(&self, presence: &Presence) -> Result<(), ProviderError>;
    /// Everyone present in `scope`, live or not.
    async fn present(&self, scope: &str) -> Result<Vec<Presence>, ProviderError>;
}

/// The team's rules over its table: who this operator is, how to name a
/// service, how a write takes, keeps and gives back its lease.
#[derive(Debug, Clone)]
pub struct Team {
    store: Arc<dyn LeaseStore>,
    pub operator: String,
}

impl Team {
    pub fn new(store: Arc<dyn LeaseStore>, operator: impl Into<String>) -> Self {
        Team {
            store,
            operator: operator.into(),
        }
    }

    /// A service as every operator's cockpit names it, whatever their
    /// environment is called: its account, region, cluster and name.
    pub fn key(account: &str, region: &str, cluster: &str, service: &str) -> String {
        format!("{account}/{region}/{cluster}/{service}")
    }

    /// An environment as every operator names it: its account and region.
    pub fn scope(account: &str, region: &str) -> String {
        format!("{account}/{region}")
    }

    /// The live lease of someone else on `service`: what a plan shows.
    pub async fn held_by_other(
        &self,
        service: &str,
        now: Timestamp,
    ) -> Result<Option<Lease>, ProviderError> {
        Ok(self
            .store
            .get(service)
            .await?
            .filter(|l| l.live(now) && l.holder != self.operator))
    }

    /// Takes the lease on `service` for `what`. Held by someone else, it
    /// is refused unless `take_over` gives a reason; then it is taken from
    /// exactly the holder read, so a third operator's lease taken meanwhile
    /// is not overwritten unseen.
    pub async fn take(
        &self,
        service: &str,
        identity: &str,
        what: &str,
        now: Timestamp,
        take_over: Option<&str>,
    ) -> Result<Lease, LeaseError> {
        use chrono::SubsecRound;
        let unavailable = |e: ProviderError| LeaseError::Unavailable(e.to_string());
        // To the millisecond: what a table keeps, and compares it by.
        let now = now.trunc_subsecs(3);
        let mut lease = Lease {
            service: service.to_string(),
            holder: self.operator.clone(),
            identity: identity.to_string(),
            what: what.to_string(),
            since: now,
            expires: now + LEASE_TTL,
            taken_from: None,
            reason: None,
        };
        let seen = match take_over {
            Some(_) => self
                .held_by_other(service, now)
                .await
                .map_err(unavailable)?,
            None => None,
        };
        if let (Some(seen), Some(reason)) = (&seen, take_over) {
            lease.taken_from = Some(seen.holder.clone());
            lease.reason = Some(reason.to_string());
        }
        match self.store.put(&lease, now, seen.as_ref()).await {
            Ok(Ok(())) => Ok(lease),
            Ok(Err(other)) => Err(LeaseError::Held(Box::new(other))),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Keeps `lease` for another [`LEASE_TTL`]. `Err(Held)`: someone took it
    /// over (the lease says who and why); `Ok(None)`: it was gone.
    pub async fn renew(&self, lease: &Lease, now: Timestamp) -> Result<Lease, LeaseError> {
        let expires = now + LEASE_TTL;
        match self.store.renew(lease, expires).await {
            Ok(Ok(())) => Ok(Lease {
                expires,
                ..lease.clone()
            }),
            Ok(Err(Some(other))) if other.holder != lease.holder || other.since != lease.since => {
                Err(LeaseError::Held(Box::new(other)))
            }
            // Expired and deleted: taken again, as it was.
            Ok(Err(_)) => match self.store.put(lease, now, None).await {
                Ok(Ok(())) => Ok(Lease {
                    expires,
                    ..lease.clone()
                }),
                Ok(Err(other)) => Err(LeaseError::Held(Box::new(other))),
                Err(e) => Err(LeaseError::Unavailable(e.to_string())),
            },
            Err(e) => Err(LeaseError::Unavailable(e.to_string())),
        }
    }

    /// Gives `lease` back (nothing when it was taken over meanwhile).
    pub async fn release(&self, lease: &Lease, now: Timestamp) -> Result<(), ProviderError> {
        // A second back: free at once, whatever the table's granularity.
        self.store
            .release(lease, now - chrono::Duration::seconds(1))
            .await
    }

    /// Says this operator has `scope` open (and `service`), until a
    /// [`PRESENCE_TTL`] from `now`.
    pub async fn beat(
        &self,
        scope: &str,
        service: Option<&str>,
        now: Timestamp,
    ) -> Result<(), ProviderError> {
        self.store
            .beat(&Presence {
                scope: scope.to_string(),
                operator: self.operator.clone(),
                service: service.map(str::to_string),
                seen: now,
                expires: now + PRESENCE_TTL,
            })
            .await
    }

    /// The other operators present in `scope` at `now`, by name.
    pub async fn others(
        &self,
        scope: &str,
        now: Timestamp,
    ) -> Result<Vec<Presence>, ProviderError> {
        let mut others: Vec<Presence> = self
            .store
            .present(scope)
            .await?
            .into_iter()
            .filter(|p| p.expires > now && p.operator != self.operator)
            .collect();
        others.sort_by(|a, b| a.operator.cmp(&b.operator));
        Ok(others)
    }
}

/// Others present, as the header says it: `2 others: alice on api, bob`.
pub fn describe_others(others: &[Presence]) -> Option<String> {
    if others.is_empty() {
        return None;
    }
    let names: Vec<String> = others
        .iter()
        .map(|p| match &p.service {
            Some(s) => format!("{} on {}", p.operator, s.rsplit('/').next().unwrap_or(s)),
            None => p.operator.clone(),
        })
        .collect();
    let count = if others.len() == 1 {
        "1 other".to_string()
    } else {
        format!("{} others", others.len())
    };
    Some(format!("{count}: {}", names.join(", ")))
}

/// A lease table in memory: the simulation's, and the tests'.
#[derive(Debug, Default)]
pub struct MemoryStore {
    leases: std::sync::Mutex<std::collections::BTreeMap<String, Lease>>,
    presence: std::sync::Mutex<std::collections::BTreeMap<(String, String), Presence>>,
}

fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl LeaseStore for MemoryStore {
    async fn get(&self, service: &str) -> Result<Option<Lease>, ProviderError> {
        Ok(locked(&self.leases).get(service).cloned())
    }

    async fn put(
        &self,
        lease: &Lease,
        now: Timestamp,
        over: Option<&Lease>,
    ) -> Result<Result<(), Lease>, ProviderError> {
        let mut leases = locked(&self.leases);
        if let Some(current) = leases.get(&lease.service) {
            let free = !current.live(now)
                || current.holder == lease.holder
                || over.is_some_and(|o| o.holder == current.holder && o.since == current.since);
            if !free {
                return Ok(Err(current.clone()));
            }
        }
        leases.insert(lease.service.clone(), lease.clone());
        Ok(Ok(()))
    }

    async fn renew(
        &self,
        lease: &Lease,
        expires: Timestamp,
    ) -> Result<Result<(), Option<Lease>>, ProviderError> {
        let mut leases = locked(&self.leases);
        match leases.get_mut(&lease.service) {
            Some(current) if current.holder == lease.holder && current.since == lease.since => {
                current.expires = expires;
                Ok(Ok(()))
            }
            other => Ok(Err(other.cloned())),
        }
    }

    async fn release(&self, lease: &Lease, ended: Timestamp) -> Result<(), ProviderError> {
        let mut leases = locked(&self.leases);
        if let Some(current) = leases.get_mut(&lease.service)
            && current.holder == lease.holder
            && current.since == lease.since
        {
            current.expires = ended;
        }
        Ok(())
    }

    async fn beat(&self, presence: &Presence) -> Result<(), ProviderError> {
        locked(&self.presence).insert(
            (presence.scope.clone(), presence.operator.clone()),
            presence.clone(),
        );
        Ok(())
    }

    async fn present(&self, scope: &str) -> Result<Vec<Presence>, ProviderError> {
        Ok(locked(&self.presence)
            .values()
            .filter(|p| p.scope == scope)
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339("2026-12-05T03:00:00Z")
            .unwrap()
            .to_utc()
            + chrono::Duration::minutes(minute)
    }

    fn two() -> (Team, Team) {
        let store: Arc<dyn LeaseStore> = Arc::new(MemoryStore::default());
        (Team::new(store.clone(), "alice"), Team::new(store, "bob"))
    }

    const API: &str = "1111/eu-west-1/prod/api";

    #[tokio::test]
    async fn the_second_operator_is_refused_and_told_who_holds_the_service() {
        let (alice, bob) = two();
        alice
            .take(API, "arn:alice", "rollback prod/api", at(0), None)
            .await
            .unwrap();
        let refused = bob
            .take(API, "arn:bob", "deploy prod/api", at(1), None)
            .await
            .unwrap_err();
        let LeaseError::Held(held) = &refused else {
            panic!("{refused:?}")
        };
        assert_eq!(held.holder, "alice");
        assert!(
            refused
                .to_string()
                .contains("alice holds the lease (rollback prod/api")
        );
        assert_eq!(
            bob.held_by_other(API, at(1)).await.unwrap().unwrap().holder,
            "alice"
        );
        assert_eq!(
            alice.held_by_other(API, at(1)).await.unwrap(),
            None,
            "her own"
        );
    }

    #[tokio::test]
    async fn a_lease_nobody_renews_expires_and_is_free_again() {
        let (alice, bob) = two();
        alice.take(API, "a", "scale", at(0), None).await.unwrap();
        assert!(bob.take(API, "b", "deploy", at(1), None).await.is_err());
        let lease = bob.take(API, "b", "deploy", at(3), None).await.unwrap();
        assert_eq!(lease.taken_from, None, "an expired lease is not taken over");
        // Alice's renewal now finds bob's lease.
        let stale = Lease {
            holder: "alice".into(),
            since: at(0),
            ..lease.clone()
        };
        assert!(
            matches!(alice.renew(&stale, at(3)).await, Err(LeaseError::Held(l)) if l.holder == "bob")
        );
    }

    #[tokio::test]
    async fn a_take_over_needs_a_reason_is_kept_and_the_holder_learns_of_it_on_renewal() {
        let (alice, bob) = two();
        let hers = alice.take(API, "a", "deploy", at(0), None).await.unwrap();
        let his = bob
            .take(
                API,
                "b",
                "rollback",
                at(1),
                Some("her deploy is failing, paged"),
            )
            .await
            .unwrap();
        assert_eq!(his.taken_from.as_deref(), Some("alice"));
        let lost = alice.renew(&hers, at(1)).await.unwrap_err();
        let LeaseError::Held(by) = lost else { panic!() };
        assert_eq!(by.holder, "bob");
        assert!(
            by.describe()
                .contains("taken over from alice: her deploy is failing")
        );
        // Her release leaves his lease alone.
        alice.release(&hers, at(1)).await.unwrap();
        assert_eq!(
            alice
                .held_by_other(API, at(1))
                .await
                .unwrap()
                .unwrap()
                .holder,
            "bob"
        );
        bob.release(&his, at(1)).await.unwrap();
        assert_eq!(alice.held_by_other(API, at(1)).await.unwrap(), None);
        // Released, it still tells her who took it over.
        let LeaseError::Held(by) = alice.renew(&hers, at(1)).await.unwrap_err() else {
            panic!()
        };
        assert_eq!(by.taken_from.as_deref(), Some("alice"));
        assert!(
            alice.take(API, "a", "deploy", at(1), None).await.is_ok(),
            "free again"
        );
    }

    #[tokio::test]
    async fn renewing_keeps_the_lease_past_its_first_expiry() {
        let (alice, bob) = two();
        let mut lease = alice.take(API, "a", "deploy", at(0), None).await.unwrap();
        for minute in 1..6 {
            lease = alice.renew(&lease, at(minute)).await.unwrap();
        }
        assert!(bob.take(API, "b", "x", at(6), None).await.is_err());
    }

    #[tokio::test]
    async fn presence_lists_the_others_until_they_stop_beating() {
        let (alice, bob) = two();
        let scope = Team::scope("1111", "eu-west-1");
        alice.beat(&scope, Some(API), at(0)).await.unwrap();
        bob.beat(&scope, None, at(0)).await.unwrap();
        let seen_by_bob = bob.others(&scope, at(1)).await.unwrap();
        assert_eq!(
            describe_others(&seen_by_bob).unwrap(),
            "1 other: alice on api"
        );
        assert_eq!(bob.others(&scope, at(4)).await.unwrap(), vec![], "expired");
        assert_eq!(describe_others(&[]), None);
        let carol = Team::new(alice.store.clone(), "carol");
        carol.beat(&scope, None, at(0)).await.unwrap();
        assert_eq!(
            describe_others(&alice.others(&scope, at(1)).await.unwrap()).unwrap(),
            "2 others: bob, carol"
        );
    }
}
