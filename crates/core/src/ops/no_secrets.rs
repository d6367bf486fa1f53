//! Plans never hold a secret value: not in their text, their JSON
//! (`--json`, recordings) nor the audit record made from them, because the
//! diff redacts where it is built.

use super::execute::record;
use super::plan::{Operation, Plan};
use super::planner::plan;
use crate::audit::Phase;
use crate::fixtures::{leaked, leaked_changed, service, t0, task_definition};
use crate::provider::{
    ChangeReads, CostReads, EcsReads, LogQuery, LogReads, MonitoringReads, ProviderError,
    ReadProvider, Result, ScalingReads, WriteAnswer, WriteCall, WriteProvider, Written,
};
use async_trait::async_trait;
use flightdeck_model::{
    Alarm, AlarmHistoryItem, CallerIdentity, Cluster, CostReport, EnvironmentInfo, LogEvent,
    MetricQuery, MetricSeries, RolloutState, ScalableTarget, ScalingActivity, ScalingPolicy,
    Service, ServiceDeployment, TargetGroupSeries, Task, TaskDefRef, TaskDefinition, Timestamp,
    WriteEvent,
};

/// One service `c/api` running `api:7`; `api:6` before it. Reads a plan
/// does not make, and every write, fail.
struct Stub {
    info: EnvironmentInfo,
    revisions: Vec<TaskDefinition>,
}

impl Stub {
    fn new() -> Self {
        let leaked = leaked();
        let old: Vec<(&str, &str)> = leaked
            .iter()
            .map(|(n, v, _)| (n.as_str(), v.as_str()))
            .collect();
        let changed = leaked_changed();
        let new: Vec<(&str, &str)> = changed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        Stub {
            info: EnvironmentInfo {
                name: "shop-prod".into(),
                region: "us-east-1".into(),
                production: true,
                read_only: false,
            },
            revisions: vec![
                task_definition(6, "acme/api:v1", &old),
                task_definition(7, "acme/api:v2", &new),
            ],
        }
    }
}

fn not_here<T>() -> Result<T> {
    Err(ProviderError::Other("not read by a plan".into()))
}

#[async_trait]
impl ReadProvider for Stub {
    fn environment(&self) -> &EnvironmentInfo {
        &self.info
    }
    async fn caller_identity(&self) -> Result<CallerIdentity> {
        not_here()
    }
}

#[async_trait]
impl EcsReads for Stub {
    async fn clusters(&self) -> Result<Vec<Cluster>> {
        not_here()
    }
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        let mut svc = service("api", 2, 2, RolloutState::Completed, 0);
        svc.placement.subnets = vec!["subnet-a".into()];
        Ok(if svc.cluster == cluster {
            vec![svc]
        } else {
            vec![]
        })
    }
    async fn tasks(&self, _: &flightdeck_model::ServiceRef) -> Result<Vec<Task>> {
        not_here()
    }
    async fn task(&self, _: &str, _: &str) -> Result<Task> {
        not_here()
    }
    async fn task_definition(&self, reference: &TaskDefRef) -> Result<TaskDefinition> {
        self.revisions
            .iter()
            .find(|td| &td.reference == reference)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(reference.to_string()))
    }
    async fn task_definition_revisions(&self, _: &str) -> Result<Vec<TaskDefRef>> {
        not_here()
    }
    async fn service_deployments(
        &self,
        _: &flightdeck_model::ServiceRef,
        _: Timestamp,
    ) -> Result<Vec<ServiceDeployment>> {
        Ok(vec![])
    }
}

#[async_trait]
impl ScalingReads for Stub {
    async fn scalable_targets(&self) -> Result<Vec<ScalableTarget>> {
        Ok(vec![])
    }
    async fn scaling_policies(&self) -> Result<Vec<ScalingPolicy>> {
        not_here()
    }
    async fn scaling_activities(&self) -> Result<Vec<ScalingActivity>> {
        not_here()
    }
}

#[async_trait]
impl MonitoringReads for Stub {
    async fn alarms(&self) -> Result<Vec<Alarm>> {
        not_here()
    }
    async fn alarm_history(&self, _: &str) -> Result<Vec<AlarmHistoryItem>> {
        not_here()
    }
    async fn metrics(
        &self,
        _: &[MetricQuery],
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<MetricSeries>> {
        not_here()
    }
    async fn target_group_metrics(
        &self,
        _: &[String],
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<TargetGroupSeries>> {
        not_here()
    }
}

#[async_trait]
impl LogReads for Stub {
    async fn log_events(&self, _: &LogQuery) -> Result<Vec<LogEvent>> {
        not_here()
    }
}

#[async_trait]
impl ChangeReads for Stub {
    async fn write_events(&self, _: Timestamp) -> Result<Vec<WriteEvent>> {
        not_here()
    }
}

#[async_trait]
impl CostReads for Stub {
    async fn costs(&self, _: u32) -> Result<CostReport> {
        not_here()
    }
}

#[async_trait]
impl WriteProvider for Stub {
    async fn write(&self, _: &WriteCall) -> Result<Written<WriteAnswer>> {
        not_here()
    }
}

/// Everything a plan is shown or kept as: its JSON, its text, the audit
/// records before and after.
fn every_form(plan: &Plan) -> String {
    let before = record(plan, "arn:aws:iam::1:user/maria", Phase::Before, t0());
    let after = record(plan, "arn:aws:iam::1:user/maria", Phase::After, t0());
    [
        serde_json::to_string(plan).unwrap(),
        plan.lines().join("\n"),
        serde_json::to_string(&before).unwrap(),
        serde_json::to_string(&after).unwrap(),
    ]
    .join("\n")
}

fn assert_no_secret(text: &str) {
    for (name, value, secret) in leaked() {
        assert!(!text.contains(&secret), "{name}'s {secret:?} in:\n{text}");
        assert!(!text.contains(&value), "{name}'s value in:\n{text}");
    }
    for (_, value) in leaked_changed() {
        assert!(!text.contains(&value), "{value:?} in:\n{text}");
    }
}

/// A deploy of new images: its task definition has every leaked shape, and
/// no value of them is anywhere in the plan.
#[tokio::test]
async fn a_deploy_plan_holds_no_secret_value() {
    let stub = Stub::new();
    let op = Operation::Deploy {
        cluster: "c".into(),
        service: "api".into(),
        images: vec![("api".into(), "acme/api:v3".into())],
        force: false,
    };
    let plan = plan(&stub, "123456789012", op, None).await.unwrap();
    let text = every_form(&plan);
    assert!(
        text.contains("acme/api:v3") || text.contains("v3"),
        "{text}"
    );
    assert_no_secret(&text);
}

/// A rollback shows the revisions' diff: every leaked variable changed,
/// each says so, and no value of them is anywhere in the plan.
#[tokio::test]
async fn a_rollback_plan_says_which_secrets_change_and_holds_none() {
    let stub = Stub::new();
    let op = Operation::Rollback {
        cluster: "c".into(),
        service: "api".into(),
        to: Some(6),
    };
    let plan = plan(&stub, "123456789012", op, None).await.unwrap();
    let text = every_form(&plan);
    assert_no_secret(&text);
    for (name, _, _) in leaked() {
        let line = format!("env api.{name}: ****** (redacted) -> ****** (changed)");
        assert!(text.contains(&line), "no {line:?} in:\n{text}");
    }
    // The secret reference stays: an ARN names a secret, it is not one.
    let json = serde_json::to_string(&plan).unwrap();
    assert!(!json.contains("secret DB_PASSWORD"), "unchanged: {json}");
}

/// A one-off task's command carries secrets in each shape an operator
/// types them: none is in the plan, its AWS CLI line, its JSON or the
/// audit record.
#[tokio::test]
async fn a_run_task_plan_holds_no_secret_of_its_command() {
    let stub = Stub::new();
    let mut command = vec!["bin/report".to_string()];
    for (name, value, _) in leaked() {
        // `--name value` and `NAME=value`, quoted for the shell line.
        command.push(format!("--{}", name.to_lowercase().replace('_', "-")));
        command.push(value.clone());
        command.push(format!("{name}={value}"));
    }
    let op = Operation::RunTask {
        cluster: "c".into(),
        service: "api".into(),
        command: shell_words::join(&command),
        container: None,
        cpu: None,
        memory: None,
    };
    let plan = plan(&stub, "123456789012", op, None).await.unwrap();
    let mut text = every_form(&plan);
    text.push_str(&plan.aws_cli.join("\n"));
    assert!(text.contains("bin/report"), "{text}");
    assert_no_secret(&text);
}
