//! Reliability of processes and sockets, end to end on the real binary: an app that polls a
//! non-blocking shared listener under overlap, and what a shutdown during a build reports.

mod support;

use nix::sys::signal::Signal;
use serde_json::json;
use support::*;

/// A Python app that polls its inherited listener (fd 3) non-blocking, as Go's runtime and Node
/// do, sends READY=1, and leaves its loop once a signal thread has seen SIGTERM. If hotdev clears O_NONBLOCK under it, it
/// blocks in accept, never sees its stop flag, and is SIGKILLed after the stop timeout.
const POLLING_APP: &str = r#"
import os, signal, socket, sys, threading, time
listener = socket.socket(fileno=3)
listener.setblocking(False)
stop = False
# SIGTERM is taken by a thread of its own, as in a Go or Rust server: it never interrupts
# the accept of the serving thread.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
def on_term():
    global stop
    signal.sigwait({signal.SIGTERM})
    stop = True
threading.Thread(target=on_term, daemon=True).start()
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
while not stop:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        time.sleep(0.005)
        continue
    conn.setblocking(True)
    conn.recv(4096)
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    conn.close()
sys.exit(0)
"#;

#[test]
fn overlap_leaves_a_polling_generation_nonblocking_so_it_stops_on_sigterm() {
    let addr = free_addr();
    let fx = Fixture::empty();
    fx.write("app.py", POLLING_APP);
    fx.write("trigger.txt", "0");
    fx.write(
        ".hotdev.toml",
        &format!(
            "[build]\ncommand = \"true\"\n\n[run]\ncommand = [\"python3\", \"app.py\"]\n\
             strategy = \"overlap\"\nready = {{ notify = true }}\nstop_timeout = \"3s\"\n\n\
             [[listen]]\naddress = \"{addr}\"\nname = \"http\"\n"
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_ready", &[("generation", json!(1))], SHORT)
        .unwrap();
    wait_body(addr, "/", "ok", SHORT).unwrap();
    for n in 2..=5u64 {
        fx.write("trigger.txt", &n.to_string());
        h.wait_for("generation_ready", &[("generation", json!(n))], SHORT)
            .unwrap();
        // Idle: nothing wakes a blocked accept, so only a still non-blocking one sees SIGTERM.
        h.wait_for("generation_exited", &[("generation", json!(n - 1))], SHORT)
            .unwrap();
        assert_eq!(h.count("generation_killed"), 0, "{}", h.tail(20));
        wait_body(addr, "/", "ok", SHORT).unwrap();
    }
    // Under load too: a request between reloads.
    let load = Load::start(addr, "/", 2, u64::MAX, BUILD);
    for n in 6..=8u64 {
        fx.write("trigger.txt", &n.to_string());
        h.wait_for("generation_exited", &[("generation", json!(n - 1))], SHORT)
            .unwrap();
    }
    let stats = load.stop();
    assert_eq!(h.count("generation_killed"), 0, "{}", h.tail(20));
    assert_eq!(stats.failed, 0, "{}", stats.summary());
}

#[test]
fn ctrl_c_during_a_build_says_the_shutdown_cancelled_it() {
    let fx = Fixture::empty();
    let mut h = Hotdev::start(fx.path(), &["--build", "sleep 60", "--", "sleep", "1000"]);
    h.wait_for("build_started", &[("build", json!(1))], SHORT)
        .unwrap();
    h.signal(Signal::SIGINT);
    h.wait_exit(SHORT).unwrap();
    let cancelled = h
        .wait_for("build_cancelled", &[("build", json!(1))], SHORT)
        .unwrap();
    assert_eq!(cancelled["reason"], json!("shutdown"), "{}", h.tail(20));
    assert!(
        !h.text().contains("a newer change arrived"),
        "{}",
        h.tail(20)
    );
}

/// hotdev's children that are zombies.
fn zombies_of(pid: i32) -> Vec<i32> {
    all_procs()
        .iter()
        .filter(|p| p.ppid == pid && p.state == 'Z')
        .map(|p| p.pid)
        .collect()
}

#[test]
fn setsid_daemons_of_the_app_are_reaped_and_leave_no_zombies() {
    let fx = Fixture::empty();
    fx.write("trigger.txt", "0");
    let h = Hotdev::start(
        fx.path(),
        &[
            "--build",
            "true",
            "--run",
            "(setsid sleep 0.2 &); exec sleep 1000",
        ],
    );
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    for n in 2..=11u64 {
        fx.write("trigger.txt", &n.to_string());
        h.wait_for("generation_started", &[("generation", json!(n))], SHORT)
            .unwrap();
    }
    // Each generation's daemon lives 0.2s, then is re-parented to hotdev and must be reaped.
    wait_until(SHORT, "hotdev's zombie children to be reaped", || {
        zombies_of(h.pid()).is_empty()
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nzombie children of hotdev after 10 swaps: {:?}",
            zombies_of(h.pid())
        )
    });
}

#[test]
fn a_setsid_daemon_of_the_app_is_stopped_when_hotdev_exits() {
    let fx = Fixture::empty();
    let mut h = Hotdev::start(
        fx.path(),
        &["--run", "(setsid sleep 1003 &); exec sleep 1000"],
    );
    let g1 = h
        .wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    let pgid = g1["pid"].as_i64().unwrap() as i32;
    let hotdev = h.pid();
    let daemon = || {
        all_procs().into_iter().find(|p| {
            p.ppid == hotdev
                && p.live()
                && p.pgrp != pgid
                && fs_cmdline(p.pid).contains("sleep 1003")
        })
    };
    wait_until(SHORT, "the app's setsid daemon to start", || {
        daemon().is_some()
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(20)));
    let pid = daemon().map(|p| p.pid).unwrap_or_default();
    h.signal(Signal::SIGINT);
    h.wait_exit(SHORT).unwrap();
    wait_until(SHORT, "the daemon to end", || !pid_alive(pid))
        .unwrap_or_else(|e| panic!("{e}\nthe app's setsid daemon {pid} outlived hotdev"));
    assert!(
        h.text().contains(&format!("{pid} (sleep 1003)")),
        "{}",
        h.tail(20)
    );
}

fn fs_cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .unwrap_or_default()
}

/// Starts hotdev with `build`, checks build 1 is ok well before its background `sleep 12`
/// would end, the app is started, and the build's group is gone, with one line saying so.
fn background_child_does_not_hold_the_build(build: &str) {
    let fx = Fixture::empty();
    let h = Hotdev::start(fx.path(), &["--build", build, "--", "sleep", "1000"]);
    let started = h
        .wait_for("build_started", &[("build", json!(1))], SHORT)
        .unwrap();
    let pgid = started["pid"].as_i64().unwrap() as i32;
    let ok = h
        .wait_for("build_ok", &[("build", json!(1))], SHORT)
        .unwrap();
    let took = ok["duration_ms"].as_u64().unwrap();
    assert!(took < 5_000, "build 1 took {took} ms: {}", h.tail(20));
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    wait_until(SHORT, "the build's group to end", || {
        !process_group_alive(pgid)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nthe build's background child outlived it: {:?}",
            process_group_members(pgid)
        )
    });
    assert!(
        h.text()
            .contains("build 1: killed 1 background process left by the build (sleep 12)"),
        "{}",
        h.tail(20)
    );
}

#[test]
fn a_background_child_with_closed_output_does_not_hold_the_build_open() {
    background_child_does_not_hold_the_build(
        "sh -c 'echo building; (sleep 12 </dev/null >/dev/null 2>&1 &); echo built'",
    );
}

#[test]
fn a_background_child_holding_the_output_pipe_does_not_hold_the_build_open() {
    background_child_does_not_hold_the_build("sh -c 'echo building; (sleep 12 &); echo built'");
}

/// Write system calls made by process `pid` so far (all its threads), from /proc/PID/io.
fn write_syscalls(pid: i32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines()
        .find_map(|line| line.strip_prefix("syscw: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no syscw in /proc/{pid}/io: {io}"))
}

/// A `log` readiness check puts hotdev between the app and the terminal: the copy must keep
/// up with a chatty app, so it writes once per read, never once per line (per line, 20,000
/// lines cost 20,000 writes, and the app blocked on its full pipe meanwhile).
#[test]
fn a_log_readiness_check_copies_a_chatty_app_per_read_not_per_line() {
    const LINES: usize = 20_000;
    let fx = Fixture::empty();
    fx.write(
        "app.py",
        &format!(
            "import sys, time\nsys.stdout.write('listening\\n')\nsys.stdout.flush()\n\
             sys.stdout.write('line\\n' * {LINES})\nsys.stdout.flush()\ntime.sleep(600)\n"
        ),
    );
    fx.write(
        ".hotdev.toml",
        "[run]\ncommand = [\"python3\", \"app.py\"]\nready = { log = \"listening\" }\n",
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_ready", &[("generation", json!(1))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(20)));
    wait_until(SHORT, "every line of the app's output", || {
        h.app_line_count() > LINES
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\n{} of {} lines arrived\n{}",
            h.app_line_count(),
            LINES + 1,
            h.tail(20)
        )
    });
    let writes = write_syscalls(h.pid());
    assert!(
        writes < 1_000,
        "hotdev made {writes} write calls to pass on {LINES} lines"
    );
}
