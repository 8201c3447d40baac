//! The engine's notes as messages: what a decision means, in the words and with the timings
//! a user reads. Notes that an effect reports better (an exit, a kill) say nothing here.

use std::time::Duration;

use crate::config::Config;
use crate::engine::{BuildFailure, BuildId, BuildReport, NotReady, Note};
use crate::report::{CancelCause, Message, Redo, Reporter, format_status};
use crate::supervisor::Supervisor;

/// Reports `note`; `supervisor` knows how long a build that is still running has run.
pub fn narrate(note: Note, config: &Config, supervisor: &Supervisor, reporter: &Reporter) {
    match note {
        Note::Change(changes) => {
            // `reload_only` files are changes too, the browser's to act on.
            let paths: Vec<_> = changes.paths.into_iter().chain(changes.assets).collect();
            reporter.report(&Message::Change {
                count: paths.len(),
                paths,
                overflow: changes.overflow,
                tentative: changes.tentative,
                root: config.root.clone(),
            })
        }
        Note::BuildSucceeded { build, report } => {
            left_behind(build, &report, reporter);
            reporter.report(&Message::BuildOk {
                build,
                duration: report.duration,
            });
            if reporter.verbose() {
                reporter.report(&Message::BuildOutput {
                    build,
                    lines: report.output,
                    failed: false,
                });
            }
        }
        Note::BuildFailedKeeping {
            build,
            serving,
            failure,
        } => {
            let (duration, status, report) = match failure {
                BuildFailure::Exited { status, report } => {
                    left_behind(build, &report, reporter);
                    (report.duration, format_status(status), Some(report))
                }
                // Reported without output: it was killed mid-way.
                BuildFailure::TimedOut => (
                    supervisor.build_elapsed(build).unwrap_or_default(),
                    "timed out".to_string(),
                    None,
                ),
                BuildFailure::CannotStart(error) => {
                    (Duration::ZERO, format!("cannot start: {error}"), None)
                }
            };
            reporter.report(&Message::BuildFailed {
                build,
                duration,
                status,
                serving,
            });
            if let Some(report) = report {
                reporter.report(&Message::BuildOutput {
                    build,
                    lines: report.output,
                    failed: true,
                });
            }
        }
        Note::BuildSuperseded { cancelled } => reporter.report(&Message::BuildCancelled {
            build: cancelled,
            reason: CancelCause::NewerChange,
        }),
        // Reported as generation_exited with requested = false.
        Note::ExitedOnItsOwn { .. } => {}
        // Reported by KillGeneration with the time waited.
        Note::StopTimedOut { .. } => {}
        Note::RolledBack { failed, kept } => reporter.report(&Message::RolledBack { failed, kept }),
        Note::NotReady { generation, reason } => {
            let reason = match reason {
                NotReady::Timeout => format!(
                    "no sign of readiness within {}",
                    humantime::format_duration(config.run.ready_timeout)
                ),
                NotReady::Failed(message) => message,
            };
            reporter.report(&Message::GenerationNotReady { generation, reason });
        }
        Note::WaitingForChange => reporter.report(&Message::Waiting),
        Note::Paused { paused } => reporter.report(&Message::Paused { paused }),
        Note::Restarting { attempt, delay } => {
            reporter.report(&Message::Restarting { attempt, delay })
        }
        Note::Ignored { paths } => {
            if reporter.verbose() {
                reporter.report(&Message::Ignored { paths });
            }
        }
        Note::ConfigReloaded { path } => reporter.report(&Message::ConfigReloaded { path }),
        Note::EnvFileChanged { path, rebuild } => reporter.report(&Message::EnvFileChanged {
            path,
            action: if rebuild {
                Redo::Rebuild
            } else {
                Redo::Restart
            },
        }),
        Note::ListenersKept => reporter.report(&Message::Error {
            message: "[[listen]] changed: restart hotdev to rebind; the current listeners stay"
                .into(),
        }),
        Note::ShuttingDown => {}
    }
}

/// What a build left running in its group, killed once it exited: named in one line.
fn left_behind(build: BuildId, report: &BuildReport, reporter: &Reporter) {
    if report.left_behind.is_empty() {
        return;
    }
    let n = report.left_behind.len();
    let commands: Vec<&str> = report.left_behind.iter().map(|(_, c)| c.as_str()).collect();
    reporter.report(&Message::Error {
        message: format!(
            "build {build}: killed {n} background process{} left by the build ({})",
            if n == 1 { "" } else { "es" },
            commands.join(", ")
        ),
    });
}
