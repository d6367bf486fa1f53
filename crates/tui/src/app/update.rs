//! The one place where the app state changes.

use super::keymap::Action;
use super::mouse;
use super::palette::Jump;
use super::write::{self, Request};
use super::{App, Effect, InputTarget, Msg, Overlay, Pane, changes};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use flightdeck_core::engine::JobKind;
use flightdeck_core::triage::{Finding, Kind};
use flightdeck_model::ServiceRef;

/// Applies one message to the state and says what the runtime must do.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            if now.timestamp() != app.now.timestamp() {
                app.dirty = true;
            }
            app.now = now;
            let mut effects = vec![];
            // Asked of the keymap only when the drill ends.
            let restart_key = if app
                .drill
                .as_ref()
                .is_some_and(|d| d.over(now) && !d.debriefed)
            {
                app.key(Action::DrillRestart)
            } else {
                String::new()
            };
            // A page comes from an alarm: the drill pages once its own
            // environment has something that pages (or, for a scenario no
            // alarm catches, a few minutes after its fault). Once paged,
            // triage is not asked again.
            let paging = app.drill.as_ref().is_some_and(|d| {
                !d.paged
                    && now >= d.incident_at()
                    && (now >= d.incident_at() + chrono::Duration::minutes(5)
                        || app.triage().iter().any(|f| {
                            f.environment == d.environment
                                && f.urgency == flightdeck_core::triage::Urgency::Page
                        }))
            });
            if let Some(d) = app.drill.as_mut() {
                // A drill's end opens its debrief, once.
                if d.over(now) && !d.debriefed {
                    d.debriefed = true;
                    app.overlay = Some(Overlay::Debrief { scroll: 0 });
                    // What was said while it ran (a hold, a page) is over too.
                    app.notice = Some(format!(
                        "the drill is over: {restart_key} twice restarts it, q quits"
                    ));
                    app.dirty = true;
                }
                // The first fault is the page: say so, and how to take it.
                if paging && !d.over(now) {
                    d.paged = true;
                    d.paged_at = Some(now);
                    if d.acknowledged.is_none() {
                        app.notice = Some(format!(
                            "PAGE {}: {} · {} acknowledges",
                            d.clock(now),
                            d.title,
                            app.keymap
                                .short(Action::DrillAcknowledge)
                                .unwrap_or_else(|| "<drill-acknowledge>".into())
                        ));
                        app.dirty = true;
                    }
                }
                // The clock is told of the hold (again after a restart,
                // no longer once mitigated).
                let hold = d.hold();
                if hold != d.hold_sent {
                    d.hold_sent = hold;
                    effects.push(Effect::Drill(super::drill::DrillControl::Hold(hold)));
                }
            }
            effects
        }
        Msg::Resize(_, height) => {
            app.page = usize::from(height.saturating_sub(8)).max(1);
            app.dirty = true;
            vec![]
        }
        // Read from the world a drill's restart replaced.
        Msg::Data(event) if event.data.run.is_some_and(|run| run < app.run) => vec![],
        Msg::Data(event) => {
            let triaged = matches!(
                event.key.kind,
                JobKind::Services | JobKind::Alarms | JobKind::Costs | JobKind::Tasks(_)
            );
            if let Some(env) = app.envs.iter_mut().find(|e| e.info.name == event.key.env)
                && env.apply(*event)
            {
                if triaged {
                    app.triage_inputs += 1;
                }
                clamp_selections(app);
                write::observe(app);
                apply_log_anchor(app);
                app.dirty = true;
                // Until the operator takes over, the cockpit opens on what
                // needs a human when anything does.
                if !app.touched && app.pane == Pane::Services && !app.triage().is_empty() {
                    app.pane = Pane::Triage;
                }
                follow_pending_evidence(app);
                follow_pending_open(app);
                drill_sees_ecs_roll_back(app);
            }
            vec![]
        }
        Msg::Remembered(last) => {
            if let Some(env) = app.envs.iter_mut().find(|e| e.info.name == last.env)
                && env.remember(*last)
            {
                app.triage_inputs += 1;
                clamp_selections(app);
                app.dirty = true;
            }
            vec![]
        }
        // Asked of the world a drill's restart replaced: nothing of it is
        // this run's (its plan, its result, the debrief's credit).
        Msg::Planned { request, .. } | Msg::Executed { request, .. }
            if request.0 < app.first_request =>
        {
            vec![]
        }
        Msg::Planned {
            request,
            env,
            op,
            result,
        } => write::planned(app, request, env, op, result),
        Msg::Executed {
            request,
            env,
            plan,
            result,
            at,
        } => {
            if let Some(d) = app.drill.as_mut() {
                let op = &plan.operation;
                let what = format!("{} of {}/{}", op.verb(), op.cluster(), op.service());
                let ended = match &result {
                    Ok(_) => super::drill::Acted::Done,
                    Err(flightdeck_core::ops::ExecError::NothingToDo(_)) => {
                        super::drill::Acted::NothingToDo
                    }
                    Err(_) => super::drill::Acted::Failed,
                };
                d.acted(app.now, &env, op.service(), what, ended);
            }
            write::executed(app, request, env, *plan, result, at)
        }
        Msg::Diffed { request, result } => {
            write::diffed(app, request, result);
            vec![]
        }
        Msg::ActionPlanned { request, .. } if request.0 < app.first_request => vec![],
        Msg::ActionPlanned {
            request,
            env,
            result,
        } => write::action_planned(app, request, env, result),
        Msg::ActionOutput { run, stream, line } => {
            super::actions::output(app, run, stream, line);
            vec![]
        }
        Msg::TaskEnded { run, outcome } => {
            super::actions::ended(app, run, outcome);
            vec![]
        }
        Msg::ActionEnded {
            run,
            env,
            plan,
            outcome,
        } => {
            if let Some(d) = app.drill.as_mut()
                && plan.writes
            {
                let ended = match &outcome {
                    Ok(0) => super::drill::Acted::Done,
                    _ => super::drill::Acted::Failed,
                };
                d.ran_action(app.now, &env, (&plan.action, &plan.service), ended);
            }
            super::actions::ended(app, run, outcome);
            vec![]
        }
        Msg::Api(report) => {
            if matches!(app.overlay, Some(Overlay::Api { .. })) && app.api.as_ref() != Some(&report)
            {
                app.dirty = true;
            }
            app.api = Some(*report);
            vec![]
        }
        Msg::Notice(text) => {
            app.notice = Some(text);
            app.dirty = true;
            vec![]
        }
        Msg::Presence { env, others } => {
            if let Some(e) = app.envs.iter_mut().find(|e| e.info.name == env)
                && e.presence != others
            {
                e.presence = others;
                app.dirty = true;
            }
            vec![]
        }
        Msg::Forwards(open) => {
            if app.forwards != open {
                app.dirty = true;
            }
            app.forwards = open;
            vec![]
        }
        Msg::Mouse(input) => {
            app.notice = None;
            app.touched = true;
            if let Some(d) = app.drill.as_mut() {
                d.restart_armed = false;
            }
            let mut effects = vec![];
            for intent in mouse::on_mouse(app, input) {
                effects.extend(match intent {
                    mouse::Intent::Key(key) => on_key(app, key),
                    mouse::Intent::Act(action) => on_action(app, action),
                });
            }
            drill_observe(app);
            effects
        }
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return vec![];
            }
            app.dirty = true;
            app.notice = None;
            if holds_early_enter(app, &key) {
                app.pending_open = true;
                app.notice = Some(
                    "Enter: waiting for triage's first verdict to go there (any key cancels)…"
                        .into(),
                );
                return vec![];
            }
            app.touched = true;
            // A key of the operator's own wins over a pending Enter.
            app.pending_evidence = None;
            app.pending_open = false;
            let drill_key = matches!(
                app.keymap.action(&key),
                Some(
                    Action::DrillPause
                        | Action::DrillFaster
                        | Action::DrillSlower
                        | Action::DrillRestart
                        | Action::DrillAcknowledge
                )
            );
            if !drill_key && let Some(d) = app.drill.as_mut() {
                d.restart_armed = false;
            }
            let effects = on_key(app, key);
            if !drill_key {
                drill_observe(app);
            }
            effects
        }
    }
}

/// In a drill: what the operator now looks at, for the debrief's times.
/// Anything of the drill's environment beyond the triage list counts as a
/// look; a service's detail, logs, changes or rollout name the service.
fn drill_observe(app: &mut App) {
    let Some(env) = app.envs.get(app.current).map(|e| e.info.name.clone()) else {
        return;
    };
    let service = app
        .rollout
        .as_ref()
        .filter(|r| r.visible)
        .map(|r| r.watch.service.clone())
        .or_else(|| match app.pane {
            Pane::Services => app.detail.as_ref().map(|r| r.name.clone()),
            Pane::Logs => app.log_source_service().map(|r| r.name.clone()),
            Pane::Changes => app.changes.service.as_ref().map(|r| r.name.clone()),
            _ => None,
        });
    let looked = app.pane != Pane::Triage || service.is_some();
    let now = app.now;
    if let Some(d) = app.drill.as_mut()
        && looked
    {
        d.saw(now, &env, service.as_deref());
    }
}

/// In a drill whose scenario counts it: ECS rolling the cause's service
/// back (a deployment of it FAILED) is noted, and seen at once when the
/// operator is looking at that service.
fn drill_sees_ecs_roll_back(app: &mut App) {
    let Some(d) = app.drill.as_ref() else {
        return;
    };
    if !d.good.ecs_rollback_counts || d.ecs_rolled_back.is_some() {
        return;
    }
    let rolling_back = app
        .envs
        .iter()
        .find(|e| e.info.name == d.environment)
        .and_then(|e| e.services().iter().find(|s| s.name == d.good.service))
        .is_some_and(|s| {
            s.deployments
                .iter()
                .any(|dep| dep.rollout_state == flightdeck_model::RolloutState::Failed)
        });
    if rolling_back && let Some(d) = app.drill.as_mut() {
        d.ecs_rolling_back(app.now);
        drill_observe(app);
    }
}

/// `o`: the services by the next column; `O`: the other way. The
/// selected service stays selected.
fn sort_services(app: &mut App, next: bool) {
    if app.pane != Pane::Services || app.detail.is_some() {
        app.notice = Some(format!(
            "{} sorts the services pane's list",
            app.key(Action::Sort)
        ));
        return;
    }
    let selected = app.selected_service().map(|s| s.reference());
    let (sort, reversed) = app.service_sort;
    app.service_sort = if next {
        (sort.next(), false)
    } else {
        (sort, !reversed)
    };
    if let Some(selected) = selected
        && let Some(i) = app
            .service_rows()
            .iter()
            .position(|s| s.reference() == selected)
    {
        app.selected[Pane::Services.index()] = i;
    }
    let (sort, reversed) = app.service_sort;
    app.notice = Some(format!(
        "services by {}{}",
        sort.label(),
        if reversed { ", the other way" } else { "" }
    ));
}

/// The drill's keys: pause, faster, slower (nothing outside a drill).
fn drill_key(app: &mut App, action: Action) -> Vec<Effect> {
    use super::drill::DrillControl;
    use flightdeck_model::clock::DRILL_SPEEDS;
    let Some(d) = app.drill.as_mut() else {
        app.notice = Some("no drill is running (flightdeck demo --scenario NAME)".into());
        return vec![];
    };
    match action {
        Action::DrillPause => {
            d.paused = !d.paused;
            vec![Effect::Drill(DrillControl::Pause(d.paused))]
        }
        Action::DrillRestart if !d.restart_armed => {
            d.restart_armed = true;
            app.notice = Some(format!(
                "{} again restarts the drill from 0:00 (same seed)",
                app.key(Action::DrillRestart)
            ));
            vec![]
        }
        Action::DrillRestart => {
            let drill = d.restarted();
            app.restart_drill(drill);
            vec![Effect::Drill(DrillControl::Restart)]
        }
        Action::DrillAcknowledge => {
            let now = app.now;
            app.notice = Some(if d.acknowledge(now) {
                format!("acknowledged at {}: the incident is yours", d.clock(now))
            } else if d.acknowledged.is_some() {
                "already acknowledged".into()
            } else if !d.paged {
                "nothing to acknowledge yet: no page has gone off".into()
            } else {
                "the drill is over".into()
            });
            vec![]
        }
        _ => {
            let at = DRILL_SPEEDS.iter().position(|s| *s == d.speed).unwrap_or(0);
            let next = if action == Action::DrillFaster {
                (at + 1).min(DRILL_SPEEDS.len() - 1)
            } else {
                at.saturating_sub(1)
            };
            d.speed = DRILL_SPEEDS[next];
            let now = app.now;
            if let Some(hold) = d
                .hold()
                .filter(|h| d.running_speed(now) < d.speed && now < h.until)
            {
                app.notice = Some(format!(
                    "{}x from {} or your fix: {}x while the fault unfolds",
                    d.speed,
                    d.clock(hold.until),
                    hold.max
                ));
            }
            vec![Effect::Drill(DrillControl::Speed(d.speed))]
        }
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// A key pressed (or asked for by the mouse, see [`mouse::Intent`]).
fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if is_ctrl_c(&key) {
        app.quit = true;
        return vec![Effect::Quit];
    }
    if app.dialog.is_some() {
        return write::on_key(app, key);
    }
    if let Some(target) = app.input {
        on_input_key(app, target, key);
        return vec![];
    }
    match app.overlay.clone() {
        Some(Overlay::Debrief { scroll }) => {
            app.overlay =
                write::scrolled(app, scroll, &key, true).map(|scroll| Overlay::Debrief { scroll });
            return vec![];
        }
        Some(Overlay::Help { scroll }) => {
            app.overlay =
                write::scrolled(app, scroll, &key, true).map(|scroll| Overlay::Help { scroll });
            return vec![];
        }
        Some(Overlay::Api { scroll }) => {
            app.overlay =
                write::scrolled(app, scroll, &key, true).map(|scroll| Overlay::Api { scroll });
            return vec![];
        }
        Some(Overlay::Palette { input, selected }) => {
            return on_palette_key(app, input, selected, key);
        }
        Some(Overlay::EnvSwitcher { selected, filter }) => {
            return on_switcher_key(app, selected, filter, key);
        }
        Some(Overlay::Actions {
            run,
            scroll,
            cancel_armed,
        }) => {
            if cancel_armed
                && key.code == KeyCode::Char('x')
                && let Some((env, op)) = super::actions::task_stop(app, run)
            {
                return write::plan_write(app, env, op);
            }
            return super::actions::on_output_key(app, run, scroll, cancel_armed, key);
        }
        None => {}
    }
    // The team's actions have keys no cockpit binding has (the config
    // refuses a clash).
    match super::actions::keyed(app, &key) {
        Some(super::actions::Keyed::Run(name, target)) => {
            return write::start_action(app, &name, target);
        }
        Some(super::actions::Keyed::NoTarget(said)) => {
            app.notice = Some(said);
            return vec![];
        }
        None => {}
    }
    match app.keymap.action(&key) {
        Some(action) => on_action(app, action),
        None => vec![],
    }
}

/// A key in the environment switcher. `/` starts a filter: what is typed
/// then narrows the list (name, region, account) and Esc clears it; the
/// arrows, PgUp/PgDn and Enter work in both.
fn on_switcher_key(
    app: &mut App,
    selected: usize,
    mut filter: Option<String>,
    key: KeyEvent,
) -> Vec<Effect> {
    use crossterm::event::KeyModifiers;
    let typing = filter.is_some();
    let typed = match key.code {
        KeyCode::Char(c)
            if typing
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    };
    if let (Some(c), Some(f)) = (typed, filter.as_mut()) {
        f.push(c);
    } else if typing && key.code == KeyCode::Backspace {
        if let Some(f) = filter.as_mut() {
            f.pop();
        }
    } else if typing && key.code == KeyCode::Esc {
        filter = None;
    } else if !typing && key.code == KeyCode::Char('/') {
        filter = Some(String::new());
    } else {
        let rows = app.switcher_rows(filter.as_deref());
        let at = rows.iter().position(|&i| i == selected).unwrap_or(0);
        let last = rows.len().saturating_sub(1);
        let arrow = match key.code {
            KeyCode::Down => Some(Action::Down),
            KeyCode::Up => Some(Action::Up),
            KeyCode::Enter => Some(Action::Open),
            _ if typing => None,
            _ => app.keymap.action(&key),
        };
        let moved = match arrow {
            Some(Action::Down) => (at + 1).min(last),
            Some(Action::Up) => at.saturating_sub(1),
            Some(Action::Top) => 0,
            Some(Action::Bottom) => last,
            Some(Action::PageDown) => (at + app.page).min(last),
            Some(Action::PageUp) => at.saturating_sub(app.page),
            Some(Action::Open) => {
                if let Some(&env) = rows.get(at) {
                    app.switch_env(env);
                    app.overlay = None;
                }
                return vec![];
            }
            Some(Action::Quit) => {
                app.quit = true;
                return vec![Effect::Quit];
            }
            _ if !typing && (key.code == KeyCode::Esc || key.code == KeyCode::Char('e')) => {
                app.overlay = None;
                return vec![];
            }
            _ => at,
        };
        let selected = rows.get(moved).copied().unwrap_or(selected);
        app.overlay = Some(Overlay::EnvSwitcher { selected, filter });
        return vec![];
    }
    // The filter changed: the selection stays if it still matches, else
    // the first match.
    let rows = app.switcher_rows(filter.as_deref());
    let selected = if rows.contains(&selected) {
        selected
    } else {
        rows.first().copied().unwrap_or(selected)
    };
    app.overlay = Some(Overlay::EnvSwitcher { selected, filter });
    vec![]
}

fn on_input_key(app: &mut App, target: InputTarget, key: KeyEvent) {
    let buffer = match target {
        InputTarget::Filter(p) => &mut app.filters[p.index()],
        InputTarget::LogSearch => &mut app.logs.search,
    };
    match key.code {
        KeyCode::Enter => app.input = None,
        KeyCode::Esc => {
            buffer.clear();
            app.input = None;
        }
        KeyCode::Backspace => {
            buffer.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() => {
            buffer.push(c)
        }
        _ => {}
    }
    match target {
        InputTarget::Filter(p) => app.selected[p.index()] = 0,
        InputTarget::LogSearch => {
            app.logs.current_match = None;
            if key.code == KeyCode::Enter {
                jump_to_match(app, false);
            }
        }
    }
}

fn on_palette_key(
    app: &mut App,
    mut input: String,
    mut selected: usize,
    key: KeyEvent,
) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => {
            app.overlay = None;
            return vec![];
        }
        KeyCode::Enter => {
            app.overlay = None;
            if let Some(item) = app.palette_items(&input).get(selected).cloned() {
                return jump(app, item.jump);
            }
            return vec![];
        }
        KeyCode::Down | KeyCode::Tab => selected += 1,
        KeyCode::Up | KeyCode::BackTab => selected = selected.saturating_sub(1),
        KeyCode::Backspace => {
            input.pop();
            selected = 0;
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            input.push(c);
            selected = 0;
        }
        _ => {}
    }
    let count = app.palette_items(&input).len();
    app.overlay = Some(Overlay::Palette {
        input,
        selected: selected.min(count.saturating_sub(1)),
    });
    vec![]
}

fn jump(app: &mut App, target: Jump) -> Vec<Effect> {
    match target {
        Jump::Action(name, target) => return write::start_action(app, &name, *target),
        Jump::Runs => super::actions::show_runs(app),
        Jump::Pane(p) => app.pane = p,
        Jump::Env(i) => app.switch_env(i),
        Jump::Cluster(i, cluster) => {
            app.switch_env(i);
            app.pane = Pane::Services;
            app.filters[Pane::Services.index()] = cluster;
        }
        Jump::Service(i, cluster, service) => {
            app.switch_env(i);
            app.pane = Pane::Services;
            app.open_service(cluster, service);
        }
    }
    vec![]
}

fn row_count(app: &App, pane: Pane) -> usize {
    match pane {
        Pane::Triage => app.triage().len(),
        Pane::Services => app.service_rows().len(),
        Pane::Scaling => app.target_rows().len(),
        Pane::Alarms => app.alarm_rows().len(),
        Pane::Logs => app.log_counts().0,
        Pane::Costs => app
            .env()
            .costs
            .data
            .as_ref()
            .map_or(0, |c| c.by_service.len()),
        Pane::Changes => app.change_rows().len(),
    }
}

fn clamp_selections(app: &mut App) {
    for p in [
        Pane::Triage,
        Pane::Services,
        Pane::Scaling,
        Pane::Alarms,
        Pane::Costs,
        Pane::Changes,
    ] {
        let n = row_count(app, p);
        let sel = &mut app.selected[p.index()];
        *sel = (*sel).min(n.saturating_sub(1));
    }
}

/// Moves the selection (or the scroll of a detail or the logs) by `delta`
/// rows; `None` means to the end in that direction.
fn move_by(app: &mut App, delta: Option<isize>, down: bool) {
    if app.pane == Pane::Services && app.detail.is_some() {
        // As far as the last frame could show (its last row at the bottom).
        let max = app.hits.scroll_limit().unwrap_or(u16::MAX / 2);
        app.detail_scroll = match delta {
            None if down => max,
            None => 0,
            Some(d) => {
                (i64::from(app.detail_scroll.min(max)) + d as i64).clamp(0, i64::from(max)) as u16
            }
        };
        return;
    }
    if app.pane == Pane::Logs {
        let total = app.log_counts().0;
        // Scrolling is counted from the newest line; moving up leaves follow.
        let scroll = match delta {
            None if down => 0,
            None => total.saturating_sub(1),
            Some(d) => {
                (app.logs.scroll as isize - d).clamp(0, total.saturating_sub(1) as isize) as usize
            }
        };
        app.logs.scroll = scroll;
        app.logs.follow = scroll == 0 && (app.logs.follow || delta.is_none());
        return;
    }
    let n = row_count(app, app.pane);
    let sel = &mut app.selected[app.pane.index()];
    *sel = match delta {
        None if down => n.saturating_sub(1),
        None => 0,
        Some(d) => (*sel as isize + d).clamp(0, n.saturating_sub(1) as isize) as usize,
    };
}

fn jump_to_match(app: &mut App, backwards: bool) {
    let needle = app.logs.search.to_lowercase();
    if needle.is_empty() {
        return;
    }
    let lines = app.log_lines();
    let total = lines.len();
    let matches: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, e)| flightdeck_model::text::contains_lowercase(&e.message, &needle))
        .map(|(i, _)| i)
        .collect();
    let from = app.logs.current_match.unwrap_or(total);
    let next = if backwards {
        matches.iter().rev().find(|&&i| i < from).or(matches.last())
    } else if app.logs.current_match.is_none() {
        matches.last()
    } else {
        matches.iter().find(|&&i| i > from).or(matches.first())
    };
    if let Some(&i) = next {
        app.logs.current_match = Some(i);
        app.logs.follow = false;
        app.logs.scroll = total - 1 - i;
    }
}

/// The next or previous task of the open service, no further than the ends.
fn pick_task(app: &mut App, forward: bool) {
    let tasks = app.detail_tasks();
    let Some(current) = app
        .selected_task()
        .and_then(|t| tasks.iter().position(|x| x.id == t.id))
    else {
        return;
    };
    let next = if forward {
        (current + 1).min(tasks.len() - 1)
    } else {
        current.saturating_sub(1)
    };
    app.detail_task = tasks.get(next).map(|t| t.id.clone());
}

fn cycle_log_source(app: &mut App, forward: bool) {
    let services: Vec<ServiceRef> = app.service_rows().iter().map(|s| s.reference()).collect();
    if services.is_empty() {
        return;
    }
    let current = app
        .log_source_service()
        .and_then(|src| services.iter().position(|s| *s == src))
        .unwrap_or(0);
    let n = services.len();
    let next = if forward {
        (current + 1) % n
    } else {
        (current + n - 1) % n
    };
    app.logs.source = Some(services[next].clone());
    app.logs.scroll = 0;
    app.logs.follow = true;
    app.logs.current_match = None;
}

fn on_action(app: &mut App, action: Action) -> Vec<Effect> {
    // Moving to a pane leaves the rollout view (W brings it back).
    if matches!(
        action,
        Action::GoPane(_) | Action::NextPane | Action::PrevPane
    ) && let Some(r) = app.rollout.as_mut()
    {
        r.visible = false;
    }
    if scroll_rollout(app, action) {
        return vec![];
    }
    if let Some(request) = write_request(action) {
        return write::start(app, request);
    }
    match action {
        Action::Quit => {
            // A one-off task goes on in ECS after the cockpit: said once,
            // with how to stop it, before the second quit key quits.
            let tasks: Vec<String> = app
                .runs
                .iter()
                .filter(|r| r.ended.is_none())
                .filter_map(|r| match &r.of {
                    super::actions::RunOf::Task { task, .. } => Some(task.clone()),
                    super::actions::RunOf::Action(_) => None,
                })
                .collect();
            if !tasks.is_empty() && !app.quit_warned {
                app.quit_warned = true;
                app.notice = Some(format!(
                    "quit again to quit; {} one-off task{} run{} on in ECS (: actions: how to stop)",
                    tasks.len(),
                    if tasks.len() == 1 { "" } else { "s" },
                    if tasks.len() == 1 { "s" } else { "" },
                ));
                return vec![];
            }
            app.quit = true;
            vec![Effect::Quit]
        }
        Action::DrillPause
        | Action::DrillFaster
        | Action::DrillSlower
        | Action::DrillRestart
        | Action::DrillAcknowledge => drill_key(app, action),
        Action::Copy => super::copy::copy_selection(app),
        Action::Runbook => super::copy::runbook(app),
        Action::Revisions => write::revisions(app),
        _ => {
            if !on_pane_action(app, action) {
                on_view_action(app, action);
            }
            vec![]
        }
    }
}

/// The rollout view on screen scrolls with the keys that move a list;
/// true when `action` scrolled it.
fn scroll_rollout(app: &mut App, action: Action) -> bool {
    use write::Scroll;
    let Some(scroll) = app.rollout.as_ref().filter(|r| r.visible).map(|r| r.scroll) else {
        return false;
    };
    let step = match action {
        Action::Down => Scroll::Down,
        Action::Up => Scroll::Up,
        Action::PageDown => Scroll::PageDown,
        Action::PageUp => Scroll::PageUp,
        Action::Top => Scroll::Top,
        Action::Bottom => Scroll::Bottom,
        _ => return false,
    };
    let next = write::scroll_by(app, scroll, step);
    if let Some(r) = app.rollout.as_mut() {
        r.scroll = next;
    }
    true
}

/// The write an action starts, if it starts one.
fn write_request(action: Action) -> Option<Request> {
    Some(match action {
        Action::Deploy => Request::Deploy,
        Action::ForceDeploy => Request::ForceDeploy,
        Action::Rollback => Request::Rollback,
        Action::Scale => Request::Scale,
        Action::Strategy => Request::Strategy,
        Action::Continue => Request::Continue,
        Action::StopTask => Request::StopTask,
        Action::RunTask => Request::RunTask,
        Action::Exec => Request::Exec,
        Action::PortForward => Request::PortForward,
        _ => return None,
    })
}

/// A key that means something in the pane on screen only: the logs' keys,
/// a service's tasks, the changes' kind and window. False when `action`
/// is none of these there.
fn on_pane_action(app: &mut App, action: Action) -> bool {
    match (app.pane, action) {
        (Pane::Logs, _) => return on_logs_action(app, action),
        (Pane::Services, Action::Previous | Action::Next) if app.detail.is_some() => {
            pick_task(app, action == Action::Next)
        }
        (Pane::Changes, Action::NextKind) => changes::next_kind(app),
        (Pane::Changes, Action::WiderWindow) => changes::widen(app, true),
        (Pane::Changes, Action::NarrowerWindow) => changes::widen(app, false),
        _ => return false,
    }
    true
}

/// The logs pane's keys: follow, wrap, timestamps, search and its matches,
/// and the service whose logs are shown. False for any other key.
fn on_logs_action(app: &mut App, action: Action) -> bool {
    match action {
        Action::ToggleFollow => {
            app.logs.follow = !app.logs.follow;
            if app.logs.follow {
                app.logs.scroll = 0;
                app.logs.current_match = None;
            }
        }
        Action::ToggleWrap => app.logs.wrap = !app.logs.wrap,
        Action::ToggleTimestamps => app.logs.timestamps = !app.logs.timestamps,
        Action::Search => app.input = Some(InputTarget::LogSearch),
        Action::NextMatch => jump_to_match(app, false),
        Action::PrevMatch => jump_to_match(app, true),
        Action::Previous => cycle_log_source(app, false),
        Action::Next => cycle_log_source(app, true),
        _ => return false,
    }
    true
}

/// The keys that change what is shown wherever the cockpit is: panes,
/// moving in a list, opening and going back, overlays, refresh, sorting
/// and the rollout view.
fn on_view_action(app: &mut App, action: Action) {
    let page = app.page as isize;
    if matches!(
        action,
        Action::GoPane(_) | Action::NextPane | Action::PrevPane
    ) {
        // A pane chosen by its key: Esc in Changes goes nowhere else.
        app.changes.came_from = None;
    }
    match action {
        Action::GoPane(i) => app.pane = Pane::ALL[i.min(Pane::ALL.len() - 1)],
        Action::NextPane => app.pane = Pane::ALL[(app.pane.index() + 1) % Pane::ALL.len()],
        Action::PrevPane => {
            app.pane = Pane::ALL[(app.pane.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
        }
        Action::Up => move_by(app, Some(-1), false),
        Action::Down => move_by(app, Some(1), true),
        Action::PageUp => move_by(app, Some(-page), false),
        Action::PageDown => move_by(app, Some(page), true),
        Action::Top => move_by(app, None, false),
        Action::Bottom => move_by(app, None, true),
        Action::Open => open(app),
        Action::Back => back(app),
        Action::Filter => app.input = Some(InputTarget::Filter(app.pane)),
        Action::Help => app.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::ApiOverlay => app.overlay = Some(Overlay::Api { scroll: 0 }),
        Action::Palette => {
            app.overlay = Some(Overlay::Palette {
                input: String::new(),
                selected: 0,
            })
        }
        Action::SwitchEnv => {
            app.overlay = Some(Overlay::EnvSwitcher {
                selected: app.current,
                filter: None,
            })
        }
        Action::Refresh => app.refresh += 1,
        Action::Sort | Action::SortReverse => sort_services(app, action == Action::Sort),
        Action::RolloutView => write::toggle_watch(app),
        Action::Changes => changes::open(app),
        _ => {}
    }
}

/// Enter on a triage finding: where its evidence is. An alarm, a crash
/// loop or missing capacity: the service's logs, errors only; a rollout:
/// its watch, else the service's deployments; an environment that cannot be
/// read or is stale: its services pane, where the error stands; a cost
/// spike: the costs.
fn go_to_evidence(app: &mut App, finding: Finding) {
    if let Some(i) = app
        .envs
        .iter()
        .position(|e| e.info.name == finding.environment)
    {
        app.switch_env(i);
    }
    match (finding.kind, finding.service) {
        (Kind::Alarm | Kind::CrashLoop | Kind::Capacity, Some(service)) => {
            app.pane = Pane::Logs;
            app.logs.source = Some(service);
            app.logs.scroll = 0;
            app.filters[Pane::Logs.index()] = "error".into();
            // Paused at the first failure: what came right after it is
            // the evidence (F follows again).
            app.logs.follow = false;
            app.logs.anchor = Some(finding.since);
            apply_log_anchor(app);
        }
        (Kind::Rollout, Some(service)) => {
            let watched = app.rollout.as_mut().filter(|r| {
                r.watch.environment == finding.environment
                    && r.watch.cluster == service.cluster
                    && r.watch.service == service.name
            });
            match watched {
                Some(r) => r.visible = true,
                None => {
                    app.pane = Pane::Services;
                    app.open_service(service.cluster, service.name);
                }
            }
        }
        (Kind::Alarm, None) => {
            app.pane = Pane::Alarms;
            app.filters[Pane::Alarms.index()].clear();
            if let Some(i) = app
                .alarm_rows()
                .iter()
                .position(|a| a.name == finding.subject)
            {
                app.selected[Pane::Alarms.index()] = i;
            }
        }
        (Kind::CostAnomaly, _) => app.pane = Pane::Costs,
        _ => {
            app.pane = Pane::Services;
            app.detail = None;
        }
    }
}

/// Scrolls the logs so that the first line at or after the anchor is near
/// the top of the view, once the lines are there.
fn apply_log_anchor(app: &mut App) {
    let Some(at) = app.logs.anchor else {
        return;
    };
    let held = app
        .log_source()
        .and_then(|s| app.env().logs.get(&s))
        .is_some_and(|b| !b.events.is_empty());
    if !held {
        return;
    }
    if app.log_lines().is_empty() && !app.filter(Pane::Logs).is_empty() {
        // Lines, but none with the evidence's word: every line around the
        // first failure is the evidence then, and the footer says so.
        app.notice = Some(format!(
            "no lines with \"{}\" since {}: every line is shown",
            app.filter(Pane::Logs),
            at.format("%H:%M:%SZ")
        ));
        app.filters[Pane::Logs.index()].clear();
    }
    let lines = app.log_lines();
    // Before the oldest line held: the oldest is the closest there is.
    let first = lines
        .iter()
        .position(|l| l.timestamp >= at)
        .unwrap_or(lines.len() - 1);
    app.logs.scroll = lines.len().saturating_sub(first + app.page);
    app.logs.anchor = None;
}

/// Enter on an alarm finding whose service is not known because its
/// environment's services are not read yet (the first second): it waits
/// for them, says so, and goes where Enter would go a second later.
/// Enter in the first second on the services pane, before triage's first
/// full round (the pane the cockpit opens on not chosen yet), is held (see
/// [`follow_pending_open`]): the row under it is about to move away. On
/// triage a finding goes where it says (see `open`).
fn holds_early_enter(app: &App, key: &KeyEvent) -> bool {
    !app.touched
        && app.pane == Pane::Services
        && app.overlay.is_none()
        && app.dialog.is_none()
        && app.input.is_none()
        && app.keymap.action(key) == Some(Action::Open)
        && !app.opening_decided()
}

/// A held Enter goes where it goes now that the cockpit has chosen its
/// pane: the top finding's evidence, or the selected service.
fn follow_pending_open(app: &mut App) {
    if !app.pending_open || !app.opening_decided() {
        return;
    }
    app.pending_open = false;
    app.notice = None;
    app.touched = true;
    open(app);
}

fn follow_pending_evidence(app: &mut App) {
    let Some((env, alarm)) = app.pending_evidence.clone() else {
        return;
    };
    let Some(data) = app.envs.iter().find(|e| e.info.name == env) else {
        app.pending_evidence = None;
        return;
    };
    if data.services.unanswered() {
        return;
    }
    app.pending_evidence = None;
    let finding = app
        .triage()
        .into_iter()
        .find(|f| f.environment == env && f.kind == Kind::Alarm && f.subject == alarm);
    if let Some(finding) = finding {
        app.notice = None;
        go_to_evidence(app, finding);
    }
}

fn open(app: &mut App) {
    match app.pane {
        Pane::Triage => {
            if let Some(finding) = app.selected_finding() {
                let services_unread = app
                    .envs
                    .iter()
                    .find(|e| e.info.name == finding.environment)
                    .is_some_and(|e| e.services.unanswered());
                if finding.kind == Kind::Alarm && finding.service.is_none() && services_unread {
                    app.notice = Some(format!(
                        "reading {}'s services to find the service of {}…",
                        finding.environment, finding.subject
                    ));
                    app.pending_evidence = Some((finding.environment, finding.subject));
                    return;
                }
                go_to_evidence(app, finding);
            }
        }
        Pane::Services => {
            if let Some(svc) = app.detail_service() {
                // Enter in a service's detail opens its logs.
                app.logs.source = Some(svc.reference());
                app.logs.follow = true;
                app.logs.scroll = 0;
                app.pane = Pane::Logs;
            } else if let Some(svc) = app.selected_service() {
                let (c, s) = (svc.cluster.clone(), svc.name.clone());
                app.open_service(c, s);
            }
        }
        Pane::Scaling => {
            if let Some(t) = app.selected_target() {
                let (c, s) = (t.cluster.clone(), t.service.clone());
                app.pane = Pane::Services;
                app.open_service(c, s);
            }
        }
        Pane::Alarms => {
            let target = app
                .selected_alarm()
                .and_then(|a| a.watched_service(app.env().services()))
                .map(|s| (s.cluster.clone(), s.name.clone()));
            if let Some((c, s)) = target {
                app.pane = Pane::Services;
                app.open_service(c, s);
            }
        }
        Pane::Changes => changes::go_to_detail(app),
        Pane::Logs | Pane::Costs => {}
    }
}

fn back(app: &mut App) {
    if let Some(r) = app.rollout.as_mut().filter(|r| r.visible) {
        r.visible = false;
    } else if app.pane == Pane::Services && app.detail.is_some() {
        app.detail = None;
        app.detail_scroll = 0;
    } else if app.pane == Pane::Logs && !app.logs.search.is_empty() {
        app.logs.search.clear();
        app.logs.current_match = None;
    } else if !app.filters[app.pane.index()].is_empty() {
        app.filters[app.pane.index()].clear();
    } else if app.pane == Pane::Changes
        && let Some(pane) = app.changes.came_from.take()
    {
        // Back where `c` was pressed (a service's detail stays open).
        app.pane = pane;
    }
}
