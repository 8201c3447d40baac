//! SIGINT, SIGTERM and SIGHUP, delivered one by one to a closure on a thread of their own.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// The signals that ask hotdev (or smoke) to stop.
pub const STOP_SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Starts thread `name` that calls `deliver` with each stop signal's number until `deliver`
/// returns `false` (its receiver is gone) or the returned handle is closed. `spawn` starts the
/// thread (e.g. under a watchdog); it gets the thread's name and body.
pub fn spawn(
    name: &str,
    spawn: impl FnOnce(&str, Box<dyn FnOnce() + Send>) -> std::io::Result<()>,
    mut deliver: impl FnMut(i32) -> bool + Send + 'static,
) -> std::io::Result<Handle> {
    let mut signals = Signals::new(STOP_SIGNALS)?;
    let handle = signals.handle();
    spawn(
        name,
        Box::new(move || {
            for signal in signals.forever() {
                if !deliver(signal) {
                    break;
                }
            }
        }),
    )?;
    Ok(handle)
}

/// `SIGTERM`, or `signal 64` for a number nix does not name.
pub fn name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_and_unknown_numbers_say_their_number() {
        assert_eq!(name(SIGTERM), "SIGTERM");
        assert_eq!(name(200), "signal 200");
    }
}
