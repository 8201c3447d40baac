//! Shared harness for the integration tests: they drive the real `hotdev` binary on a temp copy
//! of a fixture and observe it through its JSON events (`--log-format json`).
//!
//! Waits are bounded by deadlines that only turn hangs into failures; nothing synchronises on a
//! bare sleep. Every process group hotdev starts is killed when its [`Hotdev`] is dropped, so a
//! failing test leaves nothing running.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde_json::Value;
use tempfile::TempDir;

/// The first build of a test may compile a cold Go or Cargo cache.
pub const FIRST_BUILD: Duration = Duration::from_secs(120);
/// Any later build (warm cache) plus the swap that follows it.
pub const BUILD: Duration = Duration::from_secs(60);
/// Things that should take milliseconds: stops, exits, events that follow a known one.
pub const SHORT: Duration = Duration::from_secs(15);

const POLL: Duration = Duration::from_millis(10);

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A private, writable copy of `fixtures/<name>` in a temp dir, removed on drop.
pub struct Fixture {
    dir: TempDir,
}

impl Fixture {
    /// Copies `fixtures/<name>` without build output (`tmp/`, `target/`).
    pub fn copy(name: &str) -> Fixture {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        assert!(src.is_dir(), "fixture {} does not exist", src.display());
        let dir = tempfile::Builder::new()
            .prefix(&format!("hotdev-{name}-"))
            .tempdir()
            .expect("create temp dir");
        copy_tree(&src, dir.path());
        Fixture { dir }
    }

    /// An empty temp dir, for tests that write every file themselves.
    pub fn empty() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("hotdev-empty-")
            .tempdir()
            .expect("create temp dir");
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The absolute path of `rel` inside the copy.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.file(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Plain in-place write (truncate + write), creating parent dirs.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.file(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        fs::write(&path, content).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    /// Replaces the first occurrence of `from` by `to` in `rel`, in place. Panics when `from`
    /// is not there: a test that edits nothing proves nothing.
    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(from),
            "{rel} does not contain {from:?}:\n{text}"
        );
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Writes `content` the way editors save: a temp file beside `rel`, then a rename over it.
    pub fn atomic_write(&self, rel: &str, content: &str) {
        let path = self.file(rel);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = path.with_file_name(format!(".{name}.hotdev-test~"));
        {
            let mut f = fs::File::create(&tmp).expect("create temp file");
            f.write_all(content.as_bytes()).expect("write temp file");
            f.sync_all().expect("sync temp file");
        }
        fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("rename over {rel}: {e}"));
    }

    /// [`Fixture::replace`] done as an atomic save.
    pub fn atomic_replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(from),
            "{rel} does not contain {from:?}:\n{text}"
        );
        self.atomic_write(rel, &text.replacen(from, to, 1));
    }

    /// go-server / rust-server: `const version = "<v>"` (`VERSION: &str` in Rust).
    pub fn set_version(&self, rel: &str, version: &str) {
        self.set_consts(rel, &[("version", version)]);
    }

    /// go-server / rust-server: `const mode = "<m>"`.
    pub fn set_mode(&self, rel: &str, mode: &str) {
        self.set_consts(rel, &[("mode", mode)]);
    }

    /// Sets several string constants (`const <name> = "…"`, any case) in one write, so that
    /// one edit is one change.
    pub fn set_consts(&self, rel: &str, consts: &[(&str, &str)]) {
        let mut text = self.read(rel);
        for (name, value) in consts {
            let re = regex::Regex::new(&format!(
                r#"(?i)(const\s+{name}\s*(?::\s*&(?:'static\s+)?str\s*)?=\s*")[^"]*(")"#
            ))
            .unwrap();
            assert!(
                re.is_match(&text),
                "{rel} has no `const {name} = \"…\"`:\n{text}"
            );
            text = re
                .replace(&text, format!("${{1}}{value}${{2}}"))
                .into_owned();
        }
        self.write(rel, &text);
    }

    /// `git init` the copy, so that `.gitignore` applies as it does in a real checkout.
    pub fn git_init(&self) {
        let status = Command::new("git")
            .args(["init", "-q", "."])
            .current_dir(self.path())
            .stdout(Stdio::null())
            .status()
            .expect("run git init");
        assert!(status.success(), "git init failed: {status}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let ty = entry.file_type().unwrap();
        if ty.is_dir() {
            if name == "tmp" || name == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(&name));
        } else if ty.is_file() {
            fs::copy(entry.path(), to.join(&name)).expect("copy fixture file");
        }
    }
}

/// Fails loudly when `go` is missing: CI installs it, so a missing toolchain is a broken setup,
/// not a reason to skip.
pub fn require_go() {
    let ok = Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`go` is not on PATH: these tests need a Go toolchain (CI installs one)"
    );
}

/// Runs `go <args>` once per test binary on a throwaway copy of `fixtures/<name>`, outside
/// hotdev, so that a cold Go build cache costs this warm-up and not a test's deadline.
/// Best effort: a failure here shows up again, with hotdev's output, in the test itself.
pub fn warm_go(name: &str, args: &[&str]) {
    static WARMED: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    require_go();
    let set = WARMED.get_or_init(|| Mutex::new(BTreeSet::new()));
    let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
    if !set.insert(format!("{name} {args:?}")) {
        return;
    }
    let fixture = Fixture::copy(name);
    let started = Instant::now();
    let ok = Command::new("go")
        .args(args)
        .current_dir(fixture.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    eprintln!(
        "warm-up: go {args:?} in {name}: ok={ok}, {:?}",
        started.elapsed()
    );
}

/// The `[watch]` and `[build]` sections every go-server test starts from (tests add `[run]`).
pub const GO_WATCH_BUILD: &str = r#"
[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[build]
command = "go build -o tmp/server ."
"#;

/// A copy of go-server, after a warm-up build of it (once per test binary).
pub fn go_server() -> Fixture {
    warm_go("go-server", &["build", "-o", "tmp/server", "."]);
    Fixture::copy("go-server")
}

/// Writes `.hotdev.toml` = [`GO_WATCH_BUILD`] + `rest`.
pub fn write_go_config(fx: &Fixture, rest: &str) {
    fx.write(".hotdev.toml", &format!("{GO_WATCH_BUILD}\n{rest}"));
}

// ---------------------------------------------------------------------------------------------
// Waiting

/// Polls `cond` every 10ms until it holds (true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(POLL);
    }
}

// ---------------------------------------------------------------------------------------------
// Processes, from /proc (zombies count as gone: this container's pid 1 does not reap orphans)

#[derive(Debug, Clone, Copy)]
pub struct ProcStat {
    pub pid: i32,
    pub state: char,
    pub ppid: i32,
    pub pgrp: i32,
    pub starttime: u64,
}

impl ProcStat {
    pub fn live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        pid,
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        pgrp: f.get(2)?.parse().ok()?,
        starttime: f.get(19)?.parse().ok()?,
    })
}

pub fn all_procs() -> Vec<ProcStat> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(proc_stat)
        .collect()
}

/// A live (non-zombie) process with this pid exists.
pub fn pid_alive(pid: i32) -> bool {
    proc_stat(pid).is_some_and(|p| p.live())
}

/// A live (non-zombie) process in process group `pgid` exists.
pub fn process_group_alive(pgid: i32) -> bool {
    all_procs().iter().any(|p| p.pgrp == pgid && p.live())
}

/// The live members of process group `pgid`, for failure messages.
pub fn process_group_members(pgid: i32) -> Vec<String> {
    all_procs()
        .iter()
        .filter(|p| p.pgrp == pgid && p.live())
        .map(|p| {
            let cmd = fs::read(format!("/proc/{}/cmdline", p.pid))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            format!("{} ({}) {}", p.pid, p.state, cmd.trim())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// hotdev

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

/// `e["event"] == name`.
pub fn is(e: &Value, name: &str) -> bool {
    e["event"] == name
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
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1");
        for var in [
            "LISTEN_FDS",
            "LISTEN_PID",
            "LISTEN_FDNAMES",
            "NOTIFY_SOCKET",
            "PORT",
            "ADDR",
            "HEALTH_ADDR",
        ] {
            cmd.env_remove(var);
        }
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
        self.shared.lock().events.clone()
    }

    /// The events named `name` so far.
    pub fn named(&self, name: &str) -> Vec<Value> {
        self.shared
            .lock()
            .events
            .iter()
            .filter(|e| is(e, name))
            .cloned()
            .collect()
    }

    pub fn count(&self, name: &str) -> usize {
        self.shared
            .lock()
            .events
            .iter()
            .filter(|e| is(e, name))
            .count()
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
                    let _ = wait_until(Duration::from_secs(2), || self.shared.lock().closed == 2);
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

// ---------------------------------------------------------------------------------------------
// Ports and HTTP

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, drop the socket).
/// Runs hotdev (human output) until it exits by itself, within [`SHORT`]: its exit code and
/// everything it printed. One that does not exit fails the test (and is killed by the guard).
pub fn run_to_exit(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut h = Hotdev::start_human(dir, args);
    let status = h.wait_exit(SHORT).unwrap_or_else(|e| panic!("{e}"));
    (status.code(), h.text())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

/// `127.0.0.1:<a free port>`.
pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// Where an HTTP request goes.
#[derive(Debug, Clone)]
pub enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl From<SocketAddr> for Target {
    fn from(a: SocketAddr) -> Target {
        Target::Tcp(a)
    }
}

impl From<&Path> for Target {
    fn from(p: &Path) -> Target {
        Target::Unix(p.to_path_buf())
    }
}

impl From<PathBuf> for Target {
    fn from(p: PathBuf) -> Target {
        Target::Unix(p)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp(a) => write!(f, "{a}"),
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET <path>` over a new connection (HTTP/1.0, `Connection: close`). Ok(body) on a 200
/// answer; Err with the reason otherwise (refused, reset, timeout, other status).
pub fn http_get(target: impl Into<Target>, path: &str) -> Result<String, String> {
    let target = target.into();
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let response = match &target {
        Target::Tcp(addr) => {
            let s = TcpStream::connect_timeout(addr, IO_TIMEOUT)
                .map_err(|e| format!("connect: {e}"))?;
            exchange(s, &request)
        }
        Target::Unix(path) => {
            let s = UnixStream::connect(path).map_err(|e| format!("connect: {e}"))?;
            s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
            s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
            exchange_unix(s, &request)
        }
    }?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no header end in {response:?}"))?;
    let status = head.lines().next().unwrap_or("");
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("status {status:?}, body {body:?}"));
    }
    Ok(body.to_string())
}

/// [`http_get`] with the body trimmed, Err for an empty one.
pub fn get_trimmed(target: impl Into<Target>, path: &str) -> Result<String, String> {
    let body = http_get(target, path)?;
    let body = body.trim().to_string();
    if body.is_empty() {
        return Err("empty body".into());
    }
    Ok(body)
}

fn exchange(mut s: TcpStream, request: &str) -> Result<String, String> {
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_nodelay(true).ok();
    s.write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| format!("read: {e}"))?;
    if out.is_empty() {
        return Err("connection closed without an answer".into());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn exchange_unix(mut s: UnixStream, request: &str) -> Result<String, String> {
    s.write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| format!("read: {e}"))?;
    if out.is_empty() {
        return Err("connection closed without an answer".into());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Waits until `GET path` answers `expected` (trimmed).
pub fn wait_body(
    target: impl Into<Target>,
    path: &str,
    expected: &str,
    timeout: Duration,
) -> Result<(), String> {
    let target = target.into();
    let mut last = String::new();
    if wait_until(timeout, || match get_trimmed(target.clone(), path) {
        Ok(b) if b == expected => true,
        Ok(b) => {
            last = format!("body {b:?}");
            false
        }
        Err(e) => {
            last = e;
            false
        }
    }) {
        Ok(())
    } else {
        Err(format!(
            "{target}{path} did not answer {expected:?} within {timeout:?}; last: {last}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Load

/// What a [`Load`] measured.
#[derive(Debug, Default, Clone)]
pub struct LoadStats {
    pub ok: u64,
    pub failed: u64,
    pub max_latency: Duration,
    /// Answers by body (trimmed), to check every version was served.
    pub bodies: BTreeMap<String, u64>,
    /// The first failures, with the time since the load started.
    pub errors: Vec<String>,
}

impl LoadStats {
    pub fn total(&self) -> u64 {
        self.ok + self.failed
    }

    pub fn summary(&self) -> String {
        format!(
            "{} failed / {} total, max latency {:?}, bodies {:?}{}",
            self.failed,
            self.total(),
            self.max_latency,
            self.bodies,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!(", first errors: {:?}", self.errors)
            }
        )
    }
}

/// Continuous load: `threads` loops of new-connection GETs, each loop stopping after
/// `max_requests` requests or `max_duration`, whichever comes first, or on [`Load::stop`].
pub struct Load {
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<LoadStats>>,
    handles: Vec<JoinHandle<()>>,
}

impl Load {
    pub fn start(
        target: impl Into<Target>,
        path: &str,
        threads: usize,
        max_requests: u64,
        max_duration: Duration,
    ) -> Load {
        let target = target.into();
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(LoadStats::default()));
        let started = Instant::now();
        let handles = (0..threads)
            .map(|_| {
                let (target, path, stop, stats) = (
                    target.clone(),
                    path.to_string(),
                    stop.clone(),
                    stats.clone(),
                );
                thread::spawn(move || {
                    let mut n = 0;
                    while n < max_requests
                        && started.elapsed() < max_duration
                        && !stop.load(Ordering::Relaxed)
                    {
                        n += 1;
                        let t = Instant::now();
                        let result = get_trimmed(target.clone(), &path);
                        let latency = t.elapsed();
                        let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
                        s.max_latency = s.max_latency.max(latency);
                        match result {
                            Ok(body) => {
                                s.ok += 1;
                                *s.bodies.entry(body).or_default() += 1;
                            }
                            Err(e) => {
                                s.failed += 1;
                                if s.errors.len() < 10 {
                                    s.errors.push(format!(
                                        "at {:.3}s: {e}",
                                        started.elapsed().as_secs_f64()
                                    ));
                                }
                            }
                        }
                        drop(s);
                        // Pace the loop a little so two cores still have room for the builds.
                        thread::sleep(Duration::from_millis(2));
                    }
                })
            })
            .collect();
        Load {
            stop,
            stats,
            handles,
        }
    }

    /// The numbers so far.
    pub fn snapshot(&self) -> LoadStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops every loop and returns the totals.
    pub fn stop(mut self) -> LoadStats {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
        self.snapshot()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
