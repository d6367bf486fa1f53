//! The flight recorder end to end: a cockpit session recorded through the
//! same `update` the runtime drives, read back, and replayed into a fresh
//! cockpit renders the same frames at the same instants; its postmortem
//! timeline has the operator's write with its request id.
mod common;

use common::Harness;
use crossterm::event::KeyCode;
use flightdeck::app::{App, Msg, update};
use flightdeck::clock::Clock;
use flightdeck::recording;

#[test]
fn a_recorded_session_replays_the_same_frames_at_the_same_instants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let mono = common::theme("monochrome");
    let mut frames = vec![];
    {
        let mut h = Harness::recorded(&path);
        frames.push((h.clock.now(), h.screen(100, 30, &mono)));
        h.go_to_env("muejam-staging");
        h.keys("3");
        frames.push((h.clock.now(), h.screen(100, 30, &mono)));
        h.keys("1");
        h.key(KeyCode::Enter);
        frames.push((h.clock.now(), h.screen(100, 30, &mono)));
        // A write: deploy, Tab to Confirm, Enter; then its watch.
        h.keys("D");
        h.clear_field();
        h.keys("acme/backend:v9");
        h.key(KeyCode::Enter);
        h.key(KeyCode::Tab);
        h.key(KeyCode::Enter);
        for _ in 0..6 {
            h.advance(chrono::Duration::seconds(10));
        }
        frames.push((h.clock.now(), h.screen(100, 30, &mono)));
        h.keys("6");
        frames.push((h.clock.now(), h.screen(100, 30, &mono)));
    }
    let rec = recording::read(&path).unwrap();
    assert!(!rec.truncated);
    assert!(
        rec.entries
            .iter()
            .any(|e| matches!(e, recording::Entry::Unchanged { .. })),
        "polls that bring nothing new are written short"
    );
    // Replay: a fresh cockpit fed what was recorded; a frame after each
    // resize, where the session drew one.
    let mut app = App::new(rec.header.environments.clone(), rec.header.started, false);
    app.demo = rec.header.demo;
    let mut replayed = vec![];
    for (at, msg) in rec.messages() {
        let resize = matches!(msg, Msg::Resize(..));
        update(&mut app, msg);
        if resize {
            replayed.push((at, common::render(&app, 100, 30, &mono)));
        }
    }
    assert_eq!(replayed.len(), frames.len());
    for (i, (recorded, again)) in frames.iter().zip(&replayed).enumerate() {
        assert_eq!(recorded.0, again.0, "frame {i} at another instant");
        assert_eq!(recorded.1, again.1, "frame {i} differs");
    }
    // The postmortem has the write, confirmed, with its request id.
    let happened = recording::postmortem(&rec);
    let done = happened
        .iter()
        .find(|h| h.kind == "action" && h.what.contains("confirmed and done"))
        .unwrap();
    assert!(
        done.what.contains("deploy of muejam-staging/backend"),
        "{}",
        done.what
    );
    assert!(
        done.what.contains("req-") || done.what.contains("request"),
        "{}",
        done.what
    );
    let md = recording::markdown(&rec, &happened);
    assert!(md.starts_with("## Timeline"), "{md}");
}
