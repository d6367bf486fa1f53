//! Values the unit tests of this crate build their cases from.

use chrono::{Duration, TimeZone};
use flightdeck_model::{
    Alarm, AlarmState, Comparison, Deployment, DeploymentStatus, LaunchType, RolloutState, Service,
    ServiceDeployment, ServiceDeploymentStatus, ServiceStatus, Severity, TaskDefRef, Timestamp,
};

pub fn t0() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
        .unwrap()
}

pub fn alarm(name: &str, severity: Severity, state: AlarmState, minutes_ago: i64) -> Alarm {
    Alarm {
        name: name.into(),
        description: String::new(),
        state,
        state_reason: "Threshold Crossed".into(),
        state_updated_at: t0() - Duration::minutes(minutes_ago),
        metric: flightdeck_model::MetricName::CpuUtilization,
        namespace: flightdeck_model::MetricNamespace::Ecs,
        dimensions: vec![
            ("ClusterName".into(), "c".into()),
            ("ServiceName".into(), "api".into()),
        ],
        statistic: flightdeck_model::Statistic::Average,
        threshold: 80.0,
        comparison: Comparison::GreaterThanThreshold,
        period_secs: 60,
        evaluation_periods: 3,
        unit: String::new(),
        severity,
        actions: vec![],
        tags: vec![],
    }
}

pub fn service(
    name: &str,
    running: u32,
    desired: u32,
    rollout: RolloutState,
    failed: u32,
) -> Service {
    Service {
        cluster: "c".into(),
        name: name.into(),
        arn: format!("arn:aws:ecs:us-east-1:123456789012:service/c/{name}"),
        status: ServiceStatus::Active,
        desired,
        running,
        pending: desired - running.min(desired),
        task_definition: TaskDefRef::new(name, 7),
        launch_type: LaunchType::Fargate,
        target_groups: vec![],
        alternate_target_groups: vec![],
        deployments: vec![Deployment {
            id: format!("ecs-svc/{name}"),
            status: DeploymentStatus::Primary,
            task_definition: TaskDefRef::new(name, 7),
            desired,
            running,
            pending: 0,
            failed_tasks: failed,
            rollout_state: rollout,
            rollout_reason: "ECS deployment circuit breaker: tasks failed to start.".into(),
            created_at: t0() - Duration::minutes(30),
            updated_at: t0() - Duration::minutes(20),
        }],
        events: vec![],
        created_at: t0() - Duration::days(30),
        deployment_config: flightdeck_model::DeploymentConfig::default(),
        exec_enabled: false,
        placement: Default::default(),
    }
}

/// A deployment of ECS's history of `api` to `api:target` from the revision
/// before, started at [`t0`] and not finished.
pub fn service_deployment(target: u32, status: ServiceDeploymentStatus) -> ServiceDeployment {
    ServiceDeployment {
        arn: format!("arn:aws:ecs:us-east-1:1:service-deployment/c/api/{target}"),
        status,
        status_reason: None,
        target: Some(TaskDefRef::new("api", target)),
        sources: vec![TaskDefRef::new("api", target - 1)],
        created_at: t0(),
        started_at: Some(t0()),
        finished_at: None,
        rollback_reason: None,
        circuit_breaker_failures: None,
        triggered_alarms: vec![],
        stage: None,
        traffic_on_target: None,
        hooks: vec![],
    }
}

/// The secrets issue 22 found in clear in plans, `--json`, the cockpit's
/// dialog, the audit log and recordings: `(name, value, what must never
/// show)`, kept in `fuzz/corpus/secrets/leaked.json` for every crate's
/// tests. Fake, every one.
pub fn leaked() -> Vec<(String, String, String)> {
    serde_json::from_str(include_str!("../../../fuzz/corpus/secrets/leaked.json")).unwrap()
}

/// Revision `revision` of `api`: one container `api` running `image`,
/// with these plain environment variables and one secret reference.
pub fn task_definition(
    revision: u32,
    image: &str,
    environment: &[(&str, &str)],
) -> flightdeck_model::TaskDefinition {
    use flightdeck_model::{ContainerDefinition, EnvVar, SecretRef, TaskDefinitionStatus};
    flightdeck_model::TaskDefinition {
        reference: TaskDefRef::new("api", revision),
        cpu: 256,
        memory: 512,
        containers: vec![ContainerDefinition {
            name: "api".into(),
            image: image.into(),
            cpu: 0,
            memory: 0,
            essential: true,
            port: Some(8080),
            environment: environment
                .iter()
                .map(|(name, value)| EnvVar {
                    name: (*name).into(),
                    value: (*value).into(),
                })
                .collect(),
            secrets: vec![SecretRef {
                name: "DB_PASSWORD".into(),
                value_from: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db".into(),
            }],
            log_group: None,
            log_stream_prefix: None,
            logs_elsewhere: None,
        }],
        registered_at: t0(),
        status: TaskDefinitionStatus::Active,
    }
}

/// [`leaked`] with each value changed the same recognisable way.
pub fn leaked_changed() -> Vec<(String, String)> {
    leaked()
        .into_iter()
        .map(|(name, value, secret)| {
            let changed = value.replace(&secret, &format!("{secret}-v2"));
            (name, changed)
        })
        .collect()
}
