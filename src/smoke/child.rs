//! The child hotdev: started in its own process group with stdin null and both outputs piped;
//! its stderr lines become events on the session's channel, everything else is the app's
//! output, printed with an `app| ` prefix and kept (the last lines) for failure reports.
//! Also the final check that no process group it reported is still alive.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::event::{ChildEvent, Line, parse_line};
use crate::process;
use crate::report::Message;

/// How many lines of the app's output a failure report shows.
pub const TAIL_LINES: usize = 40;

/// What the reader threads and the waiter send to the session.
#[derive(Debug)]
pub enum FromChild {
    Line(Line),
    Exited(Option<i32>),
}

/// The last lines of the app's (and the builds') output.
#[derive(Clone, Default)]
pub struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

pub struct Child {
    pid: Pid,
    pub tail: Tail,
    /// How many of the two output readers reached the end of their stream.
    drained: Arc<AtomicUsize>,
}

/// How long an exited child's output may still trickle in before its exit is reported.
const OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

impl Child {
    /// Starts `exe args…` in `cwd`. Its output goes to the session through `tx`.
    pub fn spawn(
        exe: &Path,
        args: &[OsString],
        send: impl Fn(FromChild) -> bool + Clone + Send + 'static,
    ) -> std::io::Result<Child> {
        let mut command = Command::new(exe);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: prctl(PR_SET_PDEATHSIG) is a single system call, async-signal-safe; if
        // smoke dies (even by SIGKILL) the child gets SIGTERM and stops its app gracefully.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)
            });
        }
        let mut child = command.spawn()?;
        let pid = Pid::from_raw(child.id() as i32);
        let tail = Tail::default();
        let drained = Arc::new(AtomicUsize::new(0));
        let stderr = child.stderr.take().expect("stderr is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let reader = |name, events| Reader {
            name,
            events,
            send: send.clone(),
            tail: tail.clone(),
            drained: drained.clone(),
            done: done_tx.clone(),
        };
        reader("smoke-child-stderr", true).spawn(stderr)?;
        reader("smoke-child-stdout", false).spawn(stdout)?;
        thread::Builder::new()
            .name("smoke-child-wait".into())
            .spawn(move || {
                let code = child.wait().ok().and_then(|s| s.code());
                // Its last lines (e.g. the error it refused to start with) must reach the
                // session before its exit does: the verdict names them. A process left behind
                // may hold the pipes open, hence the bound.
                let deadline = std::time::Instant::now() + OUTPUT_GRACE;
                for _ in 0..2 {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if done_rx.recv_timeout(left).is_err() {
                        break;
                    }
                }
                send(FromChild::Exited(code));
            })?;
        Ok(Child { pid, tail, drained })
    }

    /// Waits (at most `within`) until the child's output is read to the end, so that its last
    /// words (e.g. a config error) are printed before smoke exits. The app's processes share
    /// the pipes, so a process left behind keeps them open: hence the bound.
    pub fn drain(&self, within: std::time::Duration) {
        let deadline = std::time::Instant::now() + within;
        while self.drained.load(Ordering::Acquire) < 2 && std::time::Instant::now() < deadline {
            thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Asks the child to stop everything it started and exit (SIGTERM, as in a terminal).
    pub fn terminate(&self) {
        let _ = kill(self.pid, Signal::SIGTERM);
    }

    /// The last resort: SIGKILL the child's own process group.
    pub fn kill(&self) {
        let _ = process::signal_group(self.pid.as_raw(), Signal::SIGKILL);
    }
}

struct Reader<F> {
    name: &'static str,
    /// stderr: lines may be events; stdout: only output.
    events: bool,
    send: F,
    tail: Tail,
    drained: Arc<AtomicUsize>,
    /// Told when the stream is read to its end.
    done: std::sync::mpsc::Sender<()>,
}

impl<F: Fn(FromChild) -> bool + Send + 'static> Reader<F> {
    fn spawn(self, stream: impl Read + Send + 'static) -> std::io::Result<()> {
        thread::Builder::new()
            .name(self.name.into())
            .spawn(move || self.read(stream))?;
        Ok(())
    }

    fn read(self, stream: impl Read) {
        let mut reader = BufReader::new(stream);
        let mut raw = Vec::new();
        // The child's own plain-text errors (`hotdev: error: …` and its indented hints) are
        // forwarded as they are; everything else is the app's, printed with a prefix.
        let mut in_hotdev_message = false;
        loop {
            raw.clear();
            match reader.read_until(b'\n', &mut raw) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&raw);
            let text = text.trim_end_matches(['\n', '\r']);
            let line = if self.events {
                parse_line(text)
            } else {
                Line::Output(text.to_string())
            };
            if let Line::Output(out) = &line {
                in_hotdev_message = out.starts_with("hotdev: ")
                    || (in_hotdev_message && out.starts_with(char::is_whitespace));
                let prefix = if in_hotdev_message { "" } else { "app| " };
                // Printed here, in order, whatever the session is busy with.
                let _ = writeln!(std::io::stderr().lock(), "{prefix}{out}");
                self.tail.push(out.clone());
            } else {
                in_hotdev_message = false;
                // A build's output arrives as one event; show it like the app's and keep it.
                if let Line::Event(ChildEvent {
                    message: Message::BuildOutput { lines, .. },
                    ..
                }) = &line
                {
                    for out in lines {
                        let _ = writeln!(std::io::stderr().lock(), "build| {out}");
                        self.tail.push(out.clone());
                    }
                }
            }
            if !(self.send)(FromChild::Line(line)) {
                break;
            }
        }
        self.drained.fetch_add(1, Ordering::Release);
        let _ = self.done.send(());
    }
}

/// The process groups that still have a live (not zombie) process.
pub fn alive_groups(groups: impl IntoIterator<Item = i32>) -> Vec<i32> {
    groups
        .into_iter()
        .filter(|&pgid| pgid > 1 && !process::group_members(pgid).is_empty())
        .collect()
}

/// SIGKILL whatever is left of a group, so that a failed run does not leave it behind.
pub fn kill_group(pgid: i32) {
    let _ = process::signal_group(pgid, Signal::SIGKILL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_group_is_found_and_a_gone_one_is_not() {
        let mut sleeper = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = sleeper.id() as i32;
        assert_eq!(alive_groups([pgid]), vec![pgid]);
        kill_group(pgid);
        sleeper.wait().unwrap();
        assert_eq!(alive_groups([pgid]), Vec::<i32>::new());
    }
}
