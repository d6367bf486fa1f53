//! `cargo bench --bench cockpit`: the cockpit's hot paths, in process, with
//! divan's statistics (median, mean, slowest of many samples). The estate
//! comes from the simulation's generator; nothing touches the network.
//! BENCHMARKS.md reports these figures against their targets.
//!
//! `cargo test` does not run this file; `cargo clippy --all-targets` checks it.
#![expect(
    clippy::unwrap_used,
    reason = "benchmark set-up: a failed unwrap is the report"
)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use divan::Bencher;
use divan::counter::ItemsCount;
use flightdeck::app::{App, LogBuffer, Msg, update};
use flightdeck::engine::{JobKind, Payload};
use flightdeck::model::{EnvironmentInfo, LogEvent, Service};
use flightdeck::sim::World;
use flightdeck::sim::estate::EstateSpec;
use flightdeck::theme::{Theme, ThemeSet};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::LazyLock;

mod common;

use common::{data, start};

fn main() {
    divan::main();
}

fn theme() -> Theme {
    ThemeSet::load(None).unwrap().get("dark").unwrap().clone()
}

/// A generated environment of 1000 services, read through the simulation
/// provider like the cockpit reads it: its cluster, services and the log
/// lines of a service that storms.
static ESTATE: LazyLock<common::Read> = LazyLock::new(|| {
    let spec = EstateSpec {
        services: 1000,
        log_storm: 2000,
    };
    let world = World::create(42, start(), Some(spec), None);
    common::read(
        world,
        "estate-01",
        start(),
        start() - chrono::Duration::hours(1),
        100_000,
    )
});

/// `n` services: the estate's, repeated under new names.
fn services(n: usize) -> Vec<Service> {
    let base = &ESTATE.services;
    (0..n)
        .map(|i| {
            let mut s = base[i % base.len()].clone();
            if i >= base.len() {
                s.name = format!("{}-{}", s.name, i / base.len());
            }
            s
        })
        .collect()
}

/// `n` log lines, the storm's repeated with their own ids and instants.
fn log_lines(n: usize) -> Vec<LogEvent> {
    let base = &ESTATE.lines;
    (0..n)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            e.id = format!("{i:08}");
            e.timestamp = start() + chrono::Duration::milliseconds(i as i64);
            e
        })
        .collect()
}

/// The cockpit on one environment holding `n` services, at 200x60.
fn cockpit(n: usize) -> App {
    let info = EnvironmentInfo {
        name: "estate".into(),
        region: "us-east-1".into(),
        production: false,
        read_only: false,
    };
    let mut app = App::new(vec![info], start(), false);
    app.set_log_buffer(200_000);
    update(&mut app, Msg::Resize(200, 60));
    update(
        &mut app,
        data(
            "estate",
            JobKind::Services,
            Payload::Services {
                clusters: vec![ESTATE.cluster.clone()],
                services: services(n),
            },
        ),
    );
    app
}

fn key(app: &mut App, c: char) {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    );
}

/// The cockpit in its logs pane, following a service with `n` lines.
fn logs_cockpit(n: usize) -> App {
    let mut app = cockpit(100);
    key(&mut app, '4');
    let source = app.log_source().unwrap();
    update(
        &mut app,
        data("estate", JobKind::Logs(source), Payload::Logs(log_lines(n))),
    );
    app
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App, theme: &Theme) {
    terminal
        .draw(|f| flightdeck::ui::render(f, app, theme))
        .unwrap();
}

mod frame {
    use super::*;

    /// A whole frame of the services pane, the selection in the middle.
    #[divan::bench(args = [40, 2_000, 10_000])]
    fn services_200x60(bencher: Bencher, n: usize) {
        let mut app = cockpit(n);
        for _ in 0..n / 2 {
            key(&mut app, 'j');
        }
        let theme = theme();
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        bencher.bench_local(|| draw(&mut terminal, &app, &theme));
    }

    /// Triage worked out again over every service, as when new data
    /// arrives (a frame in between reuses it).
    #[divan::bench(args = [2_000, 10_000])]
    fn triage_anew(bencher: Bencher, n: usize) {
        let mut app = cockpit(n);
        bencher.bench_local(|| {
            app.triage_inputs += 1;
            app.triage()
        });
    }

    /// What the runtime asks after every batch of messages: the focus the
    /// engine polls for, with 10,000 services (their sparkline queries made
    /// once per change of the services, then shared).
    #[divan::bench(args = [10_000])]
    fn focus(bencher: Bencher, n: usize) {
        let app = cockpit(n);
        bencher.bench_local(|| app.focus());
    }

    /// The same at 80x24 (an SSH bastion's terminal).
    #[divan::bench(args = [10_000])]
    fn services_80x24(bencher: Bencher, n: usize) {
        let app = cockpit(n);
        let theme = theme();
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        bencher.bench_local(|| draw(&mut terminal, &app, &theme));
    }

    /// The logs pane following 100,000 lines, and with a search.
    #[divan::bench(args = [false, true])]
    fn logs_100k_200x60(bencher: Bencher, search: bool) {
        let mut app = logs_cockpit(100_000);
        if search {
            key(&mut app, 's');
            for c in "timeout".chars() {
                key(&mut app, c);
            }
            update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            );
        }
        let theme = theme();
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        bencher.bench_local(|| draw(&mut terminal, &app, &theme));
    }
}

mod filter {
    use super::*;

    /// Typing one character of a filter over 10,000 services, and drawing
    /// the answer: what the operator waits for.
    #[divan::bench]
    fn services_10k_key_and_frame(bencher: Bencher) {
        let mut app = cockpit(10_000);
        key(&mut app, '/');
        let theme = theme();
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
        let mut typed = false;
        bencher.bench_local(|| {
            // "pay", then back: each sample is one key and one frame.
            if typed {
                update(
                    &mut app,
                    Msg::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)),
                );
            } else {
                key(&mut app, 'p');
            }
            typed = !typed;
            draw(&mut terminal, &app, &theme);
        });
    }
}

mod logs {
    use super::*;

    /// Log events into the cockpit as the engine delivers them (pages of
    /// 1000): de-duplicated, ordered and bounded in the buffer.
    #[divan::bench]
    fn ingest_pages(bencher: Bencher) {
        let pages: Vec<Vec<LogEvent>> = log_lines(100_000)
            .chunks(1000)
            .map(<[LogEvent]>::to_vec)
            .collect();
        bencher
            .counter(ItemsCount::new(100_000usize))
            .with_inputs(|| (LogBuffer::with_capacity(50_000), pages.clone()))
            .bench_local_values(|(mut buffer, pages)| {
                for page in pages {
                    buffer.extend(page);
                }
                buffer
            });
    }

    /// Making lines safe for the terminal (what every shown line goes through).
    #[divan::bench]
    fn sanitize(bencher: Bencher) {
        let lines = log_lines(10_000);
        bencher
            .counter(ItemsCount::new(lines.len()))
            .bench_local(|| {
                lines
                    .iter()
                    .map(|e| flightdeck::text::sanitize(&e.message).len())
                    .sum::<usize>()
            });
    }
}

mod world {
    use super::*;

    /// The seed environments made with their 3 h of history.
    #[divan::bench(sample_count = 5, sample_size = 1)]
    fn create_seed_environments() -> World {
        World::new(42, start())
    }

    /// One simulated minute of the seed environments and an estate of
    /// 2000 services.
    #[divan::bench(sample_count = 10, sample_size = 1)]
    fn advance_one_minute_2000_services(bencher: Bencher) {
        let spec = EstateSpec {
            services: 2000,
            log_storm: 0,
        };
        let mut world = World::create(42, start(), Some(spec), None);
        let mut t = start();
        bencher.bench_local(|| {
            t += chrono::Duration::minutes(1);
            world.advance_to(t);
        });
    }
}

mod update {
    use super::*;

    /// 1000 keys moving through 10,000 services.
    #[divan::bench]
    fn keys_1000_over_10k_services(bencher: Bencher) {
        let mut app = cockpit(10_000);
        bencher.counter(ItemsCount::new(1000usize)).bench_local(|| {
            for i in 0..1000 {
                key(&mut app, if i % 2 == 0 { 'j' } else { 'k' });
            }
        });
    }
}

mod warm_start {
    use super::*;

    /// Instant start, in process: an environment of `n` services kept on
    /// disk by a previous run, read back, taken in and drawn, from the
    /// file to the first frame with rows (what a warm start adds before
    /// its first useful screen; the process's own start is measured by
    /// scripts/bench_process.py). Past 300 services that is the state's
    /// first screen, as the cockpit reads it.
    #[divan::bench(args = [40, 2_000, 10_000], sample_count = 20)]
    fn file_to_first_useful_frame_200x60(bencher: Bencher, n: usize) {
        let dir = tempfile::tempdir().unwrap();
        let kept = cockpit(n).envs[0].last_known().unwrap();
        flightdeck::last_known::save(dir.path(), &[kept]);
        let infos = vec![EnvironmentInfo {
            name: "estate".into(),
            region: "us-east-1".into(),
            production: false,
            read_only: false,
        }];
        let theme = theme();
        bencher.bench_local(|| {
            let mut app = App::new(infos.clone(), start(), false);
            update(&mut app, Msg::Resize(200, 60));
            // As the cockpit does: a large state's first screen, else the
            // whole state (the whole of a large one is read after the frame).
            let mut first = flightdeck::last_known::load_heads(dir.path(), &infos);
            if first.is_empty() {
                first = flightdeck::last_known::load(dir.path(), &infos);
            }
            for last in first {
                update(&mut app, Msg::Remembered(Box::new(last)));
            }
            let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
            draw(&mut terminal, &app, &theme);
            assert!(app.envs[0].services_cached());
            terminal
        });
    }
}
