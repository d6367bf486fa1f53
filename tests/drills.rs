//! A drill in the cockpit, through `update()`: its clock in the header, the
//! keys that pause it and change its speed, and the debrief that times the
//! operator's response against a good one.
mod common;

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

    // The deploy goes out at 1m; its tasks start failing their checks.
    h.advance(chrono::Duration::seconds(150));
    // The operator opens backend (the service where the cause lies)...
    h.keys("1");
    h.key(KeyCode::Enter);
    let drill = h.app.drill.as_ref().unwrap();
    assert!(drill.acknowledged.is_some() && drill.found_cause.is_some());
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
        screen.contains("acknowledge     2:30   good: within 3 min   in time"),
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
