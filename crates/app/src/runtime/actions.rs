//! The team's runbook actions carried out for the cockpit: planned with the
//! caller's account and the config's profile, run in the background (each
//! line of output to the app) or with the terminal handed over (`tty`),
//! cancelled on request, audited before and after when they write. In the
//! simulated production nothing is run: the plan is said, the audit kept.

use crate::actions::{Interrupt, Io, Stream};
use crate::options::Options;
use flightdeck_core::action::{ActionPlan, Scope, Values};
use flightdeck_core::ops::AuditLog;
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::Clock;
use flightdeck_tui::app::Msg;
use flightdeck_tui::app::actions::{Stream as Shown, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The cockpit's runs of actions, and what they need.
#[derive(Clone)]
pub(super) struct Actions {
    options: Arc<Options>,
    context: Context,
    /// How to interrupt each run still going.
    running: Arc<Mutex<HashMap<u64, oneshot::Sender<()>>>>,
}

/// What running an action needs besides its plan.
#[derive(Clone)]
struct Context {
    audit: AuditLog,
    clock: Arc<dyn Clock>,
    /// The simulated production: nothing is run.
    demo: bool,
}

impl Actions {
    pub(super) fn new(
        options: Arc<Options>,
        audit: AuditLog,
        clock: Arc<dyn Clock>,
        demo: bool,
    ) -> Self {
        Actions {
            options,
            context: Context { audit, clock, demo },
            running: Arc::default(),
        }
    }

    /// Plans action `name` on `target` in `env`, off the UI thread.
    pub(super) fn plan(
        &self,
        provider: Option<Arc<Provider>>,
        request: flightdeck_tui::app::write::RequestId,
        env: String,
        name: String,
        target: Target,
        answers: mpsc::UnboundedSender<Msg>,
    ) {
        let options = self.options.clone();
        tokio::spawn(async move {
            let result = plan(&options, provider.as_deref(), &name, &target).await;
            let _ = answers.send(Msg::ActionPlanned {
                request,
                env,
                result,
            });
        });
    }

    /// Runs `plan` in the background: each line of its output, then its
    /// end, to `answers`.
    pub(super) fn run(
        &self,
        provider: Option<Arc<Provider>>,
        id: u64,
        plan: ActionPlan,
        answers: mpsc::UnboundedSender<Msg>,
    ) {
        let (cancel, cancelled) = oneshot::channel();
        {
            let mut running = self.running();
            running.retain(|_, c| !c.is_closed());
            running.insert(id, cancel);
        }
        let context = self.context.clone();
        tokio::spawn(async move {
            let tx = answers.clone();
            let line = move |stream: Stream, line: String| {
                let _ = tx.send(Msg::ActionOutput {
                    run: id,
                    stream: shown(stream),
                    line,
                });
            };
            let interrupted = async {
                let _ = cancelled.await;
            };
            let outcome = audited(
                &context,
                &plan,
                provider.as_deref(),
                Io::Piped,
                interrupted,
                line,
            )
            .await;
            let _ = answers.send(Msg::ActionEnded {
                run: id,
                env: plan.environment.clone(),
                plan: Box::new(plan),
                outcome,
            });
        });
    }

    /// Interrupts run `id`: SIGTERM, SIGKILL after the grace period.
    pub(super) fn cancel(&self, id: u64) {
        if let Some(cancel) = self.running().remove(&id) {
            let _ = cancel.send(());
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<()>>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `plan` in the foreground, the terminal its own (the caller has
    /// handed it over); its end is returned.
    pub(super) async fn run_here(
        &self,
        provider: Option<Arc<Provider>>,
        plan: &ActionPlan,
    ) -> Result<i32, String> {
        audited(
            &self.context,
            plan,
            provider.as_deref(),
            Io::Terminal,
            std::future::pending(),
            |_, line| crate::output::err(format!("flightdeck: {line}\n")),
        )
        .await
    }
}

fn shown(stream: Stream) -> Shown {
    match stream {
        Stream::Out => Shown::Out,
        Stream::Err => Shown::Err,
        Stream::Note => Shown::Note,
    }
}

/// The action's plan where `target` points: the variables of its scope,
/// expanded for the caller's account.
async fn plan(
    options: &Options,
    provider: Option<&Provider>,
    name: &str,
    target: &Target,
) -> Result<ActionPlan, String> {
    let spec = options
        .actions
        .iter()
        .find(|a| a.name == name)
        .ok_or_else(|| format!("no action `{name}`"))?;
    let p = provider.ok_or_else(|| "no such environment".to_string())?;
    let info = p.environment();
    let identity = p
        .caller_identity()
        .await
        .map_err(|e| format!("who runs it is not known: {e}"))?;
    let mut values: Values = crate::actions::base_values(options, info, &identity.account);
    if matches!(spec.scope, Scope::Service | Scope::Task) {
        values
            .set("cluster", target.cluster.clone())
            .set("service", target.service.clone())
            .set("task_definition", target.task_definition.clone());
    }
    if spec.scope == Scope::Task {
        values
            .set("task", target.task.clone())
            .set("container", target.container.clone());
    }
    if spec.scope == Scope::Alarm {
        values.set("alarm", target.alarm.clone());
    }
    spec.plan(&values, info.production)
        .map_err(|e| format!("the action `{name}`: {e}"))
}

/// Runs a plan as the caller, a writing one audited before and after;
/// in the simulation only said. Its exit status, or why there is none.
async fn audited(
    context: &Context,
    plan: &ActionPlan,
    provider: Option<&Provider>,
    io: Io,
    interrupted: impl std::future::Future<Output = ()>,
    mut line: impl FnMut(Stream, String),
) -> Result<i32, String> {
    let who = match provider {
        Some(p) => p
            .caller_identity()
            .await
            .map(|id| id.arn)
            .map_err(|e| format!("who runs it is not known, so nothing ran: {e}"))?,
        None => return Err("no such environment: nothing ran".into()),
    };
    let Context { audit, clock, demo } = context;
    if plan.writes {
        crate::actions::record_before(audit, plan, &who, clock.now())
            .map_err(|e| format!("{e:#}"))?;
    }
    let outcome = if *demo {
        line(
            Stream::Note,
            "the simulated production runs no command: this is what would run".into(),
        );
        line(Stream::Note, format!("$ {}", plan.command_line()));
        Ok(0)
    } else {
        let interrupt = match io {
            Io::Piped => Interrupt::Terminate,
            Io::Terminal => Interrupt::Sent,
        };
        let ran = crate::actions::run(plan, io, interrupt, interrupted, &mut line).await;
        crate::actions::outcome(&ran)
    };
    if plan.writes
        && let Err(e) = crate::actions::record_after(audit, plan, &who, clock.now(), &outcome)
    {
        line(Stream::Note, format!("{e:#}"));
    }
    outcome
}
