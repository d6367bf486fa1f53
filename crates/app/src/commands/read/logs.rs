//! `logs`: a service's log lines from its task definition's log configuration,
//! once or followed.

use super::*;

#[derive(Debug, Serialize)]
pub(super) struct LogRow<'a> {
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

pub(super) struct LogsRequest<'a> {
    pub(super) cluster: &'a str,
    pub(super) service: &'a str,
    pub(super) since: chrono::Duration,
    pub(super) filter: Option<&'a str>,
    pub(super) follow: bool,
    pub(super) json: bool,
}

/// How often `logs --follow` polls: FilterLogEvents allows 5 calls a
/// second per account and region, shared with everybody else.
pub(super) const FOLLOW_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

pub(super) const LOG_LIMIT: usize = 10_000;

pub(super) async fn logs(
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
            crate::output::err(format!(
                "flightdeck: no events in {group} since {}\n",
                query.since
            ));
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

pub(super) fn print_log_line(e: &LogEvent) {
    let time = e.timestamp.format("%Y-%m-%dT%H:%M:%S%.3fZ");
    // Multi-line events (stack traces) keep their lines, indented.
    let message = flightdeck_model::text::sanitize_with(&e.message, true).replace('\n', "\n    ");
    table::emit(&format!("{time} {} {message}\n", sanitize(&e.stream)));
}

/// Where a service logs in CloudWatch Logs, from its task definition's
/// awslogs or FireLens configuration; an error that says where the logs go
/// when that is not CloudWatch Logs.
pub(super) async fn log_source(
    p: &Provider,
    cluster: &str,
    service: &str,
) -> anyhow::Result<LogSource> {
    let svc = flightdeck_core::provider::find_service(p.reads(), cluster, service)
        .await?
        .ok_or_else(|| anyhow!("no service `{service}` in cluster `{cluster}`"))?;
    let td = p.task_definition(&svc.task_definition).await?;
    if let Some(elsewhere) = td.logs_elsewhere() {
        return Err(anyhow!(
            "{service} logs to {elsewhere} (the logConfiguration of {}): flightdeck reads CloudWatch Logs only (awslogs, FireLens's cloudwatch_logs output)",
            td.reference
        ));
    }
    Ok(svc.log_source(Some(&td)))
}
