//! The read commands for scripts and terminals: `services`, `tasks`,
//! `alarms`, `scaling`, `logs`, `costs`, `triage`, `timeline`. Same behaviour on `--demo` and on AWS; a
//! table on a terminal, the JSON contract of DESIGN.md with `--json`.

use super::Failure;
use super::table;
use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::anyhow;
use flightdeck_core::provider::{LogQuery, Provider, ProviderError, locate_service};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use flightdeck_model::{
    AlarmState, CostReport, DailyCost, LogEvent, LogSource, ServiceCost, trim_float,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

mod alarms;
mod costs;
mod diff;
mod logs;
mod scaling;
mod services;
mod tasks;
mod timeline;
mod triage;
use alarms::*;
use costs::*;
use diff::*;
use logs::*;
use scaling::*;
use services::*;
use tasks::*;
use timeline::*;
use triage::*;

/// A read command, as the command line asked for it (see the binary's
/// clap definitions for what each field means).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadCommand {
    /// Services of every cluster, or of `cluster`.
    Services { cluster: Option<String>, json: bool },
    /// One service's tasks; its cluster found by its name when left out.
    Tasks {
        cluster: Option<String>,
        service: String,
        json: bool,
    },
    /// CloudWatch alarms, only those in `state` when given.
    Alarms {
        state: Option<AlarmState>,
        json: bool,
    },
    /// Auto scaling targets of ECS services.
    Scaling { json: bool },
    /// A service's log events from `since` ago, once or followed.
    Logs {
        cluster: Option<String>,
        service: String,
        since: chrono::Duration,
        /// A CloudWatch Logs filter pattern.
        filter: Option<String>,
        follow: bool,
        json: bool,
    },
    /// What needs a human now, across every environment.
    Triage { json: bool },
    /// What changed since `since` ago: one service, or the environment;
    /// only the kinds of `kind` when it names any.
    Timeline {
        cluster: Option<String>,
        service: Option<String>,
        since: chrono::Duration,
        kind: Vec<flightdeck_core::timeline::Kind>,
        json: bool,
    },
    /// Daily costs by service over the last `days`.
    Costs { days: u32, json: bool },
    /// Two revisions of a service's task definition side by side: `from`
    /// (default the one before `to`) and `to` (default the running one).
    Diff {
        cluster: Option<String>,
        service: String,
        from: Option<u32>,
        to: Option<u32>,
        json: bool,
    },
}

/// Per-environment failures are printed as they happen and turn the exit
/// code to 1; what could be read is still printed.
struct Outcome {
    failed: usize,
    total: usize,
}

impl Outcome {
    fn new(total: usize) -> Self {
        Outcome { failed: 0, total }
    }

    fn report(&mut self, env: &str, e: &ProviderError) {
        self.failed += 1;
        crate::output::err(format!("flightdeck: {env}: {}\n", sanitize(&e.to_string())));
    }

    /// Reads rows from every environment, reporting the ones that fail.
    async fn gather<T>(
        providers: &[Arc<Provider>],
        read: impl AsyncFn(&Provider) -> Result<Vec<T>, ProviderError>,
    ) -> (Vec<T>, Outcome) {
        let mut outcome = Outcome::new(providers.len());
        let mut rows = Vec::new();
        for p in providers {
            match read(p.as_ref()).await {
                Ok(found) => rows.extend(found),
                Err(e) => outcome.report(&p.environment().name, &e),
            }
        }
        (rows, outcome)
    }

    fn finish(self) -> Result<(), Failure> {
        if self.failed == 0 {
            Ok(())
        } else {
            Err(Failure::failed(anyhow!(
                "could not read {} of {} environments",
                self.failed,
                self.total
            )))
        }
    }
}

pub fn run(options: &Options, command: &ReadCommand) -> Result<(), Failure> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    runtime.block_on(async {
        let session = Session::start(options, clock.clone(), WorldBuild::Now)
            .await
            .map_err(Failure::usage)?;
        let providers = &session.providers;
        let result = match command {
            ReadCommand::Services { cluster, json } => {
                services(providers, cluster.as_deref(), *json).await
            }
            ReadCommand::Tasks {
                cluster,
                service,
                json,
            } => {
                let p = session.single("tasks").map_err(Failure::usage)?;
                let cluster = locate_service(p.reads(), cluster.as_deref(), service)
                    .await
                    .map_err(Failure::from)?;
                tasks(p.as_ref(), &cluster, service, *json).await
            }
            ReadCommand::Diff {
                cluster,
                service,
                from,
                to,
                json,
            } => {
                let p = session.single("diff").map_err(Failure::usage)?;
                let cluster = locate_service(p.reads(), cluster.as_deref(), service)
                    .await
                    .map_err(Failure::from)?;
                diff(p.as_ref(), &cluster, service, (*from, *to), *json).await
            }
            ReadCommand::Alarms { state, json } => alarms(providers, *state, *json).await,
            ReadCommand::Scaling { json } => scaling(providers, *json).await,
            ReadCommand::Logs {
                cluster,
                service,
                since,
                filter,
                follow,
                json,
            } => {
                let p = session.single("logs").map_err(Failure::usage)?;
                let cluster = locate_service(p.reads(), cluster.as_deref(), service)
                    .await
                    .map_err(Failure::from)?;
                let request = LogsRequest {
                    cluster: &cluster,
                    service,
                    since: *since,
                    filter: filter.as_deref(),
                    follow: *follow,
                    json: *json,
                };
                logs(&session, &request, clock.as_ref()).await
            }
            ReadCommand::Costs { days, json } => costs(providers, *days, *json).await,
            ReadCommand::Triage { json } => {
                let runbooks = options.config.runbooks();
                triage_command(providers, &runbooks, *json, clock.as_ref()).await
            }
            ReadCommand::Timeline {
                cluster,
                service,
                since,
                kind,
                json,
            } => {
                let request = TimelineRequest {
                    cluster: cluster.as_deref(),
                    service: service.as_deref(),
                    since: *since,
                    kinds: kind,
                    json: *json,
                };
                let records = crate::team::audit::records(options, options.audit_log()).await;
                timeline(&session, &records, &request, clock.as_ref()).await
            }
        };
        if options.stats {
            crate::output::err(session.api_stats());
        }
        result
    })
}

fn print_json<T: Serialize>(value: &T) -> Result<(), Failure> {
    let text = table::json(value, true).map_err(Failure::failed)?;
    table::emit(&format!(
        "{text}
"
    ));
    Ok(())
}

/// How far back the logs' `--since` reaches: a month of log lines.
pub const SINCE: std::ops::RangeInclusive<chrono::Duration> =
    chrono::Duration::seconds(1)..=chrono::Duration::days(30);

/// How far back the timeline's `--since` reaches: as far as CloudTrail's
/// event history (90 days); each source answers what it keeps (alarm
/// history 14 days, ECS's last 100 service events).
pub const TIMELINE_SINCE: std::ops::RangeInclusive<chrono::Duration> =
    chrono::Duration::seconds(1)..=chrono::Duration::days(90);

/// `--since`: `30s`, `15m`, `2h`, `1d`, within [`SINCE`].
pub fn parse_since(s: &str) -> Result<chrono::Duration, flightdeck_model::duration::DurationError> {
    flightdeck_model::duration::parse(s, SINCE)
}

/// The timeline's `--since`, within [`TIMELINE_SINCE`].
pub fn parse_timeline_since(
    s: &str,
) -> Result<chrono::Duration, flightdeck_model::duration::DurationError> {
    flightdeck_model::duration::parse(s, TIMELINE_SINCE)
}

/// `deploy` -> the kind, or which labels exist.
pub fn parse_kind(label: &str) -> Result<flightdeck_core::timeline::Kind, String> {
    use flightdeck_core::timeline::Kind;
    Kind::parse(label.trim()).ok_or_else(|| {
        format!(
            "`{label}` is not a kind of change; the kinds are {}",
            Kind::ALL.map(Kind::label).join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_nonsense_is_refused() {
        assert_eq!(parse_since("15m"), Ok(chrono::Duration::minutes(15)));
        assert_eq!(parse_since("2h"), Ok(chrono::Duration::hours(2)));
        assert_eq!(parse_since("30s"), Ok(chrono::Duration::seconds(30)));
        for bad in ["0m", "15", "m", "", "90d", "5é", "9999999999999h"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
        // The timeline reaches as far back as CloudTrail does.
        assert_eq!(parse_timeline_since("90d"), Ok(chrono::Duration::days(90)));
        assert!(parse_timeline_since("91d").is_err());
    }
}
