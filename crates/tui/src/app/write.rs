//! The cockpit's write flow: a form (deploy, scale, strategy, port
//! forward), the plan with its confirmation, the execution, and the rollout
//! watch, ECS Exec session or port forward it opens.
//!
//! Invariant: the only [`Effect::Execute`] comes from a confirmation
//! dialog showing that very plan, after Enter on "Confirm" (non-production)
//! or after the service's name was typed exactly (production). The one
//! exception changes nothing in AWS: outside production, the checked plan
//! of an ECS Exec session or a port forward opens it at once.

use super::{App, Effect, Pane};
use crate::app::keymap::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck_core::ops::{
    ExecError, Executed, MAX_TASKS, Operation, Plan, PlanError, RevisionChoice, RolloutStatus,
    Watch, describe_calls,
};
use flightdeck_model::{DeploymentStatus, RolloutState, Service, Timestamp};

/// Which plan or execution request an answer belongs to. Answers carry it
/// back; one that is not the request the dialog waits for is stale and
/// never becomes a confirmable plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

impl App {
    pub(crate) fn new_request(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }
}

/// A dialog of the write flow, on top of everything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Form(Form),
    /// Waiting for the answer to `request` (a plan or an execution).
    Waiting {
        request: RequestId,
        text: String,
    },
    Confirm(Confirm),
    Message(Message),
    /// A writing runbook action's plan, to confirm.
    Action(super::actions::ActionConfirm),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Deploy,
    Scale,
    Strategy,
    PortForward,
    RunTask,
}

/// What a form field sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// The image of this container.
    Image { container: String },
    /// A task count: digits only.
    Count(Count),
    /// Suspend dynamic scaling: a flag, flipped with Space.
    SuspendScaling,
    /// A deployment strategy in its short form (`canary:10:5`).
    Strategy,
    /// Minutes of bake: digits only, empty for none.
    BakeMinutes,
    /// A TCP port: digits only.
    Port(PortField),
    /// A host to forward to through the task; empty for the container.
    RemoteHost,
    /// A one-off task's command, a shell line.
    Command,
    /// The container a one-off task's command runs in.
    Container,
    /// A one-off task's CPU units or memory (MiB): digits only, empty for
    /// the task definition's.
    TaskSize(TaskSize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskSize {
    Cpu,
    Memory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortField {
    Local,
    Remote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Count {
    Desired,
    Min,
    Max,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    pub value: FieldValue,
    pub original: FieldValue,
}

/// What a form field holds: text the operator types, or a flag flipped
/// with Space (shown as `yes`/`no`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Flag(bool),
}

impl FieldValue {
    /// The text typed; empty for a flag.
    pub fn text(&self) -> &str {
        match self {
            FieldValue::Text(s) => s,
            FieldValue::Flag(_) => "",
        }
    }
}

impl std::fmt::Display for FieldValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Text(s) => f.write_str(s),
            FieldValue::Flag(true) => f.write_str("yes"),
            FieldValue::Flag(false) => f.write_str("no"),
        }
    }
}

impl Field {
    /// A text field, starting at `value`.
    fn text(label: &str, kind: FieldKind, value: String) -> Self {
        Field {
            label: label.into(),
            kind,
            original: FieldValue::Text(value.clone()),
            value: FieldValue::Text(value),
        }
    }

    /// The text typed, for a text field.
    pub fn text_value(&self) -> &str {
        self.value.text()
    }

    pub fn is_toggle(&self) -> bool {
        matches!(self.value, FieldValue::Flag(_))
    }

    fn digits_only(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Count(_)
                | FieldKind::BakeMinutes
                | FieldKind::Port(_)
                | FieldKind::TaskSize(_)
        )
    }

    fn changed(&self) -> bool {
        match (&self.value, &self.original) {
            (FieldValue::Text(now), FieldValue::Text(was)) => now.trim() != was,
            (now, was) => now != was,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    pub env: String,
    pub cluster: String,
    pub service: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last Enter was refused, shown under the fields.
    pub error: Option<String>,
    /// The task it acts on, when one was picked (port forwarding).
    pub task: Option<String>,
}

impl Form {
    fn new(
        kind: FormKind,
        env: String,
        cluster: String,
        service: String,
        fields: Vec<Field>,
    ) -> Self {
        Form {
            kind,
            env,
            cluster,
            service,
            fields,
            focus: 0,
            error: None,
            task: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub env: String,
    pub plan: Box<Plan>,
    /// Production: what has been typed so far.
    pub typed: String,
    /// Non-production: whether "Confirm" (not "Cancel") has the focus.
    pub on_confirm: bool,
    pub error: Option<String>,
    /// Rows of the plan scrolled past (Up, Down, PgUp, PgDn, Home, End).
    pub scroll: u16,
    /// Another operator holds the service's lease: the reason to take it
    /// over, typed before the confirmation (`Some` until given).
    pub take_over: Option<String>,
}

impl Confirm {
    /// Whether the reason to take a lease over is still being typed.
    pub fn needs_reason(&self) -> bool {
        self.take_over.is_some()
    }

    /// Production writes are confirmed by typing the service's name.
    pub fn needs_typing(&self) -> bool {
        self.plan.confirmation().is_typed()
    }
}

/// A confirmed plan that execution found stale, being planned again.
#[derive(Debug, Clone, PartialEq)]
pub struct Replan {
    pub request: RequestId,
    /// What changed, in words (the stale refusal's).
    pub changed: String,
    /// The plan the operator confirmed.
    pub confirmed: Box<Plan>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    /// Something to plan instead (a range change for an out-of-range scale).
    pub offer: Option<(String, Operation)>,
    pub on_offer: bool,
    /// Rows scrolled past.
    pub scroll: u16,
    /// Offers to choose from (an earlier revision to roll back to): the
    /// line of `lines` each is listed on, and the offer. Up and Down on
    /// the offer's button choose; `offer` is the chosen one.
    pub choices: Vec<(usize, Operation)>,
}

impl Message {
    pub(crate) fn new(title: impl Into<String>, lines: Vec<String>) -> Self {
        Message {
            title: title.into(),
            lines,
            offer: None,
            on_offer: false,
            scroll: 0,
            choices: vec![],
        }
    }

    /// Chooses the offer `by` rows from the chosen one (within the list),
    /// marking its line.
    fn choose(&mut self, by: isize) {
        let Some((env, current)) = &self.offer else {
            return;
        };
        let Some(at) = self.choices.iter().position(|(_, op)| op == current) else {
            return;
        };
        let last = self.choices.len().saturating_sub(1);
        let next = at.saturating_add_signed(by).min(last);
        let env = env.clone();
        for (i, (line, _)) in self.choices.iter().enumerate() {
            if let Some(text) = self.lines.get_mut(*line) {
                let rest = text
                    .strip_prefix("▶ ")
                    .or_else(|| text.strip_prefix("  "))
                    .unwrap_or(text)
                    .to_string();
                *text = format!("{}{rest}", if i == next { "▶ " } else { "  " });
            }
        }
        if let Some((_, op)) = self.choices.get(next) {
            self.offer = Some((env, op.clone()));
        }
    }
}

/// A move of scrolled text: a row, a page, to either end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scroll {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
}

/// `scroll` moved by `step`, within what the last frame could show (the
/// limit it recorded in the `HitMap`): the dialogs and the rollout view.
pub(crate) fn scroll_by(app: &App, scroll: u16, step: Scroll) -> u16 {
    let page = u16::try_from(app.page.max(1)).unwrap_or(10);
    let max = app.hits.scroll_limit().unwrap_or(u16::MAX / 2);
    let now = scroll.min(max);
    let next = match step {
        Scroll::Down => now.saturating_add(1),
        Scroll::Up => now.saturating_sub(1),
        Scroll::PageDown => now.saturating_add(page),
        Scroll::PageUp => now.saturating_sub(page),
        Scroll::Top => 0,
        Scroll::Bottom => max,
    };
    next.min(max)
}

/// A dialog's text scrolled by `key` (Up, Down, PgUp, PgDn, Home, End; in
/// a message also j, k, g, G); `None` when the key is no scrolling key.
pub(crate) fn scrolled(app: &App, scroll: u16, key: &KeyEvent, letters: bool) -> Option<u16> {
    let step = match key.code {
        KeyCode::Down => Scroll::Down,
        KeyCode::Char('j') if letters => Scroll::Down,
        KeyCode::Up => Scroll::Up,
        KeyCode::Char('k') if letters => Scroll::Up,
        KeyCode::PageDown => Scroll::PageDown,
        KeyCode::PageUp => Scroll::PageUp,
        KeyCode::Home => Scroll::Top,
        KeyCode::Char('g') if letters => Scroll::Top,
        KeyCode::End => Scroll::Bottom,
        KeyCode::Char('G') if letters => Scroll::Bottom,
        _ => return None,
    };
    Some(scroll_by(app, scroll, step))
}

/// The rollout being followed, and whether its view is on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutView {
    pub watch: Watch,
    pub visible: bool,
    /// The plan that started it, for the header of the view.
    pub summary: String,
    /// Rows of the view scrolled past (j, k, PgUp, PgDn, g, G).
    pub scroll: u16,
}

/// Which write the operator asked for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Deploy,
    ForceDeploy,
    Rollback,
    Scale,
    Strategy,
    Continue,
    /// Stop the task picked in the service's detail.
    StopTask,
    /// A shell in the picked task (the first running one from a list).
    Exec,
    /// A local port forwarded to the picked task, or through it.
    PortForward,
    /// A one-off task of the service's task definition (RunTask).
    RunTask,
}

/// Why the demo opens no sessions.
pub const SIM_SESSIONS: &str =
    "The simulated production runs no containers to open a shell in or forward a port to.";

/// What ECS Exec runs when the operator names nothing else.
pub const EXEC_COMMAND: &str = "/bin/sh";

/// The service a write key acts on: the watched one in the rollout view,
/// the open or selected one in the services pane, the selected target in
/// the scaling pane, the logs' service in the logs pane, the changes'
/// service (or the selected entry's) in the changes pane, the selected
/// alarm's service in the alarms pane, the selected finding's in triage
/// (once [`start`] has switched to its environment).
pub(crate) fn subject(app: &App) -> Option<Service> {
    let env = app.env();
    let find = |cluster: &str, name: &str| {
        env.services()
            .iter()
            .find(|s| s.cluster == cluster && s.name == name)
            .cloned()
    };
    if let Some(r) = app.rollout.as_ref().filter(|r| r.visible) {
        return find(&r.watch.cluster, &r.watch.service);
    }
    match app.pane {
        Pane::Services => app
            .detail_service()
            .or_else(|| app.selected_service())
            .cloned(),
        Pane::Scaling => app
            .selected_target()
            .and_then(|t| find(&t.cluster, &t.service)),
        Pane::Logs => app
            .log_source_service()
            .and_then(|r| find(&r.cluster, &r.name)),
        Pane::Changes => app
            .changes
            .service
            .clone()
            .or_else(|| app.selected_change().and_then(|e| e.service.clone()))
            .and_then(|r| find(&r.cluster, &r.name)),
        Pane::Alarms => app
            .selected_alarm()
            .and_then(|a| a.watched_service(env.services()))
            .cloned(),
        Pane::Triage => app
            .selected_finding()
            .filter(|f| f.environment == env.info.name)
            .and_then(|f| f.service)
            .and_then(|r| find(&r.cluster, &r.name)),
        Pane::Costs => None,
    }
}

/// In triage, a write acts on the selected finding's service, which may
/// be in another environment: the cockpit goes there first (the triage
/// list and its selection stay as they are).
fn go_to_finding(app: &mut App) {
    if app.pane != Pane::Triage || app.rollout.as_ref().is_some_and(|r| r.visible) {
        return;
    }
    let Some(f) = app.selected_finding().filter(|f| f.service.is_some()) else {
        return;
    };
    if let Some(i) = app.envs.iter().position(|e| e.info.name == f.environment) {
        let selected = app.selected(Pane::Triage);
        app.switch_env(i);
        app.selected[Pane::Triage.index()] = selected;
        // The same finding, wherever the new environment ranks it.
        if let Some(at) = app.triage().iter().position(|g| *g == f) {
            app.selected[Pane::Triage.index()] = at;
        }
    }
}

/// What a replay's viewer is told of a write key.
pub const REPLAY_READ_ONLY: &str = "a replay is read-only: nothing runs";

/// Starts a write: a form, or straight to the plan. Never from a replay's
/// viewer: a replay looks at a recorded session, and nothing it shows can
/// be changed (the operator's own recorded keys play as they were).
pub fn start(app: &mut App, request: Request) -> Vec<Effect> {
    if app.viewer {
        app.notice = Some(REPLAY_READ_ONLY.into());
        return vec![];
    }
    go_to_finding(app);
    let Some(svc) = writable_subject(app) else {
        return vec![];
    };
    let env = app.env().info.name.clone();
    let (cluster, service) = (svc.cluster.clone(), svc.name.clone());
    match request {
        Request::Deploy => start_deploy(app, env, &svc),
        Request::Scale => start_scale(app, env, &svc),
        Request::ForceDeploy => plan(
            app,
            env,
            Operation::Deploy {
                cluster,
                service,
                images: vec![],
                force: true,
            },
        ),
        Request::Rollback => plan(
            app,
            env,
            Operation::Rollback {
                cluster,
                service,
                to: None,
            },
        ),
        Request::Continue => plan(app, env, Operation::Continue { cluster, service }),
        Request::Exec => start_exec(app, env, &svc),
        Request::PortForward => start_port_forward(app, env, &svc),
        Request::StopTask => start_stop_task(app, env, &svc),
        Request::RunTask => start_run_task(app, env, &svc),
        Request::Strategy => start_strategy(app, env, &svc),
    }
}

/// The service a write acts on, or none, with a message saying why, when
/// there is no subject or the environment is read-only.
fn writable_subject(app: &mut App) -> Option<Service> {
    let Some(svc) = subject(app) else {
        app.dialog = Some(Dialog::Message(Message::new(
            "No service",
            vec![
                "Select a service first: a finding, a service, an alarm of a service, a scaling target, a service's logs or changes.".into(),
            ],
        )));
        return None;
    };
    if app.is_read_only() {
        let env = &app.env().info.name;
        let lines = vec![format!(
            "{env} is read-only [RO]: writes are refused (config `read_only` or --read-only)."
        )];
        app.dialog = Some(Dialog::Message(Message::new("Read-only", lines)));
        return None;
    }
    Some(svc)
}

/// Opens the deploy form: one image field per container of the service's
/// task definition (a message while that is still loading).
fn start_deploy(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    let Some(td) = app
        .env()
        .task_definitions
        .get(&svc.task_definition)
        .and_then(|s| s.data.as_ref())
    else {
        app.dialog = Some(Dialog::Message(Message::new(
            "Deploy",
            vec![format!(
                "The task definition {} is still loading; try again in a moment.",
                svc.task_definition
            )],
        )));
        return vec![];
    };
    let fields = td
        .containers
        .iter()
        .map(|c| {
            Field::text(
                &format!("image {}", c.name),
                FieldKind::Image {
                    container: c.name.clone(),
                },
                c.image.clone(),
            )
        })
        .collect();
    app.dialog = Some(Dialog::Form(Form::new(
        FormKind::Deploy,
        env,
        svc.cluster.clone(),
        svc.name.clone(),
        fields,
    )));
    vec![]
}

/// Opens the scale form: the desired count, and the auto scaling bounds
/// and suspension when the service has a scaling target.
fn start_scale(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    let (cluster, service) = (svc.cluster.clone(), svc.name.clone());
    let target = app
        .env()
        .scaling
        .data
        .as_ref()
        .and_then(|d| {
            d.targets
                .iter()
                .find(|t| t.cluster == cluster && t.service == service)
        })
        .cloned();
    let count = |label: &str, which: Count, v: u32| {
        Field::text(label, FieldKind::Count(which), v.to_string())
    };
    let mut fields = vec![count("desired count", Count::Desired, svc.desired)];
    if let Some(t) = target {
        fields.push(count("auto scaling min", Count::Min, t.min));
        fields.push(count("auto scaling max", Count::Max, t.max));
        let suspended = FieldValue::Flag(t.dynamic_scaling_suspended);
        fields.push(Field {
            label: "suspend dynamic scaling".into(),
            kind: FieldKind::SuspendScaling,
            value: suspended.clone(),
            original: suspended,
        });
    }
    app.dialog = Some(Dialog::Form(Form::new(
        FormKind::Scale,
        env,
        cluster,
        service,
        fields,
    )));
    vec![]
}

/// Plans an ECS Exec session in the picked task (the demo explains why it
/// has none).
fn start_exec(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    if app.demo {
        app.dialog = Some(Dialog::Message(Message::new(
            "ECS Exec",
            vec![
                SIM_SESSIONS.into(),
                "On an AWS environment, this opens a shell in the task's container (ECS Exec, with session-manager-plugin).".into(),
            ],
        )));
        return vec![];
    }
    let task = app.picked_task().map(|t| t.id.clone());
    plan(
        app,
        env,
        Operation::Exec {
            cluster: svc.cluster.clone(),
            service: svc.name.clone(),
            task,
            container: None,
            command: EXEC_COMMAND.into(),
        },
    )
}

/// Opens the port forward form, its ports filled from the container's
/// (the demo explains why it has none).
fn start_port_forward(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    if app.demo {
        app.dialog = Some(Dialog::Message(Message::new(
            "Port forwarding",
            vec![crate::app::write::SIM_SESSIONS.into()],
        )));
        return vec![];
    }
    // The container's own port, from the task definition, to start from.
    let port = app
        .env()
        .task_definitions
        .get(&svc.task_definition)
        .and_then(|s| s.data.as_ref())
        .and_then(|td| td.containers.iter().find_map(|c| c.port));
    let remote = port.map(|p| p.to_string()).unwrap_or_default();
    let local = port
        .map(flightdeck_core::provider::PortForward::local_port_for)
        .map(|p| p.to_string())
        .unwrap_or_default();
    let field = Field::text;
    let fields = vec![
        field("local port", FieldKind::Port(PortField::Local), local),
        field(
            "remote host (empty: the container)",
            FieldKind::RemoteHost,
            String::new(),
        ),
        field("remote port", FieldKind::Port(PortField::Remote), remote),
    ];
    let (cluster, service) = (svc.cluster.clone(), svc.name.clone());
    let mut form = Form::new(FormKind::PortForward, env, cluster, service, fields);
    form.task = app.picked_task().map(|t| t.id.clone());
    app.dialog = Some(Dialog::Form(form));
    vec![]
}

/// Plans stopping the picked task (a message when none is picked).
fn start_stop_task(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    let Some(task) = app.picked_task() else {
        app.dialog = Some(Dialog::Message(Message::new(
            "Stop a task",
            vec![format!(
                "Open the service ({}) and pick its task with {} {} first.",
                app.key(Action::Open),
                app.key(Action::Previous),
                app.key(Action::Next)
            )],
        )));
        return vec![];
    };
    let task = task.id.clone();
    plan(
        app,
        env,
        Operation::StopTask {
            cluster: svc.cluster.clone(),
            service: svc.name.clone(),
            task,
            reason: None,
        },
    )
}

/// Opens the one-off task form: the command, the container (the task
/// definition's first essential one when loaded), CPU and memory (empty:
/// the task definition's).
fn start_run_task(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    let container = app
        .env()
        .task_definitions
        .get(&svc.task_definition)
        .and_then(|s| s.data.as_ref())
        .and_then(|td| {
            td.containers
                .iter()
                .find(|c| c.essential)
                .or_else(|| td.containers.first())
        })
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let fields = vec![
        Field::text("command", FieldKind::Command, String::new()),
        Field::text(
            "container (empty: first essential)",
            FieldKind::Container,
            container,
        ),
        Field::text(
            "cpu units",
            FieldKind::TaskSize(TaskSize::Cpu),
            String::new(),
        ),
        Field::text(
            "memory MiB",
            FieldKind::TaskSize(TaskSize::Memory),
            String::new(),
        ),
    ];
    app.dialog = Some(Dialog::Form(Form::new(
        FormKind::RunTask,
        env,
        svc.cluster.clone(),
        svc.name.clone(),
        fields,
    )));
    vec![]
}

/// The one-off task a form asks for: a command that splits into words,
/// sizes in whole numbers.
fn run_task_operation(f: &Form) -> Result<Operation, String> {
    let text = |kind: FieldKind| {
        f.fields
            .iter()
            .find(|x| x.kind == kind)
            .map(|x| x.text_value().trim().to_string())
            .unwrap_or_default()
    };
    let command = text(FieldKind::Command);
    flightdeck_core::ops::run_task::split_command(&command)?;
    let size = |which: TaskSize, label: &str| -> Result<Option<u32>, String> {
        match text(FieldKind::TaskSize(which)).as_str() {
            "" => Ok(None),
            v => v
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .map(Some)
                .ok_or_else(|| format!("{label}: `{v}` is not a whole number above 0")),
        }
    };
    let container = Some(text(FieldKind::Container)).filter(|c| !c.is_empty());
    Ok(Operation::RunTask {
        cluster: f.cluster.clone(),
        service: f.service.clone(),
        command,
        container,
        cpu: size(TaskSize::Cpu, "cpu units")?,
        memory: size(TaskSize::Memory, "memory MiB")?,
    })
}

/// Opens the deployment strategy form, filled with the service's strategy
/// and bake time.
fn start_strategy(app: &mut App, env: String, svc: &Service) -> Vec<Effect> {
    let config = &svc.deployment_config;
    let strategy = config.strategy.short();
    let bake = config
        .bake_minutes
        .map(|m| m.to_string())
        .unwrap_or_default();
    let fields = vec![
        Field::text("strategy", FieldKind::Strategy, strategy),
        Field::text("bake minutes", FieldKind::BakeMinutes, bake),
    ];
    app.dialog = Some(Dialog::Form(Form::new(
        FormKind::Strategy,
        env,
        svc.cluster.clone(),
        svc.name.clone(),
        fields,
    )));
    vec![]
}

/// Plans `op` in `env` for the caller's confirmation (a one-off task's
/// stop from the runs' pane).
pub(crate) fn plan_write(app: &mut App, env: String, op: Operation) -> Vec<Effect> {
    if app.is_read_only() {
        app.notice = Some(format!("{env} is read-only [RO]: writes are refused"));
        return vec![];
    }
    plan(app, env, op)
}

fn plan(app: &mut App, env: String, op: Operation) -> Vec<Effect> {
    let request = app.new_request();
    app.dialog = Some(Dialog::Waiting {
        request,
        text: format!(
            "planning {} of {}/{}…",
            op.verb(),
            op.cluster(),
            op.service()
        ),
    });
    vec![Effect::Plan { request, env, op }]
}

/// Keys while a dialog is open. Returns what the runtime must do.
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(dialog) = app.dialog.take() else {
        return vec![];
    };
    match dialog {
        Dialog::Waiting { request, text } => {
            // Nothing to do but wait; Esc hides the dialog. A plan answering
            // it afterwards is dropped; an execution's outcome is still told.
            if key.code != KeyCode::Esc {
                app.dialog = Some(Dialog::Waiting { request, text });
            }
            vec![]
        }
        Dialog::Message(m) => on_message_key(app, m, key),
        Dialog::Form(f) => on_form_key(app, f, key),
        Dialog::Confirm(c) => on_confirm_key(app, c, key),
        Dialog::Action(c) => on_action_confirm_key(app, c, key),
    }
}

fn on_message_key(app: &mut App, mut m: Message, key: KeyEvent) -> Vec<Effect> {
    // On the offer's button, Up and Down choose among the offers.
    if m.on_offer && !m.choices.is_empty() {
        let by = match key.code {
            KeyCode::Up | KeyCode::Char('k') => Some(-1),
            KeyCode::Down | KeyCode::Char('j') => Some(1),
            _ => None,
        };
        if let Some(by) = by {
            m.choose(by);
            app.dialog = Some(Dialog::Message(m));
            return vec![];
        }
    }
    if let Some(scroll) = scrolled(app, m.scroll, &key, true) {
        m.scroll = scroll;
        app.dialog = Some(Dialog::Message(m));
        return vec![];
    }
    match key.code {
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right if m.offer.is_some() => {
            m.on_offer = !m.on_offer;
            app.dialog = Some(Dialog::Message(m));
            vec![]
        }
        KeyCode::Enter if m.on_offer => match m.offer {
            Some((env, op)) => plan(app, env, op),
            None => vec![],
        },
        KeyCode::Enter | KeyCode::Esc => vec![],
        _ => {
            app.dialog = Some(Dialog::Message(m));
            vec![]
        }
    }
}

fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key.modifiers.contains(KeyModifiers::CONTROL)
                && !key.modifiers.contains(KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    }
}

fn on_form_key(app: &mut App, mut f: Form, key: KeyEvent) -> Vec<Effect> {
    let n = f.fields.len().max(1);
    if f.kind == FormKind::PortForward
        && key.code == KeyCode::Char('d')
        && key.modifiers.contains(KeyModifiers::CONTROL)
    {
        app.notice = Some(format!("closing {} port forward(s)", app.forwards.len()));
        return vec![Effect::CloseForwards];
    }
    match key.code {
        KeyCode::Esc => return vec![],
        KeyCode::Tab | KeyCode::Down => f.focus = (f.focus + 1) % n,
        KeyCode::BackTab | KeyCode::Up => f.focus = (f.focus + n - 1) % n,
        KeyCode::Enter => match form_operation(&f, &app.key(Action::ForceDeploy)) {
            Ok(op) => {
                let effects = plan(app, f.env.clone(), op);
                if let Some(Effect::Plan { request, .. }) = effects.first() {
                    app.planned_form = Some((*request, f));
                }
                return effects;
            }
            Err(e) => f.error = Some(e),
        },
        KeyCode::Backspace => {
            if let Some(field) = f.fields.get_mut(f.focus)
                && let FieldValue::Text(text) = &mut field.value
            {
                text.pop();
            }
            f.error = None;
        }
        _ => {
            if let (Some(c), Some(field)) = (typed_char(&key), f.fields.get_mut(f.focus)) {
                if let FieldValue::Flag(on) = &mut field.value {
                    if c == ' ' {
                        *on = !*on;
                    }
                } else if field.digits_only() && !c.is_ascii_digit() {
                    f.error = Some(format!("{}: digits only", field.label));
                    app.dialog = Some(Dialog::Form(f));
                    return vec![];
                } else if let FieldValue::Text(text) = &mut field.value {
                    text.push(c);
                }
                f.error = None;
            }
        }
    }
    app.dialog = Some(Dialog::Form(f));
    vec![]
}

/// The operation a filled-in form asks for, or why it cannot be planned;
/// `force_key` is the key that forces a new deployment, for the message
/// when nothing changed.
fn form_operation(f: &Form, force_key: &str) -> Result<Operation, String> {
    match f.kind {
        FormKind::PortForward => port_forward_operation(f),
        FormKind::Strategy => strategy_operation(f),
        FormKind::Deploy => deploy_operation(f, force_key),
        FormKind::Scale => scale_operation(f),
        FormKind::RunTask => run_task_operation(f),
    }
}

/// The port forward a form asks for: its ports and remote host checked.
fn port_forward_operation(f: &Form) -> Result<Operation, String> {
    let port = |which: PortField| -> Result<u16, String> {
        let field = f
            .fields
            .iter()
            .find(|x| x.kind == FieldKind::Port(which))
            .ok_or("no port field")?;
        match field.text_value().trim().parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(format!("{}: a port is 1 to 65535", field.label)),
        }
    };
    let (local, remote) = (port(PortField::Local)?, port(PortField::Remote)?);
    if local < flightdeck_core::provider::PortForward::MIN_LOCAL_PORT {
        return Err(format!(
            "local port: {} or more (lower ones need root)",
            flightdeck_core::provider::PortForward::MIN_LOCAL_PORT
        ));
    }
    let host = f
        .fields
        .iter()
        .find(|x| x.kind == FieldKind::RemoteHost)
        .map(|x| x.text_value().trim().to_string())
        .filter(|h| !h.is_empty());
    if host
        .as_deref()
        .is_some_and(|h| h.contains(char::is_whitespace))
    {
        return Err("remote host: no spaces in a host name".into());
    }
    Ok(Operation::PortForward {
        cluster: f.cluster.clone(),
        service: f.service.clone(),
        task: f.task.clone(),
        container: None,
        remote_host: host,
        remote_port: remote,
        local_port: local,
    })
}

/// The deployment strategy a form asks for, checked, if any field changed.
fn strategy_operation(f: &Form) -> Result<Operation, String> {
    let field = |kind: FieldKind| f.fields.iter().find(|x| x.kind == kind);
    let text = field(FieldKind::Strategy).map_or("", Field::text_value);
    let strategy = flightdeck_model::Strategy::parse(text)?;
    let bake = match field(FieldKind::BakeMinutes).map(|x| x.text_value().trim()) {
        None | Some("") => None,
        Some(v) => {
            let m: u32 = v
                .parse()
                .ok()
                .filter(|m| *m <= flightdeck_model::MAX_BAKE_MINUTES)
                .ok_or_else(|| {
                    format!(
                        "bake minutes: `{v}` is not 0 to {}",
                        flightdeck_model::MAX_BAKE_MINUTES
                    )
                })?;
            Some(m)
        }
    };
    if f.fields.iter().all(|x| !x.changed()) {
        return Err("nothing changed".into());
    }
    Ok(Operation::SetStrategy {
        cluster: f.cluster.clone(),
        service: f.service.clone(),
        strategy,
        bake_minutes: bake,
    })
}

/// The deployment a form asks for: the images changed, each checked.
fn deploy_operation(f: &Form, force_key: &str) -> Result<Operation, String> {
    let mut images = vec![];
    for field in &f.fields {
        let FieldKind::Image { container } = &field.kind else {
            continue;
        };
        let v = field.text_value().trim();
        if v.is_empty() {
            return Err(format!("{}: an image is needed", field.label));
        }
        if v.contains(char::is_whitespace) {
            return Err(format!("{}: no spaces in an image", field.label));
        }
        if field.changed() {
            images.push((container.clone(), v.to_string()));
        }
    }
    if images.is_empty() {
        return Err(format!(
            "change an image (or press {force_key} for a new deployment of the same revision)"
        ));
    }
    Ok(Operation::Deploy {
        cluster: f.cluster.clone(),
        service: f.service.clone(),
        images,
        force: false,
    })
}

/// The counts and suspension a form changed, checked against each other
/// and what ECS allows.
fn scale_operation(f: &Form) -> Result<Operation, String> {
    // Every count's value, and whether the operator changed it.
    let mut counts = std::collections::HashMap::new();
    let mut suspend = None;
    for field in &f.fields {
        match &field.kind {
            FieldKind::Count(which) => {
                let n: u32 = field.text_value().trim().parse().map_err(|_| {
                    format!("{}: `{}` is not a whole number", field.label, field.value)
                })?;
                if n > MAX_TASKS {
                    return Err(format!("{}: {n} is more than ECS allows", field.label));
                }
                counts.insert(*which, (n, field.changed()));
            }
            FieldKind::SuspendScaling if field.changed() => {
                suspend = Some(field.value == FieldValue::Flag(true));
            }
            FieldKind::SuspendScaling
            | FieldKind::Image { .. }
            | FieldKind::Strategy
            | FieldKind::BakeMinutes
            | FieldKind::Port(_)
            | FieldKind::RemoteHost
            | FieldKind::Command
            | FieldKind::Container
            | FieldKind::TaskSize(_) => {}
        }
    }
    let value = |c: Count| counts.get(&c).map(|(n, _)| *n);
    let changed = |c: Count| counts.get(&c).filter(|(_, ch)| *ch).map(|(n, _)| *n);
    if let (Some(min), Some(max)) = (value(Count::Min), value(Count::Max))
        && min > max
    {
        return Err(format!("min {min} is greater than max {max}"));
    }
    let desired = changed(Count::Desired);
    let (min, max) = (changed(Count::Min), changed(Count::Max));
    if desired.is_none() && min.is_none() && max.is_none() && suspend.is_none() {
        return Err("nothing changed".into());
    }
    Ok(Operation::Scale {
        cluster: f.cluster.clone(),
        service: f.service.clone(),
        desired,
        min,
        max,
        suspend,
    })
}

fn on_confirm_key(app: &mut App, mut c: Confirm, key: KeyEvent) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        return vec![];
    }
    // Letters are typed into a production confirmation: only the arrows
    // and page keys scroll a plan.
    if let Some(scroll) = scrolled(app, c.scroll, &key, false) {
        c.scroll = scroll;
        app.dialog = Some(Dialog::Confirm(c));
        return vec![];
    }
    // C-y: the AWS CLI commands that make the same calls, for a runbook
    // or another terminal; the plan itself when it has none.
    if key.code == KeyCode::Char('y') && key.modifiers.contains(KeyModifiers::CONTROL) {
        let (what, text) = if c.plan.aws_cli.is_empty() {
            ("the plan", c.plan.lines().join("\n"))
        } else {
            ("the AWS CLI commands", c.plan.aws_cli.join("\n"))
        };
        app.dialog = Some(Dialog::Confirm(c));
        return super::copy::copy(app, what, &text);
    }
    if let Some(reason) = c.take_over.as_mut() {
        match key.code {
            KeyCode::Enter if reason.trim().is_empty() => {
                c.error = Some(format!(
                    "type why you take the lease over from {} (the audit keeps it, they are shown it), Esc to cancel",
                    c.plan
                        .lease
                        .as_ref()
                        .map_or("its holder", |l| l.holder.as_str())
                ));
            }
            KeyCode::Enter => {
                c.plan.take_lease = Some(reason.trim().to_string());
                c.take_over = None;
                c.error = None;
            }
            KeyCode::Backspace => {
                reason.pop();
                c.error = None;
            }
            _ => {
                if let Some(ch) = typed_char(&key) {
                    reason.push(ch);
                    c.error = None;
                }
            }
        }
    } else {
        let word = c.plan.confirmation_word().to_string();
        let typed = c.needs_typing().then_some(word.as_str());
        match confirm_step(
            &key,
            typed,
            &mut c.typed,
            &mut c.on_confirm,
            &mut c.error,
            "service",
        ) {
            Step::Confirmed => return execute(app, c),
            Step::Cancelled => return vec![],
            Step::Stay => {}
        }
    }
    app.dialog = Some(Dialog::Confirm(c));
    vec![]
}

/// What a key did to a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Stay,
    Confirmed,
    Cancelled,
}

/// A key in a confirmation: in production (`word` to type) it is typed,
/// Enter confirms only the exact word; otherwise Tab moves between Cancel
/// and Confirm and Enter chooses. `what` names the word (`service`).
pub(crate) fn confirm_step(
    key: &KeyEvent,
    word: Option<&str>,
    typed: &mut String,
    on_confirm: &mut bool,
    error: &mut Option<String>,
    what: &str,
) -> Step {
    if let Some(word) = word {
        match key.code {
            KeyCode::Enter if typed == word => return Step::Confirmed,
            KeyCode::Enter => {
                *error = Some(format!(
                    "type the {what} name `{word}` exactly to confirm, Esc to cancel"
                ));
            }
            KeyCode::Backspace => {
                typed.pop();
                *error = None;
            }
            _ => {
                if let Some(ch) = typed_char(key) {
                    typed.push(ch);
                    *error = None;
                }
            }
        }
        return Step::Stay;
    }
    match key.code {
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
            *on_confirm = !*on_confirm
        }
        KeyCode::Enter if *on_confirm => return Step::Confirmed,
        KeyCode::Enter => return Step::Cancelled,
        _ => {}
    }
    Step::Stay
}

fn execute(app: &mut App, c: Confirm) -> Vec<Effect> {
    let op = &c.plan.operation;
    let text = format!(
        "{} of {}/{}: calling AWS…",
        op.verb(),
        op.cluster(),
        op.service()
    );
    let request = app.new_request();
    app.dialog = Some(Dialog::Waiting { request, text });
    vec![Effect::Execute {
        request,
        env: c.env,
        plan: c.plan,
    }]
}

/// Asks the runtime to plan action `name` on `target` in the environment
/// on screen: its variables need the caller's account and the config.
pub fn start_action(app: &mut App, name: &str, target: super::actions::Target) -> Vec<Effect> {
    let Some(spec) = app.actions.iter().find(|a| a.name == name).cloned() else {
        app.notice = Some(format!("no action `{name}`"));
        return vec![];
    };
    if app.viewer {
        app.notice = Some(REPLAY_READ_ONLY.into());
        return vec![];
    }
    let env = app.env().info.name.clone();
    if spec.writes && app.is_read_only() {
        app.notice = Some(format!(
            "{env} is read-only: the action `{name}` writes, so it is not run"
        ));
        return vec![];
    }
    let request = app.new_request();
    app.dialog = Some(Dialog::Waiting {
        request,
        text: format!("action {name}: planning…"),
    });
    vec![Effect::PlanAction {
        request,
        env,
        action: name.to_string(),
        target,
    }]
}

/// An action's plan came back: run at once when it only reads, else
/// confirmed first.
pub fn action_planned(
    app: &mut App,
    request: RequestId,
    env: String,
    result: Result<flightdeck_core::action::ActionPlan, String>,
) -> Vec<Effect> {
    app.dirty = true;
    if !matches!(&app.dialog, Some(Dialog::Waiting { request: r, .. }) if *r == request) {
        app.notice = Some("a late action plan was dropped; start it again".into());
        return vec![];
    }
    match result {
        Err(e) => {
            app.dialog = Some(Dialog::Message(Message::new(
                "Cannot run the action",
                vec![e],
            )));
            vec![]
        }
        Ok(plan) if !plan.confirmation().is_needed() => {
            app.dialog = None;
            super::actions::run(app, env, plan)
        }
        Ok(plan) => {
            app.dialog = Some(Dialog::Action(super::actions::ActionConfirm {
                env,
                plan: Box::new(plan),
                typed: String::new(),
                on_confirm: false,
                error: None,
                scroll: 0,
            }));
            vec![]
        }
    }
}

/// A key in an action's confirmation: the production tier is typed, the
/// other is a button; C-y copies the command.
fn on_action_confirm_key(
    app: &mut App,
    mut c: super::actions::ActionConfirm,
    key: KeyEvent,
) -> Vec<Effect> {
    if key.code == KeyCode::Esc {
        return vec![];
    }
    if let Some(scroll) = scrolled(app, c.scroll, &key, false) {
        c.scroll = scroll;
        app.dialog = Some(Dialog::Action(c));
        return vec![];
    }
    if key.code == KeyCode::Char('y') && key.modifiers.contains(KeyModifiers::CONTROL) {
        let command = c.plan.command_line();
        app.dialog = Some(Dialog::Action(c));
        return super::copy::copy(app, "the command", &command);
    }
    let word = c.plan.confirmation().word().unwrap_or_default().to_string();
    match confirm_step(
        &key,
        c.needs_typing().then_some(word.as_str()),
        &mut c.typed,
        &mut c.on_confirm,
        &mut c.error,
        c.plan.confirmed_by(),
    ) {
        Step::Confirmed => {
            app.dialog = None;
            return super::actions::run(app, c.env, *c.plan);
        }
        Step::Cancelled => return vec![],
        Step::Stay => {}
    }
    app.dialog = Some(Dialog::Action(c));
    vec![]
}

/// `v` in a service's detail: its running revision beside the one before.
pub fn revisions(app: &mut App) -> Vec<Effect> {
    let Some(service) = app.detail_service().map(|s| s.reference()) else {
        app.notice = Some("v: a service's revisions, from its detail (Enter on a service)".into());
        return vec![];
    };
    let request = app.new_request();
    app.dialog = Some(Dialog::Waiting {
        request,
        text: format!("reading the revisions of {}…", service.name),
    });
    vec![Effect::Diff {
        request,
        env: app.env().info.name.clone(),
        service,
    }]
}

/// The two revisions came back: shown, scrollable, closed with Esc.
pub fn diffed(
    app: &mut App,
    request: RequestId,
    result: Result<flightdeck_core::diff::Revisions, String>,
) {
    if !awaited(app, request) {
        return;
    }
    app.dirty = true;
    app.dialog = Some(Dialog::Message(match result {
        Ok(r) => Message::new(
            format!(
                "Revisions of {}: {} -> {}",
                r.service, r.from.revision, r.to.revision
            ),
            r.lines(),
        ),
        Err(e) => Message::new("Cannot compare revisions", vec![e]),
    }));
}

/// Whether the open dialog waits for `request`.
fn awaited(app: &App, request: RequestId) -> bool {
    matches!(&app.dialog, Some(Dialog::Waiting { request: r, .. }) if *r == request)
}

/// A plan came back. Only the plan the open dialog waits for is shown;
/// a late one is dropped with a notice, never offered for confirmation.
pub fn planned(
    app: &mut App,
    request: RequestId,
    env: String,
    op: Operation,
    result: Result<Plan, PlanError>,
) -> Vec<Effect> {
    app.dirty = true;
    if !awaited(app, request) {
        app.notice = Some(format!(
            "a late plan for {} of {}/{} was dropped; start it again to confirm it",
            op.verb(),
            op.cluster(),
            op.service()
        ));
        return vec![];
    }
    // A session outside production opens at once (`Plan::confirmation`).
    if let Ok(plan) = &result
        && !plan.confirmation().is_needed()
        && plan.lease.is_none()
    {
        let c = Confirm {
            env,
            plan: Box::new(plan.clone()),
            typed: String::new(),
            on_confirm: true,
            error: None,
            scroll: 0,
            take_over: None,
        };
        return execute(app, c);
    }
    let replan = app.replan.take().filter(|r| r.request == request);
    let form = app.planned_form.take().filter(|(r, _)| *r == request);
    // What the form asked for is wrong (a container it lacks, a size
    // Fargate refuses): the form again, as typed, with the reason.
    if let (Err(PlanError::Invalid(why)), Some((_, mut form))) = (&result, form) {
        form.error = Some(why.clone());
        app.dialog = Some(Dialog::Form(form));
        return vec![];
    }
    app.dialog = Some(match result {
        Ok(plan) => confirm_dialog(env, plan, replan),
        Err(PlanError::NoRollbackTarget { reason, choices }) => {
            no_rollback_target(env, &op, &reason, &choices)
        }
        Err(e) => cannot_plan(app, env, &op, &e),
    });
    vec![]
}

/// The confirmation of a plan. A stale plan planned again says what
/// changed, and when the new plan makes the same calls the operator
/// confirmed, the name typed then stands (Enter confirms once more).
fn confirm_dialog(env: String, mut plan: Plan, replan: Option<Replan>) -> Dialog {
    let mut typed = String::new();
    if let Some(r) = replan {
        let same = r.confirmed.steps == plan.steps;
        plan.notes.insert(
            0,
            if same {
                format!(
                    "{} the plan was stale ({}); the same calls as the one you confirmed: Enter confirms",
                    flightdeck_core::ops::REPLANNED,
                    r.changed
                )
            } else {
                format!(
                    "{} the plan was stale ({}); the calls changed: read them and confirm anew",
                    flightdeck_core::ops::REPLANNED,
                    r.changed
                )
            },
        );
        if same && plan.confirmation().is_typed() {
            typed = plan.confirmation_word().to_string();
        }
    }
    let take_over = plan.lease.as_ref().map(|_| String::new());
    Dialog::Confirm(Confirm {
        env,
        plan: Box::new(plan),
        typed,
        on_confirm: false,
        error: None,
        scroll: 0,
        take_over,
    })
}

/// Nothing names the rollback's target: the earlier revisions, and the
/// newest of them offered (Tab), instead of a flag the cockpit does not have.
fn no_rollback_target(
    env: String,
    op: &Operation,
    reason: &str,
    choices: &[RevisionChoice],
) -> Dialog {
    let mut lines = vec![format!("{reason}.")];
    if choices.is_empty() {
        lines.push("No earlier revision of its family is registered.".into());
    } else {
        lines.push(String::new());
        lines.push("Earlier revisions, newest first:".into());
    }
    let first = lines.len();
    lines.extend(
        choices
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}{}", if i == 0 { "▶ " } else { "  " }, c.describe())),
    );
    let mut m = Message::new("Cannot rollback", lines);
    if let (
        Some(newest),
        Operation::Rollback {
            cluster, service, ..
        },
    ) = (choices.first(), op)
    {
        m.lines.push(String::new());
        m.lines.push(
            "Up/Down choose a revision, Enter plans the rollback to it (nothing changes until you confirm its plan); Tab then Enter, or Esc, closes."
                .into(),
        );
        let rollback_to = |revision| Operation::Rollback {
            cluster: cluster.clone(),
            service: service.clone(),
            to: Some(revision),
        };
        m.choices = choices
            .iter()
            .enumerate()
            .map(|(i, c)| (first + i, rollback_to(c.revision.revision)))
            .collect();
        m.offer = Some((env, rollback_to(newest.revision.revision)));
        // Planning changes nothing: the choice is where Enter lands.
        m.on_offer = true;
        m.title = "Roll back to which revision?".into();
    }
    Dialog::Message(m)
}

/// Why `op` cannot be planned, with the auto scaling range change offered
/// when that is what stands in the way.
fn cannot_plan(app: &App, env: String, op: &Operation, e: &PlanError) -> Dialog {
    let mut m = Message::new(format!("Cannot {}", op.verb()), vec![e.to_string()]);
    m.offer = range_offer(app, op).map(|o| (env, o));
    if m.offer.is_some() {
        m.lines.push(String::new());
        m.lines
            .push("Tab then Enter: plan the auto scaling range change instead.".into());
    }
    Dialog::Message(m)
}

/// For a desired count outside the auto scaling range, the range change
/// that would allow it.
fn range_offer(app: &App, op: &Operation) -> Option<Operation> {
    let Operation::Scale {
        cluster,
        service,
        desired: Some(d),
        min,
        max,
        suspend,
    } = op
    else {
        return None;
    };
    let t = app
        .env()
        .scaling
        .data
        .as_ref()?
        .targets
        .iter()
        .find(|t| &t.cluster == cluster && &t.service == service)?;
    let (lo, hi) = (min.unwrap_or(t.min), max.unwrap_or(t.max));
    if *d >= lo && *d <= hi {
        return None;
    }
    Some(Operation::Scale {
        cluster: cluster.clone(),
        service: service.clone(),
        desired: Some(*d),
        min: Some(lo.min(*d)),
        max: Some(hi.max(*d)),
        suspend: *suspend,
    })
}

/// A write finished. The outcome of the awaited execution takes the
/// dialog; a late one (its dialog was hidden) never replaces what is open
/// now: it is told in the footer, and a rollout it started can be opened
/// with W.
pub fn executed(
    app: &mut App,
    request: RequestId,
    env: String,
    plan: Plan,
    result: Result<Executed, ExecError>,
    at: Timestamp,
) -> Vec<Effect> {
    app.dirty = true;
    let current = awaited(app, request);
    if let Ok(done) = &result
        && let Some(session) = done.session.clone()
    {
        return open_session(app, current, env, &plan, session);
    }
    // A one-off task started: its output is followed in the runs' pane.
    if let Ok(done) = &result
        && let Some(started) = done.task.clone()
        && let Some(run) = plan.steps.iter().find_map(|s| match s {
            flightdeck_core::ops::Step::RunTask { task } => Some(task.clone()),
            _ => None,
        })
    {
        if current {
            app.dialog = None;
        }
        if let Some(why) = &done.unrecorded {
            app.notice = Some(format!(
                "task {} started, but NOT RECORDED in the audit log ({why})",
                started.id
            ));
        }
        return super::actions::follow_task(app, env, run, *started);
    }
    let what = format!(
        "{} of {}/{}",
        plan.operation.verb(),
        plan.operation.cluster(),
        plan.operation.service()
    );
    let message = match result {
        Ok(done) => match done_message(app, current, &env, &plan, &what, &done, at) {
            Some(message) => message,
            None => return vec![],
        },
        // Stale: what it decides on changed. Planned again at once, the
        // operator sees what changed and confirms the new plan.
        Err(ExecError::Stale(changed)) if current => {
            let effects = self::plan(app, env, plan.operation.clone());
            if let Some(Effect::Plan { request, .. }) = effects.first() {
                app.replan = Some(Replan {
                    request: *request,
                    changed,
                    confirmed: Box::new(plan),
                });
            }
            return effects;
        }
        // ECS reached the end first (a circuit breaker's rollback).
        Err(ExecError::NothingToDo(why)) => {
            if !current {
                app.notice = Some(format!("{what}: {why}"));
            }
            Message::new("Nothing to do", vec![why])
        }
        Err(e) => {
            if !current {
                app.notice = Some(format!("{what} failed: {e}"));
            }
            Message::new(
                format!("{} failed", plan.operation.verb()),
                vec![e.to_string()],
            )
        }
    };
    if current || app.dialog.is_none() {
        app.dialog = Some(Dialog::Message(message));
    }
    vec![]
}

/// The session an execution opened: a port forward goes on in the
/// background; an exec's takes the terminal when awaited (a late one is
/// not attached by surprise; it times out on its own).
fn open_session(
    app: &mut App,
    current: bool,
    env: String,
    plan: &Plan,
    session: flightdeck_core::provider::ExecSession,
) -> Vec<Effect> {
    if let Operation::PortForward { .. } = &plan.operation {
        let described = plan
            .steps
            .iter()
            .find_map(|s| match s {
                flightdeck_core::ops::Step::StartPortForward { forward } => {
                    Some(forward.describe())
                }
                _ => None,
            })
            .unwrap_or_default();
        if current {
            app.dialog = None;
        }
        app.notice = Some(format!("forwarding {described}"));
        return vec![Effect::Forward {
            env,
            session: Box::new(session),
            described,
        }];
    }
    if current {
        app.dialog = None;
        app.notice = Some(format!("ECS Exec session {} ended", session.session_id));
        return vec![Effect::Attach(Box::new(session))];
    }
    app.notice = Some("a late ECS Exec session was not attached".into());
    vec![]
}

/// A write that went through: it opens the watch of the deployment it
/// started, from `at`, when its answer came back (a read that began
/// earlier may not show it), and says what it did (none when the watch
/// says it all). A change the audit log missed is always told.
fn done_message(
    app: &mut App,
    current: bool,
    env: &str,
    plan: &Plan,
    what: &str,
    done: &Executed,
    at: Timestamp,
) -> Option<Message> {
    let mut lines = vec![];
    if let Some(why) = &done.unrecorded {
        lines.push(format!(
            "CHANGED, BUT NOT RECORDED in the audit log: {why}."
        ));
        lines.push(format!("Calls made: {}", describe_calls(&done.calls)));
    }
    let Some(id) = &done.deployment_id else {
        lines.push(format!(
            "{}{}.",
            done.describe(plan),
            if done.unrecorded.is_none() {
                "; recorded in the audit log"
            } else {
                ""
            }
        ));
        if !current {
            app.notice = Some(format!("{what} done"));
        }
        return Some(Message::new("Done", lines));
    };
    let watch = Watch::new(env, &done.service, id, at, app.stuck_after);
    app.rollout = Some(RolloutView {
        watch,
        visible: current && lines.is_empty(),
        summary: plan.lines().first().cloned().unwrap_or_default(),
        scroll: 0,
    });
    if !current {
        app.notice = Some(format!(
            "{what} went through; {} watches the rollout",
            app.key(Action::RolloutView)
        ));
    }
    if lines.is_empty() {
        if current {
            app.dialog = None;
        }
        return None;
    }
    lines.push(format!(
        "{} watches the rollout.",
        app.key(Action::RolloutView)
    ));
    Some(Message::new("Done, not recorded", lines))
}

/// `W`: hides the watch; shows it again; or, when the service in view has
/// a rollout in progress that no watch follows (CI's, a colleague's),
/// follows that one. Never silent: with nothing to watch it says so.
pub fn toggle_watch(app: &mut App) {
    if let Some(r) = app.rollout.as_mut().filter(|r| r.visible) {
        r.visible = false;
        return;
    }
    go_to_finding(app);
    let subject = subject(app);
    let running = subject.as_ref().and_then(|svc| {
        svc.deployments
            .iter()
            .find(|d| {
                d.status == DeploymentStatus::Primary && d.rollout_state == RolloutState::InProgress
            })
            .map(|d| (svc, d))
    });
    let watched = |svc: &Service| {
        app.rollout
            .as_ref()
            .is_some_and(|r| r.watch.cluster == svc.cluster && r.watch.service == svc.name)
    };
    if let Some((svc, d)) = running.filter(|(svc, _)| !watched(svc)) {
        let watch = Watch::new(
            &app.env().info.name,
            svc,
            &d.id,
            d.created_at,
            app.stuck_after,
        );
        let summary = format!(
            "Watching {}'s rollout to {} (not started from this cockpit)",
            svc.name, d.task_definition
        );
        app.rollout = Some(RolloutView {
            watch,
            visible: true,
            summary,
            scroll: 0,
        });
        observe(app);
    } else if let Some(r) = app.rollout.as_mut() {
        r.visible = true;
    } else {
        let key = app.key(Action::RolloutView);
        app.notice = Some(match subject {
            Some(svc) => format!(
                "{} has no rollout in progress; {key} follows one while it runs",
                svc.name
            ),
            None => format!(
                "No rollout to watch: select a service with a rollout in progress, then {key}"
            ),
        });
    }
}

/// New data: the watch looks at its service again.
pub fn observe(app: &mut App) {
    let Some(r) = app.rollout.as_mut() else {
        return;
    };
    let Some(env) = app.envs.iter().find(|e| e.info.name == r.watch.environment) else {
        return;
    };
    let Some(svc) = env
        .services()
        .iter()
        .find(|s| s.cluster == r.watch.cluster && s.name == r.watch.service)
    else {
        return;
    };
    // A read that began before our write knows nothing about it.
    if env
        .services
        .fetched_at
        .is_none_or(|at| at < r.watch.started)
    {
        return;
    }
    let before = r.watch.status;
    if r.watch.status != RolloutStatus::InProgress && r.watch.status != RolloutStatus::Stuck {
        return;
    }
    if let Some(slot) = env.deployments.get(&svc.reference())
        && slot.fetched_at.is_some_and(|at| at >= r.watch.started)
        && let Some(history) = &slot.data
    {
        r.watch.observe_history(history, app.now);
    }
    r.watch.observe(svc, app.now);
    if r.watch.status != before {
        app.dirty = true;
    }
}
