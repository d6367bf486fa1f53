//! A drill in the cockpit, through `update()`: its clock in the header, the
//! keys that pause it and change its speed, and the debrief that times the
//! operator's response against a good one.
use crate::common;

use common::Harness;
use crossterm::event::KeyCode;
use flightdeck::app::drill::DrillControl;
use flightdeck::app::write::Dialog;
use flightdeck::app::{Effect, Msg, Overlay, update};

#[test]
fn a_drill_is_timed_from_the_first_look_to_the_mitigation_and_debriefed() {
    let mut h = Harness::drill("bad-deploy");
    let mono = common::theme("monochrome");
    let screen = h.screen(120, 30, &mono);
    assert!(
        screen.contains("DRILL bad-deploy ▶ 1x 0:00/20:00"),
        "{screen}"
    );
    // At 80 columns the drill's clock and the gaps give way, never the
    // words PRODUCTION and SIMULATED (issue 23, QA: PROD and SIM).
    let screen = h.screen(80, 24, &mono);
    let header = screen.lines().next().unwrap();
    for word in [
        "muejam-production",
        "PRODUCTION",
        "[RW]",
        "DRILL ▶ 1x 0:00",
        "SIMULATED",
    ] {
        assert!(header.contains(word), "{word}: {header}");
    }
    // A replay of it too, with its longer badge (QA: PROD and SIM).
    h.app.replay_bar = Some(String::new());
    let screen = h.screen(80, 24, &mono);
    let header = screen.lines().next().unwrap();
    for word in [
        "muejam-production",
        "PRODUCTION",
        "REPLAY [RO]",
        "▶ 1x 0:00",
        "SIMULATED",
    ] {
        assert!(header.contains(word), "{word}: {header}");
    }
    h.app.replay_bar = None;

    // The deploy goes out at 1m; its tasks start failing their checks.
    h.advance(chrono::Duration::seconds(150));
    // The operator opens backend (the service where the cause lies): a
    // look is not an acknowledgement...
    h.keys("1");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.acknowledged.is_none() && drill.found_cause.is_some());
    // ...the acknowledge key is.
    h.keys("a");
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .contains("acknowledged at 2:30"),
        "{:?}",
        h.app.notice
    );
    assert!(h.app.drill.as_ref().unwrap().acknowledged.is_some());
    // ...and rolls it back before the circuit breaker does.
    h.keys("R");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    assert!(c.plan.lines().join("\n").contains("StopServiceDeployment"));
    h.keys("backend");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.mitigated.is_some(), "{:?}", drill.actions);

    // The drill's keys ask the runtime to change its clock.
    let key = |c| {
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        ))
    };
    assert_eq!(
        update(&mut h.app, key('p')),
        [Effect::Drill(DrillControl::Pause(true))]
    );
    assert_eq!(
        update(&mut h.app, key('+')),
        [Effect::Drill(DrillControl::Speed(2))]
    );
    assert!(h.screen(120, 30, &mono).contains("DRILL bad-deploy || 2x"));
    update(&mut h.app, key('p'));

    // At its end the debrief opens by itself.
    h.advance(chrono::Duration::minutes(18));
    assert_eq!(h.app.overlay, Some(Overlay::Debrief { scroll: 0 }));
    let screen = h.screen(120, 40, &mono);
    assert!(screen.contains("drill over: debrief"), "{screen}");
    assert!(
        screen.contains("CI deploys the next image of backend, tagged unhealthy"),
        "{screen}"
    );
    assert!(
        screen.contains("rollback of muejam-production/backend"),
        "{screen}"
    );
    assert!(
        screen.contains("acknowledge     2:30   good: within 3 min of the page (2:30)   in time"),
        "{screen}"
    );
    assert!(
        screen.contains("mitigate        2:30   good: within 8 min   in time"),
        "{screen}"
    );
    // Any key closes it; it does not come back.
    h.key(KeyCode::Esc);
    h.advance(chrono::Duration::minutes(1));
    assert_eq!(h.app.overlay, None);
}

/// `X` twice restarts: the runtime resets the world and the clock (an
/// effect), the cockpit forgets what it read and the response so far.
#[test]
fn a_drill_restarts_from_its_start_after_a_second_x() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::minutes(3));
    h.keys("1");
    h.key(KeyCode::Enter);
    h.keys("a");
    assert!(h.app.drill.as_ref().unwrap().acknowledged.is_some());
    let key = |c| {
        Msg::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char(c),
            crossterm::event::KeyModifiers::SHIFT,
        ))
    };
    assert!(update(&mut h.app, key('X')).is_empty(), "armed only");
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .contains("X again restarts")
    );
    assert_eq!(
        update(&mut h.app, key('X')),
        [Effect::Drill(DrillControl::Restart)]
    );
    let drill = h.app.drill.as_ref().unwrap();
    assert_eq!(drill.acknowledged, None);
    assert_eq!(h.app.now, drill.started);
    assert_eq!(h.app.env().info.name, "muejam-production");
    assert!(
        h.app.env().services.data.is_none(),
        "read again from the start"
    );
    assert_eq!(h.app.detail, None);
    // Like a start, it opens on triage once anything needs a human
    // (issue 23, QA: it stayed on Services). The harness does not reset
    // its world: the new run's answers are made up from this one's.
    for kind in [
        flightdeck::engine::JobKind::Services,
        flightdeck::engine::JobKind::Alarms,
    ] {
        let mut answer = h.read("muejam-production", kind);
        answer.data.run = Some(1);
        h.feed(Msg::Data(Box::new(answer)));
    }
    assert!(!h.app.triage().is_empty());
    assert_eq!(h.app.pane, flightdeck::app::Pane::Triage);
}

/// At 20x the drill still gives the operator its minutes while the fault
/// unfolds: the clock is told to hold 1x from the deploy (1:00) to the good
/// response's time to mitigate (8:00), the header says so, and the hold
/// ends with the operator's fix.
#[test]
fn while_the_fault_unfolds_the_drill_runs_at_1x_until_the_fix() {
    use flightdeck_model::clock::{Clock, Hold};
    let mut h = Harness::drill("bad-deploy");
    let started = h.app.drill.as_ref().unwrap().started;
    let tick = |h: &mut Harness| update(&mut h.app, Msg::Tick(h.clock.now()));
    let hold = Hold {
        from: started + chrono::Duration::minutes(1),
        until: started + chrono::Duration::minutes(8),
        max: 1,
    };
    // The first tick told the clock; the next ones do not again.
    assert_eq!(h.app.drill.as_ref().unwrap().hold_sent, Some(hold));
    assert_eq!(tick(&mut h), [], "told once");
    let plus = Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('+'),
        crossterm::event::KeyModifiers::NONE,
    ));
    for _ in 0..4 {
        update(&mut h.app, plus.clone());
    }
    let mono = common::theme("monochrome");
    assert!(
        h.screen(120, 30, &mono)
            .contains("DRILL bad-deploy ▶ 20x 0:00")
    );
    h.advance(chrono::Duration::seconds(90));
    update(&mut h.app, plus.clone());
    let screen = h.screen(120, 30, &mono);
    assert!(
        screen.contains("DRILL bad-deploy ▶ 1x held 1:30/20:00"),
        "{screen}"
    );
    // At 80 columns the header keeps what matters, in shorter words: the
    // environment, PRODUCTION, [RW], the drill's clock, the data's age and
    // SIMULATED.
    let header = h.screen(80, 24, &mono).lines().next().unwrap().to_string();
    for word in [
        "muejam-production",
        "PROD",
        "[RW]",
        "DRILL ▶ 1x held 1:30",
        "data ",
        "SIM",
    ] {
        assert!(header.contains(word), "{word}: {header}");
    }
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .contains("20x from 8:00 or your fix"),
        "{:?}",
        h.app.notice
    );
    // The fix goes through: the hold ends at once.
    h.keys("1");
    h.key(KeyCode::Enter);
    h.keys("R");
    h.keys("backend");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.mitigated.is_some());
    assert_eq!(drill.hold(), None);
    assert_eq!(drill.hold_sent, None, "the clock was told");
    assert!(h.screen(120, 30, &mono).contains("DRILL bad-deploy ▶ 20x"));
}

/// Nobody rolls back: the circuit breaker does, and looking at backend once
/// it has counts as the mitigation the scenario names. Acknowledging is
/// the key, explained in the debrief; the drill's findings come first.
#[test]
fn watching_the_circuit_breaker_roll_back_is_a_mitigation() {
    let mut h = Harness::drill("bad-deploy");
    // The deploy goes out at 1:00; the page comes with the first finding
    // of the drill's environment that pages, as a real page comes from an
    // alarm (QA: it came a minute before any evidence).
    h.advance(chrono::Duration::seconds(70));
    assert!(!h.app.drill.as_ref().unwrap().paged);
    for _ in 0..30 {
        if h.app.drill.as_ref().unwrap().paged {
            break;
        }
        h.advance(chrono::Duration::seconds(10));
    }
    let page = h.app.notice.clone().unwrap_or_default();
    assert!(
        page.starts_with("PAGE ") && page.ends_with("a acknowledges"),
        "{page}"
    );
    let triage = h.app.triage();
    assert_eq!(triage[0].environment, "muejam-production", "{triage:#?}");
    assert_eq!(triage[0].urgency, flightdeck::triage::Urgency::Page);
    let first_other = triage
        .iter()
        .position(|f| f.environment != "muejam-production")
        .unwrap_or(triage.len());
    assert!(
        triage[first_other..]
            .iter()
            .all(|f| f.environment != "muejam-production"),
        "the drill's findings first: {triage:#?}"
    );
    h.keys("a");
    // The breaker rolls backend back while the operator is elsewhere.
    for _ in 0..30 {
        h.advance(chrono::Duration::seconds(10));
    }
    let drill = h.app.drill.as_ref().unwrap();
    assert!(
        drill.ecs_rolled_back.is_some(),
        "{:?}",
        h.app.env().services()
    );
    assert_eq!(drill.mitigated, None, "not seen yet");
    h.keys("1");
    h.select_service("backend");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.mitigated.is_some(), "{:?}", drill.actions);
    let text = flightdeck::app::drill::debrief_text(&drill.debrief("a"));
    assert!(text.contains("saw ECS roll backend back"), "{text}");
    assert!(text.contains("acknowledged the page"), "{text}");
    assert!(
        text.contains("Acknowledge is a key (a), as one acknowledges a page"),
        "{text}"
    );
    let mitigate = text.lines().find(|l| l.contains("mitigate ")).unwrap();
    assert!(mitigate.ends_with("in time"), "{mitigate}");
}

/// bad-deploy shows its failure before the circuit breaker acts: the new
/// tasks turn UNHEALTHY, ECS says so, and triage pages on the rollout.
#[test]
fn a_failing_deploy_shows_before_the_circuit_breaker_acts() {
    use flightdeck_core::triage::{Kind, Urgency};
    let mut h = Harness::drill("bad-deploy");
    for _ in 0..14 {
        h.advance(chrono::Duration::seconds(10));
    }
    let triage = h.app.triage();
    let page = triage
        .iter()
        .find(|f| {
            f.environment == "muejam-production"
                && f.kind == Kind::Rollout
                && f.urgency == Urgency::Page
        })
        .unwrap_or_else(|| panic!("no page on the rollout: {triage:#?}"));
    assert!(
        page.why.contains("fail the load balancer's health checks"),
        "{}",
        page.why
    );
    assert_eq!(
        triage[0].environment, "muejam-production",
        "the drill's first"
    );
    let backend = h
        .app
        .env()
        .services()
        .iter()
        .find(|s| s.name == "backend")
        .unwrap()
        .clone();
    assert!(
        backend.rollout_state() == Some(flightdeck::model::RolloutState::InProgress),
        "the breaker has not acted yet"
    );
}

/// The zone goes at 2:00: triage names it once, across the services whose
/// tasks stopped there (read for where and why), and qdrant, which ran a
/// task there, cannot be placed elsewhere: ECS says so.
#[test]
fn an_az_outage_is_one_zone_finding_and_qdrant_cannot_be_placed() {
    use flightdeck_core::triage::Kind;
    let mut h = Harness::drill("az-outage");
    for _ in 0..12 {
        h.advance(chrono::Duration::seconds(20));
    }
    let triage = h.app.triage();
    let zones: Vec<_> = triage.iter().filter(|f| f.kind == Kind::Zone).collect();
    assert_eq!(zones.len(), 1, "{triage:#?}");
    let zone = zones[0];
    assert_eq!(zone.subject, "zone us-east-1b");
    assert_eq!(zone.environment, "prod-infra-production");
    assert!(zone.why.contains("Host EC2 (instance i-0"), "{}", zone.why);
    assert!(zone.why.contains("qdrant"), "{}", zone.why);
    let services = zone.why.split(" services stopped").next().unwrap();
    let count: usize = services.rsplit(' ').next().unwrap().parse().unwrap();
    // ai-service's four tasks are spread over the three zones (as ECS
    // spreads them), so one was there; qdrant ran one there too.
    assert!(count >= 2, "{}", zone.why);
    assert!(zone.why.contains("ai-service"), "{}", zone.why);
    h.advance(chrono::Duration::minutes(4));
    let qdrant = h
        .app
        .env()
        .services()
        .iter()
        .find(|s| s.name == "qdrant")
        .unwrap()
        .clone();
    assert!(qdrant.running < qdrant.desired, "{qdrant:?}");
    assert!(
        qdrant
            .events
            .iter()
            .any(|e| e.message.contains("was unable to place a task")),
        "{:#?}",
        qdrant.events
    );
    // Short of a task it cannot place: a finding of its own, with ECS's
    // reason, while ECS keeps repeating it.
    for _ in 0..2 {
        let triage = h.app.triage();
        let short = triage
            .iter()
            .find(|f| {
                f.kind == Kind::Capacity && f.service.as_ref().is_some_and(|s| s.name == "qdrant")
            })
            .unwrap_or_else(|| panic!("no finding for qdrant: {triage:#?}"));
        assert!(
            short.why.contains("unable to place a task"),
            "{}",
            short.why
        );
        h.advance(chrono::Duration::minutes(4));
    }
    // It never announces tasks it could not place.
    let outage = h.app.drill.as_ref().unwrap().started + chrono::Duration::minutes(2);
    assert!(
        !qdrant
            .events
            .iter()
            .any(|e| e.created_at > outage && e.message.contains("has started")),
        "{:#?}",
        qdrant.events
    );
}

/// cost-runaway's scale-out three days ago: the Changes pane reaches back
/// to it (as far as CloudTrail does), and it is the only write to worker
/// there: nobody touched the drill's environment since.
#[test]
fn the_changes_reach_a_scale_out_three_days_before_the_drill() {
    let mut h = Harness::drill("cost-runaway");
    h.keys("6");
    for _ in 0..8 {
        h.keys(">");
    }
    assert_eq!(h.app.changes.window(), chrono::Duration::days(90));
    h.advance(chrono::Duration::seconds(10));
    h.keys("/UpdateService");
    h.key(KeyCode::Enter);
    let mono = common::theme("monochrome");
    let screen = h.screen(160, 50, &mono);
    assert!(screen.contains(" in 90d"), "{screen}");
    let writes: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("UpdateService"))
        .collect();
    assert!(
        writes.iter().any(|l| l.contains("desiredCount=40")),
        "{screen}"
    );
    assert!(
        !writes
            .iter()
            .any(|l| l.contains("worker") && !l.contains("desiredCount=40")),
        "{writes:#?}"
    );
}

#[test]
fn outside_a_drill_its_keys_only_say_so() {
    let mut h = Harness::new();
    h.keys("p");
    assert!(
        h.app
            .notice
            .as_deref()
            .unwrap()
            .contains("no drill is running")
    );
}

/// Issue 23 item 14: acknowledging is the key and only the key. A rollback
/// made without it is the mitigation, never an acknowledgement.
#[test]
fn a_rollback_without_the_acknowledge_key_does_not_acknowledge() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::seconds(150));
    h.keys("1");
    h.key(KeyCode::Enter);
    h.keys("R");
    assert!(
        matches!(h.app.dialog, Some(Dialog::Confirm(_))),
        "{:?}",
        h.app.dialog
    );
    h.keys("backend");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.mitigated.is_some(), "{:?}", drill.actions);
    assert_eq!(drill.acknowledged, None, "{:?}", drill.actions);
    let text = flightdeck::app::drill::debrief_text(&drill.debrief("a"));
    assert!(!text.contains("acknowledged the page"), "{text}");
    let acknowledge = text.lines().find(|l| l.contains("acknowledge  ")).unwrap();
    assert!(acknowledge.ends_with("not done"), "{acknowledge}");
}

/// A rollback confirmed after the circuit breaker got there first has
/// nothing to do: the debrief says so, never that it failed.
#[test]
fn a_rollback_ecs_already_made_is_nothing_to_do_in_the_debrief_not_a_failure() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::seconds(80));
    h.keys("1");
    h.select_service("backend");
    h.keys("R");
    assert!(
        matches!(h.app.dialog, Some(Dialog::Confirm(_))),
        "{:?}",
        h.app.dialog
    );
    for _ in 0..15 {
        h.advance(chrono::Duration::minutes(1));
    }
    h.keys("backend");
    h.key(KeyCode::Enter);
    let Some(Dialog::Message(m)) = &h.app.dialog else {
        panic!("{:?}", h.app.dialog);
    };
    assert_eq!(m.title, "Nothing to do", "{m:?}");
    let drill = h.app.drill.as_ref().unwrap();
    let text = flightdeck::app::drill::debrief_text(&drill.debrief("a"));
    assert!(!text.contains("(failed)"), "{text}");
    assert!(
        text.contains(
            "rollback of muejam-production/backend: nothing to do, ECS had already rolled back"
        ),
        "{text}"
    );
}

/// An answer to a write asked before a restart is of a world that is gone:
/// the restarted drill neither shows it nor credits it.
#[test]
fn a_late_answer_from_before_a_restart_is_not_the_new_runs() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::seconds(150));
    h.keys("1");
    h.key(KeyCode::Enter);
    h.keys("R");
    let Some(Dialog::Confirm(c)) = &h.app.dialog else {
        panic!("no plan: {:?}", h.app.dialog);
    };
    let plan = c.plan.clone();
    let asked = flightdeck::app::write::RequestId(h.app.next_request - 1);
    h.key(KeyCode::Esc);
    h.keys("XX");
    assert_eq!(h.app.dialog, None);
    h.feed(Msg::Executed {
        request: asked,
        env: "muejam-production".into(),
        plan,
        result: Err(flightdeck::ops::ExecError::NothingToDo("done".into())),
        at: h.app.now,
    });
    assert_eq!(h.app.dialog, None);
    assert_eq!(h.app.drill.as_ref().unwrap().actions, vec![]);
}

/// A read of the world a restart replaced, landing after the restart, is
/// dropped: the restarted drill shows only what its own world answers (the
/// drill's clock counts the runs; every read says which run it read).
#[test]
fn a_read_from_before_a_restart_does_not_land_in_the_new_run() {
    use flightdeck::engine::JobKind;
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::minutes(3));
    let late = h.read("muejam-production", JobKind::Services);
    assert_eq!(late.data.run, Some(0));
    h.keys("XX");
    assert!(h.app.env().services.data.is_none());
    h.feed(Msg::Data(Box::new(late.clone())));
    assert!(
        h.app.env().services.data.is_none(),
        "the earlier world's services"
    );
    // The same answer read in the new run (the drill's clock says 1) lands.
    let mut fresh = late;
    fresh.data.run = Some(1);
    h.feed(Msg::Data(Box::new(fresh)));
    assert!(h.app.env().services.data.is_some());
}

/// cost-runaway's scale-out, "three days ago", is inside the Changes pane's
/// 3d for the whole drill, not pushed out by its first seconds.
#[test]
fn the_changes_at_3d_reach_the_scale_out_for_the_whole_drill() {
    let mut h = Harness::drill("cost-runaway");
    h.keys("6");
    while h.app.changes.window() < chrono::Duration::days(3) {
        h.keys(">");
    }
    assert_eq!(h.app.changes.window(), chrono::Duration::days(3));
    h.keys("/UpdateService");
    h.key(KeyCode::Enter);
    let mono = common::theme("monochrome");
    for minutes in [0, 1, 10, 8] {
        h.advance(chrono::Duration::minutes(minutes));
        h.keys("r");
        let screen = h.screen(160, 50, &mono);
        assert!(
            screen
                .lines()
                .any(|l| l.contains("UpdateService") && l.contains("desiredCount=40")),
            "at {minutes} min: {screen}"
        );
    }
}

/// Issue 23 (QA): `W` on a service that CI is rolling out follows that
/// rollout (it said nothing before); again, it hides the watch; on a
/// service with nothing rolling out it says so.
#[test]
fn w_follows_a_rollout_the_cockpit_did_not_start() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::seconds(30));
    h.keys("1");
    h.select_service("backend");
    h.keys("W");
    assert!(h.app.rollout.is_none());
    let notice = h.app.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("backend has no rollout in progress"),
        "{notice}"
    );
    // CI deploys backend at 1:00.
    h.advance(chrono::Duration::seconds(60));
    h.select_service("backend");
    h.keys("W");
    let r = h.app.rollout.as_ref().expect("a watch of CI's rollout");
    assert!(r.visible);
    assert_eq!(r.watch.service, "backend");
    assert!(
        r.summary.contains("not started from this cockpit"),
        "{}",
        r.summary
    );
    let screen = h.screen(80, 24, &common::theme("monochrome"));
    assert!(screen.contains("IN_PROGRESS"), "{screen}");
    h.keys("W");
    assert!(!h.app.rollout.as_ref().unwrap().visible);
    h.keys("W");
    assert!(h.app.rollout.as_ref().unwrap().visible);
}

/// Issue 23 (QA): once the circuit breaker has rolled the service back,
/// the fault is over and the drill's clock is no longer held at 1x.
#[test]
fn the_hold_ends_when_ecs_rolls_the_service_back() {
    let mut h = Harness::drill("bad-deploy");
    h.advance(chrono::Duration::seconds(90));
    assert!(h.app.drill.as_ref().unwrap().hold().is_some());
    for _ in 0..40 {
        if h.app.drill.as_ref().unwrap().ecs_rolled_back.is_some() {
            break;
        }
        h.advance(chrono::Duration::seconds(10));
    }
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.ecs_rolled_back.is_some(), "the breaker rolled back");
    assert_eq!(drill.mitigated, None, "nobody looked yet");
    assert_eq!(drill.hold(), None);
    assert_eq!(drill.hold_sent, None, "the clock was told");
}
