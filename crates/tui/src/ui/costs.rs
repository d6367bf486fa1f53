//! The costs pane: daily costs as a bar chart, the split by service,
//! month-to-date and forecast.

use super::widgets::{age, error_line};
use crate::app::{App, Pane};
use crate::theme::Theme;
use flightdeck_model::text::sanitize;
use flightdeck_model::{CostReport, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Cell, Paragraph, Row, Table, TableState,
};

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let env = app.env();
    let Some(report) = &env.costs.data else {
        let line = match &env.costs.error {
            Some((e, at)) => error_line(theme, app.now, e, *at),
            None => Line::from(Span::styled(
                " loading costs (Cost Explorer, cached for hours)…",
                theme.muted,
            )),
        };
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let [summary, chart_area, table_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(50),
        Constraint::Min(3),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(summary_line(app, theme, report, env.costs.fetched_at)),
        summary,
    );
    render_chart(frame, theme, report, chart_area);
    render_by_service(frame, app, theme, report, table_area);
}

/// The first line: month to date, the month's forecast, the days' total
/// and when the report was fetched.
fn summary_line(
    app: &App,
    theme: &Theme,
    report: &CostReport,
    fetched_at: Option<Timestamp>,
) -> Line<'static> {
    let c = &report.currency;
    let mut spans = vec![
        Span::styled(
            format!(" MTD {c} {:.2}", report.month_to_date),
            theme.accent,
        ),
        Span::styled(
            format!(
                " · forecast {}",
                report
                    .forecast_month
                    .map_or("n/a".into(), |f| format!("{f:.2}"))
            ),
            theme.info,
        ),
        Span::styled(
            format!(" · {}d {:.2}", report.days.len(), report.total),
            theme.text,
        ),
    ];
    if let Some(at) = fetched_at {
        spans.push(Span::styled(
            format!(" · fetched {} ago", age(app.now, at)),
            theme.muted,
        ));
    }
    Line::from(spans)
}

/// Daily costs as a bar chart, a bar per day.
fn render_chart(frame: &mut Frame, theme: &Theme, report: &CostReport, area: Rect) {
    let days = report.days.len().max(1) as u16;
    let inner = area.width.saturating_sub(2);
    let bar_width = (inner / days).saturating_sub(1).max(1);
    let bars: Vec<Bar> = report
        .days
        .iter()
        .map(|d| {
            Bar::default()
                .value((d.amount * 100.0).round() as u64)
                .text_value(String::new())
                // Day-of-month labels need two cells per bar.
                .label(Line::from(if bar_width >= 2 {
                    d.date.get(8..10).unwrap_or("").to_string()
                } else {
                    String::new()
                }))
                .style(theme.info)
        })
        .collect();
    let max = report.days.iter().map(|d| d.amount).fold(0.0, f64::max);
    let span = match (report.days.first(), report.days.last()) {
        (Some(a), Some(b)) => format!(" {} → {}", a.date, b.date),
        _ => String::new(),
    };
    let title = format!(" daily cost, {}, max {max:.2}/day{span} ", report.currency);
    let chart = BarChart::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.border)
                .title(Span::styled(title, theme.muted)),
        )
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .label_style(theme.muted);
    frame.render_widget(chart, area);
}

/// The split by service: each service's amount and share of the total.
fn render_by_service(frame: &mut Frame, app: &App, theme: &Theme, report: &CostReport, area: Rect) {
    let total = report.total.max(0.01);
    let rows: Vec<Row> = report
        .by_service
        .iter()
        .map(|s| {
            let share = s.amount / total * 100.0;
            Row::new(vec![
                Cell::from(sanitize(&s.service)),
                Cell::from(format!("{:>10.2}", s.amount)),
                Cell::from(Span::styled(format!("{share:>5.1}%"), theme.muted)),
            ])
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Min(20),
            Constraint::Length(10),
            Constraint::Length(6),
        ],
    )
    .header(
        Row::new(vec![
            format!("BY SERVICE (last {} days)", report.days.len()),
            format!("{:>10}", report.currency),
            "SHARE".to_string(),
        ])
        .style(theme.muted),
    )
    .row_highlight_style(theme.cursor);
    let mut state =
        TableState::default().with_selected((!empty).then_some(app.selected(Pane::Costs)));
    frame.render_stateful_widget(table, area, &mut state);
}
