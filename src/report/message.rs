//! The one type of everything hotdev reports: [`Message`]. Its serde serialization *is* the
//! JSON event format (`--log-format json`, the README's table is the contract); the terminal
//! renders it in `human`; `hotdev smoke` deserializes it. No rendering and no I/O here.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::SwapStrategy;
use crate::engine::{BuildId, ExitStatus, GenId};
pub use crate::ready::ReadyKind;

/// hotdev's version, as `started` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One thing worth telling the user. Serialized as one JSON object tagged by `"event"`; the
/// field names are the JSON schema (README, "JSON events"): add fields, never rename them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Message {
    Started {
        /// hotdev's version ([`VERSION`]).
        version: String,
        #[serde(with = "path")]
        root: PathBuf,
        #[serde(with = "opt_path")]
        config: Option<PathBuf>,
        strategy: SwapStrategy,
        /// The readiness check's kind, if any.
        ready: Option<ReadyKind>,
        build: Option<String>,
        run: String,
    },
    Watching {
        dirs: usize,
    },
    Listening {
        address: String,
        name: String,
        fd: i32,
    },
    /// The dev proxy listens: open `url` in the browser.
    Proxy {
        url: String,
        target: String,
    },
    /// The pages open through the dev proxy were told something.
    Browser {
        action: PageAction,
        /// How many pages were open to be told.
        pages: usize,
        /// The stylesheets swapped (`css`), relative to the root.
        paths: Vec<String>,
    },
    Change {
        #[serde(with = "paths")]
        paths: Vec<PathBuf>,
        /// `paths.len()`, for tools that only count.
        count: usize,
        overflow: bool,
        /// Sent early (speculative builds): the burst may go on.
        tentative: bool,
        /// The project root, to show the paths relative to it (people only).
        #[serde(skip)]
        root: PathBuf,
    },
    Ignored {
        #[serde(with = "paths")]
        paths: Vec<PathBuf>,
    },
    /// This app's build is another app's run of the same command for the same change.
    BuildShared {
        build: BuildId,
        /// The app whose supervisor runs it.
        with_app: String,
        /// Its number there.
        with_build: BuildId,
    },
    BuildStarted {
        build: BuildId,
        pid: i32,
        /// Started on a burst that may not be over (`build.speculative`).
        speculative: bool,
        /// Show a spinner (terminals only): off while a generation runs, whose log lines
        /// would otherwise be glued to the spinner's line.
        #[serde(skip)]
        spinner: bool,
    },
    BuildCancelled {
        build: BuildId,
        reason: CancelCause,
    },
    BuildOk {
        build: BuildId,
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
    },
    BuildFailed {
        build: BuildId,
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
        status: String,
        serving: Option<GenId>,
    },
    /// A build's collected output: always for a failed build, with -v for a good one.
    BuildOutput {
        build: BuildId,
        failed: bool,
        /// As the build wrote them; the JSON form is plain text (a build given colour wrote
        /// escapes).
        #[serde(serialize_with = "plain_lines")]
        lines: Vec<String>,
    },
    GenerationStarted {
        generation: GenId,
        pid: i32,
        previous: Option<GenId>,
    },
    GenerationReady {
        generation: GenId,
        #[serde(rename = "ready_ms", with = "millis")]
        ready: Duration,
    },
    GenerationNotReady {
        generation: GenId,
        reason: String,
    },
    GenerationStopping {
        generation: GenId,
        signal: String,
    },
    GenerationKilled {
        generation: GenId,
        #[serde(rename = "after_ms", with = "millis")]
        after: Duration,
    },
    GenerationExited {
        generation: GenId,
        /// In JSON: `status` (`exit 1`, `signal 9 (SIGKILL)`), `code` and `signal`.
        #[serde(flatten, with = "exit_status")]
        status: ExitStatus,
        requested: bool,
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
    },
    GenerationReloaded {
        generation: GenId,
        signal: String,
    },
    RolledBack {
        failed: GenId,
        kept: Option<GenId>,
    },
    Waiting,
    /// The config file changed and its new content is in force.
    ConfigReloaded {
        #[serde(with = "path")]
        path: PathBuf,
    },
    /// An env file changed and its variables are in force: the app restarts with them (or,
    /// for a build's env file, a build runs first).
    EnvFileChanged {
        #[serde(with = "path")]
        path: PathBuf,
        action: Redo,
    },
    /// The restart policy starts the app again after `delay`.
    /// With `[apps]`: this app starts once these apps (its `depends_on`) are ready.
    WaitingFor {
        apps: Vec<String>,
    },
    /// With `[apps]`: `swapped`, which this app lists in `restart_with`, was swapped, so this app
    /// restarts.
    RestartWith {
        swapped: String,
    },
    Restarting {
        attempt: u32,
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// A key asked for a rebuild (`r`) or a restart (`R`): said at once, since the build or
    /// swap it starts may take a while to show.
    Requested {
        action: Redo,
        key: char,
    },
    /// `p` pressed: watching paused or resumed.
    Paused {
        paused: bool,
    },
    /// The key help line.
    Help {
        text: String,
    },
    Shutdown {
        /// `SIGINT`, `SIGTERM`, `SIGHUP` or `q`.
        signal: String,
    },
    /// Something hotdev can see will go (or went) wrong, with the fix: e.g. a run command that
    /// forks while `[[listen]]` is set.
    Warning {
        kind: WarningKind,
        generation: Option<GenId>,
        message: String,
        hint: String,
    },
    Error {
        message: String,
    },
    Exit {
        code: u8,
    },
}

/// A message with the time it was written: one line of `--log-format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamped<M> {
    #[serde(flatten)]
    pub message: M,
    /// Milliseconds since hotdev started (its own clock).
    pub ts_ms: u64,
    /// The app it is about, in a project with several (`[apps.NAME]`); absent with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

/// Why a running build was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelCause {
    /// A newer change arrived: its result would be stale.
    NewerChange,
    /// hotdev is shutting down.
    Shutdown,
}

/// What a key (`r`, `R`) or a changed env file asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redo {
    /// A build, then a swap.
    Rebuild,
    /// A swap to the current build.
    Restart,
}

/// What the open pages were told (`browser`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageAction {
    /// Reload: a new generation is ready, or a `reload_only` file changed.
    Reload,
    /// Stylesheets swapped in place.
    Css,
    /// An overlay with a failed build's or generation's output.
    Overlay,
    /// The overlay removed.
    Clear,
}

/// Stable names for tools of the socket hand-off problems hotdev can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The run command forks (a shell wrapper) while `[[listen]]` is set.
    ForkingWrapper,
    /// The app bound a pre-bound port itself.
    BoundItself,
    /// The app refused the sockets because `LISTEN_PID` named another process.
    ListenPidRefused,
}

/// Durations as whole milliseconds.
mod millis {
    use super::*;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// A path as a string: bytes that are not UTF-8 become U+FFFD (JSON has no other form).
mod path {
    use super::*;
    use crate::report::text;

    pub fn serialize<S: serde::Serializer>(p: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text::path_lossy(p))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        String::deserialize(d).map(PathBuf::from)
    }
}

mod opt_path {
    use super::*;
    use crate::report::text;

    pub fn serialize<S: serde::Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        p.as_deref().map(text::path_lossy).serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PathBuf>, D::Error> {
        Option::<String>::deserialize(d).map(|p| p.map(PathBuf::from))
    }
}

mod paths {
    use super::*;
    use crate::report::text;

    pub fn serialize<S: serde::Serializer>(p: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(p.iter().map(|p| text::path_lossy(p)))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        Vec::<String>::deserialize(d).map(|p| p.into_iter().map(PathBuf::from).collect())
    }
}

fn plain_lines<S: serde::Serializer>(lines: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(lines.iter().map(|l| console::strip_ansi_codes(l)))
}

/// An exit status as three fields: `status` for people, `code` and `signal` (one of them
/// null) for tools.
mod exit_status {
    use serde::ser::SerializeMap;

    use super::*;
    use crate::report::human::format_status;

    pub fn serialize<S: serde::Serializer>(status: &ExitStatus, s: S) -> Result<S::Ok, S::Error> {
        let (code, signal) = match *status {
            ExitStatus::Code(c) => (Some(c), None),
            ExitStatus::Signal(n) => (None, Some(n)),
        };
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("status", &format_status(*status))?;
        map.serialize_entry("code", &code)?;
        map.serialize_entry("signal", &signal)?;
        map.end()
    }

    #[derive(Deserialize)]
    struct Fields {
        code: Option<i32>,
        signal: Option<i32>,
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ExitStatus, D::Error> {
        match Fields::deserialize(d)? {
            Fields {
                code: Some(code), ..
            } => Ok(ExitStatus::Code(code)),
            Fields {
                signal: Some(signal),
                ..
            } => Ok(ExitStatus::Signal(signal)),
            _ => Err(serde::de::Error::custom(
                "generation_exited: neither `code` nor `signal` is set",
            )),
        }
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
