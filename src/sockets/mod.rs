//! Pre-bound listeners (DESIGN.md §4): bound once, before generation 1, and kept open for
//! hotdev's whole life, so the kernel's accept queue outlives every generation and a connection
//! that arrives during a swap waits instead of being refused.
//!
//! Knows nothing of hotdev beyond [`ListenSpec`] (it could be lifted into a crate of its own) and
//! never accepts a connection itself: the sockets are only held and handed to children.

mod spec;
pub use spec::{ListenAddress, ListenSpec};
mod holder;

use std::fmt;
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

pub use holder::Holder;

/// The listening sockets every generation inherits, in config order.
///
/// Owns them for as long as it lives; a `unix:` socket file it created is removed on drop.
#[derive(Debug)]
pub struct Listeners {
    listeners: Vec<Listener>,
}

#[derive(Debug)]
struct Listener {
    socket: Socket,
    name: String,
    bound: Bound,
}

#[derive(Debug)]
enum Bound {
    Tcp(SocketAddr),
    Unix(SocketFile),
}

impl Listeners {
    /// Binds and listens on every spec, in order. Fails on the first address that cannot be
    /// used; the listeners bound before it are closed again.
    pub fn bind(specs: &[ListenSpec]) -> Result<Listeners, SocketError> {
        let backlog = backlog();
        let mut listeners = Vec::with_capacity(specs.len());
        for spec in specs {
            let listener = match &spec.address {
                ListenAddress::Tcp(addr) => bind_tcp(*addr, backlog),
                ListenAddress::Unix(path) => bind_unix(path, backlog),
            };
            let (socket, bound) = listener.map_err(|kind| SocketError {
                address: display_address(&spec.address),
                from_flag: spec.from_flag,
                kind,
            })?;
            listeners.push(Listener {
                socket,
                name: spec.name.clone(),
                bound,
            });
        }
        Ok(Listeners { listeners })
    }

    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }

    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    /// The sockets, in config order (they become fds 3, 4, … of every child).
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        self.listeners.iter().map(|l| l.socket.as_fd()).collect()
    }

    /// The names for `LISTEN_FDNAMES`, in config order.
    pub fn names(&self) -> Vec<&str> {
        self.listeners.iter().map(|l| l.name.as_str()).collect()
    }

    /// The real port of the first TCP listener (port 0 in the config is resolved), for `PORT`.
    pub fn first_tcp_port(&self) -> Option<u16> {
        self.listeners.iter().find_map(|l| match &l.bound {
            Bound::Tcp(addr) => Some(addr.port()),
            Bound::Unix(_) => None,
        })
    }

    /// The real ports of the TCP listeners, in config order.
    pub fn tcp_ports(&self) -> Vec<u16> {
        self.listeners
            .iter()
            .filter_map(|l| match &l.bound {
                Bound::Tcp(addr) => Some(addr.port()),
                Bound::Unix(_) => None,
            })
            .collect()
    }

    /// Where each listener listens, for messages: `127.0.0.1:8080`, `[::1]:8080`, `unix:/x`.
    pub fn local_addrs(&self) -> Vec<String> {
        self.listeners
            .iter()
            .map(|l| match &l.bound {
                Bound::Tcp(addr) => addr.to_string(),
                Bound::Unix(file) => format!("unix:{}", file.path.display()),
            })
            .collect()
    }

    /// Clears `O_NONBLOCK` on every listener. The flag lives in the open file description that
    /// hotdev and every generation share, so one generation that set it (Go and Node do) would
    /// hand the next a non-blocking socket it did not ask for. Call before every spawn.
    pub fn reset_nonblocking(&self) -> io::Result<()> {
        self.listeners
            .iter()
            .try_for_each(|l| l.socket.set_nonblocking(false))
    }
}

/// The backlog: the kernel's maximum (`net.core.somaxconn`), so bursts during a swap queue up.
fn backlog() -> i32 {
    fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(4096)
}

/// SO_REUSEADDR so a restarted hotdev can bind at once despite connections in TIME_WAIT; never
/// SO_REUSEPORT (each reuseport socket has its own queue, and another process could bind the
/// port beside ours). An IPv6 address is IPv6 only: `[::]:8080` and `0.0.0.0:8080` can both be
/// listed, and what a listener accepts does not depend on the host's `bindv6only` setting.
fn bind_tcp(addr: SocketAddr, backlog: i32) -> Result<(Socket, Bound), SocketErrorKind> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .and_then(above_stdio)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    if let Err(err) = socket.bind(&addr.into()) {
        if err.raw_os_error() == Some(Errno::EADDRINUSE as i32) {
            return Err(SocketErrorKind::InUse {
                holder: holder::of_tcp(addr),
            });
        }
        return Err(err.into());
    }
    socket.listen(backlog)?;
    let local = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("the socket has no IP address"))?;
    Ok((socket, Bound::Tcp(local)))
}

/// A socket file left by a run that crashed refuses connections: it is removed and bound
/// again. One that accepts them belongs to a live process and is never touched; neither is a
/// path that is not a socket.
fn bind_unix(path: &Path, backlog: i32) -> Result<(Socket, Bound), SocketErrorKind> {
    let addr = SockAddr::unix(path)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None).and_then(above_stdio)?;
    if let Err(err) = socket.bind(&addr) {
        if err.raw_os_error() != Some(Errno::EADDRINUSE as i32) {
            return Err(err.into());
        }
        if !fs::symlink_metadata(path)?.file_type().is_socket() {
            return Err(SocketErrorKind::NotASocket);
        }
        if unix_socket_is_live(&addr)? {
            return Err(SocketErrorKind::InUse {
                holder: holder::of_unix(path),
            });
        }
        fs::remove_file(path)?;
        socket.bind(&addr)?;
    }
    // From here on the file is ours: dropping `file` removes it, also when listen fails.
    let meta = fs::metadata(path)?;
    let file = SocketFile {
        path: path.to_path_buf(),
        dev: meta.dev(),
        ino: meta.ino(),
    };
    socket.listen(backlog)?;
    Ok((socket, Bound::Unix(file)))
}

/// Keeps a listener off fds 0..2 (free when hotdev was started with stdio closed): a child's
/// stdio is set up over those numbers before the hand-off copies the listeners to 3, 4, …
fn above_stdio(socket: Socket) -> io::Result<Socket> {
    if socket.as_raw_fd() > 2 {
        return Ok(socket);
    }
    // std duplicates with F_DUPFD_CLOEXEC from 3 up.
    Ok(Socket::from(socket.as_fd().try_clone_to_owned()?))
}

/// Whether a process accepts connections on the socket file. Non-blocking, so a live server
/// with a full backlog answers "live" (EAGAIN) instead of hanging hotdev.
fn unix_socket_is_live(addr: &SockAddr) -> io::Result<bool> {
    let probe = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    probe.set_nonblocking(true)?;
    match probe.connect(addr) {
        Ok(()) => Ok(true),
        Err(err) => match err.raw_os_error().map(Errno::from_raw) {
            Some(Errno::ECONNREFUSED) => Ok(false),
            Some(Errno::EAGAIN | Errno::EINPROGRESS) => Ok(true),
            _ => Err(err),
        },
    }
}

/// A socket file hotdev created. Removed on drop, unless something else replaced it since.
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Ok(meta) = fs::symlink_metadata(&self.path)
            && meta.dev() == self.dev
            && meta.ino() == self.ino
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn display_address(address: &ListenAddress) -> String {
    match address {
        ListenAddress::Tcp(addr) => addr.to_string(),
        ListenAddress::Unix(path) => format!("unix:{}", path.display()),
    }
}

/// A listener that could not be set up. Its `Display` is one line a user can act on.
#[derive(Debug)]
pub struct SocketError {
    /// The address as the user wrote it, e.g. `127.0.0.1:8080` or `unix:/run/app.sock`.
    pub address: String,
    /// It came from `--listen`, not `[[listen]]`: the fix is on the command line.
    pub from_flag: bool,
    pub kind: SocketErrorKind,
}

#[derive(Debug)]
pub enum SocketErrorKind {
    /// Another socket listens on the address; `holder` when /proc tells which process owns it.
    InUse {
        holder: Option<Holder>,
    },
    /// A `unix:` path exists and is not a socket: never removed.
    NotASocket,
    Io(io::Error),
}

impl From<io::Error> for SocketErrorKind {
    fn from(err: io::Error) -> Self {
        SocketErrorKind::Io(err)
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, change) = if self.from_flag {
            (" (from --listen)", "give `--listen` another address")
        } else {
            ("", "change `[[listen]] address`")
        };
        write!(f, "cannot listen on {}{from}: ", self.address)?;
        match &self.kind {
            SocketErrorKind::InUse { holder: Some(h) } => write!(
                f,
                "address already in use by `{}` (pid {}); stop it, or {change}",
                h.command, h.pid
            ),
            SocketErrorKind::InUse { holder: None } => write!(
                f,
                "address already in use; stop the process that holds it, or {change}"
            ),
            SocketErrorKind::NotASocket => write!(
                f,
                "the path exists and is not a socket; remove it, or {change}"
            ),
            SocketErrorKind::Io(err) => {
                let errno = err.raw_os_error().map(Errno::from_raw);
                match errno {
                    Some(e) => write!(f, "{}", e.desc())?,
                    None => write!(f, "{err}")?,
                }
                match errno {
                    Some(Errno::EACCES) if !self.address.starts_with("unix:") => write!(
                        f,
                        "; ports below 1024 need privileges: {change} to a higher port"
                    ),
                    Some(Errno::EADDRNOTAVAIL) => {
                        write!(f, "; the address is not one of this machine's: {change}")
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for SocketError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            SocketErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
