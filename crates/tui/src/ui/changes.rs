//! The changes pane: *what changed*, newest first, for the environment or
//! one service; the selected entry's evidence (diff, reasons, who and from
//! where) below the list. Also the few lines of it a service's detail shows.

use super::widgets::{Column, Listing, age, size_columns, widest};
use crate::app::CHANGE_WINDOWS;
use crate::app::keymap::Action;
use crate::app::{App, Pane, Slot};
use crate::theme::Theme;
use flightdeck_core::timeline::{Actor, Entry, Kind, Scope, Timeline};
use flightdeck_model::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Wrap};

const COLUMNS: [Column; 5] = [
    // `14:02:10`, or `11-29 01:48` for another day: never cut.
    Column::sized("TIME", 8, 11, 0),
    Column::new("KIND", 7, 0),
    Column::sized("SERVICE", 16, 40, 1),
    Column::sized("WHO", 14, 48, 2),
    // At 80 columns WHAT keeps 40 of them; wider, WHO gets its whole.
    Column::fill("WHAT", 40, 0),
];

/// Lines a service's detail shows of its timeline.
const IN_DETAIL: usize = 8;

fn kind_style(theme: &Theme, kind: Kind) -> Style {
    match kind {
        Kind::Alarm | Kind::TaskStop => theme.warn,
        Kind::Deployment | Kind::TaskDefinition => theme.accent,
        Kind::Write | Kind::Operator => theme.info,
        Kind::Scaling | Kind::Event => theme.muted,
    }
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let slot = app.timeline();
    let timeline = slot.and_then(|s| s.data.as_ref());
    let gaps = timeline.map_or(0, |t| t.gaps.len());
    let [summary, gap_area, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(gaps.min(2) as u16),
        Constraint::Min(1),
        Constraint::Length(7),
    ])
    .areas(area);
    let rows = app.change_rows();
    frame.render_widget(
        Paragraph::new(summary_line(app, theme, slot, rows.len())),
        summary,
    );
    if let Some(t) = timeline {
        let lines: Vec<Line> = t
            .gaps
            .iter()
            .map(|g| {
                Line::from(Span::styled(
                    sanitize(&format!(" without {}: {}", g.source, g.error)),
                    theme.warn,
                ))
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), gap_area);
    }
    if timeline.is_none() {
        let text = if slot.and_then(|s| s.error.as_ref()).is_some() {
            ""
        } else {
            " reading deployments, alarm history, scaling, CloudTrail…"
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), list);
        return;
    }
    if rows.is_empty() {
        let text = if widening(app, slot) {
            format!(" reading the last {}…", window(app.changes.window()))
        } else {
            super::widgets::nothing_matches(app, Pane::Changes).unwrap_or_else(|| no_changes(app))
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), list);
        return;
    }
    render_list(frame, app, theme, &rows, list);
    if let Some(e) = rows.get(app.selected(Pane::Changes)) {
        render_entry(frame, theme, e, detail);
    }
}

/// The pane's first line: whose changes, how many in which window and of
/// which kinds, and why the timeline cannot be read, if it cannot.
fn summary_line(
    app: &App,
    theme: &Theme,
    slot: Option<&Slot<Timeline>>,
    count: usize,
) -> Line<'static> {
    // The service's name alone: the cluster is in its detail, and 80
    // columns must hold the count.
    let scope = match &app.changes.service {
        Some(s) => s.name.clone(),
        None => format!("all of {}", app.env().info.name),
    };
    let kind = app
        .changes
        .kind
        .map_or("every kind".to_string(), |k| format!("only {k}"));
    // While `>` widens it, the count is of what was read: the narrower
    // window (QA: "16 in 7d" was the 2h count).
    let shown = match read_so_far(app, slot) {
        Some(read) => CHANGE_WINDOWS
            .iter()
            .copied()
            .filter(|w| *w <= read + chrono::Duration::minutes(1))
            .max()
            .unwrap_or(read),
        None => app.changes.window(),
    };
    let mut spans = vec![
        Span::styled(format!(" Changes of {} ", sanitize(&scope)), theme.accent),
        Span::styled(
            format!("· {} in {} · {}", count, window(shown), kind,),
            theme.muted,
        ),
    ];
    if widening(app, slot) {
        spans.push(Span::styled(
            format!(" · reading {}…", window(app.changes.window())),
            theme.info,
        ));
    }
    if let Some((e, at)) = slot.and_then(|s| s.error.as_ref()) {
        spans.push(Span::styled(
            format!(
                " · cannot read ({} ago): {}",
                age(app.now, *at),
                sanitize(&e.to_string())
            ),
            theme.crit,
        ));
    }
    Line::from(spans)
}

/// Whether the timeline shown covers less than the window asked for: `>`
/// widened it and the wider read has not come back yet.
fn widening(app: &App, slot: Option<&Slot<Timeline>>) -> bool {
    read_so_far(app, slot).is_some()
}

/// While `>` widens the window: how far back the timeline shown reaches.
fn read_so_far(app: &App, slot: Option<&Slot<Timeline>>) -> Option<chrono::Duration> {
    let read = app.now - slot?.data.as_ref()?.since;
    (read + chrono::Duration::minutes(1) < app.changes.window()).then_some(read)
}

/// What an empty list says: no changes in the window, and the keys that
/// widen it or show other kinds.
fn no_changes(app: &App) -> String {
    // At the widest window there is nothing further back to
    // widen to: CloudTrail keeps 90 days.
    let at_widest = Some(app.changes.window()) == CHANGE_WINDOWS.last().copied();
    let mut hints = vec![];
    if !at_widest {
        hints.push(format!("{} widens it", app.key(Action::WiderWindow)));
    }
    // K steps through the kinds, then back to all of them.
    if let Some(kind) = app.changes.kind {
        hints.push(format!(
            "{} shows {}",
            app.key(Action::NextKind),
            crate::app::kind_after(Some(kind))
                .map_or("every kind".to_string(), |k| format!("only {k}"))
        ));
    }
    format!(
        " no {}changes in the last {}{}",
        app.changes
            .kind
            .map(|k| format!("{k} "))
            .unwrap_or_default(),
        window(app.changes.window()),
        if hints.is_empty() {
            ": as far back as CloudTrail keeps".to_string()
        } else {
            format!(" ({})", hints.join(", "))
        }
    )
}

/// The table of changes, in `area`; SERVICE only across the environment.
fn render_list(frame: &mut Frame, app: &App, theme: &Theme, rows: &[&Entry], area: Rect) {
    let env_wide = app.changes.service.is_none();
    let times: Vec<String> = rows
        .iter()
        .map(|e| super::widgets::clock_time(app.now, e.at))
        .collect();
    let wanted = [
        widest("TIME", times.iter().map(String::as_str)),
        0,
        widest(
            "SERVICE",
            rows.iter()
                .map(|e| e.service.as_ref().map_or("-", |s| s.name.as_str())),
        ),
        widest(
            "WHO",
            rows.iter()
                .map(|e| e.who.as_ref().map_or("-", |w| w.as_str())),
        ),
    ];
    // SERVICE only across the environment: one service's list names it
    // in the title.
    let mut columns = COLUMNS;
    if !env_wide {
        columns[2].width = 0;
        columns[2].max = 0;
    }
    let (keep, widths) = size_columns(&columns, &wanted, area.width.saturating_sub(2));
    let (keep, widths): (Vec<usize>, Vec<u16>) = keep
        .into_iter()
        .zip(widths)
        .filter(|(i, _)| *i != 2 || env_wide)
        .unzip();
    let table: Vec<Row> = rows
        .iter()
        .map(|e| change_row(app, theme, e, &keep, &widths))
        .collect();
    Listing {
        first: 0,
        columns: &COLUMNS,
        keep: &keep,
        widths: Some(&widths),
        sorted: None,
        rows: table,
        selected: app.selected(Pane::Changes),
        block: None,
        clicks: Some((&app.hits, crate::app::Pane::Changes)),
        when_empty: super::widgets::nothing_matches(app, crate::app::Pane::Changes),
    }
    .render(frame, area, theme);
}

/// One change's row: when, what kind, which service, who, and what.
fn change_row(app: &App, theme: &Theme, e: &Entry, keep: &[usize], widths: &[u16]) -> Row<'static> {
    let cells: Vec<Cell> = keep
        .iter()
        .map(|&i| match i {
            0 => Cell::from(Span::styled(
                super::widgets::clock_time(app.now, e.at),
                theme.muted,
            )),
            1 => Cell::from(Span::styled(e.kind.label(), kind_style(theme, e.kind))),
            2 => Cell::from(flightdeck_model::text::ellipsize(
                &sanitize(e.service.as_ref().map_or("-", |s| s.name.as_str())),
                super::widgets::width_of(keep, widths, 2),
            )),
            3 => Cell::from(flightdeck_model::text::ellipsize(
                &sanitize(e.who.as_ref().map_or("-", |w| w.as_str())),
                super::widgets::width_of(keep, widths, 3),
            )),
            _ => Cell::from(sanitize(&e.summary)),
        })
        .collect();
    Row::new(cells)
}

fn window(d: chrono::Duration) -> String {
    flightdeck_model::duration::short(d)
}

/// The selected entry whole: summary, who, and its evidence lines.
fn render_entry(frame: &mut Frame, theme: &Theme, e: &Entry, area: Rect) {
    let title = format!(
        " {} · {}{} ",
        e.at.format("%Y-%m-%d %H:%M:%SZ"),
        e.kind.label(),
        e.who
            .as_ref()
            .map(|w| format!(" · {w}"))
            .unwrap_or_default()
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(Span::styled(sanitize(&title), theme.accent));
    let mut text = vec![Line::from(Span::styled(sanitize(&e.summary), theme.text))];
    text.extend(
        e.detail
            .iter()
            .map(|d| Line::from(Span::styled(sanitize(&format!("  {d}")), theme.muted))),
    );
    let hint = match (e.kind, &e.service) {
        (Kind::Alarm, _) => "Enter: the alarm",
        (Kind::Scaling, Some(_)) => "Enter: its scaling target",
        (_, Some(_)) => "Enter: the service",
        (_, None) => "",
    };
    if !hint.is_empty() {
        text.push(Line::from(Span::styled(hint, theme.muted)));
    }
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        area,
    );
}

/// The newest changes of a service (its events have their own section),
/// for its detail.
pub fn detail_lines(
    app: &App,
    theme: &Theme,
    timeline: Option<&Timeline>,
    width: u16,
    lines: &mut Vec<Line<'static>>,
) {
    lines.push(Line::from(Span::styled(
        format!(
            "CHANGES (last {}; c: all of them)",
            window(crate::app::DETAIL_CHANGES)
        ),
        theme.accent,
    )));
    let Some(t) = timeline else {
        lines.push(Line::from(Span::styled(
            "  reading the change timeline…",
            theme.muted,
        )));
        return;
    };
    debug_assert!(matches!(t.scope, Scope::Service(_)));
    let changes: Vec<&Entry> = t
        .entries
        .iter()
        .filter(|e| e.kind != Kind::Event)
        .take(IN_DETAIL)
        .collect();
    if changes.is_empty() {
        lines.push(Line::from(Span::styled(
            "  no deployments, alarm changes, scaling, task stops or writes",
            theme.muted,
        )));
    }
    for e in changes {
        let head = vec![
            Span::styled(
                format!("  {} ", super::widgets::clock_time(app.now, e.at)),
                theme.muted,
            ),
            Span::styled(format!("{:<8}", e.kind.label()), kind_style(theme, e.kind)),
        ];
        let who = match &e.who {
            Some(Actor::Caller(w)) => format!("{w}: "),
            _ => String::new(),
        };
        lines.extend(super::widgets::hanging(
            head,
            &sanitize(&format!("{who}{}", e.summary)),
            theme.text,
            width,
        ));
    }
    for g in &t.gaps {
        lines.push(Line::from(Span::styled(
            sanitize(&format!("  without {}: {}", g.source, g.error)),
            theme.warn,
        )));
    }
}
