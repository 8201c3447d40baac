//! Resolution end to end: a temp project, a fake PATH, and the exact messages users see.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use clap::Parser;
use nix::sys::signal::Signal;
use tempfile::TempDir;

use super::*;
use crate::engine::SwapStrategy;
use crate::process::Program;
use crate::sockets::ListenAddress;

/// A project directory, and a PATH of fake programs outside it.
pub(super) struct Project {
    dir: TempDir,
    bin: TempDir,
}

impl Project {
    pub(super) fn new(toml: Option<&str>) -> Project {
        let project = Project {
            dir: TempDir::new().unwrap(),
            bin: TempDir::new().unwrap(),
        };
        for program in ["go", "cargo", "app"] {
            let path = project.bin.path().join(program);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        if let Some(toml) = toml {
            project.write(FILE_NAME, toml);
        }
        project
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn load_in(&self, sub: &str, args: &[&str]) -> Result<Config, ConfigError> {
        self.load_apps_in(sub, args).map(|mut apps| {
            assert_eq!(apps.len(), 1, "one app");
            apps.remove(0).config
        })
    }

    pub(super) fn load_apps_in(&self, sub: &str, args: &[&str]) -> Result<Vec<App>, ConfigError> {
        let cli =
            Cli::try_parse_from(std::iter::once("hotdev").chain(args.iter().copied())).unwrap();
        let env = Env {
            path: Some(self.bin.path().as_os_str().to_owned()),
            cargo_target_dir: None,
            own_output: Vec::new(),
        };
        load_with(&cli, &self.root().join(sub), &env)
    }

    fn load(&self, args: &[&str]) -> Config {
        self.load_in("", args)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    pub(super) fn error(&self, args: &[&str]) -> String {
        match self.load_apps_in("", args) {
            Ok(apps) => panic!("expected an error, got {apps:?}"),
            Err(error) => error.to_string(),
        }
    }
}

pub(super) const MINIMAL: &str =
    "[build]\ncommand = \"go build -o tmp/app .\"\n\n[run]\ncommand = \"tmp/app\"\n";

#[test]
fn minimal_file_resolves_with_defaults() {
    let project = Project::new(Some(MINIMAL));
    let config = project.load(&[]);
    let root = project.root();
    assert_eq!(config.root, root);
    assert_eq!(config.file.as_deref(), Some(root.join(FILE_NAME).as_path()));
    let build = config.build.unwrap();
    assert_eq!(
        build.command.program,
        Program::Argv(vec![
            "go".into(),
            "build".into(),
            "-o".into(),
            "tmp/app".into(),
            ".".into()
        ])
    );
    assert_eq!(build.timeout, None);
    assert_eq!(
        config.run.command.program,
        Program::Argv(vec!["tmp/app".into()])
    );
    assert_eq!(config.run.strategy, SwapStrategy::Restart);
    assert_eq!(config.run.stop_signal, Signal::SIGTERM);
    assert_eq!(config.run.reload_signal, Signal::SIGHUP);
    assert_eq!(config.run.stop_timeout, Duration::from_secs(5));
    assert_eq!(config.run.ready_timeout, Duration::from_secs(30));
    assert!(config.run.ready.is_none());
    assert_eq!(config.watch.paths, [root.to_path_buf()]);
    assert_eq!(config.watch.debounce, Duration::from_millis(50));
    assert!(config.watch.gitignore);
    assert_eq!(config.watch.poll, None);
    assert_eq!(
        config.watch.never,
        [root.join(".hotdev"), root.join("tmp"), root.join("tmp/app")]
    );
    assert!(config.listen.is_empty());
    assert_eq!(config.output.verbosity, Verbosity::Normal);
    assert!(config.output.keys);
}

#[test]
fn a_flag_beats_the_file_and_the_file_beats_the_default() {
    let project = Project::new(Some(&format!(
        "{MINIMAL}stop_timeout = \"2s\"\n[watch]\ndebounce = \"200ms\"\n"
    )));
    let config = project.load(&["--debounce", "10ms"]);
    assert_eq!(
        config.watch.debounce,
        Duration::from_millis(10),
        "flag over file"
    );
    assert_eq!(
        config.run.stop_timeout,
        Duration::from_secs(2),
        "file over default"
    );
    assert_eq!(config.run.ready_timeout, Duration::from_secs(30), "default");

    let config = project.load(&[
        "--run",
        "app --port 1",
        "--strategy",
        "signal",
        "--stop-signal",
        "int",
        "-q",
        "--no-keys",
    ]);
    assert_eq!(
        config.run.command.program,
        Program::Argv(vec!["app".into(), "--port".into(), "1".into()])
    );
    assert_eq!(config.run.strategy, SwapStrategy::Signal);
    assert_eq!(config.run.stop_signal, Signal::SIGINT);
    assert_eq!(config.output.verbosity, Verbosity::Quiet);
    assert!(!config.output.keys);

    let config = project.load(&["-v", "--", "app", "a b"]);
    assert_eq!(
        config.run.command.program,
        Program::Argv(vec!["app".into(), "a b".into()])
    );
    assert_eq!(config.output.verbosity, Verbosity::Verbose);
}

#[test]
fn watch_lists_extensions_ignores_and_poll() {
    let project = Project::new(Some(&format!(
        "{MINIMAL}[watch]\nextensions = [\".GO\", \"mod\", \"go\"]\nignore = [\"vendor/**\"]\npoll = true\n"
    )));
    let config = project.load(&[]);
    assert_eq!(config.watch.extensions, ["go", "mod"]);
    assert_eq!(config.watch.poll, Some(Duration::from_millis(500)));

    let config = project.load(&["-e", "rs,toml", "-i", "*.log", "--poll=1s"]);
    assert_eq!(
        config.watch.extensions,
        ["rs", "toml"],
        "-e replaces the file's list"
    );
    assert_eq!(
        config.watch.ignore,
        ["vendor/**", "*.log"],
        "-i adds to the file's list"
    );
    assert_eq!(config.watch.poll, Some(Duration::from_secs(1)));
    assert_eq!(
        project.load(&["--poll"]).watch.poll,
        Some(Duration::from_millis(500))
    );
}

#[test]
fn file_is_found_in_an_ancestor_and_paths_resolve_against_it() {
    let project = Project::new(Some(&format!(
        "{MINIMAL}[watch]\npaths = [\"src\"]\n[[listen]]\naddress = \"unix:tmp/app.sock\"\n"
    )));
    project.write("src/deep/main.go", "");
    let config = project.load_in("src/deep", &[]).unwrap();
    let root = project.root();
    assert_eq!(config.root, root);
    assert_eq!(config.watch.paths, [root.join("src")]);
    assert_eq!(
        config.listen[0].address,
        ListenAddress::Unix(root.join("tmp/app.sock"))
    );
    assert_eq!(discover(&root.join("src/deep")), Some(root.join(FILE_NAME)));
}

#[test]
fn directory_flag_applies_before_discovery_and_config_flag_names_a_file() {
    let project = Project::new(None);
    project.write("api/.hotdev.toml", MINIMAL);
    project.write("other.toml", "[run]\ncommand = \"app\"\n");
    let config = project.load(&["-C", "api"]);
    assert_eq!(config.root, project.root().join("api"));
    let config = project.load(&["-c", "other.toml"]);
    assert_eq!(config.file, Some(project.root().join("other.toml")));
    assert!(config.build.is_none());
    assert!(
        project
            .error(&["-c", "missing.toml"])
            .starts_with("--config: cannot read `")
    );
    assert!(project.error(&["-C", "nope"]).starts_with("--directory: `"));
}

#[test]
fn no_run_command_says_how_to_start() {
    let message = Project::new(None).error(&[]);
    assert!(
        message.starts_with("no run command: there is no .hotdev.toml here or above"),
        "{message}"
    );
    // Not `go run .`, which forks: signals and pre-bound sockets would miss the app.
    assert!(!message.contains("go run"), "{message}");
    let with_listen = Project::new(None).error(&["--listen", "8080"]);
    assert!(with_listen.starts_with("no run command"), "{with_listen}");
    assert!(!with_listen.contains("go run"), "{with_listen}");
    assert!(
        message.contains("hotdev --build \"go build -o tmp/app .\" -- tmp/app"),
        "{message}"
    );
    assert!(
        message.contains("command = \"go build -o tmp/app .\"\n"),
        "{message}"
    );
    assert!(
        message.contains("[run]\n        command = \"tmp/app\""),
        "{message}"
    );
    let message = Project::new(Some("[build]\ncommand = \"go build\"\n")).error(&[]);
    assert!(
        message.starts_with("no run command: the config file has no `[run] command`"),
        "{message}"
    );
}

#[test]
fn build_tool_not_on_path_is_named_with_an_install_hint() {
    let project = Project::new(Some(MINIMAL));
    std::fs::remove_file(project.bin.path().join("go")).unwrap();
    assert_eq!(
        project.error(&[]),
        ".hotdev.toml:2:11: `go` is not on PATH (key `build.command`)\n  hint: install Go from https://go.dev/dl/ or your package manager, then check that `go` runs in this shell (PATH is searched as hotdev sees it)"
    );
    assert!(
        project
            .error(&["--build", "CGO_ENABLED=0 go build ."])
            .starts_with("--build: `go` is not on PATH")
    );
}

#[test]
fn run_program_is_checked_only_without_a_build_step() {
    let project = Project::new(None);
    project.load(&["--build", "go build -o tmp/app .", "--", "tmp/app"]);
    let message = project.error(&["--", "tmp/app"]);
    assert!(
        message.starts_with("the command after --: `tmp/app` does not exist"),
        "{message}"
    );
    assert!(
        project
            .error(&["--run", "nosuchtool -x"])
            .starts_with("--run: `nosuchtool` is not on PATH")
    );
}

#[test]
fn overlap_needs_a_readiness_check() {
    let project = Project::new(Some(&format!("{MINIMAL}strategy = \"overlap\"\n")));
    assert_eq!(
        project.error(&[]),
        ".hotdev.toml:6:12: `overlap` needs a readiness check to tell the new generation from the old one (key `run.strategy`)\n  hint: add `ready = { notify = true }` to [run] (the app sends READY=1 to $NOTIFY_SOCKET), or a log, http, tcp or delay check"
    );
    assert!(project.load(&["--ready", "notify"]).run.ready.is_some());
    let project = Project::new(Some(MINIMAL));
    assert!(
        project
            .error(&["--strategy", "overlap"])
            .contains("hint: add `--ready notify`")
    );
}

#[test]
fn overlap_must_not_probe_a_pre_bound_listener() {
    let toml = format!(
        "{MINIMAL}strategy = \"overlap\"\nready = {{ http = \"http://localhost:8080/health\" }}\n[[listen]]\naddress = \"8080\"\n"
    );
    let project = Project::new(Some(&toml));
    let message = project.error(&[]);
    assert!(message.starts_with(".hotdev.toml:7:18: the readiness check `http://localhost:8080/health` probes the pre-bound listener 127.0.0.1:8080"), "{message}");
    assert!(message.contains("(key `run.ready.http`)"), "{message}");
    assert!(
        project
            .error(&["--ready", "tcp:8080"])
            .starts_with("--ready: the readiness check `127.0.0.1:8080`")
    );
    project.load(&["--ready", "tcp:8081"]);
    project.load(&["--strategy", "restart"]);
}

#[test]
fn bad_values_point_at_their_key_or_flag() {
    // Each case is the top of a file; the run command (inside a trailing [run]) and the
    // build step follow it, so the expected line numbers are those of the case.
    let cases = [
        (
            "[watch]\ndebounce = \"5x\"\n",
            ".hotdev.toml:2:12: `5x` is not a duration (unknown time unit \"x\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)) (key `watch.debounce`)",
        ),
        (
            "[watch]\nignore = [\"ok\", \"src/[a\"]\n",
            ".hotdev.toml:2:17: `src/[a` is not a valid glob: unclosed character class; missing ']' (key `watch.ignore[1]`)",
        ),
        (
            "[watch]\nextensions = [\"*.go\"]\n",
            ".hotdev.toml:2:15: `*.go` is not a file extension (key `watch.extensions[0]`)",
        ),
        (
            "[watch]\npaths = [\"nope\"]\n",
            ".hotdev.toml:2:10: the watch path `nope` does not exist (key `watch.paths[0]`)",
        ),
        (
            "[[listen]]\naddress = \"example.com:80\"\n",
            ".hotdev.toml:2:11: `example.com:80` is not a listen address (key `listen[0].address`)",
        ),
        (
            "[[listen]]\naddress = \"8080\"\nname = \"a:b\"\n",
            ".hotdev.toml:3:8: `a:b` cannot be a socket name (key `listen[0].name`)",
        ),
        (
            "[[listen]]\naddress = \"8080\"\n[[listen]]\naddress = \":8080\"\n",
            ".hotdev.toml:4:11: this address is already in the listen list (key `listen[1].address`)",
        ),
        (
            "[run]\nstop_signal = \"SIGFOO\"\n",
            ".hotdev.toml:2:15: `SIGFOO` is not a signal (key `run.stop_signal`)",
        ),
        (
            "[run]\nready = { log = \"listening (\" }\n",
            ".hotdev.toml:2:17: `listening (` is not a valid regex: unclosed group (key `run.ready.log`)",
        ),
        (
            "[run]\nready_timeout = \"\"\n",
            ".hotdev.toml:2:17: the duration is empty (key `run.ready_timeout`)",
        ),
        (
            "[build]\ncommand = \"go build\"\ntimeout = \"long\"\n[run]\n",
            ".hotdev.toml:3:11: `long` is not a duration (expected number at 0) (key `build.timeout`)",
        ),
    ];
    for (case, expected) in cases {
        let mut file = case.to_owned();
        if !case.contains("[run]") {
            file.push_str("[run]\n");
        }
        file.push_str("command = \"tmp/app\"\n");
        if !case.contains("[build]") {
            file.push_str("[build]\ncommand = \"go build -o tmp/app .\"\n");
        }
        let message = Project::new(Some(&file)).error(&[]);
        assert_eq!(message.lines().next().unwrap(), expected, "\n{file}");
    }
}

#[test]
fn bad_flag_values_name_the_flag() {
    let project = Project::new(Some(MINIMAL));
    assert_eq!(
        project.error(&["--debounce", "soon"]),
        "--debounce: `soon` is not a duration (expected number at 0)\n  hint: write a number and a unit, e.g. \"50ms\", \"5s\" or \"1m 30s\""
    );
    assert!(
        project
            .error(&["--reload-signal", "FOO"])
            .starts_with("--reload-signal: `FOO` is not a signal")
    );
    assert!(
        project
            .error(&["--listen", "nope"])
            .starts_with("--listen: `nope` is not a listen address")
    );
    assert!(
        project
            .error(&["-i", "a/{b"])
            .starts_with("--ignore: `a/{b` is not a valid glob")
    );
    assert!(
        project
            .error(&["--ready", "log:("])
            .starts_with("--ready: `(` is not a valid regex")
    );
    assert!(
        project
            .error(&["--poll=x"])
            .starts_with("--poll: `x` is not a duration")
    );
}

#[test]
fn listen_flags_replace_the_file_and_default_the_name() {
    let project = Project::new(Some(&format!(
        "{MINIMAL}[[listen]]\naddress = \"9000\"\nname = \"http\"\n"
    )));
    let config = project.load(&[]);
    assert_eq!(config.listen[0].name, "http");
    let config = project.load(&["--listen", "8080", "--listen", "[::1]:8081"]);
    let addresses: Vec<_> = config
        .listen
        .iter()
        .map(|spec| (spec.address.clone(), spec.name.as_str()))
        .collect();
    assert_eq!(
        addresses,
        [
            (
                ListenAddress::Tcp("127.0.0.1:8080".parse().unwrap()),
                "unknown"
            ),
            (ListenAddress::Tcp("[::1]:8081".parse().unwrap()), "unknown"),
        ]
    );
}

#[test]
fn shell_commands_are_kept_whole() {
    let project = Project::new(None);
    let config = project.load(&[
        "--build",
        "go vet ./... && go build -o tmp/app .",
        "--run",
        "exec tmp/app > log",
    ]);
    assert_eq!(
        config.build.unwrap().command.program,
        Program::Script("go vet ./... && go build -o tmp/app .".into())
    );
    assert_eq!(
        config.run.command.program,
        Program::Script("exec tmp/app > log".into())
    );
    assert!(config.watch.never.contains(&project.root().join("tmp")));
}
