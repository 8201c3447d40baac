//! Starting and stopping process groups (DESIGN.md §3, §4), on Linux.
//!
//! Every build and generation runs in a process group of its own, so one signal reaches all of
//! it and [`wait_group`] can wait for all of it. Children get the pre-bound listeners by the
//! systemd socket-activation protocol. This module starts, signals and reaps; it decides
//! nothing (that is the engine's job) and never waits with `waitpid(-1)`.

mod spec;
pub use spec::{CommandSpec, Program};
pub mod colour;
mod env;
mod exec;
mod group;
pub mod guard;
pub mod reaper;

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStderr, ChildStdout, Command, Stdio};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::wait::waitpid;
use nix::unistd::{Pid, pipe2};

use crate::sockets::Listeners;

pub use group::{become_subreaper, group_members, signal_group, wait_group, wait_leader};

/// Where a child's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// hotdev's own: the app's output passes through untouched.
    Inherit,
    /// Pipes the caller reads (e.g. for a `log` readiness check) and must keep draining.
    Piped,
    /// stdout as hotdev's own, stderr a pipe the caller reads and must keep draining (to see
    /// why the app exited, without turning its stdout into a block-buffered pipe).
    PipedStderr,
}

/// What to start, where, and with what.
pub struct Spawn<'a> {
    pub spec: &'a CommandSpec,
    /// The working directory.
    pub cwd: &'a Path,
    /// Set on top of hotdev's environment and `spec.env`, e.g. `HOTDEV_BUILD_ID`,
    /// `NOTIFY_SOCKET`.
    pub extra_env: Vec<(String, String)>,
    /// Set only where neither hotdev's environment nor `spec.env` has the name, e.g. the
    /// force-colour variables ([`colour::fallback_env`]).
    pub fallback_env: &'a [(String, String)],
    /// Handed over at fds 3, 4, … with `LISTEN_FDS` and friends; `None` for builds.
    pub listeners: Option<&'a Listeners>,
    pub output: Output,
}

/// A started process: the leader of its own process group.
#[derive(Debug)]
pub struct Child {
    /// Its pid, which is also its process group id.
    pub pid: i32,
    /// With [`Output::Piped`].
    pub stdout: Option<ChildStdout>,
    /// With [`Output::Piped`].
    pub stderr: Option<ChildStderr>,
}

/// Starts `req.spec` as the leader of a new process group and returns once it has exec'd.
///
/// `Program::Argv` is exec'd directly (looked up in the child's `PATH` when it has no `/`);
/// `Program::Script` runs as `/bin/sh -c script`. stdin is /dev/null. The child gets
/// `PR_SET_PDEATHSIG(SIGKILL)`: **Linux delivers it when the thread that spawned the child
/// exits**, not only the process, so call `spawn` from a thread that lives as long as hotdev
/// (the main loop), never from a short-lived worker.
///
/// With listeners, the child gets them at fds 3.. and `LISTEN_FDS`, `LISTEN_FDNAMES`,
/// `LISTEN_FDS_FIRST_FD=3`, `LISTEN_PID` = its own pid (see `exec`), and `PORT` = the first
/// TCP listener's port. For a `Shell` script, `LISTEN_PID` is the shell's pid: the script
/// should end in `exec app …` so the app keeps it (dash forks otherwise).
///
/// The child must be reaped with [`wait_group`].
pub fn spawn(req: &Spawn<'_>) -> Result<Child, SpawnError> {
    let program = match &req.spec.program {
        Program::Argv(argv) => argv.first().cloned().unwrap_or_default(),
        Program::Script(script) => script.clone(),
    };
    let fail = |reason| SpawnError {
        program: program.clone(),
        reason,
    };
    if !req.cwd.is_dir() {
        return Err(fail(Reason::Cwd(req.cwd.to_path_buf())));
    }

    let listeners = req.listeners.filter(|l| !l.is_empty());
    // O_NONBLOCK is left as it is: it lives in the description every generation shares, so
    // only the caller knows whether resetting it would pull it from under a running one.
    let handoff = listeners.map(|listeners| env::Handoff {
        names: listeners.names(),
        port: listeners.first_tcp_port(),
    });
    let env = env::child_env(
        req.fallback_env,
        std::env::vars_os(),
        &req.spec.env,
        &req.extra_env,
        handoff.as_ref(),
    );

    let (path, args): (PathBuf, Vec<OsString>) = match &req.spec.program {
        Program::Argv(argv) => {
            let path =
                resolve(&program, env.get(std::ffi::OsStr::new("PATH")), req.cwd).map_err(fail)?;
            (path, argv.iter().map(OsString::from).collect())
        }
        Program::Script(script) => (
            PathBuf::from("/bin/sh"),
            vec!["sh".into(), "-c".into(), script.into()],
        ),
    };

    let (report_read, report_write) = pipe2(OFlag::O_CLOEXEC)
        .map_err(io::Error::from)
        .and_then(above_stdio)
        .map_err(|e| fail(Reason::Io(e)))?;
    let fds = listeners
        .map(|l| l.fds().iter().map(|fd| fd.as_raw_fd()).collect())
        .unwrap_or_default();
    let image = exec::Image::new(
        path.as_os_str(),
        &args,
        &env,
        handoff.is_some(),
        fds,
        report_write.as_raw_fd(),
    )
    .map_err(|_| fail(Reason::Nul))?;

    let mut cmd = Command::new(&path);
    cmd.current_dir(req.cwd)
        .process_group(0)
        .stdin(Stdio::null());
    match req.output {
        Output::Inherit => cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit()),
        Output::Piped => cmd.stdout(Stdio::piped()).stderr(Stdio::piped()),
        Output::PipedStderr => cmd.stdout(Stdio::inherit()).stderr(Stdio::piped()),
    };
    image.arm(&mut cmd);
    // Held until the new group is tracked, so the reaper never takes a status of its.
    let mut tracked = reaper::tracked();
    let spawned = cmd.spawn();
    // Our copy of the write end must be closed for EOF to mean "the child exec'd".
    drop(report_write);
    let mut child = spawned.map_err(|e| fail(Reason::Io(e)))?;
    let pid = child.id() as i32;
    tracked.insert(pid);
    drop(tracked);
    if let Some(errno) = exec::exec_error(report_read) {
        reaper::untrack(pid);
        // The child exits right after reporting; reap it so it leaves no zombie.
        let _ = waitpid(Pid::from_raw(pid), None);
        return Err(fail(Reason::Os(errno)));
    }
    Ok(Child {
        pid,
        stdout: child.stdout.take(),
        stderr: child.stderr.take(),
    })
}

/// The pipe's fds, with the write end moved above 0..2: std points the child's stdio there
/// before our code runs, which would overwrite it if hotdev was started with stdio closed.
fn above_stdio((read, write): (OwnedFd, OwnedFd)) -> io::Result<(OwnedFd, OwnedFd)> {
    if write.as_raw_fd() > 2 {
        return Ok((read, write));
    }
    Ok((read, write.as_fd().try_clone_to_owned()?))
}

/// The path to exec: as given when it has a `/` (relative to the working directory), else
/// the first executable match in the child's `PATH`, as `execvp` would find it.
fn resolve(program: &str, path_var: Option<&OsString>, cwd: &Path) -> Result<PathBuf, Reason> {
    if program.is_empty() {
        return Err(Reason::Empty);
    }
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let default_path = OsString::from("/usr/local/bin:/usr/bin:/bin");
    which::which_in(program, Some(path_var.unwrap_or(&default_path)), cwd)
        .map_err(|_| Reason::NotInPath)
}

/// A command that could not be started. `Display` is one line for the user:
/// ``cannot start `tmp/app`: No such file or directory``.
#[derive(Debug)]
pub struct SpawnError {
    /// The program (`Argv`) or the script (`Shell`).
    program: String,
    reason: Reason,
}

#[derive(Debug)]
enum Reason {
    /// exec (or a step just before it in the child) failed.
    Os(Errno),
    NotInPath,
    Empty,
    Nul,
    Cwd(PathBuf),
    Io(io::Error),
}

impl SpawnError {
    /// The program or script that could not be started.
    pub fn program(&self) -> &str {
        &self.program
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot start `{}`: ", self.program)?;
        match &self.reason {
            Reason::Os(errno) => write!(f, "{}", errno.desc()),
            Reason::NotInPath => write!(f, "not found in PATH"),
            Reason::Empty => write!(f, "the command is empty"),
            Reason::Nul => write!(f, "the command or its environment contains a NUL byte"),
            Reason::Cwd(dir) => write!(f, "the directory `{}` does not exist", dir.display()),
            Reason::Io(err) => match err.raw_os_error() {
                Some(raw) => write!(f, "{}", Errno::from_raw(raw).desc()),
                None => write!(f, "{err}"),
            },
        }
    }
}

impl std::error::Error for SpawnError {}

#[cfg(test)]
mod tests;
