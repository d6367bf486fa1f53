//! The recording format: written, read back whole, short for repeated
//! polls, redacted, and refused or read as far as it goes when damaged.

use super::*;

/// A recording read through, for a test: its entries in memory.
#[derive(Debug)]
struct Read {
    header: Header,
    entries: Vec<Entry>,
    truncated: bool,
}

fn read(path: &Path) -> Result<Read, RecordingError> {
    let mut reader = Reader::open(path)?;
    let entries = reader.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok(Read {
        header: reader.header().clone(),
        entries,
        truncated: reader.truncated(),
    })
}

/// Its messages, each at the instant it plays at.
fn messages(path: &Path) -> Vec<(Timestamp, Msg)> {
    Reader::open(path)
        .unwrap()
        .messages()
        .collect::<Result<_, _>>()
        .unwrap()
}
use chrono::TimeZone;
use flightdeck_core::engine::{Fetched, JobKey, JobKind};
use flightdeck_model::{Alarm, Comparison, Severity};

fn t(secs: i64) -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap()
        + chrono::Duration::seconds(secs)
}

fn header() -> Header {
    Header {
        format: FORMAT.into(),
        version: VERSION,
        started: t(0),
        environments: vec![],
        demo: true,
        drill: None,
        current: None,
        read_only: false,
        keys: vec![],
    }
}

fn alarm(state: AlarmState, at: i64) -> Alarm {
    Alarm {
        name: "api-5xx".into(),
        description: String::new(),
        state,
        state_reason: "Threshold Crossed".into(),
        state_updated_at: t(at),
        metric: flightdeck_model::MetricName::HttpCodeTarget5xxCount,
        namespace: flightdeck_model::MetricNamespace::ApplicationElb,
        dimensions: vec![("ServiceName".into(), "api".into())],
        statistic: flightdeck_model::Statistic::Sum,
        threshold: 10.0,
        comparison: Comparison::GreaterThanThreshold,
        period_secs: 60,
        evaluation_periods: 1,
        unit: String::new(),
        severity: Severity::Critical,
        actions: vec![],
        tags: vec![],
    }
}

fn alarms(state: AlarmState, at: i64) -> Msg {
    Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::Alarms,
        },
        data: Fetched {
            fetched_at: t(at),
            generation: 1,
            run: None,
            result: Ok(Payload::Alarms(vec![alarm(state, at)])),
        },
    }))
}

use flightdeck_model::AlarmState;

#[test]
fn a_recording_reads_back_what_was_written_with_ticks_once_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    let key = Msg::Key(KeyEvent::new(
        crossterm::event::KeyCode::Char('R'),
        crossterm::event::KeyModifiers::SHIFT,
    ));
    use crate::app::mouse::{MouseInput, Target};
    // A click is kept as what it hit, not where: a replay at another
    // size does the same.
    let click = Msg::Mouse(MouseInput::Click(Some(Target::Row(
        crate::app::Pane::Alarms,
        4,
    ))));
    for (msg, at) in [
        (Msg::Tick(t(1)), t(1)),
        (Msg::Tick(t(1)), t(1)),
        (alarms(AlarmState::Ok, 2), t(2)),
        (alarms(AlarmState::Ok, 2), t(2)),
        (key.clone(), t(3)),
        (Msg::Resize(80, 24), t(3)),
        (click.clone(), t(3)),
        (alarms(AlarmState::Alarm, 60), t(60)),
    ] {
        r.record(&msg, at).unwrap();
    }
    drop(r);
    let rec = read(&path).unwrap();
    assert_eq!(rec.header, header());
    assert!(!rec.truncated);
    assert_eq!(
        rec.entries.len(),
        7,
        "the second tick of the same second is left out"
    );
    assert!(
        matches!(rec.entries[2], Entry::Unchanged { .. }),
        "the same data again is written short: {:?}",
        rec.entries[2]
    );
    let messages = messages(&path);
    assert_eq!(
        messages[2].1,
        alarms(AlarmState::Ok, 2),
        "and read back whole"
    );
    assert_eq!(messages[3].1, key);
    assert_eq!(messages[5].1, click);
    assert_eq!(messages[6].0, t(60));
    let report = postmortem(&path).unwrap();
    let happened = &report.happenings;
    assert_eq!(happened.len(), 1, "{happened:?}");
    assert_eq!(happened[0].what, "api-5xx: OK -> ALARM: Threshold Crossed");
    assert_eq!(happened[0].service.as_deref(), Some("api"));
    assert_eq!(report.entries, 7);
    let md = markdown(&report);
    assert!(
        md.contains("| 14:01:00 | shop | api | alarm: api-5xx: OK -> ALARM: Threshold Crossed |"),
        "{md}"
    );
}

#[test]
fn newer_torn_and_foreign_files_are_refused_or_read_as_far_as_they_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    r.record(&alarms(AlarmState::Ok, 1), t(1)).unwrap();
    r.record(&alarms(AlarmState::Alarm, 2), t(2)).unwrap();
    drop(r);
    let text = std::fs::read_to_string(&path).unwrap();
    // A crash in the middle of the last line.
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    let rec = read(&path).unwrap();
    assert!(rec.truncated);
    assert_eq!(rec.entries.len(), 1);
    // A torn line in the middle is damage, not a crash: named by line.
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&path, format!("{}\n{{\"m\":\n{}\n", lines[0], lines[2])).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("r.jsonl:2:"), "{e}");
    // A newer format is refused with what to do.
    let newer = text.replacen(&format!("\"version\":{VERSION}"), "\"version\":7", 1);
    std::fs::write(&path, newer).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "newer flightdeck (format version 7; this one reads up to {VERSION})"
        )),
        "{e}"
    );
    std::fs::write(&path, "{\"hello\": 1}\n").unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("not a flightdeck recording"), "{e}");
}

#[test]
fn secret_environment_values_are_not_written() {
    use flightdeck_model::{
        ContainerDefinition, EnvVar, TaskDefRef, TaskDefinition, TaskDefinitionStatus,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    let td = TaskDefinition {
        reference: TaskDefRef::new("api", 3),
        cpu: 256,
        memory: 512,
        containers: vec![ContainerDefinition {
            name: "api".into(),
            image: "acme/api:1".into(),
            cpu: 256,
            memory: 512,
            essential: true,
            port: None,
            environment: vec![
                EnvVar {
                    name: "DATABASE_PASSWORD".into(),
                    value: "hunter2-very-secret".into(),
                },
                EnvVar {
                    name: "LOG_LEVEL".into(),
                    value: "info".into(),
                },
            ]
            .into_iter()
            .chain(
                leaked()
                    .into_iter()
                    .map(|(name, value, _)| EnvVar { name, value }),
            )
            .collect(),
            secrets: vec![],
            log_group: None,
            log_stream_prefix: None,
            logs_elsewhere: None,
        }],
        registered_at: t(0),
        status: TaskDefinitionStatus::Active,
    };
    let msg = Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::TaskDefinition(TaskDefRef::new("api", 3)),
        },
        data: Fetched {
            fetched_at: t(1),
            generation: 1,
            run: None,
            result: Ok(Payload::TaskDefinition(Box::new(td))),
        },
    }));
    r.record(&msg, t(1)).unwrap();
    drop(r);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    for (name, _, secret) in leaked() {
        assert!(!text.contains(&secret), "{name}'s {secret:?} in {text}");
    }
    assert_eq!(
        text.matches("****** (redacted)").count(),
        1 + leaked().len(),
        "{text}"
    );
    assert!(text.contains("\"info\""), "{text}");
}

/// The shapes issue 22 found in clear (`fuzz/corpus/secrets/leaked.json`):
/// `(name, value, what must never show)`. Fake, every one.
fn leaked() -> Vec<(String, String, String)> {
    serde_json::from_str(include_str!("../../../../fuzz/corpus/secrets/leaked.json")).unwrap()
}

/// A session's file is bounded: past its limit the recorder stops with a
/// message naming the setting, and what it wrote reads back whole.
#[test]
fn a_recording_stops_at_its_limit_and_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap().limit(4096);
    let mut recorded = 0;
    let error = loop {
        let state = if recorded % 2 == 0 {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        match r.record(&alarms(state, recorded), t(recorded)) {
            Ok(()) => recorded += 1,
            Err(e) => break e,
        }
        assert!(recorded < 1000, "never stopped");
    };
    assert!(matches!(error, RecordingError::Full { .. }), "{error}");
    assert!(error.to_string().contains("[recording] max_mb"), "{error}");
    drop(r);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!((4096..4096 + 2048).contains(&size), "{size}");
    let rec = read(&path).unwrap();
    assert!(!rec.truncated);
    assert_eq!(rec.entries.len(), recorded as usize);
}

// Hostile recordings: whatever a file holds, reading it is bounded in
// memory and time, and what cannot be read is refused naming its line.

use std::io::{BufRead, Cursor};

/// The name hostile recordings go by in messages.
const NAME: &str = "hostile.jsonl";

/// A header line starting at `started`, on the environment `shop`.
fn header_at(started: &str) -> String {
    let mut h = serde_json::to_value(header()).unwrap();
    h["started"] = started.into();
    h["environments"] = serde_json::json!([
        {"name": "shop", "region": "eu-west-1", "production": false, "read_only": false}
    ]);
    format!("{h}\n")
}

/// A recording in memory: the header at [`t`]`(0)`, then `lines`.
fn in_memory(lines: &[String]) -> Vec<u8> {
    let mut text = header_at(&t(0).to_rfc3339());
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text.into_bytes()
}

fn reader(bytes: Vec<u8>) -> Result<Reader<Cursor<Vec<u8>>>, RecordingError> {
    Reader::new(Path::new(NAME), Cursor::new(bytes))
}

fn replay_of(bytes: Vec<u8>) -> Replay<Cursor<Vec<u8>>> {
    Replay::from_reader(reader(bytes).unwrap()).unwrap()
}

/// A tick line at `at` as written.
fn tick(at: &str) -> String {
    format!(r#"{{"m":"tick","at":"{at}"}}"#)
}

fn tick_at(secs: i64) -> String {
    tick(&t(secs).to_rfc3339())
}

fn monochrome() -> crate::theme::Theme {
    crate::theme::ThemeSet::load(None)
        .unwrap()
        .require("monochrome")
        .unwrap()
        .clone()
}

fn screen(app: &crate::app::App) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).unwrap();
    terminal
        .draw(|f| crate::ui::render(f, app, &monochrome()))
        .unwrap();
    terminal.backend().to_string()
}

/// The replay's export, at `size`, bounded by `bounds` (frames, bytes).
fn export<R: BufRead + std::io::Seek>(
    replay: &mut Replay<R>,
    size: ScreenSize,
    bounds: (u64, u64),
) -> (Cast, String) {
    let mut out = Vec::new();
    let cast = replay::cast(replay, &monochrome(), size, &mut out, bounds).unwrap();
    (cast, String::from_utf8(out).unwrap())
}

fn small() -> ScreenSize {
    ScreenSize::of(Some((60, 16)))
}

/// A 13-minute session: a tick a second, the alarms every 10 s (going off
/// every 3 minutes, polls in between written short), a pane every 30 s.
fn thirteen_minutes(path: &Path) {
    let mut h = header();
    h.environments = vec![flightdeck_model::EnvironmentInfo {
        name: "shop".into(),
        region: "eu-west-1".into(),
        production: false,
        read_only: false,
    }];
    let mut r = Recorder::create(path, &h).unwrap();
    r.record(&Msg::Resize(100, 30), t(0)).unwrap();
    for s in 0..13 * 60 {
        r.record(&Msg::Tick(t(s)), t(s)).unwrap();
        if s % 10 == 0 {
            let state = if (s / 180) % 2 == 1 {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            };
            r.record(&alarms(state, (s / 180) * 180), t(s)).unwrap();
        }
        if s % 30 == 15 {
            let pane = ['3', '1', '2', '6', '4', '1', '3', '5'][(s / 30) as usize % 8];
            let key = KeyEvent::new(
                crossterm::event::KeyCode::Char(pane),
                crossterm::event::KeyModifiers::NONE,
            );
            r.record(&Msg::Key(key), t(s)).unwrap();
        }
    }
}

/// The replay keeps copies of the cockpit and where the file goes on from
/// them, not the recording: going back reads the file again from a copy
/// and shows each instant as a replay played straight to it does.
#[test]
fn a_replay_goes_back_to_any_instant_as_a_straight_replay_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    thirteen_minutes(&path);
    let instants: Vec<Timestamp> = [45, 130, 290, 310, 400, 610, 700, 779]
        .iter()
        .map(|s| t(*s))
        .collect();
    let straight: Vec<String> = instants
        .iter()
        .map(|at| {
            let mut fresh = Replay::open(&path).unwrap();
            fresh.advance_to(*at);
            screen(&fresh.app)
        })
        .collect();
    assert!(straight[2].contains("ALARM") || straight[1] != straight[2]);
    let mut replay = Replay::open(&path).unwrap();
    assert_eq!(replay.end(), t(779));
    replay.advance_to(replay.end());
    assert!(replay.is_done());
    assert!(replay.checkpoints() >= 3, "{}", replay.checkpoints());
    for (at, want) in instants.iter().zip(&straight).rev() {
        replay.seek(*at);
        assert_eq!(replay.now, *at);
        assert_eq!(&screen(&replay.app), want, "back at {at}");
    }
    replay.seek(instants[5]);
    assert_eq!(screen(&replay.app), straight[5], "and forward again");
    // The alarm's changes are marks to jump to.
    assert_eq!(replay.markers().first(), Some(&t(180)));
    replay.seek(replay.end());
    let back = replay.previous_marker().unwrap();
    replay.seek(back);
    assert_eq!(screen(&replay.app), {
        let mut fresh = Replay::open(&path).unwrap();
        fresh.advance_to(back);
        screen(&fresh.app)
    });
    assert!(replay.problem().is_none());
}

/// Issue 22: one far-future line made an export render a frame for every
/// second until then (years). A line more than a week after the one before
/// it ends the recording before it, said with its line; the export of what
/// comes before is quick.
#[test]
fn a_line_far_in_the_future_ends_the_recording_before_it() {
    let mut lines: Vec<String> = (0..30).map(tick_at).collect();
    lines.push(tick("9999-12-31T23:59:59Z"));
    lines.push(tick_at(31));
    let mut r = reader(in_memory(&lines)).unwrap();
    assert_eq!(r.by_ref().count(), 30);
    assert!(
        matches!(r.ending(), Some(Ending::Gap { line: 32, .. })),
        "{:?}",
        r.ending()
    );
    let warnings = r.warnings().join("\n");
    assert!(
        warnings.contains("line 32 is 7973 years after the line before it")
            && warnings.contains("7 days"),
        "{warnings}"
    );
    let mut replay = replay_of(in_memory(&lines));
    assert_eq!(replay.end(), t(29));
    let started = std::time::Instant::now();
    let (cast, text) = export(&mut replay, small(), (MAX_FRAMES, MAX_CAST_BYTES));
    assert!(cast.stopped.is_none());
    assert!(cast.frames <= 31, "{}", cast.frames);
    assert_eq!(text.lines().count() as u64, cast.frames + 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // A week exactly is a pause, not a jump.
    let week = [tick_at(0), tick_at(7 * 24 * 3600)];
    assert_eq!(reader(in_memory(&week)).unwrap().count(), 2);
}

/// A pause of days (a laptop asleep) costs no frames: nothing changes
/// while nothing is recorded, so those seconds are not drawn; the cast's
/// times still say how long it was.
#[test]
fn a_long_pause_costs_an_export_nothing() {
    let days = 6 * 24 * 3600;
    let lines = [tick_at(0), tick_at(1), tick_at(days), tick_at(days + 1)];
    let mut replay = replay_of(in_memory(&lines));
    let (cast, text) = export(&mut replay, small(), (MAX_FRAMES, MAX_CAST_BYTES));
    assert!(cast.frames <= 5, "{}", cast.frames);
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last[0].as_f64(), Some((days + 1) as f64), "{last}");
}

/// Ticks that go back (a drill restarted, a clock set back) play in the
/// order of their lines, each at the latest instant before it, and it is
/// said; the replay's end is the latest instant.
#[test]
fn time_going_back_plays_in_file_order_and_is_said() {
    let lines = [tick_at(10), tick_at(5), tick_at(7), tick_at(20)];
    let mut r = reader(in_memory(&lines)).unwrap();
    let mut instants = vec![];
    while let Some(entry) = r.next() {
        entry.unwrap();
        instants.push(r.instant());
    }
    assert_eq!(instants, [t(10), t(10), t(10), t(20)]);
    let warnings = r.warnings().join("\n");
    assert!(
        warnings.contains("2 lines go back in time, the first at line 3"),
        "{warnings}"
    );
    // Before the header's start, too.
    let mut r = reader(in_memory(&[tick_at(-60)])).unwrap();
    r.next().unwrap().unwrap();
    assert_eq!(r.instant(), t(0));
    assert!(r.warnings()[0].contains("a line goes back in time"));
    let replay = replay_of(in_memory(&lines));
    assert_eq!(replay.end(), t(20));
}

/// chrono reads years up to 262142; a replay's arithmetic would overflow
/// near there. A recording's instants are refused outside 1970 to 9999,
/// naming the line.
#[test]
fn instants_outside_the_years_are_refused_naming_the_line() {
    for (lines, line) in [
        (vec![tick_at(1), tick("+262142-12-31T23:59:59Z")], 3),
        (vec![tick("1969-12-31T23:59:59Z")], 2),
        (vec![tick("-0001-01-01T00:00:00Z")], 2),
    ] {
        let mut r = reader(in_memory(&lines)).unwrap();
        let e = r.find_map(Result::err).unwrap().to_string();
        assert!(
            e.starts_with(&format!("{NAME}:{line}: its time")) && e.contains("1970 to 9999"),
            "{e}"
        );
        let Err(e) = Replay::from_reader(reader(in_memory(&lines)).unwrap()) else {
            panic!("replayed");
        };
        assert!(e.to_string().starts_with(&format!("{NAME}:{line}:")), "{e}");
    }
    let e = reader(header_at("+200000-01-01T00:00:00Z").into_bytes())
        .err()
        .unwrap()
        .to_string();
    assert!(e.starts_with(&format!("{NAME}:1: its time")), "{e}");
}

/// Issue 22: a recorded 65535x65535 screen made the export allocate
/// 206 GB and abort. The export draws at most 1000x500, and says so.
#[test]
fn a_huge_recorded_screen_is_drawn_at_most_1000_by_500() {
    assert_eq!(
        ScreenSize::of(Some((65535, 65535))),
        ScreenSize {
            width: MAX_WIDTH,
            height: MAX_HEIGHT,
            clamped_from: Some((65535, 65535))
        }
    );
    assert_eq!(
        ScreenSize::of(Some((1200, 40))),
        ScreenSize {
            width: 1000,
            height: 40,
            clamped_from: Some((1200, 40))
        }
    );
    let none = ScreenSize::of(Some((0, 24)));
    assert_eq!((none.width, none.height), ScreenSize::DEFAULT);
    assert_eq!(none.clamped_from, Some((0, 24)));
    assert_eq!(
        ScreenSize::of(Some((80, 24))),
        ScreenSize {
            width: 80,
            height: 24,
            clamped_from: None
        }
    );
    assert_eq!(ScreenSize::of(None).clamped_from, None);
    let lines = [
        r#"{"m":"resize","at":"2026-11-22T14:00:00Z","width":65535,"height":65535}"#.to_string(),
        tick_at(1),
    ];
    let mut replay = replay_of(in_memory(&lines));
    assert_eq!(replay.first_size(), Some((65535, 65535)));
    let size = ScreenSize::of(replay.first_size());
    let (cast, text) = export(&mut replay, size, (MAX_FRAMES, MAX_CAST_BYTES));
    assert!(cast.frames >= 1);
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(1000), Some(500))
    );
}

/// A line above the cap is refused with its file and line, without
/// reading more of it; a long line read does not keep its memory.
#[test]
fn a_line_longer_than_the_cap_is_refused_naming_it() {
    let mut bytes = in_memory(&[tick_at(1)]);
    bytes.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
    bytes.extend(format!("\n{}\n", tick_at(2)).bytes());
    let mut r = reader(bytes).unwrap();
    r.next().unwrap().unwrap();
    let e = r.next().unwrap().unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{NAME}:3: longer than 64 MB, more than a recording's line holds")
    );
    assert!(r.next().is_none(), "an error ends the reading");
    // A header above the cap: no recording.
    let e = reader(vec![b'{'; MAX_LINE_BYTES + 2])
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("its first line is longer than 64 MB"), "{e}");
    // A 5 MB line (a page of huge log lines), then a tick: the buffer
    // shrinks back.
    let big = serde_json::to_string(&Entry::Data {
        at: t(1),
        event: Box::new(DataEvent {
            key: JobKey {
                env: "shop".into(),
                kind: JobKind::Alarms,
            },
            data: Fetched {
                fetched_at: t(1),
                generation: 1,
                run: None,
                result: Err(flightdeck_core::provider::ProviderError::Other(
                    "x".repeat(5 * 1024 * 1024),
                )),
            },
        }),
    })
    .unwrap();
    let mut r = reader(in_memory(&[big, tick_at(2)])).unwrap();
    r.next().unwrap().unwrap();
    assert!(r.buffer_capacity() >= 5 * 1024 * 1024);
    r.next().unwrap().unwrap();
    assert!(
        r.buffer_capacity() <= read::KEEP_BUFFER,
        "{}",
        r.buffer_capacity()
    );
}

/// The recorder never writes a line a replay would refuse: it stops
/// before it, saying why, and what it wrote reads back whole.
#[test]
fn the_recorder_stops_before_a_line_no_replay_would_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.jsonl");
    let mut r = Recorder::create(&path, &header()).unwrap();
    r.record(&Msg::Tick(t(1)), t(1)).unwrap();
    let huge = Msg::Data(Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::Alarms,
        },
        data: Fetched {
            fetched_at: t(2),
            generation: 1,
            run: None,
            result: Err(flightdeck_core::provider::ProviderError::Other(
                "x".repeat(MAX_LINE_BYTES),
            )),
        },
    }));
    let e = r.record(&huge, t(2)).unwrap_err();
    assert!(matches!(e, RecordingError::TooLong { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("more than a recording's line holds (64 MB)"),
        "{e}"
    );
    drop(r);
    let rec = read(&path).unwrap();
    assert_eq!(rec.entries.len(), 1);
    assert!(!rec.truncated);
}

/// Past the most entries a recording may hold, the rest is left out and
/// said.
#[test]
fn past_the_most_entries_the_rest_is_left_out() {
    let lines: Vec<String> = (0..5).map(tick_at).collect();
    let mut r = reader(in_memory(&lines)).unwrap().max_entries(3);
    assert_eq!(r.by_ref().count(), 3);
    assert_eq!(r.ending(), Some(&Ending::TooMany { line: 5 }));
    assert!(
        r.warnings()[0].contains("more than 3 entries: line 5 and what follows are left out"),
        "{:?}",
        r.warnings()
    );
}

/// An export stops at its bounds (frames, bytes) and says where.
#[test]
fn an_export_stops_at_its_bounds_and_says_where() {
    let lines: Vec<String> = (0..60).map(tick_at).collect();
    let mut replay = replay_of(in_memory(&lines));
    let (cast, text) = export(&mut replay, small(), (10, u64::MAX));
    assert_eq!(cast.stopped, Some(t(9)));
    assert!(cast.frames <= 10);
    assert_eq!(text.lines().count() as u64, cast.frames + 1);
    let mut replay = replay_of(in_memory(&lines));
    let (cast, _) = export(&mut replay, small(), (u64::MAX, 1));
    assert_eq!((cast.stopped, cast.frames), (Some(t(0)), 1));
    // Unbounded, the whole minute.
    let mut replay = replay_of(in_memory(&lines));
    let (cast, _) = export(&mut replay, small(), (MAX_FRAMES, MAX_CAST_BYTES));
    assert_eq!(cast.stopped, None);
}

/// The timeline keeps at most its bound of lines and follows at most its
/// bound of things, and says what it left out.
#[test]
fn the_timeline_is_bounded_and_says_what_it_left_out() {
    let mut timeline = Postmortem::new(&header()).bounded(3, 100);
    for i in 0..10 {
        let state = if i % 2 == 0 {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        let Msg::Data(event) = alarms(state, i) else {
            unreachable!()
        };
        timeline.take(&Entry::Data { at: t(i), event }, t(i));
    }
    let warning = timeline.warning().unwrap();
    assert!(warning.contains("7 more lines"), "{warning}");
    assert_eq!(timeline.finish().len(), 3);
    let mut timeline = Postmortem::new(&header()).bounded(100, 2);
    let many = (0..5)
        .map(|i| {
            let mut a = alarm(AlarmState::Alarm, 0);
            a.name = format!("alarm-{i}");
            a
        })
        .collect();
    let event = Box::new(DataEvent {
        key: JobKey {
            env: "shop".into(),
            kind: JobKind::Alarms,
        },
        data: Fetched {
            fetched_at: t(1),
            generation: 1,
            run: None,
            result: Ok(Payload::Alarms(many)),
        },
    });
    timeline.take(&Entry::Data { at: t(1), event }, t(1));
    assert!(timeline.warning().unwrap().contains("3 more things"));
    assert_eq!(timeline.finish().len(), 2);
}

/// Everything a replay does with a recording, on `bytes`: read it, fold
/// its timeline, replay it forward and back, export it. Never a panic;
/// either refused naming the file (and the line past the header) or read
/// within the bounds: no line above [`MAX_LINE_BYTES`], no instant outside
/// [`YEARS`], at most [`MAX_ENTRIES`] entries, a bounded timeline,
/// markers, checkpoints and export. The memory bound is structural: a line
/// buffer of at most [`MAX_LINE_BYTES`] (back to [`read::KEEP_BUFFER`]
/// after it), one entry, and the bounded collections.
fn read_everything(bytes: &[u8]) -> Result<(), String> {
    let named = |e: &RecordingError| {
        let text = e.to_string();
        if text.starts_with(NAME) {
            Ok(())
        } else {
            Err(format!("an error that names no file: {text}"))
        }
    };
    let mut r = match reader(bytes.to_vec()) {
        Ok(r) => r,
        Err(e) => return named(&e),
    };
    let mut timeline = Postmortem::new(r.header());
    let mut entries = 0u64;
    while let Some(entry) = r.next() {
        match entry {
            Ok(entry) => {
                entries += 1;
                let at = r.instant();
                if !YEARS.contains(&chrono::Datelike::year(&at)) {
                    return Err(format!("an instant outside the years: {at}"));
                }
                if r.buffer_capacity() > read::KEEP_BUFFER.max(bytes.len() + 1) {
                    return Err(format!("a buffer of {}", r.buffer_capacity()));
                }
                timeline.take(&entry, at);
            }
            Err(e) => {
                named(&e)?;
                if !e.to_string().starts_with(&format!("{NAME}:")) {
                    return Err(format!("no line: {e}"));
                }
            }
        }
    }
    if entries > MAX_ENTRIES {
        return Err(format!("{entries} entries"));
    }
    if timeline.finish().len() > MAX_HAPPENINGS {
        return Err("an unbounded timeline".into());
    }
    let messages = reader(bytes.to_vec())
        .map_err(|e| e.to_string())?
        .messages()
        .count();
    if messages as u64 > entries + 1 {
        return Err(format!("{messages} messages of {entries} entries"));
    }
    let mut replay = match Replay::from_reader(reader(bytes.to_vec()).map_err(|e| e.to_string())?) {
        Ok(replay) => replay,
        Err(e) => return named(&e),
    };
    if replay.end() < replay.started
        || replay.end() - replay.started > MAX_GAP * (entries as i32 + 1)
    {
        return Err(format!("an end of {}", replay.end()));
    }
    replay.advance_to(replay.end());
    if !replay.is_done() {
        return Err("not done at its end".into());
    }
    replay.seek(replay.started);
    while let Some(back) = replay.previous_marker() {
        replay.seek(back);
        if back <= replay.started {
            break;
        }
    }
    replay.seek(replay.end());
    if replay.markers().len() > MAX_MARKERS || replay.checkpoints() > 33 {
        return Err("unbounded marks or checkpoints".into());
    }
    let size = ScreenSize::of(replay.first_size());
    if !(1..=MAX_WIDTH).contains(&size.width) || !(1..=MAX_HEIGHT).contains(&size.height) {
        return Err(format!("a screen of {size:?}"));
    }
    // Drawn small: the size is checked above.
    let mut replay = Replay::from_reader(reader(bytes.to_vec()).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let cast = replay::cast(&mut replay, &monochrome(), small(), &mut out, (40, 1 << 20))
        .map_err(|e| e.to_string())?;
    if cast.frames > 40 || out.len() as u64 > (1 << 20) + 64 * 1024 {
        return Err(format!("an export of {cast:?}"));
    }
    Ok(())
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// An instant as a recording spells it: near the start, anywhere
    /// chrono reads, at the edges, or no instant at all.
    fn instant() -> impl Strategy<Value = String> {
        let (min, max) = (
            chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp(),
            chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp(),
        );
        prop_oneof![
            30 => (-120i64..1200).prop_map(|s| t(s).to_rfc3339()),
            1 => (min..=max).prop_map(|s| {
                chrono::DateTime::from_timestamp(s, 0).map_or_else(String::new, |d| d.to_rfc3339())
            }),
            1 => prop_oneof![
                Just("9999-12-31T23:59:59Z".to_string()),
                Just("+262142-12-31T23:59:59Z".to_string()),
                Just("-262143-01-01T00:00:00Z".to_string()),
                Just("1970-01-01T00:00:00Z".to_string()),
                Just("2026-11-22T14:00:00.999999999Z".to_string()),
                Just("soon".to_string()),
            ],
        ]
    }

    /// An entry of every kind, written at [`t`]`(0)`, its instants then
    /// replaced by `at` (the payload's too).
    fn entry() -> impl Strategy<Value = Entry> {
        let pane = proptest::sample::select(crate::app::Pane::ALL.to_vec());
        let key = prop_oneof![
            proptest::char::any().prop_map(crossterm::event::KeyCode::Char),
            Just(crossterm::event::KeyCode::Enter),
            Just(crossterm::event::KeyCode::Esc),
            Just(crossterm::event::KeyCode::Tab),
            Just(crossterm::event::KeyCode::PageDown),
            Just(crossterm::event::KeyCode::End),
        ];
        let job = prop_oneof![
            Just(JobKind::Alarms),
            Just(JobKind::Services),
            "[a-z]{1,3}".prop_map(|g| JobKind::Logs(flightdeck_model::LogSource::group(g))),
        ];
        prop_oneof![
            Just(Entry::Tick { at: t(0) }),
            (any::<u16>(), any::<u16>()).prop_map(|(width, height)| Entry::Resize {
                at: t(0),
                width,
                height
            }),
            key.prop_map(|code| Entry::Key {
                at: t(0),
                key: KeyEvent::new(code, crossterm::event::KeyModifiers::NONE),
            }),
            (pane, any::<usize>()).prop_map(|(pane, row)| Entry::Mouse {
                at: t(0),
                input: crate::app::mouse::MouseInput::Click(Some(crate::app::mouse::Target::Row(
                    pane, row
                ))),
            }),
            any::<bool>().prop_map(|down| Entry::Mouse {
                at: t(0),
                input: crate::app::mouse::MouseInput::Wheel { down },
            }),
            (job.clone(), any::<u64>()).prop_map(|(kind, generation)| Entry::Unchanged {
                at: t(0),
                key: JobKey {
                    env: "shop".into(),
                    kind,
                },
                fetched_at: t(0),
                generation,
            }),
            (
                job,
                any::<u64>(),
                proptest::collection::vec(any::<bool>(), 0..4)
            )
                .prop_map(|(kind, generation, states)| {
                    let list = states
                        .iter()
                        .enumerate()
                        .map(|(i, on)| {
                            let mut a = alarm(
                                if *on {
                                    AlarmState::Alarm
                                } else {
                                    AlarmState::Ok
                                },
                                0,
                            );
                            a.name = format!("a{i}");
                            a
                        })
                        .collect();
                    Entry::Data {
                        at: t(0),
                        event: Box::new(DataEvent {
                            key: JobKey {
                                env: "shop".into(),
                                kind,
                            },
                            data: Fetched {
                                fetched_at: t(0),
                                generation,
                                run: None,
                                result: Ok(Payload::Alarms(list)),
                            },
                        }),
                    }
                }),
        ]
    }

    /// One line: an entry at any instant, numbers no type holds, nesting
    /// deeper than the parser goes, or any bytes.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let t0 = serde_json::to_string(&t(0)).unwrap();
        prop_oneof![
            30 => (entry(), instant()).prop_map(move |(e, at)| {
                serde_json::to_string(&e)
                    .unwrap()
                    .replace(&t0, &format!("\"{at}\""))
                    .into_bytes()
            }),
            1 => (instant(), prop_oneof![
                Just("18446744073709551616"),
                Just("-1"),
                Just("1e400"),
                Just("99999999999999999999999999999"),
            ]).prop_map(|(at, n)| format!(
                r#"{{"m":"resize","at":"{at}","width":{n},"height":{n}}}"#
            ).into_bytes()),
            1 => (1usize..300).prop_map(|depth| {
                format!(r#"{{"m":"tick","at":{}}}"#, "[".repeat(depth)).into_bytes()
            }),
            1 => proptest::collection::vec(any::<u8>(), 0..80),
        ]
    }

    proptest! {
        // A fixed budget for CI: each case replays and exports a session.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any sequence of lines after any header start: never a panic,
        /// and within the bounds.
        #[test]
        fn any_lines_are_read_within_the_bounds(
            started in instant(),
            lines in proptest::collection::vec(line(), 0..24),
            newline in any::<bool>(),
        ) {
            let mut bytes = header_at(&started).into_bytes();
            for line in &lines {
                bytes.extend(line);
                bytes.push(b'\n');
            }
            if !newline {
                bytes.pop();
            }
            read_everything(&bytes).map_err(TestCaseError::fail)?;
        }

        /// Entries of every kind with any values, in time order: replayed,
        /// gone back through and exported whole.
        #[test]
        fn any_entries_in_time_order_replay_and_export_within_the_bounds(
            entries in proptest::collection::vec((entry(), 0i64..90), 0..60),
        ) {
            let t0 = serde_json::to_string(&t(0)).unwrap();
            let mut at = 0;
            let lines: Vec<String> = entries
                .iter()
                .map(|(e, step)| {
                    at += step;
                    serde_json::to_string(e).unwrap().replace(&t0, &serde_json::to_string(&t(at)).unwrap())
                })
                .collect();
            read_everything(&in_memory(&lines)).map_err(TestCaseError::fail)?;
            let mut replay = replay_of(in_memory(&lines));
            prop_assert_eq!(replay.entries(), lines.len() as u64);
            prop_assert!(replay.warnings().is_empty(), "{:?}", replay.warnings());
            let (cast, _) = export(&mut replay, small(), (MAX_FRAMES, MAX_CAST_BYTES));
            prop_assert!(cast.stopped.is_none());
            prop_assert!(cast.frames <= lines.len() as u64 + 1);
        }

        /// Any bytes at all, header included.
        #[test]
        fn any_bytes_are_refused_or_read_within_the_bounds(
            bytes in proptest::collection::vec(any::<u8>(), 0..512)
        ) {
            read_everything(&bytes).map_err(TestCaseError::fail)?;
        }

        /// Any recorded screen is drawn within the bounds.
        #[test]
        fn any_recorded_screen_is_drawn_within_the_bounds(
            recorded in proptest::option::of((any::<u16>(), any::<u16>()))
        ) {
            let size = ScreenSize::of(recorded);
            prop_assert!((1..=MAX_WIDTH).contains(&size.width));
            prop_assert!((1..=MAX_HEIGHT).contains(&size.height));
            prop_assert_eq!(size.clamped_from.is_none(), recorded.is_none_or(|r| r == (size.width, size.height)));
        }
    }
}

/// The hostile recordings kept under `tests/corpus/recording/` (crash
/// inputs found, and the cases of issue 22): each read within the bounds,
/// and refused or warned of as said here.
#[test]
fn the_corpus_of_hostile_recordings_is_read_within_the_bounds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/recording");
    let expected: &[(&str, &str)] = &[
        (
            "far-future-tick.jsonl",
            "line 4 is 7973 years after the line before it",
        ),
        ("huge-resize.jsonl", "a screen of 65535x65535"),
        (
            "year-262142.jsonl",
            "hostile.jsonl:3: its time +262142-12-31 23:59:59 UTC is outside the years 1970 to 9999",
        ),
        (
            "back-in-time.jsonl",
            "2 lines go back in time, the first at line 3",
        ),
        (
            "deep-nesting.jsonl",
            "hostile.jsonl:2: recursion limit exceeded",
        ),
        (
            "huge-number.jsonl",
            "hostile.jsonl:2: invalid value: integer `65536`",
        ),
        ("invalid-utf8.jsonl", "hostile.jsonl:2:"),
        ("empty.jsonl", "not a flightdeck recording (it is empty)"),
        ("not-a-recording.jsonl", "not a flightdeck recording"),
        (
            "torn-header.jsonl",
            "not a flightdeck recording (EOF while parsing",
        ),
    ];
    let mut seen = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Err(why) = read_everything(&bytes) {
            panic!("{name}: {why}");
        }
        let Some((_, said)) = expected.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        seen += 1;
        let told = match reader(bytes.clone()) {
            Err(e) => e.to_string(),
            Ok(mut r) => {
                let error = r.find_map(Result::err).map(|e| e.to_string());
                let mut told = r.warnings();
                told.extend(error);
                if let Ok(replay) = Replay::from_reader(reader(bytes).unwrap())
                    && let Some((w, h)) = ScreenSize::of(replay.first_size()).clamped_from
                {
                    told.push(format!("a screen of {w}x{h}"));
                }
                told.join("\n")
            }
        };
        assert!(told.contains(said), "{name}: {told}");
    }
    assert_eq!(seen, expected.len(), "a corpus file is missing");
}

/// Issue 23 (QA): `X X` sets a drill's clock back, and the postmortem told
/// the two runs' lines interleaved by time. Each run comes whole, in
/// order, after a line that says the drill restarted; what the first run
/// followed (an alarm already in ALARM) is news again in the second.
#[test]
fn a_restarted_drill_is_told_run_after_run() {
    let mut timeline = Postmortem::new(&header());
    let take = |timeline: &mut Postmortem, state, at, run| {
        let Msg::Data(mut event) = alarms(state, at) else {
            unreachable!()
        };
        event.data.run = Some(run);
        timeline.take(&Entry::Data { at: t(at), event }, t(at));
    };
    take(&mut timeline, AlarmState::Ok, 0, 0);
    take(&mut timeline, AlarmState::Alarm, 60, 0);
    take(&mut timeline, AlarmState::Alarm, 120, 0);
    // The restart: the clock goes back to the drill's start.
    take(&mut timeline, AlarmState::Ok, 5, 1);
    take(&mut timeline, AlarmState::Alarm, 30, 1);
    let lines: Vec<(HappeningKind, i64)> = timeline
        .finish()
        .iter()
        .map(|h| (h.kind, (h.at - t(0)).num_seconds()))
        .collect();
    assert_eq!(
        lines,
        [
            (HappeningKind::Alarm, 60),
            (HappeningKind::Restart, 5),
            (HappeningKind::Alarm, 30),
        ]
    );
}
