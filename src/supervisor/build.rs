//! Builds: start one in its own process group, capture its output, wait for the whole group,
//! kill it on request. The waiter sends the result, with everything the report needs.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::{OUTPUT_GRACE, Supervisor};
use crate::bus::Input;
use crate::capture::Capture;
use crate::config::Config;
use crate::engine::{BuildId, BuildReport, ChangeSet, Event};
use crate::process::{self, Output, Spawn};
use crate::report::{Message, Reporter};

/// A build that runs (or was cancelled and has not been reaped yet).
pub(super) struct BuildRun {
    pub(super) pgid: i32,
    started: Instant,
}

impl Supervisor {
    /// Starts build `id`; `Err` with the OS's reason when it cannot start at all.
    pub fn start_build(
        &mut self,
        config: &Config,
        id: BuildId,
        changes: &ChangeSet,
        reporter: &Reporter,
    ) -> Result<(), String> {
        let Some(build) = &config.build else {
            return Err("no build command is configured".to_string());
        };
        let spawn = Spawn {
            spec: &build.command,
            cwd: &config.root,
            extra_env: vec![("HOTDEV_BUILD_ID".into(), id.to_string())],
            fallback_env: &self.build_fallback_env,
            listeners: None,
            output: Output::Piped,
        };
        let mut child = process::spawn(&spawn).map_err(|e| e.to_string())?;
        let pgid = child.pid;
        self.cover(pgid);
        reporter.report(&Message::BuildStarted {
            build: id,
            pid: pgid,
            speculative: changes.tentative,
            spinner: self.generations.is_empty(),
        });
        let capture = match (child.stdout.take(), child.stderr.take()) {
            (Some(out), Some(err)) => Capture::start(out, err, false).ok(),
            _ => None,
        };
        let started = Instant::now();
        self.builds.insert(id, BuildRun { pgid, started });
        let tx = self.tx.clone();
        self.spawn_worker("hotdev-build-wait", move || {
            // The build is done when its main process has exited and its output pipes are
            // closed, or OUTPUT_GRACE after that exit: a background child must not hold it
            // open. What is left of its group is then killed.
            let status = process::wait_leader(pgid);
            let output = capture
                .map(|capture| capture.finish(OUTPUT_GRACE))
                .unwrap_or_default();
            let left_behind = process::group_members(pgid);
            if !left_behind.is_empty() {
                let _ = process::signal_group(pgid, Signal::SIGKILL);
            }
            let _ = process::wait_group(pgid);
            let report = BuildReport {
                duration: started.elapsed(),
                output,
                left_behind,
            };
            let _ = tx.send(Input::Event(Event::BuildFinished { id, status, report }));
        });
        Ok(())
    }

    /// Kills build `id`'s process group; its waiter still reports it gone.
    pub fn kill_build(&self, id: BuildId) {
        if let Some(run) = self.builds.get(&id) {
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
    }

    /// How long build `id` has run, if it still does.
    pub fn build_elapsed(&self, id: BuildId) -> Option<Duration> {
        self.builds.get(&id).map(|run| run.started.elapsed())
    }

    /// Build `id`'s process group is gone: nothing of it is left to kill.
    pub fn build_gone(&mut self, id: BuildId) {
        if let Some(run) = self.builds.remove(&id) {
            self.release(run.pgid);
        }
    }
}
