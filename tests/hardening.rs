//! Hardening, end to end: an event storm is one build, a SIGKILLed hotdev leaves nothing of a
//! forking shell behind (the guard), and a crashing app is restarted with backoff, not in a
//! tight loop. No Go here: these use tiny shell commands, so they are fast.

mod support;

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use support::*;

const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn a_storm_of_2000_changed_files_is_one_build() {
    let fx = Fixture::empty();
    let files: Vec<String> = (0..2000)
        .map(|i| format!("src/m{:02}/f{i}.txt", i % 40))
        .collect();
    for file in &files {
        fx.write(file, "0");
    }
    // A debounce well above a scheduling hiccup: on a loaded machine the writing loop below
    // can be descheduled for more than the default 50ms, which truly ends a burst.
    let h = Hotdev::start(
        fx.path(),
        &[
            "--debounce",
            "500ms",
            "--build",
            "true",
            "--",
            "sleep",
            "1000",
        ],
    );
    h.wait_for("generation_started", &[("generation", json!(1))], DEADLINE)
        .unwrap();
    // The watches are set up beside the first build: the storm is one burst only once they
    // are all in place (a write in a directory watched late is found by the set-up's rescan,
    // a burst of its own).
    h.wait_for("watching", &[], DEADLINE).unwrap();
    let before = h.cursor();
    // As a `git checkout` would: every file rewritten, back to back.
    let mut longest_gap = Duration::ZERO;
    let mut last = std::time::Instant::now();
    for file in &files {
        std::fs::write(fx.file(file), "1").unwrap();
        longest_gap = longest_gap.max(last.elapsed());
        last = std::time::Instant::now();
    }
    // Then one more, distinct change after the storm, to know when the storm is fully seen.
    let served = h
        .wait_event_from(before, |e| is(e, "build_ok"), DEADLINE)
        .unwrap();
    let n = served["build"].as_u64().unwrap();
    // Saved in one rename: no pause between its creation and its content to split it.
    fx.atomic_write("sentinel.txt", "s");
    h.wait_event_from(
        before,
        |e| is(e, "build_ok") && e["build"].as_u64() > Some(n),
        DEADLINE,
    )
    .unwrap();
    // The storm is every change before the first that names the sentinel. (The sentinel's
    // own may come as a tentative change and its confirmation: a pause of 5ms between its
    // creation and its write is enough on a loaded machine.)
    let changes = h.named("change");
    let names_sentinel = |c: &serde_json::Value| c["paths"].to_string().contains("sentinel.txt");
    let at = changes
        .iter()
        .position(names_sentinel)
        .unwrap_or_else(|| panic!("no change names the sentinel: {changes:?}"));
    let storm = &changes[..at];
    assert!(
        changes[at..].iter().all(names_sentinel),
        "a change after the sentinel named something else: {changes:?}"
    );
    let paths: u64 = storm.iter().filter_map(|c| c["count"].as_u64()).sum();
    let overflow = storm.iter().any(|c| c["overflow"] == true);
    eprintln!(
        "storm: {paths} paths, overflow {overflow}, change sets {}, longest gap between writes {longest_gap:?}",
        storm.len()
    );
    assert!(
        paths == 2000 || overflow,
        "the storm's change sets name every file or say they overflowed: {storm:?}"
    );
    // One change set; or, if the writer paused for 5ms mid-storm, a tentative one (whose
    // speculative build the rest cancelled) and the rest.
    let one = storm.len() == 1;
    let early_then_rest = storm.len() == 2 && storm[0]["tentative"] == json!(true);
    assert!(one || early_then_rest, "{storm:?}");
    let sentinel_at = changes[at]["ts_ms"].as_u64();
    let cancelled_in_storm = h
        .named("build_cancelled")
        .iter()
        .filter(|c| c["ts_ms"].as_u64() < sentinel_at)
        .count();
    assert_eq!(cancelled_in_storm, storm.len() - 1, "{}", h.tail(20));
    assert_eq!(
        h.count("build_ok"),
        3,
        "build 1, the storm's, the sentinel's: {}",
        h.tail(20)
    );
}

#[test]
fn sigkill_of_hotdev_leaves_nothing_of_a_forking_shell() {
    let fx = Fixture::empty();
    // A shell that forks a worker and then becomes the server: PDEATHSIG alone would only
    // reach the shell-turned-server, never the worker.
    let mut h = Hotdev::start(fx.path(), &["--run", "sleep 1001 & exec sleep 1002"]);
    let g1 = h
        .wait_for("generation_started", &[("generation", json!(1))], DEADLINE)
        .unwrap();
    let pgid = g1["pid"].as_i64().unwrap() as i32;
    wait_until(DEADLINE, "both processes of generation 1's group", || {
        process_group_members(pgid).len() == 2
    })
    .unwrap();
    h.signal(Signal::SIGKILL);
    h.wait_exit(DEADLINE).unwrap();
    wait_until(DEADLINE, "generation 1's group to end", || {
        !process_group_alive(pgid)
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}\nthe generation's group outlived a SIGKILLed hotdev: {:?}",
            process_group_members(pgid)
        )
    });
}

#[test]
fn a_crashing_app_is_restarted_with_growing_delays_not_in_a_loop() {
    let fx = Fixture::empty();
    let h = Hotdev::start(
        fx.path(),
        &["--restart", "on-failure", "--", "sh", "-c", "exit 3"],
    );
    let first = h
        .wait_for("restarting", &[("attempt", json!(1))], DEADLINE)
        .unwrap();
    let second = h
        .wait_for("restarting", &[("attempt", json!(2))], DEADLINE)
        .unwrap();
    assert_eq!(first["delay_ms"], 1000);
    assert_eq!(second["delay_ms"], 2000);
    // The second crash came only after the first delay had passed.
    let gap = second["ts_ms"].as_u64().unwrap() - first["ts_ms"].as_u64().unwrap();
    assert!(
        gap >= 1000,
        "restarted after {gap}ms, before the 1s backoff"
    );
    assert_eq!(h.count("generation_started"), 2, "{}", h.tail(20));
}

#[test]
fn an_app_that_exits_cleanly_is_not_restarted_by_on_failure() {
    let fx = Fixture::empty();
    let h = Hotdev::start(
        fx.path(),
        &["--restart", "on-failure", "--", "sh", "-c", "exit 0"],
    );
    h.wait_for("waiting", &[], DEADLINE).unwrap();
    assert_eq!(h.count("restarting"), 0);
}

#[test]
fn an_edited_config_is_applied_and_a_broken_one_rejected_without_restarting() {
    let fx = Fixture::empty();
    let config = "[build]\ncommand = \"true\"\n\n[run]\ncommand = \"sleep 1001\"\n";
    fx.write(".hotdev.toml", config);
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_started", &[("generation", json!(1))], DEADLINE)
        .unwrap();

    // A broken edit: reported with its line, the old config stays, nothing restarts.
    let before = h.cursor();
    fx.atomic_write(
        ".hotdev.toml",
        &config.replace("command = \"sleep", "comand = \"sleep"),
    );
    let error = h
        .wait_event_from(before, |e| is(e, "error"), DEADLINE)
        .unwrap();
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(".hotdev.toml:5:1") && message.contains("keeping the previous"),
        "{message}"
    );

    // A good edit: applied, and the next generation runs the new command.
    fx.atomic_write(".hotdev.toml", &config.replace("sleep 1001", "sleep 1002"));
    h.wait_event_from(before, |e| is(e, "config_reloaded"), DEADLINE)
        .unwrap();
    let g2 = h
        .wait_for("generation_started", &[("generation", json!(2))], DEADLINE)
        .unwrap();
    let pid = g2["pid"].as_i64().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert_eq!(String::from_utf8_lossy(&cmdline), "sleep\u{0}1002\u{0}");
    assert_eq!(h.count("config_reloaded"), 1);
}

/// Runs hotdev under `ulimit -n LIMIT` until it exits or `generation_started` shows it runs;
/// returns (exit code if it exited, stderr).
fn under_fd_limit(limit: u32) -> (Option<i32>, String) {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let fx = Fixture::empty();
    let script = format!(
        "ulimit -n {limit} && exec \"$0\" --no-keys --log-format json --build true -- sleep 1003"
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_hotdev")])
        .current_dir(fx.path())
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sh runs");
    let pgid = child.id() as i32;
    let mut stderr = child.stderr.take().expect("piped");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = std::sync::Arc::clone(&seen);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
    });
    // Settled: it exited, or the app runs, or it is up and said what it could not do (then it
    // waits for the next change, which is right: no spinning, no silent death).
    let settled = wait_until(DEADLINE, "hotdev to run the app, exit or say why", || {
        matches!(child.try_wait(), Ok(Some(_)))
            || seen.lock().is_ok_and(|t| {
                ["error", "build_failed", "generation_started"]
                    .iter()
                    .any(|name| t.contains(&format!("\"event\":\"{name}\"")))
            })
    })
    .is_ok();
    assert!(
        settled,
        "hotdev under ulimit -n {limit} neither ran, nor exited, nor said why: {}",
        seen.lock().map(|t| t.clone()).unwrap_or_default()
    );
    let code = match child.try_wait() {
        Ok(Some(status)) => status.code(),
        _ => {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), Signal::SIGTERM);
            let _ = child.wait();
            None
        }
    };
    let _ = reader.join();
    let text = seen.lock().map(|t| t.clone()).unwrap_or_default();
    (code, text)
}

#[test]
fn running_out_of_file_descriptors_is_a_clear_error_never_a_panic() {
    let mut limit_message = false;
    for limit in 4..=16 {
        let (code, stderr) = under_fd_limit(limit);
        assert!(!stderr.contains("panicked"), "ulimit -n {limit}: {stderr}");
        if let Some(code) = code {
            assert!(
                code == 1 || code == 2,
                "ulimit -n {limit}: exit {code}, expected 1 or 2: {stderr}"
            );
            assert!(
                stderr.contains("hotdev: error: "),
                "ulimit -n {limit}: exited {code} without saying why: {stderr}"
            );
        }
        eprintln!(
            "ulimit -n {limit}: {code:?} {}",
            stderr.lines().next().unwrap_or("")
        );
        limit_message |=
            stderr.contains("fs.inotify.max_user_instances") && stderr.contains("--poll");
    }
    assert!(
        limit_message,
        "no limit made the watcher fail with the sysctl and --poll hint"
    );
}
