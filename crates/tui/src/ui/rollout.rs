//! The rollout watch: the deployment our write created, followed to its
//! end, with what an on-call engineer checks meanwhile: tasks and their stop
//! reasons, events, the service's alarms and the error lines in its logs.

use super::widgets::{age, clock_time};
use crate::app::App;
use crate::app::keymap::Action;
use crate::theme::Theme;
use flightdeck_core::ops::RolloutStatus;
use flightdeck_core::ops::revisions;
use flightdeck_model::text::sanitize;
use flightdeck_model::{AlarmState, DeploymentStatus};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

fn status_style(theme: &Theme, s: RolloutStatus) -> Style {
    match s {
        RolloutStatus::Succeeded => theme.ok,
        RolloutStatus::InProgress => theme.info,
        RolloutStatus::Stuck => theme.warn,
        RolloutStatus::Failed | RolloutStatus::RolledBack => theme.crit,
    }
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let Some(r) = &app.rollout else {
        return;
    };
    let w = &r.watch;
    let mut lines = header_lines(app, theme, w);
    if !r.summary.is_empty() {
        lines.insert(
            1,
            Line::from(Span::styled(
                format!(" {}", sanitize(&r.summary)),
                theme.text,
            )),
        );
    }
    let env = app.rollout_env();
    let svc = app.rollout_service();
    if let Some(svc) = svc {
        deployment_lines(theme, svc, w, &mut lines);
    }
    if let (Some(env), Some(svc)) = (env, svc) {
        traffic_lines(app, theme, env, svc, w, &mut lines);
        revision_lines(theme, env, svc, w, app.now, &mut lines);
        task_lines(theme, env, svc, &mut lines);
        alarm_lines(theme, env, svc, &mut lines);
        lines.push(log_errors_line(app, theme));
        event_lines(app, theme, svc, &mut lines);
    }
    lines.push(keys_line(app, theme));
    render_scrolled(frame, app, theme, area, lines, r.scroll);
}

/// The watch's status, service, revision and deployment with when it
/// started, and the reason for its status.
fn header_lines(app: &App, theme: &Theme, w: &flightdeck_core::ops::Watch) -> Vec<Line<'static>> {
    // The deployment's own start (ECS's createdAt), not when the watch
    // began: a watch opened with `C` on a deployment 3 minutes old says 3m.
    let started = app
        .rollout_service()
        .and_then(|s| s.deployments.iter().find(|d| d.id == w.deployment_id))
        .map_or(w.started, |d| d.created_at);
    // Rolled back, the arrow would read as the way back: say where the
    // service is now (QA: "ROLLED BACK … → :58" for a service back on :57).
    let target = match app.rollout_service() {
        Some(svc) if w.status == RolloutStatus::RolledBack => format!(
            "{} rolled back, now on :{}",
            w.task_definition, svc.task_definition.revision
        ),
        _ => format!("→ {}", w.task_definition),
    };
    vec![
        Line::from(vec![
            Span::styled(format!(" {} ", w.status), status_style(theme, w.status)),
            Span::styled(
                format!(
                    " {}/{} {} · deployment {} · started {} ({} ago)",
                    sanitize(&w.cluster),
                    sanitize(&w.service),
                    target,
                    sanitize(&w.deployment_id),
                    clock_time(app.now, started),
                    age(app.now, started)
                ),
                theme.text,
            ),
        ]),
        Line::from(Span::styled(
            format!(" {}", sanitize(&w.reason)),
            theme.muted,
        )),
    ]
}

/// The DEPLOYMENTS section: the service's counts, then its deployments,
/// the watched one marked.
fn deployment_lines(
    theme: &Theme,
    svc: &flightdeck_model::Service,
    w: &flightdeck_core::ops::Watch,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::from(Span::styled(
        format!(
            "DEPLOYMENTS  service: {} running / {} desired / {} pending",
            svc.running, svc.desired, svc.pending
        ),
        theme.accent,
    )));
    for d in &svc.deployments {
        let ours = d.id == w.deployment_id;
        lines.push(Line::from(vec![
            Span::styled(if ours { " ▶ " } else { "   " }, theme.accent),
            Span::styled(
                format!(
                    "{:<8} {:<11} {}  {}/{} running, {} pending, {} failed  {}",
                    d.status.to_string(),
                    d.rollout_state.to_string(),
                    d.task_definition,
                    d.running,
                    d.desired,
                    d.pending,
                    d.failed_tasks,
                    sanitize(&d.rollout_reason)
                ),
                if d.status == DeploymentStatus::Primary {
                    theme.text
                } else {
                    theme.muted
                },
            ),
        ]));
    }
}

/// Tasks the watch lists; the rest are counted in the section's title.
const TASKS_SHOWN: usize = 10;

/// The TASKS section: the service's newest tasks with their stop reasons,
/// and how many there are when not all are listed.
fn task_lines(
    theme: &Theme,
    env: &crate::app::EnvData,
    svc: &flightdeck_model::Service,
    lines: &mut Vec<Line<'static>>,
) {
    let tasks = env
        .tasks
        .get(&svc.reference())
        .and_then(|s| s.data.as_ref());
    let mut tasks: Vec<_> = tasks.map(|t| t.iter().collect()).unwrap_or_default();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at.or(t.started_at)));
    let title = if tasks.len() > TASKS_SHOWN {
        format!("TASKS (newest {TASKS_SHOWN} of {})", tasks.len())
    } else {
        "TASKS (newest first)".to_string()
    };
    lines.push(Line::from(Span::styled(title, theme.accent)));
    for t in tasks.iter().take(TASKS_SHOWN) {
        let id: String = t.id.chars().take(8).collect();
        let reason = t
            .stopped_reason
            .as_deref()
            .map(|r| format!("  {}", sanitize(r)))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(
                sanitize(&format!(
                    "  {id} {:<8} {}",
                    t.last_status, t.task_definition
                )),
                theme.text,
            ),
            Span::styled(reason, theme.warn),
        ]));
    }
}

/// The ALARMS section: how many of the service's alarms fire, and the
/// first three that do.
fn alarm_lines(
    theme: &Theme,
    env: &crate::app::EnvData,
    svc: &flightdeck_model::Service,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::from(Span::styled(
        "ALARMS of the service",
        theme.accent,
    )));
    let alarms = flightdeck_model::alarms_of(env.alarms(), env.services(), svc);
    if alarms.is_empty() {
        lines.push(Line::from(Span::styled("  none", theme.muted)));
    }
    let firing: Vec<_> = alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .collect();
    lines.push(Line::from(Span::styled(
        format!("  {} in ALARM of {}", firing.len(), alarms.len()),
        if firing.is_empty() {
            theme.ok
        } else {
            theme.crit
        },
    )));
    for a in firing.iter().take(3) {
        lines.push(Line::from(Span::styled(
            format!("  ALARM {}", sanitize(&a.name)),
            theme.crit,
        )));
    }
    if firing.len() > 3 {
        lines.push(Line::from(Span::styled(
            format!(
                "  and {} more in ALARM (the alarms pane lists them)",
                firing.len() - 3
            ),
            theme.crit,
        )));
    }
}

/// How many of the last minute's log lines are errors.
fn log_errors_line(app: &App, theme: &Theme) -> Line<'static> {
    let (errors, total) = error_rate(app);
    Line::from(vec![
        Span::styled("LOG ERRORS ", theme.accent),
        Span::styled(
            format!(
                "{errors} error {} in the last minute (of {total})",
                if errors == 1 { "line" } else { "lines" }
            ),
            if errors > 0 { theme.warn } else { theme.ok },
        ),
    ])
}

/// The EVENTS section: the service's six newest events.
fn event_lines(
    app: &App,
    theme: &Theme,
    svc: &flightdeck_model::Service,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::from(Span::styled(
        "EVENTS (newest first)",
        theme.accent,
    )));
    for e in svc.events.iter().take(6) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {} ", clock_time(app.now, e.created_at)),
                theme.muted,
            ),
            Span::styled(sanitize(&e.message), theme.text),
        ]));
    }
}

/// The keys the watch answers to.
fn keys_line(app: &App, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        format!(
            "{} roll back · {} continue a pause · {} or {} hide (the watch goes on) · {} deploy · {} scale",
            app.key(Action::Rollback),
            app.key(Action::Continue),
            app.key(Action::RolloutView),
            app.key(Action::Back),
            app.key(Action::Deploy),
            app.key(Action::Scale),
        ),
        theme.muted,
    ))
}

/// Renders the watch's lines, scrolled by `scroll` with a last row saying
/// where it is when they are longer than the area.
fn render_scrolled(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    area: Rect,
    lines: Vec<Line<'static>>,
    scroll: u16,
) {
    // Longer than the screen (80x24 with tasks, alarms, errors and events):
    // it scrolls, and the last row says where it is.
    let total = u16::try_from(
        Paragraph::new(lines.clone())
            .wrap(Wrap { trim: true })
            .line_count(area.width.max(1)),
    )
    .unwrap_or(u16::MAX);
    if total <= area.height || area.height < 2 {
        app.hits.set_scroll_limit(0);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        return;
    }
    let [text, marker] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let max = total.saturating_sub(text.height);
    let offset = scroll.min(max);
    app.hits.set_scroll_limit(max);
    let last = (offset + text.height).min(total);
    let more = if last < total { " ↓ more" } else { "" };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .scroll((offset, 0)),
        text,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(
                " rows {}-{last} of {total}{more} · j k PgUp PgDn g G scroll · Esc closes",
                offset + 1
            ),
            theme.warn,
        )),
        marker,
    );
}

/// Error lines in the watched service's logs during the last minute.
fn error_rate(app: &App) -> (usize, usize) {
    let Some(buffer) = app
        .rollout_log_source()
        .and_then(|s| app.rollout_env()?.logs.get(&s))
    else {
        return (0, 0);
    };
    let since = app.now - chrono::Duration::minutes(1);
    let recent: Vec<_> = buffer
        .events
        .iter()
        .filter(|e| e.timestamp >= since)
        .collect();
    let errors = recent
        .iter()
        .filter(|e| {
            let m = e.message.to_ascii_lowercase();
            m.contains("error") || m.contains("exception") || m.contains("fatal")
        })
        .count();
    (errors, recent.len())
}

/// A 5xx share from which a revision's line shows as critical.
const BAD_ERROR_PERCENT: f64 = 5.0;

/// Blue's and green's own requests, 5xx and p95, from their target groups.
fn revision_lines(
    theme: &Theme,
    env: &crate::app::EnvData,
    svc: &flightdeck_model::Service,
    watch: &flightdeck_core::ops::Watch,
    now: flightdeck_model::Timestamp,
    lines: &mut Vec<Line<'static>>,
) {
    let Some(groups) = env
        .revision_metrics
        .get(&svc.reference())
        .and_then(|s| s.data.as_ref())
    else {
        return;
    };
    let followed = watch.history.as_ref().map(|_| watch.deployment_id.as_str());
    let Some(mut sides) = revisions::Sides::of(&svc.deployments, followed) else {
        return;
    };
    // A rollback's own deployment runs blue's revision again: what the
    // other group served in the window was the watched revision's.
    if sides.green.is_some() && sides.green == sides.blue {
        sides.green = Some(watch.task_definition.revision);
    }
    lines.push(Line::from(Span::styled(
        "  each revision, last 5 min:",
        theme.muted,
    )));
    for m in revisions::summarise(groups, sides, now) {
        let figures = m.figures();
        let style = if m.error_percent.is_some_and(|e| e >= BAD_ERROR_PERCENT) {
            theme.crit
        } else {
            theme.text
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<9} ", m.label()), theme.accent),
            Span::styled(figures, style),
            Span::styled(format!("  {}", sanitize(&m.target_group)), theme.muted),
        ]));
    }
}

/// For a blue/green, canary or linear deployment: the strategy, where the
/// deployment is (stage, traffic on the new revision, hook results) and the
/// state of each alarm that rolls it back.
fn traffic_lines(
    app: &App,
    theme: &Theme,
    env: &crate::app::EnvData,
    svc: &flightdeck_model::Service,
    watch: &flightdeck_core::ops::Watch,
    lines: &mut Vec<Line<'static>>,
) {
    let target = &watch.task_definition;
    let config = &svc.deployment_config;
    if matches!(config.strategy, flightdeck_model::Strategy::Rolling { .. }) {
        return;
    }
    lines.push(Line::from(vec![
        Span::styled("TRAFFIC  ", theme.accent),
        Span::styled(sanitize(&config.describe()), theme.muted),
    ]));
    // The watch's own record of its deployment: a rollback to blue, say,
    // has none, and an older deployment of the same revision says nothing
    // about this one.
    match watch.history.as_ref() {
        // A finished watch shows its final state (the header) only: ECS's
        // history read before the end would still say IN_PROGRESS.
        Some(_) if watch.status.is_final() => {}
        Some(d) => {
            let mut parts = vec![format!("{}", d.status)];
            if let Some(stage) = &d.stage {
                parts.push(format!("stage {stage}"));
            }
            if let Some(weight) = d.traffic_on_target {
                parts.push(format!(
                    "{} % of traffic on {target}, {} % on the old",
                    flightdeck_model::trim_float(weight),
                    flightdeck_model::trim_float(100.0 - weight)
                ));
            }
            for hook in &d.hooks {
                parts.push(hook.to_string());
            }
            lines.push(Line::from(Span::styled(
                sanitize(&format!("  {}", parts.join(" · "))),
                theme.text,
            )));
            if d.waiting_hook().is_some() {
                lines.push(Line::from(Span::styled(
                    format!(
                        "  || waiting for you: {} continues to production traffic · {} switches back",
                        app.key(Action::Continue),
                        app.key(Action::Rollback)
                    ),
                    theme.warn,
                )));
            }
        }
        None if !watch.status.is_final() => lines.push(Line::from(Span::styled(
            "  reading the deployment's stage…",
            theme.muted,
        ))),
        None => {}
    }
    for name in &config.rollback_alarms {
        let state = env
            .alarms()
            .iter()
            .find(|a| &a.name == name)
            .map(|a| a.state);
        let style = match state {
            Some(AlarmState::Alarm) => theme.crit,
            Some(AlarmState::Ok) => theme.ok,
            _ => theme.warn,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  rolls back on {} ", sanitize(name)), theme.muted),
            Span::styled(
                state.map_or("unknown".to_string(), |s| s.to_string()),
                style,
            ),
        ]));
    }
}
