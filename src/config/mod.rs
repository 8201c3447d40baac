//! Configuration: `.hotdev.toml` plus command-line flags, resolved into one validated [`Config`].
//!
//! Everything downstream takes a `Config` and never re-parses or re-checks it: paths are
//! absolute, durations are `Duration`s, signals are `Signal`s. Parsing lives in `file`,
//! merging with the CLI and validation in `resolve`, error rendering in `error`.

mod dotenv;
pub mod error;
pub mod file;
mod never;
mod own_output;
pub mod resolve;
pub mod schema;
pub mod show;
mod source;
pub(crate) mod value;

pub use error::ConfigError;
pub use resolve::{defaults, discover, load};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::engine::{RestartPolicy, SwapStrategy};

/// The file name hotdev looks for in the working directory and its ancestors.
pub const FILE_NAME: &str = ".hotdev.toml";

/// A fully resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory commands run in and relative paths are resolved against: the config
    /// file's directory, or the working directory when there is no file.
    pub root: PathBuf,
    /// The config file, when one was found or named.
    pub file: Option<PathBuf>,
    pub watch: WatchConfig,
    /// `None` when no build step is configured: a change restarts the run command directly.
    pub build: Option<BuildConfig>,
    pub run: RunConfig,
    /// Pre-bound listeners, in config order (fds 3, 4, … in every generation).
    pub listen: Vec<ListenSpec>,
    pub output: OutputConfig,
}

/// What to watch and what to ignore.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchConfig {
    /// Absolute roots to watch.
    pub paths: Vec<PathBuf>,
    /// File extensions without the dot; empty means every file.
    pub extensions: Vec<String>,
    /// Globs (relative to `Config::root`) that never trigger a build.
    pub ignore: Vec<String>,
    /// Globs watched even when an ignore file excludes them.
    pub include: Vec<String>,
    /// Honour .gitignore, .ignore, .git/info/exclude and git's global excludes.
    pub gitignore: bool,
    /// Quiet period that closes a burst of events into one change set.
    pub debounce: Duration,
    /// `Some(interval)` to use the polling watcher instead of the OS one.
    pub poll: Option<Duration>,
    /// Speculative builds (`build.speculative`): a burst that has paused this long, with
    /// every changed file closed, is sent as a tentative change before its debounce runs out.
    /// `None` for no early change (no build step, or switched off); the watcher also sends none
    /// where it cannot see writers close (polling, not Linux) or the debounce is no longer.
    pub settle: Option<Duration>,
    /// Absolute paths that are never watched whatever the config says: the build's output
    /// and hotdev's own files, so that a build can never trigger itself.
    pub never: Vec<PathBuf>,
    /// Absolute paths of files watched by name whatever the roots and rules say (the config
    /// file): every change to one is reported, and nothing else in its directory.
    pub files: Vec<PathBuf>,
    /// Follow symlinked directories whose target is outside the watched roots (one inside
    /// them is watched at its real path already; that also rules out loops).
    pub follow_symlinks: bool,
}

/// How a command is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// Exec'd directly: the process hotdev starts is the program itself.
    Argv(Vec<String>),
    /// Run as `sh -c <script>` because it uses shell syntax.
    Shell(String),
}

impl Program {
    /// The command as a user would type it, for messages.
    pub fn display(&self) -> String {
        match self {
            Program::Argv(argv) => shell_words::join(argv),
            Program::Shell(script) => script.clone(),
        }
    }
}

/// A command plus the environment it gets on top of hotdev's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: Program,
    /// Set over hotdev's own environment: `env` laid over what the `env_files` say.
    pub env: BTreeMap<String, String>,
    /// The dotenv files `env` was read from (absolute), watched by name.
    pub env_files: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub command: CommandSpec,
    /// A build that runs longer than this is killed and reported as failed.
    pub timeout: Option<Duration>,
    /// Start building when a burst of changes pauses, before its debounce runs out; the
    /// result is only swapped in once the burst is over.
    pub speculative: bool,
}

/// How hotdev learns that a generation is ready (DESIGN.md §5).
#[derive(Debug, Clone)]
pub enum Readiness {
    /// `READY=1` on `NOTIFY_SOCKET` from a process of the generation.
    Notify,
    /// A line of the generation's stdout/stderr matches.
    Log(regex::Regex),
    /// An HTTP GET answers (any status below 500).
    Http(String),
    /// A TCP connect succeeds.
    Tcp(String),
    /// Still alive after this long.
    Delay(Duration),
}

impl Readiness {
    /// The check's name as the config spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Readiness::Notify => "notify",
            Readiness::Log(_) => "log",
            Readiness::Http(_) => "http",
            Readiness::Tcp(_) => "tcp",
            Readiness::Delay(_) => "delay",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    pub command: CommandSpec,
    pub strategy: SwapStrategy,
    pub reload_signal: Signal,
    pub stop_signal: Signal,
    pub stop_timeout: Duration,
    pub ready: Option<Readiness>,
    pub ready_timeout: Duration,
    pub restart: RestartPolicy,
}

/// One pre-bound listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    pub address: ListenAddress,
    /// The name in `LISTEN_FDNAMES`.
    pub name: String,
    /// Given with `--listen` rather than in the file: messages about it name the flag.
    pub from_flag: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Tcp(std::net::SocketAddr),
    Unix(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

#[derive(Debug, Clone, Copy)]
pub struct OutputConfig {
    pub format: LogFormat,
    pub verbosity: Verbosity,
    /// Read keys from the terminal (`r` rebuild, `q` quit); off with `--no-keys`.
    pub keys: bool,
    /// Clear the screen before each build (`--clear`).
    pub clear: bool,
    /// Ring the terminal bell when a build fails or a generation dies (`--bell`).
    pub bell: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            format: LogFormat::default(),
            verbosity: Verbosity::default(),
            keys: true,
            clear: false,
            bell: false,
        }
    }
}
