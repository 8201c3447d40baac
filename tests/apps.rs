//! Several services in one `.hotdev.toml` (`[apps.NAME]`), through the real binary: the
//! go-multi fixture's api and worker (built by Go, sharing `internal/`) and the Rust fixture
//! as a third app, built by cargo. Each edit reaches only the apps that watch it; the others
//! keep their process; a shared command is one build; dependencies order start and stop.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;
use support::*;

/// The go-multi fixture with the Rust fixture copied in as `rust/`, and a config for three
/// apps on free ports: api (pre-bound, overlap, notify), worker (its own port, needs the api),
/// rust (its own build).
struct Multi {
    fx: Fixture,
    api: SocketAddr,
    worker: SocketAddr,
    rust: SocketAddr,
}

fn multi(extra_worker: &str) -> Multi {
    warm_go("go-multi", &["build", "-o", "tmp/", "./..."]);
    let fx = Fixture::copy("go-multi");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rust-server"),
        &fx.file("rust"),
    );
    let (api, worker, rust) = (free_addr(), free_addr(), free_addr());
    fx.write(
        ".hotdev.toml",
        &format!(
            r#"
[watch]
extensions = ["go", "mod", "rs", "toml"]
ignore = ["tmp/**", "rust/target/**"]
debounce = "100ms"

[build]
command = "go build -o tmp/ ./..."

[apps.api]
watch = {{ paths = ["cmd/api", "internal", "go.mod"] }}

[apps.api.run]
command = "tmp/api"
strategy = "overlap"
ready = {{ notify = true }}

[[apps.api.listen]]
address = "{api}"

[apps.worker]
depends_on = ["api"]
watch = {{ paths = ["cmd/worker", "internal", "go.mod"] }}
{extra_worker}

[apps.worker.run]
command = "tmp/worker"
env = {{ ADDR = "{worker}", API_URL = "http://{api}/" }}
ready = {{ http = "http://{worker}/" }}

[apps.rust]
watch = {{ paths = ["rust/src", "rust/Cargo.toml"] }}
build = {{ command = "cargo build --quiet --manifest-path rust/Cargo.toml" }}
run = {{ command = "rust/target/debug/rust-server", env = {{ ADDR = "{rust}" }} }}
"#
        ),
    );
    Multi {
        fx,
        api,
        worker,
        rust,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("copy");
        }
    }
}

/// The events about `app` so far.
fn of(h: &Hotdev, name: &str, app: &str) -> Vec<Value> {
    h.named(name)
        .into_iter()
        .filter(|e| e["app"] == app)
        .collect()
}

fn wait_app(h: &Hotdev, from: usize, name: &str, app: &str, generation: u64) -> Value {
    h.wait_event_from(
        from,
        |e| is(e, name) && e["app"] == app && e["generation"] == generation,
        FIRST_BUILD,
    )
    .unwrap_or_else(|e| panic!("{app}: {name} {generation}: {e}"))
}

fn pid_of(addr: SocketAddr) -> i32 {
    get_trimmed(addr, "/pid")
        .unwrap_or_else(|e| panic!("{addr}/pid: {e}"))
        .parse()
        .expect("a pid")
}

#[test]
fn each_edit_swaps_only_the_apps_that_watch_it_and_a_shared_command_builds_once() {
    let m = multi("");
    let mut h = Hotdev::start(m.fx.path(), &[]);
    for app in ["api", "worker"] {
        wait_app(&h, 0, "generation_ready", app, 1);
    }
    // rust has no readiness check: it is up once it runs.
    wait_app(&h, 0, "generation_started", "rust", 1);
    // The worker asks the api at start: it was started only once the api was ready.
    let api_ready = of(&h, "generation_ready", "api")[0]["ts_ms"]
        .as_u64()
        .unwrap();
    let worker_started = of(&h, "generation_started", "worker")[0]["ts_ms"]
        .as_u64()
        .unwrap();
    assert!(
        worker_started >= api_ready,
        "worker started at {worker_started} ms, api ready at {api_ready} ms"
    );
    wait_body(
        m.worker,
        "/",
        "worker-v1 shared-v1 (api said: api-v1 shared-v1)",
        SHORT,
    )
    .unwrap();
    wait_body(m.rust, "/", "v1", SHORT).unwrap();
    let (api_pid, rust_pid) = (pid_of(m.api), pid_of(m.rust));
    let load = Load::start(m.api, "/", 2, 100_000, Duration::from_secs(300));

    // An edit under cmd/worker: the worker builds and swaps; the api and rust do not.
    let from = h.cursor();
    m.fx.replace("cmd/worker/version.go", "worker-v1", "worker-v2");
    wait_app(&h, from, "generation_ready", "worker", 2);
    wait_body(
        m.worker,
        "/",
        "worker-v2 shared-v1 (api said: api-v1 shared-v1)",
        SHORT,
    )
    .unwrap();
    assert_eq!(pid_of(m.api), api_pid, "the api was not touched");
    assert_eq!(pid_of(m.rust), rust_pid, "rust was not touched");
    let since: Vec<Value> = h.events()[from..].to_vec();
    let built: Vec<&Value> = since.iter().filter(|e| is(e, "build_started")).collect();
    assert!(
        built.iter().all(|e| e["app"] == "worker") && built.len() == 1,
        "only the worker built: {built:?}"
    );

    // An edit under internal/: both Go apps swap, on one run of their shared command.
    let from = h.cursor();
    m.fx.replace("internal/serve/version.go", "shared-v1", "shared-v2");
    wait_app(&h, from, "generation_ready", "api", 2);
    wait_app(&h, from, "generation_ready", "worker", 3);
    wait_body(m.api, "/", "api-v1 shared-v2", SHORT).unwrap();
    wait_body(
        m.worker,
        "/",
        "worker-v2 shared-v2 (api said: api-v1 shared-v2)",
        SHORT,
    )
    .unwrap();
    let since: Vec<Value> = h.events()[from..].to_vec();
    let started: Vec<&Value> = since.iter().filter(|e| is(e, "build_started")).collect();
    let shared: Vec<&Value> = since.iter().filter(|e| is(e, "build_shared")).collect();
    assert_eq!(started.len(), 1, "one build for both: {started:?}");
    assert_eq!(shared.len(), 1, "the other app rode on it: {shared:?}");
    assert_ne!(started[0]["app"], shared[0]["app"]);
    assert_eq!(shared[0]["with_app"], started[0]["app"]);
    assert_eq!(pid_of(m.rust), rust_pid, "rust was not touched");

    // An edit of the Rust app: cargo builds it, the Go apps keep their processes.
    let from = h.cursor();
    let api_pid = pid_of(m.api);
    m.fx.replace("rust/src/version.rs", "\"v1\"", "\"v2\"");
    wait_app(&h, from, "generation_started", "rust", 2);
    wait_body(m.rust, "/", "v2", SHORT).unwrap();
    assert_eq!(pid_of(m.api), api_pid, "the api was not touched");

    let stats = load.stop();
    eprintln!(
        "api under load through three apps' edits: {}",
        stats.summary()
    );
    assert_eq!(stats.failed, 0, "{}", stats.summary());
    assert!(stats.ok > 0);

    // Shutdown: dependents first (the worker before the api), nothing left.
    let pids = [pid_of(m.api), pid_of(m.worker), pid_of(m.rust)];
    let from = h.cursor();
    h.signal(Signal::SIGTERM);
    let status = h.wait_exit(SHORT).unwrap();
    assert_eq!(status.code(), Some(0), "{}", h.tail(40));
    let exited: Vec<String> = h.events()[from..]
        .iter()
        .filter(|e| is(e, "generation_exited"))
        .map(|e| e["app"].as_str().unwrap_or_default().to_owned())
        .collect();
    let at = |app: &str| exited.iter().position(|a| a == app);
    assert!(
        at("worker").is_some() && at("worker") < at("api"),
        "the worker stops before the api: {exited:?}"
    );
    for pid in pids {
        assert!(!pid_alive(pid), "pid {pid} outlived hotdev");
    }
    assert!(!process_group_alive(h.pid()), "hotdev's group is gone");
}

#[test]
fn a_broken_build_or_a_crash_of_one_app_leaves_the_others_serving() {
    let m = multi("");
    let h = Hotdev::start(m.fx.path(), &["--app", "worker"]);
    wait_app(&h, 0, "generation_ready", "worker", 1);
    assert!(
        of(&h, "generation_started", "rust").is_empty(),
        "--app worker runs the worker and the api it depends on, not rust"
    );
    let worker_pid = pid_of(m.worker);

    let from = h.cursor();
    m.fx.replace("cmd/api/version.go", "\"api-v1\"", "\"api-v1\" +");
    h.wait_event_from(from, |e| is(e, "build_failed") && e["app"] == "api", BUILD)
        .unwrap();
    assert_eq!(
        get_trimmed(m.api, "/").unwrap(),
        "api-v1 shared-v1",
        "the old api serves"
    );
    assert_eq!(pid_of(m.worker), worker_pid, "the worker was not touched");

    // The worker dies on its own: the api serves on.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(worker_pid), Signal::SIGKILL).unwrap();
    h.wait_event_from(
        from,
        |e| is(e, "generation_exited") && e["app"] == "worker",
        SHORT,
    )
    .unwrap();
    assert_eq!(get_trimmed(m.api, "/").unwrap(), "api-v1 shared-v1");

    // Fixed: the api swaps, and the worker's next edit brings it back.
    let from = h.cursor();
    m.fx.replace("cmd/api/version.go", "\"api-v1\" +", "\"api-v2\"");
    wait_app(&h, from, "generation_ready", "api", 2);
    m.fx.replace("cmd/worker/version.go", "worker-v1", "worker-v2");
    wait_app(&h, from, "generation_ready", "worker", 2);
    wait_body(
        m.worker,
        "/",
        "worker-v2 shared-v1 (api said: api-v2 shared-v1)",
        SHORT,
    )
    .unwrap();
}

#[test]
fn human_output_names_each_app_on_every_line() {
    let m = multi("restart_with = [\"api\"]");
    let mut h = Hotdev::start_human(m.fx.path(), &["--app", "worker"]);
    wait_until(FIRST_BUILD, "the worker to serve", || {
        get_trimmed(m.worker, "/").is_ok()
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    // A swap of the api restarts the worker (restart_with), which says why.
    m.fx.replace("cmd/api/version.go", "api-v1", "api-v2");
    wait_body(
        m.worker,
        "/",
        "worker-v1 shared-v1 (api said: api-v2 shared-v1)",
        BUILD,
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    // A failed build's block says whose it is on every line.
    m.fx.replace("cmd/api/version.go", "\"api-v2\"", "\"api-v2\" +");
    wait_until(BUILD, "the api's failed build block", || {
        h.text().contains("api    │ cmd/api/version.go:")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    h.signal(Signal::SIGINT);
    h.wait_exit(SHORT).unwrap();
    let text = h.text();
    for needle in [
        "api    │ hotdev ▸ listening on",
        "api    │ api: listening on",
        "worker │ worker: listening on",
        "worker │ hotdev ▸ starts once api is ready (depends_on)",
        "worker │ hotdev ▸ restarting: api was swapped (restart_with)",
        "api    │ hotdev ✗ build 3 failed",
        "api    │ ────",
    ] {
        assert!(text.contains(needle), "no {needle:?} in\n{text}");
    }
}

#[test]
fn mistakes_across_apps_exit_2_with_the_app_and_the_place() {
    let m = multi("");
    let hotdev = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hotdev"))
            .current_dir(m.fx.path())
            .args(args)
            .output()
            .expect("run hotdev")
    };
    // `hotdev config` shows each app's effective settings with where each came from.
    let config = String::from_utf8_lossy(&hotdev(&["config"]).stdout).into_owned();
    for needle in [
        "[apps.worker]\ndepends_on = [\"api\"]",
        "[apps.worker.run]\ncommand = \"tmp/worker\"",
        "[[apps.api.listen]]",
        "# from .hotdev.toml:",
    ] {
        assert!(config.contains(needle), "no {needle:?} in\n{config}");
    }
    let debounce = config
        .lines()
        .find(|l| l.starts_with("debounce = \"100ms\""))
        .unwrap_or_default();
    assert!(
        debounce.contains("from .hotdev.toml:5"),
        "inherited from the top: {debounce}"
    );
    let schema = String::from_utf8_lossy(&hotdev(&["schema"]).stdout).into_owned();
    assert!(schema.contains("\"depends_on\"") && schema.contains("\"restart_with\""));
    let text = m.fx.read(".hotdev.toml");
    m.fx.write(
        ".hotdev.toml",
        &text.replace("[apps.api]\n", "[apps.api]\ndepends_on = [\"worker\"]\n"),
    );
    let out = hotdev(&["config"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a dependency cycle: api → worker → api (key `apps.api.depends_on`)"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "one line and a hint: {stderr}");
}
