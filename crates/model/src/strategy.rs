//! How a service deploys: its deployment controller and strategy, with the
//! parameters an operator needs before a deploy (the plan says what will
//! run) and during one (how long a bake lasts, which alarms roll it back).

use serde::Serialize;
use std::fmt;

/// Who runs the service's deployments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Controller {
    /// ECS itself: every strategy below.
    Ecs,
    /// AWS CodeDeploy (blue/green through a deployment group): flightdeck
    /// shows it and leaves deployments to CodeDeploy.
    CodeDeploy,
    /// Someone else's tooling through task sets.
    External,
}

/// How the ECS controller replaces the old revision with the new one.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Strategy {
    /// Tasks replaced a few at a time within the health bounds.
    Rolling {
        minimum_healthy_percent: u32,
        maximum_percent: u32,
    },
    /// The new revision (green) starts beside the old (blue); all traffic
    /// moves at once.
    BlueGreen,
    /// A share of the traffic moves first, the rest after a bake.
    Canary { percent: f64, bake_minutes: u32 },
    /// Traffic moves in equal steps with a bake after each.
    Linear {
        step_percent: f64,
        step_bake_minutes: u32,
    },
}

/// What a lifecycle hook does at its stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HookKind {
    /// ECS calls a Lambda function (smoke tests) and goes on by its answer.
    Lambda,
    /// ECS waits for someone to continue or roll back
    /// (ContinueServiceDeployment): an approval gate.
    Pause,
}

/// A hook ECS runs at stages of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LifecycleHook {
    pub kind: HookKind,
    /// The function's ARN; empty for a pause.
    pub target: String,
    /// The stages it runs at, as ECS names them (`POST_TEST_TRAFFIC_SHIFT`).
    pub stages: Vec<String>,
    /// How long ECS waits for it before its timeout action.
    pub timeout_minutes: Option<u32>,
}

impl LifecycleHook {
    /// `smoke-test` for a function, `pause` for an approval gate.
    pub fn name(&self) -> &str {
        match self.kind {
            HookKind::Pause => "pause",
            HookKind::Lambda => self.target.rsplit(':').next().unwrap_or(&self.target),
        }
    }
}

/// A service's deployment configuration.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct DeploymentConfig {
    pub controller: Controller,
    pub strategy: Strategy,
    /// Minutes both revisions keep running after all traffic moved, before
    /// the old one is removed (blue/green, canary, linear).
    pub bake_minutes: Option<u32>,
    pub hooks: Vec<LifecycleHook>,
    /// CloudWatch alarms whose ALARM rolls the deployment back.
    pub rollback_alarms: Vec<String>,
    /// The deployment circuit breaker, when enabled: whether it rolls back
    /// (`true`) or only stops the deployment.
    pub circuit_breaker: Option<bool>,
    /// Under the CODE_DEPLOY controller: the CodeDeploy
    /// `application/deployment group` that deploys it, when known.
    pub deployment_group: Option<String>,
}

impl Default for DeploymentConfig {
    /// ECS's defaults for a service created without a configuration.
    fn default() -> Self {
        DeploymentConfig {
            controller: Controller::Ecs,
            strategy: Strategy::Rolling {
                minimum_healthy_percent: 100,
                maximum_percent: 200,
            },
            bake_minutes: None,
            hooks: vec![],
            rollback_alarms: vec![],
            circuit_breaker: None,
            deployment_group: None,
        }
    }
}

/// `10`, `12.5`: a percentage without a useless fraction.
fn percent(p: f64) -> String {
    crate::text::trim_float(p)
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Rolling {
                minimum_healthy_percent,
                maximum_percent,
            } => write!(
                f,
                "rolling ({minimum_healthy_percent}-{maximum_percent} % of the desired tasks)"
            ),
            Strategy::BlueGreen => f.write_str(
                "blue/green: the new revision starts beside the old, then all traffic moves",
            ),
            Strategy::Canary {
                percent: p,
                bake_minutes,
            } => write!(
                f,
                "canary {} % for {bake_minutes} min, then 100 %",
                percent(*p)
            ),
            Strategy::Linear {
                step_percent,
                step_bake_minutes,
            } => write!(
                f,
                "linear {} % more every {step_bake_minutes} min",
                percent(*step_percent)
            ),
        }
    }
}

/// The longest bake ECS accepts, in minutes (24 h).
pub const MAX_BAKE_MINUTES: u32 = 1440;

impl Strategy {
    /// Reads the short form an operator types: `rolling`,
    /// `rolling:MIN_HEALTHY:MAX` (percent of desired), `blue-green`,
    /// `canary:PERCENT:MINUTES`, `linear:STEP_PERCENT:MINUTES`; checked
    /// against ECS's limits.
    pub fn parse(text: &str) -> Result<Strategy, String> {
        let parts: Vec<&str> = text.trim().split(':').map(str::trim).collect();
        let number = |what: &str, v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("{what}: `{v}` is not a number"))
        };
        let minutes = |what: &str, v: &str| -> Result<u32, String> {
            v.parse::<u32>()
                .ok()
                .filter(|m| *m <= MAX_BAKE_MINUTES)
                .ok_or_else(|| format!("{what}: `{v}` is not 0 to {MAX_BAKE_MINUTES} minutes"))
        };
        // ECS takes traffic percentages in steps of 0.1.
        let tenths = |what: &str, p: f64, low: f64| -> Result<f64, String> {
            let rounded = (p * 10.0).round() / 10.0;
            if (rounded - p).abs() > 1e-9 || !(low..=100.0).contains(&p) {
                return Err(format!("{what}: {p} must be {low} to 100 in steps of 0.1"));
            }
            Ok(rounded)
        };
        let kind = parts
            .first()
            .copied()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let strategy = match (kind.as_str(), parts.len()) {
            ("rolling", 1) => Strategy::Rolling {
                minimum_healthy_percent: 100,
                maximum_percent: 200,
            },
            ("rolling", 3) => {
                let percent = |what: &str, v: &str| {
                    v.parse::<u32>()
                        .map_err(|_| format!("{what}: `{v}` is not a whole percentage"))
                };
                let minimum_healthy_percent = percent("minimum healthy percent", parts[1])?;
                let maximum_percent = percent("maximum percent", parts[2])?;
                if minimum_healthy_percent > 100 || !(100..=200).contains(&maximum_percent) {
                    return Err(format!(
                        "rolling:{minimum_healthy_percent}:{maximum_percent}: the minimum healthy percent is 0 to 100 and the maximum 100 to 200"
                    ));
                }
                Strategy::Rolling {
                    minimum_healthy_percent,
                    maximum_percent,
                }
            }
            ("blue-green" | "bluegreen" | "blue_green", 1) => Strategy::BlueGreen,
            ("canary", 3) => Strategy::Canary {
                percent: tenths("canary percent", number("canary percent", parts[1])?, 0.1)?,
                bake_minutes: minutes("canary bake", parts[2])?,
            },
            ("linear", 3) => Strategy::Linear {
                step_percent: tenths("linear step", number("linear step", parts[1])?, 3.0)?,
                step_bake_minutes: minutes("linear step bake", parts[2])?,
            },
            _ => {
                return Err(format!(
                    "`{}`: say rolling, rolling:MIN:MAX, blue-green, canary:PERCENT:MINUTES or linear:STEP:MINUTES",
                    text.trim()
                ));
            }
        };
        Ok(strategy)
    }

    /// The short form [`Strategy::parse`] reads.
    pub fn short(&self) -> String {
        match self {
            Strategy::Rolling {
                minimum_healthy_percent,
                maximum_percent,
            } => format!("rolling:{minimum_healthy_percent}:{maximum_percent}"),
            Strategy::BlueGreen => "blue-green".into(),
            Strategy::Canary {
                percent: p,
                bake_minutes,
            } => format!("canary:{}:{bake_minutes}", percent(*p)),
            Strategy::Linear {
                step_percent,
                step_bake_minutes,
            } => format!("linear:{}:{step_bake_minutes}", percent(*step_percent)),
        }
    }

    /// The UpdateService fields that set it, as ECS names them.
    pub fn api_fields(&self) -> String {
        match self {
            Strategy::Rolling {
                minimum_healthy_percent,
                maximum_percent,
            } => format!(
                "strategy=ROLLING minimumHealthyPercent={minimum_healthy_percent} maximumPercent={maximum_percent}"
            ),
            Strategy::BlueGreen => "strategy=BLUE_GREEN".into(),
            Strategy::Canary {
                percent: p,
                bake_minutes,
            } => format!(
                "strategy=CANARY canaryPercent={} canaryBakeTimeInMinutes={bake_minutes}",
                percent(*p)
            ),
            Strategy::Linear {
                step_percent,
                step_bake_minutes,
            } => format!(
                "strategy=LINEAR stepPercent={} stepBakeTimeInMinutes={step_bake_minutes}",
                percent(*step_percent)
            ),
        }
    }

    /// Whether it moves traffic between two revisions (all but rolling).
    pub fn shifts_traffic(&self) -> bool {
        !matches!(self, Strategy::Rolling { .. })
    }
}

impl DeploymentConfig {
    /// How long a deployment waits on purpose: a canary's or each linear
    /// step's bake, and the final bake. So long without a task starting or
    /// stopping is the plan, not a stuck rollout.
    pub fn planned_waits(&self) -> chrono::Duration {
        let minutes = match &self.strategy {
            Strategy::Rolling { .. } => return chrono::Duration::zero(),
            Strategy::BlueGreen => 0.0,
            Strategy::Canary { bake_minutes, .. } => f64::from(*bake_minutes),
            Strategy::Linear {
                step_percent,
                step_bake_minutes,
            } => (100.0 / step_percent.max(1.0)).ceil() * f64::from(*step_bake_minutes),
        } + f64::from(self.bake_minutes.unwrap_or(0));
        chrono::Duration::seconds((minutes * 60.0) as i64)
    }

    /// Whether flightdeck may deploy the service (ECS's own controller).
    pub fn writable(&self) -> bool {
        self.controller == Controller::Ecs
    }

    /// What a deployment of this service does, in words, e.g.
    /// `canary 10 % for 5 min, then 100 %, bake 15 min; rolls back on
    /// radiox-prod-backend-api-response-time`.
    pub fn describe(&self) -> String {
        match self.controller {
            Controller::CodeDeploy => {
                return match &self.deployment_group {
                    Some(group) => format!(
                        "CODE_DEPLOY controller: deployments belong to CodeDeploy deployment group {group}"
                    ),
                    None => "CODE_DEPLOY controller: deployments belong to its CodeDeploy deployment group".into(),
                };
            }
            Controller::External => {
                return "EXTERNAL controller: deployments belong to its own tooling".into();
            }
            Controller::Ecs => {}
        }
        let mut out = self.strategy.to_string();
        if let Some(bake) = self
            .bake_minutes
            .filter(|_| !matches!(self.strategy, Strategy::Rolling { .. }))
        {
            out.push_str(&format!(", bake {bake} min"));
        }
        for hook in &self.hooks {
            match hook.kind {
                HookKind::Lambda => out.push_str(&format!(
                    "; hook {} at {}",
                    hook.name(),
                    hook.stages.join(", ")
                )),
                HookKind::Pause => out.push_str(&format!(
                    "; waits for approval at {}",
                    hook.stages.join(", ")
                )),
            }
        }
        if !self.rollback_alarms.is_empty() {
            out.push_str(&format!(
                "; rolls back on {}",
                self.rollback_alarms.join(", ")
            ));
        }
        match self.circuit_breaker {
            Some(true) => out.push_str("; the circuit breaker rolls back"),
            Some(false) => out.push_str("; the circuit breaker stops it"),
            None => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A strategy read from any text is one ECS accepts, and reads back
    /// the same from its own short form.
    fn check(text: &str) {
        if let Ok(s) = Strategy::parse(text) {
            let again = Strategy::parse(&s.short());
            assert_eq!(again.as_ref(), Ok(&s), "{text:?} -> {}", s.short());
            let _ = s.to_string();
        }
    }

    /// The inputs that once surprised the parser (`fuzz/corpus`).
    #[test]
    fn the_crash_corpus_reads_or_is_refused() {
        for line in include_str!("../../../fuzz/corpus/strategy.txt").lines() {
            check(line);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_short_form_is_a_strategy_ecs_accepts_or_an_error(
            text in "\\PC{0,30}|(rolling|canary|linear|blue-green|CANARY)(:[-+0-9.eEinfa ]{0,14}){0,4}",
        ) {
            check(&text);
        }
    }

    #[test]
    fn each_strategy_says_what_the_operator_will_see() {
        let canary = DeploymentConfig {
            strategy: Strategy::Canary {
                percent: 10.0,
                bake_minutes: 5,
            },
            bake_minutes: Some(15),
            rollback_alarms: vec!["radiox-prod-backend-api-response-time".into()],
            ..DeploymentConfig::default()
        };
        assert_eq!(
            canary.describe(),
            "canary 10 % for 5 min, then 100 %, bake 15 min; rolls back on radiox-prod-backend-api-response-time"
        );
        let rolling = DeploymentConfig {
            circuit_breaker: Some(true),
            bake_minutes: Some(15),
            ..DeploymentConfig::default()
        };
        assert_eq!(
            rolling.describe(),
            "rolling (100-200 % of the desired tasks); the circuit breaker rolls back"
        );
        let blue_green = DeploymentConfig {
            strategy: Strategy::BlueGreen,
            bake_minutes: Some(10),
            hooks: vec![
                LifecycleHook {
                    kind: HookKind::Lambda,
                    target: "arn:aws:lambda:us-east-1:1:function:smoke-test".into(),
                    stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
                    timeout_minutes: None,
                },
                LifecycleHook {
                    kind: HookKind::Pause,
                    target: String::new(),
                    stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
                    timeout_minutes: None,
                },
            ],
            ..DeploymentConfig::default()
        };
        assert_eq!(
            blue_green.describe(),
            "blue/green: the new revision starts beside the old, then all traffic moves, bake 10 min; hook smoke-test at POST_TEST_TRAFFIC_SHIFT; waits for approval at POST_TEST_TRAFFIC_SHIFT"
        );
        let linear = DeploymentConfig {
            strategy: Strategy::Linear {
                step_percent: 12.5,
                step_bake_minutes: 3,
            },
            ..DeploymentConfig::default()
        };
        assert_eq!(linear.describe(), "linear 12.5 % more every 3 min");
        // 8 steps of 3 minutes; a canary's 5 and a bake's 15; nothing rolling.
        assert_eq!(linear.planned_waits(), chrono::Duration::minutes(24));
        assert_eq!(canary.planned_waits(), chrono::Duration::minutes(20));
        assert_eq!(rolling.planned_waits(), chrono::Duration::zero());
        let code_deploy = DeploymentConfig {
            controller: Controller::CodeDeploy,
            ..DeploymentConfig::default()
        };
        assert!(!code_deploy.writable());
        assert!(code_deploy.describe().starts_with("CODE_DEPLOY controller"));
        let named = DeploymentConfig {
            deployment_group: Some("shop/api-prod".into()),
            ..code_deploy
        };
        assert!(named.describe().ends_with("deployment group shop/api-prod"));
    }

    #[test]
    fn the_short_form_reads_every_strategy_and_refuses_what_ecs_refuses() {
        for text in [
            "rolling:50:200",
            "blue-green",
            "canary:10:5",
            "linear:12.5:3",
        ] {
            assert_eq!(Strategy::parse(text).unwrap().short(), text);
        }
        assert_eq!(
            Strategy::parse(" Rolling ").unwrap(),
            Strategy::Rolling {
                minimum_healthy_percent: 100,
                maximum_percent: 200
            }
        );
        assert_eq!(
            Strategy::parse("canary:10:5").unwrap().api_fields(),
            "strategy=CANARY canaryPercent=10 canaryBakeTimeInMinutes=5"
        );
        for (bad, why) in [
            ("canary:0:5", "0.1 to 100"),
            ("canary:10.05:5", "steps of 0.1"),
            ("canary:ten:5", "not a number"),
            ("linear:2:5", "3 to 100"),
            ("linear:10:1441", "0 to 1440 minutes"),
            ("rolling:120:200", "minimum healthy percent is 0 to 100"),
            ("canary:10", "say rolling"),
            ("fast", "say rolling"),
            ("canary:NaN:5", "not a number"),
        ] {
            let e = Strategy::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
