//! The rules for builds: a change builds (or swaps directly without a build step), a newer
//! change supersedes a running build, a speculative build's result waits for its burst.

use super::*;

impl Engine {
    /// `R`, or a new run env file: restart the current build, or build when there is none.
    pub(super) fn restart_now(&mut self, out: &mut Vec<Action>) {
        if self.good_build.is_some() || !self.settings.has_build {
            self.swap(out);
        } else {
            self.build_or_swap(ChangeSet::default(), out);
        }
    }

    /// A change or a manual rebuild: build, or swap directly when there is no build step.
    /// A tentative change builds at once too (that is the point of it), but without a build
    /// step there is nothing to start early: the swap waits for the burst to settle.
    pub(super) fn build_or_swap(&mut self, changes: ChangeSet, out: &mut Vec<Action>) {
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
    pub(super) fn supersede(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn settled(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn unsettled(&mut self, out: &mut Vec<Action>) {
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
    pub(super) fn finished(
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

    pub(super) fn build_failed(
        &mut self,
        build: BuildId,
        failure: BuildFailure,
        out: &mut Vec<Action>,
    ) {
        out.push(Action::Report(Note::BuildFailedKeeping {
            build,
            serving: self.serving,
            failure: failure.clone(),
        }));
        self.pages_show(Page::BuildFailed { build, failure }, out);
    }
}
