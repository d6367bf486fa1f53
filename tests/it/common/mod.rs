//! Test harness: an app fed by the simulated production at a fixed seed
//! and a manual clock, through the engine's own schedule and fetch code.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

#[cfg(feature = "aws")]
pub mod cli;
pub mod faulty;
#[cfg(feature = "aws")]
pub mod moto;

use chrono::TimeZone;
use flightdeck::app::{App, Msg, update};
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::engine::{Schedule, fetch};
use flightdeck::model::Timestamp;
use flightdeck::provider::Provider;
use flightdeck::sim::{SimProvider, World};
use flightdeck::theme::{Theme, ThemeSet};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};

pub const SEED: u64 = 42;

/// The seed world (SEED at [`start`]), built once per run of the test
/// binary and cloned for each test: building one (its warm-up writes
/// hours of history) takes half a second, a clone a few milliseconds, and
/// a clone goes on exactly as a new one would.
pub fn seed_world() -> World {
    static WORLD: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    WORLD.get_or_init(|| World::new(SEED, start())).clone()
}

/// [`seed_world`] for a drill: one world per scenario, cloned.
pub fn scenario_world(scenario: &flightdeck::sim::scenario::Scenario) -> World {
    static WORLDS: Mutex<std::collections::BTreeMap<String, World>> =
        Mutex::new(std::collections::BTreeMap::new());
    let mut worlds = WORLDS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    worlds
        .entry(scenario.name.clone())
        .or_insert_with(|| World::with_scenario(SEED, start(), scenario.clone()))
        .clone()
}

pub fn start() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
        .unwrap()
}

/// `world`'s environments as providers, on a manual clock at its start.
fn simulated(world: World) -> (Vec<Arc<Provider>>, ManualClock) {
    let clock = ManualClock::new(start());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let providers = SimProvider::all(Arc::new(Mutex::new(world)), shared)
        .into_iter()
        .map(|p| Arc::new(Provider::new(p)))
        .collect();
    (providers, clock)
}

pub struct Harness {
    pub app: App,
    pub clock: ManualClock,
    pub providers: Vec<Arc<Provider>>,
    schedule: Schedule,
    generation: u64,
    /// Where the writes of this harness are audited.
    pub audit: flightdeck::ops::AuditLog,
    _audit_dir: tempfile::TempDir,
    /// The flight recorder, when the session is recorded.
    pub recorder: Option<flightdeck::recording::Recorder>,
    /// The team's lease table, when the test gives one.
    pub team: Option<flightdeck::team::live::Live>,
}

impl Harness {
    pub fn new() -> Self {
        let (providers, clock) = simulated(seed_world());
        Self::with_providers(providers, clock, true)
    }

    /// The cockpit playing a drill (`demo --scenario NAME`), on its
    /// environment.
    pub fn drill(name: &str) -> Self {
        let scenario = flightdeck::sim::scenario::embedded()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap();
        let (providers, clock) = simulated(scenario_world(&scenario));
        let mut h = Self::with_providers(providers, clock, true);
        h.app.drill = Some(flightdeck::runtime::drill_of(&scenario, start()));
        let env = scenario.environment.get_ref().clone();
        h.go_to_env(&env);
        h
    }

    /// An app over any providers (the AWS provider against moto, say).
    pub fn with_providers(providers: Vec<Arc<Provider>>, clock: ManualClock, demo: bool) -> Self {
        Self::build(providers, clock, demo, None)
    }

    fn build(
        providers: Vec<Arc<Provider>>,
        clock: ManualClock,
        demo: bool,
        recorder: Option<flightdeck::recording::Recorder>,
    ) -> Self {
        let infos = providers.iter().map(|p| p.environment().clone()).collect();
        let mut app = App::new(infos, clock.now(), false);
        app.demo = demo;
        let dir = tempfile::tempdir().unwrap();
        let mut h = Harness {
            app,
            clock,
            providers,
            schedule: Schedule::default(),
            generation: 0,
            audit: flightdeck::ops::AuditLog::new(dir.path().join("audit.jsonl")),
            _audit_dir: dir,
            recorder,
            team: None,
        };
        h.settle();
        h
    }

    /// The demo's harness, its session recorded to `path` from its very
    /// first message, as the cockpit records one.
    pub fn recorded(path: &std::path::Path) -> Self {
        let (providers, clock) = simulated(seed_world());
        Self::recorded_over(providers, clock, true, path)
    }

    /// Any providers' harness (moto's, say), recorded to `path`.
    pub fn recorded_over(
        providers: Vec<Arc<Provider>>,
        clock: ManualClock,
        demo: bool,
        path: &std::path::Path,
    ) -> Self {
        let header = flightdeck::recording::Header {
            format: flightdeck::recording::FORMAT.into(),
            version: flightdeck::recording::VERSION,
            started: clock.now(),
            environments: providers.iter().map(|p| p.environment().clone()).collect(),
            demo,
            drill: None,
            current: None,
            read_only: false,
            keys: vec![],
        };
        let recorder = flightdeck::recording::Recorder::create(path, &header).unwrap();
        Self::build(providers, clock, demo, Some(recorder))
    }

    /// Hands one message to `update`, recording it first when recorded.
    pub fn feed(&mut self, msg: Msg) -> Vec<flightdeck::app::Effect> {
        if let Some(r) = self.recorder.as_mut() {
            r.record(&msg, self.clock.now()).unwrap();
        }
        update(&mut self.app, msg)
    }

    /// Runs every due job until nothing new is due (the screen is loaded).
    pub fn settle(&mut self) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for _ in 0..4 {
            let now = self.clock.now();
            let jobs = self.schedule.due(&self.app.focus(), now);
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                self.schedule.started(&job.key, now);
                self.generation += 1;
                let provider = self
                    .providers
                    .iter()
                    .find(|p| p.environment().name == job.key.env)
                    .unwrap()
                    .clone();
                let event = rt.block_on(fetch(
                    provider.as_ref(),
                    &job,
                    self.generation,
                    &self.clock,
                    &flightdeck::timeline::Records::local(self.audit.clone()),
                ));
                self.feed(Msg::Data(Box::new(event)));
            }
        }
        let now = self.clock.now();
        self.feed(Msg::Tick(now));
    }

    /// One read of `kind` in `env` at the clock's instant, not handed to
    /// the app: what arrives late is fed when the test says.
    pub fn read(
        &mut self,
        env: &str,
        kind: flightdeck::engine::JobKind,
    ) -> flightdeck::engine::DataEvent {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let job = flightdeck::engine::Job {
            key: flightdeck::engine::JobKey {
                env: env.into(),
                kind,
            },
            logs_since: None,
            known_services: 0,
        };
        self.generation += 1;
        let provider = self.provider(env);
        rt.block_on(fetch(
            provider.as_ref(),
            &job,
            self.generation,
            &self.clock,
            &flightdeck::timeline::Records::local(self.audit.clone()),
        ))
    }

    pub fn advance(&mut self, by: chrono::Duration) {
        self.clock.advance(by);
        self.settle();
    }

    pub fn keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.key(crossterm::event::KeyCode::Char(c));
        }
    }

    pub fn key(&mut self, code: crossterm::event::KeyCode) {
        let mods = if code.as_char().is_some_and(|c| c.is_ascii_uppercase()) {
            crossterm::event::KeyModifiers::SHIFT
        } else {
            crossterm::event::KeyModifiers::NONE
        };
        let effects = self.feed(Msg::Key(crossterm::event::KeyEvent::new(code, mods)));
        self.carry_out(effects);
        self.settle();
    }

    /// Does what the runtime does with the effects of `update`: plans and
    /// executes writes against the providers, answering with messages.
    pub fn carry_out(&mut self, effects: Vec<flightdeck::app::Effect>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for effect in effects {
            if let Some(answers) = self.carry_out_action(&rt, &effect) {
                for msg in answers {
                    let more = self.feed(msg);
                    self.carry_out(more);
                }
                continue;
            }
            let answer = rt.block_on(flightdeck::runtime::carry_out(
                effect,
                &self.providers,
                &self.audit,
                &self.clock,
                self.team.as_ref(),
            ));
            if let Some(msg) = answer {
                let more = self.feed(msg);
                self.carry_out(more);
            }
        }
    }

    /// A runbook action's effect carried out as the runtime does (planned
    /// with the caller's account; run to its end, each line of output a
    /// message, in the simulation without AWS credentials); `None` for
    /// other effects. A cancel interrupts nothing here: runs end first.
    fn carry_out_action(
        &self,
        rt: &tokio::runtime::Runtime,
        effect: &flightdeck::app::Effect,
    ) -> Option<Vec<Msg>> {
        use flightdeck::app::Effect;
        let provider = |env: &str| self.providers.iter().find(|p| p.environment().name == env);
        match effect {
            Effect::PlanAction {
                request,
                env,
                action,
                target,
            } => {
                let spec = self.app.actions.iter().find(|a| a.name == *action).unwrap();
                let result = rt.block_on(flightdeck::actions::plan_at(
                    spec,
                    String::new(),
                    provider(env).map(|p| p.as_ref()),
                    target,
                    true,
                ));
                Some(vec![Msg::ActionPlanned {
                    request: *request,
                    env: env.clone(),
                    result,
                }])
            }
            Effect::RunAction { run, env, plan, .. } => {
                let context = flightdeck::actions::Context {
                    audit: self.audit.clone(),
                    clock: std::sync::Arc::new(self.clock.clone()),
                };
                let mut out = vec![];
                let outcome = rt.block_on(flightdeck::actions::audited(
                    &context,
                    plan,
                    provider(env).map(|p| p.as_ref()),
                    flightdeck::actions::Io::Piped,
                    std::future::pending(),
                    |stream, line| {
                        out.push(Msg::ActionOutput {
                            run: *run,
                            stream: match stream {
                                flightdeck::actions::Stream::Out => {
                                    flightdeck::app::actions::Stream::Out
                                }
                                flightdeck::actions::Stream::Err => {
                                    flightdeck::app::actions::Stream::Err
                                }
                                flightdeck::actions::Stream::Note => {
                                    flightdeck::app::actions::Stream::Note
                                }
                            },
                            line,
                        })
                    },
                ));
                out.push(Msg::ActionEnded {
                    run: *run,
                    env: env.clone(),
                    plan: plan.clone(),
                    outcome,
                });
                Some(out)
            }
            Effect::CancelAction(_) => Some(vec![]),
            // Followed as the runtime does, the clock moved 2 s a look.
            Effect::FollowTask {
                run,
                env,
                task,
                started,
            } => {
                let mut out = vec![];
                let clock = self.clock.clone();
                rt.block_on(flightdeck::runtime::follow_one_off(
                    provider(env).map(|p| p.as_ref()),
                    *run,
                    task,
                    started,
                    flightdeck_model::clock::Clock::now(&self.clock),
                    || {
                        clock.advance(chrono::Duration::seconds(2));
                        std::future::ready(())
                    },
                    |msg| out.push(msg),
                ));
                Some(out)
            }
            _ => None,
        }
    }

    /// Switches to an environment by its place in the switcher, on its
    /// services pane.
    /// Selects service `name` in the services pane's rows.
    pub fn select_service(&mut self, name: &str) {
        let at = self
            .app
            .service_rows()
            .iter()
            .position(|s| s.name == name)
            .unwrap();
        self.app.selected[flightdeck::app::Pane::Services.index()] = at;
    }

    pub fn go_to_env(&mut self, name: &str) {
        let index = self
            .app
            .envs
            .iter()
            .position(|e| e.info.name == name)
            .unwrap();
        self.keys("e");
        for _ in 0..index {
            self.keys("j");
        }
        self.key(crossterm::event::KeyCode::Enter);
        assert_eq!(self.app.env().info.name, name);
        self.keys("1");
    }

    /// Empties the focused field of a form.
    pub fn clear_field(&mut self) {
        for _ in 0..120 {
            self.key(crossterm::event::KeyCode::Backspace);
        }
    }

    pub fn provider(&self, env: &str) -> Arc<Provider> {
        self.providers
            .iter()
            .find(|p| p.environment().name == env)
            .unwrap()
            .clone()
    }

    /// The screen as text at `width`x`height`.
    pub fn screen(&mut self, width: u16, height: u16, theme: &Theme) -> String {
        self.feed(Msg::Resize(width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| flightdeck::ui::render(f, &self.app, theme))
            .unwrap();
        terminal.backend().to_string()
    }

    pub fn buffer(&mut self, width: u16, height: u16, theme: &Theme) -> ratatui::buffer::Buffer {
        self.feed(Msg::Resize(width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| flightdeck::ui::render(f, &self.app, theme))
            .unwrap();
        terminal.backend().buffer().clone()
    }
}

/// `app` drawn at `width`x`height`, as text.
pub fn render(app: &App, width: u16, height: u16, theme: &Theme) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| flightdeck::ui::render(f, app, theme))
        .unwrap();
    terminal.backend().to_string()
}

pub fn theme(name: &str) -> Theme {
    ThemeSet::load(None).unwrap().get(name).unwrap().clone()
}
