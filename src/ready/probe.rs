//! `http` and `tcp` probes: parse the address (no DNS yet), then try it every [`INTERVAL`]
//! until the check is settled by someone. Each attempt is bounded; nothing spins. The parsing
//! and the request itself are [`crate::http`]'s.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::check::Check;
use crate::engine::NotReady;
use crate::http::{self, Take, Url, UrlError};

/// Pause between attempts.
pub(super) const INTERVAL: Duration = Duration::from_millis(25);
/// Bound on one attempt: a TCP connect, or a whole HTTP request up to its status line.
const ATTEMPT: Duration = Duration::from_secs(1);

/// What to probe, parsed but not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Tcp { host: String, port: u16 },
    Http(Url),
}

/// `host:port`, `[v6]:port`, or `:port` (meaning 127.0.0.1).
pub(super) fn parse_tcp(addr: &str) -> Result<Target, String> {
    let (host, port) = http::host_port(addr.trim(), None)
        .map_err(|e| format!("tcp readiness address `{addr}`: {e}"))?;
    Ok(Target::Tcp { host, port })
}

/// `http://host[:port][/path]`; nothing else (no https, no user info).
pub(super) fn parse_http(url: &str) -> Result<Target, String> {
    Url::parse(url).map(Target::Http).map_err(|e| {
        let hint = match e {
            UrlError::NotHttp => "; probe the port with `tcp` instead",
            _ => "",
        };
        format!("http readiness url `{url}`: {e}{hint}")
    })
}

/// Tries `target` until it answers (settles `check` ready), the address cannot be resolved
/// (settles it not ready), or someone else settles or cancels the check.
pub(super) fn run(target: &Target, check: &Check) {
    let (host, port) = match target {
        Target::Tcp { host, port } => (host, *port),
        Target::Http(url) => (&url.host, url.port),
    };
    let addrs = match http::resolve(host, port) {
        Ok(addrs) => addrs,
        Err(e) => {
            check.not_ready(NotReady::Failed(e));
            return;
        }
    };
    loop {
        if !check.is_pending() {
            return;
        }
        let up = addrs.iter().any(|addr| match target {
            Target::Tcp { .. } => TcpStream::connect_timeout(addr, ATTEMPT).is_ok(),
            Target::Http(url) => http_answers(*addr, url),
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

/// One `GET`: true if a status below 500 comes back within two [`ATTEMPT`]s (connect and
/// answer).
fn http_answers(addr: SocketAddr, url: &Url) -> bool {
    http::get(
        &addr.into(),
        &url.authority,
        &url.path,
        Take::Status,
        ATTEMPT * 2,
    )
    .is_ok_and(|r| (100..500).contains(&r.status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_parse_into_a_target() {
        let Ok(Target::Http(url)) = parse_http("http://127.0.0.1:8080/health") else {
            panic!("not an http target");
        };
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 8080));
        assert_eq!(url.path, "/health");
    }

    #[test]
    fn unsupported_urls_are_refused_with_the_url_and_the_reason() {
        let err = |u: &str| parse_http(u).expect_err(u);
        assert_eq!(
            err("https://x:1/"),
            "http readiness url `https://x:1/`: only http:// is supported; \
             probe the port with `tcp` instead"
        );
        assert!(err("localhost:8080").contains("expected http://"));
        assert!(err("http://x:0/").contains("not a port"));
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
        let err = parse_tcp("localhost").unwrap_err();
        assert_eq!(err, "tcp readiness address `localhost`: expected host:port");
    }
}
