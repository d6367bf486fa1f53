//! `y`: what the selection is known by, to the operator's clipboard through
//! the terminal (OSC 52), so it works over SSH and inside tmux: a service's
//! or task's ARN, an alarm's name, a log line, a change's subject; `C-y` in
//! the confirmation dialog copies the plan.

use super::{App, Effect, Pane};
use base64::Engine;
use flightdeck_model::text::{ellipsize, sanitize};

/// What OSC 52 may carry: terminals refuse or cut longer sequences.
pub const MAX_COPY: usize = 64 * 1024;

/// The selection of the current pane: what it is and its text.
pub fn selection(app: &App) -> Option<(&'static str, String)> {
    match app.pane {
        Pane::Services if app.detail.is_some() => match app.selected_task() {
            Some(t) if !t.arn.is_empty() => Some(("task ARN", t.arn.clone())),
            Some(t) => Some(("task id", t.id.clone())),
            None => app.detail_service().map(service),
        },
        Pane::Services => app.selected_service().map(service),
        Pane::Scaling => app.selected_target().map(|t| {
            (
                "scalable target",
                format!("service/{}/{}", t.cluster, t.service),
            )
        }),
        Pane::Alarms => app.selected_alarm().map(|a| ("alarm name", a.name.clone())),
        Pane::Logs => {
            let lines = app.log_lines();
            let at = app
                .logs
                .current_match
                .unwrap_or_else(|| lines.len().saturating_sub(1 + app.logs.scroll));
            lines.get(at).map(|e| ("log line", e.message.clone()))
        }
        Pane::Changes => app.selected_change().map(|e| match &e.subject {
            Some(subject) => ("change's subject", subject.clone()),
            None => ("change", e.summary.clone()),
        }),
        Pane::Triage => app
            .selected_finding()
            .map(|f| ("finding's subject", f.subject)),
        Pane::Costs => None,
    }
}

fn service(s: &flightdeck_model::Service) -> (&'static str, String) {
    if s.arn.is_empty() {
        ("service", format!("{}/{}", s.cluster, s.name))
    } else {
        ("service ARN", s.arn.clone())
    }
}

/// Copies `text` as `what`: the effect that writes it to the terminal and
/// the footer's word on it.
pub fn copy(app: &mut App, what: &str, text: &str) -> Vec<Effect> {
    // What reaches the clipboard is pasted into shells later: no control
    // characters, whatever AWS sent.
    // Lines stay lines (a plan's commands are pasted one a line).
    let mut clean = flightdeck_model::text::sanitize_with(text, true);
    if clean.len() > MAX_COPY {
        let mut end = MAX_COPY;
        while !clean.is_char_boundary(end) {
            end -= 1;
        }
        clean.truncate(end);
    }
    app.notice = Some(format!("copied {what}: {}", ellipsize(&clean, 60)));
    vec![Effect::Copy(clean)]
}

/// Copies the current pane's selection, or says there is none.
pub fn copy_selection(app: &mut App) -> Vec<Effect> {
    match selection(app) {
        Some((what, text)) => copy(app, what, &text),
        None => {
            app.notice = Some("nothing here to copy".into());
            vec![]
        }
    }
}

/// The runbook of the selected alarm (alarms pane) or alarm finding
/// (triage), if it has one.
pub fn selected_runbook(app: &App) -> Option<flightdeck_core::runbook::Runbook> {
    match app.pane {
        Pane::Alarms => app.selected_alarm().and_then(|a| app.runbooks.runbook(a)),
        Pane::Triage => app.selected_finding().and_then(|f| f.runbook),
        _ => None,
    }
}

/// `b`: the selected alarm's runbook copied, and opened where a browser
/// is (a link only: the runtime decides whether one is here).
pub fn runbook(app: &mut App) -> Vec<Effect> {
    let Some(r) = selected_runbook(app) else {
        app.notice = Some(match app.pane {
            Pane::Alarms | Pane::Triage => "no runbook: not in the alarm's tags or description, nor in the team's [[runbook]] map".into(),
            _ => "b: an alarm's runbook, in the alarms or triage pane".into(),
        });
        return vec![];
    };
    let mut effects = copy(app, "the runbook", &r.url);
    let clean = sanitize(&r.url);
    if clean.starts_with("https://") || clean.starts_with("http://") {
        effects.push(Effect::Open(clean));
    }
    effects
}

/// The OSC 52 sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_base64_between_the_markers() {
        assert_eq!(osc52("hello"), "\x1b]52;c;aGVsbG8=\x07");
        // Whatever the text holds, the sequence holds no other control byte.
        let seq = osc52("evil\x1b]0;title\x07\n");
        let inner = &seq[7..seq.len() - 1];
        assert!(inner.bytes().all(|b| b.is_ascii_graphic()), "{seq:?}");
    }
}
