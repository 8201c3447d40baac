//! Speculative builds, end to end on the real binary and the Go fixture: a save starts the
//! build as soon as the burst pauses, the swap still waits for the debounce, a later save in
//! the burst cancels the speculative build, a failed build of half a burst is never reported,
//! and `--no-speculative` waits for the debounce before building.
//!
//! The debounce is long here (seconds) so that "before the debounce ran out" is a wide window
//! that no scheduling hiccup can blur; the event timestamps (`ts_ms`) are hotdev's own.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;

const DEBOUNCE_MS: u64 = 3000;

/// go-server on its own port with a long debounce, `extra` flags on top.
fn start(extra: &[&str]) -> (Fixture, SocketAddr, Hotdev) {
    start_with(DEBOUNCE_MS, extra)
}

fn start_with(debounce_ms: u64, extra: &[&str]) -> (Fixture, SocketAddr, Hotdev) {
    let fx = go_server();
    let addr = free_addr();
    write_go_config(
        &fx,
        &format!("[run]\ncommand = \"tmp/server\"\nenv = {{ ADDR = \"{addr}\" }}\n"),
    );
    let debounce = format!("{debounce_ms}ms");
    let mut args = vec!["--debounce", &debounce];
    args.extend_from_slice(extra);
    let h = Hotdev::start(fx.path(), &args);
    h.wait_for(
        "generation_started",
        &[("generation", json!(1))],
        FIRST_BUILD,
    )
    .unwrap();
    wait_body(addr, "/", "v1", SHORT).unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    (fx, addr, h)
}

fn ts(e: &Value) -> u64 {
    e["ts_ms"].as_u64().expect("ts_ms")
}

#[test]
fn a_save_builds_at_once_and_swaps_when_the_debounce_runs_out() {
    let (fx, addr, h) = start(&[]);
    let before = h.cursor();
    fx.atomic_replace("version.go", "\"v1\"", "\"v2\"");
    let change = h
        .wait_event_from(before, |e| is(e, "change"), SHORT)
        .unwrap();
    let build = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    assert_eq!(change["tentative"], json!(true), "{change}");
    assert_eq!(build["speculative"], json!(true), "{build}");
    let g2 = h
        .wait_for("generation_started", &[("generation", json!(2))], BUILD)
        .unwrap();
    wait_body(addr, "/", "v2", SHORT).unwrap();
    let ok = h
        .wait_for("build_ok", &[("build", json!(2))], SHORT)
        .unwrap();
    eprintln!(
        "change at {} ms, build started +{} ms, ok +{} ms, generation 2 +{} ms",
        ts(&change),
        ts(&build) - ts(&change),
        ts(&ok) - ts(&change),
        ts(&g2) - ts(&change)
    );
    // The build did not wait for the debounce (it started on the 5ms pause)...
    assert!(ts(&build) - ts(&change) < DEBOUNCE_MS / 2, "{}", h.tail(20));
    // ...but the swap did: the burst could have gone on until then. (The change was sent 5ms
    // after the save's last event, the burst ends `DEBOUNCE_MS` after it.)
    assert!(
        ts(&g2) - ts(&change) >= DEBOUNCE_MS - 100,
        "swapped before the burst was over: {}",
        h.tail(20)
    );
    assert_eq!(h.count("build_cancelled"), 0);
}

#[test]
fn a_second_save_in_the_burst_cancels_the_speculative_build() {
    let (fx, addr, h) = start(&[]);
    fx.set_version("version.go", "v2");
    let b2 = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    assert_eq!(b2["speculative"], json!(true), "{b2}");
    // Still inside the 3s burst: the v2 build is stale now, whatever state it is in.
    fx.set_version("version.go", "v3");
    let cancelled = h
        .wait_for("build_cancelled", &[("build", json!(2))], SHORT)
        .unwrap();
    // At once, not when the burst ends: the stale build must not take CPU from anything.
    assert!(ts(&cancelled) - ts(&b2) < DEBOUNCE_MS / 2, "{}", h.tail(20));
    let b3 = h
        .wait_for("build_started", &[("build", json!(3))], BUILD)
        .unwrap();
    assert_eq!(
        b3["speculative"],
        json!(false),
        "one speculative build per burst: the rest waits for the debounce: {b3}"
    );
    h.wait_for("generation_started", &[("generation", json!(2))], BUILD)
        .unwrap();
    wait_body(addr, "/", "v3", SHORT).unwrap();
    assert_eq!(h.count("generation_started"), 2, "v2 must never be served");
    assert!(
        !h.named("build_ok").iter().any(|e| e["build"] == json!(2)),
        "{}",
        h.tail(20)
    );
    let pgid = b2["pid"].as_i64().unwrap() as i32;
    wait_until(SHORT, "the build's group to end", || {
        !process_group_alive(pgid)
    })
    .unwrap();
}

#[test]
fn a_failed_build_of_half_a_burst_is_never_reported() {
    // Long enough for a compile error to come back well inside the burst on a loaded machine.
    let (fx, addr, h) = start_with(8000, &[]);
    let good = fx.read("version.go");
    fx.write("version.go", &format!("{good}\nfunc broken( {{\n"));
    let b2 = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    // Let the speculative build fail (its whole group gone) while the burst still runs.
    let pgid = b2["pid"].as_i64().unwrap() as i32;
    wait_until(BUILD, "the build's group to end", || {
        !process_group_alive(pgid)
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(20)));
    fx.write("version.go", &good.replace("\"v1\"", "\"v2\""));
    h.wait_for("generation_started", &[("generation", json!(2))], BUILD)
        .unwrap();
    wait_body(addr, "/", "v2", SHORT).unwrap();
    assert_eq!(
        h.count("build_failed"),
        0,
        "the half-saved state's failure was reported: {}",
        h.tail(30)
    );
    h.wait_for("build_cancelled", &[("build", json!(2))], SHORT)
        .unwrap();
}

#[test]
fn no_speculative_builds_only_when_the_debounce_runs_out() {
    let (fx, addr, h) = start(&["--no-speculative"]);
    let before = h.cursor();
    let saved = Instant::now();
    fx.atomic_replace("version.go", "\"v1\"", "\"v2\"");
    let change = h
        .wait_event_from(before, |e| is(e, "change"), BUILD)
        .unwrap();
    let waited = saved.elapsed();
    let build = h
        .wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    assert_eq!(change["tentative"], json!(false), "{change}");
    assert_eq!(build["speculative"], json!(false), "{build}");
    assert!(
        waited >= Duration::from_millis(DEBOUNCE_MS),
        "the change came {waited:?} after the save, before the debounce ran out"
    );
    h.wait_for("generation_started", &[("generation", json!(2))], BUILD)
        .unwrap();
    wait_body(addr, "/", "v2", SHORT).unwrap();
}
