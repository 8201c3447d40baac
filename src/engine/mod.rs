//! The reload loop's rules as a pure state machine: `Engine::step(Event) -> Vec<Action>`.
//!
//! No I/O, no clocks, no threads: the shell feeds events from its sources and carries out the
//! actions, timers included (the engine arms and cancels every one of them). Every rule of
//! DESIGN.md §1 and §3, and of a config reload, lives here and is unit-tested in `tests.rs`.

mod event;
mod policy;

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
                }
            }
            Event::NotReady { generation, reason } => {
                if self.candidate == Some(generation) {
                    self.candidate = None;
                    out.push(Action::Report(Note::NotReady { generation, reason }));
                    self.stop(generation, out);
                    out.push(Action::Report(Note::RolledBack {
                        failed: generation,
                        kept: self.serving,
                    }));
                } else if self.serving == Some(generation) {
                    out.push(Action::Report(Note::NotReady { generation, reason }));
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
            } => self.reconfigured(settings, listen_changed, out),
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

    /// Watched files changed: hotdev's own files among them reload the configuration first;
    /// the rest is a change like any other.
    fn changed(&mut self, changes: ChangeSet, out: &mut Vec<Action>) {
        let (own, rest) = split_own(changes, &self.settings.own_files);
        if !own.is_empty() {
            self.reconfigure(own, rest, out);
            return;
        }
        match rest {
            Some(Event::Changed(changes)) => {
                out.push(Action::Report(Note::Change(changes.clone())));
                if !self.missed_while_paused() {
                    self.build_or_swap(changes, out);
                }
            }
            Some(other) => self.handle(other, out),
            None => {}
        }
    }

    /// A burst the filter took out entirely: only hotdev's own files in it count.
    fn ignored(&mut self, mut paths: Vec<PathBuf>, out: &mut Vec<Action>) {
        let own: Vec<PathBuf> = paths
            .iter()
            .filter(|path| self.settings.own_files.contains(path))
            .cloned()
            .collect();
        paths.retain(|path| !own.contains(path));
        if !paths.is_empty() {
            out.push(Action::Report(Note::Ignored { paths }));
        }
        if !own.is_empty() {
            self.reconfigure(own, None, out);
        }
    }

    fn reconfigure(&mut self, changed: Vec<PathBuf>, rest: Option<Event>, out: &mut Vec<Action>) {
        self.reload = Some(PendingReload {
            changed: changed.clone(),
            rest,
        });
        out.push(Action::Reconfigure { changed });
    }

    /// The new configuration is in force. A new config file or a build's env file takes
    /// effect with a build (one, for the rest of the burst too); a run env file alone with a
    /// restart of the current build.
    fn reconfigured(&mut self, settings: Settings, listen_changed: bool, out: &mut Vec<Action>) {
        if settings.has_build && !self.settings.has_build {
            // What ran so far was never built: a restart has nothing to run.
            self.good_build = None;
        }
        self.settings = settings;
        if listen_changed {
            out.push(Action::Report(Note::ListenersKept));
        }
        let Some(PendingReload { changed, rest }) = self.reload.take() else {
            return;
        };
        let own = &self.settings.own_files;
        let config_edit = own.config.clone().filter(|file| changed.contains(file));
        let build_env = own
            .build_env
            .iter()
            .find(|file| changed.contains(file))
            .cloned();
        let rebuild = config_edit.is_some() || build_env.is_some();
        match (config_edit, build_env.or_else(|| changed.first().cloned())) {
            (Some(path), _) => out.push(Action::Report(Note::ConfigReloaded { path })),
            (None, Some(path)) => out.push(Action::Report(Note::EnvFileChanged { path, rebuild })),
            (None, None) => {}
        }
        if rebuild {
            let changes = match rest {
                Some(Event::Changed(changes)) => {
                    out.push(Action::Report(Note::Change(changes.clone())));
                    changes
                }
                Some(other) => {
                    self.handle(other, out);
                    ChangeSet::default()
                }
                None => ChangeSet::default(),
            };
            if !self.missed_while_paused() {
                self.build_or_swap(
                    ChangeSet {
                        tentative: false,
                        ..changes
                    },
                    out,
                );
            }
        } else {
            if let Some(rest) = rest {
                self.handle(rest, out);
            }
            if !self.missed_while_paused() {
                self.restart_now(out);
            }
        }
    }

    /// `R`, or a new run env file: restart the current build, or build when there is none.
    fn restart_now(&mut self, out: &mut Vec<Action>) {
        if self.good_build.is_some() || !self.settings.has_build {
            self.swap(out);
        } else {
            self.build_or_swap(ChangeSet::default(), out);
        }
    }

    /// A change or a manual rebuild: build, or swap directly when there is no build step.
    /// A tentative change builds at once too (that is the point of it), but without a build
    /// step there is nothing to start early: the swap waits for the burst to settle.
    fn build_or_swap(&mut self, changes: ChangeSet, out: &mut Vec<Action>) {
        self.cancel_restart(out);
        self.crashes = 0;
        self.after_burst = AfterBurst::Nothing;
        if !self.settings.has_build {
            if changes.tentative {
                self.after_burst = AfterBurst::Swap;
            } else {
                self.swap(out);
            }
            return;
        }
        self.supersede(out);
        self.last_build += 1;
        let id = self.last_build;
        self.build = Build::Running {
            id,
            confirmed: !changes.tentative,
        };
        out.push(Action::StartBuild { id, changes });
        if let Some(after) = self.settings.build_timeout {
            self.start_timer(Timer::BuildTimeout { id }, after, out);
        }
    }

    /// Drops the current build for a newer one: kills it if it is still running.
    fn supersede(&mut self, out: &mut Vec<Action>) {
        match std::mem::replace(&mut self.build, Build::Idle) {
            Build::Running { id, .. } => {
                self.cancel_timer(Timer::BuildTimeout { id }, out);
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
    }

    /// The burst behind the speculative build is over: its result counts.
    fn settled(&mut self, out: &mut Vec<Action>) {
        match std::mem::replace(&mut self.build, Build::Idle) {
            Build::Running { id, .. } => {
                self.build = Build::Running {
                    id,
                    confirmed: true,
                }
            }
            Build::Held { id, status, report } => self.finished(id, status, report, out),
            Build::Idle => {}
        }
        match std::mem::replace(&mut self.after_burst, AfterBurst::Nothing) {
            AfterBurst::Nothing => {}
            AfterBurst::Swap => self.swap(out),
            AfterBurst::Build => {
                if !self.missed_while_paused() {
                    self.build_or_swap(ChangeSet::default(), out);
                }
            }
        }
    }

    /// The burst behind the speculative build goes on: stop building what is already stale.
    fn unsettled(&mut self, out: &mut Vec<Action>) {
        match self.build {
            Build::Running {
                confirmed: false, ..
            }
            | Build::Held { .. } => {
                self.supersede(out);
                self.after_burst = AfterBurst::Build;
            }
            Build::Running { .. } | Build::Idle => {}
        }
    }

    /// Acts on the result of the current build.
    fn finished(
        &mut self,
        id: BuildId,
        status: ExitStatus,
        report: BuildReport,
        out: &mut Vec<Action>,
    ) {
        if status.success() {
            self.good_build = Some(id);
            out.push(Action::Report(Note::BuildSucceeded { build: id, report }));
            self.swap(out);
        } else {
            self.build_failed(id, BuildFailure::Exited { status, report }, out);
        }
    }

    fn build_failed(&mut self, build: BuildId, failure: BuildFailure, out: &mut Vec<Action>) {
        out.push(Action::Report(Note::BuildFailedKeeping {
            build,
            serving: self.serving,
            failure,
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
                self.start_generation(generation, previous, out);
            }
            (SwapStrategy::Restart, Some(old)) => {
                self.serving = None;
                self.stop(old, out);
                self.queued = Some(Replacing(previous));
            }
            (_, None) => {
                if let Some(stale) = self.candidate.take() {
                    self.stop(stale, out);
                }
                if self.stopping.is_empty() {
                    self.start_serving(None, out);
                } else if self.queued.is_none() {
                    // The previous generation is still stopping (e.g. a restart in progress).
                    self.queued = Some(Replacing(None));
                }
            }
        }
    }

    fn start_serving(&mut self, previous: Option<GenId>, out: &mut Vec<Action>) {
        let generation = self.next_generation();
        self.serving = Some(generation);
        self.start_generation(generation, previous, out);
    }

    fn start_generation(
        &mut self,
        generation: GenId,
        previous: Option<GenId>,
        out: &mut Vec<Action>,
    ) {
        out.push(Action::StartGeneration {
            generation,
            previous,
            build: self.good_build.filter(|_| self.settings.has_build),
        });
        if self.settings.restart != RestartPolicy::Never {
            self.start_timer(Timer::Stable { generation }, STABLE_AFTER, out);
        }
    }

    fn next_generation(&mut self) -> GenId {
        self.last_generation += 1;
        self.last_generation
    }

    fn stop(&mut self, generation: GenId, out: &mut Vec<Action>) {
        if self.stopping.insert(generation) {
            out.push(Action::StopGeneration { generation });
            let after = self.settings.stop_timeout;
            self.start_timer(Timer::StopTimeout { generation }, after, out);
        }
    }

    /// A generation is gone: nothing of it is awaited any more.
    fn forget(&mut self, generation: GenId, out: &mut Vec<Action>) {
        self.stopping.remove(&generation);
        self.cancel_timer(Timer::StopTimeout { generation }, out);
        self.cancel_timer(Timer::Stable { generation }, out);
        if self.serving == Some(generation) {
            self.serving = None;
        }
        if self.candidate == Some(generation) {
            self.candidate = None;
        }
    }

    /// A generation's process group is gone (or never started).
    fn gone(&mut self, generation: GenId, status: Option<ExitStatus>, out: &mut Vec<Action>) {
        let asked = self.stopping.contains(&generation);
        let was_candidate = self.candidate == Some(generation);
        let was_serving = self.serving == Some(generation);
        self.forget(generation, out);
        if was_candidate {
            if let Some(status) = status {
                out.push(Action::Report(Note::ExitedOnItsOwn { generation, status }));
            }
            out.push(Action::Report(Note::RolledBack {
                failed: generation,
                kept: self.serving,
            }));
        } else if was_serving {
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
            if again && self.queued.is_none() {
                self.schedule_restart(out);
            } else if self.queued.is_none() {
                out.push(Action::Report(Note::WaitingForChange));
            }
        }
        if self.stopping.is_empty()
            && let Some(Replacing(previous)) = self.queued.take()
        {
            self.start_serving(previous, out);
        }
    }

    fn schedule_restart(&mut self, out: &mut Vec<Action>) {
        self.crashes = self.crashes.saturating_add(1);
        let delay = backoff(self.crashes);
        self.last_token += 1;
        let token = self.last_token;
        self.pending_restart = Some(token);
        out.push(Action::Report(Note::Restarting {
            attempt: self.crashes,
            delay,
        }));
        self.start_timer(Timer::Restart { token }, delay, out);
    }

    fn cancel_restart(&mut self, out: &mut Vec<Action>) {
        if let Some(token) = self.pending_restart.take() {
            self.cancel_timer(Timer::Restart { token }, out);
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

/// Splits hotdev's own files out of a change: what remains, as the event it amounts to. A
/// burst's last change set that named only own files still ends the burst: it becomes
/// [`Event::Settled`], so that a speculative build of the burst's start is not held for ever;
/// a tentative one that named only own files says nothing.
fn split_own(mut changes: ChangeSet, own: &OwnFiles) -> (Vec<PathBuf>, Option<Event>) {
    let mine: Vec<PathBuf> = changes
        .paths
        .iter()
        .filter(|path| own.contains(path))
        .cloned()
        .collect();
    if mine.is_empty() {
        return (mine, Some(Event::Changed(changes)));
    }
    changes.paths.retain(|path| !mine.contains(path));
    let rest = if changes.overflow || !changes.paths.is_empty() {
        Some(Event::Changed(changes))
    } else if changes.tentative {
        None
    } else {
        Some(Event::Settled)
    };
    (mine, rest)
}

#[cfg(test)]
mod tests;
