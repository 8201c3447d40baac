//! The `hotdev` binary under test: started in its own process group with JSON events
//! (`--log-format json`) or human output, its output collected by reader threads, waits on its
//! events, and a guard that kills hotdev's group and every group it reported on drop.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;

use super::{POLL, SHORT, proc_stat, process_group_alive, wait_until};

/// Environment that would change what hotdev or its children do: hand-off variables hotdev
/// itself might have inherited (a test run under systemd or under hotdev), the addresses the
/// fixtures read, output settings, hotdev's fault injection (`HOTDEV_FAULT`), and
/// `CARGO_TARGET_DIR` (cargo under `cargo test` must build a Rust fixture into its own
/// `target/`, not this repository's). Every test that starts hotdev removes these, then sets
/// what it needs.
pub const SCRUBBED_ENV: [&str; 14] = [
    "CARGO_TARGET_DIR",
    "HOTDEV_FAULT",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "HOTDEV_LOG_FORMAT",
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
    "LISTEN_FDS_FIRST_FD",
    "NOTIFY_SOCKET",
    "PORT",
    "ADDR",
    "HEALTH_ADDR",
];

/// Removes [`SCRUBBED_ENV`] from `cmd`'s environment.
pub fn scrub_env(cmd: &mut Command) -> &mut Command {
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// What the reader threads collected.
#[derive(Default)]
struct Log {
    /// Every line of hotdev's stdout and stderr (app output included), tagged, in order.
    lines: Vec<String>,
    /// The lines that are JSON objects with an `"event"` field.
    events: Vec<Value>,
    /// Process groups hotdev reported (builds and generations), with the leader's start time
    /// when it could be read, to never kill a group whose pid was reused.
    groups: BTreeMap<i32, Option<u64>>,
    /// Readers that reached end of file.
    closed: usize,
    /// Lines that hold an event but are not exactly one JSON object: something else was
    /// written into the middle of the event's line.
    torn: Vec<String>,
    /// Events that do not decode as hotdev's own typed message (`hotdev::report::Message`,
    /// what smoke reads too), with serde's reason: each fails the test that looks at events.
    undecodable: Vec<String>,
}

struct Shared {
    log: Mutex<Log>,
    cond: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running `hotdev` binary. Dropping it kills hotdev's process group and every process
/// group hotdev reported.
pub struct Hotdev {
    child: Child,
    dir: PathBuf,
    started: Instant,
    shared: Arc<Shared>,
    status: Option<ExitStatus>,
}

/// `e["event"] == name`. `name` must be an event the README documents: a test cannot wait
/// for an event that does not exist.
pub fn is(e: &Value, name: &str) -> bool {
    assert!(
        documented_events().contains(&name),
        "no event is named {name:?}; README's JSON events table has {:?}",
        documented_events()
    );
    e["event"] == name
}

/// The event names of README's "JSON events" table, the schema's contract.
fn documented_events() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("### JSON events")
            .nth(1)
            .expect("README has a JSON events section");
        table
            .lines()
            .skip_while(|l| !l.starts_with("| event |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('`').nth(1))
            .collect()
    })
}

/// Whether `event` decodes as hotdev's typed message; serde's reason if not.
fn decodes(event: &Value) -> Result<(), String> {
    serde_json::from_value::<hotdev::report::Stamped<hotdev::report::Message>>(event.clone())
        .map(drop)
        .map_err(|e| e.to_string())
}

impl Hotdev {
    /// Starts `hotdev --log-format json --no-keys <args>` in `dir`, in its own process group.
    pub fn start(dir: &Path, args: &[&str]) -> Hotdev {
        Self::start_with_env(dir, args, &[])
    }

    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Hotdev {
        Self::spawn(dir, &[&["--log-format", "json"], args].concat(), env)
    }

    /// Starts `hotdev --no-keys <args>` with human output (NO_COLOR, not a terminal): `lines()`
    /// and `text()` hold what a user would read; there are no events.
    pub fn start_human(dir: &Path, args: &[&str]) -> Hotdev {
        Self::spawn(dir, args, &[])
    }

    fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Hotdev {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotdev"));
        cmd.arg("--no-keys")
            .args(args)
            .current_dir(dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        scrub_env(&mut cmd).env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn hotdev");
        let shared = Arc::new(Shared {
            log: Mutex::new(Log::default()),
            cond: Condvar::new(),
        });
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        spawn_reader("stdout", stdout, shared.clone());
        spawn_reader("stderr", stderr, shared.clone());
        Hotdev {
            child,
            dir: dir.to_path_buf(),
            started: Instant::now(),
            shared,
            status: None,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Value> {
        self.decoded();
        self.shared.lock().events.clone()
    }

    /// Fails the test if an event so far does not decode as hotdev's typed message.
    fn decoded(&self) {
        let log = self.shared.lock();
        assert!(
            log.undecodable.is_empty(),
            "events that are not hotdev's typed message:\n{}",
            log.undecodable.join("\n")
        );
    }

    /// The events named `name` so far.
    pub fn named(&self, name: &str) -> Vec<Value> {
        self.decoded();
        self.shared
            .lock()
            .events
            .iter()
            .filter(|e| is(e, name))
            .cloned()
            .collect()
    }

    pub fn count(&self, name: &str) -> usize {
        self.named(name).len()
    }

    /// Every output line so far (hotdev's and the app's), tagged `stdout|`/`stderr|`.
    pub fn lines(&self) -> Vec<String> {
        self.shared.lock().lines.clone()
    }

    /// The output lines that are not events (app output and anything else).
    pub fn text(&self) -> String {
        self.shared
            .lock()
            .lines
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The last `n` lines, for failure messages.
    pub fn tail(&self, n: usize) -> String {
        let log = self.shared.lock();
        let skip = log.lines.len().saturating_sub(n);
        log.lines[skip..].join("\n")
    }

    /// Waits for the first event (from the start of the run) that satisfies `pred`.
    pub fn wait_event(
        &self,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, String> {
        self.wait_event_from(0, pred, timeout)
    }

    /// Waits for the first event at index `from` or later that satisfies `pred`. Fails at once
    /// when hotdev's output has ended or an `exit` event went by without a match.
    pub fn wait_event_from(
        &self,
        from: usize,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, String> {
        self.decoded();
        let deadline = Instant::now() + timeout;
        let mut log = self.shared.lock();
        loop {
            if let Some(e) = log.events.iter().skip(from).find(|e| pred(e)) {
                return Ok(e.clone());
            }
            let ended = log.closed == 2 || log.events.iter().skip(from).any(|e| is(e, "exit"));
            let now = Instant::now();
            if ended || now >= deadline {
                let why = if ended {
                    "hotdev's output ended".to_string()
                } else {
                    format!("timed out after {timeout:?}")
                };
                let skip = log.lines.len().saturating_sub(80);
                return Err(format!(
                    "{why} (at {:?} since start) without the awaited event; last output:\n{}",
                    self.started.elapsed(),
                    log.lines[skip..].join("\n")
                ));
            }
            let wait = (deadline - now).min(Duration::from_millis(200));
            log = self
                .shared
                .cond
                .wait_timeout(log, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for an event named `name` whose fields include every `(key, value)` of `fields`.
    pub fn wait_for(
        &self,
        name: &str,
        fields: &[(&str, Value)],
        timeout: Duration,
    ) -> Result<Value, String> {
        self.wait_event(|e| matches(e, name, fields), timeout)
            .map_err(|m| format!("waiting for {name} {fields:?}: {m}"))
    }

    /// The number of events so far: a cursor for [`Hotdev::wait_event_from`].
    pub fn cursor(&self) -> usize {
        self.shared.lock().events.len()
    }

    /// Sends `sig` to hotdev itself (not its group, as `kill <pid>` would).
    pub fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.pid()), sig).expect("signal hotdev");
    }

    /// Waits for hotdev to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.status = Some(status);
                    // Let the readers drain what hotdev wrote last (bounded: a leftover
                    // process may hold the pipe open).
                    let _ = wait_until(Duration::from_secs(2), "hotdev's output to end", || {
                        self.shared.lock().closed == 2
                    });
                    return Ok(status);
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(POLL),
                Ok(None) => {
                    return Err(format!(
                        "hotdev did not exit within {timeout:?}; last output:\n{}",
                        self.tail(80)
                    ));
                }
                Err(e) => return Err(format!("waiting for hotdev: {e}")),
            }
        }
    }

    /// How many output lines were not events (app output), without copying them.
    pub fn app_line_count(&self) -> usize {
        let log = self.shared.lock();
        log.lines.len() - log.events.len()
    }

    /// Output lines that held an event but were not exactly one JSON object.
    pub fn torn_lines(&self) -> Vec<String> {
        self.shared.lock().torn.clone()
    }

    /// The process groups hotdev reported so far (builds and generations).
    pub fn reported_groups(&self) -> Vec<i32> {
        self.shared.lock().groups.keys().copied().collect()
    }

    fn kill_everything(&mut self) {
        let _ = killpg(Pid::from_raw(self.pid()), Signal::SIGKILL);
        let groups = self.shared.lock().groups.clone();
        for (pgid, start) in groups {
            let ours = match (proc_stat(pgid), start) {
                // The leader is still the process hotdev reported.
                (Some(p), Some(t)) => p.starttime == t,
                // A pid we could not stat then, alive now: reused.
                (Some(_), None) => false,
                // The leader is gone: only members it left behind can hold the group's pid.
                (None, _) => true,
            };
            if ours && process_group_alive(pgid) {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
        if self.status.is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }
}

impl Drop for Hotdev {
    fn drop(&mut self) {
        self.kill_everything();
        if thread::panicking() {
            eprintln!(
                "---- hotdev output ({} in {}) ----\n{}\n---- end of hotdev output ----",
                self.started.elapsed().as_secs_f32(),
                self.dir.display(),
                self.text()
            );
        }
    }
}

/// `e` is event `name` and has every `(key, value)` of `fields`.
pub fn matches(e: &Value, name: &str, fields: &[(&str, Value)]) -> bool {
    is(e, name) && fields.iter().all(|(k, v)| &e[*k] == v)
}

/// The event on `line`, if any, and whether the line was torn: an event object followed by
/// other output on the same line (kept as an event, so that one torn line fails only the test
/// that checks for torn lines).
fn parse_event(line: &str) -> (Option<Value>, bool) {
    let is_event = |v: &Value| v.get("event").is_some_and(|e| e.is_string());
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return if is_event(&v) {
            (Some(v), false)
        } else {
            (None, false)
        };
    }
    if line.starts_with('{') {
        let mut stream = serde_json::Deserializer::from_str(line).into_iter::<Value>();
        if let Some(Ok(v)) = stream.next()
            && is_event(&v)
        {
            return (Some(v), true);
        }
    }
    (None, line.contains("{\"") && line.contains("\"event\""))
}

fn spawn_reader(tag: &'static str, stream: impl Read + Send + 'static, shared: Arc<Shared>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf).trim_end().to_string();
            let (event, torn) = parse_event(&line);
            let mut log = shared.lock();
            if torn {
                log.torn.push(line.clone());
            }
            if let Some(e) = event {
                if let Err(why) = decodes(&e) {
                    log.undecodable.push(format!("{line}: {why}"));
                }
                if (is(&e, "generation_started") || is(&e, "build_started"))
                    && let Some(pid) = e["pid"].as_i64()
                {
                    let pid = pid as i32;
                    let start = proc_stat(pid).map(|p| p.starttime);
                    log.groups.entry(pid).or_insert(start);
                }
                log.events.push(e);
            }
            log.lines.push(format!("{tag}| {line}"));
            drop(log);
            shared.cond.notify_all();
        }
        shared.lock().closed += 1;
        shared.cond.notify_all();
    });
}

/// Runs hotdev (human output) until it exits by itself, within [`SHORT`]: its exit code and
/// everything it printed. One that does not exit fails the test (and is killed by the guard).
pub fn run_to_exit(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut h = Hotdev::start_human(dir, args);
    let status = h.wait_exit(SHORT).unwrap_or_else(|e| panic!("{e}"));
    (status.code(), h.text())
}
