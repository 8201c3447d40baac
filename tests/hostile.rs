//! What a hostile (or just unlucky) user feeds hotdev, end to end on the real binary: file
//! names with any byte, durations out of range, malformed values. hotdev must neither panic
//! nor let outside text drive the terminal. No Go here: tiny shell commands, so these are fast.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use support::*;

const DEADLINE: Duration = Duration::from_secs(30);

/// `name` (any bytes) inside the fixture.
fn odd_path(fx: &Fixture, name: &[u8]) -> PathBuf {
    fx.path().join(OsStr::from_bytes(name))
}

#[test]
fn a_non_utf8_file_name_is_reported_lossily_in_json_and_hotdev_keeps_serving() {
    let fx = Fixture::empty();
    fx.write("main.go", "package main\n");
    let h = Hotdev::start(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    let g1 = h
        .wait_for("generation_started", &[("generation", json!(1))], DEADLINE)
        .unwrap();

    std::fs::write(odd_path(&fx, b"bad\xff.go"), "x").unwrap();
    let change = h
        .wait_event(
            |e| {
                is(e, "change")
                    && e["paths"].as_array().is_some_and(|p| {
                        p.iter()
                            .any(|p| p.as_str().is_some_and(|p| p.ends_with("/bad\u{fffd}.go")))
                    })
            },
            DEADLINE,
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    assert_eq!(change["count"], json!(1));
    // The change is acted on like any other: hotdev neither panicked nor lost the app.
    h.wait_for("generation_started", &[("generation", json!(2))], DEADLINE)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    h.wait_for(
        "generation_exited",
        &[("generation", json!(1)), ("requested", json!(true))],
        DEADLINE,
    )
    .unwrap();
    assert!(pid_alive(h.pid()), "hotdev died:\n{}", h.tail(30));
    assert!(!h.text().contains("panicked"), "{}", h.tail(30));
    assert_ne!(g1["pid"], json!(null));
}

#[test]
fn a_file_name_cannot_forge_a_status_line_or_drive_the_terminal() {
    let fx = Fixture::empty();
    let mut h = Hotdev::start_human(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    wait_until(DEADLINE, "generation 1", || {
        h.text().contains("generation 1")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));

    let evil = b"evil\nhotdev \xe2\x9c\x93 build 99 ok 0.01s\x1b[2J\x1b]0;TITLE\x07.txt";
    std::fs::write(odd_path(&fx, evil), "x").unwrap();
    std::fs::write(odd_path(&fx, b"bytes\xff\xfe.txt"), "x").unwrap();
    wait_until(DEADLINE, "generation 2", || {
        h.text().contains("generation 2")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    let text = h.text();
    // Shown, escaped, on one line.
    assert!(
        text.contains(r"evil\nhotdev ✓ build 99 ok 0.01s\x1b[2J\x1b]0;TITLE\x07.txt"),
        "{text}"
    );
    assert!(text.contains(r"bytes\xff\xfe.txt"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("build 99 ok") && !l.contains("evil")),
        "a forged status line:\n{text}"
    );
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    h.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(h.wait_exit(DEADLINE).unwrap().code(), Some(0));
}

#[test]
fn durations_out_of_range_exit_2_with_their_flag_or_position() {
    let fx = Fixture::empty();
    for (flag, problem) in [
        ("--poll=500000000000y", "too long"),
        ("--debounce=200000000000y", "too long"),
        ("--poll=1ns", "too short"),
        ("--stop-timeout=3days", "too long"),
        ("--ready-timeout=500000000000y", "too long"),
    ] {
        let (code, stderr) = run_to_exit(fx.path(), &[flag, "--", "sleep", "1000"]);
        let name = flag.split('=').next().unwrap();
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(problem),
            "{flag}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{flag}: {stderr}");
    }
    for (line, at) in [
        ("[watch]\npoll = \"500000000000y\"\n", ".hotdev.toml:2:8"),
        ("[watch]\npoll = \"1ns\"\n", ".hotdev.toml:2:8"),
        ("[watch]\ndebounce = \"2h\"\n", ".hotdev.toml:2:12"),
        (
            "[build]\ncommand = \"true\"\ntimeout = \"9999d\"\n",
            ".hotdev.toml:3:11",
        ),
        ("[run]\nready = { delay = \"400d\" }\n", ".hotdev.toml:2:19"),
    ] {
        let run = if line.starts_with("[run]") {
            line.replace("[run]\n", "[run]\ncommand = \"sleep 1000\"\n")
        } else {
            format!("{line}[run]\ncommand = \"sleep 1000\"\n")
        };
        fx.write(".hotdev.toml", &run);
        let (code, stderr) = run_to_exit(fx.path(), &[]);
        assert_eq!(code, Some(2), "{line}: {stderr}");
        let at = if line.starts_with("[run]") {
            at.replace(":2:", ":3:")
        } else {
            at.to_string()
        };
        assert!(stderr.contains(&at), "{line}: no {at} in {stderr}");
    }
}

#[test]
fn a_dead_watcher_stops_everything_and_exits_1() {
    let fx = Fixture::empty();
    let mut h = Hotdev::start_with_env(
        fx.path(),
        &["--build", "true", "--", "sleep", "1000"],
        &[("HOTDEV_FAULT", "watcher-panic")],
    );
    let status = h.wait_exit(DEADLINE).unwrap();
    assert_eq!(status.code(), Some(1), "{}", h.tail(30));
    let error = h
        .wait_event(|e| is(e, "error"), DEADLINE)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    assert!(
        error["message"].as_str().unwrap_or("").contains("watcher"),
        "{error}"
    );
    // Whatever it had started is gone with it.
    for pgid in h.reported_groups() {
        assert!(!process_group_alive(pgid), "group {pgid} survived");
    }
    h.wait_for("exit", &[("code", json!(1))], DEADLINE).unwrap();
}

#[test]
fn an_env_name_with_an_equals_sign_is_refused_at_its_line() {
    let fx = Fixture::empty();
    for (table, at) in [("run", ".hotdev.toml:3:"), ("build", ".hotdev.toml:2:")] {
        let text = match table {
            "run" => "[run]\ncommand = \"sleep 1000\"\nenv = { \"A=B\" = \"x\" }\n".to_string(),
            _ => "[build]\nenv = { \"A=B\" = \"x\" }\ncommand = \"true\"\n[run]\ncommand = \"sleep 1000\"\n"
                .to_string(),
        };
        fx.write(".hotdev.toml", &text);
        let (code, stderr) = run_to_exit(fx.path(), &[]);
        assert_eq!(code, Some(2), "{table}: {stderr}");
        assert!(stderr.contains(at), "{table}: no {at} in {stderr}");
        assert!(stderr.contains("cannot contain `=`"), "{table}: {stderr}");
    }
}

#[test]
fn a_config_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let fx = Fixture::empty();
    std::fs::write(
        fx.file(".hotdev.toml"),
        b"[run]\ncommand = \"sleep 1000\"\n# caf\xe9\n",
    )
    .unwrap();
    let (code, stderr) = run_to_exit(fx.path(), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(".hotdev.toml:3:6: the file is not UTF-8: byte 0xe9 at offset 34"),
        "{stderr}"
    );
}
