//! The team's runbook actions carried out for the cockpit: planned with the
//! caller's account and the config's profile, run in the background (each
//! line of output to the app) or with the terminal handed over (`tty`),
//! cancelled on request, audited before and after when they write. In the
//! simulated production an action runs with no AWS credentials.

use crate::actions::{Context, Io, Stream};
use crate::options::Options;
use flightdeck_core::action::ActionPlan;
use flightdeck_core::ops::AuditLog;
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::Clock;
use flightdeck_tui::app::Msg;
use flightdeck_tui::app::actions::{Stream as Shown, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// How often a followed one-off task and its log stream are read.
const TASK_POLL: std::time::Duration = std::time::Duration::from_secs(2);
/// Failed looks in a row after which a one-off task is no longer followed.
const LOST_AFTER: u32 = 5;

/// The cockpit's runs of actions, and what they need.
#[derive(Clone)]
pub(super) struct Actions {
    options: Arc<Options>,
    context: Context,
    /// The simulated production: an action runs without AWS credentials.
    demo: bool,
    /// How to interrupt each run still going, and its task.
    running: Arc<Mutex<HashMap<u64, Running>>>,
}

/// A run going on in the background.
struct Running {
    cancel: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
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
            context: Context { audit, clock },
            demo,
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
        let (options, demo) = (self.options.clone(), self.demo);
        tokio::spawn(async move {
            let result = match options.actions.iter().find(|a| a.name == name) {
                None => Err(format!("no action `{name}`")),
                Some(spec) => {
                    let profile = crate::actions::profile_of(&options, &env);
                    crate::actions::plan_at(spec, profile, provider.as_deref(), &target, demo).await
                }
            };
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
        let context = self.context.clone();
        let task = tokio::spawn(async move {
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
            let outcome = crate::actions::audited(
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
        let mut running = self.running();
        running.retain(|_, r| !r.task.is_finished());
        running.insert(id, Running { cancel, task });
    }

    /// Follows the one-off task `started` (of `run`) as run `id`: its
    /// status and log lines, then its end, to `answers`. It ends with the
    /// task, or after [`LOST_AFTER`] failed looks in a row; the task itself
    /// runs on in ECS whatever happens here.
    pub(super) fn follow_task(
        &self,
        provider: Option<Arc<Provider>>,
        id: u64,
        run: flightdeck_core::provider::OneOffTask,
        started: flightdeck_model::Task,
        answers: mpsc::UnboundedSender<Msg>,
    ) {
        let clock = self.context.clock.clone();
        tokio::spawn(async move {
            let now = clock.now();
            follow_one_off(
                provider.as_deref(),
                id,
                &run,
                &started,
                now,
                || tokio::time::sleep(TASK_POLL),
                |msg| {
                    let _ = answers.send(msg);
                },
            )
            .await;
        });
    }

    /// How many runs are still going.
    pub(super) fn going(&self) -> usize {
        self.running()
            .values()
            .filter(|r| !r.task.is_finished())
            .count()
    }

    /// Interrupts every run still going and waits for each to end (its
    /// record after written): what quitting does, so no action outlives
    /// the cockpit unrecorded.
    pub(super) async fn stop_all(&self) {
        let runs: Vec<Running> = self.running().drain().map(|(_, r)| r).collect();
        for r in runs {
            let _ = r.cancel.send(());
            let wait = crate::actions::GRACE + std::time::Duration::from_secs(2);
            if tokio::time::timeout(wait, r.task).await.is_err() {
                tracing::warn!("a runbook action did not end after its kill");
            }
        }
    }

    /// Interrupts run `id`: SIGTERM, SIGKILL after the grace period.
    pub(super) fn cancel(&self, id: u64) {
        if let Some(r) = self.running().remove(&id) {
            let _ = r.cancel.send(());
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Running>> {
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
        crate::actions::audited(
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

/// Follows the one-off task `started` (of `run`) as run `id` of the
/// cockpit: its status and log lines as [`Msg::ActionOutput`], then
/// [`Msg::TaskEnded`], each given to `send`; `pause` waits between looks.
/// It ends with the task, or after [`LOST_AFTER`] failed looks in a row.
pub async fn follow_one_off<F: std::future::Future<Output = ()>>(
    provider: Option<&Provider>,
    id: u64,
    run: &flightdeck_core::provider::OneOffTask,
    started: &flightdeck_model::Task,
    now: flightdeck_model::Timestamp,
    mut pause: impl FnMut() -> F,
    mut send: impl FnMut(Msg),
) {
    let mut say = |stream: Shown, line: String| {
        send(Msg::ActionOutput {
            run: id,
            stream,
            line,
        })
    };
    let started = match provider {
        None => Err("its environment is gone".to_string()),
        Some(p) => flightdeck_core::ops::run_task::Follower::start(p.reads(), run, started, now)
            .await
            .map(|f| (p, f))
            .map_err(|e| format!("cannot follow it: {e}")),
    };
    let (p, mut follower) = match started {
        Ok(going) => going,
        Err(why) => {
            send(Msg::TaskEnded {
                run: id,
                outcome: Err(why),
            });
            return;
        }
    };
    say(Shown::Note, follower.source());
    say(
        Shown::Note,
        format!(
            "it runs on in ECS until its command exits; to stop it: {}",
            flightdeck_core::ops::run_task::stop_command(
                run,
                follower.task(),
                &p.environment().region
            )
        ),
    );
    let mut failed = 0;
    let outcome = loop {
        match follower.look(p.reads()).await {
            Ok(progress) => {
                failed = 0;
                if let Some(status) = &progress.status
                    && progress.ended.is_none()
                {
                    say(Shown::Note, format!("task is {status}"));
                }
                for line in progress.lines {
                    say(Shown::Out, line.message);
                }
                if let Some(ending) = progress.ended {
                    say(Shown::Note, format!("stopped: {}", ending.describe()));
                    break ending.exit_code.ok_or(ending.reason);
                }
            }
            Err(e) => {
                failed += 1;
                say(Shown::Err, format!("{e}; looking again"));
                if failed >= LOST_AFTER {
                    break Err(format!(
                        "lost it after {LOST_AFTER} failed looks; the task runs on in ECS"
                    ));
                }
            }
        }
        pause().await;
    };
    send(Msg::TaskEnded { run: id, outcome });
}
