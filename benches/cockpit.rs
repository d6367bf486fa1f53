//! `cargo bench`: how long the cockpit's hot paths take, measured on the
//! embedded simulation (no network). Prints the median and the slowest of
//! each measurement; README.md keeps the last numbers.
//!
//! Plain `std::time` timing, no harness: `cargo test --all-targets` builds
//! this file but only `cargo bench` (which passes `--bench`) runs it.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use chrono::TimeZone;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{App, Msg, update};
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::engine::{Schedule, fetch};
use flightdeck::provider::Provider;
use flightdeck::sim::{SimProvider, World};
use flightdeck::theme::ThemeSet;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn measure(name: &str, runs: usize, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<44} median {:>10.3?}  max {:>10.3?}  ({runs} runs)",
        times[runs / 2],
        times[runs - 1]
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
        .unwrap();
    measure("world: build + 3 h warm-up, 6 environments", 5, || {
        World::new(42, start);
    });
    let mut world = World::new(42, start);
    let mut t = start;
    measure("world: advance 1 simulated hour", 5, || {
        t += chrono::Duration::hours(1);
        world.advance_to(t);
    });

    // A loaded app, as the cockpit has it after its first polls.
    let clock = ManualClock::new(start);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let providers: Vec<Arc<dyn Provider>> =
        SimProvider::all(Arc::new(Mutex::new(World::new(42, start))), shared)
            .into_iter()
            .map(|p| Arc::new(p) as Arc<dyn Provider>)
            .collect();
    let mut app = App::new(
        providers.iter().map(|p| p.environment().clone()).collect(),
        start,
        false,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut schedule = Schedule::default();
    let mut generation = 0;
    let mut poll = |app: &mut App| {
        let jobs = schedule.due(&app.focus(), clock.now());
        for job in jobs {
            schedule.started(&job.key, clock.now());
            generation += 1;
            let p = providers
                .iter()
                .find(|p| p.environment().name == job.key.env)
                .unwrap();
            let event = rt.block_on(fetch(p.as_ref(), &job, generation, &clock, None));
            update(app, Msg::Data(Box::new(event)));
        }
    };
    measure("engine: one round of due jobs (sim provider)", 10, || {
        clock.advance(chrono::Duration::seconds(30));
        poll(&mut app);
    });

    let theme = ThemeSet::load(None).unwrap().get("dark").unwrap().clone();
    for (w, h) in [(80, 24), (200, 60)] {
        for (key, pane) in [('1', "services"), ('3', "alarms"), ('4', "logs")] {
            update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE)),
            );
            poll(&mut app);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            measure(&format!("render: {pane} pane at {w}x{h}"), 50, || {
                terminal
                    .draw(|f| flightdeck::ui::render(f, &app, &theme))
                    .unwrap();
            });
        }
    }
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('1'), KeyModifiers::NONE)),
    );
    measure("update: 1000 keys (j/k/filter/Esc)", 20, || {
        for i in 0..1000 {
            let code = match i % 4 {
                0 => KeyCode::Char('j'),
                1 => KeyCode::Char('k'),
                2 => KeyCode::Char('/'),
                _ => KeyCode::Esc,
            };
            update(&mut app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        }
    });
    let p = providers[0].clone();
    measure("ops: plan a deploy (reads + diff)", 20, || {
        let op = flightdeck::ops::Operation::Deploy {
            cluster: "radiox-prod".into(),
            service: "backend-api".into(),
            images: vec![("backend-api".into(), "acme/api:v9".into())],
            force: false,
        };
        rt.block_on(flightdeck::ops::plan(p.as_ref(), "1", op, None))
            .unwrap();
    });
}
