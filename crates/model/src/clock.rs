//! Injectable time. The simulation and the app never call `Utc::now()`
//! directly, so tests and replays run on a fixed or manual clock.

use crate::Timestamp;
use std::sync::{Arc, Mutex, PoisonError};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
    /// Which run of the world this clock times: 0, one more at each of a
    /// drill's restarts (what an earlier run answered is not this one's).
    fn run(&self) -> u64 {
        0
    }
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

/// A stretch of a drill's time that runs at most at `max`x whatever the
/// speed chosen: while the fault unfolds the operator has the drill's own
/// minutes to decide, at 20x as at 1x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub from: Timestamp,
    pub until: Timestamp,
    pub max: u32,
}

impl Hold {
    /// The speed at drill time `at` for a chosen `speed`.
    pub fn speed_at(&self, at: Timestamp, speed: u32) -> u32 {
        if (self.from..self.until).contains(&at) {
            speed.min(self.max)
        } else {
            speed
        }
    }
}

/// A drill's clock: the simulated time runs at a speed (1x to 20x) of the
/// wall clock underneath, and can pause. Changing either keeps the time it
/// shows continuous. Within a [`Hold`] it runs no faster than the hold's
/// speed, from the instant the hold begins (not from the next tick).
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
    hold: Option<Hold>,
    /// Restarts so far.
    run: u64,
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
                hold: None,
                run: 0,
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

    /// Holds the speed down within `hold` (`None`: no longer).
    pub fn set_hold(&self, hold: Option<Hold>) {
        self.change(|s| s.hold = hold);
    }

    pub fn set_paused(&self, paused: bool) {
        self.change(|s| s.paused = paused);
    }

    /// Back to `at` (a drill restarted), running, at the same speed.
    pub fn restart(&self, at: Timestamp) {
        self.change(|s| {
            s.drill_anchor = at;
            s.paused = false;
            s.run += 1;
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
    /// The drill time at `wall`: the wall time since the anchor spent at
    /// the speed of each stretch in turn (before the hold, in it, after).
    fn at(&self, wall: Timestamp) -> Timestamp {
        if self.paused {
            return self.drill_anchor;
        }
        let mut left = wall - self.wall_anchor;
        let mut at = self.drill_anchor;
        loop {
            let (speed, ends) = match self.hold {
                Some(h) if at < h.from => (self.speed, Some(h.from)),
                Some(h) if at < h.until => (h.speed_at(at, self.speed), Some(h.until)),
                _ => (self.speed, None),
            };
            let speed = speed.max(1) as i32;
            match ends {
                Some(end) if (end - at) < left * speed => {
                    left -= (end - at) / speed;
                    at = end;
                }
                _ => return at + left * speed,
            }
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

    fn run(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .run
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

    /// At 20x the drill's minutes 1 to 8 still take 7 wall minutes, from
    /// the instant the hold begins; before and after it runs at 20x.
    #[test]
    fn a_hold_runs_its_stretch_at_its_speed_whatever_the_speed() {
        let t0 = chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 14, 0, 0)
            .unwrap();
        let wall = ManualClock::new(t0);
        let drill = DrillClock::new(Arc::new(wall.clone()));
        drill.set_speed(20);
        drill.set_hold(Some(Hold {
            from: t0 + Duration::minutes(1),
            until: t0 + Duration::minutes(8),
            max: 1,
        }));
        // 3 s of wall time reach the hold at 1:00; 2 s more run at 1x.
        wall.advance(Duration::seconds(5));
        assert_eq!(drill.now(), t0 + Duration::seconds(62));
        wall.advance(Duration::seconds(7 * 60 - 2));
        assert_eq!(drill.now(), t0 + Duration::minutes(8));
        wall.advance(Duration::seconds(1));
        assert_eq!(drill.now(), t0 + Duration::seconds(8 * 60 + 20));
        // Released early: 20x at once, continuously.
        drill.restart(t0 + Duration::minutes(2));
        drill.set_hold(None);
        wall.advance(Duration::seconds(3));
        assert_eq!(drill.now(), t0 + Duration::minutes(3));
        // Paused within a hold: still.
        drill.set_hold(Some(Hold {
            from: t0,
            until: t0 + Duration::minutes(8),
            max: 2,
        }));
        drill.set_paused(true);
        wall.advance(Duration::seconds(30));
        assert_eq!(drill.now(), t0 + Duration::minutes(3));
        drill.set_paused(false);
        wall.advance(Duration::seconds(30));
        assert_eq!(drill.now(), t0 + Duration::minutes(4));
    }

    #[test]
    fn a_restart_begins_another_run() {
        let wall = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        let drill = DrillClock::new(Arc::new(wall.clone()));
        assert_eq!(drill.run(), 0);
        wall.advance(Duration::minutes(5));
        drill.restart(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        assert_eq!(drill.run(), 1);
        assert_eq!(wall.run(), 0, "a clock without restarts has one run");
    }
}
