//! The dev proxy inside `hotdev`, driven as users run it: keep-alive clients over real swaps,
//! an app that binds its own port, the 502 after a crash, and every `[proxy]` mistake.
//! (The proxy's own HTTP behaviour is tests/proxy.rs; what Chromium sees, browser_proxy.rs.)

mod proxy_support;
mod support;

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use proxy_support::{Client, Sse};
use serde_json::json;
use support::{
    BUILD, FIRST_BUILD, Fixture, Hotdev, SHORT, free_addr, free_port, require_go, run_to_exit,
    wait_until,
};

/// go-web with its `.hotdev.toml` on free ports: (fixture, app address, proxy address).
fn go_web() -> (Fixture, SocketAddr, SocketAddr) {
    require_go();
    let fixture = Fixture::copy("go-web");
    let (app, proxy) = (free_addr(), free_addr());
    for (from, to) in [("127.0.0.1:8080", app), ("127.0.0.1:3000", proxy)] {
        fixture.replace(
            ".hotdev.toml",
            &format!("address = \"{from}\""),
            &format!("address = \"{to}\""),
        );
    }
    (fixture, app, proxy)
}

/// What one keep-alive client without retries saw: answers by version, and failures.
#[derive(Debug, Default)]
struct Seen {
    served: usize,
    failed: Vec<String>,
    last: String,
}

/// A thread that sends `GET /version` on one kept-alive connection after another until told to
/// stop; it never retries a request. A failed connection is counted and replaced.
fn keep_alive_client(
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<std::sync::Mutex<Seen>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut client = None;
        while !stop.load(Ordering::SeqCst) {
            let connection = client.get_or_insert_with(|| Client::connect(address));
            let result = connection.get("GET", "/version", &[]);
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(reply) if reply.status == 200 => {
                    seen.served += 1;
                    seen.last = reply.text().trim().to_string();
                }
                Ok(reply) => seen
                    .failed
                    .push(format!("{} {}", reply.status, reply.text())),
                Err(e) => {
                    seen.failed.push(e.to_string());
                    client = None;
                }
            }
        }
    })
}

#[test]
fn keep_alive_clients_lose_nothing_through_the_proxy_over_twenty_swaps() {
    let (fixture, app, proxy) = go_web();
    let hotdev = Hotdev::start(fixture.path(), &[]);
    hotdev
        .wait_for("generation_ready", &[("generation", json!(1))], FIRST_BUILD)
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let proxied = Arc::new(std::sync::Mutex::new(Seen::default()));
    let direct = Arc::new(std::sync::Mutex::new(Seen::default()));
    let clients = [
        keep_alive_client(proxy, Arc::clone(&stop), Arc::clone(&proxied)),
        keep_alive_client(app, Arc::clone(&stop), Arc::clone(&direct)),
    ];
    let last = |seen: &Arc<std::sync::Mutex<Seen>>| {
        seen.lock().map(|s| s.last.clone()).unwrap_or_default()
    };
    let started = Instant::now();
    for n in 2..=21 {
        let version = format!("v{n}");
        fixture.set_version("version.go", &version);
        hotdev
            .wait_for("generation_ready", &[("generation", json!(n))], BUILD)
            .unwrap();
        wait_until(SHORT, "both clients to see the new version", || {
            last(&proxied) == version && last(&direct) == version
        })
        .unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client thread");
    }
    let (proxied, direct) = (proxied.lock().unwrap(), direct.lock().unwrap());
    eprintln!(
        "20 swaps in {:.1}s: through the proxy {} served, {} failed; direct {} served, {} failed",
        started.elapsed().as_secs_f32(),
        proxied.served,
        proxied.failed.len(),
        direct.served,
        direct.failed.len()
    );
    assert!(
        proxied.failed.is_empty(),
        "{} of {} requests through the proxy failed: {:?}",
        proxied.failed.len(),
        proxied.served + proxied.failed.len(),
        proxied.failed
    );
    assert!(proxied.served >= 20, "served {}", proxied.served);
}

#[test]
fn an_app_that_binds_its_own_port_gets_pages_reloaded_once_it_accepts() {
    require_go();
    let fixture = Fixture::copy("go-web");
    let (app, proxy) = (free_port(), free_port());
    fixture.write(
        ".hotdev.toml",
        &format!(
            "[watch]\nextensions = [\"go\"]\nignore = [\"tmp/**\"]\n\
             [build]\ncommand = \"go build -o tmp/app .\"\n\
             [run]\ncommand = \"tmp/app\"\nenv = {{ PORT = \"{app}\" }}\n\
             [proxy]\naddress = \"{proxy}\"\ntarget = \"127.0.0.1:{app}\"\n"
        ),
    );
    let proxy: SocketAddr = ([127, 0, 0, 1], proxy).into();
    let app: SocketAddr = ([127, 0, 0, 1], app).into();
    let hotdev = Hotdev::start(fixture.path(), &[]);
    // No readiness check configured: up once the target takes connections.
    hotdev
        .wait_for("generation_ready", &[("generation", json!(1))], FIRST_BUILD)
        .unwrap();
    // Generation 1's own reload goes out just after its `generation_ready`: a page that
    // connects before it would take it for generation 2's.
    hotdev
        .wait_for("browser", &[("action", json!("reload"))], SHORT)
        .unwrap();
    let mut page = Sse::open(proxy, "/__hotdev/events");
    page.until("hello").unwrap();
    fixture.set_version("version.go", "v2");
    page.until("reload").unwrap();
    // The moment the page is told to reload, the new version takes connections.
    let connected = TcpStream::connect(app);
    assert!(connected.is_ok(), "{connected:?}");
    let mut client = Client::connect(proxy);
    let reply = client.get("GET", "/version", &[]).unwrap();
    assert_eq!((reply.status, reply.text().trim()), (200, "v2"));
    let order: Vec<String> = hotdev
        .events()
        .iter()
        .filter(|e| {
            support::is(e, "generation_ready")
                || (support::is(e, "browser") && e["action"] == "reload")
                || support::is(e, "generation_started")
        })
        .map(|e| format!("{} {}", e["event"].as_str().unwrap_or(""), e["generation"]))
        .collect();
    let ready2 = order.iter().position(|e| e == "generation_ready 2");
    let reload2 = order.iter().rposition(|e| e.starts_with("browser"));
    assert!(
        matches!((ready2, reload2), (Some(r), Some(b)) if r < b),
        "{order:?}"
    );
}

#[test]
fn a_crashed_app_gives_a_502_with_its_last_output_after_the_hold_timeout() {
    let fixture = Fixture::empty();
    let proxy = free_addr();
    fixture.write(
        ".hotdev.toml",
        &format!(
            "[run]\ncommand = [\"sh\", \"-c\", \"echo 'panic: the app broke' >&2; exit 3\"]\n\
             [proxy]\naddress = \"{proxy}\"\ntarget = \"{}\"\nhold_timeout = \"300ms\"\n",
            free_addr()
        ),
    );
    let hotdev = Hotdev::start(fixture.path(), &[]);
    hotdev
        .wait_for("browser", &[("action", json!("overlay"))], SHORT)
        .unwrap();
    let mut client = Client::connect(proxy);
    let plain = client.get("GET", "/", &[]).unwrap();
    let text = plain.text();
    assert_eq!(plain.status, 502, "{text}");
    assert!(
        text.contains("generation 1 exited on its own (exit 3)"),
        "{text}"
    );
    assert!(text.contains("panic: the app broke"), "{text}");
    let html = client
        .get("GET", "/", &[("Accept", "text/html,application/xhtml+xml")])
        .unwrap();
    let page = html.text();
    assert_eq!(html.status, 502);
    assert!(page.contains("panic: the app broke"), "{page}");
    assert!(page.contains("location.reload()"), "{page}");
}

#[test]
fn proxy_mistakes_are_one_line_with_the_place_and_exit_2() {
    let fixture = Fixture::empty();
    let cases: [(&str, &str); 5] = [
        (
            "[run]\ncommand = \"true\"\n[proxy]\naddres = \"3000\"\n",
            ".hotdev.toml:4:1: unknown key `addres` in `[proxy]`",
        ),
        (
            "[run]\ncommand = \"true\"\n[proxy]\nreload_only = [\"static/**\"]\n",
            "[proxy] has no address",
        ),
        (
            "[run]\ncommand = \"true\"\n[proxy]\naddress = \"3000\"\n",
            "the proxy has no target",
        ),
        (
            "[run]\ncommand = \"true\"\n[[listen]]\naddress = \"8080\"\n[proxy]\naddress = \"8080\"\n",
            ".hotdev.toml:6:11: the proxy address 127.0.0.1:8080 is the app's own address",
        ),
        (
            "[run]\ncommand = \"true\"\n[proxy]\naddress = \"3000\"\ntarget = \"8080\"\nhold_timeout = \"soon\"\n",
            ".hotdev.toml:6:16:",
        ),
    ];
    for (config, expected) in cases {
        fixture.write(".hotdev.toml", config);
        let (code, output) = run_to_exit(fixture.path(), &[]);
        assert_eq!(code, Some(2), "{config}\n{output}");
        assert!(
            output.contains(expected),
            "{config}\nexpected {expected:?} in:\n{output}"
        );
        assert!(output.contains("hint:"), "{output}");
    }
}

#[test]
fn a_proxy_address_in_use_exits_2_and_names_it() {
    let fixture = Fixture::empty();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    fixture.write(
        ".hotdev.toml",
        &format!(
            "[run]\ncommand = \"true\"\n[proxy]\ntarget = \"{}\"\n",
            free_addr()
        ),
    );
    let flag = address.to_string();
    let (code, output) = run_to_exit(fixture.path(), &["--proxy", &flag]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains(&format!("cannot listen on {address} for the proxy")),
        "{output}"
    );
    assert!(output.contains("already in use"), "{output}");
}

#[test]
fn hotdev_config_shows_the_proxy_with_where_each_value_came_from() {
    let fixture = Fixture::copy("go-web");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hotdev"))
        .args(["--proxy", "3001", "config"])
        .current_dir(fixture.path())
        .output()
        .expect("run hotdev config");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    let proxy = text.split("[proxy]").nth(1).unwrap_or_default();
    for line in [
        "address = \"127.0.0.1:3001\"",
        "# from --proxy",
        "target = \"127.0.0.1:8080\"",
        "reload_only = [\"templates/**\", \"static/**\"]",
        "# from .hotdev.toml:",
        "hold_timeout = \"10s\"",
    ] {
        assert!(proxy.contains(line), "{line:?} in:\n{text}");
    }
}

#[test]
fn a_websocket_through_the_proxy_is_closed_cleanly_on_a_swap_and_reconnects() {
    let (fixture, _app, proxy) = go_web();
    let hotdev = Hotdev::start(fixture.path(), &[]);
    hotdev
        .wait_for("generation_ready", &[("generation", json!(1))], FIRST_BUILD)
        .unwrap();
    let connect = || {
        let stream = TcpStream::connect(proxy).expect("connect to the proxy");
        stream.set_read_timeout(Some(BUILD)).expect("read timeout");
        let url = format!("ws://{proxy}/ws");
        let (socket, response) =
            tungstenite::client::client(url.as_str(), stream).expect("WebSocket handshake");
        assert_eq!(response.status(), 101);
        socket
    };
    let mut socket = connect();
    socket.send(tungstenite::Message::text("one")).unwrap();
    assert_eq!(socket.read().unwrap().into_text().unwrap().as_str(), "one");
    fixture.set_version("version.go", "v2");
    // The swap stops generation 1: the page's socket gets a close frame, not a torn stream.
    let closed = socket.read();
    let frame = match closed {
        Ok(tungstenite::Message::Close(Some(frame))) => frame,
        other => panic!("expected a close frame, got {other:?}"),
    };
    eprintln!(
        "closed on the swap with {} {:?}",
        u16::from(frame.code),
        frame.reason
    );
    hotdev
        .wait_for("generation_ready", &[("generation", json!(2))], BUILD)
        .unwrap();
    let mut again = connect();
    again.send(tungstenite::Message::text("two")).unwrap();
    assert_eq!(again.read().unwrap().into_text().unwrap().as_str(), "two");
}

/// A proxy belongs to an app (`[apps.web.proxy]`): next to another app, the page through it
/// gets the client script, the events name the app, and a template edit reloads its pages.
#[test]
fn an_apps_own_proxy_serves_its_pages_next_to_another_app() {
    require_go();
    let fixture = Fixture::copy("go-web");
    let (app, proxy) = (free_addr(), free_addr());
    fixture.write(
        ".hotdev.toml",
        &format!(
            r#"[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[apps.web]
build = {{ command = "go build -o tmp/app ." }}
run = {{ command = "tmp/app", ready = {{ notify = true }} }}

[[apps.web.listen]]
address = "{app}"

[apps.web.proxy]
address = "{proxy}"
reload_only = ["templates/**"]

[apps.side]
build = false
watch = false
run = {{ command = "sleep 1000" }}
"#
        ),
    );
    let hotdev = Hotdev::start(fixture.path(), &[]);
    hotdev
        .wait_for("proxy", &[("app", json!("web"))], SHORT)
        .unwrap();
    hotdev
        .wait_for(
            "generation_ready",
            &[("app", json!("web")), ("generation", json!(1))],
            FIRST_BUILD,
        )
        .unwrap();
    hotdev
        .wait_for("generation_started", &[("app", json!("side"))], SHORT)
        .unwrap();
    // Generation 1's own reload first, so that the page below sees only the template's.
    hotdev
        .wait_for(
            "browser",
            &[("app", json!("web")), ("action", json!("reload"))],
            SHORT,
        )
        .unwrap();
    let page = Client::connect(proxy)
        .get("GET", "/", &[])
        .expect("the page through the proxy");
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("/__hotdev/client.js"),
        "{}",
        page.text()
    );
    let mut events = Sse::open(proxy, "/__hotdev/events");
    events.client_timeout(SHORT);
    assert_eq!(events.next().expect("hello").event, "hello");
    let from = hotdev.cursor();
    fixture.replace("templates/layout.html", "</body>", "<p>edited</p></body>");
    assert_eq!(events.next().expect("reload").event, "reload");
    hotdev
        .wait_event_from(
            from,
            |e| support::is(e, "browser") && e["app"] == "web",
            SHORT,
        )
        .unwrap();
    assert!(
        hotdev.events()[from..]
            .iter()
            .all(|e| !support::is(e, "build_started")),
        "a template edit builds nothing"
    );
}
