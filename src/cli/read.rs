//! The read commands' clap definitions (`services`, `tasks`, `alarms`,
//! `scaling`, `logs`, `costs`, `triage`, `timeline`) and the parsers of
//! their values; `flightdeck_app::commands::read` runs them.

use clap::Subcommand;
use flightdeck_app::commands::ReadCommand;
use flightdeck_core::timeline::Kind;
use flightdeck_model::AlarmState;

#[derive(Debug, Subcommand)]
pub enum ReadSubcommand {
    /// Services of every cluster: counts, task definition, rollout state.
    Services {
        /// Only this cluster.
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One service's tasks, running first: the ids `stop-task` and `exec`
    /// take, and why the stopped ones stopped.
    Tasks {
        /// The service's cluster; found by the service's name when left out.
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        service: String,
        #[arg(long)]
        json: bool,
    },
    /// CloudWatch alarms, ALARM first.
    Alarms {
        /// Only alarms in this state: OK, ALARM or INSUFFICIENT_DATA.
        #[arg(long, value_parser = parse_state)]
        state: Option<AlarmState>,
        #[arg(long)]
        json: bool,
    },
    /// Auto scaling targets of ECS services: min, max, desired, policies.
    Scaling {
        #[arg(long)]
        json: bool,
    },
    /// Log events of a service, from its task definition's log configuration.
    Logs {
        /// The service's cluster; found by the service's name when left out.
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        service: String,
        /// How far back: 30s, 15m, 2h, 1d.
        #[arg(long, default_value = "15m", value_parser = parse_since)]
        since: chrono::Duration,
        /// CloudWatch Logs filter pattern (a plain word matches lines containing it).
        #[arg(long)]
        filter: Option<String>,
        /// Keep printing new events until interrupted (with --json: one object a line).
        #[arg(long)]
        follow: bool,
        #[arg(long)]
        json: bool,
    },
    /// What needs a human now, across every environment, most urgent
    /// first (exit 1 when anything does).
    Triage {
        #[arg(long)]
        json: bool,
    },
    /// What changed, newest first: deployments and their task definition
    /// diffs, alarm changes, scaling, task stops, service events, your
    /// writes and everybody's (CloudTrail). One service, or the whole
    /// environment without --service.
    Timeline {
        /// The service's cluster; found by the service's name when left out.
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        service: Option<String>,
        /// How far back: 30s, 15m, 2h, 1d, up to 90d (CloudTrail's history).
        #[arg(long, default_value = "2h", value_parser = parse_timeline_since)]
        since: chrono::Duration,
        /// Only these kinds, comma-separated: deploy, taskdef, alarm,
        /// scaling, stop, event, audit, write.
        #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
        kind: Vec<Kind>,
        #[arg(long)]
        json: bool,
    },
    /// Daily costs by service from Cost Explorer (cached for hours).
    Costs {
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365))]
        days: u32,
        #[arg(long)]
        json: bool,
    },
}

fn parse_state(s: &str) -> Result<AlarmState, String> {
    AlarmState::parse(s).ok_or_else(|| format!("`{s}` is not OK, ALARM or INSUFFICIENT_DATA"))
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
pub fn parse_kind(label: &str) -> Result<Kind, String> {
    Kind::parse(label.trim()).ok_or_else(|| {
        format!(
            "`{label}` is not a kind of change; the kinds are {}",
            Kind::ALL.map(Kind::label).join(", ")
        )
    })
}

impl From<ReadSubcommand> for ReadCommand {
    fn from(command: ReadSubcommand) -> Self {
        match command {
            ReadSubcommand::Services { cluster, json } => ReadCommand::Services { cluster, json },
            ReadSubcommand::Tasks {
                cluster,
                service,
                json,
            } => ReadCommand::Tasks {
                cluster,
                service,
                json,
            },
            ReadSubcommand::Alarms { state, json } => ReadCommand::Alarms { state, json },
            ReadSubcommand::Scaling { json } => ReadCommand::Scaling { json },
            ReadSubcommand::Logs {
                cluster,
                service,
                since,
                filter,
                follow,
                json,
            } => ReadCommand::Logs {
                cluster,
                service,
                since,
                filter,
                follow,
                json,
            },
            ReadSubcommand::Triage { json } => ReadCommand::Triage { json },
            ReadSubcommand::Timeline {
                cluster,
                service,
                since,
                kind,
                json,
            } => ReadCommand::Timeline {
                cluster,
                service,
                since,
                kind,
                json,
            },
            ReadSubcommand::Costs { days, json } => ReadCommand::Costs { days, json },
        }
    }
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
