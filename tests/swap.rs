//! Zero-drop swaps (issue B), end to end: pre-bound listeners handed over by the systemd
//! socket-activation protocol, swaps under continuous load, overlap rollbacks, readiness gates.
//!
//! Load = threads that open a new connection per request; any refused, reset, timed-out or
//! non-200 request is a failure. Numbers are printed (`--nocapture` shows them).

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

const RELOADS: u64 = 20;

/// go-server with `[[listen]] address = <address>` and `[run]` = `command` + `run_extra`.
fn go_listening(address: &str, command: &str, run_extra: &str) -> Fixture {
    let fx = go_server();
    write_go_config(
        &fx,
        &format!(
            "[run]\ncommand = {command:?}\n{run_extra}\n\n[[listen]]\naddress = {address:?}\nname = \"http\"\n"
        ),
    );
    fx
}

fn gen_event(h: &Hotdev, name: &str, n: u64, timeout: Duration) -> Value {
    h.wait_for(name, &[("generation", json!(n))], timeout)
        .unwrap()
}

fn ts(e: &Value) -> u64 {
    e["ts_ms"].as_u64().unwrap()
}

/// Index of the first event named `name` for generation `n`.
fn index_of(events: &[Value], name: &str, n: u64) -> Option<usize> {
    events
        .iter()
        .position(|e| matches(e, name, &[("generation", json!(n))]))
}

/// Asserts that generation `n` was ready before the generation it replaces (its `previous`)
/// was asked to stop.
fn assert_ready_before_old_stops(h: &Hotdev, n: u64) {
    let started = h
        .wait_for("generation_started", &[("generation", json!(n))], SHORT)
        .unwrap();
    let old = started["previous"]
        .as_u64()
        .unwrap_or_else(|| panic!("generation {n} replaced nothing: {started}"));
    // The new generation can serve before hotdev's stop of the old one reaches our reader.
    h.wait_for("generation_stopping", &[("generation", json!(old))], SHORT)
        .unwrap();
    let events = h.events();
    let ready = index_of(&events, "generation_ready", n)
        .unwrap_or_else(|| panic!("no generation_ready for {n}"));
    let stopping = index_of(&events, "generation_stopping", old)
        .unwrap_or_else(|| panic!("no generation_stopping for {old}"));
    assert!(
        ready < stopping,
        "generation {old} was stopped before generation {n} was ready"
    );
}

/// `RELOADS` reloads under continuous load, each checked to be served; zero failures.
fn reloads_under_load(strategy: &str) {
    let addr = free_addr();
    let overlap = strategy == "overlap";
    let run_extra = if overlap {
        "strategy = \"overlap\"\nready = { notify = true }"
    } else {
        "strategy = \"restart\""
    };
    let fx = go_listening(&addr.to_string(), "tmp/server", run_extra);
    let h = Hotdev::start(fx.path(), &[]);
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();

    // A baseline without reloads, for the latency comparison printed below (not asserted:
    // speed targets belong to the benchmark).
    let quiet = Load::start(addr, "/", 2, 1_500, Duration::from_secs(60));
    wait_until(SHORT, "1,500 requests without a reload", || {
        quiet.snapshot().total() >= 1_500
    })
    .unwrap();
    let quiet = quiet.stop();
    assert_eq!(quiet.failed, 0, "{}", quiet.summary());
    let load = Load::start(addr, "/", 2, 1_000_000, Duration::from_secs(400));
    let t0 = Instant::now();
    let mut swaps = Vec::new();
    for n in 2..=RELOADS + 1 {
        let version = format!("v{n}");
        fx.set_version("version.go", &version);
        let ok = h
            .wait_for("build_ok", &[("build", json!(n))], BUILD)
            .unwrap();
        let done = if overlap {
            gen_event(&h, "generation_ready", n, BUILD);
            gen_event(&h, "generation_exited", n - 1, SHORT)
        } else {
            gen_event(&h, "generation_started", n, BUILD)
        };
        swaps.push(ts(&done) - ts(&ok));
        wait_body(addr, "/", &version, SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(60)));
        if overlap {
            assert_ready_before_old_stops(&h, n);
        }
    }
    // The last version must reach the load too before it stops.
    let last = format!("v{}", RELOADS + 1);
    wait_until(SHORT, "the last version to be served", || {
        load.snapshot().bodies.contains_key(&last)
    })
    .unwrap();
    let stats = load.stop();
    let max_swap = swaps.iter().max().unwrap();
    let mean_swap = swaps.iter().sum::<u64>() / swaps.len() as u64;
    eprintln!("{strategy}: baseline without reloads: {}", quiet.summary());
    eprintln!(
        "{strategy}: {RELOADS} reloads in {:?}; load {}; swap (build_ok → {}) mean {mean_swap} ms, max {max_swap} ms",
        t0.elapsed(),
        stats.summary(),
        if overlap { "old exited" } else { "new started" }
    );
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    for n in 2..=RELOADS + 1 {
        assert!(
            stats.bodies.contains_key(&format!("v{n}")),
            "the load never saw v{n}: {}",
            stats.summary()
        );
    }
    assert_eq!(h.count("generation_exited"), RELOADS as usize);
    assert!(
        h.named("generation_exited")
            .iter()
            .all(|e| e["requested"] == json!(true)),
        "a generation exited on its own: {:?}",
        h.named("generation_exited")
    );
}

#[test]
fn restart_with_listen_drops_nothing_over_20_reloads() {
    reloads_under_load("restart");
}

#[test]
fn overlap_with_notify_drops_nothing_over_20_reloads() {
    reloads_under_load("overlap");
}

#[test]
fn overlap_rolls_back_a_crash_and_a_hang() {
    let addr = free_addr();
    let fx = go_listening(
        &addr.to_string(),
        "tmp/server",
        "strategy = \"overlap\"\nready = { notify = true }",
    );
    let h = Hotdev::start(fx.path(), &["--ready-timeout", "3s"]);
    gen_event(&h, "generation_ready", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();
    let load = Load::start(addr, "/", 2, 1_000_000, Duration::from_secs(300));

    // A new generation that exits at once: rolled back, generation 1 keeps serving.
    fx.set_consts("version.go", &[("version", "v2"), ("mode", "crash")]);
    let started = gen_event(&h, "generation_started", 2, BUILD);
    let rb = h
        .wait_for(
            "rolled_back",
            &[("failed", json!(2)), ("kept", json!(1))],
            SHORT,
        )
        .unwrap();
    eprintln!(
        "crash rolled back {} ms after start",
        ts(&rb) - ts(&started)
    );
    assert_eq!(get_trimmed(addr, "/").unwrap(), "v1");

    // A new generation that never gets ready: not ready after 3s, rolled back, and gone.
    fx.set_consts("version.go", &[("version", "v3"), ("mode", "hang")]);
    let started = gen_event(&h, "generation_started", 3, BUILD);
    let not_ready = gen_event(&h, "generation_not_ready", 3, SHORT);
    let waited = ts(&not_ready) - ts(&started);
    eprintln!(
        "hang: not ready after {waited} ms ({})",
        not_ready["reason"]
    );
    assert!(
        (2_900..10_000).contains(&waited),
        "ready timeout 3s, reported after {waited} ms"
    );
    h.wait_for(
        "rolled_back",
        &[("failed", json!(3)), ("kept", json!(1))],
        SHORT,
    )
    .unwrap();
    let pid3 = started["pid"].as_i64().unwrap() as i32;
    wait_until(SHORT, "the hung generation 3 to end", || {
        !process_group_alive(pid3)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nthe hung generation 3 is still alive: {:?}",
            process_group_members(pid3)
        )
    });
    assert_eq!(get_trimmed(addr, "/").unwrap(), "v1");
    assert!(index_of(&h.events(), "generation_stopping", 1).is_none());

    // The next good build swaps in.
    fx.set_consts("version.go", &[("version", "v4"), ("mode", "")]);
    gen_event(&h, "generation_ready", 4, BUILD);
    wait_body(addr, "/", "v4", SHORT).unwrap();
    assert_ready_before_old_stops(&h, 4);

    let stats = load.stop();
    eprintln!("rollbacks: load {}", stats.summary());
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    let bodies: Vec<&String> = stats.bodies.keys().collect();
    assert!(
        bodies.iter().all(|b| *b == "v1" || *b == "v4"),
        "a rolled-back version was served: {bodies:?}"
    );
}

/// The sockets reach a strict LISTEN_PID consumer (go-server exits 3 on a mismatch), at fd 3,
/// blocking, in this generation and the next.
fn strict_consumer_accepts(command: &str) {
    let addr = free_addr();
    let fx = go_listening(&addr.to_string(), command, "");
    let h = Hotdev::start(fx.path(), &[]);
    let listening = h.wait_for("listening", &[], FIRST_BUILD).unwrap();
    assert_eq!(listening["fd"], json!(3), "{listening}");
    assert_eq!(listening["name"], json!("http"), "{listening}");
    for n in 1..=2 {
        if n == 2 {
            fx.set_version("version.go", "v2");
        }
        let started = gen_event(&h, "generation_started", n, FIRST_BUILD);
        wait_body(addr, "/", &format!("v{n}"), SHORT)
            .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(60)));
        assert_eq!(
            get_trimmed(addr, "/pid").unwrap(),
            started["pid"].to_string(),
            "LISTEN_PID must be the exec'd server's pid"
        );
        assert_eq!(get_trimmed(addr, "/inherited").unwrap(), "o_nonblock=false");
    }
    let exits = h.named("generation_exited");
    assert!(
        exits.iter().all(|e| e["code"] != json!(3)),
        "go-server refused the sockets (exit 3): {exits:?}"
    );
}

#[test]
fn strict_listen_pid_consumer_accepts_the_sockets() {
    strict_consumer_accepts("tmp/server");
}

#[test]
fn strict_listen_pid_consumer_accepts_the_sockets_through_sh_exec() {
    // Shell syntax makes this `sh -c`; the `exec` keeps the pid, so LISTEN_PID must still match.
    strict_consumer_accepts("true && exec tmp/server");
}

#[test]
fn nonblock_generation_does_not_break_the_next() {
    let addr = free_addr();
    let fx = go_listening(&addr.to_string(), "tmp/server", "");
    fx.set_mode("version.go", "nonblock");
    let h = Hotdev::start(fx.path(), &[]);
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();

    fx.set_consts("version.go", &[("version", "v2"), ("mode", "")]);
    gen_event(&h, "generation_started", 2, BUILD);
    wait_body(addr, "/", "v2", SHORT).unwrap();
    assert_eq!(
        get_trimmed(addr, "/inherited").unwrap(),
        "o_nonblock=false",
        "hotdev must clear O_NONBLOCK on the listener before each spawn"
    );
}

#[test]
fn unix_listener_serves_http_across_a_swap() {
    let fx = go_server();
    let sock = fx.file("app.sock");
    write_go_config(
        &fx,
        &format!(
            "[run]\ncommand = \"tmp/server\"\n\n[[listen]]\naddress = \"unix:{}\"\nname = \"http\"\n",
            sock.display()
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(sock.clone(), "/", "v1", SHORT).unwrap();

    let load = Load::start(sock.clone(), "/", 2, 1_000_000, Duration::from_secs(120));
    fx.set_version("version.go", "v2");
    gen_event(&h, "generation_started", 2, BUILD);
    wait_body(sock.clone(), "/", "v2", SHORT).unwrap();
    let stats = load.stop();
    eprintln!("unix listener, one restart: load {}", stats.summary());
    assert_eq!(stats.failed, 0, "{}", stats.summary());
}

/// Overlap with `ready`, generation 2 in `slow-start` (listens 1s late): generation 2 must be
/// ready before generation 1 is stopped, and not before it could serve.
fn overlap_gate(ready_args: &[&str], min_ready_ms: u64) {
    let addr = free_addr();
    let fx = go_listening(&addr.to_string(), "tmp/server", "strategy = \"overlap\"");
    let h = Hotdev::start(fx.path(), ready_args);
    gen_event(&h, "generation_ready", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();

    let load = Load::start(addr, "/", 2, 1_000_000, Duration::from_secs(120));
    fx.set_consts("version.go", &[("version", "v2"), ("mode", "slow-start")]);
    let started = gen_event(&h, "generation_started", 2, BUILD);
    let ready = gen_event(&h, "generation_ready", 2, SHORT);
    gen_event(&h, "generation_stopping", 1, SHORT);
    wait_body(addr, "/", "v2", SHORT).unwrap();
    let stats = load.stop();
    eprintln!(
        "{ready_args:?}: ready_ms {} (started → ready {} ms); load {}",
        ready["ready_ms"],
        ts(&ready) - ts(&started),
        stats.summary()
    );
    assert_ready_before_old_stops(&h, 2);
    let ready_ms = ready["ready_ms"].as_u64().unwrap();
    assert!(
        ready_ms >= min_ready_ms,
        "generation 2 reported ready after {ready_ms} ms, before it could be (≥ {min_ready_ms})"
    );
    assert_eq!(stats.failed, 0, "{}", stats.summary());
}

#[test]
fn ready_log_gates_an_overlap_swap() {
    overlap_gate(&["--ready", "log:listening on"], 900);
}

#[test]
fn ready_delay_gates_an_overlap_swap() {
    overlap_gate(&["--ready", "delay:2s"], 1_900);
}

#[test]
fn ready_notify_gates_an_overlap_swap() {
    overlap_gate(&["--ready", "notify"], 900);
}

/// `http:`/`tcp:` probe `$HEALTH_ADDR`, a port each generation binds itself. Two generations
/// cannot bind one fixed port at once, so this runs under `restart`: the probe must wait until
/// the slow-starting generation listens.
fn probe_gate(ready: &str, health: std::net::SocketAddr) {
    let addr = free_addr();
    let fx = go_listening(
        &addr.to_string(),
        "tmp/server",
        &format!("env = {{ HEALTH_ADDR = \"{health}\" }}\nready = {{ {ready} }}"),
    );
    fx.set_mode("version.go", "slow-start");
    let h = Hotdev::start(fx.path(), &[]);
    for n in 1..=2 {
        if n == 2 {
            fx.set_version("version.go", "v2");
        }
        let started = gen_event(&h, "generation_started", n, FIRST_BUILD);
        let ready_event = gen_event(&h, "generation_ready", n, SHORT);
        let ready_ms = ready_event["ready_ms"].as_u64().unwrap();
        eprintln!(
            "{ready}: generation {n} ready_ms {ready_ms} (started → ready {} ms)",
            ts(&ready_event) - ts(&started)
        );
        assert!(
            ready_ms >= 900,
            "{ready}: generation {n} ready after {ready_ms} ms, before it listened"
        );
        wait_body(addr, "/", &format!("v{n}"), SHORT).unwrap();
        wait_body(health, "/", &format!("v{n}"), SHORT).unwrap();
    }
}

#[test]
fn ready_http_probe_gates_the_swap() {
    let health = free_addr();
    probe_gate(&format!("http = \"http://{health}/\""), health);
}

#[test]
fn ready_tcp_probe_gates_the_swap() {
    let health = free_addr();
    probe_gate(&format!("tcp = \"{health}\""), health);
}

#[test]
fn ready_timeout_is_reported() {
    let addr = free_addr();
    let fx = go_listening(&addr.to_string(), "tmp/server", "");
    let h = Hotdev::start(
        fx.path(),
        &[
            "--ready",
            "log:this line is never printed",
            "--ready-timeout",
            "2s",
        ],
    );
    let started = gen_event(&h, "generation_started", 1, FIRST_BUILD);
    let not_ready = gen_event(&h, "generation_not_ready", 1, SHORT);
    let waited = ts(&not_ready) - ts(&started);
    eprintln!("not ready after {waited} ms: {}", not_ready["reason"]);
    assert!(
        (1_900..10_000).contains(&waited),
        "ready timeout 2s, reported after {waited} ms"
    );
    assert!(not_ready["reason"].is_string(), "{not_ready}");
    assert_eq!(h.count("generation_ready"), 0);
}

#[test]
fn signal_strategy_serves_the_new_plugin_from_the_same_pid() {
    warm_go("go-plugin", &["build", "-o", "tmp/server", "."]);
    warm_go(
        "go-plugin",
        &[
            "build",
            "-buildmode=plugin",
            "-o",
            "tmp/warm.so",
            "./plugin",
        ],
    );
    let fx = Fixture::copy("go-plugin");
    let addr = free_addr();
    fx.write(
        ".hotdev.toml",
        &format!(
            r#"
[watch]
extensions = ["go", "mod", "sh"]
ignore = ["tmp/**"]

[build]
command = "sh build.sh"

[run]
command = "tmp/server"
strategy = "signal"
reload_signal = "SIGHUP"
env = {{ ADDR = "{addr}" }}
"#
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    let started = gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "a1", SHORT).unwrap();
    let pid = started["pid"].to_string();
    assert_eq!(get_trimmed(addr, "/pid").unwrap(), pid);

    let load = Load::start(addr, "/", 2, 1_000_000, Duration::from_secs(200));
    for (n, answer) in [(2, "a2"), (3, "a3")] {
        let cursor = h.cursor();
        fx.replace(
            "plugin/answer.go",
            &format!("\"a{}\"", n - 1),
            &format!("\"{answer}\""),
        );
        h.wait_for("build_ok", &[("build", json!(n))], BUILD)
            .unwrap();
        let reloaded = h
            .wait_event_from(
                cursor,
                |e| matches(e, "generation_reloaded", &[("generation", json!(1))]),
                SHORT,
            )
            .unwrap();
        assert_eq!(
            reloaded["signal"].as_str().map(|s| s.contains("HUP")),
            Some(true),
            "{reloaded}"
        );
        wait_body(addr, "/", answer, SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
        assert_eq!(
            get_trimmed(addr, "/pid").unwrap(),
            pid,
            "signal strategy must not restart"
        );
    }
    let stats = load.stop();
    eprintln!(
        "signal strategy, 2 plugin reloads: load {}",
        stats.summary()
    );
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    assert_eq!(h.count("generation_started"), 1);
    assert_eq!(h.count("generation_stopping"), 0);
}

/// A socket-activation consumer in Python that reports what it inherited: the LISTEN_*
/// variables, its pid, the sockets at fds 3.. and every other open fd.
const PY_CONSUMER: &str = r#"
import json, os, select, socket
n = int(os.environ.get("LISTEN_FDS", "0"))
first = 3
socks = [socket.socket(fileno=fd) for fd in range(first, first + n)]
def target(fd):
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        return "?"
fds = {}
for name in os.listdir("/proc/self/fd"):
    t = target(int(name))
    if not t.startswith("/proc/"):
        fds[name] = t
info = {
    "pid": os.getpid(),
    "env": {k: os.environ.get(k) for k in
            ["LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "LISTEN_FDS_FIRST_FD", "PORT",
             "HOTDEV_BUILD_ID", "NOTIFY_SOCKET"]},
    "names": [str(s.getsockname()) for s in socks],
    "stream": [s.type == socket.SOCK_STREAM for s in socks],
    "fds": fds,
}
body = json.dumps(info).encode()
print("listening", flush=True)
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        c, _ = s.accept()
        c.recv(65536)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        c.close()
"#;

/// fd number → link target, for this test process.
fn open_fds_of_this_process() -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                target.display().to_string(),
            ))
        })
        .collect()
}

#[test]
fn socket_activation_protocol_is_followed_exactly() {
    let fx = Fixture::empty();
    let addr = free_addr();
    let sock = fx.file("admin.sock");
    fx.write("app.py", PY_CONSUMER);
    fx.write(
        ".hotdev.toml",
        &format!(
            r#"
[watch]
extensions = ["py"]

[build]
command = "true"

[run]
command = ["python3", "app.py"]

[[listen]]
address = "{addr}"
name = "http"

[[listen]]
address = "unix:{}"
name = "admin"
"#,
            sock.display()
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    let started = h
        .wait_for(
            "generation_started",
            &[("generation", json!(1))],
            FIRST_BUILD,
        )
        .unwrap();
    let mut body = String::new();
    wait_until(SHORT, "the consumer to answer", || {
        match http_get(addr, "/") {
            Ok(b) => {
                body = b;
                true
            }
            Err(_) => false,
        }
    })
    .unwrap_or_else(|e| panic!("{e}\nthe consumer never answered\n{}", h.tail(40)));
    let info: Value = serde_json::from_str(&body).unwrap();
    eprintln!("consumer saw: {info:#}");
    let env = &info["env"];
    assert_eq!(env["LISTEN_FDS"], json!("2"));
    assert_eq!(env["LISTEN_FDNAMES"], json!("http:admin"));
    assert_eq!(env["LISTEN_FDS_FIRST_FD"], json!("3"));
    assert_eq!(env["LISTEN_PID"], json!(info["pid"].to_string()));
    assert_eq!(info["pid"], started["pid"]);
    assert_eq!(env["PORT"], json!(addr.port().to_string()));
    assert_eq!(info["stream"], json!([true, true]));
    assert_eq!(
        info["names"][0],
        json!(format!("('127.0.0.1', {})", addr.port()))
    );
    assert_eq!(info["names"][1], json!(sock.display().to_string()));
    // Nothing but stdio and the two listeners leaks into the app from hotdev. Descriptors the
    // test process itself holds open without close-on-exec (e.g. from the CI runner) pass
    // through hotdev like through any shell: they are not hotdev's.
    let ours = open_fds_of_this_process();
    let mut leaked: Vec<String> = info["fds"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(fd, target)| {
            let target = target.as_str().unwrap_or_default();
            // "?": the fd os.listdir itself used, closed by the time it was read.
            let stdio_or_listener = fd.parse::<u32>().is_ok_and(|fd| fd <= 4);
            stdio_or_listener
                || (target != "?" && ours.get(fd.as_str()).map(String::as_str) != Some(target))
        })
        .map(|(fd, target)| format!("{fd} -> {}", target.as_str().unwrap_or_default()))
        .collect();
    leaked.sort();
    let expected: Vec<String> = ["0", "1", "2", "3", "4"]
        .iter()
        .map(|fd| format!("{fd} -> {}", info["fds"][fd].as_str().unwrap_or("missing")))
        .collect();
    assert_eq!(leaked, expected, "open fds in the app");
    // The unix listener serves too.
    assert!(http_get(sock.clone(), "/").is_ok());
}

#[test]
fn rust_server_after_a_nonblock_generation_still_serves() {
    // rust-server's blocking accept fails (exit 4) on a listener left O_NONBLOCK.
    let fx = Fixture::copy("rust-server");
    let addr = free_addr();
    write_rust_config(
        &fx,
        "stop_timeout = \"2s\"",
        &format!("[[listen]]\naddress = \"{addr}\"\nname = \"http\"\n"),
    );
    fx.set_mode("src/version.rs", "nonblock");
    let h = Hotdev::start(fx.path(), &[]);
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));

    fx.set_consts("src/version.rs", &[("version", "v2"), ("mode", "")]);
    gen_event(&h, "generation_started", 2, BUILD);
    wait_body(addr, "/", "v2", SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    assert_eq!(get_trimmed(addr, "/inherited").unwrap(), "o_nonblock=false");
    for _ in 0..20 {
        assert_eq!(get_trimmed(addr, "/").unwrap(), "v2");
    }
    assert!(
        !h.named("generation_exited")
            .iter()
            .any(|e| e["generation"] == json!(2)),
        "generation 2 exited: {:?}",
        h.named("generation_exited")
    );
}

#[test]
fn port_in_use_is_a_clear_error() {
    let fx = go_server();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    write_go_config(&fx, "[run]\ncommand = \"tmp/server\"\n");
    let mut h = Hotdev::start(fx.path(), &["--listen", &port.to_string()]);
    let status = h.wait_exit(SHORT).unwrap();
    let text = h.text();
    eprintln!("{text}");
    // hotdev treats a port in use as a usage-level error (2); 1 would read as a runtime
    // failure. Either way it must fail, before building anything.
    assert!(matches!(status.code(), Some(1 | 2)), "{status}: {text}");
    assert!(
        text.contains(&port.to_string()),
        "the port is not named: {text}"
    );
    // The address came from the flag, so the fix is there, not in a [[listen]] table.
    assert!(
        text.contains("(from --listen)") && text.contains("give `--listen` another address"),
        "the flag is not named: {text}"
    );
    assert_eq!(h.count("build_started"), 0, "nothing should run: {text}");
}

#[test]
fn bare_port_listen_from_the_command_line() {
    let fx = go_server();
    std::fs::remove_file(fx.file(".hotdev.toml")).unwrap();
    let port = free_port();
    let h = Hotdev::start(
        fx.path(),
        &[
            "-e",
            "go",
            "--build",
            "go build -o tmp/server .",
            "--listen",
            &port.to_string(),
            "--",
            "tmp/server",
        ],
    );
    let listening = h.wait_for("listening", &[], SHORT).unwrap();
    assert_eq!(
        listening["address"],
        json!(format!("127.0.0.1:{port}")),
        "{listening}"
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();
    assert_eq!(get_trimmed(addr, "/inherited").unwrap(), "o_nonblock=false");
    fx.set_version("version.go", "v2");
    gen_event(&h, "generation_started", 2, BUILD);
    wait_body(addr, "/", "v2", SHORT).unwrap();
}

#[test]
fn restart_gap_is_absorbed_by_the_kernel_queue() {
    // Restart with a generation that listens 1s after it starts: the requests of that second
    // wait in the pre-bound socket's accept queue and are served late, not refused.
    let addr = free_addr();
    let fx = go_listening(&addr.to_string(), "tmp/server", "strategy = \"restart\"");
    let h = Hotdev::start(fx.path(), &[]);
    gen_event(&h, "generation_started", 1, FIRST_BUILD);
    wait_body(addr, "/", "v1", SHORT).unwrap();
    let load = Load::start(addr, "/", 2, 1_000_000, Duration::from_secs(120));
    fx.set_consts("version.go", &[("version", "v2"), ("mode", "slow-start")]);
    gen_event(&h, "generation_started", 2, BUILD);
    wait_body(addr, "/", "v2", SHORT).unwrap();
    let stats = load.stop();
    eprintln!("restart with a 1s gap: load {}", stats.summary());
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    assert!(
        stats.max_latency >= Duration::from_millis(800),
        "no request waited through the gap: {}",
        stats.summary()
    );
}
