//! The change timeline against moto, from real calls: `flightdeck timeline`
//! after a deploy by the operator, a colleague's writes and an alarm going
//! off. moto implements none of the history APIs the timeline reads (ECS
//! service deployments and revisions, CloudWatch alarm history, CloudTrail
//! LookupEvents): the test proxy answers them in the shapes the AWS API
//! references document, from the calls it forwarded (scripts/aws_history.py).
#![cfg(feature = "aws")]
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use common::cli::{Fixture, fixture, flightdeck, json};
use common::moto::Moto;
use serde_json::Value;

/// The operator's colleague: the same account, IAM user `maria`.
async fn as_maria(moto: &Moto, region: &str) -> aws_config::SdkConfig {
    let creds = aws_sdk_ecs::config::Credentials::new(
        format!("{}MARIA", moto.access_key()),
        "moto-secret",
        None,
        None,
        "flightdeck-tests",
    );
    flightdeck::aws::loader(&moto.settings("colleague", region))
        .credentials_provider(creds)
        .load()
        .await
}

fn entries<'a>(timeline: &'a Value, kind: &str) -> Vec<&'a Value> {
    timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

#[test]
fn the_timeline_shows_deploys_with_their_diff_alarms_and_who_wrote_what() {
    let Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    }) = fixture("cli_timeline", "muejam-staging")
    else {
        return;
    };
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));
    let (service, _, first_td) = seeded
        .services
        .iter()
        .find(|s| s.0 == "backend")
        .unwrap()
        .clone();

    // The operator deploys a new image with flightdeck (audit log)...
    let container = rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config(&env.region).await);
        let td = ecs
            .describe_task_definition()
            .task_definition(&first_td)
            .send()
            .await
            .unwrap();
        td.task_definition().unwrap().container_definitions()[0]
            .name()
            .unwrap()
            .to_string()
    });
    let deploy = run(&[
        "deploy",
        "--service",
        &service,
        "--image",
        &format!("{container}=registry.example/muejam-backend:v9.9.9"),
        "--confirm",
        &service,
    ]);
    assert_eq!(
        deploy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&deploy.stderr)
    );
    // ...a colleague raises the desired count from her laptop, and the
    // service's critical alarm goes off.
    let critical = seeded
        .alarms
        .iter()
        .map(|(name, _)| name.clone())
        .find(|n| n.contains("critical"))
        .unwrap();
    rt.block_on(async {
        let maria = as_maria(&moto, &env.region).await;
        aws_sdk_ecs::Client::new(&maria)
            .update_service()
            .cluster(&env.cluster)
            .service(&service)
            .desired_count(5)
            .send()
            .await
            .unwrap();
        moto.set_alarm_state(
            &env.region,
            &critical,
            aws_sdk_cloudwatch::types::StateValue::Alarm,
            "Threshold Crossed: 3 datapoints were greater than the threshold",
        )
        .await;
    });

    let timeline = json(&run(&["timeline", "--service", &service, "--json"]));
    assert_eq!(timeline["environment"], env.name.as_str());
    assert_eq!(timeline["service"]["name"], service.as_str(), "{timeline}");
    // moto has no DescribeScalingActivities (HTTP 500): the one source
    // missing, and the timeline says so (activities are tested on the sim).
    let gaps: Vec<&str> = timeline["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["source"].as_str().unwrap())
        .collect();
    assert_eq!(gaps, ["auto scaling activities"], "{timeline}");
    // Newest first.
    let times: Vec<&str> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);

    // The deployment, from ECS's service-deployment history.
    let family = first_td.split(':').next().unwrap();
    let deploys = entries(&timeline, "deployment");
    assert!(
        deploys
            .iter()
            .any(|d| d["summary"].as_str().unwrap().starts_with(&format!(
                "deployment to {family}:2 (from {first_td}): SUCCESSFUL"
            ))),
        "{deploys:#?}"
    );
    // Its task definition diff names the new image.
    let diffs = entries(&timeline, "task_definition");
    assert!(
        diffs.iter().any(|d| d["detail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("v9.9.9"))),
        "{diffs:#?}"
    );
    // The alarm's change, from its history.
    let alarms = entries(&timeline, "alarm");
    assert!(
        alarms
            .iter()
            .any(|a| a["summary"] == format!("{critical}: OK -> ALARM").as_str()),
        "{alarms:#?}"
    );
    // The operator's deploy shows once, from the audit log...
    let mine = entries(&timeline, "operator");
    assert_eq!(mine.len(), 1, "{mine:#?}");
    assert!(
        mine[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("deploy to ")
    );
    // ...and the colleague's write, from CloudTrail, with who and where from.
    let writes = entries(&timeline, "write");
    assert_eq!(
        writes.len(),
        1,
        "the operator's own calls are the audit entry: {writes:#?}"
    );
    assert_eq!(writes[0]["who"], "maria", "{writes:#?}");
    assert_eq!(writes[0]["summary"], "UpdateService desiredCount=5");
    assert!(
        writes[0]["detail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "from 127.0.0.1"),
        "{writes:#?}"
    );

    // --kind filters; the table names who did what.
    let only = json(&run(&[
        "timeline",
        "--service",
        &service,
        "--kind",
        "write",
        "--json",
    ]));
    assert_eq!(entries(&only, "write").len(), 1);
    assert_eq!(only["entries"].as_array().unwrap().len(), 1);
    let table = run(&["timeline", "--service", &service]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("TIME (UTC)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("maria") && l.contains("desiredCount=5")),
        "{text}"
    );

    // Rollback names the last deployment that completed from ECS's
    // history, even with no audit log on this machine.
    std::fs::remove_dir_all(home.path().join("state")).unwrap();
    let plan = json(&run(&[
        "rollback",
        "--service",
        &service,
        "--dry-run",
        "--json",
    ]));
    let notes = plan["plan"]["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "{first_td} is the last deployment that completed, by ECS's deployment history"
        )),
        "{plan}"
    );
    // UpdateService to it, or ECS's own rollback with it as the fallback
    // (moto may still call the deployment in progress).
    let step = &plan["plan"]["steps"][0];
    let target = if step["call"] == "StopServiceDeployment" {
        &step["fallback"]
    } else {
        &step["task_definition"]
    };
    assert_eq!(target["revision"], 1, "{plan}");

    // The environment's timeline has every service's changes.
    let everything = json(&run(&["timeline", "--json"]));
    assert_eq!(everything["scope"], "environment");
    assert!(!entries(&everything, "write").is_empty(), "{everything}");
}

#[test]
fn a_source_that_cannot_be_read_is_named_and_the_rest_still_shows() {
    let Some(Fixture {
        moto, seeded, home, ..
    }) = fixture("cli_timeline_gap", "muejam-staging")
    else {
        return;
    };
    let service = &seeded.services[0].0;
    moto.fault(
        "LookupEvents",
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: cloudtrail:LookupEvents",
    );
    let o = flightdeck(
        home.path(),
        &["timeline", "--service", service, "--json"],
        Some(&moto),
    );
    let timeline = json(&o);
    let gaps = timeline["gaps"].as_array().unwrap();
    let trail = gaps
        .iter()
        .find(|g| g["source"] == "CloudTrail write events")
        .unwrap_or_else(|| panic!("{timeline}"));
    assert!(
        trail["error"]
            .as_str()
            .unwrap()
            .contains("cloudtrail:LookupEvents"),
        "{gaps:?}"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the timeline lacks CloudTrail write events"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // What could be read is still there: the service's creation.
    assert!(!entries(&timeline, "deployment").is_empty(), "{timeline}");
}
