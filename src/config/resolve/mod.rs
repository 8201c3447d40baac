//! From the command line and `.hotdev.toml` to one validated [`Config`].
//!
//! Precedence is CLI > file > [`defaults`]. Every check a user can fail happens here, once,
//! with a message that points at the flag or the key; downstream code trusts the `Config`.
//! The only I/O: finding and reading the file, and looking programs up on PATH.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Problem};
use super::file::FileConfig;
use super::never::{never_watched, normalize};
use super::source::Source;
use super::{App, Config, FILE_NAME};
use crate::cli::Cli;
use crate::report::{OutputConfig, Verbosity};

mod apps;
mod build;
mod env;
mod listen;
mod proxy;
mod run;
mod watch;

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

/// Finds and reads the config file, merges it with `cli`, and validates the result: one app.
/// `cwd` is the process's working directory; `-C` is applied to it here. A file with several
/// `[apps]` is an error here unless `--app` picks one: see [`load_apps`].
pub fn load(cli: &Cli, cwd: &Path) -> Result<Config, ConfigError> {
    let mut apps = load_apps(cli, cwd)?;
    if apps.len() > 1 {
        let names: Vec<String> = apps.iter().map(|app| app.name.clone()).collect();
        return Err(ConfigError::nowhere(
            Problem::new(format!(
                "this runs one app, and the file has several ({}) with what they depend on",
                names.join(", ")
            ))
            .with_hint("pick one with `--app NAME` (one that depends on no other app)"),
        ));
    }
    apps.pop()
        .map(|app| app.config)
        .ok_or_else(|| ConfigError::nowhere(Problem::new("the configuration has no app to run")))
}

/// Every app of the configuration (one for a file without `[apps]`), in name order, limited
/// to `--app` and what those depend on.
pub fn load_apps(cli: &Cli, cwd: &Path) -> Result<Vec<App>, ConfigError> {
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

fn load_with(cli: &Cli, cwd: &Path, env: &Env) -> Result<Vec<App>, ConfigError> {
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
            app: None,
        };
        ctx.no_apps_chosen()?;
        return Ok(vec![App::single(ctx.resolve(FileConfig::default(), None)?)]);
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
        app: None,
    };
    if file.apps.is_empty() {
        ctx.no_apps_chosen()?;
        return Ok(vec![App::single(ctx.resolve(file, Some(path))?)]);
    }
    ctx.apps(&file, &path)
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
    /// The app being resolved, in a file with `[apps]`: keys are looked up in its table
    /// first, and messages name it.
    app: Option<&'a str>,
}

impl Ctx<'_> {
    fn error(&self, at: At<'_>, mut problem: Problem) -> ConfigError {
        if let Some(app) = self.app {
            problem.message = format!("app `{app}`: {}", problem.message);
        }
        match (at, self.source) {
            (At::Flag(flag), _) => ConfigError::flag(flag, problem),
            (At::Key(key), Some(source)) => source.error(&source.scoped(self.app, key), problem),
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
        let proxy = self.proxy(&file, &listen)?;

        match &build {
            Some((build, at)) => self.check_program(&build.command.program, *at)?,
            None => self.check_program(&run.command.program, run_at)?,
        }
        let build = build.map(|(build, _)| build);
        self.check_strategy(&run, &listen, ready_at)?;

        let mut watch = self.watch(&file)?;
        watch.reload_only = proxy.reload_only;
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
            format: cli.log_format.unwrap_or_default(),
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
            proxy: proxy.proxy,
            output,
        })
    }
}

#[cfg(test)]
pub(super) mod tests;

#[cfg(test)]
mod apps_tests;

#[cfg(test)]
mod props;
