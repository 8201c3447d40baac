//! The dev proxy (`hotdev::proxy`) against a real upstream on 127.0.0.1: injection, the event
//! stream, streaming, holding requests while no generation serves, keep-alive across upstream
//! restarts, WebSockets, and what it refuses. No sleeps as synchronisation: waits are on
//! responses or conditions, under deadlines.

mod proxy_support;
mod support;

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use hotdev::proxy::{Proxy, ProxyConfig, Upstream as State};
use proxy_support::{Client, Handler, Head, Sse, Upstream, chunk, free_addr, respond, wait_until};

const PAGE: &str =
    "<!doctype html><html><head><title>t</title></head><body><h1>hi</h1></body></html>";
const SCRIPT: &str = "<script src=\"/__hotdev/client.js\" data-hotdev></script>";
/// Bytes that are not valid anything: gzip's magic, then noise, a NUL and a CRLF.
const GZIP: &[u8] =
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00\r\n\x00\xff";

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().expect("addr")
}

fn proxy_to(target: SocketAddr, hold: Duration) -> Proxy {
    let mut config = ProxyConfig::new(localhost(), target);
    config.hold_timeout = hold;
    Proxy::start(config).expect("start the proxy")
}

/// The app: pages, a fragment, gzip, a chunked page, each answer naming its generation.
fn app(generation: usize) -> Handler {
    Arc::new(move |head: &Head, reader: &mut BufReader<TcpStream>| {
        let generation = generation.to_string();
        let seen = head.header("accept-encoding").unwrap_or("-").to_string();
        match head.path.as_str() {
            "/page" => respond(
                reader,
                "200 OK",
                &[
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("X-Seen-Accept-Encoding", &seen),
                ],
                PAGE.as_bytes(),
            ),
            "/fragment" => respond(
                reader,
                "200 OK",
                &[("Content-Type", "text/html")],
                b"<li>one</li>",
            ),
            "/app.js.gz" => respond(
                reader,
                "200 OK",
                &[
                    ("Content-Type", "application/javascript"),
                    ("Content-Encoding", "gzip"),
                    ("ETag", "\"v1\""),
                    ("X-Seen-Accept-Encoding", &seen),
                ],
                GZIP,
            ),
            "/chunked-page" => {
                let stream = reader.get_mut();
                stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
                )?;
                let (a, b) = PAGE.split_at(20);
                chunk(stream, a.as_bytes())?;
                chunk(stream, b.as_bytes())?;
                chunk(stream, b"")?;
                Ok(true)
            }
            "/close" => respond(
                reader,
                "200 OK",
                &[("Connection", "close")],
                generation.as_bytes(),
            )
            .map(|_| false),
            "/echo" => {
                let reply = format!("{} {} ", head.method, generation).into_bytes();
                respond(reader, "200 OK", &[], &[reply, head.body.clone()].concat())
            }
            _ => respond(
                reader,
                "200 OK",
                &[("Content-Type", "text/plain")],
                generation.as_bytes(),
            ),
        }
    })
}

// --- injection --------------------------------------------------------------------------------

#[test]
fn a_full_html_document_gets_the_client_script_and_a_correct_length() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut client = Client::connect(proxy.local_addr());
    let reply = client
        .get(
            "GET",
            "/page",
            &[("Accept", "text/html"), ("Accept-Encoding", "gzip, br")],
        )
        .expect("page");
    assert_eq!(reply.status, 200);
    let expected = PAGE.replace("</body>", &format!("{SCRIPT}</body>"));
    assert_eq!(reply.text(), expected);
    assert_eq!(
        reply.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    // A document request asks the app for plain HTML, so it can be injected.
    assert_eq!(reply.header("x-seen-accept-encoding"), Some("identity"));

    // A chunked page is injected too, and gets an exact length.
    let reply = client
        .get("GET", "/chunked-page", &[("Accept", "text/html")])
        .expect("chunked page");
    assert_eq!(reply.text(), expected);
    assert_eq!(
        reply.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(reply.header("transfer-encoding"), None);
}

#[test]
fn fragments_are_not_injected() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut client = Client::connect(proxy.local_addr());
    let htmx = client
        .get(
            "GET",
            "/page",
            &[("Accept", "text/html"), ("HX-Request", "true")],
        )
        .expect("htmx");
    assert_eq!(htmx.text(), PAGE, "an htmx request gets the page untouched");
    let fragment = client
        .get("GET", "/fragment", &[("Accept", "text/html")])
        .expect("fragment");
    assert_eq!(fragment.text(), "<li>one</li>");
    assert_eq!(fragment.header("content-length"), Some("12"));
}

#[test]
fn non_html_passes_byte_for_byte_gzip_included() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut client = Client::connect(proxy.local_addr());
    let reply = client
        .get(
            "GET",
            "/app.js.gz",
            &[("Accept", "*/*"), ("Accept-Encoding", "gzip, br")],
        )
        .expect("gzip");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, GZIP);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert_eq!(
        reply.header("content-length"),
        Some(GZIP.len().to_string().as_str())
    );
    assert_eq!(reply.header("etag"), Some("\"v1\""));
    assert_eq!(reply.header("x-seen-accept-encoding"), Some("gzip, br"));
}

#[test]
fn the_client_script_is_served_by_the_proxy() {
    let proxy = proxy_to(free_addr(), Duration::from_millis(100));
    let mut client = Client::connect(proxy.local_addr());
    let reply = client
        .get("GET", "/__hotdev/client.js", &[])
        .expect("client.js");
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|v| v.contains("javascript"))
    );
    assert!(
        reply
            .text()
            .contains("new EventSource(\"/__hotdev/events\")")
    );
}

// --- the event stream -------------------------------------------------------------------------

#[test]
fn a_page_gets_reload_css_build_failed_and_clear_in_order() {
    let proxy = proxy_to(free_addr(), Duration::from_millis(100));
    let handle = proxy.handle();
    let mut page = Sse::open(proxy.local_addr(), "/__hotdev/events");
    let hello = page.next().expect("hello");
    assert_eq!(hello.event, "hello");
    handle.reload();
    handle.css(vec!["static/app.css".into()]);
    handle.build_failed(vec!["./main.go:12:5: undefined: x".into()]);
    handle.clear_error();
    assert_eq!(page.next().expect("reload").event, "reload");
    let css = page.next().expect("css");
    assert_eq!(
        (css.event.as_str(), css.data.as_str()),
        ("css", "[\"static/app.css\"]")
    );
    let failed = page.next().expect("build_failed");
    assert_eq!(failed.event, "build_failed");
    assert_eq!(
        failed.data,
        "{\"title\":\"build failed\",\"lines\":[\"./main.go:12:5: undefined: x\"]}"
    );
    assert_eq!(page.next().expect("clear").event, "clear");
}

#[test]
fn a_page_that_connects_during_a_build_error_is_shown_it() {
    let proxy = proxy_to(free_addr(), Duration::from_millis(100));
    proxy.handle().build_failed(vec![
        "error[E0425]: x".into(),
        "  --> src/main.rs:3:9".into(),
    ]);
    let mut page = Sse::open(proxy.local_addr(), "/__hotdev/events");
    assert_eq!(page.next().expect("hello").event, "hello");
    let failed = page.next().expect("build_failed");
    assert_eq!(failed.event, "build_failed");
    assert!(failed.data.contains("src/main.rs:3:9"), "{}", failed.data);
}

#[test]
fn a_hundred_pages_all_get_the_reload() {
    let proxy = proxy_to(free_addr(), Duration::from_millis(100));
    let mut pages: Vec<Sse> = (0..100)
        .map(|_| Sse::open(proxy.local_addr(), "/__hotdev/events"))
        .collect();
    // Each page is subscribed once it has its hello.
    for page in &mut pages {
        assert_eq!(page.next().expect("hello").event, "hello");
    }
    proxy.handle().reload();
    for (i, page) in pages.iter_mut().enumerate() {
        let event = page.next().unwrap_or_else(|e| panic!("page {i}: {e}"));
        assert_eq!(event.event, "reload", "page {i}");
    }
}

#[test]
fn another_proxy_instance_says_another_hello() {
    let first = proxy_to(free_addr(), Duration::from_millis(100));
    let address = first.local_addr();
    let id = Sse::open(address, "/__hotdev/events")
        .next()
        .expect("hello")
        .data;
    first.shutdown();
    let mut config = ProxyConfig::new(address, free_addr());
    config.hold_timeout = Duration::from_millis(100);
    let second = Proxy::start(config).expect("restart on the same address");
    let again = Sse::open(second.local_addr(), "/__hotdev/events")
        .next()
        .expect("hello")
        .data;
    assert_ne!(id, again, "a restarted proxy must make pages reload once");
}

// --- streaming --------------------------------------------------------------------------------

#[test]
fn an_upstream_event_stream_is_not_buffered() {
    let (release, released) = mpsc::channel::<()>();
    let released = Arc::new(std::sync::Mutex::new(released));
    let handler: Handler = Arc::new(move |_: &Head, reader: &mut BufReader<TcpStream>| {
        let stream = reader.get_mut();
        stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        )?;
        chunk(stream, b"event: tick\ndata: one\n\n")?;
        // The second event only once the test saw the first through the proxy.
        let _ = released
            .lock()
            .expect("lock")
            .recv_timeout(Duration::from_secs(20));
        chunk(stream, b"event: tick\ndata: two\n\n")?;
        chunk(stream, b"")?;
        Ok(true)
    });
    let upstream = Upstream::start(localhost(), handler);
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut stream = Sse::open(proxy.local_addr(), "/stream");
    stream.client_timeout(Duration::from_secs(10));
    let first = stream
        .next()
        .expect("the first event arrives before the second is sent");
    assert_eq!(first.data, "one");
    release.send(()).expect("release");
    assert_eq!(stream.next().expect("second").data, "two");
}

#[test]
fn a_request_body_is_streamed_not_buffered() {
    let (got_first, first_arrived) = mpsc::channel::<Vec<u8>>();
    let got_first = Arc::new(std::sync::Mutex::new(got_first));
    let handler: Handler = Arc::new(move |_: &Head, reader: &mut BufReader<TcpStream>| {
        let mut first = [0u8; 5];
        reader.read_exact(&mut first)?;
        let _ = got_first.lock().expect("lock").send(first.to_vec());
        let mut rest = [0u8; 5];
        reader.read_exact(&mut rest)?;
        respond(reader, "200 OK", &[], &[first, rest].concat())
    });
    let upstream = Upstream::start(localhost(), handler);
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut client = Client::connect(proxy.local_addr());
    client
        .send_head(
            "PUT",
            "/upload",
            &[("Content-Length", "10"), ("X-Stream-Body", "1")],
        )
        .expect("head");
    client.write_raw(b"first").expect("first half");
    let first = first_arrived
        .recv_timeout(Duration::from_secs(20))
        .expect("the app reads the first half before the client sends the second");
    assert_eq!(first, b"first");
    client.write_raw(b"later").expect("second half");
    let reply = client.read_reply(false).expect("reply");
    assert_eq!(reply.text(), "firstlater");
}

// --- holding ----------------------------------------------------------------------------------

#[test]
fn a_held_request_is_served_once_the_app_is_up_and_serving() {
    let target = free_addr();
    let proxy = proxy_to(target, Duration::from_secs(20));
    let handle = proxy.handle();
    handle.set_upstream(State::Unavailable);
    let address = proxy.local_addr();
    let (done, replies) = mpsc::channel();
    let request = std::thread::spawn(move || {
        let reply = Client::connect(address).get("GET", "/", &[]);
        let _ = done.send(reply.map(|r| (r.status, r.text())));
    });
    // A bounded negative check, not synchronisation: nothing answers while unavailable.
    assert!(replies.recv_timeout(Duration::from_millis(300)).is_err());
    let _upstream = Upstream::start(target, app(7));
    handle.set_upstream(State::Serving);
    let reply = replies
        .recv_timeout(Duration::from_secs(20))
        .expect("served")
        .expect("a reply");
    assert_eq!(reply, (200, "7".to_string()));
    request.join().expect("request thread");
}

#[test]
fn a_refused_connect_is_held_like_unavailable() {
    let target = free_addr();
    let proxy = proxy_to(target, Duration::from_secs(20));
    let address = proxy.local_addr();
    let (done, replies) = mpsc::channel();
    let request = std::thread::spawn(move || {
        let reply = Client::connect(address).get("GET", "/", &[]);
        let _ = done.send(reply.map(|r| (r.status, r.text())));
    });
    assert!(replies.recv_timeout(Duration::from_millis(300)).is_err());
    let _upstream = Upstream::start(target, app(3));
    let reply = replies
        .recv_timeout(Duration::from_secs(20))
        .expect("served")
        .expect("a reply");
    assert_eq!(reply, (200, "3".to_string()));
    request.join().expect("request thread");
}

#[test]
fn after_the_hold_timeout_browsers_get_an_html_502_and_others_text() {
    let hold = Duration::from_millis(300);
    let proxy = proxy_to(free_addr(), hold);
    let handle = proxy.handle();
    handle.set_upstream(State::Unavailable);
    handle.build_failed(vec!["./main.go:3:1: syntax error <here>".into()]);
    let mut client = Client::connect(proxy.local_addr());
    let started = Instant::now();
    let page = client
        .get("GET", "/", &[("Accept", "text/html")])
        .expect("502");
    assert!(
        started.elapsed() >= hold,
        "answered before the hold timeout"
    );
    assert_eq!(page.status, 502);
    assert!(
        page.header("content-type")
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let html = page.text();
    assert!(html.contains("reloads itself"), "{html}");
    assert!(html.contains("syntax error &lt;here&gt;"), "{html}");
    assert!(html.contains(SCRIPT), "{html}");

    // Same connection: the 502 did not close it.
    let text = client
        .get("GET", "/api", &[("Accept", "application/json")])
        .expect("502");
    assert_eq!(text.status, 502);
    assert!(
        text.header("content-type")
            .is_some_and(|v| v.starts_with("text/plain"))
    );
    assert!(
        text.text().starts_with("hotdev: the app is not available"),
        "{}",
        text.text()
    );

    // Serving, but nobody listens: the refused connects are held just as long.
    handle.set_upstream(State::Serving);
    let started = Instant::now();
    let refused = client.get("GET", "/", &[]).expect("502");
    assert_eq!(refused.status, 502);
    assert!(started.elapsed() >= hold);
}

#[test]
fn a_request_body_reaches_the_app_even_after_refused_connects() {
    let target = free_addr();
    let proxy = proxy_to(target, Duration::from_secs(20));
    let address = proxy.local_addr();
    let (done, replies) = mpsc::channel();
    let request = std::thread::spawn(move || {
        let reply = Client::connect(address).send("POST", "/echo", b"form=1&x=\x00");
        let _ = done.send(reply.map(|r| (r.status, r.body)));
    });
    assert!(replies.recv_timeout(Duration::from_millis(300)).is_err());
    let _upstream = Upstream::start(target, app(4));
    let (status, body) = replies
        .recv_timeout(Duration::from_secs(20))
        .expect("served")
        .expect("a reply");
    assert_eq!(status, 200);
    assert_eq!(body, b"POST 4 form=1&x=\x00");
    request.join().expect("request thread");
}

// --- keep-alive across swaps ------------------------------------------------------------------

#[test]
fn a_keep_alive_client_loses_nothing_over_twenty_upstream_restarts() {
    let target = free_addr();
    let mut upstream = Upstream::start(target, app(0));
    let proxy = proxy_to(target, Duration::from_secs(20));
    let handle = proxy.handle();
    let address = proxy.local_addr();
    let latest = Arc::new(AtomicUsize::new(usize::MAX));
    let stop = Arc::new(AtomicBool::new(false));
    let client = {
        let (latest, stop) = (Arc::clone(&latest), Arc::clone(&stop));
        std::thread::spawn(move || -> (usize, Vec<String>) {
            // One connection, no retries: any error or non-200 is a lost request.
            let mut client = Client::connect(address);
            let (mut served, mut failed) = (0, Vec::new());
            while !stop.load(Ordering::SeqCst) {
                match client.get("GET", "/", &[]) {
                    Ok(reply) if reply.status == 200 => {
                        served += 1;
                        if let Ok(generation) = reply.text().parse() {
                            latest.store(generation, Ordering::SeqCst);
                        }
                    }
                    Ok(reply) => failed.push(format!("{} {}", reply.status, reply.text())),
                    Err(e) => {
                        failed.push(e.to_string());
                        return (served, failed);
                    }
                }
            }
            (served, failed)
        })
    };
    for generation in 1..=20 {
        wait_until(
            Duration::from_secs(20),
            "the client to reach the app",
            || latest.load(Ordering::SeqCst) == generation - 1 || client.is_finished(),
        )
        .unwrap();
        assert!(!client.is_finished(), "the client stopped early");
        // Every other swap as the shell does it (unavailable, restart, serving); the rest with
        // no word from the shell, so the proxy only sees refused connections.
        let told = generation % 2 == 0;
        if told {
            handle.set_upstream(State::Unavailable);
        }
        upstream.stop();
        upstream = Upstream::start(target, app(generation));
        if told {
            handle.set_upstream(State::Serving);
        }
    }
    wait_until(Duration::from_secs(20), "the last generation", || {
        latest.load(Ordering::SeqCst) == 20 || client.is_finished()
    })
    .unwrap();
    stop.store(true, Ordering::SeqCst);
    let (served, failed) = client.join().expect("client thread");
    assert!(
        failed.is_empty(),
        "{} failed of {}: {failed:?}",
        failed.len(),
        served + failed.len()
    );
    assert!(served >= 21, "served {served}");
    drop(upstream);
}

#[test]
fn an_upstream_connection_close_does_not_close_the_client_connection() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut client = Client::connect(proxy.local_addr());
    for _ in 0..3 {
        let reply = client.get("GET", "/close", &[]).expect("same connection");
        assert_eq!((reply.status, reply.text().as_str()), (200, "1"));
        assert_eq!(reply.header("connection"), None);
    }
}

// --- WebSocket --------------------------------------------------------------------------------

fn websocket_echo() -> Handler {
    Arc::new(|head: &Head, reader: &mut BufReader<TcpStream>| {
        let key = head.header("sec-websocket-key").unwrap_or_default();
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let stream = reader.get_mut();
        write!(
            stream,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        )?;
        let mut socket = tungstenite::WebSocket::from_raw_socket(
            stream.try_clone()?,
            tungstenite::protocol::Role::Server,
            None,
        );
        loop {
            match socket.read() {
                // An app that is killed: its connection ends with no close frame.
                Ok(message) if message.to_text().is_ok_and(|t| t == "vanish") => {
                    socket.get_mut().shutdown(std::net::Shutdown::Both)?;
                    return Ok(false);
                }
                Ok(message) if message.is_text() || message.is_binary() => {
                    socket.send(message).map_err(io::Error::other)?;
                }
                Ok(_) => {}
                Err(_) => return Ok(false),
            }
        }
    })
}

/// A WebSocket to `/ws` through the proxy at `address`, its handshake answered with 101.
fn websocket_to(address: SocketAddr) -> tungstenite::WebSocket<TcpStream> {
    let stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let url = format!("ws://{address}/ws");
    let (socket, response) = tungstenite::client::client(url.as_str(), stream).expect("handshake");
    assert_eq!(response.status(), 101);
    socket
}

#[test]
fn a_websocket_echoes_through_the_proxy() {
    let upstream = Upstream::start(localhost(), websocket_echo());
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut socket = websocket_to(proxy.local_addr());
    for text in ["hello", "through the proxy"] {
        socket.send(tungstenite::Message::text(text)).expect("send");
        let echo = socket.read().expect("echo");
        assert_eq!(echo.into_text().expect("text").as_str(), text);
    }
    socket
        .send(tungstenite::Message::binary(vec![0u8, 1, 2, 255]))
        .expect("send binary");
    assert_eq!(
        socket.read().expect("echo").into_data().as_ref(),
        &[0u8, 1, 2, 255]
    );
    socket.close(None).expect("close");
}

/// An app that goes away without a close frame (killed, crashed): the page still gets a clean
/// close, 1012 "service restart", and can reconnect; not 1006 (abnormal closure).
#[test]
fn a_websocket_whose_app_vanishes_gets_a_clean_close() {
    let upstream = Upstream::start(localhost(), websocket_echo());
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let mut socket = websocket_to(proxy.local_addr());
    socket
        .send(tungstenite::Message::text("hello"))
        .expect("send");
    assert_eq!(
        socket.read().expect("echo").into_text().unwrap().as_str(),
        "hello"
    );
    socket
        .send(tungstenite::Message::text("vanish"))
        .expect("send");
    match socket
        .read()
        .expect("a close frame, not a dropped connection")
    {
        tungstenite::Message::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 1012, "{frame:?}");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

// --- what it refuses --------------------------------------------------------------------------

fn raw(address: SocketAddr, request: &[u8]) -> (u16, Client) {
    let mut client = Client::connect(address);
    client.write_raw(request).expect("write");
    let reply = client.read_reply(false).expect("a response");
    (reply.status, client)
}

#[test]
fn connect_and_absolute_urls_to_other_hosts_are_refused() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let address = proxy.local_addr();
    let (status, _) = raw(
        address,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    );
    assert_eq!(status, 405);
    let (status, _) = raw(
        address,
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    assert_eq!(status, 400);
    // The target itself, in absolute form, is fine.
    let request = format!(
        "GET http://{0}/ HTTP/1.1\r\nHost: {0}\r\n\r\n",
        upstream.addr
    );
    let (status, _) = raw(address, request.as_bytes());
    assert_eq!(status, 200);
}

#[test]
fn malformed_and_oversized_requests_get_400_and_431_and_disturb_no_one() {
    let upstream = Upstream::start(localhost(), app(1));
    let proxy = proxy_to(upstream.addr, Duration::from_secs(5));
    let address = proxy.local_addr();
    let mut bystander = Client::connect(address);
    assert_eq!(bystander.get("GET", "/", &[]).expect("before").status, 200);
    let (status, _) = raw(address, b"NOT HTTP AT ALL\r\n\r\n");
    assert_eq!(status, 400);
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let mut client = Client::connect(address);
    // The proxy may answer and close before reading all of it.
    let _ = client.write_raw(huge.as_bytes());
    let status = client
        .read_reply(false)
        .map(|r| r.status)
        .expect("a response");
    assert_eq!(status, 431);
    assert_eq!(bystander.get("GET", "/", &[]).expect("after").status, 200);
}
