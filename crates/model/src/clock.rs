//! Injectable time. The simulation and the app never call `Utc::now()`
//! directly, so tests and replays run on a fixed or manual clock.

use crate::Timestamp;
use std::sync::{Arc, Mutex, PoisonError};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// A clock that only moves when told to; shared between clones.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, t: Timestamp) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = t;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *guard += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A drill's clock: the simulated time runs at a speed (1x to 20x) of the
/// wall clock underneath, and can pause. Changing either keeps the time it
/// shows continuous.
pub struct DrillClock {
    wall: Arc<dyn Clock>,
    state: Mutex<DrillState>,
}

#[derive(Debug, Clone, Copy)]
struct DrillState {
    /// Wall time and drill time at the last change.
    wall_anchor: Timestamp,
    drill_anchor: Timestamp,
    speed: u32,
    paused: bool,
}

/// The speeds a drill can run at.
pub const DRILL_SPEEDS: [u32; 5] = [1, 2, 5, 10, 20];

impl DrillClock {
    /// Starts at the wall clock's time, running at 1x.
    pub fn new(wall: Arc<dyn Clock>) -> Self {
        let now = wall.now();
        DrillClock {
            wall,
            state: Mutex::new(DrillState {
                wall_anchor: now,
                drill_anchor: now,
                speed: 1,
                paused: false,
            }),
        }
    }

    fn change(&self, f: impl FnOnce(&mut DrillState)) {
        let wall = self.wall.now();
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = s.at(wall);
        s.wall_anchor = wall;
        s.drill_anchor = now;
        f(&mut s);
    }

    /// `speed` times the wall clock (clamped to 1x..20x).
    pub fn set_speed(&self, speed: u32) {
        self.change(|s| s.speed = speed.clamp(1, 20));
    }

    pub fn set_paused(&self, paused: bool) {
        self.change(|s| s.paused = paused);
    }

    /// Back to `at` (a drill restarted), running, at the same speed.
    pub fn restart(&self, at: Timestamp) {
        self.change(|s| {
            s.drill_anchor = at;
            s.paused = false;
        });
    }

    pub fn speed(&self) -> u32 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .speed
    }

    pub fn paused(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .paused
    }
}

impl DrillState {
    fn at(&self, wall: Timestamp) -> Timestamp {
        if self.paused {
            self.drill_anchor
        } else {
            self.drill_anchor + (wall - self.wall_anchor) * self.speed as i32
        }
    }
}

impl Clock for DrillClock {
    fn now(&self) -> Timestamp {
        let wall = self.wall.now();
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .at(wall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_drill_clock_runs_faster_pauses_and_never_jumps() {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let wall = ManualClock::new(t0);
        let drill = DrillClock::new(Arc::new(wall.clone()));
        wall.advance(Duration::seconds(10));
        assert_eq!(drill.now(), t0 + Duration::seconds(10));
        drill.set_speed(20);
        assert_eq!(drill.now(), t0 + Duration::seconds(10), "no jump");
        wall.advance(Duration::seconds(3));
        assert_eq!(drill.now(), t0 + Duration::seconds(70));
        drill.set_paused(true);
        wall.advance(Duration::minutes(5));
        assert_eq!(drill.now(), t0 + Duration::seconds(70), "paused");
        drill.set_paused(false);
        wall.advance(Duration::seconds(1));
        assert_eq!(drill.now(), t0 + Duration::seconds(90));
        drill.set_speed(99);
        assert_eq!(drill.speed(), 20);
        drill.set_paused(true);
        drill.restart(t0);
        assert_eq!(drill.now(), t0);
        wall.advance(Duration::seconds(1));
        assert_eq!(drill.now(), t0 + Duration::seconds(20), "running again");
    }
}
