//! App state and the pure [`update`]: every key and every engine result is
//! a [`Msg`]; `update` changes the state and returns [`Effect`]s for the
//! runtime. No terminal, no clock, no I/O here, so all of it is testable.

pub mod actions;
pub mod api;
mod changes;
pub mod copy;
mod data;
pub mod drill;
pub mod keymap;
pub mod last_known;
pub mod mouse;
mod palette;
mod update;
pub mod write;

pub(crate) use changes::kind_after;
pub use data::{AlarmDetail, EnvData, LOG_BUFFER, LogBuffer, Slot};
pub use palette::{Jump, PaletteItem};
pub use update::update;

use crossterm::event::KeyEvent;
use flightdeck_core::engine::{DataEvent, Focus, Queries, View};
use flightdeck_core::timeline::{Entry, Kind, Scope, Timeline};
use flightdeck_core::triage::{Finding, Rules, suspected_crash_loops, triage};
use flightdeck_model::text::contains_lowercase;
use flightdeck_model::{
    Alarm, EnvironmentInfo, LogEvent, LogSource, MetricName, MetricQuery, RolloutState,
    ScalableTarget, Service, ServiceRef, Strategy, Timestamp,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    /// What needs a human now, across every environment.
    Triage,
    Services,
    Scaling,
    Alarms,
    Logs,
    Costs,
    /// What changed: the change timeline of the environment or a service.
    Changes,
}

impl Pane {
    /// Every pane; the number key of each is its index.
    pub const ALL: [Pane; 7] = [
        Pane::Triage,
        Pane::Services,
        Pane::Scaling,
        Pane::Alarms,
        Pane::Logs,
        Pane::Costs,
        Pane::Changes,
    ];

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Triage => "Triage",
            Pane::Services => "Services",
            Pane::Scaling => "Scaling",
            Pane::Alarms => "Alarms",
            Pane::Logs => "Logs",
            Pane::Costs => "Costs",
            Pane::Changes => "Changes",
        }
    }

    /// The title in a few letters, for a tab beside a rollout's status on
    /// 80 columns.
    pub fn short_title(self) -> &'static str {
        match self {
            Pane::Triage => "Tri",
            Pane::Services => "Svc",
            Pane::Scaling => "Scale",
            Pane::Alarms => "Alarm",
            Pane::Logs => "Logs",
            Pane::Costs => "Cost",
            Pane::Changes => "Chg",
        }
    }

    fn view(self) -> View {
        match self {
            Pane::Triage => View::Triage,
            Pane::Services => View::Services,
            Pane::Scaling => View::Scaling,
            Pane::Alarms => View::Alarms,
            Pane::Logs => View::Logs,
            Pane::Costs => View::Costs,
            Pane::Changes => View::Changes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// A drill's debrief, opened once at its end.
    Debrief {
        scroll: u16,
    },
    Palette {
        input: String,
        selected: usize,
    },
    /// The environment switcher: `selected` indexes `App::envs`; while
    /// `filter` is typed (after `/`) only the environments it matches show.
    EnvSwitcher {
        selected: usize,
        filter: Option<String>,
    },
    /// The debug overlay: API calls, throttles and the request budget.
    Api {
        scroll: u16,
    },
    /// The output of runbook action `run`: following its end unless
    /// scrolled (`scroll`); `x` pressed once to cancel it.
    Actions {
        run: u64,
        scroll: Option<u16>,
        cancel_armed: bool,
    },
}

/// What a line of text typed at the bottom of the screen goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTarget {
    Filter(Pane),
    LogSearch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogsView {
    /// `(cluster, service)` whose log group is shown; `None` follows the
    /// service selected in the services pane.
    pub source: Option<ServiceRef>,
    pub follow: bool,
    pub wrap: bool,
    pub timestamps: bool,
    pub search: String,
    /// Lines scrolled up from the newest; 0 while following.
    pub scroll: usize,
    /// Index, in the filtered lines, of the search match last jumped to.
    pub current_match: Option<usize>,
    /// Bring the first line at or after this instant into view as soon as
    /// the lines are there (triage's "time of the first failure"), once.
    pub anchor: Option<Timestamp>,
}

impl Default for LogsView {
    fn default() -> Self {
        Self {
            source: None,
            follow: true,
            wrap: false,
            timestamps: true,
            search: String::new(),
            scroll: 0,
            current_match: None,
            anchor: None,
        }
    }
}

/// What the services pane is sorted by: `o` the next column, `O` the
/// other way. Most first: the most short of tasks, a failed rollout, the
/// busiest CPU (the k9s habit of sorting a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSort {
    /// By cluster, then name (the order they are kept in).
    Name,
    /// The most tasks short of the desired count first, then pending,
    /// then the most desired.
    Tasks,
    /// FAILED first, then IN_PROGRESS, then COMPLETED.
    Rollout,
    Cpu,
    Memory,
    /// By family, the newest revision first.
    TaskDef,
    Cluster,
}

impl ServiceSort {
    /// Whether its order puts the largest or worst first (`CPU▼`) rather
    /// than A to Z (`NAME▲`).
    pub fn descending(self) -> bool {
        matches!(
            self,
            ServiceSort::Tasks | ServiceSort::Rollout | ServiceSort::Cpu | ServiceSort::Memory
        )
    }

    pub const ALL: [ServiceSort; 7] = [
        ServiceSort::Name,
        ServiceSort::Tasks,
        ServiceSort::Rollout,
        ServiceSort::Cpu,
        ServiceSort::Memory,
        ServiceSort::TaskDef,
        ServiceSort::Cluster,
    ];

    /// Its column in the services table (the same order).
    pub fn column(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceSort::Name => "name",
            ServiceSort::Tasks => "tasks short",
            ServiceSort::Rollout => "rollout",
            ServiceSort::Cpu => "CPU",
            ServiceSort::Memory => "memory",
            ServiceSort::TaskDef => "task definition",
            ServiceSort::Cluster => "cluster",
        }
    }

    pub fn next(self) -> ServiceSort {
        Self::ALL[(self.column() + 1) % Self::ALL.len()]
    }
}

/// How far back the change timeline goes: `<` and `>` step through these.
pub const CHANGE_WINDOWS: [chrono::Duration; 9] = [
    chrono::Duration::minutes(30),
    chrono::Duration::hours(1),
    chrono::Duration::hours(2),
    chrono::Duration::hours(6),
    chrono::Duration::hours(24),
    chrono::Duration::days(3),
    chrono::Duration::days(7),
    chrono::Duration::days(30),
    // As far back as CloudTrail's event history.
    chrono::Duration::days(90),
];

/// The farthest back the logs pane reads to show the first failure of a
/// finding (an alarm may have been firing for hours).
pub const ANCHOR_BACKFILL: chrono::Duration = chrono::Duration::hours(3);

/// How far back a service's detail shows its changes.
pub const DETAIL_CHANGES: chrono::Duration = chrono::Duration::hours(2);

/// The changes pane: whose changes, how far back, which kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangesView {
    /// One service's changes; the whole environment's when `None`.
    pub service: Option<ServiceRef>,
    /// Index in [`CHANGE_WINDOWS`].
    pub window: usize,
    /// Only this kind; every kind when `None`.
    pub kind: Option<Kind>,
    /// The pane `c` came from: `Esc` goes back there.
    pub came_from: Option<Pane>,
}

impl Default for ChangesView {
    fn default() -> Self {
        Self {
            service: None,
            window: 2,
            kind: None,
            came_from: None,
        }
    }
}

impl ChangesView {
    pub fn window(&self) -> chrono::Duration {
        CHANGE_WINDOWS[self.window.min(CHANGE_WINDOWS.len() - 1)]
    }

    pub fn scope(&self) -> Scope {
        self.service
            .clone()
            .map_or(Scope::Environment, Scope::Service)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Data(Box<DataEvent>),
    /// What a previous run knew of an environment, read from disk at the
    /// start: drawn, marked with its age, until this run's answers come.
    Remembered(Box<last_known::LastKnown>),
    Tick(Timestamp),
    Resize(u16, u16),
    Planned {
        /// The request this answers.
        request: write::RequestId,
        env: String,
        op: flightdeck_core::ops::Operation,
        result: Result<flightdeck_core::ops::Plan, flightdeck_core::ops::PlanError>,
    },
    Executed {
        request: write::RequestId,
        env: String,
        plan: Box<flightdeck_core::ops::Plan>,
        result: Result<flightdeck_core::ops::Executed, flightdeck_core::ops::ExecError>,
        /// When the answer came back: a read that began before it may not
        /// show the write.
        at: Timestamp,
    },
    /// The debug overlay's figures, sent while it is open.
    Api(Box<api::ApiReport>),
    /// A click or the wheel, resolved against the frame on screen.
    Mouse(mouse::MouseInput),
    /// The port forwards open now, as the runtime keeps them.
    Forwards(Vec<String>),
    /// Something the runtime learnt that the operator must read (another
    /// operator took over a lease this cockpit held).
    Notice(String),
    /// Who else has environment `env` open now (`[team] lease_table`).
    Presence {
        env: String,
        others: Vec<flightdeck_core::lease::Presence>,
    },
    /// Two revisions of a service side by side, or why not.
    Diffed {
        request: write::RequestId,
        result: Result<flightdeck_core::diff::Revisions, String>,
    },
    /// A runbook action's plan came back.
    ActionPlanned {
        request: write::RequestId,
        env: String,
        result: Result<flightdeck_core::action::ActionPlan, String>,
    },
    /// A line of a runbook action's output (not yet sanitised: the UI
    /// shows it through its one output path).
    ActionOutput {
        run: u64,
        stream: actions::Stream,
        line: String,
    },
    /// A followed one-off task stopped: its command's exit code, or why
    /// there is none.
    TaskEnded {
        run: u64,
        outcome: Result<i32, String>,
    },
    /// A runbook action ended: its exit status, or why there is none.
    ActionEnded {
        run: u64,
        env: String,
        plan: Box<flightdeck_core::action::ActionPlan>,
        outcome: Result<i32, String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Plan a write; the answer comes back as [`Msg::Planned`].
    Plan {
        request: write::RequestId,
        env: String,
        op: flightdeck_core::ops::Operation,
    },
    /// Execute a confirmed plan; the answer comes back as [`Msg::Executed`].
    Execute {
        request: write::RequestId,
        env: String,
        plan: Box<flightdeck_core::ops::Plan>,
    },
    /// Pause, resume or change the speed of the drill's clock.
    Drill(drill::DrillControl),
    /// Put this text on the clipboard (OSC 52 to the terminal).
    Copy(String),
    /// Open this link in a browser, where one is (a runbook).
    Open(String),
    /// Hand the terminal to `session-manager-plugin` for this ECS Exec
    /// session, and take it back when the session ends.
    Attach(Box<flightdeck_core::provider::ExecSession>),
    /// Keep `session-manager-plugin` running on this port-forwarding
    /// session in the background until it is closed or the cockpit quits.
    Forward {
        env: String,
        session: Box<flightdeck_core::provider::ExecSession>,
        described: String,
    },
    /// Close every open port forward.
    CloseForwards,
    /// Plan runbook action `action` on `target`; the answer comes back as
    /// [`Msg::ActionPlanned`].
    PlanAction {
        request: write::RequestId,
        env: String,
        action: String,
        target: actions::Target,
    },
    /// Run a planned (and confirmed) action: its output comes back as
    /// [`Msg::ActionOutput`], its end as [`Msg::ActionEnded`]. With `tty`
    /// the terminal is handed to it.
    RunAction {
        run: u64,
        env: String,
        plan: Box<flightdeck_core::action::ActionPlan>,
        tty: bool,
    },
    /// Interrupt run `run` (SIGTERM, SIGKILL after a grace period).
    CancelAction(u64),
    /// Follow the one-off task `started` that `task` started: its status
    /// and log lines come back as [`Msg::ActionOutput`] of run `run`, its
    /// end as [`Msg::TaskEnded`].
    FollowTask {
        run: u64,
        env: String,
        task: Box<flightdeck_core::provider::OneOffTask>,
        started: Box<flightdeck_model::Task>,
    },
    /// Read two revisions of a service's task definition (the one before
    /// the running one, and it) and their diff; the answer comes back as
    /// [`Msg::Diffed`].
    Diff {
        request: write::RequestId,
        env: String,
        service: flightdeck_model::ServiceRef,
    },
}

/// A value worked out from the app's state, kept until its key changes.
/// Not part of the state: two apps differing only here are equal.
/// (A mutex, not a cell: the app is shared with threads in tests.)
#[derive(Debug)]
pub struct Memo<K, V>(std::sync::Mutex<Option<(K, V)>>);

impl<K, V> Memo<K, V> {
    fn kept(&self) -> std::sync::MutexGuard<'_, Option<(K, V)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo(std::sync::Mutex::new(None))
    }
}

impl<K: Clone, V: Clone> Clone for Memo<K, V> {
    fn clone(&self) -> Self {
        Memo(std::sync::Mutex::new(self.kept().clone()))
    }
}

impl<K, V> PartialEq for Memo<K, V> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<K: PartialEq + Clone, V: Clone> Memo<K, V> {
    /// The value for `key`, worked out by `make` when it is not the kept one.
    pub fn get_or(&self, key: K, make: impl FnOnce() -> V) -> V {
        let mut kept = self.kept();
        if let Some((k, v)) = kept.as_ref()
            && *k == key
        {
            return v.clone();
        }
        let v = make();
        *kept = Some((key, v.clone()));
        v
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// Bumped when data triage reads arrives (services, alarms, costs, tasks).
    pub triage_inputs: u64,
    triage_memo: Memo<(u64, i64), Vec<Finding>>,
    log_count_memo: Memo<(LogSource, u64, String, String), (usize, usize)>,
    crash_loop_memo: Memo<(u64, i64), Vec<(String, ServiceRef)>>,
    /// Keyed by the current environment and the triage inputs.
    sparkline_memo: Memo<(usize, u64), Queries>,
    pub envs: Vec<EnvData>,
    pub current: usize,
    pub pane: Pane,
    /// Selected row per pane, in that pane's filtered rows.
    pub selected: [usize; 7],
    /// Filter text per pane.
    pub filters: [String; 7],
    /// What the services pane is sorted by, and whether in reverse.
    pub service_sort: (ServiceSort, bool),
    /// `(cluster, service)` of the open service detail.
    pub detail: Option<ServiceRef>,
    pub detail_scroll: u16,
    /// The id of the task picked in the detail (`[` `]`); the first task
    /// when none is, or the picked one is no longer listed.
    pub detail_task: Option<String>,
    pub logs: LogsView,
    pub changes: ChangesView,
    pub overlay: Option<Overlay>,
    pub input: Option<InputTarget>,
    pub now: Timestamp,
    /// Global `--read-only`.
    pub read_only: bool,
    pub refresh: u64,
    pub quit: bool,
    /// Set by every change; the runtime redraws only then and clears it.
    pub dirty: bool,
    /// Rows a page moves.
    pub page: usize,
    /// The simulated production, for the header.
    pub demo: bool,
    /// The write flow's dialog, over everything else.
    pub dialog: Option<write::Dialog>,
    /// The rollout our last write started.
    pub rollout: Option<write::RolloutView>,
    /// A plan found stale at execution, planned again: the request of the
    /// new plan, what changed, and the plan the operator confirmed.
    pub replan: Option<write::Replan>,
    /// The form whose plan is awaited: a plan refused as invalid opens it
    /// again, as typed, with the reason.
    pub planned_form: Option<(write::RequestId, write::Form)>,
    /// Quitting was asked once while a one-off task still runs.
    pub quit_warned: bool,
    /// No progress for this long is STUCK.
    pub stuck_after: chrono::Duration,
    /// The operator has pressed a key: the cockpit no longer picks the pane.
    pub touched: bool,
    /// The id of the next write request (plan or execution).
    pub next_request: u64,
    /// The first request of this world: the answers to earlier ones (asked
    /// before a drill's restart) are of a world that is gone.
    pub first_request: u64,
    /// The run of the world this App shows: one more at each of a drill's
    /// restarts, as the drill's clock counts them; what an earlier run
    /// answered is dropped (`Fetched::run`).
    pub run: u64,
    /// A one-line message in the footer until the next key.
    pub notice: Option<String>,
    /// Enter on an alarm finding before its environment's services were
    /// read: `(environment, alarm)`, followed where Enter goes once they
    /// are (its service's logs), unless a key came first.
    pub pending_evidence: Option<(String, String)>,
    /// Enter pressed before the cockpit chose the pane it opens on: it
    /// goes where it goes once triage has every environment's services
    /// and alarms, unless a key came first.
    pub pending_open: bool,
    /// The keys in force: the defaults and the config's `[keys]`.
    pub keymap: std::sync::Arc<keymap::Keymap>,
    /// Where the last frame drew what a click can act on.
    pub hits: mouse::HitMap,
    /// The port forwards open now, in words.
    pub forwards: Vec<String>,
    /// The drill being played (`demo --scenario`).
    pub drill: Option<drill::Drill>,
    /// A replay's timeline bar, shown in place of the footer.
    pub replay_bar: Option<String>,
    /// The key being handled is a replay viewer's, not the recorded
    /// operator's: it may look around, never start a write.
    pub viewer: bool,
    /// The debug overlay's latest figures.
    pub api: Option<api::ApiReport>,
    /// The team's runbook actions (the config's `[[action]]`, `actions/`).
    pub actions: std::sync::Arc<Vec<flightdeck_core::action::Spec>>,
    /// The runbook actions run in this session, the newest last.
    pub runs: Vec<actions::Run>,
    /// The team's runbooks by alarm-name pattern (config `[[runbook]]`).
    pub runbooks: std::sync::Arc<flightdeck_core::runbook::TeamMap>,
}

impl App {
    /// The key that does `action` now, as footer and messages name it; the
    /// action's `[keys]` name in angle brackets when nothing is bound to it.
    pub fn key(&self, action: keymap::Action) -> String {
        self.keymap
            .short(action)
            .unwrap_or_else(|| format!("<{}>", keymap::name(action)))
    }

    /// The environments the switcher shows for `filter` (their indexes in
    /// `envs`): those whose name, region or account contains it, in any
    /// case; all without one.
    pub fn switcher_rows(&self, filter: Option<&str>) -> Vec<usize> {
        let wanted = filter.unwrap_or("").to_lowercase();
        self.envs
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                wanted.is_empty()
                    || e.info.name.to_lowercase().contains(&wanted)
                    || e.info.region.to_lowercase().contains(&wanted)
                    || e.identity
                        .data
                        .as_ref()
                        .is_some_and(|i| i.account.contains(&wanted))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// A drill restarted: everything read so far is from a world that is
    /// gone, so every pane starts empty again, at the drill's start.
    pub fn restart_drill(&mut self, drill: drill::Drill) {
        let infos: Vec<EnvironmentInfo> = self.envs.iter().map(|e| e.info.clone()).collect();
        let mut fresh = App::new(infos, drill.started, self.read_only);
        fresh.current = self.current;
        fresh.demo = self.demo;
        fresh.stuck_after = self.stuck_after;
        fresh.page = self.page;
        fresh.refresh = self.refresh + 1;
        fresh.next_request = self.next_request;
        fresh.first_request = self.next_request;
        fresh.run = self.run + 1;
        fresh.actions = self.actions.clone();
        fresh.runbooks = self.runbooks.clone();
        fresh.runs = std::mem::take(&mut self.runs);
        fresh.keymap = self.keymap.clone();
        // Like a start: it opens on triage once anything needs a human.
        fresh.touched = false;
        fresh.drill = Some(drill);
        *self = fresh;
    }

    pub fn new(envs: Vec<EnvironmentInfo>, now: Timestamp, read_only: bool) -> Self {
        Self {
            triage_inputs: 0,
            triage_memo: Memo::default(),
            log_count_memo: Memo::default(),
            crash_loop_memo: Memo::default(),
            sparkline_memo: Memo::default(),
            envs: envs.into_iter().map(EnvData::new).collect(),
            current: 0,
            pane: Pane::Services,
            selected: [0; 7],
            filters: Default::default(),
            service_sort: (ServiceSort::Name, false),
            detail: None,
            detail_scroll: 0,
            detail_task: None,
            logs: LogsView::default(),
            changes: ChangesView::default(),
            overlay: None,
            input: None,
            now,
            read_only,
            refresh: 0,
            quit: false,
            dirty: true,
            page: 10,
            demo: false,
            dialog: None,
            rollout: None,
            stuck_after: flightdeck_core::ops::STUCK_AFTER,
            replan: None,
            planned_form: None,
            quit_warned: false,
            pending_evidence: None,
            pending_open: false,
            next_request: 1,
            first_request: 1,
            run: 0,
            touched: false,
            notice: None,
            keymap: Default::default(),
            hits: Default::default(),
            forwards: vec![],
            drill: None,
            replay_bar: None,
            viewer: false,
            api: None,
            actions: Default::default(),
            runs: vec![],
            runbooks: Default::default(),
        }
    }

    /// Keeps `lines` log lines per log group from now on (the config's
    /// `log_buffer_lines`).
    pub fn set_log_buffer(&mut self, lines: usize) {
        for env in &mut self.envs {
            env.log_capacity = lines;
        }
    }

    pub fn env(&self) -> &EnvData {
        &self.envs[self.current.min(self.envs.len().saturating_sub(1))]
    }

    /// Whether writes are refused in the current environment.
    pub fn is_read_only(&self) -> bool {
        self.read_only || self.env().info.read_only
    }

    pub fn filter(&self, pane: Pane) -> &str {
        &self.filters[pane.index()]
    }

    pub fn selected(&self, pane: Pane) -> usize {
        self.selected[pane.index()]
    }

    /// Services of the current environment matching the filter, by cluster then name.
    /// Services matching the filter, by cluster and name (the order they
    /// are kept in).
    pub fn service_rows(&self) -> Vec<&Service> {
        let f = self.filter(Pane::Services).to_lowercase();
        let mut rows: Vec<&Service> = self
            .env()
            .services()
            .iter()
            .filter(|s| {
                f.is_empty()
                    || contains_lowercase(&s.name, &f)
                    || contains_lowercase(&s.cluster, &f)
                    || contains_lowercase(&s.task_definition.family, &f)
                    || (f.contains(':') && s.task_definition.to_string().contains(&f))
            })
            .collect();
        let (sort, reversed) = self.service_sort;
        let rollout_rank = |s: &Service| match s.rollout_state() {
            Some(RolloutState::Failed) => 0,
            Some(RolloutState::InProgress) => 1,
            Some(RolloutState::Completed) => 2,
            None => 3,
        };
        let load = |s: &Service, metric: MetricName| {
            std::cmp::Reverse(
                self.last_metric(s, metric)
                    .map(|v| (v * 100.0).round() as i64),
            )
        };
        match sort {
            ServiceSort::Name => {}
            ServiceSort::Tasks => rows.sort_by_key(|s| {
                std::cmp::Reverse((s.desired.saturating_sub(s.running), s.pending, s.desired))
            }),
            ServiceSort::Rollout => rows.sort_by_key(|s| rollout_rank(s)),
            ServiceSort::Cpu => rows.sort_by_cached_key(|s| load(s, MetricName::CpuUtilization)),
            ServiceSort::Memory => {
                rows.sort_by_cached_key(|s| load(s, MetricName::MemoryUtilization))
            }
            ServiceSort::TaskDef => rows.sort_by(|a, b| {
                (
                    &a.task_definition.family,
                    std::cmp::Reverse(a.task_definition.revision),
                )
                    .cmp(&(
                        &b.task_definition.family,
                        std::cmp::Reverse(b.task_definition.revision),
                    ))
            }),
            ServiceSort::Cluster => {
                rows.sort_by(|a, b| (&a.cluster, &a.name).cmp(&(&b.cluster, &b.name)))
            }
        }
        if reversed {
            rows.reverse();
        }
        rows
    }

    /// The last value of a service's CloudWatch metric (`CPUUtilization`,
    /// `MemoryUtilization`), as its sparkline shows it.
    pub fn last_metric(&self, svc: &Service, metric: MetricName) -> Option<f64> {
        let id = MetricQuery::service_id(&svc.cluster, &svc.name, &metric);
        let series = self.env().metrics.data.as_ref()?.get(&id)?;
        series.points.last().map(|p| p.value)
    }

    /// Alarms matching the filter: ALARM first, then by name.
    /// The alarms pane's rows, in the order they are kept in.
    pub fn alarm_rows(&self) -> Vec<&Alarm> {
        let f = self.filter(Pane::Alarms).to_lowercase();
        self.env()
            .alarms()
            .iter()
            .filter(|a| {
                f.is_empty()
                    || contains_lowercase(&a.name, &f)
                    || contains_lowercase(&a.display_name(), &f)
                    || contains_lowercase(a.metric.as_str(), &f)
                    || contains_lowercase(a.state.as_str(), &f)
            })
            .collect()
    }

    pub fn target_rows(&self) -> Vec<&ScalableTarget> {
        let f = self.filter(Pane::Scaling).to_lowercase();
        let mut rows: Vec<&ScalableTarget> = self
            .env()
            .scaling
            .data
            .iter()
            .flat_map(|d| d.targets.iter())
            .filter(|t| {
                f.is_empty()
                    || contains_lowercase(&t.service, &f)
                    || contains_lowercase(&t.cluster, &f)
            })
            .collect();
        rows.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
        rows
    }

    pub fn selected_service(&self) -> Option<&Service> {
        self.service_rows()
            .get(self.selected(Pane::Services))
            .copied()
    }

    pub fn selected_alarm(&self) -> Option<&Alarm> {
        self.alarm_rows().get(self.selected(Pane::Alarms)).copied()
    }

    pub fn selected_target(&self) -> Option<&ScalableTarget> {
        self.target_rows()
            .get(self.selected(Pane::Scaling))
            .copied()
    }

    pub fn detail_service(&self) -> Option<&Service> {
        let detail = self.detail.as_ref()?;
        self.env().services().iter().find(|s| detail.is(s))
    }

    /// The open service's tasks as last read, running first.
    pub fn detail_tasks(&self) -> &[flightdeck_model::Task] {
        self.detail
            .as_ref()
            .and_then(|d| self.env().tasks.get(d))
            .and_then(|slot| slot.data.as_deref())
            .unwrap_or_default()
    }

    /// The task marked `>` in the open service's detail: the one picked
    /// with `[` `]`, else the first.
    pub fn selected_task(&self) -> Option<&flightdeck_model::Task> {
        let tasks = self.detail_tasks();
        self.detail_task
            .as_ref()
            .and_then(|id| tasks.iter().find(|t| t.id == *id))
            .or_else(|| tasks.first())
    }

    /// The task picked in an open service's detail: what exec, port
    /// forwarding and stop act on there.
    pub fn picked_task(&self) -> Option<&flightdeck_model::Task> {
        (self.pane == Pane::Services && self.detail_service().is_some())
            .then(|| self.selected_task())
            .flatten()
    }

    /// The service whose logs the logs pane shows.
    pub fn log_source_service(&self) -> Option<ServiceRef> {
        if let Some(src) = &self.logs.source {
            return Some(src.clone());
        }
        self.selected_service()
            .or_else(|| self.env().services().first())
            .map(Service::reference)
    }

    /// Where the logs pane reads: the task definition's awslogs group and
    /// stream prefix when it is known, else the `/ecs/<cluster>/<service>` convention.
    pub fn log_source(&self) -> Option<LogSource> {
        let service = self.log_source_service()?;
        let env = self.env();
        let svc = env.services().iter().find(|s| service.is(s));
        Some(match svc {
            Some(s) => {
                let td = env
                    .task_definitions
                    .get(&s.task_definition)
                    .and_then(|slot| slot.data.as_ref());
                // Logs that go elsewhere are not looked for in CloudWatch.
                if td.and_then(|td| td.logs_elsewhere()).is_some() {
                    return None;
                }
                s.log_source(td)
            }
            None => LogSource::group(format!("/ecs/{}/{}", service.cluster, service.name)),
        })
    }

    /// Where the logs pane's service logs when not to CloudWatch Logs, and
    /// the task definition that says so.
    pub fn logs_elsewhere(&self) -> Option<(String, String)> {
        let service = self.log_source_service()?;
        let env = self.env();
        let svc = env.services().iter().find(|s| service.is(s))?;
        let td = env
            .task_definitions
            .get(&svc.task_definition)?
            .data
            .as_ref()?;
        Some((td.logs_elsewhere()?.to_string(), td.reference.to_string()))
    }

    /// The log group of the logs pane.
    pub fn log_group(&self) -> Option<String> {
        self.log_source().map(|s| s.group)
    }

    /// Log lines of the logs pane after the filter, newest first, read
    /// lazily: a frame takes only the lines it shows.
    pub fn log_lines_newest_first(&self) -> impl Iterator<Item = &LogEvent> {
        let f = self.filter(Pane::Logs).to_lowercase();
        self.log_source()
            .and_then(|source| self.env().logs.get(&source))
            .into_iter()
            .flat_map(|b| b.events.iter().rev())
            .filter(move |e| contains_lowercase(&e.message, &f))
    }

    /// How many lines pass the logs pane's filter, and how many of those
    /// match its search; counted again only when the lines, the filter or
    /// the search change.
    pub fn log_counts(&self) -> (usize, usize) {
        let Some(source) = self.log_source() else {
            return (0, 0);
        };
        let version = self.env().logs.get(&source).map_or(0, |b| b.version);
        let filter = self.filter(Pane::Logs).to_lowercase();
        let search = self.logs.search.to_lowercase();
        let key = (source, version, filter, search.clone());
        self.log_count_memo.get_or(key, || {
            let mut lines = 0;
            let mut matches = 0;
            for e in self.log_lines_newest_first() {
                lines += 1;
                if !search.is_empty() && contains_lowercase(&e.message, &search) {
                    matches += 1;
                }
            }
            (lines, matches)
        })
    }

    /// Log lines of the logs pane after the filter, oldest first.
    pub fn log_lines(&self) -> Vec<&LogEvent> {
        let Some(source) = self.log_source() else {
            return vec![];
        };
        let f = self.filter(Pane::Logs).to_lowercase();
        self.env()
            .logs
            .get(&source)
            .map(|b| {
                b.events
                    .iter()
                    .filter(|e| contains_lowercase(&e.message, &f))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The change timeline of the changes pane, as last read.
    pub fn timeline(&self) -> Option<&Slot<Timeline>> {
        self.env().timelines.get(&self.changes.scope())
    }

    /// The last hours of changes of the open service detail (its detail
    /// shows the newest of them).
    pub fn detail_timeline(&self) -> Option<&Timeline> {
        let detail = self.detail.clone()?;
        self.env()
            .timelines
            .get(&Scope::Service(detail))?
            .data
            .as_ref()
    }

    /// Entries of the changes pane after the kind and text filters, newest first.
    pub fn change_rows(&self) -> Vec<&Entry> {
        let f = self.filter(Pane::Changes).to_lowercase();
        self.timeline()
            .and_then(|slot| slot.data.as_ref())
            .map(|t| {
                t.filtered(self.changes.kind.as_slice())
                    .filter(|e| {
                        f.is_empty()
                            || contains_lowercase(&e.summary, &f)
                            || e.who
                                .as_ref()
                                .is_some_and(|w| contains_lowercase(w.as_str(), &f))
                            || e.service
                                .as_ref()
                                .is_some_and(|s| contains_lowercase(&s.name, &f))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn selected_change(&self) -> Option<&Entry> {
        self.change_rows()
            .get(self.selected(Pane::Changes))
            .copied()
    }

    /// The timeline the engine should read: the changes pane's, else the
    /// open service detail's.
    fn timeline_focus(&self) -> Option<(Scope, chrono::Duration)> {
        if self.pane == Pane::Changes {
            return Some((self.changes.scope(), self.changes.window()));
        }
        let detail = self.detail_service()?;
        Some((Scope::Service(detail.reference()), DETAIL_CHANGES))
    }

    /// How far back the logs pane reads when it holds nothing: a minute
    /// before its anchor, [`ANCHOR_BACKFILL`] at most.
    fn logs_backfill(&self) -> Option<Timestamp> {
        let anchor = self.logs.anchor?;
        Some((anchor - chrono::Duration::minutes(1)).max(self.now - ANCHOR_BACKFILL))
    }

    /// Services of every environment that look like crash loops, whose
    /// tasks triage reads for the stop reasons; worked out again when what
    /// triage reads changed or 10 s went by, like triage.
    fn crash_loops(&self) -> Vec<(String, ServiceRef)> {
        let key = (self.triage_inputs, self.now.timestamp().div_euclid(10));
        self.crash_loop_memo.get_or(key, || {
            self.envs
                .iter()
                .flat_map(|e| {
                    suspected_crash_loops(e.services(), Rules::default(), self.now)
                        .map(|s| (e.info.name.clone(), s.reference()))
                })
                .collect()
        })
    }

    /// What needs a human now, in every environment, most urgent first,
    /// worked out again only when what triage reads changed or the clock's
    /// second did (its words count seconds, "in ALARM for 36s", and must
    /// tick with the SINCE column): a frame of 10,000 services does not
    /// pay for it.
    pub fn triage(&self) -> Vec<Finding> {
        let key = (self.triage_inputs, self.now.timestamp());
        self.triage_memo.get_or(key, || {
            let views: Vec<_> = self.envs.iter().map(EnvData::triage_view).collect();
            let mut findings = triage(&views, &Rules::default(), self.now);
            flightdeck_core::triage::fill_runbooks(&mut findings, &self.runbooks);
            // In a drill its environment's findings come first: that is
            // the page that went off.
            if let Some(d) = &self.drill {
                findings.sort_by_key(|f| f.environment != d.environment);
            }
            findings
        })
    }

    pub fn selected_finding(&self) -> Option<Finding> {
        self.triage().into_iter().nth(self.selected(Pane::Triage))
    }

    /// The newest data age of what the current pane shows.
    pub fn data_fetched_at(&self) -> Option<Timestamp> {
        let env = self.env();
        match self.pane {
            // The oldest of what triage looked at.
            Pane::Triage => self
                .envs
                .iter()
                .flat_map(|e| [e.services.fetched_at, e.alarms.fetched_at])
                .min()
                .flatten(),
            Pane::Services => env.services.fetched_at,
            Pane::Scaling => env.scaling.fetched_at,
            Pane::Alarms => env.alarms.fetched_at,
            Pane::Logs => self
                .log_source()
                .and_then(|g| env.logs.get(&g))
                .and_then(|b| b.fetched_at),
            Pane::Costs => env.costs.fetched_at,
            Pane::Changes => self.timeline().and_then(|t| t.fetched_at),
        }
    }

    /// Whether triage has had its first full round: every environment's
    /// services and alarms are this run's answers (or failures). Until
    /// then a finding on top may yet move down.
    pub fn opening_decided(&self) -> bool {
        let answered = |e: &EnvData| {
            !e.services.unanswered()
                && !e.services.cached
                && !e.alarms.unanswered()
                && !e.alarms.cached
        };
        self.envs.iter().all(answered)
    }

    /// Whether what the current pane shows is a previous run's last known
    /// state (no answer of this run yet).
    pub fn data_cached(&self) -> bool {
        let env = self.env();
        match self.pane {
            Pane::Triage => self
                .envs
                .iter()
                .any(|e| e.services.cached || e.alarms.cached),
            Pane::Services => env.services.cached,
            Pane::Scaling => env.scaling.cached,
            Pane::Alarms => env.alarms.cached,
            Pane::Logs | Pane::Costs | Pane::Changes => false,
        }
    }

    /// CPU and memory of every service of the current environment, from
    /// Container Insights where its cluster has it. Made again only when
    /// the services may have changed, and shared: the focus is taken after
    /// every batch of messages, and compared.
    fn sparkline_queries(&self) -> Queries {
        let key = (self.current, self.triage_inputs);
        self.sparkline_memo
            .get_or(key, || self.make_sparkline_queries().into())
    }

    fn make_sparkline_queries(&self) -> Vec<MetricQuery> {
        let env = self.env();
        let insights: Vec<&str> = env
            .clusters
            .data
            .iter()
            .flatten()
            .filter(|c| c.container_insights)
            .map(|c| c.name.as_str())
            .collect();
        env.services()
            .iter()
            .flat_map(|s| {
                let ci = insights.contains(&s.cluster.as_str());
                [MetricName::CpuUtilization, MetricName::MemoryUtilization]
                    .map(|m| MetricQuery::service_utilisation(&s.cluster, &s.name, m, ci))
            })
            .collect()
    }

    /// Services known in each environment, for what a round of them costs.
    fn services_known(&self) -> Vec<(String, usize)> {
        self.envs
            .iter()
            .map(|e| (e.info.name.clone(), e.services().len()))
            .collect()
    }

    /// What the engine should poll for the screen as it is.
    pub fn focus(&self) -> Focus {
        if let Some(focus) = self.rollout_focus() {
            return focus;
        }
        let env = self.env();
        let detail = self
            .detail_service()
            .map(|s| (s.reference(), s.task_definition.clone()));
        let log_source = (self.pane == Pane::Logs)
            .then(|| self.log_source())
            .flatten();
        Focus {
            env: env.info.name.clone(),
            all_envs: self.envs.iter().map(|e| e.info.name.clone()).collect(),
            services_known: self.services_known(),
            view: self.pane.view(),
            metrics: self.sparkline_queries(),
            service_detail: detail,
            alarm: (self.pane == Pane::Alarms)
                .then(|| self.selected_alarm())
                .flatten()
                .map(|a| (a.name.clone(), a.metric_query())),
            logs_since: log_source
                .as_ref()
                .and_then(|g| env.logs.get(g))
                .and_then(LogBuffer::newest),
            // An anchor (triage's first failure) reads back to it rather
            // than the usual few minutes.
            logs_backfill: self.logs_backfill(),
            log_source,
            logs_following: self.logs.follow,
            refresh: self.refresh,
            selected_task_definition: write::subject(self).map(|s| s.task_definition),
            timeline: self.timeline_focus(),
            crash_loops: self.crash_loops(),
            deployment_progress: None,
            revision_groups: vec![],
        }
    }

    /// The environment data of the watched rollout.
    pub fn rollout_env(&self) -> Option<&EnvData> {
        let r = self.rollout.as_ref()?;
        self.envs
            .iter()
            .find(|e| e.info.name == r.watch.environment)
    }

    /// The watched service as last read.
    pub fn rollout_service(&self) -> Option<&Service> {
        let w = &self.rollout.as_ref()?.watch;
        self.rollout_env()?
            .services()
            .iter()
            .find(|s| s.cluster == w.cluster && s.name == w.service)
    }

    /// Where the watched service logs.
    pub fn rollout_log_source(&self) -> Option<LogSource> {
        let svc = self.rollout_service()?;
        let td = self
            .rollout_env()?
            .task_definitions
            .get(&svc.task_definition)
            .and_then(|slot| slot.data.as_ref());
        Some(svc.log_source(td))
    }

    /// While the rollout view is on screen, the engine follows the watched
    /// service: its tasks, task definition, alarms and logs, fast.
    fn rollout_focus(&self) -> Option<Focus> {
        let r = self.rollout.as_ref().filter(|r| r.visible)?;
        let env = self.rollout_env()?;
        let svc = self.rollout_service();
        let log_source = self.rollout_log_source();
        Some(Focus {
            env: r.watch.environment.clone(),
            all_envs: self.envs.iter().map(|e| e.info.name.clone()).collect(),
            services_known: self.services_known(),
            view: View::Rollout,
            metrics: Queries::default(),
            service_detail: svc.map(|s| (s.reference(), s.task_definition.clone())),
            alarm: None,
            logs_since: log_source
                .as_ref()
                .and_then(|g| env.logs.get(g))
                .and_then(LogBuffer::newest),
            logs_backfill: None,
            log_source,
            logs_following: true,
            refresh: self.refresh,
            selected_task_definition: None,
            timeline: None,
            crash_loops: self.crash_loops(),
            // Blue/green, canary, linear: their stage and traffic.
            deployment_progress: svc
                .filter(|s| !matches!(s.deployment_config.strategy, Strategy::Rolling { .. }))
                .map(Service::reference),
            revision_groups: svc.map(Service::revision_groups).unwrap_or_default(),
        })
    }
}

/// Moves between environments and services, for every way there (keys,
/// the palette, the changes pane, a finding).
impl App {
    /// Switches to the `index`th environment, leaving what belonged to the
    /// last one (selections, filters, the detail, the logs' source).
    pub(super) fn switch_env(&mut self, index: usize) {
        if index >= self.envs.len() || index == self.current {
            return;
        }
        self.current = index;
        self.selected = [0; 7];
        self.filters = Default::default();
        self.changes.service = None;
        self.detail = None;
        self.detail_scroll = 0;
        self.detail_task = None;
        self.logs.source = None;
        self.logs.scroll = 0;
        self.logs.current_match = None;
    }

    /// Opens a service's detail, selecting its row.
    pub(super) fn open_service(&mut self, cluster: String, service: String) {
        if let Some(i) = self
            .service_rows()
            .iter()
            .position(|s| s.cluster == cluster && s.name == service)
        {
            self.selected[Pane::Services.index()] = i;
        }
        self.detail = Some(ServiceRef::new(cluster, service));
        self.detail_scroll = 0;
        self.detail_task = None;
    }
}
