//! The driver's rules for the child's events: builds, generations starting, ready, exiting or
//! rolled back, each moving the current step on or failing it. No I/O: the session carries
//! out every `Do` pushed here.

use std::time::Duration;

use super::{CHECK_READY_WITHIN, Do, Driver, ReadyBy, VERIFY_WITHIN, Wait, millis};
use crate::report::{Message, format_status};
use crate::smoke::event::Event;
use crate::smoke::exit;

impl Driver {
    pub(super) fn on_event(&mut self, at: Duration, event: Event, out: &mut Vec<Do>) {
        match &event.message {
            Message::BuildStarted { build, pid, .. } => {
                self.groups.insert(*pid, format!("build {build}"));
            }
            Message::GenerationStarted {
                generation, pid, ..
            } => {
                self.groups.insert(*pid, format!("generation {generation}"));
            }
            Message::Error { message } => self.last_error = Some(message.clone()),
            _ => {}
        }
        if self.wait == Wait::ShuttingDown || self.wait == Wait::Started {
            return;
        }
        match event.message {
            Message::Change { .. } => {
                if let Wait::Swap { change_seen, .. } = &mut self.wait {
                    *change_seen = true;
                }
            }
            Message::BuildStarted { build, .. } => {
                if let Wait::Swap { change_seen, .. } = &mut self.wait {
                    // Without a `change` event (older children) a build is proof enough.
                    *change_seen = true;
                    self.current_step().build = Some(build);
                }
            }
            Message::BuildOk { build, duration } => {
                if let Wait::Swap { build_ok_ts, .. } = &mut self.wait {
                    *build_ok_ts = Some(event.ts_ms);
                    let step = self.current_step();
                    step.build = Some(build);
                    step.build_ms = Some(millis(duration));
                }
            }
            Message::BuildFailed {
                build,
                duration,
                status,
                ..
            } => {
                let duration_ms = millis(duration);
                let step = self.current_step();
                step.build = Some(build);
                step.build_ms = Some(duration_ms);
                let reason = format!("build {build} failed ({status}) after {duration_ms}ms");
                self.fail(exit::BUILD, reason, out);
            }
            Message::GenerationStarted { generation, .. } => {
                if let Wait::Swap {
                    base, build_ok_ts, ..
                } = self.wait
                    && base.is_none_or(|b| generation > b)
                {
                    let step = self.current_step();
                    step.generation = Some(generation);
                    step.swap_ms = build_ok_ts.map(|t| event.ts_ms.saturating_sub(t));
                    self.serving = Some(generation);
                    let by = self.ready_by.unwrap_or(ReadyBy::Settle);
                    self.await_ready(at, generation, by, out);
                }
            }
            Message::GenerationReloaded { generation, .. } => {
                if let Wait::Swap {
                    build_ok_ts: Some(t),
                    ..
                } = self.wait
                {
                    let step = self.current_step();
                    step.generation = Some(generation);
                    step.swap_ms = Some(event.ts_ms.saturating_sub(t));
                    // A reload in place sends no `generation_ready`.
                    let by = if self.has_check {
                        ReadyBy::Check
                    } else {
                        ReadyBy::Settle
                    };
                    self.await_ready(at, generation, by, out);
                }
            }
            Message::GenerationReady { generation, ready } => {
                if let Wait::Ready { generation: g, .. } = self.wait
                    && g == generation
                    && self.ready_by == Some(ReadyBy::Event)
                {
                    self.current_step().ready_ms = Some(millis(ready));
                    if self.has_check {
                        self.wait = Wait::Verify { generation };
                        out.push(Do::Probe {
                            generation,
                            within: VERIFY_WITHIN,
                        });
                    } else {
                        self.complete(at, out);
                    }
                }
            }
            Message::GenerationNotReady { generation, reason } if self.concerns(generation) => {
                let reason = format!("generation {generation} not ready: {reason}");
                self.fail(exit::NOT_READY, reason, out);
            }
            Message::GenerationExited {
                generation,
                status,
                requested: false,
                ..
            } if self.concerns(generation) => {
                let reason = format!(
                    "generation {generation} exited on its own ({})",
                    format_status(status)
                );
                self.fail(exit::NOT_READY, reason, out);
            }
            Message::RolledBack { failed, .. } => {
                let reason = format!("generation {failed} failed to take over (rolled back)");
                self.fail(exit::NOT_READY, reason, out);
            }
            // `waiting` means nothing runs: after a good build (or at the start) the app
            // could not be started.
            Message::Waiting if self.awaiting_start() => {
                let reason = match self.last_error.take() {
                    Some(e) => format!("the app did not start: {e}"),
                    None => {
                        "the app did not start: hotdev is waiting with nothing running".to_string()
                    }
                };
                self.fail(exit::NOT_READY, reason, out);
            }
            _ => {}
        }
    }

    fn awaiting_start(&self) -> bool {
        match self.wait {
            Wait::Swap { build_ok_ts, .. } => build_ok_ts.is_some() || self.current == 0,
            _ => false,
        }
    }

    /// Whether an event about `generation` matters now: the one serving or being awaited.
    fn concerns(&self, generation: u64) -> bool {
        match self.wait {
            Wait::Ready { generation: g, .. } | Wait::Verify { generation: g } => g == generation,
            _ => self.serving == Some(generation) || self.serving.is_none(),
        }
    }

    fn await_ready(&mut self, at: Duration, generation: u64, by: ReadyBy, out: &mut Vec<Do>) {
        self.wait = Wait::Ready { generation, at };
        match by {
            ReadyBy::Event => {}
            ReadyBy::Check => out.push(Do::Probe {
                generation,
                within: CHECK_READY_WITHIN,
            }),
            ReadyBy::Settle => out.push(Do::Settle { generation }),
        }
    }
}
