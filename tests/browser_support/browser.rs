//! A real headless Chromium (Debian's `chromium`) in its own process group with a throwaway
//! profile, reached over the DevTools protocol. Dropping the [`Browser`] kills every process it
//! started and removes the profile, even when the test fails.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::cdp::Connection;
use super::group::Group;
use super::page::Page;
use super::{COMMAND, LAUNCH, POLL};
use crate::support::{all_procs, scrub_env};

pub struct Browser {
    /// Chromium's process group; declared first so that it is killed before `dir` is removed.
    group: Group,
    /// `profile/` (the user data dir), `chromium.log`, and Chromium's HOME.
    dir: TempDir,
    port: u16,
    cdp: Connection,
    version: String,
}

/// Flags for a quiet, isolated, root-safe headless browser: no sandbox (we run as root in a
/// container), no GPU, no first-run UI, no background traffic or updates.
const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
];

impl Browser {
    /// Starts `chromium` and connects to it. Err with a message that says what to do when it is
    /// not installed (CI installs it: a missing browser fails the test, it is not a skip).
    pub fn launch() -> Result<Browser, String> {
        let program = which::which("chromium").map_err(|_| {
            "`chromium` is not on PATH: the browser tests need Debian's chromium package \
             (`bash .ci/run` installs it; by hand: apt-get install --no-install-recommends \
             chromium)"
                .to_string()
        })?;
        let dir = tempfile::Builder::new()
            .prefix("hotdev-chromium-")
            .tempdir()
            .map_err(|e| format!("create a temp dir for chromium: {e}"))?;
        let profile = dir.path().join("profile");
        let mut cmd = Command::new(&program);
        // HOME and XDG dirs in the temp dir too: Chromium's crash handler keeps its database
        // under ~/.config/chromium whatever the profile, and a test writes nothing outside.
        scrub_env(&mut cmd)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join(".config"))
            .env("XDG_CACHE_HOME", dir.path().join(".cache"))
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank");
        let mut group = Group::spawn(&mut cmd, "chromium", &dir.path().join("chromium.log"))?;
        let port = devtools_port(&mut group, &profile)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let version: Value = get_json(addr, "/json/version")?;
        let url = version["webSocketDebuggerUrl"]
            .as_str()
            .ok_or_else(|| format!("/json/version has no webSocketDebuggerUrl: {version}"))?;
        let cdp = Connection::open(url, COMMAND)?;
        Ok(Browser {
            group,
            dir,
            port,
            cdp,
            version: version["Browser"].as_str().unwrap_or("?").to_string(),
        })
    }

    /// A new tab at `about:blank`, on its own DevTools connection.
    pub fn page(&mut self) -> Result<Page, String> {
        let target = self.cdp.call(
            "Target.createTarget",
            json!({ "url": "about:blank" }),
            COMMAND,
        )?;
        let id = target["targetId"]
            .as_str()
            .ok_or_else(|| format!("Target.createTarget answered no targetId: {target}"))?;
        let url = format!("ws://127.0.0.1:{}/devtools/page/{id}", self.port);
        Page::attach(Connection::open(&url, COMMAND)?)
    }

    /// What `/json/version` calls the browser, e.g. `Chrome/148.0.7778.167`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Chromium's process group (every process it starts but its crash handlers).
    pub fn pgid(&self) -> i32 {
        self.group.pgid()
    }

    /// Live processes that name this browser's temp dir on their command line: the group's,
    /// and Chromium's crash handlers, which leave the group (setsid).
    pub fn processes(&self) -> Vec<i32> {
        processes_using(self.dir.path())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.group.kill();
        // The crash handlers end with the browser; kill them anyway, bounded.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = processes_using(self.dir.path());
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                eprintln!("chromium processes still alive after SIGKILL: {left:?}");
                break;
            }
            for pid in left {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
            std::thread::sleep(POLL);
        }
        if std::thread::panicking() {
            eprintln!(
                "---- chromium log (last 40 lines) ----\n{}\n---- end of chromium log ----",
                self.group.log_tail(40)
            );
        }
        // `dir` (the profile) is removed after this, when the fields drop.
    }
}

/// Waits for Chromium to write `<profile>/DevToolsActivePort` (first line: the port it chose
/// for `--remote-debugging-port=0`). Err if it exits first or the deadline passes.
fn devtools_port(group: &mut Group, profile: &Path) -> Result<u16, String> {
    let file: PathBuf = profile.join("DevToolsActivePort");
    let deadline = Instant::now() + LAUNCH;
    loop {
        let port = fs::read_to_string(&file)
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse::<u16>().ok());
        if let Some(port) = port.filter(|p| *p != 0) {
            return Ok(port);
        }
        if let Some(status) = group.exited() {
            return Err(format!(
                "chromium exited ({status}) before it wrote {}; its output:\n{}",
                file.display(),
                group.log_tail(40)
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "chromium wrote no {} within {LAUNCH:?}; its output:\n{}",
                file.display(),
                group.log_tail(40)
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// Live pids whose command line mentions `dir`.
fn processes_using(dir: &Path) -> Vec<i32> {
    let needle = dir.to_string_lossy().into_owned();
    all_procs()
        .into_iter()
        .filter(|p| p.live())
        .filter(|p| {
            fs::read(format!("/proc/{}/cmdline", p.pid))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(&needle))
        })
        .map(|p| p.pid)
        .collect()
}

/// `GET path` from DevTools' HTTP endpoint, as JSON. By hand over a `TcpStream`: it answers
/// HTTP/1.1 only (the tests' `http_get` speaks 1.0), and one small request needs no client.
fn get_json(addr: SocketAddr, path: &str) -> Result<Value, String> {
    let fail = |e: std::io::Error| format!("GET http://{addr}{path}: {e}");
    let mut stream = TcpStream::connect_timeout(&addr, COMMAND).map_err(fail)?;
    stream.set_read_timeout(Some(COMMAND)).map_err(fail)?;
    stream.set_write_timeout(Some(COMMAND)).map_err(fail)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(fail)?;
    // It keeps the connection open: read the head, then Content-Length bytes of body.
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, body) = loop {
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                break (head.to_string(), body.to_string());
            }
        }
        let n = stream.read(&mut buf).map_err(fail)?;
        if n == 0 {
            return Err(format!(
                "GET http://{addr}{path}: closed before a complete answer: {text:?}"
            ));
        }
        raw.extend_from_slice(&buf[..n]);
    };
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("GET http://{addr}{path}: {head}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("GET http://{addr}{path}: {e}: {body:?}"))
}
