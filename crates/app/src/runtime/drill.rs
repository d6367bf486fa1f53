//! A drill in the cockpit: what it keeps of its scenario, and a restart.

use flightdeck_model::clock::DrillClock;
use flightdeck_tui::app::drill::{Drill, DrillSpec, GoodResponse};

/// What a drill's restart needs: its world is replaced by the same drill
/// from the same start, its audit log begins a new run (the earlier
/// world's writes are not the new one's) and its clock is set back there.
pub(super) struct Restart {
    pub(super) audit: flightdeck_core::ops::AuditLog,
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
        self.audit.restart();
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
            actions: s.good.actions.clone(),
        },
    };
    Drill::new(spec, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use flightdeck_core::ops::{self, AuditLog, Operation, PlanError};
    use flightdeck_core::provider::Provider;
    use flightdeck_model::clock::{Clock, ManualClock};
    use std::sync::{Arc, Mutex};

    /// bad-deploy played once (backend rolled back at 2:30), then
    /// restarted: the new world shows none of the first run's writes, even
    /// though they are stamped later than its clock, and a rollback planned
    /// before this run's deploy knows no target, as on a first run.
    #[test]
    fn a_restarted_drill_shows_none_of_the_earlier_runs_writes() {
        let start = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 30, 0)
            .unwrap();
        let scenario = flightdeck_sim::scenario::embedded()
            .into_iter()
            .find(|s| s.name == "bad-deploy")
            .unwrap();
        let world: flightdeck_sim::SharedWorld = Arc::new(Mutex::new(
            flightdeck_sim::World::create(42, start, None, Some(scenario.clone())),
        ));
        let wall = ManualClock::new(start);
        let clock = Arc::new(DrillClock::new(Arc::new(wall.clone())));
        let env = scenario.environment.get_ref().clone();
        let provider = Provider::new(
            flightdeck_sim::SimProvider::all(world.clone(), clock.clone())
                .into_iter()
                .find(|p| flightdeck_core::provider::ReadProvider::environment(p).name == env)
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let audit = AuditLog::new(dir.path().join("demo-audit.jsonl")).for_run("test");
        let restart = Restart {
            audit: audit.clone(),
            world,
            scenario,
            seed: 42,
            start,
            estate: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let rollback = Operation::Rollback {
            cluster: "muejam-production".into(),
            service: "backend".into(),
            to: None,
        };
        let id = rt.block_on(provider.caller_identity()).unwrap();
        wall.advance(chrono::Duration::seconds(150));
        let plan = rt
            .block_on(ops::plan(
                provider.reads(),
                &id.account,
                rollback.clone(),
                Some(&audit),
            ))
            .unwrap();
        rt.block_on(ops::execute(&provider, &plan, &audit, &id.arn, clock.now()))
            .unwrap();
        assert!(!audit.records().is_empty());

        wall.advance(chrono::Duration::minutes(20));
        restart.apply(&clock);
        assert_eq!(clock.now(), start);
        assert_eq!(audit.records(), vec![], "the earlier run's writes");
        wall.advance(chrono::Duration::seconds(47));
        let refused = rt
            .block_on(ops::plan(
                provider.reads(),
                &id.account,
                rollback,
                Some(&audit),
            ))
            .unwrap_err();
        assert!(
            matches!(refused, PlanError::NoRollbackTarget { .. }),
            "{refused:?}"
        );
    }
}
