//! Triage: what needs a human now, across every environment, ranked, each
//! finding saying in words why it is there. Pure functions of what was
//! read, so the cockpit and `flightdeck triage` rank the same way and tests
//! need no provider.

use crate::provider::ProviderError;
use chrono::Duration;
use flightdeck_model::{
    Alarm, AlarmState, CostReport, Deployment, DeploymentStatus, EnvironmentInfo, EventKind,
    RolloutState, Service, ServiceRef, Severity, StopCause, Task, Timestamp,
};
use serde::Serialize;

/// One datum of an environment as last read: the value, when it was read,
/// and the last error (with when it happened).
#[derive(Debug)]
pub struct Read<'a, T: ?Sized> {
    pub data: Option<&'a T>,
    pub fetched_at: Option<Timestamp>,
    pub error: Option<(&'a ProviderError, Timestamp)>,
}

impl<'a, T: ?Sized> Read<'a, T> {
    /// Read successfully at `at`.
    pub fn ok(data: &'a T, at: Timestamp) -> Self {
        Read {
            data: Some(data),
            fetched_at: Some(at),
            error: None,
        }
    }

    /// Failed at `at`, with nothing read before.
    pub fn failed(error: &'a ProviderError, at: Timestamp) -> Self {
        Read {
            data: None,
            fetched_at: None,
            error: Some((error, at)),
        }
    }

    /// The outcome of a read at `at`.
    pub fn of(result: Result<&'a T, &'a ProviderError>, at: Timestamp) -> Self {
        match result {
            Ok(data) => Read::ok(data, at),
            Err(e) => Read::failed(e, at),
        }
    }

    /// Not read (yet).
    pub fn none() -> Self {
        Read {
            data: None,
            fetched_at: None,
            error: None,
        }
    }
}

/// What triage looks at in one environment.
#[derive(Debug)]
pub struct EnvView<'a> {
    pub info: &'a EnvironmentInfo,
    pub services: Read<'a, [Service]>,
    pub alarms: Read<'a, [Alarm]>,
    pub costs: Read<'a, CostReport>,
    /// Tasks (running and recently stopped) of the services whose tasks were
    /// read: the stop reasons of a suspected crash loop. Triage asks for
    /// them through [`suspected_crash_loops`].
    pub tasks: Vec<(&'a ServiceRef, &'a [Task])>,
}

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    /// Someone must act now: a critical alarm, a failed rollout, an
    /// environment that cannot be seen at all.
    Page,
    /// Look soon.
    Warn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The environment cannot be read: whatever is wrong there is unseen.
    Unreadable,
    /// Hosts in one availability zone went away under several services at
    /// once: one failure beneath the findings of each.
    Zone,
    Alarm,
    /// A rollout that failed, was rolled back or takes too long.
    Rollout,
    /// Tasks failing to start or stopping again and again.
    CrashLoop,
    /// Fewer tasks running than desired.
    Capacity,
    /// What is shown is older than it should be.
    Stale,
    /// Yesterday cost far more than the week before.
    CostAnomaly,
}

/// One thing that needs a human.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub environment: String,
    pub production: bool,
    pub urgency: Urgency,
    pub kind: Kind,
    /// The service it concerns, when known.
    pub service: Option<ServiceRef>,
    /// The alarm, deployment or datum it is about.
    pub subject: String,
    /// Why it is on the list, in words.
    pub why: String,
    /// Since when (the alarm's state change, the deployment's start, ...).
    pub since: Timestamp,
    /// An alarm's runbook (see [`crate::runbook`]): what the alarm names,
    /// the team's map filled in by the caller ([`fill_runbooks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<crate::runbook::Runbook>,
}

/// The team's map of runbooks added to `findings`' alarms.
pub fn fill_runbooks(findings: &mut [Finding], team: &crate::runbook::TeamMap) {
    for f in findings.iter_mut().filter(|f| f.kind == Kind::Alarm) {
        f.runbook = team.fill(&f.subject, f.runbook.take());
    }
}

/// The thresholds of triage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// A rollout in progress longer than this needs a look.
    pub rollout_too_long: Duration,
    /// Data older than this is stale.
    pub stale_after: Duration,
    /// Capacity short for less than this is a deployment or scaling at work.
    pub capacity_grace: Duration,
    /// This many separate task stops outside a rollout...
    pub crash_stops: usize,
    /// ...within this window are a crash loop.
    pub crash_window: Duration,
    /// Yesterday's cost above this many times the trailing week's mean...
    pub cost_factor: f64,
    /// ...and by at least this much (in the report's currency).
    pub cost_min_increase: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            rollout_too_long: Duration::minutes(10),
            stale_after: Duration::minutes(5),
            capacity_grace: Duration::minutes(5),
            crash_stops: 3,
            crash_window: Duration::minutes(15),
            cost_factor: 1.5,
            cost_min_increase: 5.0,
        }
    }
}

/// Everything that needs a human in `envs`, most urgent first: pages before
/// warnings, production before the rest, then by kind (an environment that
/// cannot be read first: it hides everything else), then the newest first
/// (what just broke is most likely the incident at hand).
pub fn triage(envs: &[EnvView<'_>], rules: &Rules, now: Timestamp) -> Vec<Finding> {
    let mut findings: Vec<Finding> = envs
        .iter()
        .flat_map(|env| environment_findings(env, rules, now))
        .collect();
    findings.sort_by(|a, b| {
        (a.urgency, !a.production, a.kind)
            .cmp(&(b.urgency, !b.production, b.kind))
            .then(b.since.cmp(&a.since))
            .then((&a.environment, &a.subject).cmp(&(&b.environment, &b.subject)))
    });
    findings
}

fn environment_findings(env: &EnvView<'_>, rules: &Rules, now: Timestamp) -> Vec<Finding> {
    let finding = |urgency, kind, service, subject: String, why: String, since| Finding {
        environment: env.info.name.clone(),
        production: env.info.production,
        urgency,
        kind,
        service,
        subject,
        why,
        since,
        runbook: None,
    };
    let mut out = vec![];
    for (what, fetched_at, error) in [
        ("services", env.services.fetched_at, env.services.error),
        ("alarms", env.alarms.fetched_at, env.alarms.error),
    ] {
        match (error, fetched_at) {
            (Some((e, at)), last) if last.is_none_or(|l| l < at) => out.push(finding(
                Urgency::Page,
                Kind::Unreadable,
                None,
                what.to_string(),
                match last {
                    Some(l) => format!(
                        "cannot read {what}: {e}; what is shown is from {} ago",
                        age(now - l)
                    ),
                    None => format!("cannot read {what}: {e}"),
                },
                at,
            )),
            (_, Some(at)) if now - at > rules.stale_after => out.push(finding(
                Urgency::Warn,
                Kind::Stale,
                None,
                what.to_string(),
                format!("{what} last read {} ago", age(now - at)),
                at,
            )),
            _ => {}
        }
    }
    let services = env.services.data.unwrap_or_default();
    for alarm in env.alarms.data.unwrap_or_default() {
        if alarm.state != AlarmState::Alarm || alarm.severity == Severity::Info {
            continue;
        }
        let mut found = finding(
            if alarm.severity == Severity::Critical {
                Urgency::Page
            } else {
                Urgency::Warn
            },
            Kind::Alarm,
            alarm.watched_service(services).map(Service::reference),
            alarm.name.clone(),
            format!(
                "{} in ALARM for {} ({}): {}",
                alarm.display_name(),
                age(now - alarm.state_updated_at),
                match alarm.severity {
                    Severity::Critical => "critical",
                    _ => "warning",
                },
                alarm.state_reason
            ),
            alarm.state_updated_at,
        );
        found.runbook = crate::runbook::of_alarm(alarm);
        out.push(found);
    }
    for svc in services {
        let tasks = env.tasks.iter().find(|(r, _)| r.is(svc)).map(|(_, t)| *t);
        out.extend(crash_loop(svc, tasks, rules, now).map(
            |(urgency, kind, subject, why, since)| {
                finding(urgency, kind, Some(svc.reference()), subject, why, since)
            },
        ));
        out.extend(service_findings(svc, rules, now).into_iter().map(
            |(urgency, kind, subject, why, since)| {
                finding(urgency, kind, Some(svc.reference()), subject, why, since)
            },
        ));
    }
    out.extend(zone_failures(&env.tasks, rules, now).into_iter().map(
        |(urgency, kind, subject, why, since)| finding(urgency, kind, None, subject, why, since),
    ));
    if let Some(report) = env.costs.data
        && let Some(why) = cost_anomaly(report, rules)
    {
        out.push(finding(
            Urgency::Warn,
            Kind::CostAnomaly,
            None,
            "costs".into(),
            why,
            env.costs.fetched_at.unwrap_or(now),
        ));
    }
    out
}

type ServiceFinding = (Urgency, Kind, String, String, Timestamp);

/// Stops in several services this close together, outside rollouts, have
/// one cause beneath them (a zone, hosts): their tasks are read for where
/// and why.
const TOGETHER: Duration = Duration::minutes(2);

/// A zone whose hosts went away under two services or more: their tasks
/// stopped for a host reason (an EC2 instance terminated, a Spot
/// interruption) in that zone within [`TOGETHER`], in the crash window.
/// One finding for the zone, not one per service.
fn zone_failures(
    tasks: &[(&ServiceRef, &[Task])],
    rules: &Rules,
    now: Timestamp,
) -> Vec<ServiceFinding> {
    use std::collections::BTreeMap;
    let mut zones: BTreeMap<&str, Vec<(&ServiceRef, &Task, Timestamp)>> = BTreeMap::new();
    for (service, list) in tasks {
        for task in list.iter() {
            if let Some(at) = task.stopped_at
                && now - at <= rules.crash_window
                && task.stop_cause() == Some(StopCause::Host)
                && !task.availability_zone.is_empty()
            {
                zones
                    .entry(&task.availability_zone)
                    .or_default()
                    .push((service, task, at));
            }
        }
    }
    let mut out = vec![];
    for (zone, mut lost) in zones {
        lost.sort_by_key(|(_, _, at)| *at);
        let first = lost[0].2;
        lost.retain(|(_, _, at)| *at - first <= TOGETHER);
        let mut services: Vec<&str> = lost.iter().map(|(s, _, _)| s.name.as_str()).collect();
        services.sort_unstable();
        services.dedup();
        if services.len() < 2 {
            continue;
        }
        let mut hosts: Vec<&str> = lost
            .iter()
            .filter_map(|(_, t, _)| t.lost_instance())
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        let reason = lost[0].1.stopped_reason.as_deref().unwrap_or_default();
        out.push((
            Urgency::Page,
            Kind::Zone,
            format!("zone {zone}"),
            format!(
                "{} tasks of {} services stopped in {zone} {} ago{} ({}): the zone or its hosts failed; the services' own findings follow from it",
                lost.len(),
                services.len(),
                age(now - first),
                match hosts.len() {
                    0 | 1 => String::new(),
                    n => format!(" on {n} hosts"),
                },
                services.join(", "),
            ) + &format!("; last reason: {reason}"),
            first,
        ));
    }
    out
}

/// When ECS stopped tasks of `svc` (one entry per stop event) in the
/// crash window, after its last rollout completed: replaced tasks of a
/// rollout are not a crash loop.
fn stops_outside_rollouts(svc: &Service, rules: &Rules, now: Timestamp) -> Vec<Timestamp> {
    let rollout_done = svc
        .events
        .iter()
        .find(|e| e.kind == EventKind::DeploymentCompleted)
        .map(|e| e.created_at);
    let from = rollout_done.map_or(now - rules.crash_window, |t| {
        t.max(now - rules.crash_window)
    });
    let in_rollout = svc.rollout_state() == Some(RolloutState::InProgress);
    if in_rollout {
        return vec![];
    }
    svc.events
        .iter()
        .filter(|e| e.created_at > from && e.kind == EventKind::TasksStopped)
        .map(|e| e.created_at)
        .collect()
}

/// The services of `env` whose task stops need their reasons read: their
/// events show tasks stopping again and again (a crash loop), or stopping
/// within [`TOGETHER`] of another service's stops (a zone, hosts).
pub fn suspected_crash_loops(
    services: &[Service],
    rules: Rules,
    now: Timestamp,
) -> impl Iterator<Item = &Service> {
    let stops: Vec<Vec<Timestamp>> = services
        .iter()
        .map(|s| stops_outside_rollouts(s, &rules, now))
        .collect();
    let suspect = move |i: usize| {
        stops[i].len() >= rules.crash_stops
            || stops[i].iter().any(|t| {
                stops
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.iter().any(|o| (*o - *t).abs() <= TOGETHER))
            })
    };
    services
        .iter()
        .enumerate()
        .filter(move |(i, _)| suspect(*i))
        .map(|(_, s)| s)
}

/// Tasks stopping again and again outside a rollout. With the stop reasons
/// read, a page naming the last one (or nothing, when auto scaling stopped
/// them); without, a warning that says they are being read.
fn crash_loop(
    svc: &Service,
    tasks: Option<&[Task]>,
    rules: &Rules,
    now: Timestamp,
) -> Option<ServiceFinding> {
    let stops = stops_outside_rollouts(svc, rules, now);
    if stops.len() < rules.crash_stops {
        return None;
    }
    let first = stops.iter().min().copied().unwrap_or(now);
    let window = age(rules.crash_window);
    let counts = format!("{} of {} running", svc.running, svc.desired);
    let Some(tasks) = tasks else {
        return Some((
            Urgency::Warn,
            Kind::CrashLoop,
            "tasks".into(),
            format!(
                "{} task stops in the last {window} outside a rollout ({counts}); reading why",
                stops.len()
            ),
            first,
        ));
    };
    let recent: Vec<&Task> = tasks
        .iter()
        .filter(|t| {
            t.stopped_at
                .is_some_and(|at| now - at <= rules.crash_window)
        })
        .collect();
    let scaling = |t: &&Task| t.stop_cause() == Some(StopCause::Scaling);
    if !recent.is_empty() && recent.iter().all(scaling) {
        return None;
    }
    let Some(last) = recent
        .iter()
        .filter(|t| !scaling(t))
        .max_by_key(|t| t.stopped_at)
    else {
        // ECS no longer lists the stopped tasks: the count is all there is.
        return Some((
            Urgency::Warn,
            Kind::CrashLoop,
            "tasks".into(),
            format!(
                "{} task stops in the last {window} outside a rollout ({counts}); ECS no longer lists them",
                stops.len()
            ),
            first,
        ));
    };
    let exit = last
        .containers
        .iter()
        .find_map(|c| c.exit_code.filter(|code| *code != 0))
        .map(|code| format!(" (exit {code})"))
        .unwrap_or_default();
    Some((
        Urgency::Page,
        Kind::CrashLoop,
        "tasks".into(),
        format!(
            "{} task stops in the last {window} outside a rollout ({counts}); last: {}{exit}",
            stops.len(),
            last.stopped_reason.as_deref().unwrap_or("no reason given")
        ),
        first,
    ))
}

fn service_findings(svc: &Service, rules: &Rules, now: Timestamp) -> Vec<ServiceFinding> {
    let mut out = vec![];
    let Some(primary) = svc.primary_deployment() else {
        return out;
    };
    current_rollout(&mut out, svc, primary, rules, now);
    rolled_back(&mut out, svc, primary, now);
    short_of_tasks(&mut out, svc, primary, rules, now);
    out
}

/// The rollout in progress or failed: FAILED, failing health checks, or
/// taking too long.
fn current_rollout(
    out: &mut Vec<ServiceFinding>,
    svc: &Service,
    primary: &Deployment,
    rules: &Rules,
    now: Timestamp,
) {
    let subject = format!("deployment {}", primary.id);
    match primary.rollout_state {
        RolloutState::Failed => out.push((
            Urgency::Page,
            Kind::Rollout,
            subject.clone(),
            format!(
                "rollout of {} FAILED: {}",
                primary.task_definition, primary.rollout_reason
            ),
            primary.updated_at,
        )),
        // Its new tasks fail the load balancer's health checks: the page
        // goes off before the circuit breaker has counted enough of them.
        RolloutState::InProgress
            if let Some(first) = svc
                .events
                .iter()
                .filter(|e| e.created_at >= primary.created_at && e.kind == EventKind::Unhealthy)
                .map(|e| e.created_at)
                .min() =>
        {
            let unhealthy = svc
                .events
                .iter()
                .filter(|e| e.created_at >= primary.created_at && e.kind == EventKind::Unhealthy)
                .count();
            out.push((
                Urgency::Page,
                Kind::Rollout,
                subject.clone(),
                format!(
                    "rollout of {} IN_PROGRESS: its tasks fail the load balancer's health checks ({unhealthy} unhealthy since it began; {} of {} running)",
                    primary.task_definition, primary.running, primary.desired
                ),
                first,
            ))
        }
        RolloutState::InProgress if now - primary.created_at > rules.rollout_too_long => {
            out.push((
                Urgency::Warn,
                Kind::Rollout,
                subject.clone(),
                format!(
                    "rollout of {} in progress for {} ({} of {} running)",
                    primary.task_definition,
                    age(now - primary.created_at),
                    primary.running,
                    primary.desired
                ),
                primary.created_at,
            ))
        }
        _ => {}
    }
}

/// A rollout that failed and was rolled back within the hour.
fn rolled_back(out: &mut Vec<ServiceFinding>, svc: &Service, primary: &Deployment, now: Timestamp) {
    // A circuit breaker that rolled back leaves the failed deployment behind
    // until the rollback completes; after that only the service's events
    // remember it.
    let failed_event = svc.events.iter().find(|e| {
        now - e.created_at < Duration::hours(1)
            && e.kind == EventKind::DeploymentFailed
            && e.deployment() != Some(primary.id.as_str())
    });
    if let Some(failed) = svc.deployments.iter().find(|d| {
        d.status != DeploymentStatus::Primary
            && d.rollout_state == RolloutState::Failed
            && now - d.updated_at < Duration::hours(1)
    }) {
        out.push((
            Urgency::Page,
            Kind::Rollout,
            format!("deployment {}", failed.id),
            format!(
                "rollout of {} ROLLED BACK {} ago: {}",
                failed.task_definition,
                age(now - failed.updated_at),
                failed.rollout_reason
            ),
            failed.updated_at,
        ));
    } else if let Some(e) = failed_event {
        let deployment = e.deployment().unwrap_or_default();
        out.push((
            Urgency::Page,
            Kind::Rollout,
            format!("deployment {deployment}"),
            format!(
                "a rollout FAILED {} ago and was rolled back; now on {}: {}",
                age(now - e.created_at),
                primary.task_definition,
                e.message
            ),
            e.created_at,
        ));
    }
}

/// Tasks that fail to start, or fewer running than desired once ECS has
/// had time to settle.
fn short_of_tasks(
    out: &mut Vec<ServiceFinding>,
    svc: &Service,
    primary: &Deployment,
    rules: &Rules,
    now: Timestamp,
) {
    let subject = format!("deployment {}", primary.id);
    if primary.failed_tasks > 0 {
        out.push((
            Urgency::Page,
            Kind::CrashLoop,
            subject.clone(),
            format!(
                "{} tasks of {} failed to start or stopped ({} of {} running)",
                primary.failed_tasks, primary.task_definition, svc.running, svc.desired
            ),
            primary.updated_at,
        ));
    }
    // ECS at work: a deployment, or tasks it just started or stopped (a new
    // desired count, a replaced task) announced in the service's events.
    // ECS repeating that it cannot place a task is not at work: it is why
    // the service is short.
    let last_action = svc
        .events
        .iter()
        .find(|e| e.kind != EventKind::UnableToPlace)
        .map_or(primary.created_at, |e| e.created_at.max(primary.created_at));
    let settling = now - last_action < rules.capacity_grace;
    if svc.running < svc.desired && !settling && primary.failed_tasks == 0 {
        let unplaced = svc
            .events
            .iter()
            .find(|e| e.kind == EventKind::UnableToPlace && e.created_at >= last_action)
            .map(|e| {
                let reason = e
                    .message
                    .split_once(" because ")
                    .map_or(e.message.as_str(), |(_, why)| why);
                format!(
                    "; ECS was unable to place a task {} ago: {reason}",
                    age(now - e.created_at)
                )
            })
            .unwrap_or_default();
        out.push((
            Urgency::Warn,
            Kind::Capacity,
            "tasks".into(),
            format!(
                "{} of {} tasks running ({} pending){unplaced}",
                svc.running, svc.desired, svc.pending
            ),
            primary.updated_at,
        ));
    }
}

/// Yesterday against the mean of the seven days before it.
fn cost_anomaly(report: &CostReport, rules: &Rules) -> Option<String> {
    let mut days = report.days.clone();
    days.sort_by(|a, b| a.date.cmp(&b.date));
    // The last day is today, still being billed.
    let (yesterday, before) = match days.len() {
        n if n >= 9 => (&days[n - 2], &days[n - 9..n - 2]),
        _ => return None,
    };
    let mean = before.iter().map(|d| d.amount).sum::<f64>() / before.len() as f64;
    let rise = yesterday.amount - mean;
    (yesterday.amount > mean * rules.cost_factor && rise >= rules.cost_min_increase).then(|| {
        format!(
            "the account cost {:.2} {} on {}, {:.1}x the week before ({:.2} a day)",
            yesterday.amount,
            report.currency,
            yesterday.date,
            yesterday.amount / mean.max(0.01),
            mean
        )
    })
}

/// `45s`, `12m`, `3h`, `2d`.
pub fn age(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{alarm, service, t0};
    use flightdeck_model::DailyCost;

    fn env(name: &str, production: bool) -> EnvironmentInfo {
        EnvironmentInfo {
            name: name.into(),
            region: "us-east-1".into(),
            production,
            read_only: false,
        }
    }

    fn view<'a>(
        info: &'a EnvironmentInfo,
        services: &'a [Service],
        alarms: &'a [Alarm],
    ) -> EnvView<'a> {
        EnvView {
            info,
            services: Read::ok(services, t0()),
            alarms: Read::ok(alarms, t0()),
            costs: Read::none(),
            tasks: vec![],
        }
    }

    #[test]
    fn nothing_wrong_is_an_empty_list() {
        let info = env("shop-prod", true);
        let services = [service("api", 2, 2, RolloutState::Completed, 0)];
        let alarms = [alarm("api-cpu", Severity::Critical, AlarmState::Ok, 60)];
        assert!(triage(&[view(&info, &services, &alarms)], &Rules::default(), t0()).is_empty());
    }

    #[test]
    fn auto_scalings_own_alarms_are_not_pages() {
        let info = env("shop-prod", true);
        let alarms = [alarm(
            "TargetTracking-service/c/api-AlarmLow-1",
            Severity::Info,
            AlarmState::Alarm,
            60,
        )];
        assert!(triage(&[view(&info, &[], &alarms)], &Rules::default(), t0()).is_empty());
    }

    #[test]
    fn an_alarm_names_its_service_its_severity_and_how_long() {
        let info = env("shop-prod", true);
        let services = [service("api", 2, 2, RolloutState::Completed, 0)];
        let alarms = [alarm(
            "api-cpu-critical",
            Severity::Critical,
            AlarmState::Alarm,
            12,
        )];
        let found = triage(&[view(&info, &services, &alarms)], &Rules::default(), t0());
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!((f.kind, f.urgency), (Kind::Alarm, Urgency::Page));
        assert_eq!(f.service, Some(ServiceRef::new("c", "api")));
        assert!(
            f.why
                .starts_with("api-cpu-critical in ALARM for 12m (critical): "),
            "{}",
            f.why
        );
    }

    #[test]
    fn pages_before_warnings_production_first_unreadable_first_then_newest() {
        let prod = env("shop-prod", true);
        let staging = env("shop-staging", false);
        let broken = env("other-prod", true);
        let services = [service("api", 2, 2, RolloutState::Completed, 0)];
        let prod_alarms = [
            alarm("api-cpu-warning", Severity::Warning, AlarmState::Alarm, 50),
            alarm("api-5xx-critical", Severity::Critical, AlarmState::Alarm, 5),
            alarm(
                "api-latency-critical",
                Severity::Critical,
                AlarmState::Alarm,
                30,
            ),
        ];
        let staging_alarms = [alarm(
            "api-5xx-critical",
            Severity::Critical,
            AlarmState::Alarm,
            90,
        )];
        let denied = ProviderError::AccessDenied {
            action: "ecs:ListClusters".into(),
        };
        let unreadable = EnvView {
            info: &broken,
            services: Read::failed(&denied, t0()),
            alarms: Read::none(),
            costs: Read::none(),
            tasks: vec![],
        };
        let found = triage(
            &[
                view(&staging, &services, &staging_alarms),
                view(&prod, &services, &prod_alarms),
                unreadable,
            ],
            &Rules::default(),
            t0(),
        );
        let order: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.environment.as_str(), f.subject.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("other-prod", "services"),
                ("shop-prod", "api-5xx-critical"),
                ("shop-prod", "api-latency-critical"),
                ("shop-staging", "api-5xx-critical"),
                ("shop-prod", "api-cpu-warning"),
            ]
        );
        assert!(found[0].why.contains("access denied for ecs:ListClusters"));
    }

    /// Once the circuit breaker's rollback has completed, ECS drops the
    /// failed deployment: its events still say what happened.
    #[test]
    fn a_rollback_that_completed_is_found_from_the_services_events() {
        let info = env("shop-prod", true);
        let mut svc = service("api", 2, 2, RolloutState::Completed, 0);
        svc.events = vec![flightdeck_model::ServiceEvent::read(
            "e1".into(),
            t0() - Duration::minutes(12),
            "(service api) (deployment ecs-svc/9) deployment failed: tasks failed to start.".into(),
        )];
        let found = triage(&[view(&info, &[svc.clone()], &[])], &Rules::default(), t0());
        let rollout = found.iter().find(|f| f.kind == Kind::Rollout).unwrap();
        assert_eq!(rollout.urgency, Urgency::Page);
        assert!(
            rollout
                .why
                .starts_with("a rollout FAILED 12m ago and was rolled back"),
            "{}",
            rollout.why
        );
        // An hour later it is history, not a page.
        let found = triage(
            &[view(&info, &[svc], &[])],
            &Rules::default(),
            t0() + Duration::hours(1),
        );
        assert!(found.iter().all(|f| f.kind != Kind::Rollout), "{found:?}");
    }

    #[test]
    fn failed_rollouts_crash_loops_and_missing_capacity_are_found() {
        let info = env("shop-prod", true);
        let services = [
            service("failed", 1, 2, RolloutState::Failed, 3),
            service("short", 1, 3, RolloutState::Completed, 0),
            service("slow", 1, 2, RolloutState::InProgress, 0),
        ];
        let found = triage(&[view(&info, &services, &[])], &Rules::default(), t0());
        let kinds: Vec<(&str, Kind)> = found
            .iter()
            .map(|f| (f.service.as_ref().unwrap().name.as_str(), f.kind))
            .collect();
        assert!(kinds.contains(&("failed", Kind::Rollout)), "{kinds:?}");
        assert!(kinds.contains(&("failed", Kind::CrashLoop)), "{kinds:?}");
        assert!(kinds.contains(&("short", Kind::Capacity)), "{kinds:?}");
        assert!(kinds.contains(&("slow", Kind::Rollout)), "{kinds:?}");
        // A crash loop says it, not also "capacity".
        assert!(!kinds.contains(&("failed", Kind::Capacity)), "{kinds:?}");
        let slow = found.iter().find(|f| f.why.contains("in progress for 30m"));
        assert!(slow.is_some(), "{found:?}");
        // Tasks ECS started a minute ago (someone raised the desired count)
        // are ECS at work, not yet a shortfall.
        let mut starting = service("short", 1, 3, RolloutState::Completed, 0);
        starting.events = vec![flightdeck_model::ServiceEvent::read(
            "e".into(),
            t0() - Duration::minutes(1),
            "(service short) has started 2 tasks: (task a) (task b).".into(),
        )];
        let found = triage(&[view(&info, &[starting], &[])], &Rules::default(), t0());
        assert!(found.is_empty(), "{found:?}");
    }

    /// ECS saying every few minutes that it cannot place a task is not ECS
    /// at work: the shortfall is a finding, with ECS's reason.
    #[test]
    fn a_service_whose_tasks_cannot_be_placed_is_short_of_tasks() {
        let info = env("shop-prod", true);
        let mut qdrant = service("qdrant", 1, 2, RolloutState::Completed, 0);
        let unplaced = |minutes: i64| {
            flightdeck_model::ServiceEvent::read(
                format!("e{minutes}"),
                t0() - Duration::minutes(minutes),
                "(service qdrant) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance abc) has insufficient memory available.".into(),
            )
        };
        qdrant.events = vec![
            unplaced(1),
            unplaced(6),
            unplaced(11),
            flightdeck_model::ServiceEvent::read(
                "s".into(),
                t0() - Duration::minutes(12),
                "(service qdrant) has stopped 1 running tasks: (task a).".into(),
            ),
        ];
        let found = triage(&[view(&info, &[qdrant], &[])], &Rules::default(), t0());
        let short = found
            .iter()
            .find(|f| f.kind == Kind::Capacity)
            .unwrap_or_else(|| panic!("{found:?}"));
        assert!(
            short.why.starts_with("1 of 2 tasks running"),
            "{}",
            short.why
        );
        assert!(
            short.why.contains("insufficient memory available"),
            "{}",
            short.why
        );
    }

    #[test]
    fn stale_data_and_a_cost_spike_are_warnings() {
        let info = env("shop-prod", true);
        let mut days: Vec<DailyCost> = (1..=9)
            .map(|d| DailyCost {
                date: format!("2026-11-{d:02}"),
                amount: 20.0,
            })
            .collect();
        days[7].amount = 95.0; // yesterday; day 9 is today, still billing
        let report = CostReport {
            currency: "USD".into(),
            total: 0.0,
            days,
            by_service: vec![],
            month_to_date: 0.0,
            forecast_month: None,
        };
        let services = [service("api", 2, 2, RolloutState::Completed, 0)];
        let view = EnvView {
            info: &info,
            services: Read::ok(&services[..], t0() - Duration::minutes(9)),
            alarms: Read::ok(&[][..], t0()),
            costs: Read::ok(&report, t0()),
            tasks: vec![],
        };
        let found = triage(&[view], &Rules::default(), t0());
        let stale = found.iter().find(|f| f.kind == Kind::Stale).unwrap();
        assert!(
            stale.why.contains("services last read 9m ago"),
            "{}",
            stale.why
        );
        let cost = found.iter().find(|f| f.kind == Kind::CostAnomaly).unwrap();
        assert!(cost.why.contains("95.00 USD on 2026-11-08"), "{}", cost.why);
        assert!(cost.why.contains("4.8x"), "{}", cost.why);
        assert_eq!(cost.urgency, Urgency::Warn);
    }

    #[test]
    fn tasks_stopping_again_and_again_are_a_crash_loop_with_the_last_reason() {
        use flightdeck_model::{
            ContainerState, HealthStatus, ServiceEvent, TaskDefRef, TaskStatus,
        };
        let info = env("shop-prod", true);
        let event = |minutes_ago: i64, message: &str| {
            ServiceEvent::read(
                format!("e{minutes_ago}{message}"),
                t0() - Duration::minutes(minutes_ago),
                message.into(),
            )
        };
        let stopped = |minutes_ago: i64, reason: &str, exit: i32| Task {
            id: format!("t{minutes_ago}"),
            arn: String::new(),
            task_definition: TaskDefRef::new("api", 7),
            last_status: TaskStatus::Stopped,
            desired_status: TaskStatus::Stopped,
            health: HealthStatus::Unknown,
            availability_zone: "us-east-1a".into(),
            started_at: None,
            stopped_at: Some(t0() - Duration::minutes(minutes_ago)),
            stopped_reason: Some(reason.into()),
            containers: vec![ContainerState {
                name: "app".into(),
                last_status: TaskStatus::Stopped,
                exit_code: Some(exit),
                reason: None,
                runtime_id: None,
                exec_agent: None,
            }],
            exec_enabled: false,
        };
        let mut svc = service("api", 2, 2, RolloutState::Completed, 0);
        svc.events = vec![
            event(2, "(service api) has stopped 1 running tasks: (task c)."),
            event(6, "(service api) has stopped 1 running tasks: (task b)."),
            event(10, "(service api) has stopped 1 running tasks: (task a)."),
            event(40, "(service api) (deployment d) deployment completed."),
        ];
        let services = [svc.clone()];
        let find = |tasks: Vec<(&ServiceRef, &[Task])>| {
            let mut view = view(&info, &services, &[]);
            view.tasks = tasks;
            triage(&[view], &Rules::default(), t0())
        };
        // Suspected: the reasons are to be read.
        assert_eq!(
            suspected_crash_loops(&services, Rules::default(), t0()).count(),
            1
        );
        let found = find(vec![]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].kind, found[0].urgency),
            (Kind::CrashLoop, Urgency::Warn)
        );
        assert!(found[0].why.ends_with("reading why"), "{}", found[0].why);
        // With the reasons: a page naming the last one.
        let reference = svc.reference();
        let oom = [
            stopped(
                2,
                "OutOfMemoryError: Container killed due to memory usage",
                137,
            ),
            stopped(
                6,
                "OutOfMemoryError: Container killed due to memory usage",
                137,
            ),
        ];
        let found = find(vec![(&reference, &oom)]);
        assert_eq!(found[0].urgency, Urgency::Page);
        assert_eq!(
            found[0].why,
            "3 task stops in the last 15m outside a rollout (2 of 2 running); last: OutOfMemoryError: Container killed due to memory usage (exit 137)"
        );
        // Auto scaling stopping tasks is not a crash loop.
        let scaled = [stopped(
            2,
            "Scaling activity initiated by (deployment d)",
            0,
        )];
        assert!(find(vec![(&reference, &scaled)]).is_empty());
        // Nor are the tasks a rollout replaced.
        let mut rolled = svc.clone();
        rolled.events.insert(
            0,
            event(1, "(service api) (deployment e) deployment completed."),
        );
        let rolled = [rolled];
        assert_eq!(
            suspected_crash_loops(&rolled, Rules::default(), t0()).count(),
            0
        );
    }

    /// Hosts of one zone gone under two services: one zone finding; the
    /// same stops of one service alone, or auto scaling's in two, are not.
    #[test]
    fn host_stops_in_one_zone_across_services_are_one_zone_finding() {
        use flightdeck_model::{HealthStatus, ServiceEvent, TaskDefRef, TaskStatus};
        let info = env("infra-prod", true);
        let stop = |id: &str, zone: &str, reason: &str| Task {
            id: id.into(),
            arn: String::new(),
            task_definition: TaskDefRef::new("x", 1),
            last_status: TaskStatus::Stopped,
            desired_status: TaskStatus::Stopped,
            health: HealthStatus::Unknown,
            availability_zone: zone.into(),
            started_at: None,
            stopped_at: Some(t0() - Duration::minutes(3)),
            stopped_reason: Some(reason.into()),
            containers: vec![],
            exec_enabled: false,
        };
        let with_stop = |name: &str| {
            let mut svc = service(name, 3, 2, RolloutState::Completed, 0);
            svc.events = vec![ServiceEvent::read(
                format!("{name}-stop"),
                t0() - Duration::minutes(3),
                format!("({name}) has stopped 1 running tasks: (task t)."),
            )];
            svc
        };
        let services = [
            with_stop("api"),
            with_stop("db"),
            service("web", 2, 2, RolloutState::Completed, 0),
        ];
        let suspects: Vec<&str> = suspected_crash_loops(&services, Rules::default(), t0())
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(suspects, ["api", "db"], "stops together are read");
        let (api, db) = (services[0].reference(), services[1].reference());
        let host = "Host EC2 (instance i-0abc123) terminated.";
        let api_tasks = [stop("a1", "us-east-1b", host)];
        let db_tasks = [
            stop(
                "d1",
                "us-east-1b",
                "Host EC2 (instance i-0def456) terminated.",
            ),
            stop("d2", "us-east-1a", "Essential container in task exited"),
        ];
        let zones = |tasks: Vec<(&ServiceRef, &[Task])>| {
            let mut view = view(&info, &services, &[]);
            view.tasks = tasks;
            triage(&[view], &Rules::default(), t0())
                .into_iter()
                .filter(|f| f.kind == Kind::Zone)
                .collect::<Vec<_>>()
        };
        let found = zones(vec![(&api, &api_tasks), (&db, &db_tasks)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].subject, "zone us-east-1b");
        assert_eq!(found[0].urgency, Urgency::Page);
        assert!(
            found[0].why.starts_with(
                "2 tasks of 2 services stopped in us-east-1b 3m ago on 2 hosts (api, db)"
            ),
            "{}",
            found[0].why
        );
        assert!(zones(vec![(&api, &api_tasks)]).is_empty(), "one service");
        let scaled = [stop(
            "s1",
            "us-east-1b",
            "Scaling activity initiated by (deployment d)",
        )];
        assert!(
            zones(vec![(&api, &scaled), (&db, &scaled)]).is_empty(),
            "scaling"
        );
    }
}
