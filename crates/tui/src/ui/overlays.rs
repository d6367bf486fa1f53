//! Overlays drawn over the body: help (generated from the keymap), the
//! command palette, the environment switcher and a drill's debrief.

use super::widgets::centered;
use crate::app::keymap::{BINDINGS, Context};
use crate::app::{App, Overlay};
use crate::theme::Theme;
use flightdeck_model::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help(frame, theme, area, *scroll),
        Some(Overlay::Palette { input, selected }) => {
            palette(frame, app, theme, area, input, *selected)
        }
        Some(Overlay::EnvSwitcher { selected }) => switcher(frame, app, theme, area, *selected),
        Some(Overlay::Debrief { scroll }) => debrief(frame, app, theme, area, *scroll),
    }
}

fn debrief(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, scroll: u16) {
    let Some(drill) = &app.drill else {
        return;
    };
    let lines: Vec<Line> = drill
        .debrief()
        .into_iter()
        .map(|l| {
            let style = if l.ends_with(" late") || l.ends_with(" not done") {
                theme.warn
            } else if !l.starts_with(' ') && !l.is_empty() {
                theme.accent
            } else {
                theme.text
            };
            Line::from(Span::styled(sanitize(&l), style))
        })
        .collect();
    let rect = centered(area, 100, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block(
                theme,
                " drill over: debrief · j/k scroll · any other key closes ",
            ))
            .scroll((scroll, 0)),
        rect,
    );
}

fn block<'a>(theme: &Theme, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(title, theme.accent))
}

fn help(frame: &mut Frame, theme: &Theme, area: Rect, scroll: u16) {
    let mut lines = vec![];
    for ctx in [
        Context::Global,
        Context::Lists,
        Context::Logs,
        Context::Changes,
        Context::Writes,
        Context::Drill,
    ] {
        lines.push(Line::from(Span::styled(ctx.title(), theme.accent)));
        for b in BINDINGS
            .iter()
            .filter(|b| b.context == ctx && !b.help.is_empty())
        {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10}", b.label), theme.info),
                Span::styled(b.help, theme.text),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(
        "States are always written out: ALARM, OK, IN_PROGRESS, [RO]/[RW].",
        theme.muted,
    )));
    let rect = centered(area, 66, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(theme, " help · j/k scroll · any other key closes "))
            .scroll((scroll, 0)),
        rect,
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

fn switcher(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, selected: usize) {
    let items: Vec<ListItem> = app
        .envs
        .iter()
        .map(|e| {
            let firing = e.alarms_firing();
            let mut spans = vec![Span::styled(format!("{:<24}", e.info.name), theme.text)];
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
            spans.push(match (e.alarms.data.is_some(), firing) {
                (false, _) => Span::styled("…", theme.muted),
                (true, 0) => Span::styled("OK", theme.ok),
                (true, n) => Span::styled(format!("{n} ALARM"), theme.crit),
            });
            ListItem::new(Line::from(spans))
        })
        .collect();
    let rect = centered(area, 62, app.envs.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let list = List::new(items)
        .block(block(theme, " environment · Enter switch · Esc close "))
        .highlight_style(theme.cursor)
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(selected));
    frame.render_stateful_widget(list, rect, &mut state);
}
