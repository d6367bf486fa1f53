//! Reading the facts of a timeline: the calls the panes already make, plus
//! on demand the ones only a timeline needs (deployment history, alarm
//! history, CloudTrail). A source that fails leaves a [`Gap`], never an
//! empty timeline that looks calm.

use super::{Facts, Gap, Records, Scope, Timeline, assemble};
use crate::provider::{ProviderError, ReadProvider, all_services};
use flightdeck_model::{AlarmState, ServiceRef, Severity, TaskDefRef, Timestamp};

/// Alarm histories read per timeline (one DescribeAlarmHistory each): the
/// alarms of the service, or the environment's most recently changed.
pub const ALARM_HISTORIES_READ: usize = 10;

/// Task definitions described per timeline for diffs (each once per
/// session on AWS: a revision never changes).
const TASK_DEFINITIONS_READ: usize = 12;

/// The timeline of `scope` since `since`. Fails only when the services
/// themselves cannot be read (or the service does not exist).
pub async fn gather(
    p: &dyn ReadProvider,
    scope: &Scope,
    since: Timestamp,
    records: &Records,
) -> Result<Timeline, ProviderError> {
    let mut facts = Facts::default();
    let mut gaps = vec![];
    let mut gap = |source: &'static str, e: ProviderError| {
        gaps.push(Gap {
            source: source.to_string(),
            error: e.to_string(),
        })
    };
    match scope {
        Scope::Service(r) => {
            facts.services = p.services(&r.cluster).await?;
            if !facts.services.iter().any(|s| r.is(s)) {
                return Err(ProviderError::NotFound(format!("service {r}")));
            }
            match p.service_deployments(r, since).await {
                Ok(history) => facts.deployments.push((r.clone(), history)),
                Err(e) => gap("ECS service deployments", e),
            }
            match p.tasks(r).await {
                Ok(tasks) => facts.tasks.push((r.clone(), tasks)),
                Err(e) => gap("ECS tasks", e),
            }
        }
        Scope::Environment => facts.services = all_services(p).await?,
    }
    match p.scaling_activities().await {
        Ok(a) => facts.activities = a,
        Err(e) => gap("auto scaling activities", e),
    }
    match p.alarms().await {
        Ok(alarms) => {
            let mut watched: Vec<_> = alarms
                .into_iter()
                .filter(|a| a.severity != Severity::Info)
                .filter(|a| match scope {
                    Scope::Service(r) => {
                        a.watched_service(&facts.services).is_some_and(|s| r.is(s))
                    }
                    Scope::Environment => {
                        a.state == AlarmState::Alarm || a.state_updated_at >= since
                    }
                })
                .collect();
            watched.sort_by_key(|a| std::cmp::Reverse(a.state_updated_at));
            watched.truncate(ALARM_HISTORIES_READ);
            for alarm in watched {
                match p.alarm_history(&alarm.name).await {
                    Ok(history) => facts.alarms.push((alarm, history)),
                    Err(e) => {
                        gap("CloudWatch alarm history", e);
                        break;
                    }
                }
            }
        }
        Err(e) => gap("CloudWatch alarms", e),
    }
    match p.write_events(since).await {
        Ok(w) => facts.writes = w,
        Err(e) => gap("CloudTrail write events", e),
    }
    if let Some(log) = &records.local {
        let env = &p.environment().name;
        facts.audit = log
            .records()
            .into_iter()
            .filter(|r| &r.environment == env)
            .collect();
    }
    if let Some(team) = &records.team {
        // The trail names the account, not the environment: every
        // operator calls it their own way.
        let read = match p.caller_identity().await {
            Ok(id) => {
                team.records(&id.account, &p.environment().region, since)
                    .await
            }
            Err(e) => Err(e),
        };
        match read {
            Ok(all) => {
                facts.team = all
                    .into_iter()
                    .filter(|t| records.local.is_none() || t.operator != team.operator())
                    .filter(|t| t.record.time >= since)
                    .filter(|t| {
                        scope.covers(Some(&ServiceRef::new(&t.record.cluster, &t.record.service)))
                    })
                    .collect()
            }
            Err(e) => gap("the team's audit trail", e),
        }
    }
    for r in revisions_to_diff(&facts, scope) {
        // A revision that cannot be read leaves its diff saying so.
        if let Ok(td) = p.task_definition(&r).await {
            facts.task_definitions.push(td);
        }
    }
    Ok(Timeline {
        entries: assemble(scope, since, &facts),
        scope: scope.clone(),
        since,
        gaps,
    })
}

/// The revisions the deployments in scope change between, newest first.
fn revisions_to_diff(facts: &Facts, scope: &Scope) -> Vec<TaskDefRef> {
    let mut out: Vec<TaskDefRef> = vec![];
    for (_, history) in &facts.deployments {
        for d in history {
            out.extend(d.target.iter().cloned());
            out.extend(d.sources.iter().cloned());
        }
    }
    for svc in &facts.services {
        let in_scope = scope.covers(Some(&svc.reference()));
        let has_history = facts.deployments.iter().any(|(r, _)| r.is(svc));
        if in_scope && !has_history && svc.deployments.len() > 1 {
            out.extend(svc.deployments.iter().map(|d| d.task_definition.clone()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    out.truncate(TASK_DEFINITIONS_READ);
    out
}
