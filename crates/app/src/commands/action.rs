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
use crate::actions::{Ended, Interrupt, Io, Stream};
use crate::options::Options;
use crate::session::{Session, WorldBuild};
use anyhow::anyhow;
use flightdeck_core::action::{ActionPlan, Scope, Spec, Values};
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
    /// The exit status, when it ran and exited.
    exit_code: Option<i32>,
    /// The signal that killed it, when one did.
    signal: Option<i32>,
    /// Whether only the plan was asked for.
    dry_run: bool,
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
        let mut report = Report {
            dry_run: command.dry_run,
            ..Report::default()
        };
        let simulated = session.demo;
        let result = carry_out(
            options,
            spec,
            (p, simulated),
            command,
            clock.as_ref(),
            &mut report,
        )
        .await;
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
    identity: &flightdeck_model::CallerIdentity,
    command: &ActionCommand,
) -> Result<Values, Failure> {
    let info = p.environment();
    let mut values = crate::actions::base_values(
        info,
        &identity.account,
        crate::actions::profile_of(options, &info.name),
    );
    let needs = |flag: &str| {
        Failure::usage(anyhow!(
            "the action `{}` is about {}: give {flag}",
            spec.name,
            spec.scope.with_article()
        ))
    };
    // A flag the scope does not take would be silently dropped: the
    // operator would believe they aimed at what they did not.
    let given = [
        (
            "--service",
            command.service.is_some(),
            matches!(spec.scope, Scope::Service | Scope::Task),
        ),
        (
            "--cluster",
            command.cluster.is_some(),
            matches!(spec.scope, Scope::Service | Scope::Task),
        ),
        ("--task", command.task.is_some(), spec.scope == Scope::Task),
        (
            "--container",
            command.container.is_some(),
            spec.scope == Scope::Task,
        ),
        (
            "--alarm",
            command.alarm.is_some(),
            spec.scope == Scope::Alarm,
        ),
    ];
    if let Some((flag, _, _)) = given.iter().find(|(_, set, takes)| *set && !*takes) {
        return Err(Failure::usage(anyhow!(
            "the action `{}` is about {}: {flag} does not apply",
            spec.name,
            spec.scope.with_article()
        )));
    }
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
                // Its id, its ARN, or six characters or more of its id, as
                // `stop-task` takes it.
                Some(id) if id.len() < 6 => {
                    return Err(Failure::usage(anyhow!(
                        "`{id}`: give the task's id, its ARN or at least 6 characters of its id"
                    )));
                }
                Some(id) => tasks
                    .iter()
                    .find(|t| t.id == *id || t.arn == *id || t.id.starts_with(id.as_str()))
                    .ok_or_else(|| Failure::usage(anyhow!("no task `{id}` of {service}")))?,
                None => tasks
                    .iter()
                    .find(running)
                    .ok_or_else(|| Failure::usage(anyhow!("{service} has no running task")))?,
            };
            let container = match &command.container {
                Some(name) if !task.containers.iter().any(|c| c.name == *name) => {
                    let names: Vec<&str> =
                        task.containers.iter().map(|c| c.name.as_str()).collect();
                    return Err(Failure::usage(anyhow!(
                        "task {} has no container `{name}`: it has {}",
                        task.id,
                        names.join(", ")
                    )));
                }
                Some(name) => name.clone(),
                None => task
                    .containers
                    .first()
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
            };
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
    (p, simulated): (&Provider, bool),
    command: &ActionCommand,
    clock: &dyn Clock,
    report: &mut Report,
) -> Result<(), Failure> {
    let info = p.environment();
    // Who runs it: the account of its variables and the audit's `who`.
    let identity = p.reads().caller_identity().await.map_err(Failure::failed)?;
    let values = values(options, spec, p, &identity, command).await?;
    let mut plan = spec
        .plan(&values, info.production)
        .map_err(|e| Failure::usage(anyhow!("the action `{}`: {e}", spec.name)))?;
    // The simulation is no account: its actions get no AWS credentials.
    crate::actions::simulate(&mut plan, simulated);
    report.plan = Some(plan.clone());
    let say = |text: String| {
        if !command.json {
            emit(&sanitize_text(&text));
        }
    };
    say(format!("{}\n", plan.lines().join("\n")));
    let read_only = spec.writes && (options.read_only || info.read_only || p.is_read_only());
    if command.dry_run {
        if read_only {
            say(format!(
                "  {} is read-only: it would be refused\n",
                info.name
            ));
        }
        return Ok(());
    }
    if read_only {
        return Err(refused(anyhow!(
            "{} is read-only: the action `{}` writes, so it is not run",
            info.name,
            spec.name
        )));
    }
    plan.confirmation()
        .check_word(command.confirm.as_deref())
        .map_err(|e| match e {
            flightdeck_core::ops::Unconfirmed::Wrong { given, word } => refused(anyhow!(
                "confirmation `{given}` is not the {}'s name `{word}`: nothing ran",
                plan.confirmed_by()
            )),
            missing => refused(missing.into()),
        })?;
    let audit = options.audit_log();
    let who = identity.arn;
    if spec.writes {
        crate::actions::record_before(&audit, &plan, &who, clock.now()).map_err(refused)?;
    }
    let ran = execute(&plan, spec.tty, command.json, report).await;
    let outcome = crate::actions::outcome(&ran);
    if spec.writes
        && let Err(e) = crate::actions::record_after(&audit, &plan, &who, clock.now(), &outcome)
    {
        crate::output::err(format!("flightdeck: {e}\n"));
    }
    match outcome {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure::failed(anyhow!(
            "the action `{}` exited with status {code}",
            spec.name
        ))),
        Err(why) => Err(Failure::failed(anyhow!(
            "the action `{}`: {why}",
            spec.name
        ))),
    }
}

/// Runs the plan's command: the terminal handed over (`tty`), or its
/// output streamed a sanitised line at a time (kept for `--json`). Ctrl-C
/// is the command's to answer (the terminal sends it to both): flightdeck
/// waits for it, kills it if it is still there 5 s later, and so always
/// gets to write the record after.
async fn execute(
    plan: &ActionPlan,
    tty: bool,
    json: bool,
    report: &mut Report,
) -> anyhow::Result<Ended> {
    let io = if tty && !json {
        Io::Terminal
    } else {
        Io::Piped
    };
    let interrupted = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let ended = crate::actions::run(plan, io, Interrupt::Sent, interrupted, |stream, l| {
        let l = sanitize(&l);
        match stream {
            Stream::Out => keep(&mut report.stdout, l, json, false),
            Stream::Err => keep(&mut report.stderr, l, json, true),
            Stream::Note => crate::output::err(format!("flightdeck: {l}\n")),
        }
    })
    .await?;
    report.exit_code = match ended {
        Ended::Code(code) => Some(code),
        Ended::Signal(_) => None,
    };
    report.signal = match ended {
        Ended::Signal(s) => Some(s),
        Ended::Code(_) => None,
    };
    Ok(ended)
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
