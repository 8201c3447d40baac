//! What the session and the driver say to each other: [`Input`] in (the child's events, probe
//! and timer results), [`Do`] out, and [`ReadyBy`], the rule for when a generation counts as
//! ready. Plain data; no rule lives here.

use std::time::Duration;

use crate::engine::SwapStrategy;
use crate::smoke::event::Event;

/// How the run decides that a generation is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyBy {
    /// The configured readiness check (`generation_ready`).
    Event,
    /// No readiness configured: `--check URL` answering 2xx.
    Check,
    /// Neither: still running after a short settle time.
    Settle,
}

impl ReadyBy {
    /// The rule: the configured readiness check, else `--check`, else the settle time.
    pub fn choose(configured: bool, has_check: bool) -> ReadyBy {
        match (configured, has_check) {
            (true, _) => ReadyBy::Event,
            (false, true) => ReadyBy::Check,
            (false, false) => ReadyBy::Settle,
        }
    }

    /// For the summary; `None` when it is not known (the configuration did not load).
    pub fn describe(by: Option<ReadyBy>) -> &'static str {
        match by {
            Some(ReadyBy::Event) => "the configured readiness check",
            Some(ReadyBy::Check) => "--check answering 2xx (no readiness configured)",
            Some(ReadyBy::Settle) => {
                "still running after the settle time (no readiness, no --check)"
            }
            None => "not known (hotdev could not read its configuration)",
        }
    }
}

/// Something the session reports back to the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The child said `started`: how readiness is decided from now on.
    Begin {
        strategy: SwapStrategy,
        ready_by: ReadyBy,
    },
    Event(Event),
    /// The child printed a plain-text error (`hotdev: error: …`), e.g. as it refused to start.
    ChildError {
        message: String,
    },
    /// A `Probe` ended: `Ok` when the URL answered 2xx.
    Probe {
        generation: u64,
        result: Result<(), String>,
    },
    /// A `Settle` timer ran out.
    Settled {
        generation: u64,
    },
    /// The change of reload `step` was not seen by the watcher in time.
    ChangeTimedOut {
        step: usize,
        after: Duration,
    },
    /// The child hotdev exited (its code, `None` for a signal).
    ChildExited {
        code: Option<i32>,
    },
    /// `--timeout` ran out.
    TimedOut {
        after: Duration,
    },
    /// smoke itself got SIGINT/SIGTERM/SIGHUP.
    Interrupted {
        signal: i32,
        name: String,
    },
    /// The session cannot go on (e.g. no file to touch): fail the current step.
    Abort {
        code: u8,
        reason: String,
    },
}

/// What the session must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Do {
    /// Change the touched file for reload `step` (1-based) and arm the change timer.
    Touch { step: usize },
    /// GET `--check` until it answers 2xx, for at most `within`.
    Probe { generation: u64, within: Duration },
    /// Report `Settled` after the settle time.
    Settle { generation: u64 },
    /// Start the request loop on `--check`.
    StartLoad,
    /// Print the line of step `index`: it has just passed or failed.
    Report { index: usize },
    /// Stop: restore the file, stop the child, look for leftovers.
    Shutdown,
}
