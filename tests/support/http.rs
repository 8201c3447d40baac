//! Ports and HTTP for the tests: a free port, and GETs through `hotdev::http` (the client the
//! readiness probe and `smoke --check` use), with the body and the reason of a failure.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

pub use hotdev::http::Target;
use hotdev::http::{self, Take};

use super::wait_until;

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, drop the socket), and never
/// one this test binary handed out before: the kernel may give a just-released port again, and
/// two tests running side by side must not share one (two delve tests did: one attached to the
/// other's debugger).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind 127.0.0.1:0")
            .local_addr()
            .expect("local address")
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if given.insert(port) {
            return port;
        }
    }
}

/// `127.0.0.1:<a free port>`.
pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// Bound on one request, connect to last byte: generous, a dev server answers in milliseconds.
const REQUEST: Duration = Duration::from_secs(10);

/// `GET <path>` over a new connection (HTTP/1.0, `Connection: close`). Ok(body) on a 200
/// answer; Err with the reason otherwise (refused, reset, timeout, other status).
pub fn http_get(target: impl Into<Target>, path: &str) -> Result<String, String> {
    let target = target.into();
    let answer = http::get(
        &target,
        "localhost",
        path,
        Take::Body { keep: usize::MAX },
        REQUEST,
    )?;
    if answer.status != 200 {
        return Err(format!("status {}, body {:?}", answer.status, answer.body));
    }
    Ok(answer.body)
}

/// [`http_get`] with the body trimmed, Err for an empty one.
pub fn get_trimmed(target: impl Into<Target>, path: &str) -> Result<String, String> {
    let body = http_get(target, path)?;
    let body = body.trim().to_string();
    if body.is_empty() {
        return Err("empty body".into());
    }
    Ok(body)
}

/// Waits until `GET path` answers `expected` (trimmed).
pub fn wait_body(
    target: impl Into<Target>,
    path: &str,
    expected: &str,
    timeout: Duration,
) -> Result<(), String> {
    let target = target.into();
    let mut last = String::new();
    let what = format!("{target}{path} to answer {expected:?}");
    wait_until(timeout, &what, || match get_trimmed(target.clone(), path) {
        Ok(b) if b == expected => true,
        Ok(b) => {
            last = format!("body {b:?}");
            false
        }
        Err(e) => {
            last = e;
            false
        }
    })
    .map_err(|e| format!("{e}; last: {last}"))
}
