//! The terminal's input, read on a thread of its own, behind a gate: while
//! another program has the terminal (an ECS Exec session), the reader
//! stands still, so not one key the operator types there reaches the
//! cockpit.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

/// How long the reader waits for input before it looks at the gate again:
/// how long handing the terminal over may take.
pub const POLL: Duration = Duration::from_millis(200);

#[derive(Default)]
struct State {
    open: bool,
    /// The reader is waiting at the closed gate (it reads nothing).
    parked: bool,
}

/// Lets the reader read, or holds it.
pub struct InputGate {
    state: Mutex<State>,
    changed: Condvar,
}

impl Default for InputGate {
    fn default() -> Self {
        InputGate {
            state: Mutex::new(State {
                open: true,
                parked: false,
            }),
            changed: Condvar::new(),
        }
    }
}

impl InputGate {
    /// For the reader, before each read: returns at once when open, else
    /// waits, parked, until it opens again.
    pub fn pass(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.open {
            if !state.parked {
                state.parked = true;
                self.changed.notify_all();
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.parked = false;
    }

    /// Closes the gate and returns once the reader is parked at it (at most
    /// `within`: a reader that is gone never parks).
    pub fn close(&self, within: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open = false;
        let (_state, _timeout) = self
            .changed
            .wait_timeout_while(state, within, |s| !s.parked)
            .unwrap_or_else(PoisonError::into_inner);
    }

    pub fn open(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_closed_gate_holds_the_reader_until_it_opens() {
        let gate = Arc::new(InputGate::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let reader = {
            let (gate, reads) = (gate.clone(), reads.clone());
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    gate.pass();
                    reads.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        gate.close(Duration::from_secs(5));
        let held = reads.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(reads.load(Ordering::SeqCst), held, "read while closed");
        gate.open();
        reader.join().unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 1000);
    }
}
