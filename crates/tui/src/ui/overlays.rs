//! Overlays drawn over the body: help (generated from the keymap), the
//! command palette, the environment switcher, a drill's debrief and the
//! debug overlay of API calls and request budget.

use super::widgets::centered;
use crate::app::drill::DebriefKind;
use crate::app::keymap::{BINDINGS, Context};
use crate::app::{App, Overlay};
use crate::theme::Theme;
use flightdeck_core::triage::Urgency;
use flightdeck_model::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help(frame, app, theme, area, *scroll),
        Some(Overlay::Palette { input, selected }) => {
            palette(frame, app, theme, area, input, *selected)
        }
        Some(Overlay::EnvSwitcher { selected, filter }) => {
            switcher(frame, app, theme, area, *selected, filter.as_deref())
        }
        Some(Overlay::Debrief { scroll }) => debrief(frame, app, theme, area, *scroll),
        Some(Overlay::Api { scroll }) => api(frame, app, theme, area, *scroll),
        Some(Overlay::Actions {
            run,
            scroll,
            cancel_armed,
        }) => action_output(frame, app, theme, area, *run, *scroll, *cancel_armed),
    }
}

/// The output of a runbook action's run: what ran and where, its state,
/// then its lines (sanitised here, the one way to the terminal), following
/// the end until scrolled.
fn action_output(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    area: Rect,
    run: u64,
    scroll: Option<u16>,
    cancel_armed: bool,
) {
    use crate::app::actions::Stream;
    let Some(r) = app.run(run) else {
        return;
    };
    let state_style = match &r.ended {
        None => theme.info,
        Some(Ok(0)) => theme.ok,
        Some(_) => theme.crit,
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", r.state()), state_style),
            Span::styled(sanitize(&r.title()), theme.text),
        ]),
        Line::from(Span::styled(
            sanitize(&format!("$ {}", r.command_line())),
            theme.muted,
        )),
    ];
    if r.dropped > 0 {
        lines.push(Line::from(Span::styled(
            format!("… {} earlier lines not kept", r.dropped),
            theme.muted,
        )));
    }
    // stderr and flightdeck's own word are marked in the text too: no
    // colour is needed to tell them apart.
    lines.extend(r.lines.iter().map(|(stream, text)| match stream {
        Stream::Out => Line::from(Span::styled(sanitize(text), theme.text)),
        Stream::Err => Line::from(vec![
            Span::styled("! ", theme.warn),
            Span::styled(sanitize(text), theme.warn),
        ]),
        Stream::Note => Line::from(Span::styled(format!("-- {}", sanitize(text)), theme.muted)),
    }));
    match &r.ended {
        Some(Ok(code)) => lines.push(Line::from(Span::styled(
            format!("exit status {code}"),
            state_style,
        ))),
        Some(Err(why)) => lines.push(Line::from(Span::styled(sanitize(why), state_style))),
        None => {}
    }
    let at = app.runs.iter().position(|x| x.id == run).unwrap_or(0) + 1;
    let cancel = match (r.on_x(), cancel_armed) {
        (Some(what), true) => format!("x again: {what} · "),
        (Some(what), false) => format!("x x {what} · "),
        _ => String::new(),
    };
    let title = format!(
        " run {at} of {} · {cancel}[ ] runs · Esc closes ",
        app.runs.len()
    );
    let rect = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    scrolled_box(
        frame,
        app,
        theme,
        rect,
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
        &title,
        scroll.unwrap_or(u16::MAX),
    );
}

/// The debug overlay: per environment (the current one first), the AWS
/// calls by operation, most first, with throttles, then each request
/// budget: tokens left of the burst, refill rate, fetches paid and held.
fn api(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let mut lines = vec![];
    match &app.api {
        None => lines.push(Line::from(Span::styled(
            "no figures yet (a replay calls nothing)",
            theme.muted,
        ))),
        Some(report) => {
            lines.push(Line::from(Span::styled(
                format!("fetches in flight: {}", report.budget.in_flight),
                theme.text,
            )));
            let current = &app.env().info.name;
            let mut envs: Vec<_> = report.envs.iter().collect();
            envs.sort_by_key(|e| e.env != *current);
            for env in envs {
                let buckets: Vec<_> = report
                    .budget
                    .buckets
                    .iter()
                    .filter(|b| b.env == env.env)
                    .collect();
                let calls = match &env.stats {
                    None => "simulated, no AWS calls".to_string(),
                    Some(stats) => format!(
                        "{} calls, {} throttled",
                        stats.total(),
                        stats.throttles.values().sum::<u64>()
                    ),
                };
                if buckets.is_empty() && env.stats.as_ref().is_none_or(|s| s.total() == 0) {
                    lines.push(Line::from(vec![
                        Span::styled(sanitize(&env.env), theme.muted),
                        Span::styled(" · not read yet", theme.muted),
                    ]));
                    continue;
                }
                lines.push(Line::from(vec![
                    Span::styled(sanitize(&env.env), theme.accent),
                    Span::styled(format!(" · {calls}"), theme.text),
                ]));
                if let Some(stats) = &env.stats {
                    let mut ops: Vec<_> = stats.calls.iter().collect();
                    ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    let width = ops.iter().map(|(op, _)| op.len()).max().unwrap_or(0);
                    for (op, n) in ops {
                        let throttled = stats.throttles.get(op).copied().unwrap_or(0);
                        let mut spans = vec![Span::styled(
                            format!("  {:<width$}{n:>7}", sanitize(op)),
                            theme.text,
                        )];
                        if throttled > 0 {
                            spans
                                .push(Span::styled(format!("  {throttled} THROTTLED"), theme.warn));
                        }
                        lines.push(Line::from(spans));
                    }
                }
                for b in buckets {
                    let style = if b.available < 1.0 || b.deferred > 0 {
                        theme.warn
                    } else {
                        theme.muted
                    };
                    lines.push(Line::from(Span::styled(
                        format!(
                            "  budget {:<14}{:>3.0} of {:>3.0} left {:>8}{:>6} fetched{:>5} held",
                            b.family.name(),
                            b.available.max(0.0).floor(),
                            b.capacity,
                            refill(b.refill_per_sec),
                            b.started,
                            b.deferred
                        ),
                        style,
                    )));
                }
            }
        }
    }
    let rect = centered(area, 74, lines.len() as u16 + 2);
    scrolled_box(
        frame,
        app,
        theme,
        rect,
        Paragraph::new(lines),
        " debug: AWS calls, budget · j/k · any key closes ",
        scroll,
    );
}

/// An overlay's text in a box, scrolled by `scroll` rows and no further
/// than its last row (the limit is recorded for the keys); the title says
/// which rows show when not all of them do.
fn scrolled_box(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    rect: Rect,
    text: Paragraph<'_>,
    title: &str,
    scroll: u16,
) {
    let inner = Block::default().borders(Borders::ALL).inner(rect);
    let rows = u16::try_from(text.line_count(inner.width)).unwrap_or(u16::MAX);
    let max = rows.saturating_sub(inner.height);
    app.hits.set_scroll_limit(max);
    let scroll = scroll.min(max);
    let title = if max > 0 {
        format!(
            "{title}· rows {}-{} of {rows} ",
            scroll + 1,
            (scroll + inner.height).min(rows)
        )
    } else {
        title.to_string()
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(text.block(block(theme, &title)).scroll((scroll, 0)), rect);
}

/// A refill rate, per second or, below one a second, per minute.
fn refill(per_sec: f64) -> String {
    if per_sec >= 1.0 {
        format!("+{per_sec:.0}/s")
    } else {
        format!("+{:.1}/min", per_sec * 60.0)
    }
}

fn debrief(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let Some(drill) = &app.drill else {
        return;
    };
    let lines: Vec<Line> = drill
        .debrief(&app.key(crate::app::keymap::Action::DrillAcknowledge))
        .into_iter()
        .map(|l| {
            let style = match l.kind {
                DebriefKind::Missed => theme.warn,
                DebriefKind::Heading => theme.accent,
                DebriefKind::Body => theme.text,
            };
            Line::from(Span::styled(sanitize(&l.text), style))
        })
        .collect();
    let text = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false });
    let rows = text.line_count(area.width.min(100).saturating_sub(2));
    let rect = centered(area, 100, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    scrolled_box(
        frame,
        app,
        theme,
        rect,
        text,
        " drill over: debrief · j/k scroll · any other key closes ",
        scroll,
    );
}

fn block<'a>(theme: &Theme, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(title.to_string(), theme.accent))
}

/// The help overlay: every action with the keys bound to it now.
fn help(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let rows: Vec<(Context, String, &str)> = BINDINGS
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.context, app.keymap.row_label(b), b.help))
        .collect();
    let width = rows
        .iter()
        .map(|(_, label, _)| label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(10, 20);
    let mut lines = vec![];
    for ctx in Context::ALL {
        lines.push(Line::from(Span::styled(ctx.title(), theme.accent)));
        for (_, label, text) in rows.iter().filter(|(c, _, _)| *c == ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {label:<width$} "), theme.info),
                Span::styled(*text, theme.text),
            ]));
        }
    }
    if !app.actions.is_empty() {
        lines.push(Line::from(Span::styled(
            "Team actions (the config's [[action]], actions/*.toml; : lists them too)",
            theme.accent,
        )));
        for a in app.actions.iter() {
            let key = a.key.clone().unwrap_or_else(|| ":".into());
            let what = format!(
                "{} on {}{}{}",
                a.name,
                a.scope.with_article(),
                if a.writes { ", writes" } else { "" },
                if a.description.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.description)
                }
            );
            lines.push(Line::from(vec![
                Span::styled(sanitize(&format!("  {key:<width$} ")), theme.info),
                Span::styled(sanitize(&what), theme.text),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        "States are always written out: ALARM, OK, IN_PROGRESS, [RO]/[RW].",
        theme.muted,
    )));
    let widest = lines.iter().map(Line::width).max().unwrap_or(0);
    let rect = centered(
        area,
        u16::try_from(widest + 2).unwrap_or(u16::MAX).max(66),
        lines.len() as u16 + 2,
    );
    scrolled_box(
        frame,
        app,
        theme,
        rect,
        Paragraph::new(lines),
        " help · j/k scroll · any other key closes ",
        scroll,
    );
}

fn palette(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, input: &str, selected: usize) {
    let items = app.palette_items(input);
    let rect = centered(area, 70, 14);
    frame.render_widget(Clear, rect);
    let outer = block(theme, " jump to · Enter go · Esc cancel ");
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let [prompt, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(": ", theme.accent),
            Span::styled(input.to_string(), theme.text),
            Span::styled("█", theme.accent),
        ])),
        prompt,
    );
    let list_items: Vec<ListItem> = items
        .iter()
        .map(|i| ListItem::new(sanitize(&i.label)))
        .collect();
    let mut state = ListState::default().with_selected((!items.is_empty()).then_some(selected));
    let list = if list_items.is_empty() {
        List::new(vec![ListItem::new(Span::styled("no match", theme.muted))])
    } else {
        List::new(list_items)
            .highlight_style(theme.cursor)
            .highlight_symbol("▶ ")
    };
    frame.render_stateful_widget(list, list_area, &mut state);
}

/// The environment switcher: the environments `filter` matches, the
/// selected one marked; its title says how to filter and how many match.
fn switcher(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    area: Rect,
    selected: usize,
    filter: Option<&str>,
) {
    let rows = app.switcher_rows(filter);
    let findings = app.triage();
    let items: Vec<ListItem> = rows
        .iter()
        .filter_map(|&i| app.envs.get(i))
        .map(|e| {
            let count = |urgency: Urgency| {
                findings
                    .iter()
                    .filter(|f| f.environment == e.info.name && f.urgency == urgency)
                    .count()
            };
            // A long name (an account's, discovered) is cut in its middle,
            // keeping a gap before the region.
            let name = flightdeck_model::text::ellipsize_middle(&sanitize(&e.info.name), 23);
            let mut spans = vec![Span::styled(format!("{name:<23} "), theme.text)];
            spans.push(Span::styled(format!("{:<11}", e.info.region), theme.muted));
            spans.push(if e.info.production {
                Span::styled("PROD ", theme.warn)
            } else {
                Span::styled("     ", theme.muted)
            });
            spans.push(if e.info.read_only || app.read_only {
                Span::styled("[RO] ", theme.muted)
            } else {
                Span::styled("[RW] ", theme.muted)
            });
            // Triage's verdict on it, as the triage pane would give it.
            let (page, warn) = (count(Urgency::Page), count(Urgency::Warn));
            if page > 0 {
                spans.push(Span::styled(format!("{page} PAGE "), theme.crit));
            }
            if warn > 0 {
                spans.push(Span::styled(format!("{warn} WARN"), theme.warn));
            }
            if page + warn == 0 {
                spans.push(if e.services.data.is_some() && e.alarms.data.is_some() {
                    Span::styled("OK", theme.ok)
                } else {
                    Span::styled("…", theme.muted)
                });
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let title = match filter {
        None => " environment · / filter · Enter switch · Esc close ".to_string(),
        Some(f) => format!(
            " /{}▏ {} of {} · Enter switch · Esc clear ",
            sanitize(f),
            rows.len(),
            app.envs.len()
        ),
    };
    let height = u16::try_from(rows.len().max(1))
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let rect = centered(area, 64, height);
    frame.render_widget(Clear, rect);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(" no environment matches", theme.muted))
                .block(block(theme, &title)),
            rect,
        );
        return;
    }
    let list = List::new(items)
        .block(block(theme, &title))
        .highlight_style(theme.cursor)
        .highlight_symbol("▶ ");
    let at = rows.iter().position(|&i| i == selected);
    let mut state = ListState::default().with_selected(at);
    frame.render_stateful_widget(list, rect, &mut state);
}
