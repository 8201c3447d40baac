//! Helpers for the `hotdev smoke` integration tests: a fixture copy in a temp dir, a run of the
//! real binary in its own process group with a deadline, and a sweep that kills (and reports)
//! every process still working in the temp dir, so a failing test leaves nothing running.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

pub use crate::support::free_port;
use crate::support::{Fixture, scrub_env};

/// Turns a hang into a failure; builds (cargo, go) can be slow on a busy 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(240);

/// A copy of `fixtures/<name>` in a temp dir (without build output), with what the smoke
/// tests need on top of the shared harness's [`Fixture`].
pub struct Project {
    fixture: Fixture,
}

impl Project {
    pub fn copy(fixture: &str) -> Project {
        Project {
            fixture: Fixture::copy(fixture),
        }
    }

    pub fn root(&self) -> &Path {
        self.fixture.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }

    /// Replaces `from` by `to` in a file; the text must be there.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Content, mode and modification time of a file, to compare before and after.
    pub fn snapshot(&self, rel: &str) -> FileState {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(self.path(rel)).unwrap();
        (
            std::fs::read(self.path(rel)).unwrap(),
            meta.permissions().mode(),
            meta.modified().unwrap(),
        )
    }

    /// Runs `hotdev <global…> smoke <smoke…>` in the project directory until it exits.
    pub fn smoke(&self, global: &[&str], smoke: &[&str]) -> Outcome {
        let running = self.start_smoke(global, smoke);
        running.wait()
    }

    pub fn start_smoke(&self, global: &[&str], smoke: &[&str]) -> Running<'_> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotdev"));
        // The fixture's own config says where its build output goes (no CARGO_TARGET_DIR).
        let mut child = scrub_env(&mut cmd)
            .args(global)
            .arg("smoke")
            .args(smoke)
            .current_dir(self.root())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let stdout = reader(child.stdout.take().unwrap());
        let stderr = reader(child.stderr.take().unwrap());
        Running {
            project: self,
            child: Some(child),
            stdout,
            stderr,
            started: Instant::now(),
        }
    }

    /// Every process whose working directory is in the project (the app, builds, hotdev).
    pub fn processes_inside(&self) -> Vec<i32> {
        let root = std::fs::canonicalize(self.root()).unwrap();
        let mut found = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return found;
        };
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if let Ok(cwd) = std::fs::read_link(entry.path().join("cwd"))
                && cwd.starts_with(&root)
                && !is_zombie(pid)
            {
                found.push(pid);
            }
        }
        found
    }

    /// Kills whatever still runs in the project; returns what it found.
    pub fn sweep(&self) -> Vec<i32> {
        let found = self.processes_inside();
        for &pid in &found {
            if let Ok(pgid) = nix::unistd::getpgid(Some(Pid::from_raw(pid))) {
                let _ = killpg(pgid, Signal::SIGKILL);
            }
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        found
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        self.sweep();
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('Z')))
        .unwrap_or(true)
}

fn reader(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A `hotdev smoke` run in progress; killed with its process group if dropped early.
pub struct Running<'p> {
    project: &'p Project,
    child: Option<Child>,
    stdout: thread::JoinHandle<String>,
    stderr: thread::JoinHandle<String>,
    started: Instant,
}

impl Running<'_> {
    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.as_ref().unwrap().id() as i32)
    }

    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).unwrap();
    }

    pub fn wait(mut self) -> Outcome {
        let mut child = self.child.take().unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if self.started.elapsed() > DEADLINE {
                let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
                let _ = child.wait();
                self.project.sweep();
                panic!("hotdev smoke still running after {DEADLINE:?}");
            }
            thread::sleep(Duration::from_millis(50));
        };
        let stdout = std::mem::replace(&mut self.stdout, thread::spawn(String::new));
        let stderr = std::mem::replace(&mut self.stderr, thread::spawn(String::new));
        let outcome = Outcome {
            code: status.code(),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        eprintln!("--- hotdev smoke stderr ---\n{}", outcome.stderr);
        outcome
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Content, mode and modification time of a file.
pub type FileState = (Vec<u8>, u32, SystemTime);

/// [`crate::support::wait_until`] with the smoke tests' [`DEADLINE`], failing the test at it.
pub fn wait_until(what: &str, condition: impl FnMut() -> bool) {
    crate::support::wait_until(DEADLINE, what, condition).unwrap_or_else(|e| panic!("{e}"));
}

/// Checks a JUnit file with python3's XML parser; returns the test case names and which
/// of them failed.
pub fn junit_cases(path: &Path) -> Vec<(String, String)> {
    let script = r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for case in root.iter('testcase'):
    kind = 'passed'
    if case.find('failure') is not None: kind = 'failure'
    elif case.find('skipped') is not None: kind = 'skipped'
    print(case.get('name') + '\t' + kind)
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "JUnit file is not well-formed XML: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The `--report` JSON.
pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
