//! When the cockpit draws: after everything already waiting has been taken
//! in, and at most once a frame interval. A burst of thousands of
//! messages (a log storm, every environment answering at once) is one
//! frame, not thousands queued behind each other, and keys are never
//! behind a backlog of frames.

use std::time::{Duration, Instant};

/// The shortest time between two frames (60 a second).
pub const FRAME: Duration = Duration::from_millis(16);

/// Messages taken in before a frame is drawn, at most: a flood cannot
/// keep the screen from showing what happened.
pub const MAX_BATCH: usize = 2000;

/// Decides when the next frame may be drawn.
#[derive(Debug)]
pub struct Pacer {
    last: Option<Instant>,
}

impl Pacer {
    pub fn new() -> Self {
        Pacer { last: None }
    }

    /// Whether a frame with changes may be drawn at `now`.
    pub fn may_draw(&self, now: Instant) -> bool {
        self.last
            .is_none_or(|last| now.duration_since(last) >= FRAME)
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.last = Some(now);
    }

    /// When a frame held back by [`Pacer::may_draw`] is due.
    pub fn due(&self) -> Option<Instant> {
        self.last.map(|last| last + FRAME)
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_one_frame_an_interval_and_the_first_at_once() {
        let t0 = Instant::now();
        let mut p = Pacer::new();
        assert!(p.may_draw(t0), "the first frame is not held");
        p.drawn(t0);
        assert!(!p.may_draw(t0 + Duration::from_millis(5)));
        assert!(!p.may_draw(t0 + FRAME - Duration::from_millis(1)));
        assert_eq!(p.due(), Some(t0 + FRAME));
        assert!(p.may_draw(t0 + FRAME));
    }
}
