//! Deployment controllers and strategies against moto: what a service's
//! configuration says is read, and what flightdeck may not deploy it
//! refuses. moto stores the deployment controller but drops the deployment
//! configuration (strategy, bake, hooks, alarms) and lacks
//! ContinueServiceDeployment and the service-deployment history: the test
//! proxy (`scripts/aws_history.py`) keeps the configuration as ECS does and
//! answers those APIs in their documented shapes.
#![cfg(feature = "aws")]

use crate::common;

use common::cli::{Fixture, fixture, flightdeck, json};

/// A service deployed by CodeDeploy is shown as such, with its deployment
/// group, and never deployed by flightdeck: the plan refuses, naming the
/// controller and the group (exit 3).
#[test]
fn a_code_deploy_service_is_read_only_for_deployments() {
    let Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    }) = fixture("cli_code_deploy", "muejam-staging")
    else {
        return;
    };
    let td = seeded.services[0].2.clone();
    rt.block_on(async {
        aws_sdk_ecs::Client::new(&moto.sdk_config(&env.region).await)
            .create_service()
            .cluster(&env.cluster)
            .service_name("legacy")
            .task_definition(&td)
            .desired_count(1)
            .deployment_controller(
                aws_sdk_ecs::types::DeploymentController::builder()
                    .r#type(aws_sdk_ecs::types::DeploymentControllerType::CodeDeploy)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        // Its deployment group, in another application than a decoy's.
        let cd = aws_sdk_codedeploy::Client::new(&moto.sdk_config(&env.region).await);
        for (application, group, service) in
            [("shop", "legacy-prod", "legacy"), ("other", "web", "web")]
        {
            cd.create_application()
                .application_name(application)
                .compute_platform(aws_sdk_codedeploy::types::ComputePlatform::Ecs)
                .send()
                .await
                .unwrap();
            cd.create_deployment_group()
                .application_name(application)
                .deployment_group_name(group)
                .service_role_arn("arn:aws:iam::123456789012:role/codedeploy")
                .ecs_services(
                    aws_sdk_codedeploy::types::EcsService::builder()
                        .cluster_name(&env.cluster)
                        .service_name(service)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    });
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));
    let services = json(&run(&["services", "--json"]));
    let legacy = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "legacy")
        .unwrap();
    assert_eq!(legacy["deployment_config"]["controller"], "CODE_DEPLOY");
    assert_eq!(
        legacy["deployment_config"]["deployment_group"],
        "shop/legacy-prod"
    );
    let deploy = run(&["deploy", "--service", "legacy", "--force", "--dry-run"]);
    assert_eq!(deploy.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&deploy.stderr);
    assert!(
        stderr.contains("CODE_DEPLOY controller: deployments belong to CodeDeploy deployment group shop/legacy-prod"),
        "{stderr}"
    );
    // Scaling it is still flightdeck's to plan.
    let scale = run(&[
        "scale",
        "--service",
        "legacy",
        "--desired",
        "2",
        "--dry-run",
    ]);
    assert_eq!(
        scale.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scale.stderr)
    );
}

/// A blue/green service with a smoke-test hook, a pause for approval and a
/// rollback alarm, as CreateService documents the configuration.
#[expect(
    clippy::unwrap_used,
    reason = "test data: the builder's required fields are all set"
)]
fn blue_green() -> aws_sdk_ecs::types::DeploymentConfiguration {
    use aws_sdk_ecs::types as ecs;
    ecs::DeploymentConfiguration::builder()
        .strategy(ecs::DeploymentStrategy::BlueGreen)
        .bake_time_in_minutes(10)
        .lifecycle_hooks(
            ecs::DeploymentLifecycleHook::builder()
                .target_type(ecs::DeploymentLifecycleHookTargetType::AwsLambda)
                .hook_target_arn("arn:aws:lambda:us-east-1:123456789012:function:smoke-test")
                .role_arn("arn:aws:iam::123456789012:role/ecs-hooks")
                .lifecycle_stages(ecs::DeploymentLifecycleHookStage::PostTestTrafficShift)
                .build(),
        )
        .lifecycle_hooks(
            ecs::DeploymentLifecycleHook::builder()
                .target_type(ecs::DeploymentLifecycleHookTargetType::Pause)
                .lifecycle_stages(ecs::DeploymentLifecycleHookStage::PostTestTrafficShift)
                .timeout_configuration(
                    ecs::DeploymentLifecycleHookTimeoutConfiguration::builder()
                        .timeout_in_minutes(30)
                        .action(ecs::DeploymentLifecycleHookAction::Rollback)
                        .build(),
                )
                .build(),
        )
        .alarms(
            ecs::DeploymentAlarms::builder()
                .alarm_names("web-5xx")
                .enable(true)
                .rollback(true)
                .build()
                .unwrap(),
        )
        .build()
}

const WEB_GROUP: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0a1b2c3d4e5f6a7b";
const WEB_ALT_GROUP: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-alt/1b2c3d4e5f6a7b8c";

/// Requests and 5xx of `web`'s two target groups: blue's for the three
/// minutes before `deployed` (1 % errors), green's just after (50 %).
async fn put_group_traffic(
    moto: &common::moto::Moto,
    region: &str,
    deployed: chrono::DateTime<chrono::Utc>,
) -> Result<(), aws_sdk_cloudwatch::Error> {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config(region).await);
    let points = [
        (WEB_GROUP, -180, 1000.0, 10.0),
        (WEB_GROUP, -120, 1000.0, 10.0),
        (WEB_GROUP, -60, 1000.0, 10.0),
        (WEB_ALT_GROUP, 1, 100.0, 50.0),
    ];
    let mut put = cw.put_metric_data().namespace("AWS/ApplicationELB");
    for (group, offset, requests, errors) in points {
        let at = aws_sdk_cloudwatch::primitives::DateTime::from_secs(deployed.timestamp() + offset);
        for (metric, value) in [
            ("RequestCount", requests),
            ("HTTPCode_Target_5XX_Count", errors),
        ] {
            put = put.metric_data(
                MetricDatum::builder()
                    .metric_name(metric)
                    .dimensions(
                        Dimension::builder()
                            .name("TargetGroup")
                            .value(flightdeck::model::TargetGroupSeries::dimension(group))
                            .build(),
                    )
                    .dimensions(
                        Dimension::builder()
                            .name("LoadBalancer")
                            .value("app/shop/5f9d")
                            .build(),
                    )
                    .timestamp(at)
                    .value(value)
                    .unit(StandardUnit::Count)
                    .build(),
            );
        }
    }
    put.send().await?;
    Ok(())
}

/// On AWS's answers: the strategy is read, changed by a planned write that
/// keeps the hooks and alarms, a deploy waits at the pause hook, and
/// `continue --wait` lets it go on to SUCCEEDED.
#[test]
fn a_strategy_is_changed_and_a_paused_deployment_continued() {
    let Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    }) = fixture("cli_strategy_continue", "muejam-staging")
    else {
        return;
    };
    let td = seeded.services[0].2.clone();
    let container = env
        .services
        .iter()
        .find(|s| s.name == seeded.services[0].0)
        .unwrap()
        .containers[0]
        .name
        .clone();
    let ecs = rt.block_on(async { aws_sdk_ecs::Client::new(&moto.sdk_config(&env.region).await) });
    rt.block_on(async {
        ecs.create_service()
            .cluster(&env.cluster)
            .service_name("web")
            .task_definition(&td)
            .desired_count(1)
            .deployment_configuration(blue_green())
            .load_balancers(
                aws_sdk_ecs::types::LoadBalancer::builder()
                    .target_group_arn(WEB_GROUP)
                    .container_name(&container)
                    .container_port(8080)
                    .advanced_configuration(
                        aws_sdk_ecs::types::AdvancedConfiguration::builder()
                            .alternate_target_group_arn(WEB_ALT_GROUP)
                            .production_listener_rule(
                                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/5f9d/77aa/1c2d",
                            )
                            .role_arn("arn:aws:iam::123456789012:role/ecs-traffic")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));
    let ok = |out: &std::process::Output| {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let services = json(&run(&["services", "--json"]));
    let web = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap();
    let config = &web["deployment_config"];
    assert_eq!(config["strategy"]["kind"], "BLUE_GREEN", "{config}");
    assert_eq!(config["bake_minutes"], 10);
    assert_eq!(config["hooks"][1]["kind"], "PAUSE");
    assert_eq!(config["rollback_alarms"][0], "web-5xx");

    let change = run(&[
        "strategy",
        "--service",
        "web",
        "--to",
        "canary:10:5",
        "--confirm",
        "web",
    ]);
    ok(&change);
    let stdout = String::from_utf8_lossy(&change.stdout);
    assert!(
        stdout.contains("strategy  blue-green -> canary:10:5"),
        "{stdout}"
    );
    let sent = rt.block_on(async {
        ecs.describe_services()
            .cluster(&env.cluster)
            .services("web")
            .send()
            .await
            .unwrap()
            .services()[0]
            .deployment_configuration()
            .cloned()
            .unwrap()
    });
    assert_eq!(
        sent.strategy(),
        Some(&aws_sdk_ecs::types::DeploymentStrategy::Canary)
    );
    let canary = sent.canary_configuration().unwrap();
    assert_eq!(
        (
            canary.canary_percent(),
            canary.canary_bake_time_in_minutes()
        ),
        (Some(10.0), Some(5))
    );
    assert_eq!(sent.bake_time_in_minutes(), Some(10), "the bake is kept");
    assert_eq!(sent.lifecycle_hooks().len(), 2, "the hooks are kept");
    assert_eq!(
        sent.lifecycle_hooks()[0].role_arn(),
        Some("arn:aws:iam::123456789012:role/ecs-hooks")
    );
    assert_eq!(sent.alarms().unwrap().alarm_names(), ["web-5xx"]);

    let image = format!("{container}=acme/web:2.0.0");
    ok(&run(&[
        "deploy",
        "--service",
        "web",
        "--image",
        &image,
        "--confirm",
        "web",
    ]));
    // Each revision's own traffic, as the ALB reports it per target group:
    // blue's before and during the deployment, green's once it takes some.
    let deployed = chrono::Utc::now();
    rt.block_on(put_group_traffic(&moto, &env.region, deployed))
        .unwrap();
    let plan = run(&["continue", "--service", "web", "--dry-run"]);
    ok(&plan);
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert!(
        stdout.contains("paused at POST_TEST_TRAFFIC_SHIFT (pause AWAITING_ACTION (ROLLBACK at"),
        "{stdout}"
    );
    let go_on = run(&[
        "continue",
        "--service",
        "web",
        "--confirm",
        "web",
        "--wait",
        "--json",
    ]);
    ok(&go_on);
    let report = json(&go_on);
    assert_eq!(report["executed"]["ok"], true, "{report}");
    assert!(
        report["executed"]["calls"][0]["step"]
            .as_str()
            .unwrap()
            .starts_with("ecs:ContinueServiceDeployment"),
        "{report}"
    );
    assert_eq!(report["rollout"]["status"], "SUCCEEDED", "{report}");
    // Blue (the group with the traffic before) and green, each its own.
    let revisions = &report["rollout"]["revisions"];
    assert_eq!(revisions[0]["side"], "blue", "{report}");
    assert_eq!(revisions[0]["target_group"], "web");
    assert_eq!(revisions[0]["error_percent"], 1.0, "{report}");
    assert_eq!(revisions[1]["side"], "green", "{report}");
    assert_eq!(revisions[1]["target_group"], "web-alt");
    assert_eq!(revisions[1]["error_percent"], 50.0, "{report}");
    // Nothing waits any more.
    let again = run(&["continue", "--service", "web", "--dry-run"]);
    assert_eq!(again.status.code(), Some(3));

    // The next release waits at the pause, and the operator switches back
    // instead: ECS's own rollback (StopServiceDeployment), the service back
    // on the revision it ran.
    let before = json(&run(&["services", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap()["task_definition"]
        .clone();
    let image = format!("{container}=acme/web:2.1.0");
    ok(&run(&[
        "deploy",
        "--service",
        "web",
        "--image",
        &image,
        "--confirm",
        "web",
    ]));
    let back = run(&[
        "rollback",
        "--service",
        "web",
        "--confirm",
        "web",
        "--wait",
        "--json",
    ]);
    ok(&back);
    let report = json(&back);
    let call = report["executed"]["calls"][0]["step"].as_str().unwrap();
    assert!(
        call.starts_with("ecs:StopServiceDeployment stopType=ROLLBACK"),
        "{report}"
    );
    let after = json(&run(&["services", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap()["task_definition"]
        .clone();
    assert_eq!(after, before, "back on the revision before the release");
    assert_eq!(report["rollout"]["status"], "SUCCEEDED", "{report}");
}
