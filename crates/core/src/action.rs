//! The team's runbook actions (`[[action]]` in the config, `actions/*.toml`
//! beside it): a command the team names, run with the values of where the
//! operator stands (`{env}`, `{service}`, ...) filled in. Never a shell
//! line: the command is an argument list, each argument expanded on its
//! own, so no value can become two arguments or a second command; a team
//! that wants a shell names `sh -c` itself.
//!
//! A writing action is planned, confirmed and audited like flightdeck's
//! own writes: [`ActionPlan`] is its plan (the expanded command shown
//! exactly), its [`Confirmation`] the same tiers, and [`ActionPlan::record`]
//! its audit records.

use crate::audit::{Outcome, Phase, Record};
use crate::ops::Confirmation;
use flightdeck_model::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an action is about, and so which values it can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Environment,
    Service,
    Task,
    Alarm,
}

/// Every variable an action can name, in the order the docs list them.
pub const VARIABLES: &[&str] = &[
    "env",
    "account",
    "region",
    "profile",
    "cluster",
    "service",
    "task",
    "container",
    "alarm",
    "task_definition",
];

impl Scope {
    /// The variables an action of this scope can name.
    pub fn variables(self) -> &'static [&'static str] {
        const ENV: &[&str] = &["env", "account", "region", "profile"];
        match self {
            Scope::Environment => ENV,
            Scope::Service => &[
                "env",
                "account",
                "region",
                "profile",
                "cluster",
                "service",
                "task_definition",
            ],
            Scope::Task => &[
                "env",
                "account",
                "region",
                "profile",
                "cluster",
                "service",
                "task_definition",
                "task",
                "container",
            ],
            Scope::Alarm => &["env", "account", "region", "profile", "alarm"],
        }
    }

    /// `a service`, `an alarm`.
    pub fn with_article(self) -> &'static str {
        match self {
            Scope::Environment => "an environment",
            Scope::Service => "a service",
            Scope::Task => "a task",
            Scope::Alarm => "an alarm",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Environment => "environment",
            Scope::Service => "service",
            Scope::Task => "task",
            Scope::Alarm => "alarm",
        }
    }
}

/// Why a command's text cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("`{{` is not closed: write `{{{{` for a brace")]
    Unclosed,
    #[error("`}}` without `{{`: write `}}}}` for a brace")]
    Unopened,
    #[error("{{{name}}} is not a variable: {}", VARIABLES.join(", "))]
    Unknown { name: String },
    #[error(
        "{{{name}}} is not known for an action of scope {scope}: it has {}",
        variables_of(scope)
    )]
    OutOfScope { name: String, scope: &'static str },
}

fn variables_of(scope: &str) -> String {
    [
        Scope::Environment,
        Scope::Service,
        Scope::Task,
        Scope::Alarm,
    ]
    .into_iter()
    .find(|s| s.as_str() == scope)
    .map(|s| s.variables().join(", "))
    .unwrap_or_default()
}

/// A piece of a template: text, or a variable's name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(String),
    Variable(&'a str),
}

/// `text` cut into its text and its `{variables}`; `{{` and `}}` are braces.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = vec![];
    let mut literal = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        literal.push_str(&rest[..i]);
        let brace = &rest[i..];
        if let Some(after) = brace.strip_prefix("{{") {
            literal.push('{');
            rest = after;
        } else if let Some(after) = brace.strip_prefix("}}") {
            literal.push('}');
            rest = after;
        } else if brace.starts_with('}') {
            return Err(TemplateError::Unopened);
        } else {
            let end = brace.find('}').ok_or(TemplateError::Unclosed)?;
            if !literal.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut literal)));
            }
            out.push(Piece::Variable(&brace[1..end]));
            rest = &brace[end + 1..];
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        out.push(Piece::Text(literal));
    }
    Ok(out)
}

/// Checks that `text` names only variables an action of `scope` has.
pub fn check(text: &str, scope: Scope) -> Result<(), TemplateError> {
    for piece in pieces(text)? {
        if let Piece::Variable(name) = piece {
            if !VARIABLES.contains(&name) {
                return Err(TemplateError::Unknown { name: name.into() });
            }
            if !scope.variables().contains(&name) {
                return Err(TemplateError::OutOfScope {
                    name: name.into(),
                    scope: scope.as_str(),
                });
            }
        }
    }
    Ok(())
}

/// Where an action runs: the values of its variables. A value the
/// environment does not have (no profile: the default credential chain)
/// expands to nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Values(pub BTreeMap<&'static str, String>);

impl Values {
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.0.insert(name, value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `text` with its variables' values in place.
    pub fn expand(&self, text: &str) -> Result<String, TemplateError> {
        let mut out = String::new();
        for piece in pieces(text)? {
            match piece {
                Piece::Text(t) => out.push_str(&t),
                Piece::Variable(name) => {
                    if !VARIABLES.contains(&name) {
                        return Err(TemplateError::Unknown { name: name.into() });
                    }
                    out.push_str(self.get(name).unwrap_or_default());
                }
            }
        }
        Ok(out)
    }
}

/// An action as the team wrote it, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spec {
    pub name: String,
    pub description: String,
    pub scope: Scope,
    /// The program, then its arguments; each a template.
    pub command: Vec<String>,
    /// More of the process's environment; each value a template (shown
    /// with secrets redacted).
    #[serde(serialize_with = "redacted_env")]
    pub env: BTreeMap<String, String>,
    /// Whether it changes anything: planned, confirmed and audited if so.
    pub writes: bool,
    /// Whether it takes the terminal (an interactive command).
    pub tty: bool,
    /// Its key in the cockpit, as written (`U`, `C-u`).
    pub key: Option<String>,
    /// Where it was written: `config.toml:12`.
    pub source: String,
}

/// An action expanded for one place, ready to be confirmed and run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPlan {
    pub action: String,
    pub scope: Scope,
    pub environment: String,
    pub account: String,
    pub region: String,
    pub production: bool,
    pub writes: bool,
    /// The thing it is about: the service, task, alarm or environment.
    pub target: String,
    pub cluster: String,
    pub service: String,
    /// The task's container (scope task).
    pub container: String,
    /// The program and its arguments, expanded (shown with an argument
    /// shaped like a secret redacted).
    #[serde(serialize_with = "redacted_args")]
    pub argv: Vec<String>,
    /// The process's environment besides the operator's own: the
    /// environment's profile and region, then the action's. Shown and
    /// printed with secrets redacted.
    #[serde(serialize_with = "redacted_env")]
    pub env: BTreeMap<String, String>,
    /// The environment is the simulated production: the command runs with
    /// no AWS credentials, so it cannot reach a real account.
    #[serde(default)]
    pub simulated: bool,
}

/// An environment as it may be shown: a secret's value redacted.
fn redacted_env<S: serde::Serializer>(
    env: &BTreeMap<String, String>,
    out: S,
) -> Result<S::Ok, S::Error> {
    out.collect_map(env.iter().map(|(k, v)| (k, shown_value(k, v))))
}

/// Arguments as they may be shown: one shaped like a secret redacted.
fn redacted_args<S: serde::Serializer>(args: &[String], out: S) -> Result<S::Ok, S::Error> {
    out.collect_seq(flightdeck_model::secrets::shown_args(args))
}

/// A variable's value as it may be shown.
fn shown_value(name: &str, value: &str) -> String {
    if flightdeck_model::secrets::is_secret(name, value).is_some() {
        flightdeck_model::secrets::REDACTED.to_string()
    } else {
        value.to_string()
    }
}

impl Spec {
    /// The action expanded with `values` (which must hold the scope's
    /// target: `service`, `task`, `alarm` or `env`), in an environment whose
    /// profile and region the process is given unless the action sets them.
    pub fn plan(&self, values: &Values, production: bool) -> Result<ActionPlan, TemplateError> {
        let argv = self
            .command
            .iter()
            .map(|arg| values.expand(arg))
            .collect::<Result<Vec<_>, _>>()?;
        let mut env = BTreeMap::new();
        if let Some(profile) = values.get("profile").filter(|p| !p.is_empty()) {
            env.insert("AWS_PROFILE".to_string(), profile.to_string());
        }
        if let Some(region) = values.get("region").filter(|r| !r.is_empty()) {
            env.insert("AWS_REGION".to_string(), region.to_string());
            env.insert("AWS_DEFAULT_REGION".to_string(), region.to_string());
        }
        for (k, v) in &self.env {
            env.insert(k.clone(), values.expand(v)?);
        }
        let get = |name| values.get(name).unwrap_or_default().to_string();
        let target = match self.scope {
            Scope::Environment => get("env"),
            Scope::Service => get("service"),
            Scope::Task => get("task"),
            Scope::Alarm => get("alarm"),
        };
        Ok(ActionPlan {
            action: self.name.clone(),
            scope: self.scope,
            environment: get("env"),
            account: get("account"),
            region: get("region"),
            production,
            writes: self.writes,
            target,
            cluster: get("cluster"),
            service: get("service"),
            container: get("container"),
            argv,
            env,
            simulated: false,
        })
    }
}

impl ActionPlan {
    /// What must be said before it runs: nothing for an action that
    /// changes nothing; the same tiers as flightdeck's own writes for one
    /// that does (the target's name typed in production).
    pub fn confirmation(&self) -> Confirmation {
        // A task's action is confirmed by its service's name, as stopping
        // the task is: nobody types a 32-character task id at 3 a.m.
        let word = match self.scope {
            Scope::Task => self.service.clone(),
            _ => self.target.clone(),
        };
        match (self.writes, self.production) {
            (false, _) => Confirmation::None,
            (true, true) => Confirmation::Typed { word },
            (true, false) => Confirmation::Yes { word },
        }
    }

    /// What the confirmation's word names: `service` for a task's action,
    /// else its scope.
    pub fn confirmed_by(&self) -> &'static str {
        match self.scope {
            Scope::Task => Scope::Service.as_str(),
            scope => scope.as_str(),
        }
    }

    /// The command as one line a shell would read the same way, an
    /// argument shaped like a secret (a token, a key) redacted.
    pub fn command_line(&self) -> String {
        shell_words::join(flightdeck_model::secrets::shown_args(&self.argv))
    }

    /// The plan as text, the same in the cockpit and the command.
    pub fn lines(&self) -> Vec<String> {
        let what = match self.scope {
            Scope::Environment => String::new(),
            _ => format!(" on {} {}", self.scope.as_str(), self.target),
        };
        let mut out = vec![
            format!(
                "run action {}{what} in {}{} (account {}, {})",
                self.action,
                self.environment,
                if self.production { " [PRODUCTION]" } else { "" },
                if self.account.is_empty() {
                    "unknown"
                } else {
                    &self.account
                },
                self.region
            ),
            format!("  command: {}", self.command_line()),
        ];
        if !self.env.is_empty() {
            let env: Vec<String> = self
                .env
                .iter()
                .map(|(k, v)| format!("{k}={}", shell_words::quote(&shown_value(k, v))))
                .collect();
            out.push(format!("  environment: {}", env.join(" ")));
        }
        if self.simulated {
            out.push(
                "  simulated production: it runs with no AWS credentials (AWS_* credentials unset, the AWS config files /dev/null)"
                    .into(),
            );
        }
        out.push(if self.writes {
            "  it writes: confirmed, audited before and after with its exit status".into()
        } else {
            "  it only reads (writes = false): not confirmed, not audited".into()
        });
        out
    }

    /// Its audit record at `phase`: the command as its one call, the exit
    /// status as the result.
    pub fn record(
        &self,
        time: Timestamp,
        phase: Phase,
        who: &str,
        exit: Option<Result<i32, String>>,
    ) -> Record {
        let (result, error) = match exit {
            None => (None, None),
            Some(Ok(0)) => (Some(Outcome::Ok), None),
            Some(Ok(code)) => (Some(Outcome::Error), Some(format!("exit status {code}"))),
            Some(Err(why)) => (Some(Outcome::Error), Some(why)),
        };
        Record {
            time,
            phase,
            who: who.to_string(),
            environment: self.environment.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            operation: format!("action {}", self.action),
            cluster: self.cluster.clone(),
            service: self.service.clone(),
            calls: vec![self.command_line()],
            // What it acted on, where the record has no field for it.
            diff: match self.scope {
                Scope::Service => vec![],
                Scope::Task if self.container.is_empty() => vec![format!("task {}", self.target)],
                Scope::Task => vec![format!(
                    "task {} (container {})",
                    self.target, self.container
                )],
                Scope::Alarm => vec![format!("alarm {}", self.target)],
                Scope::Environment => vec![format!("environment {}", self.target)],
            },
            from_task_definition: String::new(),
            to_task_definition: None,
            deployment_id: None,
            request_ids: vec![],
            result,
            error,
            lease_taken_from: None,
            lease_reason: None,
            task: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(command: &[&str], writes: bool) -> Spec {
        Spec {
            name: "flush-cache".into(),
            description: "flush the cache".into(),
            scope: Scope::Service,
            command: command.iter().map(|s| s.to_string()).collect(),
            env: BTreeMap::from([("CACHE".to_string(), "{service}-cache".to_string())]),
            writes,
            tty: false,
            key: None,
            source: "config.toml:3".into(),
        }
    }

    fn values() -> Values {
        let mut v = Values::default();
        v.set("env", "shop-prod")
            .set("account", "111111111111")
            .set("region", "eu-west-1")
            .set("profile", "shop")
            .set("cluster", "main")
            .set("service", "checkout api");
        v
    }

    #[test]
    fn each_argument_is_expanded_on_its_own_never_split() {
        let plan = spec(
            &["flush", "--service={service}", "{cluster}", "{{literal}}"],
            true,
        )
        .plan(&values(), true)
        .unwrap();
        assert_eq!(
            plan.argv,
            ["flush", "--service=checkout api", "main", "{literal}"],
            "a value with a space stays one argument"
        );
        assert_eq!(
            shell_words::split(&plan.command_line()).unwrap(),
            plan.argv,
            "the line shown is read back as the same arguments"
        );
        assert_eq!(plan.env["AWS_PROFILE"], "shop");
        assert_eq!(plan.env["AWS_REGION"], "eu-west-1");
        assert_eq!(plan.env["CACHE"], "checkout api-cache");
        assert_eq!(plan.target, "checkout api");
    }

    #[test]
    fn a_value_cannot_break_out_of_its_argument() {
        let mut v = values();
        v.set("service", "x'; rm -rf / #");
        let plan = spec(&["echo", "{service}"], true).plan(&v, false).unwrap();
        assert_eq!(plan.argv[1], "x'; rm -rf / #");
        assert_eq!(shell_words::split(&plan.command_line()).unwrap(), plan.argv);
    }

    #[test]
    fn variables_are_checked_against_the_scope() {
        assert_eq!(check("{service}", Scope::Service), Ok(()));
        assert!(matches!(
            check("{task}", Scope::Service),
            Err(TemplateError::OutOfScope { .. })
        ));
        let e = check("{servce}", Scope::Service).unwrap_err().to_string();
        assert!(
            e.contains("{servce} is not a variable") && e.contains("service"),
            "{e}"
        );
        assert_eq!(
            check("{service", Scope::Service),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(check("a}b", Scope::Service), Err(TemplateError::Unopened));
        assert_eq!(check("{{ok}}", Scope::Environment), Ok(()));
    }

    #[test]
    fn secrets_are_shown_redacted_and_given_to_the_process_whole() {
        let mut s = spec(
            &["curl", "-H", "ghp_0123456789abcdefghijklmnopqrstuvwxyz12"],
            true,
        );
        s.env.insert("DB_PASSWORD".into(), "hunter2-{env}".into());
        let plan = s.plan(&values(), false).unwrap();
        assert_eq!(
            plan.env["DB_PASSWORD"], "hunter2-shop-prod",
            "the process gets it"
        );
        let shown = plan.lines().join("\n");
        let json = serde_json::to_string(&plan).unwrap();
        for text in [&shown, &json, &plan.command_line()] {
            assert!(
                !text.contains("hunter2") && !text.contains("ghp_0123"),
                "{text}"
            );
        }
        assert!(!serde_json::to_string(&s).unwrap().contains("hunter2"));
    }

    #[test]
    fn confirmation_follows_the_tiers_of_the_writes() {
        let v = values();
        let word = "checkout api".to_string();
        assert_eq!(
            spec(&["x"], true).plan(&v, true).unwrap().confirmation(),
            Confirmation::Typed { word: word.clone() }
        );
        assert_eq!(
            spec(&["x"], true).plan(&v, false).unwrap().confirmation(),
            Confirmation::Yes { word }
        );
        assert_eq!(
            spec(&["x"], false).plan(&v, true).unwrap().confirmation(),
            Confirmation::None
        );
        // A task's action: its service's name, as stopping the task.
        let mut task = spec(&["x"], true);
        task.scope = Scope::Task;
        let mut v = v;
        v.set("task", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
            .set("container", "app");
        let plan = task.plan(&v, true).unwrap();
        assert_eq!(
            plan.confirmation(),
            Confirmation::Typed {
                word: "checkout api".into()
            }
        );
        assert_eq!(plan.confirmed_by(), "service");
    }

    #[test]
    fn the_audit_records_the_command_and_its_exit_status() {
        let plan = spec(&["flush", "{service}"], true)
            .plan(&values(), true)
            .unwrap();
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-06T03:00:00Z")
            .unwrap()
            .to_utc();
        let after = plan.record(t, Phase::After, "arn:me", Some(Ok(3)));
        assert_eq!(after.operation, "action flush-cache");
        assert_eq!(after.calls, [plan.command_line()]);
        assert_eq!(after.result, Some(Outcome::Error));
        assert_eq!(after.error.as_deref(), Some("exit status 3"));
        assert_eq!(
            plan.record(t, Phase::After, "me", Some(Ok(0))).result,
            Some(Outcome::Ok)
        );
    }
}
