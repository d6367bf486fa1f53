//! The scaling pane: scalable targets, their policies with the alarms that
//! drive them, and recent scaling activities.

use super::widgets::{Column, Listing, age, alarm_style, error_line, fit_columns};
use crate::app::{App, Pane};
use crate::theme::Theme;
use flightdeck_core::engine::ScalingData;
use flightdeck_model::ActivityStatus;
use flightdeck_model::text::sanitize;
use flightdeck_model::{AlarmState, PolicyKind, ScalableTarget, trim_float};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};

const COLUMNS: [Column; 7] = [
    Column::fill("SERVICE", 18, 0),
    Column::new("MIN", 4, 0),
    Column::new("MAX", 4, 0),
    Column::new("DESIRED", 7, 0),
    Column::new("RUNNING", 7, 1),
    Column::new("DYNAMIC", 9, 2),
    Column::new("POLICIES", 8, 3),
];

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let env = app.env();
    // Title, header, rows and the bottom border.
    let rows_needed = app.target_rows().len() as u16 + 3;
    let [top, bottom] = Layout::vertical([
        Constraint::Length(rows_needed.clamp(3, area.height / 2)),
        Constraint::Min(3),
    ])
    .areas(area);
    let Some(data) = &env.scaling.data else {
        let line = match &env.scaling.error {
            Some((e, at)) => error_line(theme, app.now, e, *at),
            None => Line::from(Span::styled(" loading scaling targets…", theme.muted)),
        };
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    render_targets(frame, app, theme, top, data);
    let Some(target) = app.selected_target() else {
        return;
    };
    let mut lines: Vec<Line> = vec![];
    policy_lines(app, theme, data, target, &mut lines);
    lines.push(Line::default());
    activity_lines(app, theme, data, target, &mut lines);
    frame.render_widget(Paragraph::new(lines), bottom);
}

/// The table of scalable targets, in `area`.
fn render_targets(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, data: &ScalingData) {
    let keep = fit_columns(&COLUMNS, area.width);
    let rows: Vec<Row> = app
        .target_rows()
        .into_iter()
        .map(|t| target_row(app, theme, data, &keep, t))
        .collect();
    let title = if rows.is_empty() {
        " no scalable targets "
    } else {
        " scalable targets (ecs:service:DesiredCount) "
    };
    let block = Block::default()
        .borders(Borders::BOTTOM)
        .border_style(theme.border)
        .title(Span::styled(title, theme.muted));
    let selected = app.selected(Pane::Scaling);
    Listing {
        first: 0,
        columns: &COLUMNS,
        keep: &keep,
        widths: None,
        sorted: None,
        rows,
        selected,
        block: Some(block),
        clicks: Some((&app.hits, crate::app::Pane::Scaling)),
        when_empty: super::widgets::nothing_matches(app, crate::app::Pane::Scaling),
    }
    .render(frame, area, theme);
}

/// One target's row: its bounds, its service's counts (MAX when at the
/// bound), whether dynamic scaling is on and how many policies it has.
fn target_row(
    app: &App,
    theme: &Theme,
    data: &ScalingData,
    keep: &[usize],
    t: &ScalableTarget,
) -> Row<'static> {
    let svc = app
        .env()
        .services()
        .iter()
        .find(|s| s.name == t.service && s.cluster == t.cluster);
    let desired = svc.map_or("?".into(), |s| s.desired.to_string());
    let running = svc.map_or("?".into(), |s| s.running.to_string());
    let at_max = svc.is_some_and(|s| s.desired >= t.max);
    let policies = data
        .policies
        .iter()
        .filter(|p| p.resource_id == t.resource_id)
        .count();
    let cells: Vec<Cell> = keep
        .iter()
        .map(|&i| match i {
            0 => Cell::from(sanitize(&t.service)),
            1 => Cell::from(t.min.to_string()),
            2 => Cell::from(t.max.to_string()),
            3 => Cell::from(Span::styled(
                if at_max {
                    format!("{desired} MAX")
                } else {
                    desired.clone()
                },
                if at_max { theme.warn } else { theme.text },
            )),
            4 => Cell::from(running.clone()),
            5 => Cell::from(Span::styled(
                if t.dynamic_scaling_suspended {
                    "SUSPENDED"
                } else {
                    "active"
                },
                if t.dynamic_scaling_suspended {
                    theme.warn
                } else {
                    theme.ok
                },
            )),
            _ => Cell::from(policies.to_string()),
        })
        .collect();
    super::widgets::remembered(Row::new(cells), app.env().scaling.cached)
}

/// The POLICIES section: each policy of the target, with the state of the
/// alarms that drive it.
fn policy_lines(
    app: &App,
    theme: &Theme,
    data: &ScalingData,
    target: &ScalableTarget,
    lines: &mut Vec<Line<'static>>,
) {
    let alarm_state = |name: &str| {
        app.env()
            .alarms()
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.state)
    };
    lines.push(Line::from(Span::styled(
        format!("POLICIES of {}", sanitize(&target.resource_id)),
        theme.accent,
    )));
    for p in data
        .policies
        .iter()
        .filter(|p| p.resource_id == target.resource_id)
    {
        let kind = match &p.kind {
            PolicyKind::TargetTracking { metric, target } => {
                format!("target tracking {metric} at {}", trim_float(*target))
            }
            PolicyKind::StepScaling {
                adjustments,
                cooldown_secs,
            } => {
                let adj = adjustments.first().map_or(0, |a| a.adjustment);
                format!("step scaling {adj:+} task(s), cooldown {cooldown_secs}s")
            }
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", sanitize(&p.name)), theme.text),
            Span::styled(kind, theme.muted),
        ]));
        for a in &p.alarms {
            let state = alarm_state(a);
            let style = state.map_or(theme.muted, |s| alarm_style(theme, s));
            lines.push(Line::from(vec![
                Span::styled("    driven by alarm ", theme.muted),
                Span::styled(
                    format!("[{}] ", state.map_or("?", AlarmState::as_str)),
                    style,
                ),
                Span::styled(sanitize(a), theme.text),
            ]));
        }
    }
}

/// The RECENT ACTIVITIES section: the target's last 20 scaling activities
/// (or why they cannot be read).
fn activity_lines(
    app: &App,
    theme: &Theme,
    data: &ScalingData,
    target: &ScalableTarget,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::from(Span::styled(
        "RECENT ACTIVITIES (newest first)",
        theme.accent,
    )));
    let activities: Vec<_> = match &data.activities {
        Ok(all) => all
            .iter()
            .filter(|a| a.resource_id == target.resource_id)
            .take(20)
            .collect(),
        Err(e) => {
            lines.push(Line::from(Span::styled(
                format!("  cannot read activities: {}", sanitize(&e.to_string())),
                theme.warn,
            )));
            vec![]
        }
    };
    if activities.is_empty() && data.activities.is_ok() {
        lines.push(Line::from(Span::styled(
            "  none in the recent history",
            theme.muted,
        )));
    }
    for a in activities {
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {} ({} ago) ",
                    super::widgets::clock_time(app.now, a.started_at),
                    age(app.now, a.started_at)
                ),
                theme.muted,
            ),
            Span::styled(
                format!("{} ", sanitize(a.status.as_str())),
                if a.status == ActivityStatus::Successful {
                    theme.ok
                } else {
                    theme.warn
                },
            ),
            Span::styled(sanitize(&a.description), theme.text),
            Span::styled(format!("  {}", sanitize(&a.cause)), theme.muted),
        ]));
    }
}
