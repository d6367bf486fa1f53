//! Running a runbook action, the same for `flightdeck action` and the
//! cockpit: the variables every scope has (environment, account, region,
//! profile), the process (its output read a sanitised line at a time, or
//! the terminal handed over), and its audit records before and after.

use crate::options::Options;
use anyhow::anyhow;
use flightdeck_core::action::{ActionPlan, Scope, Values};
use flightdeck_core::ops::{AuditLog, Phase};
use flightdeck_core::provider::Provider;
use flightdeck_model::EnvironmentInfo;
use flightdeck_model::Timestamp;
use std::time::Duration;

/// How long an interrupted action has to stop before it is killed.
pub const GRACE: Duration = Duration::from_secs(5);

/// The longest line of an action's output kept; the rest of it is dropped
/// (said so), so a command printing one endless line costs bounded memory.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Where a line of an action's run comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
    /// flightdeck's own word about the run (interrupted, killed).
    Note,
}

/// How the action's process ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ended {
    Code(i32),
    Signal(i32),
}

impl std::fmt::Display for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ended::Code(code) => write!(f, "exit status {code}"),
            Ended::Signal(signal) => write!(f, "killed by signal {signal}"),
        }
    }
}

impl From<std::process::ExitStatus> for Ended {
    fn from(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Ended::Code(code),
            (None, Some(signal)) => Ended::Signal(signal),
            (None, None) => Ended::Code(-1),
        }
    }
}

/// A run's outcome as the audit keeps it: the exit status, or why there
/// is none.
pub fn outcome(ran: &anyhow::Result<Ended>) -> Result<i32, String> {
    match ran {
        Ok(Ended::Code(code)) => Ok(*code),
        Ok(ended) => Err(ended.to_string()),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// The AWS profile of environment `env`: its config section's, else the
/// one flightdeck runs with; empty without one.
pub fn profile_of(options: &Options, env: &str) -> String {
    options
        .config
        .environment(env)
        .and_then(|e| e.profile.clone())
        .or_else(|| options.aws.profile.clone())
        .or_else(|| options.aws_profile_env.clone())
        .unwrap_or_default()
}

/// The variables of every scope where `info` is: `{env}`, `{account}`,
/// `{region}`, `{profile}` (see [`profile_of`]).
pub fn base_values(info: &EnvironmentInfo, account: &str, profile: String) -> Values {
    let mut values = Values::default();
    values
        .set("env", info.name.clone())
        .set("account", account.to_string())
        .set("region", info.region.clone())
        .set("profile", profile);
    values
}

/// The audit record before a writing action runs; nothing runs when it
/// cannot be written.
pub fn record_before(
    audit: &AuditLog,
    plan: &ActionPlan,
    who: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    audit
        .append(&plan.record(now, Phase::Before, who, None))
        .map_err(|e| anyhow!("the audit log cannot be written, so nothing ran: {e}"))
}

/// The audit record after a writing action ran, with its outcome.
pub fn record_after(
    audit: &AuditLog,
    plan: &ActionPlan,
    who: &str,
    now: Timestamp,
    outcome: &Result<i32, String>,
) -> anyhow::Result<()> {
    audit
        .append(&plan.record(now, Phase::After, who, Some(outcome.clone())))
        .map_err(|e| anyhow!("the action ran but its outcome is not in the audit log: {e}"))
}

/// What running an action needs besides its plan.
#[derive(Clone)]
pub struct Context {
    pub audit: AuditLog,
    pub clock: std::sync::Arc<dyn flightdeck_model::clock::Clock>,
}

/// The action's plan where `target` points: the variables of its scope,
/// expanded for the caller's account.
pub async fn plan_at(
    spec: &flightdeck_core::action::Spec,
    profile: String,
    provider: Option<&Provider>,
    target: &flightdeck_tui::app::actions::Target,
    simulated: bool,
) -> Result<ActionPlan, String> {
    let name = &spec.name;
    let p = provider.ok_or_else(|| "no such environment".to_string())?;
    let info = p.environment();
    let identity = p
        .caller_identity()
        .await
        .map_err(|e| format!("who runs it is not known: {e}"))?;
    let mut values: Values = base_values(info, &identity.account, profile);
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
    let mut plan = spec
        .plan(&values, info.production)
        .map_err(|e| format!("the action `{name}`: {e}"))?;
    simulate(&mut plan, simulated);
    Ok(plan)
}

/// Runs a plan as the caller, a writing one audited before and after;
/// in the simulation only said. Its exit status, or why there is none.
pub async fn audited(
    context: &Context,
    plan: &ActionPlan,
    provider: Option<&Provider>,
    io: Io,
    interrupted: impl std::future::Future<Output = ()>,
    mut line: impl FnMut(Stream, String),
) -> Result<i32, String> {
    // Read-only holds here too, below the cockpit's own check.
    if plan.writes && provider.is_some_and(Provider::is_read_only) {
        return Err(format!(
            "{} is read-only: the action `{}` writes, so it is not run",
            plan.environment, plan.action
        ));
    }
    let who = match provider {
        Some(p) => p
            .caller_identity()
            .await
            .map(|id| id.arn)
            .map_err(|e| format!("who runs it is not known, so nothing ran: {e}"))?,
        None => return Err("no such environment: nothing ran".into()),
    };
    let Context { audit, clock } = context;
    if plan.writes {
        record_before(audit, plan, &who, clock.now()).map_err(|e| format!("{e:#}"))?;
    }
    let interrupt = match io {
        Io::Piped => Interrupt::Terminate,
        Io::Terminal => Interrupt::Sent,
    };
    let ran = run(plan, io, interrupt, interrupted, &mut line).await;
    let outcome = outcome(&ran);
    if plan.writes
        && let Err(e) = record_after(audit, plan, &who, clock.now(), &outcome)
    {
        line(Stream::Note, format!("{e:#}"));
    }
    outcome
}

/// Marks a plan of the simulated production's: it runs without AWS
/// credentials, and its plan shows no variable the process will not get.
pub fn simulate(plan: &mut ActionPlan, simulated: bool) {
    plan.simulated = simulated;
    if simulated {
        for name in NO_CREDENTIALS {
            plan.env.remove(name);
        }
    }
}

/// The variables that give the AWS CLI and SDKs credentials, a profile or
/// somewhere else to call, removed from a simulated environment's action.
const NO_CREDENTIALS: [&str; 14] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_SSO_SESSION",
    "AWS_CA_BUNDLE",
];

/// What an interruption of a running action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// The terminal already sent the action Ctrl-C (the command line):
    /// wait for it, kill it after [`GRACE`].
    Sent,
    /// Nothing reached it (the cockpit's cancel): SIGTERM to its process
    /// group, SIGKILL after [`GRACE`].
    Terminate,
}

/// How the action's process is given its input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Io {
    /// Its output read a line at a time (stdin closed).
    Piped,
    /// The terminal as it is (`tty = true`).
    Terminal,
}

/// Runs the plan's command, never through a shell. Each line of its output
/// goes to `line` (bytes that are not UTF-8 replaced, at most 64 KiB of a
/// line; not yet sanitised: the caller shows it through its one output
/// path). When `interrupted` resolves the action is interrupted as
/// `interrupt` says; the run still ends with how the process ended.
pub async fn run(
    plan: &ActionPlan,
    io: Io,
    interrupt: Interrupt,
    interrupted: impl std::future::Future<Output = ()>,
    mut line: impl FnMut(Stream, String),
) -> anyhow::Result<Ended> {
    let (program, args) = plan
        .argv
        .split_first()
        .ok_or_else(|| anyhow!("the action's command is empty"))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).envs(&plan.env).kill_on_drop(true);
    if plan.simulated {
        // The simulation's environments are no account: nothing the
        // operator's shell holds may reach a real one.
        for name in NO_CREDENTIALS {
            cmd.env_remove(name);
        }
        cmd.env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true");
    }
    if interrupt == Interrupt::Terminate {
        // A group of its own: a cancel reaches what it started (`sh -c`'s
        // children), and the cockpit's terminal sends it nothing.
        cmd.process_group(0);
    }
    if io == Io::Piped {
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot run {program}: {e}"))?;
    let group = child.id();
    let (mut out, mut err) = match (child.stdout.take(), child.stderr.take()) {
        (Some(out), Some(err)) => (
            Some(Lines::new(tokio::io::BufReader::new(out))),
            Some(Lines::new(tokio::io::BufReader::new(err))),
        ),
        _ => (None, None),
    };
    let (mut out_open, mut err_open) = (out.is_some(), err.is_some());
    let mut interrupted = std::pin::pin!(interrupted);
    let mut kill_at: Option<tokio::time::Instant> = None;
    let mut asked = false;
    let status = loop {
        tokio::select! {
            got = next_line(&mut out), if out_open => match got {
                Ok(Some(l)) => line(Stream::Out, l),
                _ => out_open = false,
            },
            got = next_line(&mut err), if err_open => match got {
                Ok(Some(l)) => line(Stream::Err, l),
                _ => err_open = false,
            },
            status = child.wait(), if !out_open && !err_open => break status?,
            () = &mut interrupted, if !asked => {
                asked = true;
                if interrupt == Interrupt::Terminate {
                    signal_group(group, Signal::Terminate);
                }
                line(Stream::Note, format!("interrupted: waiting for the action to stop ({} s, then it is killed)", GRACE.as_secs()));
                kill_at = Some(tokio::time::Instant::now() + GRACE);
            },
            () = tokio::time::sleep_until(kill_at.unwrap_or_else(tokio::time::Instant::now)), if kill_at.is_some() => {
                line(Stream::Note, "the action did not stop: killed".into());
                if interrupt == Interrupt::Terminate {
                    signal_group(group, Signal::Kill);
                }
                let _ = child.start_kill();
                kill_at = None;
            },
        }
    };
    Ok(Ended::from(status))
}

async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<Lines<R>>,
) -> std::io::Result<Option<String>> {
    match lines.as_mut() {
        Some(lines) => lines.next().await,
        None => Ok(None),
    }
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Terminate,
    Kill,
}

/// Sends `signal` to the process group an action leads.
fn signal_group(leader: Option<u32>, signal: Signal) {
    use nix::sys::signal::{Signal as S, killpg};
    let Some(pid) = leader.and_then(|p| i32::try_from(p).ok()) else {
        return;
    };
    let signal = match signal {
        Signal::Terminate => S::SIGTERM,
        Signal::Kill => S::SIGKILL,
    };
    if let Err(e) = killpg(nix::unistd::Pid::from_raw(pid), signal) {
        tracing::debug!("signal to the action's group {pid}: {e}");
    }
}

/// An output stream read a line at a time, bytes that are not UTF-8
/// replaced, at most [`MAX_LINE_BYTES`] of a line. What a line has so far
/// is kept here, not in the future reading it: a read given up for the
/// other stream's line (a `select!`) loses nothing.
pub struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    cut: bool,
}

impl<R: tokio::io::AsyncBufRead + Unpin> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines {
            input,
            buf: vec![],
            cut: false,
        }
    }

    /// The next line; `None` at the end.
    pub async fn next(&mut self) -> std::io::Result<Option<String>> {
        use tokio::io::AsyncBufReadExt;
        loop {
            let available = self.input.fill_buf().await?;
            if available.is_empty() {
                if self.buf.is_empty() && !self.cut {
                    return Ok(None);
                }
                break;
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let part = &available[..newline.unwrap_or(available.len())];
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            self.cut |= part.len() > room;
            self.buf.extend_from_slice(&part[..part.len().min(room)]);
            let used = newline.map_or(available.len(), |i| i + 1);
            self.input.consume(used);
            if newline.is_some() {
                break;
            }
        }
        let mut line = String::from_utf8_lossy(&self.buf).into_owned();
        if self.cut {
            line.push_str(" … (the rest of this line is left out)");
        }
        self.buf.clear();
        self.cut = false;
        Ok(Some(line))
    }
}
