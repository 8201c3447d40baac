//! The engine's vocabulary: the events it is fed, the actions it returns, the notes it reports
//! and the settings it decides by. Plain data: no I/O, nothing that reads a clock.

use std::path::PathBuf;
use std::time::Duration;

use super::{RestartPolicy, SwapStrategy};

/// A build's number, from 1; a result for any other number than the current build is stale.
pub type BuildId = u64;
/// A generation's number, from 1.
pub type GenId = u64;

/// The paths one debounced burst of file events touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub paths: Vec<PathBuf>,
    /// Changed files under `[proxy] reload_only`: the browser reloads (or swaps the CSS),
    /// nothing builds or restarts.
    pub assets: Vec<PathBuf>,
    /// The OS dropped events (queue overflow): something changed, the list is incomplete.
    pub overflow: bool,
    /// The burst has paused (speculative builds) but its debounce has not run out: more may
    /// follow. A build of it starts at once, and its result waits for [`Event::Settled`].
    pub tentative: bool,
    /// Which of the watcher's bursts this is (counted from 1; 0 for none, e.g. a manual
    /// rebuild). Apps handed the same burst may share one run of the same build command.
    pub burst: u64,
}

/// How a build or a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Code(i32),
    Signal(i32),
}

impl ExitStatus {
    pub fn success(self) -> bool {
        self == ExitStatus::Code(0)
    }
}

/// What a finished build left for the report: carried through the engine untouched until it
/// acts on the result (at once, or once a speculative build's burst settles) or drops it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    pub duration: Duration,
    /// Its stdout and stderr, as captured.
    pub output: Vec<String>,
    /// What it left running in its group once its main process exited (pid, command), killed.
    pub left_behind: Vec<(i32, String)>,
}

/// Why a build counts as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFailure {
    /// It ran and exited unsuccessfully.
    Exited {
        status: ExitStatus,
        report: BuildReport,
    },
    /// It ran past `build.timeout` and was killed.
    TimedOut,
    /// It could not be started at all (the error, as the OS said it).
    CannotStart(String),
}

/// Why a generation is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// `ready_timeout` passed without a sign of readiness.
    Timeout,
    /// The readiness check itself could not run (e.g. a probe address that does not parse).
    Failed(String),
}

/// What the user asked for by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manual {
    /// Build now and swap, as if a file had changed.
    Rebuild,
    /// Restart the run command with the current build, without building.
    Restart,
}

/// A timer the engine arms with [`Action::StartTimer`]; when it runs out, the shell feeds
/// [`Timer::fired`] back. One that fires after it stopped mattering is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// `build.timeout` for this build.
    BuildTimeout { id: BuildId },
    /// `stop_timeout` for a generation asked to stop.
    StopTimeout { generation: GenId },
    /// [`STABLE_AFTER`] for a generation under a restart policy.
    Stable { generation: GenId },
    /// The backoff before a restart (restart policy).
    Restart { token: u64 },
}

impl Timer {
    /// The event this timer stands for when it runs out.
    pub fn fired(self) -> Event {
        match self {
            Timer::BuildTimeout { id } => Event::BuildTimedOut { id },
            Timer::StopTimeout { generation } => Event::StopTimedOut { generation },
            Timer::Stable { generation } => Event::Stable { generation },
            Timer::Restart { token } => Event::RestartDue { token },
        }
    }

    /// The timer whose firing `event` is, if it is one.
    pub fn of(event: &Event) -> Option<Timer> {
        match *event {
            Event::BuildTimedOut { id } => Some(Timer::BuildTimeout { id }),
            Event::StopTimedOut { generation } => Some(Timer::StopTimeout { generation }),
            Event::Stable { generation } => Some(Timer::Stable { generation }),
            Event::RestartDue { token } => Some(Timer::Restart { token }),
            _ => None,
        }
    }
}

/// A generation that ran this long is stable: its next crash restarts the backoff at 1s.
pub const STABLE_AFTER: Duration = Duration::from_secs(10);

/// Something that happened, fed to [`super::Engine::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// hotdev is up: build (or run) the first time.
    Start,
    /// Watched files changed.
    Changed(ChangeSet),
    /// A burst of file events that the filter took out completely (hotdev's own files, such as
    /// a git-ignored `.env`, may be among them: they still count).
    Ignored(Vec<PathBuf>),
    /// The burst of the last tentative [`Event::Changed`] ended with nothing more: a build of
    /// it may now be swapped in. (Had more changed, a new `Changed` would come instead.)
    Settled,
    /// The burst of the last tentative [`Event::Changed`] goes on: a build of it is stale now.
    /// What else changed follows as a `Changed` (or `Settled`) when the burst ends.
    Unsettled,
    /// A key or command asked for a build or restart.
    Manual(Manual),
    /// A build's process group is gone.
    BuildFinished {
        id: BuildId,
        status: ExitStatus,
        report: BuildReport,
    },
    /// A build could not be started at all (e.g. the program does not exist).
    BuildSpawnFailed { id: BuildId, error: String },
    /// A build ran past `build.timeout`.
    BuildTimedOut { id: BuildId },
    /// A generation could not be started at all.
    SpawnFailed { generation: GenId },
    /// A generation passed its readiness check.
    Ready { generation: GenId },
    /// A generation failed its readiness check.
    NotReady { generation: GenId, reason: NotReady },
    /// Every process of a generation's process group is gone.
    Exited {
        generation: GenId,
        status: ExitStatus,
    },
    /// A generation asked to stop is still running after `stop_timeout`.
    StopTimedOut { generation: GenId },
    /// The backoff of a restart is over ([`Timer::Restart`]).
    RestartDue { token: u64 },
    /// A generation has run long enough that its next crash starts the backoff afresh.
    Stable { generation: GenId },
    /// The configuration was read again after [`Action::Reconfigure`] and is in force:
    /// these are its settings. `listen_changed`: it asks for other listeners, which hotdev
    /// cannot rebind without refusing connections, so the current ones stay.
    Reconfigured {
        settings: Settings,
        listen_changed: bool,
        /// This app's configuration is the same as before (with `[apps]`, an edit of another
        /// app's table): a config edit alone then asks nothing of it.
        unchanged: bool,
    },
    /// The configuration could not be read again (the shell said why): the previous one
    /// stays in force.
    ReconfigureFailed,
    /// `p`: pause watching, or resume it.
    TogglePause,
    /// Ctrl-C, SIGTERM, SIGHUP or `q`: stop everything and exit.
    Shutdown,
}

/// Why a running build is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// A change arrived during the build: its result would be stale.
    NewerChange,
    /// hotdev is shutting down (Ctrl-C, SIGTERM, SIGHUP).
    Shutdown,
    /// The build ran past `build.timeout` (reported as a failed build).
    TimedOut,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run the build command.
    StartBuild { id: BuildId, changes: ChangeSet },
    /// Kill the build's process group; no result is awaited. `reason` is for the report.
    CancelBuild { id: BuildId, reason: CancelReason },
    /// Start the run command as a new generation and watch its readiness. `previous` is the
    /// generation it replaces, if any, for messages; `build` the build it runs, if any.
    StartGeneration {
        generation: GenId,
        previous: Option<GenId>,
        build: Option<BuildId>,
    },
    /// Graceful stop: `stop_signal` to the process group.
    StopGeneration { generation: GenId },
    /// SIGKILL the process group now.
    KillGeneration { generation: GenId },
    /// Send `reload_signal` to the generation (strategy `signal`).
    ReloadGeneration { generation: GenId },
    /// Feed [`Timer::fired`] back after `after`.
    StartTimer { timer: Timer, after: Duration },
    /// The timer no longer matters: it need not fire.
    CancelTimer { timer: Timer },
    /// Read the configuration again: hotdev's own files (`changed`) changed. The answer is
    /// [`Event::Reconfigured`] or [`Event::ReconfigureFailed`], fed back before anything else.
    Reconfigure { changed: Vec<PathBuf> },
    /// The dev proxy: whether requests may reach the app now (only with a proxy).
    Gate(Gate),
    /// The dev proxy: tell every open page (only with a proxy).
    Page(Page),
    /// Tell the user about a decision.
    Report(Note),
    /// Everything has stopped: exit.
    Exit,
}

/// Whether the dev proxy lets requests through to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// A generation serves: forward at once.
    Open,
    /// No generation can take a request (the restart gap, a crash, not up yet): hold them.
    Hold,
}

/// What every page open through the dev proxy is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// Reload: a new generation is ready, or a `reload_only` file changed.
    Reload,
    /// Swap these `reload_only` stylesheets in place, with no navigation.
    Css(Vec<PathBuf>),
    /// Show the overlay: this build failed, and the old generation (if any) still serves.
    BuildFailed {
        build: BuildId,
        failure: BuildFailure,
    },
    /// Show the overlay: this generation crashed or did not become ready, with its last output.
    GenerationFailed {
        generation: GenId,
        failure: GenerationFailure,
    },
    /// Remove the overlay.
    Clear,
}

/// How a generation failed, for the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationFailure {
    /// It exited on its own (`None`: it could not be started at all).
    Exited(Option<ExitStatus>),
    /// It did not pass its readiness check.
    NotReady(NotReady),
}

/// Decisions worth a line of output. Effects (spawned, exited, timings) are reported by the
/// shell, which knows pids and clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Files changed that count (hotdev's own files taken out): said before what it starts,
    /// even while paused.
    Change(ChangeSet),
    /// A build's success is acted on (a swap follows): the moment to report it. A speculative
    /// build's result waits for its burst to settle, and is never reported if superseded.
    BuildSucceeded { build: BuildId, report: BuildReport },
    /// A build's failure is acted on; `serving` keeps running (if any).
    BuildFailedKeeping {
        build: BuildId,
        serving: Option<GenId>,
        failure: BuildFailure,
    },
    /// A change arrived during a build, or after a speculative build finished but before its
    /// burst settled: its result is dropped for a fresh build.
    BuildSuperseded { cancelled: BuildId },
    /// The candidate of an overlap swap failed; `kept` keeps serving.
    RolledBack { failed: GenId, kept: Option<GenId> },
    /// A generation exited without being asked: hotdev waits for the next change.
    ExitedOnItsOwn {
        generation: GenId,
        status: ExitStatus,
    },
    /// A generation ignored its stop signal and is being killed.
    StopTimedOut { generation: GenId },
    /// The generation did not become ready; under restart it keeps running.
    NotReady { generation: GenId, reason: NotReady },
    /// Nothing is running and nothing to do until the next change.
    WaitingForChange,
    /// Watching paused (changes are noted, nothing builds) or resumed.
    Paused { paused: bool },
    /// The app exited on its own and the restart policy starts it again after `delay`.
    Restarting { attempt: u32, delay: Duration },
    /// Files changed that the filter took out (shown with -v).
    Ignored { paths: Vec<PathBuf> },
    /// The edited config file is in force; a build follows.
    ConfigReloaded { path: PathBuf },
    /// An env file changed and is in force: a build follows (`rebuild`, a build's env file)
    /// or a restart of the current build.
    EnvFileChanged { path: PathBuf, rebuild: bool },
    /// The new configuration asks for other listeners: the current ones stay.
    ListenersKept,
    /// Shutting down: waiting for these to stop.
    ShuttingDown,
}

/// hotdev's own files: read by hotdev itself, never part of the app's build. A change to one
/// reloads the configuration instead of reaching the build as a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnFiles {
    /// The config file, if there is one.
    pub config: Option<PathBuf>,
    /// `build.env_file`: a change takes effect with a build.
    pub build_env: Vec<PathBuf>,
    /// `run.env_file`: a change takes effect with a restart of the current build.
    pub run_env: Vec<PathBuf>,
}

impl OwnFiles {
    pub fn contains(&self, path: &PathBuf) -> bool {
        self.config.as_ref() == Some(path)
            || self.build_env.contains(path)
            || self.run_env.contains(path)
    }
}

/// The engine's parameters, from the configuration; [`Event::Reconfigured`] replaces them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Whether a build command is configured; without one a change restarts directly.
    pub has_build: bool,
    pub strategy: SwapStrategy,
    pub restart: RestartPolicy,
    /// `build.timeout`: a build running longer is killed and counts as failed.
    pub build_timeout: Option<Duration>,
    /// `run.stop_timeout`: a generation still running this long after its stop signal is
    /// killed.
    pub stop_timeout: Duration,
    pub own_files: OwnFiles,
    /// A dev proxy runs: the engine tells it when to hold requests and what pages see.
    pub proxy: bool,
}

impl Settings {
    /// Settings for a build step (or none) and a strategy, with every other value at its
    /// default: no restart policy, no build timeout, a 5 s stop timeout, no own files, no
    /// proxy.
    pub fn new(has_build: bool, strategy: SwapStrategy) -> Settings {
        Settings {
            has_build,
            strategy,
            restart: RestartPolicy::Never,
            build_timeout: None,
            stop_timeout: Duration::from_secs(5),
            own_files: OwnFiles::default(),
            proxy: false,
        }
    }
}

/// The first delay before restarting an app that exited on its own; it doubles per crash.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest delay between restarts of a crashing app.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The delay before restart number `attempt` (from 1): 1s, 2s, 4s, … capped at 30s.
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    BACKOFF_FIRST.saturating_mul(factor).min(BACKOFF_CAP)
}
