//! `flightdeck doctor`: what would stop the cockpit, and how to fix it. The
//! config; per environment its region, who it signs in as, its SSO login,
//! its clock against AWS's, whether its endpoint answers and every read a
//! pane makes (one cheap call each, a refusal naming the IAM action); on
//! this machine, `session-manager-plugin` and the terminal. Exit 0 when
//! nothing fails, 1 otherwise; `--json` for scripts.

use super::{Exit, Failure};
use crate::options::{Flags, Options};
use anyhow::anyhow;
use flightdeck_core::provider::{LogQuery, ProviderError, ReadProvider};
use flightdeck_model::clock::{Clock, SystemClock};
use flightdeck_model::text::sanitize;
use serde::Serialize;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

/// One thing looked at.
#[derive(Debug, Serialize)]
pub struct Check {
    /// `config`, an environment's name, `machine` or `terminal`.
    pub scope: String,
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do about it, or how to change what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Default)]
struct Report(Vec<Check>);

impl Report {
    fn add(&mut self, scope: &str, check: &'static str, status: Status, detail: impl Into<String>) {
        self.0.push(Check {
            scope: scope.to_string(),
            check,
            status,
            detail: detail.into(),
            fix: None,
        });
    }

    fn fix(&mut self, fix: impl Into<String>) {
        if let Some(last) = self.0.last_mut() {
            last.fix = Some(fix.into());
        }
    }

    fn failed(&self) -> bool {
        self.0.iter().any(|c| c.status == Status::Fail)
    }
}

/// How far the clock may be from AWS's: SigV4 refuses requests more than
/// five minutes off; a minute is already worth knowing.
#[cfg(feature = "aws")]
const SKEW_FAIL_SECS: i64 = 300;
#[cfg(feature = "aws")]
const SKEW_WARN_SECS: i64 = 60;

pub fn run(flags: &Flags, json: bool) -> Result<(), Failure> {
    let mut report = Report::default();
    let options = match Options::load(flags, None) {
        Ok(options) => {
            let path = &options.paths.config_file;
            let detail = if path.exists() {
                format!("{}: ok", path.display())
            } else if options.demo {
                format!("no config file at {} (the demo needs none)", path.display())
            } else {
                format!(
                    "no config file at {}: one environment on the default credential chain",
                    path.display()
                )
            };
            report.add("config", "config", Status::Ok, detail);
            Some(options)
        }
        Err(e) => {
            report.add("config", "config", Status::Fail, format!("{e:#}"));
            report.fix("correct the file at the place named (`flightdeck config check`)");
            None
        }
    };
    if let Some(options) = &options {
        let runtime = crate::runtime::async_runtime().map_err(Failure::failed)?;
        runtime.block_on(environments(options, &mut report));
    }
    machine(&mut report);
    terminal(&mut report);
    if json {
        let value = serde_json::json!({ "ok": !report.failed(), "checks": report.0 });
        let text = super::table::json(&value, true).map_err(Failure::failed)?;
        super::table::emit(&format!("{text}\n"));
    } else {
        print(&report);
    }
    if report.failed() {
        Err(Failure {
            exit: Exit::Failed,
            error: anyhow!("doctor found what would stop the cockpit (FAIL above)"),
        })
    } else {
        Ok(())
    }
}

fn print(report: &Report) {
    let scope_width = report.0.iter().map(|c| c.scope.len()).max().unwrap_or(0);
    let check_width = report.0.iter().map(|c| c.check.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in &report.0 {
        let status = match c.status {
            Status::Ok => "ok",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!(
            "{:scope_width$}  {status:4}  {:check_width$}  {}\n",
            sanitize(&c.scope),
            c.check,
            sanitize(&c.detail)
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!(
                "{:scope_width$}        {:check_width$}  fix: {}\n",
                "",
                "",
                sanitize(fix)
            ));
        }
    }
    super::table::emit(&out);
}

/// Whether writes to `name` need the typed confirmation, and why: the
/// config, the simulation's seed, or nothing said (production by default,
/// with how to mark an environment that is not).
fn production(
    options: &Options,
    production: bool,
    name: &str,
    discovered: Option<&crate::discover::Discovered>,
    report: &mut Report,
) {
    let section = options.config.environment(name);
    if section.is_none()
        && let Some(found) = discovered
    {
        let file = options.paths.config_file.display();
        match &found.not_production_by {
            Some(rule) => report.add(
                name,
                "production",
                Status::Ok,
                format!("not production (discovered: {rule})"),
            ),
            None => {
                report.add(
                    name,
                    "production",
                    Status::Ok,
                    "production (discovered, no rule of its [[discover]] section says otherwise): writes confirmed by typing the service's name",
                );
                report.fix(format!(
                    "if it is not production, give its [[discover]] section in {file} a rule that matches it: not_production (names), not_production_tags or not_production_ous"
                ));
            }
        }
        return;
    }
    let said = section.is_some_and(|s| !s.production_by_default());
    let (detail, by_default) = match (production, said) {
        (true, true) => (
            "production (config): writes confirmed by typing the service's name",
            false,
        ),
        (false, true) => ("not production (config: production = false)", false),
        (false, false) => ("not production (the simulation's seed)", false),
        (true, false) if options.demo => ("production (the simulation's seed)", false),
        (true, false) => (
            "production by default: nothing says otherwise, so writes are confirmed by typing the service's name",
            true,
        ),
    };
    report.add(name, "production", Status::Ok, detail);
    if by_default {
        let file = options.paths.config_file.display();
        report.fix(if section.is_some() {
            format!("if it is not production, add `production = false` to its [[environment]] section in {file}")
        } else {
            format!("if it is not production, name it in {file} with `production = false`: [[environment]] name = \"{name}\"")
        });
    }
}

/// Every environment of the run, one after the other.
async fn environments(options: &Options, report: &mut Report) {
    if options.demo {
        let clock: std::sync::Arc<dyn flightdeck_model::clock::Clock> =
            std::sync::Arc::new(flightdeck_model::clock::SystemClock);
        match crate::session::Session::demo(options, clock, crate::session::WorldBuild::Now) {
            Ok(session) => {
                for p in &session.providers {
                    let name = p.environment().name.clone();
                    report.add(&name, "region", Status::Ok, "simulated production");
                    production(options, p.environment().production, &name, None, report);
                    reads(p.reads(), &name, report).await;
                }
            }
            Err(e) => report.add("demo", "simulation", Status::Fail, format!("{e:#}")),
        }
        return;
    }
    aws_environments(options, report).await;
}

#[cfg(feature = "aws")]
async fn aws_environments(options: &Options, report: &mut Report) {
    use flightdeck_aws::AwsProvider;
    let clock: std::sync::Arc<dyn flightdeck_model::clock::Clock> =
        std::sync::Arc::new(flightdeck_model::clock::SystemClock);
    // Discovery fails as a check of its own; the configured environments
    // are still checked.
    let discovered = match crate::discover::environments(options, clock.now(), false).await {
        Ok(found) => {
            if !options.config.discover.is_empty() {
                report.add(
                    "config",
                    "discovery",
                    Status::Ok,
                    format!("{} environments discovered", found.len()),
                );
            }
            found
        }
        Err(e) => {
            report.add("config", "discovery", Status::Fail, format!("{e:#}"));
            vec![]
        }
    };
    let settings = match crate::session::aws_settings(options, &discovered) {
        Ok(settings) => settings,
        Err(e) => {
            report.add("config", "environments", Status::Fail, format!("{e:#}"));
            return;
        }
    };
    for s in settings {
        let name = s.name.clone();
        let profile = s.profile.clone();
        let profile_words = profile
            .as_deref()
            .map_or("the default credential chain".to_string(), |p| {
                format!("profile {p}")
            });
        let p = match AwsProvider::connect(s, clock.clone()).await {
            Ok(p) => p,
            Err(e) => {
                report.add(&name, "region", Status::Fail, e.to_string());
                report.fix(if options.config.environments.is_empty() {
                    "no config names an environment: set AWS_REGION or --region (or `region` in a profile), or `flightdeck config init` to write one; `flightdeck demo` runs the cockpit on the simulated production without AWS"
                } else {
                    "set `region` in the environment's config section, in the profile, AWS_REGION or --region"
                });
                continue;
            }
        };
        let region = p.environment().region.clone();
        report.add(
            &name,
            "region",
            Status::Ok,
            format!("{region}, {profile_words}"),
        );
        let found = discovered.iter().find(|d| d.name == name);
        production(options, p.environment().production, &name, found, report);
        sso(&name, profile.as_deref(), report).await;
        if !identity(&p, &name, profile.as_deref(), &profile_words, report).await {
            continue;
        }
        clock_skew(&p, &name, report).await;
        reads(&p, &name, report).await;
    }
}

/// The profile's SSO login, when it uses one: there, unexpired, and not
/// about to expire.
#[cfg(feature = "aws")]
async fn sso(name: &str, profile: Option<&str>, report: &mut Report) {
    use flightdeck_aws::doctor::{SsoLogin, sso_login};
    match sso_login(profile).await {
        SsoLogin::NotSso => {}
        SsoLogin::NoToken { start_url } => {
            report.add(
                name,
                "sso login",
                Status::Fail,
                format!("no SSO login for {start_url}"),
            );
            report.fix(login_fix(profile));
        }
        SsoLogin::Expires { start_url, at } => {
            let left = at - SystemClock.now();
            if left <= chrono::Duration::zero() {
                report.add(
                    name,
                    "sso login",
                    Status::Fail,
                    format!(
                        "the SSO login for {start_url} expired at {}",
                        at.to_rfc3339()
                    ),
                );
                report.fix(login_fix(profile));
            } else {
                let status = if left < chrono::Duration::hours(1) {
                    Status::Warn
                } else {
                    Status::Ok
                };
                report.add(
                    name,
                    "sso login",
                    status,
                    format!("valid for {} min more ({start_url})", left.num_minutes()),
                );
                if status == Status::Warn {
                    report.fix(login_fix(profile));
                }
            }
        }
    }
}

/// Who the credentials are; whether the other checks can go on.
#[cfg(feature = "aws")]
async fn identity(
    p: &flightdeck_aws::AwsProvider,
    name: &str,
    profile: Option<&str>,
    profile_words: &str,
    report: &mut Report,
) -> bool {
    use flightdeck_core::provider::ReadProvider;
    let identity = p.caller_identity().await;
    match &identity {
        Ok(id) => report.add(
            name,
            "identity",
            Status::Ok,
            format!("account {} as {}", id.account, id.arn),
        ),
        Err(e) => {
            report.add(name, "identity", Status::Fail, e.to_string());
            report.fix(match e {
                ProviderError::Network(_) => {
                    "check the network: a proxy (HTTPS_PROXY), a VPC endpoint, --endpoint-url"
                        .to_string()
                }
                _ => format!(
                    "check the credentials of {profile_words} (`aws sts get-caller-identity{}`)",
                    profile
                        .map(|p| format!(" --profile {p}"))
                        .unwrap_or_default()
                ),
            });
        }
    }
    identity.is_ok()
}

/// The local clock against AWS's: requests signed 5 minutes off are refused.
#[cfg(feature = "aws")]
async fn clock_skew(p: &flightdeck_aws::AwsProvider, name: &str, report: &mut Report) {
    match p.clock_skew().await {
        Ok(Some(skew)) => {
            let secs = skew.num_seconds();
            let status = match secs.abs() {
                s if s >= SKEW_FAIL_SECS => Status::Fail,
                s if s >= SKEW_WARN_SECS => Status::Warn,
                _ => Status::Ok,
            };
            report.add(
                name,
                "clock",
                status,
                format!(
                    "{} s {} AWS",
                    secs.abs(),
                    if secs > 0 { "behind" } else { "ahead of" }
                ),
            );
            if status != Status::Ok {
                report.fix("synchronise the clock (NTP: `timedatectl set-ntp true`); AWS refuses requests signed more than 5 minutes off");
            }
        }
        Ok(None) => report.add(
            name,
            "clock",
            Status::Warn,
            "AWS's answer had no Date to compare with",
        ),
        Err(e) => report.add(name, "clock", Status::Warn, e.to_string()),
    }
}

#[cfg(not(feature = "aws"))]
async fn aws_environments(_options: &Options, report: &mut Report) {
    report.add(
        "config",
        "environments",
        Status::Fail,
        "this flightdeck was built without the `aws` feature",
    );
}

#[cfg(feature = "aws")]
fn login_fix(profile: Option<&str>) -> String {
    format!(
        "aws sso login{}",
        profile
            .map(|p| format!(" --profile {p}"))
            .unwrap_or_default()
    )
}

/// One cheap call per pane's read; a refusal names its IAM action.
async fn reads(p: &dyn ReadProvider, env: &str, report: &mut Report) {
    let mut record = |check: &'static str, result: Result<String, ProviderError>| match result {
        Ok(detail) => report.add(env, check, Status::Ok, detail),
        Err(ProviderError::AccessDenied { action }) => {
            report.add(env, check, Status::Fail, format!("not allowed: {action}"));
            report.fix(format!(
                "allow {action} to this identity (README: Read-only IAM policy)"
            ));
        }
        Err(e @ ProviderError::Network(_)) => {
            report.add(env, check, Status::Fail, e.to_string());
            report.fix("check the network: a proxy (HTTPS_PROXY), a VPC endpoint, --endpoint-url");
        }
        Err(e) => report.add(env, check, Status::Fail, e.to_string()),
    };
    let clusters = p.clusters().await;
    // Unreachable, the other reads would only say so again.
    if let Err(e @ ProviderError::Network(_)) = &clusters {
        record("endpoint", Err(e.clone()));
        return;
    }
    record("endpoint", Ok("answers".into()));
    let first = clusters
        .as_ref()
        .ok()
        .and_then(|c| c.first())
        .map(|c| c.name.clone());
    record(
        "clusters",
        clusters.map(|c| format!("{} cluster(s)", c.len())),
    );
    let services = match &first {
        Some(cluster) => p.services(cluster).await,
        None => Ok(vec![]),
    };
    let service = services.as_ref().ok().and_then(|s| s.first()).cloned();
    record(
        "services",
        services.map(|s| format!("{} service(s) in the first cluster", s.len())),
    );
    if let Some(svc) = &service {
        record(
            "tasks",
            p.tasks(&svc.reference())
                .await
                .map(|t| format!("{} task(s) of {}", t.len(), svc.name)),
        );
        let logs = match p.task_definition(&svc.task_definition).await {
            Ok(td) => {
                let source = svc.log_source(Some(&td));
                let query = LogQuery {
                    log_group: source.group.clone(),
                    stream_prefix: source.stream_prefix,
                    since: SystemClock.now() - chrono::Duration::minutes(5),
                    filter: None,
                    limit: 1,
                    live: false,
                };
                match p.log_events(&query).await {
                    Ok(_) => Ok(format!("read {}", source.group)),
                    // A group that does not exist was still allowed to be read.
                    Err(ProviderError::NotFound(_)) => Ok(format!(
                        "{} does not exist (allowed to read it)",
                        source.group
                    )),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        record("logs", logs);
    }
    record(
        "scaling",
        p.scalable_targets()
            .await
            .map(|t| format!("{} scalable target(s)", t.len())),
    );
    record(
        "alarms",
        p.alarms().await.map(|a| format!("{} alarm(s)", a.len())),
    );
    record(
        "changes",
        p.write_events(SystemClock.now() - chrono::Duration::hours(1))
            .await
            .map(|w| format!("{} write(s) in the last hour (CloudTrail)", w.len())),
    );
    record(
        "costs",
        p.costs(1)
            .await
            .map(|_| "read (Cost Explorer; cached for 6 h)".to_string()),
    );
}

/// `session-manager-plugin`, for ECS Exec.
fn machine(report: &mut Report) {
    match crate::attach::find_plugin() {
        Some(path) => report.add(
            "machine",
            "exec plugin",
            Status::Ok,
            format!("{}", path.display()),
        ),
        None => {
            report.add(
                "machine",
                "exec plugin",
                Status::Warn,
                "session-manager-plugin is not on the PATH: ECS Exec (x) cannot open a shell",
            );
            report.fix("install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html");
        }
    }
}

/// The terminal the cockpit would draw on: size, colours, UTF-8.
fn terminal(report: &mut Report) {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if !crate::output::terminal().is_terminal() {
        report.add(
            "terminal",
            "size",
            Status::Warn,
            "stdout is not a terminal: the cockpit needs one (commands work anywhere)",
        );
    } else {
        match crossterm::terminal::size() {
            Ok((w, h)) if w >= 80 && h >= 24 => {
                report.add("terminal", "size", Status::Ok, format!("{w}x{h}"))
            }
            Ok((w, h))
                if w >= flightdeck_tui::ui::MIN_WIDTH && h >= flightdeck_tui::ui::MIN_HEIGHT =>
            {
                report.add(
                    "terminal",
                    "size",
                    Status::Warn,
                    format!("{w}x{h}: works, 80x24 or more shows it all"),
                )
            }
            // A pseudo-terminal nobody gave a size (some CI runners, `ssh`
            // without a pty request): not a window to enlarge.
            Ok((0, _) | (_, 0)) => report.add(
                "terminal",
                "size",
                Status::Warn,
                "the terminal does not say its size (0x0): the cockpit takes the size it is given when it starts",
            ),
            Ok((w, h)) => {
                report.add(
                    "terminal",
                    "size",
                    Status::Fail,
                    format!(
                        "{w}x{h}: the cockpit needs at least {}x{}",
                        flightdeck_tui::ui::MIN_WIDTH,
                        flightdeck_tui::ui::MIN_HEIGHT
                    ),
                );
                report.fix("enlarge the window");
            }
            Err(e) => report.add("terminal", "size", Status::Warn, e.to_string()),
        }
    }
    let colours = if var("NO_COLOR").is_some() {
        "none: NO_COLOR is set (the monochrome theme)".to_string()
    } else {
        match (var("COLORTERM"), var("TERM")) {
            (Some(c), _) if c == "truecolor" || c == "24bit" => "24-bit".into(),
            (_, Some(t)) if t.contains("256color") => "256".into(),
            (_, Some(t)) if t == "dumb" => "none (TERM=dumb)".into(),
            (_, Some(t)) => format!("basic (TERM={t})"),
            (_, None) => "unknown: TERM is not set".into(),
        }
    };
    report.add("terminal", "colours", Status::Ok, colours);
    let locale = var("LC_ALL")
        .or_else(|| var("LC_CTYPE"))
        .or_else(|| var("LANG"))
        .unwrap_or_default();
    let upper = locale.to_ascii_uppercase();
    if upper.contains("UTF-8") || upper.contains("UTF8") {
        report.add("terminal", "utf-8", Status::Ok, locale);
    } else {
        report.add(
            "terminal",
            "utf-8",
            Status::Warn,
            format!(
                "the locale ({}) is not UTF-8: arrows and lines may show as ?",
                if locale.is_empty() { "unset" } else { &locale }
            ),
        );
        report.fix("export LANG=C.UTF-8 (or your language's UTF-8 locale)");
    }
}
