//! Socket addresses: listen addresses (`8080`, `[::1]:8080`, `unix:path`) and the host and
//! port a readiness probe reaches, to compare with the pre-bound listeners. Pure; it never
//! resolves a host name or binds.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::config::error::Problem;
use crate::sockets::ListenAddress;

/// `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `8080` and `:8080` (127.0.0.1), or
/// `unix:path` (relative to `root`).
pub fn listen_address(text: &str, root: &Path) -> Result<ListenAddress, Problem> {
    let bad = || {
        Problem::new(format!("`{text}` is not a listen address")).with_hint(
            "use `127.0.0.1:8080`, `[::1]:8080`, `8080` (127.0.0.1) or `unix:tmp/app.sock`",
        )
    };
    let text = text.trim();
    if let Some(path) = text.strip_prefix("unix:") {
        if path.is_empty() {
            return Err(bad());
        }
        return Ok(ListenAddress::Unix(root.join(path)));
    }
    socket_address(text).map(ListenAddress::Tcp).ok_or_else(bad)
}

/// A TCP address: `127.0.0.1:3000`, `[::1]:3000`, `localhost:3000`, `3000` or `:3000`
/// (127.0.0.1); `what` names it in the message, e.g. "proxy address".
pub fn tcp_address(text: &str, what: &str) -> Result<SocketAddr, Problem> {
    socket_address(text.trim()).ok_or_else(|| {
        Problem::new(format!("`{text}` is not a {what}"))
            .with_hint("use `127.0.0.1:3000`, `[::1]:3000` or `3000` (127.0.0.1)")
    })
}

/// A TCP address where the host may be left out (127.0.0.1) or be `localhost`.
pub(super) fn socket_address(text: &str) -> Option<SocketAddr> {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if let Ok(port) = text.strip_prefix(':').unwrap_or(text).parse::<u16>() {
        return Some(SocketAddr::new(loopback, port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        return port
            .parse()
            .ok()
            .map(|port| SocketAddr::new(loopback, port));
    }
    text.parse().ok()
}

/// The host and port an `http`/`tcp` readiness check connects to, to compare with the
/// pre-bound listeners.
pub fn probe_target(target: &str) -> Option<(String, u16)> {
    let (default_port, rest) = if let Some(rest) = target.strip_prefix("http://") {
        (80, rest)
    } else if let Some(rest) = target.strip_prefix("https://") {
        (443, rest)
    } else {
        let address = socket_address(target)?;
        return Some((address.ip().to_string(), address.port()));
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// Whether a probe of `host:port` would reach the pre-bound listener at `listener`.
pub fn probe_hits_listener(host: &str, port: u16, listener: &SocketAddr) -> bool {
    if port != listener.port() {
        return false;
    }
    if listener.ip().is_unspecified() {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip == listener.ip() || (ip.is_unspecified() && listener.ip().is_loopback()),
        Err(_) => host == "localhost" && listener.ip().is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        let root = Path::new("/project");
        let tcp = |s: &str| match listen_address(s, root).unwrap() {
            ListenAddress::Tcp(address) => address.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(tcp("127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(tcp("[::1]:8080"), "[::1]:8080");
        assert_eq!(tcp("8080"), "127.0.0.1:8080");
        assert_eq!(tcp(":8080"), "127.0.0.1:8080");
        assert_eq!(tcp("localhost:8080"), "127.0.0.1:8080");
        assert_eq!(tcp("0.0.0.0:80"), "0.0.0.0:80");
        assert_eq!(
            listen_address("unix:tmp/app.sock", root).unwrap(),
            ListenAddress::Unix("/project/tmp/app.sock".into())
        );
        assert_eq!(
            listen_address("unix:/run/app.sock", root).unwrap(),
            ListenAddress::Unix("/run/app.sock".into())
        );
        for bad in ["example.com:80", "99999", "127.0.0.1", "unix:", "http://x"] {
            let problem = listen_address(bad, root).unwrap_err();
            assert!(problem.message.contains("is not a listen address"), "{bad}");
        }
    }

    #[test]
    fn probe_targets_and_listener_overlap() {
        assert_eq!(
            probe_target("http://localhost:8080/health"),
            Some(("localhost".into(), 8080))
        );
        assert_eq!(
            probe_target("http://[::1]:8080"),
            Some(("::1".into(), 8080))
        );
        assert_eq!(
            probe_target("https://example.com/x"),
            Some(("example.com".into(), 443))
        );
        assert_eq!(
            probe_target("127.0.0.1:9000"),
            Some(("127.0.0.1".into(), 9000))
        );
        let listener: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(probe_hits_listener("localhost", 8080, &listener));
        assert!(probe_hits_listener("127.0.0.1", 8080, &listener));
        assert!(!probe_hits_listener("127.0.0.1", 8081, &listener));
        assert!(probe_hits_listener(
            "10.0.0.1",
            80,
            &"0.0.0.0:80".parse().unwrap()
        ));
    }
}
