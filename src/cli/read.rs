//! The read commands for scripts and terminals: `services`, `alarms`,
//! `scaling`, `logs`, `costs`. Same behaviour on `--demo` and on AWS; a
//! table on a terminal, the JSON contract of DESIGN.md with `--json`.

use super::Failure;
use super::table;
use crate::options::Options;
use crate::session::Session;
use anyhow::anyhow;
use clap::Subcommand;
use flightdeck_core::provider::{LogQuery, Provider, ProviderError, locate_service};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use flightdeck_model::{
    AlarmState, CostReport, DailyCost, LogEvent, LogSource, ServiceCost, trim_float,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ReadCommand {
    /// Services of every cluster: counts, task definition, rollout state.
    Services {
        /// Only this cluster.
        #[arg(long)]
        cluster: Option<String>,
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

/// `30s`, `15m`, `2h`, `1d` -> a duration.
pub fn parse_since(s: &str) -> Result<chrono::Duration, String> {
    let bad = || format!("`{s}` is not a duration like 30s, 15m, 2h or 1d");
    let split = s.len().checked_sub(1).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    match unit {
        "s" => Ok(chrono::Duration::seconds(n)),
        "m" => Ok(chrono::Duration::minutes(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "d" if n <= 30 => Ok(chrono::Duration::days(n)),
        _ => Err(bad()),
    }
}

#[derive(Debug, Serialize)]
struct ServiceRow {
    environment: String,
    cluster: String,
    name: String,
    status: flightdeck_model::ServiceStatus,
    desired: u32,
    running: u32,
    pending: u32,
    task_definition: String,
    rollout_state: Option<String>,
    launch_type: String,
    deployments: usize,
}

#[derive(Debug, Serialize)]
struct AlarmRow {
    environment: String,
    name: String,
    /// The name tables show (AWS's target-tracking alarms by their service).
    display_name: String,
    state: String,
    metric: String,
    namespace: String,
    threshold: f64,
    comparison: String,
    condition: String,
    severity: String,
    state_reason: String,
    state_updated_at: String,
}

#[derive(Debug, Serialize)]
struct ScalingRow {
    environment: String,
    cluster: String,
    service: String,
    min: u32,
    max: u32,
    /// `None` when the service itself could not be found.
    desired: Option<u32>,
    running: Option<u32>,
    dynamic_scaling_suspended: bool,
    policies: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LogRow<'a> {
    environment: &'a str,
    cluster: &'a str,
    service: &'a str,
    log_group: &'a str,
    timestamp: String,
    stream: &'a str,
    message: &'a str,
}

impl<'a> LogRow<'a> {
    fn new(env: &'a str, request: &'a LogsRequest<'a>, group: &'a str, e: &'a LogEvent) -> Self {
        LogRow {
            environment: env,
            cluster: request.cluster,
            service: request.service,
            log_group: group,
            timestamp: e
                .timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            stream: &e.stream,
            message: &e.message,
        }
    }
}

#[derive(Debug, Serialize)]
struct CostOutput {
    currency: String,
    total: f64,
    days: Vec<DailyCost>,
    by_service: Vec<ServiceCost>,
    month_to_date: f64,
    forecast_month: Option<f64>,
    /// One report per account: environments sharing an account share a bill.
    accounts: Vec<AccountCosts>,
}

#[derive(Debug, Serialize)]
struct AccountCosts {
    account: String,
    environments: Vec<String>,
    #[serde(flatten)]
    report: CostReport,
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
        eprintln!("flightdeck: {env}: {}", sanitize(&e.to_string()));
    }

    /// Reads rows from every environment, reporting the ones that fail.
    async fn gather<T>(
        providers: &[Arc<dyn Provider>],
        read: impl AsyncFn(&dyn Provider) -> Result<Vec<T>, ProviderError>,
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
        let session = Session::start(options, clock.clone())
            .await
            .map_err(Failure::usage)?;
        let providers = &session.providers;
        match command {
            ReadCommand::Services { cluster, json } => {
                services(providers, cluster.as_deref(), *json).await
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
                let cluster = locate_service(p.as_ref(), cluster.as_deref(), service)
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
        }
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

async fn services(
    providers: &[Arc<dyn Provider>],
    cluster: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    if let Some(name) = cluster {
        known_cluster(providers, name).await?;
    }
    let (rows, outcome) =
        Outcome::gather(providers, async |p| service_rows(p, cluster).await).await;
    if json {
        print_json(&rows)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.cluster.clone(),
                    r.name.clone(),
                    r.status.to_string(),
                    format!("{}/{}/{}", r.running, r.pending, r.desired),
                    r.task_definition.clone(),
                    r.rollout_state.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        table::print(
            &[
                "ENVIRONMENT",
                "CLUSTER",
                "SERVICE",
                "STATUS",
                "RUN/PEND/DES",
                "TASK DEFINITION",
                "ROLLOUT",
            ],
            &cells,
        );
    }
    outcome.finish()
}

/// A cluster named on the command line must exist in some environment:
/// otherwise it is a typo (exit 2), named with the clusters there are.
/// When an environment cannot be read, its read reports that instead.
async fn known_cluster(providers: &[Arc<dyn Provider>], name: &str) -> Result<(), Failure> {
    let mut known = vec![];
    for p in providers {
        match p.clusters().await {
            Ok(clusters) if clusters.iter().any(|c| c.name == name) => return Ok(()),
            Ok(clusters) => known.extend(clusters.into_iter().map(|c| c.name)),
            Err(_) => return Ok(()),
        }
    }
    let envs: Vec<&str> = providers
        .iter()
        .map(|p| p.environment().name.as_str())
        .collect();
    Err(Failure::usage(anyhow!(
        "no cluster `{}` in {}; there are: {}",
        sanitize(name),
        envs.join(", "),
        sanitize(&known.join(", "))
    )))
}

async fn service_rows(
    p: &dyn Provider,
    only: Option<&str>,
) -> Result<Vec<ServiceRow>, ProviderError> {
    let env = &p.environment().name;
    let clusters: Vec<String> = p
        .clusters()
        .await?
        .into_iter()
        .map(|c| c.name)
        .filter(|c| only.is_none_or(|o| o == c))
        .collect();
    let mut rows = Vec::new();
    for c in clusters {
        for s in p.services(&c).await? {
            rows.push(ServiceRow {
                environment: env.clone(),
                cluster: s.cluster.clone(),
                status: s.status.clone(),
                desired: s.desired,
                running: s.running,
                pending: s.pending,
                task_definition: s.task_definition.to_string(),
                rollout_state: s.rollout_state().map(|r| r.to_string()),
                launch_type: s.launch_type.to_string(),
                deployments: s.deployments.len(),
                name: s.name,
            });
        }
    }
    Ok(rows)
}

async fn alarms(
    providers: &[Arc<dyn Provider>],
    state: Option<AlarmState>,
    json: bool,
) -> Result<(), Failure> {
    let (rows, outcome) = Outcome::gather(providers, async |p| {
        let env = &p.environment().name;
        let mut alarms = p.alarms().await?;
        alarms.sort_by(|a, b| {
            (a.state, a.severity.rank(), &a.name).cmp(&(b.state, b.severity.rank(), &b.name))
        });
        Ok(alarms
            .into_iter()
            .filter(|a| state.is_none_or(|s| a.state == s))
            .map(|a| AlarmRow {
                environment: env.clone(),
                state: a.state.to_string(),
                condition: a.condition(),
                metric: a.metric.clone(),
                namespace: a.namespace.clone(),
                threshold: a.threshold,
                comparison: a.comparison.symbol().to_string(),
                severity: format!("{:?}", a.severity).to_lowercase(),
                state_reason: a.state_reason.clone(),
                state_updated_at: a.state_updated_at.to_rfc3339(),
                display_name: a.display_name().into_owned(),
                name: a.name,
            })
            .collect())
    })
    .await;
    if json {
        print_json(&rows)?;
    } else {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.state.clone(),
                    r.display_name.clone(),
                    format!("{} {}", r.namespace, r.condition),
                ]
            })
            .collect();
        table::print(&["ENVIRONMENT", "STATE", "ALARM", "CONDITION"], &cells);
    }
    outcome.finish()
}

async fn scaling(providers: &[Arc<dyn Provider>], json: bool) -> Result<(), Failure> {
    let (rows, outcome) = Outcome::gather(providers, async |p| scaling_rows(p).await).await;
    if json {
        print_json(&rows)?;
    } else {
        let count = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.environment.clone(),
                    r.cluster.clone(),
                    r.service.clone(),
                    format!("{}..{}", r.min, r.max),
                    count(r.desired),
                    count(r.running),
                    if r.dynamic_scaling_suspended {
                        "SUSPENDED".into()
                    } else {
                        r.policies.join(", ")
                    },
                ]
            })
            .collect();
        table::print(
            &[
                "ENVIRONMENT",
                "CLUSTER",
                "SERVICE",
                "MIN..MAX",
                "DESIRED",
                "RUNNING",
                "POLICIES",
            ],
            &cells,
        );
    }
    outcome.finish()
}

async fn scaling_rows(p: &dyn Provider) -> Result<Vec<ScalingRow>, ProviderError> {
    let env = &p.environment().name;
    let targets = p.scalable_targets().await?;
    let policies = p.scaling_policies().await?;
    let clusters: HashSet<&str> = targets.iter().map(|t| t.cluster.as_str()).collect();
    let mut services = Vec::new();
    for c in clusters {
        services.extend(p.services(c).await?);
    }
    let mut rows: Vec<ScalingRow> = targets
        .into_iter()
        .map(|t| {
            let svc = services
                .iter()
                .find(|s| s.cluster == t.cluster && s.name == t.service);
            ScalingRow {
                environment: env.clone(),
                desired: svc.map(|s| s.desired),
                running: svc.map(|s| s.running),
                min: t.min,
                max: t.max,
                dynamic_scaling_suspended: t.dynamic_scaling_suspended,
                policies: policies
                    .iter()
                    .filter(|p| p.resource_id == t.resource_id)
                    .map(|p| p.name.clone())
                    .collect(),
                cluster: t.cluster,
                service: t.service,
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service)));
    Ok(rows)
}

struct LogsRequest<'a> {
    cluster: &'a str,
    service: &'a str,
    since: chrono::Duration,
    filter: Option<&'a str>,
    follow: bool,
    json: bool,
}

/// How often `logs --follow` polls: FilterLogEvents allows 5 calls a
/// second per account and region, shared with everybody else.
const FOLLOW_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);
const LOG_LIMIT: usize = 10_000;

async fn logs(
    session: &Session,
    request: &LogsRequest<'_>,
    clock: &dyn Clock,
) -> Result<(), Failure> {
    let p = session.single("logs").map_err(Failure::usage)?;
    let source = log_source(p.as_ref(), request.cluster, request.service)
        .await
        .map_err(Failure::failed)?;
    let group = source.group.clone();
    let mut query = LogQuery {
        log_group: source.group,
        stream_prefix: source.stream_prefix,
        since: clock.now() - request.since,
        filter: request.filter.map(str::to_string),
        limit: LOG_LIMIT,
        live: request.follow,
    };
    let env = p.environment().name.clone();
    let mut seen: HashSet<String> = HashSet::new();
    let mut first = true;
    loop {
        let events = p.log_events(&query).await.map_err(Failure::failed)?;
        let fresh: Vec<&LogEvent> = events.iter().filter(|e| !seen.contains(&e.id)).collect();
        if request.json && !request.follow {
            let rows: Vec<LogRow> = fresh
                .iter()
                .map(|e| LogRow::new(&env, request, &group, e))
                .collect();
            return print_json(&rows);
        }
        for e in &fresh {
            if request.json {
                let line = table::json(&LogRow::new(&env, request, &group, e), false)
                    .map_err(Failure::failed)?;
                table::emit(&format!(
                    "{line}
"
                ));
            } else {
                print_log_line(e);
            }
        }
        if first && fresh.is_empty() && !request.json {
            eprintln!("flightdeck: no events in {group} since {}", query.since);
        }
        first = false;
        if !request.follow {
            return Ok(());
        }
        if let Some(newest) = events.iter().map(|e| e.timestamp).max() {
            // Overlap by a second: events arrive out of order; ids de-duplicate.
            query.since = newest - chrono::Duration::seconds(1);
        }
        seen.extend(events.into_iter().map(|e| e.id));
        tokio::select! {
            _ = tokio::time::sleep(FOLLOW_INTERVAL) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

fn print_log_line(e: &LogEvent) {
    let time = e.timestamp.format("%Y-%m-%dT%H:%M:%S%.3fZ");
    // Multi-line events (stack traces) keep their lines, indented.
    let message = flightdeck_model::text::sanitize_with(&e.message, true).replace('\n', "\n    ");
    table::emit(&format!("{time} {} {message}\n", sanitize(&e.stream)));
}

/// Where a service logs, from its task definition's awslogs configuration.
async fn log_source(p: &dyn Provider, cluster: &str, service: &str) -> anyhow::Result<LogSource> {
    let svc = flightdeck_core::provider::find_service(p, cluster, service)
        .await?
        .ok_or_else(|| anyhow!("no service `{service}` in cluster `{cluster}`"))?;
    let td = p.task_definition(&svc.task_definition).await?;
    Ok(svc.log_source(Some(&td)))
}

async fn costs(providers: &[Arc<dyn Provider>], days: u32, json: bool) -> Result<(), Failure> {
    let mut outcome = Outcome::new(providers.len());
    // Environments in one account share one bill: ask once per account.
    let mut by_account: BTreeMap<String, (Vec<String>, &Arc<dyn Provider>)> = BTreeMap::new();
    for p in providers {
        let env = p.environment().name.clone();
        match p.caller_identity().await {
            Ok(id) => by_account
                .entry(id.account)
                .or_insert_with(|| (vec![], p))
                .0
                .push(env),
            Err(e) => outcome.report(&env, &e),
        }
    }
    let mut accounts = Vec::new();
    for (account, (environments, p)) in by_account {
        match p.costs(days).await {
            Ok(report) => accounts.push(AccountCosts {
                account,
                environments,
                report,
            }),
            Err(e) => outcome.report(&environments.join(", "), &e),
        }
    }
    let output = combine(accounts);
    if json {
        print_json(&output)?;
    } else {
        print_costs(&output);
    }
    outcome.finish()
}

fn combine(accounts: Vec<AccountCosts>) -> CostOutput {
    let mut days: BTreeMap<String, f64> = BTreeMap::new();
    let mut services: BTreeMap<String, f64> = BTreeMap::new();
    for a in &accounts {
        for d in &a.report.days {
            *days.entry(d.date.clone()).or_default() += d.amount;
        }
        for s in &a.report.by_service {
            *services.entry(s.service.clone()).or_default() += s.amount;
        }
    }
    // `+ 0.0` turns the `-0.0` of an empty sum into `0.0`.
    let cents = |v: f64| (v * 100.0).round() / 100.0 + 0.0;
    let mut by_service: Vec<ServiceCost> = services
        .into_iter()
        .map(|(service, amount)| ServiceCost {
            service,
            amount: cents(amount),
        })
        .collect();
    by_service.sort_by(|a, b| {
        b.amount
            .total_cmp(&a.amount)
            .then(a.service.cmp(&b.service))
    });
    let days: Vec<DailyCost> = days
        .into_iter()
        .map(|(date, amount)| DailyCost {
            date,
            amount: cents(amount),
        })
        .collect();
    let forecasts: Option<Vec<f64>> = accounts.iter().map(|a| a.report.forecast_month).collect();
    CostOutput {
        currency: accounts
            .first()
            .map(|a| a.report.currency.clone())
            .unwrap_or_else(|| "USD".into()),
        total: cents(days.iter().map(|d| d.amount).sum()),
        days,
        by_service,
        month_to_date: cents(accounts.iter().map(|a| a.report.month_to_date).sum()),
        forecast_month: forecasts
            .filter(|f| !f.is_empty())
            .map(|f| cents(f.iter().sum())),
        accounts,
    }
}

fn print_costs(c: &CostOutput) {
    let money = |v: f64| format!("{} {}", trim_float((v * 100.0).round() / 100.0), c.currency);
    table::emit(&format!(
        "Total over {} days: {}   month to date: {}   forecast this month: {}\n",
        c.days.len(),
        money(c.total),
        money(c.month_to_date),
        c.forecast_month.map(money).unwrap_or_else(|| "-".into())
    ));
    for a in &c.accounts {
        table::emit(&format!(
            "  account {} ({}): {}\n",
            a.account,
            a.environments.join(", "),
            money(a.report.total)
        ));
    }
    table::emit("\n");
    let services: Vec<Vec<String>> = c
        .by_service
        .iter()
        .map(|s| vec![s.service.clone(), money(s.amount)])
        .collect();
    table::print(&["SERVICE", "COST"], &services);
    table::emit("\n");
    let days: Vec<Vec<String>> = c
        .days
        .iter()
        .map(|d| vec![d.date.clone(), money(d.amount)])
        .collect();
    table::print(&["DAY", "COST"], &days);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_nonsense_is_refused() {
        assert_eq!(parse_since("15m"), Ok(chrono::Duration::minutes(15)));
        assert_eq!(parse_since("2h"), Ok(chrono::Duration::hours(2)));
        assert_eq!(parse_since("30s"), Ok(chrono::Duration::seconds(30)));
        assert!(parse_since("0m").is_err());
        assert!(parse_since("15").is_err());
        assert!(parse_since("m").is_err());
        assert!(parse_since("").is_err());
        assert!(parse_since("90d").is_err());
    }
}
