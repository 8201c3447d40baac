//! The one HTTP client of hotdev and its tests: a single `GET` over HTTP/1.0 on a new
//! connection (`Connection: close`), bounded by a deadline, and the parser for the plain
//! `http://host:port/path` URLs and `host:port` addresses it needs. Used by the `http`
//! readiness probe, `hotdev smoke --check` and the integration tests (`hotdev::http`).
//!
//! The servers it talks to are local dev servers: no TLS, no redirects, no keep-alive, no
//! chunked decoding. It knows nothing of hotdev's config or events.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A parsed `http://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// A name or an address, IPv6 without brackets.
    pub host: String,
    pub port: u16,
    /// The authority as written, for the `Host:` header.
    pub authority: String,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// Why a URL does not parse. The caller says which URL (a flag, a config key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// No `scheme://` at all.
    NoScheme,
    /// A scheme other than `http` (e.g. `https`).
    NotHttp,
    UserInfo,
    /// Spaces or control characters in the path.
    BadPath,
    /// The `host:port` part, with the reason.
    Authority(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NoScheme => f.write_str("expected http://host:port/path"),
            UrlError::NotHttp => f.write_str("only http:// is supported"),
            UrlError::UserInfo => f.write_str("user info is not supported"),
            UrlError::BadPath => {
                f.write_str("the path must not contain spaces or control characters")
            }
            UrlError::Authority(why) => f.write_str(why),
        }
    }
}

impl Url {
    /// `http://host[:port][/path][?query]`; the port defaults to 80, an empty host to
    /// 127.0.0.1, a fragment is dropped. Nothing else: no https, no user info.
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        let trimmed = text.trim();
        let (scheme, rest) = trimmed.split_once("://").ok_or(UrlError::NoScheme)?;
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError::NotHttp);
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let split_at = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split_at);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = host_port(authority, Some(80)).map_err(UrlError::Authority)?;
        let path = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::BadPath);
        }
        Ok(Url {
            host,
            port,
            authority: authority.to_owned(),
            path,
        })
    }

    /// Every address the host resolves to.
    pub fn addrs(&self) -> Result<Vec<SocketAddr>, String> {
        resolve(&self.host, self.port)
    }
}

/// Every address of `host:port`, or a sentence saying why there is none.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("`{host}` has no address"));
    }
    Ok(addrs)
}

/// `host:port`, `[v6]:port` or `:port` (meaning 127.0.0.1) into host and port; without a port,
/// `default_port` or an error.
pub fn host_port(authority: &str, default_port: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("missing `]` after an IPv6 address")?;
        if host.parse::<Ipv6Addr>().is_err() {
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

/// Where a request goes: a TCP address or a unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl From<SocketAddr> for Target {
    fn from(a: SocketAddr) -> Target {
        Target::Tcp(a)
    }
}

impl From<&Path> for Target {
    fn from(p: &Path) -> Target {
        Target::Unix(p.to_path_buf())
    }
}

impl From<PathBuf> for Target {
    fn from(p: PathBuf) -> Target {
        Target::Unix(p)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Tcp(a) => write!(f, "{a}"),
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// How much of the answer to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// The status line only, then close: enough for a probe, and the server may stream.
    Status,
    /// Everything until the server closes; the first `keep` bytes of the body are kept.
    Body { keep: usize },
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// The body as text (lossy), empty with [`Take::Status`].
    pub body: String,
}

/// `GET <path>` with `Host: <host>` to `target`, on a new connection, all of it (connect, send,
/// read) within `timeout`. Err is a sentence that names the target and the step that failed.
/// Any status is Ok: the caller decides which ones count.
pub fn get(
    target: &Target,
    host: &str,
    path: &str,
    take: Take,
    timeout: Duration,
) -> Result<Response, String> {
    let deadline = Instant::now() + timeout;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: hotdev\r\nConnection: close\r\n\r\n"
    );
    let connect = |e: io::Error| format!("connect to {target}: {e}");
    let raw = match target {
        Target::Tcp(addr) => {
            let stream = TcpStream::connect_timeout(addr, timeout).map_err(connect)?;
            stream.set_nodelay(true).ok();
            exchange(stream, target, &request, take, deadline, |s, t| {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            })
        }
        Target::Unix(path) => {
            let stream = UnixStream::connect(path).map_err(connect)?;
            exchange(stream, target, &request, take, deadline, |s, t| {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            })
        }
    }?;
    parse_response(&raw, take).map_err(|why| format!("{target} answered {why}"))
}

/// Sends `request` and reads what `take` asks for, each step bounded by what is left of
/// `deadline`.
fn exchange<S: Read + Write>(
    mut stream: S,
    target: &Target,
    request: &str,
    take: Take,
    deadline: Instant,
    set_timeouts: impl Fn(&S, Duration) -> io::Result<()>,
) -> Result<Vec<u8>, String> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "timed out"))
    };
    let bounded = |s: &S| left().and_then(|t| set_timeouts(s, t));
    bounded(&stream)
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| format!("send to {target}: {e}"))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if take == Take::Status && raw.contains(&b'\n') {
            break;
        }
        let n = bounded(&stream)
            .and_then(|()| stream.read(&mut buf))
            .map_err(|e| format!("read from {target}: {e}"))?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        match take {
            Take::Status if raw.len() >= MAX_HEAD => break,
            Take::Body { keep } => raw.truncate(MAX_HEAD.saturating_add(keep)),
            Take::Status => {}
        }
    }
    if raw.is_empty() {
        return Err(format!("{target} closed the connection without an answer"));
    }
    Ok(raw)
}

/// Enough of an answer to hold its status line and headers.
const MAX_HEAD: usize = 16 * 1024;

/// The status (`HTTP/1.x NNN …`) and, with [`Take::Body`], the body after the blank line.
fn parse_response(raw: &[u8], take: Take) -> Result<Response, &'static str> {
    let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| b.is_ascii_whitespace());
    let version_ok = words.next().is_some_and(|v| v.starts_with(b"HTTP/"));
    let status = words
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| version_ok)
        .ok_or("no HTTP status line")?;
    let body = match take {
        Take::Status => String::new(),
        Take::Body { keep } => {
            let at = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .ok_or("no end of the header")?;
            let body = &raw[at + 4..];
            String::from_utf8_lossy(&body[..body.len().min(keep)]).into_owned()
        }
    };
    Ok(Response { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn url(host: &str, port: u16, authority: &str, path: &str) -> Url {
        Url {
            host: host.into(),
            port,
            authority: authority.into(),
            path: path.into(),
        }
    }

    #[test]
    fn urls_parse_into_host_port_authority_and_path() {
        assert_eq!(
            Url::parse("http://127.0.0.1:8080/health?x=1"),
            Ok(url("127.0.0.1", 8080, "127.0.0.1:8080", "/health?x=1"))
        );
        assert_eq!(
            Url::parse("HTTP://localhost"),
            Ok(url("localhost", 80, "localhost", "/"))
        );
        assert_eq!(
            Url::parse("http://[::1]:3000?x=1#top"),
            Ok(url("::1", 3000, "[::1]:3000", "/?x=1"))
        );
        assert_eq!(
            Url::parse("http://:8080/"),
            Ok(url("127.0.0.1", 8080, ":8080", "/"))
        );
    }

    #[test]
    fn unsupported_urls_are_refused_with_the_reason() {
        let err = |u: &str| Url::parse(u).expect_err(u).to_string();
        assert!(err("https://x:1/").contains("only http://"));
        assert!(err("localhost:8080").contains("expected http://"));
        assert!(err("http://u:p@x:1/").contains("user info"));
        assert!(err("http://x:0/").contains("not a port"));
        assert!(err("http://x:1/a b").contains("spaces"));
        assert!(err("http://[::1/").contains("missing `]`"));
    }

    #[test]
    fn addresses_need_a_port_unless_there_is_a_default() {
        let ok = |h: &str, p| Ok((h.to_owned(), p));
        assert_eq!(host_port("localhost:5432", None), ok("localhost", 5432));
        assert_eq!(host_port(":8080", None), ok("127.0.0.1", 8080));
        assert_eq!(host_port("[::1]:8080", None), ok("::1", 8080));
        assert_eq!(host_port("localhost", Some(80)), ok("localhost", 80));
        assert!(host_port("localhost", None).is_err());
        assert!(host_port("::1:80", None).is_err());
        assert!(host_port("[::1]", None).is_err());
    }

    #[test]
    fn the_status_line_decides_the_status() {
        let status = |raw: &[u8]| parse_response(raw, Take::Status).map(|r| r.status);
        assert_eq!(status(b"HTTP/1.1 200 OK\r\n"), Ok(200));
        assert_eq!(status(b"HTTP/1.0 404 Not Found\r\n"), Ok(404));
        assert_eq!(status(b"HTTP/1.1 301"), Ok(301));
        assert_eq!(status(b"HTTP/1.1 502 Bad Gateway\r\n"), Ok(502));
        assert!(status(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(status(b"HTTP/1.1 2000 OK\r\n").is_err());
    }

    #[test]
    fn the_body_follows_the_blank_line_and_is_cut_at_keep() {
        let raw = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nv1\n";
        let r = parse_response(raw, Take::Body { keep: 100 }).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "v1\n"));
        let r = parse_response(raw, Take::Body { keep: 1 }).unwrap();
        assert_eq!(r.body, "v");
        assert!(parse_response(b"HTTP/1.0 200 OK\r\n", Take::Body { keep: 9 }).is_err());
    }

    /// Serves one connection: returns what the client sent.
    fn serve_once(answer: &'static [u8]) -> (Target, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 512];
            while !request.ends_with(b"\r\n\r\n") {
                match s.read(&mut buf).unwrap() {
                    0 => break,
                    n => request.extend_from_slice(&buf[..n]),
                }
            }
            s.write_all(answer).unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        (Target::Tcp(addr), server)
    }

    #[test]
    fn a_get_sends_http_1_0_with_the_host_and_reads_the_answer() {
        let (target, server) = serve_once(b"HTTP/1.1 503 Busy\r\n\r\nlater\n");
        let long = Duration::from_secs(20);
        let r = get(
            &target,
            "localhost:1",
            "/h?x=1",
            Take::Body { keep: 99 },
            long,
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (503, "later\n"));
        let request = server.join().unwrap();
        assert!(request.starts_with("GET /h?x=1 HTTP/1.0\r\n"), "{request}");
        assert!(request.contains("\r\nHost: localhost:1\r\n"), "{request}");
        assert!(request.contains("\r\nConnection: close\r\n"), "{request}");
    }

    #[test]
    fn a_refused_or_silent_server_is_an_error_that_names_it() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = get(&addr.into(), "x", "/", Take::Status, Duration::from_secs(5)).unwrap_err();
        assert!(err.starts_with(&format!("connect to {addr}: ")), "{err}");
        let (target, server) = serve_once(b"");
        let err = get(&target, "x", "/", Take::Status, Duration::from_secs(20)).unwrap_err();
        assert!(err.contains("without an answer"), "{err}");
        server.join().unwrap();
    }
}
