//! Requests to `--check`: a single GET over a plain `TcpStream` (HTTP/1.0, a new connection
//! each), a bounded retry for readiness, and a light request loop that counts failures per
//! reload window. Only plain `http://` URLs: the app under test is local.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A parsed `http://host:port/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        let rest = text.strip_prefix("http://").ok_or_else(|| {
            format!(
                "--check {text}: only plain http:// URLs are supported, e.g. http://127.0.0.1:8080/"
            )
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| format!("--check {text}: `{p}` is not a port number"))?;
                (h, port)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("--check {text}: the URL has no host"));
        }
        Ok(Url {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            path: path.to_string(),
        })
    }

    fn addr(&self) -> Result<SocketAddr, String> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("{} has no address", self.host))
    }
}

/// How long one request may take, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One GET; `Ok` only for a 2xx status.
pub fn get(url: &Url) -> Result<(), String> {
    let addr = url.addr()?;
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut stream = TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT)
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    let _ = stream.set_read_timeout(Some(left));
    let _ = stream.set_write_timeout(Some(left));
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: hotdev-smoke\r\nConnection: close\r\n\r\n",
        url.path, url.host, url.port
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    // The status line is all we need; read the rest so the server sees a clean close.
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n.min(4096usize.saturating_sub(head.len()))]),
            Err(e) => return Err(format!("read from {addr}: {e}")),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or("");
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| format!("{addr} answered no HTTP status line"))?;
    if (200..300).contains(&code) {
        Ok(())
    } else {
        Err(format!("{addr} answered {code}"))
    }
}

/// GETs until a 2xx or `within` has passed; the error is the last failure.
pub fn probe(url: &Url, within: Duration, stop: &AtomicBool) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let error = match get(url) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
            return Err(error);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Counts of one window (the start step, or one reload).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub ok: u64,
    pub failed: u64,
    /// The first few failures, for the report.
    pub errors: Vec<String>,
}

/// The request loop: ~20 requests per second until stopped.
pub struct Load {
    stop: Arc<AtomicBool>,
    window: Arc<AtomicUsize>,
    counts: Arc<Mutex<Vec<Window>>>,
    thread: Option<thread::JoinHandle<()>>,
}

const INTERVAL: Duration = Duration::from_millis(50);

impl Load {
    pub fn start(url: Url, windows: usize) -> std::io::Result<Load> {
        let stop = Arc::new(AtomicBool::new(false));
        let window = Arc::new(AtomicUsize::new(0));
        let counts = Arc::new(Mutex::new(vec![Window::default(); windows]));
        let thread = {
            let (stop, window, counts) = (stop.clone(), window.clone(), counts.clone());
            thread::Builder::new()
                .name("smoke-load".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        let index = window.load(Ordering::Relaxed);
                        let result = get(&url);
                        if stop.load(Ordering::Relaxed) {
                            break; // a request cut by the shutdown proves nothing
                        }
                        if let Ok(mut counts) = counts.lock()
                            && let Some(w) = counts.get_mut(index)
                        {
                            match result {
                                Ok(()) => w.ok += 1,
                                Err(e) => {
                                    w.failed += 1;
                                    if w.errors.len() < 3 && !w.errors.contains(&e) {
                                        w.errors.push(e);
                                    }
                                }
                            }
                        }
                        thread::sleep(INTERVAL.saturating_sub(started.elapsed()));
                    }
                })?
        };
        Ok(Load {
            stop,
            window,
            counts,
            thread: Some(thread),
        })
    }

    /// Requests from now on count for window `index`.
    pub fn set_window(&self, index: usize) {
        self.window.store(index, Ordering::Relaxed);
    }

    /// Stops the loop (waits for the request in flight, at most [`REQUEST_TIMEOUT`]) and
    /// returns the counts per window.
    pub fn finish(mut self) -> Vec<Window> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls_keep_host_port_and_path() {
        assert_eq!(
            Url::parse("http://127.0.0.1:8080/health?x=1").unwrap(),
            Url {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/health?x=1".into()
            }
        );
        assert_eq!(Url::parse("http://localhost").unwrap().port, 80);
        assert!(Url::parse("https://x/").is_err());
    }

    fn serve_once(answer: &'static str) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer.as_bytes());
        });
        Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap()
    }

    #[test]
    fn only_2xx_counts_as_success() {
        assert_eq!(get(&serve_once("HTTP/1.0 200 OK\r\n\r\nv1\n")), Ok(()));
        let err = get(&serve_once("HTTP/1.1 503 Busy\r\n\r\n")).unwrap_err();
        assert!(err.contains("503"), "{err}");
    }
}
