//! The triage pane: what needs a human now, across every environment, most
//! urgent first, each row saying why; Enter goes to the evidence.

use super::widgets::{Column, Listing, age, size_columns, widest};
use crate::app::{App, Pane};
use crate::theme::Theme;
use flightdeck_core::triage::{Finding, Kind, Urgency};
use flightdeck_model::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Wrap};

const COLUMNS: [Column; 5] = [
    Column::new("", 4, 0),
    Column::sized("ENVIRONMENT", 12, 40, 1),
    Column::sized("SERVICE", 10, 40, 0),
    Column::new("SINCE", 5, 2),
    Column::fill("WHY", 30, 0),
];

/// The SERVICE cell of a finding: its service, or what it is about.
fn service_cell(f: &Finding) -> String {
    match (&f.service, f.kind) {
        (Some(s), _) => s.name.clone(),
        (None, Kind::Unreadable | Kind::Stale) => format!("({})", f.subject),
        (None, Kind::Zone) => f.subject.clone(),
        (None, _) => "-".into(),
    }
}

pub fn render(frame: &mut Frame, app: &App, findings: &[Finding], theme: &Theme, area: Rect) {
    let [summary, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(if findings.is_empty() { 0 } else { 5 }),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(summary_line(app, findings, theme, summary.width)),
        summary,
    );
    if findings.is_empty() {
        return;
    }
    render_list(frame, app, findings, theme, list);
    if let Some(f) = findings.get(app.selected(Pane::Triage)) {
        render_detail(frame, app, theme, f, detail);
    }
}

/// The first line: how many findings need a human, how many page, and
/// how much was checked and when, in the most words that fit `width`.
fn summary_line(app: &App, findings: &[Finding], theme: &Theme, width: u16) -> Line<'static> {
    let read = app
        .envs
        .iter()
        .filter(|e| e.services.fetched_at.is_some() || e.alarms.fetched_at.is_some())
        .count();
    // When: the oldest of what was looked at.
    let when = app
        .data_fetched_at()
        .map(|t| format!(" {} ago", age(app.now, t)))
        .unwrap_or_default();
    let total = app.envs.len();
    let checked = [
        format!(
            "checked {read} of {total} environments{when} (services, rollouts, tasks, alarms, costs)"
        ),
        format!("checked {read} of {total} environments{when}"),
        format!("checked {read}/{total} envs{when}"),
    ];
    let (head, head_style, tail) = if findings.is_empty() {
        (" Nothing needs a human: ".to_string(), theme.ok, "")
    } else {
        let pages = findings
            .iter()
            .filter(|f| f.urgency == Urgency::Page)
            .count();
        (
            format!(
                " {} need{} a human ({pages} page{}) · ",
                findings.len(),
                if findings.len() == 1 { "s" } else { "" },
                if pages == 1 { "" } else { "s" }
            ),
            if pages > 0 { theme.crit } else { theme.warn },
            " · Enter: the evidence",
        )
    };
    let room = usize::from(width).saturating_sub(head.chars().count());
    let fits = |c: &String| c.chars().count() + tail.chars().count() <= room;
    let body = match checked.iter().find(|c| fits(c)) {
        Some(c) => format!("{c}{tail}"),
        None => checked[2].clone(),
    };
    Line::from(vec![
        Span::styled(head, head_style),
        Span::styled(body, theme.muted),
    ])
}

/// The table of findings, in `area`.
fn render_list(frame: &mut Frame, app: &App, findings: &[Finding], theme: &Theme, area: Rect) {
    // Environment and service take what their names need; the rest is WHY's.
    let services: Vec<String> = findings.iter().map(service_cell).collect();
    let wanted = [
        0,
        widest(
            "ENVIRONMENT",
            findings.iter().map(|f| f.environment.as_str()),
        ),
        widest("SERVICE", services.iter().map(String::as_str)),
    ];
    let (keep, widths) = size_columns(&COLUMNS, &wanted, area.width.saturating_sub(2));
    let rows: Vec<Row> = findings
        .iter()
        .map(|f| finding_row(app, theme, f, &keep, &widths))
        .collect();
    Listing {
        first: 0,
        columns: &COLUMNS,
        keep: &keep,
        widths: Some(&widths),
        sorted: None,
        rows,
        selected: app.selected(Pane::Triage),
        block: None,
        clicks: Some((&app.hits, crate::app::Pane::Triage)),
        when_empty: super::widgets::nothing_matches(app, crate::app::Pane::Triage),
    }
    .render(frame, area, theme);
}

/// One finding's row: urgency, environment, service, since when, and why.
fn finding_row(
    app: &App,
    theme: &Theme,
    f: &Finding,
    keep: &[usize],
    widths: &[u16],
) -> Row<'static> {
    let width_of = |column: usize| super::widgets::width_of(keep, widths, column);
    let cells: Vec<Cell> = keep
        .iter()
        .map(|&i| match i {
            0 => Cell::from(Span::styled(
                match f.urgency {
                    Urgency::Page => "PAGE",
                    Urgency::Warn => "WARN",
                },
                match f.urgency {
                    Urgency::Page => theme.crit,
                    Urgency::Warn => theme.warn,
                },
            )),
            1 => Cell::from(flightdeck_model::text::ellipsize(
                &sanitize(&f.environment),
                width_of(1),
            )),
            2 => Cell::from(flightdeck_model::text::ellipsize(
                &sanitize(&service_cell(f)),
                width_of(2),
            )),
            3 => Cell::from(Span::styled(age(app.now, f.since), theme.muted)),
            _ => Cell::from(sanitize(&f.why)),
        })
        .collect();
    let cached = app
        .envs
        .iter()
        .find(|e| e.info.name == f.environment)
        .is_some_and(|e| e.services.cached || e.alarms.cached);
    super::widgets::remembered(Row::new(cells), cached)
}

/// The selected finding whole, wrapped: the table cuts it on 80 columns.
fn render_detail(frame: &mut Frame, app: &App, theme: &Theme, f: &Finding, area: Rect) {
    let what = match &f.service {
        Some(s) => format!("{} · {s}", f.environment),
        None => format!("{} · {}", f.environment, f.subject),
    };
    let evidence = match (f.kind, &f.service) {
        (Kind::Alarm | Kind::CrashLoop | Kind::Capacity, Some(_)) => "its error lines",
        (Kind::Rollout, Some(_)) => "the rollout",
        (Kind::Alarm, None) => "the alarm",
        (Kind::CostAnomaly, _) => "the costs",
        (Kind::Zone, _) => "the services",
        _ => "the environment",
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", sanitize(&what)), theme.accent));
    let mut keys = format!("Enter: {evidence}");
    if f.runbook.is_some() {
        keys.push_str(&format!(
            " · {}: the runbook",
            app.key(crate::app::keymap::Action::Runbook)
        ));
    }
    let mut text = vec![Line::from(Span::styled(sanitize(&f.why), theme.text))];
    if let Some(r) = &f.runbook {
        // A link is one word: cut in its middle to fit, never at its end.
        let room = usize::from(area.width).saturating_sub("Runbook: ".len());
        text.push(Line::from(vec![
            Span::styled("Runbook: ", theme.accent),
            Span::styled(
                flightdeck_model::text::ellipsize_middle(&sanitize(&r.url), room),
                theme.text,
            ),
        ]));
    }
    text.push(Line::from(Span::styled(keys, theme.muted)));
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        area,
    );
}
