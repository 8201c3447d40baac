//! The smoke run's rules as a state machine: it is fed the child's events and the results of
//! the session's probes and timers, and answers with what to do next. No I/O and no clock
//! reads: the time of each input is passed in, so every rule is a unit test.

use std::collections::BTreeMap;
use std::time::Duration;

use super::exit;
use crate::engine::SwapStrategy;

mod events;
mod protocol;
mod shutdown;
mod step;

pub use protocol::{Do, Input, ReadyBy};
pub use shutdown::{ChildStop, Stopped};
pub use step::{Outcome, Step};

/// How long `--check` may take to answer after a generation is ready by `ReadyBy::Event`.
pub const VERIFY_WITHIN: Duration = Duration::from_secs(5);
/// How long `--check` may take to answer when it is the readiness check.
pub const CHECK_READY_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// For the child's `started`.
    Started,
    /// For the change, the build and the new generation (or reload).
    Swap {
        base: Option<u64>,
        change_seen: bool,
        build_ok_ts: Option<u64>,
    },
    /// For the generation to be ready; `at` is when it started (smoke clock).
    Ready {
        generation: u64,
        at: Duration,
    },
    /// For `--check` after the generation said it was ready.
    Verify {
        generation: u64,
    },
    ShuttingDown,
}

pub struct Driver {
    reloads: usize,
    has_check: bool,
    strategy: SwapStrategy,
    /// As the configuration says until the child's `started` confirms it.
    ready_by: Option<ReadyBy>,
    steps: Vec<Step>,
    current: usize,
    step_started: Duration,
    wait: Wait,
    serving: Option<u64>,
    last_error: Option<String>,
    /// Process groups seen (`build_started`/`generation_started`) and what they were.
    groups: BTreeMap<i32, String>,
}

impl Driver {
    /// `ready_by`: how readiness will be decided, as far as smoke could read the
    /// configuration itself (`None`: it could not; the child will say why).
    pub fn new(reloads: usize, has_check: bool, ready_by: Option<ReadyBy>) -> Driver {
        let mut steps = vec![Step::new("start".into())];
        steps.extend((1..=reloads).map(|i| Step::new(format!("reload {i}"))));
        steps[0].outcome = Outcome::Running;
        Driver {
            reloads,
            has_check,
            strategy: SwapStrategy::default(),
            ready_by,
            steps,
            current: 0,
            step_started: Duration::ZERO,
            wait: Wait::Started,
            serving: None,
            last_error: None,
            groups: BTreeMap::new(),
        }
    }

    /// The start and reload steps (the session adds `shutdown`).
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn into_steps(self) -> Vec<Step> {
        self.steps
    }

    pub fn ready_by(&self) -> Option<ReadyBy> {
        self.ready_by
    }

    /// Every process group the child reported, with a label (`generation 2`, `build 3`).
    pub fn groups(&self) -> &BTreeMap<i32, String> {
        &self.groups
    }

    /// The first failure so far, if any.
    pub fn failure(&self) -> Option<(u8, &str)> {
        self.steps.iter().find_map(|s| match &s.outcome {
            Outcome::Failed { code, reason } => Some((*code, reason.as_str())),
            _ => None,
        })
    }

    /// Records the request counts of step `index`'s window; failed requests fail a step that
    /// had passed (exit 5). Returns whether the step newly failed.
    pub fn record_requests(&mut self, index: usize, ok: u64, failed: u64, sample: &str) -> bool {
        let Some(step) = self.steps.get_mut(index) else {
            return false;
        };
        step.requests_ok = ok;
        step.requests_failed = failed;
        if failed == 0 || step.outcome != Outcome::Passed {
            return false;
        }
        step.outcome = Outcome::Failed {
            code: exit::REQUESTS,
            reason: format!("{failed} of {} requests failed, e.g. {sample}", ok + failed),
        };
        true
    }

    pub fn step(&mut self, at: Duration, input: Input) -> Vec<Do> {
        let mut out = Vec::new();
        match input {
            Input::Begin { strategy, ready_by } => {
                self.strategy = strategy;
                self.ready_by = Some(ready_by);
                if self.wait == Wait::Started {
                    self.wait = Wait::Swap {
                        base: None,
                        change_seen: true,
                        build_ok_ts: None,
                    };
                }
            }
            Input::Event(event) => self.on_event(at, event, &mut out),
            Input::ChildError { message } => self.last_error = Some(message),
            Input::Probe { generation, result } => match (self.wait, result) {
                (
                    Wait::Ready {
                        generation: g,
                        at: since,
                    },
                    Ok(()),
                ) if g == generation => {
                    self.current_step().ready_ms = Some(millis(at.saturating_sub(since)));
                    self.complete(at, &mut out);
                }
                (Wait::Ready { generation: g, .. }, Err(e)) if g == generation => {
                    let reason = format!(
                        "generation {g} never answered --check with 2xx within {}s: {e}",
                        CHECK_READY_WITHIN.as_secs()
                    );
                    self.fail(exit::NOT_READY, reason, &mut out);
                }
                (Wait::Verify { generation: g }, Ok(())) if g == generation => {
                    self.complete(at, &mut out)
                }
                (Wait::Verify { generation: g }, Err(e)) if g == generation => {
                    let reason = format!("generation {g} is ready but --check failed: {e}");
                    self.fail(exit::REQUESTS, reason, &mut out);
                }
                _ => {}
            },
            Input::Settled { generation } => {
                if let Wait::Ready {
                    generation: g,
                    at: since,
                } = self.wait
                    && g == generation
                {
                    self.current_step().ready_ms = Some(millis(at.saturating_sub(since)));
                    self.complete(at, &mut out);
                }
            }
            Input::ChangeTimedOut { step, after } => {
                if let Wait::Swap {
                    change_seen: false, ..
                } = self.wait
                    && step == self.current
                {
                    let reason = format!(
                        "the change to the touched file did not reach hotdev's watcher within {}s: \
                         is it watched? Name a watched file with --touch",
                        after.as_secs()
                    );
                    self.fail(exit::USAGE, reason, &mut out);
                }
            }
            Input::ChildExited { code } => {
                if self.wait == Wait::ShuttingDown {
                    return out;
                }
                let (exit_code, reason) = match (self.wait, code) {
                    // The last line of a CI log must say why, not point above.
                    (Wait::Started, Some(2)) => (
                        exit::USAGE,
                        match self.last_error.take() {
                            Some(e) => format!("hotdev refused to start: {e}"),
                            None => "hotdev refused to start (see its message above)".into(),
                        },
                    ),
                    (_, Some(c)) => (
                        exit::INTERNAL,
                        format!("hotdev exited unexpectedly (code {c})"),
                    ),
                    (_, None) => (exit::INTERNAL, "hotdev was killed by a signal".to_string()),
                };
                self.fail(exit_code, reason, &mut out);
            }
            Input::TimedOut { after } => {
                let reason = format!(
                    "timed out after {} waiting for {}",
                    humantime::format_duration(after),
                    self.waiting_for()
                );
                self.fail(exit::TIMEOUT, reason, &mut out);
            }
            Input::Interrupted { signal, name } => {
                let code = 128u8.saturating_add(signal.clamp(0, 127) as u8);
                self.fail(code, format!("interrupted by {name}"), &mut out);
            }
            Input::Abort { code, reason } => self.fail(code, reason, &mut out),
        }
        out
    }

    fn current_step(&mut self) -> &mut Step {
        &mut self.steps[self.current]
    }

    fn complete(&mut self, at: Duration, out: &mut Vec<Do>) {
        let started = self.step_started;
        let step = self.current_step();
        step.outcome = Outcome::Passed;
        step.total_ms = Some(millis(at.saturating_sub(started)));
        out.push(Do::Report {
            index: self.current,
        });
        if self.current == 0 && self.has_check {
            out.push(Do::StartLoad);
        }
        if self.current < self.reloads {
            self.current += 1;
            self.step_started = at;
            self.steps[self.current].outcome = Outcome::Running;
            self.wait = Wait::Swap {
                base: self.serving,
                change_seen: false,
                build_ok_ts: None,
            };
            out.push(Do::Touch { step: self.current });
        } else {
            self.wait = Wait::ShuttingDown;
            out.push(Do::Shutdown);
        }
    }

    fn fail(&mut self, code: u8, reason: String, out: &mut Vec<Do>) {
        if self.wait == Wait::ShuttingDown {
            return;
        }
        self.current_step().outcome = Outcome::Failed { code, reason };
        out.push(Do::Report {
            index: self.current,
        });
        self.wait = Wait::ShuttingDown;
        out.push(Do::Shutdown);
    }

    fn waiting_for(&self) -> String {
        let what = match self.wait {
            Wait::Started => "hotdev to start".to_string(),
            Wait::Swap {
                change_seen: false, ..
            } => "the watcher to see the change".to_string(),
            Wait::Swap {
                build_ok_ts: None, ..
            } => "the build".to_string(),
            Wait::Swap { .. } if self.strategy == SwapStrategy::Signal => "the reload".to_string(),
            Wait::Swap { .. } => "the new generation to start".to_string(),
            Wait::Ready { generation, .. } => format!("generation {generation} to be ready"),
            Wait::Verify { .. } => "--check to answer".to_string(),
            Wait::ShuttingDown => "the shutdown".to_string(),
        };
        format!("{what} ({})", self.steps[self.current].name)
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[cfg(test)]
mod tests;
