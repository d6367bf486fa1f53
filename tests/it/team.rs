//! The team's shared audit trail (`[team] audit_log_group`) against moto's
//! CloudWatch Logs: every write's records reach the operator's stream once,
//! an unreachable trail never fails the write, and what waited is sent by
//! the next catch-up, nothing lost and nothing twice.
#![cfg(feature = "aws")]

use crate::common;

use common::cli::{fixture, flightdeck};

#[test]
fn every_write_reaches_the_shared_trail_once_even_after_an_outage() {
    let Some(fx) = fixture("team_audit", "muejam-staging") else {
        return;
    };
    let (h, env) = (fx.home.path(), &fx.env);
    let group = "flightdeck-audit";
    let config = fx.moto.sdk_config(&env.region);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&fx.rt.block_on(config));
    fx.rt
        .block_on(logs.create_log_group().log_group_name(group).send())
        .unwrap();
    let file = h.join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!(
        "\n[team]\naudit_log_group = \"{group}\"\naudit_environment = \"{}\"\noperator = \"alice@laptop\"\n",
        env.name
    ));
    std::fs::write(&file, text).unwrap();
    let service = &env.services[0].name;
    let scale = |desired: &str| {
        flightdeck(
            h,
            &[
                "scale",
                "--cluster",
                &env.cluster,
                "--service",
                service,
                "--desired",
                desired,
                "--confirm",
                service,
            ],
            Some(&fx.moto),
        )
    };
    let trail = || -> Vec<String> {
        fx.rt
            .block_on(
                logs.get_log_events()
                    .log_group_name(group)
                    .log_stream_name("alice@laptop")
                    .start_from_head(true)
                    .send(),
            )
            .map(|o| {
                o.events()
                    .iter()
                    .filter_map(|e| e.message().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let local = || {
        std::fs::read_to_string(h.join("state/flightdeck/audit.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };

    let first = scale("3");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(trail(), local(), "the before and after records, as written");
    assert_eq!(trail().len(), 2);

    // The trail unreachable: the write goes through, says so, and waits.
    fx.moto
        .fault("PutLogEvents", "ServiceUnavailableException", "try later");
    let second = scale("4");
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("shared audit trail was not reached"),
        "{stderr}"
    );
    assert_eq!(trail().len(), 2);
    assert_eq!(local().len(), 4);

    // Back: the next write sends what waited and its own, once each.
    fx.moto.clear_faults();
    let third = scale("3");
    assert!(
        third.status.success(),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
    assert_eq!(trail(), local());
    assert_eq!(trail().len(), 6);
}
