//! moto fixtures: an isolated moto account per test behind the proxy that
//! `scripts/test.sh` starts, seeded through the AWS SDK with the seed
//! environments of the simulation's catalog.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use aws_sdk_applicationautoscaling::types as aas;
use aws_sdk_cloudwatch::types as cw;
use aws_sdk_ecs::types as ecs;
use chrono::Duration;
use flightdeck::aws::{AwsProvider, Settings};
use flightdeck::clock::Clock;
use flightdeck::model::{Comparison, LaunchType, Statistic, Timestamp};
use flightdeck::sim::catalog::{EnvSpec, PolicySpec, Signal, seed_environments};
use flightdeck::sim::metric_identity;
use std::collections::HashMap;
use std::sync::Arc;

/// The proxy's address, from `scripts/test.sh`. `None` (the test says it
/// skips) under a plain `cargo test`; under CI a missing endpoint fails.
#[expect(clippy::disallowed_macros, reason = "the test says why it skips")]
pub fn endpoint() -> Option<String> {
    match std::env::var("FLIGHTDECK_TEST_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e),
        _ if std::env::var_os("CI").is_some() => {
            panic!("FLIGHTDECK_TEST_ENDPOINT is not set: run the suite with scripts/test.sh")
        }
        _ => {
            eprintln!("skipped: needs moto; run scripts/test.sh");
            None
        }
    }
}

/// Whether an environment of this name is production: its seed's word for
/// a seed environment, production otherwise (as for a configured one).
pub fn seed_production(name: &str) -> bool {
    seed_environments()
        .iter()
        .find(|e| e.name == name)
        .is_none_or(|e| e.production)
}

pub fn spec(name: &str) -> EnvSpec {
    seed_environments()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no seed environment {name}"))
}

/// One isolated moto account.
#[derive(Clone)]
pub struct Moto {
    pub endpoint: String,
    pub account: String,
}

impl Moto {
    /// An account no other test uses: the proxy maps the access key
    /// `FDT<account>` to moto's `x-moto-account-id`.
    pub fn new(test: &str) -> Option<Moto> {
        let endpoint = endpoint()?;
        let mut h: u64 = 1469598103934665603;
        for b in test.bytes().chain(std::process::id().to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
        }
        Some(Moto {
            endpoint,
            account: format!("{:012}", h % 1_000_000_000_000),
        })
    }

    pub fn access_key(&self) -> String {
        format!("FDT{}", self.account)
    }

    pub fn settings(&self, name: &str, region: &str) -> Settings {
        Settings {
            name: name.to_string(),
            region: Some(region.to_string()),
            endpoint_url: Some(self.endpoint.clone()),
            production: seed_production(name),
            ..Settings::default()
        }
    }

    /// The product's own loader (timeouts, retries) with this account's keys.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        let creds = aws_sdk_ecs::config::Credentials::new(
            self.access_key(),
            "moto-secret",
            None,
            None,
            "flightdeck-tests",
        );
        flightdeck::aws::loader(&self.settings("fixture", region))
            .credentials_provider(creds)
            .load()
            .await
    }

    pub async fn provider(
        &self,
        name: &str,
        region: &str,
        clock: Arc<dyn Clock>,
        cache_dir: Option<std::path::PathBuf>,
    ) -> AwsProvider {
        let mut settings = self.settings(name, region);
        settings.cache_dir = cache_dir;
        AwsProvider::with_config(settings, &self.sdk_config(region).await, clock).unwrap()
    }

    /// Puts an alarm of this account in `state`, as an alarm evaluation
    /// would (CloudWatch SetAlarmState).
    pub async fn set_alarm_state(
        &self,
        region: &str,
        alarm: &str,
        state: aws_sdk_cloudwatch::types::StateValue,
        reason: &str,
    ) {
        aws_sdk_cloudwatch::Client::new(&self.sdk_config(region).await)
            .set_alarm_state()
            .alarm_name(alarm)
            .state_value(state)
            .state_reason(reason)
            .send()
            .await
            .unwrap();
    }

    /// Makes `operation` fail for this account with an AWS error code.
    pub fn fault(&self, operation: &str, code: &str, message: &str) {
        ureq::post(format!("{}/__flightdeck/faults", self.endpoint))
            .send_json(serde_json::json!({
                "account": self.account,
                "operation": operation,
                "status": 400,
                "code": code,
                "message": message,
            }))
            .unwrap();
    }

    /// Holds every call of `operation` of this account for `millis`, then
    /// answers it normally: a slow or hung endpoint.
    pub fn delay(&self, operation: &str, millis: u64) {
        ureq::post(format!("{}/__flightdeck/faults", self.endpoint))
            .send_json(serde_json::json!({
                "account": self.account,
                "operation": operation,
                "delay_ms": millis,
            }))
            .unwrap();
    }

    /// Pages ECS list calls of this account by `max_page` items, AWS's own
    /// page size being 100 (the proxy's default for the tests is 7).
    pub fn page_size(&self, max_page: u32) {
        ureq::post(format!("{}/__flightdeck/page", self.endpoint))
            .send_json(serde_json::json!({
                "account": self.account,
                "max_page": max_page,
            }))
            .unwrap();
    }

    /// Dates this account's answers `seconds` ahead of now, as AWS looks
    /// from a machine whose clock is that far behind.
    pub fn skew(&self, seconds: i64) {
        ureq::post(format!("{}/__flightdeck/skew", self.endpoint))
            .send_json(serde_json::json!({
                "account": self.account,
                "seconds": seconds,
            }))
            .unwrap();
    }

    /// Removes every fault and delay of this account.
    pub fn clear_faults(&self) {
        ureq::delete(format!(
            "{}/__flightdeck/faults?account={}",
            self.endpoint, self.account
        ))
        .call()
        .unwrap();
    }

    /// How often each operation was called for this account.
    pub fn calls(&self) -> HashMap<String, u64> {
        ureq::get(format!(
            "{}/__flightdeck/calls?account={}",
            self.endpoint, self.account
        ))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap()
    }

    /// Queues a canned Cost Explorer answer for this account.
    pub fn canned_costs(&self, results_by_time: serde_json::Value) {
        ureq::post(format!(
            "{}/moto-api/static/ce/cost-and-usage-results",
            self.endpoint
        ))
        .send_json(serde_json::json!({
            "account_id": self.account,
            "results": [{ "ResultsByTime": results_by_time }],
        }))
        .unwrap();
    }
}

/// What a seeded environment contains, for the tests to compare with.
#[derive(Debug, Default)]
pub struct Seeded {
    pub services: Vec<(String, u32, String)>,
    pub alarms: Vec<(String, f64)>,
    pub targets: Vec<(String, u32, u32)>,
    pub policies: Vec<String>,
    pub log_lines: Vec<String>,
    pub log_group: String,
    pub cost_days: Vec<(String, f64)>,
}

/// Creates one seed environment in moto through the SDK: cluster, task
/// definitions, services, scaling targets and policies, alarms, metric
/// data, log events of the first service, and a canned cost answer.
pub async fn seed(moto: &Moto, env: &EnvSpec, now: Timestamp) -> Seeded {
    let config = moto.sdk_config(&env.region).await;
    let ecs_client = aws_sdk_ecs::Client::new(&config);
    let cw_client = aws_sdk_cloudwatch::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let aas_client = aws_sdk_applicationautoscaling::Client::new(&config);
    let mut seeded = Seeded::default();

    ecs_client
        .create_cluster()
        .cluster_name(&env.cluster)
        .settings(
            ecs::ClusterSetting::builder()
                .name(ecs::ClusterSettingName::ContainerInsights)
                .value(if env.container_insights {
                    "enabled"
                } else {
                    "disabled"
                })
                .build(),
        )
        .send()
        .await
        .unwrap();

    let mut policy_arns: HashMap<String, String> = HashMap::new();
    for svc in &env.services {
        let group = format!("/ecs/{}/{}", env.cluster, svc.name);
        let mut td = ecs_client
            .register_task_definition()
            .family(&svc.family)
            .cpu(svc.cpu.to_string())
            .memory(svc.memory.to_string())
            .requires_compatibilities(ecs::Compatibility::Fargate)
            .network_mode(ecs::NetworkMode::Awsvpc);
        for c in &svc.containers {
            let mut def = ecs::ContainerDefinition::builder()
                .name(&c.name)
                .image(&c.image)
                .essential(true)
                .log_configuration(
                    ecs::LogConfiguration::builder()
                        .log_driver(ecs::LogDriver::Awslogs)
                        .options("awslogs-group", &group)
                        .options("awslogs-region", &env.region)
                        .options("awslogs-stream-prefix", "ecs")
                        .build()
                        .unwrap(),
                );
            if let Some(port) = c.port {
                def = def.port_mappings(
                    ecs::PortMapping::builder()
                        .container_port(i32::from(port))
                        .build(),
                );
            }
            for (k, v) in &c.environment {
                def = def.environment(ecs::KeyValuePair::builder().name(k).value(v).build());
            }
            for (k, v) in &c.secrets {
                def = def.secrets(
                    ecs::Secret::builder()
                        .name(k)
                        .value_from(v)
                        .build()
                        .unwrap(),
                );
            }
            td = td.container_definitions(def.build());
        }
        let td = td.send().await.unwrap();
        let revision = td.task_definition().unwrap().revision();
        let task_definition = format!("{}:{revision}", svc.family);
        ecs_client
            .create_service()
            .cluster(&env.cluster)
            .service_name(&svc.name)
            .task_definition(&task_definition)
            .desired_count(svc.desired as i32)
            .launch_type(match env.launch_type {
                LaunchType::Ec2 => ecs::LaunchType::Ec2,
                LaunchType::Fargate => ecs::LaunchType::Fargate,
            })
            .send()
            .await
            .unwrap();
        seeded
            .services
            .push((svc.name.clone(), svc.desired, task_definition));

        if let Some(scaling) = &svc.scaling {
            let resource = format!("service/{}/{}", env.cluster, svc.name);
            aas_client
                .register_scalable_target()
                .service_namespace(aas::ServiceNamespace::Ecs)
                .resource_id(&resource)
                .scalable_dimension(aas::ScalableDimension::EcsServiceDesiredCount)
                .min_capacity(scaling.min as i32)
                .max_capacity(scaling.max as i32)
                .send()
                .await
                .unwrap();
            seeded
                .targets
                .push((svc.name.clone(), scaling.min, scaling.max));
            for policy in &scaling.policies {
                let put = aas_client
                    .put_scaling_policy()
                    .service_namespace(aas::ServiceNamespace::Ecs)
                    .resource_id(&resource)
                    .scalable_dimension(aas::ScalableDimension::EcsServiceDesiredCount);
                let (name, put) = match policy {
                    PolicySpec::TargetTracking { signal, target } => {
                        let (short, metric) = if *signal == Signal::Memory {
                            (
                                "memory",
                                aas::MetricType::EcsServiceAverageMemoryUtilization,
                            )
                        } else {
                            ("cpu", aas::MetricType::EcsServiceAverageCpuUtilization)
                        };
                        let name = format!("{}-{short}-target-tracking", svc.name);
                        let put = put
                            .policy_name(&name)
                            .policy_type(aas::PolicyType::TargetTrackingScaling)
                            .target_tracking_scaling_policy_configuration(
                                aas::TargetTrackingScalingPolicyConfiguration::builder()
                                    .target_value(*target)
                                    .predefined_metric_specification(
                                        aas::PredefinedMetricSpecification::builder()
                                            .predefined_metric_type(metric)
                                            .build()
                                            .unwrap(),
                                    )
                                    .build()
                                    .unwrap(),
                            );
                        (name, put)
                    }
                    PolicySpec::Step {
                        name,
                        adjustment,
                        cooldown_secs,
                        ..
                    } => {
                        let step = if *adjustment >= 0 {
                            aas::StepAdjustment::builder().metric_interval_lower_bound(0.0)
                        } else {
                            aas::StepAdjustment::builder().metric_interval_upper_bound(0.0)
                        };
                        let put = put
                            .policy_name(name)
                            .policy_type(aas::PolicyType::StepScaling)
                            .step_scaling_policy_configuration(
                                aas::StepScalingPolicyConfiguration::builder()
                                    .adjustment_type(aas::AdjustmentType::ChangeInCapacity)
                                    .cooldown(*cooldown_secs as i32)
                                    .step_adjustments(
                                        step.scaling_adjustment(*adjustment).build().unwrap(),
                                    )
                                    .build(),
                            );
                        (name.clone(), put)
                    }
                };
                let out = put.send().await.unwrap();
                if let PolicySpec::Step { alarm, .. } = policy {
                    policy_arns.insert(alarm.clone(), out.policy_arn().to_string());
                }
                seeded.policies.push(name);
            }
        }
    }

    for alarm in &env.alarms {
        let (namespace, metric, statistic, unit) = metric_identity(alarm.signal);
        let mut put = cw_client
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description)
            .namespace(namespace.as_str())
            .metric_name(metric.as_str())
            .dimensions(
                cw::Dimension::builder()
                    .name("ClusterName")
                    .value(&env.cluster)
                    .build(),
            )
            .dimensions(
                cw::Dimension::builder()
                    .name("ServiceName")
                    .value(&alarm.service)
                    .build(),
            )
            .period(alarm.period_secs as i32)
            .evaluation_periods(alarm.evaluation_periods as i32)
            .threshold(alarm.threshold)
            .unit(cw::StandardUnit::from(unit))
            .comparison_operator(match alarm.comparison {
                Comparison::GreaterThanThreshold => cw::ComparisonOperator::GreaterThanThreshold,
                Comparison::GreaterThanOrEqualToThreshold => {
                    cw::ComparisonOperator::GreaterThanOrEqualToThreshold
                }
                Comparison::LessThanThreshold => cw::ComparisonOperator::LessThanThreshold,
                Comparison::LessThanOrEqualToThreshold => {
                    cw::ComparisonOperator::LessThanOrEqualToThreshold
                }
            });
        put = if matches!(statistic, Statistic::P95 | Statistic::P99) {
            put.extended_statistic(statistic.as_str())
        } else {
            put.statistic(cw::Statistic::from(statistic.as_str()))
        };
        if let Some(arn) = policy_arns.get(&alarm.name) {
            put = put.alarm_actions(arn);
        }
        put.send().await.unwrap();
        seeded.alarms.push((alarm.name.clone(), alarm.threshold));
    }

    // CPU of every service for the last 10 minutes, one point a minute.
    let minute = |i: i64| now - Duration::minutes(10 - i);
    for svc in &env.services {
        let mut put = cw_client.put_metric_data().namespace("AWS/ECS");
        for i in 0..10 {
            put = put.metric_data(
                cw::MetricDatum::builder()
                    .metric_name("CPUUtilization")
                    .dimensions(
                        cw::Dimension::builder()
                            .name("ClusterName")
                            .value(&env.cluster)
                            .build(),
                    )
                    .dimensions(
                        cw::Dimension::builder()
                            .name("ServiceName")
                            .value(&svc.name)
                            .build(),
                    )
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                        minute(i).timestamp(),
                    ))
                    .value(40.0 + i as f64)
                    .unit(cw::StandardUnit::Percent)
                    .build(),
            );
        }
        put.send().await.unwrap();
    }

    // Log lines of the first service, one of them hostile.
    let first = &env.services[0];
    let group = format!("/ecs/{}/{}", env.cluster, first.name);
    let stream = format!("ecs/{}/0123456789abcdef", first.containers[0].name);
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let lines = [
        "info GET /api/v1/items 200 12ms".to_string(),
        "error upstream timeout after 30s".to_string(),
        "warn \u{1b}]52;c;ZXZpbA==\u{7}clipboard write attempt".to_string(),
        "info POST /api/v1/items 201 31ms".to_string(),
    ];
    let mut put = logs
        .put_log_events()
        .log_group_name(&group)
        .log_stream_name(&stream);
    for (i, line) in lines.iter().enumerate() {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(
                    (now - Duration::minutes(5) + Duration::seconds(i as i64)).timestamp_millis(),
                )
                .message(line)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
    seeded.log_lines = lines.to_vec();
    seeded.log_group = group;

    // Three days of costs by service.
    let mut results = Vec::new();
    for back in (1..=3).rev() {
        let day = (now - Duration::days(back)).date_naive();
        let next = day + Duration::days(1);
        let ecs_cost = 20.0 + back as f64;
        results.push(serde_json::json!({
            "TimePeriod": {"Start": day.to_string(), "End": next.to_string()},
            "Total": {},
            "Groups": [
                {"Keys": ["Amazon Elastic Container Service"],
                 "Metrics": {"UnblendedCost": {"Amount": format!("{ecs_cost}"), "Unit": "USD"}}},
                {"Keys": ["Amazon Relational Database Service"],
                 "Metrics": {"UnblendedCost": {"Amount": "9.5", "Unit": "USD"}}},
            ],
            "Estimated": false,
        }));
        seeded.cost_days.push((day.to_string(), ecs_cost + 9.5));
    }
    moto.canned_costs(serde_json::Value::Array(results));
    seeded
}
