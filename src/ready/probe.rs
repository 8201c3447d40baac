//! `http` and `tcp` probes: parse the address (no DNS yet), then try it every [`INTERVAL`]
//! until the check is settled by someone. Each attempt is bounded; nothing spins.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::check::Check;
use crate::engine::NotReady;

/// Pause between attempts.
pub(super) const INTERVAL: Duration = Duration::from_millis(25);
/// Bound on one attempt (connect, then each read or write).
const ATTEMPT: Duration = Duration::from_secs(1);
/// Enough of a response to hold its status line.
const MAX_HEAD: usize = 1024;

/// What to probe, parsed but not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Tcp { host: String, port: u16 },
    Http(HttpTarget),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HttpTarget {
    pub host: String,
    pub port: u16,
    /// The `Host:` header: the authority as written.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// `host:port`, `[v6]:port`, or `:port` (meaning 127.0.0.1).
pub(super) fn parse_tcp(addr: &str) -> Result<Target, String> {
    let (host, port) = split_authority(addr.trim(), None)
        .map_err(|e| format!("tcp readiness address `{addr}`: {e}"))?;
    Ok(Target::Tcp { host, port })
}

/// `http://host[:port][/path]`; nothing else (no https, no user info).
pub(super) fn parse_http(url: &str) -> Result<Target, String> {
    let fail = |e: &str| format!("http readiness url `{url}`: {e}");
    let trimmed = url.trim();
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(fail("expected http://host:port/path"));
    };
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(fail(
            "only http:// is supported; probe the port with `tcp` instead",
        ));
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let split_at = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split_at);
    if authority.contains('@') {
        return Err(fail("user info is not supported"));
    }
    let (host, port) = split_authority(authority, Some(80)).map_err(|e| fail(&e))?;
    let path = match path {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fail(
            "the path must not contain spaces or control characters",
        ));
    }
    Ok(Target::Http(HttpTarget {
        host,
        port,
        authority: authority.to_owned(),
        path,
    }))
}

fn split_authority(authority: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("missing `]` after an IPv6 address")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`[{host}]` is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            p => (
                host,
                Some(p.strip_prefix(':').ok_or("expected `:port` after `]`")?),
            ),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.contains(':') || host.contains(char::is_whitespace) {
            return Err(format!(
                "`{host}` is not a host name or address (write IPv6 as `[addr]:port`)"
            ));
        }
        (host, port)
    };
    let port = match (port, default_port) {
        (Some(p), _) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("`{p}` is not a port (1-65535)"))?,
        (None, Some(p)) => p,
        (None, None) => return Err("expected host:port".to_owned()),
    };
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    Ok((host.to_owned(), port))
}

/// Tries `target` until it answers (settles `check` ready), the address cannot be resolved
/// (settles it not ready), or someone else settles or cancels the check.
pub(super) fn run(target: &Target, check: &Check) {
    let (host, port) = match target {
        Target::Tcp { host, port } => (host, *port),
        Target::Http(h) => (&h.host, h.port),
    };
    let addrs: Vec<SocketAddr> = match (host.as_str(), port).to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) => {
            check.not_ready(NotReady::Failed(format!("cannot resolve `{host}`: {e}")));
            return;
        }
    };
    loop {
        if !check.is_pending() {
            return;
        }
        let up = addrs.iter().any(|addr| match target {
            Target::Tcp { .. } => TcpStream::connect_timeout(addr, ATTEMPT).is_ok(),
            Target::Http(h) => http_answers(addr, h),
        });
        if up {
            check.ready();
            return;
        }
        if check.wait(INTERVAL) {
            return;
        }
    }
}

/// One `GET` over HTTP/1.0: true if a status line below 500 comes back.
fn http_answers(addr: &SocketAddr, target: &HttpTarget) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let started = Instant::now();
        let mut stream = TcpStream::connect_timeout(addr, ATTEMPT)?;
        stream.set_read_timeout(Some(ATTEMPT))?;
        stream.set_write_timeout(Some(ATTEMPT))?;
        let request = format!(
            "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: hotdev\r\nConnection: close\r\n\r\n",
            target.path, target.authority
        );
        stream.write_all(request.as_bytes())?;
        let mut head = Vec::with_capacity(128);
        let mut buf = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < MAX_HEAD && started.elapsed() < ATTEMPT * 2 {
            match stream.read(&mut buf)? {
                0 => break,
                n => head.extend_from_slice(&buf[..n]),
            }
        }
        Ok(status_below_500(&head))
    };
    attempt().unwrap_or(false)
}

/// `HTTP/1.x NNN …` with NNN < 500.
fn status_below_500(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| b.is_ascii_whitespace());
    let version_ok = words.next().is_some_and(|v| v.starts_with(b"HTTP/"));
    let status = words
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<u16>().ok());
    version_ok && status.is_some_and(|s| (100..500).contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(host: &str, port: u16, authority: &str, path: &str) -> Target {
        Target::Http(HttpTarget {
            host: host.into(),
            port,
            authority: authority.into(),
            path: path.into(),
        })
    }

    #[test]
    fn http_urls_parse_into_host_port_and_path() {
        assert_eq!(
            parse_http("http://127.0.0.1:8080/health"),
            Ok(http("127.0.0.1", 8080, "127.0.0.1:8080", "/health"))
        );
        assert_eq!(
            parse_http("HTTP://localhost"),
            Ok(http("localhost", 80, "localhost", "/"))
        );
        assert_eq!(
            parse_http("http://[::1]:3000?x=1#top"),
            Ok(http("::1", 3000, "[::1]:3000", "/?x=1"))
        );
    }

    #[test]
    fn unsupported_urls_are_refused_with_the_reason() {
        let err = |u: &str| parse_http(u).expect_err(u);
        assert!(err("https://x:1/").contains("only http://"));
        assert!(err("localhost:8080").contains("expected http://"));
        assert!(err("http://u:p@x:1/").contains("user info"));
        assert!(err("http://x:0/").contains("not a port"));
        assert!(err("http://x:1/a b").contains("spaces"));
    }

    #[test]
    fn tcp_addresses_need_a_port_and_default_to_loopback() {
        let tcp = |h: &str, port| Target::Tcp {
            host: h.into(),
            port,
        };
        assert_eq!(parse_tcp("localhost:5432"), Ok(tcp("localhost", 5432)));
        assert_eq!(parse_tcp(":8080"), Ok(tcp("127.0.0.1", 8080)));
        assert_eq!(parse_tcp("[::1]:8080"), Ok(tcp("::1", 8080)));
        assert!(parse_tcp("localhost").is_err());
        assert!(parse_tcp("::1:80").is_err());
        assert!(parse_tcp("[::1]").is_err());
    }

    #[test]
    fn statuses_below_500_count() {
        assert!(status_below_500(b"HTTP/1.1 200 OK\r\n"));
        assert!(status_below_500(b"HTTP/1.0 404 Not Found\r\n"));
        assert!(status_below_500(b"HTTP/1.1 301"));
        assert!(!status_below_500(b"HTTP/1.1 500 Internal Server Error\r\n"));
        assert!(!status_below_500(b"HTTP/1.1 502 Bad Gateway\r\n"));
        assert!(!status_below_500(b"SSH-2.0-OpenSSH\r\n"));
        assert!(!status_below_500(b""));
    }
}
