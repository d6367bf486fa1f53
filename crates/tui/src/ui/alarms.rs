//! The alarms pane: ALARM first, the selected alarm's metric charted with
//! its threshold, and its state history.

use super::widgets::{
    Column, Listing, age, alarm_style, error_line, size_columns, visible_rows, widest,
};
use crate::app::{AlarmDetail, App, Pane};
use crate::theme::Theme;
use flightdeck_model::text::sanitize;
use flightdeck_model::{Alarm, Severity, trim_float};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row};

const COLUMNS: [Column; 5] = [
    Column::new("STATE", 17, 0),
    Column::sized("NAME", 16, 64, 0),
    Column::fill("CONDITION", 20, 2),
    Column::new("SEV", 8, 3),
    Column::new("SINCE", 6, 1),
];

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let env = app.env();
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    if env.alarms.data.is_none() {
        let line = match &env.alarms.error {
            Some((e, at)) => error_line(theme, app.now, e, *at),
            None => Line::from(Span::styled(" loading alarms…", theme.muted)),
        };
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let alarms = app.alarm_rows();
    // Names and conditions take what they need, the widest giving way.
    let names: Vec<_> = alarms.iter().map(|a| a.display_name()).collect();
    let conditions: Vec<String> = alarms.iter().map(|a| a.condition()).collect();
    let wanted = [
        0,
        widest("NAME", names.iter().map(AsRef::as_ref)),
        widest("CONDITION", conditions.iter().map(String::as_str)),
    ];
    let (keep, widths) = size_columns(&COLUMNS, &wanted, top.width.saturating_sub(2));
    let width_of = |column: usize| super::widgets::width_of(&keep, &widths, column);
    let selected = app.selected(Pane::Alarms);
    let shown = visible_rows(alarms.len(), selected, top, false);
    let first = shown.start;
    let rows: Vec<Row> = alarms[shown]
        .iter()
        .map(|a| {
            let cells: Vec<Cell> = keep
                .iter()
                .map(|&i| match i {
                    0 => Cell::from(Span::styled(a.state.as_str(), alarm_style(theme, a.state))),
                    1 => Cell::from(flightdeck_model::text::ellipsize(
                        &sanitize(&a.display_name()),
                        width_of(1),
                    )),
                    2 => Cell::from(Span::styled(condition_fitting(a, width_of(2)), theme.muted)),
                    3 => Cell::from(Span::styled(
                        match a.severity {
                            Severity::Critical => "critical",
                            Severity::Warning => "warning",
                            Severity::Info => "scaling",
                        },
                        if a.severity == Severity::Critical {
                            theme.crit
                        } else {
                            theme.muted
                        },
                    )),
                    _ => Cell::from(Span::styled(age(app.now, a.state_updated_at), theme.muted)),
                })
                .collect();
            super::widgets::remembered(Row::new(cells), app.env().alarms.cached)
        })
        .collect();
    Listing {
        first,
        columns: &COLUMNS,
        keep: &keep,
        widths: Some(&widths),
        sorted: None,
        rows,
        selected,
        block: None,
        clicks: Some((&app.hits, crate::app::Pane::Alarms)),
        when_empty: super::widgets::nothing_matches(app, crate::app::Pane::Alarms),
    }
    .render(frame, top, theme);
    if let Some(alarm) = app.selected_alarm() {
        render_detail(frame, app, theme, alarm, bottom);
    }
}

fn render_detail(frame: &mut Frame, app: &App, theme: &Theme, alarm: &Alarm, area: Rect) {
    // Its runbook, where it is found.
    let area = match app.runbooks.runbook(alarm) {
        Some(r) => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            // The link whole when it fits, where it came from when that
            // fits too; else the link cut in its middle.
            let url = sanitize(&r.url);
            let hint = format!(
                "  ({}; {} copies it)",
                r.from.as_str(),
                app.key(crate::app::keymap::Action::Runbook)
            );
            let room = usize::from(top.width).saturating_sub(" RUNBOOK ".len());
            let (url, hint) = if url.chars().count() + hint.chars().count() <= room {
                (url, hint)
            } else {
                (
                    flightdeck_model::text::ellipsize_middle(&url, room),
                    String::new(),
                )
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(" RUNBOOK ", theme.accent),
                    Span::styled(url, theme.text),
                    Span::styled(hint, theme.muted),
                ])),
                top,
            );
            rest
        }
        None => area,
    };
    // The team's actions on an alarm, with their keys.
    let area = match app.actions_line(flightdeck_core::action::Scope::Alarm) {
        Some(line) => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(" ACTIONS ", theme.accent),
                    Span::styled(sanitize(&line), theme.muted),
                ])),
                top,
            );
            rest
        }
        None => area,
    };
    let wide = area.width >= 120;
    let (chart_area, history_area) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Percentage(65), Constraint::Percentage(35)])
            .areas(area);
        (a, b)
    } else {
        let [a, b] = Layout::vertical([Constraint::Min(6), Constraint::Length(4)]).areas(area);
        (a, b)
    };
    // The full name, on its own line, when the list shows a shorter one.
    let chart_area = if alarm.display_name() == alarm.name {
        chart_area
    } else {
        let [name, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(chart_area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" {}", sanitize(&alarm.name)),
                theme.text,
            )),
            name,
        );
        rest
    };
    let slot = app.env().alarm_details.get(&alarm.name);
    let detail = slot.and_then(|s| s.data.as_ref());
    let block = chart_block(theme, alarm, chart_area.width);
    let points = chart_points(app, detail);
    if let Some((e, at)) = slot.and_then(|s| s.error.as_ref()) {
        frame.render_widget(
            Paragraph::new(error_line(theme, app.now, e, *at)).block(block),
            chart_area,
        );
    } else if points.is_empty() {
        let msg = if detail.is_some() {
            " no datapoints in the last 3 hours (no data is not zero)"
        } else {
            " loading metric…"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(msg, theme.muted)).block(block),
            chart_area,
        );
    } else {
        render_chart(frame, theme, alarm, block, &points, chart_area);
    }
    let wrap = ratatui::widgets::Wrap { trim: true };
    frame.render_widget(
        Paragraph::new(history_lines(app, theme, alarm, detail)).wrap(wrap),
        history_area,
    );
}

/// The alarm's condition in `width` columns: whole when it fits, else the
/// metric's name gives way so that the comparison, the threshold and the
/// periods always show (`CPUUtili… > 70 2x300s`).
pub fn condition_fitting(alarm: &Alarm, width: usize) -> String {
    let whole = sanitize(&alarm.condition());
    if whole.chars().count() <= width {
        return whole;
    }
    let tail = format!(
        " {} {} {}x{}s",
        alarm.comparison.symbol(),
        trim_float(alarm.threshold),
        alarm.evaluation_periods,
        alarm.period_secs
    );
    let room = width.saturating_sub(tail.chars().count());
    if room < 4 {
        return flightdeck_model::text::ellipsize(tail.trim_start(), width);
    }
    format!(
        "{}{tail}",
        flightdeck_model::text::ellipsize(&sanitize(alarm.metric.as_str()), room)
    )
}

/// The chart's frame, titled with the alarm's condition first (its metric,
/// threshold and periods must survive a narrow screen), then its namespace.
fn chart_block(theme: &Theme, alarm: &Alarm, width: u16) -> Block<'static> {
    let title = format!(
        " {} · {} ",
        sanitize(&alarm.condition()),
        sanitize(alarm.namespace.as_str()),
    );
    let title = flightdeck_model::text::ellipsize(&title, usize::from(width.saturating_sub(1)));
    Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(title, theme.muted))
}

/// The metric's datapoints as (minutes before now, value).
fn chart_points(app: &App, detail: Option<&AlarmDetail>) -> Vec<(f64, f64)> {
    detail
        .map(|d| {
            d.series
                .points
                .iter()
                .map(|p| ((p.at - app.now).num_seconds() as f64 / 60.0, p.value))
                .collect()
        })
        .unwrap_or_default()
}

/// The metric charted up to now, with the alarm's threshold as a line.
fn render_chart(
    frame: &mut Frame,
    theme: &Theme,
    alarm: &Alarm,
    block: Block,
    points: &[(f64, f64)],
    area: Rect,
) {
    let x_min = points.first().map_or(-180.0, |p| p.0).min(-1.0);
    let y_max = points.iter().map(|p| p.1).fold(alarm.threshold, f64::max) * 1.15;
    let threshold = [(x_min, alarm.threshold), (0.0, alarm.threshold)];
    let datasets = vec![
        Dataset::default()
            .name(alarm.metric.to_string())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.info)
            .data(points),
        Dataset::default()
            .name(format!("threshold {}", trim_float(alarm.threshold)))
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.crit)
            .data(&threshold),
    ];
    let y_label = |v: f64| {
        if y_max >= 10.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([x_min, 0.0])
                .labels([format!("{:.0}m", x_min), "now".to_string()])
                .style(theme.muted),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max])
                .labels([y_label(0.0), y_label(y_max)])
                .style(theme.muted),
        );
    frame.render_widget(chart, area);
}

/// The alarm's state and reason, then its state history, newest first.
fn history_lines(
    app: &App,
    theme: &Theme,
    alarm: &Alarm,
    detail: Option<&AlarmDetail>,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", alarm.state), alarm_style(theme, alarm.state)),
        Span::styled(sanitize(&alarm.state_reason), theme.muted),
    ])];
    lines.push(Line::from(Span::styled(
        "HISTORY (newest first)",
        theme.accent,
    )));
    if let Some(Err(e)) = detail.map(|d| &d.history) {
        lines.push(Line::from(Span::styled(
            format!("cannot read history: {}", sanitize(&e.to_string())),
            theme.warn,
        )));
    }
    for h in detail
        .and_then(|d| d.history.as_ref().ok())
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .take(20)
    {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", super::widgets::clock_time(app.now, h.timestamp)),
                theme.muted,
            ),
            Span::styled(h.from.as_str(), alarm_style(theme, h.from)),
            Span::styled(" → ", theme.muted),
            Span::styled(h.to.as_str(), alarm_style(theme, h.to)),
        ]));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_model::{AlarmState, Comparison, MetricName, MetricNamespace, Statistic};

    fn alarm() -> Alarm {
        Alarm {
            name: "backend-5xx".into(),
            description: String::new(),
            state: AlarmState::Alarm,
            state_reason: String::new(),
            state_updated_at: chrono::DateTime::UNIX_EPOCH,
            metric: MetricName::HttpCodeTarget5xxCount,
            namespace: MetricNamespace::ApplicationElb,
            dimensions: vec![],
            statistic: Statistic::Sum,
            threshold: 12.5,
            comparison: Comparison::GreaterThanThreshold,
            period_secs: 60,
            evaluation_periods: 3,
            unit: String::new(),
            severity: Severity::Critical,
            actions: vec![],
            tags: vec![],
        }
    }

    #[test]
    fn a_narrow_condition_keeps_its_threshold_and_periods() {
        let a = alarm();
        let whole = a.condition();
        assert_eq!(condition_fitting(&a, 80), whole);
        for width in 8..whole.chars().count() {
            let fitted = condition_fitting(&a, width);
            assert!(fitted.chars().count() <= width, "{fitted:?} in {width}");
            if width >= 18 {
                assert!(fitted.ends_with("> 12.5 3x60s"), "{fitted:?} in {width}");
            }
        }
    }
}
