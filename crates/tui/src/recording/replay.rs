//! A recording played back into a fresh cockpit: the same messages at the
//! same instants, so every pane shows what it showed then (the recorded
//! keys open the same forms and dialogs). It is read-only by construction:
//! there is no provider, and the effects `update` asks for (plans, writes)
//! are dropped.
//!
//! The recording is read from its file as it plays, never held: going back
//! restores the newest checkpoint before the instant (a copy of the cockpit
//! taken every few recorded minutes, with the byte offset of the next line)
//! and reads the file again from there, so a step back costs minutes of
//! messages, not the whole session.

use super::read::Jobs;
use super::{
    Entry, HappeningKind, Header, MAX_CAST_BYTES, MAX_FRAMES, MAX_HEIGHT, MAX_MARKERS, MAX_WIDTH,
    Postmortem, Reader, RecordingError,
};
use crate::app::{App, Msg, update};
use flightdeck_core::engine::DataEvent;
use flightdeck_model::Timestamp;
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::Path;
use std::sync::Arc;

/// Recorded time between checkpoints, at first.
const CHECKPOINT_EVERY: chrono::Duration = chrono::Duration::minutes(5);
/// Checkpoints kept: past this, every other one goes (and the spacing of
/// new ones doubles), so memory stays bounded on a day-long recording.
const MAX_CHECKPOINTS: usize = 32;

/// The cockpit at an instant, to go back to: a copy of it, and where in
/// the file the replay goes on from there.
struct Checkpoint {
    at: super::Position,
    now: Timestamp,
    played: Option<Timestamp>,
    jobs: Jobs,
    app: Box<App>,
}

/// The next message to play, read ahead.
struct Next {
    at: Timestamp,
    msg: Msg,
    /// Where its entry starts.
    from: super::Position,
    /// Its data, kept as its job's last once it is played.
    remember: Option<Arc<DataEvent>>,
}

/// What reading a whole recording found before the replay starts.
struct Scan {
    entries: u64,
    end: Timestamp,
    markers: Vec<Timestamp>,
    first_size: Option<(u16, u16)>,
    warnings: Vec<String>,
}

/// A recording replayed from its file: it holds the cockpit, a few
/// checkpoints and the next message, never the recording; going back
/// reads the file again from a checkpoint.
pub struct Replay<R = BufReader<std::fs::File>> {
    reader: Reader<R>,
    jobs: Jobs,
    next: Option<Next>,
    /// The entries to play: what the scan found (fewer when the file
    /// cannot be read again as it was).
    entries: u64,
    /// The instant of the last message played.
    played: Option<Timestamp>,
    /// The cockpit as the recording left it, while the viewer looks around
    /// a paused instant (their keys change `app`; resuming restores this).
    looking: Option<Box<App>>,
    /// Instants worth jumping to: the operator's plans and writes, alarm
    /// changes.
    markers: Vec<Timestamp>,
    /// Oldest first; the first is the start.
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: chrono::Duration,
    /// Whether checkpoints are taken (an export never goes back).
    keep_checkpoints: bool,
    first_size: Option<(u16, u16)>,
    warnings: Vec<String>,
    /// The file could not be read again as it was scanned (it changed):
    /// the replay ends there.
    problem: Option<RecordingError>,
    end: Timestamp,
    pub app: App,
    pub started: Timestamp,
    pub now: Timestamp,
}

impl Replay {
    /// The recording at `path`, read once through (every line checked, its
    /// end, its marks), ready to play from its start.
    pub fn open(path: &Path) -> Result<Replay, RecordingError> {
        Replay::from_reader(Reader::open(path)?)
    }
}

impl<R: BufRead + Seek> Replay<R> {
    pub fn from_reader(mut reader: Reader<R>) -> Result<Replay<R>, RecordingError> {
        let scan = scan(&mut reader)?;
        reader.rewind()?;
        let app = fresh_app(reader.header());
        let started = reader.header().started;
        Ok(Replay {
            jobs: Jobs::default(),
            next: None,
            entries: scan.entries,
            played: None,
            looking: None,
            markers: scan.markers,
            checkpoints: vec![Checkpoint {
                at: reader.position(),
                now: started,
                played: None,
                jobs: Jobs::default(),
                app: Box::new(app.clone()),
            }],
            checkpoint_every: CHECKPOINT_EVERY,
            keep_checkpoints: true,
            first_size: scan.first_size,
            warnings: scan.warnings,
            problem: None,
            end: scan.end,
            reader,
            app,
            started,
            now: started,
        })
    }

    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// The size of the first screen the session recorded, if it did.
    pub fn first_size(&self) -> Option<(u16, u16)> {
        self.first_size
    }

    /// What reading the recording left out or clamped, one sentence each
    /// (a torn last line, time going back, a jump too far ahead).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Why the replay ended before the recording's end, if it did: the
    /// file could not be read again as it was at the start (it changed).
    pub fn problem(&self) -> Option<&RecordingError> {
        self.problem.as_ref()
    }

    /// The entries the replay plays.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The instants `n` and `N` jump to.
    pub fn markers(&self) -> &[Timestamp] {
        &self.markers
    }

    /// The copies of the cockpit kept to go back to.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// When the recording ends.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// The viewer's own key at a paused instant: any pane, scroll, detail
    /// or filter, as in the cockpit; what it asks to do is dropped. The
    /// recorded cockpit is kept aside until the replay goes on.
    /// A recorded write dialog takes none of the viewer's keys (nothing
    /// typed into a recorded production confirmation): Esc hides it to
    /// look around, anything else says so.
    pub fn look(&mut self, key: crossterm::event::KeyEvent) {
        if self.looking.is_none() {
            self.looking = Some(Box::new(self.app.clone()));
        }
        if self.app.dialog.is_some() {
            if key.code == crossterm::event::KeyCode::Esc {
                self.app.dialog = None;
            } else {
                self.app.notice = Some(
                    "a replay: the recorded dialog takes no keys and nothing runs (Esc hides it, Space plays on)"
                        .into(),
                );
            }
            self.app.dirty = true;
            return;
        }
        // The viewer's key, not the operator's: no write starts from it.
        self.app.viewer = true;
        let _ignored = update(&mut self.app, Msg::Key(key));
        self.app.viewer = false;
    }

    /// Back to the cockpit as the recording has it, where the viewer left it.
    fn stop_looking(&mut self) {
        if let Some(app) = self.looking.take() {
            self.app = *app;
        }
    }

    /// The next message read ahead, if there is one.
    fn peek(&mut self) -> Option<&Next> {
        while self.next.is_none() && self.reader.position().entries() < self.entries {
            let from = self.reader.position();
            match self.reader.next() {
                Some(Ok(entry)) => {
                    let at = self.reader.instant();
                    if let Some((msg, remember)) = self.jobs.message(entry) {
                        self.next = Some(Next {
                            at,
                            msg,
                            from,
                            remember,
                        });
                    }
                }
                Some(Err(e)) => {
                    self.problem = Some(e);
                    self.entries = from.entries();
                }
                None => self.entries = from.entries(),
            }
        }
        self.next.as_ref()
    }

    /// When the next message plays, if there is one.
    pub fn next_at(&mut self) -> Option<Timestamp> {
        self.peek().map(|n| n.at)
    }

    /// Plays every message up to `t`; never back (see [`Replay::seek`]).
    /// Whatever `update` asks to do is dropped: a replay only shows.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.stop_looking();
        while let Some(at) = self.next_at() {
            if at > t {
                break;
            }
            self.checkpoint_before(at);
            let Some(next) = self.next.take() else {
                break;
            };
            if let Some(event) = next.remember {
                self.jobs.remember(event);
            }
            let _ignored = update(&mut self.app, next.msg);
            self.played = Some(at);
        }
        self.now = t.max(self.now);
    }

    /// The cockpit at `t`, before or after now: back to the newest
    /// checkpoint at or before it, then forward.
    pub fn seek(&mut self, t: Timestamp) {
        let t = t.max(self.started).min(self.end());
        if t < self.now {
            self.stop_looking();
            let i = self
                .checkpoints
                .iter()
                .rposition(|c| c.now <= t)
                .unwrap_or(0);
            let Some(c) = self.checkpoints.get(i) else {
                return;
            };
            if let Err(e) = self.reader.seek(c.at) {
                self.problem = Some(e);
                self.entries = self.reader.position().entries();
                return;
            }
            // The viewer's terminal, not the one of the checkpoint's time.
            let page = self.app.page;
            self.app = (*c.app).clone();
            self.app.page = page;
            self.app.dirty = true;
            self.jobs = c.jobs.clone();
            self.played = c.played;
            self.next = None;
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
    /// newest checkpoint is far enough behind and every message played so
    /// far is older than `at` (the copy is exact for its instant).
    fn checkpoint_before(&mut self, at: Timestamp) {
        let (Some(last), Some(from)) = (self.played, self.next.as_ref().map(|n| n.from)) else {
            return;
        };
        if !self.keep_checkpoints {
            return;
        }
        let newest = self.checkpoints.last().map_or(self.started, |c| c.now);
        let covered = self
            .checkpoints
            .last()
            .is_some_and(|c| c.at.entries() >= from.entries());
        if covered || last >= at || last - newest < self.checkpoint_every {
            return;
        }
        self.checkpoints.push(Checkpoint {
            at: from,
            now: last,
            played: self.played,
            jobs: self.jobs.clone(),
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
        self.next.is_none() && self.reader.position().entries() >= self.entries
    }

    /// `REPLAY ▶ 2x 14:32:10 3:10/20:00 · …`, for the bar.
    pub fn bar(&self, playing: bool, speed: u32) -> String {
        if self.looking.is_some() {
            // The footer is the bar: what the viewer's last key was told
            // (a write key: nothing runs) shows in it.
            let said = match self.app.notice.as_deref() {
                Some(n) if n == crate::app::write::REPLAY_READ_ONLY => n,
                _ => "looking around (your keys)",
            };
            return format!(
                "REPLAY || {} {said} · space goes on as recorded · q quit",
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

/// A cockpit built as the recording's header says.
fn fresh_app(header: &Header) -> App {
    let mut app = App::new(
        header.environments.clone(),
        header.started,
        header.read_only,
    );
    app.demo = header.demo;
    // A keymap the recording names but this version cannot build (an
    // action renamed since) leaves the defaults.
    app.keymap = std::sync::Arc::new(
        crate::app::keymap::Keymap::with_overrides(&header.keys).unwrap_or_default(),
    );
    if let Some(i) = header
        .current
        .as_ref()
        .and_then(|c| app.envs.iter().position(|e| e.info.name == *c))
    {
        app.current = i;
    }
    app
}

/// Reads the recording through once: every line checked, where it ends,
/// the instants worth jumping to, the first screen size.
fn scan<R: BufRead>(reader: &mut Reader<R>) -> Result<Scan, RecordingError> {
    let mut timeline = Postmortem::new(reader.header());
    let mut markers = vec![];
    let mut first_size = None;
    let mut entries = 0;
    while let Some(entry) = reader.next() {
        let entry = entry?;
        let played = reader.instant();
        match &entry {
            Entry::Planned { .. } | Entry::Executed { .. } if markers.len() < MAX_MARKERS => {
                markers.push(played);
            }
            Entry::Resize { width, height, .. } if first_size.is_none() => {
                first_size = Some((*width, *height));
            }
            _ => {}
        }
        timeline.take(&entry, played);
        entries += 1;
    }
    markers.extend(
        timeline
            .finish()
            .iter()
            .filter(|h| matches!(h.kind, HappeningKind::Action | HappeningKind::Alarm))
            .map(|h| h.seen)
            .take(MAX_MARKERS),
    );
    markers.sort();
    markers.dedup();
    markers.truncate(MAX_MARKERS);
    Ok(Scan {
        entries,
        end: reader.instant(),
        markers,
        first_size,
        warnings: reader.warnings(),
    })
}

/// The screen an export draws on: the session's first, within
/// [`MAX_WIDTH`]x[`MAX_HEIGHT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenSize {
    pub width: u16,
    pub height: u16,
    /// The recorded size, when it was made smaller (or had no cells).
    pub clamped_from: Option<(u16, u16)>,
}

impl ScreenSize {
    /// When the session recorded none: 100x30.
    pub const DEFAULT: (u16, u16) = (100, 30);

    pub fn of(recorded: Option<(u16, u16)>) -> ScreenSize {
        let (width, height) = recorded.unwrap_or(ScreenSize::DEFAULT);
        let fits = (1..=MAX_WIDTH).contains(&width) && (1..=MAX_HEIGHT).contains(&height);
        if fits {
            return ScreenSize {
                width,
                height,
                clamped_from: None,
            };
        }
        let (width, height) = if width == 0 || height == 0 {
            ScreenSize::DEFAULT
        } else {
            (width.min(MAX_WIDTH), height.min(MAX_HEIGHT))
        };
        ScreenSize {
            width,
            height,
            clamped_from: recorded,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cast {
    pub frames: u64,
    pub bytes: u64,
    /// The recorded instant the cast stopped at, when it reached
    /// [`MAX_FRAMES`] or [`MAX_CAST_BYTES`] before the recording's end.
    pub stopped: Option<Timestamp>,
}

/// The replay written to `out` as an asciicast v2 file (asciinema's
/// format) as it plays: a frame each second the screen changed, drawn at
/// `size` with `theme` (its colours, bold and reverse kept; a monochrome
/// theme draws none). Seconds in which nothing was recorded are not drawn
/// (nothing changes then), so a long pause costs nothing; at most
/// [`MAX_FRAMES`] frames and [`MAX_CAST_BYTES`] bytes are written. A
/// recorded drill's header and debrief come from [`Replay::set_drill`].
pub fn asciicast<R: BufRead + Seek>(
    replay: &mut Replay<R>,
    theme: &crate::theme::Theme,
    size: ScreenSize,
    out: &mut dyn Write,
) -> std::io::Result<Cast> {
    cast(replay, theme, size, out, (MAX_FRAMES, MAX_CAST_BYTES))
}

/// [`asciicast`] with its bounds (frames, bytes) given, lower in tests.
pub(crate) fn cast<R: BufRead + Seek>(
    replay: &mut Replay<R>,
    theme: &crate::theme::Theme,
    size: ScreenSize,
    out: &mut dyn Write,
    (max_frames, max_bytes): (u64, u64),
) -> std::io::Result<Cast> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let (width, height) = (size.width.min(MAX_WIDTH), size.height.min(MAX_HEIGHT));
    // An export plays once, forward: no copies of the cockpit to go back to.
    replay.keep_checkpoints = false;
    update(&mut replay.app, Msg::Resize(width, height));
    let started = replay.started;
    let header = serde_json::json!({
        "version": 2,
        "width": width,
        "height": height,
        "timestamp": started.timestamp(),
        "title": format!("flightdeck replay {}", started.format("%Y-%m-%d %H:%M:%SZ")),
    });
    let header = format!("{header}\n");
    out.write_all(header.as_bytes())?;
    let mut cast = Cast {
        frames: 0,
        bytes: header.len() as u64,
        stopped: None,
    };
    let mut last = String::new();
    let mut t = started;
    let end = replay.end();
    let mut drawn = 0;
    let Ok(mut terminal) = Terminal::new(TestBackend::new(width, height));
    loop {
        replay.advance_to(t);
        if terminal
            .draw(|f| crate::ui::render(f, &replay.app, theme))
            .is_err()
        {
            break;
        }
        drawn += 1;
        let frame = ansi(terminal.backend().buffer());
        if frame != last {
            let secs = (t - started).num_milliseconds() as f64 / 1000.0;
            let event = format!("{}\n", serde_json::json!([secs, "o", frame]));
            out.write_all(event.as_bytes())?;
            cast.frames += 1;
            cast.bytes += event.len() as u64;
            last = frame;
        }
        if t >= end {
            break;
        }
        if drawn >= max_frames || cast.bytes >= max_bytes {
            cast.stopped = Some(t);
            break;
        }
        t = next_frame(t, started, replay.next_at());
    }
    Ok(cast)
}

/// The instant of the frame after the one at `t`: a second on, or, when
/// nothing plays before then, the first second (from `started`) at or
/// after the next message at `next`.
fn next_frame(t: Timestamp, started: Timestamp, next: Option<Timestamp>) -> Timestamp {
    let second = chrono::Duration::seconds(1);
    let on = t + second;
    match next {
        Some(next) if next > on => {
            // Whole seconds from the start, rounded up (never past `next`'s).
            let ms = (next - started).num_milliseconds();
            let secs = ms / 1000 + i64::from(ms % 1000 != 0);
            (started + chrono::Duration::seconds(secs)).max(on)
        }
        _ => on,
    }
}

/// A whole screen as terminal output: home, then each row, with the
/// cells' colours, bold and reverse.
fn ansi(buffer: &ratatui::buffer::Buffer) -> String {
    let mut out = String::from("\u{1b}[H");
    let width = usize::from(buffer.area.width.max(1));
    for (row, cells) in buffer.content.chunks(width).enumerate() {
        if row > 0 {
            out.push_str("\r\n");
        }
        let mut current = Look::default();
        for cell in cells {
            let wanted = Look::of(cell);
            if wanted != current {
                out.push_str(&wanted.sgr());
                current = wanted;
            }
            out.push_str(cell.symbol());
        }
        if current != Look::default() {
            out.push_str("\u{1b}[0m");
        }
    }
    out
}

/// What a cell looks like, as far as a cast keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Look {
    fg: Option<ratatui::style::Color>,
    bg: Option<ratatui::style::Color>,
    bold: bool,
    reversed: bool,
}

impl Look {
    fn of(cell: &ratatui::buffer::Cell) -> Look {
        use ratatui::style::{Color, Modifier};
        let colour = |c: Color| (c != Color::Reset).then_some(c);
        Look {
            fg: colour(cell.fg),
            bg: colour(cell.bg),
            bold: cell.modifier.contains(Modifier::BOLD),
            reversed: cell.modifier.contains(Modifier::REVERSED),
        }
    }

    /// The SGR sequence that sets this look from any other.
    fn sgr(&self) -> String {
        let mut codes = vec!["0".to_string()];
        if self.bold {
            codes.push("1".into());
        }
        if self.reversed {
            codes.push("7".into());
        }
        if let Some(c) = self.fg.and_then(|c| colour_code(c, false)) {
            codes.push(c);
        }
        if let Some(c) = self.bg.and_then(|c| colour_code(c, true)) {
            codes.push(c);
        }
        format!("\u{1b}[{}m", codes.join(";"))
    }
}

/// The SGR parameters of a colour, foreground or background.
fn colour_code(colour: ratatui::style::Color, background: bool) -> Option<String> {
    use ratatui::style::Color;
    let (base, bright, extended) = if background {
        (40, 100, 48)
    } else {
        (30, 90, 38)
    };
    let named = |i: u8| {
        Some(if i < 8 {
            (base + i).to_string()
        } else {
            (bright + i - 8).to_string()
        })
    };
    match colour {
        Color::Reset => None,
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Indexed(i) => Some(format!("{extended};5;{i}")),
        Color::Rgb(r, g, b) => Some(format!("{extended};2;{r};{g};{b}")),
    }
}

#[cfg(test)]
mod cast_tests {
    use super::ansi;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};

    /// A cast keeps the colours the theme drew (named, indexed and
    /// true colour), with bold and reverse; plain cells reset them.
    #[test]
    fn a_cast_keeps_the_themes_colours() {
        let mut b = Buffer::empty(Rect::new(0, 0, 6, 1));
        b.set_string(
            0,
            0,
            "AB",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        );
        b.set_string(2, 0, "C", Style::default().bg(Color::Rgb(1, 2, 3)));
        b.set_string(
            3,
            0,
            "D",
            Style::default()
                .fg(Color::Indexed(208))
                .add_modifier(Modifier::REVERSED),
        );
        b.set_string(4, 0, "EF", Style::default());
        assert_eq!(
            ansi(&b),
            "\u{1b}[H\u{1b}[0;1;31mAB\u{1b}[0;48;2;1;2;3mC\u{1b}[0;7;38;5;208mD\u{1b}[0mEF"
        );
        let plain = Buffer::with_lines(["plain"]);
        assert_eq!(ansi(&plain), "\u{1b}[Hplain");
    }
}
