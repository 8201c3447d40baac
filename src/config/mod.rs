//! Configuration: `.hotdev.toml` plus command-line flags, resolved into one validated [`Config`].
//!
//! Everything downstream takes a `Config` and never re-parses or re-checks it: paths are
//! absolute, durations are `Duration`s, signals are `Signal`s. Parsing lives in `file`,
//! merging with the CLI and validation in `resolve`, error rendering in `error`.

pub mod apps;
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
pub use resolve::{defaults, discover, load, load_apps};

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::engine::{RestartPolicy, SwapStrategy};
// The parameter types of the modules below, which own them; config assembles them.
use crate::process::CommandSpec;
use crate::proxy::ProxyConfig;
use crate::ready::Readiness;
use crate::report::OutputConfig;
use crate::sockets::ListenSpec;
use crate::watch::WatchConfig;

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
    /// The browser dev proxy (`[proxy]`, `--proxy`), if any.
    pub proxy: Option<ProxyConfig>,
    pub output: OutputConfig,
}

/// One app of the project: a file without `[apps]` has one, named `app`.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub config: Config,
    /// Apps (by name) that must be ready before this one starts.
    pub depends_on: Vec<String>,
    /// Apps (by name) whose swap restarts this one.
    pub restart_with: Vec<String>,
    /// `false`: file changes never rebuild or restart it.
    pub watch: bool,
}

impl App {
    /// The one app of a file without `[apps]`.
    pub fn single(config: Config) -> App {
        App {
            name: "app".into(),
            config,
            depends_on: Vec::new(),
            restart_with: Vec::new(),
            watch: true,
        }
    }
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
