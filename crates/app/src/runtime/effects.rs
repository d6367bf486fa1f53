//! The effects `update` asks for, carried out: writes planned and executed
//! off the UI thread, the drill's clock, the clipboard, port forwards.

use super::drill::Restart;
use crate::team::live::Live;
use flightdeck_core::ops::{self, AuditLog, ExecError, PlanError};
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::{Clock, DrillClock};
use flightdeck_tui::app::drill::DrillControl;
use flightdeck_tui::app::{App, Effect, Msg, update};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Carries out the write effects of `update`: plans and confirmed plans,
/// off the UI thread, answering with a message.
#[derive(Clone)]
pub(super) struct Writes {
    pub(super) audit: AuditLog,
    pub(super) providers: Vec<Arc<Provider>>,
    pub(super) clock: Arc<dyn Clock>,
    /// The team's lease table, when the config has one.
    pub(super) team: Option<Live>,
    /// Where the change timeline reads the writes made with flightdeck.
    pub(super) records: flightdeck_core::timeline::Records,
    /// The team's runbook actions run from the cockpit.
    pub(super) actions: super::actions::Actions,
}

impl Writes {
    /// Starts what `effect` asks for; the answer arrives on `answers`.
    pub(super) fn spawn(&self, effect: Effect, answers: mpsc::UnboundedSender<Msg>) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Some(msg) = carry_out(
                effect,
                &this.providers,
                &this.audit,
                this.clock.as_ref(),
                this.team.as_ref(),
            )
            .await
            {
                let _ = answers.send(msg);
            }
        });
    }
}

/// Does what a write effect of `update` asks for (plan, or execute a
/// confirmed plan, as the caller identity) and returns the answer for
/// `update`; `None` for effects that are not writes. The runtime and the
/// test harness both carry effects out through here. With the team's
/// lease table, a plan shows another operator's lease and executing takes
/// the lease first (kept while the rollout it starts is watched).
pub async fn carry_out(
    effect: Effect,
    providers: &[Arc<Provider>],
    audit: &AuditLog,
    clock: &dyn Clock,
    team: Option<&Live>,
) -> Option<Msg> {
    let provider = |env: &str| providers.iter().find(|p| p.environment().name == env);
    match effect {
        Effect::Quit
        | Effect::Drill(_)
        | Effect::Copy(_)
        | Effect::Open(_)
        | Effect::Attach(_)
        | Effect::Forward { .. }
        | Effect::CloseForwards
        | Effect::PlanAction { .. }
        | Effect::RunAction { .. }
        | Effect::FollowTask { .. }
        | Effect::CancelAction(_) => None,
        Effect::Diff {
            request,
            env,
            service,
        } => {
            let result = match provider(&env) {
                None => Err(format!("no environment {env}")),
                Some(p) => read_revisions(p, &service).await,
            };
            Some(Msg::Diffed { request, result })
        }
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
                    Ok(id) => {
                        let planned =
                            ops::plan(p.reads(), &id.account, op.clone(), Some(audit)).await;
                        match (planned, team) {
                            (Ok(mut plan), Some(t)) => {
                                ops::leased::mark(&t.team, &mut plan, clock.now()).await;
                                Ok(plan)
                            }
                            (planned, _) => planned,
                        }
                    }
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
                    Ok(id) => execute_leased(p, &plan, audit, &id.arn, clock, team).await,
                    Err(e) => Err(ExecError::Plan(e.into())),
                },
            };
            Some(Msg::Executed {
                request,
                env,
                plan,
                result,
                at: clock.now(),
            })
        }
    }
}

/// The service's running revision and the one before, side by side.
async fn read_revisions(
    p: &Provider,
    service: &flightdeck_model::ServiceRef,
) -> Result<flightdeck_core::diff::Revisions, String> {
    let described = p
        .reads()
        .services(&service.cluster)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|s| s.name == service.name)
        .ok_or_else(|| format!("no service {} in {}", service.name, service.cluster))?;
    flightdeck_core::ops::compare::revisions(p.reads(), &described, None, None)
        .await
        .map_err(|e| e.to_string())
}

/// Executes `plan`, holding the service's lease when the team has a table:
/// refused while another operator holds it (unless the plan carries a
/// reason to take it over); kept while the rollout it started is watched,
/// given back at once otherwise.
async fn execute_leased(
    p: &Provider,
    plan: &ops::Plan,
    audit: &AuditLog,
    who: &str,
    clock: &dyn Clock,
    team: Option<&Live>,
) -> Result<ops::Executed, ExecError> {
    let Some(team) = team else {
        return ops::execute(p, plan, audit, who, clock.now()).await;
    };
    let mut plan = plan.clone();
    let lease = ops::leased::take(&team.team, &mut plan, who, clock.now()).await?;
    let result = ops::execute(p, &plan, audit, who, clock.now()).await;
    if let Some(lease) = lease {
        match &result {
            Ok(done) if done.deployment_id.is_some() && plan.starts_deployment => team.hold(lease),
            _ => {
                if let Err(e) = team.team.release(&lease, clock.now()).await {
                    tracing::warn!("the lease was not released ({e}); it expires by itself");
                }
            }
        }
    }
    result
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

/// Opens `url` in a browser where this machine has one: `$BROWSER`, else
/// `open` on macOS, else `xdg-open` under a display; over SSH without a
/// display nothing is opened (the link was copied). What opened it, if
/// anything did.
fn open_link(url: &str) -> Option<String> {
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    let program = match browser {
        Some(b) => b,
        None if cfg!(target_os = "macos") => "open".into(),
        None if display => "xdg-open".into(),
        None => return None,
    };
    use std::os::unix::process::CommandExt;
    let spawned = std::process::Command::new(&program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        // Reaped on a thread of its own: the browser may outlive the cockpit.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
            Some(program)
        }
        Err(e) => {
            tracing::warn!("cannot open the runbook with {program}: {e}");
            None
        }
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

/// What needs the terminal itself, handed over by the loop.
pub(super) enum HandOver {
    /// An ECS Exec session.
    Exec(Box<flightdeck_core::provider::ExecSession>),
    /// A runbook action with `tty = true`: run `run` of `plan` in `env`.
    Action {
        run: u64,
        env: String,
        plan: Box<flightdeck_core::action::ActionPlan>,
    },
}

/// One message through `update`, and what it asks done: a drill's clock
/// changed here, the clipboard written, port forwards opened or closed
/// here, writes and runbook actions carried out off the UI thread. What
/// needs the terminal (an ECS Exec session, a `tty` action) is returned.
pub(super) async fn handle(
    app: &mut App,
    msg: Msg,
    drill_clock: &Option<Arc<DrillClock>>,
    restart: Option<&Restart>,
    writes: &Writes,
    answers: &mpsc::UnboundedSender<Msg>,
    forwards: &mut crate::forwards::Forwards,
) -> Option<HandOver> {
    let mut attach = None;
    let provider = |env: &str| {
        writes
            .providers
            .iter()
            .find(|p| p.environment().name == env)
            .cloned()
    };
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
            Effect::Open(url) => {
                if let Some(how) = open_link(&url) {
                    app.notice = Some(format!(
                        "{} · opened with {how}",
                        app.notice.take().unwrap_or_default()
                    ));
                }
            }
            Effect::Attach(session) => attach = Some(HandOver::Exec(session)),
            Effect::PlanAction {
                request,
                env,
                action,
                target,
            } => writes.actions.plan(
                provider(&env),
                request,
                env,
                action,
                target,
                answers.clone(),
            ),
            Effect::RunAction {
                run,
                env,
                plan,
                tty: true,
            } => attach = Some(HandOver::Action { run, env, plan }),
            Effect::RunAction { run, env, plan, .. } => {
                writes
                    .actions
                    .run(provider(&env), run, *plan, answers.clone())
            }
            Effect::CancelAction(run) => writes.actions.cancel(run),
            Effect::FollowTask {
                run,
                env,
                task,
                started,
            } => writes
                .actions
                .follow_task(provider(&env), run, *task, *started, answers.clone()),
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
