//! The thin shell around the engine: one loop that receives inputs from a single channel, feeds
//! them to [`Engine::step`], and carries out the actions it returns.
//!
//! It owns every process hotdev starts (builds and generations, by process group) and is the
//! only place that reports effects (pids, timings). It decides nothing the engine could decide.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use console::Term;
use nix::sys::signal::Signal;

use crate::bus::{self, Input, Sender};
use crate::capture::Capture;
use crate::config::{CommandSpec, Config, Program, Readiness, RestartPolicy};
use crate::engine::{
    Action, BuildId, CancelReason, ChangeSet, Engine, Event, ExitStatus, GenId, Manual, NotReady,
    Note, Settings,
};
use crate::exit;
use crate::filter::Filter;
use crate::handoff;
use crate::keys::{self, Key};
use crate::process::guard::Guard;
use crate::process::{self, Output, Spawn};
use crate::ready::{self, Check, NotifySocket, Registry, Tail};
use crate::report::{
    CancelCause, Message, ReadyKind, Redo, Reporter, VERSION, WarningKind, format_status,
};
use crate::sockets::Listeners;
use crate::sources;
use crate::watch::Watch;

/// Why hotdev could not start its loop. Rendered by `lib::run`, which picks the exit code.
#[derive(Debug)]
pub enum StartError {
    /// A usage-level problem (a port in use, a bad glob): exit 2.
    Usage(String),
    /// The environment failed us (watch limits, no notify socket): exit 1.
    Runtime(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Usage(m) | StartError::Runtime(m) => f.write_str(m),
        }
    }
}

struct BuildRun {
    pgid: i32,
    started: Instant,
    cancelled: bool,
    /// Filled by the waiter thread before it reports the build finished.
    output: Arc<Mutex<Vec<String>>>,
    /// What the build left running in its group once its main process exited (pid, command),
    /// killed by the waiter thread; filled before it reports the build finished.
    left_behind: Arc<Mutex<Vec<(i32, String)>>>,
}

/// A build that finished, kept until the engine acts on its result (at once, or when a
/// speculative build's burst settles) or drops it.
struct FinishedBuild {
    duration: Duration,
    status: ExitStatus,
    output: Vec<String>,
}

struct GenerationRun {
    pgid: i32,
    started: Instant,
    stop_requested: Option<Instant>,
    check: Option<Check>,
    /// Its last lines on the streams hotdev reads (with `[[listen]]`, stderr at least): a
    /// failed hand-off is named from them when it exits on its own.
    tail: Option<Tail>,
}

/// Everything the loop carries out actions with.
struct Shell {
    config: Config,
    reload: Reload,
    /// `None` only while it is being replaced after a config change.
    watch: Option<Watch>,
    reporter: Reporter,
    tx: Sender,
    listeners: Listeners,
    /// Kills what hotdev started if hotdev is killed; `None` if it could not start.
    guard: Option<Guard>,
    notify: Option<NotifySocket>,
    registry: Registry,
    builds: BTreeMap<BuildId, BuildRun>,
    /// Results not reported yet: the engine's note on them says when.
    finished: BTreeMap<BuildId, FinishedBuild>,
    generations: BTreeMap<GenId, GenerationRun>,
    /// Events produced by carrying out actions (e.g. a spawn that failed), fed back first.
    follow_ups: VecDeque<Event>,
    exit_code: u8,
    /// The newest build that succeeded: `HOTDEV_BUILD_ID` of the generations it runs.
    last_good_build: Option<BuildId>,
    /// Environment builds get unless the user set it: colour, when their output (shown on
    /// hotdev's stderr) reaches a colour terminal through hotdev's pipe.
    build_fallback_env: Vec<(String, String)>,
    /// The same for generations, whose output goes to hotdev's stdout and stderr.
    app_fallback_env: Vec<(String, String)>,
    /// `p` pressed: changes are noted but start nothing until resumed.
    /// The engine's serving generation, refreshed around every step (for messages only).
    serving: Option<GenId>,
}

/// Re-reads the configuration (same flags, same directory): the one line of a `ConfigError`.
pub type Reload = Box<dyn Fn() -> Result<Config, String>>;

/// Runs the reload loop until a shutdown completes; returns the exit code.
pub fn run(config: Config, reload: Reload) -> Result<u8, StartError> {
    let reporter = Reporter::new(config.output);
    if let Err(e) = process::become_subreaper() {
        // Without it, orphans of a `sh -c` wrapper go to init; stops still signal the group.
        reporter.report(&Message::Error {
            message: format!("cannot become a child subreaper ({e}); continuing"),
        });
    }
    let guard = match Guard::start() {
        Ok(guard) => Some(guard),
        Err(e) => {
            reporter.report(&Message::Error {
                message: format!(
                    "cannot start the guard process ({e}): if hotdev is killed with SIGKILL, \
                     what it started may keep running"
                ),
            });
            None
        }
    };
    if let Err(e) = process::reaper::start() {
        reporter.report(&Message::Error {
            message: format!(
                "cannot start the orphan reaper ({e}); adopted daemons may linger as zombies"
            ),
        });
    }
    let listeners =
        Listeners::bind(&config.listen).map_err(|e| StartError::Usage(e.to_string()))?;
    let (tx, rx) = bus::channel();
    let registry = Registry::default();
    let notify = match config.run.ready {
        Some(Readiness::Notify) => {
            let socket = NotifySocket::open().map_err(|e| {
                StartError::Runtime(format!("cannot create the readiness socket: {e}"))
            })?;
            socket.serve(registry.clone(), tx.clone()).map_err(|e| {
                StartError::Runtime(format!("cannot read the readiness socket: {e}"))
            })?;
            Some(socket)
        }
        _ => None,
    };
    let filter =
        Filter::new(&config.watch, &config.root).map_err(|e| StartError::Usage(e.to_string()))?;
    let watch = Watch::start(&config.watch, filter, tx.clone())
        .map_err(|e| StartError::Runtime(e.to_string()))?;
    spawn_signal_source(tx.clone())
        .map_err(|e| StartError::Runtime(format!("cannot listen for signals: {e}")))?;

    reporter.report(&Message::Started {
        version: VERSION.into(),
        root: config.root.clone(),
        config: config.file.clone(),
        strategy: config.run.strategy,
        ready: config.run.ready.as_ref().map(ReadyKind::of),
        build: config.build.as_ref().map(|b| b.command.program.display()),
        run: config.run.command.program.display(),
    });
    for (i, (address, name)) in listeners
        .local_addrs()
        .into_iter()
        .zip(listeners.names())
        .enumerate()
    {
        reporter.report(&Message::Listening {
            address,
            name: name.to_string(),
            fd: 3 + i as i32,
        });
    }
    if !listeners.is_empty()
        && let Some(wrapper) = handoff::forking_wrapper(&command_words(&config.run.command))
    {
        let (message, hint) = handoff::wrapper_warning(&wrapper);
        reporter.report(&Message::Warning {
            kind: WarningKind::ForkingWrapper,
            generation: None,
            message,
            hint,
        });
    }

    let keys = if config.output.keys {
        crate::keys::Keys::start(tx.clone())
    } else {
        None
    };
    let mut engine = Engine::new(Settings {
        has_build: config.build.is_some(),
        strategy: config.run.strategy,
        restart: config.run.restart,
    });
    let mut shell = Shell {
        config,
        reload,
        watch: Some(watch),
        reporter,
        tx,
        listeners,
        guard,
        notify,
        registry,
        builds: BTreeMap::new(),
        finished: BTreeMap::new(),
        generations: BTreeMap::new(),
        follow_ups: VecDeque::new(),
        exit_code: exit::SUCCESS,
        serving: None,
        last_good_build: None,
        build_fallback_env: process::colour::fallback_env(colour_terminal(&[Term::stderr()])),
        app_fallback_env: process::colour::fallback_env(colour_terminal(&[
            Term::stdout(),
            Term::stderr(),
        ])),
    };
    let code = shell.run_loop(&mut engine, &rx);
    drop(keys);
    drop(shell.watch.take());
    Ok(code)
}

impl Shell {
    fn run_loop(&mut self, engine: &mut Engine, rx: &bus::Receiver) -> u8 {
        self.follow_ups.push_back(Event::Start);
        loop {
            self.serving = engine.serving();
            let event = match self.follow_ups.pop_front() {
                Some(event) => event,
                None => match rx.recv() {
                    Ok(input) => {
                        // The config and env files are hotdev's, not the app's: they build or
                        // restart only through the reload, once the new settings apply.
                        let own = self.own_files_in(&input);
                        let input = if own.is_empty() {
                            Some(input)
                        } else {
                            self.reload_config(engine, &own);
                            without_files(input, &own)
                        };
                        match input.and_then(|input| self.take(input)) {
                            Some(event) => event,
                            None => continue,
                        }
                    }
                    // Unreachable while `self.tx` lives; stop cleanly rather than spin.
                    Err(_) => Event::Shutdown,
                },
            };
            let actions = engine.step(event);
            self.serving = engine.serving();
            for action in actions {
                if action == Action::Exit {
                    self.stop_leftovers();
                    self.reporter.report(&Message::Exit {
                        code: self.exit_code,
                    });
                    return self.exit_code;
                }
                self.carry_out(action);
            }
        }
    }

    /// Stops what the app or a build left behind outside their groups (setsid daemons
    /// re-parented to hotdev), and names them in one line.
    fn stop_leftovers(&self) {
        let left = process::reaper::stop_leftovers(LEFTOVER_GRACE);
        if left.is_empty() {
            return;
        }
        let names: Vec<String> = left
            .iter()
            .map(|(pid, command)| format!("{pid} ({command})"))
            .collect();
        let n = left.len();
        self.reporter.report(&Message::Error {
            message: format!(
                "stopped {n} process{} left behind outside their group: {}",
                if n == 1 { "" } else { "es" },
                names.join(", ")
            ),
        });
    }

    /// hotdev's own files (the config file, the env files) among a burst's paths.
    fn own_files_in(&self, input: &Input) -> Vec<PathBuf> {
        let paths = match input {
            Input::Event(Event::Changed(changes)) => &changes.paths,
            Input::Ignored(paths) => paths,
            _ => return Vec::new(),
        };
        // The files watched by name are exactly these.
        let own = &self.config.watch.files;
        paths
            .iter()
            .filter(|path| own.contains(path))
            .cloned()
            .collect()
    }

    /// The config file or an env file (`changed`) changed: apply the new configuration, or
    /// keep the old one and say why. Listeners and output settings stay as they are
    /// (rebinding would refuse connections). A new config file, or a build's env file, takes
    /// effect with a build; a run env file alone with a restart.
    fn reload_config(&mut self, engine: &mut Engine, changed: &[PathBuf]) {
        let mut new = match (self.reload)() {
            Ok(config) => config,
            Err(message) => {
                self.reporter.report(&Message::Error {
                    message: format!("{message}\nhotdev: keeping the previous configuration"),
                });
                return;
            }
        };
        if new.listen != self.config.listen {
            self.reporter.report(&Message::Error {
                message: "[[listen]] changed: restart hotdev to rebind; the current listeners stay"
                    .into(),
            });
        }
        new.listen = self.config.listen.clone();
        new.output = self.config.output;
        if matches!(new.run.ready, Some(Readiness::Notify)) && self.notify.is_none() {
            let opened = NotifySocket::open().and_then(|socket| {
                socket.serve(self.registry.clone(), self.tx.clone())?;
                Ok(socket)
            });
            match opened {
                Ok(socket) => self.notify = Some(socket),
                Err(e) => {
                    self.reporter.report(&Message::Error {
                        message: format!(
                            "cannot create the readiness socket ({e}); keeping the previous configuration"
                        ),
                    });
                    return;
                }
            }
        }
        if new.watch != self.config.watch
            && let Err(message) = self.rewatch(&new)
        {
            self.reporter.report(&Message::Error {
                message: format!("{message}; keeping the previous configuration"),
            });
            let _ = self.rewatch(&self.config.clone());
            return;
        }
        engine.reconfigure(Settings {
            has_build: new.build.is_some(),
            strategy: new.run.strategy,
            restart: new.run.restart,
        });
        self.config = new;
        let config_edit = self
            .config
            .file
            .as_ref()
            .filter(|file| changed.contains(file));
        let build_env = self.config.build.as_ref().and_then(|build| {
            build
                .command
                .env_files
                .iter()
                .find(|file| changed.contains(file))
        });
        let rebuild = config_edit.is_some() || build_env.is_some();
        match (config_edit, build_env.or(changed.first())) {
            (Some(file), _) => self
                .reporter
                .report(&Message::ConfigReloaded { path: file.clone() }),
            (None, Some(path)) => self.reporter.report(&Message::EnvFileChanged {
                path: path.clone(),
                action: if rebuild {
                    Redo::Rebuild
                } else {
                    Redo::Restart
                },
            }),
            (None, None) => {}
        }
        // New commands take effect with a fresh build and swap; new variables for the app
        // alone with a restart of the current build.
        self.follow_ups.push_back(Event::Manual(if rebuild {
            Manual::Rebuild
        } else {
            Manual::Restart
        }));
    }

    /// Replaces the watcher by one for `config`.
    fn rewatch(&mut self, config: &Config) -> Result<(), String> {
        drop(self.watch.take());
        let filter = Filter::new(&config.watch, &config.root).map_err(|e| e.to_string())?;
        let watch =
            Watch::start(&config.watch, filter, self.tx.clone()).map_err(|e| e.to_string())?;
        self.watch = Some(watch);
        Ok(())
    }

    /// Turns an input into an engine event, reporting what the engine does not need to see.
    fn take(&mut self, input: Input) -> Option<Event> {
        match input {
            Input::Event(event) => {
                self.observe(&event);
                Some(event)
            }
            Input::Key(key) => self.key(key),
            Input::Ignored(paths) => {
                if self.reporter.verbose() {
                    self.reporter.report(&Message::Ignored { paths });
                }
                None
            }
            Input::Watching(dirs) => {
                self.reporter.report(&Message::Watching { dirs });
                None
            }
            Input::WatchWarning(message) => {
                self.reporter.report(&Message::Error { message });
                None
            }
            Input::WorkerDied { what, cause } => {
                let how = match cause {
                    None => "thread died (its panic is above)".to_string(),
                    Some(cause) => format!("stopped: {cause}"),
                };
                let message = format!(
                    "hotdev's {what} {how}: stopping everything rather than going on blind; \
                     please report this"
                );
                self.reporter.report(&Message::Error { message });
                self.exit_code = exit::FAILURE;
                Some(Event::Shutdown)
            }
            Input::Signal(signal) => {
                let name = Signal::try_from(signal)
                    .map(|s| s.as_str())
                    .unwrap_or("signal");
                self.reporter.report(&Message::Shutdown {
                    signal: name.into(),
                });
                Some(Event::Shutdown)
            }
        }
    }

    fn key(&mut self, key: Key) -> Option<Event> {
        match key {
            Key::Rebuild => {
                self.reporter.report(&Message::Requested {
                    action: Redo::Rebuild,
                    key: 'r',
                });
                Some(Event::Manual(Manual::Rebuild))
            }
            Key::Restart => {
                self.reporter.report(&Message::Requested {
                    action: Redo::Restart,
                    key: 'R',
                });
                Some(Event::Manual(Manual::Restart))
            }
            Key::Quit => {
                self.reporter
                    .report(&Message::Shutdown { signal: "q".into() });
                Some(Event::Shutdown)
            }
            Key::Clear => {
                self.reporter.clear();
                None
            }
            Key::Help => {
                self.reporter.report(&Message::Help {
                    text: keys::HELP.into(),
                });
                None
            }
            Key::Pause => Some(Event::TogglePause),
        }
    }

    /// Reports the effect an event stands for, with the timings only the shell knows.
    fn observe(&mut self, event: &Event) {
        match event {
            Event::Changed(changes) => self.reporter.report(&Message::Change {
                paths: changes.paths.clone(),
                count: changes.paths.len(),
                overflow: changes.overflow,
                tentative: changes.tentative,
                root: self.config.root.clone(),
            }),
            Event::BuildFinished { id, status } => {
                let Some(run) = self.builds.remove(id) else {
                    return;
                };
                self.forget(run.pgid);
                if run.cancelled {
                    return;
                }
                let left = run
                    .left_behind
                    .lock()
                    .map(|l| l.clone())
                    .unwrap_or_default();
                if !left.is_empty() {
                    let n = left.len();
                    let commands: Vec<&str> = left.iter().map(|(_, c)| c.as_str()).collect();
                    self.reporter.report(&Message::Error {
                        message: format!(
                            "build {id}: killed {n} background process{} left by the build ({})",
                            if n == 1 { "" } else { "es" },
                            commands.join(", ")
                        ),
                    });
                }
                let output = run.output.lock().map(|o| o.clone()).unwrap_or_default();
                self.finished.insert(
                    *id,
                    FinishedBuild {
                        duration: run.started.elapsed(),
                        status: *status,
                        output,
                    },
                );
            }
            Event::BuildTimedOut { id } => {
                if let Some(run) = self.builds.get_mut(id).filter(|r| !r.cancelled) {
                    run.cancelled = true;
                    let duration = run.started.elapsed();
                    self.reporter.report(&Message::BuildFailed {
                        build: *id,
                        duration,
                        status: "timed out".to_string(),
                        serving: self.serving,
                    });
                }
            }
            Event::Ready { generation } => {
                if let Some(run) = self.generations.get(generation) {
                    self.reporter.report(&Message::GenerationReady {
                        generation: *generation,
                        ready: run.started.elapsed(),
                    });
                }
            }
            Event::Exited { generation, status } => {
                if let Some(run) = self.generations.remove(generation) {
                    self.forget(run.pgid);
                    if let Some(check) = &run.check {
                        check.cancel();
                    }
                    self.registry.unregister(*generation);
                    let duration = match run.stop_requested {
                        Some(at) => at.elapsed(),
                        None => run.started.elapsed(),
                    };
                    self.reporter.report(&Message::GenerationExited {
                        generation: *generation,
                        status: *status,
                        requested: run.stop_requested.is_some(),
                        duration,
                    });
                    if run.stop_requested.is_none() {
                        self.name_a_failed_handoff(*generation, &run);
                    }
                }
            }
            _ => {}
        }
    }

    /// A generation that exited on its own: if its last lines show it bound a pre-bound port
    /// itself or refused `LISTEN_PID`, say so and how to fix it, in one line and a hint.
    fn name_a_failed_handoff(&self, generation: GenId, run: &GenerationRun) {
        let Some(tail) = &run.tail else {
            return;
        };
        let Some(sign) = handoff::exit_sign(&tail.lines(), &self.listeners.tcp_ports()) else {
            return;
        };
        let wrapper = handoff::forking_wrapper(&command_words(&self.config.run.command));
        let (message, hint) = handoff::exit_advice(generation, run.pgid, &sign, wrapper.as_ref());
        self.reporter.report(&Message::Warning {
            kind: match sign {
                handoff::Sign::BoundItself { .. } => WarningKind::BoundItself,
                handoff::Sign::RefusedListenPid { .. } => WarningKind::ListenPidRefused,
            },
            generation: Some(generation),
            message,
            hint,
        });
    }

    fn watch(&self, pgid: i32) {
        if let Some(guard) = &self.guard {
            guard.watch(pgid);
        }
    }

    fn forget(&self, pgid: i32) {
        if let Some(guard) = &self.guard {
            guard.forget(pgid);
        }
    }

    fn carry_out(&mut self, action: Action) {
        match action {
            Action::StartBuild { id, changes } => self.start_build(id, &changes),
            Action::CancelBuild { id, reason } => {
                if let Some(run) = self.builds.get_mut(&id) {
                    if !run.cancelled {
                        run.cancelled = true;
                        self.reporter.report(&Message::BuildCancelled {
                            build: id,
                            reason: if reason == CancelReason::Shutdown {
                                CancelCause::Shutdown
                            } else {
                                CancelCause::NewerChange
                            },
                        });
                    }
                    let _ = process::signal_group(run.pgid, Signal::SIGKILL);
                }
            }
            Action::StartGeneration {
                generation,
                previous,
            } => self.start_generation(generation, previous),
            Action::StopGeneration { generation } => self.stop_generation(generation),
            Action::KillGeneration { generation } => {
                if let Some(run) = self.generations.get(&generation) {
                    let after = run.stop_requested.unwrap_or(run.started).elapsed();
                    self.reporter
                        .report(&Message::GenerationKilled { generation, after });
                    let _ = process::signal_group(run.pgid, Signal::SIGKILL);
                }
            }
            Action::ReloadGeneration { generation } => {
                if let Some(run) = self.generations.get(&generation) {
                    let signal = self.config.run.reload_signal;
                    match process::signal_group(run.pgid, signal) {
                        Ok(()) => self.reporter.report(&Message::GenerationReloaded {
                            generation,
                            signal: signal.as_str().into(),
                        }),
                        Err(e) => self.reporter.report(&Message::Error {
                            message: format!(
                                "cannot send {} to generation {generation}: {e}",
                                signal.as_str()
                            ),
                        }),
                    }
                }
            }
            Action::ScheduleRestart { token, delay } => {
                after(delay, self.tx.clone(), Event::RestartDue { token });
            }
            Action::Report(note) => self.note(note),
            Action::Exit => {}
        }
    }

    fn note(&mut self, note: Note) {
        match note {
            Note::BuildSucceeded { build } => {
                let Some(done) = self.finished.remove(&build) else {
                    return;
                };
                self.last_good_build = Some(build);
                self.reporter.report(&Message::BuildOk {
                    build,
                    duration: done.duration,
                });
                if self.reporter.verbose() {
                    self.reporter.report(&Message::BuildOutput {
                        build,
                        lines: done.output,
                        failed: false,
                    });
                }
            }
            // A build that could not start or timed out was reported where that was seen.
            Note::BuildFailedKeeping { build, serving } => {
                let Some(done) = self.finished.remove(&build) else {
                    return;
                };
                self.reporter.report(&Message::BuildFailed {
                    build,
                    duration: done.duration,
                    status: format_status(done.status),
                    serving,
                });
                self.reporter.report(&Message::BuildOutput {
                    build,
                    lines: done.output,
                    failed: true,
                });
            }
            // A running build is reported by CancelBuild; a finished one whose result waited
            // for its burst to settle is dropped here, unreported until now.
            Note::BuildSuperseded { cancelled } => {
                if self.finished.remove(&cancelled).is_some() {
                    self.reporter.report(&Message::BuildCancelled {
                        build: cancelled,
                        reason: CancelCause::NewerChange,
                    });
                }
            }
            // Reported as generation_exited with requested = false.
            Note::ExitedOnItsOwn { .. } => {}
            // Reported by KillGeneration with the time waited.
            Note::StopTimedOut { .. } => {}
            Note::RolledBack { failed, kept } => {
                self.reporter.report(&Message::RolledBack { failed, kept })
            }
            Note::NotReady { generation, reason } => {
                let reason = match reason {
                    NotReady::Timeout => format!(
                        "no sign of readiness within {}",
                        humantime::format_duration(self.config.run.ready_timeout)
                    ),
                    NotReady::Failed(message) => message,
                };
                self.reporter
                    .report(&Message::GenerationNotReady { generation, reason });
            }
            Note::WaitingForChange => self.reporter.report(&Message::Waiting),
            Note::Paused { paused } => self.reporter.report(&Message::Paused { paused }),
            Note::Restarting { attempt, delay } => self
                .reporter
                .report(&Message::Restarting { attempt, delay }),
            Note::ShuttingDown => {}
        }
    }

    fn start_build(&mut self, id: BuildId, changes: &ChangeSet) {
        let Some(build) = &self.config.build else {
            return;
        };
        let spawn = Spawn {
            spec: &build.command,
            cwd: &self.config.root,
            extra_env: vec![("HOTDEV_BUILD_ID".into(), id.to_string())],
            fallback_env: &self.build_fallback_env,
            listeners: None,
            output: Output::Piped,
        };
        match process::spawn(&spawn) {
            Ok(mut child) => {
                let pgid = child.pid;
                self.watch(pgid);
                self.reporter.report(&Message::BuildStarted {
                    build: id,
                    pid: pgid,
                    speculative: changes.tentative,
                    spinner: self.generations.is_empty(),
                });
                let capture = match (child.stdout.take(), child.stderr.take()) {
                    (Some(out), Some(err)) => Capture::start(out, err, false).ok(),
                    _ => None,
                };
                let output = Arc::new(Mutex::new(Vec::new()));
                let left_behind = Arc::new(Mutex::new(Vec::new()));
                self.builds.insert(
                    id,
                    BuildRun {
                        pgid,
                        started: Instant::now(),
                        cancelled: false,
                        output: Arc::clone(&output),
                        left_behind: Arc::clone(&left_behind),
                    },
                );
                let tx = self.tx.clone();
                spawn_named("hotdev-build-wait", &self.tx, move || {
                    // The build is done when its main process has exited and its output pipes
                    // are closed, or OUTPUT_GRACE after that exit: a background child must not
                    // hold it open. What is left of its group is then killed.
                    let status = process::wait_leader(pgid);
                    if let Some(capture) = capture {
                        let lines = capture.finish(OUTPUT_GRACE);
                        if let Ok(mut slot) = output.lock() {
                            *slot = lines;
                        }
                    }
                    let left = process::group_members(pgid);
                    if !left.is_empty() {
                        let _ = process::signal_group(pgid, Signal::SIGKILL);
                    }
                    let _ = process::wait_group(pgid);
                    if let Ok(mut slot) = left_behind.lock() {
                        *slot = left;
                    }
                    let _ = tx.send(Input::Event(Event::BuildFinished { id, status }));
                });
                if let Some(timeout) = build.timeout {
                    after(timeout, self.tx.clone(), Event::BuildTimedOut { id });
                }
            }
            Err(e) => {
                self.reporter.report(&Message::BuildFailed {
                    build: id,
                    duration: Duration::ZERO,
                    status: format!("cannot start: {e}"),
                    serving: self.serving,
                });
                self.follow_ups.push_back(Event::BuildSpawnFailed { id });
            }
        }
    }

    fn start_generation(&mut self, generation: GenId, previous: Option<GenId>) {
        let run = &self.config.run;
        // O_NONBLOCK belongs to the listeners' open file descriptions, shared by every
        // generation: reset it only when no generation holds them. Under overlap N still
        // serves, may poll a non-blocking accept, and would block in accept if cleared.
        if self.generations.is_empty()
            && let Err(e) = self.listeners.reset_nonblocking()
        {
            self.reporter.report(&Message::Error {
                message: format!("cannot reset O_NONBLOCK on the listeners: {e}"),
            });
        }
        let mut extra_env = vec![("HOTDEV_GENERATION".to_string(), generation.to_string())];
        if let Some(build) = self.last_good_build {
            extra_env.push(("HOTDEV_BUILD_ID".to_string(), build.to_string()));
        }
        if let Some(notify) = &self.notify {
            extra_env.push((
                "NOTIFY_SOCKET".to_string(),
                notify.path().display().to_string(),
            ));
        }
        let log_ready = match &run.ready {
            Some(Readiness::Log(regex)) => Some(regex.clone()),
            _ => None,
        };
        let spawn = Spawn {
            spec: &run.command,
            cwd: &self.config.root,
            extra_env,
            fallback_env: &self.app_fallback_env,
            listeners: if self.listeners.is_empty() {
                None
            } else {
                Some(&self.listeners)
            },
            // With listeners, stderr is read (only stderr: a piped stdout is block-buffered
            // by C and Python) so that a failed hand-off can be named when the app exits.
            output: if log_ready.is_some() {
                Output::Piped
            } else if self.listeners.is_empty() {
                Output::Inherit
            } else {
                Output::PipedStderr
            },
        };
        let mut child = match process::spawn(&spawn) {
            Ok(child) => child,
            Err(e) => {
                self.reporter.report(&Message::Error {
                    message: format!("generation {generation}: {e}"),
                });
                self.follow_ups.push_back(Event::SpawnFailed { generation });
                return;
            }
        };
        let pgid = child.pid;
        self.watch(pgid);
        let started = Instant::now();
        self.reporter.report(&Message::GenerationStarted {
            generation,
            pid: pgid,
            previous,
        });
        let check = run.ready.as_ref().map(|readiness| {
            let check = self.registry.register(generation, pgid);
            ready::watch(readiness, check.clone(), run.ready_timeout, self.tx.clone());
            check
        });
        let mut tail = None;
        let mut drained = None;
        if let Some(stderr) = child.stderr.take() {
            let log = log_ready.zip(check.clone());
            let kept = (!self.listeners.is_empty()).then(Tail::default);
            match ready::forward_output(child.stdout.take(), stderr, log, kept.clone()) {
                Ok(forwarding) => {
                    drained = Some(forwarding);
                    tail = kept;
                }
                Err(e) => self.reporter.report(&Message::Error {
                    message: format!("cannot forward the output of generation {generation}: {e}"),
                }),
            }
        }
        self.generations.insert(
            generation,
            GenerationRun {
                pgid,
                started,
                stop_requested: None,
                check,
                tail,
            },
        );
        if self.config.run.restart != RestartPolicy::Never {
            after(STABLE_AFTER, self.tx.clone(), Event::Stable { generation });
        }
        let tx = self.tx.clone();
        spawn_named("hotdev-generation-wait", &self.tx, move || {
            let status = process::wait_group(pgid);
            // Its last words must be in the tail before the exit is looked at.
            if let Some(drained) = drained {
                drained.wait(OUTPUT_GRACE);
            }
            let _ = tx.send(Input::Event(Event::Exited { generation, status }));
        });
    }

    fn stop_generation(&mut self, generation: GenId) {
        let signal = self.config.run.stop_signal;
        let timeout = self.config.run.stop_timeout;
        let Some(run) = self.generations.get_mut(&generation) else {
            return;
        };
        if let Some(check) = &run.check {
            check.cancel();
        }
        run.stop_requested.get_or_insert_with(Instant::now);
        let _ = process::signal_group(run.pgid, signal);
        self.reporter.report(&Message::GenerationStopping {
            generation,
            signal: signal.as_str().into(),
        });
        after(timeout, self.tx.clone(), Event::StopTimedOut { generation });
    }
}

impl Drop for Shell {
    /// The last line of defence: whatever path leaves the loop, nothing hotdev started
    /// outlives it. A normal exit has nothing left here.
    fn drop(&mut self) {
        for run in self.builds.values() {
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
        for run in self.generations.values() {
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
    }
}

/// `input` minus `file`; `None` when nothing else changed. A burst's last change set that named
/// only `file` still ends the burst for the engine: it becomes [`Event::Settled`], so that a
/// speculative build of the burst's start is not held for ever.
fn without_files(input: Input, files: &[PathBuf]) -> Option<Input> {
    match input {
        Input::Event(Event::Changed(mut changes)) => {
            changes.paths.retain(|p| !files.contains(p));
            if changes.overflow || !changes.paths.is_empty() {
                Some(Input::Event(Event::Changed(changes)))
            } else if changes.tentative {
                None
            } else {
                Some(Input::Event(Event::Settled))
            }
        }
        Input::Ignored(mut paths) => {
            paths.retain(|p| !files.contains(p));
            (!paths.is_empty()).then_some(Input::Ignored(paths))
        }
        other => Some(other),
    }
}

/// A command as words, for a look at what it runs: its argv, or its shell script split as the
/// shell would (nothing when the script does not split).
fn command_words(command: &CommandSpec) -> Vec<String> {
    match &command.program {
        Program::Argv(argv) => argv.clone(),
        Program::Shell(script) => shell_words::split(script).unwrap_or_default(),
    }
}

/// Whether every one of `terms` is a terminal that takes colour (`NO_COLOR` unset, `TERM` not
/// `dumb`), as hotdev's own styling decides it.
fn colour_terminal(terms: &[Term]) -> bool {
    terms.iter().all(|term| term.features().colors_supported())
}

/// A generation that ran this long is stable: its next crash restarts the backoff at 1s.
const STABLE_AFTER: Duration = Duration::from_secs(10);

/// How long a finished build's output may still trickle in (a daemon it left behind may hold
/// the pipe open for ever).
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// How long a process left behind at exit gets between SIGTERM and SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// A timer: sends `event` after `delay`. The engine ignores it if it is stale by then.
fn after(delay: Duration, tx: Sender, event: Event) {
    let spawn_tx = tx.clone();
    sources::timer::after(
        delay,
        |body| spawn_named("hotdev-timer", &spawn_tx, body),
        move || {
            let _ = tx.send(Input::Event(event));
        },
    );
}

/// Starts a worker thread whose panic reaches the loop ([`Input::WorkerDied`]).
fn spawn_named(name: &str, tx: &Sender, f: impl FnOnce() + Send + 'static) {
    // Spawning a thread only fails when the system is out of resources. Say so: the Drop of
    // the shell still kills every process group it knows about when hotdev exits.
    if let Err(e) = bus::spawn_worker(name, name, tx, f) {
        eprintln!("hotdev: cannot start a thread: {e}");
    }
}

/// SIGINT, SIGTERM and SIGHUP become shutdown requests on the bus.
fn spawn_signal_source(tx: Sender) -> std::io::Result<()> {
    let deliver = tx.clone();
    sources::signals::spawn(
        "hotdev-signals",
        |name, body| bus::spawn_worker(name, "the signal handler", &tx, body).map(drop),
        move |signal| deliver.send(Input::Signal(signal)).is_ok(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn changed(paths: &[&str], tentative: bool) -> Input {
        Input::Event(Event::Changed(ChangeSet {
            paths: paths.iter().map(PathBuf::from).collect(),
            overflow: false,
            tentative,
        }))
    }

    fn event(input: Option<Input>) -> Option<Event> {
        match input {
            Some(Input::Event(event)) => Some(event),
            None => None,
            Some(other) => panic!("not an event: {other:?}"),
        }
    }

    const CONFIG: &str = "/p/.hotdev.toml";

    #[test]
    fn the_config_file_is_taken_out_of_a_change() {
        let rest = without_files(
            changed(&["/p/a.go", CONFIG], false),
            &[PathBuf::from(CONFIG)],
        );
        let Some(Event::Changed(changes)) = event(rest) else {
            panic!("expected a change");
        };
        assert_eq!(changes.paths, [PathBuf::from("/p/a.go")]);
    }

    #[test]
    fn a_burst_that_ends_with_only_the_config_file_still_settles() {
        let end = without_files(changed(&[CONFIG], false), &[PathBuf::from(CONFIG)]);
        assert_eq!(event(end), Some(Event::Settled));
        let early = without_files(changed(&[CONFIG], true), &[PathBuf::from(CONFIG)]);
        assert_eq!(event(early), None, "a tentative one has nothing to say");
    }
}
