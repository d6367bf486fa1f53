//! The terminal around the cockpit: its reader thread, the mouse, the
//! log file, the panic hook, and handing the terminal to an ECS Exec
//! session and taking it back.

use crossterm::event::{self, Event};
use flightdeck_model::clock::{Clock, SystemClock};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Why the cockpit cannot draw here, if it cannot: it needs a terminal on
/// both stdin and stdout (not a pipe, a file or `/dev/null`).
pub fn no_terminal() -> Option<String> {
    use std::io::IsTerminal;
    let missing = match (
        std::io::stdin().is_terminal(),
        crate::output::terminal().is_terminal(),
    ) {
        (true, true) => return None,
        (false, true) => "stdin is not one",
        (true, false) => "stdout is not one",
        (false, false) => "neither stdin nor stdout is one",
    };
    Some(format!(
        "the cockpit needs a terminal, and {missing}; \
         for scripts every read and write is a command with --json \
         (flightdeck --help lists them)"
    ))
}

/// The terminal, in raw mode on the alternate screen; an error, never a
/// panic, when it cannot be set up.
pub(super) fn open() -> anyhow::Result<ratatui::DefaultTerminal> {
    use anyhow::Context;
    if let Some(why) = no_terminal() {
        anyhow::bail!(why);
    }
    ratatui::try_init().context("cannot set up the terminal")
}

pub(super) fn init_logging(options: &crate::options::Options) {
    let paths = &options.paths;
    let Ok(file) =
        flightdeck_core::files::open(&paths.log_file, flightdeck_core::files::Mode::Append)
    else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&options.log_filter)
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init();
}

/// Installs the panic hook of the cockpit, over ratatui's (which restores
/// the terminal). Every panic's report goes to the log file. A panic of the
/// UI thread ends the cockpit: the terminal is restored and the report
/// printed. A panic elsewhere (a fetch, caught by the engine and shown in
/// its pane) must not touch the screen the cockpit still draws.
pub(super) fn install_panic_hook(log_file: PathBuf) {
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let report = format!(
            "{} panic in thread {}: {info}\n{}\n",
            SystemClock.now().to_rfc3339(),
            thread.name().unwrap_or("unnamed"),
            std::backtrace::Backtrace::force_capture()
        );
        let written = flightdeck_core::files::open(&log_file, flightdeck_core::files::Mode::Append)
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(report.as_bytes())?;
                f.sync_data()
            });
        if thread.id() == ui_thread {
            capture_mouse(false);
            restore();
            // The report through the one way out: a panic's message may
            // hold text from AWS.
            crate::output::errln(format!("{info}"));
            match written {
                Ok(()) => crate::output::errln(format!(
                    "flightdeck crashed; the report is in {}",
                    log_file.display()
                )),
                Err(e) => crate::output::errln(format!(
                    "flightdeck crashed; cannot write the report: {e}"
                )),
            }
        }
    }));
}

/// `FLIGHTDECK_TEST_CRASH=1`: the cockpit panics right after its first
/// frame. It exists for the test that proves a crash restores the terminal
/// and leaves its report in the log file; nothing else sets it.
#[derive(Debug, Clone, Copy)]
pub(super) struct CrashTest(bool);

impl CrashTest {
    pub(super) fn from_env() -> CrashTest {
        CrashTest(std::env::var_os("FLIGHTDECK_TEST_CRASH").is_some_and(|v| v == "1"))
    }

    #[expect(clippy::panic, reason = "the crash the test asks for")]
    pub(super) fn after_frame(self) {
        if self.0 {
            panic!("FLIGHTDECK_TEST_CRASH: a crash on purpose after the first frame");
        }
    }
}

pub(super) enum Input {
    Terminal(Event),
    Closed,
}

/// Turns the terminal's mouse reporting on or off; a failure leaves the
/// mouse to the terminal, which is no reason to stop.
/// Gives the terminal back (raw mode off, the main screen again); a
/// terminal that has gone away (a dropped SSH connection) is logged, never
/// reported on a stderr that may be gone with it.
pub(super) fn restore() {
    if let Err(e) = ratatui::try_restore() {
        tracing::warn!("the terminal could not be restored: {e}");
    }
}

/// Gives the terminal back and lets go of ratatui's: its cursor shown, or,
/// when the terminal has gone away, dropped without a word (ratatui's drop
/// would print to a stderr gone with it, and panic).
pub(super) fn release(mut terminal: ratatui::DefaultTerminal) {
    restore();
    if let Err(e) = terminal.show_cursor() {
        tracing::warn!("the terminal has gone: {e}");
        std::mem::forget(terminal);
    }
}

pub(super) fn capture_mouse(on: bool) {
    use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
    let mut out = crate::output::terminal();
    let done = if on {
        crossterm::execute!(out, EnableMouseCapture)
    } else {
        crossterm::execute!(out, DisableMouseCapture)
    };
    if let Err(e) = done {
        tracing::warn!("mouse capture: {e}");
    }
}

/// Reads the terminal on a thread of its own (crossterm's reads block),
/// passing the gate before each read: a session that has the terminal holds
/// it. The channel ends after the terminal closes.
pub(super) fn read_terminal(gate: Arc<crate::input::InputGate>) -> mpsc::UnboundedReceiver<Input> {
    let (input_tx, input_rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            gate.pass();
            let msg = match event::poll(crate::input::POLL) {
                Ok(false) => continue,
                Ok(true) => match event::read() {
                    Ok(ev) => Input::Terminal(ev),
                    Err(_) => Input::Closed,
                },
                Err(_) => Input::Closed,
            };
            let closed = matches!(msg, Input::Closed);
            if input_tx.send(msg).is_err() || closed {
                return;
            }
        }
    });
    input_rx
}

/// Gives the terminal to `work` (a program run in the foreground) and
/// takes it back: the reader held, the cockpit's screen left, `intro`
/// printed, then the screen and the keys restored.
pub(super) async fn handed_over<T>(
    terminal: &mut ratatui::DefaultTerminal,
    gate: &crate::input::InputGate,
    mouse: bool,
    intro: &str,
    work: impl std::future::Future<Output = T>,
) -> T {
    use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
    gate.close(crate::input::POLL * 5);
    if mouse {
        capture_mouse(false);
    }
    restore();
    crate::output::out(intro.to_string());
    let outcome = work.await;
    // The screen is blank again, and so is what ratatui thinks is on it
    // (a blank frame), so the next frame is drawn whole. Not
    // `Terminal::clear`: it asks the terminal where its cursor is first.
    let restored = enable_raw_mode()
        .and_then(|()| {
            crossterm::execute!(
                crate::output::terminal(),
                EnterAlternateScreen,
                crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
            )
        })
        .and_then(|()| {
            terminal
                .draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))
                .map(|_| ())
        });
    if let Err(e) = restored {
        tracing::warn!("terminal not restored after a program had it: {e}");
    }
    if mouse {
        capture_mouse(true);
    }
    gate.open();
    outcome
}

/// Gives the terminal to an ECS Exec session and takes it back (see
/// [`handed_over`]). Returns what the footer says of it.
pub(super) async fn hand_over(
    terminal: &mut ratatui::DefaultTerminal,
    gate: &crate::input::InputGate,
    mouse: bool,
    session: &flightdeck_core::provider::ExecSession,
) -> String {
    let intro = format!(
        "flightdeck: ECS Exec session {} ({}); leave the shell (exit) to return to the cockpit\n",
        session.session_id, session.target
    );
    let outcome = handed_over(
        terminal,
        gate,
        mouse,
        &intro,
        crate::attach::attach(session),
    )
    .await;
    match outcome {
        Ok(status) if status.success() => {
            format!("ECS Exec session {} ended", session.session_id)
        }
        Ok(status) => format!(
            "ECS Exec session {} ended: session-manager-plugin {status}",
            session.session_id
        ),
        Err(e) => format!("ECS Exec could not start: {e}"),
    }
}
