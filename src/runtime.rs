//! The interactive cockpit: terminal set-up and restore, the event loop
//! joining keys, engine results and the clock, and redraw-on-change.

use crate::app::{App, Msg, update};
use crate::cli::commands_support::{load_config, load_themes, theme_name};
use crate::cli::{Cli, Failure};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Paths};
use crate::engine;
use crate::provider::{Provider, ReadOnlyGuard, ReadProvider};
use crate::sim::{SimProvider, World};
use crate::theme::{Theme, ThemeSet};
use anyhow::{Context, anyhow};
use crossterm::event::{self, Event};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub const DEFAULT_SEED: u64 = 42;

/// `flightdeck demo`: the cockpit on the simulated production.
pub fn demo(cli: &Cli, paths: &Paths, seed: Option<u64>) -> Result<(), Failure> {
    let themes = load_themes(paths)?;
    let config = load_config(cli, paths, &themes)?;
    init_logging(paths, &config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let seed = seed.or(config.demo.seed).unwrap_or(DEFAULT_SEED);
    let world = Arc::new(Mutex::new(World::new(seed, clock.now())));
    let global_ro = cli.read_only.unwrap_or(config.read_only);
    let sims = SimProvider::all(world, clock.clone());
    let names: Vec<String> = sims.iter().map(|p| p.environment().name.clone()).collect();
    let mut providers: Vec<Arc<dyn Provider>> = vec![];
    for sim in sims {
        let name = sim.environment().name.clone();
        if cli.env.as_ref().is_some_and(|e| *e != name) {
            continue;
        }
        let section = config.environment(&name);
        let read_only = global_ro || section.is_some_and(|s| s.read_only);
        providers.push(Arc::new(ReadOnlyGuard::new(sim, read_only)));
    }
    if providers.is_empty() {
        return Err(Failure::usage(anyhow!(
            "no demo environment is called `{}`; there are: {}",
            cli.env.clone().unwrap_or_default(),
            names.join(", ")
        )));
    }
    let infos = providers
        .iter()
        .map(|p| {
            let mut info = p.environment().clone();
            if let Some(prod) = config.environment(&info.name).and_then(|s| s.production) {
                info.production = prod;
            }
            info
        })
        .collect();
    let mut app = App::new(infos, clock.now(), global_ro);
    app.demo = true;
    let palette = Palette::new(&themes, &theme_name(cli, &config), &config)?;
    run(app, providers, clock, palette).map_err(Failure::failed)
}

/// The theme of each environment.
struct Palette {
    default: Theme,
    per_env: HashMap<String, Theme>,
}

impl Palette {
    fn new(themes: &ThemeSet, name: &str, config: &Config) -> Result<Palette, Failure> {
        let default = themes
            .require(name)
            .map_err(|e| Failure::usage(anyhow!(e)))?
            .clone();
        let explicit = name != crate::theme::DEFAULT_THEME
            && config.theme.as_ref().is_none_or(|t| t.get_ref() != name);
        let mut per_env = HashMap::new();
        // An explicit --theme or NO_COLOR beats per-environment themes.
        if !explicit {
            for env in &config.environments {
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

fn init_logging(paths: &Paths, config: &Config) {
    let filter = std::env::var("FLIGHTDECK_LOG")
        .ok()
        .or_else(|| config.log_level.clone())
        .unwrap_or_else(|| "info".into());
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
            tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into()),
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
    mut app: App,
    providers: Vec<Arc<dyn Provider>>,
    clock: Arc<dyn Clock>,
    palette: Palette,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut terminal = ratatui::init();
    let result = runtime.block_on(async {
        let size = terminal.size()?;
        update(&mut app, Msg::Resize(size.width, size.height));
        let (focus_tx, focus_rx) = watch::channel(app.focus());
        let (data_tx, mut data_rx) = mpsc::unbounded_channel();
        tokio::spawn(engine::run(providers, clock.clone(), focus_rx, data_tx));
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
                terminal.draw(|f| crate::ui::render(f, &app, theme))?;
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
                _ = ticker.tick() => Msg::Tick(clock.now()),
                _ = terminate.recv() => break,
                _ = hangup.recv() => break,
            };
            update(&mut app, msg);
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
