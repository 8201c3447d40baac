//! Helpers for the readiness tests: bounded waits on conditions, never on time alone.

use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};

use crate::bus::{Input, Receiver};
use crate::engine::Event;

/// Only turns a hang into a failure; no test waits this long when it passes.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The next event on `rx`, failing the test after [`DEADLINE`].
pub fn next_event(rx: &Receiver) -> Event {
    match rx.recv_timeout(DEADLINE) {
        Ok(Input::Event(event)) => event,
        Ok(other) => panic!("expected an event, got {other:?}"),
        Err(RecvTimeoutError::Timeout) => panic!("no event within {DEADLINE:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("the channel closed"),
    }
}

/// Asserts nothing was sent (call once every sender is known to be done).
pub fn assert_quiet(rx: &Receiver) {
    match rx.try_recv() {
        Err(TryRecvError::Empty | TryRecvError::Disconnected) => {}
        Ok(input) => panic!("expected no event, got {input:?}"),
    }
}

/// Waits until `condition` holds, failing the test after [`DEADLINE`].
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
