//! Application Auto Scaling for `ecs:service:DesiredCount`: targets,
//! policies, activities, RegisterScalableTarget.

use super::AwsProvider;
use super::errors::Action;
use super::time::{from_sdk, from_sdk_opt};
use aws_sdk_applicationautoscaling::operation::RequestId;
use aws_sdk_applicationautoscaling::types::{
    self as aas, ScalableDimension, ServiceNamespace, SuspendedState,
};
use flightdeck_core::provider::{ProviderError, Result, TargetUpdate, Written};
use flightdeck_model::{
    ActivityStatus, PolicyKind, ScalableTarget, ScalingActivity, ScalingMetric, ScalingPolicy,
    StepAdjustment,
};

/// Activities kept for the scaling pane, newest first.
const ACTIVITIES: usize = 100;

/// `service/<cluster>/<service>` -> `(cluster, service)`.
pub fn split_resource_id(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("service/")?;
    rest.split_once('/')
}

impl AwsProvider {
    pub(super) async fn list_scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        let targets: Vec<aas::ScalableTarget> = self
            .clients
            .autoscaling()
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("application-autoscaling:DescribeScalableTargets")))?;
        Ok(targets
            .iter()
            .filter(|t| t.scalable_dimension() == &ScalableDimension::EcsServiceDesiredCount)
            .filter_map(target)
            .filter(|t| self.wants_cluster(&t.cluster))
            .collect())
    }

    pub(super) async fn list_scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        let policies: Vec<aas::ScalingPolicy> = self
            .clients
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .into_paginator()
            .items()
            .send()
            .collect::<std::result::Result<_, _>>()
            .await
            .map_err(self.fail(Action("application-autoscaling:DescribeScalingPolicies")))?;
        Ok(policies
            .iter()
            .filter(|p| {
                split_resource_id(p.resource_id()).is_some_and(|(c, _)| self.wants_cluster(c))
            })
            .filter_map(policy)
            .collect())
    }

    pub(super) async fn list_scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        let mut pages = self
            .clients
            .autoscaling()
            .describe_scaling_activities()
            .service_namespace(ServiceNamespace::Ecs)
            .into_paginator()
            .items()
            .send();
        let mut activities = Vec::new();
        while activities.len() < ACTIVITIES {
            let Some(item) = pages.next().await else {
                break;
            };
            let a = item
                .map_err(self.fail(Action("application-autoscaling:DescribeScalingActivities")))?;
            if split_resource_id(a.resource_id()).is_some_and(|(c, _)| self.wants_cluster(c)) {
                activities.push(ScalingActivity {
                    id: a.activity_id().to_string(),
                    resource_id: a.resource_id().to_string(),
                    started_at: from_sdk(a.start_time()),
                    ended_at: from_sdk_opt(a.end_time()),
                    status: ActivityStatus::parse(a.status_code().as_str()),
                    description: a.description().to_string(),
                    cause: a.cause().to_string(),
                });
            }
        }
        activities.sort_by_key(|a| std::cmp::Reverse(a.started_at));
        Ok(activities)
    }

    pub(super) async fn register_target(
        &self,
        cluster: &str,
        service: &str,
        update: &TargetUpdate,
    ) -> Result<Written<ScalableTarget>> {
        let resource_id = ScalableTarget::resource_id_for(cluster, service);
        let suspended = update.suspend_dynamic_scaling.map(|s| {
            SuspendedState::builder()
                .dynamic_scaling_in_suspended(s)
                .dynamic_scaling_out_suspended(s)
                .build()
        });
        let registered = self
            .clients
            .autoscaling()
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource_id)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_min_capacity(update.min.map(|m| m as i32))
            .set_max_capacity(update.max.map(|m| m as i32))
            .set_suspended_state(suspended)
            .send()
            .await
            .map_err(self.fail(Action("application-autoscaling:RegisterScalableTarget")))?;
        let target = self
            .list_scalable_targets()
            .await?
            .into_iter()
            .find(|t| t.resource_id == resource_id)
            .ok_or_else(|| ProviderError::NotFound(format!("scalable target {resource_id}")))?;
        Ok(Written::new(
            target,
            registered.request_id().map(str::to_string),
        ))
    }
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn target(t: &aas::ScalableTarget) -> Option<ScalableTarget> {
    let (cluster, service) = split_resource_id(t.resource_id())?;
    let suspended = t.suspended_state().is_some_and(|s| {
        s.dynamic_scaling_in_suspended().unwrap_or(false)
            || s.dynamic_scaling_out_suspended().unwrap_or(false)
    });
    Some(ScalableTarget {
        cluster: cluster.to_string(),
        service: service.to_string(),
        resource_id: t.resource_id().to_string(),
        min: count(t.min_capacity()),
        max: count(t.max_capacity()),
        dynamic_scaling_suspended: suspended,
    })
}

fn policy(p: &aas::ScalingPolicy) -> Option<ScalingPolicy> {
    let kind = if let Some(tt) = p.target_tracking_scaling_policy_configuration() {
        let metric = match (
            tt.predefined_metric_specification(),
            tt.customized_metric_specification(),
        ) {
            (Some(pre), _) => ScalingMetric::parse(pre.predefined_metric_type().as_str()),
            (None, Some(custom)) => {
                ScalingMetric::Other(custom.metric_name().unwrap_or("custom metric").to_string())
            }
            (None, None) => ScalingMetric::Other("unknown metric".to_string()),
        };
        PolicyKind::TargetTracking {
            metric,
            target: tt.target_value(),
        }
    } else {
        let step = p.step_scaling_policy_configuration()?;
        PolicyKind::StepScaling {
            adjustments: step
                .step_adjustments()
                .iter()
                .map(|a| StepAdjustment {
                    lower_bound: a.metric_interval_lower_bound(),
                    upper_bound: a.metric_interval_upper_bound(),
                    adjustment: a.scaling_adjustment(),
                })
                .collect(),
            cooldown_secs: step.cooldown().map(count).unwrap_or(0),
        }
    };
    Some(ScalingPolicy {
        name: p.policy_name().to_string(),
        resource_id: p.resource_id().to_string(),
        kind,
        alarms: p
            .alarms()
            .iter()
            .map(|a| a.alarm_name().to_string())
            .collect(),
    })
}
