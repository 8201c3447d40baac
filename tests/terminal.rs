//! hotdev on a real terminal: the single-key commands, the terminal settings it borrows and
//! gives back, and the terminal-only effects (spinner, escape codes) that must never reach a
//! pipe.
//!
//! Each test runs the real binary on the slave side of a fresh pseudo-terminal, as the session
//! leader with that terminal as its controlling terminal, so it is the foreground process group
//! and turns keys on by itself (human output, keys on by default). A thread drains the master
//! into a buffer that the tests search as raw bytes. No Go here: `--build` and the app are tiny
//! commands. Waits are bounded by deadlines that only turn hangs into failures; nothing
//! synchronises on a bare sleep. Dropping a [`PtyHotdev`] kills hotdev's process group and
//! every build and generation group it reported.

mod support;

use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::termios::{LocalFlags, Termios, tcgetattr};
use nix::unistd::Pid;
use support::{Fixture, proc_stat, process_group_alive, scrub_env, wait_until};

/// Generous: every step here takes milliseconds; the deadline only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(30);

/// The spinner's frames (src/report/spinner.rs).
const SPINNER_FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

// ---------------------------------------------------------------------------------------------
// Output collected by reader threads

/// Bytes read so far, and a condition variable signalled on every read.
#[derive(Default)]
struct Output {
    bytes: Mutex<Vec<u8>>,
    grew: Condvar,
}

impl Output {
    fn push(&self, chunk: &[u8]) {
        self.lock().extend_from_slice(chunk);
        self.grew.notify_all();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.bytes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot(&self) -> Vec<u8> {
        self.lock().clone()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.snapshot()).into_owned()
    }

    /// [`Output::text`] with escapes and carriage returns made visible, for failure messages.
    fn shown(&self) -> String {
        printable(&self.snapshot())
    }

    /// Waits until `needle` occurs at or after byte `from`; returns the offset just past it, so
    /// the next wait can require what follows to come later.
    fn wait_for(&self, needle: &str, from: usize, timeout: Duration) -> Result<usize, String> {
        let deadline = Instant::now() + timeout;
        let mut bytes = self.lock();
        loop {
            if let Some(at) = find(&bytes[from.min(bytes.len())..], needle.as_bytes()) {
                return Ok(from + at + needle.len());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "{needle:?} did not appear after byte {from} within {timeout:?}; output so far:\n{}",
                    printable(&bytes)
                ));
            }
            bytes = self
                .grew
                .wait_timeout(bytes, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Raw terminal output as readable text: `\x1b` as `\e`, `\r` as `\r`.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\x1b', "\\e")
        .replace('\r', "\\r")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The pids in every `(pid N)` of hotdev's human output: builds and generations, each the
/// leader of its own process group.
fn reported_pids(text: &str) -> Vec<i32> {
    text.match_indices("(pid ")
        .filter_map(|(at, m)| {
            let rest = &text[at + m.len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// The pid in the first `<prefix> (pid N)` after byte `from`.
fn pid_after(output: &Output, prefix: &str, from: usize) -> i32 {
    let text = output.snapshot();
    let text = String::from_utf8_lossy(&text[from.min(text.len())..]).into_owned();
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} not in output:\n{text}"));
    reported_pids(&text[at..])
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no pid after {prefix:?} in output:\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// hotdev on a pseudo-terminal

/// hotdev running on the slave side of its own pseudo-terminal.
struct PtyHotdev {
    child: Child,
    /// The master side: what the user types goes in here, what hotdev prints comes out.
    master: Arc<OwnedFd>,
    /// The test's own handle on the slave, for `tcgetattr`; it also keeps the terminal alive
    /// (no hangup) after hotdev exits, so its settings can still be read.
    slave: OwnedFd,
    output: Arc<Output>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl PtyHotdev {
    /// Opens a fresh pseudo-terminal; the caller may read its settings before hotdev starts.
    fn open() -> (OwnedFd, OwnedFd) {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        (pty.master, pty.slave)
    }

    /// Starts `hotdev <args>` in `dir` on the terminal `(master, slave)` from [`PtyHotdev::open`],
    /// as the foreground job of that terminal.
    fn start_on(dir: &Path, args: &[&str], pty: (OwnedFd, OwnedFd)) -> PtyHotdev {
        Self::spawn(dir, args, pty, true, &[])
    }

    /// [`PtyHotdev::start`] with these variables set in hotdev's environment.
    fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> PtyHotdev {
        Self::spawn(dir, args, Self::open(), true, env)
    }

    /// With `controlling` false, hotdev gets the terminal as stdin/stdout/stderr but only as
    /// plain files: it is not its controlling terminal, so it is no job of that terminal.
    fn spawn(
        dir: &Path,
        args: &[&str],
        (master, slave): (OwnedFd, OwnedFd),
        controlling: bool,
        env: &[(&str, &str)],
    ) -> PtyHotdev {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotdev"));
        cmd.args(args)
            .current_dir(dir)
            .stdin(Stdio::from(slave.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave.try_clone().expect("dup slave")))
            .stderr(Stdio::from(slave.try_clone().expect("dup slave")))
            .env("TERM", "xterm-256color");
        scrub_env(&mut cmd);
        cmd.envs(env.iter().copied());
        // SAFETY: runs in the forked child before exec, where only async-signal-safe calls are
        // allowed: `setsid(2)` and `ioctl(2)` are plain system calls that neither allocate nor
        // take locks. `setsid` makes the child a session (and process group) leader without a
        // controlling terminal; `TIOCSCTTY` on fd 0 (already the pty slave, as std sets up the
        // stdio before running this hook) makes the slave its controlling terminal with the
        // child's group in the foreground — what a shell does for the job it runs.
        if controlling {
            unsafe {
                cmd.pre_exec(|| {
                    nix::unistd::setsid().map_err(std::io::Error::from)?;
                    if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        } else {
            // Still a group leader, so that dropping it can kill its group.
            cmd.process_group(0);
        }
        let child = cmd.spawn().expect("spawn hotdev on the pty");

        let master = Arc::new(master);
        let output = Arc::new(Output::default());
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (master, output, stop) = (master.clone(), output.clone(), stop.clone());
            thread::Builder::new()
                .name("pty-reader".into())
                .spawn(move || drain(&master, &output, &stop))
                .expect("spawn pty reader")
        };
        PtyHotdev {
            child,
            master,
            slave,
            output,
            stop,
            reader: Some(reader),
            status: None,
        }
    }

    fn start(dir: &Path, args: &[&str]) -> PtyHotdev {
        Self::start_on(dir, args, Self::open())
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Types `bytes` on the terminal.
    fn press(&self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            match nix::unistd::write(self.master.as_fd(), rest) {
                Ok(n) => rest = &rest[n..],
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => panic!("write to the pty master: {e}"),
            }
        }
    }

    fn wait_for(&self, needle: &str, from: usize) -> usize {
        self.output
            .wait_for(needle, from, DEADLINE)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn termios(&self) -> Termios {
        tcgetattr(self.slave.as_fd()).expect("tcgetattr on the slave")
    }

    /// Presses `q` and checks that hotdev stops everything and exits 0.
    fn quit(&mut self, at: usize) {
        self.press(b"q");
        self.wait_for("stopping everything", at);
        let status = self.wait_exit();
        assert_eq!(status.code(), Some(0), "output:\n{}", self.output.shown());
    }

    fn wait_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let child = &mut self.child;
        let mut status = None;
        let exited = wait_until(DEADLINE, "hotdev to exit", || {
            status = child.try_wait().expect("wait for hotdev");
            status.is_some()
        })
        .is_ok();
        assert!(
            exited,
            "hotdev did not exit within {DEADLINE:?}; output:\n{}",
            self.output.text()
        );
        self.status = status;
        status.unwrap()
    }
}

/// Copies everything the master yields into `output` until `stop` is set. Polls with a short
/// timeout rather than blocking in `read`, because the test keeps a slave fd open: the master
/// never sees end of file, and closing an fd does not wake a thread blocked reading it.
fn drain(master: &OwnedFd, output: &Output, stop: &AtomicBool) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(50u16)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        }
        match nix::unistd::read(master.as_fd(), &mut buf) {
            Ok(0) => return,
            Ok(n) => output.push(&buf[..n]),
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::EAGAIN) => {}
            // EIO: every slave fd is closed (only after the test drops its own).
            Err(_) => return,
        }
    }
}

impl Drop for PtyHotdev {
    fn drop(&mut self) {
        if self.status.is_none() && self.child.try_wait().ok().flatten().is_none() {
            // Still running (a failed test): its builds and generations are still its children,
            // which tells them apart from any process that reused one of the pids.
            let hotdev = self.pid();
            let groups: Vec<i32> = reported_pids(&self.output.text())
                .into_iter()
                .filter(|&pid| proc_stat(pid).is_some_and(|p| p.ppid == hotdev && p.pgrp == pid))
                .collect();
            // hotdev leads its own session or group, so its group id is its pid.
            let _ = killpg(Pid::from_raw(hotdev), Signal::SIGKILL);
            for pgid in groups {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
            let _ = self.child.wait();
        }
        self.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// The local flags that matter to a shell after hotdev exits, for failure messages.
fn describe(flags: LocalFlags) -> String {
    format!("{flags:?}")
}

// ---------------------------------------------------------------------------------------------
// Tests

/// `r` rebuilds and swaps; `q` stops everything and exits 0, leaving no generation behind.
#[test]
fn r_rebuilds_and_q_quits() {
    let fx = Fixture::empty();
    let mut h = PtyHotdev::start(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    let at = h.wait_for("generation 1 running", 0);

    h.press(b"r");
    let asked = h.wait_for("rebuild requested (r)", at);
    let build = h.wait_for("build 2 started", asked);
    let at = h.wait_for("generation 2 running", build);
    let gen2 = pid_after(&h.output, "generation 2 running", build);
    assert!(
        !h.output.text().contains("generation 3"),
        "one `r` must be one rebuild:\n{}",
        h.output.shown()
    );

    h.press(b"q");
    h.wait_for("q: stopping everything", at);
    let status = h.wait_exit();
    assert_eq!(
        status.code(),
        Some(0),
        "`q` must exit 0 ({status:?}); output:\n{}",
        h.output.shown()
    );
    assert!(
        !process_group_alive(gen2),
        "generation 2 (group {gen2}) outlived hotdev after `q`"
    );
}

/// hotdev puts the terminal in cbreak mode (no line buffering, no echo) while it runs and
/// gives the exact settings back when it exits.
#[test]
fn the_terminal_is_restored_after_q() {
    let fx = Fixture::empty();
    let pty = PtyHotdev::open();
    let before = tcgetattr(pty.1.as_fd()).expect("tcgetattr before start");
    assert!(
        before
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO),
        "a fresh pty starts in canonical mode with echo: {}",
        describe(before.local_flags)
    );
    let mut h = PtyHotdev::start_on(fx.path(), &["--build", "true", "--", "sleep", "1000"], pty);
    // Keys (and cbreak mode) start before the first generation is even built.
    let at = h.wait_for("generation 1 running", 0);
    let during = h.termios();
    assert!(
        !during.local_flags.contains(LocalFlags::ICANON),
        "ICANON still on while hotdev runs: {}",
        describe(during.local_flags)
    );
    assert!(
        !during.local_flags.contains(LocalFlags::ECHO),
        "ECHO still on while hotdev runs: {}",
        describe(during.local_flags)
    );
    // cbreak, not raw: Ctrl-C must still be a signal, and output keeps its line breaks.
    assert!(
        during.local_flags.contains(LocalFlags::ISIG),
        "ISIG turned off: {}",
        describe(during.local_flags)
    );
    assert_eq!(
        during.output_flags, before.output_flags,
        "output flags changed"
    );

    h.press(b"q");
    h.wait_for("stopping everything", at);
    let status = h.wait_exit();
    assert_eq!(status.code(), Some(0), "output:\n{}", h.output.shown());

    let after = h.termios();
    assert_eq!(
        describe(after.local_flags),
        describe(before.local_flags),
        "local flags not restored"
    );
    assert_eq!(after.input_flags, before.input_flags, "input flags changed");
    assert_eq!(
        after.output_flags, before.output_flags,
        "output flags changed"
    );
    assert_eq!(
        after.control_flags, before.control_flags,
        "control flags changed"
    );
    assert_eq!(
        after.control_chars, before.control_chars,
        "control characters changed"
    );
}

/// Ctrl-C in cbreak mode is still SIGINT for hotdev (the foreground group), which stops
/// everything, exits 0 and restores the terminal too.
#[test]
fn ctrl_c_stops_hotdev_and_restores_the_terminal() {
    let fx = Fixture::empty();
    let pty = PtyHotdev::open();
    let before = tcgetattr(pty.1.as_fd()).expect("tcgetattr before start");
    let mut h = PtyHotdev::start_on(fx.path(), &["--build", "true", "--", "sleep", "1000"], pty);
    let at = h.wait_for("generation 1 running", 0);
    let gen1 = pid_after(&h.output, "generation 1 running", 0);

    h.press(&[before.control_chars[nix::libc::VINTR]]);
    h.wait_for("SIGINT: stopping everything", at);
    let status = h.wait_exit();
    assert_eq!(status.code(), Some(0), "output:\n{}", h.output.shown());
    assert_eq!(
        describe(h.termios().local_flags),
        describe(before.local_flags),
        "local flags not restored after Ctrl-C"
    );
    assert!(
        !process_group_alive(gen1),
        "generation 1 (group {gen1}) outlived hotdev after Ctrl-C"
    );
}

/// `h` shows the key help; `p` pauses and a second `p` resumes.
#[test]
fn h_shows_help_and_p_toggles_pause() {
    let fx = Fixture::empty();
    let mut h = PtyHotdev::start(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    let at = h.wait_for("generation 1 running", 0);

    h.press(b"h");
    let at = h.wait_for("r rebuild", at);
    h.press(b"p");
    let at = h.wait_for("paused", at);
    h.press(b"p");
    let at = h.wait_for("resumed", at);

    // Nothing changed while paused, so resuming must not build.
    h.quit(at);
    assert!(
        !h.output.text().contains("build 2"),
        "resuming with nothing missed started a build:\n{}",
        h.output.shown()
    );
}

/// `R` starts a new generation from the last good build, without building.
#[test]
fn capital_r_restarts_without_building() {
    let fx = Fixture::empty();
    let mut h = PtyHotdev::start(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    let at = h.wait_for("generation 1 running", 0);
    let gen1 = pid_after(&h.output, "generation 1 running", 0);

    h.press(b"R");
    let asked = h.wait_for("restart requested (R)", at);
    let at = h.wait_for("generation 2 running", asked);
    let gen2 = pid_after(&h.output, "generation 2 running", 0);
    assert_ne!(gen1, gen2, "generation 2 is a new process");
    assert!(
        !h.output.text().contains("build 2"),
        "`R` must not build:\n{}",
        h.output.shown()
    );

    h.quit(at);
}

/// `c` clears the screen (the erase-display escape) and changes nothing else.
#[test]
fn c_clears_the_screen() {
    let fx = Fixture::empty();
    let mut h = PtyHotdev::start(fx.path(), &["--build", "true", "--", "sleep", "1000"]);
    let at = h.wait_for("generation 1 running", 0);

    h.press(b"c");
    let at = h.wait_for("\x1b[2J", at);
    // Keys are handled in order: the help after `c` proves `c` was fully handled.
    h.press(b"h");
    let at = h.wait_for("r rebuild", at);

    h.quit(at);
    let out = h.output.text();
    assert!(
        !out.contains("build 2") && !out.contains("generation 2"),
        "`c` must not build or restart:\n{}",
        h.output.shown()
    );
}

/// On a terminal that is not its controlling terminal (so hotdev is no foreground job of it),
/// hotdev leaves the settings alone and reads no keys: a typed `q` stays with the terminal.
#[test]
fn a_terminal_hotdev_does_not_own_is_left_alone() {
    let fx = Fixture::empty();
    let pty = PtyHotdev::open();
    let before = tcgetattr(pty.1.as_fd()).expect("tcgetattr before start");
    let mut h = PtyHotdev::spawn(
        fx.path(),
        &["--build", "true", "--", "sleep", "1000"],
        pty,
        false,
        &[],
    );
    let at = h.wait_for("generation 1 running", 0);
    assert_eq!(
        describe(h.termios().local_flags),
        describe(before.local_flags),
        "hotdev changed a terminal it does not own"
    );

    // Canonical mode: the line discipline holds "q" until a newline, and echoes it.
    h.press(b"q\n");
    let at = h.wait_for("q", at);
    kill(Pid::from_raw(h.pid()), Signal::SIGTERM).expect("SIGTERM hotdev");
    h.wait_for("SIGTERM: stopping everything", at);
    assert_eq!(
        h.wait_exit().code(),
        Some(0),
        "output:\n{}",
        h.output.shown()
    );
    assert!(
        !h.output.text().contains("q: stopping"),
        "hotdev read a key from a terminal it does not own:\n{}",
        h.output.shown()
    );
}

/// The same build as [`piped_output_has_no_escape_codes`], on a terminal: the spinner and
/// escape codes do show up there, so the piped test checks something that exists.
#[test]
fn a_terminal_gets_the_spinner() {
    let fx = Fixture::empty();
    let mut h = PtyHotdev::start(fx.path(), &["--build", "sleep 0.5", "--", "sleep", "1000"]);
    let at = h.wait_for("generation 1 running", 0);
    let out = h.output.text();
    assert!(
        out.contains("building 1"),
        "no spinner line on the terminal:\n{out:?}"
    );
    assert!(
        SPINNER_FRAMES.iter().any(|f| out.contains(f)),
        "no spinner frame on the terminal:\n{out:?}"
    );
    assert!(
        out.contains('\x1b'),
        "no escape code on the terminal:\n{out:?}"
    );
    h.quit(at);
}

/// What a build and an app print about the force-colour variables they were given.
const SHOW_COLOUR: &str = "$CARGO_TERM_COLOR:$CLICOLOR_FORCE:$FORCE_COLOR";

/// Runs `hotdev -v` (so a good build's output is shown) on a terminal, with a build and an
/// app that print the force-colour variables they got (`build-colour:…`, `app-colour:…`),
/// and returns what it printed.
fn colour_run(dir: &Path, env: &[(&str, &str)]) -> String {
    let build = format!("echo \"build-colour:{SHOW_COLOUR}\"");
    let app = format!("echo \"app-colour:{SHOW_COLOUR}\"; exec sleep 1000");
    let args = ["-v", "--build", &build, "--", "sh", "-c", &app];
    let mut h = PtyHotdev::start_with_env(dir, &args, env);
    // The app may print before hotdev's line about it; both come after the build.
    let at = h.wait_for("build 1 ok", 0);
    let app = h.wait_for("app-colour:", at);
    h.wait_for("\n", app);
    h.wait_for("generation 1 running", at);
    h.quit(at);
    h.output.shown()
}

/// On a colour terminal, builds and apps (whose output hotdev pipes) are asked for colour
/// with the usual variables, so cargo's errors keep theirs.
#[test]
fn a_terminal_asks_builds_and_apps_for_colour() {
    let fx = Fixture::empty();
    let out = colour_run(fx.path(), &[]);
    assert!(out.contains("build-colour:always:1:1"), "{out}");
    assert!(out.contains("app-colour:always:1:1"), "{out}");
}

/// The user's own choice wins: `NO_COLOR` turns the forcing off, and a variable set in
/// hotdev's environment or in `run.env` is left as set.
#[test]
fn the_users_colour_settings_win() {
    let fx = Fixture::empty();
    let out = colour_run(fx.path(), &[("NO_COLOR", "1")]);
    assert!(out.contains("build-colour:::"), "{out}");
    assert!(out.contains("app-colour:::"), "{out}");

    fx.write(
        ".hotdev.toml",
        "[run]\ncommand = \"sleep 1000\"\nenv = { FORCE_COLOR = \"0\" }\n",
    );
    let out = colour_run(fx.path(), &[("CARGO_TERM_COLOR", "never")]);
    assert!(out.contains("build-colour:never:1:1"), "{out}");
    assert!(out.contains("app-colour:never:1:0"), "{out}");
}

/// Piped output is plain text, even with `NO_COLOR` unset: no escape codes, no spinner, and
/// builds are not asked for colour.
#[test]
fn piped_output_has_no_escape_codes() {
    let fx = Fixture::empty();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotdev"));
    // The build takes long enough for a spinner to draw several frames, were it to run; `-v`
    // shows its output.
    let build = format!("sleep 0.5; echo \"build-colour:{SHOW_COLOUR}\"");
    cmd.args(["-v", "--build", &build, "--", "sleep", "1000"])
        .current_dir(fx.path())
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A colour-capable TERM, so only "not a terminal" can keep the escapes out.
        .env("TERM", "xterm-256color");
    scrub_env(&mut cmd);
    let mut child = cmd.spawn().expect("spawn hotdev");
    let pid = child.id() as i32;
    let stdout = Arc::new(Output::default());
    let stderr = Arc::new(Output::default());
    let readers = [
        pipe_reader(child.stdout.take().unwrap(), stdout.clone()),
        pipe_reader(child.stderr.take().unwrap(), stderr.clone()),
    ];
    let mut guard = KillGroups(vec![pid]);

    let waited = stderr.wait_for("generation 1 running", 0, DEADLINE);
    let gen1 = waited
        .as_ref()
        .ok()
        .map(|_| pid_after(&stderr, "generation 1 running", 0));
    // The app holds the pipes too: a failing test must not leave it (or a reader) behind.
    guard.0.extend(gen1);
    kill(Pid::from_raw(pid), Signal::SIGTERM).expect("SIGTERM hotdev");
    let mut status = None;
    let exited = wait_until(DEADLINE, "hotdev to exit after SIGTERM", || {
        status = child.try_wait().expect("wait for hotdev");
        status.is_some()
    })
    .is_ok();
    waited.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        exited,
        "hotdev ignored SIGTERM; stderr:\n{}",
        stderr.shown()
    );
    let gen1 = gen1.unwrap();
    // Checked before the guard kills whatever is left, so the guard cannot hide a leak.
    let gen1_left = process_group_alive(gen1);
    drop(guard);
    for reader in readers {
        reader.join().expect("pipe reader");
    }
    let status = status.unwrap();
    assert_eq!(status.code(), Some(0), "stderr:\n{}", stderr.shown());

    let err = stderr.snapshot();
    let text = String::from_utf8_lossy(&err);
    assert!(
        text.contains("SIGTERM: stopping everything"),
        "no shutdown line:\n{text}"
    );
    assert!(
        text.contains("build-colour:::"),
        "a piped build was asked for colour:\n{text}"
    );
    assert!(
        !err.contains(&0x1b),
        "escape code in piped stderr:\n{text:?}"
    );
    for frame in SPINNER_FRAMES {
        assert!(
            !text.contains(frame),
            "spinner frame {frame} in piped stderr:\n{text:?}"
        );
    }
    assert!(
        !text.contains("building 1"),
        "spinner label in piped stderr:\n{text:?}"
    );
    assert!(
        !stdout.snapshot().contains(&0x1b),
        "escape code in piped stdout:\n{:?}",
        stdout.text()
    );
    assert!(
        !gen1_left,
        "generation 1 (group {gen1}) outlived hotdev after SIGTERM"
    );
}

fn pipe_reader(mut pipe: impl Read + Send + 'static, output: Arc<Output>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => output.push(&buf[..n]),
            }
        }
    })
}

/// Kills these process groups with SIGKILL when dropped (a no-op for those already gone).
struct KillGroups(Vec<i32>);

impl Drop for KillGroups {
    fn drop(&mut self) {
        for &pgid in &self.0 {
            if process_group_alive(pgid) {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
    }
}

/// A build that writes colour anyway (or was given it on a terminal) reaches tools as plain
/// text: JSON `build_output` lines carry no escape codes.
#[test]
fn json_build_output_is_plain_text() {
    let fx = Fixture::empty();
    let build = r"printf '\033[1m\033[31merror\033[0m: mismatched types\033[K\n'; exit 1";
    let h = support::Hotdev::start(fx.path(), &["--build", build, "--", "sleep", "1000"]);
    let output = h
        .wait_for(
            "build_output",
            &[("failed", serde_json::json!(true))],
            DEADLINE,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        output["lines"],
        serde_json::json!(["error: mismatched types"]),
        "{output}"
    );
}

/// With several apps, a digit picks the app `r` acts on: `2` then `r` rebuilds the second app
/// only; `h` lists the digits.
#[test]
fn a_digit_picks_the_app_that_r_rebuilds() {
    let fx = Fixture::empty();
    fx.write(
        ".hotdev.toml",
        "[apps.one]\nbuild = { command = \"echo one\" }\nrun = { command = \"sleep 1000\" }\n\
         [apps.two]\nbuild = { command = \"echo two\" }\nrun = { command = \"sleep 1000\" }\n",
    );
    let mut h = PtyHotdev::start(fx.path(), &[]);
    let first = h.wait_for("generation 1 running", 0);
    let at = h.wait_for("generation 1 running", first + 1);
    h.press(b"h");
    let at = h.wait_for("pick an app for r/R/p: 1 one, 2 two, 0 all", at);
    h.press(b"2");
    let at = h.wait_for("keys act on two now (0: every app)", at);
    h.press(b"r");
    let asked = h.wait_for("rebuild requested (r)", at);
    let at = h.wait_for("generation 2 running", asked);
    h.press(b"q");
    h.wait_for("q: stopping everything", at);
    let status = h.wait_exit();
    assert_eq!(status.code(), Some(0), "{}", h.output.shown());
    let text = h.output.text();
    assert_eq!(
        text.matches("build 2 started").count(),
        1,
        "one app rebuilt:\n{}",
        h.output.shown()
    );
    let line = text
        .lines()
        .find(|l| l.contains("build 2 started"))
        .unwrap_or_default();
    assert!(line.contains("two"), "the second app rebuilt: {line}");
}
