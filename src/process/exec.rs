//! The child's last steps between fork and exec: the only `unsafe` in `process`.
//!
//! `LISTEN_PID` must name the exec'd program, whose pid exists only after fork, while std's
//! `Command` captures the environment before it (and `setenv` after fork is not
//! async-signal-safe). So the parent builds the complete `execve` image — path, argv, and an
//! envp with a pre-allocated `LISTEN_PID=` slot — and the child only writes its pid into the
//! slot, places the listeners and calls `execve` itself: no allocation, no lock, nothing but
//! async-signal-safe system calls. No shell is put in between: for `Argv` the process hotdev
//! starts is the program; for `Shell` it is `sh`, whose `$$` is that same pid, so a script that
//! ends in `exec app` hands the right `LISTEN_PID` on to the app.
//!
//! An exec failure comes back on a close-on-exec pipe of our own (std's pipe might sit at one
//! of the fds the hand-off overwrites): EOF means the exec happened, four bytes are its errno.

use std::collections::BTreeMap;
use std::ffi::{CString, NulError, OsStr, OsString, c_char};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::errno::Errno;
use nix::libc;

use super::env::FIRST_FD;

const LISTEN_PID: &[u8] = b"LISTEN_PID=";
/// Exit code of a child whose exec failed (after it reported why) or whose parent died before
/// it could set its parent-death signal. The same as a shell's "command not found".
const EXEC_FAILED: i32 = 127;

/// Everything `execve` needs, built before fork.
pub(super) struct Image {
    path: CString,
    // Own the strings that `argv` and `envp` point into.
    _args: Vec<CString>,
    _vars: Vec<CString>,
    /// NULL-terminated arrays of pointers into `_args`, `_vars` and `listen_pid`.
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
    /// `LISTEN_PID=` plus room for ten digits and the NUL, when the child gets listeners.
    listen_pid: Option<Vec<u8>>,
    /// The listeners, in order: they become fds 3, 4, …
    listeners: Vec<RawFd>,
    /// Room for the temporary copies of `listeners`, so the child need not allocate.
    moved: Vec<RawFd>,
    /// Write end of the exec-error pipe.
    report: RawFd,
    /// hotdev's pid, to detect a parent that died before `PR_SET_PDEATHSIG` took effect.
    parent: libc::pid_t,
}

// SAFETY: the raw pointers only point into heap buffers that `Image` owns and never frees or
// moves while it lives; they are read by `execve` in the child, never dereferenced in Rust.
unsafe impl Send for Image {}
// SAFETY: as above; nothing is mutated through a shared reference.
unsafe impl Sync for Image {}

impl Image {
    pub(super) fn new(
        path: &OsStr,
        args: &[OsString],
        env: &BTreeMap<OsString, OsString>,
        with_listen_pid: bool,
        listeners: Vec<RawFd>,
        report: RawFd,
    ) -> Result<Image, NulError> {
        let path = CString::new(path.as_bytes())?;
        let args = args
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let vars = env
            .iter()
            .map(|(k, v)| CString::new([k.as_bytes(), b"=", v.as_bytes()].concat()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut listen_pid = with_listen_pid.then(|| {
            let mut slot = LISTEN_PID.to_vec();
            slot.resize(LISTEN_PID.len() + 11, 0);
            slot
        });
        let argv = nul_terminated(args.iter().map(|a| a.as_ptr()));
        let slot_ptr = listen_pid
            .as_mut()
            .map(|slot| slot.as_mut_ptr().cast_const().cast());
        let envp = nul_terminated(vars.iter().map(|v| v.as_ptr()).chain(slot_ptr));
        Ok(Image {
            path,
            _args: args,
            _vars: vars,
            argv,
            envp,
            listen_pid,
            moved: vec![-1; listeners.len()],
            listeners,
            report,
            parent: std::process::id() as libc::pid_t,
        })
    }

    /// Makes `cmd` run this image in its child. std has already applied stdio, the working
    /// directory and the process group by then; this runs last and never returns to std.
    pub(super) fn arm(mut self, cmd: &mut Command) {
        // SAFETY: the closure runs between fork and exec and only calls `exec_child`, which
        // is async-signal-safe (see there).
        unsafe {
            cmd.pre_exec(move || self.exec_child());
        }
    }

    /// In the child: parent-death signal, listeners to fds 3.., `LISTEN_PID`, then `execve`.
    fn exec_child(&mut self) -> ! {
        let mut digits = [0u8; 10];
        let pid_digits = decimal(std::process::id(), &mut digits);
        let base = (FIRST_FD + self.listeners.len()) as libc::c_int;
        // SAFETY: after fork in a multi-threaded parent only async-signal-safe calls are
        // allowed. This block makes only system calls (prctl, getppid, fcntl, dup2, write,
        // execve, _exit) and reads errno. It reads memory prepared before fork and writes only
        // into `moved` and the `LISTEN_PID` slot, which this child owns (its own copy-on-write
        // copy): no allocation, no lock, no unwinding. `decimal` above is arithmetic on a
        // stack buffer. Every pointer handed to execve is NUL-terminated and points into
        // buffers `self` owns; the slot has room for any pid plus its NUL.
        unsafe {
            // Each failing step breaks out with the fd to report its errno on.
            let report = 'failed: {
                if libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ) != 0
                {
                    break 'failed self.report;
                }
                // hotdev died between fork and prctl: the signal will never come, so go now.
                if libc::getppid() != self.parent {
                    libc::_exit(EXEC_FAILED)
                }
                // Every copy goes to an fd >= 3+n first, so placing listener i at 3+i can
                // never overwrite a listener, or the report pipe, still to be placed.
                let report = libc::fcntl(self.report, libc::F_DUPFD_CLOEXEC, base);
                if report < 0 {
                    break 'failed self.report;
                }
                for (moved, &fd) in self.moved.iter_mut().zip(&self.listeners) {
                    *moved = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, base);
                    if *moved < 0 {
                        break 'failed report;
                    }
                }
                // dup2 clears close-on-exec on the new fd; the moved copies close at exec.
                for (i, &moved) in self.moved.iter().enumerate() {
                    if libc::dup2(moved, FIRST_FD as libc::c_int + i as libc::c_int) < 0 {
                        break 'failed report;
                    }
                }
                if let Some(slot) = &mut self.listen_pid {
                    let at = slot.as_mut_ptr().add(LISTEN_PID.len());
                    std::ptr::copy_nonoverlapping(pid_digits.as_ptr(), at, pid_digits.len());
                    at.add(pid_digits.len()).write(0);
                }
                libc::execve(self.path.as_ptr(), self.argv.as_ptr(), self.envp.as_ptr());
                report
            };
            let errno = Errno::last_raw().to_ne_bytes();
            libc::write(report, errno.as_ptr().cast(), errno.len());
            libc::_exit(EXEC_FAILED)
        }
    }
}

/// Reads what the child sent on the report pipe: `None` once the exec happened (EOF),
/// `Some(errno)` when it failed.
pub(super) fn exec_error(report: std::os::fd::OwnedFd) -> Option<Errno> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(4);
    // EOF comes when the child execs or exits; read_to_end retries on EINTR.
    std::fs::File::from(report).read_to_end(&mut buf).ok()?;
    let errno: [u8; 4] = buf.get(..4)?.try_into().ok()?;
    Some(Errno::from_raw(i32::from_ne_bytes(errno)))
}

fn nul_terminated(ptrs: impl Iterator<Item = *const c_char>) -> Vec<*const c_char> {
    ptrs.chain(std::iter::once(std::ptr::null())).collect()
}

/// Formats `n` in decimal into `buf` without allocating (it runs after fork).
fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_formats_without_allocating() {
        let mut buf = [0u8; 10];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(7, &mut buf), b"7");
        assert_eq!(decimal(4194304, &mut buf), b"4194304");
        assert_eq!(decimal(u32::MAX, &mut buf), b"4294967295");
    }

    #[test]
    fn nul_bytes_are_refused_before_fork() {
        let env = BTreeMap::from([(OsString::from("A"), OsString::from("x\0y"))]);
        assert!(Image::new("/bin/true".as_ref(), &[], &env, false, vec![], 9).is_err());
    }
}
