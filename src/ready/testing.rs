//! Helpers for the crate's unit tests (readiness, processes): bounded waits on conditions,
//! never on time alone, and a free port. The integration tests have the same `wait_until` in
//! `tests/support`.

use std::net::TcpListener;
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

/// Polls `condition` every 2ms until it holds, or fails after `timeout` with a message that
/// says what was awaited. The timeout only turns a hang into a failure: make it generous
/// (usually [`DEADLINE`]).
pub fn wait_until(
    timeout: Duration,
    what: &str,
    mut condition: impl FnMut() -> bool,
) -> Result<(), String> {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() >= timeout {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// A port nothing listens on right now (bind 127.0.0.1:0, read it, drop the socket), never one
/// handed out before in this test binary: tests run side by side must not share a port.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if given.insert(port) {
            return port;
        }
    }
}
