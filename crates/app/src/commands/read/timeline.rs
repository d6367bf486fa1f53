//! `timeline`: what changed, newest first: deployments with their diffs,
//! alarm changes, scaling, task stops, service events, this operator's
//! writes and everybody's (CloudTrail), for one service or the environment.

use super::*;
use flightdeck_core::timeline::Records;
use flightdeck_core::timeline::{Entry, Kind, Scope, Timeline, gather};
use flightdeck_model::ServiceRef;

pub(super) struct TimelineRequest<'a> {
    pub(super) cluster: Option<&'a str>,
    pub(super) service: Option<&'a str>,
    pub(super) since: chrono::Duration,
    pub(super) kinds: &'a [Kind],
    pub(super) json: bool,
}

#[derive(Serialize)]
struct TimelineJson<'a> {
    environment: &'a str,
    #[serde(flatten)]
    scope: &'a Scope,
    since: String,
    entries: Vec<&'a Entry>,
    /// Sources that could not be read: the timeline is incomplete.
    gaps: &'a [flightdeck_core::timeline::Gap],
}

pub(super) async fn timeline(
    session: &Session,
    records: &Records,
    request: &TimelineRequest<'_>,
    clock: &dyn Clock,
) -> Result<(), Failure> {
    let p = session.single("timeline").map_err(Failure::usage)?;
    let scope = match request.service {
        Some(service) => {
            let cluster = locate_service(p.reads(), request.cluster, service)
                .await
                .map_err(Failure::from)?;
            Scope::Service(ServiceRef::new(cluster, service))
        }
        None => Scope::Environment,
    };
    let since = clock.now() - request.since;
    let timeline = gather(p.reads(), &scope, since, records)
        .await
        .map_err(|e| Failure::failed(anyhow!("{}: {e}", p.environment().name)))?;
    let entries: Vec<&Entry> = timeline.filtered(request.kinds).collect();
    if request.json {
        print_json(&TimelineJson {
            environment: &p.environment().name,
            scope: &timeline.scope,
            since: timeline.since.to_rfc3339(),
            entries,
            gaps: &timeline.gaps,
        })?;
    } else {
        print_entries(&timeline, &entries);
    }
    for gap in &timeline.gaps {
        crate::output::err(format!(
            "flightdeck: the timeline lacks {}: {}\n",
            gap.source,
            sanitize(&gap.error)
        ));
    }
    Ok(())
}

fn print_entries(timeline: &Timeline, entries: &[&Entry]) {
    if entries.is_empty() {
        table::emit(&format!(
            "no changes since {}\n",
            timeline.since.format("%Y-%m-%d %H:%M:%SZ")
        ));
        return;
    }
    let environment_wide = timeline.scope == Scope::Environment;
    let cells: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let mut row = vec![
                e.at.format("%m-%d %H:%M:%S").to_string(),
                e.kind.to_string(),
            ];
            if environment_wide {
                row.push(e.service.as_ref().map_or("-".into(), |s| s.name.clone()));
            }
            row.push(
                e.who
                    .as_ref()
                    .map_or_else(|| "-".into(), ToString::to_string),
            );
            row.push(e.summary.clone());
            row
        })
        .collect();
    if environment_wide {
        table::print(&["TIME (UTC)", "KIND", "SERVICE", "WHO", "WHAT"], &cells);
    } else {
        table::print(&["TIME (UTC)", "KIND", "WHO", "WHAT"], &cells);
    }
}
