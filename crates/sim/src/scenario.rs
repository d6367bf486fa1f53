//! Incident drills as data: a scenario is a seed environment and a timed
//! script of faults played on the living simulation, with the goal the
//! operator is given and what a good response looks like (for the
//! debrief). The embedded ones live in `crates/sim/scenarios/`; operators
//! add their own in the config directory's `scenarios/`.

use crate::catalog::{EnvSpec, seed_environments};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::Spanned;

/// One drill.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// The seed environment it plays on.
    pub environment: Spanned<String>,
    pub title: String,
    pub description: String,
    /// What the operator is asked to do.
    pub goal: String,
    /// How it ends when nobody acts.
    pub outcome: String,
    /// How long it runs.
    pub minutes: u32,
    pub good: GoodResponse,
    pub steps: Vec<Step>,
}

/// What a good response looked like, minutes from the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoodResponse {
    /// The service where the cause lies: looking at it is finding the cause.
    pub service: String,
    pub acknowledge_minutes: u32,
    pub cause_minutes: u32,
    pub mitigate_minutes: u32,
    /// The cause, in words.
    pub cause: String,
    /// The mitigation, in words.
    pub mitigation: String,
    /// Whether watching ECS roll the service back (its circuit breaker, a
    /// rollback alarm) counts as mitigating: the operator looks at the
    /// service once ECS has rolled it back.
    #[serde(default)]
    pub ecs_rollback_counts: bool,
    /// The team's runbook actions (by name) that mitigate, as a write on
    /// the service does: the team's own fix, run on that service or on
    /// the environment.
    #[serde(default)]
    pub actions: Vec<String>,
}

/// One fault at an offset from the start (`2m`, `90s`; negative for what
/// happened before the drill began: `-3d`).
/// (No `deny_unknown_fields` here: serde cannot combine it with
/// `flatten`; the fault's own fields are checked.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Step {
    #[serde(deserialize_with = "offset")]
    pub at: Duration,
    #[serde(flatten)]
    pub fault: Fault,
}

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// CI deploys the next image of `service` with `tag` in its tag (the
    /// demo's tags: `unhealthy` fails ELB health checks, `broken` cannot be
    /// pulled, `stuck` never gets healthy, `errors` answers 5xx).
    Deploy { service: String, tag: String },
    /// Demand on `service` ramps to `factor` times the usual for `minutes`.
    Demand {
        service: String,
        factor: f64,
        minutes: u32,
    },
    /// An availability zone fails for `minutes`: its tasks stop with host
    /// errors, nothing is placed there, and `unplaceable` services find no
    /// room for their replacements elsewhere.
    AzOutage {
        zone: String,
        minutes: u32,
        #[serde(default)]
        unplaceable: Vec<String>,
    },
    /// `service` answers `latency_factor` times slower for `minutes`; its
    /// `callers` wait on it and answer `caller_errors` percent 5xx.
    SlowDependency {
        service: String,
        callers: Vec<String>,
        latency_factor: f64,
        caller_errors: f64,
        minutes: u32,
    },
    /// Somebody sets `service`'s desired count (and its auto scaling range).
    Scale {
        service: String,
        desired: u32,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
}

/// What is wrong with a scenario file, where it can be located.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// The zones the simulation places tasks in.
pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

fn offset<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_offset(&text).map_err(serde::de::Error::custom)
}

/// How far a step may sit from a drill's start: a month of history
/// before it, a day of drill after it.
pub const OFFSETS: std::ops::RangeInclusive<Duration> = Duration::days(-30)..=Duration::days(1);

/// `90s`, `2m`, `1h`, `-3d`, within [`OFFSETS`].
pub fn parse_offset(text: &str) -> Result<Duration, String> {
    flightdeck_model::duration::parse(text, OFFSETS).map_err(|e| e.to_string())
}

impl Fault {
    /// What it does, in words, for the debrief.
    pub fn describe(&self) -> String {
        match self {
            Fault::Deploy { service, tag } => {
                format!("CI deploys the next image of {service}, tagged {tag}")
            }
            Fault::Demand {
                service,
                factor,
                minutes,
            } => format!("demand on {service} x{factor} for {minutes} min"),
            Fault::AzOutage {
                zone,
                minutes,
                unplaceable,
            } => {
                let mut out = format!("{zone} fails for {minutes} min; its tasks stop");
                if !unplaceable.is_empty() {
                    out.push_str(&format!(
                        "; no room elsewhere for {}",
                        unplaceable.join(", ")
                    ));
                }
                out
            }
            Fault::SlowDependency {
                service,
                callers,
                latency_factor,
                minutes,
                ..
            } => format!(
                "{service} answers {latency_factor}x slower for {minutes} min; {} {} on it",
                callers.join(", "),
                if callers.len() == 1 { "waits" } else { "wait" }
            ),
            Fault::Scale {
                service, desired, ..
            } => format!("somebody sets {service}'s desired count to {desired}"),
        }
    }

    /// The services it names, to check against its environment.
    fn services(&self) -> Vec<&String> {
        match self {
            Fault::Deploy { service, .. }
            | Fault::Demand { service, .. }
            | Fault::Scale { service, .. } => vec![service],
            Fault::AzOutage { unplaceable, .. } => unplaceable.iter().collect(),
            Fault::SlowDependency {
                service, callers, ..
            } => std::iter::once(service).chain(callers).collect(),
        }
    }
}

impl Scenario {
    /// Reads and checks a scenario file's text.
    pub fn parse(source: &str) -> Result<Scenario, ScenarioError> {
        // Bounded before TOML is read: parsed steps take far more memory
        // than their text.
        if source.len() > MAX_SOURCE_BYTES {
            return Err(ScenarioError {
                span: None,
                message: format!(
                    "{} KiB: a drill is at most {} KiB of TOML",
                    source.len() / 1024,
                    MAX_SOURCE_BYTES / 1024
                ),
            });
        }
        let scenario: Scenario = toml::from_str(source).map_err(|e| ScenarioError {
            span: e.span(),
            message: e.message().trim().to_string(),
        })?;
        scenario.check(source)?;
        Ok(scenario)
    }

    /// The seed environment it plays on.
    pub fn environment_spec(&self) -> Option<EnvSpec> {
        seed_environments()
            .into_iter()
            .find(|e| e.name == *self.environment.get_ref())
    }

    fn check(&self, source: &str) -> Result<(), ScenarioError> {
        let at = |s: &Spanned<String>, message: String| ScenarioError {
            span: Some(s.span()),
            message,
        };
        // Values inside the steps lose their spans to serde's tagged enums:
        // the first place the quoted value is written locates them.
        let quoted = |value: &str, message: String| {
            let needle = format!("\"{value}\"");
            ScenarioError {
                span: source
                    .find(&needle)
                    .map(|start| start..start + needle.len()),
                message,
            }
        };
        let Some(env) = self.environment_spec() else {
            let names: Vec<String> = seed_environments().into_iter().map(|e| e.name).collect();
            return Err(at(
                &self.environment,
                format!(
                    "no seed environment `{}`; there are: {}",
                    self.environment.get_ref(),
                    names.join(", ")
                ),
            ));
        };
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ScenarioError {
                span: None,
                message: format!("name `{}`: letters, digits and dashes only", self.name),
            });
        }
        if !env.services.iter().any(|s| s.name == self.good.service) {
            return Err(quoted(
                &self.good.service,
                format!("{} has no service `{}`", env.name, self.good.service),
            ));
        }
        if !(1..=MAX_FAULT_MINUTES).contains(&self.minutes) {
            return Err(ScenarioError {
                span: None,
                message: format!(
                    "minutes = {}: a drill lasts from 1 to {MAX_FAULT_MINUTES} minutes",
                    self.minutes
                ),
            });
        }
        if self.steps.len() > MAX_STEPS {
            return Err(ScenarioError {
                span: None,
                message: format!(
                    "{} steps: a drill has at most {MAX_STEPS}",
                    self.steps.len()
                ),
            });
        }
        for step in &self.steps {
            step.fault
                .check_numbers()
                .map_err(|message| ScenarioError {
                    span: None,
                    message: format!(
                        "step at {}: {message}",
                        flightdeck_model::duration::short(step.at)
                    ),
                })?;
            for service in step.fault.services() {
                if !env.services.iter().any(|s| s.name == *service) {
                    let names: Vec<&str> = env.services.iter().map(|s| s.name.as_str()).collect();
                    return Err(quoted(
                        service,
                        format!(
                            "{} has no service `{service}`; it has: {}",
                            env.name,
                            names.join(", ")
                        ),
                    ));
                }
            }
            if let Fault::AzOutage { zone, .. } = &step.fault
                && !ZONES.contains(&zone.as_str())
            {
                return Err(quoted(
                    zone,
                    format!("no zone `{zone}`; there are: {}", ZONES.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

/// The most text a scenario file may hold.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;
/// The most steps a drill may have.
pub const MAX_STEPS: usize = 500;
/// The longest a fault may last: a day.
pub const MAX_FAULT_MINUTES: u32 = 24 * 60;
/// The largest factor of demand or latency.
pub const MAX_FACTOR: f64 = 1000.0;
/// The most tasks a step may ask for, as ECS allows a service.
pub const MAX_DESIRED: u32 = 10_000;

impl Fault {
    /// The numbers of a step, each within what the world can play.
    fn check_numbers(&self) -> Result<(), String> {
        let minutes = match self {
            Fault::Demand { minutes, .. }
            | Fault::AzOutage { minutes, .. }
            | Fault::SlowDependency { minutes, .. } => Some(*minutes),
            _ => None,
        };
        if let Some(m) = minutes.filter(|m| !(1..=MAX_FAULT_MINUTES).contains(m)) {
            return Err(format!("minutes = {m}: from 1 to {MAX_FAULT_MINUTES}"));
        }
        if let Fault::Demand { factor, .. }
        | Fault::SlowDependency {
            latency_factor: factor,
            ..
        } = self
            && !(*factor > 0.0 && *factor <= MAX_FACTOR)
        {
            return Err(format!(
                "factor {factor} must be a positive number up to {MAX_FACTOR}"
            ));
        }
        if let Fault::SlowDependency { caller_errors, .. } = self
            && !(0.0..=100.0).contains(caller_errors)
        {
            return Err(format!(
                "caller_errors = {caller_errors}: a percentage, 0 to 100"
            ));
        }
        if let Fault::Scale {
            desired, min, max, ..
        } = self
            && let Some(n) = [Some(*desired), *min, *max]
                .into_iter()
                .flatten()
                .find(|n| *n > MAX_DESIRED)
        {
            return Err(format!("{n} tasks: at most {MAX_DESIRED}"));
        }
        Ok(())
    }
}

/// The embedded scenarios, in the order `scenario list` shows them.
const EMBEDDED: [(&str, &str); 5] = [
    ("bad-deploy", include_str!("../scenarios/bad-deploy.toml")),
    (
        "traffic-spike",
        include_str!("../scenarios/traffic-spike.toml"),
    ),
    ("az-outage", include_str!("../scenarios/az-outage.toml")),
    (
        "slow-dependency",
        include_str!("../scenarios/slow-dependency.toml"),
    ),
    (
        "cost-runaway",
        include_str!("../scenarios/cost-runaway.toml"),
    ),
];

/// The scenarios that ship with flightdeck. A broken embedded file is a
/// build mistake the tests catch; it is left out here rather than panic.
pub fn embedded() -> Vec<Scenario> {
    EMBEDDED
        .iter()
        .filter_map(|(name, text)| match Scenario::parse(text) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::error!("embedded scenario {name}: {}", e.message);
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_scenario_parses_and_is_named_like_its_file() {
        for (name, text) in EMBEDDED {
            let s = Scenario::parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(s.name, name);
            assert!(!s.steps.is_empty());
        }
        assert_eq!(embedded().len(), 5);
    }

    #[test]
    fn offsets_read_like_durations() {
        assert_eq!(parse_offset("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_offset("2m"), Ok(Duration::minutes(2)));
        assert_eq!(parse_offset("-3d"), Ok(Duration::days(-3)));
        assert!(parse_offset("soon").is_err());
        assert!(parse_offset("3w").is_err());
        // Never a panic or an overflow: the accepted range, said.
        for huge in ["9999999999999999d", "-9999999999999999d", "5é"] {
            let e = parse_offset(huge).unwrap_err();
            assert!(e.contains("from -30d to 1d"), "{huge}: {e}");
        }
    }

    /// The inputs that once panicked or hung (`fuzz/corpus/scenario`):
    /// refused with a message, never played.
    #[test]
    fn the_crash_corpus_of_scenarios_is_refused() {
        for (name, text) in [
            (
                "huge-offset",
                include_str!("../../../fuzz/corpus/scenario/huge-offset.toml"),
            ),
            (
                "huge-numbers",
                include_str!("../../../fuzz/corpus/scenario/huge-numbers.toml"),
            ),
            (
                "huge-minutes",
                include_str!("../../../fuzz/corpus/scenario/huge-minutes.toml"),
            ),
            (
                "nan-factor",
                include_str!("../../../fuzz/corpus/scenario/nan-factor.toml"),
            ),
        ] {
            let e = Scenario::parse(text).unwrap_err();
            assert!(!e.message.is_empty(), "{name}");
        }
    }

    /// Whatever a drill's text says, it is one the world can play within
    /// its bounds, or an error; never a panic.
    fn check_playable(text: &str) {
        let Ok(s) = Scenario::parse(text) else {
            return;
        };
        assert!(s.steps.len() <= MAX_STEPS);
        assert!((1..=MAX_FAULT_MINUTES).contains(&s.minutes));
        for step in &s.steps {
            assert!(OFFSETS.contains(&step.at), "{:?}", step.at);
            assert!(step.fault.check_numbers().is_ok(), "{:?}", step.fault);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        #[test]
        fn any_scenario_text_is_a_playable_drill_or_an_error(
            which in 0..EMBEDDED.len(),
            at in "\\PC{0,16}|-?[0-9]{1,20} ?[smhdyw]",
            minutes in proptest::prelude::any::<u32>(),
            number in "-?[0-9]{1,12}(\\.[0-9]{1,4})?|nan|inf|1e308",
            noise in "\\PC{0,40}",
        ) {
            let base = EMBEDDED[which].1;
            let at = at.replace(['"', '\\', '\n'], "");
            let mut text = base.to_string();
            if let Some(start) = text.find("at = \"").map(|i| i + 6)
                && let Some(len) = text[start..].find('"')
            {
                text.replace_range(start..start + len, &at);
            }
            let text = text.replacen("minutes = ", &format!("minutes = {minutes}\n# "), 1);
            for field in ["factor = ", "desired = ", "minutes = "] {
                check_playable(&text.replace(field, &format!("{field}{number}\n# ")));
            }
            check_playable(&text);
            check_playable(&format!("{text}\n{noise}"));
            check_playable(&noise);
        }
    }

    #[test]
    fn a_scenario_asking_for_too_much_is_refused_before_it_is_played() {
        let base = EMBEDDED[0].1;
        let steps = base.find("[[steps]]").unwrap();
        let step = &base[steps..];
        let step = &step[..step[1..].find("[[").map_or(step.len(), |i| i + 1)];
        let many = format!("{base}\n{}", step.repeat(MAX_STEPS + 1));
        let e = Scenario::parse(&many).unwrap_err();
        assert!(e.message.contains("at most 500"), "{e:?}");
        let huge = format!("{base}\n# {}\n", "x".repeat(MAX_SOURCE_BYTES));
        let e = Scenario::parse(&huge).unwrap_err();
        assert!(e.message.contains("at most 256 KiB"), "{e:?}");
        for (field, value, says) in [
            ("minutes", "4294967295", "from 1 to 1440"),
            ("factor", "1e308", "up to 1000"),
            ("desired", "4000000000", "at most 10000"),
        ] {
            let text = format!(
                "{base}\n[[steps]]\nat = \"1m\"\nfault = \"{}\"\nservice = \"backend\"\n{}\n",
                if field == "desired" {
                    "scale"
                } else {
                    "demand"
                },
                match field {
                    "minutes" => format!("factor = 2.0\nminutes = {value}"),
                    "factor" => format!("factor = {value}\nminutes = 5"),
                    _ => format!("desired = {value}"),
                }
            );
            let e = Scenario::parse(&text).unwrap_err();
            assert!(e.message.contains(says), "{field}: {e:?}");
        }
    }

    #[test]
    fn a_wrong_service_or_environment_is_located() {
        let text = EMBEDDED[0]
            .1
            .replace("service = \"backend\"", "service = \"backnd\"");
        let e = Scenario::parse(&text).unwrap_err();
        assert!(e.message.contains("no service `backnd`"), "{e:?}");
        let span = e.span.unwrap();
        assert_eq!(&text[span], "\"backnd\"");
        let text = EMBEDDED[0].1.replace("muejam-production", "muejam-prod");
        let e = Scenario::parse(&text).unwrap_err();
        assert!(
            e.message.contains("no seed environment `muejam-prod`"),
            "{e:?}"
        );
        let e = Scenario::parse("name = 3").unwrap_err();
        assert!(e.span.is_some(), "{e:?}");
    }
}
