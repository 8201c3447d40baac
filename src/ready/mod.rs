//! Readiness checks (DESIGN.md §5): tell when a new generation is ready, or that it is not.
//!
//! Each check ends in exactly one `Event::Ready` or `Event::NotReady` on the bus, or in nothing
//! once cancelled. Free of hotdev's config beyond [`Readiness`]; decides nothing about swaps.

mod check;
mod notify;

pub use check::{Check, Registry};
pub use notify::NotifySocket;
mod output;
mod probe;
#[cfg(test)]
mod testing;

pub use output::forward_output;

use std::io;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::bus::Sender;
use crate::config::Readiness;
use crate::engine::{GenId, NotReady};

/// Starts what `readiness` needs for `generation` and routes `check`'s one event to `tx`:
///
/// - every kind: a timer that settles `NotReady::Timeout` after `timeout` unless settled;
/// - `Notify`: nothing else (the [`NotifySocket`] settles it);
/// - `Log`: nothing else ([`forward_output`] settles it);
/// - `Http` / `Tcp`: a probe every ~25 ms; an address that does not parse is `NotReady::Failed`;
/// - `Delay(d)`: ready after `d`, unless cancelled first.
///
/// Every thread ends as soon as the check is settled or cancelled.
pub fn watch(
    readiness: &Readiness,
    generation: GenId,
    check: Check,
    timeout: Duration,
    tx: Sender,
) {
    debug_assert_eq!(
        generation,
        check.generation(),
        "a check for another generation"
    );
    if let Err(e) = start(readiness, &check, timeout, tx) {
        check.not_ready(NotReady::Failed(format!(
            "cannot start the readiness check: {e}"
        )));
    }
}

/// [`watch`], returning its threads so tests can wait for them to end.
fn start(
    readiness: &Readiness,
    check: &Check,
    timeout: Duration,
    tx: Sender,
) -> io::Result<Vec<JoinHandle<()>>> {
    check.attach(tx);
    let name = |what: &str| format!("hotdev-ready-{}-{what}", check.generation());
    let spawn =
        |what: &str, f: Box<dyn FnOnce() + Send>| thread::Builder::new().name(name(what)).spawn(f);
    let mut threads = Vec::new();
    let target = match readiness {
        Readiness::Notify | Readiness::Log(_) => None,
        Readiness::Http(url) => Some(probe::parse_http(url)),
        Readiness::Tcp(addr) => Some(probe::parse_tcp(addr)),
        Readiness::Delay(delay) => {
            let (check, delay) = (check.clone(), *delay);
            threads.push(spawn(
                "delay",
                Box::new(move || {
                    if !check.wait(delay.min(timeout)) {
                        if delay <= timeout {
                            check.ready();
                        } else {
                            check.not_ready(NotReady::Timeout);
                        }
                    }
                }),
            )?);
            return Ok(threads);
        }
    };
    match target {
        None => {}
        Some(Err(msg)) => {
            check.not_ready(NotReady::Failed(msg));
            return Ok(threads);
        }
        Some(Ok(target)) => {
            let check = check.clone();
            threads.push(spawn(
                "probe",
                Box::new(move || probe::run(&target, &check)),
            )?);
        }
    }
    let check = check.clone();
    threads.push(spawn(
        "timeout",
        Box::new(move || {
            if !check.wait(timeout) {
                check.not_ready(NotReady::Timeout);
            }
        }),
    )?);
    Ok(threads)
}
