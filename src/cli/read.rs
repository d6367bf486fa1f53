//! The read commands' clap definitions (`services`, `tasks`, `alarms`,
//! `scaling`, `logs`, `costs`, `triage`, `timeline`, `diff`) and the parsers of
//! their values; `flightdeck_app::commands::read` runs them.

use clap::Subcommand;
use flightdeck_app::commands::ReadCommand;
use flightdeck_app::commands::read::{parse_kind, parse_since, parse_timeline_since};
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
        kind: Vec<flightdeck_core::timeline::Kind>,
        #[arg(long)]
        json: bool,
    },
    /// Two revisions of a service's task definition side by side, as a
    /// deploy's plan shows them (images, sizes, environment, secrets;
    /// secret values redacted): by default the previous revision and the
    /// running one.
    Diff {
        /// The service's cluster; found by the service's name when left out.
        #[arg(long)]
        cluster: Option<String>,
        #[arg(long)]
        service: String,
        /// The revision number to compare from (default: the one before --to).
        #[arg(long)]
        from: Option<u32>,
        /// The revision number to compare to (default: the running one).
        #[arg(long)]
        to: Option<u32>,
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
            ReadSubcommand::Diff {
                cluster,
                service,
                from,
                to,
                json,
            } => ReadCommand::Diff {
                cluster,
                service,
                from,
                to,
                json,
            },
        }
    }
}
