//! The write commands: `deploy`, `rollback`, `scale`, `strategy`,
//! `continue`, `stop-task`, and the sessions `exec` (ECS Exec) and
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
use clap::{Args, Subcommand};
use flightdeck_core::ops::{
    self, AuditLog, Call, ExecError, Operation, PlanError, RolloutStatus, Watch,
};
use flightdeck_core::provider::{Provider, locate_service};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct Target {
    /// The service's cluster; found by the service's name when left out.
    #[arg(long)]
    pub cluster: Option<String>,
    #[arg(long)]
    pub service: String,
}

/// Which task and container a session reaches.
#[derive(Debug, Args)]
pub struct TaskPick {
    /// The task's id, ARN or 6+ characters of its id (default: the first running one).
    #[arg(long)]
    pub task: Option<String>,
    /// The container (default: the task's first running one).
    #[arg(long)]
    pub container: Option<String>,
}

#[derive(Debug, Args)]
pub struct Guard {
    /// Print the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// The service's name: without it nothing changes.
    #[arg(long, value_name = "SERVICE")]
    pub confirm: Option<String>,
    /// One JSON object on stdout: the plan, what was executed, the rollout.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints, whatever the outcome (the exit code says it).
#[derive(Debug, Default, serde::Serialize)]
struct Report {
    plan: Option<ops::Plan>,
    executed: Option<ExecutedReport>,
    rollout: Option<RolloutReport>,
}

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

#[derive(Debug, Args)]
pub struct Follow {
    /// Follow the rollout; exit 0 only when it SUCCEEDED.
    #[arg(long)]
    pub wait: bool,
    /// No progress for this long is STUCK (30s, 10m, 1h; default: config, else 10m).
    #[arg(long, value_parser = parse_stuck_after)]
    pub stuck_after: Option<chrono::Duration>,
}

/// `--stuck-after`: from 10 seconds (a poll or two) to a day.
fn parse_stuck_after(
    s: &str,
) -> Result<chrono::Duration, flightdeck_model::duration::DurationError> {
    flightdeck_model::duration::parse(s, chrono::Duration::seconds(10)..=chrono::Duration::days(1))
}

#[derive(Debug, Subcommand)]
pub enum WriteCommand {
    /// Deploy new container images (a new task definition revision) or force a new deployment.
    Deploy {
        #[command(flatten)]
        target: Target,
        /// CONTAINER=IMAGE, repeatable.
        #[arg(long = "image", value_name = "CONTAINER=IMAGE", value_parser = parse_image, required_unless_present = "force")]
        images: Vec<(String, String)>,
        /// A new deployment of the current revision.
        #[arg(long, conflicts_with = "images")]
        force: bool,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// Roll back to the last deployment that completed, or to --to REVISION.
    Rollback {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_name = "REVISION")]
        to: Option<u32>,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// Change the desired count, the auto scaling range, or suspend/resume dynamic scaling.
    Scale {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        desired: Option<u32>,
        #[arg(long)]
        min: Option<u32>,
        #[arg(long)]
        max: Option<u32>,
        /// Suspend dynamic scaling (target tracking and step policies).
        #[arg(long, conflicts_with = "resume")]
        suspend: bool,
        /// Resume dynamic scaling.
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        guard: Guard,
    },
    /// Change how the service's next deployments run: rolling, blue/green, canary or linear.
    Strategy {
        #[command(flatten)]
        target: Target,
        /// rolling, rolling:MIN_HEALTHY:MAX, blue-green, canary:PERCENT:MINUTES or linear:STEP_PERCENT:MINUTES.
        #[arg(long = "to", value_name = "STRATEGY", value_parser = flightdeck_model::Strategy::parse)]
        strategy: flightdeck_model::Strategy,
        /// Minutes both revisions run after all traffic moved (blue/green, canary, linear); kept when left out.
        #[arg(long, value_name = "MINUTES")]
        bake: Option<u32>,
        #[command(flatten)]
        guard: Guard,
    },
    /// Let a deployment waiting at a pause hook (an approval) go on to its next stage.
    Continue {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        guard: Guard,
        #[command(flatten)]
        follow: Follow,
    },
    /// A shell (or a command) in a container of one of the service's tasks,
    /// through ECS Exec and session-manager-plugin.
    Exec {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        pick: TaskPick,
        /// What to run, interactively.
        #[arg(long, default_value = "/bin/sh")]
        command: String,
        #[command(flatten)]
        guard: Guard,
    },
    /// Forward a local port to a container of one of the service's tasks, or
    /// through it to a host its network reaches (an RDS endpoint), until Ctrl-C.
    PortForward {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        pick: TaskPick,
        /// The port on the container, or on the remote host.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        remote_port: u16,
        /// A host reached through the task (default: the container itself).
        #[arg(long)]
        remote_host: Option<String>,
        /// The port on 127.0.0.1 (default: the remote port, or 10000 more below 1024).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1024..))]
        local_port: Option<u16>,
        #[command(flatten)]
        guard: Guard,
    },
    /// Stop one task (a wedged or crash-looping one); the service starts a replacement.
    StopTask {
        #[command(flatten)]
        target: Target,
        /// The task's id, its ARN, or at least 6 characters of its id.
        #[arg(long)]
        task: String,
        /// The stop reason ECS records (default: "Stopped by flightdeck").
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        guard: Guard,
    },
}

fn parse_image(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((c, i)) if !c.is_empty() && !i.is_empty() => Ok((c.to_string(), i.to_string())),
        _ => Err(format!("`{s}` is not CONTAINER=IMAGE")),
    }
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
        let (target, guard, follow) = parts(command);
        let cluster = locate_service(p.as_ref(), target.cluster.as_deref(), &target.service)
            .await
            .map_err(Failure::from)?;
        let write = Write {
            p: p.as_ref(),
            audit: &audit,
            clock: clock.as_ref(),
            guard,
            follow,
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
        result
    })
}

fn parts(command: &WriteCommand) -> (&Target, &Guard, Option<&Follow>) {
    match command {
        WriteCommand::Deploy {
            target,
            guard,
            follow,
            ..
        }
        | WriteCommand::Rollback {
            target,
            guard,
            follow,
            ..
        }
        | WriteCommand::Continue {
            target,
            guard,
            follow,
        } => (target, guard, Some(follow)),
        WriteCommand::Scale { target, guard, .. }
        | WriteCommand::Strategy { target, guard, .. }
        | WriteCommand::StopTask { target, guard, .. }
        | WriteCommand::Exec { target, guard, .. }
        | WriteCommand::PortForward { target, guard, .. } => (target, guard, None),
    }
}

/// The operation a command asks for, on the service's cluster.
fn operation(command: &WriteCommand, cluster: String) -> Operation {
    match command {
        WriteCommand::Deploy {
            target,
            images,
            force,
            ..
        } => Operation::Deploy {
            cluster,
            service: target.service.clone(),
            images: images.clone(),
            force: *force,
        },
        WriteCommand::Rollback { target, to, .. } => Operation::Rollback {
            cluster,
            service: target.service.clone(),
            to: *to,
        },
        WriteCommand::Scale {
            target,
            desired,
            min,
            max,
            suspend,
            resume,
            ..
        } => Operation::Scale {
            cluster,
            service: target.service.clone(),
            desired: *desired,
            min: *min,
            max: *max,
            suspend: if *suspend {
                Some(true)
            } else if *resume {
                Some(false)
            } else {
                None
            },
        },
        WriteCommand::Strategy {
            target,
            strategy,
            bake,
            ..
        } => Operation::SetStrategy {
            cluster,
            service: target.service.clone(),
            strategy: strategy.clone(),
            bake_minutes: *bake,
        },
        WriteCommand::Continue { target, .. } => Operation::Continue {
            cluster,
            service: target.service.clone(),
        },
        WriteCommand::Exec {
            target,
            pick,
            command,
            ..
        } => Operation::Exec {
            cluster,
            service: target.service.clone(),
            task: pick.task.clone(),
            container: pick.container.clone(),
            command: command.clone(),
        },
        WriteCommand::PortForward {
            target,
            pick,
            remote_port,
            remote_host,
            local_port,
            ..
        } => Operation::PortForward {
            cluster,
            service: target.service.clone(),
            task: pick.task.clone(),
            container: pick.container.clone(),
            remote_host: remote_host.clone(),
            remote_port: *remote_port,
            local_port: local_port.unwrap_or(
                flightdeck_core::provider::PortForward::local_port_for(*remote_port),
            ),
        },
        WriteCommand::StopTask {
            target,
            task,
            reason,
            ..
        } => Operation::StopTask {
            cluster,
            service: target.service.clone(),
            task: task.clone(),
            reason: reason.clone(),
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
    p: &'a dyn Provider,
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
        ExecError::Stale(_) | ExecError::Audit { .. } | ExecError::NothingToDo(_) => Exit::Refused,
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
        let plan = ops::plan(p, &who.account, op, Some(self.audit))
            .await
            .map_err(|e| match e {
                PlanError::Refused(_) | PlanError::NoRollbackTarget { .. } => refused(e),
                PlanError::Invalid(_) => Failure::usage(e),
                PlanError::Provider(_) => Failure::failed(e),
            })?;
        let mut text: String = plan.lines().iter().map(|l| sanitize(l) + "\n").collect();
        text.push('\n');
        out.say(&text);
        report.plan = Some(plan.clone());
        if self.guard.dry_run {
            out.say("dry run: nothing changed\n");
            return Ok(());
        }
        let word = plan.confirmation_word();
        // ECS Exec changes nothing: outside production it needs no word.
        let needs_word = !exec || plan.production;
        match self.guard.confirm.as_deref() {
            None if !needs_word => {}
            None => {
                return Err(refused(anyhow!(
                    "not confirmed: nothing changed; to apply this plan, run again with --confirm {word}"
                )));
            }
            Some(given) if given != word => {
                return Err(refused(anyhow!(
                    "confirmation `{}` is not the service name `{word}`: nothing changed",
                    sanitize(given)
                )));
            }
            Some(_) => {}
        }
        let done = match ops::execute(p, &plan, self.audit, &who.arn, self.clock.now()).await {
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
        if let Some(ops::Step::StopTask { task, .. }) = plan.steps.first() {
            out.say(&format!(
                "done: task {task} of {}/{} is stopping; the service starts a replacement (desired {})\n",
                done.service.cluster, done.service.name, done.service.desired
            ));
        } else {
            out.say(&format!(
                "done: {}/{} runs {} (desired {}){}\n",
                done.service.cluster,
                done.service.name,
                done.task_definition,
                done.service.desired,
                done.deployment_id
                    .as_ref()
                    .map(|d| format!("; deployment {d}"))
                    .unwrap_or_default()
            ));
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
        let followed = self.follow_rollout(&plan, &done, report).await;
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
        report: &mut Report,
    ) -> Result<(), Failure> {
        let (p, out, clock) = (self.p, &self.out, self.clock);
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
            // The service only: the scalable target plays no part in a rollout.
            let (cluster, name) = (&done.service.cluster, &done.service.name);
            let svc = flightdeck_core::provider::find_service(p, cluster, name)
                .await
                .map_err(Failure::failed)?
                .ok_or_else(|| Failure::failed(anyhow!("service {cluster}/{name} is gone")))?;
            if watch.follows_history() {
                // The stage, traffic and hooks; a failed read leaves the
                // watch to the service alone until the next poll.
                if let Ok(history) = p
                    .service_deployments(
                        cluster,
                        name,
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
