//! A recording played back into a fresh cockpit: the same messages at the
//! same instants, so every pane shows what it showed then (the recorded
//! keys open the same forms and dialogs). It is read-only by construction:
//! there is no provider, and the effects `update` asks for (plans, writes)
//! are dropped.
//!
//! Going back restores the newest checkpoint before the instant (a copy of
//! the cockpit taken every few recorded minutes) and plays forward from
//! there, so a step back costs minutes of messages, not the whole session.

use super::{Entry, Recording};
use crate::app::{App, Msg, update};
use flightdeck_model::Timestamp;

/// Recorded time between checkpoints, at first.
const CHECKPOINT_EVERY: chrono::Duration = chrono::Duration::minutes(5);
/// Checkpoints kept: past this, every other one goes (and the spacing of
/// new ones doubles), so memory stays bounded on a day-long recording.
const MAX_CHECKPOINTS: usize = 32;

/// The cockpit at an instant, to go back to.
struct Checkpoint {
    applied: usize,
    now: Timestamp,
    app: Box<App>,
}

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
    /// Oldest first; the first is the start.
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: chrono::Duration,
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
        // A keymap the recording names but this version cannot build (an
        // action renamed since) leaves the defaults.
        app.keymap = std::sync::Arc::new(
            crate::app::keymap::Keymap::with_overrides(&rec.header.keys).unwrap_or_default(),
        );
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
            .map(|h| h.seen)
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
            checkpoints: vec![Checkpoint {
                applied: 0,
                now: rec.header.started,
                app: Box::new(app.clone()),
            }],
            checkpoint_every: CHECKPOINT_EVERY,
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

    /// Plays every message up to `t`; never back (see [`Replay::seek`]).
    /// Whatever `update` asks to do is dropped: a replay only shows.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.stop_looking();
        while let Some(at) = self.messages.get(self.applied).map(|(at, _)| *at) {
            if at > t {
                break;
            }
            self.checkpoint_before(at);
            let msg = self.messages[self.applied].1.clone();
            let _ignored = update(&mut self.app, msg);
            self.applied += 1;
        }
        self.now = t.max(self.now);
    }

    /// The cockpit at `t`, before or after now: back to the newest
    /// checkpoint at or before it, then forward.
    pub fn seek(&mut self, t: Timestamp) {
        let t = t.clamp(self.started, self.end());
        if t < self.now {
            self.stop_looking();
            let i = self
                .checkpoints
                .iter()
                .rposition(|c| c.now <= t)
                .unwrap_or(0);
            let c = &self.checkpoints[i];
            // The viewer's terminal, not the one of the checkpoint's time.
            let page = self.app.page;
            self.app = (*c.app).clone();
            self.app.page = page;
            self.app.dirty = true;
            self.applied = c.applied;
            self.now = c.now;
        }
        self.advance_to(t);
    }

    /// A recorded drill's header and debrief, from the start on.
    pub fn set_drill(&mut self, drill: Option<crate::app::drill::Drill>) {
        for c in &mut self.checkpoints {
            c.app.drill.clone_from(&drill);
        }
        self.app.drill = drill;
    }

    /// Keeps a copy of the cockpit before the message at `at` when the
    /// newest checkpoint is far enough behind and every message up to the
    /// last one played is older than `at` (the copy is exact for its instant).
    fn checkpoint_before(&mut self, at: Timestamp) {
        let Some(last) = self
            .applied
            .checked_sub(1)
            .and_then(|i| self.messages.get(i))
            .map(|(t, _)| *t)
        else {
            return;
        };
        let newest = self.checkpoints.last().map_or(self.started, |c| c.now);
        let covered = self
            .checkpoints
            .last()
            .is_some_and(|c| c.applied >= self.applied);
        if covered || last >= at || last - newest < self.checkpoint_every {
            return;
        }
        self.checkpoints.push(Checkpoint {
            applied: self.applied,
            now: last,
            app: Box::new(self.app.clone()),
        });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Keep the start and every other one after it.
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.checkpoint_every = self.checkpoint_every * 2;
        }
    }

    /// The next operator action or alarm change after now.
    pub fn next_marker(&self) -> Option<Timestamp> {
        self.markers.iter().copied().find(|m| *m > self.now)
    }

    /// The operator action or alarm change before now (a second's grace,
    /// so pressing it twice goes on back past the one just jumped to).
    pub fn previous_marker(&self) -> Option<Timestamp> {
        let before = self.now - chrono::Duration::seconds(1);
        self.markers.iter().copied().rfind(|m| *m < before)
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
            "REPLAY {} {speed}x {} {}/{} · space play/pause · + - speed · [ ] 10 s · N n action or alarm · q quit",
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
    replay.set_drill(drill);
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
