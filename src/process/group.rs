//! Signalling and reaping whole process groups.
//!
//! How hotdev waits for a group (DESIGN.md §3: "wait for the whole group, not just the direct
//! child"): hotdev is a child subreaper (`become_subreaper`), so a process of the group whose
//! parent dies — the server behind a `sh -c` wrapper that already exited, a daemon a build
//! forked — is re-parented to hotdev instead of init, and keeps its process group. Every
//! process of the group is therefore a child of hotdev by the time it could be waited for, and
//! `waitpid(-pgid)` reaps them one by one until ECHILD: none left that hotdev could wait for.
//! (The kernel re-parents a dying process's children before it notifies its parent, so no
//! orphan can slip between two `waitpid` calls.) What remains possible is a process that joined
//! the group without being hotdev's descendant; `kill(-pgid, 0)` == ESRCH confirms the group is
//! empty, polled for a bounded moment.
//!
//! Nothing in hotdev may call `waitpid(-1)` (or std's `Child::wait` on these children): it
//! would steal the statuses these waiters count on. Orphans of other groups (setsid daemons)
//! are reaped by `reaper`, which skips the groups `spawn` tracks until `wait_group` is done.

use std::io;
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::engine::ExitStatus;

/// How long `wait_group` polls for group members that were not hotdev's descendants.
const CONFIRM_ROUNDS: u32 = 50;
const CONFIRM_INTERVAL: Duration = Duration::from_millis(10);

/// Makes hotdev the reaper of its orphaned descendants (`PR_SET_CHILD_SUBREAPER`), so that
/// `wait_group` can wait for them. Call once at start, before spawning anything.
pub fn become_subreaper() -> io::Result<()> {
    nix::sys::prctl::set_child_subreaper(true).map_err(io::Error::from)
}

/// Sends `sig` to every process of the group. A group that is already gone is not an error.
///
/// `pgid` must be one hotdev started (> 1): `kill(0)` and `kill(-1)` would signal hotdev's
/// own group or every process it may signal, so those are refused with EINVAL.
pub fn signal_group(pgid: i32, sig: Signal) -> nix::Result<()> {
    if pgid <= 1 {
        return Err(Errno::EINVAL);
    }
    match killpg(Pid::from_raw(pgid), sig) {
        Err(Errno::ESRCH) => Ok(()),
        other => other,
    }
}

/// Blocks until every process of the group is gone and reaped, then returns the status of
/// the group leader (the process `spawn` started, whose pid is the pgid).
///
/// Run it on a thread of its own per group. If the leader's status was taken by someone else
/// (a bug: see the module docs), the last status reaped stands in, or `Code(-1)`.
pub fn wait_group(pgid: i32) -> ExitStatus {
    let mut leader = None;
    let mut last = None;
    if pgid > 1 {
        reap(pgid, None, &mut leader, &mut last);
        for _ in 0..CONFIRM_ROUNDS {
            if kill(Pid::from_raw(-pgid), None) == Err(Errno::ESRCH) {
                break;
            }
            thread::sleep(CONFIRM_INTERVAL);
            reap(pgid, Some(WaitPidFlag::WNOHANG), &mut leader, &mut last);
        }
    }
    super::reaper::untrack(pgid);
    leader.or(last).unwrap_or(ExitStatus::Code(-1))
}

/// Blocks until the group leader (the process `spawn` started) exits, reaps it and returns
/// its status; the rest of the group is left to `wait_group`.
pub fn wait_leader(pgid: i32) -> ExitStatus {
    loop {
        match waitpid(Pid::from_raw(pgid), None) {
            Ok(WaitStatus::Exited(_, code)) => return ExitStatus::Code(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return ExitStatus::Signal(sig as i32),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return ExitStatus::Code(-1),
        }
    }
}

/// The live processes of group `pgid` (pid, command line), from `/proc`.
pub fn group_members(pgid: i32) -> Vec<(i32, String)> {
    super::reaper::live_in_group(pgid)
}

/// `waitpid(-pgid)` until nothing is left to reap (blocking) or ready (WNOHANG).
fn reap(
    pgid: i32,
    flags: Option<WaitPidFlag>,
    leader: &mut Option<ExitStatus>,
    last: &mut Option<ExitStatus>,
) {
    loop {
        let (pid, status) = match waitpid(Pid::from_raw(-pgid), flags) {
            Ok(WaitStatus::Exited(pid, code)) => (pid, ExitStatus::Code(code)),
            Ok(WaitStatus::Signaled(pid, sig, _)) => (pid, ExitStatus::Signal(sig as i32)),
            Ok(WaitStatus::StillAlive) => return,
            Ok(_) => continue, // stop/continue reports: not an exit
            Err(Errno::EINTR) => continue,
            Err(_) => return, // ECHILD: none left
        };
        if pid.as_raw() == pgid {
            *leader = Some(status);
        }
        *last = Some(status);
    }
}
