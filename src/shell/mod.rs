//! The thin shell around the engines: one loop that receives inputs from a single channel,
//! feeds each to the [`Engine::step`] of the app it is about, and carries out the actions.
//!
//! A project has one app, or several (`[apps.NAME]`): one engine, supervisor and reporter per
//! app, one watcher and one loop for all. It wires the sources (`start`), turns inputs into
//! events, starts apps in dependency order and stops them in reverse (`order`), and carries
//! out actions through the supervisor (processes), the timer kit, a config reload (`reload`),
//! the proxy (`pages`) and the reporter (`narrate`). It decides nothing about a reload: every
//! rule and every timer is the engine's.

mod narrate;
mod order;
mod pages;
mod reload;
mod shared;
mod start;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::bus::{self, AppId, Input, Sender};
use crate::config::Config;
use crate::engine::{Action, CancelReason, Engine, Event, Manual, Timer};
use crate::error::Error;
use crate::exit;
use crate::keys::{self, Key};
use crate::process;
use crate::proxy::Proxy;
use crate::report::{CancelCause, Message, Redo, Reporter, app_prefix};
use crate::sources;
use crate::supervisor::{Supervisor, spawn_named};
use crate::watch::Watcher;

use order::Life;

/// One app of the project, as the shell runs it.
pub use crate::config::App;

/// Re-reads the configuration (same flags, same directory): every app, or the one line of
/// a `ConfigError`.
pub type Reload = Box<dyn Fn() -> Result<Vec<App>, String>>;

/// One app's engine and the hands that carry out its actions.
struct AppRun {
    name: String,
    config: Config,
    engine: Engine,
    supervisor: Supervisor,
    /// The dev proxy, if one runs; dropping it stops it.
    proxy: Option<Proxy>,
    /// Names this app on every line (with several apps).
    reporter: Reporter,
    /// The apps that must be up before this one starts.
    depends_on: Vec<AppId>,
    /// The apps whose new generation restarts this one.
    restart_with: Vec<AppId>,
    /// Whether file changes reach it.
    watch: bool,
    life: Life,
}

/// Everything the loop carries out actions with.
struct Shell {
    apps: Vec<AppRun>,
    reload: Reload,
    /// `None` when no app watches files, or while it is being replaced after a config change.
    watch: Option<Watcher>,
    /// Lines about no app in particular.
    reporter: Reporter,
    tx: Sender,
    /// The engines' armed timers.
    timers: BTreeMap<(AppId, Timer), sources::timer::Timer>,
    /// Events produced by carrying out actions (e.g. a spawn that failed), fed back first.
    follow_ups: VecDeque<(AppId, Event)>,
    /// Builds of one command that several apps share.
    shared: shared::SharedBuilds,
    /// Counts the inputs taken: build requests of one step come from the same event.
    step: u64,
    /// The app that `r`, `R` and `p` act on (a digit picks it); `None`: every app.
    selected: Option<AppId>,
    /// Shutting down: apps stop one after the other, dependents first.
    stopping: bool,
    exit_code: u8,
}

/// How long a process left behind at exit gets between SIGTERM and SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// Runs the reload loop until a shutdown completes; returns the exit code.
pub fn run(mut apps: Vec<App>, reload: Reload) -> Result<u8, Error> {
    let Some(first) = apps.first() else {
        return Err(Error::usage("no app to run"));
    };
    let reporter = Reporter::new(first.config.output);
    let (tx, rx) = bus::channel();
    let labels = labels(&apps, &reporter);
    let started = start::start(&apps, &labels, &reporter, &tx)?;
    let keys = if first.config.output.keys {
        let tx = tx.clone();
        keys::Keys::start(move |key| tx.send(Input::Key(key)).is_ok())
    } else {
        None
    };
    let depends = order::resolve(&apps, |app| &app.depends_on);
    let restarts = order::resolve(&apps, |app| &app.restart_with);
    let mut runs = Vec::new();
    for ((((app, parts), (reporter, _)), depends_on), restart_with) in apps
        .iter_mut()
        .zip(started.apps)
        .zip(labels)
        .zip(depends)
        .zip(restarts)
    {
        // The proxy as it runs (its target's real port) is what the rest of the session uses.
        let proxy = parts.proxy.map(|(running, proxy)| {
            app.config.proxy = Some(proxy);
            running
        });
        runs.push(AppRun {
            name: app.name.clone(),
            engine: Engine::new(start::settings_of(&app.config)),
            config: app.config.clone(),
            supervisor: parts.supervisor,
            proxy,
            reporter,
            depends_on,
            restart_with,
            watch: app.watch,
            life: Life::Waiting,
        });
    }
    let mut shell = Shell {
        apps: runs,
        reload,
        watch: started.watch,
        reporter,
        tx,
        timers: BTreeMap::new(),
        follow_ups: VecDeque::new(),
        shared: shared::SharedBuilds::default(),
        step: 0,
        selected: None,
        stopping: false,
        exit_code: exit::SUCCESS,
    };
    let code = shell.run_loop(&rx);
    drop(keys);
    drop(shell.watch.take());
    for app in &mut shell.apps {
        drop(app.proxy.take());
    }
    Ok(code)
}

/// What makes two apps' builds the same run: the command, its environment and directory.
fn shared_key(config: &Config) -> String {
    match &config.build {
        Some(build) => format!("{:?} in {}", build.command, config.root.display()),
        None => String::new(),
    }
}

/// Each app's reporter and line prefix: with one app, the plain reporter and no prefix.
fn labels(apps: &[App], reporter: &Reporter) -> Vec<(Reporter, String)> {
    if apps.len() == 1 {
        return vec![(reporter.clone(), String::new())];
    }
    let width = apps.iter().map(|app| app.name.len()).max().unwrap_or(0);
    apps.iter()
        .enumerate()
        .map(|(i, app)| {
            let prefix = app_prefix(&app.name, width, i);
            (reporter.for_app(&app.name, prefix.clone()), prefix)
        })
        .collect()
}

impl Shell {
    fn run_loop(&mut self, rx: &bus::Receiver) -> u8 {
        for run in &self.apps {
            if !run.depends_on.is_empty() {
                let apps = run
                    .depends_on
                    .iter()
                    .map(|dep| self.apps[*dep].name.clone())
                    .collect();
                run.reporter.report(&Message::WaitingFor { apps });
            }
        }
        self.start_due();
        loop {
            let (app, event) = match self.follow_ups.pop_front() {
                Some(next) => next,
                None => match rx.recv_tagged() {
                    Ok((app, input)) => match self.take_next(app, input) {
                        Some(next) => next,
                        None => continue,
                    },
                    // Unreachable while `self.tx` lives; stop cleanly rather than spin.
                    Err(_) => (0, Event::Shutdown),
                },
            };
            if event == Event::Shutdown {
                self.shutdown();
            } else if app < self.apps.len() {
                self.step(app, event);
            }
            if self.apps.iter().all(|app| app.life == Life::Exited) {
                self.stop_leftovers();
                self.reporter.report(&Message::Exit {
                    code: self.exit_code,
                });
                return self.exit_code;
            }
        }
    }

    /// Feeds one event to one app's engine and carries out what it decides.
    fn step(&mut self, app: AppId, event: Event) {
        if self.apps[app].life == Life::Exited {
            return;
        }
        self.observe(app, &event);
        self.tell_riders(app, &event);
        for action in self.apps[app].engine.step(event) {
            if action == Action::Exit {
                self.apps[app].life = Life::Exited;
                if self.stopping {
                    self.stop_next();
                }
                return;
            }
            self.carry_out(app, action);
        }
    }

    /// An input from the channel: one more step.
    fn take_next(&mut self, app: AppId, input: Input) -> Option<(AppId, Event)> {
        self.step += 1;
        self.take(app, input)
    }

    /// A shared build ended: every app that rode on it gets the same result under its own
    /// build number.
    fn tell_riders(&mut self, app: AppId, event: &Event) {
        let id = match event {
            Event::BuildFinished { id, .. } | Event::BuildSpawnFailed { id, .. } => *id,
            _ => return,
        };
        for (rider, build) in self.shared.finished(app, id) {
            let event = match event.clone() {
                Event::BuildFinished { status, report, .. } => Event::BuildFinished {
                    id: build,
                    status,
                    report,
                },
                Event::BuildSpawnFailed { error, .. } => {
                    Event::BuildSpawnFailed { id: build, error }
                }
                other => other,
            };
            self.follow_ups.push_back((rider, event));
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

    /// Turns an input into an event for an app (a shutdown is for all), reporting what the
    /// engines do not need to see. Keys act on every app.
    fn take(&mut self, app: AppId, input: Input) -> Option<(AppId, Event)> {
        match input {
            Input::Event(event) => Some((app, event)),
            Input::Key(key) => {
                let event = self.key(key)?;
                self.broadcast(&event);
                None
            }
            Input::Ignored(paths) => Some((app, Event::Ignored(paths))),
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
                Some((0, Event::Shutdown))
            }
            Input::Signal(signal) => {
                let name = sources::signals::name(signal);
                self.reporter.report(&Message::Shutdown { signal: name });
                Some((0, Event::Shutdown))
            }
        }
    }

    /// The same event for every app that runs (keys, pause), or for the one a digit picked.
    fn broadcast(&mut self, event: &Event) {
        if *event == Event::Shutdown {
            self.shutdown();
            return;
        }
        for app in 0..self.apps.len() {
            if self.apps[app].life != Life::Waiting && self.selected.is_none_or(|s| s == app) {
                self.step(app, event.clone());
            }
        }
    }

    /// The digits that pick an app, for the help line: `1 api · 2 worker · 0 all`.
    fn pick_help(&self) -> String {
        let picks: Vec<String> = self
            .apps
            .iter()
            .take(9)
            .enumerate()
            .map(|(i, app)| format!("{} {}", i + 1, app.name))
            .collect();
        format!("pick an app for r/R/p: {}, 0 all", picks.join(", "))
    }

    fn key(&mut self, key: Key) -> Option<Event> {
        let (action, manual) = match key {
            Key::Rebuild => (Redo::Rebuild, Manual::Rebuild),
            Key::Restart => (Redo::Restart, Manual::Restart),
            Key::Quit => {
                self.reporter
                    .report(&Message::Shutdown { signal: "q".into() });
                return Some(Event::Shutdown);
            }
            Key::Clear => {
                self.reporter.clear();
                return None;
            }
            Key::Help => {
                let text = match self.apps.len() {
                    1 => keys::HELP.to_owned(),
                    _ => format!("{} · {}", keys::HELP, self.pick_help()),
                };
                self.reporter.report(&Message::Help { text });
                return None;
            }
            Key::Select(n) => {
                if self.apps.len() > 1 {
                    let n = usize::from(n);
                    self.selected = (1..=self.apps.len()).contains(&n).then(|| n - 1);
                    let text = match self.selected {
                        Some(app) => {
                            format!("keys act on {} now (0: every app)", self.apps[app].name)
                        }
                        None => "keys act on every app now".to_owned(),
                    };
                    self.reporter.report(&Message::Help { text });
                }
                return None;
            }
            Key::Pause => return Some(Event::TogglePause),
        };
        let reporter = match self.selected {
            Some(app) => &self.apps[app].reporter,
            None => &self.reporter,
        };
        reporter.report(&Message::Requested {
            action,
            key: key.char(),
        });
        Some(Event::Manual(manual))
    }

    /// The effects an event stands for, before the engine decides on it: a process gone, a
    /// check passed, a timer that has fired.
    fn observe(&mut self, app: AppId, event: &Event) {
        if let Some(timer) = Timer::of(event) {
            self.timers.remove(&(app, timer));
        }
        let run = &mut self.apps[app];
        match event {
            Event::BuildFinished { id, .. } => run.supervisor.build_gone(*id),
            Event::Ready { generation } => {
                run.supervisor.ready(*generation, &run.reporter);
                self.up(app);
            }
            Event::Exited { generation, status } => {
                run.supervisor
                    .exited(&run.config, *generation, *status, &run.reporter)
            }
            _ => {}
        }
    }

    fn carry_out(&mut self, app: AppId, action: Action) {
        let run = &mut self.apps[app];
        let (config, reporter) = (&run.config, &run.reporter);
        match action {
            Action::StartBuild { id, changes } => {
                let key = shared::Key {
                    command: shared_key(config),
                    when: match changes.burst {
                        0 => shared::When::Step(self.step),
                        burst => shared::When::Burst(burst),
                    },
                };
                match self.shared.start(key, app, id) {
                    shared::Start::Spawn => {
                        if let Err(error) =
                            run.supervisor.start_build(config, id, &changes, reporter)
                        {
                            self.follow_ups
                                .push_back((app, Event::BuildSpawnFailed { id, error }));
                        }
                    }
                    shared::Start::Ride { owner, build } => {
                        let with_app = self.apps[owner].name.clone();
                        self.apps[app].reporter.report(&Message::BuildShared {
                            build: id,
                            with_app,
                            with_build: build,
                        });
                    }
                }
            }
            Action::CancelBuild { id, reason } => {
                let kill = match self.shared.cancel(app, id) {
                    shared::Cancel::Kill => true,
                    // Others ride on it: it goes on for them, unless everything stops.
                    shared::Cancel::Keep => reason != CancelReason::NewerChange,
                    shared::Cancel::Ride => false,
                };
                if kill {
                    run.supervisor.kill_build(id);
                }
                // A newer change and a timeout are reported by the note that follows.
                if reason == CancelReason::Shutdown {
                    reporter.report(&Message::BuildCancelled {
                        build: id,
                        reason: CancelCause::Shutdown,
                    });
                }
            }
            Action::StartGeneration {
                generation,
                previous,
                build,
            } => {
                let started = run
                    .supervisor
                    .start_generation(config, generation, previous, build, reporter);
                if !started {
                    self.follow_ups
                        .push_back((app, Event::SpawnFailed { generation }));
                } else if !order::has_check(config) {
                    // Without a readiness check, running is as ready as it gets.
                    self.up(app);
                }
            }
            Action::StopGeneration { generation } => {
                run.supervisor.stop_generation(config, generation, reporter)
            }
            Action::KillGeneration { generation } => {
                run.supervisor.kill_generation(generation, reporter)
            }
            Action::ReloadGeneration { generation } => run
                .supervisor
                .reload_generation(config, generation, reporter),
            Action::StartTimer { timer, after } => {
                let tx = self.tx.for_app(app);
                let spawn_tx = self.tx.clone();
                let armed = sources::timer::after(
                    after,
                    |body| spawn_named("hotdev-timer", &spawn_tx, body),
                    move || {
                        let _ = tx.send(Input::Event(timer.fired()));
                    },
                );
                self.timers.insert((app, timer), armed);
            }
            Action::CancelTimer { timer } => {
                if let Some(armed) = self.timers.remove(&(app, timer)) {
                    armed.cancel();
                }
            }
            Action::Reconfigure { .. } => {
                let answer = self.reconfigure(app);
                self.follow_ups.push_front((app, answer));
            }
            Action::Gate(gate) => {
                if let Some(proxy) = &run.proxy {
                    pages::gate(&proxy.handle(), gate);
                }
            }
            Action::Page(page) => {
                if let Some(proxy) = &run.proxy {
                    pages::tell(&proxy.handle(), page, config, &run.supervisor, reporter);
                }
            }
            Action::Report(note) => narrate::narrate(note, config, &run.supervisor, reporter),
            Action::Exit => {}
        }
    }
}
