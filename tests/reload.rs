//! The reload loop (issue A), end to end on the real binary: an edit is rebuilt and served, a
//! broken build keeps the old version serving, a change during a build cancels it, one save is
//! one build, ignored paths and the build output never build, signals stop everything, config
//! errors exit 2 with a location.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use support::*;

/// go-server on its own port, run by hotdev with `ADDR` (no pre-bound sockets).
fn go_on_own_port(run_extra: &str) -> (Fixture, SocketAddr) {
    let fx = go_server();
    let addr = free_addr();
    write_go_config(
        &fx,
        &format!("[run]\ncommand = \"tmp/server\"\nenv = {{ ADDR = \"{addr}\" }}\n{run_extra}"),
    );
    (fx, addr)
}

/// The numbers of every `build_started` so far.
fn build_numbers(h: &Hotdev) -> Vec<u64> {
    h.named("build_started")
        .iter()
        .map(|e| e["build"].as_u64().unwrap())
        .collect()
}

/// The paths of every `change` event so far.
fn changed_paths(h: &Hotdev) -> Vec<String> {
    h.named("change")
        .iter()
        .flat_map(|e| e["paths"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect()
}

/// Waits for generation `n` to start and serve `version`; returns its `generation_started`.
fn wait_serving(h: &Hotdev, addr: SocketAddr, n: u64, version: &str, timeout: Duration) -> Value {
    let started = h
        .wait_for("generation_started", &[("generation", json!(n))], timeout)
        .unwrap();
    wait_body(addr, "/", version, SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(60)));
    started
}

#[test]
fn edit_is_rebuilt_and_served() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(fx.path(), &[]);
    let g1 = wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    // A run command without shell syntax is exec'd: the generation's pid is the server's.
    assert_eq!(get_trimmed(addr, "/pid").unwrap(), g1["pid"].to_string());

    let t = Instant::now();
    fx.set_version("version.go", "v2");
    let ok = h
        .wait_for("build_ok", &[("build", json!(2))], BUILD)
        .unwrap();
    let g2 = wait_serving(&h, addr, 2, "v2", BUILD);
    assert_eq!(g2["previous"], json!(1));
    assert_eq!(get_trimmed(addr, "/pid").unwrap(), g2["pid"].to_string());
    eprintln!(
        "edit → v2 served in {:?} (build {} ms)",
        t.elapsed(),
        ok["duration_ms"]
    );
    // The old generation was asked to stop and is gone.
    h.wait_for(
        "generation_exited",
        &[("generation", json!(1)), ("requested", json!(true))],
        SHORT,
    )
    .unwrap();
    assert!(!pid_alive(g1["pid"].as_i64().unwrap() as i32));
}

#[test]
fn rust_server_edit_is_rebuilt_and_served() {
    let fx = Fixture::copy("rust-server");
    let addr = free_addr();
    let version = "src/version.rs";
    write_rust_config(&fx, &format!("env = {{ ADDR = \"{addr}\" }}"), "");
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    fx.set_version(version, "v2");
    h.wait_for("build_ok", &[("build", json!(2))], BUILD)
        .unwrap();
    wait_serving(&h, addr, 2, "v2", BUILD);
}

#[test]
fn broken_build_keeps_old_version_serving() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);

    let load = Load::start(addr, "/", 2, 100_000, Duration::from_secs(180));
    let good = fx.read("version.go");
    fx.write("version.go", &format!("{good}\nfunc broken( {{\n"));
    let failed = h
        .wait_for("build_failed", &[("build", json!(2))], BUILD)
        .unwrap();
    // `go build` exits 2 on a compile error.
    assert_eq!(failed["status"], json!("exit 2"), "{failed}");
    assert_eq!(failed["serving"], json!(1), "{failed}");
    // Keep the load on the old generation a while longer after the failure.
    let before = load.snapshot().total();
    wait_until(SHORT, "200 more requests to the old generation", || {
        load.snapshot().total() >= before + 200
    })
    .unwrap();
    let stats = load.stop();
    eprintln!("while broken: {}", stats.summary());
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    assert!(stats.ok > 0);
    assert_eq!(stats.bodies.keys().collect::<Vec<_>>(), ["v1"]);
    assert_eq!(
        h.count("generation_stopping"),
        0,
        "a failed build must not stop anything"
    );
    assert_eq!(h.count("generation_started"), 1);

    // The fix, in one write.
    fx.write("version.go", &good.replace("\"v1\"", "\"v2\""));
    wait_serving(&h, addr, 2, "v2", BUILD);
}

#[test]
fn change_during_slow_build_cancels_it() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(
        fx.path(),
        &["--build", "sh -c 'sleep 3; go build -o tmp/server .'"],
    );
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);

    fx.set_version("version.go", "v2");
    let b2 = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    fx.set_version("version.go", "v3");
    h.wait_for("build_cancelled", &[("build", json!(2))], SHORT)
        .unwrap();
    // The cancelled build's whole process group (sh and its sleep) is gone.
    let pgid = b2["pid"].as_i64().unwrap() as i32;
    wait_until(SHORT, "build 2's group to end", || {
        !process_group_alive(pgid)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nbuild 2's group is still alive: {:?}",
            process_group_members(pgid)
        )
    });
    h.wait_for("build_ok", &[("build", json!(3))], BUILD)
        .unwrap();
    wait_serving(&h, addr, 2, "v3", BUILD);

    let builds_ok: Vec<Value> = h
        .named("build_ok")
        .iter()
        .map(|e| e["build"].clone())
        .collect();
    assert_eq!(
        builds_ok,
        [json!(1), json!(3)],
        "only the newest change is built"
    );
    assert_eq!(h.count("generation_started"), 2, "v2 must never be served");
}

#[test]
fn atomic_save_triggers_exactly_one_build() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);

    fx.atomic_replace("version.go", "\"v1\"", "\"v2\"");
    h.wait_for("build_ok", &[("build", json!(2))], BUILD)
        .unwrap();
    wait_serving(&h, addr, 2, "v2", BUILD);

    // Sentinel: one more (plain) change. If the save had started a second build, the sentinel's
    // build would not be number 3.
    fx.set_version("version.go", "v3");
    wait_serving(&h, addr, 3, "v3", BUILD);
    assert_eq!(build_numbers(&h), [1, 2, 3], "{}", h.tail(40));
    assert_eq!(h.count("build_cancelled"), 0);
}

#[test]
fn ignored_paths_never_trigger_a_build() {
    let (fx, addr) = go_on_own_port("");
    fx.git_init();
    fx.write(".gitignore", "tmp/\nscratch/\n");
    let h = Hotdev::start(fx.path(), &["-i", "notes/**"]);
    h.wait_for("watching", &[], FIRST_BUILD).unwrap();
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);

    // .go files, so that the extension filter cannot be what ignores them.
    fx.write("scratch/ignored.go", "package scratch\n");
    fx.write("notes/ignored.go", "package notes\n");
    fx.write("scratch/again.go", "package scratch\n");
    // Sentinel: a real change right after. Its events come after those above, so when its build
    // starts the ignored writes have been seen; it must be build 2 and its change must not
    // name them.
    fx.set_version("version.go", "v2");
    wait_serving(&h, addr, 2, "v2", BUILD);
    assert_eq!(build_numbers(&h), [1, 2]);
    let paths = changed_paths(&h);
    assert!(
        paths
            .iter()
            .all(|p| !p.contains("/scratch/") && !p.contains("/notes/")),
        "ignored paths reached a change set: {paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.ends_with("/version.go")),
        "the change event should name version.go: {paths:?}"
    );
}

#[test]
fn build_output_never_triggers_a_build() {
    // No ignore rule, no VCS ignore file, every extension: only hotdev's own rule keeps the
    // build output (tmp/server, written by every build) from triggering the next build.
    let fx = go_server();
    let addr = free_addr();
    std::fs::remove_file(fx.file(".gitignore")).ok();
    fx.write(
        ".hotdev.toml",
        &format!(
            r#"
[build]
command = "go build -o tmp/server ."

[run]
command = "tmp/server"
env = {{ ADDR = "{addr}" }}
"#
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    // Build 2 writes tmp/server while hotdev watches; a build it triggered would be build 3
    // and come before the sentinel's.
    fx.set_version("version.go", "v2");
    wait_serving(&h, addr, 2, "v2", BUILD);
    fx.set_version("version.go", "v3");
    wait_serving(&h, addr, 3, "v3", BUILD);
    assert_eq!(build_numbers(&h), [1, 2, 3], "{}", h.tail(40));
    let output_dir = fx.file("tmp").display().to_string();
    let paths = changed_paths(&h);
    assert!(
        paths.iter().all(|p| !p.starts_with(&output_dir)),
        "the build output reached a change set: {paths:?}"
    );
}

/// Starts go-server under hotdev with `run_command`, sends `sig` to hotdev and checks that it
/// exits 0 and leaves no process behind.
fn signal_stops_everything(sig: Signal, run_command: &str) {
    let fx = go_server();
    let addr = free_addr();
    write_go_config(
        &fx,
        &format!("[run]\ncommand = \"{run_command}\"\nenv = {{ ADDR = \"{addr}\" }}\n"),
    );
    let mut h = Hotdev::start(fx.path(), &[]);
    let g1 = wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    let gen_pid = g1["pid"].as_i64().unwrap() as i32;
    let server_pid: i32 = get_trimmed(addr, "/pid").unwrap().parse().unwrap();

    let t = Instant::now();
    h.signal(sig);
    let status = h.wait_exit(SHORT).unwrap();
    eprintln!("{sig} → exit in {:?}: {status}", t.elapsed());
    assert_eq!(status.code(), Some(0), "{sig}: {status}\n{}", h.tail(40));
    h.wait_for("exit", &[("code", json!(0))], SHORT).unwrap();
    for (what, alive) in [
        ("generation pid", pid_alive(gen_pid)),
        ("server pid", pid_alive(server_pid)),
        ("generation group", process_group_alive(gen_pid)),
        ("hotdev's group", process_group_alive(h.pid())),
    ] {
        assert!(
            !alive,
            "{sig}: {what} still alive after hotdev exited: gen group {:?}, server {:?}",
            process_group_members(gen_pid),
            proc_stat(server_pid)
        );
    }
    assert!(
        http_get(addr, "/").is_err(),
        "something still serves {addr}"
    );
}

#[test]
fn sigint_exits_0_leaving_nothing() {
    signal_stops_everything(Signal::SIGINT, "tmp/server");
}

#[test]
fn sigterm_exits_0_leaving_nothing() {
    signal_stops_everything(Signal::SIGTERM, "tmp/server");
}

#[test]
fn sighup_exits_0_leaving_nothing() {
    signal_stops_everything(Signal::SIGHUP, "tmp/server");
}

// `sh -c 'tmp/server & wait'`: dash forks the server and waits; the generation's pid is the
// shell's, the server lives beside it in the same process group.
#[test]
fn sigint_exits_0_leaving_nothing_of_a_forking_shell() {
    signal_stops_everything(Signal::SIGINT, "tmp/server & wait");
}

#[test]
fn sigterm_exits_0_leaving_nothing_of_a_forking_shell() {
    signal_stops_everything(Signal::SIGTERM, "tmp/server & wait");
}

#[test]
fn sighup_exits_0_leaving_nothing_of_a_forking_shell() {
    signal_stops_everything(Signal::SIGHUP, "tmp/server & wait");
}

#[test]
fn sigkill_of_hotdev_takes_the_generation_down() {
    let (fx, addr) = go_on_own_port("");
    let mut h = Hotdev::start(fx.path(), &[]);
    let g1 = wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    let pid = g1["pid"].as_i64().unwrap() as i32;
    h.signal(Signal::SIGKILL);
    h.wait_exit(SHORT).unwrap();
    wait_until(SHORT, "generation 1 to end", || !pid_alive(pid)).unwrap_or_else(|e| {
        panic!(
            "{e}\ngeneration 1 (pid {pid}) outlived a SIGKILLed hotdev: {:?}",
            process_group_members(pid)
        )
    });
}

#[test]
fn unknown_config_key_names_file_line_and_column_and_exits_2() {
    let fx = Fixture::empty();
    fx.write(
        ".hotdev.toml",
        "[build]\ncommand = \"true\"\n\n[run]\ncommand = \"sleep 30\"\nstop_timout = \"2s\"\n",
    );
    for args in [&[][..], &["--log-format", "json"][..]] {
        let (code, stderr) = run_to_exit(fx.path(), args);
        eprintln!("{args:?}: {stderr}");
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(".hotdev.toml:6:1"),
            "{args:?}: no `.hotdev.toml:6:1` location in: {stderr}"
        );
        assert!(
            stderr.contains("stop_timout"),
            "{args:?}: key not named: {stderr}"
        );
        assert!(
            stderr.contains("stop_timeout"),
            "{args:?}: nearest valid key not suggested: {stderr}"
        );
    }
}

#[test]
fn no_config_and_no_run_command_exits_2_with_a_hint() {
    let fx = Fixture::empty();
    for args in [&[][..], &["--log-format", "json"][..]] {
        let (code, stderr) = run_to_exit(fx.path(), args);
        eprintln!("{args:?}: {stderr}");
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(".hotdev.toml") || stderr.contains("--run"),
            "{args:?}: no hint (.hotdev.toml or --run) in: {stderr}"
        );
    }
}

#[test]
fn stop_timeout_kills_a_generation_that_ignores_sigterm() {
    let (fx, addr) = go_on_own_port("");
    fx.set_mode("version.go", "ignore-term");
    let h = Hotdev::start(fx.path(), &["--stop-timeout", "1s"]);
    let g1 = wait_serving(&h, addr, 1, "v1", FIRST_BUILD);

    fx.set_consts("version.go", &[("version", "v2"), ("mode", "")]);
    let stopping = h
        .wait_for("generation_stopping", &[("generation", json!(1))], BUILD)
        .unwrap();
    let killed = h
        .wait_for("generation_killed", &[("generation", json!(1))], SHORT)
        .unwrap();
    let waited = killed["ts_ms"].as_u64().unwrap() - stopping["ts_ms"].as_u64().unwrap();
    eprintln!("ignore-term: killed {waited} ms after the stop signal");
    assert!(
        (900..5_000).contains(&waited),
        "stop timeout 1s, killed after {waited} ms"
    );
    let exited = h
        .wait_for("generation_exited", &[("generation", json!(1))], SHORT)
        .unwrap();
    assert_eq!(exited["signal"], json!(9), "{exited}");
    assert!(!pid_alive(g1["pid"].as_i64().unwrap() as i32));
    wait_serving(&h, addr, 2, "v2", SHORT);
}

#[test]
fn sigint_kills_a_generation_that_ignores_sigterm_and_exits_0() {
    let (fx, addr) = go_on_own_port("");
    fx.set_mode("version.go", "ignore-term");
    let mut h = Hotdev::start(fx.path(), &["--stop-timeout", "1s"]);
    let g1 = wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    h.signal(Signal::SIGINT);
    let status = h.wait_exit(SHORT).unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(h.count("generation_killed"), 1, "{}", h.tail(20));
    let pid = g1["pid"].as_i64().unwrap() as i32;
    assert!(
        !process_group_alive(pid),
        "{:?}",
        process_group_members(pid)
    );
}

#[test]
fn sigterm_during_a_build_kills_the_build_and_exits_0() {
    let (fx, addr) = go_on_own_port("");
    // Builds sleep a minute once `slow` exists (not a watched extension).
    let mut h = Hotdev::start(
        fx.path(),
        &[
            "--build",
            "sh -c 'test -f slow && sleep 60; go build -o tmp/server .'",
        ],
    );
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    fx.write("slow", "");
    fx.set_version("version.go", "v2");
    let build = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    let t = Instant::now();
    h.signal(Signal::SIGTERM);
    let status = h.wait_exit(SHORT).unwrap();
    eprintln!("SIGTERM during a build → exit in {:?}", t.elapsed());
    assert_eq!(status.code(), Some(0), "{status}\n{}", h.tail(20));
    let pgid = build["pid"].as_i64().unwrap() as i32;
    assert!(
        !process_group_alive(pgid),
        "the build's group outlived hotdev: {:?}",
        process_group_members(pgid)
    );
}

#[test]
fn build_timeout_fails_the_build_and_kills_it() {
    let (fx, addr) = go_on_own_port("");
    fx.write(
        ".hotdev.toml",
        &fx.read(".hotdev.toml").replace(
            "command = \"go build -o tmp/server .\"",
            "command = \"sh -c 'test -f slow && sleep 60; go build -o tmp/server .'\"\ntimeout = \"20s\"",
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    fx.write("slow", "");
    fx.set_version("version.go", "v2");
    let build = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    // 20s: generous enough that a real build on a loaded machine never hits it.
    let failed = h
        .wait_for("build_failed", &[("build", json!(2))], BUILD)
        .unwrap();
    assert_eq!(failed["status"], json!("timed out"), "{failed}");
    assert_eq!(failed["serving"], json!(1), "{failed}");
    let pgid = build["pid"].as_i64().unwrap() as i32;
    wait_until(SHORT, "the group to end", || !process_group_alive(pgid)).unwrap_or_else(|e| {
        panic!(
            "{e}\nthe timed-out build's group is alive: {:?}",
            process_group_members(pgid)
        )
    });
    assert_eq!(get_trimmed(addr, "/").unwrap(), "v1");
}

#[test]
fn missing_build_program_at_start_is_a_usage_error() {
    let (fx, _addr) = go_on_own_port("");
    let (code, stderr) = run_to_exit(fx.path(), &["--build", "./no-such-build-tool --flag"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("no-such-build-tool"), "{stderr}");
}

#[test]
fn build_that_cannot_start_is_reported_and_keeps_serving() {
    use std::os::unix::fs::PermissionsExt;
    let (fx, addr) = go_on_own_port("");
    fx.write("build-tool", "#!/bin/sh\nexec go build -o tmp/server .\n");
    std::fs::set_permissions(
        fx.file("build-tool"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let h = Hotdev::start(fx.path(), &["--build", "./build-tool"]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    std::fs::remove_file(fx.file("build-tool")).unwrap();
    fx.set_version("version.go", "v2");
    let failed = h
        .wait_for("build_failed", &[("build", json!(2))], SHORT)
        .unwrap();
    let status = failed["status"].as_str().unwrap_or_default();
    assert!(status.starts_with("cannot start"), "{failed}");
    assert_eq!(failed["serving"], json!(1), "{failed}");
    assert_eq!(get_trimmed(addr, "/").unwrap(), "v1");
}

#[test]
fn generation_that_exits_on_its_own_waits_for_the_next_change() {
    let (fx, addr) = go_on_own_port("");
    fx.set_mode("version.go", "crash");
    let h = Hotdev::start(fx.path(), &[]);
    let exited = h
        .wait_for(
            "generation_exited",
            &[("generation", json!(1))],
            FIRST_BUILD,
        )
        .unwrap();
    assert_eq!(exited["requested"], json!(false), "{exited}");
    assert_eq!(exited["code"], json!(1), "{exited}");
    h.wait_for("waiting", &[], SHORT).unwrap();
    fx.set_consts("version.go", &[("version", "v2"), ("mode", "")]);
    wait_serving(&h, addr, 2, "v2", BUILD);
}

#[test]
fn config_in_an_ancestor_runs_commands_in_its_directory() {
    let (fx, addr) = go_on_own_port("");
    fx.write("sub/dir/README", "hotdev is started here\n");
    let h = Hotdev::start(&fx.file("sub/dir"), &[]);
    let started = h.wait_for("started", &[], SHORT).unwrap();
    assert_eq!(
        started["root"].as_str().map(std::path::Path::new),
        Some(fx.path()),
        "{started}"
    );
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
}

#[test]
fn directory_flag_changes_directory_first() {
    let (fx, addr) = go_on_own_port("");
    let elsewhere = Fixture::empty();
    let dir = fx.path().display().to_string();
    let h = Hotdev::start(elsewhere.path(), &["-C", &dir]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    fx.set_version("version.go", "v2");
    wait_serving(&h, addr, 2, "v2", BUILD);
}

#[test]
fn run_command_gets_hotdev_build_id() {
    // The contract: hotdev sets HOTDEV_BUILD_ID for the build *and* the run command, so that
    // an app can tell which build it runs. Checked with a run command that prints it.
    let fx = go_server();
    let addr = free_addr();
    write_go_config(
        &fx,
        &format!(
            "[run]\ncommand = \"echo build-id=${{HOTDEV_BUILD_ID:-unset}}; exec tmp/server\"\nenv = {{ ADDR = \"{addr}\" }}\n"
        ),
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for(
        "generation_started",
        &[("generation", json!(1))],
        FIRST_BUILD,
    )
    .unwrap();
    wait_body(addr, "/", "v1", SHORT).unwrap();
    fx.set_version("version.go", "v2");
    h.wait_for("generation_started", &[("generation", json!(2))], BUILD)
        .unwrap();
    wait_body(addr, "/", "v2", SHORT).unwrap();
    let ids: Vec<String> = h
        .lines()
        .iter()
        .filter_map(|l| {
            l.strip_prefix("stdout| build-id=")
                .map(|id| id.trim().to_string())
        })
        .collect();
    assert_eq!(
        ids,
        ["1", "2"],
        "HOTDEV_BUILD_ID as seen by the run command"
    );
}

#[test]
fn json_events_stay_whole_lines_while_the_app_writes_to_stderr() {
    // The app shares hotdev's stderr (its output is passed through). Every event must reach it
    // as one write of the object *and* its newline, or an app line lands inside the event's
    // line and a JSON reader loses the event.
    let fx = Fixture::empty();
    fx.write(
        "spam.py",
        "import os, time\nend = time.time() + 120\ni = 0\nwhile time.time() < end:\n    \
         os.write(2, b\"app-line %d\\n\" % i)\n    i += 1\n    if i % 20 == 0:\n        \
         time.sleep(0.001)\n",
    );
    fx.write(
        ".hotdev.toml",
        "[watch]\nextensions = [\"txt\"]\n\n[build]\ncommand = \"true\"\n\n[run]\n\
         command = [\"python3\", \"spam.py\"]\n",
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    for n in 2..=30 {
        // Let the app (a slow-starting Python) write for a while before the next swap.
        let before = h.app_line_count();
        wait_until(SHORT, "200 more lines of app output", || {
            h.app_line_count() > before + 200
        })
        .unwrap_or_else(|e| panic!("{e}\nthe app does not write\n{}", h.tail(20)));
        fx.write("trigger.txt", &format!("{n}\n"));
        h.wait_for("generation_started", &[("generation", json!(n))], SHORT)
            .unwrap();
    }
    let torn = h.torn_lines();
    eprintln!(
        "{} events, {} app lines, {} torn event lines",
        h.events().len(),
        h.app_line_count(),
        torn.len()
    );
    assert!(
        torn.is_empty(),
        "{} event line(s) had app output written into them, e.g. {:?}",
        torn.len(),
        &torn[..torn.len().min(3)]
    );
}

#[test]
fn a_burst_of_writes_is_one_build() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(fx.path(), &[]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    // Ten saves back to back. Contents are prepared first so that the writes are a tight loop.
    let original = fx.read("version.go");
    let contents: Vec<String> = (2..=11)
        .map(|i| original.replace("\"v1\"", &format!("\"v{i}\"")))
        .collect();
    let before = h.cursor();
    let t = Instant::now();
    for content in &contents {
        std::fs::write(fx.file("version.go"), content).unwrap();
    }
    let burst = t.elapsed();
    wait_serving(&h, addr, 2, "v11", BUILD);
    // One snapshot for every count below.
    let events: Vec<Value> = h.events()[before..].to_vec();
    let changes: Vec<&Value> = events.iter().filter(|e| is(e, "change")).collect();
    let cancelled = events.iter().filter(|e| is(e, "build_cancelled")).count();
    eprintln!(
        "burst of 10 writes in {burst:?}: {} change set(s), builds {:?}",
        changes.len(),
        build_numbers(&h)
    );
    // Only generation 2 ever ran after generation 1: nothing in between was served.
    assert_eq!(h.count("generation_started"), 2);
    // Each change set after the first cancelled the build before it: one build is served.
    assert_eq!(cancelled + 1, changes.len(), "{}", h.tail(30));
    // Within the 50ms debounce the burst is one change set; or, if the test was descheduled
    // for 5ms between writes, a tentative one (the speculative build) and the rest. (A slower
    // burst on a loaded machine may be split further.)
    if burst < Duration::from_millis(25) {
        let one = changes.len() == 1;
        let early_then_rest = changes.len() == 2 && changes[0]["tentative"] == json!(true);
        assert!(one || early_then_rest, "a {burst:?} burst made {changes:?}");
    }
}

#[test]
fn poll_watcher_sees_an_edit() {
    let (fx, addr) = go_on_own_port("");
    let h = Hotdev::start(fx.path(), &["--poll=200ms"]);
    wait_serving(&h, addr, 1, "v1", FIRST_BUILD);
    fx.set_version("version.go", "v2");
    wait_serving(&h, addr, 2, "v2", BUILD);
}
