//! `flightdeck action list` and `flightdeck action NAME`: the team's
//! runbook actions from the command line. An action's command is expanded
//! for where it runs (the environment, `--service`, `--task`, `--alarm`)
//! and shown exactly; a writing action is then confirmed like any write
//! (`--confirm` with the target's name), refused in read-only, and audited
//! before and after with its exit status. Its output is streamed line by
//! line, sanitised (a script can print what AWS said); a `tty = true`
//! action gets the terminal itself.

use super::table::{emit, json as to_json};
use super::{Exit, Failure};
use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::anyhow;
use flightdeck_core::action::{ActionPlan, Scope, Spec, Values};
use flightdeck_core::ops::Phase;
use flightdeck_core::provider::{Provider, locate_service};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use std::sync::Arc;

/// Lines of output `--json` keeps of each stream (the last ones).
const KEPT_LINES: usize = 1000;

/// `flightdeck action NAME`, as the command line asked for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionCommand {
    pub name: String,
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub task: Option<String>,
    pub container: Option<String>,
    pub alarm: Option<String>,
    pub dry_run: bool,
    pub confirm: Option<String>,
    pub json: bool,
}

/// `action list`: every action, where it is written, its scope and key.
pub fn list(options: &Options, json: bool) -> Result<(), Failure> {
    if json {
        let text = to_json(&options.actions, true).map_err(Failure::failed)?;
        emit(&format!("{text}\n"));
        return Ok(());
    }
    if options.actions.is_empty() {
        emit(
            "no runbook actions: add [[action]] sections to the config, or files of them to its actions/ directory\n",
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = options
        .actions
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                a.scope.as_str().to_string(),
                a.key.clone().unwrap_or_else(|| "-".into()),
                if a.writes { "yes" } else { "no" }.into(),
                a.description.clone(),
                a.source.clone(),
            ]
        })
        .collect();
    let text = super::table::render(
        &[
            "ACTION",
            "SCOPE",
            "KEY",
            "WRITES",
            "DESCRIPTION",
            "DEFINED AT",
        ],
        &rows,
    );
    emit(&sanitize_text(&text));
    Ok(())
}

fn sanitize_text(text: &str) -> String {
    flightdeck_model::text::sanitize_with(text, true)
}

/// What `--json` prints.
#[derive(Debug, Default, serde::Serialize)]
struct Report {
    plan: Option<ActionPlan>,
    /// The exit status, when it ran.
    exit_code: Option<i32>,
    /// Its last lines of output, sanitised.
    stdout: Vec<String>,
    stderr: Vec<String>,
    error: Option<String>,
}

fn refused(e: anyhow::Error) -> Failure {
    Failure {
        exit: Exit::Refused,
        error: e,
    }
}

/// `action NAME`: plan, confirm, audit, run.
pub fn run(options: &Options, command: &ActionCommand) -> Result<(), Failure> {
    let spec = options
        .actions
        .iter()
        .find(|a| a.name == command.name)
        .ok_or_else(|| {
            let names: Vec<&str> = options.actions.iter().map(|a| a.name.as_str()).collect();
            Failure::usage(anyhow!(
                "no action `{}`; there are: {} (see `flightdeck action list`)",
                command.name,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
    runtime.block_on(async {
        let session = Session::start(options, clock.clone(), WorldBuild::Now)
            .await
            .map_err(Failure::usage)?;
        let p = session.single("an action").map_err(Failure::usage)?;
        let mut report = Report::default();
        let result = carry_out(options, spec, p, command, clock.as_ref(), &mut report).await;
        if let Err(e) = &result {
            report.error = Some(format!("{:#}", e.error));
        }
        if command.json {
            let text = to_json(&report, true).map_err(Failure::failed)?;
            emit(&format!("{text}\n"));
        }
        #[cfg(feature = "aws")]
        if spec.writes {
            crate::team::audit::catch_up_or_warn(options).await;
        }
        result
    })
}

/// The values of the action's variables where the command points.
async fn values(
    options: &Options,
    spec: &Spec,
    p: &Provider,
    command: &ActionCommand,
) -> Result<Values, Failure> {
    let info = p.environment();
    let identity = p.reads().caller_identity().await.map_err(Failure::failed)?;
    let profile = options
        .config
        .environment(&info.name)
        .and_then(|e| e.profile.clone())
        .or_else(|| options.aws.profile.clone())
        .or_else(|| options.aws_profile_env.clone())
        .unwrap_or_default();
    let mut values = Values::default();
    values
        .set("env", info.name.clone())
        .set("account", identity.account)
        .set("region", info.region.clone())
        .set("profile", profile);
    let needs = |flag: &str| {
        Failure::usage(anyhow!(
            "the action `{}` is about a {}: give {flag}",
            spec.name,
            spec.scope.as_str()
        ))
    };
    if matches!(spec.scope, Scope::Service | Scope::Task) {
        let service = command
            .service
            .as_deref()
            .ok_or_else(|| needs("--service"))?;
        let cluster = locate_service(p.reads(), command.cluster.as_deref(), service)
            .await
            .map_err(Failure::from)?;
        let described = p
            .reads()
            .services(&cluster)
            .await
            .map_err(Failure::failed)?
            .into_iter()
            .find(|s| s.name == service)
            .ok_or_else(|| Failure::usage(anyhow!("no service `{service}` in {cluster}")))?;
        values
            .set("cluster", cluster)
            .set("service", service)
            .set("task_definition", described.task_definition.to_string());
        if spec.scope == Scope::Task {
            let tasks = p
                .reads()
                .tasks(&described.reference())
                .await
                .map_err(Failure::failed)?;
            let running = |t: &&flightdeck_model::Task| {
                t.last_status == flightdeck_model::TaskStatus::Running
            };
            let task = match &command.task {
                Some(id) => tasks
                    .iter()
                    .find(|t| t.id == *id || t.id.starts_with(id.as_str()))
                    .ok_or_else(|| Failure::usage(anyhow!("no task `{id}` of {service}")))?,
                None => tasks
                    .iter()
                    .find(running)
                    .ok_or_else(|| Failure::usage(anyhow!("{service} has no running task")))?,
            };
            let container = command
                .container
                .clone()
                .or_else(|| task.containers.first().map(|c| c.name.clone()))
                .unwrap_or_default();
            values
                .set("task", task.id.clone())
                .set("container", container);
        }
    }
    if spec.scope == Scope::Alarm {
        let alarm = command.alarm.as_deref().ok_or_else(|| needs("--alarm"))?;
        let known = p.alarms().await.map_err(Failure::failed)?;
        if !known.iter().any(|a| a.name == alarm) {
            return Err(Failure::usage(anyhow!(
                "no alarm `{alarm}` in {}",
                info.name
            )));
        }
        values.set("alarm", alarm);
    }
    Ok(values)
}

async fn carry_out(
    options: &Options,
    spec: &Spec,
    p: &Provider,
    command: &ActionCommand,
    clock: &dyn Clock,
    report: &mut Report,
) -> Result<(), Failure> {
    let info = p.environment();
    let values = values(options, spec, p, command).await?;
    let plan = spec
        .plan(&values, info.production)
        .map_err(|e| Failure::usage(anyhow!("the action `{}`: {e}", spec.name)))?;
    report.plan = Some(plan.clone());
    let say = |text: String| {
        if !command.json {
            emit(&sanitize_text(&text));
        }
    };
    say(format!("{}\n", plan.lines().join("\n")));
    if command.dry_run {
        return Ok(());
    }
    if spec.writes && (options.read_only || info.read_only || p.is_read_only()) {
        return Err(refused(anyhow!(
            "{} is read-only: the action `{}` writes, so it is not run",
            info.name,
            spec.name
        )));
    }
    plan.confirmation()
        .check_word(command.confirm.as_deref())
        .map_err(|e| refused(e.into()))?;
    let audit = options.audit_log();
    let who = p
        .reads()
        .caller_identity()
        .await
        .map(|i| i.arn)
        .unwrap_or_default();
    if spec.writes {
        audit
            .append(&plan.record(clock.now(), Phase::Before, &who, None))
            .map_err(|e| {
                refused(anyhow!(
                    "the audit log cannot be written, so nothing ran: {e}"
                ))
            })?;
    }
    let ran = execute(&plan, spec.tty, command.json, report).await;
    if spec.writes {
        let outcome = match &ran {
            Ok(code) => Ok(*code),
            Err(e) => Err(format!("{e:#}")),
        };
        if let Err(e) = audit.append(&plan.record(clock.now(), Phase::After, &who, Some(outcome))) {
            crate::output::err(format!(
                "flightdeck: the action ran but its outcome is not in the audit log: {e}\n"
            ));
        }
    }
    match ran {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::failed(anyhow!(
            "the action `{}` exited with status {code}",
            spec.name
        ))),
        Err(e) => Err(Failure::failed(e)),
    }
}

/// Runs the plan's command: the terminal handed over (`tty`), or its
/// output streamed a sanitised line at a time (kept for `--json`).
/// Its exit status (a signal's death is -1).
async fn execute(
    plan: &ActionPlan,
    tty: bool,
    json: bool,
    report: &mut Report,
) -> anyhow::Result<i32> {
    use tokio::io::AsyncBufReadExt;
    let (program, args) = plan
        .argv
        .split_first()
        .ok_or_else(|| anyhow!("the action's command is empty"))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .envs(&plan.env)
        .stdin(std::process::Stdio::inherit());
    if tty && !json {
        let status = cmd
            .status()
            .await
            .map_err(|e| anyhow!("cannot run {program}: {e}"))?;
        report.exit_code = Some(status.code().unwrap_or(-1));
        return Ok(status.code().unwrap_or(-1));
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run {program}: {e}"))?;
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(anyhow!("{program}: no output streams"));
    };
    let mut out = tokio::io::BufReader::new(out).lines();
    let mut err = tokio::io::BufReader::new(err).lines();
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        tokio::select! {
            line = out.next_line(), if out_open => match line {
                Ok(Some(l)) => keep(&mut report.stdout, sanitize(&l), json, false),
                _ => out_open = false,
            },
            line = err.next_line(), if err_open => match line {
                Ok(Some(l)) => keep(&mut report.stderr, sanitize(&l), json, true),
                _ => err_open = false,
            },
        }
    }
    let status = child.wait().await?;
    let code = status.code().unwrap_or(-1);
    report.exit_code = Some(code);
    Ok(code)
}

/// One line of output: printed, or kept for `--json` (the last
/// [`KEPT_LINES`]).
fn keep(kept: &mut Vec<String>, line: String, json: bool, stderr: bool) {
    if json {
        if kept.len() == KEPT_LINES {
            kept.remove(0);
        }
        kept.push(line);
    } else if stderr {
        crate::output::err(format!("{line}\n"));
    } else {
        crate::output::out(format!("{line}\n"));
    }
}
