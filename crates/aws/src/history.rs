//! ECS's service-deployment history: ListServiceDeployments, then
//! DescribeServiceDeployments for the details and DescribeServiceRevisions
//! for the task definition each revision ran.

use super::AwsProvider;
use super::ecs::task_def_ref;
use super::errors::Action;
use super::time::{from_sdk_opt, to_sdk};
use aws_sdk_ecs::types as ecs;
use flightdeck_core::provider::Result;
use flightdeck_model::{
    HookRun, HookStatus, HookTarget, HookTimeoutAction, LifecycleStage, ServiceDeployment,
    ServiceDeploymentStatus, TaskDefRef, Timestamp,
};
use std::collections::HashMap;

/// ListServiceDeployments answers up to 100 a page.
const LIST_PAGE: i32 = 100;
/// DescribeServiceDeployments and DescribeServiceRevisions take 20 ARNs.
const DESCRIBE_BATCH: usize = 20;
/// Deployments read per service: enough for any incident window.
const MOST: usize = 40;

impl AwsProvider {
    pub(super) async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        since: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        let ecs = self.clients.ecs();
        let mut arns = vec![];
        let mut token = None;
        loop {
            let page = ecs
                .list_service_deployments()
                .cluster(cluster)
                .service(service)
                .created_at(ecs::CreatedAt::builder().after(to_sdk(since)).build())
                .max_results(LIST_PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(self.fail(Action("ecs:ListServiceDeployments")))?;
            arns.extend(
                page.service_deployments()
                    .iter()
                    .filter_map(|d| d.service_deployment_arn().map(str::to_string)),
            );
            token = page.next_token().map(str::to_string);
            if token.is_none() || arns.len() >= MOST {
                break;
            }
        }
        arns.truncate(MOST);
        let mut described = vec![];
        for batch in arns.chunks(DESCRIBE_BATCH) {
            let out = ecs
                .describe_service_deployments()
                .set_service_deployment_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(self.fail(Action("ecs:DescribeServiceDeployments")))?;
            described.extend(out.service_deployments().iter().cloned());
        }
        let revisions = self.revision_task_definitions(&described).await?;
        let mut deployments: Vec<ServiceDeployment> = described
            .iter()
            .filter_map(|d| service_deployment(d, &revisions))
            .collect();
        deployments.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        Ok(deployments)
    }

    /// The task definition of every service revision the deployments name.
    async fn revision_task_definitions(
        &self,
        deployments: &[ecs::ServiceDeployment],
    ) -> Result<HashMap<String, TaskDefRef>> {
        let mut arns: Vec<String> = deployments
            .iter()
            .flat_map(|d| {
                d.target_service_revision()
                    .into_iter()
                    .chain(d.source_service_revisions())
                    .filter_map(|r| r.arn().map(str::to_string))
            })
            .collect();
        arns.sort();
        arns.dedup();
        let mut out = HashMap::new();
        for batch in arns.chunks(DESCRIBE_BATCH) {
            let described = self
                .clients
                .ecs()
                .describe_service_revisions()
                .set_service_revision_arns(Some(batch.to_vec()))
                .send()
                .await
                .map_err(self.fail(Action("ecs:DescribeServiceRevisions")))?;
            for r in described.service_revisions() {
                if let (Some(arn), Some(td)) = (
                    r.service_revision_arn(),
                    r.task_definition().and_then(task_def_ref),
                ) {
                    out.insert(arn.to_string(), td);
                }
            }
        }
        Ok(out)
    }
}

fn service_deployment(
    d: &ecs::ServiceDeployment,
    revisions: &HashMap<String, TaskDefRef>,
) -> Option<ServiceDeployment> {
    let revision = |r: &ecs::ServiceRevisionSummary| revisions.get(r.arn()?).cloned();
    Some(ServiceDeployment {
        arn: d.service_deployment_arn()?.to_string(),
        status: ServiceDeploymentStatus::parse(d.status().map_or("", |s| s.as_str())),
        status_reason: d.status_reason().map(str::to_string),
        target: d.target_service_revision().and_then(revision),
        sources: d
            .source_service_revisions()
            .iter()
            .filter_map(revision)
            .collect(),
        created_at: from_sdk_opt(d.created_at())?,
        started_at: from_sdk_opt(d.started_at()),
        finished_at: from_sdk_opt(d.finished_at()).or(from_sdk_opt(d.stopped_at())),
        rollback_reason: d.rollback().and_then(|r| r.reason()).map(str::to_string),
        circuit_breaker_failures: d
            .deployment_circuit_breaker()
            .map(|c| u32::try_from(c.failure_count()).unwrap_or(0)),
        triggered_alarms: d
            .alarms()
            .map(|a| a.triggered_alarm_names().to_vec())
            .unwrap_or_default(),
        stage: d
            .lifecycle_stage()
            .map(|s| LifecycleStage::parse(s.as_str())),
        traffic_on_target: d
            .target_service_revision()
            .and_then(|r| r.requested_production_traffic_weight()),
        hooks: d.lifecycle_hook_details().iter().map(hook_run).collect(),
    })
}

/// One hook's run: a Lambda function by its name, a pause as `pause`.
fn hook_run(h: &ecs::DeploymentLifecycleHookDetail) -> HookRun {
    let target = h.target_arn().unwrap_or_default();
    let name = match h.target_type() {
        Some(ecs::DeploymentLifecycleHookTargetType::Pause) => HookTarget::Pause,
        _ => HookTarget::Function(target.rsplit(':').next().unwrap_or(target).to_string()),
    };
    HookRun {
        id: h.hook_id().map(str::to_string),
        name,
        status: HookStatus::parse(h.status().map_or("", |s| s.as_str())),
        expires_at: from_sdk_opt(h.expires_at()),
        timeout_action: h
            .timeout_action()
            .map(|a| HookTimeoutAction::parse(a.as_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A canary in its bake, as DescribeServiceDeployments documents it:
    /// the stage, the traffic on the new revision, a hook's result.
    #[test]
    fn a_deployment_in_progress_says_its_stage_traffic_and_hooks() {
        let target = "arn:aws:ecs:us-east-1:1:service-revision/c/api/2";
        let source = "arn:aws:ecs:us-east-1:1:service-revision/c/api/1";
        let d = ecs::ServiceDeployment::builder()
            .service_deployment_arn("arn:aws:ecs:us-east-1:1:service-deployment/c/api/x")
            .status(ecs::ServiceDeploymentStatus::InProgress)
            .created_at(aws_smithy_types::DateTime::from_secs(1_800_000_000))
            .lifecycle_stage(ecs::ServiceDeploymentLifecycleStage::BakeTime)
            .target_service_revision(
                ecs::ServiceRevisionSummary::builder()
                    .arn(target)
                    .requested_production_traffic_weight(10.0)
                    .build(),
            )
            .source_service_revisions(ecs::ServiceRevisionSummary::builder().arn(source).build())
            .lifecycle_hook_details(
                ecs::DeploymentLifecycleHookDetail::builder()
                    .target_arn("arn:aws:lambda:us-east-1:1:function:smoke")
                    .target_type(ecs::DeploymentLifecycleHookTargetType::AwsLambda)
                    .status(ecs::DeploymentLifecycleHookStatus::Succeeded)
                    .build(),
            )
            .lifecycle_hook_details(
                ecs::DeploymentLifecycleHookDetail::builder()
                    .hook_id("hook-1")
                    .target_type(ecs::DeploymentLifecycleHookTargetType::Pause)
                    .status(ecs::DeploymentLifecycleHookStatus::AwaitingAction)
                    .expires_at(aws_smithy_types::DateTime::from_secs(1_800_001_800))
                    .timeout_action(ecs::DeploymentLifecycleHookAction::Rollback)
                    .build(),
            )
            .build();
        let revisions = HashMap::from([
            (target.to_string(), TaskDefRef::new("api", 2)),
            (source.to_string(), TaskDefRef::new("api", 1)),
        ]);
        let read = service_deployment(&d, &revisions).unwrap();
        assert_eq!(read.status, ServiceDeploymentStatus::InProgress);
        assert_eq!(read.stage, Some(LifecycleStage::BakeTime));
        assert_eq!(read.traffic_on_target, Some(10.0));
        assert_eq!(read.target, Some(TaskDefRef::new("api", 2)));
        assert_eq!(read.sources, [TaskDefRef::new("api", 1)]);
        assert_eq!(
            read.hooks[0],
            HookRun::new(HookTarget::Function("smoke".into()), HookStatus::Succeeded)
        );
        let pause = read.waiting_hook().unwrap();
        assert_eq!(pause.id.as_deref(), Some("hook-1"));
        assert_eq!(
            pause.to_string(),
            "pause AWAITING_ACTION (ROLLBACK at 08:30 UTC)"
        );
    }
}
