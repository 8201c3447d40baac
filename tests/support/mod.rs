//! Shared harness for the integration tests: they drive the real `hotdev` binary on a temp copy
//! of a fixture and observe it through its JSON events (`--log-format json`).
//!
//! Waits are bounded by deadlines that only turn hangs into failures; nothing synchronises on a
//! bare sleep. Every process group hotdev starts is killed when its [`Hotdev`] is dropped, so a
//! failing test leaves nothing running.
//!
//! - [`fixture`]: temp copies of `fixtures/<name>`, edits, the go/rust-server configs;
//! - [`runner`]: the binary under test, its events and its kill-everything guard;
//! - [`procs`]: processes and process groups from /proc;
//! - [`http`]: free ports and GETs (through `hotdev::http`);
//! - [`load`]: continuous request load across swaps.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod fixture;
pub mod http;
pub mod load;
pub mod procs;
pub mod runner;

use std::thread;
use std::time::{Duration, Instant};

// Every test file sees the whole harness by name; each uses a different part of it.
#[allow(unused_imports)]
pub use {fixture::*, http::*, load::*, procs::*, runner::*};

/// The first build of a test may compile a cold Go or Cargo cache.
pub const FIRST_BUILD: Duration = Duration::from_secs(120);
/// Any later build (warm cache) plus the swap that follows it.
pub const BUILD: Duration = Duration::from_secs(60);
/// Things that should take milliseconds: stops, exits, events that follow a known one.
pub const SHORT: Duration = Duration::from_secs(15);

const POLL: Duration = Duration::from_millis(10);

/// Polls `condition` every 10ms until it holds, or fails after `timeout` with a message that
/// says what was awaited (`what`, e.g. "generation 1's group to end"). The timeout only turns
/// a hang into a failure: make it generous.
pub fn wait_until(
    timeout: Duration,
    what: &str,
    mut condition: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        thread::sleep(POLL);
    }
}
