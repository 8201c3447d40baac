//! The subcommands around the reload loop, driven through the real binary in temp dirs:
//! `init`, `config`, `schema`, `man`, `completions`.
//!
//! Generated files committed to the repository (completions/, doc/hotdev.1,
//! hotdev.schema.json) must match what the binary prints. After changing the CLI or the config
//! file types, regenerate them all with:
//!
//!     HOTDEV_BLESS=1 cargo test --test cli committed
//!
//! and commit the result.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use support::{Fixture, Hotdev, free_addr, scrub_env, wait_body};

// ---------------------------------------------------------------------------------------------
// Helpers

fn hotdev() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotdev"));
    scrub_env(&mut command)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Runs hotdev with `args` in `dir` and returns its output (bounded: these commands never
/// wait on anything but the file system and `cargo metadata`).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    hotdev()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run hotdev {args:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts success and returns stdout; shows stderr otherwise.
fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("hotdev-cli-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"))
}

fn write(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("mkdir {parent:?}: {e}"));
    }
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"))
}

/// A directory of stand-in programs (`npm`, `python3`) so that `hotdev config`, which checks
/// that the run command is on PATH, does not depend on what this machine has installed.
fn fake_tools(dir: &Path, names: &[&str]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    for name in names {
        let path = bin.join(name);
        write(&path, "#!/bin/sh\nexit 0\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
    }
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", bin.display())
}

// ---------------------------------------------------------------------------------------------
// Committed generated files

/// Compares `generated` with the committed file, or rewrites it with `HOTDEV_BLESS=1`.
fn assert_committed(relative: &str, generated: &str, how: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("HOTDEV_BLESS").is_some_and(|v| v == "1") {
        write(&path, generated);
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "the files differ in length".to_owned(),
                |i| format!("first difference on line {}", i + 1),
            );
        panic!(
            "{relative} is out of date ({line}).\nRegenerate it with `{how}`, or every generated file with\n  HOTDEV_BLESS=1 cargo test --test cli committed\nand commit the result."
        );
    }
}

#[test]
fn committed_completions_are_current() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shells = [
        ("bash", "completions/hotdev.bash"),
        ("zsh", "completions/_hotdev"),
        ("fish", "completions/hotdev.fish"),
        ("powershell", "completions/_hotdev.ps1"),
        ("elvish", "completions/hotdev.elv"),
    ];
    for (shell, file) in shells {
        let script = ok(run_in(here, &["completions", shell]), shell);
        assert!(script.contains("hotdev"), "{shell}: {script}");
        assert_committed(
            file,
            &script,
            &format!("cargo run -- completions {shell} > {file}"),
        );
    }
}

#[test]
fn committed_man_page_is_current() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = ok(run_in(here, &["man"]), "man");
    assert!(page.contains(".TH hotdev 1"), "{page}");
    for section in ["SYNOPSIS", "OPTIONS", "EXIT STATUS", "FILES"] {
        assert!(page.contains(&format!(".SH {section}")), "no {section}");
    }
    assert_committed("doc/hotdev.1", &page, "cargo run -- man > doc/hotdev.1");
}

#[test]
fn committed_schema_is_current() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = ok(run_in(here, &["schema"]), "schema");
    let parsed: serde_json::Value =
        serde_json::from_str(&schema).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert!(parsed["definitions"]["RunFile"].is_object(), "{schema}");
    assert_committed(
        "hotdev.schema.json",
        &schema,
        "cargo run -- schema > hotdev.schema.json",
    );
}

// ---------------------------------------------------------------------------------------------
// init

/// Runs `hotdev init` in `dir`, expects success, returns (stderr, written file).
fn init(dir: &Path) -> (String, String) {
    let output = run_in(dir, &["init"]);
    let stderr = text(&output.stderr);
    ok(output, "hotdev init");
    (stderr, read(&dir.join(".hotdev.toml")))
}

/// `hotdev config` on the written file, with `path` as PATH; returns its stdout.
fn config_loads(dir: &Path, path: Option<&str>) -> String {
    let mut command = hotdev();
    command.arg("config").current_dir(dir);
    if let Some(path) = path {
        command.env("PATH", path);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run hotdev config: {e}"));
    ok(output, "hotdev config on the file init wrote")
}

#[test]
fn init_go_module_builds_into_tmp_named_after_the_module() {
    let dir = temp_dir();
    write(
        &dir.path().join("go.mod"),
        "module github.com/someone/webapp/v2\n\ngo 1.19\n",
    );
    write(
        &dir.path().join("main.go"),
        "package main\n\nfunc main() {}\n",
    );
    let (stderr, file) = init(dir.path());
    assert!(
        file.contains("command = \"go build -o tmp/webapp .\""),
        "{file}"
    );
    assert!(file.contains("command = \"tmp/webapp\""), "{file}");
    assert!(file.contains("ignore = [\"tmp/**\"]"), "{file}");
    assert!(
        file.contains("extensions = [\"go\", \"mod\", \"sum\"]"),
        "{file}"
    );
    assert!(
        stderr.contains("detected Go module github.com/someone/webapp/v2"),
        "{stderr}"
    );
    assert!(stderr.contains("next: run `hotdev`"), "{stderr}");
    let config = config_loads(dir.path(), None);
    assert!(config.contains("command = \"tmp/webapp\""), "{config}");
}

/// `hotdev init` says when the build output is not ignored by git yet (and git agrees), and
/// never edits `.gitignore` itself.
#[test]
fn init_says_when_the_build_output_is_not_ignored_by_git() {
    let dir = temp_dir();
    write(
        &dir.path().join("go.mod"),
        "module example.com/app\n\ngo 1.19\n",
    );
    write(
        &dir.path().join("main.go"),
        "package main\n\nfunc main() {}\n",
    );
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap_or_else(|e| panic!("cannot run git: {e}"))
    };
    assert!(git(&["init", "-q"]).status.success());
    let line = "tmp/ (the build output) is not ignored by git: add `/tmp/` to .gitignore";
    let (stderr, _) = init(dir.path());
    assert!(stderr.contains(line), "{stderr}");
    assert!(
        !dir.path().join(".gitignore").exists(),
        "init wrote a .gitignore"
    );
    assert!(!git(&["check-ignore", "-q", "tmp/"]).status.success());

    write(&dir.path().join(".gitignore"), "/tmp/\n");
    let output = run_in(dir.path(), &["init", "--force"]);
    let stderr = text(&output.stderr);
    ok(output, "hotdev init --force");
    assert!(!stderr.contains("is not ignored by git"), "{stderr}");
    assert!(git(&["check-ignore", "-q", "tmp/"]).status.success());
    assert_eq!(read(&dir.path().join(".gitignore")), "/tmp/\n");
}

#[test]
fn init_cargo_package_runs_the_first_binary_from_cargo_metadata() {
    let dir = temp_dir();
    write(
        &dir.path().join("Cargo.toml"),
        "[package]\nname = \"tiny-server\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = \"tiny\"\npath = \"src/main.rs\"\n\n[[bin]]\nname = \"admin\"\npath = \"src/admin.rs\"\n",
    );
    write(&dir.path().join("src/main.rs"), "fn main() {}\n");
    write(&dir.path().join("src/admin.rs"), "fn main() {}\n");
    let (stderr, file) = init(dir.path());
    assert!(
        file.contains("command = \"cargo build --bin tiny\""),
        "{file}\n{stderr}"
    );
    assert!(file.contains("command = \"target/debug/tiny\""), "{file}");
    assert!(file.contains("ignore = [\"target/**\"]"), "{file}");
    assert!(
        stderr.contains("several binaries: using tiny; the others are admin"),
        "{stderr}"
    );
    config_loads(dir.path(), None);
}

#[test]
fn init_node_package_runs_the_dev_script_without_a_build() {
    let dir = temp_dir();
    write(
        &dir.path().join("package.json"),
        r#"{ "name": "web", "scripts": { "start": "node server.js", "dev": "node --watch server.js" } }"#,
    );
    let (stderr, file) = init(dir.path());
    assert!(file.contains("command = \"npm run dev\""), "{file}");
    assert!(file.contains("ignore = [\"node_modules/**\"]"), "{file}");
    assert!(file.contains("# [build]"), "{file}");
    assert!(stderr.contains("detected Node.js package web"), "{stderr}");
    let path = fake_tools(dir.path(), &["npm"]);
    let config = config_loads(dir.path(), Some(&path));
    assert!(config.contains("# [build]: none"), "{config}");
}

#[test]
fn init_python_project_runs_app_py() {
    let dir = temp_dir();
    write(
        &dir.path().join("pyproject.toml"),
        "[project]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    write(&dir.path().join("app.py"), "print('hi')\n");
    let (_, file) = init(dir.path());
    assert!(file.contains("command = \"python3 app.py\""), "{file}");
    let path = fake_tools(dir.path(), &["python3"]);
    config_loads(dir.path(), Some(&path));
}

#[test]
fn init_python_without_an_entry_point_leaves_a_commented_placeholder() {
    let dir = temp_dir();
    write(&dir.path().join("requirements.txt"), "flask\n");
    let output = run_in(dir.path(), &["init"]);
    let stderr = text(&output.stderr);
    ok(output, "hotdev init");
    let file = read(&dir.path().join(".hotdev.toml"));
    assert!(file.contains("# command = \"python3 app.py\""), "{file}");
    assert!(stderr.contains("write the run command"), "{stderr}");
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = temp_dir();
    write(&dir.path().join("go.mod"), "module example.com/app\n");
    let existing = "[run]\ncommand = \"mine\"\n";
    write(&dir.path().join(".hotdev.toml"), existing);

    let refused = run_in(dir.path(), &["init"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains("hotdev init --force"), "{stderr}");
    assert_eq!(read(&dir.path().join(".hotdev.toml")), existing);

    ok(
        run_in(dir.path(), &["init", "--force"]),
        "hotdev init --force",
    );
    let file = read(&dir.path().join(".hotdev.toml"));
    assert!(file.contains("go build -o tmp/app ."), "{file}");
}

#[test]
fn init_writes_into_the_directory_of_dash_c() {
    let dir = temp_dir();
    write(&dir.path().join("svc/go.mod"), "module example.com/svc\n");
    let output = run_in(dir.path(), &["-C", "svc", "init"]);
    let stderr = text(&output.stderr);
    ok(output, "hotdev -C svc init");
    assert!(dir.path().join("svc/.hotdev.toml").is_file());
    assert!(stderr.contains("next: run `hotdev -C svc`"), "{stderr}");
}

// ---------------------------------------------------------------------------------------------
// config

#[test]
fn config_names_the_flag_or_the_line_each_value_came_from() {
    let dir = temp_dir();
    write(
        &dir.path().join(".hotdev.toml"),
        "# a comment\n[watch]\nextensions = [\"go\"]\n\n[run]\ncommand = \"sh -c 'exec sleep 1'\"\nstop_timeout = \"2s\"\n",
    );
    let output = run_in(dir.path(), &["--debounce", "75ms", "config"]);
    let stdout = ok(output, "hotdev config");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|line| line.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no `{key}` in\n{stdout}"))
            .to_owned()
    };
    assert!(line("debounce").contains("\"75ms\""), "{stdout}");
    assert!(line("debounce").ends_with("# from --debounce"), "{stdout}");
    assert!(
        line("extensions").ends_with("# from .hotdev.toml:3"),
        "{stdout}"
    );
    assert!(
        line("stop_timeout").ends_with("# from .hotdev.toml:7"),
        "{stdout}"
    );
    assert!(line("ready_timeout").ends_with("# default"), "{stdout}");

    // What it prints is TOML that hotdev itself accepts.
    let copy = temp_dir();
    write(&copy.path().join(".hotdev.toml"), &stdout);
    ok(
        run_in(copy.path(), &["config"]),
        "hotdev config on its own output",
    );

    let json = ok(
        run_in(
            dir.path(),
            &["--debounce", "75ms", "config", "--format", "json"],
        ),
        "hotdev config --format json",
    );
    let parsed: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("not JSON: {e}\n{json}"));
    let values = parsed["values"].as_array().cloned().unwrap_or_default();
    let debounce = values
        .iter()
        .find(|v| v["key"] == "watch.debounce")
        .unwrap_or_else(|| panic!("no watch.debounce in {json}"));
    assert_eq!(debounce["value"], "75ms");
    assert_eq!(debounce["from"][0]["flag"], "--debounce");
}

#[test]
fn config_reports_a_bad_file_like_a_run_does() {
    let dir = temp_dir();
    write(&dir.path().join(".hotdev.toml"), "[run]\ncomand = \"x\"\n");
    let output = run_in(dir.path(), &["config"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        text(&output.stderr).contains(".hotdev.toml:2:1: unknown key `comand`"),
        "{output:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// init, then serve the Go fixture

#[test]
fn init_then_hotdev_serves_the_go_fixture() {
    support::require_go();
    let fx = Fixture::copy("go-server");
    std::fs::remove_file(fx.file(".hotdev.toml")).expect("remove the fixture's config");
    let (_, file) = init(fx.path());
    assert!(file.contains("go build -o tmp/goserver ."), "{file}");

    let address = free_addr();
    let mut h = Hotdev::start(fx.path(), &["--listen", &address.to_string()]);
    // The first build compiles the fixture with a cold Go cache on a slow machine.
    h.wait_for("generation_started", &[], Duration::from_secs(180))
        .unwrap();
    wait_body(address, "/", "v1", Duration::from_secs(30)).unwrap();

    h.signal(Signal::SIGTERM);
    let status = h.wait_exit(Duration::from_secs(30)).unwrap();
    assert_eq!(status.code(), Some(0), "hotdev exited with {status}");
}

/// In a Go web app (fixtures/go-web: html/template, templates/, static/) `hotdev init` offers a
/// commented `[proxy]` whose reload_only names the directories that exist.
#[test]
fn init_offers_a_commented_proxy_for_a_go_web_app() {
    let fx = Fixture::copy("go-web");
    std::fs::remove_file(fx.file(".hotdev.toml")).expect("remove the fixture's config");
    let (_, file) = init(fx.path());
    assert!(file.contains("\n# [proxy]\n"), "{file}");
    assert!(file.contains("html/template in main.go"), "{file}");
    assert!(
        file.contains("# reload_only = [\"templates/**\", \"static/**\"]"),
        "{file}"
    );
    let config = config_loads(fx.path(), None);
    assert!(!config.contains("[proxy]"), "commented out: {config}");
}

/// A Go module with several `cmd/*` (fixtures/go-multi without its config): one app per
/// command, all built by one `go build -o tmp/ ./...`, each watching its own package and the
/// shared `internal/`; the file loads.
#[test]
fn init_offers_one_app_per_go_command() {
    let fx = Fixture::copy("go-multi");
    std::fs::remove_file(fx.file(".hotdev.toml")).expect("remove the fixture's config");
    let (stderr, file) = init(fx.path());
    assert!(
        stderr.contains("one app per command: api, worker"),
        "{stderr}"
    );
    assert!(
        file.contains("command = \"go build -o tmp/ ./...\""),
        "{file}"
    );
    assert!(file.contains("[apps.api]\n"), "{file}");
    assert!(
        file.contains("watch = { paths = [\"cmd/worker\", \"internal\", \"go.mod\"] }"),
        "{file}"
    );
    let config = config_loads(fx.path(), None);
    assert!(config.contains("[apps.worker.run]"), "{config}");
    assert!(config.contains("command = \"tmp/worker\""), "{config}");
}

/// `hotdev init --from-procfile`: each line an app that runs as is; what cannot be mapped is
/// a `!` line naming the Procfile's line; the file loads.
#[test]
fn init_from_procfile_makes_one_app_per_line() {
    let dir = temp_dir();
    write(
        &dir.path().join("Procfile"),
        "web: python3 -m http.server $PORT\nrelease: bin/migrate\nclock: sleep 1000\n",
    );
    let output = run_in(dir.path(), &["init", "--from-procfile"]);
    let stderr = text(&output.stderr);
    ok(output, "hotdev init --from-procfile");
    assert!(
        stderr.contains("Procfile line 2: `release` is Heroku's release phase"),
        "{stderr}"
    );
    assert!(stderr.contains("wrote .hotdev.toml (2 apps;"), "{stderr}");
    let file = read(&dir.path().join(".hotdev.toml"));
    assert!(
        file.contains(
            "run = { command = \"python3 -m http.server $PORT\", env = { PORT = \"5000\" } }"
        ),
        "{file}"
    );
    let config = config_loads(dir.path(), None);
    assert!(config.contains("[apps.clock]"), "{config}");
    assert!(config.contains("watch = false"), "{config}");
    let missing = run_in(temp_dir().path(), &["init", "--from-procfile"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("no Procfile in"),
        "{}",
        text(&missing.stderr)
    );
}
