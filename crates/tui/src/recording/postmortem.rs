//! The postmortem timeline of a recording: in time order, what changed in
//! the environments the session watched (alarm states, deployments,
//! scaling activities, ECS's telling events) and what the operator did
//! (plans and their results, with request ids).

use super::{Entry, Recording};
use flightdeck_core::engine::Payload;
use flightdeck_model::{AlarmState, Timestamp};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One line of the postmortem timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Happening {
    pub at: Timestamp,
    pub environment: String,
    /// `alarm`, `deploy`, `scaling`, `event` or `action`.
    pub kind: &'static str,
    pub service: Option<String>,
    pub what: String,
    /// When the session received what tells of it: a replay jumps there
    /// (an alarm's change is older than the poll that saw it).
    #[serde(skip)]
    pub seen: Timestamp,
}

/// ECS service events worth a line of their own.
const TELLING_EVENTS: [&str; 5] = [
    "deployment failed",
    "rolled back",
    "unable to place a task",
    "is unhealthy in",
    "deployment completed",
];

/// Everything that happened during the recording, oldest first. What was
/// already so when the recording began is left out, except alarms already
/// in ALARM.
pub fn postmortem(rec: &Recording) -> Vec<Happening> {
    let since = rec.header.started;
    let mut out = vec![];
    let mut alarms: HashMap<(String, String), AlarmState> = HashMap::new();
    let mut rollouts: HashMap<(String, String), String> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    for entry in &rec.entries {
        match entry {
            Entry::Data { at, event } => {
                let env = event.key.env.clone();
                let Ok(payload) = &event.data.result else {
                    continue;
                };
                match payload {
                    Payload::Alarms(list) => {
                        // Auto scaling's own alarms: the scaling activities
                        // say what they did.
                        for a in list
                            .iter()
                            .filter(|a| !a.name.starts_with("TargetTracking-"))
                        {
                            let key = (env.clone(), a.name.clone());
                            let before = alarms.insert(key, a.state);
                            let what = match before {
                                None if a.state == AlarmState::Alarm => {
                                    format!(
                                        "{} in ALARM when the recording began: {}",
                                        a.name, a.state_reason
                                    )
                                }
                                Some(b) if b != a.state => {
                                    format!("{}: {b} -> {}: {}", a.name, a.state, a.state_reason)
                                }
                                _ => continue,
                            };
                            out.push(Happening {
                                at: a.state_updated_at.max(since).min(*at),
                                environment: env.clone(),
                                kind: "alarm",
                                seen: *at,
                                service: a.dimension("ServiceName").map(str::to_string),
                                what,
                            });
                        }
                    }
                    Payload::Services { services, .. } => {
                        for svc in services {
                            for d in &svc.deployments {
                                let key = (env.clone(), d.id.clone());
                                let state = format!("{} {}", d.status, d.rollout_state);
                                let before = rollouts.insert(key, state.clone());
                                let changed = before.as_ref().is_some_and(|b| *b != state);
                                let new = before.is_none() && d.created_at >= since;
                                if changed || new {
                                    out.push(Happening {
                                        at: if new { d.created_at } else { *at },
                                        environment: env.clone(),
                                        kind: "deploy",
                                        seen: *at,
                                        service: Some(svc.name.clone()),
                                        what: format!(
                                            "deployment to {}: {state}{}",
                                            d.task_definition,
                                            if d.rollout_reason.is_empty() {
                                                String::new()
                                            } else {
                                                format!(" ({})", d.rollout_reason)
                                            }
                                        ),
                                    });
                                }
                            }
                            for e in &svc.events {
                                if e.created_at < since
                                    || !TELLING_EVENTS.iter().any(|t| e.message.contains(t))
                                    || !seen.insert(format!("{env}/event/{}", e.id))
                                {
                                    continue;
                                }
                                out.push(Happening {
                                    at: e.created_at,
                                    environment: env.clone(),
                                    kind: "event",
                                    seen: *at,
                                    service: Some(svc.name.clone()),
                                    what: e.message.clone(),
                                });
                            }
                        }
                    }
                    Payload::Scaling(data) => {
                        for a in data.activities.iter().flatten() {
                            if a.started_at < since
                                || !seen.insert(format!("{env}/scaling/{}", a.id))
                            {
                                continue;
                            }
                            out.push(Happening {
                                at: a.started_at,
                                environment: env.clone(),
                                kind: "scaling",
                                seen: *at,
                                service: a.resource_id.rsplit('/').next().map(str::to_string),
                                what: format!("{} ({})", a.description, a.status),
                            });
                        }
                    }
                    _ => {}
                }
            }
            Entry::Planned {
                at,
                env,
                op,
                result,
                ..
            } => out.push(action(
                *at,
                env,
                op,
                match result {
                    Ok(plan) => format!(
                        "planned {}: {}",
                        subject(op),
                        plan.steps
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    Err(e) => format!("{} refused: {e}", subject(op)),
                },
            )),
            Entry::Executed {
                at,
                env,
                plan,
                result,
                ..
            } => {
                let op = &plan.operation;
                out.push(action(
                    *at,
                    env,
                    op,
                    match result {
                        Ok(done) => format!(
                            "{} confirmed and done: {}",
                            subject(op),
                            flightdeck_core::ops::describe_calls(&done.calls)
                        ),
                        Err(e) => format!("{} confirmed, failed: {e}", subject(op)),
                    },
                ));
            }
            Entry::Unchanged { .. }
            | Entry::Key { .. }
            | Entry::Mouse { .. }
            | Entry::Tick { .. }
            | Entry::Resize { .. } => {}
        }
    }
    out.sort_by_key(|h| h.at);
    drop_repeats(&mut out);
    out
}

/// An operator's action on the timeline, seen when it happened.
fn action(
    at: Timestamp,
    env: &str,
    op: &flightdeck_core::ops::Operation,
    what: String,
) -> Happening {
    Happening {
        at,
        environment: env.to_string(),
        kind: "action",
        service: Some(op.service().to_string()),
        what,
        seen: at,
    }
}

/// "deploy of cluster/service": what an action acts on.
fn subject(op: &flightdeck_core::ops::Operation) -> String {
    format!("{} of {}/{}", op.verb(), op.cluster(), op.service())
}

/// One line for the same thing said several times at one instant (ECS
/// tells of each unhealthy target in the same words).
fn drop_repeats(happenings: &mut Vec<Happening>) {
    let mut said = HashSet::new();
    happenings.retain(|h| said.insert((h.at, h.environment.clone(), h.kind, h.what.clone())));
}

/// The timeline as a Markdown table, ready for a postmortem document.
pub fn markdown(rec: &Recording, happenings: &[Happening]) -> String {
    let mut out = format!(
        "## Timeline ({} UTC, from the flightdeck recording)\n\n| time (UTC) | environment | service | what |\n|---|---|---|---|\n",
        rec.header.started.format("%Y-%m-%d")
    );
    let cell = |s: &str| flightdeck_model::text::sanitize(s).replace('|', "\\\\|");
    for h in happenings {
        out.push_str(&format!(
            "| {} | {} | {} | {}: {} |\n",
            h.at.format("%H:%M:%S"),
            cell(&h.environment),
            cell(h.service.as_deref().unwrap_or("")),
            h.kind,
            cell(&h.what)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_thing_said_twice_at_one_instant_is_one_line() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let line = |what: &str, secs: i64| Happening {
            at: at + chrono::Duration::seconds(secs),
            environment: "shop".into(),
            kind: "event",
            service: Some("api".into()),
            what: what.into(),
            seen: at,
        };
        let mut h = vec![
            line("unhealthy", 0),
            line("unhealthy", 0),
            line("other", 0),
            line("unhealthy", 0),
            line("unhealthy", 5),
        ];
        drop_repeats(&mut h);
        let left: Vec<_> = h.iter().map(|h| (h.what.as_str(), h.at)).collect();
        assert_eq!(
            left,
            [
                ("unhealthy", at),
                ("other", at),
                ("unhealthy", at + chrono::Duration::seconds(5))
            ]
        );
    }
}
