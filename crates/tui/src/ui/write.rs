//! The write flow's dialogs: the form, the plan with its confirmation,
//! waiting, and messages. Everything shown passes through `sanitize`.

use super::widgets::centered;
use crate::app::App;
use crate::app::mouse::{Button, Target};
use crate::app::write::{Confirm, Dialog, Form, FormKind, Message};
use crate::theme::Theme;
use flightdeck_core::ops::Operation;
use flightdeck_model::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Rows `lines` take when wrapped at `width` columns, word by word as the
/// dialog wraps them.
fn rows(lines: &[Line], width: u16) -> u16 {
    let count = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(count).unwrap_or(u16::MAX)
}

/// A dialog's text, and how many of its rows the operator scrolled past.
struct Body<'a> {
    lines: Vec<Line<'a>>,
    scroll: u16,
}

impl<'a> Body<'a> {
    fn new(lines: Vec<Line<'a>>) -> Self {
        Body { lines, scroll: 0 }
    }

    fn scrolled(lines: Vec<Line<'a>>, scroll: u16) -> Self {
        Body { lines, scroll }
    }
}

/// A bordered dialog: `body` on top (scrolled, with a line saying which
/// rows show and the keys, when the screen is short), `controls` always
/// visible at the bottom. Returns where the controls are and how far the
/// body can scroll.
fn boxed(
    frame: &mut Frame,
    theme: &Theme,
    area: Rect,
    title: &str,
    body: Body,
    controls: Vec<Line>,
    width: u16,
) -> (Rect, u16) {
    let Body {
        lines: body,
        scroll,
    } = body;
    let width = width.max(30).min(area.width);
    let inner = width.saturating_sub(2);
    let (body_rows, control_rows) = (rows(&body, inner), rows(&controls, inner));
    let height = (body_rows + control_rows + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(format!(" {} ", sanitize(title)), theme.accent));
    let inside = block.inner(rect);
    frame.render_widget(block, rect);
    let [top, bottom] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(control_rows.min(inside.height)),
    ])
    .areas(inside);
    let (top, offset, max) = if body_rows > top.height && top.height > 1 {
        // Too tall: it scrolls, and the last row says where it is.
        let [text, marker] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(top);
        let max = body_rows.saturating_sub(text.height);
        let offset = scroll.min(max);
        let last = (offset + text.height).min(body_rows);
        let more = if last < body_rows { " ↓ more" } else { "" };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "rows {}-{last} of {body_rows}{more} · ↑↓ PgUp PgDn Home End scroll",
                    offset + 1
                ),
                theme.warn,
            )),
            marker,
        );
        (text, offset, max)
    } else {
        (top, 0, 0)
    };
    frame.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((offset, 0)),
        top,
    );
    frame.render_widget(Paragraph::new(controls).wrap(Wrap { trim: false }), bottom);
    (bottom, max)
}

/// Records a row of buttons drawn from `x` on row `y`: each label's
/// `[ label ]`, two columns apart.
fn record_buttons(app: &App, within: Rect, y: u16, buttons: &[(&str, Button)]) {
    if y >= within.bottom() {
        return;
    }
    let mut x = within.x;
    for (label, button) in buttons {
        let width = u16::try_from(label.chars().count() + 4).unwrap_or(u16::MAX);
        let area = Rect::new(x, y, width, 1).intersection(within);
        app.hits.add(area, Target::Button(*button));
        x = x.saturating_add(width + 2);
    }
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let width = area.width.saturating_sub(4).min(110);
    match &app.dialog {
        None => {}
        Some(Dialog::Waiting { text, .. }) => {
            boxed(
                frame,
                theme,
                area,
                "Working",
                Body::new(vec![Line::from(Span::styled(sanitize(text), theme.info))]),
                vec![],
                width.min(70),
            );
        }
        Some(Dialog::Form(f)) => form(frame, theme, area, f, width, &app.forwards),
        Some(Dialog::Confirm(c)) => confirm(frame, app, theme, area, c, width),
        Some(Dialog::Message(m)) => message(frame, app, theme, area, m, width),
        Some(Dialog::Action(c)) => action_confirm(frame, app, theme, area, c, width),
    }
}

/// A button: `[ Close ]`, or `▶ Close ◀` where Enter lands, so that the
/// focus shows without colour or reverse video too (same width).
fn button<'a>(theme: &Theme, label: &'a str, focused: bool) -> Span<'a> {
    if focused {
        Span::styled(format!("▶ {label} ◀"), theme.cursor)
    } else {
        Span::styled(format!("[ {label} ]"), theme.muted)
    }
}

fn form(
    frame: &mut Frame,
    theme: &Theme,
    area: Rect,
    f: &Form,
    width: u16,
    open_forwards: &[String],
) {
    let verb = match f.kind {
        FormKind::Deploy => "Deploy",
        FormKind::Scale => "Scale",
        FormKind::Strategy => "Deployment strategy",
        FormKind::PortForward => "Port forward",
        FormKind::RunTask => "One-off task",
    };
    let label_width = f.fields.iter().map(|x| x.label.len()).max().unwrap_or(0);
    let mut lines = vec![Line::from(Span::styled(
        format!("{}/{} in {}", f.cluster, f.service, f.env),
        theme.muted,
    ))];
    for (i, field) in f.fields.iter().enumerate() {
        let focused = i == f.focus;
        let changed = field.value != field.original;
        lines.push(Line::from(vec![
            Span::styled(if focused { "▶ " } else { "  " }, theme.accent),
            Span::styled(format!("{:label_width$}  ", field.label), theme.text),
            Span::styled(
                sanitize(&field.value.to_string()),
                if changed { theme.warn } else { theme.text },
            ),
            Span::styled(
                if focused && !field.is_toggle() {
                    "█"
                } else {
                    ""
                },
                theme.accent,
            ),
            Span::styled(if changed { "  (changed)" } else { "" }, theme.muted),
        ]));
    }
    let mut controls = vec![];
    if let Some(e) = &f.error {
        controls.push(Line::from(Span::styled(sanitize(e), theme.crit)));
    }
    if f.kind == FormKind::PortForward {
        let task = f
            .task
            .as_deref()
            .map_or("the first running task".to_string(), |t| {
                format!("task {}", flightdeck_model::text::ellipsize(t, 12))
            });
        controls.push(Line::from(Span::styled(
            format!("through {task}; a remote host is reached from its network (an RDS endpoint)"),
            theme.muted,
        )));
        if !open_forwards.is_empty() {
            controls.push(Line::from(Span::styled(
                format!("open: {} · C-d closes them all", open_forwards.join(" · ")),
                theme.info,
            )));
        }
    }
    if f.kind == FormKind::RunTask {
        controls.push(Line::from(Span::styled(
            "no shell runs it (name sh -c for one) · empty sizes: the task definition's",
            theme.muted,
        )));
    }
    if f.kind == FormKind::Strategy {
        controls.push(Line::from(Span::styled(
            "rolling · rolling:MIN:MAX · blue-green · canary:PERCENT:MINUTES · linear:STEP:MINUTES",
            theme.muted,
        )));
    }
    let toggle = f.fields.iter().any(|x| x.is_toggle());
    controls.push(Line::from(Span::styled(
        format!(
            "Tab next field{} · Enter plan (nothing changes yet) · Esc cancel",
            if toggle { " · Space toggles" } else { "" }
        ),
        theme.muted,
    )));
    boxed(frame, theme, area, verb, Body::new(lines), controls, width);
}

fn confirm(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, c: &Confirm, width: u16) {
    let plan = &c.plan;
    let mut lines: Vec<Line> = plan
        .lines()
        .into_iter()
        .map(|l| Line::from(Span::styled(sanitize(&l), theme.text)))
        .collect();
    if !plan.aws_cli.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "the same with the AWS CLI (C-y copies):",
            theme.muted,
        )));
        lines.extend(
            plan.aws_cli
                .iter()
                .map(|l| Line::from(Span::styled(format!("  {}", sanitize(l)), theme.muted))),
        );
    }
    let mut controls = vec![Line::default()];
    if app.replay_bar.is_some() {
        // A recorded plan: what the operator saw; nothing here runs.
        controls.push(Line::from(Span::styled(
            " REPLAY  the plan as the operator saw it: nothing runs here (Esc hides it, Space plays on)",
            theme.warn,
        )));
    } else if let Some(reason) = &c.take_over {
        let holder = plan
            .lease
            .as_ref()
            .map_or("another operator", |l| l.holder.as_str());
        controls.push(Line::from(vec![
            Span::styled(" LEASED ", theme.production),
            Span::styled(
                sanitize(&format!(
                    " {holder} is on this service: type why you take it over and Enter (audited, {holder} is shown it), Esc to cancel"
                )),
                theme.warn,
            ),
        ]));
        controls.push(Line::from(vec![
            Span::styled("reason> ", theme.accent),
            Span::styled(sanitize(reason), theme.text),
            Span::styled("█", theme.accent),
        ]));
    } else {
        let word = c.needs_typing().then(|| plan.confirmation_word());
        let copies = if plan.aws_cli.is_empty() {
            "the plan"
        } else {
            "the AWS CLI"
        };
        controls.extend(confirm_controls(
            theme,
            word,
            &c.typed,
            c.on_confirm,
            "service",
            copies,
        ));
    }
    if let Some(e) = &c.error {
        controls.push(Line::from(Span::styled(sanitize(e), theme.crit)));
    }
    // A stale plan planned again says so where it is always seen, not only
    // among the notes below the fold.
    let replanned = plan
        .notes
        .first()
        .filter(|n| n.starts_with(flightdeck_core::ops::REPLANNED));
    if let Some(note) = replanned {
        controls.push(Line::from(Span::styled(sanitize(note), theme.warn)));
    }
    let (controls_area, max) = boxed(
        frame,
        theme,
        area,
        &format!(
            "{}: {} (nothing has changed yet)",
            if replanned.is_some() {
                "Planned again"
            } else {
                "Plan"
            },
            plan.operation.verb()
        ),
        Body::scrolled(lines, c.scroll),
        controls,
        width,
    );
    app.hits.set_scroll_limit(max);
    // Production is confirmed by typing only: no button to click.
    if !c.needs_typing() && !c.needs_reason() {
        record_buttons(
            app,
            controls_area,
            controls_area.y + 1,
            &[("Cancel", Button::Cancel), ("Confirm", Button::Confirm)],
        );
    }
}

/// The controls of a confirmation: in production the name to type (`word`)
/// and what is typed so far; otherwise Cancel and Confirm.
fn confirm_controls<'a>(
    theme: &Theme,
    word: Option<&str>,
    typed: &str,
    on_confirm: bool,
    what: &str,
    copies: &str,
) -> Vec<Line<'a>> {
    match word {
        Some(word) => vec![
            Line::from(vec![
                Span::styled(" PRODUCTION ", theme.production),
                Span::styled(
                    sanitize(&format!(
                        " type the {what} name `{word}` and Enter to confirm, Esc to cancel, C-y copies {copies}"
                    )),
                    theme.warn,
                ),
            ]),
            Line::from(vec![
                Span::styled("> ", theme.accent),
                Span::styled(sanitize(typed), theme.text),
                Span::styled("█", theme.accent),
            ]),
        ],
        None => vec![Line::from(vec![
            button(theme, "Cancel", !on_confirm),
            Span::raw("  "),
            button(theme, "Confirm", on_confirm),
            Span::styled(
                format!("   Tab switch · Enter choose · Esc cancel · C-y copies {copies}"),
                theme.muted,
            ),
        ])],
    }
}

/// The confirmation of a writing runbook action: its plan (the command
/// exactly, its environment) and the same tiers as a write.
fn action_confirm(
    frame: &mut Frame,
    app: &App,
    theme: &Theme,
    area: Rect,
    c: &crate::app::actions::ActionConfirm,
    width: u16,
) {
    let lines: Vec<Line> = c
        .plan
        .lines()
        .into_iter()
        .map(|l| Line::from(Span::styled(sanitize(&l), theme.text)))
        .collect();
    let mut controls = vec![Line::default()];
    if app.replay_bar.is_some() {
        controls.push(Line::from(Span::styled(
            " REPLAY  the plan as the operator saw it: nothing runs here",
            theme.warn,
        )));
    } else {
        let word = c.plan.confirmation().word().map(str::to_string);
        controls.extend(confirm_controls(
            theme,
            word.as_deref().filter(|_| c.needs_typing()),
            &c.typed,
            c.on_confirm,
            c.plan.confirmed_by(),
            "the command",
        ));
    }
    if let Some(e) = &c.error {
        controls.push(Line::from(Span::styled(sanitize(e), theme.crit)));
    }
    let (controls_area, max) = boxed(
        frame,
        theme,
        area,
        &format!("Plan: action {} (nothing has run yet)", c.plan.action),
        Body::scrolled(lines, c.scroll),
        controls,
        width,
    );
    app.hits.set_scroll_limit(max);
    if !c.needs_typing() {
        record_buttons(
            app,
            controls_area,
            controls_area.y + 1,
            &[("Cancel", Button::Cancel), ("Confirm", Button::Confirm)],
        );
    }
}

/// The button of a message's offer: what Enter on it plans.
fn offer_label(op: &Operation) -> String {
    match op {
        Operation::Scale { .. } => "Plan range change".into(),
        Operation::Rollback { to: Some(to), .. } => format!("Plan rollback to :{to}"),
        op => format!("Plan {}", op.verb()),
    }
}

fn message(frame: &mut Frame, app: &App, theme: &Theme, area: Rect, m: &Message, width: u16) {
    let lines: Vec<Line> = m
        .lines
        .iter()
        .map(|l| Line::from(Span::styled(sanitize(l), theme.text)))
        .collect();
    let offer = m.offer.as_ref().map(|(_, op)| offer_label(op));
    let controls = vec![
        Line::default(),
        if let Some(label) = &offer {
            Line::from(vec![
                button(theme, "Close", !m.on_offer),
                Span::raw("  "),
                button(theme, label, m.on_offer),
            ])
        } else {
            Line::from(Span::styled("Enter or Esc to close", theme.muted))
        },
    ];
    let (controls_area, max) = boxed(
        frame,
        theme,
        area,
        &m.title,
        Body::scrolled(lines, m.scroll),
        controls,
        width.min(90),
    );
    app.hits.set_scroll_limit(max);
    let y = controls_area.y + 1;
    if let Some(label) = &offer {
        record_buttons(
            app,
            controls_area,
            y,
            &[("Close", Button::Close), (label, Button::Offer)],
        );
    } else if y < controls_area.bottom() {
        app.hits.add(
            Rect::new(controls_area.x, y, 21, 1).intersection(controls_area),
            Target::Button(Button::Close),
        );
    }
}
