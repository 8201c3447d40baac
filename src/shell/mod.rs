//! The thin shell around the engine: one loop that receives inputs from a single channel, feeds
//! them to [`Engine::step`], and carries out the actions it returns.
//!
//! It wires the sources (`start`), turns inputs into events, and carries out actions through
//! the supervisor (processes), the timer kit, a config reload (`reload`) and the reporter
//! (`narrate`). It decides nothing: every rule and every timer is the engine's.

mod narrate;
mod pages;
mod reload;
mod start;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::bus::{self, Input, Sender};
use crate::config::Config;
use crate::engine::{Action, CancelReason, Engine, Event, Manual, Timer};
use crate::error::Error;
use crate::exit;
use crate::keys::{self, Key};
use crate::process;
use crate::proxy::Proxy;
use crate::report::{CancelCause, Message, Redo, Reporter};
use crate::sources;
use crate::supervisor::{Supervisor, spawn_named};
use crate::watch::Watcher;

/// Re-reads the configuration (same flags, same directory): the one line of a `ConfigError`.
pub type Reload = Box<dyn Fn() -> Result<Config, String>>;

/// Everything the loop carries out actions with.
struct Shell {
    config: Config,
    reload: Reload,
    /// `None` only while it is being replaced after a config change.
    watch: Option<Watcher>,
    reporter: Reporter,
    tx: Sender,
    supervisor: Supervisor,
    /// The dev proxy, if one runs; dropping it stops it.
    proxy: Option<Proxy>,
    /// The engine's armed timers.
    timers: BTreeMap<Timer, sources::timer::Timer>,
    /// Events produced by carrying out actions (e.g. a spawn that failed), fed back first.
    follow_ups: VecDeque<Event>,
    exit_code: u8,
}

/// How long a process left behind at exit gets between SIGTERM and SIGKILL.
const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// Runs the reload loop until a shutdown completes; returns the exit code.
pub fn run(mut config: Config, reload: Reload) -> Result<u8, Error> {
    let reporter = Reporter::new(config.output);
    let (tx, rx) = bus::channel();
    let started = start::start(&config, &reporter, &tx)?;
    let keys = if config.output.keys {
        let tx = tx.clone();
        keys::Keys::start(move |key| tx.send(Input::Key(key)).is_ok())
    } else {
        None
    };
    // The proxy as it runs (its target's real port) is what the rest of the session uses.
    let proxy = started.proxy.map(|(running, proxy)| {
        config.proxy = Some(proxy);
        running
    });
    let mut engine = Engine::new(start::settings_of(&config));
    let mut shell = Shell {
        config,
        reload,
        watch: Some(started.watch),
        reporter,
        tx,
        supervisor: started.supervisor,
        proxy,
        timers: BTreeMap::new(),
        follow_ups: VecDeque::new(),
        exit_code: exit::SUCCESS,
    };
    let code = shell.run_loop(&mut engine, &rx);
    drop(keys);
    drop(shell.watch.take());
    drop(shell.proxy.take());
    Ok(code)
}

impl Shell {
    fn run_loop(&mut self, engine: &mut Engine, rx: &bus::Receiver) -> u8 {
        self.follow_ups.push_back(Event::Start);
        loop {
            let event = match self.follow_ups.pop_front() {
                Some(event) => event,
                None => match rx.recv() {
                    Ok(input) => match self.take(input) {
                        Some(event) => event,
                        None => continue,
                    },
                    // Unreachable while `self.tx` lives; stop cleanly rather than spin.
                    Err(_) => Event::Shutdown,
                },
            };
            self.observe(&event);
            for action in engine.step(event) {
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

    /// Turns an input into an engine event, reporting what the engine does not need to see.
    fn take(&mut self, input: Input) -> Option<Event> {
        match input {
            Input::Event(event) => Some(event),
            Input::Key(key) => self.key(key),
            Input::Ignored(paths) => Some(Event::Ignored(paths)),
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
                let name = sources::signals::name(signal);
                self.reporter.report(&Message::Shutdown { signal: name });
                Some(Event::Shutdown)
            }
        }
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
                self.reporter.report(&Message::Help {
                    text: keys::HELP.into(),
                });
                return None;
            }
            Key::Pause => return Some(Event::TogglePause),
        };
        self.reporter.report(&Message::Requested {
            action,
            key: key.char(),
        });
        Some(Event::Manual(manual))
    }

    /// The effects an event stands for, before the engine decides on it: a process gone, a
    /// check passed, a timer that has fired.
    fn observe(&mut self, event: &Event) {
        if let Some(timer) = Timer::of(event) {
            self.timers.remove(&timer);
        }
        match event {
            Event::BuildFinished { id, .. } => self.supervisor.build_gone(*id),
            Event::Ready { generation } => self.supervisor.ready(*generation, &self.reporter),
            Event::Exited { generation, status } => {
                self.supervisor
                    .exited(&self.config, *generation, *status, &self.reporter)
            }
            _ => {}
        }
    }

    fn carry_out(&mut self, action: Action) {
        let (config, reporter) = (&self.config, &self.reporter);
        match action {
            Action::StartBuild { id, changes } => {
                if let Err(error) = self.supervisor.start_build(config, id, &changes, reporter) {
                    self.follow_ups
                        .push_back(Event::BuildSpawnFailed { id, error });
                }
            }
            Action::CancelBuild { id, reason } => {
                self.supervisor.kill_build(id);
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
                let started = self
                    .supervisor
                    .start_generation(config, generation, previous, build, reporter);
                if !started {
                    self.follow_ups.push_back(Event::SpawnFailed { generation });
                }
            }
            Action::StopGeneration { generation } => self
                .supervisor
                .stop_generation(config, generation, reporter),
            Action::KillGeneration { generation } => {
                self.supervisor.kill_generation(generation, reporter)
            }
            Action::ReloadGeneration { generation } => self
                .supervisor
                .reload_generation(config, generation, reporter),
            Action::StartTimer { timer, after } => {
                let tx = self.tx.clone();
                let spawn_tx = self.tx.clone();
                let armed = sources::timer::after(
                    after,
                    |body| spawn_named("hotdev-timer", &spawn_tx, body),
                    move || {
                        let _ = tx.send(Input::Event(timer.fired()));
                    },
                );
                self.timers.insert(timer, armed);
            }
            Action::CancelTimer { timer } => {
                if let Some(armed) = self.timers.remove(&timer) {
                    armed.cancel();
                }
            }
            Action::Reconfigure { .. } => {
                let answer = self.reconfigure();
                self.follow_ups.push_front(answer);
            }
            Action::Gate(gate) => {
                if let Some(proxy) = &self.proxy {
                    pages::gate(&proxy.handle(), gate);
                }
            }
            Action::Page(page) => {
                if let Some(proxy) = &self.proxy {
                    pages::tell(&proxy.handle(), page, config, &self.supervisor, reporter);
                }
            }
            Action::Report(note) => {
                narrate::narrate(note, &self.config, &self.supervisor, &self.reporter)
            }
            Action::Exit => {}
        }
    }
}
