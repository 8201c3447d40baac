//! The reload loop's rules as a pure state machine: `Engine::step(Event) -> Vec<Action>`.
//!
//! No I/O, no clocks, no threads: the shell feeds events from its sources and carries out the
//! actions. Every rule of DESIGN.md §1 and §3 lives here and is unit-tested below.
//! Timings and pids are the shell's business; the engine only knows numbers.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{RestartPolicy, SwapStrategy};

/// The first delay before restarting an app that exited on its own; it doubles per crash.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest delay between restarts of a crashing app.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The delay before restart number `attempt` (from 1): 1s, 2s, 4s, … capped at 30s.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    BACKOFF_FIRST.saturating_mul(factor).min(BACKOFF_CAP)
}

/// A build's number, from 1; a result for any other number than the current build is stale.
pub type BuildId = u64;
/// A generation's number, from 1.
pub type GenId = u64;

/// The paths one debounced burst of file events touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub paths: Vec<PathBuf>,
    /// The OS dropped events (queue overflow): something changed, the list is incomplete.
    pub overflow: bool,
    /// The burst has paused (speculative builds) but its debounce has not run out: more may
    /// follow. A build of it starts at once, and its result waits for [`Event::Settled`].
    pub tentative: bool,
}

/// How a build or a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }
}

/// Why a generation is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// `ready_timeout` passed without a sign of readiness.
    Timeout,
    /// The readiness check itself could not run (e.g. a probe address that does not parse).
    Failed(String),
}

/// What the user asked for by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    /// Build now and swap, as if a file had changed.
    Rebuild,
    /// Restart the run command with the current build, without building.
    Restart,
}

/// Something that happened, fed to [`Engine::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// hotdev is up: build (or run) the first time.
    Start,
    /// Watched files changed.
    Changed(ChangeSet),
    /// The burst of the last tentative [`Event::Changed`] ended with nothing more: a build of
    /// it may now be swapped in. (Had more changed, a new `Changed` would come instead.)
    Settled,
    /// The burst of the last tentative [`Event::Changed`] goes on: a build of it is stale now.
    /// What else changed follows as a `Changed` (or `Settled`) when the burst ends.
    Unsettled,
    /// A key or command asked for a build or restart.
    Manual(Manual),
    /// A build's process group is gone.
    BuildFinished { id: BuildId, status: ExitStatus },
    /// A build could not be started at all (e.g. the program does not exist).
    BuildSpawnFailed { id: BuildId },
    /// A build ran past `build.timeout`.
    BuildTimedOut { id: BuildId },
    /// A generation could not be started at all.
    SpawnFailed { generation: GenId },
    /// A generation passed its readiness check.
    Ready { generation: GenId },
    /// A generation failed its readiness check.
    NotReady { generation: GenId, reason: NotReady },
    /// Every process of a generation's process group is gone.
    Exited {
        generation: GenId,
        status: ExitStatus,
    },
    /// A generation asked to stop is still running after `stop_timeout`.
    StopTimedOut { generation: GenId },
    /// A restart scheduled by [`Action::ScheduleRestart`] is due.
    RestartDue { token: u64 },
    /// A generation has run long enough that its next crash starts the backoff afresh.
    Stable { generation: GenId },
    /// `p`: pause watching, or resume it.
    TogglePause,
    /// Ctrl-C, SIGTERM, SIGHUP or `q`: stop everything and exit.
    Shutdown,
}

/// What the shell must do.
/// Why a running build is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// A change arrived during the build: its result would be stale.
    NewerChange,
    /// hotdev is shutting down (Ctrl-C, SIGTERM, SIGHUP).
    Shutdown,
    /// The build ran past `build.timeout` (reported as a failed build).
    TimedOut,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the build command.
    StartBuild { id: BuildId, changes: ChangeSet },
    /// Kill the build's process group; no result is awaited. `reason` is for the report.
    CancelBuild { id: BuildId, reason: CancelReason },
    /// Start the run command as a new generation and watch its readiness. `previous` is the
    /// generation it replaces, if any, for messages.
    StartGeneration {
        generation: GenId,
        previous: Option<GenId>,
    },
    /// Graceful stop: `stop_signal` to the process group, arm the `stop_timeout` timer.
    StopGeneration { generation: GenId },
    /// SIGKILL the process group now.
    KillGeneration { generation: GenId },
    /// Send `reload_signal` to the generation (strategy `signal`).
    ReloadGeneration { generation: GenId },
    /// Send [`Event::RestartDue`] with this token after `delay` (restart policy).
    ScheduleRestart { token: u64, delay: Duration },
    /// Tell the user about a decision.
    Report(Note),
    /// Everything has stopped: exit.
    Exit,
}

/// Decisions worth a line of output. Effects (spawned, exited, timings) are reported by the
/// shell, which knows pids and clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A build's success is acted on (a swap follows): the moment to report it. A speculative
    /// build's result waits for its burst to settle, and is never reported if superseded.
    BuildSucceeded { build: BuildId },
    /// A build's failure is acted on; `serving` keeps running (if any).
    BuildFailedKeeping {
        build: BuildId,
        serving: Option<GenId>,
    },
    /// A change arrived during a build, or after a speculative build finished but before its
    /// burst settled: its result is dropped for a fresh build.
    BuildSuperseded { cancelled: BuildId },
    /// The candidate of an overlap swap failed; `kept` keeps serving.
    RolledBack { failed: GenId, kept: Option<GenId> },
    /// A generation exited without being asked: hotdev waits for the next change.
    ExitedOnItsOwn {
        generation: GenId,
        status: ExitStatus,
    },
    /// A generation ignored its stop signal and is being killed.
    StopTimedOut { generation: GenId },
    /// The generation did not become ready; under restart it keeps running.
    NotReady { generation: GenId, reason: NotReady },
    /// Nothing is running and nothing to do until the next change.
    WaitingForChange,
    /// Watching paused (changes are noted, nothing builds) or resumed.
    Paused { paused: bool },
    /// The app exited on its own and the restart policy starts it again after `delay`.
    Restarting { attempt: u32, delay: Duration },
    /// Shutting down: waiting for these to stop.
    ShuttingDown,
}

/// The engine's fixed parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Whether a build command is configured; without one a change restarts directly.
    pub has_build: bool,
    pub strategy: SwapStrategy,
    pub restart: RestartPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    },
}

impl Build {
    /// The build whose result still matters, running or held.
    fn current(self) -> Option<BuildId> {
        match self {
            Build::Idle => None,
            Build::Running { id, .. } | Build::Held { id, .. } => Some(id),
        }
    }
}

/// The reload loop's state.
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    last_build: BuildId,
    last_generation: GenId,
    build: Build,
    /// The generation that serves (or is starting under restart).
    serving: Option<GenId>,
    /// Overlap: the new generation that is not ready yet.
    candidate: Option<GenId>,
    /// Generations asked to stop that have not exited yet.
    stopping: BTreeSet<GenId>,
    /// Restart: a new generation starts as soon as `stopping` is empty.
    start_when_stopped: Option<Option<GenId>>,
    shutting_down: bool,
    /// A successful build exists, so a manual restart has something to run.
    have_build: bool,
    /// `p` pressed: changes are noted but start nothing until resumed.
    paused: bool,
    /// A change arrived while paused: resuming builds once.
    missed_while_paused: bool,
    /// No build step, and a tentative change came: swap once its burst settles.
    swap_when_settled: bool,
    /// A speculative build was cancelled because its burst went on: when the burst ends, a
    /// build is owed even if nothing else turned up.
    owed: bool,
    /// Restarts since the app last ran stably (restart policy).
    crashes: u32,
    /// The token of the scheduled restart that is still wanted, if any.
    pending_restart: Option<u64>,
    last_token: u64,
}

impl Engine {
    pub fn new(settings: Settings) -> Self {
        Engine {
            settings,
            last_build: 0,
            last_generation: 0,
            build: Build::Idle,
            serving: None,
            candidate: None,
            stopping: BTreeSet::new(),
            start_when_stopped: None,
            shutting_down: false,
            have_build: !settings.has_build,
            paused: false,
            missed_while_paused: false,
            swap_when_settled: false,
            owed: false,
            crashes: 0,
            pending_restart: None,
            last_token: 0,
        }
    }

    /// New settings from a re-read config file; they apply from the next decision on.
    pub fn reconfigure(&mut self, settings: Settings) {
        if settings.has_build && !self.settings.has_build {
            self.have_build = false;
        }
        self.settings = settings;
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
        if self.shutting_down {
            self.step_shutting_down(event, &mut out);
            return out;
        }
        match event {
            Event::Start => self.build_or_swap(ChangeSet::default(), &mut out),
            Event::Changed(_) if self.paused => self.missed_while_paused = true,
            Event::Changed(changes) => self.build_or_swap(changes, &mut out),
            Event::Settled => self.settled(&mut out),
            Event::Unsettled => self.unsettled(&mut out),
            Event::TogglePause => {
                self.paused = !self.paused;
                out.push(Action::Report(Note::Paused {
                    paused: self.paused,
                }));
                if !self.paused && std::mem::take(&mut self.missed_while_paused) {
                    // Catch up with one build for everything that changed meanwhile.
                    self.build_or_swap(ChangeSet::default(), &mut out);
                }
            }
            Event::Manual(Manual::Rebuild) => self.build_or_swap(ChangeSet::default(), &mut out),
            Event::Manual(Manual::Restart) => {
                if self.have_build {
                    self.swap(&mut out);
                } else {
                    self.build_or_swap(ChangeSet::default(), &mut out);
                }
            }
            Event::BuildFinished { id, status } => match self.build {
                Build::Running {
                    id: running,
                    confirmed,
                } if running == id => {
                    if confirmed {
                        self.build = Build::Idle;
                        self.finished(id, status, &mut out);
                    } else {
                        self.build = Build::Held { id, status };
                    }
                }
                _ => {} // a cancelled build's late result
            },
            Event::BuildSpawnFailed { id } => {
                // It would fail again on the same files: no reason to wait for the burst.
                if self.build.current() == Some(id) {
                    self.build = Build::Idle;
                    self.build_failed(id, &mut out);
                }
            }
            Event::BuildTimedOut { id } => {
                if matches!(self.build, Build::Running { id: running, .. } if running == id) {
                    self.build = Build::Idle;
                    out.push(Action::CancelBuild {
                        id,
                        reason: CancelReason::TimedOut,
                    });
                    self.build_failed(id, &mut out);
                }
            }
            Event::SpawnFailed { generation } => self.gone(generation, None, &mut out),
            Event::Exited { generation, status } => self.gone(generation, Some(status), &mut out),
            Event::Ready { generation } => {
                if self.candidate == Some(generation) {
                    self.candidate = None;
                    if let Some(old) = self.serving.replace(generation) {
                        self.stop(old, &mut out);
                    }
                }
            }
            Event::NotReady { generation, reason } => {
                if self.candidate == Some(generation) {
                    self.candidate = None;
                    out.push(Action::Report(Note::NotReady { generation, reason }));
                    self.stop(generation, &mut out);
                    out.push(Action::Report(Note::RolledBack {
                        failed: generation,
                        kept: self.serving,
                    }));
                } else if self.serving == Some(generation) {
                    out.push(Action::Report(Note::NotReady { generation, reason }));
                }
            }
            Event::StopTimedOut { generation } => {
                if self.stopping.contains(&generation) {
                    out.push(Action::Report(Note::StopTimedOut { generation }));
                    out.push(Action::KillGeneration { generation });
                }
            }
            Event::RestartDue { token } => {
                if self.pending_restart == Some(token) {
                    self.pending_restart = None;
                    if self.serving.is_none() && self.stopping.is_empty() {
                        self.start_serving(None, &mut out);
                    }
                }
            }
            Event::Stable { generation } => {
                if self.serving == Some(generation) {
                    self.crashes = 0;
                }
            }
            Event::Shutdown => self.shutdown(&mut out),
        }
        out
    }

    fn step_shutting_down(&mut self, event: Event, out: &mut Vec<Action>) {
        match event {
            Event::Exited { generation, .. } | Event::SpawnFailed { generation } => {
                self.forget(generation);
                self.exit_if_idle(out);
            }
            Event::StopTimedOut { generation } if self.stopping.contains(&generation) => {
                out.push(Action::Report(Note::StopTimedOut { generation }));
                out.push(Action::KillGeneration { generation });
            }
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
        self.shutting_down = true;
        self.pending_restart = None;
        match std::mem::replace(&mut self.build, Build::Idle) {
            Build::Running { id, .. } => out.push(Action::CancelBuild {
                id,
                reason: CancelReason::Shutdown,
            }),
            Build::Held { .. } | Build::Idle => {}
        }
        self.swap_when_settled = false;
        self.owed = false;
        self.start_when_stopped = None;
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

    /// A change or a manual rebuild: build, or swap directly when there is no build step.
    /// A tentative change builds at once too (that is the point of it), but without a build
    /// step there is nothing to start early: the swap waits for the burst to settle.
    fn build_or_swap(&mut self, changes: ChangeSet, out: &mut Vec<Action>) {
        self.pending_restart = None;
        self.crashes = 0;
        self.owed = false;
        if !self.settings.has_build {
            self.swap_when_settled = changes.tentative;
            if !changes.tentative {
                self.swap(out);
            }
            return;
        }
        match self.build {
            Build::Running { id, .. } => {
                out.push(Action::CancelBuild {
                    id,
                    reason: CancelReason::NewerChange,
                });
                out.push(Action::Report(Note::BuildSuperseded { cancelled: id }));
            }
            // Finished, but on files that have changed since: nothing to kill.
            Build::Held { id, .. } => {
                out.push(Action::Report(Note::BuildSuperseded { cancelled: id }))
            }
            Build::Idle => {}
        }
        self.last_build += 1;
        self.build = Build::Running {
            id: self.last_build,
            confirmed: !changes.tentative,
        };
        out.push(Action::StartBuild {
            id: self.last_build,
            changes,
        });
    }

    /// The burst behind the speculative build is over: its result counts.
    fn settled(&mut self, out: &mut Vec<Action>) {
        match self.build {
            Build::Running {
                id,
                confirmed: false,
            } => {
                self.build = Build::Running {
                    id,
                    confirmed: true,
                }
            }
            Build::Held { id, status } => {
                self.build = Build::Idle;
                self.finished(id, status, out);
            }
            Build::Running { .. } | Build::Idle => {}
        }
        if std::mem::take(&mut self.swap_when_settled) {
            self.swap(out);
        }
        if std::mem::take(&mut self.owed) {
            if self.paused {
                self.missed_while_paused = true;
            } else {
                self.build_or_swap(ChangeSet::default(), out);
            }
        }
    }

    /// The burst behind the speculative build goes on: stop building what is already stale.
    fn unsettled(&mut self, out: &mut Vec<Action>) {
        match self.build {
            Build::Running {
                id,
                confirmed: false,
            } => {
                out.push(Action::CancelBuild {
                    id,
                    reason: CancelReason::NewerChange,
                });
                out.push(Action::Report(Note::BuildSuperseded { cancelled: id }));
            }
            Build::Held { id, .. } => {
                out.push(Action::Report(Note::BuildSuperseded { cancelled: id }))
            }
            Build::Running { .. } | Build::Idle => return,
        }
        self.build = Build::Idle;
        self.owed = true;
    }

    /// Acts on the result of the current build.
    fn finished(&mut self, id: BuildId, status: ExitStatus, out: &mut Vec<Action>) {
        if status.success() {
            self.have_build = true;
            out.push(Action::Report(Note::BuildSucceeded { build: id }));
            self.swap(out);
        } else {
            self.build_failed(id, out);
        }
    }

    fn build_failed(&mut self, build: BuildId, out: &mut Vec<Action>) {
        out.push(Action::Report(Note::BuildFailedKeeping {
            build,
            serving: self.serving,
        }));
    }

    /// A good build is there: replace the serving generation by the strategy.
    fn swap(&mut self, out: &mut Vec<Action>) {
        let previous = self.serving;
        match (self.settings.strategy, previous) {
            (SwapStrategy::Signal, Some(generation)) => {
                out.push(Action::ReloadGeneration { generation });
            }
            (SwapStrategy::Overlap, Some(_)) => {
                // A candidate still starting is stale now: the newer build replaces it.
                if let Some(stale) = self.candidate.take() {
                    self.stop(stale, out);
                }
                let generation = self.next_generation();
                self.candidate = Some(generation);
                out.push(Action::StartGeneration {
                    generation,
                    previous,
                });
            }
            (SwapStrategy::Restart, Some(old)) => {
                self.serving = None;
                self.stop(old, out);
                self.start_when_stopped = Some(previous);
            }
            (_, None) => {
                if let Some(stale) = self.candidate.take() {
                    self.stop(stale, out);
                }
                if self.stopping.is_empty() {
                    self.start_serving(None, out);
                } else {
                    // The previous generation is still stopping (e.g. a restart in progress).
                    self.start_when_stopped = Some(self.start_when_stopped.flatten());
                }
            }
        }
    }

    fn start_serving(&mut self, previous: Option<GenId>, out: &mut Vec<Action>) {
        let generation = self.next_generation();
        self.serving = Some(generation);
        out.push(Action::StartGeneration {
            generation,
            previous,
        });
    }

    fn next_generation(&mut self) -> GenId {
        self.last_generation += 1;
        self.last_generation
    }

    fn stop(&mut self, generation: GenId, out: &mut Vec<Action>) {
        if self.stopping.insert(generation) {
            out.push(Action::StopGeneration { generation });
        }
    }

    fn forget(&mut self, generation: GenId) {
        self.stopping.remove(&generation);
        if self.serving == Some(generation) {
            self.serving = None;
        }
        if self.candidate == Some(generation) {
            self.candidate = None;
        }
    }

    /// A generation's process group is gone (or never started).
    fn gone(&mut self, generation: GenId, status: Option<ExitStatus>, out: &mut Vec<Action>) {
        let asked = self.stopping.remove(&generation);
        if self.candidate == Some(generation) {
            self.candidate = None;
            if let Some(status) = status {
                out.push(Action::Report(Note::ExitedOnItsOwn { generation, status }));
            }
            out.push(Action::Report(Note::RolledBack {
                failed: generation,
                kept: self.serving,
            }));
        } else if self.serving == Some(generation) {
            self.serving = None;
            if let (false, Some(status)) = (asked, status) {
                out.push(Action::Report(Note::ExitedOnItsOwn { generation, status }));
            }
            let again = match (self.settings.restart, status) {
                (_, _) if asked => false,
                (RestartPolicy::Always, _) => true,
                (RestartPolicy::OnFailure, Some(status)) => !status.success(),
                // A spawn that failed outright will fail again: wait for a change.
                (RestartPolicy::OnFailure, None) | (RestartPolicy::Never, _) => false,
            };
            if again && self.start_when_stopped.is_none() {
                self.crashes = self.crashes.saturating_add(1);
                let delay = backoff(self.crashes);
                self.last_token += 1;
                self.pending_restart = Some(self.last_token);
                out.push(Action::Report(Note::Restarting {
                    attempt: self.crashes,
                    delay,
                }));
                out.push(Action::ScheduleRestart {
                    token: self.last_token,
                    delay,
                });
            } else if self.start_when_stopped.is_none() {
                out.push(Action::Report(Note::WaitingForChange));
            }
        }
        if self.stopping.is_empty()
            && let Some(previous) = self.start_when_stopped.take()
        {
            self.start_serving(previous, out);
        }
    }
}

#[cfg(test)]
mod tests;
