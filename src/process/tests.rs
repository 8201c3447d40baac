//! Real processes, real sockets on 127.0.0.1. Every wait is on a condition with a generous
//! deadline; a deadline only turns a hang into a failure. Each group a test starts is killed
//! and reaped by `Group` on drop, so a failing test leaves nothing running.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use nix::sys::stat::fstat;
use nix::unistd::getpgid;

use super::*;
use crate::engine::ExitStatus;
use crate::ready::testing::wait_until;
use crate::sockets::{ListenAddress, ListenSpec};

const DEADLINE: Duration = Duration::from_secs(20);

fn argv(args: &[&str]) -> CommandSpec {
    CommandSpec {
        program: Program::Argv(args.iter().map(|a| a.to_string()).collect()),
        env: BTreeMap::new(),
        env_files: Vec::new(),
    }
}

fn shell(script: &str) -> CommandSpec {
    CommandSpec {
        program: Program::Script(script.to_string()),
        env: BTreeMap::new(),
        env_files: Vec::new(),
    }
}

fn request<'a>(spec: &'a CommandSpec, listeners: Option<&'a Listeners>) -> Spawn<'a> {
    Spawn {
        spec,
        cwd: Path::new("/"),
        extra_env: Vec::new(),
        fallback_env: &[],
        listeners,
        output: Output::Inherit,
    }
}

/// A started group, killed and reaped on drop if the test did not wait for it.
struct Group {
    pgid: i32,
    waited: bool,
}

impl Group {
    fn start(req: &Spawn<'_>) -> (Group, Child) {
        let child = spawn(req).unwrap_or_else(|e| panic!("{e}"));
        (
            Group {
                pgid: child.pid,
                waited: false,
            },
            child,
        )
    }

    /// `wait_group`, bounded: a group still there after the deadline fails the test.
    fn wait(&mut self) -> ExitStatus {
        let pgid = self.pgid;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || tx.send(wait_group(pgid)));
        let status = rx
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("group {pgid} still running after {DEADLINE:?}"));
        self.waited = true;
        status
    }

    fn stop(&mut self) -> ExitStatus {
        signal_group(self.pgid, Signal::SIGKILL).unwrap();
        self.wait()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.waited {
            let _ = signal_group(self.pgid, Signal::SIGKILL);
            wait_group(self.pgid);
        }
    }
}

/// Waits until `pid` runs `program` with its exec complete, and returns its environment.
///
/// `spawn` returns when the exec closes the report pipe, but the kernel may still be closing
/// other close-on-exec fds, and lays out the new environment only after that (it sets the new
/// name first). A new name plus a readable environment means the exec is complete.
fn exec_env(pid: i32, program: &str) -> BTreeMap<String, String> {
    let mut raw = Vec::new();
    wait_until(DEADLINE, &format!("{pid} to have exec'd {program}"), || {
        raw = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        comm(pid) == program && !raw.is_empty()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    raw.split(|b| *b == 0)
        .filter_map(|var| {
            let var = String::from_utf8_lossy(var);
            let (k, v) = var.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        })
        .collect()
}

/// The child's fds, less those inherited on purpose: hotdev's own fds that are not
/// close-on-exec (whatever started the tests passed them on, as a shell would).
fn child_fds(pid: i32) -> Vec<i32> {
    let me = std::process::id() as i32;
    let inherited = |fd: &i32| {
        // Other tests open and close fds meanwhile: an fd that vanished was not inherited.
        *fd > 2 && try_fd_flags(me, *fd).is_some_and(|f| f & OFlag::O_CLOEXEC.bits() == 0)
    };
    open_fds(pid)
        .into_iter()
        .filter(|fd| !inherited(fd))
        .collect()
}

fn open_fds(pid: i32) -> Vec<i32> {
    let mut fds: Vec<i32> = fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort();
    fds
}

fn fd_target(pid: i32, fd: i32) -> String {
    fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_else(|e| format!("({e})"))
}

/// The child ends up with exactly `expected` open. Waits for it: the dynamic loader and libc
/// open and close files of their own while the program starts. A leaked fd never closes, so
/// it fails at the deadline, with the fds named.
fn assert_fds(pid: i32, expected: &[i32]) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let open = child_fds(pid);
        if open == expected {
            return;
        }
        if Instant::now() > deadline {
            let targets: Vec<String> = open.iter().map(|fd| fd_target(pid, *fd)).collect();
            panic!("fds {open:?} ({targets:?}), expected {expected:?}: contiguous, none leaked");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn comm(pid: i32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim_end().to_string())
        .unwrap_or_default()
}

/// (pid, comm, state) of every process in the group, from /proc/*/stat.
fn members(pgid: i32) -> Vec<(i32, String, char)> {
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_string();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let state = fields.first()?.chars().next()?;
            let pgrp: i32 = fields.get(2)?.parse().ok()?;
            (pgrp == pgid).then_some((pid, name, state))
        })
        .collect()
}

fn group_is_gone(pgid: i32) -> bool {
    nix::sys::signal::kill(Pid::from_raw(-pgid), None) == Err(Errno::ESRCH)
}

fn tcp(name: &str) -> ListenSpec {
    ListenSpec {
        address: ListenAddress::Tcp("127.0.0.1:0".parse().unwrap()),
        name: name.to_string(),
        from_flag: false,
    }
}

fn inode_link(fd: std::os::fd::BorrowedFd<'_>) -> String {
    format!("socket:[{}]", fstat(fd).unwrap().st_ino)
}

/// The `flags:` line of /proc/PID/fdinfo/FD, octal.
fn fd_flags(pid: i32, fd: i32) -> i32 {
    try_fd_flags(pid, fd).unwrap_or_else(|| panic!("no fdinfo for fd {fd} of {pid}"))
}

fn try_fd_flags(pid: i32, fd: i32) -> Option<i32> {
    let info = fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
    i32::from_str_radix(flags.trim(), 8).ok()
}

#[test]
fn wait_group_waits_for_an_orphaned_grandchild() {
    become_subreaper().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("marker");
    // The leader exits at once; the grandchild outlives it by longer than wait_group's
    // confirmation poll, so only re-parenting to hotdev can make wait_group wait for it.
    let script = format!("(sleep 1; echo done > '{}') & exit 3", marker.display());
    let spec = shell(&script);
    let (mut group, child) = Group::start(&request(&spec, None));
    assert_eq!(
        getpgid(Some(Pid::from_raw(child.pid))).unwrap().as_raw(),
        child.pid
    );

    let status = group.wait();

    assert_eq!(status, ExitStatus::Code(3), "the leader's status");
    assert_eq!(fs::read_to_string(&marker).unwrap(), "done\n");
    assert!(group_is_gone(child.pid));
}

#[test]
fn signal_group_reaches_the_server_behind_an_exited_shell() {
    become_subreaper().unwrap();
    let spec = shell("sleep 60 & exit 0");
    let (mut group, child) = Group::start(&request(&spec, None));
    wait_until(
        DEADLINE,
        "the server to run and its wrapper to exit",
        || {
            let members = members(child.pid);
            members.iter().any(|(_, name, _)| name == "sleep")
                && members
                    .iter()
                    .any(|(pid, _, state)| *pid == child.pid && *state == 'Z')
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));

    signal_group(child.pid, Signal::SIGTERM).unwrap();

    // `sleep 60` outlives the deadline: returning at all proves the signal reached it.
    assert_eq!(group.wait(), ExitStatus::Code(0));
    assert!(group_is_gone(child.pid));
    assert_eq!(
        signal_group(child.pid, Signal::SIGTERM),
        Ok(()),
        "gone is ok"
    );
}

#[test]
fn signal_group_refuses_pgids_that_would_hit_everything() {
    for pgid in [-5, 0, 1] {
        assert_eq!(signal_group(pgid, Signal::SIGTERM), Err(Errno::EINVAL));
    }
}

#[test]
fn a_signalled_leader_reports_the_signal() {
    let spec = argv(&["sleep", "60"]);
    let (mut group, _child) = Group::start(&request(&spec, None));
    assert_eq!(group.stop(), ExitStatus::Signal(Signal::SIGKILL as i32));
}

#[test]
fn argv_child_gets_listeners_at_fd3_with_the_systemd_environment() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("admin.sock");
    let specs = [
        tcp("http"),
        ListenSpec {
            address: ListenAddress::Unix(sock),
            name: "admin".to_string(),
            from_flag: false,
        },
    ];
    let listeners = Listeners::bind(&specs).unwrap();
    let spec = argv(&["sleep", "60"]);
    let mut req = request(&spec, Some(&listeners));
    req.extra_env = vec![("HOTDEV_BUILD_ID".to_string(), "7".to_string())];

    let (mut group, child) = Group::start(&req);

    // spawn returns after the exec: /proc shows the program's own fds and environment.
    let pid = child.pid;
    let env = exec_env(pid, "sleep");
    assert_fds(pid, &[0, 1, 2, 3, 4]);
    assert_eq!(fd_target(pid, 0), "/dev/null");
    let fds = listeners.fds();
    assert_eq!(fd_target(pid, 3), inode_link(fds[0]));
    assert_eq!(fd_target(pid, 4), inode_link(fds[1]));
    let port = listeners.first_tcp_port().unwrap().to_string();
    for (key, value) in [
        ("LISTEN_FDS", "2"),
        ("LISTEN_FDNAMES", "http:admin"),
        ("LISTEN_FDS_FIRST_FD", "3"),
        ("LISTEN_PID", &pid.to_string()),
        ("PORT", &port),
        ("HOTDEV_BUILD_ID", "7"),
    ] {
        assert_eq!(env.get(key).map(String::as_str), Some(value), "{key}");
    }
    group.stop();
}

#[test]
fn shell_script_ending_in_exec_hands_listen_pid_to_the_app() {
    let listeners = Listeners::bind(&[tcp("http")]).unwrap();
    let spec = shell("echo starting >/dev/null; exec sleep 60");
    let (mut group, child) = Group::start(&request(&spec, Some(&listeners)));

    let env = exec_env(child.pid, "sleep");
    assert_eq!(env.get("LISTEN_PID"), Some(&child.pid.to_string()));
    assert_eq!(fd_target(child.pid, 3), inode_link(listeners.fds()[0]));
    group.stop();
}

#[test]
fn spawn_leaves_the_shared_nonblocking_flag_alone() {
    let listeners = Listeners::bind(&[tcp("http")]).unwrap();
    let spec = argv(&["sleep", "60"]);
    let (mut first, child) = Group::start(&request(&spec, Some(&listeners)));
    // What a Go or Node generation does to its fd 3. The flag lives on the description the
    // child shares with hotdev, so setting it through hotdev's fd is the same thing.
    socket2::SockRef::from(&listeners.fds()[0])
        .set_nonblocking(true)
        .unwrap();
    assert_ne!(
        fd_flags(child.pid, 3) & NONBLOCK,
        0,
        "shared with the first child"
    );
    first.stop();

    let (mut second, child) = Group::start(&request(&spec, Some(&listeners)));

    // Resetting it is the shell's call (only when no generation holds the socket).
    assert_ne!(fd_flags(child.pid, 3) & NONBLOCK, 0);
    second.stop();
}

const NONBLOCK: i32 = OFlag::O_NONBLOCK.bits();

#[test]
fn without_listeners_no_handoff_variables_reach_the_child() {
    let spec = argv(&["sleep", "60"]);
    let (mut group, child) = Group::start(&request(&spec, None));
    let env = exec_env(child.pid, "sleep");
    for key in [
        "LISTEN_FDS",
        "LISTEN_PID",
        "LISTEN_FDNAMES",
        "LISTEN_FDS_FIRST_FD",
    ] {
        assert!(!env.contains_key(key), "{key}");
    }
    assert_fds(child.pid, &[0, 1, 2]);
    group.stop();
}

#[test]
fn the_child_dies_with_the_thread_that_spawned_it() {
    // PR_SET_PDEATHSIG fires when the spawning *thread* exits: the cheapest proof it is set,
    // and the reason hotdev must spawn from its long-lived main loop.
    let spec = argv(&["sleep", "60"]);
    let child = thread::spawn(move || spawn(&request(&spec, None)).unwrap())
        .join()
        .unwrap();
    let mut group = Group {
        pgid: child.pid,
        waited: false,
    };
    assert_eq!(group.wait(), ExitStatus::Signal(Signal::SIGKILL as i32));
}

#[test]
fn piped_output_is_readable() {
    let spec = shell("echo out; echo err >&2");
    let mut req = request(&spec, None);
    req.output = Output::Piped;
    let (mut group, mut child) = Group::start(&req);
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!((out.as_str(), err.as_str()), ("out\n", "err\n"));
    assert_eq!(group.wait(), ExitStatus::Code(0));
}

#[test]
fn spec_env_and_cwd_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = shell("exec sleep 60");
    spec.env.insert("GREETING".to_string(), "hello".to_string());
    let mut req = request(&spec, None);
    req.cwd = dir.path();
    let (mut group, child) = Group::start(&req);
    assert_eq!(
        exec_env(child.pid, "sleep")
            .get("GREETING")
            .map(String::as_str),
        Some("hello")
    );
    let cwd = fs::read_link(format!("/proc/{}/cwd", child.pid)).unwrap();
    assert_eq!(cwd, dir.path().canonicalize().unwrap());
    group.stop();
}

#[test]
fn a_missing_program_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = argv(&["tmp/app", "--port", "8080"]);
    let mut req = request(&spec, None);
    req.cwd = dir.path();
    let err = spawn(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start `tmp/app`: No such file or directory"
    );
}

#[test]
fn exec_errors_are_reported_even_with_listeners_at_fd3() {
    let listeners = Listeners::bind(&[tcp("a"), tcp("b"), tcp("c")]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    fs::write(&app, "#!/bin/sh\n").unwrap(); // not executable
    let spec = argv(&[app.to_str().unwrap()]);
    let err = spawn(&request(&spec, Some(&listeners))).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot start `{}`: Permission denied", app.display())
    );
}

#[test]
fn a_program_not_in_path_says_so() {
    let spec = argv(&["hotdev-no-such-program"]);
    let err = spawn(&request(&spec, None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start `hotdev-no-such-program`: not found in PATH"
    );
}

#[test]
fn a_missing_working_directory_is_named() {
    let spec = argv(&["true"]);
    let mut req = request(&spec, None);
    req.cwd = Path::new("/nonexistent/hotdev");
    let err = spawn(&req).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start `true`: the directory `/nonexistent/hotdev` does not exist"
    );
}

#[test]
fn the_program_is_looked_up_in_the_childs_path() {
    let dir = tempfile::tempdir().unwrap();
    // A symlink, not a written script: another test forking while this one held the file open
    // for writing would make the exec fail with ETXTBSY.
    std::os::unix::fs::symlink("/bin/sh", dir.path().join("myapp")).unwrap();
    let mut spec = argv(&["myapp", "-c", "exit 42"]);
    spec.env
        .insert("PATH".to_string(), dir.path().display().to_string());
    let (mut group, _child) = Group::start(&request(&spec, None));
    assert_eq!(group.wait(), ExitStatus::Code(42));
}
