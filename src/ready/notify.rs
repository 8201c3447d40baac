//! The private `NOTIFY_SOCKET` (sd_notify protocol): a datagram socket in a 0700 directory of
//! hotdev's own, whose thread believes `READY=1` only from a registered generation's process
//! group, as the kernel's `SCM_CREDENTIALS` name the sender. It never trusts the payload for
//! who sent it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use nix::errno::Errno;
use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, UnixCredentials, setsockopt, sockopt};
use nix::unistd::{Pid, getpgid};

use super::check::{Notification, Peer, Registry};
use crate::bus::Sender;

/// `sun_path` holds 108 bytes including the final NUL.
const MAX_SOCKET_PATH: usize = 107;
/// sd_notify messages are short; systemd itself reads at most a page or so.
const MAX_DATAGRAM: usize = 4096;
/// `SCM_MAX_FD`: room for every fd a sender may pass, so none stays open unseen.
const MAX_FDS: usize = 253;

/// The socket whose path goes into the children's `NOTIFY_SOCKET`. The directory and the
/// socket are removed, and the receiving thread stopped, on drop.
#[derive(Debug)]
pub struct NotifySocket {
    dir: PathBuf,
    path: PathBuf,
    socket: UnixDatagram,
    ignored: Arc<AtomicU64>,
    serving: Mutex<Option<Serving>>,
}

#[derive(Debug)]
struct Serving {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl NotifySocket {
    /// Creates a fresh 0700 directory (under `$XDG_RUNTIME_DIR` when usable, else the temp
    /// dir) and binds `notify.sock` in it with `SO_PASSCRED`.
    pub fn open() -> io::Result<NotifySocket> {
        let mut last_err = io::Error::other("no directory for the notify socket");
        let runtime = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute());
        for base in runtime.into_iter().chain([std::env::temp_dir()]) {
            match Self::open_in(&base) {
                Ok(socket) => return Ok(socket),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    fn open_in(base: &Path) -> io::Result<NotifySocket> {
        let dir = private_dir(base)?;
        let path = dir.join("notify.sock");
        let bound = (|| {
            if path.as_os_str().len() > MAX_SOCKET_PATH {
                return Err(io::Error::other(format!(
                    "{} is too long for a unix socket path",
                    path.display()
                )));
            }
            let socket = UnixDatagram::bind(&path)?;
            // Set before any child can know the path, so every datagram carries credentials.
            setsockopt(&socket, sockopt::PassCred, &true)?;
            Ok(socket)
        })();
        match bound {
            Ok(socket) => Ok(NotifySocket {
                dir,
                path,
                socket,
                ignored: Arc::new(AtomicU64::new(0)),
                serving: Mutex::new(None),
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// The value for the children's `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many datagrams came from no registered generation (not believed) so far.
    pub fn ignored(&self) -> u64 {
        self.ignored.load(Ordering::Relaxed)
    }

    /// Starts the receiving thread: `READY=1` from a registered generation's process group
    /// settles its check ready. Events of `registry`'s checks go to `tx` from now on (unless a
    /// check was given a channel of its own first). Call once.
    pub fn serve(&self, registry: Registry, tx: Sender) -> io::Result<()> {
        let mut serving = self.serving.lock().unwrap_or_else(PoisonError::into_inner);
        if serving.is_some() {
            return Err(io::Error::other(
                "the notify socket is already being served",
            ));
        }
        let socket = self.socket.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let ignored = Arc::clone(&self.ignored);
        let stop_seen = Arc::clone(&stop);
        registry.route_to(tx.clone());
        let thread = crate::bus::spawn_worker("hotdev-notify", "notify socket", &tx, move || {
            receive_loop(&socket, &registry, &ignored, &stop_seen)
        })?;
        *serving = Some(Serving { stop, thread });
        Ok(())
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let serving = self
            .serving
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(Serving { stop, thread }) = serving.take() {
            stop.store(true, Ordering::SeqCst);
            // Shutting the read side down wakes the blocked recvmsg with 0 bytes. If that
            // failed, leave the thread be rather than hang here.
            if self.socket.shutdown(std::net::Shutdown::Read).is_ok() {
                let _ = thread.join();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Creates `base/hotdev-<pid>-<random>` with mode 0700. `mkdir` fails on any existing name
/// (and does not follow a planted symlink), so the directory we get is ours alone.
fn private_dir(base: &Path) -> io::Result<PathBuf> {
    let mut attempt = 0;
    loop {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(attempt);
        let dir = base.join(format!(
            "hotdev-{}-{:08x}",
            std::process::id(),
            hasher.finish() as u32
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                // The umask can only have removed bits; make the mode exact anyway.
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

fn receive_loop(
    socket: &UnixDatagram,
    registry: &Registry,
    ignored: &AtomicU64,
    stop: &AtomicBool,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut cmsg = nix::cmsg_space!(UnixCredentials, [RawFd; MAX_FDS]);
    loop {
        let received = receive(socket.as_raw_fd(), &mut buf, &mut cmsg);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let (len, pid) = match received {
            Ok(got) => got,
            Err(Errno::EINTR) => continue,
            // A truncated control message (cannot happen with our buffer) loses the
            // credentials: such a datagram is not believed.
            Err(Errno::ENOBUFS) => {
                ignored.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Err(_) => return,
        };
        let Some(pid) = pid.filter(|&p| p > 0) else {
            ignored.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let pgid = getpgid(Some(Pid::from_raw(pid))).ok().map(Pid::as_raw);
        let note = Notification::parse(&buf[..len]);
        if !registry.deliver(Peer { pid, pgid }, note) {
            ignored.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One datagram: its length and the sender's pid from `SCM_CREDENTIALS`. Any fds passed
/// along (`FDSTORE=1`) are closed at once; hotdev keeps none.
fn receive(fd: RawFd, buf: &mut [u8], cmsg: &mut [u8]) -> Result<(usize, Option<i32>), Errno> {
    let mut iov = [IoSliceMut::new(buf)];
    let msg = socket::recvmsg::<()>(fd, &mut iov, Some(cmsg), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let mut pid = None;
    for c in msg.cmsgs()? {
        match c {
            ControlMessageOwned::ScmCredentials(cred) => pid = Some(cred.pid()),
            ControlMessageOwned::ScmRights(fds) => {
                for fd in fds {
                    // SAFETY: the kernel has just installed `fd` in our table for this message;
                    // nothing else knows or owns it, so taking ownership to close it is sound.
                    drop(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            _ => {}
        }
    }
    Ok((msg.bytes, pid))
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;

    use super::*;
    use crate::bus;
    use crate::engine::{Event, NotReady};
    use crate::ready::testing::{DEADLINE, assert_quiet, next_event, wait_until};

    const SEND_READY: &str = "import socket,os,sys\n\
        s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
        s.sendto(b'STATUS=warm\\nREADY=1', os.environ['NOTIFY_SOCKET'])\n\
        sys.stdin.read()";

    /// A child in its own process group, killed (group and all) on drop.
    struct Group(Child);

    impl Group {
        fn spawn(mut command: Command) -> Group {
            command.process_group(0).stdin(Stdio::piped());
            Group(command.spawn().expect("spawn the test child"))
        }
        fn pgid(&self) -> i32 {
            i32::try_from(self.0.id()).expect("pid fits i32")
        }
        /// Lets the child finish (it blocks on stdin) and reaps it.
        fn finish(mut self) {
            drop(self.0.stdin.take());
            let _ = self.0.wait();
        }
    }

    impl Drop for Group {
        fn drop(&mut self) {
            let _ = nix::sys::signal::killpg(
                Pid::from_raw(self.pgid()),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = self.0.wait();
        }
    }

    fn python(socket: &NotifySocket) -> Command {
        let mut c = Command::new("python3");
        c.args(["-c", SEND_READY])
            .env("NOTIFY_SOCKET", socket.path());
        c
    }

    #[test]
    fn directory_is_private_and_removed_on_drop() {
        let socket = NotifySocket::open().expect("open");
        let dir = socket.path().parent().expect("a parent").to_owned();
        let mode = std::fs::metadata(&dir).expect("dir").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(socket.path().exists());
        let other = NotifySocket::open().expect("open a second one");
        assert_ne!(other.path(), socket.path());
        drop(socket);
        assert!(!dir.exists());
    }

    #[test]
    fn ready_from_the_group_leader_settles_the_check() {
        let socket = NotifySocket::open().expect("open");
        let registry = Registry::new();
        let (tx, rx) = bus::channel();
        socket.serve(registry.clone(), tx).expect("serve");
        let child = Group::spawn(python(&socket));
        let check = registry.register(1, child.pgid());
        assert_eq!(next_event(&rx), Event::Ready { generation: 1 });
        assert!(!check.is_pending());
        assert_eq!(registry.status(1).as_deref(), Some("warm"));
        assert_eq!(socket.ignored(), 0);
        child.finish();
    }

    #[test]
    fn ready_from_another_member_of_the_group_settles_the_check() {
        let socket = NotifySocket::open().expect("open");
        let registry = Registry::new();
        let (tx, rx) = bus::channel();
        socket.serve(registry.clone(), tx).expect("serve");
        // `; exit` keeps dash from exec'ing python: the sender is the shell's child, not the
        // group leader. It stays alive (reading stdin) so its group can be looked up.
        let mut sh = Command::new("sh");
        sh.args(["-c", "python3 -c \"$SEND\"; exit 0"])
            .env("SEND", SEND_READY)
            .env("NOTIFY_SOCKET", socket.path());
        let child = Group::spawn(sh);
        registry.register(2, child.pgid());
        assert_eq!(next_event(&rx), Event::Ready { generation: 2 });
        child.finish();
    }

    #[test]
    fn ready_sent_before_register_is_honoured() {
        let socket = NotifySocket::open().expect("open");
        let registry = Registry::new();
        let (tx, rx) = bus::channel();
        socket.serve(registry.clone(), tx).expect("serve");
        let child = Group::spawn(python(&socket));
        let pgid = child.pgid();
        wait_until(DEADLINE, "the datagram to arrive", || socket.ignored() == 1)
            .unwrap_or_else(|e| panic!("{e}"));
        child.finish();
        registry.register(3, pgid);
        assert_eq!(next_event(&rx), Event::Ready { generation: 3 });
    }

    #[test]
    fn ready_from_an_unregistered_process_is_ignored() {
        let socket = NotifySocket::open().expect("open");
        let registry = Registry::new();
        let (tx, rx) = bus::channel();
        socket.serve(registry.clone(), tx.clone()).expect("serve");
        let bystander = Group::spawn(Command::new("cat"));
        let check = registry.register(4, bystander.pgid());
        check.attach(tx);
        // The test process is in no registered group.
        let me = UnixDatagram::unbound().expect("socket");
        me.send_to(b"READY=1", socket.path()).expect("send");
        wait_until(DEADLINE, "the datagram to be counted", || {
            socket.ignored() == 1
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(check.is_pending());
        assert_quiet(&rx);
        check.not_ready(NotReady::Timeout);
        assert_eq!(
            next_event(&rx),
            Event::NotReady {
                generation: 4,
                reason: NotReady::Timeout
            }
        );
        bystander.finish();
    }

    #[test]
    fn passed_fds_are_closed_and_not_believed() {
        let socket = NotifySocket::open().expect("open");
        let (tx, _rx) = bus::channel();
        socket.serve(Registry::new(), tx).expect("serve");
        let (mine, theirs) = UnixDatagram::pair().expect("pair");
        let me = UnixDatagram::unbound().expect("socket");
        me.connect(socket.path()).expect("connect");
        let fds = [theirs.as_raw_fd()];
        let cmsg = [socket::ControlMessage::ScmRights(&fds)];
        let iov = [io::IoSlice::new(b"FDSTORE=1")];
        socket::sendmsg::<()>(me.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
            .expect("sendmsg");
        drop(theirs);
        wait_until(DEADLINE, "the datagram to be counted", || {
            socket.ignored() == 1
        })
        .unwrap_or_else(|e| panic!("{e}"));
        // The receiver closed its copy: the pair's other end sees no peer any more.
        mine.set_nonblocking(true).expect("nonblocking");
        assert!(mine.send(b"x").is_err());
    }

    #[test]
    fn drop_stops_the_receiving_thread() {
        let socket = NotifySocket::open().expect("open");
        let (tx, _rx) = bus::channel();
        socket.serve(Registry::new(), tx).expect("serve");
        assert!(socket.serve(Registry::new(), bus::channel().0).is_err());
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            drop(socket);
            let _ = done_tx.send(());
        });
        done_rx.recv_timeout(DEADLINE).expect("drop returns");
    }
}
