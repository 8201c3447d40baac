//! Reaps the orphans hotdev adopts as a child subreaper (a `setsid` daemon of the app or of a
//! build, re-parented to hotdev when its parent exits) and stops those still alive at exit.
//!
//! It must never take the status of a process that a `wait_group` waits for: a child is
//! reaped here only if its process group is not tracked. `spawn` holds the tracking lock from
//! fork until the new group is tracked, so no child of hotdev is ever seen untracked by mistake.

use std::collections::BTreeSet;
use std::fs;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;

/// Process groups whose statuses belong to a `wait_group` (or that hotdev keeps, the guard).
static TRACKED: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// The tracked groups, locked: hold it across a spawn until the new group is inserted.
pub fn tracked() -> MutexGuard<'static, BTreeSet<i32>> {
    TRACKED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The group `pgid` is waited for elsewhere (or must be left alone).
pub fn track(pgid: i32) {
    tracked().insert(pgid);
}

/// The group `pgid` was waited for to the end.
pub fn untrack(pgid: i32) {
    tracked().remove(&pgid);
}

/// A direct child of hotdev, as `/proc` shows it.
struct Adopted {
    pid: i32,
    zombie: bool,
}

/// One process as `/proc/PID/stat` shows it.
struct Stat {
    pid: i32,
    state: String,
    ppid: i32,
    pgid: i32,
}

/// Every process `/proc` lists now (those gone mid-read are skipped).
fn all_processes() -> Vec<Stat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name is in parentheses and may itself hold spaces or ')'.
            let rest = &stat[stat.rfind(')')? + 1..];
            let mut fields = rest.split_whitespace();
            Some(Stat {
                pid,
                state: fields.next()?.to_string(),
                ppid: fields.next()?.parse().ok()?,
                pgid: fields.next()?.parse().ok()?,
            })
        })
        .collect()
}

/// Hotdev's children (from `/proc/*/stat`) that belong to no tracked group.
fn untracked_children(tracked: &BTreeSet<i32>) -> Vec<Adopted> {
    let me = std::process::id() as i32;
    all_processes()
        .into_iter()
        .filter(|p| p.ppid == me && !tracked.contains(&p.pgid))
        .map(|p| Adopted {
            pid: p.pid,
            zombie: p.state == "Z",
        })
        .collect()
}

/// Reaps every adopted zombie of an untracked group; returns how many.
pub fn reap_orphans() -> usize {
    let tracked = tracked();
    untracked_children(&tracked)
        .into_iter()
        .filter(|c| c.zombie)
        .filter(|c| waitpid(Pid::from_raw(c.pid), Some(WaitPidFlag::WNOHANG)).is_ok())
        .count()
}

/// Reaps adopted zombies on a thread of its own, for hotdev's life: woken by SIGCHLD (a child,
/// adopted or not, changed state), so an idle hotdev never wakes up for nothing.
pub fn start() -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGCHLD])?;
    thread::Builder::new()
        .name("hotdev-reaper".into())
        .spawn(move || {
            for _ in signals.forever() {
                reap_orphans();
            }
        })
        .map(|_| ())
}

/// Stops the adopted processes still alive (SIGTERM, SIGKILL after `grace`) and reaps them.
/// Returns each one's pid and command line, for one line of report.
pub fn stop_leftovers(grace: Duration) -> Vec<(i32, String)> {
    reap_orphans();
    let alive: Vec<(i32, String)> = {
        let tracked = tracked();
        untracked_children(&tracked)
            .into_iter()
            .filter(|c| !c.zombie)
            .map(|c| (c.pid, command_line(c.pid)))
            .collect()
    };
    if alive.is_empty() {
        return alive;
    }
    for (pid, _) in &alive {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGTERM);
    }
    let deadline = Instant::now() + grace;
    let gone = |pid: i32| kill(Pid::from_raw(pid), None).is_err();
    while Instant::now() < deadline {
        reap_orphans();
        if alive.iter().all(|(pid, _)| gone(*pid)) {
            return alive;
        }
        thread::sleep(Duration::from_millis(20));
    }
    for (pid, _) in &alive {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && !alive.iter().all(|(pid, _)| gone(*pid)) {
        reap_orphans();
        thread::sleep(Duration::from_millis(20));
    }
    alive
}

/// The live processes of group `pgid` (pid, command line), whoever their parent is.
pub fn live_in_group(pgid: i32) -> Vec<(i32, String)> {
    all_processes()
        .into_iter()
        .filter(|p| p.pgid == pgid && !matches!(p.state.as_str(), "Z" | "X"))
        .map(|p| (p.pid, command_line(p.pid)))
        .collect()
}

/// `/proc/PID/cmdline` as words, or the command name if it is empty or unreadable.
fn command_line(pid: i32) -> String {
    let words = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    if !words.is_empty() {
        return words;
    }
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_string())
        .unwrap_or_else(|_| "?".to_string())
}
