//! Deployment controllers and strategies against moto: what a service's
//! configuration says is read, and what flightdeck may not deploy it
//! refuses. moto stores the deployment controller but no deployment
//! configuration (strategy, bake, hooks, alarms): their mapping is tested on
//! the ECS API's documented shapes in `crates/aws/src/ecs.rs`.
#![cfg(feature = "aws")]

mod common;

use common::cli::{Fixture, fixture, flightdeck, json};

/// A service deployed by CodeDeploy is shown as such and never deployed by
/// flightdeck: the plan refuses, naming the controller (exit 3).
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
    let deploy = run(&["deploy", "--service", "legacy", "--force", "--dry-run"]);
    assert_eq!(deploy.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&deploy.stderr);
    assert!(stderr.contains("CODE_DEPLOY controller"), "{stderr}");
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
