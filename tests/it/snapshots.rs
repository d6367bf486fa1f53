//! Every pane at 80x24 and 160x48, with a fixed seed and clock, through
//! ratatui's TestBackend. Review changes with `cargo insta review`.

use crate::common;

use common::{Harness, theme};
use crossterm::event::KeyCode;
use flightdeck::app::Msg;

fn snap_pane(pane: char, name: &str) {
    let dark = theme("dark");
    let mut h = Harness::new();
    h.keys(&pane.to_string());
    for (w, hgt) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), h.screen(w, hgt, &dark));
    }
}

#[test]
fn services_pane() {
    snap_pane('1', "services");
}

#[test]
fn scaling_pane() {
    snap_pane('2', "scaling");
}

#[test]
fn alarms_pane() {
    snap_pane('3', "alarms");
}

#[test]
fn logs_pane() {
    snap_pane('4', "logs");
}

#[test]
fn costs_pane() {
    snap_pane('5', "costs");
}

#[test]
fn service_detail_redacts_secrets() {
    let dark = theme("dark");
    let mut h = Harness::new();
    // tellmemore-prod's auth-service carries a secret-looking plain env var.
    h.key(KeyCode::Char(':'));
    h.keys("tellmemore auth");
    h.key(KeyCode::Enter);
    let screen = h.screen(160, 48, &dark);
    assert!(
        screen.contains("AUTH_API_KEY=****** (redacted)"),
        "{screen}"
    );
    assert!(!screen.contains("tmm_live_"), "{screen}");
    // A name ending in what the value is about shows a harmless value.
    assert!(screen.contains("TOKEN_TTL_SECONDS=3600"), "{screen}");
    insta::assert_snapshot!("service_detail_160x48", screen);
    insta::assert_snapshot!("service_detail_80x24", h.screen(80, 24, &dark));
}

#[test]
fn help_overlay_lists_the_keymap() {
    let dark = theme("dark");
    let mut h = Harness::new();
    h.keys("?");
    use flightdeck::app::keymap::{BINDINGS, Context};
    let screen = h.screen(80, 24, &dark);
    for b in BINDINGS
        .iter()
        .filter(|b| !b.help.is_empty() && matches!(b.context, Context::Global | Context::Lists))
    {
        assert!(screen.contains(b.help), "help lacks {:?}", b.help);
    }
    insta::assert_snapshot!("help_80x24", screen);
    // Taller terminals show the rest without scrolling.
    let tall = h.screen(100, 76, &dark);
    for b in BINDINGS.iter().filter(|b| !b.help.is_empty()) {
        assert!(tall.contains(b.help), "help lacks {:?}", b.help);
    }
}

#[test]
fn environment_switcher_shows_all_six() {
    let dark = theme("dark");
    let mut h = Harness::new();
    h.keys("e");
    let screen = h.screen(80, 24, &dark);
    for env in [
        "radiox-prod",
        "reelnet-prod",
        "prod-infra-production",
        "tellmemore-prod",
        "muejam-staging",
        "muejam-production",
    ] {
        assert!(screen.contains(env), "{env} missing:\n{screen}");
    }
    insta::assert_snapshot!("env_switcher_80x24", screen);
}

#[test]
fn debug_overlay_shows_calls_throttles_and_budget() {
    use flightdeck::app::api::{ApiReport, EnvCalls};
    use flightdeck::engine::{ApiFamily, BucketReport, BudgetReport};
    let dark = theme("dark");
    let mut h = Harness::new();
    let current = h.app.env().info.name.clone();
    let other = h.app.envs[1].info.name.clone();
    let stats: flightdeck::model::ApiStats = serde_json::from_value(serde_json::json!({
        "calls": {"ecs:ListServices": 3, "ecs:DescribeServices": 21,
                  "cloudwatch:DescribeAlarms": 4, "cloudwatch:GetMetricData": 2},
        "throttles": {"ecs:DescribeServices": 1}
    }))
    .unwrap();
    let bucket = |env: &str, family: ApiFamily, available, started, deferred| {
        let (capacity, refill_per_sec) = family.limits();
        BucketReport {
            env: env.to_string(),
            family,
            available,
            capacity,
            refill_per_sec,
            started,
            deferred,
        }
    };
    let report = ApiReport {
        envs: vec![
            EnvCalls {
                env: other.clone(),
                stats: None,
            },
            EnvCalls {
                env: current.clone(),
                stats: Some(stats),
            },
        ],
        budget: BudgetReport {
            buckets: vec![
                bucket(&current, ApiFamily::Ecs, 0.4, 9, 3),
                bucket(&current, ApiFamily::CloudWatch, 17.0, 6, 0),
            ],
            in_flight: 2,
        },
    };
    // The figures arrive before and while the overlay is open; only the
    // open overlay asks for a frame.
    h.app.dirty = false;
    h.feed(Msg::Api(Box::new(report.clone())));
    assert!(!h.app.dirty);
    h.keys("!");
    let screen = h.screen(80, 24, &dark);
    // The current environment comes first, its busiest operation first.
    let at = |needle: &str| {
        screen
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in\n{screen}"))
    };
    assert!(at(&current) < at(&other), "{screen}");
    assert!(
        at("ecs:DescribeServices") < at("ecs:ListServices"),
        "{screen}"
    );
    assert!(screen.contains("1 THROTTLED"), "{screen}");
    assert!(screen.contains("fetches in flight: 2"), "{screen}");
    insta::assert_snapshot!("debug_overlay_80x24", screen);
    // Any other key closes it.
    h.keys("x");
    assert_eq!(h.app.overlay, None);
}

#[test]
fn too_small_terminal_says_so() {
    let mut h = Harness::new();
    let screen = h.screen(50, 12, &theme("dark"));
    assert!(screen.contains("Terminal too small: 50x12"), "{screen}");
}

#[test]
fn monochrome_shows_state_without_colour() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    h.keys("3");
    let buffer = h.buffer(80, 24, &mono);
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    let screen = h.screen(80, 24, &mono);
    assert!(
        screen.contains("OK") || screen.contains("ALARM"),
        "{screen}"
    );
    assert!(screen.contains("[RW]"));
}

#[test]
fn every_environment_has_services_alarms_and_costs() {
    let dark = theme("dark");
    let mut h = Harness::new();
    for i in 0..6 {
        h.keys("e");
        for _ in 0..6 {
            h.key(KeyCode::Char('k'));
        }
        for _ in 0..i {
            h.key(KeyCode::Char('j'));
        }
        h.key(KeyCode::Enter);
        let env = h.app.env().info.name.clone();
        assert!(!h.app.env().services().is_empty(), "{env} has no services");
        h.keys("3");
        assert!(!h.app.env().alarms().is_empty(), "{env} has no alarms");
        h.keys("5");
        let screen = h.screen(80, 24, &dark);
        assert!(screen.contains("MTD USD"), "{env}: {screen}");
        h.keys("1");
    }
}

#[test]
fn escape_sequences_from_aws_never_reach_the_terminal() {
    let dark = theme("dark");
    let mut h = Harness::new();
    h.keys("4");
    let source = h.app.log_source().unwrap();
    let evil = flightdeck::model::LogEvent {
        id: "evil".into(),
        timestamp: common::start(),
        stream: "ecs/backend-api/\x1b]0;owned\x07".into(),
        message: "GET / 200 \x1b[2J\x1b]52;c;ZWNobyBwd25lZA==\x07\r\u{9b}31m done".into(),
    };
    h.app.envs[0]
        .logs
        .get_mut(&source)
        .unwrap()
        .extend(vec![evil]);
    let buffer = h.buffer(160, 48, &dark);
    let text: String = buffer.content().iter().map(|c| c.symbol()).collect();
    assert!(
        text.contains("GET / 200 ?[2J?]52;c;"),
        "the line is shown, defused"
    );
    assert!(
        !text.chars().any(|c| c.is_control()),
        "a control character reached the screen"
    );
}

#[test]
fn write_dialogs_and_the_rollout_watch() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    // Production: the scale form, then the plan waiting for the typed name.
    h.keys("1S");
    insta::assert_snapshot!("scale_form_80x24", h.screen(80, 24, &mono));
    h.clear_field();
    h.keys("3");
    h.key(KeyCode::Enter);
    insta::assert_snapshot!("production_confirm_80x24", h.screen(80, 24, &mono));
    h.key(KeyCode::Esc);
    // Non-production: deploy, confirm, watch to the end.
    h.go_to_env("muejam-staging");
    h.keys("D");
    h.clear_field();
    h.keys("acme/backend:v9");
    h.key(KeyCode::Enter);
    insta::assert_snapshot!("staging_confirm_80x24", h.screen(80, 24, &mono));
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    for _ in 0..18 {
        h.advance(chrono::Duration::seconds(10));
    }
    insta::assert_snapshot!("rollout_watch_100x30", h.screen(100, 30, &mono));
}

#[test]
fn target_tracking_alarms_read_by_service_at_80_columns_with_the_full_name_in_the_detail() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    h.go_to_env("prod-infra-production");
    h.keys("3/");
    h.keys("TargetTracking");
    h.key(KeyCode::Enter);
    let screen = h.screen(80, 24, &mono);
    let row = screen
        .lines()
        .find(|l| l.contains("target tracking"))
        .unwrap_or_else(|| panic!("no target-tracking row: {screen}"));
    // The service leads, whole, with the side and the metric.
    let svc = h
        .app
        .selected_alarm()
        .unwrap()
        .name
        .split('/')
        .nth(2)
        .unwrap()
        .to_string();
    let svc = svc.split("-Alarm").next().unwrap().to_string();
    assert!(row.contains(&format!("{svc} target tracking ")), "{row}");
    assert!(
        row.contains("(CPUUtilization)") || row.contains("(MemoryUtilization)"),
        "{row}"
    );
    // No row of the list is cut inside AWS's generated name...
    let rows = screen
        .lines()
        .filter(|l| l.contains("ALARM ") || l.contains("OK "));
    assert!(
        rows.clone().all(|l| !l.contains("TargetTracking-")),
        "{screen}"
    );
    // ...which the detail under the list shows whole.
    let selected = h.app.selected_alarm().unwrap().name.clone();
    assert!(
        selected.starts_with("TargetTracking-service/"),
        "{selected}"
    );
    let detail = h.screen(200, 60, &mono);
    assert!(
        detail.contains(&selected),
        "the detail names {selected}: {detail}"
    );
    assert!(screen.contains(&selected[..79]), "{screen}");
}

#[test]
fn triage_pane() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    h.keys("0");
    insta::assert_snapshot!("triage_80x24", h.screen(80, 24, &mono));
    insta::assert_snapshot!("triage_160x48", h.screen(160, 48, &mono));
    // Nothing wrong says so, with what was checked.
    for e in &mut h.app.envs {
        e.alarms.data = Some(vec![]);
        for s in e.services.data.iter_mut().flatten() {
            s.events.clear();
            s.running = s.desired;
            s.pending = 0;
        }
    }
    // Changed here rather than by arriving data: triage must look again.
    h.app.triage_inputs += 1;
    let calm = h.screen(80, 24, &mono);
    assert!(
        calm.contains("Nothing needs a human: checked 6 of 6 environments"),
        "{calm}"
    );
}

#[test]
fn changes_pane() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    // A service's changes from its detail: `c`.
    h.keys("1");
    h.key(KeyCode::Enter);
    let detail = h.screen(80, 24, &mono);
    assert!(
        detail.contains("CHANGES (last 2h; c: all of them)"),
        "{detail}"
    );
    h.keys("c");
    insta::assert_snapshot!("changes_service_80x24", h.screen(80, 24, &mono));
    insta::assert_snapshot!("changes_service_160x48", h.screen(160, 48, &mono));
    // The environment's: every service, and who did it where there is room.
    h.keys("c");
    insta::assert_snapshot!("changes_environment_80x24", h.screen(80, 24, &mono));
    insta::assert_snapshot!("changes_environment_160x48", h.screen(160, 48, &mono));
}

#[test]
fn a_service_detail_with_its_tasks_a_forward_and_the_port_forward_form() {
    let mono = theme("monochrome");
    let mut h = Harness::new();
    h.go_to_env("muejam-staging");
    h.key(KeyCode::Enter);
    h.keys("]");
    // What the runtime tells the cockpit while a forward runs.
    h.feed(flightdeck::app::Msg::Forwards(vec![
        "127.0.0.1:15432 -> db.internal:5432 via task 0f1e2d3c".into(),
    ]));
    let screen = h.screen(100, 30, &mono);
    assert!(screen.contains(" fwd 1 "), "{screen}");
    insta::assert_snapshot!("service_detail_tasks_100x30", screen);
    // The demo says it has no containers; on AWS, `P` opens the form.
    h.keys("P");
    assert!(h.screen(80, 24, &mono).contains("runs no containers"));
    h.key(KeyCode::Esc);
    h.app.demo = false;
    h.keys("[P");
    insta::assert_snapshot!("port_forward_form_80x24", h.screen(80, 24, &mono));
}
