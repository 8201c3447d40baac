//! Requests to `--check`: a single GET (through [`crate::http`], a new connection each), a
//! bounded retry for readiness, and a light request loop that counts failures per reload
//! window. Only plain `http://` URLs: the app under test is local.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::http::{self, Take};

/// A parsed `--check` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url(http::Url);

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        http::Url::parse(text)
            .map(Url)
            .map_err(|e| format!("--check {text}: {e}; e.g. http://127.0.0.1:8080/"))
    }
}

/// How long one request may take, connect to last byte.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What is kept of a body (nothing looks at it; the rest is read and dropped, so the server
/// sees a clean close).
const KEEP: usize = 4096;

/// One GET; `Ok` only for a 2xx status.
pub fn get(Url(url): &Url) -> Result<(), String> {
    // The first address, as a browser would try first (resolve never returns none).
    let addr = url.addrs()?[0];
    let target = addr.into();
    let answer = http::get(
        &target,
        &url.authority,
        &url.path,
        Take::Body { keep: KEEP },
        REQUEST_TIMEOUT,
    )?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(format!("{addr} answered {}", answer.status))
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
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn urls_keep_host_port_and_path() {
        let Url(url) = Url::parse("http://127.0.0.1:8080/health?x=1").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 8080));
        assert_eq!(url.path, "/health?x=1");
        assert_eq!(Url::parse("http://localhost").unwrap().0.port, 80);
        let err = Url::parse("https://x/").unwrap_err();
        assert!(err.starts_with("--check https://x/: only http://"), "{err}");
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
