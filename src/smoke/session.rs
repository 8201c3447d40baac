//! The thin shell of a smoke run: one loop that turns the child's lines, probe results, timers
//! and signals into driver inputs and carries out what the driver asks; then the shutdown
//! (stop the child, restore the file, look for leftovers) and the reports.

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use super::args::{self, SmokeArgs};
use super::child::{self, Child, FromChild};
use super::driver::{ChildStop, Do, Driver, ReadyBy, Seen, Stopped};
use super::event::{self, ChildEvent, Line};
use super::load::{self, Load, Url};
use super::summary::{self, Run};
use super::touch::{self, Touched};
use super::{exit, junit};
use crate::config::Config;
use crate::report::Message;
use crate::sources::{signals, timer};

/// How long a change may take to reach the watcher (covers polling watchers).
const CHANGE_WITHIN: Duration = Duration::from_secs(30);
/// Without readiness and `--check`: a generation still running after this long counts as ready.
const SETTLE: Duration = Duration::from_secs(1);
/// With `--check`: requests run this long against each new generation before the next reload.
const DWELL: Duration = Duration::from_millis(500);
/// How long the child may take to stop everything after SIGTERM.
const STOP_WITHIN: Duration = Duration::from_secs(30);
/// How long the child's last output may take to arrive once it has exited.
const DRAIN_WITHIN: Duration = Duration::from_secs(2);
/// How long process groups may take to disappear once the child is gone.
const GONE_WITHIN: Duration = Duration::from_secs(2);

enum Msg {
    Child(FromChild),
    Probe {
        generation: u64,
        result: Result<(), String>,
    },
    Settled {
        generation: u64,
    },
    TouchNow {
        step: usize,
    },
    ChangeTimedOut {
        step: usize,
    },
    Signal(i32),
}

struct Session {
    args: SmokeArgs,
    /// With `[apps]`: the app this run checks; the other apps' events are not its business.
    app: Option<String>,
    /// The child's configuration as smoke read it (the child reports the same error).
    config: Result<Config, String>,
    started: Instant,
    tx: Sender<Msg>,
    driver: Driver,
    check: Option<Url>,
    touched: Option<Touched>,
    load: Option<Load>,
    stop_probes: Arc<AtomicBool>,
    child_exit: Option<Option<i32>>,
    /// The driver asked to shut down.
    stopping: bool,
}

pub fn run(args: &SmokeArgs, global: Vec<OsString>) -> u8 {
    let targets = match std::env::current_dir() {
        Ok(cwd) => args::targets(&global, &cwd),
        Err(_) => Vec::new(),
    };
    match targets.as_slice() {
        [] => match run_one(args, global, None) {
            Ok(run) => finish(&[(None, &run)], args),
            Err(code) => code,
        },
        apps => run_apps(args, &global, apps),
    }
}

/// A file with several apps: one run per app, each `--app NAME` (which brings what it
/// depends on) and watching only that app's events, its check URL its first TCP listener.
fn run_apps(args: &SmokeArgs, global: &[OsString], apps: &[String]) -> u8 {
    if apps.len() > 1 && (args.check.is_some() || args.touch.is_some()) {
        return usage(
            "--check and --touch name one app's URL and file, and this file has several apps\n  \
             hint: pick one with `hotdev --app NAME smoke …`, or leave them out: smoke then \
             edits a file of each app and checks each app's first listen address",
        );
    }
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return internal(&format!("cannot read the working directory: {e}")),
    };
    let mut runs = Vec::new();
    for app in apps {
        let mut global = global.to_vec();
        global.extend(["--app".into(), app.into()]);
        let mut one = args.clone();
        one.junit = None;
        one.report = None;
        // The URL given (one app picked), else the app's first TCP listener.
        one.check = args.check.clone().or_else(|| {
            let config = args::load_config(&global, &cwd, Some(app)).ok()?;
            config.listen.iter().find_map(|l| match l.address {
                crate::sockets::ListenAddress::Tcp(addr) => Some(format!("http://{addr}/")),
                crate::sockets::ListenAddress::Unix(_) => None,
            })
        });
        eprintln!("smoke: app {app}");
        match run_one(&one, global, Some(app)) {
            Ok(run) => {
                eprintln!("{}", summary::table(&run));
                runs.push((app.clone(), run));
            }
            Err(code) => return code,
        }
    }
    let runs: Vec<(Option<&str>, &Run)> = runs
        .iter()
        .map(|(app, run)| (Some(app.as_str()), run))
        .collect();
    finish(&runs, args)
}

/// One smoke run: its steps, or the exit code of a run that could not start.
fn run_one(args: &SmokeArgs, global: Vec<OsString>, app: Option<&str>) -> Result<Run, u8> {
    let check = match args.check.as_deref().map(Url::parse).transpose() {
        Ok(check) => check,
        Err(e) => return Err(usage(&e)),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return Err(internal(&format!("cannot find the hotdev executable: {e}"))),
    };
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return Err(internal(&format!("cannot read the working directory: {e}"))),
    };
    let config = args::load_config(&global, &cwd, app);
    let ready_by = config
        .as_ref()
        .ok()
        .map(|c| ReadyBy::choose(c.run.ready.is_some(), check.is_some()));
    let (tx, rx) = mpsc::channel();
    let signal_tx = tx.clone();
    let signals = match signals::spawn("smoke-signals", spawn_thread, move |signal| {
        signal_tx.send(Msg::Signal(signal)).is_ok()
    }) {
        Ok(handle) => handle,
        Err(e) => return Err(internal(&format!("cannot handle signals: {e}"))),
    };
    let child_tx = tx.clone();
    let send = move |m: FromChild| child_tx.send(Msg::Child(m)).is_ok();
    let child = match Child::spawn(&exe, &args::child_args(&global), send) {
        Ok(child) => child,
        Err(e) => return Err(internal(&format!("cannot start {}: {e}", exe.display()))),
    };
    let mut session = Session {
        args: args.clone(),
        app: app.map(str::to_owned),
        config,
        started: Instant::now(),
        tx,
        driver: Driver::new(args.reloads, check.is_some(), ready_by),
        check,
        touched: None,
        load: None,
        stop_probes: Arc::new(AtomicBool::new(false)),
        child_exit: None,
        stopping: false,
    };
    session.run_loop(&rx);
    let run = session.shutdown(&child, &rx);
    signals.close();
    Ok(run)
}

impl Session {
    fn at(&self) -> Duration {
        self.started.elapsed()
    }

    fn run_loop(&mut self, rx: &Receiver<Msg>) {
        let deadline = self.started + self.args.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let input = match rx.recv_timeout(left) {
                Ok(msg) => match self.input_of(msg) {
                    Some(input) => input,
                    None => continue,
                },
                Err(RecvTimeoutError::Timeout) => Seen::TimedOut {
                    after: self.args.timeout,
                },
                Err(RecvTimeoutError::Disconnected) => Seen::Abort {
                    code: exit::INTERNAL,
                    reason: "lost contact with the child hotdev".into(),
                },
            };
            self.feed(input);
            if self.stopping {
                return;
            }
        }
    }

    /// Feeds the driver and carries out its answers (`stopping` once it asks to shut down).
    fn feed(&mut self, input: Seen) {
        let mut queue = vec![input];
        while let Some(input) = queue.pop() {
            let at = self.at();
            for action in self.driver.step(at, input) {
                match self.carry_out(action) {
                    Ok(true) => self.stopping = true,
                    Ok(false) => {}
                    Err((code, reason)) => queue.push(Seen::Abort { code, reason }),
                }
            }
        }
    }

    /// Whether `event` is about another app than the one this run checks.
    fn elsewhere(&self, event: &ChildEvent) -> bool {
        matches!((&self.app, &event.app), (Some(want), Some(got)) if want != got)
    }

    fn input_of(&mut self, msg: Msg) -> Option<Seen> {
        match msg {
            Msg::Child(FromChild::Line(Line::Event(event))) if self.elsewhere(&event) => None,
            Msg::Child(FromChild::Line(Line::Event(event))) => {
                if let Message::Started { .. } = &event.message {
                    let begin = self.begin(&event);
                    // `Begin` (or the abort) first, then the event itself.
                    self.feed(begin);
                    if self.stopping {
                        return None;
                    }
                }
                Some(Seen::Event(event))
            }
            Msg::Child(FromChild::Line(Line::Output(text))) => {
                event::child_error(&text).map(|message| Seen::ChildError {
                    message: message.to_string(),
                })
            }
            Msg::Child(FromChild::Exited(code)) => {
                self.child_exit = Some(code);
                Some(Seen::ChildExited { code })
            }
            Msg::Probe { generation, result } => Some(Seen::Probe { generation, result }),
            Msg::Settled { generation } => Some(Seen::Settled { generation }),
            Msg::TouchNow { step } => match self.touch(step) {
                Ok(()) => None,
                Err(reason) => Some(Seen::Abort {
                    code: exit::INTERNAL,
                    reason,
                }),
            },
            Msg::ChangeTimedOut { step } => Some(Seen::ChangeTimedOut {
                step,
                after: CHANGE_WITHIN,
            }),
            Msg::Signal(signal) => Some(Seen::Interrupted {
                signal,
                name: signals::name(signal),
            }),
        }
    }

    /// On the child's `started`: how readiness is decided, and which file to touch.
    fn begin(&mut self, event: &ChildEvent) -> Seen {
        let Message::Started {
            root,
            strategy,
            ready,
            ..
        } = &event.message
        else {
            unreachable!("begin is only called for `started`");
        };
        let strategy = *strategy;
        // The child says what it runs with; it read the same configuration as smoke.
        let ready_by = ReadyBy::choose(ready.is_some(), self.check.is_some());
        eprintln!("smoke: readiness: {}", ReadyBy::describe(Some(ready_by)));
        if self.args.reloads > 0 {
            let cwd = std::env::current_dir().unwrap_or_else(|_| root.clone());
            let picked = self
                .config
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|config| touch::pick(self.args.touch.as_deref(), &cwd, config))
                .and_then(|path| {
                    Touched::new(path.clone())
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                });
            match picked {
                Ok(touched) => {
                    eprintln!(
                        "smoke: each reload appends a newline to {} (restored at the end)",
                        touched.path().display()
                    );
                    self.touched = Some(touched);
                }
                Err(reason) => {
                    // The driver learns how readiness was to be decided before it fails, so
                    // the summary says what was configured.
                    self.feed(Seen::Begin { strategy, ready_by });
                    return Seen::Abort {
                        code: exit::USAGE,
                        reason,
                    };
                }
            }
        }
        Seen::Begin { strategy, ready_by }
    }

    /// Carries out one action; `Ok(true)` for `Shutdown`, `Err((code, reason))` to feed back
    /// a failure.
    fn carry_out(&mut self, action: Do) -> Result<bool, (u8, String)> {
        match action {
            Do::Touch { step } => {
                let delay = if self.load.is_some() {
                    DWELL
                } else {
                    Duration::ZERO
                };
                after(delay, self.tx.clone(), Msg::TouchNow { step });
            }
            Do::Probe { generation, within } => {
                let Some(url) = self.check.clone() else {
                    return Ok(false);
                };
                let (tx, stop) = (self.tx.clone(), self.stop_probes.clone());
                spawn_named("smoke-probe", move || {
                    let result = load::probe(&url, within, &stop);
                    let _ = tx.send(Msg::Probe { generation, result });
                });
            }
            Do::Settle { generation } => {
                after(SETTLE, self.tx.clone(), Msg::Settled { generation });
            }
            Do::StartLoad => {
                if let Some(url) = self.check.clone() {
                    match Load::start(url, self.args.reloads + 1) {
                        Ok(load) => self.load = Some(load),
                        Err(e) => {
                            return Err((
                                exit::INTERNAL,
                                format!("cannot start the request loop: {e}"),
                            ));
                        }
                    }
                }
            }
            Do::Report { index } => {
                eprintln!("{}", summary::step_line(&self.driver.steps()[index]));
            }
            Do::Shutdown => return Ok(true),
        }
        Ok(false)
    }

    fn touch(&mut self, step: usize) -> Result<(), String> {
        let Some(touched) = self.touched.as_mut() else {
            return Err("no file to touch".into());
        };
        if let Some(load) = &self.load {
            load.set_window(step);
        }
        touched
            .change(step)
            .map_err(|e| format!("cannot change {}: {e}", touched.path().display()))?;
        after(CHANGE_WITHIN, self.tx.clone(), Msg::ChangeTimedOut { step });
        Ok(())
    }

    /// Stops everything, restores the file, checks for leftovers. What it sees goes to the
    /// driver, which gives the shutdown verdict; the run's steps are the result.
    fn shutdown(mut self, child: &Child, rx: &Receiver<Msg>) -> Run {
        let began = Instant::now();
        self.stop_probes.store(true, Ordering::Relaxed);
        let windows = self.load.take().map(Load::finish).unwrap_or_default();
        for (index, window) in windows.iter().enumerate() {
            let sample = window.errors.join("; ");
            if self
                .driver
                .record_requests(index, window.ok, window.failed, &sample)
            {
                eprintln!("{}", summary::step_line(&self.driver.steps()[index]));
            }
        }
        let restore_first = self.driver.restore_first();
        let mut restore_failed = None;
        if restore_first {
            restore_failed = self.restore();
        }
        let child_stop = if self.child_exit.is_some() {
            ChildStop::AlreadyGone
        } else {
            child.terminate();
            let deadline = Instant::now() + STOP_WITHIN;
            while self.child_exit.is_none() {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(Msg::Child(FromChild::Exited(code))) => self.child_exit = Some(code),
                    Ok(Msg::Child(FromChild::Line(Line::Event(event))))
                        if !self.elsewhere(&event) =>
                    {
                        // Still tracks process groups started late.
                        let _ = self.driver.step(self.at(), Seen::Event(event));
                    }
                    Ok(Msg::Signal(_)) => break, // asked twice: no more grace
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            match self.child_exit {
                Some(code) => ChildStop::Exited(code),
                None => {
                    child.kill();
                    ChildStop::Killed {
                        within: STOP_WITHIN,
                    }
                }
            }
        };
        if !restore_first {
            restore_failed = self.restore();
        }
        child.drain(DRAIN_WITHIN);
        let mut alive = child::alive_groups(self.driver.groups().keys().copied());
        let gone_by = Instant::now() + GONE_WITHIN;
        while !alive.is_empty() && Instant::now() < gone_by {
            thread::sleep(Duration::from_millis(50));
            alive = child::alive_groups(alive);
        }
        alive.iter().for_each(|&pgid| child::kill_group(pgid));
        let shutdown = self.driver.shutdown_step(&Stopped {
            child: child_stop,
            restore_failed,
            alive,
            took: began.elapsed(),
        });
        eprintln!("{}", summary::step_line(&shutdown));

        let url = self.args.check.clone();
        let ready_by = ReadyBy::describe(self.driver.ready_by());
        let mut steps = self.driver.into_steps();
        steps.push(shutdown);
        Run {
            steps,
            ready_by,
            touched: self.touched.as_ref().map(|t| t.path().to_path_buf()),
            check: url,
            duration_ms: self.started.elapsed().as_millis() as u64,
            tail: child.tail.lines(),
        }
    }

    /// Puts the touched file back; the problem, if it could not.
    fn restore(&mut self) -> Option<String> {
        let touched = self.touched.as_mut()?;
        touched
            .restore()
            .err()
            .map(|e| format!("cannot restore {}: {e}", touched.path().display()))
    }
}

/// Prints the table (of one run; several print theirs as they end), writes the reports,
/// returns the exit code: the first failed run's.
fn finish(runs: &[(Option<&str>, &Run)], args: &SmokeArgs) -> u8 {
    // The app's output was streamed as it came (`app| `); the reports keep its tail.
    let mut code = runs
        .iter()
        .map(|(_, run)| run.code())
        .find(|code| *code != exit::PASSED)
        .unwrap_or(exit::PASSED);
    let report = match runs {
        [(None, run)] => {
            eprintln!("{}", summary::table(run));
            summary::json_report(run)
        }
        _ => {
            let apps: serde_json::Map<String, serde_json::Value> = runs
                .iter()
                .map(|(app, run)| (app.unwrap_or("app").to_owned(), summary::json_report(run)))
                .collect();
            let verdict = if code == exit::PASSED {
                "passed"
            } else {
                "failed"
            };
            eprintln!("smoke: {} apps, {verdict} (exit {code})", runs.len());
            serde_json::json!({ "code": code, "apps": apps })
        }
    };
    let writes = [
        (args.report.as_ref(), {
            let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
            text.push('\n');
            text
        }),
        (args.junit.as_ref(), junit::render_apps(runs)),
    ];
    for (path, text) in writes {
        if let Some(path) = path
            && let Err(e) = std::fs::write(path, text)
        {
            crate::error::print(&format!("cannot write {}: {e}", path.display()));
            if code == exit::PASSED {
                code = exit::INTERNAL;
            }
        }
    }
    code
}

fn usage(message: &str) -> u8 {
    crate::error::print(&message);
    exit::USAGE
}

fn internal(message: &str) -> u8 {
    crate::error::print(&message);
    exit::INTERNAL
}

/// Runs `delay` later on a thread of its own: sends `msg` to the loop.
fn after(delay: Duration, tx: Sender<Msg>, msg: Msg) {
    timer::after(
        delay,
        |body| spawn_named("smoke-timer", body),
        move || {
            let _ = tx.send(msg);
        },
    );
}

fn spawn_thread(name: &str, body: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map(drop)
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) {
    if let Err(e) = spawn_thread(name, Box::new(f)) {
        crate::error::print(&format!("cannot start a thread: {e}"));
    }
}
