//! The interactive cockpit: terminal set-up and restore, the event loop
//! joining keys, engine results and the clock, and redraw-on-change.

use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::Context;
use crossterm::event::{self, Event};
use flightdeck_core::engine;
use flightdeck_core::ops::{self, AuditLog, ExecError, PlanError};
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::{Clock, DrillClock, SystemClock};
use flightdeck_tui::app::api::{ApiReport, EnvCalls};
use flightdeck_tui::app::drill::{Drill, DrillControl, DrillSpec, GoodResponse};
use flightdeck_tui::app::{App, Effect, Msg, Overlay, update};
use flightdeck_tui::recording::{self, Recorder};
use flightdeck_tui::theme::Theme;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Why the cockpit could not run.
#[derive(Debug, thiserror::Error)]
pub enum CockpitError {
    /// The environments could not be set up (a usage or configuration problem).
    #[error("{0:#}")]
    Session(anyhow::Error),
    /// The terminal or the runtime failed.
    #[error("{0:#}")]
    Run(anyhow::Error),
}

/// The cockpit on the environments of `options`: the simulated production
/// or the configured AWS environments.
pub fn cockpit(options: &Options) -> Result<(), CockpitError> {
    init_logging(options);
    // A drill runs on its own clock: the operator pauses it and speeds it up.
    let drill_clock = options
        .scenario
        .as_ref()
        .map(|_| Arc::new(DrillClock::new(Arc::new(SystemClock))));
    let clock: Arc<dyn Clock> = match &drill_clock {
        Some(d) => d.clone(),
        None => Arc::new(SystemClock),
    };
    let runtime = async_runtime().map_err(CockpitError::Run)?;
    let session = runtime
        .block_on(Session::start(
            options,
            clock.clone(),
            WorldBuild::Background,
        ))
        .map_err(CockpitError::Session)?;
    let recorder = open_recorder(
        options,
        &session.infos,
        session.demo,
        session.scenario.as_ref().map(|s| s.name.clone()),
        session
            .scenario
            .as_ref()
            .map(|s| s.environment.get_ref().clone()),
        clock.now(),
    )
    .map_err(CockpitError::Session)?;
    let mut app = App::new(session.infos, clock.now(), session.read_only);
    app.demo = session.demo;
    if let Some(scenario) = &session.scenario {
        app.drill = Some(drill_of(scenario, clock.now()));
        // The cockpit opens on the drill's environment.
        if let Some(i) = app
            .envs
            .iter()
            .position(|e| e.info.name == *scenario.environment.get_ref())
        {
            app.current = i;
        }
    }
    app.stuck_after = options.stuck_after;
    app.set_log_buffer(options.config.log_buffer_lines());
    app.keymap = std::sync::Arc::new(options.config.keymap());
    let palette = Palette::new(options).map_err(CockpitError::Session)?;
    let crash = CrashTest::from_env();
    let writes = Writes {
        audit: options.audit_log(),
        providers: session.providers.clone(),
        clock: clock.clone(),
    };
    // A restart plays the same drill again: same seed, same start.
    let restart = match (&session.scenario, &session.world, &app.drill) {
        (Some(scenario), Some(world), Some(drill)) => Some(Restart {
            world: world.clone(),
            scenario: scenario.clone(),
            seed: options.seed,
            start: drill.started,
            estate: options.estate,
        }),
        _ => None,
    };
    Cockpit {
        app,
        providers: session.providers,
        clock,
        drill_clock,
        restart,
        recorder,
        palette,
        writes,
        crash,
        log_file: options.paths.log_file.clone(),
        mouse: options.config.mouse(),
    }
    .run(runtime)
    .map_err(CockpitError::Run)
}

/// How far `[` and `]` step a replay.
const REPLAY_STEP_SECS: i64 = 10;

/// `flightdeck replay FILE`: the recording played into a read-only
/// cockpit at its own pace, under the viewer's keys: space plays and
/// pauses, `+` `-` change the speed, `[` `]` step 10 s back and on, `n` `N`
/// jump to the next or previous operator action or alarm change, `q` quits. The recorded keys drive the panes, so
/// the viewer sees what the operator saw; paused, the viewer's other keys
/// look around that instant (space goes back to the recorded view). Nothing
/// is ever carried out.
pub fn replay(options: &Options, mut replay: recording::Replay) -> anyhow::Result<()> {
    use flightdeck_model::clock::DRILL_SPEEDS;
    let palette = Palette::new(options)?;
    replay.set_drill(replayed_drill(
        Some(&options.paths.scenarios_dir),
        replay.header(),
    ));
    let mut terminal = ratatui::init();
    let result = (|| -> anyhow::Result<()> {
        let size = terminal.size()?;
        update(&mut replay.app, Msg::Resize(size.width, size.height));
        let mut playing = true;
        let mut speed = 1u32;
        let mut last = std::time::Instant::now();
        let mut position = replay.started;
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
            replay.app.replay_bar = Some(replay.bar(playing, speed));
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
                    _ => {}
                },
                Event::Resize(w, h) => {
                    update(&mut replay.app, Msg::Resize(w, h));
                }
                _ => {}
            }
        }
    })();
    ratatui::restore();
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

/// The session's flight recorder: `--record FILE`, else the automatic one
/// in the state directory (the newest `keep` sessions kept), unless the
/// config turned it off. An automatic recorder that cannot start is
/// logged, and the session runs unrecorded; `--record FILE` that cannot
/// (a symbolic link there, a directory that cannot be written) is an error
/// before the cockpit starts: the operator asked for that recording.
fn open_recorder(
    options: &Options,
    infos: &[flightdeck_model::EnvironmentInfo],
    demo: bool,
    drill: Option<String>,
    current: Option<String>,
    now: flightdeck_model::Timestamp,
) -> anyhow::Result<Option<Recorder>> {
    let header = recording::Header {
        format: recording::FORMAT.into(),
        version: recording::VERSION,
        started: now,
        environments: infos.to_vec(),
        demo,
        drill,
        current,
        read_only: options.read_only,
        keys: options.config.key_overrides(),
    };
    let limit = options.recording.max_mb.saturating_mul(1024 * 1024);
    let recorder = match &options.record {
        Some(path) => {
            let r = Recorder::create(path, &header)
                .map_err(|e| anyhow::anyhow!("cannot record the session: {e}"))?;
            return Ok(Some(r.limit(limit)));
        }
        None if options.recording.enabled && options.recording.keep > 0 => {
            let dir = options.paths.recordings_dir();
            rotate(
                &dir,
                options.recording.keep.saturating_sub(1) as usize,
                limit,
            );
            new_session_recording(&dir, SystemClock.now(), std::process::id(), &header)
        }
        None => return Ok(None),
    };
    match recorder {
        Ok(r) => Ok(Some(r.limit(limit))),
        Err(e) => {
            tracing::warn!("not recording: {e}");
            Ok(None)
        }
    }
}

/// The name of an automatic recording: its start to the millisecond, the
/// process and, past the first try, the try (`-2`, `-3`...).
fn session_name(now: flightdeck_model::Timestamp, pid: u32, attempt: u32) -> String {
    let stamp = now.format("%Y%m%dT%H%M%S%.3fZ");
    match attempt {
        0 | 1 => format!("session-{stamp}-{pid}.jsonl"),
        n => format!("session-{stamp}-{pid}-{n}.jsonl"),
    }
}

/// How many names an automatic recording tries before it gives up.
const SESSION_NAME_TRIES: u32 = 100;

/// A new automatic recording in `dir`: a file of its own, never one that
/// is there (two sessions started in the same millisecond by the same
/// process id get two files).
fn new_session_recording(
    dir: &std::path::Path,
    now: flightdeck_model::Timestamp,
    pid: u32,
    header: &recording::Header,
) -> Result<Recorder, recording::RecordingError> {
    let mut attempt = 1;
    loop {
        match Recorder::create_new(&dir.join(session_name(now, pid, attempt)), header) {
            Err(recording::RecordingError::Io { error, .. })
                if error.kind() == std::io::ErrorKind::AlreadyExists
                    && attempt < SESSION_NAME_TRIES =>
            {
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// The order of an automatic recording's name: its start (to the
/// millisecond), the process and the try; `None` for a name the recorder
/// does not give (`session-20261122T140000Z.jsonl` from older versions,
/// `session-20261122T140000.123Z-4242[-2].jsonl` from this one).
fn session_order(name: &str) -> Option<(String, u64, u64)> {
    let core = name.strip_prefix("session-")?.strip_suffix(".jsonl")?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (date, rest) = core.split_at_checked(8)?;
    let rest = rest.strip_prefix('T')?;
    let (time, rest) = rest.split_at_checked(6)?;
    if !digits(date, 8) || !digits(time, 6) {
        return None;
    }
    let (millis, rest) = match rest.strip_prefix('.') {
        Some(r) => {
            let (ms, r) = r.split_at_checked(3)?;
            digits(ms, 3).then_some((ms, r))?
        }
        None => ("000", rest),
    };
    let rest = rest.strip_prefix('Z')?;
    let mut numbers = [0u64; 2];
    if !rest.is_empty() {
        let parts: Vec<&str> = rest.strip_prefix('-')?.split('-').collect();
        if parts.len() > 2 {
            return None;
        }
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || part.len() > 10 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = part.parse().ok()?;
        }
    }
    Some((format!("{date}{time}{millis}"), numbers[0], numbers[1]))
}

/// Leaves the newest `keep` recordings of `dir`, and of those no more
/// than `max_bytes` together (the oldest go first). Only the recorder's
/// own are counted and deleted: a regular file named as it names them
/// that starts with a recording's header. Anything else there (the
/// operator's notes, a recording copied in) is left alone.
pub fn rotate(dir: &std::path::Path, keep: usize, max_bytes: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<((String, u64, u64), PathBuf, u64)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let order = session_order(e.file_name().to_str()?)?;
            let path = e.path();
            recording::is_recording(&path)
                .then(|| (order, path, e.metadata().map_or(0, |m| m.len())))
        })
        .collect();
    files.sort();
    let mut total: u64 = files.iter().map(|(_, _, len)| len).sum();
    let mut left = files.len();
    for (_, old, len) in files {
        if left <= keep && total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&old).is_ok() {
            total = total.saturating_sub(len);
        }
        left -= 1;
    }
}

/// What a drill's restart needs: its world is replaced by the same drill
/// from the same start, and its clock set back there.
struct Restart {
    world: flightdeck_sim::SharedWorld,
    scenario: flightdeck_sim::scenario::Scenario,
    seed: u64,
    start: flightdeck_model::Timestamp,
    estate: Option<flightdeck_sim::estate::EstateSpec>,
}

impl Restart {
    fn apply(&self, clock: &DrillClock) {
        let fresh = flightdeck_sim::World::create(
            self.seed,
            self.start,
            self.estate,
            Some(self.scenario.clone()),
        );
        *self
            .world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        clock.restart(self.start);
    }
}

/// What the cockpit keeps of a drill: its words, script and good response.
pub fn drill_of(s: &flightdeck_sim::scenario::Scenario, now: flightdeck_model::Timestamp) -> Drill {
    let spec = DrillSpec {
        name: s.name.clone(),
        title: s.title.clone(),
        goal: s.goal.clone(),
        outcome: s.outcome.clone(),
        environment: s.environment.get_ref().clone(),
        minutes: s.minutes,
        script: s
            .steps
            .iter()
            .map(|step| (step.at, step.fault.describe()))
            .collect(),
        good: GoodResponse {
            acknowledge_minutes: s.good.acknowledge_minutes,
            cause_minutes: s.good.cause_minutes,
            mitigate_minutes: s.good.mitigate_minutes,
            cause: s.good.cause.clone(),
            mitigation: s.good.mitigation.clone(),
            service: s.good.service.clone(),
            ecs_rollback_counts: s.good.ecs_rollback_counts,
        },
    };
    Drill::new(spec, now)
}

/// The tokio runtime of a run: two workers, like the machines it runs on.
pub fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Carries out the write effects of `update`: plans and confirmed plans,
/// off the UI thread, answering with a message.
#[derive(Clone)]
struct Writes {
    audit: AuditLog,
    providers: Vec<Arc<Provider>>,
    clock: Arc<dyn Clock>,
}

impl Writes {
    /// Starts what `effect` asks for; the answer arrives on `answers`.
    fn spawn(&self, effect: Effect, answers: mpsc::UnboundedSender<Msg>) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Some(msg) =
                carry_out(effect, &this.providers, &this.audit, this.clock.as_ref()).await
            {
                let _ = answers.send(msg);
            }
        });
    }
}

/// Does what a write effect of `update` asks for (plan, or execute a
/// confirmed plan, as the caller identity) and returns the answer for
/// `update`; `None` for effects that are not writes. The runtime and the
/// test harness both carry effects out through here.
pub async fn carry_out(
    effect: Effect,
    providers: &[Arc<Provider>],
    audit: &AuditLog,
    clock: &dyn Clock,
) -> Option<Msg> {
    let provider = |env: &str| providers.iter().find(|p| p.environment().name == env);
    match effect {
        Effect::Quit
        | Effect::Drill(_)
        | Effect::Copy(_)
        | Effect::Attach(_)
        | Effect::Forward { .. }
        | Effect::CloseForwards => None,
        Effect::Plan { request, env, op } => {
            let result = match provider(&env) {
                None => Err(PlanError::Invalid(format!("no environment {env}"))),
                // ECS Exec's first precondition is on this machine.
                Some(_)
                    if matches!(
                        op,
                        ops::Operation::Exec { .. } | ops::Operation::PortForward { .. }
                    ) && crate::attach::find_plugin().is_none() =>
                {
                    Err(PlanError::Refused(crate::attach::NO_PLUGIN.into()))
                }
                Some(_) if let Some(why) = local_port_taken(&op) => Err(PlanError::Refused(why)),
                Some(p) => match p.caller_identity().await {
                    Ok(id) => ops::plan(p.reads(), &id.account, op.clone(), Some(audit)).await,
                    Err(e) => Err(e.into()),
                },
            };
            Some(Msg::Planned {
                request,
                env,
                op,
                result,
            })
        }
        Effect::Execute { request, env, plan } => {
            let result = match provider(&env) {
                None => Err(ExecError::Plan(PlanError::Invalid(format!(
                    "no environment {env}"
                )))),
                Some(p) => match p.caller_identity().await {
                    Ok(id) => ops::execute(p.as_ref(), &plan, audit, &id.arn, clock.now()).await,
                    Err(e) => Err(ExecError::Plan(e.into())),
                },
            };
            Some(Msg::Executed {
                request,
                env,
                plan,
                result,
            })
        }
    }
}

/// Why a port forward's local port cannot be had, if it cannot.
pub fn local_port_taken(op: &ops::Operation) -> Option<String> {
    let ops::Operation::PortForward { local_port, .. } = op else {
        return None;
    };
    std::net::TcpListener::bind(("127.0.0.1", *local_port))
        .err()
        .map(|e| format!("local port {local_port} cannot be used: {e}"))
}

/// The theme of each environment.
struct Palette {
    default: Theme,
    per_env: HashMap<String, Theme>,
}

impl Palette {
    fn new(options: &Options) -> anyhow::Result<Palette> {
        let themes = &options.themes;
        let default = themes
            .require(&options.theme)
            .map_err(anyhow::Error::msg)?
            .clone();
        let mut per_env = HashMap::new();
        // An explicit --theme or NO_COLOR beats per-environment themes.
        if !options.theme_is_explicit {
            for env in &options.config.environments {
                if let Some(t) = env.theme.as_ref().and_then(|t| themes.get(t.get_ref())) {
                    per_env.insert(env.name.get_ref().clone(), t.clone());
                }
            }
        }
        Ok(Palette { default, per_env })
    }

    fn for_env(&self, env: &str) -> &Theme {
        self.per_env.get(env).unwrap_or(&self.default)
    }
}

fn init_logging(options: &Options) {
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
fn install_panic_hook(log_file: PathBuf) {
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
            ratatui::restore();
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
struct CrashTest(bool);

impl CrashTest {
    fn from_env() -> CrashTest {
        CrashTest(std::env::var_os("FLIGHTDECK_TEST_CRASH").is_some_and(|v| v == "1"))
    }

    #[expect(clippy::panic, reason = "the crash the test asks for")]
    fn after_frame(self) {
        if self.0 {
            panic!("FLIGHTDECK_TEST_CRASH: a crash on purpose after the first frame");
        }
    }
}

enum Input {
    Terminal(Event),
    Closed,
}

/// Everything a cockpit run is made of, built by [`cockpit`].
struct Cockpit {
    app: App,
    providers: Vec<Arc<Provider>>,
    clock: Arc<dyn Clock>,
    /// The drill's clock, when a drill is played: its keys act on it.
    drill_clock: Option<Arc<DrillClock>>,
    restart: Option<Restart>,
    /// The flight recorder, when the session is recorded.
    recorder: Option<Recorder>,
    palette: Palette,
    writes: Writes,
    crash: CrashTest,
    log_file: PathBuf,
    /// Whether the cockpit takes the mouse (config `mouse`).
    mouse: bool,
}

/// Turns the terminal's mouse reporting on or off; a failure leaves the
/// mouse to the terminal, which is no reason to stop.
fn capture_mouse(on: bool) {
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

impl Cockpit {
    /// Runs the cockpit until the operator quits. The terminal is restored on
    /// every way out: quit, error, signal and panic (ratatui's panic hook).
    fn run(self, runtime: tokio::runtime::Runtime) -> anyhow::Result<()> {
        let Cockpit {
            mut app,
            providers,
            clock,
            drill_clock,
            restart,
            mut recorder,
            palette,
            writes,
            crash,
            log_file,
            mouse,
        } = self;
        let mut terminal = ratatui::init();
        if mouse {
            capture_mouse(true);
        }
        install_panic_hook(log_file);
        let result = runtime.block_on(async {
            let size = terminal.size()?;
            update(&mut app, Msg::Resize(size.width, size.height));
            let (focus_tx, focus_rx) = watch::channel(app.focus());
            let (data_tx, mut data_rx) = mpsc::unbounded_channel();
            let (budget_tx, budget_rx) = watch::channel(engine::BudgetReport::default());
            let counted = providers.clone();
            tokio::spawn(engine::run(
                providers,
                clock.clone(),
                Some(writes.audit.clone()),
                focus_rx,
                data_tx,
                Some(budget_tx),
            ));
            let mut api_sent = std::time::Instant::now();
            let (answer_tx, mut answer_rx) = mpsc::unbounded_channel();
            let gate = Arc::new(crate::input::InputGate::default());
            let mut input_rx = read_terminal(gate.clone());
            let mut ticker = tokio::time::interval(Duration::from_millis(250));
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            let mut pacer = crate::frames::Pacer::new();
            let mut forwards = crate::forwards::Forwards::default();
            'run: loop {
                let now = std::time::Instant::now();
                if app.dirty && pacer.may_draw(now) {
                    let theme = palette.for_env(&app.env().info.name);
                    terminal.draw(|f| flightdeck_tui::ui::render(f, &app, theme))?;
                    app.dirty = false;
                    pacer.drawn(now);
                    crash.after_frame();
                }
                // A frame held back by the pacer is drawn when due, even
                // if nothing else happens meanwhile.
                let held = pacer.due().filter(|_| app.dirty);
                let first = tokio::select! {
                    Some(input) = input_rx.recv() => terminal_msg(input, &app),
                    Some(data) = data_rx.recv() => Next::Msg(Msg::Data(Box::new(data))),
                    Some(answer) = answer_rx.recv() => Next::Msg(answer),
                    _ = ticker.tick() => Next::Msg(Msg::Tick(clock.now())),
                    _ = tokio::time::sleep_until(held.unwrap_or(now).into()), if held.is_some() => Next::Skip,
                    _ = terminate.recv() => Next::Stop,
                    _ = hangup.recv() => Next::Stop,
                };
                // Everything already waiting is taken in before the next
                // frame: one frame for a burst, keys first.
                let mut next = Some(first);
                let mut taken = 0;
                while let Some(this) = next.take() {
                    taken += 1;
                    if taken < crate::frames::MAX_BATCH {
                        next = waiting(&mut input_rx, &mut answer_rx, &mut data_rx, &app);
                    }
                    let msg = match this {
                        Next::Msg(msg) => msg,
                        Next::Skip => continue,
                        Next::Stop => break 'run,
                    };
                    if let Some(r) = recorder.as_mut()
                        && let Err(e) = r.record(&msg, clock.now())
                    {
                        tracing::warn!("recording stopped: {e}");
                        app.notice = Some(format!("recording stopped: {e}"));
                        recorder = None;
                    }
                    let attach = handle(
                        &mut app,
                        msg,
                        &drill_clock,
                        restart.as_ref(),
                        &writes,
                        &answer_tx,
                        &mut forwards,
                    )
                    .await;
                    if let Some(session) = attach {
                        let ended = hand_over(&mut terminal, &gate, mouse, &session).await;
                        app.notice = Some(ended);
                        app.dirty = true;
                    }
                    if app.quit {
                        break 'run;
                    }
                }
                // A forward whose plugin ended is no longer listed.
                forwards.reap();
                if let Some(open) = forwards.take_changed() {
                    update(&mut app, Msg::Forwards(open));
                }
                if matches!(app.overlay, Some(Overlay::Api { .. }))
                    && (app.api.is_none() || api_sent.elapsed() >= API_REPORT_EVERY)
                {
                    let report = api_report(&counted, &budget_rx);
                    update(&mut app, Msg::Api(Box::new(report)));
                    api_sent = std::time::Instant::now();
                }
                let focus = app.focus();
                if *focus_tx.borrow() != focus {
                    let _ = focus_tx.send(focus);
                }
            }
            forwards.close_all(&writes.providers).await;
            anyhow::Ok(())
        });
        if mouse {
            capture_mouse(false);
        }
        ratatui::restore();
        runtime.shutdown_timeout(Duration::from_millis(100));
        result
    }
}

/// Reads the terminal on a thread of its own (crossterm's reads block),
/// passing the gate before each read: a session that has the terminal holds
/// it. The channel ends after the terminal closes.
fn read_terminal(gate: Arc<crate::input::InputGate>) -> mpsc::UnboundedReceiver<Input> {
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

/// The next message already waiting, keys first, then write answers, then
/// data; `None` when nothing waits.
fn waiting(
    input_rx: &mut mpsc::UnboundedReceiver<Input>,
    answer_rx: &mut mpsc::UnboundedReceiver<Msg>,
    data_rx: &mut mpsc::UnboundedReceiver<engine::DataEvent>,
    app: &App,
) -> Option<Next> {
    if let Ok(input) = input_rx.try_recv() {
        Some(terminal_msg(input, app))
    } else if let Ok(answer) = answer_rx.try_recv() {
        Some(Next::Msg(answer))
    } else if let Ok(data) = data_rx.try_recv() {
        Some(Next::Msg(Msg::Data(Box::new(data))))
    } else {
        None
    }
}

/// How often the open debug overlay's figures are taken anew.
const API_REPORT_EVERY: Duration = Duration::from_millis(500);

/// The debug overlay's figures: every provider's calls and the engine's
/// latest budget.
fn api_report(
    providers: &[Arc<Provider>],
    budget: &watch::Receiver<engine::BudgetReport>,
) -> ApiReport {
    ApiReport {
        envs: providers
            .iter()
            .map(|p| EnvCalls {
                env: p.environment().name.clone(),
                stats: p.api_stats(),
            })
            .collect(),
        budget: budget.borrow().clone(),
    }
}

/// What the loop does next: take in a message, nothing (a held frame is
/// due), or stop (the terminal closed, a signal).
#[expect(
    clippy::large_enum_variant,
    reason = "at most two live at a time, on the stack"
)]
enum Next {
    Msg(Msg),
    Skip,
    Stop,
}

fn terminal_msg(input: Input, app: &App) -> Next {
    match input {
        Input::Terminal(Event::Key(k)) => Next::Msg(Msg::Key(k)),
        Input::Terminal(Event::Mouse(m)) => flightdeck_tui::app::mouse::resolve(app, &m)
            .map_or(Next::Skip, |i| Next::Msg(Msg::Mouse(i))),
        Input::Terminal(Event::Resize(w, h)) => Next::Msg(Msg::Resize(w, h)),
        Input::Terminal(_) => Next::Skip,
        Input::Closed => Next::Stop,
    }
}

/// Puts `text` on the operator's clipboard: OSC 52 to the terminal, which
/// reaches the local one over SSH, and tmux's with `set-clipboard on`.
fn to_clipboard(text: &str) {
    use std::io::Write;
    let mut out = crate::output::terminal().lock();
    let written = out
        .write_all(flightdeck_tui::app::copy::osc52(text).as_bytes())
        .and_then(|()| out.flush());
    if let Err(e) = written {
        tracing::warn!("cannot write the clipboard sequence: {e}");
    }
}

/// One message through `update`, and what it asks done: a drill's clock
/// changed here, the clipboard written, port forwards opened or closed
/// here, writes carried out off the UI thread. An ECS Exec session to hand
/// the terminal to is returned: that needs the terminal.
async fn handle(
    app: &mut App,
    msg: Msg,
    drill_clock: &Option<Arc<DrillClock>>,
    restart: Option<&Restart>,
    writes: &Writes,
    answers: &mpsc::UnboundedSender<Msg>,
    forwards: &mut crate::forwards::Forwards,
) -> Option<Box<flightdeck_core::provider::ExecSession>> {
    let mut attach = None;
    for effect in update(app, msg) {
        match effect {
            Effect::Drill(control) => {
                if let Some(d) = drill_clock {
                    match control {
                        DrillControl::Pause(p) => d.set_paused(p),
                        DrillControl::Speed(s) => d.set_speed(s),
                        DrillControl::Hold(h) => d.set_hold(h),
                        DrillControl::Restart => {
                            if let Some(r) = restart {
                                r.apply(d);
                            }
                        }
                    }
                }
            }
            Effect::Copy(text) => to_clipboard(&text),
            Effect::Attach(session) => attach = Some(session),
            Effect::Forward {
                env,
                session,
                described,
            } => {
                if let Err(e) = forwards.open(env, &session, described) {
                    app.notice = Some(format!("the port forward could not start: {e}"));
                }
            }
            Effect::CloseForwards => forwards.close_all(&writes.providers).await,
            effect => writes.spawn(effect, answers.clone()),
        }
    }
    if let Some(open) = forwards.take_changed() {
        update(app, Msg::Forwards(open));
    }
    attach
}

/// Gives the terminal to an ECS Exec session and takes it back: the reader
/// held, the cockpit's screen left, the plugin run in the foreground, then
/// the screen and the keys restored. Returns what the footer says of it.
async fn hand_over(
    terminal: &mut ratatui::DefaultTerminal,
    gate: &crate::input::InputGate,
    mouse: bool,
    session: &flightdeck_core::provider::ExecSession,
) -> String {
    use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
    gate.close(crate::input::POLL * 5);
    if mouse {
        capture_mouse(false);
    }
    ratatui::restore();
    crate::output::out(format!(
        "flightdeck: ECS Exec session {} ({}); leave the shell (exit) to return to the cockpit\n",
        session.session_id, session.target
    ));
    let outcome = crate::attach::attach(session).await;
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
        tracing::warn!("terminal not restored after ECS Exec: {e}");
    }
    if mouse {
        capture_mouse(true);
    }
    gate.open();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The options of a run whose state directory is `state`.
    fn options_in(state: &std::path::Path) -> Options {
        let mut paths = crate::config::Paths::discover(None);
        paths.state_dir = state.to_path_buf();
        Options::for_test(paths)
    }

    /// The recordings directory's file names, sorted.
    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// A recording as the recorder starts it: its header line.
    fn header_line() -> String {
        let header = recording::Header {
            format: recording::FORMAT.into(),
            version: recording::VERSION,
            started: SystemClock.now(),
            environments: vec![],
            demo: true,
            drill: None,
            current: None,
            read_only: false,
            keys: vec![],
        };
        format!("{}\n", serde_json::to_string(&header).unwrap())
    }

    #[test]
    fn rotation_deletes_only_recordings_the_recorder_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        // The recorder's own, named as this version and as older ones did.
        write("session-20260101T000000Z.jsonl", &header_line());
        write("session-20260102T000000.000Z-10.jsonl", &header_line());
        write("session-20260103T000000.000Z-10.jsonl", &header_line());
        // The operator's: notes, a file named like a session that is no
        // recording, a recording copied in under a name of its own.
        write("notes.jsonl", "{\"note\": \"mine\"}\n");
        write(
            "session-20250101T000000Z.jsonl",
            "my notes, named like a session\n",
        );
        write("incident-42.jsonl", &header_line());
        rotate(dir.path(), 1, u64::MAX);
        assert_eq!(
            names(dir.path()),
            [
                "incident-42.jsonl",
                "notes.jsonl",
                "session-20250101T000000Z.jsonl",
                "session-20260103T000000.000Z-10.jsonl"
            ]
        );
    }

    #[test]
    fn two_sessions_started_in_the_same_second_record_to_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let options = options_in(dir.path());
        let now = SystemClock.now();
        let first = open_recorder(&options, &[], true, None, None, now)
            .unwrap()
            .unwrap();
        let second = open_recorder(&options, &[], true, None, None, now)
            .unwrap()
            .unwrap();
        let recordings = dir.path().join("recordings");
        assert_eq!(names(&recordings).len(), 2, "{:?}", names(&recordings));
        drop((first, second));
    }

    #[test]
    fn old_recordings_go_first_by_count_then_by_size() {
        let dir = tempfile::tempdir().unwrap();
        // Each 10 bytes more than its header.
        let size = header_line().len() as u64 + 10;
        for i in 1..=5 {
            std::fs::write(
                dir.path()
                    .join(format!("session-2026010{i}T000000.000Z-7.jsonl")),
                format!("{}0123456789", header_line()),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not a recording").unwrap();
        rotate(dir.path(), 3, 2 * size + 5);
        assert_eq!(
            names(dir.path()),
            [
                "notes.txt",
                "session-20260104T000000.000Z-7.jsonl",
                "session-20260105T000000.000Z-7.jsonl"
            ]
        );
    }

    /// Names sort by their start to the millisecond, then the process and
    /// the try; only the recorder's own names are recognised.
    #[test]
    fn the_recorders_names_are_recognised_and_ordered_by_their_start() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-22T14:00:00.123Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            session_name(at, 4242, 1),
            "session-20261122T140000.123Z-4242.jsonl"
        );
        assert_eq!(
            session_name(at, 4242, 3),
            "session-20261122T140000.123Z-4242-3.jsonl"
        );
        let mut names = vec![
            "session-20261122T140000.123Z-4242-3.jsonl",
            "session-20261122T140000Z.jsonl",
            "session-20261122T140000.123Z-4242.jsonl",
            "session-20261122T140000.005Z-99999.jsonl",
            "session-20261121T235959Z.jsonl",
        ];
        names.sort_by_key(|n| session_order(n).unwrap());
        assert_eq!(
            names,
            [
                "session-20261121T235959Z.jsonl",
                "session-20261122T140000Z.jsonl",
                "session-20261122T140000.005Z-99999.jsonl",
                "session-20261122T140000.123Z-4242.jsonl",
                "session-20261122T140000.123Z-4242-3.jsonl",
            ]
        );
        for other in [
            "notes.jsonl",
            "session-.jsonl",
            "session-20261122T140000Z.json",
            "session-20261122T140000Z-mine.jsonl",
            "session-20261122T1400Z.jsonl",
            "session-20261122T140000.12Z.jsonl",
            "session-20261122T140000Z-1-2-3.jsonl",
            "session-2026112xT140000Z.jsonl",
            "session-20261122T140000Z-99999999999.jsonl",
            "backup-session-20261122T140000Z.jsonl",
        ] {
            assert_eq!(session_order(other), None, "{other}");
        }
    }

    /// The same instant and process twice (two sessions, or a clock that
    /// stands still): two files, the second with a try of its own; the
    /// first is never truncated.
    #[test]
    fn a_session_never_records_into_a_file_that_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemClock.now();
        let header: recording::Header = serde_json::from_str(&header_line()).unwrap();
        let mut first = new_session_recording(dir.path(), now, 7, &header).unwrap();
        first
            .record(&flightdeck_tui::app::Msg::Tick(now), now)
            .unwrap();
        first.flush().unwrap();
        let second = new_session_recording(dir.path(), now, 7, &header).unwrap();
        assert_ne!(first.path(), second.path());
        assert!(
            second.path().to_string_lossy().ends_with("-7-2.jsonl"),
            "{}",
            second.path().display()
        );
        let lines = |path: &std::path::Path| std::fs::read_to_string(path).unwrap().lines().count();
        assert_eq!(lines(first.path()), 2, "the first keeps its tick");
        assert_eq!(lines(second.path()), 1);
        assert_eq!(names(dir.path()).len(), 2);
    }
}
