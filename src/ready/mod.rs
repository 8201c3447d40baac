//! Readiness checks (DESIGN.md §5): tell when a new generation is ready, or that it is not.
//!
//! Each check ends in exactly one `Event::Ready` or `Event::NotReady` on the bus, or in nothing
//! once cancelled. Free of hotdev's config beyond [`Readiness`]; decides nothing about swaps.

//!
//! How the shell uses it: open one [`NotifySocket`] and `serve` it with a [`Registry`]; per
//! generation, `register` its process group (→ [`Check`]), [`watch`] the configured kind, and
//! for `log` readiness pass its pipes to [`forward_output`]; `unregister` when it exits or is
//! replaced (that cancels the check: no event follows).

mod spec;
pub use spec::{Readiness, ReadyKind};
mod check;
mod notify;
mod output;
mod probe;
#[cfg(test)]
pub(crate) mod testing;

pub use check::{Check, Registry};
pub use notify::NotifySocket;
pub use output::{Drained, Tail, forward_output};

use std::io;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::bus::Sender;
use crate::engine::NotReady;

/// Starts what `readiness` needs for `check`'s generation and routes `check`'s one event to `tx`:
///
/// - every kind: a timer that settles `NotReady::Timeout` after `timeout` unless settled;
/// - `Notify`: nothing else (the [`NotifySocket`] settles it);
/// - `Log`: nothing else ([`forward_output`] settles it);
/// - `Http` / `Tcp`: a probe every ~25 ms; an address that does not parse is `NotReady::Failed`;
/// - `Delay(d)`: ready after `d`, unless cancelled first.
///
/// Every thread ends as soon as the check is settled or cancelled.
pub fn start_check(readiness: &Readiness, check: Check, timeout: Duration, tx: Sender) {
    if let Err(e) = start(readiness, &check, timeout, tx) {
        check.not_ready(NotReady::Failed(format!(
            "cannot start the readiness check: {e}"
        )));
    }
}

/// [`watch`], returning its threads so tests can wait for them to end.
fn start(
    readiness: &Readiness,
    check: &Check,
    timeout: Duration,
    tx: Sender,
) -> io::Result<Vec<JoinHandle<()>>> {
    let watchdog_tx = tx.clone();
    check.attach(tx);
    let name = |what: &str| format!("hotdev-ready-{}-{what}", check.generation());
    let spawn = |what: &str, f: Box<dyn FnOnce() + Send>| {
        crate::bus::spawn_worker(&name(what), "readiness check", &watchdog_tx, f)
    };
    let mut threads = Vec::new();
    let target = match readiness {
        Readiness::Notify | Readiness::Log(_) => None,
        Readiness::Http(url) => Some(probe::parse_http(url)),
        Readiness::Tcp(addr) => Some(probe::parse_tcp(addr)),
        Readiness::Delay(delay) => {
            let (check, delay) = (check.clone(), *delay);
            threads.push(spawn(
                "delay",
                Box::new(move || {
                    if !check.wait(delay.min(timeout)) {
                        if delay <= timeout {
                            check.ready();
                        } else {
                            check.not_ready(NotReady::Timeout);
                        }
                    }
                }),
            )?);
            return Ok(threads);
        }
    };
    match target {
        None => {}
        Some(Err(msg)) => {
            check.not_ready(NotReady::Failed(msg));
            return Ok(threads);
        }
        Some(Ok(target)) => {
            let check = check.clone();
            threads.push(spawn(
                "probe",
                Box::new(move || probe::run(&target, &check)),
            )?);
        }
    }
    let check = check.clone();
    threads.push(spawn(
        "timeout",
        Box::new(move || {
            if !check.wait(timeout) {
                check.not_ready(NotReady::Timeout);
            }
        }),
    )?);
    Ok(threads)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    use super::*;
    use crate::bus;
    use crate::engine::{Event, GenId};
    use crate::ready::testing::{assert_quiet, free_port, next_event};

    const LONG: Duration = Duration::from_secs(60);

    fn join(threads: Vec<JoinHandle<()>>) {
        for t in threads {
            t.join().expect("a readiness thread panicked");
        }
    }

    fn timeout_of(generation: GenId) -> Event {
        Event::NotReady {
            generation,
            reason: NotReady::Timeout,
        }
    }

    #[test]
    fn timeout_fires_not_ready_exactly_once() {
        let (tx, rx) = bus::channel();
        let check = Check::new(1);
        let threads =
            start(&Readiness::Notify, &check, Duration::from_millis(30), tx).expect("start");
        assert_eq!(next_event(&rx), timeout_of(1));
        join(threads);
        assert!(!check.ready());
        assert_quiet(&rx);
    }

    #[test]
    fn cancel_sends_nothing_and_ends_every_thread() {
        let (tx, rx) = bus::channel();
        let port = free_port();
        for readiness in [
            Readiness::Notify,
            Readiness::Delay(LONG),
            Readiness::Tcp(format!("127.0.0.1:{port}")),
            Readiness::Http(format!("http://127.0.0.1:{port}/")),
        ] {
            let check = Check::new(2);
            let threads = start(&readiness, &check, LONG, tx.clone()).expect("start");
            check.cancel();
            join(threads);
        }
        assert_quiet(&rx);
    }

    #[test]
    fn delay_is_ready_after_the_delay() {
        let (tx, rx) = bus::channel();
        let started = Instant::now();
        let delay = Duration::from_millis(40);
        start_check(&Readiness::Delay(delay), Check::new(3), LONG, tx);
        assert_eq!(next_event(&rx), Event::Ready { generation: 3 });
        assert!(started.elapsed() >= delay);
    }

    #[test]
    fn delay_longer_than_the_timeout_times_out() {
        let (tx, rx) = bus::channel();
        let check = Check::new(4);
        let threads = start(
            &Readiness::Delay(LONG),
            &check,
            Duration::from_millis(20),
            tx,
        )
        .expect("start");
        assert_eq!(next_event(&rx), timeout_of(4));
        join(threads);
        assert_quiet(&rx);
    }

    #[test]
    fn tcp_probe_is_ready_once_something_listens() {
        let (tx, rx) = bus::channel();
        let port = free_port();
        start_check(
            &Readiness::Tcp(format!("127.0.0.1:{port}")),
            Check::new(5),
            LONG,
            tx,
        );
        let _listener = TcpListener::bind(("127.0.0.1", port)).expect("bind late");
        assert_eq!(next_event(&rx), Event::Ready { generation: 5 });
    }

    #[test]
    fn tcp_probe_of_a_closed_port_times_out() {
        let (tx, rx) = bus::channel();
        let check = Check::new(6);
        let port = free_port();
        let threads = start(
            &Readiness::Tcp(format!(":{port}")),
            &check,
            Duration::from_millis(120),
            tx,
        )
        .expect("start");
        assert_eq!(next_event(&rx), timeout_of(6));
        join(threads);
        assert_quiet(&rx);
    }

    /// Answers each connection with the next status line, then stops listening.
    fn serve_statuses(listener: TcpListener, statuses: &[&'static str]) -> Vec<String> {
        let mut requests = Vec::new();
        for status in statuses {
            let (mut conn, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 512];
            while !request.ends_with(b"\r\n\r\n") {
                match conn.read(&mut buf).expect("read the request") {
                    0 => break,
                    n => request.extend_from_slice(&buf[..n]),
                }
            }
            requests.push(String::from_utf8_lossy(&request).into_owned());
            let reply = format!("HTTP/1.0 {status}\r\nContent-Length: 0\r\n\r\n");
            conn.write_all(reply.as_bytes()).expect("reply");
        }
        requests
    }

    #[test]
    fn http_probe_is_ready_once_a_late_server_answers_below_500() {
        let (tx, rx) = bus::channel();
        let port = free_port();
        let url = format!("http://localhost:{port}/health?deep=1");
        start_check(&Readiness::Http(url), Check::new(7), LONG, tx);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind late");
        let requests = serve_statuses(listener, &["503 Service Unavailable", "404 Not Found"]);
        assert_eq!(next_event(&rx), Event::Ready { generation: 7 });
        assert!(requests[0].starts_with("GET /health?deep=1 HTTP/1.0\r\n"));
        assert!(requests[0].contains(&format!("\r\nHost: localhost:{port}\r\n")));
    }

    #[test]
    fn a_probe_address_that_does_not_parse_fails() {
        let (tx, rx) = bus::channel();
        for (generation, readiness) in [
            (8, Readiness::Http("https://127.0.0.1:1/".into())),
            (9, Readiness::Http("127.0.0.1:8080".into())),
            (10, Readiness::Tcp("localhost".into())),
            (11, Readiness::Tcp("127.0.0.1:99999".into())),
        ] {
            let check = Check::new(generation);
            join(start(&readiness, &check, LONG, tx.clone()).expect("start"));
            match next_event(&rx) {
                Event::NotReady {
                    generation: g,
                    reason: NotReady::Failed(msg),
                } => {
                    assert_eq!(g, generation);
                    assert!(!msg.is_empty());
                }
                other => panic!("expected Failed for {readiness:?}, got {other:?}"),
            }
        }
        assert_quiet(&rx);
    }
}
