//! [`assemble`] and one function per source of facts, each turning what
//! was read into timeline entries.

use super::{Actor, Entry, Facts, Kind, Scope};
use crate::audit::{Outcome, Phase, Record};
use crate::diff::revision_diff;
use crate::triage::age;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, ScalingActivity, Service, ServiceDeployment, ServiceRef, Severity,
    Task, TaskDefRef, TaskDefinition, Timestamp, WriteEvent, WriteSource,
};

/// A CloudTrail write this close to an audit record of the same caller and
/// service is that record (the operator's own write, shown once, with its plan).
const SAME_WRITE: chrono::Duration = chrono::Duration::minutes(2);

/// The callers whose writes other entries already show: auto scaling's
/// UpdateService calls are its scaling activities.
const SHOWN_ELSEWHERE: [WriteSource; 1] = [WriteSource::AutoScaling];

/// The entries of `facts` in `scope` at or after `since`, newest first
/// (ties in kind order, so a deployment shows above the events it caused).
pub fn assemble(scope: &Scope, since: Timestamp, facts: &Facts) -> Vec<Entry> {
    let mut out = all(facts);
    out.retain(|e| e.at >= since && scope.covers(e.service.as_ref()));
    out.sort_by(|a, b| b.at.cmp(&a.at).then(a.kind.cmp(&b.kind)));
    out
}

pub(super) fn all(facts: &Facts) -> Vec<Entry> {
    let mut out = vec![];
    for svc in &facts.services {
        let history = facts
            .deployments
            .iter()
            .find(|(r, _)| r.is(svc))
            .map(|(_, h)| h);
        match history {
            Some(history) => {
                for d in history {
                    out.extend(deployment(svc.reference(), d, &facts.task_definitions));
                }
            }
            None => out.extend(current_deployments(svc, &facts.task_definitions)),
        }
        out.extend(svc.events.iter().map(|e| Entry {
            at: e.created_at,
            kind: Kind::Event,
            service: Some(svc.reference()),
            summary: e.message.clone(),
            subject: Some(e.id.clone()),
            who: Some(Actor::Ecs),
            detail: vec![],
        }));
    }
    for (alarm, history) in &facts.alarms {
        out.extend(alarm_changes(alarm, history, &facts.services));
    }
    out.extend(facts.activities.iter().map(scaling));
    for (service, tasks) in &facts.tasks {
        out.extend(tasks.iter().filter_map(|t| task_stop(service, t)));
    }
    out.extend(facts.audit.iter().filter_map(|r| audit(r, None)));
    out.extend(
        facts
            .team
            .iter()
            .filter_map(|t| audit(&t.record, Some(&t.operator))),
    );
    out.extend(
        facts
            .writes
            .iter()
            .filter(|w| !SHOWN_ELSEWHERE.contains(&w.from))
            .filter(|w| {
                !recorded_by_audit(
                    w,
                    facts
                        .audit
                        .iter()
                        .chain(facts.team.iter().map(|t| &t.record)),
                )
            })
            .map(write),
    );
    out
}

/// The revisions' diff as lines, and a summary naming the first change.
fn diff(from: &TaskDefRef, to: &TaskDefRef, tds: &[TaskDefinition]) -> (String, Vec<String>) {
    let find = |r: &TaskDefRef| tds.iter().find(|t| &t.reference == r);
    let head = format!("{from} -> {to}");
    let (Some(a), Some(b)) = (find(from), find(to)) else {
        return (
            head,
            vec!["(the revisions could not be read for a diff)".into()],
        );
    };
    let lines: Vec<String> = revision_diff(a, b)
        .into_iter()
        .skip(1) // the revision change itself is the head
        .map(|c| format!("{}: {} -> {}", c.field, c.before, c.after))
        .collect();
    let summary = match lines.as_slice() {
        [] => format!("{head}: no change but the revision"),
        [one] => format!("{head}: {one}"),
        [first, rest @ ..] => format!("{head}: {first} (+{} more)", rest.len()),
    };
    (summary, lines)
}

/// A deployment of ECS's history, at its start, with the revision change.
fn deployment(service: ServiceRef, d: &ServiceDeployment, tds: &[TaskDefinition]) -> Vec<Entry> {
    let started = d.started_at.unwrap_or(d.created_at);
    let target = d
        .target
        .as_ref()
        .map_or("an unknown revision".to_string(), ToString::to_string);
    let took = d
        .finished_at
        .map(|f| format!(" after {}", age(f - started)))
        .unwrap_or_default();
    let from = match d.sources.as_slice() {
        [] => String::new(),
        sources => format!(
            " (from {})",
            sources
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut detail = vec![];
    if let Some(reason) = &d.status_reason {
        detail.push(format!("status: {reason}"));
    }
    if let Some(reason) = &d.rollback_reason {
        detail.push(format!("rolled back: {reason}"));
    }
    if let Some(n) = d.circuit_breaker_failures.filter(|n| *n > 0) {
        detail.push(format!("circuit breaker counted {n} failed tasks"));
    }
    if let Some(stage) = &d.stage {
        detail.push(format!("stage: {stage}"));
    }
    if let Some(weight) = d.traffic_on_target {
        detail.push(format!(
            "production traffic on the new revision: {} %",
            flightdeck_model::trim_float(weight)
        ));
    }
    for hook in &d.hooks {
        detail.push(hook.to_string());
    }
    if !d.triggered_alarms.is_empty() {
        detail.push(format!(
            "rollback alarms triggered: {}",
            d.triggered_alarms.join(", ")
        ));
    }
    detail.push(d.arn.clone());
    let mut out = vec![Entry {
        at: started,
        kind: Kind::Deployment,
        service: Some(service.clone()),
        summary: format!("deployment to {target}{from}: {}{took}", d.status),
        subject: Some(d.arn.clone()),
        who: Some(Actor::Ecs),
        detail,
    }];
    if let (Some(to), Some(from)) = (
        &d.target,
        d.sources.iter().find(|s| Some(*s) != d.target.as_ref()),
    ) {
        let (summary, detail) = diff(from, to, tds);
        out.push(Entry {
            at: started,
            kind: Kind::TaskDefinition,
            service: Some(service),
            summary,
            subject: Some(to.to_string()),
            who: None,
            detail,
        });
    }
    out
}

/// The deployments DescribeServices shows, for services whose history was
/// not read: each at its creation, and the revision change between the
/// newest and the one it replaces.
fn current_deployments(svc: &Service, tds: &[TaskDefinition]) -> Vec<Entry> {
    let mut out: Vec<Entry> = svc
        .deployments
        .iter()
        .map(|d| Entry {
            at: d.created_at,
            kind: Kind::Deployment,
            service: Some(svc.reference()),
            summary: format!(
                "deployment to {} ({}): {}, {}/{} running",
                d.task_definition, d.status, d.rollout_state, d.running, d.desired
            ),
            subject: Some(d.id.clone()),
            who: Some(Actor::Ecs),
            detail: [d.rollout_reason.clone(), d.id.clone()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect(),
        })
        .collect();
    if let [newest, older, ..] = svc.deployments.as_slice()
        && newest.task_definition != older.task_definition
    {
        let (summary, detail) = diff(&older.task_definition, &newest.task_definition, tds);
        out.push(Entry {
            at: newest.created_at,
            kind: Kind::TaskDefinition,
            service: Some(svc.reference()),
            summary,
            subject: Some(newest.task_definition.to_string()),
            who: None,
            detail,
        });
    }
    out
}

/// State changes of an alarm that pages (auto scaling's own alarms flip all
/// day; their effect is in the scaling activities).
fn alarm_changes(alarm: &Alarm, history: &[AlarmHistoryItem], services: &[Service]) -> Vec<Entry> {
    if alarm.severity == Severity::Info {
        return vec![];
    }
    let service = alarm.watched_service(services).map(Service::reference);
    history
        .iter()
        .map(|h| Entry {
            at: h.timestamp,
            kind: Kind::Alarm,
            service: service.clone(),
            summary: format!("{}: {} -> {}", alarm.display_name(), h.from, h.to),
            subject: Some(alarm.name.clone()),
            who: Some(Actor::CloudWatch),
            detail: vec![h.summary.clone(), format!("alarm {}", alarm.name)],
        })
        .collect()
}

fn scaling(a: &ScalingActivity) -> Entry {
    let service = a
        .resource_id
        .strip_prefix("service/")
        .and_then(|r| r.split_once('/'))
        .map(|(cluster, name)| ServiceRef::new(cluster, name));
    Entry {
        at: a.started_at,
        kind: Kind::Scaling,
        service,
        summary: format!("{} ({})", a.description, a.status),
        subject: Some(a.id.clone()),
        who: Some(Actor::AutoScaling),
        detail: vec![a.cause.clone()],
    }
}

fn task_stop(service: &ServiceRef, t: &Task) -> Option<Entry> {
    let at = t.stopped_at?;
    let short: String = t.id.chars().take(8).collect();
    let mut detail: Vec<String> = t
        .containers
        .iter()
        .filter(|c| c.exit_code.is_some() || c.reason.is_some())
        .map(|c| {
            let code = c.exit_code.map(|e| format!("exit {e}")).unwrap_or_default();
            let reason = c.reason.as_deref().unwrap_or_default();
            format!("container {}: {code} {reason}", c.name)
                .trim_end()
                .to_string()
        })
        .collect();
    detail.push(format!(
        "task {} ({}, {})",
        t.id, t.task_definition, t.availability_zone
    ));
    Some(Entry {
        at,
        kind: Kind::TaskStop,
        service: Some(service.clone()),
        summary: format!(
            "task {short} stopped: {}",
            t.stopped_reason.as_deref().unwrap_or("no reason given")
        ),
        subject: Some(t.id.clone()),
        who: Some(Actor::Ecs),
        detail,
    })
}

/// A write made with flightdeck, from the audit log (`operator` `None`:
/// this operator's) or the team's trail.
fn audit(r: &Record, operator: Option<&str>) -> Option<Entry> {
    let outcome = match (r.phase, r.result) {
        (Phase::After, Some(Outcome::Ok)) => "done".to_string(),
        (Phase::After, _) => format!("failed: {}", r.error.as_deref().unwrap_or("error")),
        (Phase::Refused, _) => {
            // The recorded error may say "refused: …" itself.
            let why = r.error.as_deref().unwrap_or("");
            format!("refused: {}", why.strip_prefix("refused: ").unwrap_or(why))
        }
        (Phase::Before, _) => return None,
    };
    // A deploy or rollback names its revision; any other write its change.
    let to = match &r.to_task_definition {
        Some(t) if *t != r.from_task_definition => format!(" to {t}"),
        _ => String::new(),
    };
    let outcome = match r.diff.first() {
        Some(change) if to.is_empty() => format!("{outcome}; {change}"),
        _ => outcome,
    };
    let mut detail = r.diff.clone();
    detail.extend(r.calls.iter().map(|c| format!("call: {c}")));
    detail.extend(r.request_ids.iter().map(|id| format!("request id {id}")));
    match (&r.lease_taken_from, &r.lease_reason) {
        (Some(from), Some(why)) => detail.push(format!("took the lease over from {from}: {why}")),
        (None, Some(why)) => detail.push(format!("written without the lease table: {why}")),
        _ => {}
    }
    let by = match operator {
        Some(name) => {
            detail.insert(0, format!("operator {name} (the team's audit trail)"));
            format!(" by {name}")
        }
        None => String::new(),
    };
    Some(Entry {
        at: r.time,
        kind: Kind::Operator,
        service: Some(ServiceRef::new(&r.cluster, &r.service)),
        summary: format!("{}{to} with flightdeck{by}: {outcome}", r.operation),
        subject: r.deployment_id.clone(),
        who: Some(Actor::caller(&r.who)),
        detail,
    })
}

fn recorded_by_audit<'a>(w: &WriteEvent, mut audit: impl Iterator<Item = &'a Record>) -> bool {
    audit.any(|r| {
        r.phase == Phase::After
            && Actor::caller(&r.who) == Actor::caller(&w.who)
            && w.touches(&r.cluster, &r.service)
            && (w.at - r.time).abs() <= SAME_WRITE
    })
}

fn write(w: &WriteEvent) -> Entry {
    let service = match (&w.cluster, &w.service) {
        (Some(c), Some(s)) => Some(ServiceRef::new(c, s)),
        _ => None,
    };
    let failed = w
        .error
        .as_ref()
        .map(|e| format!(" (failed: {e})"))
        .unwrap_or_default();
    let mut detail = vec![format!("from {}", w.from)];
    detail.extend(w.parameters.iter().cloned());
    detail.push(format!("CloudTrail event {}", w.id));
    Entry {
        at: w.at,
        kind: Kind::Write,
        service,
        summary: format!("{} {}{failed}", w.call, w.parameters.join(" ")),
        subject: Some(w.id.clone()),
        who: Some(Actor::caller(&w.who)),
        detail,
    }
}
