//! `flightdeck replay`: a recording played into a read-only cockpit under
//! the viewer's keys, and the drill a recording names.

use super::drill::drill_of;
use super::palette::Palette;
use crate::options::Options;
use crossterm::event::{self, Event};
use flightdeck_tui::app::drill::Drill;
use flightdeck_tui::app::{Msg, update};
use flightdeck_tui::recording;
use std::time::Duration;

/// How far `[` and `]` step a replay.
const REPLAY_STEP_SECS: i64 = 10;

/// `flightdeck replay FILE`: the recording played into a read-only
/// cockpit at its own pace, under the viewer's keys: space plays and
/// pauses, `+` `-` change the speed, `[` `]` step 10 s back and on, `n` `N`
/// jump to the next or previous operator action or alarm change, `q` quits. The recorded keys drive the panes, so
/// the viewer sees what the operator saw; paused, the viewer's other keys
/// look around that instant (space goes back to the recorded view). Nothing
/// is ever carried out.
pub fn replay<R: std::io::BufRead + std::io::Seek>(
    options: &Options,
    mut replay: recording::Replay<R>,
) -> anyhow::Result<()> {
    use flightdeck_model::clock::DRILL_SPEEDS;
    let palette = Palette::new(options)?;
    replay.set_drill(replayed_drill(
        Some(&options.paths.scenarios_dir),
        replay.header(),
    ));
    let mut terminal = super::terminal::open()?;
    let result = (|| -> anyhow::Result<()> {
        let size = terminal.size()?;
        update(&mut replay.app, Msg::Resize(size.width, size.height));
        let mut playing = true;
        let mut speed = 1u32;
        let mut last = std::time::Instant::now();
        let mut position = replay.started;
        // When a key the replay does not take came while it played.
        let mut told: Option<std::time::Instant> = None;
        loop {
            let elapsed = last.elapsed();
            last = std::time::Instant::now();
            if playing {
                let step = chrono::Duration::from_std(elapsed).unwrap_or_default() * speed as i32;
                position = (position + step).min(replay.end());
                replay.advance_to(position);
                if position >= replay.end() {
                    playing = false;
                }
            }
            let mut bar = replay.bar(playing, speed);
            // A cockpit key while it plays: said for a few seconds beside
            // where the replay is (paused, `look` says it).
            if playing && told.is_some_and(|at| at.elapsed() < Duration::from_secs(3)) {
                bar = bar.replacen(
                    " · ",
                    &format!(" {} · ", flightdeck_tui::app::write::REPLAY_READ_ONLY),
                    1,
                );
            }
            replay.app.replay_bar = Some(bar);
            let theme = palette.for_env(&replay.app.env().info.name);
            terminal.draw(|f| flightdeck_tui::ui::render(f, &replay.app, theme))?;
            if !event::poll(Duration::from_millis(100))? {
                continue;
            }
            match event::read()? {
                Event::Key(k) if k.kind != event::KeyEventKind::Release => match k.code {
                    event::KeyCode::Char('q') => return Ok(()),
                    event::KeyCode::Char('c')
                        if k.modifiers.contains(event::KeyModifiers::CONTROL) =>
                    {
                        return Ok(());
                    }
                    event::KeyCode::Char(' ') => {
                        playing = !playing;
                        if playing {
                            // Back to the recorded cockpit, and on.
                            replay.advance_to(position);
                        }
                    }
                    event::KeyCode::Char('+') => {
                        let at = DRILL_SPEEDS.iter().position(|s| *s == speed).unwrap_or(0);
                        speed = DRILL_SPEEDS[(at + 1).min(DRILL_SPEEDS.len() - 1)];
                    }
                    event::KeyCode::Char('-') => {
                        let at = DRILL_SPEEDS.iter().position(|s| *s == speed).unwrap_or(0);
                        speed = DRILL_SPEEDS[at.saturating_sub(1)];
                    }
                    event::KeyCode::Char('n') => {
                        if let Some(next) = replay.next_marker() {
                            position = next;
                            replay.advance_to(position);
                        }
                    }
                    event::KeyCode::Char('N') => {
                        if let Some(previous) = replay.previous_marker() {
                            position = previous;
                            replay.seek(position);
                        }
                    }
                    event::KeyCode::Char(c @ ('[' | ']')) => {
                        let step = chrono::Duration::seconds(REPLAY_STEP_SECS);
                        position = if c == '[' {
                            position - step
                        } else {
                            position + step
                        }
                        .clamp(replay.started, replay.end());
                        replay.seek(position);
                    }
                    // Paused, the viewer looks around with the cockpit's keys.
                    _ if !playing => replay.look(k),
                    _ => told = Some(std::time::Instant::now()),
                },
                Event::Resize(w, h) => {
                    update(&mut replay.app, Msg::Resize(w, h));
                }
                _ => {}
            }
        }
    })();
    super::terminal::release(terminal);
    result
}

/// A recorded drill's header and debrief, from its scenario by name: the
/// operator's own in `scenarios_dir` when given (and readable), else the
/// embedded one of that name. An export passes no directory: it needs
/// nothing but the recording, and a broken file of the operator's neither
/// stops nor slows it.
pub fn replayed_drill(
    scenarios_dir: Option<&std::path::Path>,
    header: &recording::Header,
) -> Option<Drill> {
    let name = header.drill.as_ref()?;
    let scenario = scenarios_dir
        .and_then(|dir| crate::config::scenarios::find(dir, name).ok())
        .or_else(|| {
            flightdeck_sim::scenario::embedded()
                .into_iter()
                .find(|s| s.name == *name)
        })?;
    Some(drill_of(&scenario, header.started))
}
