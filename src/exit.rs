//! hotdev's exit codes. They are documented in the README and stable.

/// Stopped on request (Ctrl-C, SIGTERM, SIGHUP, `q`) after everything it started was stopped.
pub const SUCCESS: u8 = 0;
/// A runtime failure after start-up (e.g. the watcher died).
pub const FAILURE: u8 = 1;
/// A usage or configuration error: nothing was started.
pub const USAGE: u8 = 2;
