//! The interactive cockpit: terminal set-up and restore, the event loop
//! joining keys, engine results and the clock, and redraw-on-change.

use crate::options::Options;
use crate::session::Session;
use anyhow::Context;
use crossterm::event::{self, Event};
use flightdeck_core::engine;
use flightdeck_core::ops::{self, AuditLog, ExecError, PlanError};
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_tui::app::{App, Effect, Msg, update};
use flightdeck_tui::theme::Theme;
use std::collections::HashMap;
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
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = async_runtime().map_err(CockpitError::Run)?;
    let session = runtime
        .block_on(Session::start(options, clock.clone()))
        .map_err(CockpitError::Session)?;
    let mut app = App::new(session.infos, clock.now(), session.read_only);
    app.demo = session.demo;
    app.stuck_after = options.stuck_after;
    let palette = Palette::new(options).map_err(CockpitError::Session)?;
    let writes = Writes {
        audit: AuditLog::new(&options.paths.audit_log),
        providers: session.providers.clone(),
        clock: clock.clone(),
    };
    run(runtime, app, session.providers, clock, palette, writes).map_err(CockpitError::Run)
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
    providers: Vec<Arc<dyn Provider>>,
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
    providers: &[Arc<dyn Provider>],
    audit: &AuditLog,
    clock: &dyn Clock,
) -> Option<Msg> {
    let provider = |env: &str| providers.iter().find(|p| p.environment().name == env);
    match effect {
        Effect::Quit => None,
        Effect::Plan { request, env, op } => {
            let result = match provider(&env) {
                None => Err(PlanError::Invalid(format!("no environment {env}"))),
                Some(p) => match p.caller_identity().await {
                    Ok(id) => ops::plan(p.as_ref(), &id.account, op.clone(), Some(audit)).await,
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
    if std::fs::create_dir_all(&paths.state_dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log_file)
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

enum Input {
    Terminal(Event),
    Closed,
}

/// Runs the cockpit until the operator quits. The terminal is restored on
/// every way out: quit, error, signal and panic (ratatui's panic hook).
fn run(
    runtime: tokio::runtime::Runtime,
    mut app: App,
    providers: Vec<Arc<dyn Provider>>,
    clock: Arc<dyn Clock>,
    palette: Palette,
    writes: Writes,
) -> anyhow::Result<()> {
    let mut terminal = ratatui::init();
    let result = runtime.block_on(async {
        let size = terminal.size()?;
        update(&mut app, Msg::Resize(size.width, size.height));
        let (focus_tx, focus_rx) = watch::channel(app.focus());
        let (data_tx, mut data_rx) = mpsc::unbounded_channel();
        tokio::spawn(engine::run(providers, clock.clone(), focus_rx, data_tx));
        let (answer_tx, mut answer_rx) = mpsc::unbounded_channel();
        let (input_tx, mut input_rx) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            loop {
                let msg = match event::read() {
                    Ok(ev) => Input::Terminal(ev),
                    Err(_) => Input::Closed,
                };
                let closed = matches!(msg, Input::Closed);
                if input_tx.send(msg).is_err() || closed {
                    return;
                }
            }
        });
        let mut ticker = tokio::time::interval(Duration::from_millis(250));
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        loop {
            if app.dirty {
                let theme = palette.for_env(&app.env().info.name);
                terminal.draw(|f| flightdeck_tui::ui::render(f, &app, theme))?;
                app.dirty = false;
            }
            let msg = tokio::select! {
                Some(input) = input_rx.recv() => match input {
                    Input::Terminal(Event::Key(k)) => Msg::Key(k),
                    Input::Terminal(Event::Resize(w, h)) => Msg::Resize(w, h),
                    Input::Terminal(_) => continue,
                    Input::Closed => break,
                },
                Some(data) = data_rx.recv() => Msg::Data(Box::new(data)),
                Some(answer) = answer_rx.recv() => answer,
                _ = ticker.tick() => Msg::Tick(clock.now()),
                _ = terminate.recv() => break,
                _ = hangup.recv() => break,
            };
            for effect in update(&mut app, msg) {
                writes.spawn(effect, answer_tx.clone());
            }
            if app.quit {
                break;
            }
            let focus = app.focus();
            if *focus_tx.borrow() != focus {
                let _ = focus_tx.send(focus);
            }
        }
        anyhow::Ok(())
    });
    ratatui::restore();
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}
