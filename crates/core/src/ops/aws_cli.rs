//! The AWS CLI behind a plan: each step as the `aws` command that makes
//! the same call, for the operator who wants to see, copy or run it by
//! hand (a runbook, a colleague without flightdeck). Each line is one a
//! shell reads back as the same arguments; what the AWS CLI cannot say in
//! one command (a copy of a task definition with a new image) is a comment
//! and the commands that do it.

use super::plan::{Operation, Plan, Step};
use flightdeck_model::Strategy;

/// `aws ... --region R` as one shell line.
fn line(words: Vec<String>, region: &str) -> String {
    let mut words = words;
    words.push("--region".into());
    words.push(region.into());
    shell_words::join(words)
}

fn w(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

/// `aws ecs update-service` of the service, then `more`.
fn update_service(cluster: &str, service: &str, more: &[&str]) -> Vec<String> {
    let mut words = w(&[
        "aws",
        "ecs",
        "update-service",
        "--cluster",
        cluster,
        "--service",
        service,
    ]);
    words.extend(w(more));
    words
}

/// The AWS CLI commands of `plan`'s steps, in order.
pub fn commands(plan: &Plan) -> Vec<String> {
    let op = &plan.operation;
    let (cluster, service) = (op.cluster(), op.service());
    let region = plan.region.as_str();
    let mut out = vec![];
    for step in &plan.steps {
        match step {
            Step::RegisterTaskDefinition { base, images } => {
                let changes: Vec<String> = images
                    .iter()
                    .map(|(c, i)| format!("{c} image={i}"))
                    .collect();
                out.push(format!(
                    "# a copy of {base} with {}: describe it, change the image, drop the read-only fields (taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt, registeredBy), register the copy",
                    changes.join(", ")
                ));
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "describe-task-definition",
                        "--task-definition",
                        &base.to_string(),
                        "--query",
                        "taskDefinition",
                    ]),
                    region,
                ));
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "register-task-definition",
                        "--cli-input-json",
                        "file://task-definition.json",
                    ]),
                    region,
                ));
            }
            Step::UpdateService {
                task_definition,
                uses_new_revision,
                desired,
                force_new_deployment,
            } => {
                let mut words = update_service(cluster, service, &[]);
                if *uses_new_revision {
                    words.extend(w(&["--task-definition", "<the revision registered above>"]));
                }
                if let Some(td) = task_definition {
                    words.extend(w(&["--task-definition", &td.to_string()]));
                }
                if let Some(d) = desired {
                    words.extend(w(&["--desired-count", &d.to_string()]));
                }
                if *force_new_deployment {
                    words.push("--force-new-deployment".into());
                }
                out.push(line(words, region));
            }
            Step::RegisterScalableTarget {
                min,
                max,
                suspend_dynamic_scaling,
            } => {
                let mut words = w(&[
                    "aws",
                    "application-autoscaling",
                    "register-scalable-target",
                    "--service-namespace",
                    "ecs",
                    "--scalable-dimension",
                    "ecs:service:DesiredCount",
                    "--resource-id",
                    &format!("service/{cluster}/{service}"),
                ]);
                if let Some(m) = min {
                    words.extend(w(&["--min-capacity", &m.to_string()]));
                }
                if let Some(m) = max {
                    words.extend(w(&["--max-capacity", &m.to_string()]));
                }
                if let Some(s) = suspend_dynamic_scaling {
                    words.extend(w(&[
                        "--suspended-state",
                        &format!("DynamicScalingInSuspended={s},DynamicScalingOutSuspended={s}"),
                    ]));
                }
                out.push(line(words, region));
            }
            Step::StopServiceDeployment { fallback } => {
                out.push(
                    "# ECS's own rollback of the deployment in progress (its ARN: aws ecs describe-services, deployments)".into(),
                );
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "stop-service-deployment",
                        "--service-deployment-arn",
                        "<the deployment in progress>",
                        "--stop-type",
                        "ROLLBACK",
                    ]),
                    region,
                ));
                out.push(format!(
                    "# where ECS refuses it, the same by hand, back to {fallback}:"
                ));
                out.push(line(
                    update_service(
                        cluster,
                        service,
                        &["--task-definition", &fallback.to_string()],
                    ),
                    region,
                ));
            }
            Step::SetDeploymentStrategy {
                strategy,
                bake_minutes,
            } => {
                let mut config = strategy_shorthand(strategy);
                if let Some(b) = bake_minutes {
                    config.push_str(&format!(",bakeTimeInMinutes={b}"));
                }
                out.push(line(
                    update_service(cluster, service, &["--deployment-configuration", &config]),
                    region,
                ));
            }
            Step::ContinueServiceDeployment { deployment, hook } => {
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "continue-service-deployment",
                        "--service-deployment-arn",
                        deployment,
                        "--hook-id",
                        hook,
                        "--action",
                        "CONTINUE",
                    ]),
                    region,
                ));
            }
            Step::StopTask { task, reason } => {
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "stop-task",
                        "--cluster",
                        cluster,
                        "--task",
                        task,
                        "--reason",
                        reason,
                    ]),
                    region,
                ));
            }
            Step::RunTask { task } => {
                if flightdeck_model::secrets::shown_args(&task.command) != task.command {
                    out.push(
                        "# a secret in the command is shown as ******: put it back before running this"
                            .into(),
                    );
                }
                out.push(line(run_task(task), region))
            }
            Step::ExecuteCommand {
                task,
                container,
                command,
            } => {
                out.push(line(
                    w(&[
                        "aws",
                        "ecs",
                        "execute-command",
                        "--cluster",
                        cluster,
                        "--task",
                        task,
                        "--container",
                        container,
                        "--interactive",
                        "--command",
                        command,
                    ]),
                    region,
                ));
            }
            Step::StartPortForward { forward } => {
                let target = format!(
                    "ecs:{}_{}_{}",
                    forward.cluster, forward.task, forward.runtime_id
                );
                let (document, parameters) = match &forward.remote_host {
                    Some(host) => (
                        "AWS-StartPortForwardingSessionToRemoteHost",
                        format!(
                            r#"{{"host":["{host}"],"portNumber":["{}"],"localPortNumber":["{}"]}}"#,
                            forward.remote_port, forward.local_port
                        ),
                    ),
                    None => (
                        "AWS-StartPortForwardingSession",
                        format!(
                            r#"{{"portNumber":["{}"],"localPortNumber":["{}"]}}"#,
                            forward.remote_port, forward.local_port
                        ),
                    ),
                };
                out.push(line(
                    w(&[
                        "aws",
                        "ssm",
                        "start-session",
                        "--target",
                        &target,
                        "--document-name",
                        document,
                        "--parameters",
                        &parameters,
                    ]),
                    region,
                ));
            }
        }
    }
    if matches!(op, Operation::Deploy { .. } | Operation::Rollback { .. }) && !out.is_empty() {
        out.push(line(
            w(&[
                "aws",
                "ecs",
                "wait",
                "services-stable",
                "--cluster",
                cluster,
                "--services",
                service,
            ]),
            region,
        ));
    }
    out
}

/// `aws ecs run-task` of a one-off task: its placement as the service's,
/// its command override (a secret-shaped argument redacted) as JSON.
fn run_task(task: &crate::provider::OneOffTask) -> Vec<String> {
    let mut words = w(&[
        "aws",
        "ecs",
        "run-task",
        "--cluster",
        &task.cluster,
        "--task-definition",
        &task.task_definition.to_string(),
    ]);
    let p = &task.placement;
    if p.capacity_providers.is_empty() {
        words.extend(w(&["--launch-type", &task.launch_type.to_string()]));
    } else {
        words.push("--capacity-provider-strategy".into());
        words.extend(p.capacity_providers.iter().map(|c| {
            format!(
                "capacityProvider={},weight={},base={}",
                c.name, c.weight, c.base
            )
        }));
    }
    if let Some(v) = &p.platform_version {
        words.extend(w(&["--platform-version", v]));
    }
    if p.has_network() {
        let mut vpc = format!("awsvpcConfiguration={{subnets=[{}]", p.subnets.join(","));
        if !p.security_groups.is_empty() {
            vpc.push_str(&format!(
                ",securityGroups=[{}]",
                p.security_groups.join(",")
            ));
        }
        vpc.push_str(&format!(
            ",assignPublicIp={}}}",
            if p.assign_public_ip == Some(true) {
                "ENABLED"
            } else {
                "DISABLED"
            }
        ));
        words.extend(w(&["--network-configuration", &vpc]));
    }
    let command = flightdeck_model::secrets::shown_args(&task.command);
    let mut overrides = serde_json::json!({
        "containerOverrides": [{"name": task.container, "command": command}]
    });
    if let Some(cpu) = task.cpu {
        overrides["cpu"] = cpu.to_string().into();
    }
    if let Some(memory) = task.memory {
        overrides["memory"] = memory.to_string().into();
    }
    words.extend(w(&[
        "--overrides",
        &overrides.to_string(),
        "--started-by",
        crate::provider::STARTED_BY,
    ]));
    words
}

/// A strategy in the AWS CLI's shorthand of `--deployment-configuration`.
fn strategy_shorthand(strategy: &Strategy) -> String {
    match strategy {
        Strategy::Rolling {
            minimum_healthy_percent,
            maximum_percent,
        } => format!(
            "strategy=ROLLING,minimumHealthyPercent={minimum_healthy_percent},maximumPercent={maximum_percent}"
        ),
        Strategy::BlueGreen => "strategy=BLUE_GREEN".into(),
        Strategy::Canary {
            percent,
            bake_minutes,
        } => format!(
            "strategy=CANARY,canaryConfiguration={{canaryPercent={percent},canaryBakeTimeInMinutes={bake_minutes}}}"
        ),
        Strategy::Linear {
            step_percent,
            step_bake_minutes,
        } => format!(
            "strategy=LINEAR,linearConfiguration={{stepPercent={step_percent},stepBakeTimeInMinutes={step_bake_minutes}}}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::confirm::tests::plan;
    use flightdeck_model::TaskDefRef;

    fn words(line: &str) -> Vec<String> {
        shell_words::split(line).unwrap()
    }

    #[test]
    fn a_scale_is_the_update_and_the_target_registration_read_back_as_their_arguments() {
        let mut p = plan(
            Operation::Scale {
                cluster: "main".into(),
                service: "checkout api".into(),
                desired: Some(3),
                min: Some(2),
                max: Some(6),
                suspend: None,
            },
            true,
        );
        p.region = "eu-west-1".into();
        p.steps = vec![
            Step::RegisterScalableTarget {
                min: Some(2),
                max: Some(6),
                suspend_dynamic_scaling: None,
            },
            Step::UpdateService {
                task_definition: None,
                uses_new_revision: false,
                desired: Some(3),
                force_new_deployment: false,
            },
        ];
        let cli = commands(&p);
        assert_eq!(
            words(&cli[0]),
            [
                "aws",
                "application-autoscaling",
                "register-scalable-target",
                "--service-namespace",
                "ecs",
                "--scalable-dimension",
                "ecs:service:DesiredCount",
                "--resource-id",
                "service/main/checkout api",
                "--min-capacity",
                "2",
                "--max-capacity",
                "6",
                "--region",
                "eu-west-1"
            ]
        );
        assert_eq!(
            words(&cli[1]),
            [
                "aws",
                "ecs",
                "update-service",
                "--cluster",
                "main",
                "--service",
                "checkout api",
                "--desired-count",
                "3",
                "--region",
                "eu-west-1"
            ]
        );
    }

    #[test]
    fn a_one_off_task_reads_back_as_the_service_s_placement_and_the_override() {
        use crate::provider::OneOffTask;
        use flightdeck_model::{CapacityProviderItem, LaunchType, Placement};
        let mut p = plan(
            Operation::RunTask {
                cluster: "main".into(),
                service: "api".into(),
                command: "bin/migrate --url postgres://app:hunter2@db/app".into(),
                container: None,
                cpu: Some(512),
                memory: None,
            },
            true,
        );
        p.region = "eu-west-1".into();
        p.steps = vec![Step::RunTask {
            task: OneOffTask {
                cluster: "main".into(),
                service: "api".into(),
                task_definition: TaskDefRef::new("api", 42),
                launch_type: LaunchType::Fargate,
                placement: Placement {
                    subnets: vec!["subnet-a".into(), "subnet-b".into()],
                    security_groups: vec!["sg-1".into()],
                    assign_public_ip: Some(false),
                    capacity_providers: vec![CapacityProviderItem {
                        name: "FARGATE_SPOT".into(),
                        weight: 1,
                        base: 0,
                    }],
                    platform_version: Some("LATEST".into()),
                },
                container: "app".into(),
                command: vec![
                    "bin/migrate".into(),
                    "--url".into(),
                    "postgres://app:hunter2@db/app".into(),
                ],
                cpu: Some(512),
                memory: None,
            },
        }];
        let cli = commands(&p);
        assert_eq!(cli.len(), 2, "{cli:?}");
        assert!(cli[0].starts_with("# a secret"), "{cli:?}");
        let words = words(&cli[1]);
        let after = |flag: &str| {
            let at = words.iter().position(|w| w == flag).unwrap();
            words[at + 1].clone()
        };
        assert_eq!(words[..3], ["aws", "ecs", "run-task"]);
        assert_eq!(after("--task-definition"), "api:42");
        assert_eq!(
            after("--capacity-provider-strategy"),
            "capacityProvider=FARGATE_SPOT,weight=1,base=0"
        );
        assert!(!words.contains(&"--launch-type".to_string()));
        assert_eq!(
            after("--network-configuration"),
            "awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-1],assignPublicIp=DISABLED}"
        );
        let overrides: serde_json::Value = serde_json::from_str(&after("--overrides")).unwrap();
        assert_eq!(overrides["containerOverrides"][0]["name"], "app");
        assert_eq!(overrides["cpu"], "512");
        let command = &overrides["containerOverrides"][0]["command"];
        assert_eq!(command[0], "bin/migrate");
        assert!(!cli[1].contains("hunter2"), "{cli:?}");
        assert_eq!(after("--started-by"), "flightdeck");
    }

    #[test]
    fn a_rollback_names_ecss_own_and_the_update_by_hand() {
        let mut p = plan(
            Operation::Rollback {
                cluster: "main".into(),
                service: "api".into(),
                to: None,
            },
            true,
        );
        p.region = "eu-west-1".into();
        p.steps = vec![Step::StopServiceDeployment {
            fallback: TaskDefRef::new("api", 41),
        }];
        let cli = commands(&p);
        let runnable: Vec<&String> = cli.iter().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(runnable.len(), 3, "{cli:?}");
        assert_eq!(words(runnable[0])[2], "stop-service-deployment");
        assert!(
            words(runnable[1]).contains(&"api:41".to_string()),
            "{cli:?}"
        );
        assert_eq!(
            words(runnable[2])[..4],
            ["aws", "ecs", "wait", "services-stable"]
        );
    }
}
