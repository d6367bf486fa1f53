//! A one-off task (ECS RunTask): a command in one container of a
//! service's task definition, started where and how the service starts its
//! tasks, outside the service (its desired count and deployments stay).

use flightdeck_model::{LaunchType, Placement, TaskDefRef};
use serde::{Deserialize, Serialize};

/// What ECS records as the starter of the tasks flightdeck runs
/// (`startedBy`), to find them again (`aws ecs list-tasks --started-by`).
pub const STARTED_BY: &str = "flightdeck";

/// One RunTask call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneOffTask {
    pub cluster: String,
    /// The service it is started for (its task definition, network and
    /// capacity), for the plan and the audit; ECS does not link the two.
    pub service: String,
    pub task_definition: TaskDefRef,
    /// Used when the placement names no capacity providers.
    pub launch_type: LaunchType,
    pub placement: Placement,
    /// The container whose command is overridden.
    pub container: String,
    /// The command, one argument a word (never a shell line). Shown and
    /// serialised with an argument shaped like a secret redacted.
    #[serde(serialize_with = "redacted")]
    pub command: Vec<String>,
    /// Task-level CPU units and memory (MiB) overrides.
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
}

fn redacted<S: serde::Serializer>(args: &[String], out: S) -> Result<S::Ok, S::Error> {
    out.collect_seq(flightdeck_model::secrets::shown_args(args))
}

impl OneOffTask {
    /// The command as one shell line, a secret-shaped argument redacted.
    pub fn command_line(&self) -> String {
        shell_words::join(flightdeck_model::secrets::shown_args(&self.command))
    }

    /// How it is placed, in words: `capacity FARGATE_SPOT (weight 1)` or
    /// `launch type FARGATE`, then its network.
    pub fn describe_placement(&self) -> String {
        let p = &self.placement;
        let mut out = if p.capacity_providers.is_empty() {
            format!("launch type {}", self.launch_type)
        } else {
            let items: Vec<String> = p
                .capacity_providers
                .iter()
                .map(|c| {
                    if c.base > 0 {
                        format!("{} (base {}, weight {})", c.name, c.base, c.weight)
                    } else {
                        format!("{} (weight {})", c.name, c.weight)
                    }
                })
                .collect();
            format!("capacity providers {}", items.join(", "))
        };
        if let Some(v) = &p.platform_version {
            out.push_str(&format!(", platform {v}"));
        }
        if p.has_network() {
            out.push_str(&format!(
                "; subnets {}; security groups {}; public IP {}",
                p.subnets.join(", "),
                if p.security_groups.is_empty() {
                    "the VPC's default".to_string()
                } else {
                    p.security_groups.join(", ")
                },
                if p.assign_public_ip == Some(true) {
                    "on"
                } else {
                    "off"
                }
            ));
        }
        out
    }
}
