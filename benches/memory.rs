//! `cargo bench --bench memory`: resident memory after the cockpit took in
//! 1,000,000 streamed log lines, as the engine delivers them (pages of
//! 1000 through `update`, a frame drawn after each page), with the default
//! bounded buffer of 50,000 lines. Prints the process's resident set and
//! its peak (/proc/self/status), before and after; BENCHMARKS.md reports
//! them. Under `cargo test` (no `--bench`), 20,000 lines, and it checks the
//! buffer stayed bounded.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark set-up: a failed unwrap is the report"
)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{App, LOG_BUFFER, Msg, update};
use flightdeck::engine::{JobKind, Payload};
use flightdeck::model::{EnvironmentInfo, LogEvent};
use flightdeck::sim::World;
use flightdeck::theme::ThemeSet;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod common;

use common::{data, start};

const PAGE: usize = 1000;

/// `VmRSS` and `VmHWM` in MB.
fn resident() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[expect(clippy::disallowed_macros, reason = "a benchmark prints its figures")]
fn main() {
    let lines_total: usize = if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        20_000
    };
    let common::Read {
        cluster,
        services,
        lines: sample,
    } = common::read(
        World::create(42, start(), None, None),
        "muejam-staging",
        start(),
        start() - chrono::Duration::hours(3),
        PAGE,
    );
    let info = EnvironmentInfo {
        name: "muejam-staging".into(),
        region: "eu-west-1".into(),
        production: false,
        read_only: false,
    };
    let mut app = App::new(vec![info], start(), false);
    update(&mut app, Msg::Resize(200, 60));
    update(
        &mut app,
        data(
            "muejam-staging",
            JobKind::Services,
            Payload::Services {
                clusters: vec![cluster],
                services,
            },
        ),
    );
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('4'), KeyModifiers::NONE)),
    );
    let source = app.log_source().expect("the logs pane follows a service");
    let theme = ThemeSet::load(None).unwrap().get("dark").unwrap().clone();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let before = resident();
    let mut sent = 0usize;
    while sent < lines_total {
        let page: Vec<LogEvent> = (0..PAGE)
            .map(|i| {
                let n = sent + i;
                let mut e = sample[n % sample.len()].clone();
                e.id = format!("{n:09}");
                e.timestamp = start() + chrono::Duration::milliseconds(n as i64);
                e
            })
            .collect();
        sent += PAGE;
        update(
            &mut app,
            data(
                "muejam-staging",
                JobKind::Logs(source.clone()),
                Payload::Logs(page),
            ),
        );
        terminal
            .draw(|f| flightdeck::ui::render(f, &app, &theme))
            .unwrap();
    }
    let after = resident();
    let kept = app.log_lines_newest_first().count();
    assert!(kept <= LOG_BUFFER, "{kept} lines kept");
    println!("log lines streamed: {sent}, kept: {kept} (buffer {LOG_BUFFER})");
    println!(
        "resident before: {:.1} MB, after: {:.1} MB, peak: {:.1} MB",
        before.0, after.0, after.1
    );
}
