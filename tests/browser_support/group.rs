//! A process started in its own process group, with its output in a log file, and a guard that
//! kills the whole group on drop (even when the test panics). Used for Chromium and for the app
//! a browser test serves; never leaves a process running.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::POLL;
use crate::support::{process_group_alive, process_group_members};

/// A process group we started: its leader, what it is (for messages) and its log.
pub struct Group {
    child: Child,
    what: String,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Group {
    /// Spawns `cmd` as the leader of a new process group, stdin closed, stdout and stderr
    /// appended to `log`. `what` names it in messages ("chromium", "the go-web app").
    pub fn spawn(cmd: &mut Command, what: &str, log: &Path) -> Result<Group, String> {
        let out = File::create(log).map_err(|e| format!("create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("dup {}: {e}", log.display()))?;
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {what} ({:?}): {e}", cmd.get_program()))?;
        Ok(Group {
            child,
            what: what.to_string(),
            log: log.to_path_buf(),
            status: None,
        })
    }

    /// The process group id (the leader's pid).
    pub fn pgid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The leader's exit status if it has exited (reaped here), None while it runs.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// The last `n` lines of the group's output, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Sends `signal` to the whole group, then waits (at most `timeout`) until no live member
    /// is left: Ok with the leader's status, Err naming the survivors.
    pub fn signal_and_wait(
        &mut self,
        signal: Signal,
        timeout: Duration,
    ) -> Result<Option<ExitStatus>, String> {
        let pgid = self.pgid();
        if process_group_alive(pgid) {
            let _ = killpg(Pid::from_raw(pgid), signal);
        }
        let deadline = Instant::now() + timeout;
        loop {
            self.exited();
            if self.status.is_some() && !process_group_alive(pgid) {
                return Ok(self.status);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} (process group {pgid}) still runs {timeout:?} after {signal}: {:?}",
                    self.what,
                    process_group_members(pgid)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGKILL to the group and wait for it to be gone (bounded; a failure is reported, not
    /// raised: this runs in `drop`).
    pub fn kill(&mut self) {
        if let Err(e) = self.signal_and_wait(Signal::SIGKILL, Duration::from_secs(10)) {
            eprintln!("{e}");
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}
