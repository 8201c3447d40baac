//! `hotdev smoke`: a CI check of the whole reload loop. It runs hotdev itself as a child (same
//! config, same global options, JSON events), builds and starts the app, makes real file
//! changes through the watcher, checks every swap, stops, and verifies nothing is left running.
//!
//! The rules live in `driver` (a state machine over the child's events, no I/O); `session` is
//! the thin loop around it. This module never touches the user's tree except the one file it
//! changes, and always puts that file back byte for byte.
//!
//! Exit codes: see [`exit`].

mod args;
mod child;
mod driver;
mod event;
mod junit;
mod load;
mod session;
mod summary;
mod touch;

use std::ffi::OsString;

pub use args::{CHILD_FLAGS, SmokeArgs, global_args};

/// The exit codes of `hotdev smoke`, stable and documented in the README.
pub mod exit {
    /// Every step passed.
    pub const PASSED: u8 = 0;
    /// An internal error (smoke could not run its checks).
    pub const INTERNAL: u8 = 1;
    /// A usage or configuration error, including the child hotdev refusing to start.
    pub const USAGE: u8 = 2;
    /// A build failed.
    pub const BUILD: u8 = 3;
    /// A generation never became ready, or exited on its own.
    pub const NOT_READY: u8 = 4;
    /// Requests to `--check` failed.
    pub const REQUESTS: u8 = 5;
    /// A process was left behind after the stop.
    pub const LEFT_BEHIND: u8 = 6;
    /// `--timeout` ran out.
    pub const TIMEOUT: u8 = 7;
    // Interrupted by a signal: 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).
}

/// Runs the smoke check and returns the exit code. `global_args` are the user's options that
/// came before `smoke` (see [`global_args`]); they are passed to the child hotdev as they are,
/// followed by [`CHILD_FLAGS`].
pub fn run(args: &SmokeArgs, global_args: Vec<OsString>) -> u8 {
    session::run(args, global_args)
}
