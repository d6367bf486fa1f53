//! The logs pane: one service's log group, newest at the bottom, with
//! follow/pause, filter, search highlight, wrap and timestamps.

use super::widgets::{age, error_line};
use crate::app::{App, LogBuffer, Pane};
use crate::theme::Theme;
use flightdeck_model::LogEvent;
use flightdeck_model::text::sanitize_with;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn is_error(message: &str) -> bool {
    let m = message;
    m.contains("ERROR")
        || m.starts_with("error")
        || m.contains("Traceback")
        || m.contains("Exception")
        || m.contains("\" 50")
}

/// Splits `text` into spans, highlighting every case-insensitive match of `needle`.
fn highlight(text: String, needle: &str, base: Style, hit: Style) -> Vec<Span<'static>> {
    if needle.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let lower = text.to_lowercase();
    let needle = needle.to_lowercase();
    // Lowercasing can change byte lengths; fall back to no highlight then.
    if lower.len() != text.len() {
        return vec![Span::styled(text, base)];
    }
    let mut spans = vec![];
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(&needle) {
        let start = pos + found;
        let end = start + needle.len();
        if start > pos {
            spans.push(Span::styled(text[pos..start].to_string(), base));
        }
        spans.push(Span::styled(text[start..end].to_string(), hit));
        pos = end;
    }
    if pos < text.len() {
        spans.push(Span::styled(text[pos..].to_string(), base));
    }
    spans
}

/// The visual lines of one event: a prefix on the first, continuation
/// lines indented, each optionally wrapped to `width`.
fn event_lines(
    app: &App,
    theme: &Theme,
    e: &LogEvent,
    current: bool,
    width: usize,
) -> Vec<Line<'static>> {
    let prefix = if app.logs.timestamps {
        format!("{} ", e.timestamp.format("%H:%M:%S%.3f"))
    } else {
        String::new()
    };
    let task = e
        .stream
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .take(8)
        .collect::<String>();
    let base = if is_error(&e.message) {
        theme.crit
    } else {
        theme.text
    };
    let hit = theme.cursor;
    let message = sanitize_with(&e.message, true);
    let mut out = vec![];
    for (i, text) in message.split('\n').enumerate() {
        let lead = if i == 0 {
            format!("{prefix}{task} ")
        } else {
            " ".repeat(prefix.len() + task.len() + 1)
        };
        let pieces: Vec<String> = if app.logs.wrap && width > lead.len() + 10 {
            let chars: Vec<char> = text.chars().collect();
            chars
                .chunks(width - lead.len())
                .map(|c| c.iter().collect())
                .collect()
        } else {
            vec![text.to_string()]
        };
        for (j, piece) in pieces.into_iter().enumerate() {
            let lead_text = if j == 0 {
                lead.clone()
            } else {
                " ".repeat(lead.len())
            };
            let mut spans = vec![Span::styled(
                lead_text,
                if current { theme.accent } else { theme.muted },
            )];
            spans.extend(highlight(piece, &app.logs.search, base, hit));
            out.push(Line::from(spans));
        }
    }
    out
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let [status, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    if let (Some((elsewhere, td)), Some(service)) = (app.logs_elsewhere(), app.log_source_service())
    {
        render_elsewhere(frame, theme, &service.name, &elsewhere, &td, area);
        return;
    }
    let Some(source) = app.log_source() else {
        frame.render_widget(
            Paragraph::new(Span::styled(" no service to show logs of", theme.muted)),
            area,
        );
        return;
    };
    let buffer = app.env().logs.get(&source);
    let (total, matches) = app.log_counts();
    frame.render_widget(
        Paragraph::new(status_line(
            app,
            theme,
            &source.group,
            buffer,
            (total, matches),
            usize::from(status.width),
        )),
        status,
    );
    if let Some((e, at)) = buffer.and_then(|b| b.error.as_ref()) {
        frame.render_widget(Paragraph::new(error_line(theme, app.now, e, *at)), body);
        return;
    }
    if buffer.is_none() {
        frame.render_widget(
            Paragraph::new(Span::styled(" loading log events…", theme.muted)),
            body,
        );
        return;
    }
    frame.render_widget(Paragraph::new(visible_lines(app, theme, total, body)), body);
}

/// Says where a service's logs go when it does not log to CloudWatch Logs.
fn render_elsewhere(
    frame: &mut Frame,
    theme: &Theme,
    service: &str,
    elsewhere: &str,
    td: &str,
    area: Rect,
) {
    let lines = vec![
        Line::from(Span::styled(
            flightdeck_model::text::sanitize(&format!(" {service} logs to {elsewhere}")),
            theme.warn,
        )),
        Line::from(Span::styled(
            flightdeck_model::text::sanitize(&format!(
                " (the logConfiguration of {td}): flightdeck reads CloudWatch Logs only, awslogs and FireLens's cloudwatch_logs output; read these logs where they go"
            )),
            theme.muted,
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

/// The status line: the log group, follow or paused, and what is shown,
/// fitted to `width`.
fn status_line(
    app: &App,
    theme: &Theme,
    group: &str,
    buffer: Option<&LogBuffer>,
    (total, matches): (usize, usize),
    width: usize,
) -> Line<'static> {
    let mode = if app.logs.follow {
        Span::styled(" FOLLOW ", theme.ok)
    } else {
        Span::styled(" PAUSED ", theme.warn)
    };
    let mut tail = status_tail(app, theme, buffer, total, matches);
    let used =
        |tail: &[(Span, u8)]| mode.width() + tail.iter().map(|(s, _)| s.width()).sum::<usize>();
    for drop in [2, 1] {
        if used(&tail) + group.chars().count() + 2 > width {
            tail.retain(|(_, p)| *p != drop);
        }
    }
    let room = width.saturating_sub(used(&tail) + 2).max(8);
    let mut spans = vec![
        Span::styled(
            format!(
                " {} ",
                flightdeck_model::text::ellipsize_middle(&sanitize_with(group, false), room)
            ),
            theme.accent,
        ),
        mode,
    ];
    spans.extend(tail.into_iter().map(|(s, _)| s));
    Line::from(spans)
}

/// What the status line says after the mode, each with the order it gives
/// way in on a narrow terminal (0 never).
fn status_tail(
    app: &App,
    theme: &Theme,
    buffer: Option<&LogBuffer>,
    total: usize,
    matches: usize,
) -> Vec<(Span<'static>, u8)> {
    // The poll's age gives way first (the header says the data's age),
    // then `wrap`; the log group's middle last. Mode, counts, filter and
    // search always stay.
    let mut tail: Vec<(Span, u8)> = vec![];
    let filter = app.filter(Pane::Logs);
    if filter.is_empty() {
        tail.push((
            Span::styled(
                format!(
                    " {}",
                    flightdeck_model::text::count(total as u64, "line", "lines")
                ),
                theme.muted,
            ),
            0,
        ));
    } else {
        // Filtered lines say so first: "3 lines" alone would read as all.
        tail.push((
            Span::styled(
                format!(
                    " {} with \"{}\"",
                    flightdeck_model::text::count(total as u64, "line", "lines"),
                    sanitize_with(filter, false)
                ),
                theme.info,
            ),
            0,
        ));
    }
    if app.logs.wrap {
        tail.push((Span::styled(" · wrap", theme.muted), 1));
    }
    if !app.logs.search.is_empty() {
        tail.push((
            Span::styled(
                format!(
                    " · search \"{}\" {matches} matches",
                    sanitize_with(&app.logs.search, false)
                ),
                theme.info,
            ),
            0,
        ));
    }
    if let Some(at) = buffer.and_then(|b| b.fetched_at) {
        tail.push((
            Span::styled(format!(" · polled {} ago", age(app.now, at)), theme.muted),
            2,
        ));
    }
    tail
}

/// The visual lines that fill `body`: built from the newest event
/// backwards until the screen is full, skipping `scroll` events first.
fn visible_lines(app: &App, theme: &Theme, total: usize, body: Rect) -> Vec<Line<'static>> {
    let height = usize::from(body.height);
    let width = usize::from(body.width);
    let mut visual: Vec<Line> = vec![];
    let shown = app
        .log_lines_newest_first()
        .enumerate()
        .skip(app.logs.scroll)
        .map(|(k, e)| (total.saturating_sub(1 + k), e));
    for (i, e) in shown {
        let mut ls = event_lines(app, theme, e, app.logs.current_match == Some(i), width);
        ls.append(&mut visual);
        visual = ls;
        if visual.len() >= height {
            break;
        }
    }
    let skip = visual.len().saturating_sub(height);
    visual.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_every_match() {
        let spans = highlight(
            "GET /a GET /b".into(),
            "get",
            Style::default(),
            Style::default().bold(),
        );
        let texts: Vec<_> = spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(texts, ["GET", " /a ", "GET", " /b"]);
    }
}
