//! One run of a build command for every app that asks for the same build at the same time.
//!
//! Apps whose `build.command` is the same (same command, environment and directory, e.g.
//! `go build -o tmp/ ./...`) and that start a build for the same burst of changes (or the
//! same start-up or key press) get one process between them: the first app's supervisor runs
//! it, the others ride along, and its result is each one's result. A rider's build starts no
//! earlier than the files it was asked for were written, so the result covers them. Pure
//! bookkeeping: the shell spawns, kills and forwards.

use crate::bus::AppId;
use crate::engine::BuildId;

/// What makes two build requests the same run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The command, its environment and its directory, as one comparable string.
    pub command: String,
    /// The burst of changes the build is for (`Burst`), or the shell's step for a build with
    /// no burst behind it (start-up, `r`): requests of the same step come from one event.
    pub when: When,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Burst(u64),
    Step(u64),
}

/// What to do with a build request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Spawn it: no run of the same build is going.
    Spawn,
    /// Ride on `owner`'s build `build`, which is running.
    Ride { owner: AppId, build: BuildId },
}

/// What a cancelled build means for its process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// Nobody else needs it: kill it.
    Kill,
    /// Other apps ride on it: let it finish for them.
    Keep,
    /// It was a ride: nothing runs for it.
    Ride,
}

#[derive(Debug)]
struct Run {
    key: Key,
    owner: (AppId, BuildId),
    riders: Vec<(AppId, BuildId)>,
}

/// The builds that run now, with who rides on each.
#[derive(Debug, Default)]
pub struct SharedBuilds {
    runs: Vec<Run>,
}

impl SharedBuilds {
    /// App `app` asks for its build `id` under `key`.
    pub fn start(&mut self, key: Key, app: AppId, id: BuildId) -> Start {
        if let Some(run) = self.runs.iter_mut().find(|run| run.key == key) {
            run.riders.push((app, id));
            let (owner, build) = run.owner;
            return Start::Ride { owner, build };
        }
        self.runs.push(Run {
            key,
            owner: (app, id),
            riders: Vec::new(),
        });
        Start::Spawn
    }

    /// App `app` no longer wants its build `id`.
    pub fn cancel(&mut self, app: AppId, id: BuildId) -> Cancel {
        for (i, run) in self.runs.iter_mut().enumerate() {
            if let Some(at) = run.riders.iter().position(|r| *r == (app, id)) {
                run.riders.remove(at);
                return Cancel::Ride;
            }
            if run.owner == (app, id) {
                if run.riders.is_empty() {
                    self.runs.remove(i);
                    return Cancel::Kill;
                }
                return Cancel::Keep;
            }
        }
        Cancel::Kill
    }

    /// `owner`'s build `id` ended (or could not start): the riders to tell, each with its own
    /// build number.
    pub fn finished(&mut self, owner: AppId, id: BuildId) -> Vec<(AppId, BuildId)> {
        match self.runs.iter().position(|run| run.owner == (owner, id)) {
            Some(i) => self.runs.remove(i).riders,
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(command: &str, when: When) -> Key {
        Key {
            command: command.into(),
            when,
        }
    }

    #[test]
    fn the_same_command_for_the_same_burst_runs_once_and_tells_every_rider() {
        let mut shared = SharedBuilds::default();
        let go = || key("go build -o tmp/ ./...", When::Burst(7));
        assert_eq!(shared.start(go(), 0, 3), Start::Spawn);
        assert_eq!(shared.start(go(), 1, 5), Start::Ride { owner: 0, build: 3 });
        assert_eq!(shared.start(go(), 2, 1), Start::Ride { owner: 0, build: 3 });
        assert_eq!(shared.finished(0, 3), [(1, 5), (2, 1)]);
        assert_eq!(shared.finished(0, 3), [], "told once");
    }

    #[test]
    fn another_burst_step_or_command_is_a_run_of_its_own() {
        let mut shared = SharedBuilds::default();
        assert_eq!(
            shared.start(key("go build", When::Burst(1)), 0, 1),
            Start::Spawn
        );
        assert_eq!(
            shared.start(key("go build", When::Burst(2)), 1, 1),
            Start::Spawn
        );
        assert_eq!(
            shared.start(key("go build", When::Step(1)), 2, 1),
            Start::Spawn
        );
        assert_eq!(
            shared.start(key("cargo build", When::Burst(1)), 3, 1),
            Start::Spawn
        );
        assert_eq!(shared.finished(0, 1), []);
    }

    #[test]
    fn a_cancel_kills_only_what_nobody_rides_on() {
        let mut shared = SharedBuilds::default();
        let go = || key("go build", When::Burst(1));
        assert_eq!(shared.start(go(), 0, 1), Start::Spawn);
        assert_eq!(shared.start(go(), 1, 1), Start::Ride { owner: 0, build: 1 });
        // The owner got a newer change: the run goes on for the rider.
        assert_eq!(shared.cancel(0, 1), Cancel::Keep);
        assert_eq!(shared.finished(0, 1), [(1, 1)]);

        assert_eq!(shared.start(go(), 0, 2), Start::Spawn);
        assert_eq!(shared.start(go(), 1, 2), Start::Ride { owner: 0, build: 2 });
        assert_eq!(shared.cancel(1, 2), Cancel::Ride);
        assert_eq!(shared.cancel(0, 2), Cancel::Kill);
        assert_eq!(shared.finished(0, 2), []);
    }
}
