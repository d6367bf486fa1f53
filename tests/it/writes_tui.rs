//! Writes from the cockpit, through `update()` and the runtime's effects:
//! forms, plans, confirmations, the rollout watch, and a property test
//! proving that no write runs without its confirmation.
#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed unwrap is the test's report"
)]

use crate::common;

use common::Harness;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::write::Dialog;
use flightdeck::app::{App, Effect, Msg, update};
use flightdeck::ops::{ExecError, Phase, RolloutStatus};
use flightdeck::provider::Provider;
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn go_to_env(h: &mut Harness, name: &str) {
    h.go_to_env(name);
}

fn clear_field(h: &mut Harness) {
    h.clear_field();
}

#[test]
fn deploy_from_the_cockpit_plans_confirms_and_is_watched_to_success() {
    let mut h = Harness::new();
    go_to_env(&mut h, "muejam-staging");
    h.keys("D");
    let Some(Dialog::Form(_)) = &h.app.dialog else {
        panic!("no form: {:?}", h.app.dialog);
    };
    // Nothing changed: refused inline, nothing planned.
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!()
    };
    assert!(f.error.is_some());
    clear_field(&mut h);
    h.keys("acme/backend:v9");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(!c.plan.production && !c.on_confirm, "Cancel has the focus");
    // Enter on Cancel: nothing happens.
    h.key(KeyCode::Enter);
    assert_eq!(h.app.dialog, None);
    assert!(h.audit.records().is_empty());

    plan_deploy(&mut h, "acme/backend:v9");
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    let r = h.app.rollout.as_ref().expect("a rollout to watch");
    assert!(r.visible);
    let dark = common::theme("dark");
    for _ in 0..18 {
        h.advance(chrono::Duration::seconds(10));
    }
    assert_eq!(
        h.app.rollout.as_ref().unwrap().watch.status,
        RolloutStatus::Succeeded
    );
    let screen = h.screen(100, 30, &dark);
    assert!(screen.contains("SUCCEEDED"), "{screen}");
    let phases: Vec<Phase> = h.audit.records().iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Before, Phase::After]);
}

/// L on a service: the one-off task's form refuses what cannot run
/// inline, its plan shows the RunTask and its AWS CLI, production takes the
/// service's name, and the task is followed in the runs' output to its
/// exit code (the simulation plays `exit 3`), audited before and after.
#[test]
fn a_one_off_task_is_planned_confirmed_by_name_and_followed_to_its_exit_code() {
    let mut h = Harness::new();
    assert!(h.app.env().info.production);
    h.keys("1");
    let service = h.app.selected_service().unwrap().name.clone();
    h.keys("L");
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!("no form: {:?}", h.app.dialog);
    };
    assert!(
        f.error
            .as_deref()
            .unwrap_or_default()
            .contains("give the command"),
        "{f:?}"
    );
    h.keys("sh -c 'echo migrating; exit 3");
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!("an open quote is refused inline: {:?}", h.app.dialog);
    };
    assert!(
        f.error.as_deref().unwrap_or_default().contains("quotes"),
        "{f:?}"
    );
    h.keys("'");
    // The cpu field takes digits only.
    h.key(KeyCode::Tab);
    h.key(KeyCode::Tab);
    h.keys("x");
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!()
    };
    assert!(
        f.error
            .as_deref()
            .unwrap_or_default()
            .contains("digits only")
    );
    // A container the revision lacks: the form again, as typed, with why.
    h.key(KeyCode::BackTab);
    clear_field(&mut h);
    h.keys("nope");
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!("the form is kept: {:?}", h.app.dialog);
    };
    assert!(
        f.error
            .as_deref()
            .unwrap_or_default()
            .contains("no container `nope`"),
        "{f:?}"
    );
    assert_eq!(f.fields[0].text_value(), "sh -c 'echo migrating; exit 3'");
    clear_field(&mut h);
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(c.needs_typing());
    assert!(
        c.plan.aws_cli[0].starts_with("aws ecs run-task"),
        "{:?}",
        c.plan.aws_cli
    );
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(screen.contains("ecs:RunTask"), "{screen}");
    h.keys("wrong");
    h.key(KeyCode::Enter);
    assert!(h.audit.records().is_empty());
    for _ in 0.."wrong".len() {
        h.key(KeyCode::Backspace);
    }
    h.keys(&service);
    h.key(KeyCode::Enter);
    let run = h.app.runs.last().expect("the task followed in a run");
    assert_eq!(run.ended, Some(Ok(3)), "{run:?}");
    assert_eq!(run.state(), "EXIT 3");
    let lines: Vec<&str> = run.lines.iter().map(|(_, l)| l.as_str()).collect();
    assert!(lines.contains(&"migrating"), "{lines:?}");
    assert!(lines.contains(&"task is RUNNING"), "{lines:?}");
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(screen.contains("EXIT 3 task"), "{screen}");
    assert!(screen.contains("stopped: exit code 3"), "{screen}");
    let records = h.audit.records();
    let phases: Vec<Phase> = records.iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Before, Phase::After]);
    assert_eq!(records[0].operation, "run-task");

    // Quitting while a one-off task still runs says so first.
    let mut running = h.app.runs.last().unwrap().clone();
    running.id += 1;
    running.ended = None;
    h.app.runs.push(running);
    h.key(KeyCode::Esc);
    h.keys("q");
    assert!(!h.app.quit);
    let notice = h.app.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("quit again to quit; 1 one-off task runs on"),
        "{notice}"
    );
    h.keys("q");
    assert!(h.app.quit);
}

#[test]
fn a_production_write_needs_the_service_name_typed() {
    let mut h = Harness::new();
    assert!(h.app.env().info.production);
    h.keys("1");
    let service = h.app.selected_service().unwrap().clone();
    let desired = service.desired + 1;
    h.keys("S");
    clear_field(&mut h);
    h.keys(&desired.to_string());
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(c.needs_typing());
    h.key(KeyCode::Enter);
    h.keys("backend");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("a wrong name closes nothing: {:?}", h.app.dialog);
    };
    assert!(c.error.is_some());
    assert!(h.audit.records().is_empty());
    for _ in 0.."backend".len() {
        h.key(KeyCode::Backspace);
    }
    h.keys(&service.name);
    h.key(KeyCode::Enter);
    assert!(
        matches!(h.app.dialog, Some(Dialog::Message(_))),
        "{:?}",
        h.app.dialog
    );
    h.advance(chrono::Duration::seconds(10));
    let after = h
        .app
        .env()
        .services()
        .iter()
        .find(|s| s.name == service.name)
        .unwrap()
        .clone();
    assert_eq!(after.desired, desired);
    assert_eq!(h.audit.records().len(), 2);
}

#[test]
fn read_only_and_bad_numbers_change_nothing() {
    let mut h = Harness::new();
    h.app.read_only = true;
    h.keys("1D");
    assert!(matches!(h.app.dialog, Some(Dialog::Message(_))));
    h.key(KeyCode::Esc);
    h.app.read_only = false;
    h.keys("S");
    clear_field(&mut h);
    h.keys("x");
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!()
    };
    assert!(
        f.error.as_deref().is_some_and(|e| e.contains("digits")),
        "{f:?}"
    );
    // min > max is refused inline.
    h.keys("3");
    h.key(KeyCode::Tab);
    clear_field(&mut h);
    h.keys("99");
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!()
    };
    assert!(
        f.error.as_deref().is_some_and(|e| e.contains("greater")),
        "{f:?}"
    );
    assert!(h.audit.records().is_empty());
}

#[test]
fn an_out_of_range_scale_is_offered_as_a_range_change() {
    let mut h = Harness::new();
    go_to_env(&mut h, "muejam-staging");
    h.keys("S");
    clear_field(&mut h);
    h.keys("9");
    h.key(KeyCode::Enter);
    let Some(Dialog::Message(m)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    assert!(m.offer.is_some());
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    let text = c.plan.lines().join("\n");
    assert!(text.contains("max") && text.contains("-> 9"), "{text}");
}

// The property: long random key sequences in a read-write production session.

static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);

fn providers() -> &'static (App, Vec<Arc<Provider>>) {
    static LOADED: std::sync::OnceLock<(App, Vec<Arc<Provider>>)> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        let mut h = Harness::new();
        h.keys("1");
        (h.app.clone(), h.providers.clone())
    })
}

fn key_strategy() -> impl Strategy<Value = Vec<KeyEvent>> {
    let single = prop_oneof![
        prop::sample::select(vec![
            'D', 'F', 'R', 'S', 'W', 'j', 'k', '1', '2', 'e', 'x', '3', ' ', 'b', 'a'
        ])
        .prop_map(KeyCode::Char),
        Just(KeyCode::Enter),
        Just(KeyCode::Enter),
        Just(KeyCode::Esc),
        Just(KeyCode::Tab),
        Just(KeyCode::BackTab),
        Just(KeyCode::Backspace),
    ]
    .prop_map(|c| vec![c]);
    // Whole service names, so typed confirmations are reached at all.
    let word = prop::sample::select(vec!["backend-api", "processing-service", "backend-ap"])
        .prop_map(|w| w.chars().map(KeyCode::Char).collect::<Vec<_>>());
    prop_oneof![8 => single, 1 => word].prop_map(|codes| {
        codes
            .into_iter()
            .map(|c| KeyEvent::new(c, KeyModifiers::NONE))
            .collect()
    })
}

/// Runs one random session; fails if an execution was ever asked for
/// without the confirmation of that very plan.
fn session(tokens: Vec<Vec<KeyEvent>>) -> Result<(), TestCaseError> {
    let (pristine, providers) = providers();
    let mut app = pristine.clone();
    prop_assert!(app.env().info.production && !app.is_read_only());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for key in tokens.into_iter().flatten() {
        let before = app.dialog.clone();
        let mut pending = update(&mut app, Msg::Key(key));
        while let Some(effect) = pending.pop() {
            match effect {
                Effect::Quit
                | Effect::Drill(_)
                | Effect::Copy(_)
                | Effect::Open(_)
                | Effect::Diff { .. }
                | Effect::Attach(_)
                | Effect::Forward { .. }
                | Effect::CloseForwards => {}
                // No runbook action is configured here.
                Effect::PlanAction { .. } | Effect::RunAction { .. } | Effect::CancelAction(_) => {
                    return Err(TestCaseError::fail(format!(
                        "an action's effect with none configured: {effect:?}"
                    )));
                }
                // Executions here are never carried out: nothing started.
                Effect::FollowTask { .. } => {
                    return Err(TestCaseError::fail(format!(
                        "a one-off task followed with none started: {effect:?}"
                    )));
                }
                Effect::Plan { request, env, op } => {
                    let p = providers
                        .iter()
                        .find(|p| p.environment().name == env)
                        .unwrap();
                    let result = rt.block_on(flightdeck::ops::plan(
                        p.reads(),
                        "123456789012",
                        op.clone(),
                        None,
                    ));
                    pending.extend(update(
                        &mut app,
                        Msg::Planned {
                            request,
                            env,
                            op,
                            result,
                        },
                    ));
                }
                Effect::Execute { request, env, plan } => {
                    prop_assert_eq!(key.code, KeyCode::Enter);
                    let Some(Dialog::Confirm(c)) = &before else {
                        return Err(TestCaseError::fail(format!(
                            "executed without a confirmation dialog: {before:?}"
                        )));
                    };
                    prop_assert_eq!(&c.plan, &plan);
                    if plan.production {
                        prop_assert_eq!(c.typed.as_str(), plan.confirmation_word());
                    } else {
                        prop_assert!(c.on_confirm);
                    }
                    EXECUTIONS.fetch_add(1, Ordering::Relaxed);
                    // Not carried out: the world stays as it was for the next case.
                    let result = Err(ExecError::Stale("not executed in this test".into()));
                    let at = app.now;
                    pending.extend(update(
                        &mut app,
                        Msg::Executed {
                            request,
                            env,
                            plan,
                            result,
                            at,
                        },
                    ));
                }
            }
        }
    }
    Ok(())
}

#[test]
#[expect(
    clippy::disallowed_macros,
    reason = "a figure for whoever runs the test"
)]
fn no_write_runs_without_its_confirmation() {
    // A fixed seed: the same 256 sessions every run, so the check below
    // (some session does reach a confirmed write) cannot flicker in CI.
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        ProptestConfig {
            cases: 256,
            ..ProptestConfig::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    runner
        .run(&prop::collection::vec(key_strategy(), 1..250), session)
        .unwrap();
    // The property must have been put to the test, not passed vacuously.
    let executions = EXECUTIONS.load(Ordering::Relaxed);
    eprintln!("{executions} confirmed writes in 256 random sessions");
    assert!(
        executions > 0,
        "no random session reached a confirmed write"
    );
}

fn press(h: &mut Harness, code: KeyCode) -> Vec<Effect> {
    let mods = if code.as_char().is_some_and(|c| c.is_ascii_uppercase()) {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    update(&mut h.app, Msg::Key(KeyEvent::new(code, mods)))
}

#[test]
fn a_late_plan_is_dropped_and_never_offered_for_confirmation() {
    let mut h = Harness::new();
    go_to_env(&mut h, "muejam-staging");
    // F plans a forced deployment; Esc hides the waiting dialog; S opens
    // the scale form; then the first plan arrives.
    let late = press(&mut h, KeyCode::Char('F'));
    assert!(matches!(late.as_slice(), [Effect::Plan { .. }]), "{late:?}");
    assert!(press(&mut h, KeyCode::Esc).is_empty());
    assert!(press(&mut h, KeyCode::Char('S')).is_empty());
    h.carry_out(late);
    assert!(
        matches!(h.app.dialog, Some(Dialog::Form(_))),
        "{:?}",
        h.app.dialog
    );
    let notice = h.app.notice.clone().unwrap_or_default();
    assert!(notice.contains("dropped"), "{notice}");
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(screen.contains("dropped"), "{screen}");

    // With nothing open, a late plan is still no confirmation.
    press(&mut h, KeyCode::Esc);
    let late = press(&mut h, KeyCode::Char('F'));
    press(&mut h, KeyCode::Esc);
    h.carry_out(late);
    assert_eq!(h.app.dialog, None);

    // The answer to the request the dialog waits for is shown.
    let current = press(&mut h, KeyCode::Char('F'));
    h.carry_out(current);
    assert!(
        matches!(h.app.dialog, Some(Dialog::Confirm(_))),
        "{:?}",
        h.app.dialog
    );
    assert!(h.audit.records().is_empty(), "nothing executed");
}

#[test]
fn a_late_execution_result_is_told_without_replacing_the_open_dialog() {
    let mut h = Harness::new();
    go_to_env(&mut h, "muejam-staging");
    h.keys("F");
    h.key(KeyCode::Tab);
    let execute = press(&mut h, KeyCode::Enter);
    assert!(
        matches!(execute.as_slice(), [Effect::Execute { .. }]),
        "{execute:?}"
    );
    press(&mut h, KeyCode::Esc);
    press(&mut h, KeyCode::Char('S'));
    h.carry_out(execute);
    assert!(
        matches!(h.app.dialog, Some(Dialog::Form(_))),
        "{:?}",
        h.app.dialog
    );
    let notice = h.app.notice.clone().unwrap_or_default();
    assert!(notice.contains("went through"), "{notice}");
    let rollout = h.app.rollout.as_ref().expect("the rollout is kept for W");
    assert!(!rollout.visible);
    let phases: Vec<Phase> = h.audit.records().iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Before, Phase::After]);
}

/// Tell Me More's `api` (a 10 % canary) selected in the services pane.
fn select_canary_api(h: &mut Harness) {
    go_to_env(h, "tellmemore-prod");
    h.select_service("api");
}

/// The watch's "each revision" line of `side` (`blue  :57`, `green :58`).
#[expect(
    clippy::panic,
    reason = "test helper: a missing line is the test's report"
)]
fn revision_line(screen: &str, side: &str) -> String {
    screen
        .lines()
        .find(|l| l.trim_start_matches([' ', '"']).starts_with(side))
        .unwrap_or_else(|| panic!("no {side} line: {screen}"))
        .to_string()
}

/// `D` with `image`: the deploy form filled in and planned.
fn plan_deploy(h: &mut Harness, image: &str) {
    h.keys("D");
    clear_field(h);
    h.keys(image);
    h.key(KeyCode::Enter);
}

/// A canary watched in the cockpit: the strategy, the stage and the traffic
/// split on each side, and the state of the alarm that would roll it back.
#[test]
fn the_watch_shows_a_canarys_stage_traffic_and_rollback_alarm() {
    let mut h = Harness::new();
    select_canary_api(&mut h);
    plan_deploy(&mut h, "acme/api:3.5.0");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    let text = c.plan.lines().join("\n");
    assert!(text.contains("deploys as: canary 10 % for 5 min"), "{text}");
    h.key(KeyCode::Enter);
    h.keys("api");
    h.key(KeyCode::Enter);
    for _ in 0..12 {
        h.advance(chrono::Duration::seconds(10));
    }
    let mono = common::theme("monochrome");
    let screen = h.screen(120, 40, &mono);
    assert!(
        screen.contains("TRAFFIC  canary 10 % for 5 min"),
        "{screen}"
    );
    assert!(
        screen.contains("stage PRODUCTION_TRAFFIC_SHIFT"),
        "{screen}"
    );
    assert!(
        screen.contains("10 % of traffic on tellmemore-api:"),
        "{screen}"
    );
    assert!(screen.contains("90 % on the old"), "{screen}");
    assert!(
        screen.contains("rolls back on tellmemore-prod-api-error-rate-critical OK"),
        "{screen}"
    );
}

/// A canary whose new image answers with errors: the watch shows green's
/// own 5xx and latency beside blue's, each from its own target group.
#[test]
fn the_watch_shows_each_revisions_own_errors() {
    let mut h = Harness::new();
    select_canary_api(&mut h);
    // Traffic before the deployment tells blue's group from green's.
    for _ in 0..6 {
        h.advance(chrono::Duration::seconds(30));
    }
    plan_deploy(&mut h, "acme/api:3.5.0-errors");
    h.key(KeyCode::Enter);
    h.keys("api");
    h.key(KeyCode::Enter);
    for _ in 0..18 {
        h.advance(chrono::Duration::seconds(10));
    }
    let mono = common::theme("monochrome");
    let screen = h.screen(120, 50, &mono);
    let line = |side: &str| revision_line(&screen, side);
    let percent = |line: &str| -> f64 {
        let after = line.split("5xx ").nth(1).unwrap();
        after.split(' ').next().unwrap().parse().unwrap()
    };
    let (blue, green) = (line("blue  :57"), line("green :58"));
    assert!(blue.contains("tellmemore-prod-api "), "{blue}");
    assert!(green.contains("tellmemore-prod-api-alt"), "{green}");
    assert!(percent(&green) > 30.0, "{green}");
    assert!(percent(&blue) < 5.0, "{blue}");
}

/// At 80 columns beside a watched rollout the tabs keep a word each (the
/// status gives up its "rollout:" first), and the logs' status line keeps
/// its mode, counts, filter and search, the log group giving way in its
/// middle.
#[test]
fn at_80_columns_the_tabs_beside_a_watch_and_the_logs_status_fit() {
    let mut h = Harness::new();
    select_canary_api(&mut h);
    plan_deploy(&mut h, "acme/api:3.5.0");
    h.keys("api");
    h.key(KeyCode::Enter);
    h.advance(chrono::Duration::seconds(10));
    let mono = common::theme("monochrome");
    let screen = h.screen(80, 24, &mono);
    let tabs = screen.lines().nth(1).unwrap();
    for word in [
        "Tri",
        "Services",
        "Scale",
        "Alarm",
        "Logs",
        "Cost",
        "Chg",
        "W IN PROGRESS",
    ] {
        assert!(tabs.contains(word), "{word}: {tabs}");
    }
    // The logs of the service, filtered and searched, on 80 columns.
    h.keys("W");
    h.keys("4");
    h.keys("/error");
    h.key(KeyCode::Enter);
    h.keys("stimeout");
    h.key(KeyCode::Enter);
    let screen = h.screen(80, 24, &mono);
    let status = screen.lines().nth(2).unwrap().trim_matches('"').trim_end();
    assert!(status.contains("with \"error\""), "{status}");
    assert!(status.contains("search \"timeout\""), "{status}");
    assert!(status.ends_with("matches"), "nothing cut: {status}");
}

/// The operator rolls the bad canary back: traffic is blue's again at
/// once, and the watch (now following blue's deployment) says so: blue's
/// group carries the requests, the rolled-back green has none.
#[test]
fn after_a_rollback_to_blue_the_watch_gives_blue_its_traffic() {
    let mut h = Harness::new();
    select_canary_api(&mut h);
    for _ in 0..6 {
        h.advance(chrono::Duration::seconds(30));
    }
    plan_deploy(&mut h, "acme/api:3.5.0-errors");
    h.key(KeyCode::Enter);
    h.keys("api");
    h.key(KeyCode::Enter);
    for _ in 0..12 {
        h.advance(chrono::Duration::seconds(10));
    }
    h.keys("R");
    let Some(Dialog::Confirm(_)) = &h.app.dialog else {
        panic!("no rollback plan: {:?}", h.app.dialog);
    };
    h.keys("api");
    h.key(KeyCode::Enter);
    for _ in 0..12 {
        h.advance(chrono::Duration::seconds(30));
    }
    let mono = common::theme("monochrome");
    let screen = h.screen(120, 50, &mono);
    let line = |side: &str| revision_line(&screen, side);
    let (blue, green) = (line("blue  :57"), line("green :58"));
    assert!(blue.contains("req/min"), "{blue}");
    assert!(green.contains("no requests"), "{green}");
}

/// RadioX's blue/green release from the cockpit: the watch shows the pause
/// waiting for the operator, `C` plans and (after the typed name) continues
/// it, the traffic switches, and `T` changes the strategy through a form
/// that refuses a bad strategy inline.
#[test]
fn a_paused_blue_green_release_is_continued_and_the_strategy_changed() {
    let mut h = Harness::new();
    go_to_env(&mut h, "radiox-prod");
    h.select_service("backend-api");
    plan_deploy(&mut h, "acme/backend-api:v2.15.0");
    h.keys("backend-api");
    h.key(KeyCode::Enter);
    for _ in 0..30 {
        h.advance(chrono::Duration::seconds(10));
    }
    let mono = common::theme("monochrome");
    let screen = h.screen(120, 40, &mono);
    assert!(screen.contains("pause AWAITING_ACTION"), "{screen}");
    assert!(
        screen.contains("waiting for you: C continues to production traffic"),
        "{screen}"
    );
    let watch = &h.app.rollout.as_ref().unwrap().watch;
    assert_eq!(watch.status, RolloutStatus::InProgress, "{}", watch.reason);

    h.keys("C");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(
        c.plan
            .lines()
            .join("\n")
            .contains("ecs:ContinueServiceDeployment"),
        "{:?}",
        c.plan.lines()
    );
    h.keys("backend-api");
    h.key(KeyCode::Enter);
    for _ in 0..3 {
        h.advance(chrono::Duration::seconds(10));
    }
    let screen = h.screen(120, 40, &mono);
    assert!(screen.contains("100 % of traffic on"), "{screen}");
    assert!(screen.contains("bake left"), "{screen}");
    // Issue 23, item 6: the watch after `C` says when the deployment
    // started (ECS's createdAt), not when the watch began.
    let watch = &h.app.rollout.as_ref().unwrap().watch;
    let created = h
        .app
        .rollout_service()
        .unwrap()
        .deployments
        .iter()
        .find(|d| d.id == watch.deployment_id)
        .unwrap()
        .created_at;
    assert!(created < watch.started - chrono::Duration::minutes(2));
    let header = screen.lines().find(|l| l.contains("started")).unwrap();
    assert!(
        header.contains(&format!("started {}", created.format("%H:%M:%S"))),
        "{header}"
    );

    h.key(KeyCode::Esc);
    h.keys("T");
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!("no form: {:?}", h.app.dialog);
    };
    assert_eq!(f.fields[0].text_value(), "blue-green");
    assert_eq!(f.fields[1].text_value(), "10");
    clear_field(&mut h);
    h.keys("canary:0:5");
    h.key(KeyCode::Enter);
    let Some(Dialog::Form(f)) = &h.app.dialog else {
        panic!("the form stays: {:?}", h.app.dialog);
    };
    assert!(
        f.error.as_deref().unwrap().contains("0.1 to 100"),
        "{:?}",
        f.error
    );
    clear_field(&mut h);
    h.keys("canary:10:5");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(
        c.plan
            .lines()
            .join("\n")
            .contains("blue-green -> canary:10:5"),
        "{:?}",
        c.plan.lines()
    );
}

/// Issue 23, item 1, in the cockpit: `bad-deploy`'s failing rollout of
/// `backend`, `R` planned at once. Typed 40 s later (8 s at 5x) while its
/// tasks churn,
/// the rollback goes through; typed after the circuit breaker got there
/// first, it says there is nothing to do, never "stale".
#[test]
fn a_rollback_planned_during_a_failing_rollout_goes_through_or_says_it_is_done() {
    for (wait, expected) in [(40, "Done"), (900, "Nothing to do")] {
        let mut h = Harness::drill("bad-deploy");
        // The deploy fires at 1m; its tasks start failing.
        h.advance(chrono::Duration::seconds(80));
        h.keys("1");
        h.select_service("backend");
        h.keys("R");
        let Some(Dialog::Confirm(c)) = &h.app.dialog else {
            panic!("no plan: {:?}", h.app.dialog);
        };
        assert!(c.needs_typing(), "muejam-production is production");
        for _ in 0..wait / 4 {
            h.advance(chrono::Duration::seconds(4));
        }
        h.keys("backend");
        h.key(KeyCode::Enter);
        h.advance(chrono::Duration::seconds(1));
        match (&h.app.dialog, expected) {
            // Done: the watch took the screen over, or a message says done.
            (None, "Done") => assert!(h.app.rollout.is_some()),
            (Some(Dialog::Message(m)), _) => {
                assert_eq!(m.title, expected, "after {wait}s: {m:?}");
                if expected == "Nothing to do" {
                    assert!(
                        m.lines[0].contains("backend back to :")
                            && m.lines[0].contains("nothing to do"),
                        "{m:?}"
                    );
                }
            }
            (other, _) => panic!("after {wait}s: {other:?}"),
        }
    }
}

/// Issue 23, item 1: a plan found stale at execution (somebody else scaled
/// the service meanwhile) is planned again at once; the new plan says what
/// changed and, making the same calls, is confirmed with Enter alone.
#[test]
fn a_stale_plan_is_planned_again_and_confirmed_once_more_without_retyping() {
    let mut h = Harness::new();
    h.keys("1");
    let service = h.app.selected_service().unwrap().clone();
    let env = h.app.env().info.name.clone();
    let desired = service.desired + 2;
    h.keys("S");
    clear_field(&mut h);
    h.keys(&desired.to_string());
    h.key(KeyCode::Enter);
    assert!(
        matches!(h.app.dialog, Some(Dialog::Confirm(_))),
        "{:?}",
        h.app.dialog
    );
    // Somebody else scales it while the operator types.
    let p = h.provider(&env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let other = flightdeck::ops::Operation::Scale {
            cluster: service.cluster.clone(),
            service: service.name.clone(),
            desired: Some(service.desired + 1),
            min: None,
            max: None,
            suspend: None,
        };
        let plan = flightdeck::ops::plan(p.reads(), "a", other, None)
            .await
            .unwrap();
        flightdeck::ops::execute(
            p.as_ref(),
            &plan,
            &h.audit,
            "colleague",
            flightdeck::clock::Clock::now(&h.clock),
        )
        .await
        .unwrap();
    });
    let records = h.audit.records().len();
    h.keys(&service.name);
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("not planned again: {:?}", h.app.dialog);
    };
    assert!(
        c.plan.notes[0].starts_with("planned again: the plan was stale (desired count is now")
            && c.plan.notes[0].ends_with("Enter confirms"),
        "{:?}",
        c.plan.notes
    );
    assert_eq!(
        c.typed, service.name,
        "the name typed for the same calls stands"
    );
    // QA: at 80x24 what changed shows beside the prompt, not only among
    // the notes below the fold, and the title says it was planned again.
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(
        screen.contains("Planned again: ") && screen.contains("planned again: the plan was stale"),
        "{screen}"
    );
    assert_eq!(
        h.audit.records().len(),
        records + 1,
        "the stale refusal recorded"
    );
    h.key(KeyCode::Enter);
    h.advance(chrono::Duration::seconds(10));
    let after = h
        .app
        .env()
        .services()
        .iter()
        .find(|s| s.name == service.name)
        .unwrap()
        .clone();
    assert_eq!(after.desired, desired);
}

/// Issue 23, item 5: after a canary's automatic rollback the watch shows
/// its final state only (no stale "IN_PROGRESS · stage ..."), and "the
/// alarms of the service" count the alarm that rolled it back, as the
/// traffic lines above them do (one source).
#[test]
fn a_finished_canary_watch_shows_its_end_and_counts_the_rollback_alarm() {
    let mut h = Harness::new();
    select_canary_api(&mut h);
    plan_deploy(&mut h, "acme/api:3.5.0-errors");
    h.keys("api");
    h.key(KeyCode::Enter);
    for _ in 0..180 {
        h.advance(chrono::Duration::seconds(10));
        if h.app
            .rollout
            .as_ref()
            .is_some_and(|r| r.watch.status.is_final())
        {
            break;
        }
    }
    let watch = &h.app.rollout.as_ref().unwrap().watch;
    assert_eq!(watch.status, RolloutStatus::RolledBack, "{}", watch.reason);
    let canary = watch.task_definition.revision;
    let mono = common::theme("monochrome");
    let screen = h.screen(160, 60, &mono);
    // The headline says where the service is now, not an arrow to the
    // revision that failed.
    let now_on = h.app.rollout_service().unwrap().task_definition.revision;
    assert_ne!(now_on, canary);
    assert!(
        screen.contains(&format!(":{canary} rolled back, now on :{now_on}")),
        "{screen}"
    );
    assert!(
        !screen.contains("stage PRODUCTION_TRAFFIC_SHIFT"),
        "{screen}"
    );
    assert!(!screen.contains("IN_PROGRESS ·"), "{screen}");
    let env = h.app.env();
    let svc = env.services().iter().find(|s| s.name == "api").unwrap();
    let alarms = flightdeck::model::alarms_of(env.alarms(), env.services(), svc);
    let rollback = &svc.deployment_config.rollback_alarms[0];
    assert!(
        alarms.iter().any(|a| &a.name == rollback),
        "{rollback} is the service's"
    );
    let firing = alarms
        .iter()
        .filter(|a| a.state == flightdeck::model::AlarmState::Alarm)
        .count();
    assert!(
        screen.contains(&format!("{firing} in ALARM of {}", alarms.len())),
        "{screen}"
    );
    // The canary's errors stay the canary's: after the rollback the group
    // it served from is labelled with its revision, not with the revision
    // rolled back to (QA: "green :57 · 5xx 60 %" beside "blue :57").
    for _ in 0..4 {
        let screen = h.screen(160, 60, &mono);
        let labelled: Vec<&str> = screen
            .lines()
            .filter(|l| l.contains("green :") || l.contains("blue :"))
            .collect();
        assert!(
            labelled
                .iter()
                .filter(|l| l.contains("green :"))
                .all(|l| l.contains(&format!("green :{canary} "))),
            "{labelled:#?}"
        );
        h.advance(chrono::Duration::seconds(20));
    }
}

/// RadioX's `backend-api` (blue/green, a pause, a bake) deployed from the
/// cockpit and continued at its pause: the watch of the continued
/// deployment, at the start of its bake.
fn radiox_release_in_its_bake(h: &mut Harness) {
    go_to_env(h, "radiox-prod");
    h.select_service("backend-api");
    plan_deploy(h, "acme/backend-api:v2.14.9");
    h.keys("backend-api");
    h.key(KeyCode::Enter);
    for _ in 0..30 {
        h.advance(chrono::Duration::seconds(10));
    }
    h.keys("C");
    h.keys("backend-api");
    h.key(KeyCode::Enter);
    for _ in 0..3 {
        h.advance(chrono::Duration::seconds(10));
    }
    let mono = common::theme("monochrome");
    let screen = h.screen(200, 60, &mono);
    assert!(screen.contains("BAKE_TIME"), "{screen}");
}

/// Issue 23 (acceptance): a blue/green release rolled back by the operator
/// during its bake, while a read of the services that began before the
/// rollback answers after it (the clock runs on between the cockpit's
/// ticks). The watch follows the rollback's deployment (blue's, PRIMARY
/// again) to its end, and never judges it by that older read, where blue
/// was still ACTIVE beside green.
#[test]
fn a_blue_green_rollback_during_the_bake_is_watched_to_its_end() {
    let mut h = Harness::new();
    radiox_release_in_its_bake(&mut h);
    let old = h.app.rollout_service().unwrap().deployments[1]
        .task_definition
        .clone();
    h.keys("R");
    let Some(Dialog::Confirm(_)) = &h.app.dialog else {
        panic!("no rollback plan: {:?}", h.app.dialog);
    };
    h.keys("backend-api");
    h.clock.advance(chrono::Duration::seconds(1));
    let before = h.read("radiox-prod", flightdeck::engine::JobKind::Services);
    h.clock.advance(chrono::Duration::seconds(1));
    let effects = h.feed(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    h.carry_out(effects);
    h.feed(Msg::Data(Box::new(before)));
    for _ in 0..24 {
        h.advance(chrono::Duration::seconds(10));
    }
    let watch = &h.app.rollout.as_ref().unwrap().watch;
    assert_eq!(watch.task_definition, old);
    assert_eq!(watch.status, RolloutStatus::Succeeded, "{}", watch.reason);
    let primary = h
        .app
        .rollout_service()
        .unwrap()
        .primary_deployment()
        .unwrap();
    assert_eq!(watch.deployment_id, primary.id);
}

/// Issue 23 (acceptance): after the operator rolls a blue/green release
/// back during its bake, green (no longer taking traffic) reads "no
/// requests" from blue's next minute on, never a rate that goes on rising
/// as its quieter minutes leave the window.
#[test]
fn after_a_rollback_during_the_bake_green_takes_no_requests() {
    let mut h = Harness::new();
    radiox_release_in_its_bake(&mut h);
    let green = format!(
        "green :{}",
        h.app.rollout_service().unwrap().deployments[0]
            .task_definition
            .revision
    );
    h.keys("R");
    h.keys("backend-api");
    h.key(KeyCode::Enter);
    let mono = common::theme("monochrome");
    for step in 1..=10 {
        h.advance(chrono::Duration::seconds(30));
        if step < 3 {
            continue;
        }
        let screen = h.screen(200, 60, &mono);
        let line = revision_line(&screen, &green);
        assert!(line.contains("no requests"), "{}s: {line}", 30 * step);
    }
}

/// `[team] lease_table` in the cockpit, over the in-memory table: another
/// operator's lease is in the plan, executing waits for a typed reason to
/// take it over, the audit keeps it and the holder learns of it; who else
/// is in shows in the header and on the service's detail.
#[test]
fn another_operators_lease_is_shown_and_taken_over_only_with_a_typed_reason() {
    use flightdeck::clock::Clock;
    use flightdeck::lease::{LeaseError, LeaseStore, MemoryStore, Presence, Team};
    let mut h = Harness::new();
    let store: Arc<dyn LeaseStore> = Arc::new(MemoryStore::default());
    h.team = Some(flightdeck::team::live::Live::new(Team::new(
        store.clone(),
        "bob@laptop",
    )));
    let alice = Team::new(store, "alice@desk");
    h.keys("1");
    let service = h.app.selected_service().unwrap().clone();
    let env = h.app.env().info.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let account = rt
        .block_on(h.provider(&env.name).caller_identity())
        .unwrap()
        .account;
    let key = Team::key(&account, &env.region, &service.cluster, &service.name);
    let hers = rt
        .block_on(alice.take(&key, "arn:alice", "deploy it/api", h.clock.now(), None))
        .unwrap();

    h.keys("S");
    clear_field(&mut h);
    h.keys(&(service.desired + 1).to_string());
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert_eq!(c.plan.lease.as_ref().unwrap().holder, "alice@desk");
    assert!(c.needs_reason() && c.needs_typing());
    let screen = h.screen(80, 24, &common::theme("dark"));
    assert!(screen.contains("LEASED"), "{screen}");
    assert!(screen.contains("alice@desk"), "{screen}");
    // No reason, no take-over; the name typed first is only a reason.
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!()
    };
    assert!(c.error.as_deref().unwrap().contains("alice@desk"));
    h.keys("alice is asleep, paged twice");
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!()
    };
    assert!(!c.needs_reason() && c.typed.is_empty());
    assert!(h.audit.records().is_empty());
    h.keys(&service.name);
    h.key(KeyCode::Enter);
    let records = h.audit.records();
    assert_eq!(records.len(), 2, "{:?}", h.app.dialog);
    assert_eq!(records[0].lease_taken_from.as_deref(), Some("alice@desk"));
    assert_eq!(
        records[0].lease_reason.as_deref(),
        Some("alice is asleep, paged twice")
    );
    // Alice's cockpit learns it at its next renewal.
    let told = rt.block_on(alice.renew(&hers, h.clock.now())).unwrap_err();
    let LeaseError::Held(by) = told else { panic!() };
    assert_eq!(
        by.told_to("alice@desk"),
        "bob@laptop took the lease over from you (scale it/api): alice is asleep, paged twice"
            .replace("it/api", &format!("{}/{}", service.cluster, service.name))
    );

    // Who else is in.
    h.key(KeyCode::Esc);
    h.feed(Msg::Presence {
        env: env.name.clone(),
        others: vec![Presence {
            scope: Team::scope(&account, &env.region),
            operator: "alice@desk".into(),
            service: Some(key.clone()),
            seen: h.clock.now(),
            expires: h.clock.now() + chrono::Duration::minutes(3),
        }],
    });
    let screen = h.screen(120, 30, &common::theme("dark"));
    let header = screen.lines().next().unwrap();
    assert!(
        header.contains(&format!("1 other: alice@desk on {}", service.name)),
        "{header}"
    );
    h.key(KeyCode::Enter);
    let screen = h.screen(120, 40, &common::theme("dark"));
    assert!(screen.contains("also on it alice@desk"), "{screen}");
}

/// `x x` on a one-off task still running plans its stop (StopTask of a
/// task beside the service), confirmed by the service's name in
/// production; the simulation stops it with SIGTERM's exit code.
#[test]
fn a_running_one_off_task_is_stopped_from_its_pane_behind_a_plan() {
    use flightdeck::app::actions::{Run, RunOf};
    let mut h = Harness::new();
    h.keys("1");
    let svc = h.app.selected_service().unwrap().clone();
    let env = h.app.env().info.name.clone();
    let p = h.provider(&env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let op = flightdeck::ops::Operation::RunTask {
        cluster: svc.cluster.clone(),
        service: svc.name.clone(),
        command: "sleep 600".into(),
        container: None,
        cpu: None,
        memory: None,
    };
    let plan = rt
        .block_on(flightdeck::ops::plan(p.reads(), "1", op, None))
        .unwrap();
    let now = flightdeck_model::clock::Clock::now(&h.clock);
    let done = rt
        .block_on(flightdeck::ops::execute(&p, &plan, &h.audit, "me", now))
        .unwrap();
    let id = done.task.unwrap().id;
    h.app.runs.push(Run {
        id: 9000,
        env: env.clone(),
        of: RunOf::Task {
            service: format!("{}/{}", svc.cluster, svc.name),
            task: id.clone(),
            command: "sleep 600".into(),
        },
        started: now,
        lines: Default::default(),
        dropped: 0,
        ended: None,
        cancelling: false,
    });
    h.keys(":");
    h.keys("actions");
    h.key(KeyCode::Enter);
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(screen.contains("x x stop (planned)"), "{screen}");
    h.keys("x");
    h.keys("x");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan of the stop: {:?}", h.app.dialog);
    };
    assert!(c.needs_typing());
    assert!(
        c.plan.notes.iter().any(|n| n.starts_with("a one-off task")),
        "{:?}",
        c.plan.notes
    );
    h.keys(&svc.name);
    h.key(KeyCode::Enter);
    let stopped = rt.block_on(p.reads().task(&svc.cluster, &id)).unwrap();
    assert_eq!(stopped.last_status.as_str(), "STOPPED");
    assert_eq!(stopped.containers[0].exit_code, Some(143));
    let Some(Dialog::Message(m)) = &h.app.dialog else {
        panic!("no word of the stop: {:?}", h.app.dialog);
    };
    assert!(m.lines.join(" ").contains("is stopping"), "{m:?}");
}
