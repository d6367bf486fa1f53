//! The write commands: `deploy`, `rollback`, `scale`. Each prints its plan;
//! `--dry-run` stops there, and nothing changes without `--confirm
//! <service-name>` (exit 3). `--wait` follows the rollout and exits 0 only
//! when it SUCCEEDED.

use super::table::emit;
use super::{Exit, Failure};
use crate::options::Options;
use crate::session::Session;
use anyhow::anyhow;
use clap::{Args, Subcommand};
use flightdeck_core::ops::{self, AuditLog, ExecError, Operation, PlanError, RolloutStatus, Watch};
use flightdeck_core::provider::Provider;
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct Target {
    #[arg(long)]
    pub cluster: String,
    #[arg(long)]
    pub service: String,
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

#[derive(Debug, serde::Serialize)]
struct ExecutedReport {
    task_definition: String,
    desired: u32,
    deployment_id: Option<String>,
    request_ids: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
struct RolloutReport {
    status: RolloutStatus,
    reason: String,
}

#[derive(Debug, Args)]
pub struct Follow {
    /// Follow the rollout; exit 0 only when it SUCCEEDED.
    #[arg(long)]
    pub wait: bool,
    /// No progress for this long is STUCK (30s, 10m, 1h; default: config, else 10m).
    #[arg(long, value_parser = super::read::parse_since)]
    pub stuck_after: Option<chrono::Duration>,
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
    let audit = AuditLog::new(&options.paths.audit_log);
    let stuck_default = options.stuck_after;
    runtime.block_on(async {
        let session = Session::start(options, clock.clone())
            .await
            .map_err(Failure::usage)?;
        let p = session.single("a write").map_err(Failure::usage)?;
        let (op, guard, follow) = operation(command);
        write(
            p.as_ref(),
            op,
            guard,
            follow,
            &audit,
            clock.as_ref(),
            stuck_default,
        )
        .await
    })
}

fn operation(command: &WriteCommand) -> (Operation, &Guard, Option<&Follow>) {
    match command {
        WriteCommand::Deploy {
            target,
            images,
            force,
            guard,
            follow,
        } => (
            Operation::Deploy {
                cluster: target.cluster.clone(),
                service: target.service.clone(),
                images: images.clone(),
                force: *force,
            },
            guard,
            Some(follow),
        ),
        WriteCommand::Rollback {
            target,
            to,
            guard,
            follow,
        } => (
            Operation::Rollback {
                cluster: target.cluster.clone(),
                service: target.service.clone(),
                to: *to,
            },
            guard,
            Some(follow),
        ),
        WriteCommand::Scale {
            target,
            desired,
            min,
            max,
            suspend,
            resume,
            guard,
        } => (
            Operation::Scale {
                cluster: target.cluster.clone(),
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
            guard,
            None,
        ),
    }
}

async fn write(
    p: &dyn Provider,
    op: Operation,
    guard: &Guard,
    follow: Option<&Follow>,
    audit: &AuditLog,
    clock: &dyn Clock,
    stuck_default: chrono::Duration,
) -> Result<(), Failure> {
    let mut report = Report::default();
    let out = Out { json: guard.json };
    let result = write_reporting(
        p,
        op,
        guard,
        follow,
        audit,
        clock,
        stuck_default,
        &mut report,
        &out,
    )
    .await;
    if guard.json {
        let text = serde_json::to_string_pretty(&report).map_err(Failure::failed)?;
        emit(&format!("{text}\n"));
    }
    result
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

#[expect(
    clippy::too_many_arguments,
    reason = "to be folded into one write context"
)]
async fn write_reporting(
    p: &dyn Provider,
    op: Operation,
    guard: &Guard,
    follow: Option<&Follow>,
    audit: &AuditLog,
    clock: &dyn Clock,
    stuck_default: chrono::Duration,
    report: &mut Report,
    out: &Out,
) -> Result<(), Failure> {
    let who = p.caller_identity().await.map_err(Failure::failed)?;
    let plan = ops::plan(p, &who.account, op, Some(audit))
        .await
        .map_err(|e| match e {
            PlanError::Refused(_) => refused(e),
            PlanError::Invalid(_) => Failure::usage(e),
            PlanError::Provider(_) => Failure::failed(e),
        })?;
    let mut text: String = plan.lines().iter().map(|l| sanitize(l) + "\n").collect();
    text.push('\n');
    out.say(&text);
    report.plan = Some(plan.clone());
    if guard.dry_run {
        out.say("dry run: nothing changed\n");
        return Ok(());
    }
    let word = plan.confirmation_word();
    match guard.confirm.as_deref() {
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
    let done = ops::execute(p, &plan, audit, &who.arn, clock.now())
        .await
        .map_err(|e| match e {
            ExecError::Stale(_) | ExecError::Audit { .. } => refused(e),
            ExecError::Plan(PlanError::Invalid(_)) => Failure::usage(e),
            _ => Failure::failed(e),
        })?;
    report.executed = Some(ExecutedReport {
        task_definition: done.task_definition.to_string(),
        desired: done.service.desired,
        deployment_id: done.deployment_id.clone(),
        request_ids: done.request_ids.clone(),
    });
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
    let (Some(follow), Some(id)) = (follow, done.deployment_id.as_ref()) else {
        return Ok(());
    };
    if !follow.wait {
        return Ok(());
    }
    let stuck = follow.stuck_after.unwrap_or(stuck_default);
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

/// How often `--wait` looks at the service.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_secs(5);
