//! The shutdown verdict, part of the driver's rules: the session reports what it saw while it
//! stopped the child, put the file back and looked for leftovers; this decides whether the
//! `shutdown` step passed. Pure: no I/O, no clock.

use std::time::Duration;

use super::{Driver, Outcome, Step, millis};
use crate::smoke::exit;

/// How the child hotdev ended once the session asked everything to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildStop {
    /// It had exited before (on its own, or refusing to start): already judged.
    AlreadyGone,
    /// It exited when asked (SIGTERM), with this code (`None`: by a signal).
    Exited(Option<i32>),
    /// It did not exit within `within` of SIGTERM and was killed.
    Killed { within: Duration },
}

/// What the session saw while it stopped everything: the facts the shutdown verdict needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub child: ChildStop,
    /// Why the touched file could not be put back, if it could not.
    pub restore_failed: Option<String>,
    /// Process groups the child reported that were still alive after the stop (the session
    /// kills them).
    pub alive: Vec<i32>,
    /// How long the shutdown took.
    pub took: Duration,
}

impl Driver {
    /// Whether the run was interrupted by a signal: then the file is put back first, before
    /// the (possibly slow) stop.
    pub fn restore_first(&self) -> bool {
        self.failure().is_some_and(|(code, _)| code >= 128)
    }

    /// The `shutdown` step: passed, or failed with the first problem in the order things were
    /// done (restore, stop, leftovers when interrupted; else stop, restore, leftovers).
    pub fn shutdown_step(&self, stopped: &Stopped) -> Step {
        let child = match &stopped.child {
            ChildStop::AlreadyGone | ChildStop::Exited(None | Some(0)) => None,
            ChildStop::Exited(Some(code)) => Some((
                exit::INTERNAL,
                format!("hotdev exited with code {code} when asked to stop"),
            )),
            ChildStop::Killed { within } => Some((
                exit::LEFT_BEHIND,
                format!(
                    "hotdev did not stop within {}s of SIGTERM: killed",
                    within.as_secs()
                ),
            )),
        };
        let restore = stopped
            .restore_failed
            .as_ref()
            .map(|e| (exit::INTERNAL, e.clone()));
        let left = (!stopped.alive.is_empty()).then(|| {
            let names: Vec<String> = stopped
                .alive
                .iter()
                .map(|pgid| match self.groups.get(pgid) {
                    Some(label) => format!("process group {pgid} ({label})"),
                    None => format!("process group {pgid}"),
                })
                .collect();
            (
                exit::LEFT_BEHIND,
                format!(
                    "left behind after the stop: {} (killed now)",
                    names.join(", ")
                ),
            )
        });
        let order = if self.restore_first() {
            [restore, child, left]
        } else {
            [child, restore, left]
        };
        let mut step = Step::new("shutdown".into());
        step.total_ms = Some(millis(stopped.took));
        step.outcome = match order.into_iter().flatten().next() {
            None => Outcome::Passed,
            Some((code, reason)) => Outcome::Failed { code, reason },
        };
        step
    }
}
