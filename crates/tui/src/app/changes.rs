//! The changes pane's keys: whose timeline (`c`), which kinds (`K`), how
//! far back (`<` `>`), and Enter from an entry to where its detail is.

use super::{App, CHANGE_WINDOWS, Pane};
use flightdeck_core::timeline::Kind;
use flightdeck_model::{Service, ServiceRef};

/// `c`: the change timeline of what the operator is looking at: the
/// selected (or open) service, the service of the selected alarm, finding
/// or scaling target; in the changes pane, from a service's timeline to the
/// environment's and from the environment's to the selected entry's service.
pub fn open(app: &mut App) {
    let service = match app.pane {
        Pane::Changes => match &app.changes.service {
            Some(_) => None,
            None => app.selected_change().and_then(|e| e.service.clone()),
        },
        Pane::Triage => match app.selected_finding() {
            Some(f) => {
                if let Some(i) = app.envs.iter().position(|e| e.info.name == f.environment) {
                    app.switch_env(i);
                }
                f.service
            }
            None => None,
        },
        Pane::Services => app
            .detail_service()
            .or_else(|| app.selected_service())
            .map(Service::reference),
        Pane::Alarms => app
            .selected_alarm()
            .and_then(|a| a.watched_service(app.env().services()))
            .map(Service::reference),
        Pane::Scaling => app
            .selected_target()
            .map(|t| ServiceRef::new(&t.cluster, &t.service)),
        Pane::Logs => app.log_source_service(),
        Pane::Costs => None,
    };
    app.changes.service = service;
    if app.pane != Pane::Changes {
        app.changes.came_from = Some(app.pane);
    }
    app.pane = Pane::Changes;
    app.selected[Pane::Changes.index()] = 0;
}

/// `K`: every kind, then each kind alone, then every kind again.
pub fn next_kind(app: &mut App) {
    app.changes.kind = kind_after(app.changes.kind);
    app.selected[Pane::Changes.index()] = 0;
}

/// The kind `K` shows after `kind` (`None`: every kind).
pub fn kind_after(kind: Option<Kind>) -> Option<Kind> {
    match kind {
        None => Kind::ALL.first().copied(),
        Some(k) => Kind::ALL
            .iter()
            .position(|x| *x == k)
            .and_then(|i| Kind::ALL.get(i + 1).copied()),
    }
}

/// `>` and `<`: a longer or shorter window.
pub fn widen(app: &mut App, wider: bool) {
    let w = app.changes.window;
    app.changes.window = if wider {
        (w + 1).min(CHANGE_WINDOWS.len() - 1)
    } else {
        w.saturating_sub(1)
    };
}

/// Enter on an entry: an alarm's change to the alarm, a scaling activity to
/// the service's scaling target, anything else of a service to that
/// service's detail (deployments, tasks, events).
pub fn go_to_detail(app: &mut App) {
    let Some(entry) = app.selected_change().cloned() else {
        return;
    };
    match (entry.kind, entry.service) {
        (Kind::Alarm, _) => {
            let name = entry.subject.clone().unwrap_or_default();
            app.pane = Pane::Alarms;
            app.filters[Pane::Alarms.index()].clear();
            if let Some(i) = app.alarm_rows().iter().position(|a| a.name == name) {
                app.selected[Pane::Alarms.index()] = i;
            }
        }
        (Kind::Scaling, Some(service)) => {
            app.pane = Pane::Scaling;
            app.filters[Pane::Scaling.index()].clear();
            if let Some(i) = app
                .target_rows()
                .iter()
                .position(|t| t.cluster == service.cluster && t.service == service.name)
            {
                app.selected[Pane::Scaling.index()] = i;
            }
        }
        (_, Some(service)) => {
            app.pane = Pane::Services;
            app.filters[Pane::Services.index()].clear();
            app.open_service(service.cluster, service.name);
        }
        (_, None) => {
            app.notice = Some("this change names no service: its detail is shown below".into());
        }
    }
}
