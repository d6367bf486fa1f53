//! Application Auto Scaling for `ecs:service:DesiredCount`.

use super::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ScalableTarget {
    pub cluster: String,
    pub service: String,
    /// `service/<cluster>/<service>`
    pub resource_id: String,
    pub min: u32,
    pub max: u32,
    pub dynamic_scaling_suspended: bool,
}

impl ScalableTarget {
    pub fn resource_id_for(cluster: &str, service: &str) -> String {
        format!("service/{cluster}/{service}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StepAdjustment {
    pub lower_bound: Option<f64>,
    pub upper_bound: Option<f64>,
    pub adjustment: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum PolicyKind {
    TargetTracking {
        metric: super::ScalingMetric,
        target: f64,
    },
    StepScaling {
        adjustments: Vec<StepAdjustment>,
        cooldown_secs: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    pub resource_id: String,
    pub kind: PolicyKind,
    /// Names of the CloudWatch alarms that invoke this policy.
    pub alarms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ScalingActivity {
    pub id: String,
    pub resource_id: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub status: super::ActivityStatus,
    pub description: String,
    pub cause: String,
}
