//! A recording played back into a fresh cockpit: the same messages at the
//! same instants, so every pane shows what it showed then (the recorded
//! keys open the same forms and dialogs). It is read-only by construction:
//! there is no provider, and the effects `update` asks for (plans, writes)
//! are dropped.

use super::{Entry, Recording};
use crate::app::{App, Msg, update};
use flightdeck_model::Timestamp;

pub struct Replay {
    /// The cockpit as the recording left it, while the viewer looks around
    /// a paused instant (their keys change `app`; resuming restores this).
    looking: Option<Box<App>>,
    messages: Vec<(Timestamp, Msg)>,
    /// Messages applied so far.
    applied: usize,
    /// Instants worth jumping to: the operator's plans and writes, alarm
    /// changes.
    markers: Vec<Timestamp>,
    pub app: App,
    pub started: Timestamp,
    pub now: Timestamp,
}

impl Replay {
    pub fn new(rec: &Recording) -> Replay {
        let mut app = App::new(
            rec.header.environments.clone(),
            rec.header.started,
            rec.header.read_only,
        );
        app.demo = rec.header.demo;
        if let Some(i) = rec
            .header
            .current
            .as_ref()
            .and_then(|c| app.envs.iter().position(|e| e.info.name == *c))
        {
            app.current = i;
        }
        let mut markers: Vec<Timestamp> = super::postmortem(rec)
            .iter()
            .filter(|h| matches!(h.kind, "action" | "alarm"))
            .map(|h| h.at)
            .collect();
        markers.extend(rec.entries.iter().filter_map(|e| match e {
            Entry::Planned { at, .. } | Entry::Executed { at, .. } => Some(*at),
            _ => None,
        }));
        markers.sort();
        markers.dedup();
        Replay {
            looking: None,
            messages: rec.messages(),
            applied: 0,
            markers,
            app,
            started: rec.header.started,
            now: rec.header.started,
        }
    }

    /// When the recording ends.
    pub fn end(&self) -> Timestamp {
        self.messages.last().map_or(self.started, |(at, _)| *at)
    }

    /// The viewer's own key at a paused instant: any pane, scroll, detail
    /// or filter, as in the cockpit; what it asks to do is dropped. The
    /// recorded cockpit is kept aside until the replay goes on.
    pub fn look(&mut self, key: crossterm::event::KeyEvent) {
        if self.looking.is_none() {
            self.looking = Some(Box::new(self.app.clone()));
        }
        let _ignored = update(&mut self.app, Msg::Key(key));
    }

    /// Back to the cockpit as the recording has it, where the viewer left it.
    fn stop_looking(&mut self) {
        if let Some(app) = self.looking.take() {
            self.app = *app;
        }
    }

    /// Plays every message up to `t` (never back: a replay restarts to go
    /// back). Whatever `update` asks to do is dropped: a replay only shows.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.stop_looking();
        while let Some((at, msg)) = self.messages.get(self.applied) {
            if *at > t {
                break;
            }
            let _ignored = update(&mut self.app, msg.clone());
            self.applied += 1;
        }
        self.now = t.max(self.now);
    }

    /// The next operator action or alarm change after now.
    pub fn next_marker(&self) -> Option<Timestamp> {
        self.markers.iter().copied().find(|m| *m > self.now)
    }

    /// Whether every message has been played.
    pub fn is_done(&self) -> bool {
        self.applied >= self.messages.len()
    }

    /// `REPLAY ▶ 2x 14:32:10 3:10/20:00 · …`, for the bar.
    pub fn bar(&self, playing: bool, speed: u32) -> String {
        if self.looking.is_some() {
            return format!(
                "REPLAY || {} looking around (your keys) · space goes on as recorded · q quit",
                self.now.format("%H:%M:%S")
            );
        }
        let pos = self.now - self.started;
        let len = self.end() - self.started;
        let clock = |d: chrono::Duration| {
            format!("{}:{:02}", d.num_minutes(), d.num_seconds().rem_euclid(60))
        };
        format!(
            "REPLAY {} {speed}x {} {}/{} · space play/pause · + - speed · n next action or alarm · paused: look around · q quit",
            if playing { "▶" } else { "||" },
            self.now.format("%H:%M:%S"),
            clock(pos),
            clock(len)
        )
    }
}

/// The recording as an asciicast v2 file (asciinema's format): a frame
/// each second the screen changed, drawn at `width`x`height` with `theme`
/// (bold and reverse kept, colours left to the player's theme).
/// `drill`: a recorded drill's header and debrief, when it was one.
pub fn asciicast(
    rec: &Recording,
    drill: Option<crate::app::drill::Drill>,
    theme: &crate::theme::Theme,
    width: u16,
    height: u16,
) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut replay = Replay::new(rec);
    replay.app.drill = drill;
    update(&mut replay.app, Msg::Resize(width, height));
    let header = serde_json::json!({
        "version": 2,
        "width": width,
        "height": height,
        "timestamp": rec.header.started.timestamp(),
        "title": format!("flightdeck replay {}", rec.header.started.format("%Y-%m-%d %H:%M:%SZ")),
    });
    let mut out = format!("{header}\n");
    let mut last = String::new();
    let mut t = replay.started;
    let end = replay.end();
    loop {
        replay.advance_to(t);
        let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
        if terminal
            .draw(|f| crate::ui::render(f, &replay.app, theme))
            .is_err()
        {
            break;
        }
        let frame = ansi(terminal.backend().buffer());
        if frame != last {
            let secs = (t - replay.started).num_milliseconds() as f64 / 1000.0;
            let event = serde_json::json!([secs, "o", frame]);
            out.push_str(&format!("{event}\n"));
            last = frame;
        }
        if t >= end {
            break;
        }
        t += chrono::Duration::seconds(1);
    }
    out
}

/// A whole screen as terminal output: home, then each row, with bold and
/// reverse where the cells have them.
fn ansi(buffer: &ratatui::buffer::Buffer) -> String {
    use ratatui::style::Modifier;
    let mut out = String::from("\u{1b}[H");
    let width = usize::from(buffer.area.width.max(1));
    for (row, cells) in buffer.content.chunks(width).enumerate() {
        if row > 0 {
            out.push_str("\r\n");
        }
        let mut current = Modifier::empty();
        for cell in cells {
            let wanted = cell.modifier & (Modifier::BOLD | Modifier::REVERSED);
            if wanted != current {
                out.push_str("\u{1b}[0m");
                if wanted.contains(Modifier::BOLD) {
                    out.push_str("\u{1b}[1m");
                }
                if wanted.contains(Modifier::REVERSED) {
                    out.push_str("\u{1b}[7m");
                }
                current = wanted;
            }
            out.push_str(cell.symbol());
        }
        if !current.is_empty() {
            out.push_str("\u{1b}[0m");
        }
    }
    out
}
