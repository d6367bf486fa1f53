//! The flight recorder end to end: a cockpit session recorded through the
//! same `update` the runtime drives, read back, and replayed into a fresh
//! cockpit renders the same frames at the same instants; its postmortem
//! timeline has the operator's write with its request id.
use crate::common;

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
    let mut reader = recording::Reader::open(&path).unwrap();
    let entries: Vec<recording::Entry> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert!(!reader.truncated());
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, recording::Entry::Unchanged { .. })),
        "polls that bring nothing new are written short"
    );
    // Replay: a fresh cockpit fed what was recorded; a frame after each
    // resize, where the session drew one.
    let header = reader.header().clone();
    let mut app = App::new(header.environments.clone(), header.started, false);
    app.demo = header.demo;
    let mut replayed = vec![];
    let messages = recording::Reader::open(&path).unwrap().messages();
    for (at, msg) in messages.map(Result::unwrap) {
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
    let report = recording::postmortem(&path).unwrap();
    let done = report
        .happenings
        .iter()
        .find(|h| {
            h.kind == flightdeck::recording::HappeningKind::Action
                && h.what.contains("confirmed and done")
        })
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
    let md = recording::markdown(&report);
    assert!(md.starts_with("## Timeline"), "{md}");
    // In the cockpit the word that a write is done reaches the session a
    // moment after ECS stamped the deployment it started: the postmortem
    // still tells the cause first (the plan, the write, then the
    // deployment), each line with its own time.
    let mut late = recording::Postmortem::new(&header);
    for mut entry in entries {
        if let recording::Entry::Executed { at, .. } = &mut entry {
            *at += chrono::Duration::seconds(1);
        }
        let at = entry.at();
        late.take(&entry, at);
    }
    let order: Vec<String> = late
        .finish()
        .into_iter()
        .filter(|h| h.service.as_deref() == Some("backend"))
        .map(|h| format!("{} {}: {}", h.at.format("%H:%M:%S"), h.kind, h.what))
        .collect();
    let find = |text: &str| {
        order
            .iter()
            .position(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in {order:#?}"))
    };
    assert!(
        find("planned deploy") < find("confirmed and done")
            && find("confirmed and done") < find("deployment to muejam-backend"),
        "{order:#?}"
    );
}

/// A short recorded session with a planned deploy (the confirmation
/// shown, then cancelled), for the replay and the command.
fn recorded_session(path: &std::path::Path) {
    let mono = common::theme("monochrome");
    let mut h = Harness::recorded(path);
    h.screen(100, 30, &mono);
    h.go_to_env("muejam-staging");
    h.advance(chrono::Duration::seconds(20));
    h.keys("D");
    h.clear_field();
    h.keys("acme/backend:v9");
    h.key(KeyCode::Enter);
    h.advance(chrono::Duration::seconds(20));
    h.key(KeyCode::Esc);
    h.advance(chrono::Duration::seconds(20));
}

#[test]
fn the_replay_jumps_to_the_operators_action_and_exports_an_asciicast() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    recorded_session(&path);
    let mut replay = recording::Replay::open(&path).unwrap();
    let plan = replay.next_marker().unwrap();
    replay.advance_to(plan);
    let mono = common::theme("monochrome");
    let screen = common::render(&replay.app, 100, 30, &mono);
    assert!(screen.contains("Plan: deploy"), "{screen}");
    assert!(replay.bar(false, 2).starts_with("REPLAY || 2x"));
    // Paused, the viewer looks at another pane; going on restores the
    // recorded view.
    let recorded_pane = replay.app.pane;
    replay.look(crossterm::event::KeyEvent::new(
        KeyCode::Esc,
        crossterm::event::KeyModifiers::NONE,
    ));
    replay.look(crossterm::event::KeyEvent::new(
        KeyCode::Char('3'),
        crossterm::event::KeyModifiers::NONE,
    ));
    assert_eq!(replay.app.pane, flightdeck::app::Pane::Alarms);
    assert!(replay.bar(false, 2).contains("looking around"));
    // Write keys plan nothing, open no form and say why (issue 23, QA:
    // they opened live-looking forms and a "Working" box forever).
    for key in ['1', 'R', 'D', 'S'] {
        replay.look(crossterm::event::KeyEvent::new(
            KeyCode::Char(key),
            if key.is_ascii_uppercase() {
                crossterm::event::KeyModifiers::SHIFT
            } else {
                crossterm::event::KeyModifiers::NONE
            },
        ));
        assert_eq!(replay.app.dialog, None, "{key}");
    }
    assert!(
        replay
            .app
            .notice
            .as_deref()
            .unwrap_or_default()
            .contains("a replay is read-only"),
        "{:?}",
        replay.app.notice
    );
    // ...in the bar, the replay's footer (QA: the notice was under it).
    let bar = replay.bar(false, 2);
    assert!(bar.contains("a replay is read-only: nothing runs"), "{bar}");
    replay.advance_to(plan);
    assert_eq!(replay.app.pane, recorded_pane);
    assert!(common::render(&replay.app, 100, 30, &mono).contains("Plan: deploy"));
    replay.advance_to(replay.end());
    assert!(replay.is_done());

    // Written as it plays, to any writer.
    let mut out = Vec::new();
    let mut replay = recording::Replay::open(&path).unwrap();
    let size = recording::ScreenSize::of(replay.first_size());
    let written = recording::asciicast(&mut replay, &mono, size, &mut out).unwrap();
    let cast = String::from_utf8(out).unwrap();
    assert_eq!(written.bytes, cast.len() as u64);
    assert_eq!(written.stopped, None);
    let mut lines = cast.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        (header["version"].as_u64(), header["width"].as_u64()),
        (Some(2), Some(100))
    );
    let mut last = -1.0;
    let mut frames = 0;
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = event[0].as_f64().unwrap();
        assert!(t > last, "times grow");
        last = t;
        assert_eq!(event[1], "o");
        frames += 1;
    }
    assert!(frames >= 2, "{cast}");
    assert!(cast.contains("Plan: deploy"));
}

/// Going back in a replay (a step, the previous action) shows each instant
/// exactly as a replay played straight to it does, also across the
/// checkpoints a longer session takes.
#[test]
fn the_replay_goes_back_to_any_instant_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    {
        let mono = common::theme("monochrome");
        let mut h = Harness::recorded(&path);
        h.screen(100, 30, &mono);
        h.go_to_env("muejam-production");
        for (minute, pane) in ["3", "1", "2", "6", "4", "1", "3", "0", "1", "5", "1", "3"]
            .iter()
            .enumerate()
        {
            h.keys(pane);
            if minute == 8 {
                h.keys("D");
                h.clear_field();
                h.keys("acme/backend:v9");
                h.key(KeyCode::Enter);
                h.advance(chrono::Duration::seconds(10));
                h.key(KeyCode::Esc);
            }
            h.advance(chrono::Duration::seconds(30));
            h.advance(chrono::Duration::seconds(30));
        }
    }
    let mono = common::theme("monochrome");
    let at = |replay: &recording::Replay| common::render(&replay.app, 100, 30, &mono);
    let start = recording::Replay::open(&path).unwrap().started;
    let instants: Vec<_> = [45, 130, 290, 310, 400, 610, 700]
        .iter()
        .map(|s| start + chrono::Duration::seconds(*s))
        .collect();
    let straight: Vec<String> = instants
        .iter()
        .map(|t| {
            let mut fresh = recording::Replay::open(&path).unwrap();
            fresh.advance_to(*t);
            at(&fresh)
        })
        .collect();
    let mut replay = recording::Replay::open(&path).unwrap();
    replay.advance_to(replay.end());
    for (t, want) in instants.iter().zip(&straight).rev() {
        replay.seek(*t);
        assert_eq!(replay.now, *t);
        assert_eq!(&at(&replay), want, "back at {t}");
    }
    // And forward again from there.
    replay.seek(instants[5]);
    assert_eq!(at(&replay), straight[5]);
    // Back by action or alarm change, one at a time, to the plan of
    // minute 8 (alarm changes after it come first).
    replay.seek(replay.end());
    let mut back = vec![];
    while let Some(previous) = replay.previous_marker() {
        replay.seek(previous);
        back.push(previous);
        if at(&replay).contains("Plan: deploy") {
            break;
        }
    }
    assert!(back.is_sorted_by(|a, b| a > b), "{back:?}");
    assert!(at(&replay).contains("Plan: deploy"), "{back:?}");
    assert!(replay.bar(false, 1).contains("[ ] 10 s"));
}

#[test]
fn the_replay_command_lists_the_timeline_and_refuses_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    recorded_session(&path);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(args)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .unwrap()
    };
    let file = path.to_str().unwrap();
    let out = run(&["replay", file, "--timeline", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions: Vec<&serde_json::Value> = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "action")
        .collect();
    assert!(
        actions[0]["what"]
            .as_str()
            .unwrap()
            .starts_with("planned deploy of muejam-staging/backend"),
        "{report}"
    );
    let out = run(&["replay", file, "--timeline", "--markdown"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("| time (UTC) | environment |"));
    let cast = dir.path().join("out.cast");
    let out = run(&["replay", file, "--export-cast", cast.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(&cast).unwrap().starts_with("{"));
    // A recording from a newer flightdeck: refused, saying so (exit 2).
    let text = std::fs::read_to_string(&path).unwrap();
    let current = format!("\"version\":{}", flightdeck::recording::VERSION);
    assert!(text.contains(&current), "{text:.200}");
    std::fs::write(&path, text.replacen(&current, "\"version\":9", 1)).unwrap();
    let out = run(&["replay", file, "--timeline"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("recorded by a newer flightdeck"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 22's hostile recordings through the command: a line years ahead
/// ends the recording before it (said with its line) and the export takes
/// seconds, not years; a recorded 65535x65535 screen is drawn at 1000x500,
/// said; an instant no recording has is refused naming file and line
/// (exit 2); a broken scenario of the operator's does not stop an export.
#[test]
fn hostile_recordings_are_refused_or_bounded_by_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    recorded_session(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines = text.lines().count();
    let scenarios = dir.path().join("config/flightdeck/scenarios");
    std::fs::create_dir_all(&scenarios).unwrap();
    std::fs::write(scenarios.join("broken.toml"), "name = [\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
            .args(args)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .output()
            .unwrap()
    };
    let file = path.to_str().unwrap();
    let cast = dir.path().join("out.cast");
    let cast = cast.to_str().unwrap();
    let stderr = |out: &std::process::Output| String::from_utf8_lossy(&out.stderr).to_string();

    std::fs::write(
        &path,
        format!("{text}{{\"m\":\"tick\",\"at\":\"9999-12-31T23:59:59Z\"}}\n"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = run(&["replay", file, "--export-cast", cast]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    let said = format!("session.jsonl: line {} is 7973 years after", lines + 1);
    assert!(stderr(&out).contains(&said), "{}", stderr(&out));
    let out = run(&["replay", file, "--timeline", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&said), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["warnings"][0]
            .as_str()
            .unwrap()
            .contains("7973 years")
    );

    let (header, rest) = text.split_once('\n').unwrap();
    std::fs::write(
        &path,
        format!(
            "{header}\n{{\"m\":\"resize\",\"at\":\"2000-01-01T00:00:00Z\",\"width\":65535,\"height\":65535}}\n{rest}"
        ),
    )
    .unwrap();
    let out = run(&["replay", file, "--export-cast", cast]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the recorded screen is 65535x65535; the cast is drawn at 1000x500"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("a line goes back in time, line 2"),
        "{}",
        stderr(&out)
    );

    std::fs::write(
        &path,
        format!("{text}{{\"m\":\"tick\",\"at\":\"+262142-12-31T23:59:59Z\"}}\n{{\"m\":\"tick\",\"at\":\"2000-01-01T00:00:00Z\"}}\n"),
    )
    .unwrap();
    for args in [
        &["replay", file, "--timeline"][..],
        &["replay", file, "--export-cast", cast][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("session.jsonl:{}: its time", lines + 1)),
            "{}",
            stderr(&out)
        );
    }
}

/// A recording of the first format version (a drill's first seconds,
/// from before services had `alternate_target_groups`) reads and replays
/// with this build: a field added to the data must not make older
/// recordings unreadable.
#[test]
fn a_version_1_recording_still_reads_and_replays() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recording-v1.jsonl");
    let mut reader = recording::Reader::open(&path).unwrap();
    assert_eq!(reader.header().version, 1);
    assert_eq!(reader.header().drill.as_deref(), Some("bad-deploy"));
    assert_eq!(reader.by_ref().count(), 15);
    assert!(!reader.truncated());
    let mut replay = recording::Replay::open(&path).unwrap();
    replay.advance_to(replay.end());
    assert!(replay.is_done());
    let mono = common::theme("monochrome");
    let screen = common::render(&replay.app, 100, 30, &mono);
    assert!(screen.contains("muejam-production"), "{screen}");
    assert!(screen.contains("backend"), "{screen}");
}

/// Issue 23, item 16: a replay says REPLAY and read-only, its recorded
/// plan says nothing runs, and the viewer's keys never type into it.
#[test]
fn a_replay_says_so_and_its_recorded_confirmation_takes_no_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    {
        let mut h = Harness::recorded(&path);
        h.go_to_env("radiox-prod");
        h.advance(chrono::Duration::seconds(20));
        h.keys("S");
        h.clear_field();
        h.keys("6");
        h.key(KeyCode::Enter);
        h.advance(chrono::Duration::seconds(20));
    }
    let mut replay = recording::Replay::open(&path).unwrap();
    replay.advance_to(replay.end());
    // As the runtime's replay loop does before every frame.
    replay.app.replay_bar = Some(replay.bar(false, 1));
    let mono = common::theme("monochrome");
    let screen = common::render(&replay.app, 120, 40, &mono);
    assert!(
        screen.contains("REPLAY [RO]") && !screen.contains("[RW]"),
        "{screen}"
    );
    assert!(screen.contains("nothing runs here"), "{screen}");
    assert!(!screen.contains("type the service name"), "{screen}");
    let Some(flightdeck::app::write::Dialog::Confirm(before)) = replay.app.dialog.clone() else {
        panic!("{:?}", replay.app.dialog);
    };
    for c in "backend-api\r".chars() {
        let code = if c == '\r' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        replay.look(crossterm::event::KeyEvent::new(
            code,
            crossterm::event::KeyModifiers::NONE,
        ));
    }
    let Some(flightdeck::app::write::Dialog::Confirm(after)) = &replay.app.dialog else {
        panic!("{:?}", replay.app.dialog);
    };
    assert_eq!(
        after.typed, before.typed,
        "nothing typed into a recorded confirmation"
    );
    assert!(
        replay
            .app
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("nothing runs")
    );
}

/// Issue 23, item 7 (acceptance): the postmortem of RadioX's blue/green
/// release deployed, continued at its pause and rolled back during its
/// bake, each write's answer received a second after the write (as in the
/// cockpit). Its time column never runs backwards, and what ECS did
/// follows the write that made it do it: the deployment's start its
/// deploy (not the continue that also names it), the rollback's event the
/// rollback; what was seen before a write stays before it.
#[test]
fn the_postmortem_of_a_rollback_during_a_bake_tells_causes_first_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    {
        let mut h = Harness::recorded(&path);
        h.go_to_env("radiox-prod");
        h.select_service("backend-api");
        h.advance(chrono::Duration::seconds(7));
        h.keys("D");
        h.clear_field();
        h.keys("acme/backend-api:v2.14.9");
        h.key(KeyCode::Enter);
        h.keys("backend-api");
        h.key(KeyCode::Enter);
        for _ in 0..30 {
            h.advance(chrono::Duration::seconds(10));
        }
        h.advance(chrono::Duration::seconds(3));
        h.keys("C");
        h.keys("backend-api");
        h.key(KeyCode::Enter);
        for _ in 0..3 {
            h.advance(chrono::Duration::seconds(10));
        }
        h.advance(chrono::Duration::seconds(4));
        h.keys("R");
        h.keys("backend-api");
        h.key(KeyCode::Enter);
        for _ in 0..6 {
            h.advance(chrono::Duration::seconds(10));
        }
    }
    let mut reader = recording::Reader::open(&path).unwrap();
    let entries: Vec<recording::Entry> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    let mut late = recording::Postmortem::new(reader.header());
    for mut entry in entries {
        if let recording::Entry::Executed { at, .. } = &mut entry {
            *at += chrono::Duration::seconds(1);
        }
        let at = entry.at();
        late.take(&entry, at);
    }
    let lines = late.finish();
    for pair in lines.windows(2) {
        assert!(pair[0].at <= pair[1].at, "{:#?}", pair);
    }
    let order: Vec<String> = lines
        .iter()
        .filter(|h| h.service.as_deref() == Some("backend-api"))
        .map(|h| format!("{} {}: {}", h.at.format("%H:%M:%S"), h.kind, h.what))
        .collect();
    let find = |text: &str| {
        order
            .iter()
            .position(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no {text:?} in {order:#?}"))
    };
    assert!(
        find("deploy of radiox-prod/backend-api confirmed and done")
            < find(":43: PRIMARY IN_PROGRESS")
            && find(":43: PRIMARY IN_PROGRESS") < find("continue of radiox-prod/backend-api"),
        "{order:#?}"
    );
    assert!(
        find(":42: ACTIVE COMPLETED") < find("rollback of radiox-prod/backend-api confirmed"),
        "{order:#?}"
    );
    assert!(
        find("rollback of radiox-prod/backend-api confirmed") < find("rolled back: Stopped"),
        "{order:#?}"
    );
}
