//! The commands as scripts use them: the binary, its JSON contract and exit codes,
//! on `--demo` and on moto through the real credential chain (a profile in
//! an AWS config file, as an operator would have it).
#![cfg(feature = "aws")]
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use common::cli::{
    Fixture, fake_plugin, fixture, flightdeck, flightdeck_with, json, run_service_tasks,
    service_family, write_profile,
};
use common::moto::{Moto, seed, spec};
use serde_json::Value;
use std::path::Path;

#[test]
fn every_command_prints_the_json_contract_of_what_moto_holds() {
    let Some(moto) = Moto::new("cli_json") else {
        return;
    };
    let env = spec("radiox-prod");
    let now = chrono::Utc::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeded = rt.block_on(seed(&moto, &env, now));
    let home = tempfile::tempdir().unwrap();
    write_profile(home.path(), &moto, &env.name, &env.region);
    let h = home.path();

    let services = json(&flightdeck(h, &["services", "--json"], Some(&moto)));
    let rows = services.as_array().unwrap();
    assert_eq!(rows.len(), seeded.services.len());
    for (name, desired, task_definition) in &seeded.services {
        let row = rows.iter().find(|r| r["name"] == name.as_str()).unwrap();
        assert_eq!(row["environment"], env.name.as_str());
        assert_eq!(row["cluster"], env.cluster.as_str());
        assert_eq!(row["desired"], *desired);
        assert_eq!(row["task_definition"], task_definition.as_str());
        for key in ["status", "running", "pending", "rollout_state"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }

    let alarms = json(&flightdeck(h, &["alarms", "--json"], Some(&moto)));
    let rows = alarms.as_array().unwrap();
    assert_eq!(rows.len(), seeded.alarms.len());
    for (name, threshold) in &seeded.alarms {
        let row = rows.iter().find(|r| r["name"] == name.as_str()).unwrap();
        assert_eq!(row["threshold"], *threshold);
        for key in ["environment", "state", "metric", "namespace"] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    let only_alarm = json(&flightdeck(
        h,
        &["alarms", "--state", "ALARM", "--json"],
        Some(&moto),
    ));
    assert!(
        only_alarm
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "ALARM")
    );

    let scaling = json(&flightdeck(h, &["scaling", "--json"], Some(&moto)));
    let rows = scaling.as_array().unwrap();
    assert_eq!(rows.len(), seeded.targets.len());
    for (service, min, max) in &seeded.targets {
        let row = rows
            .iter()
            .find(|r| r["service"] == service.as_str())
            .unwrap();
        assert_eq!(
            (row["min"].clone(), row["max"].clone()),
            ((*min).into(), (*max).into())
        );
        assert!(row["desired"].is_u64(), "{row}");
    }

    let first = &env.services[0].name;
    let logs = json(&flightdeck(
        h,
        &[
            "logs",
            "--cluster",
            &env.cluster,
            "--service",
            first,
            "--since",
            "15m",
            "--json",
        ],
        Some(&moto),
    ));
    let messages: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, seeded.log_lines);

    // On a terminal the hostile line is defused: no escape byte, no BEL.
    let text = flightdeck(
        h,
        &["logs", "--cluster", &env.cluster, "--service", first],
        Some(&moto),
    );
    assert!(text.status.success());
    assert!(!text.stdout.contains(&0x1b) && !text.stdout.contains(&0x07));
    assert!(String::from_utf8_lossy(&text.stdout).contains("clipboard write attempt"));

    let costs = json(&flightdeck(
        h,
        &["costs", "--days", "3", "--json"],
        Some(&moto),
    ));
    let days: Vec<(String, f64)> = costs["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["amount"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(days, seeded.cost_days);
    assert_eq!(costs["currency"], "USD");
    let total: f64 = seeded.cost_days.iter().map(|d| d.1).sum();
    assert_eq!(costs["total"].as_f64(), Some(total));
    assert_eq!(
        costs["by_service"][0]["service"],
        "Amazon Elastic Container Service"
    );
}

#[test]
fn an_unknown_cluster_is_a_usage_error_and_an_unreadable_environment_a_failure() {
    let Some(Fixture { moto, home, .. }) = fixture("cli_missing", "muejam-staging") else {
        return;
    };
    let o = flightdeck(
        home.path(),
        &["services", "--cluster", "nope", "--json"],
        Some(&moto),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no cluster `nope`") && err.contains("muejam-staging"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing but the error");
    // AWS refusing the read is a failure (exit 1), and scripts still get
    // valid JSON on stdout.
    moto.fault("ListClusters", "AccessDeniedException", "not allowed");
    let o = flightdeck(home.path(), &["services", "--json"], Some(&moto));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("access denied for ecs:ListClusters"), "{err}");
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        Value::Array(vec![])
    );
}

#[test]
fn demo_commands_follow_the_same_contract() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let services = json(&flightdeck(h, &["--demo", "services", "--json"], None));
    let envs: std::collections::BTreeSet<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs.len(), 6, "{envs:?}");
    for cmd in ["alarms", "scaling"] {
        let v = json(&flightdeck(h, &["--demo", cmd, "--json"], None));
        assert!(!v.as_array().unwrap().is_empty(), "{cmd}");
    }
    let logs = json(&flightdeck(
        h,
        &[
            "--demo",
            "--env",
            "radiox-prod",
            "logs",
            "--cluster",
            "radiox-prod",
            "--service",
            "backend-api",
            "--since",
            "5m",
            "--json",
        ],
        None,
    ));
    assert!(!logs.as_array().unwrap().is_empty());
    let costs = json(&flightdeck(h, &["--demo", "costs", "--json"], None));
    for key in ["currency", "total", "days", "by_service"] {
        assert!(costs.get(key).is_some(), "{key}");
    }
    // Bad input changes nothing and says what is wrong.
    let o = flightdeck(h, &["--demo", "alarms", "--state", "RED"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = flightdeck(
        h,
        &["--demo", "logs", "--cluster", "x", "--service", "y"],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "logs needs one environment");
}

/// `--stats` prints the calls a command made, per operation, on stderr:
/// the listing of a cluster's services is one ListClusters, ListServices
/// pages (7 services each at the test proxy) and one DescribeServices per
/// 10 services; the simulation makes none.
#[test]
fn stats_name_every_call_a_command_made() {
    let Some(Fixture {
        moto, env, home, ..
    }) = fixture("cli_stats", "radiox-prod")
    else {
        return;
    };
    let o = flightdeck(home.path(), &["services", "--json", "--stats"], Some(&moto));
    let services = json(&o).as_array().unwrap().len();
    let stats = String::from_utf8_lossy(&o.stderr).to_string();
    let count = |op: &str| -> u64 {
        stats
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{op} ")))
            .unwrap_or_else(|| panic!("no {op}: {stats}"))
            .parse()
            .unwrap()
    };
    assert!(
        stats.starts_with(&format!("api calls, {}: ", env.name)),
        "{stats}"
    );
    assert_eq!(count("ecs:ListClusters"), 1, "{stats}");
    assert_eq!(
        count("ecs:ListServices"),
        services.div_ceil(7) as u64,
        "{stats}"
    );
    assert_eq!(
        count("ecs:DescribeServices"),
        services.div_ceil(10) as u64,
        "{stats}"
    );
    assert!(stats.contains("(0 throttled)"), "{stats}");
    let demo = flightdeck(
        home.path(),
        &["--demo", "--env", "radiox-prod", "services", "--stats"],
        None,
    );
    assert!(
        String::from_utf8_lossy(&demo.stderr)
            .contains("api calls, radiox-prod: none (the simulation)"),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
}

/// `--scale N` adds a generated estate to the simulation, for the
/// commands as for the cockpit: 1000 services an environment; it and
/// `--log-storm` are refused where they mean nothing.
#[test]
fn the_demo_scales_to_a_generated_estate() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let services = json(&flightdeck(
        h,
        &[
            "--demo",
            "--scale",
            "1100",
            "--env",
            "estate-02",
            "services",
            "--json",
        ],
        None,
    ));
    let rows = services.as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert!(rows.iter().all(|r| r["cluster"] == "estate-02"));
    let alarms = json(&flightdeck(
        h,
        &[
            "--demo",
            "--scale",
            "1100",
            "--env",
            "estate-02",
            "alarms",
            "--json",
        ],
        None,
    ));
    assert!(alarms.as_array().unwrap().len() >= 100);
    for args in [
        &["--scale", "10", "services"][..],
        &["--demo", "--log-storm", "100", "services"],
        &["--demo", "--scale", "0", "services"],
    ] {
        let o = flightdeck(h, args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

/// The records of the audit log of real writes.
fn audit_lines(home: &Path) -> Vec<Value> {
    records_of(&home.join("state/flightdeck/audit.jsonl"))
}

/// The records of the simulation's own audit log.
fn demo_audit_lines(home: &Path) -> Vec<Value> {
    records_of(&home.join("state/flightdeck/demo-audit.jsonl"))
}

fn records_of(file: &Path) -> Vec<Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn writes_on_demo_need_a_plan_and_the_service_name() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let base = [
        "--demo",
        "--env",
        "muejam-staging",
        "deploy",
        "--cluster",
        "muejam-staging",
        "--service",
        "backend",
        "--image",
        "backend=acme/backend:v6",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        flightdeck(h, &args, None)
    };
    let dry = with(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    let plan = String::from_utf8_lossy(&dry.stdout);
    assert!(
        plan.contains("ecs:RegisterTaskDefinition") && plan.contains("acme/backend:v6"),
        "{plan}"
    );
    assert!(plan.contains("account 678901234567"), "{plan}");
    let unconfirmed = with(&[]);
    assert_eq!(unconfirmed.status.code(), Some(3), "no --confirm");
    assert!(
        String::from_utf8_lossy(&unconfirmed.stderr).contains("run again with --confirm backend"),
        "{unconfirmed:?}"
    );
    let wrong = with(&["--confirm", "backnd"]);
    assert_eq!(wrong.status.code(), Some(3), "wrong name");
    assert!(
        String::from_utf8_lossy(&wrong.stderr)
            .contains("`backnd` is not the service name `backend`"),
        "{wrong:?}"
    );
    assert!(demo_audit_lines(h).is_empty(), "nothing was attempted");
    let ro = flightdeck(
        h,
        &[
            "--demo",
            "--read-only",
            "--env",
            "muejam-staging",
            "scale",
            "--cluster",
            "muejam-staging",
            "--service",
            "backend",
            "--desired",
            "2",
            "--confirm",
            "backend",
        ],
        None,
    );
    assert_eq!(ro.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&ro.stderr).contains("read-only"));
    let outside = flightdeck(
        h,
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "scale",
            "--cluster",
            "muejam-staging",
            "--service",
            "backend",
            "--desired",
            "40",
            "--confirm",
            "backend",
        ],
        None,
    );
    assert_eq!(outside.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&outside.stderr).contains("1..4"));
    let bad = flightdeck(
        h,
        &[
            "--demo",
            "deploy",
            "--cluster",
            "c",
            "--service",
            "s",
            "--image",
            "nonsense",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));

    // Scripts get one JSON object: the plan, and whether it stopped there.
    let planned = json(&with(&["--dry-run", "--json"]));
    assert_eq!(
        planned["plan"]["steps"][0]["call"],
        "RegisterTaskDefinition"
    );
    assert_eq!(planned["plan"]["environment"], "muejam-staging");
    assert!(planned["executed"].is_null());
    let not_confirmed = with(&["--json"]);
    assert_eq!(not_confirmed.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&not_confirmed.stdout).unwrap();
    assert!(v["plan"].is_object() && v["executed"].is_null());

    let done = json(&with(&["--confirm", "backend", "--json"]));
    // The new revision follows the one the plan copied (colleagues deploy
    // in the demo too, so the number depends on the hour).
    let base = done["plan"]["steps"][0]["base"]["revision"]
        .as_u64()
        .unwrap();
    assert_eq!(
        done["executed"]["task_definition"],
        format!("muejam-backend:{}", base + 1).as_str()
    );
    assert_eq!(
        done["executed"]["request_ids"].as_array().map(Vec::len),
        Some(2)
    );
    let records = demo_audit_lines(h);
    let phases: Vec<&str> = records
        .iter()
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["before", "after"]);
    assert_eq!(records[1]["result"], "ok");
    assert_eq!(
        records[1]["to_task_definition"],
        done["executed"]["task_definition"]
    );
    // What the write left, in the words the cockpit's message uses too.
    let said = String::from_utf8_lossy(&with(&["--confirm", "backend"]).stdout).into_owned();
    assert!(
        said.contains("done: muejam-staging/backend runs muejam-backend:")
            && said.contains("; deployment "),
        "{said}"
    );
    // Issue 23, item 15: the simulation's writes are kept apart from real
    // ones, and a new world (a new run) shows none of an earlier one's.
    assert!(
        audit_lines(h).is_empty(),
        "no simulated write in the real audit log"
    );
    let timeline = json(&flightdeck(
        h,
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "timeline",
            "--service",
            "backend",
            "--json",
        ],
        None,
    ));
    let audited: Vec<&Value> = timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "operator")
        .collect();
    assert!(
        audited.is_empty(),
        "an earlier world's write shown: {audited:?}"
    );
}

#[test]
fn writes_against_moto_register_update_and_scale() {
    let Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    }) = fixture("cli_writes", "radiox-prod")
    else {
        return;
    };
    let h = home.path();
    let (service, _, first_td) = seeded
        .services
        .iter()
        .find(|s| s.0 == "backend-api")
        .unwrap();
    let family = first_td.split(':').next().unwrap();
    let run = |args: &[&str]| flightdeck(h, args, Some(&moto));

    let deploy = run(&[
        "deploy",
        "--cluster",
        &env.cluster,
        "--service",
        service,
        "--image",
        "backend-api=registry.example/radiox-api:v9.9.9",
        "--confirm",
        service,
    ]);
    assert_eq!(
        deploy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&deploy.stderr)
    );
    let services = json(&run(&["services", "--json"]));
    let row = services
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == service.as_str())
        .unwrap()
        .clone();
    let new_td = format!("{family}:2");
    assert_eq!(row["task_definition"], new_td.as_str());
    // The copy kept everything but the image: log configuration, secrets.
    let td = rt.block_on(async {
        let config = moto.sdk_config(&env.region).await;
        aws_sdk_ecs::Client::new(&config)
            .describe_task_definition()
            .task_definition(&new_td)
            .send()
            .await
            .unwrap()
    });
    let c = &td.task_definition().unwrap().container_definitions()[0];
    assert_eq!(c.image(), Some("registry.example/radiox-api:v9.9.9"));
    assert!(c.log_configuration().is_some());

    let scale = run(&[
        "scale",
        "--cluster",
        &env.cluster,
        "--service",
        service,
        "--min",
        "3",
        "--max",
        "12",
        "--confirm",
        service,
    ]);
    assert_eq!(
        scale.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scale.stderr)
    );
    let scaling = json(&run(&["scaling", "--json"]));
    let row = scaling
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == service.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (row["min"].clone(), row["max"].clone()),
        (3.into(), 12.into())
    );

    let back = run(&[
        "rollback",
        "--cluster",
        &env.cluster,
        "--service",
        service,
        "--confirm",
        service,
    ]);
    assert_eq!(
        back.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let services = json(&run(&["services", "--json"]));
    let row = services
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == service.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        row["task_definition"],
        first_td.as_str(),
        "rolled back by the audit log"
    );
    let phases: Vec<String> = audit_lines(h)
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["operation"].as_str().unwrap(),
                r["phase"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            "deploy before",
            "deploy after",
            "scale before",
            "scale after",
            "rollback before",
            "rollback after"
        ]
    );
    // AWS's request ids of both deploy calls are in the audit record.
    let deploy_after = &audit_lines(h)[1];
    assert_eq!(
        deploy_after["request_ids"].as_array().map(Vec::len),
        Some(2),
        "{deploy_after}"
    );
}

#[test]
fn writes_find_the_cluster_by_the_service_name_and_name_the_candidates_when_ambiguous() {
    let Some(moto) = Moto::new("cli_locate") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Two clusters: `api` runs in both, `worker` only in `blue`.
    rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config("eu-west-1").await);
        let td = ecs
            .register_task_definition()
            .family("api")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("api")
                    .image("registry.example/api:v1")
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let td = td
            .task_definition()
            .unwrap()
            .task_definition_arn()
            .unwrap()
            .to_string();
        for (cluster, services) in [("blue", &["api", "worker"][..]), ("green", &["api"][..])] {
            ecs.create_cluster()
                .cluster_name(cluster)
                .send()
                .await
                .unwrap();
            for service in services {
                ecs.create_service()
                    .cluster(cluster)
                    .service_name(*service)
                    .task_definition(&td)
                    .desired_count(1)
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
    let home = tempfile::tempdir().unwrap();
    write_profile(home.path(), &moto, "shop-staging", "eu-west-1");
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));

    let unique = run(&[
        "scale",
        "--service",
        "worker",
        "--desired",
        "2",
        "--dry-run",
    ]);
    let text = String::from_utf8_lossy(&unique.stdout);
    assert_eq!(
        unique.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&unique.stderr)
    );
    assert!(text.contains("blue/worker"), "{text}");

    let ambiguous = run(&[
        "scale",
        "--service",
        "api",
        "--desired",
        "2",
        "--confirm",
        "api",
    ]);
    assert_eq!(ambiguous.status.code(), Some(2));
    let err = String::from_utf8_lossy(&ambiguous.stderr);
    assert!(
        err.contains("several clusters") && err.contains("blue, green"),
        "{err}"
    );
    assert!(err.contains("--cluster"), "{err}");

    let missing = run(&["rollback", "--service", "ap", "--dry-run"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no service `ap`") && err.contains("blue/api"),
        "{err}"
    );

    let named = run(&[
        "scale",
        "--cluster",
        "green",
        "--service",
        "api",
        "--desired",
        "2",
        "--dry-run",
    ]);
    assert_eq!(
        named.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&named.stderr)
    );
    assert!(String::from_utf8_lossy(&named.stdout).contains("green/api"));
}

#[test]
fn the_audit_log_survives_a_sigkill_between_its_before_and_after_records() {
    let Some(Fixture { moto, home, .. }) = fixture("cli_sigkill", "muejam-staging") else {
        return;
    };
    let audit = home.path().join("state/flightdeck/audit.jsonl");
    let args = [
        "scale",
        "--service",
        "backend",
        "--desired",
        "4",
        "--confirm",
        "backend",
    ];
    // UpdateService hangs: the process is killed after its record before
    // the call is on disk and before the record after it.
    moto.delay("UpdateService", 6_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("AWS_CONFIG_FILE", home.path().join("aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("FLIGHTDECK_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&audit).is_ok_and(|t| t.contains("\"phase\":\"before\"")) {
        assert!(
            std::time::Instant::now() < deadline,
            "no record before the call"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush, no handler runs.
    child.wait().unwrap();
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(text.ends_with('\n'), "a torn line: {text:?}");
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{text}");
    assert_eq!(records[0]["phase"], "before");
    assert_eq!(records[0]["service"], "backend");
    assert!(
        records[0]["calls"][0]
            .as_str()
            .unwrap()
            .contains("UpdateService")
    );

    // The next write appends after it; the log stays one record a line.
    moto.clear_faults();
    let o = flightdeck(home.path(), &args, Some(&moto));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&audit).unwrap();
    let phases: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["phase"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(phases, ["before", "before", "after"]);
}

/// Fails when `bytes` could control a terminal: any C0 control but the
/// newline, DEL, C1, or an invisible format character.
fn assert_terminal_safe(bytes: &[u8], context: &str) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{context}: not UTF-8: {e}"));
    for c in text.chars() {
        assert!(
            c == '\n' || !flightdeck::text::is_unsafe(c),
            "{context}: {c:?} in {text}"
        );
    }
}

#[test]
fn hostile_text_from_aws_never_reaches_the_terminal_through_the_commands() {
    let Some(moto) = Moto::new("cli_hostile") else {
        return;
    };
    let env = spec("muejam-staging");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seeded = rt.block_on(seed(&moto, &env, chrono::Utc::now()));
    let payloads = [
        "PWN\x1b[2J\x1b]0;title\x07\x1b]52;c;cm0=\x1b\\\x1bP+q\x1b\\",
        "PWN\u{9b}31m\u{9d}0;t\u{9c}\x08\x08\rover\x7f",
        "PWN\u{202e}gpj.exe\u{200b}\u{2028}服务😀",
    ];
    rt.block_on(async {
        let config = moto.sdk_config(&env.region).await;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let mut put = logs
            .put_log_events()
            .log_group_name(&seeded.log_group)
            .log_stream_name("ecs/backend/0123456789abcdef");
        for (i, p) in payloads.iter().enumerate() {
            put = put.log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(chrono::Utc::now().timestamp_millis() - 60_000 + i as i64)
                    .message(*p)
                    .build()
                    .unwrap(),
            );
        }
        put.send().await.unwrap();
        let cw = aws_sdk_cloudwatch::Client::new(&config);
        for (i, p) in payloads.iter().enumerate() {
            let name = format!("hostile-{i}-{p}");
            cw.put_metric_alarm()
                .alarm_name(&name)
                .alarm_description(*p)
                .namespace("AWS/ECS")
                .metric_name("CPUUtilization")
                .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
                .period(60)
                .evaluation_periods(1)
                .threshold(1.0)
                .comparison_operator(
                    aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
                )
                .send()
                .await
                .unwrap();
            cw.set_alarm_state()
                .alarm_name(&name)
                .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
                .state_reason(*p)
                .send()
                .await
                .unwrap();
        }
    });
    let home = tempfile::tempdir().unwrap();
    write_profile(home.path(), &moto, &env.name, &env.region);
    let first = &env.services[0].name;
    for args in [
        vec!["alarms"],
        vec!["alarms", "--json"],
        vec!["logs", "--service", first, "--since", "1h"],
        vec!["logs", "--service", first, "--since", "1h", "--json"],
        vec!["services"],
        vec!["services", "--json"],
        vec!["timeline"],
        vec!["timeline", "--json"],
    ] {
        let o = flightdeck(home.path(), &args, Some(&moto));
        let context = args.join(" ");
        assert_eq!(
            o.status.code(),
            Some(0),
            "{context}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_terminal_safe(&o.stdout, &context);
        assert_terminal_safe(&o.stderr, &context);
        if args[0] != "services" {
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("PWN"),
                "{context}: the hostile text is shown, defused"
            );
        }
    }
    // JSON keeps the text exact for scripts: escaped, not lost.
    let o = flightdeck(home.path(), &["alarms", "--json"], Some(&moto));
    let alarms: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    let reasons: Vec<&str> = alarms
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["state_reason"].as_str())
        .collect();
    assert!(reasons.contains(&payloads[1]), "{reasons:?}");

    // An AWS error whose message carries a clipboard write, a screen clear,
    // a title and a C1 control: every command's stderr (main's error
    // report, per-environment failures, the timeline's gaps) is defused.
    let mut shown = 0;
    let hostile = "denied \x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;owned\x07\u{9b}31m";
    for (operation, args) in [
        ("ListTasks", vec!["tasks", "--service", first.as_str()]),
        (
            "FilterLogEvents",
            vec!["logs", "--service", first.as_str(), "--since", "1h"],
        ),
        ("ListServices", vec!["timeline"]),
        ("ListServices", vec!["services"]),
        (
            "DescribeServices",
            vec![
                "scale",
                "--service",
                first.as_str(),
                "--desired",
                "3",
                "--confirm",
                first.as_str(),
            ],
        ),
    ] {
        moto.fault(operation, "InvalidParameterException", hostile);
        let o = flightdeck(home.path(), &args, Some(&moto));
        moto.clear_faults();
        let context = format!("{operation}: {}", args.join(" "));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(0), "{context}: {err}");
        shown += usize::from(err.contains("denied ?]52;c;"));
        assert_terminal_safe(&o.stdout, &context);
        assert_terminal_safe(&o.stderr, &context);
    }
    assert!(
        shown >= 3,
        "AWS's message is shown, defused, not dropped ({shown} of 5)"
    );
}

#[test]
fn triage_ranks_what_needs_a_human_and_exits_1_only_then() {
    let Some(Fixture {
        moto,
        env,
        rt,
        seeded,
        home,
    }) = fixture("cli_triage", "muejam-staging")
    else {
        return;
    };
    let run = |args: &[&str]| flightdeck(home.path(), args, Some(&moto));

    // Nothing in ALARM: nothing needs a human, exit 0.
    let calm = run(&["triage"]);
    assert_eq!(
        calm.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&calm.stderr)
    );
    assert!(
        String::from_utf8_lossy(&calm.stdout)
            .contains("nothing needs a human: checked 1 environments")
    );

    // A critical alarm and auto scaling's own alarm go off.
    let critical = seeded
        .alarms
        .iter()
        .map(|(name, _)| name.clone())
        .find(|n| n.contains("critical"))
        .unwrap();
    rt.block_on(async {
        let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config(&env.region).await);
        let all = cw.describe_alarms().send().await.unwrap();
        let tracking = all
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name())
            .find(|n| n.starts_with("TargetTracking-"))
            .unwrap()
            .to_string();
        for name in [&critical, &tracking] {
            cw.set_alarm_state()
                .alarm_name(name)
                .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
                .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold")
                .send()
                .await
                .unwrap();
        }
    });
    let o = run(&["triage", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 thing needs a human"));
    let findings = serde_json::from_slice::<Value>(&o.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(
        findings.len(),
        1,
        "auto scaling's alarm is not a page: {findings:?}"
    );
    let f = &findings[0];
    assert_eq!(f["subject"], critical.as_str());
    assert_eq!(f["urgency"], "page");
    assert_eq!(f["kind"], "alarm");
    assert_eq!(f["environment"], "muejam-staging");
    let why = f["why"].as_str().unwrap();
    assert!(
        why.starts_with(&format!("{critical} in ALARM for ")),
        "{why}"
    );
    assert!(why.contains("(critical)"), "{why}");
    assert_eq!(f["service"]["name"], "backend", "{f}");
    let table = run(&["triage"]);
    let text = String::from_utf8_lossy(&table.stdout);
    let row = text.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("PAGE") && row.contains("backend"), "{text}");

    // An ALB alarm names a target group, not a service: the service that
    // registers that target group (DescribeServices' loadBalancers) is found.
    let group = "targetgroup/muejam-web/0a1b2c3d4e5f6071";
    rt.block_on(async {
        let config = moto.sdk_config(&env.region).await;
        let ecs = aws_sdk_ecs::Client::new(&config);
        let td = ecs
            .register_task_definition()
            .family("muejam-web")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("web")
                    .image("registry.example/web:v1")
                    .memory(512)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .cluster(&env.cluster)
            .service_name("web")
            .task_definition(td.task_definition().unwrap().task_definition_arn().unwrap())
            .desired_count(1)
            .load_balancers(
                aws_sdk_ecs::types::LoadBalancer::builder()
                    .target_group_arn(format!(
                        "arn:aws:elasticloadbalancing:{}:{}:{group}",
                        env.region, moto.account
                    ))
                    .container_name("web")
                    .container_port(8080)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let cw = aws_sdk_cloudwatch::Client::new(&config);
        cw.put_metric_alarm()
            .alarm_name("muejam-web-5xx-critical")
            .namespace("AWS/ApplicationELB")
            .metric_name("HTTPCode_Target_5XX_Count")
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("TargetGroup")
                    .value(group)
                    .build(),
            )
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(10.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .send()
            .await
            .unwrap();
        cw.set_alarm_state()
            .alarm_name("muejam-web-5xx-critical")
            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
            .state_reason("Threshold Crossed")
            .send()
            .await
            .unwrap();
    });
    let o = run(&["triage", "--json"]);
    let findings = serde_json::from_slice::<Value>(&o.stdout).unwrap();
    let web = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "muejam-web-5xx-critical")
        .unwrap_or_else(|| panic!("{findings}"));
    assert_eq!(web["service"]["name"], "web", "{web}");
}

#[test]
fn demo_triage_follows_the_contract() {
    let home = tempfile::tempdir().unwrap();
    let o = flightdeck(home.path(), &["--demo", "triage", "--json"], None);
    let findings: Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    // The demo lives on the wall clock: what fires depends on the hour,
    // the contract does not.
    assert_eq!(
        o.status.code(),
        Some(if findings.is_empty() { 0 } else { 1 })
    );
    for f in findings {
        for key in ["environment", "urgency", "kind", "subject", "why", "since"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert!(
            !f["subject"]
                .as_str()
                .unwrap()
                .starts_with("TargetTracking-"),
            "{f}"
        );
    }
}

/// What moto says of a task now: its status and stop reason.
fn task_state(fx: &Fixture, id: &str) -> (String, Option<String>) {
    fx.rt.block_on(async {
        let config = fx.moto.sdk_config(&fx.env.region).await;
        let out = aws_sdk_ecs::Client::new(&config)
            .describe_tasks()
            .cluster(&fx.env.cluster)
            .tasks(id)
            .send()
            .await
            .unwrap();
        let t = &out.tasks()[0];
        (
            t.desired_status().unwrap_or_default().to_string(),
            t.stopped_reason().map(str::to_string),
        )
    })
}

#[test]
fn stop_task_against_moto_plans_confirms_stops_and_audits() {
    let Some(fx) = fixture("cli_stop_task", "radiox-prod") else {
        return;
    };
    let h = fx.home.path();
    let (service, family) = service_family(&fx, "backend-api");
    let ids = run_service_tasks(&fx, &service, &family, 2, false);
    let run = |args: &[&str]| flightdeck(h, args, Some(&fx.moto));

    let listed = json(&run(&["tasks", "--service", &service, "--json"]));
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(listed.contains(&id.as_str()), "{listed:?}");
    }

    let victim = &ids[0];
    let prefix = &victim[..8];
    let stop = |extra: &[&str]| {
        let mut args = vec!["stop-task", "--service", &service, "--task", prefix];
        args.extend_from_slice(extra);
        run(&args)
    };
    // Without the service's name, a plan and nothing else.
    let unconfirmed = stop(&["--reason", "wedged on a lock"]);
    assert_eq!(unconfirmed.status.code(), Some(3));
    let plan = String::from_utf8_lossy(&unconfirmed.stdout);
    assert!(
        plan.contains(&format!(
            "ecs:StopTask task={victim} reason=\"wedged on a lock\""
        )),
        "{plan}"
    );
    assert!(plan.contains("ECS starts a replacement"), "{plan}");
    assert_eq!(task_state(&fx, victim).0, "RUNNING");
    // Read-only refuses below the command.
    let read_only = run(&[
        "--read-only",
        "stop-task",
        "--service",
        &service,
        "--task",
        prefix,
        "--confirm",
        &service,
    ]);
    assert_eq!(read_only.status.code(), Some(3));
    assert_eq!(task_state(&fx, victim).0, "RUNNING");

    let done = stop(&[
        "--reason",
        "wedged on a lock",
        "--confirm",
        &service,
        "--json",
    ]);
    let report = json(&done);
    assert_eq!(report["executed"]["ok"], true, "{report}");
    assert_eq!(report["plan"]["operation"]["operation"], "stop_task");
    assert_eq!(
        report["executed"]["request_ids"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert_eq!(
        task_state(&fx, victim),
        ("STOPPED".to_string(), Some("wedged on a lock".to_string()))
    );
    assert_eq!(task_state(&fx, &ids[1]).0, "RUNNING", "only the one task");

    // The audit log says which task, before and after.
    let records: Vec<Value> = audit_lines(h)
        .into_iter()
        .filter(|r| r["operation"] == "stop-task")
        .collect();
    let phases: Vec<&str> = records
        .iter()
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["before", "after"]);
    assert!(
        records[1]["calls"][0]
            .as_str()
            .unwrap()
            .contains(victim.as_str()),
        "{}",
        records[1]
    );

    // A stopped task is not stopped twice.
    let again = stop(&["--confirm", &service]);
    assert_eq!(again.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already stopped"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let unknown = run(&["stop-task", "--service", &service, "--task", "ffffffffffff"]);
    assert_eq!(unknown.status.code(), Some(2));
}

/// ECS Exec against moto: the test proxy answers ExecuteCommand as ECS
/// does (moto lacks it) and a fake `session-manager-plugin` on the PATH
/// records what it was handed.
#[test]
fn exec_checks_its_preconditions_and_hands_the_session_to_the_plugin() {
    let Some(fx) = fixture("cli_exec", "radiox-prod") else {
        return;
    };
    let h = fx.home.path();
    let (service, family) = service_family(&fx, "backend-api");
    let without = run_service_tasks(&fx, &service, &family, 1, false);
    let with = run_service_tasks(&fx, &service, &family, 1, true);
    let path = fake_plugin(h);
    let exec = |extra: &[&str], path: &str| {
        let mut args = vec!["exec", "--service", service.as_str(), "--command", "ls /"];
        args.extend_from_slice(extra);
        flightdeck_with(h, &args, Some(&fx.moto), &[("PATH", path)])
    };
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).to_string();

    // No plugin on the PATH: refused before any call, saying what is missing.
    let no_plugin = exec(&["--task", &with[0]], "/nonexistent");
    assert_eq!(no_plugin.status.code(), Some(3), "{}", stderr(&no_plugin));
    assert!(stderr(&no_plugin).contains("session-manager-plugin is not installed"));
    // A task started without execute command: the plan says so.
    let disabled = exec(&["--task", &without[0], "--confirm", &service], &path);
    assert_eq!(disabled.status.code(), Some(3), "{}", stderr(&disabled));
    assert!(
        stderr(&disabled).contains("execute command is not enabled on task"),
        "{}",
        stderr(&disabled)
    );
    // Production: the service's name confirms it, as for a write.
    let unconfirmed = exec(&["--task", &with[0]], &path);
    assert_eq!(unconfirmed.status.code(), Some(3));
    let plan = String::from_utf8_lossy(&unconfirmed.stdout);
    assert!(
        plan.contains(&format!(
            "ecs:ExecuteCommand task={} container={service} command=\"ls /\" interactive=true",
            with[0]
        )),
        "{plan}"
    );
    assert!(
        !h.join("plugin-args").exists(),
        "no session without a confirmation"
    );
    // Read-only refuses it below the command.
    let read_only = exec(
        &["--read-only", "--task", &with[0], "--confirm", &service],
        &path,
    );
    assert_eq!(read_only.status.code(), Some(3));
    assert!(!h.join("plugin-args").exists());

    let done = exec(&["--task", &with[0][..8], "--confirm", &service], &path);
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let args: Vec<String> = std::fs::read_to_string(h.join("plugin-args"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(args.len(), 6, "{args:?}");
    let session: Value = serde_json::from_str(&args[0]).unwrap();
    assert!(
        session["sessionId"]
            .as_str()
            .unwrap()
            .starts_with("ecs-execute-command-"),
        "{session}"
    );
    assert!(
        session["tokenValue"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(args[1], fx.env.region);
    assert_eq!(args[2], "StartSession");
    assert_eq!(args[3], fx.env.name, "the profile");
    let target: Value = serde_json::from_str(&args[4]).unwrap();
    assert_eq!(
        target["Target"],
        format!("ecs:{}_{}_{}-0000000000", fx.env.cluster, with[0], with[0])
    );
    assert_eq!(args[5], fx.moto.endpoint);
    // The audit log says which task, container and command; never the token.
    let audit = std::fs::read_to_string(h.join("state/flightdeck/audit.jsonl")).unwrap();
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["operation"] == "exec")
        .collect();
    let phases: Vec<&str> = records
        .iter()
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["before", "after"], "{audit}");
    assert!(
        records[0]["calls"][0].as_str().unwrap().contains(&format!(
            "task={} container={service} command=\"ls /\"",
            with[0]
        )),
        "{}",
        records[0]
    );
    assert!(!audit.contains(session["tokenValue"].as_str().unwrap()));
}

/// The checks of a doctor's JSON report, by (scope, check), with status.
fn doctor_checks(o: &std::process::Output) -> Vec<(String, String, String, String)> {
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["scope"].as_str().unwrap().to_string(),
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
                format!(
                    "{} {}",
                    c["detail"].as_str().unwrap(),
                    c["fix"].as_str().unwrap_or("")
                ),
            )
        })
        .collect()
}

fn status_of<'a>(
    checks: &'a [(String, String, String, String)],
    scope: &str,
    check: &str,
) -> (&'a str, &'a str) {
    checks
        .iter()
        .find(|c| c.0 == scope && c.1 == check)
        .map(|c| (c.2.as_str(), c.3.as_str()))
        .unwrap_or_else(|| panic!("no {scope}/{check} in {checks:?}"))
}

#[test]
fn doctor_passes_a_good_set_up_and_names_what_is_wrong_with_a_broken_one() {
    let Some(fx) = fixture("cli_doctor", "muejam-staging") else {
        return;
    };
    let h = fx.home.path();
    let env = fx.env.name.as_str();
    let path = fake_plugin(h);
    let doctor = |vars: &[(&str, &str)]| {
        let mut all = vec![("PATH", path.as_str()), ("LANG", "C.UTF-8")];
        all.extend_from_slice(vars);
        flightdeck_with(h, &["doctor", "--json"], Some(&fx.moto), &all)
    };
    let good = doctor(&[]);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
    let checks = doctor_checks(&good);
    for check in [
        "region", "identity", "clock", "endpoint", "clusters", "services", "tasks", "logs",
        "scaling", "alarms", "changes", "costs",
    ] {
        assert_eq!(
            status_of(&checks, env, check).0,
            "ok",
            "{check}: {checks:?}"
        );
    }
    assert!(
        status_of(&checks, env, "identity")
            .1
            .contains(&fx.moto.account)
    );
    assert_eq!(status_of(&checks, "machine", "exec plugin").0, "ok");
    assert_eq!(status_of(&checks, "terminal", "utf-8").0, "ok");
    assert_eq!(
        status_of(&checks, "terminal", "size").0,
        "warn",
        "not a terminal here"
    );

    // A read refused: named by its IAM action, exit 1.
    fx.moto
        .fault("DescribeAlarms", "AccessDeniedException", "not authorized");
    let denied = doctor(&[]);
    assert_eq!(denied.status.code(), Some(1));
    let checks = doctor_checks(&denied);
    let (status, detail) = status_of(&checks, env, "alarms");
    assert_eq!(status, "fail");
    assert!(
        detail.contains("not allowed: cloudwatch:DescribeAlarms"),
        "{detail}"
    );
    assert!(
        detail.contains("allow cloudwatch:DescribeAlarms"),
        "{detail}"
    );
    assert_eq!(status_of(&checks, env, "services").0, "ok", "only the one");
    fx.moto.clear_faults();

    // A clock 7 minutes behind AWS's: AWS would refuse its signatures.
    fx.moto.skew(420);
    let skewed = doctor(&[]);
    assert_eq!(skewed.status.code(), Some(1));
    let checks = doctor_checks(&skewed);
    let (status, detail) = status_of(&checks, env, "clock");
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("behind AWS"), "{detail}");
    fx.moto.skew(0);

    // An SSO profile whose login expired, and a locale that is not UTF-8.
    let aws_config = std::fs::read_to_string(h.join("aws-config")).unwrap();
    std::fs::write(
        h.join("aws-config"),
        format!(
            "{aws_config}[profile sso-only]\nsso_session = acme\nsso_account_id = 111122223333\nsso_role_name = OnCall\nregion = eu-west-1\n[sso-session acme]\nsso_start_url = https://acme.awsapps.com/start\nsso_region = eu-west-1\n"
        ),
    )
    .unwrap();
    let cache = h.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("0123.json"),
        serde_json::json!({
            "startUrl": "https://acme.awsapps.com/start",
            "region": "eu-west-1",
            "accessToken": "expired",
            "expiresAt": "2020-01-01T00:00:00Z"
        })
        .to_string(),
    )
    .unwrap();
    let config = h.join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[[environment]]\nname = \"sso-env\"\nprofile = \"sso-only\"\n");
    std::fs::write(&config, text).unwrap();
    let sso = doctor(&[("LANG", "C"), ("LC_ALL", "")]);
    assert_eq!(sso.status.code(), Some(1));
    let checks = doctor_checks(&sso);
    let (status, detail) = status_of(&checks, "sso-env", "sso login");
    assert_eq!(status, "fail");
    assert!(
        detail.contains("expired") && detail.contains("aws sso login --profile sso-only"),
        "{detail}"
    );
    assert_eq!(
        status_of(&checks, env, "identity").0,
        "ok",
        "the other environment is fine"
    );
    assert_eq!(status_of(&checks, "terminal", "utf-8").0, "warn");

    // A broken config: where, and exit 1; the machine is still looked at.
    std::fs::write(
        &config,
        "[[environment]]\nname = \"x\"\nregoin = \"eu-west-1\"\n",
    )
    .unwrap();
    let broken = doctor(&[]);
    assert_eq!(broken.status.code(), Some(1));
    let checks = doctor_checks(&broken);
    let (status, detail) = status_of(&checks, "config", "config");
    assert_eq!(status, "fail");
    assert!(detail.contains("config.toml:3:1"), "{detail}");
    assert_eq!(status_of(&checks, "machine", "exec plugin").0, "ok");
    // And as text for people: FAIL with its fix.
    let text = flightdeck_with(h, &["doctor"], Some(&fx.moto), &[("PATH", path.as_str())]);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(
        out.contains("FAIL") && out.contains("fix: correct the file"),
        "{out}"
    );
}

/// Port forwarding against moto: the test proxy answers SSM's StartSession
/// and TerminateSession (moto lacks them) and the fake plugin records the
/// request it was handed.
#[test]
fn port_forward_opens_the_documented_session_and_ends_it() {
    let Some(fx) = fixture("cli_port_forward", "muejam-staging") else {
        return;
    };
    let h = fx.home.path();
    let (service, family) = service_family(&fx, "backend");
    let task = run_service_tasks(&fx, &service, &family, 1, true).remove(0);
    let path = fake_plugin(h);
    // A local port that is taken: refused before any session.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let forward = |local: &str| {
        flightdeck_with(
            h,
            &[
                "port-forward",
                "--service",
                &service,
                "--remote-host",
                "db.internal.example",
                "--remote-port",
                "5432",
                "--local-port",
                local,
            ],
            Some(&fx.moto),
            &[("PATH", path.as_str())],
        )
    };
    let refused = forward(&port);
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains(&format!("local port {port} cannot be used")),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    drop(taken);
    // Not production: no confirmation; the plugin runs until it ends.
    let done = forward("15432");
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let plan = String::from_utf8_lossy(&done.stdout);
    assert!(
        plan.contains("ssm:StartSession")
            && plan.contains("AWS-StartPortForwardingSessionToRemoteHost"),
        "{plan}"
    );
    let args: Vec<String> = std::fs::read_to_string(h.join("plugin-args"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let request: Value = serde_json::from_str(&args[4]).unwrap();
    assert_eq!(
        request["DocumentName"],
        "AWS-StartPortForwardingSessionToRemoteHost"
    );
    assert_eq!(request["Parameters"]["host"][0], "db.internal.example");
    assert_eq!(request["Parameters"]["portNumber"][0], "5432");
    assert_eq!(request["Parameters"]["localPortNumber"][0], "15432");
    assert!(
        request["Target"]
            .as_str()
            .unwrap()
            .starts_with(&format!("ecs:{}_{task}_", fx.env.cluster)),
        "{request}"
    );
    let session: Value = serde_json::from_str(&args[0]).unwrap();
    assert!(session["sessionId"].as_str().unwrap().starts_with("fdt-"));
    let calls = fx.moto.calls();
    assert_eq!(calls.get("StartSession"), Some(&1), "{calls:?}");
    assert_eq!(
        calls.get("TerminateSession"),
        Some(&1),
        "ended with the plugin"
    );
    let audit = std::fs::read_to_string(h.join("state/flightdeck/audit.jsonl")).unwrap();
    assert!(audit.contains("\"operation\":\"port-forward\""), "{audit}");
}

/// An environment is production unless its config says `production =
/// false`: no name is trusted, and no config at all means production.
#[test]
fn every_environment_is_production_unless_its_config_says_otherwise() {
    let Some(fx) = fixture("cli_production", "muejam-staging") else {
        return;
    };
    let h = fx.home.path();
    let plan = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend([
            "scale",
            "--service",
            "backend",
            "--desired",
            "3",
            "--dry-run",
            "--json",
        ]);
        let out = flightdeck(h, &all, Some(&fx.moto));
        let report = json(&out);
        let plan = &report["plan"];
        (
            plan["environment"].as_str().unwrap().to_string(),
            plan["production"].as_bool().unwrap(),
        )
    };
    // The fixture's config says `production = false`.
    assert_eq!(plan(&[]), ("muejam-staging".into(), false));

    // Without a config, whatever the name.
    std::fs::remove_file(h.join("config/flightdeck/config.toml")).unwrap();
    for name in [
        "prod",
        "production",
        "Prod",
        "acme-PROD",
        "prod-us-east-1",
        "staging",
    ] {
        assert_eq!(
            plan(&["--profile", "muejam-staging", "--env", name]),
            (name.to_string(), true),
            "{name}"
        );
    }
    // No name at all: the default profile, called `default`.
    let region = fx.env.region.as_str();
    std::fs::write(
        h.join("aws-config"),
        format!("[default]\nregion = {region}\n"),
    )
    .unwrap();
    std::fs::write(
        h.join("aws-credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = moto-secret\n",
            fx.moto.access_key()
        ),
    )
    .unwrap();
    assert_eq!(plan(&[]), ("default".into(), true));

    // exec in production needs the typed name: refused without it, exit 3,
    // with every precondition met (the plugin, a task with execute command).
    let (service, family) = service_family(&fx, "backend");
    run_service_tasks(&fx, &service, &family, 1, true);
    let path = fake_plugin(h);
    let exec = flightdeck_with(
        h,
        &["exec", "--service", &service],
        Some(&fx.moto),
        &[("PATH", path.as_str())],
    );
    let stderr = String::from_utf8_lossy(&exec.stderr);
    assert_eq!(exec.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not confirmed"), "{stderr}");
    assert!(!h.join("plugin-args").exists(), "no session opened");

    // doctor says it is production only by default, and how to change it.
    let doctor = flightdeck(h, &["doctor", "--json"], Some(&fx.moto));
    let checks = doctor_checks(&doctor);
    let (status, detail) = status_of(&checks, "default", "production");
    assert_eq!(status, "ok");
    assert!(detail.contains("production by default"), "{detail}");
    assert!(detail.contains("production = false"), "{detail}");
}

/// A rollback whose target nothing names: the command lists the earlier
/// revisions, until when each ran, and names its flag (the cockpit offers a
/// pick instead, and never the flag); exit 3, nothing written.
#[test]
fn a_rollback_without_a_target_names_the_revisions_and_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let out = flightdeck(
        home.path(),
        &[
            "--demo",
            "--env",
            "prod-infra-production",
            "rollback",
            "--service",
            "ai-service",
            "--confirm",
            "ai-service",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the revisions before it: :11")
            && stderr.contains(", ran until ")
            && stderr.ends_with("name one with --to REVISION\n"),
        "{stderr}"
    );
}

/// Every plan carries the AWS CLI commands that make its calls, in
/// `plan.aws_cli` and in the text, each read back as its arguments.
#[test]
fn every_plan_carries_the_aws_cli_that_makes_its_calls() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The demo follows the wall clock and its auto scaling moves the
    // desired count: a count it does not have now (within its 1..4).
    let services = json(&flightdeck(
        h,
        &["--demo", "--env", "muejam-staging", "services", "--json"],
        None,
    ));
    let now = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "backend")
        .and_then(|s| s["desired"].as_u64())
        .unwrap();
    let desired = if now == 4 { "3" } else { "4" };
    let scale = [
        "--demo",
        "--env",
        "muejam-staging",
        "scale",
        "--cluster",
        "muejam-staging",
        "--service",
        "backend",
        "--desired",
        desired,
        "--dry-run",
    ];
    let mut with_json = scale.to_vec();
    with_json.push("--json");
    let out = json(&flightdeck(h, &with_json, None));
    let lines: Vec<Vec<String>> = out["plan"]["aws_cli"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| shell_words::split(l.as_str().unwrap()).unwrap())
        .collect();
    let update = lines
        .iter()
        .find(|w| w[..3] == ["aws", "ecs", "update-service"])
        .unwrap_or_else(|| panic!("no update-service in {out}"));
    let after = |flag: &str| {
        update
            .iter()
            .position(|w| w == flag)
            .map(|i| update[i + 1].clone())
    };
    assert_eq!(after("--cluster").as_deref(), Some("muejam-staging"));
    assert_eq!(after("--service").as_deref(), Some("backend"));
    assert_eq!(after("--desired-count").as_deref(), Some(desired));
    assert_eq!(after("--region").as_deref(), out["plan"]["region"].as_str());
    let text = flightdeck(h, &scale, None);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("the same with the AWS CLI:") && text.contains("aws ecs update-service"),
        "{text}"
    );
}

/// The simulation plays a one-off task's command by its words: `exit 3`
/// ends it with exit code 3, which `--wait` follows and exits 1 on.
#[test]
fn run_task_on_the_simulation_follows_a_failing_command_to_its_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let out = flightdeck(
        h,
        &[
            "--demo",
            "--env",
            "muejam-staging",
            "run-task",
            "--service",
            "backend",
            "--command",
            "sh -c 'echo migrating; exit 3'",
            "--wait",
            "--confirm",
            "backend",
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("is RUNNING"), "{stdout}");
    assert!(stdout.contains("\nmigrating\n"), "{stdout}");
    assert!(
        stdout.contains("stopped: exit code 3 (Essential container in task exited)"),
        "{stdout}"
    );
    assert!(stderr.contains("ended with exit code 3"), "{stderr}");
    let records = demo_audit_lines(h);
    assert!(
        records
            .iter()
            .any(|r| r["operation"] == "run-task" && r["phase"] == "after"),
        "{records:?}"
    );
}
