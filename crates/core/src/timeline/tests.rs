//! The change timeline's pure assembly, case by case.

use super::*;
use crate::audit::{Outcome, Phase};
use crate::fixtures::{alarm, service, t0};
use chrono::Duration;
use flightdeck_model::{
    ActivityStatus, AlarmState, ContainerDefinition, RolloutState, ServiceDeploymentStatus,
    ServiceEvent, Severity, TaskDefRef, TaskDefinitionStatus,
};

fn ago(minutes: i64) -> Timestamp {
    t0() - Duration::minutes(minutes)
}

fn revision(family: &str, revision: u32, image: &str) -> TaskDefinition {
    TaskDefinition {
        reference: TaskDefRef::new(family, revision),
        cpu: 256,
        memory: 512,
        containers: vec![ContainerDefinition {
            name: "app".into(),
            image: image.into(),
            cpu: 0,
            memory: 0,
            essential: true,
            port: None,
            environment: vec![],
            secrets: vec![],
            log_group: None,
            log_stream_prefix: None,
            logs_elsewhere: None,
        }],
        registered_at: ago(60),
        status: TaskDefinitionStatus::Active,
    }
}

fn history(status: ServiceDeploymentStatus, minutes_ago: i64) -> ServiceDeployment {
    ServiceDeployment {
        created_at: ago(minutes_ago),
        started_at: Some(ago(minutes_ago)),
        finished_at: Some(ago(minutes_ago - 6)),
        ..crate::fixtures::service_deployment(8, status)
    }
}

fn write_by(who: &str, service: &str, minutes_ago: i64) -> WriteEvent {
    WriteEvent {
        id: format!("ev-{minutes_ago}"),
        at: ago(minutes_ago),
        call: "UpdateService".into(),
        who: who.into(),
        from: flightdeck_model::WriteSource::parse("203.0.113.57"),
        cluster: Some("c".into()),
        service: Some(service.into()),
        parameters: vec!["desiredCount=4".into()],
        error: None,
    }
}

fn audit_record(who: &str, minutes_ago: i64) -> Record {
    Record {
        time: ago(minutes_ago),
        phase: Phase::After,
        who: who.into(),
        environment: "shop-prod".into(),
        account: "1".into(),
        region: "us-east-1".into(),
        operation: "scale".into(),
        cluster: "c".into(),
        service: "api".into(),
        calls: vec!["ecs:UpdateService desiredCount=4".into()],
        diff: vec!["desired: 2 -> 4".into()],
        from_task_definition: "api:8".into(),
        to_task_definition: None,
        deployment_id: None,
        request_ids: vec!["req-1".into()],
        result: Some(Outcome::Ok),
        error: None,
        lease_taken_from: None,
        lease_reason: None,
        task: None,
    }
}

fn api() -> ServiceRef {
    ServiceRef::new("c", "api")
}

fn services() -> Vec<Service> {
    let mut api = service("api", 2, 2, RolloutState::Completed, 0);
    api.events = vec![ServiceEvent::read(
        "e1".into(),
        ago(20),
        "(service api) has reached a steady state.".into(),
    )];
    let mut worker = service("worker", 1, 1, RolloutState::Completed, 0);
    worker.events = vec![ServiceEvent::read(
        "e2".into(),
        ago(5),
        "(service worker) has reached a steady state.".into(),
    )];
    vec![api, worker]
}

#[test]
fn a_service_timeline_puts_every_source_on_one_axis_newest_first() {
    let mut critical = alarm("api-5xx", Severity::Critical, AlarmState::Alarm, 3);
    critical.metric = flightdeck_model::MetricName::HttpCodeTarget5xxCount;
    let facts = Facts {
        services: services(),
        deployments: vec![(
            api(),
            vec![history(ServiceDeploymentStatus::Successful, 40)],
        )],
        task_definitions: vec![revision("api", 7, "app:v1"), revision("api", 8, "app:v2")],
        alarms: vec![(
            critical,
            vec![AlarmHistoryItem {
                timestamp: ago(3),
                from: AlarmState::Ok,
                to: AlarmState::Alarm,
                summary: "Alarm updated from OK to ALARM".into(),
            }],
        )],
        activities: vec![ScalingActivity {
            id: "a1".into(),
            resource_id: "service/c/api".into(),
            started_at: ago(10),
            ended_at: Some(ago(9)),
            status: ActivityStatus::Successful,
            description: "Setting desired count to 4.".into(),
            cause: "monitor alarm api-cpu-high in state ALARM triggered policy".into(),
        }],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    let kinds: Vec<Kind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Alarm,
            Kind::Scaling,
            Kind::Event,
            Kind::Deployment,
            Kind::TaskDefinition
        ],
        "{entries:#?}"
    );
    assert!(entries.iter().all(|e| e.service == Some(api())));
    assert_eq!(entries[0].summary, "api-5xx: OK -> ALARM");
    assert_eq!(
        entries[3].summary,
        "deployment to api:8 (from api:7): SUCCESSFUL after 6m"
    );
    assert_eq!(
        entries[4].summary,
        "api:7 -> api:8: image app (app): v1 -> v2"
    );
}

#[test]
fn the_environment_timeline_covers_every_service_and_since_cuts_it() {
    let facts = Facts {
        services: services(),
        ..Facts::default()
    };
    let all = assemble(&Scope::Environment, ago(120), &facts);
    assert!(
        all.iter()
            .any(|e| e.service == Some(ServiceRef::new("c", "worker")))
    );
    assert!(all.iter().any(|e| e.service == Some(api())));
    let recent = assemble(&Scope::Environment, ago(10), &facts);
    assert!(recent.iter().all(|e| e.at >= ago(10)), "{recent:#?}");
    assert_eq!(recent.len(), 1);
}

#[test]
fn the_operators_own_write_shows_once_with_its_plan_and_others_by_name() {
    let me = "arn:aws:sts::1:assumed-role/OnCallEngineer/me";
    let maria = "arn:aws:sts::1:assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k";
    let facts = Facts {
        services: services(),
        audit: vec![audit_record(me, 30)],
        writes: vec![write_by(me, "api", 30), write_by(maria, "api", 12)],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    let writes: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Write | Kind::Operator))
        .collect();
    assert_eq!(writes.len(), 2, "{writes:#?}");
    assert_eq!(writes[0].kind, Kind::Write);
    assert_eq!(
        writes[0].who.as_ref().map(Actor::as_str),
        Some("maria.k (AWSReservedSSO_PowerUser_9f03b7)")
    );
    assert_eq!(writes[0].summary, "UpdateService desiredCount=4");
    assert!(writes[0].detail.contains(&"from 203.0.113.57".to_string()));
    assert_eq!(writes[1].kind, Kind::Operator);
    assert_eq!(
        writes[1].summary,
        "scale with flightdeck: done; desired: 2 -> 4"
    );
    assert!(writes[1].detail.contains(&"desired: 2 -> 4".to_string()));
}

#[test]
fn the_teams_writes_show_by_operator_once_with_the_lease_they_took() {
    let maria = "arn:aws:sts::1:assumed-role/AWSReservedSSO_PowerUser_9f03b7/maria.k";
    let mut hers = audit_record(maria, 12);
    hers.lease_taken_from = Some("alice@desk".into());
    hers.lease_reason = Some("alice asleep".into());
    let facts = Facts {
        services: services(),
        team: vec![super::TeamRecord {
            operator: "maria@laptop".into(),
            record: hers,
        }],
        // CloudTrail's record of the same call: shown once, from the trail.
        writes: vec![write_by(maria, "api", 12)],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    let writes: Vec<&Entry> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Write | Kind::Operator))
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(
        writes[0].summary,
        "scale with flightdeck by maria@laptop: done; desired: 2 -> 4"
    );
    assert_eq!(
        writes[0].detail[0],
        "operator maria@laptop (the team's audit trail)"
    );
    assert!(
        writes[0]
            .detail
            .contains(&"took the lease over from alice@desk: alice asleep".to_string())
    );
    assert!(writes[0].detail.contains(&"request id req-1".to_string()));
}

#[test]
fn auto_scalings_own_alarms_and_calls_are_left_to_its_activities() {
    let tt = alarm(
        "TargetTracking-service/c/api-AlarmHigh-1",
        Severity::Info,
        AlarmState::Alarm,
        3,
    );
    let mut by_autoscaling = write_by(
        "arn:aws:sts::1:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling",
        "api",
        4,
    );
    by_autoscaling.from = flightdeck_model::WriteSource::AutoScaling;
    let facts = Facts {
        services: services(),
        alarms: vec![(
            tt,
            vec![AlarmHistoryItem {
                timestamp: ago(3),
                from: AlarmState::Ok,
                to: AlarmState::Alarm,
                summary: "x".into(),
            }],
        )],
        writes: vec![by_autoscaling],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    assert!(
        entries
            .iter()
            .all(|e| !matches!(e.kind, Kind::Alarm | Kind::Write)),
        "{entries:#?}"
    );
}

#[test]
fn a_rolled_back_deployment_says_why_and_a_missing_revision_says_so() {
    let mut failed = history(ServiceDeploymentStatus::RollbackSuccessful, 15);
    failed.rollback_reason = Some("ECS deployment circuit breaker: tasks failed to start.".into());
    failed.circuit_breaker_failures = Some(3);
    let facts = Facts {
        services: services(),
        deployments: vec![(api(), vec![failed])],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    let deploy = entries.iter().find(|e| e.kind == Kind::Deployment).unwrap();
    assert!(deploy.summary.ends_with("ROLLBACK_SUCCESSFUL after 6m"));
    assert!(
        deploy
            .detail
            .iter()
            .any(|d| d.contains("circuit breaker counted 3"))
    );
    let diff = entries
        .iter()
        .find(|e| e.kind == Kind::TaskDefinition)
        .unwrap();
    assert_eq!(diff.summary, "api:7 -> api:8");
    assert_eq!(
        diff.detail,
        ["(the revisions could not be read for a diff)"]
    );
}

#[test]
fn kinds_round_trip_through_their_labels_and_filter() {
    for k in Kind::ALL {
        assert_eq!(Kind::parse(k.label()), Some(k));
    }
    assert_eq!(Kind::parse("nope"), None);
    let facts = Facts {
        services: services(),
        ..Facts::default()
    };
    let timeline = Timeline {
        scope: Scope::Environment,
        since: ago(120),
        entries: assemble(&Scope::Environment, ago(120), &facts),
        gaps: vec![],
    };
    assert_eq!(timeline.filtered(&[Kind::Deployment]).count(), 2);
    assert_eq!(timeline.filtered(&[]).count(), timeline.entries.len());
}

#[test]
fn a_deployment_in_progress_shows_its_stage_traffic_and_hooks() {
    let mut canary = history(ServiceDeploymentStatus::InProgress, 12);
    canary.finished_at = None;
    canary.stage = Some(flightdeck_model::LifecycleStage::BakeTime);
    canary.traffic_on_target = Some(10.0);
    canary.hooks = vec![flightdeck_model::HookRun::new(
        flightdeck_model::HookTarget::Function("smoke".into()),
        flightdeck_model::HookStatus::Succeeded,
    )];
    let facts = Facts {
        services: services(),
        deployments: vec![(api(), vec![canary])],
        ..Facts::default()
    };
    let entries = assemble(&Scope::Service(api()), ago(120), &facts);
    let deploy = entries.iter().find(|e| e.kind == Kind::Deployment).unwrap();
    assert_eq!(
        deploy.summary,
        "deployment to api:8 (from api:7): IN_PROGRESS"
    );
    for line in [
        "stage: BAKE_TIME",
        "production traffic on the new revision: 10 %",
        "hook smoke SUCCEEDED",
    ] {
        assert!(deploy.detail.iter().any(|d| d == line), "{deploy:#?}");
    }
}
