//! The interactive cockpit: the event loop joining keys, engine results
//! and the clock, and redraw-on-change. Around it, each a module of its
//! own: the terminal (`terminal`), the effects `update` asks for
//! (`effects`), the flight recorder (`recorder`), a drill's restart
//! (`drill`), themes (`palette`) and `flightdeck replay` (`replay`).

mod actions;
mod drill;
mod effects;
mod palette;
mod recorder;
mod replay;
mod terminal;
pub use terminal::no_terminal;

pub use actions::follow_one_off;
pub use drill::drill_of;
pub use effects::{carry_out, local_port_taken};
pub use recorder::rotate;
pub use replay::{replay, replayed_drill};

use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::Context;
use crossterm::event::Event;
use drill::Restart;
use effects::{Writes, handle};
use flightdeck_core::engine;
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::{Clock, DrillClock, SystemClock};
use flightdeck_tui::app::api::{ApiReport, EnvCalls};
use flightdeck_tui::app::{App, Msg, Overlay, update};
use flightdeck_tui::recording::Recorder;
use palette::Palette;
use recorder::open_recorder;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use terminal::{
    CrashTest, Input, capture_mouse, hand_over, init_logging, install_panic_hook, read_terminal,
};
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
    // Without a terminal nothing can be drawn: said once the config and the
    // drill are known good (and a recording the operator named), before
    // anything starts.
    let no_terminal = || no_terminal().map(|why| CockpitError::Session(anyhow::anyhow!(why)));
    let runtime = async_runtime().map_err(CockpitError::Run)?;
    tracing::debug!(target: "flightdeck::startup", "options read, the runtime up");
    let session = runtime
        .block_on(Session::start(
            options,
            clock.clone(),
            WorldBuild::Background,
        ))
        .map_err(CockpitError::Session)?;
    tracing::debug!(target: "flightdeck::startup", "session of {} environments", session.providers.len());
    if options.record.is_none()
        && let Some(e) = no_terminal()
    {
        return Err(e);
    }
    let mut recorder = open_recorder(
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
    if let Some(e) = no_terminal().filter(|_| options.record.is_some()) {
        return Err(e);
    }
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
    // The last known state of each environment, drawn at once (never in
    // the simulation: its world is made anew each run).
    let remember =
        (!session.demo && options.config.remember_state()).then(|| options.paths.cache_dir());
    // The environment on screen before the first frame; the others
    // (a hundred accounts' states take tens of ms to read) just after it,
    // from a thread of their own (`Cockpit::remember_later`).
    let mut remember_later = vec![];
    if let Some(dir) = &remember {
        let (now, later): (Vec<_>, Vec<_>) = app
            .envs
            .iter()
            .enumerate()
            .map(|(i, e)| (i, e.info.clone()))
            .partition(|(i, _)| *i == app.current);
        let now: Vec<_> = now.into_iter().map(|(_, info)| info).collect();
        remember_later = later.into_iter().map(|(_, info)| info).collect();
        // A large state's first screen, when it has one: the whole of it
        // is read with the others.
        let heads = crate::last_known::load_heads(dir, &now);
        let now: Vec<_> = now
            .into_iter()
            .filter(|info| {
                let has_head = heads.iter().any(|h| h.env == info.name);
                if has_head {
                    remember_later.insert(0, info.clone());
                }
                !has_head
            })
            .collect();
        for last in heads.into_iter().chain(crate::last_known::load(dir, &now)) {
            let msg = Msg::Remembered(Box::new(last));
            record(&mut recorder, &mut app, &msg, clock.now());
            update(&mut app, msg);
        }
    }
    tracing::debug!(target: "flightdeck::startup", "the environment on screen's last known state read");
    app.stuck_after = options.stuck_after;
    app.set_log_buffer(options.config.log_buffer_lines());
    app.keymap = std::sync::Arc::new(options.config.keymap());
    app.actions = std::sync::Arc::new(options.actions.clone());
    app.runbooks = std::sync::Arc::new(options.config.runbooks());
    let palette = Palette::new(options).map_err(CockpitError::Session)?;
    let crash = CrashTest::from_env();
    // The team's lease table; a config that names it wrongly is said once
    // and the cockpit goes on without it.
    let live = match runtime.block_on(crate::team::leases::team(options)) {
        Ok(team) => team.map(crate::team::live::Live::new),
        Err(e) => {
            app.notice = Some(format!("the team's lease table is not used: {e:#}"));
            None
        }
    };
    // The team's bucket of recordings; said once when it cannot be used.
    #[cfg(feature = "aws")]
    let recordings = match runtime.block_on(crate::team::recordings::Shared::open(options)) {
        Ok(shared) => shared.map(Arc::new),
        Err(e) => {
            app.notice = Some(format!("recordings are not uploaded to the team: {e:#}"));
            None
        }
    };
    let writes = Writes {
        audit: options.audit_log(),
        providers: session.providers.clone(),
        clock: clock.clone(),
        team: live,
        records: runtime.block_on(crate::team::audit::records(options, options.audit_log())),
        actions: actions::Actions::new(
            Arc::new(options.clone()),
            options.audit_log(),
            clock.clone(),
            session.demo,
        ),
    };
    // A restart plays the same drill again: same seed, same start.
    let restart = match (&session.scenario, &session.world, &app.drill) {
        (Some(scenario), Some(world), Some(drill)) => Some(Restart {
            audit: writes.audit.clone(),
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
        remember,
        remember_later,
        team: (!session.demo && options.config.team.audit_log_group.is_some())
            .then(|| Arc::new(options.clone())),
        #[cfg(feature = "aws")]
        recordings,
    }
    .run(runtime)
    .map_err(CockpitError::Run)
}

/// The tokio runtime of a run: two workers, like the machines it runs on.
pub fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
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
    /// Where each environment's last known state is kept, when it is.
    remember: Option<PathBuf>,
    /// The environments whose last known state is read after the first
    /// frame (all but the one on screen).
    remember_later: Vec<flightdeck_model::EnvironmentInfo>,
    /// The options of the shared audit trail, when the team has one.
    team: Option<Arc<crate::options::Options>>,
    /// The team's bucket of recordings, when the config names one.
    #[cfg(feature = "aws")]
    recordings: Option<Arc<crate::team::recordings::Shared>>,
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
            remember,
            remember_later,
            team,
            #[cfg(feature = "aws")]
            recordings,
        } = self;
        tracing::debug!(target: "flightdeck::startup", "team and palette ready");
        let mut terminal = terminal::open()?;
        if mouse {
            capture_mouse(true);
        }
        install_panic_hook(log_file);
        let result = runtime.block_on(async {
            let size = terminal.size()?;
            // Recorded: a replay and an export draw at the session's size.
            let first = Msg::Resize(size.width, size.height);
            record(&mut recorder, &mut app, &first, clock.now());
            update(&mut app, first);
            let (mut engine, mut data_rx) =
                EngineLink::start(providers, clock.clone(), &writes, &app);
            let (answer_tx, mut answer_rx) = mpsc::unbounded_channel();
            if let Some(dir) = remember.clone()
                && !remember_later.is_empty()
            {
                let tx = answer_tx.clone();
                tokio::task::spawn_blocking(move || {
                    for last in crate::last_known::load(&dir, &remember_later) {
                        let _ = tx.send(Msg::Remembered(Box::new(last)));
                    }
                });
            }
            // What earlier sessions left is uploaded in the background.
            #[cfg(feature = "aws")]
            if let Some(shared) = &recordings {
                let (shared, tx) = (shared.clone(), answer_tx.clone());
                let current = recorder.as_ref().map(|r| r.path().to_path_buf());
                let now = clock.now();
                tokio::spawn(async move {
                    if let Some(said) = shared.upload_leftovers(current.as_deref(), now).await {
                        let _ = tx.send(Msg::Notice(said));
                    }
                });
            }
            let gate = Arc::new(crate::input::InputGate::default());
            let mut input_rx = read_terminal(gate.clone());
            let mut ticker = tokio::time::interval(Duration::from_millis(250));
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            let mut pacer = crate::frames::Pacer::new();
            let mut forwards = crate::forwards::Forwards::default();
            let mut kept = std::time::Instant::now();
            let mut team_beat = TeamBeat::default();
            // The shared audit trail is caught up at once, then every half
            // minute, one catch-up at a time.
            #[cfg(feature = "aws")]
            let (mut shared, sending) = (
                std::time::Instant::now()
                    .checked_sub(crate::team::audit::EVERY)
                    .unwrap_or_else(std::time::Instant::now),
                Arc::new(tokio::sync::Mutex::new(())),
            );
            'run: loop {
                let now = std::time::Instant::now();
                if app.dirty && pacer.may_draw(now) {
                    let theme = palette.for_env(&app.env().info.name);
                    terminal.draw(|f| flightdeck_tui::ui::render(f, &app, theme))?;
                    tracing::trace!(target: "flightdeck::startup", "frame drawn");
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
                    record(&mut recorder, &mut app, &msg, clock.now());
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
                    match attach {
                        Some(effects::HandOver::Exec(session)) => {
                            let ended = hand_over(&mut terminal, &gate, mouse, &session).await;
                            app.notice = Some(ended);
                            app.dirty = true;
                        }
                        Some(effects::HandOver::Action { run, env, plan }) => {
                            let provider = writes
                                .providers
                                .iter()
                                .find(|p| p.environment().name == env)
                                .cloned();
                            let intro = format!(
                                "flightdeck: action {} in {}; the cockpit comes back when it ends\n",
                                plan.action, env
                            );
                            let outcome = terminal::handed_over(
                                &mut terminal,
                                &gate,
                                mouse,
                                &flightdeck_model::text::sanitize_with(&intro, true),
                                writes.actions.run_here(provider, &plan),
                            )
                            .await;
                            let msg = Msg::ActionEnded {
                                run,
                                env,
                                plan,
                                outcome,
                            };
                            record(&mut recorder, &mut app, &msg, clock.now());
                            update(&mut app, msg);
                            app.dirty = true;
                        }
                        None => {}
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
                engine.sync(&mut app);
                if let Some(live) = &writes.team {
                    team_beat.due(&app, live, &writes.providers, clock.now(), &answer_tx);
                }
                #[cfg(feature = "aws")]
                if let Some(options) = &team
                    && shared.elapsed() >= crate::team::audit::EVERY
                    && let Ok(sending) = sending.clone().try_lock_owned()
                {
                    let options = options.clone();
                    tokio::spawn(async move {
                        let _sending = sending;
                        if let Err(e) = crate::team::audit::catch_up(&options).await {
                            tracing::warn!("shared audit trail: {e:#}; the records wait in the local audit log");
                        }
                    });
                    shared = std::time::Instant::now();
                }
                if let Some(dir) = &remember
                    && kept.elapsed() >= crate::last_known::SAVE_EVERY
                {
                    let (dir, states) = (dir.clone(), crate::last_known::take(&app));
                    tokio::task::spawn_blocking(move || crate::last_known::save(&dir, &states));
                    kept = std::time::Instant::now();
                }
            }
            // A runbook action still running is stopped as `x x` stops
            // it, and its record after written, before the cockpit goes.
            let going = writes.actions.going();
            if going > 0 {
                app.notice = Some(format!(
                    "stopping {going} running action{} (SIGTERM, SIGKILL after {} s)…",
                    if going == 1 { "" } else { "s" },
                    crate::actions::GRACE.as_secs()
                ));
                let theme = palette.for_env(&app.env().info.name);
                terminal.draw(|f| flightdeck_tui::ui::render(f, &app, theme))?;
                writes.actions.stop_all().await;
            }
            if let Some(dir) = &remember {
                crate::last_known::save(dir, &crate::last_known::take(&app));
            }
            forwards.close_all(&writes.providers).await;
            if let Some(live) = &writes.team {
                live.release_all(clock.now()).await;
            }
            anyhow::Ok(())
        });
        if mouse {
            capture_mouse(false);
        }
        terminal::release(terminal);
        #[cfg(feature = "aws")]
        if let (Some(shared), Some(finished)) = (&recordings, recorder.take()) {
            let path = finished.path().to_path_buf();
            // Dropped, it is flushed whole to its file.
            drop(finished);
            // Said before it starts: an upload can take its time.
            crate::output::err(format!(
                "flightdeck: uploading the recording ({} KB) to the team's bucket{}…\n",
                std::fs::metadata(&path)
                    .map_or(0, |m| m.len())
                    .div_ceil(1024),
                if shared.keeps(&path) {
                    "; Ctrl-C leaves it for a later start"
                } else {
                    ""
                }
            ));
            let said = match runtime.block_on(shared.upload(&path)) {
                Ok(said) => said,
                Err(e) => format!(
                    "the recording {} is not uploaded to the team: {e:#}{}",
                    path.display(),
                    if shared.keeps(&path) {
                        " (a later start uploads it)"
                    } else {
                        ""
                    }
                ),
            };
            crate::output::err(format!(
                "flightdeck: {}\n",
                flightdeck_model::text::sanitize(&said)
            ));
        }
        runtime.shutdown_timeout(Duration::from_millis(100));
        result
    }
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

/// The engine as the loop sees it: what is on screen goes to it, and the
/// debug overlay's figures (every provider's calls, the latest budget)
/// come from it.
struct EngineLink {
    focus: watch::Sender<engine::Focus>,
    budget: watch::Receiver<engine::BudgetReport>,
    providers: Vec<Arc<Provider>>,
    api_sent: std::time::Instant,
}

impl EngineLink {
    /// Starts the engine on `providers`; its data arrives on the receiver.
    fn start(
        providers: Vec<Arc<Provider>>,
        clock: Arc<dyn Clock>,
        writes: &Writes,
        app: &App,
    ) -> (EngineLink, mpsc::UnboundedReceiver<engine::DataEvent>) {
        let (focus, focus_rx) = watch::channel(app.focus());
        let (data_tx, data_rx) = mpsc::unbounded_channel();
        let (budget_tx, budget) = watch::channel(engine::BudgetReport::default());
        tokio::spawn(engine::run(
            providers.clone(),
            clock,
            writes.records.clone(),
            focus_rx,
            data_tx,
            Some(budget_tx),
        ));
        let link = EngineLink {
            focus,
            budget,
            providers,
            api_sent: std::time::Instant::now(),
        };
        (link, data_rx)
    }

    /// Tells the engine what the app now shows, and gives an open debug
    /// overlay its figures, at most every [`API_REPORT_EVERY`].
    fn sync(&mut self, app: &mut App) {
        if matches!(app.overlay, Some(Overlay::Api { .. }))
            && (app.api.is_none() || self.api_sent.elapsed() >= API_REPORT_EVERY)
        {
            let report = ApiReport {
                envs: self
                    .providers
                    .iter()
                    .map(|p| EnvCalls {
                        env: p.environment().name.clone(),
                        stats: p.api_stats(),
                    })
                    .collect(),
                budget: self.budget.borrow().clone(),
            };
            update(app, Msg::Api(Box::new(report)));
            self.api_sent = std::time::Instant::now();
        }
        let focus = app.focus();
        if *self.focus.borrow() != focus {
            let _ = self.focus.send(focus);
        }
    }
}

/// Records `msg` when the session is recorded; a recording that fails
/// stops, and the operator is told.
fn record(
    recorder: &mut Option<Recorder>,
    app: &mut App,
    msg: &Msg,
    now: flightdeck_model::Timestamp,
) {
    if let Some(r) = recorder.as_mut()
        && let Err(e) = r.record(msg, now)
    {
        tracing::warn!("recording stopped: {e}");
        app.notice = Some(format!("recording stopped: {e}"));
        *recorder = None;
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

/// When the cockpit last beat its presence and renewed its leases in the
/// team's table, and what it was looking at then.
struct TeamBeat {
    beat: Option<(
        std::time::Instant,
        String,
        Option<flightdeck_model::ServiceRef>,
    )>,
    renewed: std::time::Instant,
}

impl Default for TeamBeat {
    fn default() -> Self {
        TeamBeat {
            beat: None,
            renewed: std::time::Instant::now(),
        }
    }
}

/// A change of environment or service is beaten at once, but no more
/// often than this.
const BEAT_AT_MOST_EVERY: Duration = Duration::from_secs(5);

impl TeamBeat {
    /// Starts what is due, off the loop: the presence beat (a minute
    /// apart, or soon after the operator moves) with who else is in, and
    /// the renewal of the leases whose rollouts are still watched. The
    /// answers come back as messages.
    fn due(
        &mut self,
        app: &App,
        live: &crate::team::live::Live,
        providers: &[Arc<Provider>],
        now: flightdeck_model::Timestamp,
        answers: &mpsc::UnboundedSender<Msg>,
    ) {
        let env = app.env().info.name.clone();
        let service = app.detail.clone();
        let moved = self
            .beat
            .as_ref()
            .is_none_or(|(_, e, s)| *e != env || *s != service);
        let due = self.beat.as_ref().is_none_or(|(at, ..)| {
            at.elapsed() >= flightdeck_core::lease::BEAT_EVERY
                || (moved && at.elapsed() >= BEAT_AT_MOST_EVERY)
        });
        if due && let Some(p) = providers.iter().find(|p| p.environment().name == env) {
            self.beat = Some((std::time::Instant::now(), env.clone(), service.clone()));
            let (p, live, answers) = (p.clone(), live.clone(), answers.clone());
            tokio::spawn(async move {
                let Ok(id) = p.caller_identity().await else {
                    return;
                };
                let region = &p.environment().region;
                let scope = flightdeck_core::lease::Team::scope(&id.account, region);
                let key = service.map(|s| {
                    flightdeck_core::lease::Team::key(&id.account, region, &s.cluster, &s.name)
                });
                let others = match live.team.beat(&scope, key.as_deref(), now).await {
                    Ok(()) => live.team.others(&scope, now).await,
                    Err(e) => Err(e),
                };
                match others {
                    Ok(others) => {
                        let _ = answers.send(Msg::Presence { env, others });
                    }
                    Err(e) => tracing::warn!("presence: {e}"),
                }
            });
        }
        if self.renewed.elapsed() >= flightdeck_core::lease::RENEW_EVERY
            && !live.leases().is_empty()
        {
            self.renewed = std::time::Instant::now();
            // The services whose rollouts are still followed.
            let watched: Vec<String> = app
                .rollout
                .iter()
                .filter(|r| !r.watch.status.is_final())
                .map(|r| format!("/{}/{}", r.watch.cluster, r.watch.service))
                .collect();
            let (live, answers) = (live.clone(), answers.clone());
            tokio::spawn(async move {
                let said = live
                    .keep(|l| watched.iter().any(|w| l.service.ends_with(w)), now)
                    .await;
                for notice in said {
                    let _ = answers.send(Msg::Notice(notice));
                }
            });
        }
    }
}
