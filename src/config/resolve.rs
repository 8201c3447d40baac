//! From the command line and `.hotdev.toml` to one validated [`Config`].
//!
//! Precedence is CLI > file > [`defaults`]. Every check a user can fail happens here, once,
//! with a message that points at the flag or the key; downstream code trusts the `Config`.
//! The only I/O: finding and reading the file, and looking programs up on PATH.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Problem};
use super::file::{CommandFile, FileConfig, Poll, ReadyFile, StrategyFile};
use super::never::{never_watched, normalize};
use super::source::Source;
use super::{
    BuildConfig, CommandSpec, Config, FILE_NAME, ListenAddress, ListenSpec, LogFormat,
    OutputConfig, Program, Readiness, RunConfig, SwapStrategy, Verbosity, WatchConfig, value,
};
use crate::cli::{Cli, LogFormatArg, StrategyArg};

/// Every default, in one place.
pub mod defaults {
    use std::time::Duration;

    use nix::sys::signal::Signal;

    use crate::config::SwapStrategy;

    pub const DEBOUNCE: Duration = Duration::from_millis(50);
    /// The interval of `poll = true` and a bare `--poll`.
    pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
    pub const STOP_SIGNAL: Signal = Signal::SIGTERM;
    pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
    pub const RELOAD_SIGNAL: Signal = Signal::SIGHUP;
    pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
    pub const STRATEGY: SwapStrategy = SwapStrategy::Restart;
    pub const WATCH_PATHS: &[&str] = &["."];
    pub const GITIGNORE: bool = true;
    /// systemd's own name for a socket that was given none.
    pub const LISTEN_NAME: &str = "unknown";
}

/// Finds and reads the config file, merges it with `cli`, and validates the result.
/// `cwd` is the process's working directory; `-C` is applied to it here.
pub fn load(cli: &Cli, cwd: &Path) -> Result<Config, ConfigError> {
    let env = Env {
        path: std::env::var_os("PATH"),
        cargo_target_dir: std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from),
    };
    load_with(cli, cwd, &env)
}

/// What resolution reads from the environment, passed in so that tests do not mutate it.
struct Env {
    path: Option<OsString>,
    cargo_target_dir: Option<PathBuf>,
}

fn load_with(cli: &Cli, cwd: &Path, env: &Env) -> Result<Config, ConfigError> {
    let cwd = match &cli.directory {
        Some(dir) => {
            let dir = normalize(&cwd.join(dir));
            if !dir.is_dir() {
                return Err(ConfigError::flag(
                    "--directory",
                    Problem::new(format!("`{}` is not a directory", dir.display())),
                ));
            }
            dir
        }
        None => cwd.to_path_buf(),
    };
    let path = match &cli.config {
        Some(path) => Some(normalize(&cwd.join(path))),
        None => discover(&cwd),
    };
    let Some(path) = path else {
        let ctx = Ctx {
            source: None,
            cli,
            cwd: &cwd,
            root: &cwd,
            env,
        };
        return ctx.resolve(FileConfig::default(), None);
    };
    let text = std::fs::read_to_string(&path).map_err(|error| {
        let problem = Problem::new(format!("cannot read `{}`: {error}", path.display()));
        match cli.config {
            Some(_) => ConfigError::flag("--config", problem),
            None => ConfigError::nowhere(problem),
        }
    })?;
    let shown = path
        .strip_prefix(&cwd)
        .map_or(path.clone(), Path::to_path_buf);
    let (file, source) = Source::parse(shown, text)?;
    let root = path.parent().map_or(cwd.clone(), Path::to_path_buf);
    let ctx = Ctx {
        source: Some(&source),
        cli,
        cwd: &cwd,
        root: &root,
        env,
    };
    ctx.resolve(file, Some(path.clone()))
}

/// `.hotdev.toml` in `dir` or its nearest ancestor.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Where a raw value came from, for the message if it is bad.
#[derive(Debug, Clone, Copy)]
enum At<'k> {
    Flag(&'static str),
    Key(&'k str),
}

struct Ctx<'a> {
    source: Option<&'a Source>,
    cli: &'a Cli,
    cwd: &'a Path,
    root: &'a Path,
    env: &'a Env,
}

impl Ctx<'_> {
    fn error(&self, at: At<'_>, problem: Problem) -> ConfigError {
        match (at, self.source) {
            (At::Flag(flag), _) => ConfigError::flag(flag, problem),
            (At::Key(key), Some(source)) => source.error(key, problem),
            (At::Key(key), None) => ConfigError::nowhere(problem).with_key(key),
        }
    }

    /// Parses the flag's value if given, else the file's, else returns `None`.
    fn pick<T>(
        &self,
        flag: (&'static str, Option<&str>),
        key: (&str, Option<&str>),
        parse: impl Fn(&str) -> Result<T, Problem>,
    ) -> Result<Option<T>, ConfigError> {
        let (at, raw) = match (flag, key) {
            ((flag, Some(raw)), _) => (At::Flag(flag), raw),
            (_, (key, Some(raw))) => (At::Key(key), raw),
            _ => return Ok(None),
        };
        parse(raw)
            .map(Some)
            .map_err(|problem| self.error(at, problem))
    }

    fn resolve(&self, file: FileConfig, path: Option<PathBuf>) -> Result<Config, ConfigError> {
        let cli = self.cli;
        let build = self.build(&file)?;
        let (run, run_at, ready_at) = self.run(&file)?;
        let listen = self.listen(&file)?;

        match &build {
            Some((build, at)) => self.check_program(&build.command.program, *at)?,
            None => self.check_program(&run.command.program, run_at)?,
        }
        let build = build.map(|(build, _)| build);
        self.check_strategy(&run, &listen, ready_at)?;

        let mut watch = self.watch(&file)?;
        watch.never = never_watched(
            self.root,
            build.as_ref(),
            &run.command.program,
            self.env.cargo_target_dir.as_deref(),
        );
        let output = OutputConfig {
            format: match cli.log_format {
                Some(LogFormatArg::Json) => LogFormat::Json,
                Some(LogFormatArg::Human) | None => LogFormat::Human,
            },
            verbosity: match (cli.quiet, cli.verbose) {
                (true, _) => Verbosity::Quiet,
                (_, true) => Verbosity::Verbose,
                _ => Verbosity::Normal,
            },
            keys: !cli.no_keys,
        };
        Ok(Config {
            root: self.root.to_path_buf(),
            file: path,
            watch,
            build,
            run,
            listen,
            output,
        })
    }

    fn watch(&self, file: &FileConfig) -> Result<WatchConfig, ConfigError> {
        let (cli, watch) = (self.cli, &file.watch);
        let mut paths = Vec::new();
        if !cli.watch.is_empty() {
            for path in &cli.watch {
                paths.push(self.existing(
                    self.cwd,
                    &path.to_string_lossy(),
                    At::Flag("--watch"),
                )?);
            }
        } else if let Some(list) = &watch.paths {
            for (i, path) in list.iter().enumerate() {
                paths.push(self.existing(
                    self.root,
                    path,
                    At::Key(&format!("watch.paths[{i}]")),
                )?);
            }
        } else {
            paths = defaults::WATCH_PATHS
                .iter()
                .map(|p| normalize(&self.root.join(p)))
                .collect();
        }

        let mut extensions = Vec::new();
        let (list, flag) = match &watch.extensions {
            _ if !cli.ext.is_empty() => (cli.ext.clone(), true),
            Some(list) => (list.clone(), false),
            None => (Vec::new(), false),
        };
        for (i, ext) in list.iter().enumerate() {
            let key = format!("watch.extensions[{i}]");
            let at = if flag {
                At::Flag("--ext")
            } else {
                At::Key(&key)
            };
            let ext = value::extension(ext).map_err(|problem| self.error(at, problem))?;
            if !extensions.contains(&ext) {
                extensions.push(ext);
            }
        }

        // Ignores add up: the file's, then the command line's.
        let mut ignore = Vec::new();
        for (i, glob) in watch.ignore.iter().flatten().enumerate() {
            self.glob(glob, At::Key(&format!("watch.ignore[{i}]")))?;
            ignore.push(glob.clone());
        }
        for glob in &cli.ignore {
            self.glob(glob, At::Flag("--ignore"))?;
            ignore.push(glob.clone());
        }
        let mut include = Vec::new();
        for (i, glob) in watch.include.iter().flatten().enumerate() {
            self.glob(glob, At::Key(&format!("watch.include[{i}]")))?;
            include.push(glob.clone());
        }

        let debounce = self
            .pick(
                ("--debounce", cli.debounce.as_deref()),
                ("watch.debounce", watch.debounce.as_deref()),
                value::duration,
            )?
            .unwrap_or(defaults::DEBOUNCE);
        let interval = |text: &str| match text {
            "" => Ok(defaults::POLL_INTERVAL),
            text => value::duration(text),
        };
        let poll = match (&cli.poll, &watch.poll) {
            (Some(text), _) => Some(interval(text).map_err(|p| self.error(At::Flag("--poll"), p))?),
            (None, Some(Poll::Enabled(true))) => Some(defaults::POLL_INTERVAL),
            (None, Some(Poll::Interval(text))) => {
                Some(interval(text).map_err(|p| self.error(At::Key("watch.poll"), p))?)
            }
            (None, Some(Poll::Enabled(false)) | None) => None,
        };
        Ok(WatchConfig {
            paths,
            extensions,
            ignore,
            include,
            gitignore: watch.gitignore.unwrap_or(defaults::GITIGNORE),
            debounce,
            poll,
            never: Vec::new(),
        })
    }

    fn existing(&self, base: &Path, path: &str, at: At<'_>) -> Result<PathBuf, ConfigError> {
        let full = normalize(&base.join(path));
        if full.exists() {
            return Ok(full);
        }
        Err(self.error(
            at,
            Problem::new(format!("the watch path `{path}` does not exist"))
                .with_hint(format!("paths are relative to {}", base.display())),
        ))
    }

    fn glob(&self, glob: &str, at: At<'_>) -> Result<(), ConfigError> {
        value::glob(glob).map_err(|problem| self.error(at, problem))
    }

    fn build(&self, file: &FileConfig) -> Result<Option<(BuildConfig, At<'static>)>, ConfigError> {
        let from_file = file.build.as_ref();
        let (command, at) = match (&self.cli.build, from_file) {
            (Some(line), _) => (CommandFile::Line(line.clone()), At::Flag("--build")),
            (None, Some(build)) => (build.command.clone(), At::Key("build.command")),
            (None, None) => return Ok(None),
        };
        let program = value::program(&command).map_err(|problem| self.error(at, problem))?;
        let timeout = self.pick(
            ("", None),
            (
                "build.timeout",
                from_file.and_then(|b| b.timeout.as_deref()),
            ),
            value::duration,
        )?;
        let env = from_file.map(|build| build.env.clone()).unwrap_or_default();
        Ok(Some((
            BuildConfig {
                command: CommandSpec { program, env },
                timeout,
            },
            at,
        )))
    }

    fn run(&self, file: &FileConfig) -> Result<(RunConfig, At<'static>, At<'static>), ConfigError> {
        let (cli, run) = (self.cli, &file.run);
        let (command, at) = if !cli.run_argv.is_empty() {
            (
                CommandFile::Argv(cli.run_argv.clone()),
                At::Flag("the command after --"),
            )
        } else if let Some(line) = &cli.run {
            (CommandFile::Line(line.clone()), At::Flag("--run"))
        } else if let Some(command) = &run.command {
            (command.clone(), At::Key("run.command"))
        } else {
            return Err(no_run_command(self.source.is_some()));
        };
        let program = value::program(&command).map_err(|problem| self.error(at, problem))?;

        let strategy = match (cli.strategy, run.strategy) {
            (Some(StrategyArg::Restart), _) | (None, Some(StrategyFile::Restart)) => {
                SwapStrategy::Restart
            }
            (Some(StrategyArg::Overlap), _) | (None, Some(StrategyFile::Overlap)) => {
                SwapStrategy::Overlap
            }
            (Some(StrategyArg::Signal), _) | (None, Some(StrategyFile::Signal)) => {
                SwapStrategy::Signal
            }
            (None, None) => defaults::STRATEGY,
        };
        let signal = |flag, flag_value: &Option<String>, key, file_value: &Option<String>| {
            self.pick(
                (flag, flag_value.as_deref()),
                (key, file_value.as_deref()),
                value::signal,
            )
        };
        let reload_signal = signal(
            "--reload-signal",
            &cli.reload_signal,
            "run.reload_signal",
            &run.reload_signal,
        )?
        .unwrap_or(defaults::RELOAD_SIGNAL);
        let stop_signal = signal(
            "--stop-signal",
            &cli.stop_signal,
            "run.stop_signal",
            &run.stop_signal,
        )?
        .unwrap_or(defaults::STOP_SIGNAL);
        let duration = |flag,
                        flag_value: &Option<String>,
                        key,
                        file_value: &Option<String>,
                        default: Duration| {
            self.pick(
                (flag, flag_value.as_deref()),
                (key, file_value.as_deref()),
                value::duration,
            )
            .map(|picked| picked.unwrap_or(default))
        };
        let stop_timeout = duration(
            "--stop-timeout",
            &cli.stop_timeout,
            "run.stop_timeout",
            &run.stop_timeout,
            defaults::STOP_TIMEOUT,
        )?;
        let ready_timeout = duration(
            "--ready-timeout",
            &cli.ready_timeout,
            "run.ready_timeout",
            &run.ready_timeout,
            defaults::READY_TIMEOUT,
        )?;

        let (ready, ready_at) = match (&cli.ready, &run.ready) {
            (Some(text), _) => {
                let at = At::Flag("--ready");
                let parsed = value::ready_flag(text).and_then(|ready| value::readiness(&ready));
                (parsed.map_err(|problem| self.error(at, problem))?, at)
            }
            (None, Some(ready)) => {
                let at = At::Key(ready_key(ready));
                (
                    value::readiness(ready).map_err(|problem| self.error(at, problem))?,
                    at,
                )
            }
            (None, None) => (None, At::Key("run.ready")),
        };
        let env = run.env.clone();
        let config = RunConfig {
            command: CommandSpec { program, env },
            strategy,
            reload_signal,
            stop_signal,
            stop_timeout,
            ready,
            ready_timeout,
        };
        Ok((config, at, ready_at))
    }

    fn listen(&self, file: &FileConfig) -> Result<Vec<ListenSpec>, ConfigError> {
        let mut specs: Vec<ListenSpec> = Vec::new();
        let mut push = |spec: ListenSpec, at: At<'_>| {
            if specs.iter().any(|other| other.address == spec.address) {
                return Err(self.error(
                    at,
                    Problem::new("this address is already in the listen list"),
                ));
            }
            specs.push(spec);
            Ok(())
        };
        if !self.cli.listen.is_empty() {
            for text in &self.cli.listen {
                let at = At::Flag("--listen");
                let address =
                    value::listen_address(text, self.cwd).map_err(|p| self.error(at, p))?;
                push(
                    ListenSpec {
                        address,
                        name: defaults::LISTEN_NAME.to_owned(),
                    },
                    at,
                )?;
            }
            return Ok(specs);
        }
        for (i, listen) in file.listen.iter().enumerate() {
            let key = format!("listen[{i}].address");
            let address = value::listen_address(&listen.address, self.root)
                .map_err(|problem| self.error(At::Key(&key), problem))?;
            let name_key = format!("listen[{i}].name");
            let name = listen
                .name
                .clone()
                .unwrap_or_else(|| defaults::LISTEN_NAME.to_owned());
            if name.is_empty()
                || name.len() > 255
                || !name.chars().all(|c| c.is_ascii_graphic() && c != ':')
            {
                return Err(self.error(
                    At::Key(&name_key),
                    Problem::new(format!("`{name}` cannot be a socket name")).with_hint(
                        "use 1 to 255 printable ASCII characters without `:`, e.g. \"http\"",
                    ),
                ));
            }
            push(ListenSpec { address, name }, At::Key(&key))?;
        }
        Ok(specs)
    }

    /// The program must exist now: the build's always, the run's only when no build step
    /// could create it.
    fn check_program(&self, program: &Program, at: At<'_>) -> Result<(), ConfigError> {
        let Some(name) = value::program_name(program) else {
            return Ok(());
        };
        if name.contains('/') {
            let path = self.root.join(&name);
            if path.is_file() {
                return Ok(());
            }
            return Err(self.error(
                at,
                Problem::new(format!("`{name}` does not exist")).with_hint(format!(
                    "the path is relative to {}; build it first, or add a [build] step",
                    self.root.display()
                )),
            ));
        }
        match which::which_in(&name, self.env.path.as_ref(), self.root) {
            Ok(_) => Ok(()),
            Err(_) => Err(self.error(
                at,
                Problem::new(format!("`{name}` is not on PATH")).with_hint(install_hint(&name)),
            )),
        }
    }

    fn check_strategy(
        &self,
        run: &RunConfig,
        listen: &[ListenSpec],
        ready_at: At<'_>,
    ) -> Result<(), ConfigError> {
        if run.strategy != SwapStrategy::Overlap {
            return Ok(());
        }
        let strategy_at = match self.cli.strategy {
            Some(_) => At::Flag("--strategy"),
            None => At::Key("run.strategy"),
        };
        let target = match &run.ready {
            None => {
                let hint = match strategy_at {
                    At::Flag(_) => {
                        "add `--ready notify` (the app sends READY=1 to $NOTIFY_SOCKET), or log:, http:, tcp: or delay:"
                    }
                    At::Key(_) => {
                        "add `ready = { notify = true }` to [run] (the app sends READY=1 to $NOTIFY_SOCKET), or a log, http, tcp or delay check"
                    }
                };
                return Err(self.error(
                    strategy_at,
                    Problem::new("`overlap` needs a readiness check to tell the new generation from the old one")
                        .with_hint(hint),
                ));
            }
            Some(Readiness::Http(target) | Readiness::Tcp(target)) => target,
            Some(_) => return Ok(()),
        };
        let Some((host, port)) = value::probe_target(target) else {
            return Ok(());
        };
        let hit = listen.iter().find_map(|spec| match spec.address {
            ListenAddress::Tcp(address) if value::probe_hits_listener(&host, port, &address) => {
                Some(address)
            }
            _ => None,
        });
        match hit {
            Some(address) => Err(self.error(ready_at, pre_bound_probe(target, address))),
            None => Ok(()),
        }
    }
}

fn pre_bound_probe(target: &str, address: SocketAddr) -> Problem {
    Problem::new(format!(
        "the readiness check `{target}` probes the pre-bound listener {address}, where the old generation answers too"
    ))
    .with_hint("probe a port the app binds itself (e.g. a health port), or use `ready = { notify = true }`")
}

fn ready_key(ready: &ReadyFile) -> &'static str {
    match ready {
        ReadyFile::Notify(_) => "run.ready.notify",
        ReadyFile::Log(_) => "run.ready.log",
        ReadyFile::Http(_) => "run.ready.http",
        ReadyFile::Tcp(_) => "run.ready.tcp",
        ReadyFile::Delay(_) => "run.ready.delay",
    }
}

fn no_run_command(have_file: bool) -> ConfigError {
    let problem = if have_file {
        "no run command: the config file has no `[run] command` and none was given"
    } else {
        "no run command: there is no .hotdev.toml here or above, and no command was given"
    };
    ConfigError::nowhere(Problem::new(problem).with_hint(
        "give one after `--`, e.g. `hotdev -- go run .`, or create .hotdev.toml:\n\
         [build]\n\
         command = \"go build -o tmp/app .\"\n\
         \n\
         [run]\n\
         command = \"tmp/app\"",
    ))
}

fn install_hint(name: &str) -> String {
    let how = match name {
        "go" => "install Go from https://go.dev/dl/ or your package manager",
        "cargo" | "rustc" => "install Rust with https://rustup.rs",
        "node" | "npm" | "npx" => "install Node.js from https://nodejs.org",
        _ => "install it, or check the spelling",
    };
    format!(
        "{how}, then check that `{name}` runs in this shell (PATH is searched as hotdev sees it)"
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    use clap::Parser;
    use nix::sys::signal::Signal;
    use tempfile::TempDir;

    use super::*;

    /// A project directory, and a PATH of fake programs outside it.
    struct Project {
        dir: TempDir,
        bin: TempDir,
    }

    impl Project {
        fn new(toml: Option<&str>) -> Project {
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
            let cli =
                Cli::try_parse_from(std::iter::once("hotdev").chain(args.iter().copied())).unwrap();
            let env = Env {
                path: Some(self.bin.path().as_os_str().to_owned()),
                cargo_target_dir: None,
            };
            load_with(&cli, &self.root().join(sub), &env)
        }

        fn load(&self, args: &[&str]) -> Config {
            self.load_in("", args)
                .unwrap_or_else(|error| panic!("{error}"))
        }

        fn error(&self, args: &[&str]) -> String {
            match self.load_in("", args) {
                Ok(config) => panic!("expected an error, got {config:?}"),
                Err(error) => error.to_string(),
            }
        }
    }

    const MINIMAL: &str =
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
        assert!(message.contains("hotdev -- go run ."), "{message}");
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
            Program::Shell("go vet ./... && go build -o tmp/app .".into())
        );
        assert_eq!(
            config.run.command.program,
            Program::Shell("exec tmp/app > log".into())
        );
        assert!(config.watch.never.contains(&project.root().join("tmp")));
    }
}
