//! The team's runbook actions in the cockpit: which are in scope where the
//! operator is (the service, task or alarm selected, the environment),
//! their keys, the plan asked of the runtime, its confirmation (the same
//! tiers as flightdeck's writes), and the session's runs with their output.

use super::keymap::Chord;
use super::{App, Effect, Overlay, Pane};
use crossterm::event::{KeyCode, KeyEvent};
use flightdeck_core::action::{ActionPlan, Scope, Spec};
use flightdeck_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Runs kept for the session: the oldest finished one goes first.
pub const KEPT_RUNS: usize = 20;
/// Lines of output kept of a run: the first ones go first.
pub const KEPT_LINES: usize = 5000;

/// What an action is aimed at: what the screen has selected. Fields
/// outside the action's scope are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub cluster: String,
    pub service: String,
    pub task_definition: String,
    pub task: String,
    pub container: String,
    pub alarm: String,
}

/// Where a line of a run's output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Out,
    Err,
    /// flightdeck's own word about the run.
    Note,
}

/// What a run is of: a runbook action, or a one-off task followed.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOf {
    Action(ActionPlan),
    /// A one-off task (run-task) started for `cluster/service`.
    Task {
        service: String,
        task: String,
        /// The command, a secret-shaped argument redacted.
        command: String,
    },
}

/// One run of an action, or one one-off task followed, in this session.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: u64,
    pub env: String,
    pub of: RunOf,
    pub started: Timestamp,
    /// Its output, the newest last (at most [`KEPT_LINES`]).
    pub lines: VecDeque<(Stream, String)>,
    /// Lines dropped from the front.
    pub dropped: usize,
    /// How it ended: its exit status, or why there is none.
    pub ended: Option<Result<i32, String>>,
    /// A cancel was asked for.
    pub cancelling: bool,
}

impl Run {
    /// Its state in a word or two: RUNNING, OK, EXIT 3, FAILED.
    pub fn state(&self) -> String {
        match &self.ended {
            None if self.cancelling => "CANCELLING".into(),
            None => "RUNNING".into(),
            Some(Ok(0)) => "OK".into(),
            Some(_) if self.cancelling => "CANCELLED".into(),
            Some(Ok(code)) => format!("EXIT {code}"),
            Some(Err(_)) => "FAILED".into(),
        }
    }

    /// What it is: `flush-cache on service checkout-api in prod`, `task
    /// 0a1b… of main/orders in prod`.
    pub fn title(&self) -> String {
        match &self.of {
            RunOf::Action(plan) => {
                let on = match plan.scope {
                    Scope::Environment => String::new(),
                    scope => format!(" on {} {}", scope.as_str(), plan.target),
                };
                format!("{}{on} in {}", plan.action, self.env)
            }
            RunOf::Task { service, task, .. } => {
                format!("task {task} of {service} in {}", self.env)
            }
        }
    }

    /// Its command as one line (secrets redacted).
    pub fn command_line(&self) -> String {
        match &self.of {
            RunOf::Action(plan) => plan.command_line(),
            RunOf::Task { command, .. } => command.clone(),
        }
    }

    /// What it is in a word: `action`, `one-off task`.
    pub fn kind(&self) -> &'static str {
        match self.of {
            RunOf::Action(_) => "action",
            RunOf::Task { .. } => "one-off",
        }
    }

    /// What `x x` does to it while it runs: cancel an action's process,
    /// plan stopping a one-off task.
    pub fn on_x(&self) -> Option<&'static str> {
        match (&self.ended, &self.of) {
            (Some(_), _) => None,
            (None, RunOf::Action(_)) => Some("cancel"),
            (None, RunOf::Task { .. }) => Some("stop (planned)"),
        }
    }
}

impl App {
    /// What `scope` points at on screen now, if anything: the service of
    /// the open detail or the selected row, the task marked in the detail,
    /// the selected alarm; the environment always.
    pub fn action_target(&self, scope: Scope) -> Option<Target> {
        let service = || match self.pane {
            Pane::Services => self.detail_service().or_else(|| {
                self.detail
                    .is_none()
                    .then(|| self.selected_service())
                    .flatten()
            }),
            _ => None,
        };
        let of_service = |s: &flightdeck_model::Service| Target {
            cluster: s.cluster.clone(),
            service: s.name.clone(),
            task_definition: s.task_definition.to_string(),
            ..Target::default()
        };
        match scope {
            Scope::Environment => Some(Target::default()),
            Scope::Service => service().map(of_service),
            Scope::Task => {
                let task = self.picked_task()?;
                let mut t = of_service(self.detail_service()?);
                t.task = task.id.clone();
                t.container = task
                    .containers
                    .first()
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                Some(t)
            }
            Scope::Alarm => (self.pane == Pane::Alarms)
                .then(|| self.selected_alarm())
                .flatten()
                .map(|a| Target {
                    alarm: a.name.clone(),
                    ..Target::default()
                }),
        }
    }

    /// The actions with something to act on here, each with its target.
    pub fn actions_in_scope(&self) -> Vec<(&Spec, Target)> {
        self.actions
            .iter()
            .filter_map(|spec| Some((spec, self.action_target(spec.scope)?)))
            .collect()
    }

    /// The actions of `scope` in a line (`U flush-cache · migrate`), for a
    /// detail; `None` when there are none.
    pub fn actions_line(&self, scope: Scope) -> Option<String> {
        let names: Vec<String> = self
            .actions
            .iter()
            .filter(|a| a.scope == scope)
            .map(|a| match &a.key {
                Some(key) => format!("{key} {}", a.name),
                None => a.name.clone(),
            })
            .collect();
        (!names.is_empty()).then(|| names.join(" · "))
    }

    /// The run `id`, if it is still kept.
    pub fn run(&self, id: u64) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    /// Runs not ended yet.
    pub fn running(&self) -> usize {
        self.runs.iter().filter(|r| r.ended.is_none()).count()
    }
}

/// What a key of the team's actions asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed {
    /// Plan action `name` on `target`.
    Run(String, Target),
    /// Its scope has nothing selected here: what to say.
    NoTarget(String),
}

/// The action whose key `key` is, with what its scope points at; `None`
/// when `key` is no action's.
pub fn keyed(app: &App, key: &KeyEvent) -> Option<Keyed> {
    let chord = Chord::of(key);
    let spec = app.actions.iter().find(|a| {
        a.key
            .as_deref()
            .and_then(|k| Chord::parse(k).ok())
            .is_some_and(|c| c == chord)
    })?;
    Some(match app.action_target(spec.scope) {
        Some(target) => Keyed::Run(spec.name.clone(), target),
        None => Keyed::NoTarget(format!(
            "{} runs {} on {}: select one first{}",
            spec.key.as_deref().unwrap_or_default(),
            spec.name,
            spec.scope.with_article(),
            match spec.scope {
                Scope::Task => " (its service's detail)",
                Scope::Alarm => " (pane 3)",
                _ => " (pane 1)",
            }
        )),
    })
}

/// The confirmation of a writing action's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionConfirm {
    pub env: String,
    pub plan: Box<ActionPlan>,
    /// Production: what has been typed so far.
    pub typed: String,
    /// Outside production: whether "Confirm" (not "Cancel") has the focus.
    pub on_confirm: bool,
    pub error: Option<String>,
    pub scroll: u16,
}

impl ActionConfirm {
    pub fn needs_typing(&self) -> bool {
        self.plan.confirmation().is_typed()
    }
}

/// Starts the run of a planned (and, when it writes, confirmed) action:
/// its output opens at once.
pub(crate) fn run(app: &mut App, env: String, plan: ActionPlan) -> Vec<Effect> {
    let id = app.new_request().0;
    let tty = app
        .actions
        .iter()
        .find(|a| a.name == plan.action)
        .is_some_and(|a| a.tty);
    open_run(app, id, env.clone(), RunOf::Action(plan.clone()));
    vec![Effect::RunAction {
        run: id,
        env,
        plan: Box::new(plan),
        tty,
    }]
}

/// Keeps a new run (the oldest ended one goes past [`KEPT_RUNS`]) and
/// opens its output.
fn open_run(app: &mut App, id: u64, env: String, of: RunOf) {
    while app.runs.len() >= KEPT_RUNS {
        match app.runs.iter().position(|r| r.ended.is_some()) {
            Some(i) => {
                app.runs.remove(i);
            }
            None => break,
        }
    }
    app.runs.push(Run {
        id,
        env,
        of,
        started: app.now,
        lines: VecDeque::new(),
        dropped: 0,
        ended: None,
        cancelling: false,
    });
    app.overlay = Some(Overlay::Actions {
        run: id,
        scroll: None,
        cancel_armed: false,
    });
}

/// Follows the one-off task a confirmed run-task started: its status and
/// log lines open at once in the runs' output, as an action's do.
pub(crate) fn follow_task(
    app: &mut App,
    env: String,
    run: flightdeck_core::provider::OneOffTask,
    started: flightdeck_model::Task,
) -> Vec<Effect> {
    let id = app.new_request().0;
    let of = RunOf::Task {
        service: format!("{}/{}", run.cluster, run.service),
        task: started.id.clone(),
        command: run.command_line(),
    };
    open_run(app, id, env.clone(), of);
    vec![Effect::FollowTask {
        run: id,
        env,
        task: Box::new(run),
        started: Box::new(started),
    }]
}

/// A line of a run's output.
pub fn output(app: &mut App, run: u64, stream: Stream, line: String) {
    if let Some(r) = app.runs.iter_mut().find(|r| r.id == run) {
        if r.lines.len() >= KEPT_LINES {
            r.lines.pop_front();
            r.dropped += 1;
        }
        r.lines.push_back((stream, line));
        app.dirty = true;
    }
}

/// A run ended: said in the footer unless its output is open.
pub fn ended(app: &mut App, run: u64, outcome: Result<i32, String>) {
    let showing =
        matches!(&app.overlay, Some(Overlay::Actions { run: shown, .. }) if *shown == run);
    if let Some(r) = app.runs.iter_mut().find(|r| r.id == run) {
        r.ended = Some(outcome);
        if !showing {
            // The outcome first: a narrow footer cuts the end.
            app.notice = Some(format!(
                "{}: {} {} (: then `actions` shows its output)",
                r.state(),
                r.kind(),
                r.title(),
            ));
        }
        app.dirty = true;
    }
}

/// Keys in the runs' output: scroll (it follows the end until scrolled),
/// `[` `]` the previous or next run, `x` twice cancels a running one,
/// Esc or `q` closes (a run goes on in the background).
pub fn on_output_key(
    app: &mut App,
    run: u64,
    scroll: Option<u16>,
    cancel_armed: bool,
    key: KeyEvent,
) -> Vec<Effect> {
    use super::keymap::Action;
    let Some(at) = app.runs.iter().position(|r| r.id == run) else {
        app.overlay = None;
        return vec![];
    };
    let rows = app.runs[at].lines.len() as u16;
    let page = app.page as u16;
    let from = scroll.unwrap_or_else(|| rows.saturating_sub(page));
    let keep = |app: &mut App, run, scroll| {
        app.overlay = Some(Overlay::Actions {
            run,
            scroll,
            cancel_armed: false,
        });
    };
    match (key.code, app.keymap.action(&key)) {
        (KeyCode::Esc | KeyCode::Char('q'), _) => app.overlay = None,
        // A one-off task's stop is a write, planned by the caller (`task_stop`).
        (KeyCode::Char('x'), _) if cancel_armed && !app.viewer && app.runs[at].ended.is_none() => {
            app.runs[at].cancelling = true;
            keep(app, run, scroll);
            return vec![Effect::CancelAction(run)];
        }
        (KeyCode::Char('x'), _) if app.runs[at].ended.is_none() && !app.viewer => {
            app.overlay = Some(Overlay::Actions {
                run,
                scroll,
                cancel_armed: true,
            });
        }
        (_, Some(Action::Previous)) => {
            let id = app.runs[at.saturating_sub(1)].id;
            keep(app, id, None);
        }
        (_, Some(Action::Next)) => {
            let id = app.runs[(at + 1).min(app.runs.len() - 1)].id;
            keep(app, id, None);
        }
        (_, Some(Action::Down)) | (KeyCode::Down, _) => {
            keep(app, run, Some(from.saturating_add(1)))
        }
        (_, Some(Action::Up)) | (KeyCode::Up, _) => keep(app, run, Some(from.saturating_sub(1))),
        (_, Some(Action::PageDown)) | (KeyCode::PageDown, _) => {
            keep(app, run, Some(from.saturating_add(page)))
        }
        (_, Some(Action::PageUp)) | (KeyCode::PageUp, _) => {
            keep(app, run, Some(from.saturating_sub(page)))
        }
        (_, Some(Action::Top)) | (KeyCode::Home, _) => keep(app, run, Some(0)),
        // The end: following again.
        (_, Some(Action::Bottom)) | (KeyCode::End, _) => keep(app, run, None),
        _ => keep(app, run, scroll),
    }
    vec![]
}

/// The stop of run `run` when it is a one-off task still running: the
/// environment and the StopTask to plan (`x x` in its pane).
pub fn task_stop(app: &App, run: u64) -> Option<(String, flightdeck_core::ops::Operation)> {
    let r = app.run(run).filter(|r| r.ended.is_none() && !app.viewer)?;
    let RunOf::Task { service, task, .. } = &r.of else {
        return None;
    };
    let (cluster, service) = service.split_once('/')?;
    let op = flightdeck_core::ops::Operation::StopTask {
        cluster: cluster.to_string(),
        service: service.to_string(),
        task: task.clone(),
        reason: None,
    };
    Some((r.env.clone(), op))
}

/// Opens the output of the newest run, or says there is none.
pub fn show_runs(app: &mut App) {
    match app.runs.last() {
        Some(r) => {
            app.overlay = Some(Overlay::Actions {
                run: r.id,
                scroll: None,
                cancel_armed: false,
            })
        }
        None => app.notice = Some("no action has run in this session".into()),
    }
}
