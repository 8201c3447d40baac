//! The rules for generations: swap by the strategy, stop gracefully, and what an exit means
//! (rolled back, waiting for a change, or restarted by the restart policy).

use super::*;

impl Engine {
    /// A good build is there: replace the serving generation by the strategy.
    pub(super) fn swap(&mut self, out: &mut Vec<Action>) {
        let previous = self.serving;
        match (self.settings.strategy, previous) {
            (SwapStrategy::Signal, Some(generation)) => {
                out.push(Action::ReloadGeneration { generation });
                // No readiness check follows a reload signal: the pages reload now.
                self.pages_up(true, out);
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
                self.pages_hold(out);
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

    pub(super) fn start_serving(&mut self, previous: Option<GenId>, out: &mut Vec<Action>) {
        let generation = self.next_generation();
        self.serving = Some(generation);
        self.start_generation(generation, previous, out);
    }

    pub(super) fn start_generation(
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

    pub(super) fn next_generation(&mut self) -> GenId {
        self.last_generation += 1;
        self.last_generation
    }

    pub(super) fn stop(&mut self, generation: GenId, out: &mut Vec<Action>) {
        if self.stopping.insert(generation) {
            out.push(Action::StopGeneration { generation });
            let after = self.settings.stop_timeout;
            self.start_timer(Timer::StopTimeout { generation }, after, out);
        }
    }

    /// A generation is gone: nothing of it is awaited any more.
    pub(super) fn forget(&mut self, generation: GenId, out: &mut Vec<Action>) {
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
    pub(super) fn gone(
        &mut self,
        generation: GenId,
        status: Option<ExitStatus>,
        out: &mut Vec<Action>,
    ) {
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
            if !asked {
                let failure = GenerationFailure::Exited(status);
                self.pages_show(
                    Page::GenerationFailed {
                        generation,
                        failure,
                    },
                    out,
                );
            }
        } else if was_serving {
            if let (false, Some(status)) = (asked, status) {
                out.push(Action::Report(Note::ExitedOnItsOwn { generation, status }));
            }
            self.pages_hold(out);
            if !asked {
                let failure = GenerationFailure::Exited(status);
                self.pages_show(
                    Page::GenerationFailed {
                        generation,
                        failure,
                    },
                    out,
                );
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

    pub(super) fn schedule_restart(&mut self, out: &mut Vec<Action>) {
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

    pub(super) fn cancel_restart(&mut self, out: &mut Vec<Action>) {
        if let Some(token) = self.pending_restart.take() {
            self.cancel_timer(Timer::Restart { token }, out);
        }
    }
}
