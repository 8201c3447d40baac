//! The guard: a tiny process that outlives hotdev to kill what hotdev started if hotdev itself
//! is killed with SIGKILL (or crashes) and so cannot stop anything.
//!
//! Design. At start, hotdev re-executes itself as the guard (`hotdev __hotdev_guard`), in a
//! process group of its own (so Ctrl-C in the terminal does not reach it), with a pipe as its
//! stdin. hotdev writes `+PGID` when it starts a build or generation and `-PGID` once that
//! group is gone (so a recycled pgid is never hit). When the pipe reaches EOF — which happens
//! however hotdev ends, because the kernel closes the write end — the guard sends SIGTERM to
//! every group still listed, gives them [`GRACE`], SIGKILLs what is left, and exits. A clean
//! hotdev exit lists nothing, so the guard then just exits.
//!
//! This covers the gap `PR_SET_PDEATHSIG` leaves: that signal reaches only the direct child,
//! not the server behind a `sh -c` wrapper or a worker the app forked. What it does not cover:
//! a process that moved itself to another process group or session (a daemon).

use std::collections::BTreeSet;
use std::io::{self, BufRead, Write};
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{SigHandler, Signal, signal};

use super::signal_group;

/// The hidden first argument that turns the hotdev binary into the guard.
pub const GUARD_ARG: &str = "__hotdev_guard";

/// How long the guard lets orphaned groups stop after SIGTERM before SIGKILL.
pub const GRACE: Duration = Duration::from_secs(2);

/// hotdev's end of the pipe to the guard.
pub struct Guard {
    pipe: Mutex<ChildStdin>,
}

impl Guard {
    /// Starts the guard process.
    pub fn start() -> io::Result<Guard> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg(GUARD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()?;
        // Its own group, left to itself: the reaper must neither reap nor stop it.
        super::reaper::track(child.id() as i32);
        let pipe = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("the guard has no stdin pipe"))?;
        Ok(Guard {
            pipe: Mutex::new(pipe),
        })
    }

    /// The group `pgid` now exists: kill it if hotdev dies.
    pub fn cover(&self, pgid: i32) {
        self.send(&format!("+{pgid}\n"));
    }

    /// The group `pgid` is gone: never touch that number again.
    pub fn release(&self, pgid: i32) {
        self.send(&format!("-{pgid}\n"));
    }

    fn send(&self, line: &str) {
        if let Ok(mut pipe) = self.pipe.lock() {
            // A dead guard cannot be helped here; hotdev's own stop logic still works.
            let _ = pipe.write_all(line.as_bytes());
        }
    }
}

/// The guard's main: read the list until EOF, then stop what is listed. Returns its exit code.
pub fn run_guard(input: impl BufRead) -> u8 {
    // Terminal signals are hotdev's business; the guard must survive them to do its job.
    for sig in [
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGTERM,
        Signal::SIGPIPE,
    ] {
        // SAFETY: installing SIG_IGN runs no handler code, so nothing async-signal-unsafe can
        // happen; the guard is single-threaded.
        unsafe {
            let _ = signal(sig, SigHandler::SigIgn);
        }
    }
    let groups = read_groups(input);
    stop_all(&groups);
    0
}

/// Applies `+PGID` / `-PGID` lines until EOF; malformed lines are skipped.
fn read_groups(input: impl BufRead) -> BTreeSet<i32> {
    let mut groups = BTreeSet::new();
    for line in input.lines() {
        let Ok(line) = line else { break };
        let (sign, number) = line.split_at(line.len().min(1));
        match (sign, number.trim().parse::<i32>()) {
            ("+", Ok(pgid)) if pgid > 1 => {
                groups.insert(pgid);
            }
            ("-", Ok(pgid)) => {
                groups.remove(&pgid);
            }
            _ => {}
        }
    }
    groups
}

fn stop_all(groups: &BTreeSet<i32>) {
    if groups.is_empty() {
        return;
    }
    for &pgid in groups {
        let _ = signal_group(pgid, Signal::SIGTERM);
    }
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline && groups.iter().any(|&pgid| alive(pgid)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for &pgid in groups {
        let _ = signal_group(pgid, Signal::SIGKILL);
    }
}

/// Whether the group has a member that is not a zombie. After hotdev died, nobody may reap
/// the group's zombies soon, and they must not make the guard wait out its grace period.
fn alive(pgid: i32) -> bool {
    if nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries.flatten().any(|entry| {
        std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| live_member_of(&stat))
            == Some(pgid)
    })
}

/// The process group of a `/proc/PID/stat` line, if the process is not a zombie. The command
/// name (field 2) may contain spaces and parentheses, so fields are counted after its last `)`.
fn live_member_of(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    (state != "Z").then_some(pgrp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_follows_plus_and_minus_lines() {
        let input = b"+100\n+200\n-100\nnonsense\n+1\n+0\n+300\n";
        let groups = read_groups(&input[..]);
        assert_eq!(groups.into_iter().collect::<Vec<_>>(), vec![200, 300]);
    }

    #[test]
    fn stat_lines_give_the_group_of_live_processes_only() {
        assert_eq!(
            live_member_of("42 (my (odd) app) S 1 4242 4242 0"),
            Some(4242)
        );
        assert_eq!(live_member_of("42 (app) Z 1 4242 4242 0"), None);
        assert_eq!(live_member_of("garbage"), None);
    }

    #[test]
    fn orphaned_group_is_stopped_when_the_list_ends() {
        let mut child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("sleep starts");
        let pgid = child.id() as i32;
        let input = format!("+{pgid}\n");
        stop_all(&read_groups(input.as_bytes()));
        let status = child.wait().expect("reaped");
        assert!(
            !status.success(),
            "sleep was stopped by a signal: {status:?}"
        );
    }
}
