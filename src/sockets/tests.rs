use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use socket2::SockRef;

use super::*;

fn tcp(addr: &str, name: &str) -> ListenSpec {
    ListenSpec {
        address: ListenAddress::Tcp(addr.parse().unwrap()),
        name: name.to_string(),
        from_flag: false,
    }
}

fn unix(path: &Path, name: &str) -> ListenSpec {
    ListenSpec {
        address: ListenAddress::Unix(path.to_path_buf()),
        name: name.to_string(),
        from_flag: false,
    }
}

fn is_nonblocking(fd: BorrowedFd<'_>) -> bool {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL).unwrap());
    flags.contains(OFlag::O_NONBLOCK)
}

#[test]
fn port_zero_binds_a_real_port_in_config_order() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("app.sock");
    let specs = [
        unix(&sock, "admin"),
        tcp("127.0.0.1:0", "http"),
        tcp("127.0.0.1:0", "grpc"),
    ];
    let listeners = Listeners::bind(&specs).unwrap();

    assert_eq!(listeners.len(), 3);
    assert!(!listeners.is_empty());
    assert_eq!(listeners.names(), ["admin", "http", "grpc"]);
    let port = listeners.first_tcp_port().unwrap();
    assert_ne!(port, 0);
    let addrs = listeners.local_addrs();
    assert_eq!(addrs[0], format!("unix:{}", sock.display()));
    assert_eq!(addrs[1], format!("127.0.0.1:{port}"));
    assert!(addrs[2].starts_with("127.0.0.1:") && addrs[2] != addrs[1]);

    // Listening already: the kernel queues a connection nobody has accepted yet.
    TcpStream::connect(&addrs[1]).unwrap();
    UnixStream::connect(&sock).unwrap();
}

#[test]
fn no_specs_no_listeners() {
    let listeners = Listeners::bind(&[]).unwrap();
    assert!(listeners.is_empty());
    assert_eq!(listeners.first_tcp_port(), None);
    assert!(listeners.fds().is_empty());
}

#[test]
fn binds_with_reuseaddr_and_never_reuseport() {
    let listeners = Listeners::bind(&[tcp("127.0.0.1:0", "http")]).unwrap();
    let fd = listeners.fds()[0];
    let sock = SockRef::from(&fd);
    assert!(sock.reuse_address().unwrap());
    assert!(!sock.reuse_port().unwrap());
    assert!(sock.is_listener().unwrap());
}

#[test]
fn ipv6_loopback_is_ipv6_only() {
    // A machine without IPv6 loopback fails here rather than passing in silence; say so
    // explicitly (HOTDEV_TEST_NO_IPV6=1) to skip. libtest has no "skipped" result and hides
    // what a passing test prints, so the skip line goes to the real stderr, past the capture.
    if let Err(e) = TcpListener::bind("[::1]:0") {
        if std::env::var_os("HOTDEV_TEST_NO_IPV6").is_some() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED sockets::tests::ipv6_loopback_is_ipv6_only: no IPv6 loopback ({e}), \
                 and HOTDEV_TEST_NO_IPV6 is set"
            );
            return;
        }
        panic!("no IPv6 loopback ({e}); set HOTDEV_TEST_NO_IPV6=1 to skip this test");
    }
    let listeners = Listeners::bind(&[tcp("[::1]:0", "v6")]).unwrap();
    let port = listeners.first_tcp_port().unwrap();
    assert_eq!(listeners.local_addrs(), [format!("[::1]:{port}")]);
    assert!(SockRef::from(&listeners.fds()[0]).only_v6().unwrap());
    TcpStream::connect(("::1", port)).unwrap();
}

#[test]
fn port_in_use_names_the_address_and_the_holder() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();

    let err = Listeners::bind(&[tcp(&addr.to_string(), "http")]).unwrap_err();

    let message = err.to_string();
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.starts_with(&format!("cannot listen on {addr}: address already in use")),
        "{message}"
    );
    let me = std::process::id();
    let comm = fs::read_to_string("/proc/self/comm").unwrap();
    assert!(
        message.contains(&format!("`{}` (pid {me})", comm.trim_end())),
        "{message}"
    );
    assert!(message.contains("[[listen]] address"), "{message}");
    assert!(!message.contains("--listen"), "{message}");
}

#[test]
fn port_in_use_from_the_flag_names_the_flag() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let spec = ListenSpec {
        from_flag: true,
        ..tcp(&addr.to_string(), "http")
    };

    let message = Listeners::bind(&[spec]).unwrap_err().to_string();

    assert!(
        message.starts_with(&format!(
            "cannot listen on {addr} (from --listen): address already in use"
        )),
        "{message}"
    );
    assert!(
        message.ends_with("; stop it, or give `--listen` another address"),
        "{message}"
    );
    assert!(!message.contains("[[listen]]"), "{message}");
}

#[test]
fn a_wildcard_holder_blocks_loopback_and_is_found() {
    let taken = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = Listeners::bind(&[tcp(&format!("127.0.0.1:{port}"), "http")]).unwrap_err();
    match err.kind {
        SocketErrorKind::InUse { holder: Some(h) } => assert_eq!(h.pid, std::process::id()),
        other => panic!("expected in use with a holder, got {other:?}"),
    }
}

#[test]
fn a_failed_bind_closes_the_listeners_bound_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("first.sock");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let specs = [
        unix(&sock, "first"),
        tcp(&taken.local_addr().unwrap().to_string(), "second"),
    ];
    assert!(Listeners::bind(&specs).is_err());
    assert!(
        !sock.exists(),
        "the first listener's socket file is left behind"
    );
}

#[test]
fn stale_unix_socket_is_replaced_and_removed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    drop(UnixListener::bind(&path).unwrap()); // a crashed run leaves the file behind
    assert!(path.exists());

    let listeners = Listeners::bind(&[unix(&path, "app")]).unwrap();
    UnixStream::connect(&path).unwrap();
    assert_eq!(listeners.first_tcp_port(), None);

    drop(listeners);
    assert!(!path.exists());
}

#[test]
fn live_unix_socket_is_in_use_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    let live = UnixListener::bind(&path).unwrap();

    let err = Listeners::bind(&[unix(&path, "app")]).unwrap_err();

    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot listen on unix:{}: address already in use",
            path.display()
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("(pid {})", std::process::id())),
        "{message}"
    );
    UnixStream::connect(&path).expect("the live socket was disturbed");
    drop(live);
}

#[test]
fn a_path_that_is_not_a_socket_is_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(&path, "keep me").unwrap();

    let err = Listeners::bind(&[unix(&path, "app")]).unwrap_err();

    assert!(matches!(err.kind, SocketErrorKind::NotASocket), "{err}");
    assert!(err.to_string().contains("is not a socket"));
    assert_eq!(fs::read_to_string(&path).unwrap(), "keep me");
}

#[test]
fn a_socket_file_replaced_by_someone_else_is_not_removed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sock");
    let listeners = Listeners::bind(&[unix(&path, "app")]).unwrap();
    fs::remove_file(&path).unwrap();
    let other = UnixListener::bind(&path).unwrap();

    drop(listeners);

    assert!(path.exists());
    drop(other);
}

#[test]
fn reset_nonblocking_clears_the_shared_flag() {
    let listeners = Listeners::bind(&[tcp("127.0.0.1:0", "http")]).unwrap();
    let fd = listeners.fds()[0];
    // A child's copy shares the open file description; setting the flag through a duplicate
    // is what a generation that calls `SetNonblock` does to hotdev's socket.
    let dup = fd.try_clone_to_owned().unwrap();
    SockRef::from(&dup).set_nonblocking(true).unwrap();
    assert!(is_nonblocking(fd));

    listeners.reset_nonblocking().unwrap();

    assert!(!is_nonblocking(fd));
}

#[test]
fn an_address_that_is_not_local_says_so() {
    // TEST-NET-1 (RFC 5737): never assigned to a local interface.
    let err = Listeners::bind(&[tcp("192.0.2.1:0", "http")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot listen on 192.0.2.1:0: Cannot assign requested address; \
         the address is not one of this machine's: change `[[listen]] address`"
    );
}

#[test]
fn backlog_is_positive() {
    assert!(backlog() > 0);
}
