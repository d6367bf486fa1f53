//! An environment's last known state: what a run knew of it (services,
//! clusters, alarms, scaling, the sparklines' metrics, the caller), kept on
//! disk between runs and drawn at once on the next start, marked with its
//! age, until this run's own answers replace it pane by pane.
//!
//! Only what the panes and triage draw is kept: never a task definition
//! (their environment values), log lines, tasks or plans. A plan reads the
//! provider, never this.

use super::data::{EnvData, Slot};
use flightdeck_core::engine::ScalingData;
use flightdeck_model::{Alarm, CallerIdentity, Cluster, MetricSeries, Service, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The format of a kept state; another one is ignored, not misread.
pub const LAST_KNOWN_VERSION: u32 = 1;

/// One datum and when it was fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Known<T> {
    pub fetched_at: Timestamp,
    pub data: T,
}

/// What a run knew of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastKnown {
    pub version: u32,
    /// The environment's name, as the config names it.
    pub env: String,
    pub identity: Option<Known<CallerIdentity>>,
    pub clusters: Option<Known<Vec<Cluster>>>,
    pub services: Option<Known<Vec<Service>>>,
    pub metrics: Option<Known<HashMap<String, MetricSeries>>>,
    pub scaling: Option<Known<ScalingData>>,
    pub alarms: Option<Known<Vec<Alarm>>>,
    /// A first screen of a larger state: its services cut to the first
    /// ones by name, of this many (the whole state is read just after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_of: Option<usize>,
}

impl LastKnown {
    /// The first screen of a state of more than `services` services: the
    /// first ones by cluster and name (the services pane's order), the
    /// alarms and the caller, no sparklines or scaling; `None` for a
    /// state that small. Read before the first frame, it keeps a start of
    /// ten thousand services as quick as one of forty.
    pub fn head(&self, services: usize) -> Option<LastKnown> {
        let all = self.services.as_ref()?;
        if all.data.len() <= services {
            return None;
        }
        let mut first: Vec<&Service> = all.data.iter().collect();
        first.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)));
        first.truncate(services);
        Some(LastKnown {
            version: self.version,
            env: self.env.clone(),
            identity: self.identity.clone(),
            clusters: self.clusters.clone(),
            services: Some(Known {
                fetched_at: all.fetched_at,
                data: first.into_iter().cloned().collect(),
            }),
            metrics: None,
            scaling: None,
            alarms: self.alarms.clone(),
            head_of: Some(all.data.len()),
        })
    }

    /// The newest instant of what it holds.
    pub fn newest(&self) -> Option<Timestamp> {
        [
            self.identity.as_ref().map(|k| k.fetched_at),
            self.clusters.as_ref().map(|k| k.fetched_at),
            self.services.as_ref().map(|k| k.fetched_at),
            self.metrics.as_ref().map(|k| k.fetched_at),
            self.scaling.as_ref().map(|k| k.fetched_at),
            self.alarms.as_ref().map(|k| k.fetched_at),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

fn known<T: Clone>(slot: &Slot<T>) -> Option<Known<T>> {
    slot.known().map(|(fetched_at, data)| Known {
        fetched_at,
        data: data.clone(),
    })
}

fn remember<T>(slot: &mut Slot<T>, known: Option<Known<T>>) -> bool {
    known.is_some_and(|k| slot.remember(k.fetched_at, k.data))
}

impl EnvData {
    /// What this run knows of the environment, to keep for the next one,
    /// each datum with the instant it was fetched (a previous run's that
    /// this run has not replaced keeps its own); `None` without services
    /// (a state without them would draw nothing useful).
    pub fn last_known(&self) -> Option<LastKnown> {
        // Only a first screen of the previous run's services: keeping it
        // would lose the rest.
        if self.head_drawn && self.services.cached {
            return None;
        }
        let services = known(&self.services)?;
        Some(LastKnown {
            version: LAST_KNOWN_VERSION,
            env: self.info.name.clone(),
            identity: known(&self.identity),
            clusters: known(&self.clusters),
            services: Some(services),
            metrics: known(&self.metrics),
            scaling: known(&self.scaling),
            alarms: known(&self.alarms),
            head_of: None,
        })
    }

    /// Takes what a previous run knew into every slot this run has no
    /// answer for yet; returns whether anything was taken.
    pub fn remember(&mut self, last: LastKnown) -> bool {
        let LastKnown {
            identity,
            clusters,
            services,
            metrics,
            scaling,
            alarms,
            head_of,
            ..
        } = last;
        if services.is_some() && (self.services.unanswered() || self.services.cached) {
            self.head_drawn = head_of.is_some();
        }
        // Each one is tried: `|`, not `||`.
        remember(&mut self.identity, identity)
            | remember(&mut self.clusters, clusters)
            | remember(&mut self.services, services)
            | remember(&mut self.metrics, metrics)
            | remember(&mut self.scaling, scaling)
            | remember(&mut self.alarms, alarms)
    }

    /// Whether the services drawn are a previous run's.
    pub fn services_cached(&self) -> bool {
        self.services.cached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use flightdeck_core::engine::{DataEvent, Fetched, JobKey, JobKind, Payload};
    use flightdeck_model::EnvironmentInfo;

    fn env() -> EnvData {
        EnvData::new(EnvironmentInfo {
            name: "prod".into(),
            region: "eu-west-1".into(),
            production: true,
            read_only: false,
        })
    }

    fn at(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn identity(account: &str) -> CallerIdentity {
        CallerIdentity {
            account: account.into(),
            arn: format!("arn:aws:iam::{account}:user/me"),
        }
    }

    fn yesterday() -> LastKnown {
        LastKnown {
            version: LAST_KNOWN_VERSION,
            env: "prod".into(),
            identity: Some(Known {
                fetched_at: at(0),
                data: identity("111"),
            }),
            clusters: None,
            services: Some(Known {
                fetched_at: at(0),
                data: vec![],
            }),
            metrics: None,
            scaling: None,
            alarms: None,
            head_of: None,
        }
    }

    fn answer(generation: u64, account: &str) -> DataEvent {
        DataEvent {
            key: JobKey {
                env: "prod".into(),
                kind: JobKind::Identity,
            },
            data: Fetched {
                fetched_at: at(3600),
                generation,
                run: None,
                result: Ok(Payload::Identity(identity(account))),
            },
        }
    }

    /// A previous run's state fills what this run has no answer for,
    /// marked as cached with its own age; this run's first answer
    /// replaces it and is no longer cached.
    #[test]
    fn a_remembered_state_shows_until_this_runs_answer_replaces_it() {
        let mut e = env();
        assert!(e.remember(yesterday()));
        assert!(e.identity.cached && e.services_cached());
        assert_eq!(e.identity.fetched_at, Some(at(0)));
        assert!(e.apply(answer(1, "222")));
        assert!(!e.identity.cached);
        assert_eq!(
            e.identity.data.as_ref().map(|i| i.account.as_str()),
            Some("222")
        );
        assert!(e.services_cached(), "the services are still yesterday's");
    }

    /// What this run already knows is never replaced by what a previous
    /// run knew, whichever arrives first.
    #[test]
    fn a_remembered_state_never_replaces_this_runs_own() {
        let mut e = env();
        assert!(e.apply(answer(1, "222")));
        e.remember(yesterday());
        assert!(!e.identity.cached);
        assert_eq!(
            e.identity.data.as_ref().map(|i| i.account.as_str()),
            Some("222")
        );
    }

    /// Nothing is kept without services; a kept state holds each datum
    /// with the instant it was fetched.
    #[test]
    fn what_is_kept_is_what_is_known_with_its_own_age() {
        let mut e = env();
        assert!(e.apply(answer(1, "222")));
        assert_eq!(e.last_known(), None);
        e.remember(yesterday());
        let kept = e.last_known().unwrap();
        assert_eq!(kept.identity.unwrap().fetched_at, at(3600));
        assert_eq!(kept.services.unwrap().fetched_at, at(0));
        assert_eq!(kept.env, "prod");
    }
}
