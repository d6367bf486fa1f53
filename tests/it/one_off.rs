//! One-off tasks (`run-task`) against moto: the RunTask flightdeck sends
//! (the service's task definition, network configuration and launch type,
//! the command and size override, `startedBy`), read back from moto's
//! DescribeTasks; the confirmation and the audit; and `--wait` following
//! the task to its end with its log stream.
//!
//! moto's tasks never exit by themselves and its containers always show
//! exit code 0: the test writes the container's log lines into its
//! stream and stops the task as the container's exit would. A non-zero
//! exit code and the simulation's tasks are in `commands::
//! run_task_on_the_simulation_follows_a_failing_command_to_its_exit_code`.
#![cfg(feature = "aws")]
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;
use common::cli::{Fixture, fixture, flightdeck, flightdeck_command, json};
use serde_json::Value;
use std::io::BufRead;
use std::process::Stdio;

/// Every `<tag>value</tag>` of an EC2 Query answer.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(v, _)| v.to_string()))
        .collect()
}

/// moto's default VPC in the fixture's account: two of its subnets and
/// its default security group (the EC2 Query API, which the suite has no
/// SDK crate for).
fn default_network(fx: &Fixture) -> (Vec<String>, String) {
    let ask = |action: &str| {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/{}/ec2/aws4_request, SignedHeaders=host, Signature=0",
            fx.moto.access_key(),
            fx.env.region
        );
        ureq::post(&fx.moto.endpoint)
            .header("Authorization", &auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("Action={action}&Version=2016-11-15"))
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    };
    let subnets: Vec<String> = xml_values(&ask("DescribeSubnets"), "subnetId")
        .into_iter()
        .take(2)
        .collect();
    let group = xml_values(&ask("DescribeSecurityGroups"), "groupId")
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(subnets.len(), 2);
    (subnets, group)
}

/// A Fargate service `migrator` in the fixture's cluster whose revision
/// logs to `/ecs/migrator` with prefix `ecs`, in `subnets` behind `group`.
fn migrator(fx: &Fixture, subnets: &[String], group: &str) {
    use aws_sdk_ecs::types as ecs;
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        let client = aws_sdk_ecs::Client::new(&config);
        client
            .register_task_definition()
            .family("migrator")
            .network_mode(ecs::NetworkMode::Awsvpc)
            .requires_compatibilities(ecs::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ecs::ContainerDefinition::builder()
                    .name("app")
                    .image("registry.example/orders:2.4.1")
                    .cpu(256)
                    .memory(512)
                    .essential(true)
                    .log_configuration(
                        ecs::LogConfiguration::builder()
                            .log_driver(ecs::LogDriver::Awslogs)
                            .options("awslogs-group", "/ecs/migrator")
                            .options("awslogs-region", &fx.env.region)
                            .options("awslogs-stream-prefix", "ecs")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        client
            .create_service()
            .cluster(&fx.env.cluster)
            .service_name("migrator")
            .task_definition("migrator:1")
            .desired_count(0)
            .launch_type(ecs::LaunchType::Fargate)
            .network_configuration(
                ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(
                        ecs::AwsVpcConfiguration::builder()
                            .set_subnets(Some(subnets.to_vec()))
                            .security_groups(group)
                            .assign_public_ip(ecs::AssignPublicIp::Disabled)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        aws_sdk_cloudwatchlogs::Client::new(&config)
            .create_log_group()
            .log_group_name("/ecs/migrator")
            .send()
            .await
            .unwrap();
    });
}

/// The task as moto describes it.
fn described(fx: &Fixture, id: &str) -> aws_sdk_ecs::types::Task {
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        aws_sdk_ecs::Client::new(&config)
            .describe_tasks()
            .cluster(&fx.env.cluster)
            .tasks(id)
            .send()
            .await
            .unwrap()
            .tasks()
            .first()
            .cloned()
            .unwrap()
    })
}

#[test]
fn run_task_against_moto_sends_the_services_network_and_the_override_and_follows_the_task() {
    let Some(fx) = fixture("cli_run_task", "radiox-prod") else {
        return;
    };
    let h = fx.home.path();
    let (subnets, group) = default_network(&fx);
    migrator(&fx, &subnets, &group);
    let run = |args: &[&str]| flightdeck(h, args, Some(&fx.moto));
    let command = "bin/migrate --to 42 --db-password=hunter2-hunter2";
    let base = [
        "run-task",
        "--service",
        "migrator",
        "--command",
        command,
        "--cpu",
        "512",
        "--memory",
        "1024",
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> { [&base[..], extra].concat() };

    // The plan, and nothing started without the service's name.
    let planned = run(&base);
    assert_eq!(planned.status.code(), Some(3));
    let plan = String::from_utf8_lossy(&planned.stdout);
    assert!(
        plan.contains("ecs:RunTask taskDefinition=migrator:1"),
        "{plan}"
    );
    assert!(!plan.contains("hunter2"), "{plan}");
    let cli = plan
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("aws ecs run-task"))
        .unwrap();
    let words = shell_words::split(cli).unwrap();
    let after = |flag: &str| {
        let at = words.iter().position(|w| w == flag).unwrap();
        words[at + 1].clone()
    };
    assert_eq!(
        after("--network-configuration"),
        format!(
            "awsvpcConfiguration={{subnets=[{}],securityGroups=[{group}],assignPublicIp=DISABLED}}",
            subnets.join(",")
        )
    );
    assert_eq!(after("--launch-type"), "FARGATE");
    let overrides: Value = serde_json::from_str(&after("--overrides")).unwrap();
    assert_eq!(overrides["containerOverrides"][0]["name"], "app");
    assert_eq!(overrides["memory"], "1024");

    // A size Fargate refuses is refused before any call.
    let refused = run(&[
        "run-task",
        "--service",
        "migrator",
        "--command",
        "true",
        "--cpu",
        "300",
        "--confirm",
        "migrator",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("Fargate takes a task CPU"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Confirmed: one task, started as the service starts its own.
    let report = json(&run(&with(&["--confirm", "migrator", "--json"])));
    assert_eq!(report["plan"]["operation"]["operation"], "run_task");
    let id = report["task"]["id"].as_str().unwrap().to_string();
    let task = described(&fx, &id);
    let o = task.overrides().unwrap();
    assert_eq!(o.cpu(), Some("512"));
    assert_eq!(o.memory(), Some("1024"));
    let c = &o.container_overrides()[0];
    assert_eq!(c.name(), Some("app"));
    assert_eq!(
        c.command(),
        ["bin/migrate", "--to", "42", "--db-password=hunter2-hunter2"]
    );
    assert_eq!(task.started_by(), Some("flightdeck"));
    assert_eq!(
        task.launch_type(),
        Some(&aws_sdk_ecs::types::LaunchType::Fargate)
    );
    assert!(task.task_definition_arn().unwrap().ends_with("migrator:1"));
    let eni_subnet = task.attachments()[0]
        .details()
        .iter()
        .find(|d| d.name() == Some("subnetId"))
        .and_then(|d| d.value())
        .unwrap()
        .to_string();
    assert!(
        subnets.contains(&eni_subnet),
        "{eni_subnet} not in {subnets:?}"
    );
    // The secret never reached the report or the audit log.
    assert!(!report.to_string().contains("hunter2"), "{report}");
    let audit = std::fs::read_to_string(h.join("state/flightdeck/audit.jsonl")).unwrap();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["operation"] == "run-task")
        .collect();
    assert_eq!(
        records
            .iter()
            .map(|r| r["phase"].clone())
            .collect::<Vec<_>>(),
        ["before", "after"],
        "{audit}"
    );
    assert!(!audit.contains("hunter2"), "{audit}");
    assert_eq!(
        records[1]["task"],
        id.as_str(),
        "the after record names the task"
    );

    // --wait: the lines the container writes, then its end.
    let mut waiting = flightdeck_command(h, Some(&fx.moto))
        .args(with(&["--confirm", "migrator", "--wait"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = waiting.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = vec![];
    let mut next = |what: &str| loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no {what:?} in {seen:#?}"));
        seen.push(line.clone());
        if line.contains(what) {
            return line;
        }
    };
    let started = next("done: one-off task");
    let id = started.split_whitespace().nth(3).unwrap().to_string();
    next(&format!("stream ecs/app/{id}"));
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let stream = format!("ecs/app/{id}");
        logs.create_log_stream()
            .log_group_name("/ecs/migrator")
            .log_stream_name(&stream)
            .send()
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let mut put = logs
            .put_log_events()
            .log_group_name("/ecs/migrator")
            .log_stream_name(&stream);
        for (i, line) in [
            "Applying 0042_refund_reason... OK",
            "\u{1b}]0;owned\u{7}done",
        ]
        .iter()
        .enumerate()
        {
            put = put.log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now + i as i64)
                    .message(*line)
                    .build()
                    .unwrap(),
            );
        }
        put.send().await.unwrap();
    });
    next("Applying 0042_refund_reason... OK");
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        aws_sdk_ecs::Client::new(&config)
            .stop_task()
            .cluster(&fx.env.cluster)
            .task(&id)
            .reason("Essential container in task exited")
            .send()
            .await
            .unwrap();
    });
    let end = next("stopped:");
    assert!(
        end.contains("exit code 0 (Essential container in task exited)"),
        "{end}"
    );
    let status = waiting.wait().unwrap();
    assert!(status.success(), "{seen:#?}");
    let text = seen.join("\n");
    assert!(
        !text.contains('\u{1b}'),
        "an escape reached the terminal: {text}"
    );
}
