//! Alarm runbooks from their three sources: the alarm's `runbook` tag
//! (ListTagsForResource, against moto), a `runbook:` line of its
//! description, the team's `[[runbook]]` map; in `triage --json`, the
//! cockpit's alarm detail and triage, and `b` copying (OSC 52) and opening
//! it. A bad pattern in the map is refused at its line and column.

use crate::common::cli::{Fixture, fixture, flightdeck};
use crate::common::{self, Harness};
use serde_json::Value;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn triage_json_names_each_alarms_runbook_and_where_it_was_found() {
    let Some(Fixture {
        moto,
        env,
        rt,
        home,
        ..
    }) = fixture("runbooks", "muejam-staging")
    else {
        return;
    };
    let config = home.path().join("config/flightdeck/config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(
        "\n[[runbook]]\nalarm = \"team-*\"\nurl = \"https://wiki.example/team\"\n\n[[runbook]]\nalarm = \"*\"\nurl = \"https://wiki.example/everything-else\"\n",
    );
    std::fs::write(&config, text).unwrap();
    rt.block_on(async {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Tag};
        let cw = aws_sdk_cloudwatch::Client::new(&moto.sdk_config(&env.region).await);
        for (name, description, tag) in [
            (
                "tagged-critical",
                "see https://dash.example/x",
                Some("https://wiki.example/from-tag"),
            ),
            (
                "lined-critical",
                "5xx up\nrunbook: https://wiki.example/from-line",
                None,
            ),
            ("team-critical", "see https://dash.example/team", None),
        ] {
            let mut put = cw
                .put_metric_alarm()
                .alarm_name(name)
                .alarm_description(description)
                .namespace("AWS/ECS")
                .metric_name("CPUUtilization")
                .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
                .period(60)
                .evaluation_periods(1)
                .threshold(90.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold);
            if let Some(url) = tag {
                put = put.tags(Tag::builder().key("runbook").value(url).build());
            }
            put.send().await.unwrap();
            cw.set_alarm_state()
                .alarm_name(name)
                .state_value(StateValue::Alarm)
                .state_reason("Threshold Crossed")
                .send()
                .await
                .unwrap();
        }
    });
    let o = flightdeck(home.path(), &["triage", "--json"], Some(&moto));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let findings: Value = serde_json::from_slice(&o.stdout).unwrap();
    let runbook = |subject: &str| {
        let f = findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["subject"] == subject)
            .unwrap_or_else(|| panic!("no {subject}: {findings}"));
        (
            f["runbook"]["url"].as_str().unwrap().to_string(),
            f["runbook"]["from"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        runbook("tagged-critical"),
        ("https://wiki.example/from-tag".into(), "tag".into())
    );
    assert_eq!(
        runbook("lined-critical"),
        (
            "https://wiki.example/from-line".into(),
            "description".into()
        )
    );
    // The team's map before a bare link, its first match winning.
    assert_eq!(
        runbook("team-critical"),
        ("https://wiki.example/team".into(), "team".into())
    );
    // The table says it too.
    let table = flightdeck(home.path(), &["triage"], Some(&moto));
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("(runbook: https://wiki.example/from-tag)"),
        "{text}"
    );
}

#[test]
fn a_bad_pattern_in_the_teams_map_is_refused_where_it_is_written() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/flightdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[[runbook]]\nalarm = \"checkout-[\"\nurl = \"https://wiki.example/x\"\n",
    )
    .unwrap();
    let o = flightdeck(home.path(), &["config", "check"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(said.contains("config.toml:2:9"), "{said}");
    assert!(said.contains("is not an alarm-name pattern"), "{said}");
    std::fs::write(
        dir.join("config.toml"),
        "[[runbook]]\nalarm = \"checkout-*\"\nurl = \"  \"\n",
    )
    .unwrap();
    let said = stderr(&flightdeck(home.path(), &["config", "check"], None));
    assert!(
        said.contains("config.toml:3:7") && said.contains("`url` is empty"),
        "{said}"
    );
    std::fs::write(
        dir.join("config.toml"),
        "[[runbook]]\nalarm = \"\"\nurl = \"https://wiki.example/x\"\n",
    )
    .unwrap();
    let said = stderr(&flightdeck(home.path(), &["config", "check"], None));
    assert!(
        said.contains("config.toml:2:9") && said.contains("pattern is empty"),
        "{said}"
    );
}

#[test]
fn the_cockpit_shows_an_alarms_runbook_and_b_copies_and_opens_it() {
    let mono = common::theme("monochrome");
    let mut h = Harness::new();
    h.keys("3");
    // The simulated teams tag the alarms that page a human.
    let at = h
        .app
        .alarm_rows()
        .iter()
        .position(|a| a.name == "radiox-prod-backend-api-cpu-high")
        .unwrap();
    h.app.selected[flightdeck::app::Pane::Alarms.index()] = at;
    let url =
        "https://runbooks.example.com/radiox-prod/radiox-prod-backend-api-cpu-high".to_string();
    let screen = h.screen(120, 30, &mono);
    assert!(screen.contains(&format!("RUNBOOK {url}")), "{screen}");
    assert!(screen.contains("its runbook tag"), "{screen}");
    let effects = h.feed(flightdeck::app::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('b'),
        crossterm::event::KeyModifiers::NONE,
    )));
    assert_eq!(
        effects,
        [
            flightdeck::app::Effect::Copy(url.clone()),
            flightdeck::app::Effect::Open(url.clone())
        ]
    );
    // Where none is known, it says where it looked.
    let scaling = h
        .app
        .alarm_rows()
        .iter()
        .position(|a| a.name == "radiox-prod-backend-api-scale-out-cpu")
        .unwrap();
    h.app.selected[flightdeck::app::Pane::Alarms.index()] = scaling;
    h.keys("b");
    let said = h.app.notice.clone().unwrap();
    assert!(said.starts_with("no runbook"), "{said}");
}
