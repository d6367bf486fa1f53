//! What both benchmarks start from: their instant, the engine's answers,
//! and an environment of the simulation read through its provider, as the
//! cockpit reads it.

use chrono::TimeZone;
use flightdeck::app::Msg;
use flightdeck::engine::{DataEvent, Fetched, JobKey, JobKind, Payload};
use flightdeck::model::{Cluster, LogEvent, Service, Timestamp};
use flightdeck::provider::prelude::*;
use flightdeck::provider::{LogQuery, ReadProvider};
use flightdeck::sim::{SimProvider, World};
use std::sync::{Arc, Mutex};

/// The benchmarks' instant.
pub fn start() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
        .unwrap()
}

/// A fetch's answer for environment `env`, as the engine sends it.
pub fn data(env: &str, kind: JobKind, payload: Payload) -> Msg {
    Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: env.into(),
            kind,
        },
        data: Fetched {
            fetched_at: start(),
            generation: 1,
            run: None,
            result: Ok(payload),
        },
    }))
}

/// An environment's cluster, its services and log lines of its first
/// service.
pub struct Read {
    pub cluster: Cluster,
    pub services: Vec<Service>,
    pub lines: Vec<LogEvent>,
}

/// Reads environment `env` of `world` at `now`: its cluster, services and
/// up to `limit` log lines of its first service since `since`.
#[expect(
    clippy::unwrap_used,
    reason = "benchmark set-up: a failed unwrap is the report"
)]
pub fn read(world: World, env: &str, now: Timestamp, since: Timestamp, limit: usize) -> Read {
    let clock = Arc::new(flightdeck::clock::ManualClock::new(now));
    let p = SimProvider::all(Arc::new(Mutex::new(world)), clock)
        .into_iter()
        .find(|p| p.environment().name == env)
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let cluster = rt.block_on(p.clusters()).unwrap().remove(0);
    let services = rt.block_on(p.services(&cluster.name)).unwrap();
    let lines = rt
        .block_on(p.log_events(&LogQuery {
            log_group: format!("/ecs/{}/{}", cluster.name, services[0].name),
            stream_prefix: None,
            since,
            filter: None,
            limit,
            live: false,
        }))
        .unwrap();
    Read {
        cluster,
        services,
        lines,
    }
}
