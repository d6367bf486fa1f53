//! Pure render functions from the app state to a ratatui frame. Nothing
//! here changes state or does I/O; the runtime redraws only when the state
//! says it changed.

mod alarms;
mod changes;
mod costs;
mod logs;
mod overlays;
mod rollout;
mod scaling;
mod services;
mod triage;
pub mod widgets;
mod write;

use crate::app::{App, InputTarget, Pane};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use widgets::age;

/// Below this the cockpit shows a message instead of a broken layout.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    app.hits.clear();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small: {}x{}.\nflightdeck needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\nEnlarge the window, or press q to quit.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.warn)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, app, theme, header);
    // Ranked once a frame, for the tab's count and the pane.
    let findings = app.triage();
    render_tabs(frame, app, theme, tabs, findings.len());
    match app.pane {
        _ if app.rollout.as_ref().is_some_and(|r| r.visible) => {
            rollout::render(frame, app, theme, body)
        }
        Pane::Triage => triage::render(frame, app, &findings, theme, body),
        Pane::Services => services::render(frame, app, theme, body),
        Pane::Scaling => scaling::render(frame, app, theme, body),
        Pane::Alarms => alarms::render(frame, app, theme, body),
        Pane::Logs => logs::render(frame, app, theme, body),
        Pane::Costs => costs::render(frame, app, theme, body),
        Pane::Changes => changes::render(frame, app, theme, body),
    }
    render_footer(frame, app, theme, footer);
    overlays::render(frame, app, theme, body);
    write::render(frame, app, theme, body);
    defuse(frame.buffer_mut());
}

/// The last line of defence of terminal hygiene. Every string from AWS is
/// sanitised where it is drawn; should one be missed, no cell of the frame
/// may still carry a control or invisible format character to the
/// terminal: such a cell shows `?`.
fn defuse(buffer: &mut ratatui::buffer::Buffer) {
    for cell in &mut buffer.content {
        if cell.symbol().chars().any(flightdeck_model::text::is_unsafe) {
            cell.set_symbol("?");
        }
    }
}

/// The header: what an 80-column terminal must keep (the environment,
/// PRODUCTION, RO/RW, a drill's clock, the data's age, SIMULATED) in ever
/// shorter words until it fits; then the clock, account and region where
/// there is room.
fn render_header(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let env = app.env();
    let width = usize::from(area.width);
    // A replay writes nothing, whatever the recorded session could.
    let badge = if app.replay_bar.is_some() {
        "REPLAY [RO]"
    } else if app.is_read_only() {
        "[RO]"
    } else {
        "[RW]"
    };
    let data = match app.data_fetched_at() {
        // A previous run's state, until this run's answers come.
        Some(t) if app.data_cached() => format!("cached {} ago", age(app.now, t)),
        Some(t) => format!("data {}", age(app.now, t)),
        None => "data loading…".to_string(),
    };
    // Each level says the same in fewer cells: the drill's clock gives way
    // first, then the gaps between the parts, then the word DRILL and the
    // padding of the blocks, and only then the words PRODUCTION and
    // SIMULATED.
    let essentials = |level: usize| -> Vec<Span<'static>> {
        let pad = if level >= 4 { "" } else { " " };
        let mut parts = vec![Span::styled(
            format!("{pad}{}{pad}", env.info.name),
            theme.header,
        )];
        if env.info.production {
            let words = if level >= 5 { "PROD" } else { "PRODUCTION" };
            parts.push(Span::styled(format!("{pad}{words}{pad}"), theme.production));
        }
        parts.push(Span::styled(badge, theme.header));
        if let Some(drill) = &app.drill {
            let text = match level {
                0 => drill.header(app.now),
                1 => drill.header_short(app.now),
                2 | 3 => drill.header_least(app.now),
                _ => drill.header_least(app.now).replacen("DRILL ", "", 1),
            };
            parts.push(Span::styled(text, theme.cursor));
        }
        parts.push(Span::styled(data.clone(), theme.header));
        if app.demo {
            let words = if level >= 6 { "SIM" } else { "SIMULATED" };
            parts.push(Span::styled(words, theme.header));
        }
        parts
    };
    let separator = |level: usize| if level >= 3 { "│" } else { " │ " };
    let cells = |parts: &[Span], separator: &str| -> usize {
        parts.iter().map(Span::width).sum::<usize>()
            + separator.chars().count() * parts.len().saturating_sub(1)
    };
    let level = (0..7)
        .find(|&l| cells(&essentials(l), separator(l)) <= width)
        .unwrap_or(6);
    let (mut parts, separator) = (essentials(level), separator(level));
    // Who else is in: in full where it fits, else how many.
    let others = flightdeck_core::lease::describe_others(&env.presence).map(|full| {
        let full = flightdeck_model::text::sanitize(&full);
        let room = width.saturating_sub(cells(&parts, separator) + separator.chars().count());
        if full.chars().count() <= room {
            full
        } else {
            match env.presence.len() {
                1 => "1 other in".to_string(),
                n => format!("{n} others in"),
            }
        }
    });
    for extra in [
        others,
        Some(app.now.format("%H:%M:%SZ").to_string()),
        env.identity
            .data
            .as_ref()
            .map(|id| format!("acct {}", id.account)),
        Some(env.info.region.clone()),
        Some("flightdeck".to_string()),
    ]
    .into_iter()
    .flatten()
    {
        let part = Span::styled(extra, theme.header);
        if cells(&parts, separator) + separator.chars().count() + part.width() > width {
            break;
        }
        parts.push(part);
    }
    let mut spans: Vec<Span> = vec![];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(separator, theme.header));
        }
        spans.push(part);
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

/// How much of each tab fits: all of it with gaps, without the gaps, the
/// other tabs' titles in a few letters, or (last resort) only the current
/// tab's title.
#[derive(Clone, Copy, PartialEq)]
enum TabFit {
    Full,
    Compact,
    Short,
    Tight,
}

fn render_tabs(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, findings: usize) {
    let firing = app.env().alarms_firing();
    // The rollout's status, said in full where there is room.
    let rollout = |long: bool| {
        app.rollout.as_ref().map(|r| {
            let key = app.key(crate::app::keymap::Action::RolloutView);
            Span::styled(
                if long {
                    format!(" {key} rollout: {} ", r.watch.status)
                } else {
                    format!(" {key} {} ", r.watch.status)
                },
                if r.visible { theme.cursor } else { theme.info },
            )
        })
    };
    let labels = |fit: TabFit| -> Vec<String> {
        Pane::ALL
            .iter()
            .enumerate()
            .map(|(i, pane)| {
                let count = match pane {
                    Pane::Alarms if firing > 0 && fit != TabFit::Full => format!(" ({firing}!)"),
                    Pane::Alarms if firing > 0 => format!(" ({firing} ALARM)"),
                    Pane::Triage if findings > 0 => format!(" ({findings})"),
                    _ => String::new(),
                };
                // The pane's key as bound now (its digit by default).
                let key = app
                    .keymap
                    .short(crate::app::keymap::Action::GoPane(i))
                    .unwrap_or_default();
                match fit {
                    _ if *pane == app.pane => format!(" {key} {}{count} ", pane.title()),
                    TabFit::Tight => format!(" {key}{count} "),
                    // One space between tabs, the count close up.
                    TabFit::Short => format!("{key} {}{} ", pane.short_title(), count.trim_start()),
                    TabFit::Full | TabFit::Compact => {
                        format!(" {key} {}{count} ", pane.title())
                    }
                }
            })
            .collect()
    };
    // Open port forwards and running actions, counted where every pane
    // shows them.
    let running = app.running();
    let forwards = match (app.forwards.len(), running) {
        (0, 0) => None,
        (f, 0) => Some(format!(" fwd {f} ")),
        (0, r) => Some(format!(" run {r} ")),
        (f, r) => Some(format!(" fwd {f} run {r} ")),
    }
    .map(|text| Span::styled(text, theme.info));
    let fits = |fit: TabFit, long: bool| {
        let room = usize::from(area.width)
            .saturating_sub(rollout(long).as_ref().map_or(0, Span::width))
            .saturating_sub(forwards.as_ref().map_or(0, Span::width));
        let gap = usize::from(fit == TabFit::Full);
        labels(fit)
            .iter()
            .map(|l| l.chars().count() + gap)
            .sum::<usize>()
            <= room
    };
    // The tabs give way before the rollout's status does, and a word of
    // the status before a tab's title.
    let (fit, long) = [
        (TabFit::Full, true),
        (TabFit::Compact, true),
        (TabFit::Compact, false),
        (TabFit::Short, false),
    ]
    .into_iter()
    .find(|(f, long)| fits(*f, *long))
    .unwrap_or((TabFit::Tight, false));
    let rollout = rollout(long);
    let mut spans = vec![];
    let mut x = area.x;
    for (pane, label) in Pane::ALL.iter().zip(labels(fit)) {
        let width = u16::try_from(label.chars().count()).unwrap_or(u16::MAX);
        let tab = Rect::new(x, area.y, width, 1).intersection(area);
        app.hits.add(tab, crate::app::mouse::Target::Tab(*pane));
        x = x.saturating_add(width + u16::from(fit == TabFit::Full));
        let style = if *pane == app.pane {
            theme.cursor
        } else if *pane == Pane::Alarms && firing > 0 {
            theme.crit
        } else {
            theme.tab
        };
        spans.push(Span::styled(label, style));
        if fit == TabFit::Full {
            spans.push(Span::raw(" "));
        }
    }
    // Other environments' alarms are counted in the triage tab.
    spans.extend(rollout);
    spans.extend(forwards);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A footer hint's keys as bound now (`[ ]`; `W/Esc` where Esc does the
/// same); `None` when all its actions are unbound.
fn hint_keys(app: &App, actions: &[crate::app::keymap::Action]) -> Option<String> {
    let keys: Vec<String> = actions
        .iter()
        .filter_map(|a| app.keymap.short(*a))
        .collect();
    let alternatives = actions.contains(&crate::app::keymap::Action::Back);
    (!keys.is_empty()).then(|| keys.join(if alternatives { "/" } else { " " }))
}

/// A bar of ` · `-separated parts in `width` columns: its first part (where
/// the replay is) and its last (how to quit) always, the parts between as
/// many as fit, in their order.
fn fit_bar(bar: &str, width: usize) -> String {
    let parts: Vec<&str> = bar.split(" · ").collect();
    let Some((first, rest)) = parts.split_first() else {
        return String::new();
    };
    let Some((last, middle)) = rest.split_last() else {
        return flightdeck_model::text::ellipsize(first, width);
    };
    let cells = |s: &str| s.chars().count();
    let mut kept = vec![*first];
    let mut used = cells(first) + 3 + cells(last);
    for part in middle {
        if used + 3 + cells(part) <= width {
            used += 3 + cells(part);
            kept.push(part);
        }
    }
    kept.push(last);
    flightdeck_model::text::ellipsize(&kept.join(" · "), width)
}

fn render_footer(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let line = if let Some(bar) = &app.replay_bar {
        // A replay: its timeline bar instead of the operator's footer.
        Line::from(Span::styled(
            fit_bar(
                &flightdeck_model::text::sanitize(bar),
                usize::from(area.width),
            ),
            theme.cursor,
        ))
    } else if let Some(target) = app.input {
        let (label, text) = match target {
            InputTarget::Filter(p) => ("filter", app.filter(p)),
            InputTarget::LogSearch => ("search", app.logs.search.as_str()),
        };
        Line::from(vec![
            Span::styled(format!("{label}: "), theme.accent),
            Span::styled(text.to_string(), theme.text),
            Span::styled("█", theme.accent),
            Span::styled("  Enter keep · Esc clear", theme.muted),
        ])
    } else if let Some(notice) = &app.notice {
        Line::from(Span::styled(
            format!(" {}", flightdeck_model::text::sanitize(notice)),
            theme.warn,
        ))
    } else {
        use crate::app::keymap::Action as A;
        let mut hints: Vec<(Vec<A>, &str)> = vec![
            (vec![A::Help], "help"),
            (vec![A::Palette], "jump"),
            (vec![A::SwitchEnv], "env"),
            (vec![A::Filter], "filter"),
        ];
        let watching = app.rollout.as_ref().is_some_and(|r| r.visible);
        match app.pane {
            _ if watching => {
                let paused = app
                    .rollout
                    .as_ref()
                    .and_then(|r| r.watch.history.as_ref())
                    .is_some_and(|h| h.waiting_hook().is_some());
                hints = vec![(vec![A::Help], "help")];
                if paused {
                    hints.push((vec![A::Continue], "continue"));
                }
                hints.extend([
                    (vec![A::Rollback], "roll back"),
                    (vec![A::RolloutView, A::Back], "hide watch"),
                ]);
            }
            Pane::Services if app.detail.is_some() => {
                hints = vec![
                    (vec![A::Help], "help"),
                    (vec![A::Previous, A::Next], "task"),
                    (vec![A::Exec], "exec"),
                    (vec![A::StopTask], "stop"),
                    (vec![A::Open], "logs"),
                    (vec![A::Changes], "changes"),
                    (vec![A::Back], "back"),
                ]
            }
            Pane::Triage => {
                hints = vec![
                    (vec![A::Help], "help"),
                    (vec![A::Palette], "jump"),
                    (vec![A::SwitchEnv], "env"),
                    (vec![A::Open], "evidence"),
                ]
            }
            Pane::Services | Pane::Scaling | Pane::Alarms => hints.push((vec![A::Open], "open")),
            Pane::Logs => hints.extend([
                (vec![A::ToggleFollow], "follow"),
                (vec![A::Search], "search"),
                (vec![A::ToggleWrap], "wrap"),
                (vec![A::Previous, A::Next], "service"),
            ]),
            Pane::Costs => {}
            Pane::Changes => {
                hints = vec![
                    (vec![A::Help], "help"),
                    (vec![A::Changes], "scope"),
                    (vec![A::NextKind], "kind"),
                    (vec![A::NarrowerWindow, A::WiderWindow], "window"),
                    (vec![A::Open], "open"),
                ]
            }
        }
        hints.push((vec![A::Quit], "quit"));
        let mut hints: Vec<(Span, Span)> = hints
            .into_iter()
            .filter_map(|(actions, text)| Some((hint_keys(app, &actions)?, text)))
            .map(|(k, v)| {
                (
                    Span::styled(format!(" {k}"), theme.accent),
                    Span::styled(format!(" {v} "), theme.muted),
                )
            })
            .collect();
        let filter = app.filter(app.pane);
        let filter =
            (!filter.is_empty()).then(|| Span::styled(format!(" filter: {filter} "), theme.info));
        // Whole hints or none: the last but quit give way first.
        let cells = |hints: &[(Span, Span)]| {
            hints
                .iter()
                .map(|(k, v)| k.width() + v.width())
                .sum::<usize>()
                + filter.as_ref().map_or(0, Span::width)
        };
        while cells(&hints) > usize::from(area.width) && hints.len() > 1 {
            hints.remove(hints.len() - 2);
        }
        let mut spans: Vec<Span> = hints.into_iter().flat_map(|(k, v)| [k, v]).collect();
        spans.extend(filter);
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    /// Issue 23 (QA): the replay's bar at 80 columns keeps where it is and
    /// how to quit, and as many keys between as fit.
    #[test]
    fn the_replay_bar_keeps_its_position_and_quit_key_at_80_columns() {
        let bar = "REPLAY || 2x 14:32:10 3:10/20:00 · space play/pause · + - speed · [ ] 10 s · N n action or alarm · q quit";
        let fitted = super::fit_bar(bar, 80);
        assert!(fitted.chars().count() <= 80, "{fitted}");
        assert!(
            fitted.starts_with("REPLAY || 2x 14:32:10 3:10/20:00 · space play/pause"),
            "{fitted}"
        );
        assert!(fitted.ends_with(" · q quit"), "{fitted}");
        assert_eq!(super::fit_bar(bar, 200), bar);
    }
}
