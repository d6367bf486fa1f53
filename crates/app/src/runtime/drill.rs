//! A drill in the cockpit: what it keeps of its scenario, and a restart.

use flightdeck_model::clock::DrillClock;
use flightdeck_tui::app::drill::{Drill, DrillSpec, GoodResponse};

/// What a drill's restart needs: its world is replaced by the same drill
/// from the same start, and its clock set back there.
pub(super) struct Restart {
    pub(super) world: flightdeck_sim::SharedWorld,
    pub(super) scenario: flightdeck_sim::scenario::Scenario,
    pub(super) seed: u64,
    pub(super) start: flightdeck_model::Timestamp,
    pub(super) estate: Option<flightdeck_sim::estate::EstateSpec>,
}

impl Restart {
    pub(super) fn apply(&self, clock: &DrillClock) {
        let fresh = flightdeck_sim::World::create(
            self.seed,
            self.start,
            self.estate,
            Some(self.scenario.clone()),
        );
        *self
            .world
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        clock.restart(self.start);
    }
}

/// What the cockpit keeps of a drill: its words, script and good response.
pub fn drill_of(s: &flightdeck_sim::scenario::Scenario, now: flightdeck_model::Timestamp) -> Drill {
    let spec = DrillSpec {
        name: s.name.clone(),
        title: s.title.clone(),
        goal: s.goal.clone(),
        outcome: s.outcome.clone(),
        environment: s.environment.get_ref().clone(),
        minutes: s.minutes,
        script: s
            .steps
            .iter()
            .map(|step| (step.at, step.fault.describe()))
            .collect(),
        good: GoodResponse {
            acknowledge_minutes: s.good.acknowledge_minutes,
            cause_minutes: s.good.cause_minutes,
            mitigate_minutes: s.good.mitigate_minutes,
            cause: s.good.cause.clone(),
            mitigation: s.good.mitigation.clone(),
            service: s.good.service.clone(),
            ecs_rollback_counts: s.good.ecs_rollback_counts,
        },
    };
    Drill::new(spec, now)
}
