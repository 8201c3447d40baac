//! The reload loop's rules as a pure state machine: `Engine::step(Event) -> Vec<Action>`.
//!
//! No I/O, no clocks, no threads: the shell feeds events from its sources and carries out the
//! actions, timers included (the engine arms and cancels every one of them). Every rule of
//! DESIGN.md §1 and §3, and of a config reload, lives here and is unit-tested in `tests.rs`.

mod browser;
mod build;
mod event;
mod generation;
mod policy;
mod reload;

use std::collections::BTreeSet;
use std::path::PathBuf;

pub use event::*;
pub use policy::{RestartPolicy, SwapStrategy};

/// The build whose result still matters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Build {
    Idle,
    /// `confirmed` once the burst it builds has ended (always, unless speculative).
    Running {
        id: BuildId,
        confirmed: bool,
    },
    /// A speculative build finished before its burst ended: the result waits for
    /// [`Event::Settled`] (use it) or the next change (drop it).
    Held {
        id: BuildId,
        status: ExitStatus,
        report: BuildReport,
    },
}

impl Build {
    fn current(&self) -> Option<BuildId> {
        match self {
            Build::Idle => None,
            Build::Running { id, .. } | Build::Held { id, .. } => Some(*id),
        }
    }
}

/// What the end of the current burst owes, beyond using a held build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AfterBurst {
    Nothing,
    /// No build step, and a tentative change came: swap once its burst settles.
    Swap,
    /// A speculative build was cancelled because its burst went on: when the burst ends, a
    /// build is owed even if nothing else turned up.
    Build,
}

/// Whether changes start anything (`p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watching {
    Active,
    /// Changes are noted but start nothing; `missed`: resuming builds once.
    Paused {
        missed: bool,
    },
}

/// Whether hotdev goes on or is stopping everything to exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    ShuttingDown,
}

/// A config reload asked for with [`Action::Reconfigure`], awaiting its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingReload {
    /// hotdev's own files that changed.
    changed: Vec<PathBuf>,
    /// What else the burst said, handled once the answer is in.
    rest: Option<Event>,
    /// The watcher's burst it came in (0: none), for the build it leads to.
    burst: u64,
}

/// The reload loop's state.
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    phase: Phase,
    last_build: BuildId,
    last_generation: GenId,
    last_token: u64,
    build: Build,
    after_burst: AfterBurst,
    watching: Watching,
    /// The newest build that succeeded: what a manual restart runs, and the build number
    /// each generation is told.
    good_build: Option<BuildId>,
    /// The generation that serves (or is starting under restart).
    serving: Option<GenId>,
    /// Overlap: the new generation that is not ready yet.
    candidate: Option<GenId>,
    /// Generations asked to stop that have not exited yet.
    stopping: BTreeSet<GenId>,
    /// Restart: a new generation (replacing this one, for messages) starts as soon as
    /// `stopping` is empty.
    queued: Option<Replacing>,
    /// Restarts since the app last ran stably (restart policy).
    crashes: u32,
    /// The scheduled restart that is still wanted, if any.
    pending_restart: Option<u64>,
    timers: BTreeSet<Timer>,
    reload: Option<PendingReload>,
    pages: browser::Pages,
}

/// The generation a queued start replaces, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Replacing(Option<GenId>);

impl Engine {
    pub fn new(settings: Settings) -> Self {
        Engine {
            settings,
            phase: Phase::Running,
            last_build: 0,
            last_generation: 0,
            last_token: 0,
            build: Build::Idle,
            after_burst: AfterBurst::Nothing,
            watching: Watching::Active,
            good_build: None,
            serving: None,
            candidate: None,
            stopping: BTreeSet::new(),
            queued: None,
            crashes: 0,
            pending_restart: None,
            timers: BTreeSet::new(),
            reload: None,
            pages: browser::Pages::START,
        }
    }

    /// The generation that currently serves, if any.
    pub fn serving(&self) -> Option<GenId> {
        self.serving
    }

    /// Whether a build is running.
    pub fn building(&self) -> bool {
        matches!(self.build, Build::Running { .. })
    }

    /// Feed one event; returns the actions to carry out, in order.
    pub fn step(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        self.handle(event, &mut out);
        out
    }

    fn handle(&mut self, event: Event, out: &mut Vec<Action>) {
        if let Some(timer) = Timer::of(&event) {
            self.timers.remove(&timer);
        }
        if self.phase == Phase::ShuttingDown {
            self.step_shutting_down(event, out);
            return;
        }
        match event {
            Event::Start => self.build_or_swap(ChangeSet::default(), out),
            Event::Changed(changes) => self.changed(changes, out),
            Event::Ignored(paths) => self.ignored(paths, out),
            Event::Settled => self.settled(out),
            Event::Unsettled => self.unsettled(out),
            Event::TogglePause => self.toggle_pause(out),
            Event::Manual(Manual::Rebuild) => self.build_or_swap(ChangeSet::default(), out),
            Event::Manual(Manual::Restart) => self.restart_now(out),
            Event::BuildFinished { id, status, report } => match self.build {
                Build::Running {
                    id: running,
                    confirmed,
                } if running == id => {
                    self.cancel_timer(Timer::BuildTimeout { id }, out);
                    if confirmed {
                        self.build = Build::Idle;
                        self.finished(id, status, report, out);
                    } else {
                        self.build = Build::Held { id, status, report };
                    }
                }
                _ => {} // a cancelled build's late result
            },
            Event::BuildSpawnFailed { id, error } => {
                // It would fail again on the same files: no reason to wait for the burst.
                if self.build.current() == Some(id) {
                    self.build = Build::Idle;
                    self.cancel_timer(Timer::BuildTimeout { id }, out);
                    self.build_failed(id, BuildFailure::CannotStart(error), out);
                }
            }
            Event::BuildTimedOut { id } => {
                if matches!(self.build, Build::Running { id: running, .. } if running == id) {
                    self.build = Build::Idle;
                    out.push(Action::CancelBuild {
                        id,
                        reason: CancelReason::TimedOut,
                    });
                    self.build_failed(id, BuildFailure::TimedOut, out);
                }
            }
            Event::SpawnFailed { generation } => self.gone(generation, None, out),
            Event::Exited { generation, status } => self.gone(generation, Some(status), out),
            Event::Ready { generation } => {
                if self.candidate == Some(generation) {
                    self.candidate = None;
                    if let Some(old) = self.serving.replace(generation) {
                        self.stop(old, out);
                    }
                    self.pages_up(true, out);
                } else if self.serving == Some(generation) {
                    self.pages_up(true, out);
                }
            }
            Event::NotReady { generation, reason } => {
                if self.candidate == Some(generation) {
                    self.candidate = None;
                    out.push(Action::Report(Note::NotReady {
                        generation,
                        reason: reason.clone(),
                    }));
                    self.stop(generation, out);
                    out.push(Action::Report(Note::RolledBack {
                        failed: generation,
                        kept: self.serving,
                    }));
                    let failure = GenerationFailure::NotReady(reason);
                    self.pages_show(
                        Page::GenerationFailed {
                            generation,
                            failure,
                        },
                        out,
                    );
                } else if self.serving == Some(generation) {
                    out.push(Action::Report(Note::NotReady {
                        generation,
                        reason: reason.clone(),
                    }));
                    // It runs under restart all the same: let requests try it.
                    self.pages_up(false, out);
                    let failure = GenerationFailure::NotReady(reason);
                    self.pages_show(
                        Page::GenerationFailed {
                            generation,
                            failure,
                        },
                        out,
                    );
                }
            }
            Event::StopTimedOut { generation } => self.stop_timed_out(generation, out),
            Event::RestartDue { token } => {
                if self.pending_restart == Some(token) {
                    self.pending_restart = None;
                    if self.serving.is_none() && self.stopping.is_empty() {
                        self.start_serving(None, out);
                    }
                }
            }
            Event::Stable { generation } => {
                if self.serving == Some(generation) {
                    self.crashes = 0;
                }
            }
            Event::Reconfigured {
                settings,
                listen_changed,
                unchanged,
            } => self.reconfigured(settings, listen_changed, unchanged, out),
            Event::ReconfigureFailed => {
                if let Some(rest) = self.reload.take().and_then(|pending| pending.rest) {
                    self.handle(rest, out);
                }
            }
            Event::Shutdown => self.shutdown(out),
        }
    }

    fn step_shutting_down(&mut self, event: Event, out: &mut Vec<Action>) {
        match event {
            Event::Exited { generation, .. } | Event::SpawnFailed { generation } => {
                self.forget(generation, out);
                self.exit_if_idle(out);
            }
            Event::StopTimedOut { generation } => self.stop_timed_out(generation, out),
            // A second request to stop: stop waiting politely.
            Event::Shutdown => {
                for &generation in &self.stopping {
                    out.push(Action::KillGeneration { generation });
                }
            }
            _ => {}
        }
    }

    fn shutdown(&mut self, out: &mut Vec<Action>) {
        self.phase = Phase::ShuttingDown;
        self.pages_hold(out);
        self.cancel_restart(out);
        self.reload = None;
        match std::mem::replace(&mut self.build, Build::Idle) {
            Build::Running { id, .. } => {
                self.cancel_timer(Timer::BuildTimeout { id }, out);
                out.push(Action::CancelBuild {
                    id,
                    reason: CancelReason::Shutdown,
                });
            }
            Build::Held { .. } | Build::Idle => {}
        }
        self.after_burst = AfterBurst::Nothing;
        self.queued = None;
        for generation in [self.candidate.take(), self.serving.take()]
            .into_iter()
            .flatten()
        {
            self.stop(generation, out);
        }
        if !self.stopping.is_empty() {
            out.push(Action::Report(Note::ShuttingDown));
        }
        self.exit_if_idle(out);
    }

    fn exit_if_idle(&mut self, out: &mut Vec<Action>) {
        if self.stopping.is_empty() && self.serving.is_none() && self.candidate.is_none() {
            out.push(Action::Exit);
        }
    }

    fn stop_timed_out(&mut self, generation: GenId, out: &mut Vec<Action>) {
        if self.stopping.contains(&generation) {
            out.push(Action::Report(Note::StopTimedOut { generation }));
            out.push(Action::KillGeneration { generation });
        }
    }

    fn toggle_pause(&mut self, out: &mut Vec<Action>) {
        let missed = match self.watching {
            Watching::Active => {
                self.watching = Watching::Paused { missed: false };
                false
            }
            Watching::Paused { missed } => {
                self.watching = Watching::Active;
                missed
            }
        };
        out.push(Action::Report(Note::Paused {
            paused: self.watching != Watching::Active,
        }));
        if missed {
            // Catch up with one build for everything that changed meanwhile.
            self.build_or_swap(ChangeSet::default(), out);
        }
    }

    /// Notes a change that starts nothing while paused; `true` if it was noted so.
    fn missed_while_paused(&mut self) -> bool {
        match &mut self.watching {
            Watching::Paused { missed } => {
                *missed = true;
                true
            }
            Watching::Active => false,
        }
    }

    fn start_timer(&mut self, timer: Timer, after: std::time::Duration, out: &mut Vec<Action>) {
        if self.timers.insert(timer) {
            out.push(Action::StartTimer { timer, after });
        }
    }

    fn cancel_timer(&mut self, timer: Timer, out: &mut Vec<Action>) {
        if self.timers.remove(&timer) {
            out.push(Action::CancelTimer { timer });
        }
    }
}

#[cfg(test)]
mod tests;
