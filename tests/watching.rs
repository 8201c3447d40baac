//! The watcher on the real binary: directories that come back, hotdev's own output, config
//! paths that are not files. Cheap commands (`true`, `sleep`) keep these about watching only.

mod support;

use std::fs;

use serde_json::json;
use support::*;

/// A project that builds with `true` and runs `sleep`; `extra` is appended to the config.
fn project(extra: &str) -> Fixture {
    let fx = Fixture::empty();
    fx.write(
        ".hotdev.toml",
        &format!("[build]\ncommand = \"true\"\n\n[run]\ncommand = \"sleep 600\"\n{extra}"),
    );
    fx
}

/// Waits for build `n` to start.
fn wait_build(h: &Hotdev, n: u64) {
    h.wait_for("build_started", &[("build", json!(n))], SHORT)
        .unwrap_or_else(|e| panic!("build {n} did not start: {e}\n{}", h.tail(40)));
}

/// Waits until hotdev is idle: generation `n` started and the watcher is set up.
fn wait_serving(h: &Hotdev, n: u64) {
    h.wait_for("generation_started", &[("generation", json!(n))], SHORT)
        .unwrap_or_else(|e| panic!("generation {n} did not start: {e}\n{}", h.tail(40)));
}

fn recreated_dir_still_builds(dir: &str, pause: bool) {
    let fx = project("");
    fx.write(&format!("{dir}/old.go"), "x");
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    fs::remove_dir_all(fx.file(dir)).unwrap();
    if pause {
        wait_build(&h, 2);
        wait_serving(&h, 2);
    }
    fs::create_dir_all(fx.file(dir)).unwrap();
    fx.write(&format!("{dir}/a.go"), "x");
    let next = if pause { 3 } else { 2 };
    wait_change_naming(&h, &format!("{dir}/a.go"));
    wait_build(&h, next);
    // The directory is watched again: a later edit in it builds.
    fx.write(&format!("{dir}/b.go"), "y");
    wait_change_naming(&h, &format!("{dir}/b.go"));
}

/// Waits for a `change` event that names a path ending in `tail`.
fn wait_change_naming(h: &Hotdev, tail: &str) {
    let named = || {
        h.named("change").iter().any(|e| {
            e["paths"].as_array().is_some_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.as_str().is_some_and(|p| p.ends_with(tail)))
            })
        })
    };
    wait_until(SHORT, "a change naming the file", named)
        .unwrap_or_else(|e| panic!("{e}\nno change naming {tail}\n{}", h.tail(40)));
}

#[test]
fn a_directory_recreated_at_once_is_watched_again() {
    recreated_dir_still_builds("src", false);
}

#[test]
fn a_directory_recreated_after_a_pause_is_watched_again() {
    recreated_dir_still_builds("src", true);
}

#[test]
fn a_directory_two_deep_recreated_at_once_is_watched_again() {
    recreated_dir_still_builds("a/b", false);
}

#[test]
fn a_directory_two_deep_recreated_after_a_pause_is_watched_again() {
    recreated_dir_still_builds("a/b", true);
}

#[test]
fn config_dev_null_means_no_config_file_and_watches_nothing_in_dev() {
    let fx = Fixture::empty();
    fx.write("main.go", "x");
    let h = Hotdev::start(
        fx.path(),
        &["-c", "/dev/null", "--build", "true", "--", "sleep", "600"],
    );
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    let started = h.named("started");
    let root = fx.path().canonicalize().unwrap();
    assert_eq!(started[0]["root"], json!(root), "{}", h.tail(20));
    assert_eq!(started[0]["config"], json!(null), "{}", h.tail(20));
    // Writes to /dev/null are nobody's edit.
    for _ in 0..20 {
        fs::write("/dev/null", "x").unwrap();
    }
    fx.write("main.go", "y");
    wait_change_naming(&h, "main.go");
    assert_eq!(h.count("config_reloaded"), 0, "{}", h.tail(40));
    assert!(
        h.named("change")
            .iter()
            .all(|e| !e.to_string().contains("/dev/")),
        "{}",
        h.tail(40)
    );
}

#[test]
fn config_that_is_not_a_regular_file_exits_2() {
    let fx = Fixture::empty();
    let fifo = fx.file("fifo.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    for path in [fifo.to_str().unwrap(), fx.path().to_str().unwrap()] {
        let (code, text) = run_to_exit(fx.path(), &["-c", path, "--", "sleep", "600"]);
        assert_eq!(code, Some(2), "-c {path}: {text}");
        assert!(text.contains("not a regular file"), "-c {path}: {text}");
    }
}

/// hotdev with its stderr (where JSON events go) appended to `log`, stopped on drop.
struct LoggingHotdev(std::process::Child);

impl LoggingHotdev {
    fn start(dir: &std::path::Path, log: &std::path::Path, args: &[&str]) -> LoggingHotdev {
        use std::os::unix::process::CommandExt;
        let file = fs::File::create(log).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_hotdev"))
            .args(["--log-format", "json", "--no-keys"])
            .args(args)
            .current_dir(dir)
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .env("NO_COLOR", "1")
            .spawn()
            .unwrap();
        LoggingHotdev(child)
    }
}

impl Drop for LoggingHotdev {
    fn drop(&mut self) {
        let pgid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGTERM);
        if wait_until(SHORT, "hotdev to exit after SIGTERM", || {
            matches!(self.0.try_wait(), Ok(Some(_)))
        })
        .is_err()
        {
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// The JSON events in a log file written by hotdev.
fn log_events(log: &std::path::Path) -> Vec<serde_json::Value> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[test]
fn hotdev_output_redirected_into_the_tree_is_never_a_change() {
    let fx = project("");
    fx.write("main.go", "x");
    let log = fx.file("hotdev.log");
    let _h = LoggingHotdev::start(fx.path(), &log, &[]);
    let changes = || -> Vec<serde_json::Value> {
        log_events(&log)
            .into_iter()
            .filter(|e| e["event"] == "change")
            .collect()
    };
    let names = |tail: &str| {
        changes()
            .iter()
            .any(|e| e["paths"].to_string().contains(tail))
    };
    wait_until(SHORT, "the watching event in the log", || {
        log_events(&log).iter().any(|e| e["event"] == "watching")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", fs::read_to_string(&log).unwrap_or_default()));
    fx.write("main.go", "y");
    wait_until(SHORT, "a change naming main.go", || names("main.go"))
        .unwrap_or_else(|e| panic!("{e}\n{}", fs::read_to_string(&log).unwrap_or_default()));
    assert!(
        !names("hotdev.log"),
        "hotdev's own log counted as a change: {:?}",
        changes()
    );
}

#[test]
fn empty_watch_paths_is_an_error_with_a_location_and_exits_2() {
    let fx = project("\n[watch]\npaths = []\n");
    let (code, text) = run_to_exit(fx.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(".hotdev.toml:8:"), "no location: {text}");
    assert!(text.contains("watch.paths"), "{text}");
}

#[test]
fn a_config_file_outside_the_watched_paths_is_still_watched_and_its_neighbours_are_not() {
    let fx = project("\n[watch]\npaths = [\"src\"]\n");
    fx.write("src/main.go", "x");
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    // A neighbour of the config file is outside the roots: no change, whatever it is.
    fx.write("notes.go", "x");
    fx.atomic_replace(".hotdev.toml", "sleep 600", "sleep 601");
    h.wait_for("config_reloaded", &[], SHORT)
        .unwrap_or_else(|e| panic!("the config edit went unnoticed: {e}\n{}", h.tail(40)));
    fx.write("src/main.go", "y");
    wait_change_naming(&h, "src/main.go");
    assert!(
        h.named("change")
            .iter()
            .all(|e| !e["paths"].to_string().contains("notes.go")),
        "a file outside the roots counted: {}",
        h.tail(40)
    );
}

fn recreated_root_is_watched_again(pause: bool) {
    let fx = project("\n[watch]\npaths = [\"src\"]\n");
    fx.write("src/old.go", "x");
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    fs::remove_dir_all(fx.file("src")).unwrap();
    if pause {
        wait_build(&h, 2);
        wait_serving(&h, 2);
    }
    fs::create_dir_all(fx.file("src")).unwrap();
    fx.write("src/a.go", "x");
    wait_change_naming(&h, "src/a.go");
    // The root is watched again: a later edit in it builds.
    fx.write("src/b.go", "y");
    wait_change_naming(&h, "src/b.go");
}

#[test]
fn a_watched_root_deleted_and_made_again_at_once_is_watched_again() {
    recreated_root_is_watched_again(false);
}

#[test]
fn a_watched_root_deleted_and_made_again_after_a_pause_is_watched_again() {
    recreated_root_is_watched_again(true);
}

#[test]
fn follow_symlinks_watches_a_linked_directory_outside_the_tree_without_looping() {
    let outside = Fixture::empty();
    outside.write("lib/shared.go", "x");
    // Loops: back to the linked directory itself, and into the project.
    std::os::unix::fs::symlink(outside.file("lib"), outside.file("lib/self")).unwrap();
    let fx = project("\n[watch]\nfollow_symlinks = true\n");
    fx.write("main.go", "x");
    std::os::unix::fs::symlink(outside.file("lib"), fx.file("lib")).unwrap();
    // Two paths to one directory: one OS watch, both paths reported.
    std::os::unix::fs::symlink(outside.file("lib"), fx.file("alias")).unwrap();
    std::os::unix::fs::symlink(fx.path(), fx.file("here")).unwrap();
    std::os::unix::fs::symlink(fx.path(), outside.file("lib/back")).unwrap();
    let h = Hotdev::start(fx.path(), &[]);
    let watching = h.wait_for("watching", &[], SHORT).unwrap();
    // The project, lib/ and alias/: neither loop adds a directory.
    assert_eq!(watching["dirs"], json!(3), "{}", h.tail(20));
    wait_serving(&h, 1);
    outside.write("lib/shared.go", "y");
    wait_change_naming(&h, "/lib/shared.go");
    wait_change_naming(&h, "/alias/shared.go");
    // One path goes; the directory is still watched through the other.
    fs::remove_file(fx.file("alias")).unwrap();
    wait_build(&h, 3);
    outside.write("lib/later.go", "y");
    wait_change_naming(&h, "/lib/later.go");
    // A link made while running is followed too.
    outside.write("more/extra.go", "x");
    std::os::unix::fs::symlink(outside.file("more"), fx.file("more")).unwrap();
    wait_change_naming(&h, "more/extra.go");
    outside.write("more/edited.go", "y");
    wait_change_naming(&h, "more/edited.go");
}

#[test]
fn a_symlinked_directory_is_not_followed_by_default() {
    let outside = Fixture::empty();
    outside.write("lib/shared.go", "x");
    let fx = project("");
    fx.write("main.go", "x");
    std::os::unix::fs::symlink(outside.file("lib"), fx.file("lib")).unwrap();
    let h = Hotdev::start(fx.path(), &[]);
    let watching = h.wait_for("watching", &[], SHORT).unwrap();
    assert_eq!(watching["dirs"], json!(1), "{}", h.tail(20));
}

#[test]
fn a_dead_inotify_reader_stops_everything_and_exits_1() {
    let fx = project("");
    fx.write("main.go", "x");
    let mut h = Hotdev::start_with_env(fx.path(), &[], &[("HOTDEV_FAULT", "inotify-reader-error")]);
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    fx.write("main.go", "y");
    let status = h.wait_exit(SHORT).unwrap();
    assert_eq!(status.code(), Some(1), "{}", h.tail(30));
    let error = h.wait_for("error", &[], SHORT).unwrap();
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("inotify reader") && m.contains("failed")),
        "{error}"
    );
    for pgid in h.reported_groups() {
        assert!(!process_group_alive(pgid), "group {pgid} survived");
    }
}

#[test]
fn the_inotify_watch_limit_is_reported_once() {
    let fx = project("");
    for dir in ["a", "b", "c", "d", "e"] {
        fx.write(&format!("{dir}/x.go"), "x");
    }
    let h = Hotdev::start_with_env(fx.path(), &[], &[("HOTDEV_FAULT", "watch-limit:2")]);
    h.wait_for("watching", &[], SHORT).unwrap();
    wait_serving(&h, 1);
    // Every new directory hits the limit again; none may say so again.
    for dir in ["f", "g", "h", "i", "j"] {
        fs::create_dir(fx.file(dir)).unwrap();
    }
    fx.write("main.go", "y");
    wait_change_naming(&h, "main.go");
    let limits = h
        .events()
        .iter()
        .filter(|e| e.to_string().contains("max_user_watches"))
        .count();
    assert_eq!(limits, 1, "{}", h.tail(40));
    let warning = h
        .named("error")
        .into_iter()
        .find(|e| e.to_string().contains("max_user_watches"));
    assert!(
        warning.is_some_and(|w| w.to_string().contains("--poll")),
        "{}",
        h.tail(40)
    );
}

/// cargo makes `target/` as `targetXXXXXX` and renames it: that must not count as a change
/// (it cancelled every first build of a fresh Rust checkout).
#[test]
fn cargos_first_build_is_not_cancelled_by_the_target_dir_it_makes() {
    let fx = Fixture::copy("rust-server");
    let _ = fs::remove_dir_all(fx.file("target"));
    let addr = free_addr().to_string();
    // The fixture's own config; the harness keeps cargo off this repository's target dir.
    let h = Hotdev::start_with_env(fx.path(), &[], &[("ADDR", &addr)]);
    h.wait_for(
        "generation_started",
        &[("generation", json!(1))],
        FIRST_BUILD,
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    assert_eq!(h.count("build_cancelled"), 0, "{}", h.tail(40));
    assert_eq!(h.count("change"), 0, "{}", h.tail(40));
}
