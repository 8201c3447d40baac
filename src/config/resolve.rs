//! From the command line and `.hotdev.toml` to one validated [`Config`].
//!
//! Precedence is CLI > file > [`defaults`]. Every check a user can fail happens here, once,
//! with a message that points at the flag or the key; downstream code trusts the `Config`.
//! The only I/O: finding and reading the file, and looking programs up on PATH.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::dotenv::{self, EnvFileError};
use super::error::{ConfigError, Origin, Problem};
use super::file::{CommandFile, FileConfig, PathList, Poll, ReadyFile};
use super::never::{never_watched, normalize};
use super::source::Source;
use super::{
    BuildConfig, CommandSpec, Config, FILE_NAME, ListenAddress, ListenSpec, LogFormat,
    OutputConfig, Program, Readiness, RunConfig, Verbosity, WatchConfig, value,
};
use crate::cli::{Cli, LogFormatArg};
use crate::engine::SwapStrategy;

/// Every default, in one place.
pub mod defaults {
    use std::time::Duration;

    use nix::sys::signal::Signal;

    use crate::engine::SwapStrategy;

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
    pub const SPECULATIVE: bool = true;
    /// How long a burst must pause (with every changed file closed) for a speculative build.
    /// Editors write a save within a millisecond or so; a burst that pauses longer and then
    /// goes on costs one cancelled build.
    pub const SETTLE: Duration = Duration::from_millis(5);
    /// systemd's own name for a socket that was given none.
    pub const LISTEN_NAME: &str = "unknown";
}

/// Finds and reads the config file, merges it with `cli`, and validates the result.
/// `cwd` is the process's working directory; `-C` is applied to it here.
pub fn load(cli: &Cli, cwd: &Path) -> Result<Config, ConfigError> {
    let env = Env {
        path: std::env::var_os("PATH"),
        cargo_target_dir: std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from),
        own_output: super::own_output::own_output_files(),
    };
    load_with(cli, cwd, &env)
}

/// What resolution reads from the environment, passed in so that tests do not mutate it.
struct Env {
    path: Option<OsString>,
    cargo_target_dir: Option<PathBuf>,
    /// The files hotdev's stdout and stderr go to: never watched.
    own_output: Vec<PathBuf>,
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
        Some(path) => config_flag(&cwd.join(path))?,
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
    let bytes = std::fs::read(&path).map_err(|error| {
        let problem = Problem::new(format!("cannot read `{}`: {error}", path.display()));
        match cli.config {
            Some(_) => ConfigError::flag("--config", problem),
            None => ConfigError::nowhere(problem),
        }
    })?;
    let shown = path
        .strip_prefix(&cwd)
        .map_or(path.clone(), Path::to_path_buf);
    let text = super::source::utf8(shown.clone(), bytes)?;
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

/// The file `--config` names. `/dev/null` (the usual way to say "none") means no config
/// file, not a file in `/dev`; anything else that is not a regular file is an error (its
/// directory would become the project root and a watched root).
fn config_flag(path: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let path = normalize(path);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(Some(path)); // reading it says why
    };
    if meta.is_file() {
        return Ok(Some(path));
    }
    if path
        .canonicalize()
        .is_ok_and(|p| p == Path::new("/dev/null"))
    {
        return Ok(None);
    }
    Err(ConfigError::flag(
        "--config",
        Problem::new(format!("`{}` is not a regular file", path.display()))
            .with_hint("name a .hotdev.toml file, or `-c /dev/null` for no config file"),
    ))
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
        // The watcher declines it where it cannot serve it (polling, a short debounce).
        watch.settle = build
            .as_ref()
            .filter(|build| build.speculative)
            .map(|_| defaults::SETTLE);
        watch.never = never_watched(
            self.root,
            build.as_ref(),
            &run.command.program,
            self.env.cargo_target_dir.as_deref(),
        );
        watch.never.extend(self.env.own_output.iter().cloned());
        // hotdev's own files are watched wherever they are, even outside the roots.
        watch.files.extend(path.iter().cloned());
        for command in build.iter().map(|b| &b.command).chain([&run.command]) {
            watch.files.extend(command.env_files.iter().cloned());
        }
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
            clear: cli.clear,
            bell: cli.bell,
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
            if list.is_empty() {
                return Err(self.error(
                    At::Key("watch.paths"),
                    Problem::new("`watch.paths` is empty: nothing would be watched").with_hint(
                        "list at least one path, e.g. paths = [\".\"], or remove the key",
                    ),
                ));
            }
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
                |text| value::duration_within(text, value::DEBOUNCE),
            )?
            .unwrap_or(defaults::DEBOUNCE);
        let interval = |text: &str| match text {
            "" => Ok(defaults::POLL_INTERVAL),
            text => value::duration_within(text, value::POLL),
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
            settle: None,
            never: Vec::new(),
            files: Vec::new(),
            follow_symlinks: watch.follow_symlinks.unwrap_or(false),
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

    /// The environment of `[table]`: its `env_file`s in order (a later one wins), then its
    /// `env` over them. Returns the variables and the files' absolute paths.
    fn env(
        &self,
        env: Option<&BTreeMap<String, String>>,
        files: Option<&PathList>,
        table: &str,
    ) -> Result<(BTreeMap<String, String>, Vec<PathBuf>), ConfigError> {
        let mut vars = BTreeMap::new();
        let mut paths = Vec::new();
        let key = format!("{table}.env_file");
        for (path, at) in files.map(|f| f.keyed(&key)).unwrap_or_default() {
            let full = normalize(&self.root.join(&path));
            match dotenv::read(&full) {
                Ok(read) => vars.extend(read),
                Err(EnvFileError::Unreadable(why)) => {
                    return Err(self.error(
                        At::Key(&at),
                        Problem::new(format!("cannot read the env file `{path}`: {why}"))
                            .with_hint(format!(
                                "env files are relative to {}",
                                self.root.display()
                            )),
                    ));
                }
                Err(EnvFileError::Malformed { line, column, text }) => {
                    let origin = Origin::File {
                        path: full,
                        position: Some((line, column)),
                    };
                    return Err(ConfigError::new(
                        origin,
                        Problem::new(format!("not a `NAME=value` line: `{text}`")).with_hint(
                            "quote values with spaces or `#` (NAME=\"a b\"); comments start a line with `#`",
                        ),
                    )
                    .with_key(at));
                }
            }
            paths.push(full);
        }
        vars.extend(
            env.into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        self.check_env(&vars, &format!("{table}.env"))?;
        Ok((vars, paths))
    }

    /// Environment names a process can be given: `A=B = "x"` would reach the child as
    /// `A=B=x`, which is `A` set to `B=x`.
    fn check_env(
        &self,
        env: &std::collections::BTreeMap<String, String>,
        table: &str,
    ) -> Result<(), ConfigError> {
        for (name, value) in env {
            let problem = if name.is_empty() {
                Some("an environment variable needs a name")
            } else if name.contains('=') {
                Some("an environment variable's name cannot contain `=`")
            } else if name.contains('\0') || value.contains('\0') {
                Some("an environment variable cannot contain a NUL byte")
            } else {
                None
            };
            if let Some(problem) = problem {
                let key = format!("{table}.{name}");
                return Err(self.error(
                    At::Key(&key),
                    Problem::new(format!("{problem} (`{}`)", name.escape_debug()))
                        .with_hint(format!("write it as `{table} = {{ NAME = \"value\" }}`")),
                ));
            }
        }
        Ok(())
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
            |text| value::duration_within(text, value::TIMEOUT),
        )?;
        let (env, env_files) = self.env(
            from_file.map(|build| &build.env),
            from_file.and_then(|build| build.env_file.as_ref()),
            "build",
        )?;
        let speculative = !self.cli.no_speculative
            && from_file
                .and_then(|build| build.speculative)
                .unwrap_or(defaults::SPECULATIVE);
        Ok(Some((
            BuildConfig {
                command: CommandSpec {
                    program,
                    env,
                    env_files,
                },
                timeout,
                speculative,
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
            return Err(no_run_command(self.source.is_some(), self.cwd));
        };
        let program = value::program(&command).map_err(|problem| self.error(at, problem))?;

        let strategy = cli.strategy.or(run.strategy).unwrap_or(defaults::STRATEGY);
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
                |text| value::duration_within(text, value::TIMEOUT),
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
        let (env, env_files) = self.env(Some(&run.env), run.env_file.as_ref(), "run")?;
        let config = RunConfig {
            command: CommandSpec {
                program,
                env,
                env_files,
            },
            strategy,
            reload_signal,
            stop_signal,
            stop_timeout,
            ready,
            ready_timeout,
            restart: cli.restart.or(run.restart).unwrap_or_default(),
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
                        from_flag: true,
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
            let spec = ListenSpec {
                address,
                name,
                from_flag: false,
            };
            push(spec, At::Key(&key))?;
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

fn no_run_command(have_file: bool, cwd: &Path) -> ConfigError {
    let problem = if have_file {
        "no run command: the config file has no `[run] command` and none was given"
    } else {
        "no run command: there is no .hotdev.toml here or above, and no command was given"
    };
    // Not `go run .`: it forks, so signals and pre-bound sockets would miss the app.
    let mut hint = String::from(
        "give one after `--`, e.g. `hotdev --build \"go build -o tmp/app .\" -- tmp/app`, or \
         create .hotdev.toml:\n\
         [build]\n\
         command = \"go build -o tmp/app .\"\n\
         \n\
         [run]\n\
         command = \"tmp/app\"",
    );
    if let Some(air) = crate::init::air::find(cwd).filter(|_| !have_file) {
        let name = air.strip_prefix(cwd).unwrap_or(&air).display().to_string();
        hint = format!(
            "{name} is here: `hotdev init --from-air` turns it into .hotdev.toml; or {hint}"
        );
    }
    ConfigError::nowhere(Problem::new(problem).with_hint(hint))
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
mod tests;

#[cfg(test)]
mod props;
