//! `hotdev smoke` end to end: the real binary on temp copies of the fixtures. Each case checks
//! the exit code, that the touched file is byte-identical afterwards (mode and mtime too), that
//! no process is left working in the project, and, where reports are asked for, their shape.

mod smoke_support;
mod support;

use nix::sys::signal::Signal;
use smoke_support::{FileState, Project, free_port, junit_cases, report, wait_until};

const SOURCES: [&str; 3] = ["main.go", "version.go", "go.mod"];

/// The go-server config with the app binding `$ADDR` itself (no pre-bound listener).
fn go_config(port: u16, build: &str, run: &str, extra_run: &str) -> String {
    format!(
        r#"[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[build]
command = '''{build}'''

[run]
command = '''{run}'''
env = {{ ADDR = "127.0.0.1:{port}" }}
{extra_run}
"#
    )
}

const GO_BUILD: &str = "go build -o tmp/server .";

struct Snapshots(Vec<(&'static str, FileState)>);

fn snapshot(project: &Project, files: &[&'static str]) -> Snapshots {
    Snapshots(files.iter().map(|f| (*f, project.snapshot(f))).collect())
}

fn assert_untouched(project: &Project, before: &Snapshots) {
    for (file, snap) in &before.0 {
        let now = project.snapshot(file);
        assert!(now.0 == snap.0, "{file} was not restored byte for byte");
        assert_eq!(now.1, snap.1, "{file}: mode changed");
        assert_eq!(now.2, snap.2, "{file}: modification time not restored");
    }
}

fn assert_nothing_left(project: &Project) {
    let left = project.sweep();
    assert!(
        left.is_empty(),
        "processes left running in the project: {left:?}"
    );
}

fn step_results(report: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["result"].as_str().unwrap().to_string(),
                s["code"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn go_server_passes_with_notify_listen_and_check() {
    let project = Project::copy("go-server");
    let port = free_port();
    project.write(
        ".hotdev.toml",
        r#"[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[build]
command = "go build -o tmp/server ."

[run]
command = "tmp/server"
ready = { notify = true }
"#,
    );
    let before = snapshot(&project, &SOURCES);
    let out_dir = tempfile::tempdir().unwrap();
    let (json, xml) = (out_dir.path().join("r.json"), out_dir.path().join("j.xml"));
    let listen = format!("127.0.0.1:{port}");
    let check = format!("http://127.0.0.1:{port}/");
    let outcome = project.smoke(
        &["--listen", &listen],
        &[
            "--reloads",
            "2",
            "--check",
            &check,
            "--report",
            json.to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_untouched(&project, &before);
    assert_nothing_left(&project);

    let report = report(&json);
    assert_eq!(report["verdict"], "passed");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["requests"]["failed"], 0);
    assert!(report["requests"]["ok"].as_u64().unwrap() > 0, "{report}");
    let names: Vec<String> = step_results(&report).into_iter().map(|s| s.0).collect();
    assert_eq!(names, ["start", "reload 1", "reload 2", "shutdown"]);
    assert_eq!(report["steps"][2]["generation"], 3);
    assert!(report["steps"][1]["build_ms"].is_u64());

    let cases = junit_cases(&xml);
    assert_eq!(cases.len(), 4);
    assert!(cases.iter().all(|(_, kind)| kind == "passed"), "{cases:?}");
    assert!(
        outcome.stderr.contains("smoke: reload 2"),
        "one line per step"
    );
}

#[test]
fn rust_server_passes_with_listen_and_check() {
    let project = Project::copy("rust-server");
    let port = free_port();
    let before = snapshot(&project, &["src/main.rs", "Cargo.toml"]);
    let listen = format!("127.0.0.1:{port}");
    let check = format!("http://127.0.0.1:{port}/");
    let outcome = project.smoke(
        &["--listen", &listen],
        &[
            "--reloads",
            "2",
            "--check",
            &check,
            "--touch",
            "src/main.rs",
        ],
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

#[test]
fn a_build_that_breaks_exits_3_and_restores_the_file() {
    let project = Project::copy("go-server");
    // Honest breakage: the first build works, every later one fails like a compile error.
    let build = r#"if [ "$HOTDEV_BUILD_ID" -ge 2 ]; then echo "build broken on purpose" >&2; exit 1; fi; go build -o tmp/server ."#;
    project.write(
        ".hotdev.toml",
        &go_config(free_port(), build, "tmp/server", ""),
    );
    let before = snapshot(&project, &SOURCES);
    let out_dir = tempfile::tempdir().unwrap();
    let (json, xml) = (out_dir.path().join("r.json"), out_dir.path().join("j.xml"));
    let outcome = project.smoke(
        &[],
        &[
            "--touch",
            "version.go",
            "--report",
            json.to_str().unwrap(),
            "--junit",
            xml.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, Some(3), "{}", outcome.stderr);
    assert_untouched(&project, &before);
    assert_nothing_left(&project);

    let steps = step_results(&report(&json));
    assert_eq!(steps[0].1, "passed");
    assert_eq!((steps[1].1.as_str(), steps[1].2), ("failed", Some(3)));
    assert_eq!(steps[2].1, "not_run");
    let cases = junit_cases(&xml);
    let kinds: Vec<&str> = cases.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(kinds, ["passed", "failure", "skipped", "skipped", "passed"]);
    let xml_text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        xml_text.contains("build broken on purpose"),
        "the tail is in the failure"
    );
}

#[test]
fn readiness_that_never_comes_exits_4() {
    let project = Project::copy("go-server");
    project.write(
        ".hotdev.toml",
        &go_config(
            free_port(),
            GO_BUILD,
            "tmp/server",
            "ready = { log = \"never-printed\" }\nready_timeout = \"3s\"",
        ),
    );
    let before = snapshot(&project, &SOURCES);
    let outcome = project.smoke(&[], &["--reloads", "1"]);
    assert_eq!(outcome.code, Some(4), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("not ready"), "{}", outcome.stderr);
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

#[test]
fn an_app_that_crashes_after_the_second_reload_exits_4() {
    let project = Project::copy("go-server");
    let run = r#"if [ "${HOTDEV_BUILD_ID:-$HOTDEV_GENERATION}" -ge 3 ]; then echo "crashing on purpose" >&2; exit 1; fi; exec tmp/server"#;
    project.write(".hotdev.toml", &go_config(free_port(), GO_BUILD, run, ""));
    let before = snapshot(&project, &SOURCES);
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("r.json");
    let outcome = project.smoke(
        &[],
        &[
            "--reloads",
            "3",
            "--touch",
            "main.go",
            "--report",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, Some(4), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("app| crashing on purpose"));
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
    let steps = step_results(&report(&json));
    let results: Vec<&str> = steps.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(
        results,
        ["passed", "passed", "failed", "not_run", "passed"],
        "{steps:?}"
    );
    assert_eq!(steps[2].2, Some(4));
}

#[test]
fn requests_refused_during_a_restart_swap_exit_5() {
    let project = Project::copy("go-server");
    let port = free_port();
    // No pre-bound listener: the new generation binds after 1s, the port refuses meanwhile.
    project.write(".hotdev.toml", &go_config(port, GO_BUILD, "tmp/server", ""));
    project.edit(
        "version.go",
        "const mode = \"\"",
        "const mode = \"slow-start\"",
    );
    let before = snapshot(&project, &SOURCES);
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("r.json");
    let check = format!("http://127.0.0.1:{port}/");
    let outcome = project.smoke(
        &[],
        &[
            "--reloads",
            "1",
            "--check",
            &check,
            "--report",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, Some(5), "{}", outcome.stderr);
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
    let report = report(&json);
    assert!(report["steps"][1]["requests"]["failed"].as_u64().unwrap() > 0);
    assert_eq!(report["steps"][1]["code"], 5);
}

#[test]
fn a_config_error_exits_2_with_hotdevs_message() {
    let project = Project::copy("go-server");
    project.write(".hotdev.toml", "[run]\ncomand = \"tmp/server\"\n");
    let outcome = project.smoke(&[], &[]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("hotdev: error:"),
        "{}",
        outcome.stderr
    );
    assert_nothing_left(&project);
}

#[test]
fn sigterm_to_smoke_restores_the_file_and_stops_everything() {
    let project = Project::copy("go-server");
    project.write(
        ".hotdev.toml",
        &go_config(free_port(), GO_BUILD, "tmp/server", ""),
    );
    let before = snapshot(&project, &SOURCES);
    let original = std::fs::read(project.path("version.go")).unwrap();
    let running = project.start_smoke(&[], &["--reloads", "50", "--touch", "version.go"]);
    wait_until("the first reload to change version.go", || {
        std::fs::read(project.path("version.go")).is_ok_and(|now| now != original)
    });
    running.signal(Signal::SIGTERM);
    let outcome = running.wait();
    assert_eq!(outcome.code, Some(128 + 15), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("interrupted by SIGTERM"));
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

#[test]
fn the_summary_table_lists_every_step() {
    let project = Project::copy("go-server");
    project.write(
        ".hotdev.toml",
        &go_config(free_port(), GO_BUILD, "tmp/server", ""),
    );
    let before = snapshot(&project, &SOURCES);
    let outcome = project.smoke(&[], &["--reloads", "1"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("still running after the settle time"),
        "the summary says readiness was only a settle time"
    );
    for name in ["start", "reload 1", "shutdown"] {
        assert!(
            outcome.stderr.lines().any(|l| l.starts_with(name)),
            "no table row for {name}"
        );
    }
    assert!(
        !outcome.stderr.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

#[test]
fn the_whole_run_timing_out_exits_7_and_stops_the_build() {
    let project = Project::copy("go-server");
    let build = "sleep 60; go build -o tmp/server .";
    project.write(
        ".hotdev.toml",
        &go_config(free_port(), build, "tmp/server", ""),
    );
    let before = snapshot(&project, &SOURCES);
    let outcome = project.smoke(&[], &["--timeout", "2s"]);
    assert_eq!(outcome.code, Some(7), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("waiting for the build"),
        "{}",
        outcome.stderr
    );
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

#[test]
fn watch_paths_written_with_a_leading_dot_slash_are_under_the_root() {
    // `./src` once became `/src`: smoke walked the filesystem root and found nothing to touch.
    let project = Project::copy("go-server");
    std::fs::create_dir_all(project.path("src")).unwrap();
    project.write("src/page.txt", "hello\n");
    project.write(
        ".hotdev.toml",
        "[watch]\npaths = [\"./src\"]\nextensions = [\"txt\"]\n\n[build]\ncommand = \"true\"\n\n\
         [run]\ncommand = \"sleep 300\"\n",
    );
    let before = snapshot(&project, &["src/page.txt"]);
    let outcome = project.smoke(&[], &["--reloads", "2"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains(&format!("{}", project.path("src/page.txt").display())),
        "{}",
        outcome.stderr
    );
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}

/// The summary's last lines: what readiness was configured, and the closing verdict.
fn closing_lines(stderr: &str) -> (String, String) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let readiness = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("readiness: "))
        .unwrap_or(&"")
        .to_string();
    (readiness, lines.last().unwrap_or(&"").to_string())
}

#[test]
fn a_port_in_use_is_the_cause_on_the_closing_line() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let project = Project::copy("go-server");
    project.write(
        ".hotdev.toml",
        &format!(
            "[run]\ncommand = \"sleep 300\"\nready = {{ notify = true }}\n\n\
             [[listen]]\naddress = \"127.0.0.1:{port}\"\n"
        ),
    );
    let outcome = project.smoke(&[], &[]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    let (readiness, last) = closing_lines(&outcome.stderr);
    assert_eq!(readiness, "readiness: the configured readiness check");
    assert!(
        last.starts_with("smoke failed (exit 2)") && last.contains("address already in use"),
        "closing line: {last}\n{}",
        outcome.stderr
    );
    assert_nothing_left(&project);
    drop(holder);
}

#[test]
fn no_file_to_touch_is_the_cause_on_the_closing_line() {
    let project = Project::copy("go-server");
    project.write(
        ".hotdev.toml",
        "[watch]\nextensions = [\"nothing-has-this\"]\n\n\
         [run]\ncommand = \"sleep 300\"\nready = { notify = true }\n",
    );
    let outcome = project.smoke(&[], &[]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    let (readiness, last) = closing_lines(&outcome.stderr);
    assert_eq!(readiness, "readiness: the configured readiness check");
    assert!(
        last.contains("found no watched file to change"),
        "closing line: {last}\n{}",
        outcome.stderr
    );
    assert_nothing_left(&project);
}

/// A file with several apps (go-multi's api and worker): one run per app, each reloaded with a
/// real edit of its own files, the api under load on its pre-bound port; one JUnit suite per
/// app; the sources put back; nothing left.
#[test]
fn every_app_of_a_multi_app_file_is_smoked_in_turn() {
    let project = Project::copy("go-multi");
    let (api, worker) = (free_port(), free_port());
    project.write(
        ".hotdev.toml",
        &format!(
            r#"[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[build]
command = "go build -o tmp/ ./..."

[apps.api]
watch = {{ paths = ["cmd/api"] }}
run = {{ command = "tmp/api", strategy = "overlap", ready = {{ notify = true }} }}

[[apps.api.listen]]
address = "127.0.0.1:{api}"

[apps.worker]
depends_on = ["api"]
watch = {{ paths = ["cmd/worker"] }}
run = {{ command = "tmp/worker", env = {{ ADDR = "127.0.0.1:{worker}", API_URL = "http://127.0.0.1:{api}/" }}, ready = {{ http = "http://127.0.0.1:{worker}/" }} }}
"#
        ),
    );
    let sources = [
        "cmd/api/main.go",
        "cmd/api/version.go",
        "cmd/worker/main.go",
        "cmd/worker/version.go",
    ];
    let before = snapshot(&project, &sources);
    let dir = tempfile::tempdir().unwrap();
    let (xml, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let outcome = project.smoke(
        &[],
        &[
            "--reloads",
            "1",
            "--junit",
            xml.to_str().unwrap(),
            "--report",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    for needle in [
        "smoke: app api",
        "smoke: app worker",
        "smoke: 2 apps, passed (exit 0)",
    ] {
        assert!(
            outcome.stderr.contains(needle),
            "no {needle:?} in\n{}",
            outcome.stderr
        );
    }
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
    let cases = junit_cases(&xml);
    assert_eq!(
        cases.len(),
        6,
        "start, reload 1, shutdown per app: {cases:?}"
    );
    assert!(cases.iter().all(|(_, kind)| kind == "passed"), "{cases:?}");
    let report = report(&json);
    assert_eq!(report["code"], 0);
    for app in ["api", "worker"] {
        assert_eq!(report["apps"][app]["verdict"], "passed", "{report}");
    }
    assert!(
        report["apps"]["api"]["requests"]["ok"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "the api was under load: {report}"
    );
    assert_eq!(report["apps"]["api"]["requests"]["failed"], 0);

    // --check names one app's URL: refused with several apps, with the way out.
    let refused = project.smoke(&[], &["--check", &format!("http://127.0.0.1:{api}/")]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("hotdev --app NAME smoke"),
        "{}",
        refused.stderr
    );
    // One app picked: its URL may be given.
    let picked = project.smoke(
        &["--app", "api"],
        &[
            "--reloads",
            "1",
            "--check",
            &format!("http://127.0.0.1:{api}/"),
        ],
    );
    assert_eq!(picked.code, Some(0), "{}", picked.stderr);
    assert!(
        picked.stderr.contains("smoke: app api"),
        "{}",
        picked.stderr
    );
    assert!(
        !picked.stderr.contains("smoke: app worker"),
        "{}",
        picked.stderr
    );
    assert_untouched(&project, &before);
    assert_nothing_left(&project);
}
