//! The team's runbook actions in the cockpit, on the simulation: a key in
//! scope plans the action, a writing one is confirmed by the write tiers
//! (the service's name typed in production), read-only refuses it, the
//! audit keeps it before and after with its exit status, its output opens
//! at once, sanitised, and the palette and help list the actions. The
//! process and its cancel are tested on `flightdeck::actions::run` itself.
use crate::common::{self, Harness};
use crossterm::event::KeyCode;
use flightdeck::action::{Scope, Spec};
use flightdeck::app::Overlay;
use flightdeck::app::write::Dialog;
use std::collections::BTreeMap;
use std::sync::Arc;

fn spec(name: &str, key: &str, scope: Scope, command: &[&str], writes: bool) -> Spec {
    Spec {
        name: name.into(),
        description: format!("{name} for the tests"),
        scope,
        command: command.iter().map(|s| s.to_string()).collect(),
        env: BTreeMap::new(),
        writes,
        tty: false,
        key: Some(key.into()),
        source: "config.toml:1".into(),
    }
}

/// The team's actions: one that writes on a service (and fails with
/// status 3, printing an escape sequence), one that reads the environment,
/// one on an alarm.
fn actions() -> Vec<Spec> {
    vec![
        spec(
            "flush-cache",
            "U",
            Scope::Service,
            &[
                "sh",
                "-c",
                "echo flushed $0 in $1; printf 'evil \\033]0;pwned\\007 title\\n' >&2; exit 3",
                "{service}",
                "{cluster}",
            ],
            true,
        ),
        spec(
            "whoami",
            "Z",
            Scope::Environment,
            &[
                "sh",
                "-c",
                "echo $0 ${{AWS_ACCESS_KEY_ID-no-key}} $AWS_CONFIG_FILE",
                "{env}",
            ],
            false,
        ),
        spec(
            "page-owner",
            "V",
            Scope::Alarm,
            &["echo", "paging about {alarm}"],
            false,
        ),
    ]
}

fn harness() -> Harness {
    let mut h = Harness::new();
    let mut actions = actions();
    // Even one the action sets itself does not reach the simulation's.
    actions[1]
        .env
        .insert("AWS_ACCESS_KEY_ID".into(), "AKIAIOSFODNN7EXAMPLE".into());
    h.app.actions = Arc::new(actions);
    h
}

#[test]
fn a_writing_action_on_a_service_is_confirmed_by_its_name_audited_and_shown_sanitised() {
    let mono = common::theme("monochrome");
    let mut h = harness();
    assert!(h.app.env().info.production);
    h.keys("1");
    h.select_service("backend-api");
    h.keys("U");
    let Some(Dialog::Action(c)) = &h.app.dialog else {
        panic!("no confirmation: {:?}", h.app.dialog);
    };
    assert!(c.needs_typing(), "production is confirmed by typing");
    assert_eq!(c.plan.target, "backend-api");
    assert_eq!(c.plan.argv[3..], ["backend-api", "radiox-prod"]);
    assert!(c.plan.simulated);
    let screen = h.screen(80, 24, &mono);
    assert!(screen.contains("Plan: action flush-cache"), "{screen}");
    assert!(
        screen.contains("type the service name `backend-api`"),
        "{screen}"
    );
    // A wrong name is refused where it is typed; nothing ran.
    h.keys("backend");
    h.key(KeyCode::Enter);
    let Some(Dialog::Action(c)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    assert!(
        c.error.as_deref().unwrap().contains("exactly"),
        "{:?}",
        c.error
    );
    assert!(h.audit.records().is_empty());
    h.keys("-api");
    h.key(KeyCode::Enter);
    // It ran; its output is open at once.
    let Some(Overlay::Actions { run, .. }) = h.app.overlay.clone() else {
        panic!("no output: {:?}", h.app.overlay);
    };
    let r = h.app.run(run).unwrap();
    assert_eq!(r.ended, Some(Ok(3)));
    assert_eq!(r.state(), "EXIT 3");
    let screen = h.screen(80, 24, &mono);
    assert!(
        screen.contains("flushed backend-api in radiox-prod"),
        "{screen}"
    );
    assert!(screen.contains("EXIT 3"), "{screen}");
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen:?}"
    );
    // Audited before and after, the exit status in the record after.
    let records = h.audit.records();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0].operation, "action flush-cache");
    assert_eq!(records[1].error.as_deref(), Some("exit status 3"));
    // Esc closes it; the palette opens it again.
    h.key(KeyCode::Esc);
    assert!(h.app.overlay.is_none());
    h.keys(":");
    let labels: Vec<String> = h
        .app
        .palette_items("")
        .into_iter()
        .map(|i| i.label)
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("action flush-cache on backend-api [U]")),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.starts_with("actions: the output")),
        "{labels:?}"
    );
    h.key(KeyCode::Esc);
}

#[test]
fn a_reading_action_runs_at_once_without_aws_credentials_in_the_simulation() {
    let mut h = harness();
    h.keys("Z");
    assert!(h.app.dialog.is_none(), "{:?}", h.app.dialog);
    let r = h.app.runs.last().unwrap();
    assert_eq!(r.ended, Some(Ok(0)));
    let out: Vec<&str> = r.lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(out, ["radiox-prod no-key /dev/null"]);
    // Nothing that only reads is audited.
    assert!(h.audit.records().is_empty());
}

#[test]
fn read_only_refuses_a_writing_action_and_a_scope_with_nothing_selected_says_so() {
    let mut h = harness();
    h.keys("1");
    // An alarm's action where no alarm is selected.
    h.keys("V");
    assert!(h.app.dialog.is_none());
    let said = h.app.notice.clone().unwrap();
    assert!(
        said.contains("page-owner on an alarm: select one first"),
        "{said}"
    );
    h.app.read_only = true;
    h.keys("U");
    assert!(h.app.dialog.is_none(), "{:?}", h.app.dialog);
    let said = h.app.notice.clone().unwrap();
    assert!(said.contains("is read-only"), "{said}");
    assert!(h.app.runs.is_empty());
    // The help lists the team's actions with their keys.
    h.keys("?");
    let screen = h.screen(100, 60, &common::theme("monochrome"));
    assert!(screen.contains("Team actions"), "{screen}");
    assert!(
        screen.contains("flush-cache on a service, writes"),
        "{screen}"
    );
}

#[test]
fn an_alarms_action_is_aimed_at_the_selected_alarm() {
    let mut h = harness();
    h.keys("3");
    let alarm = h.app.selected_alarm().unwrap().name.clone();
    h.keys("V");
    let r = h.app.runs.last().unwrap();
    let target = match &r.of {
        flightdeck::app::actions::RunOf::Action(plan) => plan.target.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(target, alarm);
    let out: Vec<&str> = r.lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(out, [format!("paging about {alarm}")]);
}

/// A cancel asks the action to stop (SIGTERM to its process group): one
/// that stops in time says how it ended; one that ignores it is killed
/// after the grace period. The record after is written either way.
#[tokio::test]
async fn a_cancelled_action_is_asked_to_stop_then_killed() {
    use flightdeck::actions::{Ended, Interrupt, Io, Stream, run};
    let mut plan = actions()[0]
        .plan(&flightdeck::action::Values::default(), false)
        .unwrap();
    plan.argv = [
        "sh",
        "-c",
        "trap 'echo stopping; exit 7' TERM; echo started; while :; do sleep 0.05; done",
    ]
    .map(String::from)
    .to_vec();
    let mut lines = vec![];
    let cancel = tokio::time::sleep(std::time::Duration::from_millis(300));
    let ended = run(&plan, Io::Piped, Interrupt::Terminate, cancel, |s, l| {
        lines.push((s, l))
    })
    .await
    .unwrap();
    assert_eq!(ended, Ended::Code(7), "{lines:?}");
    assert!(
        lines.contains(&(Stream::Out, "stopping".into())),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|(s, l)| *s == Stream::Note && l.starts_with("interrupted"))
    );
    // One that ignores SIGTERM (and its child too) is killed.
    plan.argv = ["sh", "-c", "trap '' TERM; echo started; sleep 60"]
        .map(String::from)
        .to_vec();
    let started = std::time::Instant::now();
    let cancel = tokio::time::sleep(std::time::Duration::from_millis(100));
    let ended = run(&plan, Io::Piped, Interrupt::Terminate, cancel, |_, _| {})
        .await
        .unwrap();
    assert_eq!(ended, Ended::Signal(9));
    assert!(started.elapsed() >= flightdeck::actions::GRACE);
}

/// Read-only holds below the cockpit: the runner itself refuses a writing
/// action in a read-only environment, runs nothing and audits nothing.
#[test]
fn the_runner_refuses_a_writing_action_in_a_read_only_environment() {
    use flightdeck::model::clock::Clock;
    use flightdeck::provider::ReadProvider;
    let clock = flightdeck::clock::ManualClock::new(common::start());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let world = Arc::new(std::sync::Mutex::new(common::seed_world()));
    let sim = flightdeck::sim::SimProvider::all(world, shared.clone())
        .into_iter()
        .find(|p| p.environment().name == "radiox-prod")
        .unwrap();
    let info = flightdeck::model::EnvironmentInfo {
        read_only: true,
        ..sim.environment().clone()
    };
    let provider = flightdeck::provider::Provider::new(sim.with_environment(info));
    let dir = tempfile::tempdir().unwrap();
    let audit = flightdeck::ops::AuditLog::new(dir.path().join("audit.jsonl"));
    let mut plan = actions()[0]
        .plan(&flightdeck::action::Values::default(), true)
        .unwrap();
    plan.environment = "radiox-prod".into();
    let ran = dir.path().join("ran");
    plan.argv = vec!["touch".into(), ran.display().to_string()];
    let context = flightdeck::actions::Context {
        audit: audit.clone(),
        clock: shared,
    };
    let outcome = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(flightdeck::actions::audited(
            &context,
            &plan,
            Some(&provider),
            flightdeck::actions::Io::Piped,
            std::future::pending(),
            |_, _| {},
        ));
    let why = outcome.unwrap_err();
    assert!(why.contains("read-only"), "{why}");
    assert!(audit.records().is_empty());
    assert!(!ran.exists());
}
