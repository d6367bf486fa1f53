//! The AWS provider over real HTTP against moto (behind the proxy that
//! translates CloudWatch's CBOR, isolates accounts, enforces the ECS batch
//! limits and injects faults). Run by `scripts/test.sh`.
#![cfg(feature = "aws")]
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;
use flightdeck::provider::prelude::*;

use common::moto::{Moto, seed, spec};
use flightdeck::clock::{Clock, ManualClock};
use flightdeck::model::{
    AlarmState, MetricName, MetricNamespace, MetricQuery, PolicyKind, TaskDefRef,
};
use flightdeck::provider::{LogQuery, Provider, ProviderError, ReadProvider};
use std::sync::Arc;

fn clock() -> ManualClock {
    ManualClock::new(chrono::Utc::now())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn every_read_path_shows_what_the_fixtures_created() {
    let Some(moto) = Moto::new("every_read_path") else {
        return;
    };
    let env = spec("radiox-prod");
    let clock = clock();
    let now = clock.now();
    let cache = tempfile::tempdir().unwrap();
    runtime().block_on(async {
        let seeded = seed(&moto, &env, now).await;
        let p = moto
            .provider(
                &env.name,
                &env.region,
                Arc::new(clock.clone()),
                Some(cache.path().to_path_buf()),
            )
            .await;

        assert_eq!(p.caller_identity().await.unwrap().account, moto.account);

        let clusters = p.clusters().await.unwrap();
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, env.cluster);

        let services = p.services(&env.cluster).await.unwrap();
        let mut got: Vec<(String, u32, String)> = services
            .iter()
            .map(|s| (s.name.clone(), s.desired, s.task_definition.to_string()))
            .collect();
        got.sort();
        let mut want = seeded.services.clone();
        want.sort();
        assert_eq!(got, want);

        let first = &services[0];
        let td = p.task_definition(&first.task_definition).await.unwrap();
        assert_eq!(td.reference, first.task_definition);
        let group = format!("/ecs/{}/{}", env.cluster, first.name);
        assert_eq!(td.containers[0].log_group.as_deref(), Some(group.as_str()));
        assert_eq!(td.containers[0].log_stream_prefix.as_deref(), Some("ecs"));
        // Cached for the session: the second read makes no call.
        let before = moto.calls().get("DescribeTaskDefinition").copied();
        p.task_definition(&first.task_definition).await.unwrap();
        assert_eq!(moto.calls().get("DescribeTaskDefinition").copied(), before);
        assert_eq!(
            p.task_definition_revisions(&first.task_definition.family)
                .await
                .unwrap(),
            vec![first.task_definition.clone()]
        );

        let mut targets: Vec<(String, u32, u32)> = p
            .scalable_targets()
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.service, t.min, t.max))
            .collect();
        targets.sort();
        let mut want = seeded.targets.clone();
        want.sort();
        assert_eq!(targets, want);

        let policies = p.scaling_policies().await.unwrap();
        let mut names: Vec<String> = policies.iter().map(|p| p.name.clone()).collect();
        names.sort();
        let mut want = seeded.policies.clone();
        want.sort();
        assert_eq!(names, want);
        assert!(
            policies
                .iter()
                .all(|p| matches!(p.kind, PolicyKind::StepScaling { .. }))
        );

        let alarms = p.alarms().await.unwrap();
        let mut got: Vec<(String, f64)> = alarms
            .iter()
            .map(|a| (a.name.clone(), a.threshold))
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let mut want = seeded.alarms.clone();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got, want);
        let scale_out = alarms
            .iter()
            .find(|a| a.name == "radiox-prod-backend-api-scale-out-cpu")
            .unwrap();
        assert_eq!(scale_out.metric, MetricName::CpuUtilization);
        assert_eq!(scale_out.namespace, MetricNamespace::Ecs);
        assert_eq!(scale_out.dimension("ServiceName"), Some("backend-api"));

        let query =
            MetricQuery::ecs_service(&env.cluster, "backend-api", MetricName::CpuUtilization);
        let series = p
            .metrics(
                std::slice::from_ref(&query),
                now - chrono::Duration::minutes(30),
                now,
            )
            .await
            .unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].id, query.id);
        assert_eq!(series[0].points.len(), 10, "{series:?}");
        assert_eq!(series[0].last(), Some(49.0));

        let events = p
            .log_events(&LogQuery {
                log_group: seeded.log_group.clone(),
                stream_prefix: Some("ecs/".into()),
                since: now - chrono::Duration::minutes(15),
                filter: None,
                limit: 100,
                live: false,
            })
            .await
            .unwrap();
        let lines: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(lines, seeded.log_lines);

        let costs = p.costs(3).await.unwrap();
        let days: Vec<(String, f64)> = costs
            .days
            .iter()
            .map(|d| (d.date.clone(), d.amount))
            .collect();
        assert_eq!(days, seeded.cost_days);
        assert_eq!(
            costs.by_service[0].service,
            "Amazon Elastic Container Service"
        );
        // Cached on disk: a second provider (a second run) does not pay again.
        let calls = moto.calls().get("GetCostAndUsage").copied();
        let again = moto
            .provider(
                &env.name,
                &env.region,
                Arc::new(clock.clone()),
                Some(cache.path().to_path_buf()),
            )
            .await;
        assert_eq!(again.costs(3).await.unwrap(), costs);
        assert_eq!(moto.calls().get("GetCostAndUsage").copied(), calls);

        // moto has no alarm history: the test proxy answers
        // DescribeAlarmHistory from the SetAlarmState calls it forwarded.
        moto.set_alarm_state(
            &env.region,
            &scale_out.name,
            aws_sdk_cloudwatch::types::StateValue::Alarm,
            "Threshold Crossed: 3 datapoints were greater than the threshold",
        )
        .await;
        p.alarms().await.unwrap();
        let history = p.alarm_history(&scale_out.name).await.unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        assert_eq!(history[0].to, AlarmState::Alarm);
        assert_eq!(
            history[0].summary,
            format!("Alarm updated from {} to ALARM", history[0].from)
        );
        // Read again while the state is unchanged: no call. After a state
        // change DescribeAlarms reports, read anew.
        let reads = || moto.calls().get("DescribeAlarmHistory").copied();
        assert_eq!(p.alarm_history(&scale_out.name).await.unwrap(), history);
        assert_eq!(reads(), Some(1));
        moto.set_alarm_state(
            &env.region,
            &scale_out.name,
            aws_sdk_cloudwatch::types::StateValue::Ok,
            "Threshold Crossed: back under",
        )
        .await;
        p.alarms().await.unwrap();
        let again = p.alarm_history(&scale_out.name).await.unwrap();
        assert_eq!(reads(), Some(2));
        assert_eq!((again.len(), again[0].to), (2, AlarmState::Ok));
        // Nor scaling activities: a classified error, never a crash.
        assert!(p.scaling_activities().await.is_err());
    });
}

/// Each revision's metrics come from its own ALB target group. CloudWatch
/// has them only under the group and its load balancer: ListMetrics finds
/// the balancer once (the per-zone set is not it), GetMetricData reads the
/// group's requests and 5xx; a group without traffic has empty series.
#[test]
fn each_target_groups_metrics_are_read_under_its_load_balancer() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    let Some(moto) = Moto::new("target_group_metrics") else {
        return;
    };
    let clock = clock();
    let now = clock.now();
    let arn = |name: &str| {
        format!(
            "arn:aws:elasticloadbalancing:eu-west-1:{}:targetgroup/{name}/0a1b2c3d",
            moto.account
        )
    };
    let (blue, green, idle) = (arn("api"), arn("api-alt"), arn("api-idle"));
    runtime().block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config("eu-west-1").await);
        let dim = |n: &str, v: &str| Dimension::builder().name(n).value(v).build();
        for (group, requests, errors) in [(&blue, 900.0, 9.0), (&green, 100.0, 60.0)] {
            let group = flightdeck::model::TargetGroupSeries::dimension(group);
            let mut put = cw.put_metric_data().namespace("AWS/ApplicationELB");
            for i in 1..=3 {
                let at = aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                    (now - chrono::Duration::minutes(i)).timestamp(),
                );
                for (metric, value, zone) in [
                    ("RequestCount", requests, None),
                    ("HTTPCode_Target_5XX_Count", errors, None),
                    // The per-zone set, under a balancer of its own name:
                    // not the one the group's own metrics are under.
                    ("RequestCount", 1.0, Some("eu-west-1a")),
                ] {
                    let mut d = MetricDatum::builder()
                        .metric_name(metric)
                        .dimensions(dim("TargetGroup", group))
                        .timestamp(at)
                        .value(value)
                        .unit(StandardUnit::Count);
                    d = match zone {
                        Some(z) => d
                            .dimensions(dim("LoadBalancer", "app/zonal/1"))
                            .dimensions(dim("AvailabilityZone", z)),
                        None => d.dimensions(dim("LoadBalancer", "app/shop/5f9d")),
                    };
                    put = put.metric_data(d.build());
                }
            }
            put.send().await.unwrap();
        }
        let p = moto
            .provider("shop", "eu-west-1", Arc::new(clock.clone()), None)
            .await;
        let groups = [blue.clone(), green.clone(), idle.clone()];
        let start = now - chrono::Duration::minutes(30);
        let got = p.target_group_metrics(&groups, start, now).await.unwrap();
        let sums = |g: usize| {
            (
                got[g].requests.iter().map(|p| p.value).sum::<f64>(),
                got[g].errors.iter().map(|p| p.value).sum::<f64>(),
            )
        };
        assert_eq!(got[0].target_group, blue);
        assert_eq!(sums(0), (2700.0, 27.0), "{got:?}");
        assert_eq!(sums(1), (300.0, 180.0), "{got:?}");
        assert!(got[2].requests.is_empty() && got[2].errors.is_empty());
        // The balancer is found once per group that has one.
        let lists = moto.calls().get("ListMetrics").copied();
        p.target_group_metrics(&groups, start, now).await.unwrap();
        assert_eq!(
            moto.calls().get("ListMetrics").copied(),
            lists.map(|n| n + 1),
            "only the idle group is looked for again"
        );
    });
}

/// CloudTrail answers 2 lookups a second per account: the provider asks
/// once per write call name and reuses the answer for two minutes. moto has
/// no LookupEvents; the test proxy records the write calls it forwards as
/// CloudTrail events (scripts/aws_history.py).
#[test]
fn cloudtrail_lookups_are_reused_for_two_minutes() {
    let Some(moto) = Moto::new("trail_cache") else {
        return;
    };
    let env = spec("muejam-staging");
    runtime().block_on(async {
        seed(&moto, &env, chrono::Utc::now()).await;
        let clock = ManualClock::new(chrono::Utc::now() + chrono::Duration::seconds(5));
        let p = moto
            .provider(&env.name, &env.region, Arc::new(clock.clone()), None)
            .await;
        let lookups = || moto.calls().get("LookupEvents").copied().unwrap_or(0);
        let since = clock.now() - chrono::Duration::hours(1);
        let writes = p.write_events(since).await.unwrap();
        let created: Vec<&str> = writes
            .iter()
            .filter(|w| w.call == "CreateService")
            .filter_map(|w| w.service.as_deref())
            .collect();
        assert_eq!(created.len(), env.services.len(), "{writes:#?}");
        assert_eq!(
            writes[0].who,
            format!("arn:aws:iam::{}:user/moto", moto.account)
        );
        let per_lookup = flightdeck::aws::WRITE_CALLS.len() as u64;
        assert_eq!(lookups(), per_lookup);
        // A shorter window within two minutes: from the cache.
        p.write_events(since + chrono::Duration::minutes(10))
            .await
            .unwrap();
        assert_eq!(lookups(), per_lookup);
        // Later, or further back: asked again.
        clock.advance(flightdeck::aws::TRAIL_CACHE_TTL);
        p.write_events(since).await.unwrap();
        assert_eq!(lookups(), 2 * per_lookup);
        p.write_events(since - chrono::Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(lookups(), 3 * per_lookup);
    });
}

#[test]
fn more_than_ten_services_are_paged_and_described_in_batches() {
    let Some(moto) = Moto::new("batching") else {
        return;
    };
    runtime().block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        let names = (0..23).map(|i| format!("svc-{i:02}"));
        cluster_of_services(&ecs, "big", names).await;
        let p = moto
            .provider("big", "eu-west-1", Arc::new(clock()), None)
            .await;
        let services = p.services("big").await.unwrap();
        let mut names: Vec<String> = services.into_iter().map(|s| s.name).collect();
        names.sort();
        let want: Vec<String> = (0..23).map(|i| format!("svc-{i:02}")).collect();
        assert_eq!(names, want);
        let calls = moto.calls();
        // The proxy refuses more than 10 services a call and pages by 7.
        assert_eq!(calls.get("DescribeServices"), Some(&3), "{calls:?}");
        assert_eq!(calls.get("ListServices"), Some(&4), "{calls:?}");
    });
}

#[test]
fn more_than_a_hundred_tasks_are_described_in_batches() {
    let Some(moto) = Moto::new("many_tasks") else {
        return;
    };
    runtime().block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        ecs.create_cluster()
            .cluster_name("wide")
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family("worker")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("app")
                    .image("worker:1")
                    .cpu(256)
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .cluster("wide")
            .service_name("workers")
            .task_definition("worker:1")
            .desired_count(0)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .send()
            .await
            .unwrap();
        for _ in 0..11 {
            ecs.run_task()
                .cluster("wide")
                .task_definition("worker:1")
                .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
                .started_by("ecs-svc/workers")
                .group("service:workers")
                .count(10)
                .send()
                .await
                .unwrap();
        }
        let p = moto
            .provider("wide", "eu-west-1", Arc::new(clock()), None)
            .await;
        let tasks = p
            .tasks(&flightdeck::model::ServiceRef::new("wide", "workers"))
            .await
            .unwrap();
        assert_eq!(tasks.len(), 110);
        assert!(
            tasks
                .iter()
                .all(|t| t.task_definition == TaskDefRef::new("worker", 1))
        );
        let calls = moto.calls();
        assert_eq!(calls.get("DescribeTasks"), Some(&2), "{calls:?}");
    });
}

#[test]
fn failures_are_classified_per_service() {
    let Some(moto) = Moto::new("failures") else {
        return;
    };
    runtime().block_on(async {
        let p = moto
            .provider("broken", "eu-west-1", Arc::new(clock()), None)
            .await;
        // Missing things.
        assert!(matches!(
            p.services("no-such-cluster").await,
            Err(ProviderError::NotFound(_))
        ));
        assert!(matches!(
            p.log_events(&LogQuery {
                log_group: "/ecs/none/none".into(),
                stream_prefix: None,
                since: chrono::Utc::now() - chrono::Duration::minutes(5),
                filter: None,
                limit: 10,
                live: false,
            })
            .await,
            Err(ProviderError::NotFound(_))
        ));
        // Access denied, naming the action; throttling after the retries.
        moto.fault("ListClusters", "AccessDeniedException", "not authorized");
        moto.fault("DescribeAlarms", "ThrottlingException", "Rate exceeded");
        moto.fault("DescribeScalableTargets", "AccessDeniedException", "no");
        moto.fault("FilterLogEvents", "ThrottlingException", "Rate exceeded");
        moto.fault("GetCostAndUsage", "AccessDeniedException", "no");
        moto.fault("GetCallerIdentity", "ExpiredToken", "token expired");
        assert_eq!(
            p.clusters().await,
            Err(ProviderError::AccessDenied {
                action: "ecs:ListClusters".into()
            })
        );
        assert!(matches!(p.alarms().await, Err(ProviderError::Throttled(_))));
        assert_eq!(
            p.scalable_targets().await,
            Err(ProviderError::AccessDenied {
                action: "application-autoscaling:DescribeScalableTargets".into()
            })
        );
        assert!(matches!(
            p.log_events(&LogQuery {
                log_group: "/ecs/x/y".into(),
                stream_prefix: None,
                since: chrono::Utc::now(),
                filter: None,
                limit: 10,
                live: false,
            })
            .await,
            Err(ProviderError::Throttled(_))
        ));
        assert_eq!(
            p.costs(7).await,
            Err(ProviderError::AccessDenied {
                action: "ce:GetCostAndUsage".into()
            })
        );
        let calls = moto.calls();
        // The explicit retry policy: three attempts for a throttled call.
        assert_eq!(calls.get("DescribeAlarms"), Some(&3), "{calls:?}");
    });
}

#[test]
fn the_cockpit_shows_the_seeded_environment() {
    let Some(moto) = Moto::new("cockpit") else {
        return;
    };
    let env = spec("tellmemore-prod");
    let clock = clock();
    let rt = runtime();
    let (seeded, provider) = rt.block_on(async {
        let seeded = seed(&moto, &env, clock.now()).await;
        let p = moto
            .provider(&env.name, &env.region, Arc::new(clock.clone()), None)
            .await;
        (seeded, p)
    });
    drop(rt);
    let providers: Vec<Arc<Provider>> = vec![Arc::new(Provider::new(provider))];
    let mut h = common::Harness::with_providers(providers, clock, false);
    let theme = common::theme("monochrome");
    let screen = h.screen(160, 48, &theme);
    for (name, desired, task_definition) in &seeded.services {
        let row = screen
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{screen}"));
        assert!(row.contains(&format!("{desired}/0/{desired}")), "{row}");
        let family = task_definition.split(':').next().unwrap();
        assert!(row.contains(&family[..family.len().min(20)]), "{row}");
    }
    assert!(screen.contains(&moto.account), "account missing:\n{screen}");
    h.keys("3");
    let screen = h.screen(160, 48, &theme);
    for (name, _) in seeded.alarms.iter().take(3) {
        assert!(screen.contains(name.as_str()), "{name} missing:\n{screen}");
    }
    // Logs of the first service, found through its task definition's
    // awslogs group and stream prefix.
    h.keys("4");
    let screen = h.screen(160, 48, &theme);
    assert!(screen.contains(&seeded.log_group), "{screen}");
    assert!(screen.contains("upstream timeout after 30s"), "{screen}");
    assert!(screen.contains("clipboard write attempt"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");
}

#[test]
fn following_logs_streams_them_with_live_tail_and_polls_when_it_ends() {
    let Some(moto) = Moto::new("live_tail") else {
        return;
    };
    let env = spec("muejam-staging");
    let clock = clock();
    let now = clock.now();
    runtime().block_on(async {
        let seeded = seed(&moto, &env, now).await;
        let p = moto
            .provider(&env.name, &env.region, Arc::new(clock.clone()), None)
            .await;
        let query = LogQuery {
            log_group: seeded.log_group.clone(),
            stream_prefix: Some("ecs/".into()),
            since: now - chrono::Duration::minutes(15),
            filter: None,
            limit: 100,
            live: true,
        };
        let messages = |events: &[flightdeck::model::LogEvent]| -> Vec<String> {
            events.iter().map(|e| e.message.clone()).collect()
        };
        // The first read polls and opens a session in the background.
        assert_eq!(
            messages(&p.log_events(&query).await.unwrap()),
            seeded.log_lines
        );
        let mut opened = false;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if moto.calls().get("StartLiveTail") == Some(&1) {
                opened = true;
                break;
            }
        }
        assert!(opened, "{:?}", moto.calls());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        // moto's session streams every line it holds, then ends. With
        // polling failing, those lines can only have come from the stream.
        moto.fault("FilterLogEvents", "ThrottlingException", "Rate exceeded");
        assert_eq!(
            messages(&p.log_events(&query).await.unwrap()),
            seeded.log_lines
        );
        // The session ended and nothing is buffered: the poll's failure shows,
        // and no second session is opened before the retry delay.
        assert!(matches!(
            p.log_events(&query).await,
            Err(ProviderError::Throttled(_))
        ));
        assert_eq!(moto.calls().get("StartLiveTail"), Some(&1));
    });
}

/// Sorted copies, for comparisons that do not care about order.
fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[test]
fn all_six_seed_environments_read_back_exactly() {
    let Some(base) = Moto::new("all_six") else {
        return;
    };
    let clock = clock();
    let now = clock.now();
    runtime().block_on(async {
        for (i, env) in flightdeck::sim::catalog::seed_environments()
            .into_iter()
            .enumerate()
        {
            let moto = Moto {
                account: format!("{}{i}", &base.account[..11]),
                ..base.clone()
            };
            let seeded = seed(&moto, &env, now).await;
            let p = moto
                .provider(&env.name, &env.region, Arc::new(clock.clone()), None)
                .await;
            let services: Vec<(String, u32, String)> = p
                .services(&env.cluster)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.name, s.desired, s.task_definition.to_string()))
                .collect();
            assert_eq!(sorted(&services), sorted(&seeded.services), "{}", env.name);
            // Target tracking policies create their own AlarmHigh/AlarmLow
            // pair, on AWS as on moto: those come on top of the seeded ones.
            let (tracking, alarms): (Vec<String>, Vec<String>) = p
                .alarms()
                .await
                .unwrap()
                .into_iter()
                .map(|a| format!("{} {}", a.name, a.threshold))
                .partition(|a| a.starts_with("TargetTracking-"));
            let want: Vec<String> = seeded
                .alarms
                .iter()
                .map(|(n, t)| format!("{n} {t}"))
                .collect();
            assert_eq!(sorted(&alarms), sorted(&want), "{}", env.name);
            let tracking_policies = seeded
                .policies
                .iter()
                .filter(|p| p.ends_with("-target-tracking"))
                .count();
            assert_eq!(tracking.len(), 2 * tracking_policies, "{}", env.name);
            let targets: Vec<(String, u32, u32)> = p
                .scalable_targets()
                .await
                .unwrap()
                .into_iter()
                .map(|t| (t.service, t.min, t.max))
                .collect();
            assert_eq!(sorted(&targets), sorted(&seeded.targets), "{}", env.name);
            let policies: Vec<String> = p
                .scaling_policies()
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(sorted(&policies), sorted(&seeded.policies), "{}", env.name);
            let days: Vec<(String, f64)> = p
                .costs(3)
                .await
                .unwrap()
                .days
                .into_iter()
                .map(|d| (d.date, d.amount))
                .collect();
            assert_eq!(days, seeded.cost_days, "{}", env.name);
        }
    });
}

#[test]
fn the_cockpit_writes_to_moto_with_a_plan_and_a_confirmation() {
    let Some(moto) = Moto::new("cockpit_writes") else {
        return;
    };
    let env = spec("muejam-staging");
    let clock = clock();
    let rt = runtime();
    let provider = rt.block_on(async {
        seed(&moto, &env, clock.now()).await;
        moto.provider(&env.name, &env.region, Arc::new(clock.clone()), None)
            .await
    });
    drop(rt);
    let providers: Vec<Arc<Provider>> = vec![Arc::new(Provider::new(provider))];
    // The session is recorded, as every cockpit session is.
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("session.jsonl");
    let mut h = common::Harness::recorded_over(providers, clock, false, &recording);
    h.keys("D");
    h.clear_field();
    h.keys("acme/backend:v9");
    h.key(crossterm::event::KeyCode::Enter);
    h.key(crossterm::event::KeyCode::Tab);
    h.key(crossterm::event::KeyCode::Enter);
    // moto answers UpdateService without a new PRIMARY deployment (ECS
    // always has one), so there is nothing to watch: the cockpit says done.
    assert!(
        h.app.rollout.is_some()
            || matches!(
                h.app.dialog,
                Some(flightdeck::app::write::Dialog::Message(_))
            ),
        "{:?}",
        h.app.dialog
    );
    h.key(crossterm::event::KeyCode::Esc);
    h.keys("S");
    h.clear_field();
    h.keys("3");
    h.key(crossterm::event::KeyCode::Enter);
    h.key(crossterm::event::KeyCode::Tab);
    h.key(crossterm::event::KeyCode::Enter);
    let calls = moto.calls();
    for op in ["RegisterTaskDefinition", "UpdateService"] {
        assert!(calls.contains_key(op), "{op} missing: {calls:?}");
    }
    // What moto holds now.
    let p = h.provider(&env.name);
    let svc = runtime().block_on(async {
        p.services(&env.cluster)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.name == "backend")
            .unwrap()
    });
    assert_eq!(svc.task_definition, TaskDefRef::new("muejam-backend", 2));
    assert_eq!(svc.desired, 3);
    let phases: Vec<String> = h
        .audit
        .records()
        .iter()
        .map(|r| format!("{} {:?}", r.operation, r.phase))
        .collect();
    assert_eq!(
        phases,
        [
            "deploy Before",
            "deploy After",
            "scale Before",
            "scale After"
        ]
    );

    // Then an alarm fires and clears while the operator watches the
    // alarms pane (its state set in moto, read by the cockpit's polls).
    h.keys("3");
    let alarm = env.alarms[0].name.clone();
    let rt = runtime();
    for (state, reason) in [
        (
            aws_sdk_cloudwatch::types::StateValue::Alarm,
            "Threshold Crossed: 3 datapoints were greater than the threshold",
        ),
        (
            aws_sdk_cloudwatch::types::StateValue::Ok,
            "Threshold Crossed: back under",
        ),
    ] {
        rt.block_on(moto.set_alarm_state(&env.region, &alarm, state, reason));
        for _ in 0..4 {
            h.advance(chrono::Duration::seconds(10));
        }
    }
    drop(rt);

    // The recording of this session against moto: its postmortem has both
    // confirmed writes with moto's request ids and the alarm's two changes,
    // its replay jumps to the alarm and ends on the screen the operator saw
    // last.
    let mono = common::theme("monochrome");
    let last = h.screen(100, 30, &mono);
    drop(h);
    let report = flightdeck::recording::postmortem(&recording).unwrap();
    let done: Vec<String> = report
        .happenings
        .iter()
        .filter(|x| {
            x.kind == flightdeck::recording::HappeningKind::Action
                && x.what.contains("confirmed and done")
        })
        .map(|x| x.what.clone())
        .collect();
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(
        done[0].starts_with("deploy of muejam-staging/backend"),
        "{done:?}"
    );
    assert!(
        done[1].starts_with("scale of muejam-staging/backend"),
        "{done:?}"
    );
    let changes: Vec<String> = report
        .happenings
        .iter()
        .filter(|x| x.kind == flightdeck::recording::HappeningKind::Alarm)
        .map(|x| x.what.clone())
        .collect();
    assert_eq!(
        changes,
        [
            format!(
                "{alarm}: OK -> ALARM: Threshold Crossed: 3 datapoints were greater than the threshold"
            ),
            format!("{alarm}: ALARM -> OK: Threshold Crossed: back under"),
        ]
    );
    let md = flightdeck::recording::markdown(&report);
    assert!(md.contains(&format!("{alarm}: OK -> ALARM")), "{md}");
    let mut replay = flightdeck::recording::Replay::open(&recording).unwrap();
    replay.advance_to(replay.end());
    assert_eq!(common::render(&replay.app, 100, 30, &mono), last);
    // Back with `N`: the alarm's clearing, then its firing, where the
    // alarms tab counts it.
    let state = |replay: &flightdeck::recording::Replay| {
        replay
            .app
            .env()
            .alarms()
            .iter()
            .find(|a| a.name == alarm)
            .map(|a| a.state)
    };
    assert_eq!(state(&replay), Some(AlarmState::Ok));
    replay.seek(replay.previous_marker().unwrap());
    assert_eq!(state(&replay), Some(AlarmState::Ok), "cleared here");
    replay.seek(replay.previous_marker().unwrap());
    assert_eq!(state(&replay), Some(AlarmState::Alarm), "fired here");
    let screen = common::render(&replay.app, 100, 30, &mono);
    assert!(screen.contains("Alarms (1!)"), "one alarm firing: {screen}");
}

/// Issue 12's formula for one refresh of N services in a cluster, against
/// moto paging as AWS does (100 a page): ceil(N/100) ListServices,
/// ceil(N/10) DescribeServices, ceil(queries/500) GetMetricData for the
/// services' CPU and memory, each task definition described at most once.
/// The counts come from the provider's own call counter (what `--stats`
/// and the debug overlay print) and agree with what the proxy saw.
#[test]
#[expect(
    clippy::disallowed_macros,
    reason = "a figure for whoever runs the test"
)]
fn one_refresh_of_a_thousand_services_costs_what_the_formula_says() {
    const SERVICES: usize = 1000;
    let Some(moto) = Moto::new("refresh_1000") else {
        return;
    };
    moto.page_size(100);
    let clock = clock();
    let rt = runtime();
    let provider = rt.block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        let names = (0..SERVICES).map(|i| format!("svc-{i:04}"));
        cluster_of_services(&ecs, "estate", names).await;
        moto.provider("estate", "eu-west-1", Arc::new(clock.clone()), None)
            .await
    });
    drop(rt);
    let seen_before = moto.calls();
    let counted = Arc::new(Provider::new(provider));
    let h = common::Harness::with_providers(vec![counted.clone()], clock, false);
    assert_eq!(h.app.env().services().len(), SERVICES);
    let queries = h.app.focus().metrics.len();
    assert_eq!(queries, 2 * SERVICES, "CPU and memory of each service");

    let stats = counted.api_stats().unwrap();
    let calls = |op: &str| stats.calls.get(op).copied().unwrap_or(0);
    println!("one refresh of {SERVICES} services: {:?}", stats.calls);
    assert_eq!(calls("ecs:ListServices"), SERVICES.div_ceil(100) as u64);
    assert_eq!(calls("ecs:DescribeServices"), SERVICES.div_ceil(10) as u64);
    assert_eq!(
        calls("cloudwatch:GetMetricData"),
        queries.div_ceil(500) as u64
    );
    assert!(
        calls("ecs:DescribeTaskDefinition") <= 1,
        "{:?}",
        stats.calls
    );
    assert_eq!(stats.throttles.values().sum::<u64>(), 0);
    // The proxy counted the same.
    let seen = moto.calls();
    let proxy =
        |op: &str| seen.get(op).copied().unwrap_or(0) - seen_before.get(op).copied().unwrap_or(0);
    assert_eq!(proxy("ListServices"), calls("ecs:ListServices"));
    assert_eq!(proxy("DescribeServices"), calls("ecs:DescribeServices"));
}

/// A cluster of services named `names`, all of one task definition
/// (`svc:1`) and none running, created 8 at a time.
async fn cluster_of_services(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    names: impl Iterator<Item = String>,
) {
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    ecs.register_task_definition()
        .family("svc")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("nginx:1")
                .memory(512)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<String> = names.collect();
    let mut creating = tokio::task::JoinSet::new();
    for chunk in names.chunks(names.len().div_ceil(8).max(1)) {
        let (ecs, cluster, chunk) = (ecs.clone(), cluster.to_string(), chunk.to_vec());
        creating.spawn(async move {
            for name in chunk {
                ecs.create_service()
                    .cluster(&cluster)
                    .service_name(name)
                    .task_definition("svc:1")
                    .desired_count(0)
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = creating.join_next().await {
        done.unwrap();
    }
}

/// FireLens: a task definition whose container logs through FireLens to
/// CloudWatch Logs (the `cloudwatch_logs` output) is read from that group;
/// one that logs elsewhere (splunk, FireLens to datadog) says where, and
/// the cockpit's logs pane says it too.
#[test]
fn firelens_logs_are_read_from_their_group_and_other_destinations_named() {
    use aws_sdk_ecs::types::{ContainerDefinition, LogConfiguration, LogDriver};
    let Some(moto) = Moto::new("firelens") else {
        return;
    };
    let clock = clock();
    let rt = runtime();
    let now = clock.now();
    rt.block_on(async {
        let config = moto.sdk_config("eu-west-1").await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        ecs.create_cluster()
            .cluster_name("fl")
            .send()
            .await
            .unwrap();
        let register = |family: &'static str, log: LogConfiguration| {
            let ecs = ecs.clone();
            async move {
                ecs.register_task_definition()
                    .family(family)
                    .container_definitions(
                        ContainerDefinition::builder()
                            .name("app")
                            .image("app:1")
                            .memory(512)
                            .log_configuration(log)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
        };
        register(
            "via-firelens",
            LogConfiguration::builder()
                .log_driver(LogDriver::Awsfirelens)
                .options("Name", "cloudwatch_logs")
                .options("region", "eu-west-1")
                .options("log_group_name", "/firelens/api")
                .options("log_stream_prefix", "api-")
                .build()
                .unwrap(),
        )
        .await;
        register(
            "to-datadog",
            LogConfiguration::builder()
                .log_driver(LogDriver::Awsfirelens)
                .options("Name", "datadog")
                .build()
                .unwrap(),
        )
        .await;
        register(
            "to-splunk",
            LogConfiguration::builder()
                .log_driver(LogDriver::Splunk)
                .options("splunk-url", "https://splunk.example:8088")
                .build()
                .unwrap(),
        )
        .await;
        for (service, family) in [("api", "via-firelens"), ("web", "to-datadog")] {
            ecs.create_service()
                .cluster("fl")
                .service_name(service)
                .task_definition(format!("{family}:1"))
                .desired_count(1)
                .send()
                .await
                .unwrap();
        }
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        logs.create_log_group()
            .log_group_name("/firelens/api")
            .send()
            .await
            .unwrap();
        logs.create_log_stream()
            .log_group_name("/firelens/api")
            .log_stream_name("api-app-firelens-0f1e2d3c")
            .send()
            .await
            .unwrap();
        logs.put_log_events()
            .log_group_name("/firelens/api")
            .log_stream_name("api-app-firelens-0f1e2d3c")
            .log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(now.timestamp_millis())
                    .message("routed by fluent bit")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    });
    let p = rt.block_on(moto.provider("fl", "eu-west-1", Arc::new(clock.clone()), None));
    let td = |family: &str| {
        rt.block_on(p.task_definition(&TaskDefRef::new(family, 1)))
            .unwrap()
    };
    let firelens = td("via-firelens");
    let source = firelens.log_source().unwrap();
    assert_eq!(source.group, "/firelens/api");
    assert_eq!(firelens.logs_elsewhere(), None);
    assert_eq!(
        td("to-datadog").logs_elsewhere(),
        Some("FireLens to datadog")
    );
    assert_eq!(td("to-splunk").logs_elsewhere(), Some("splunk"));
    let events = rt
        .block_on(p.log_events(&LogQuery {
            log_group: source.group.clone(),
            stream_prefix: source.stream_prefix.clone(),
            since: now - chrono::Duration::minutes(5),
            filter: None,
            limit: 10,
            live: false,
        }))
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].message, "routed by fluent bit");
    drop(rt);
    // In the cockpit: the FireLens service's lines; the other, where they go.
    let providers: Vec<Arc<Provider>> = vec![Arc::new(Provider::new(p))];
    let mut h = common::Harness::with_providers(providers, clock, false);
    let theme = common::theme("monochrome");
    h.keys("4");
    let on = |h: &mut common::Harness, service: &str| {
        for _ in 0..2 {
            if h.app.log_source_service().unwrap().name == service {
                return h.screen(120, 30, &theme);
            }
            h.keys("]");
        }
        panic!("the logs pane never showed {service}");
    };
    let screen = on(&mut h, "api");
    assert!(screen.contains("/firelens/api"), "{screen}");
    assert!(screen.contains("routed by fluent bit"), "{screen}");
    let screen = on(&mut h, "web");
    assert!(
        screen.contains("web logs to FireLens to datadog"),
        "{screen}"
    );
    assert!(screen.contains("to-datadog:1"), "{screen}");
}
