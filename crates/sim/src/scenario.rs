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

/// `90s`, `2m`, `1h`, `-3d`.
pub fn parse_offset(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (negative, t) = t.strip_prefix('-').map_or((false, t), |rest| (true, rest));
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an offset like 90s, 2m, 1h or -3d"))?;
    let d = match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => return Err(format!("`{text}` is not an offset like 90s, 2m, 1h or -3d")),
    };
    Ok(if negative { -d } else { d })
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
                "{service} answers {latency_factor}x slower for {minutes} min; {} wait on it",
                callers.join(", ")
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
        for step in &self.steps {
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
            if let Fault::Demand { factor, .. }
            | Fault::SlowDependency {
                latency_factor: factor,
                ..
            } = &step.fault
                && !(*factor > 0.0 && factor.is_finite())
            {
                return Err(ScenarioError {
                    span: None,
                    message: format!("factor {factor} must be a positive number"),
                });
            }
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
