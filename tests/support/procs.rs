//! Processes, from /proc: is a pid or a process group still alive, and who is in it (for
//! failure messages). Zombies count as gone: this container's pid 1 does not reap orphans.

use std::fs;

#[derive(Debug, Clone, Copy)]
pub struct ProcStat {
    pub pid: i32,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub starttime: u64,
}

impl ProcStat {
    pub fn live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        pid,
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        pgrp: f.get(2)?.parse().ok()?,
        starttime: f.get(19)?.parse().ok()?,
    })
}

pub fn all_procs() -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(proc_stat)
        .collect()
}

/// A live (non-zombie) process with this pid exists.
pub fn pid_alive(pid: i32) -> bool {
    proc_stat(pid).is_some_and(|p| p.live())
}

/// A live (non-zombie) process in process group `pgid` exists.
pub fn process_group_alive(pgid: i32) -> bool {
    all_procs().iter().any(|p| p.pgrp == pgid && p.live())
}

/// The live members of process group `pgid`, for failure messages.
pub fn process_group_members(pgid: i32) -> Vec<String> {
    all_procs()
        .iter()
        .filter(|p| p.pgrp == pgid && p.live())
        .map(|p| {
            let cmd = fs::read(format!("/proc/{}/cmdline", p.pid))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            format!("{} ({}) {}", p.pid, p.state, cmd.trim())
        })
        .collect()
}
