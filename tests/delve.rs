//! Debugging with delve across reloads (README "Debugging with delve"): the recipe on the real
//! `dlv` (Debian's `delve`, installed by .ci/run) and the go-server fixture. Each generation
//! frees the debugger's port for the next, a client attaches to each one, and the app serves
//! the new version. With `[[listen]]`, LISTEN_PID names dlv, not the app: a consumer that takes
//! fd 3 as it is works, one that checks LISTEN_PID (go-systemd, listenfd) refuses.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::*;

const BUILD_DEBUG: &str = "go build -gcflags='all=-N -l' -o tmp/server .";

/// Fails loudly when `dlv` is missing: CI installs it, so it is a broken setup, not a skip.
fn require_dlv() {
    let ok = Command::new("dlv")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "`dlv` is not on PATH: apt-get install delve (CI does)");
}

/// dlv starts the app in a process group of its own, which the harness does not know about:
/// whatever still runs from the fixture's directory is killed when the test ends, passed or
/// failed (hotdev stops such leftovers when it exits, but the harness SIGKILLs hotdev).
struct KillLeftovers(std::path::PathBuf);

impl Drop for KillLeftovers {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
            else {
                continue;
            };
            let ours = std::fs::read_link(entry.path().join("exe"))
                .is_ok_and(|exe| exe.starts_with(&self.0));
            if ours {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// A copy of go-server after a warm-up debug build, and the guard for what dlv leaves.
fn debug_project() -> (Fixture, KillLeftovers) {
    require_dlv();
    let fx = go_server();
    let leftovers = KillLeftovers(fx.path().canonicalize().expect("fixture path"));
    warm_go(
        "go-server",
        &["build", "-gcflags=all=-N -l", "-o", "tmp/server", "."],
    );
    (fx, leftovers)
}

fn debug_config(dlv_port: u16, run_extra: &str, rest: &str) -> String {
    format!(
        "[watch]\nextensions = [\"go\"]\nignore = [\"tmp/**\"]\n\n\
         [build]\ncommand = \"{BUILD_DEBUG}\"\n\n\
         [run]\ncommand = \"dlv exec --headless --listen=127.0.0.1:{dlv_port} --api-version=2 \
         --accept-multiclient --continue tmp/server\"\n{run_extra}\n{rest}"
    )
}

/// One JSON-RPC call to delve's API server; the reply's `result`.
fn call(conn: &mut TcpStream, reader: &mut impl BufRead, method: &str, params: Value) -> Value {
    let request = json!({"method": method, "params": [params], "id": 1});
    conn.write_all(format!("{request}\n").as_bytes())
        .expect("send to dlv");
    let mut line = String::new();
    reader.read_line(&mut line).expect("reply from dlv");
    let reply: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert!(reply["error"].is_null(), "{method}: {reply}");
    reply["result"].clone()
}

/// Attaches a client to the debugger on `port` as an IDE does: halts the app, reads which
/// process it debugs, lets it run on and leaves. Returns that pid.
fn attach(port: u16) -> i64 {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect to dlv");
    conn.set_read_timeout(Some(SHORT)).expect("timeout");
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let halted = call(
        &mut conn,
        &mut reader,
        "RPCServer.Command",
        json!({"name": "halt"}),
    );
    let state = &halted["State"];
    assert_eq!(state["Running"], json!(false), "{halted}");
    // `continue` answers only when the app stops again: send it and hang up.
    let request = json!({"method": "RPCServer.Command", "params": [{"name": "continue"}], "id": 2});
    conn.write_all(format!("{request}\n").as_bytes())
        .expect("continue");
    state["Pid"].as_i64().expect("a pid")
}

#[test]
fn under_delve_ten_reloads_each_free_the_debugger_port_and_take_a_client() {
    let (fx, _leftovers) = debug_project();
    let addr = free_addr();
    let dlv_port = free_port();
    fx.write(
        ".hotdev.toml",
        &debug_config(
            dlv_port,
            &format!("env = {{ ADDR = \"{addr}\" }}\nready = {{ http = \"http://{addr}/\" }}"),
            "",
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    wait_body(addr, "/", "v1", FIRST_BUILD).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    for n in 1..=11u64 {
        if n > 1 {
            fx.set_version("version.go", &format!("v{n}"));
            wait_body(addr, "/", &format!("v{n}"), BUILD)
                .unwrap_or_else(|e| panic!("reload {}: {e}\n{}", n - 1, h.tail(40)));
        }
        h.wait_for("generation_ready", &[("generation", json!(n))], BUILD)
            .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
        let pid: i64 = get_trimmed(addr, "/pid").unwrap().parse().unwrap();
        assert_eq!(
            attach(dlv_port),
            pid,
            "generation {n}: dlv debugs another process"
        );
        // The app runs on after the client left.
        wait_body(addr, "/", &format!("v{n}"), SHORT).unwrap();
    }
    let text = h.text();
    assert!(
        !text.contains("address already in use"),
        "a generation found the debugger port taken\n{}",
        h.tail(60)
    );
    assert_eq!(h.count("generation_started"), 11, "{}", h.tail(40));
}

#[test]
fn under_delve_prebound_sockets_reach_a_lax_consumer_and_a_strict_one_refuses() {
    let (fx, _leftovers) = debug_project();
    let addr = free_addr();
    let dlv_port = free_port();
    fx.set_mode("version.go", "lax");
    fx.write(
        ".hotdev.toml",
        &debug_config(
            dlv_port,
            &format!("ready = {{ http = \"http://{addr}/\" }}"),
            &format!("[[listen]]\naddress = \"{addr}\"\n"),
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    wait_body(addr, "/", "v1", FIRST_BUILD).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    fx.set_version("version.go", "v2");
    wait_body(addr, "/", "v2", BUILD).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    // A strict consumer sees LISTEN_PID = dlv's pid and refuses the socket (exit 3).
    fx.set_consts("version.go", &[("version", "v3"), ("mode", "")]);
    // (dlv itself stays up after its app exited, waiting for clients: hotdev's readiness
    // timeout is what ends such a generation.)
    wait_until(BUILD, "hotdev to refuse the notification", || {
        h.text().contains("is not this process")
    })
    .unwrap_or_else(|e| panic!("{e}\nno refusal\n{}", h.tail(40)));
}
