//! The write commands: `deploy`, `rollback`, `scale`, `strategy`,
//! `continue`, `stop-task`, `run-task` (a one-off task), and the sessions `exec` (ECS Exec) and
//! `port-forward` (SSM): their plan checks every precondition; production
//! needs `--confirm` like a write; then the terminal goes to
//! `session-manager-plugin`. Each prints its plan;
//! `--dry-run` stops there, and nothing changes without `--confirm
//! <service-name>` (exit 3). `--wait` follows the rollout and exits 0 only
//! when it SUCCEEDED.

use super::table::emit;
use super::{Exit, Failure};
use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::anyhow;
use flightdeck_core::lease::{Lease, LeaseError, RENEW_EVERY, Team};
use flightdeck_core::ops::{
    self, AuditLog, Call, ExecError, Operation, PlanError, RolloutStatus, Watch,
};
use flightdeck_core::provider::{Provider, Writes, locate_service};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use std::sync::Arc;

/// The service a write command is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The service's cluster; found by the service's name when left out.
    pub cluster: Option<String>,
    pub service: String,
}

/// Which task and container a session reaches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskPick {
    /// The task's id, ARN or 6+ characters of its id (default: the first running one).
    pub task: Option<String>,
    /// The container (default: the task's first running one).
    pub container: Option<String>,
}

/// How far a write goes: the plan only, or with the confirmation word.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guard {
    /// Print the plan and stop.
    pub dry_run: bool,
    /// The service's name: without it nothing changes.
    pub confirm: Option<String>,
    /// One JSON object on stdout: the plan, what was executed, the rollout.
    pub json: bool,
    /// Take the service's lease over from the operator who holds it (or
    /// write without an unreachable lease table), for this reason; audited
    /// and shown to the holder.
    pub take_lease: Option<String>,
}

/// Whether a write that starts a rollout follows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Follow {
    /// Follow the rollout; exit 0 only when it SUCCEEDED.
    pub wait: bool,
    /// No progress for this long is STUCK (default: the options').
    pub stuck_after: Option<chrono::Duration>,
}

/// A write command, as the command line asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteCommand {
    pub target: Target,
    pub guard: Guard,
    /// `Some` for the writes that start a rollout (deploy, rollback, continue).
    pub follow: Option<Follow>,
    pub action: WriteAction,
}

/// What a write command does to its service.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteAction {
    /// New images (CONTAINER, IMAGE) in a new revision, or a new deployment
    /// of the current one (`force`).
    Deploy {
        images: Vec<(String, String)>,
        force: bool,
    },
    /// Back to the last deployment that completed, or to revision `to`.
    Rollback { to: Option<u32> },
    /// The desired count, the auto scaling range, dynamic scaling
    /// suspended (`Some(true)`) or resumed (`Some(false)`).
    Scale {
        desired: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
        suspend: Option<bool>,
    },
    /// How the next deployments run, and their bake (kept when `None`).
    Strategy {
        strategy: flightdeck_model::Strategy,
        bake: Option<u32>,
    },
    /// A deployment waiting at a pause hook goes on.
    Continue,
    /// `command` in a container of one of the service's tasks (ECS Exec).
    Exec { pick: TaskPick, command: String },
    /// A local port forwarded to the container, or through it to
    /// `remote_host` (default local port: [`PortForward::local_port_for`]).
    ///
    /// [`PortForward::local_port_for`]: flightdeck_core::provider::PortForward::local_port_for
    PortForward {
        pick: TaskPick,
        remote_port: u16,
        remote_host: Option<String>,
        local_port: Option<u16>,
    },
    /// One task stopped, with the stop reason ECS records.
    StopTask {
        task: String,
        reason: Option<String>,
    },
    /// A one-off task running `command` (a shell line, split into words).
    RunTask {
        command: String,
        container: Option<String>,
        cpu: Option<u32>,
        memory: Option<u32>,
    },
}

/// What `--json` prints, whatever the outcome (the exit code says it).
#[derive(Debug, Default, serde::Serialize)]
struct Report {
    plan: Option<ops::Plan>,
    executed: Option<ExecutedReport>,
    rollout: Option<RolloutReport>,
    /// The task the write started (a run-task's, followed with `--wait`)
    /// or stopped (a stop-task's).
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<TaskReport>,
}

#[derive(Debug, Default, serde::Serialize)]
struct TaskReport {
    id: String,
    arn: String,
    /// Its last status seen.
    status: String,
    /// How it ended, when followed to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<ops::run_task::Ending>,
    /// Its log lines, as followed (at most [`KEPT_TASK_LINES`], the last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    lines: Vec<String>,
}

/// Log lines of a followed task kept for `--json`.
const KEPT_TASK_LINES: usize = 5000;

#[derive(Debug, Default, serde::Serialize)]
struct ExecutedReport {
    /// Whether the write went through (every call succeeded).
    ok: bool,
    task_definition: Option<String>,
    desired: Option<u32>,
    deployment_id: Option<String>,
    /// Every call that ran, with its request id, in order.
    calls: Vec<Call>,
    request_ids: Vec<String>,
    /// Why the outcome is missing from the audit log, when it is.
    unrecorded: Option<String>,
    error: Option<String>,
    /// Why no call was needed: the end state was reached first (ECS
    /// rolled the service back before the operator's rollback ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    nothing_to_do: Option<String>,
}

#[derive(Debug, serde::Serialize)]
struct RolloutReport {
    status: RolloutStatus,
    reason: String,
    /// Blue's and green's own figures at the end (traffic-shifting
    /// services with an alternate target group).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    revisions: Vec<ops::revisions::RevisionMetrics>,
}

fn refused(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        exit: Exit::Refused,
        error: e.into(),
    }
}

pub fn run(options: &Options, command: &WriteCommand) -> Result<(), Failure> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    let audit = options.audit_log();
    runtime.block_on(async {
        let session = Session::start(options, clock.clone(), WorldBuild::Now)
            .await
            .map_err(Failure::usage)?;
        let p = session.single("a write").map_err(Failure::usage)?;
        let (target, guard) = (&command.target, &command.guard);
        let cluster = locate_service(p.reads(), target.cluster.as_deref(), &target.service)
            .await
            .map_err(Failure::from)?;
        let team = crate::team::leases::team(options)
            .await
            .map_err(Failure::usage)?;
        let write = Write {
            p: p.as_ref(),
            team: team.as_ref(),
            audit: &audit,
            clock: clock.as_ref(),
            guard,
            follow: command.follow.as_ref(),
            stuck_default: options.stuck_after,
            out: Out { json: guard.json },
        };
        let mut report = Report::default();
        let result = write.run(operation(command, cluster), &mut report).await;
        if guard.json {
            let text = super::table::json(&report, true).map_err(Failure::failed)?;
            emit(&format!("{text}\n"));
        }
        if options.stats {
            crate::output::err(session.api_stats());
        }
        // Whatever the outcome, what the audit log now holds goes to the
        // team's trail when one is configured.
        #[cfg(feature = "aws")]
        crate::team::audit::catch_up_or_warn(options).await;
        result
    })
}

/// The operation a command asks for, on the service's cluster.
fn operation(command: &WriteCommand, cluster: String) -> Operation {
    let service = command.target.service.clone();
    match &command.action {
        WriteAction::Deploy { images, force } => Operation::Deploy {
            cluster,
            service,
            images: images.clone(),
            force: *force,
        },
        WriteAction::Rollback { to } => Operation::Rollback {
            cluster,
            service,
            to: *to,
        },
        WriteAction::Scale {
            desired,
            min,
            max,
            suspend,
        } => Operation::Scale {
            cluster,
            service,
            desired: *desired,
            min: *min,
            max: *max,
            suspend: *suspend,
        },
        WriteAction::Strategy { strategy, bake } => Operation::SetStrategy {
            cluster,
            service,
            strategy: strategy.clone(),
            bake_minutes: *bake,
        },
        WriteAction::Continue => Operation::Continue { cluster, service },
        WriteAction::Exec { pick, command } => Operation::Exec {
            cluster,
            service,
            task: pick.task.clone(),
            container: pick.container.clone(),
            command: command.clone(),
        },
        WriteAction::PortForward {
            pick,
            remote_port,
            remote_host,
            local_port,
        } => Operation::PortForward {
            cluster,
            service,
            task: pick.task.clone(),
            container: pick.container.clone(),
            remote_host: remote_host.clone(),
            remote_port: *remote_port,
            local_port: local_port.unwrap_or(
                flightdeck_core::provider::PortForward::local_port_for(*remote_port),
            ),
        },
        WriteAction::StopTask { task, reason } => Operation::StopTask {
            cluster,
            service,
            task: task.clone(),
            reason: reason.clone(),
        },
        WriteAction::RunTask {
            command,
            container,
            cpu,
            memory,
        } => Operation::RunTask {
            cluster,
            service,
            command: command.clone(),
            container: container.clone(),
            cpu: *cpu,
            memory: *memory,
        },
    }
}

/// Text for terminals, nothing when the caller asked for JSON.
struct Out {
    json: bool,
}

impl Out {
    fn say(&self, text: &str) {
        if !self.json {
            emit(text);
        }
    }
}

/// One write command: where it writes and how it was asked to.
struct Write<'a> {
    p: &'a Provider,
    /// The team's lease table, when the config has one.
    team: Option<&'a Team>,
    audit: &'a AuditLog,
    clock: &'a dyn Clock,
    guard: &'a Guard,
    follow: Option<&'a Follow>,
    stuck_default: chrono::Duration,
    out: Out,
}

/// The terminal to the session until it ends (an ECS Exec shell, or a
/// port forward until Ctrl-C); the plugin's failure is the command's.
async fn attach(session: &flightdeck_core::provider::ExecSession) -> Result<(), Failure> {
    crate::output::err(format!(
        "flightdeck: session {} ({}); exit the shell, or Ctrl-C a forward, to end it\n",
        session.session_id, session.target
    ));
    let status = crate::attach::attach(session)
        .await
        .map_err(Failure::failed)?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::failed(anyhow!(
            "session-manager-plugin ended with {status}"
        )))
    }
}

/// How a failed execution exits: refused when nothing changed, failed when
/// the calls failed, unrecorded when something changed that the audit log
/// does not show.
pub fn exec_failure(e: ExecError) -> Failure {
    let exit = match &e {
        ExecError::Failed {
            ran,
            unrecorded: Some(_),
            ..
        } if !ran.is_empty() => Exit::Unrecorded,
        ExecError::Stale(_)
        | ExecError::Audit { .. }
        | ExecError::NothingToDo(_)
        | ExecError::Lease(_) => Exit::Refused,
        ExecError::Plan(PlanError::Invalid(_)) => Exit::Usage,
        ExecError::Plan(PlanError::Refused(_) | PlanError::NoRollbackTarget { .. }) => {
            Exit::Refused
        }
        _ => Exit::Failed,
    };
    Failure {
        exit,
        error: e.into(),
    }
}

impl Write<'_> {
    async fn run(&self, op: Operation, report: &mut Report) -> Result<(), Failure> {
        let (p, out) = (self.p, &self.out);
        let exec = matches!(op, Operation::Exec { .. } | Operation::PortForward { .. });
        if exec && crate::attach::find_plugin().is_none() {
            return Err(refused(anyhow!(crate::attach::NO_PLUGIN)));
        }
        if let Some(why) = crate::runtime::local_port_taken(&op) {
            return Err(refused(anyhow!(why)));
        }
        let who = p.caller_identity().await.map_err(Failure::failed)?;
        let mut plan = ops::plan(p.reads(), &who.account, op, Some(self.audit))
            .await
            .map_err(|e| match e {
                // The command names a revision with a flag (the cockpit
                // lets the operator pick one from the list instead).
                PlanError::NoRollbackTarget { .. } => {
                    refused(anyhow!("{e}; name one with --to REVISION"))
                }
                PlanError::Refused(_) => refused(e),
                PlanError::Invalid(_) => Failure::usage(e),
                PlanError::Provider(_) => Failure::failed(e),
            })?;
        if let Some(team) = self.team {
            ops::leased::mark(team, &mut plan, self.clock.now()).await;
        }
        let mut text: String = plan.lines().iter().map(|l| sanitize(l) + "\n").collect();
        if !plan.aws_cli.is_empty() {
            text.push_str("the same with the AWS CLI:\n");
            for line in &plan.aws_cli {
                text.push_str(&format!("  {}\n", sanitize(line)));
            }
        }
        text.push('\n');
        out.say(&text);
        report.plan = Some(plan.clone());
        if self.guard.dry_run {
            out.say("dry run: nothing changed\n");
            return Ok(());
        }
        plan.confirmation()
            .check_word(self.guard.confirm.as_deref())
            .map_err(|e| refused(anyhow!(sanitize(&e.to_string()))))?;
        plan.take_lease = self.guard.take_lease.clone();
        let lease = match self.team {
            Some(team) => ops::leased::take(team, &mut plan, &who.arn, self.clock.now())
                .await
                .map_err(|e| exec_failure(e.into()))?,
            None => None,
        };
        if let Some(lease) = &lease {
            if lease.taken_from.is_some() {
                out.say(&format!(
                    "{}\n",
                    sanitize(&format!("took over the lease: {}", lease.describe()))
                ));
            }
        } else if self.team.is_some()
            && plan.take_lease.is_some()
            && ops::leased::needs_lease(&plan.operation)
        {
            out.say("the lease table could not be reached: writing without a lease, for the reason given (audited)\n");
        }
        let result = self.execute(&plan, &who.arn, lease.clone(), report).await;
        if let (Some(team), Some(lease)) = (self.team, &lease)
            && let Err(e) = team.release(lease, self.clock.now()).await
        {
            crate::output::err(format!(
                "flightdeck: the lease was not released ({e}); it expires by itself\n"
            ));
        }
        result
    }

    /// Executes the confirmed `plan` holding `lease`, and follows what it
    /// started.
    async fn execute(
        &self,
        plan: &ops::Plan,
        who: &str,
        lease: Option<Lease>,
        report: &mut Report,
    ) -> Result<(), Failure> {
        let (p, out) = (self.p, &self.out);
        let done = match ops::execute(p, plan, self.audit, who, self.clock.now()).await {
            Ok(done) => done,
            Err(ExecError::NothingToDo(why)) => {
                // The end the operator asked for is reached: not a failure.
                out.say(&format!("{why}\n"));
                report.executed = Some(ExecutedReport {
                    ok: true,
                    nothing_to_do: Some(why),
                    ..ExecutedReport::default()
                });
                return Ok(());
            }
            Err(e) => {
                if let ExecError::Failed {
                    error,
                    ran,
                    unrecorded,
                } = &e
                {
                    report.executed = Some(ExecutedReport {
                        calls: ran.clone(),
                        request_ids: ran.iter().filter_map(|c| c.request_id.clone()).collect(),
                        unrecorded: unrecorded.clone(),
                        error: Some(error.to_string()),
                        ..ExecutedReport::default()
                    });
                }
                return Err(exec_failure(e));
            }
        };
        if let Some(session) = &done.session {
            let attached = attach(session).await;
            if matches!(plan.operation, Operation::PortForward { .. }) {
                // The plugin ends on Ctrl-C; so does the session.
                if let Err(e) = p.terminate_session(&session.session_id).await {
                    crate::output::err(format!(
                        "flightdeck: the session was not terminated: {e}\n"
                    ));
                }
            }
            return attached;
        }
        let plan = plan.clone();
        report.executed = Some(ExecutedReport {
            ok: true,
            task_definition: Some(done.task_definition.to_string()),
            desired: Some(done.service.desired),
            deployment_id: done.deployment_id.clone(),
            calls: done.calls.clone(),
            request_ids: done.request_ids(),
            unrecorded: done.unrecorded.clone(),
            error: None,
            nothing_to_do: None,
        });
        out.say(&format!("done: {}\n", sanitize(&done.describe(&plan))));
        if let Some(task) = &done.task {
            report.task = Some(TaskReport {
                id: task.id.clone(),
                arn: task.arn.clone(),
                status: task.last_status.to_string(),
                ..TaskReport::default()
            });
        }
        // The change is real; the operator learns it is unrecorded both
        // now and by the exit code, whatever the rollout does.
        let unrecorded = done.unrecorded.as_ref().map(|why| Failure {
            exit: Exit::Unrecorded,
            error: anyhow!(
                "changed, but NOT RECORDED in the audit log ({why}); the calls that ran: {}",
                ops::describe_calls(&done.calls)
            ),
        });
        let followed = match &done.task {
            Some(task) => self.follow_task(&plan, task, report).await,
            None => self.follow_rollout(&plan, &done, lease, report).await,
        };
        match unrecorded {
            Some(failure) => Err(failure),
            None => followed,
        }
    }

    /// With `--wait`, follows the rollout the write started to its end.
    async fn follow_rollout(
        &self,
        plan: &ops::Plan,
        done: &ops::Executed,
        mut lease: Option<Lease>,
        report: &mut Report,
    ) -> Result<(), Failure> {
        let (p, out, clock) = (self.p, &self.out, self.clock);
        let mut renewed = tokio::time::Instant::now();
        let (Some(follow), Some(id)) = (self.follow, done.deployment_id.as_ref()) else {
            return Ok(());
        };
        if !follow.wait {
            return Ok(());
        }
        let stuck = follow.stuck_after.unwrap_or(self.stuck_default);
        let mut watch = Watch::new(&plan.environment, &done.service, id, clock.now(), stuck);
        let mut last = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(WAIT_POLL) => {}
                _ = tokio::signal::ctrl_c() => {
                    return Err(Failure::failed(anyhow!("interrupted; the rollout goes on")));
                }
            }
            if renewed.elapsed() >= RENEW_EVERY {
                lease = self.renew(lease).await;
                renewed = tokio::time::Instant::now();
            }
            // The service only: the scalable target plays no part in a rollout.
            let (cluster, name) = (&done.service.cluster, &done.service.name);
            let svc = flightdeck_core::provider::find_service(p.reads(), cluster, name)
                .await
                .map_err(Failure::failed)?
                .ok_or_else(|| Failure::failed(anyhow!("service {cluster}/{name} is gone")))?;
            if watch.follows_history() {
                // The stage, traffic and hooks; a failed read leaves the
                // watch to the service alone until the next poll.
                if let Ok(history) = p
                    .service_deployments(
                        &svc.reference(),
                        watch.started - chrono::Duration::minutes(5),
                    )
                    .await
                {
                    watch.observe_history(&history, clock.now());
                }
            }
            let status = watch.observe(&svc, clock.now());
            // One line per change, not per poll.
            let state = (
                status,
                svc.running,
                svc.desired,
                svc.pending,
                watch.reason.clone(),
            );
            report.rollout = Some(RolloutReport {
                status,
                reason: watch.reason.clone(),
                revisions: vec![],
            });
            if last.as_ref() != Some(&state) {
                out.say(&format!(
                    "{} {status}: running {}/{} pending {} {}\n",
                    clock.now().format("%H:%M:%S"),
                    svc.running,
                    svc.desired,
                    svc.pending,
                    sanitize(&watch.reason)
                ));
                last = Some(state);
            }
            if status.is_final() {
                self.report_revisions(&svc, &watch, report).await;
            }
            match status {
                RolloutStatus::InProgress => continue,
                RolloutStatus::Succeeded => return Ok(()),
                other => {
                    return Err(Failure::failed(anyhow!(
                        "rollout {other}: {}",
                        sanitize(&watch.reason)
                    )));
                }
            }
        }
    }
}

impl Write<'_> {
    /// With `--wait`, follows the one-off task `started` to its exit code,
    /// its log lines printed as they come.
    async fn follow_task(
        &self,
        plan: &ops::Plan,
        started: &flightdeck_model::Task,
        report: &mut Report,
    ) -> Result<(), Failure> {
        let (p, out) = (self.p, &self.out);
        let Some(run) = plan.steps.iter().find_map(|s| match s {
            ops::Step::RunTask { task } => Some(task),
            _ => None,
        }) else {
            return Ok(());
        };
        if !self.follow.is_some_and(|f| f.wait) {
            out.say(&format!(
                "it runs on its own; `--wait` follows a one-off task to its exit code (task {})\n",
                started.id
            ));
            return Ok(());
        }
        let mut follower =
            ops::run_task::Follower::start(p.reads(), run, started, self.clock.now())
                .await
                .map_err(Failure::failed)?;
        out.say(&format!("following it: {}\n", sanitize(&follower.source())));
        loop {
            let progress = follower.look(p.reads()).await.map_err(Failure::failed)?;
            let kept = report.task.get_or_insert_with(TaskReport::default);
            let status = progress.status.as_ref().map(|status| {
                kept.status = status.to_string();
                format!(
                    "{} task {} is {status}\n",
                    self.clock.now().format("%H:%M:%S"),
                    follower.task()
                )
            });
            // A status before the lines that came with it, but STOPPED after.
            if progress.ended.is_none()
                && let Some(status) = &status
            {
                out.say(status);
            }
            for line in &progress.lines {
                out.say(&format!("{}\n", sanitize(&line.message)));
                if kept.lines.len() >= KEPT_TASK_LINES {
                    kept.lines.remove(0);
                }
                kept.lines.push(sanitize(&line.message));
            }
            if let Some(ending) = progress.ended {
                let said = ending.describe();
                kept.ended = Some(ending.clone());
                out.say(&format!(
                    "task {} stopped: {}\n",
                    follower.task(),
                    sanitize(&said)
                ));
                return if ending.succeeded() {
                    Ok(())
                } else {
                    Err(Failure::failed(anyhow!(
                        "the one-off task {} ended with {}",
                        follower.task(),
                        sanitize(&said)
                    )))
                };
            }
            tokio::select! {
                _ = tokio::time::sleep(TASK_POLL) => {}
                _ = tokio::signal::ctrl_c() => {
                    return Err(Failure::failed(anyhow!(
                        "interrupted; task {} runs on (to stop it: {})",
                        follower.task(),
                        ops::run_task::stop_command(run, follower.task(), &plan.region)
                    )));
                }
            }
        }
    }

    /// Keeps the lease while the rollout is followed; one taken over is
    /// said (who, why) and no longer renewed; the watch goes on.
    async fn renew(&self, lease: Option<Lease>) -> Option<Lease> {
        let (team, lease) = (self.team?, lease?);
        match team.renew(&lease, self.clock.now()).await {
            Ok(kept) => Some(kept),
            Err(LeaseError::Held(by)) => {
                crate::output::err(sanitize(&format!(
                    "flightdeck: {}; this watch goes on\n",
                    by.told_to(&lease.holder)
                )));
                None
            }
            // Kept as it was: the next renewal tries again.
            Err(e @ LeaseError::Unavailable(_)) => {
                tracing::warn!("lease renewal: {e}");
                Some(lease)
            }
        }
    }

    /// Each revision's own requests, 5xx and p95 when the rollout ends, for
    /// a service with two target groups; a failed read only leaves them out.
    async fn report_revisions(
        &self,
        svc: &flightdeck_model::Service,
        watch: &Watch,
        report: &mut Report,
    ) {
        let groups = svc.revision_groups();
        if groups.is_empty() {
            return;
        }
        let now = self.clock.now();
        let Ok(series) = self
            .p
            .target_group_metrics(&groups, now - chrono::Duration::hours(1), now)
            .await
        else {
            return;
        };
        let followed = watch.history.as_ref().map(|_| watch.deployment_id.as_str());
        let Some(sides) = ops::revisions::Sides::of(&svc.deployments, followed) else {
            return;
        };
        let figures = ops::revisions::summarise(&series, sides, now);
        for m in &figures {
            self.out.say(&format!("  {}\n", sanitize(&m.to_string())));
        }
        if let Some(r) = report.rollout.as_mut() {
            r.revisions = figures;
        }
    }
}

/// How often `--wait` looks at a one-off task and its log stream.
const TASK_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// How often `--wait` looks at the service.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use flightdeck_core::provider::ProviderError;

    fn call() -> Call {
        Call {
            step: "ecs:RegisterTaskDefinition family=backend".into(),
            request_id: Some("req-1".into()),
        }
    }

    #[test]
    fn the_exit_code_says_whether_something_changed_and_whether_it_was_recorded() {
        let failed = |ran: Vec<Call>, unrecorded: Option<&str>| {
            exec_failure(ExecError::Failed {
                error: ProviderError::Throttled("ecs:UpdateService".into()),
                ran,
                unrecorded: unrecorded.map(str::to_string),
            })
        };
        let f = failed(vec![call()], Some("cannot write audit.jsonl: disk full"));
        assert_eq!(f.exit, Exit::Unrecorded);
        let text = format!("{:#}", f.error);
        assert!(
            text.contains("req-1") && text.contains("NOT RECORDED"),
            "{text}"
        );
        assert_eq!(failed(vec![call()], None).exit, Exit::Failed);
        assert_eq!(failed(vec![], Some("x")).exit, Exit::Failed);
        let stale = exec_failure(ExecError::Stale("desired 2 -> 3".into()));
        assert_eq!(stale.exit, Exit::Refused);
        let audit = exec_failure(ExecError::Audit {
            path: "audit.jsonl".into(),
            error: "read-only file system".into(),
        });
        assert_eq!(audit.exit, Exit::Refused);
        assert!(format!("{:#}", audit.error).contains("nothing was changed"));
    }
}
