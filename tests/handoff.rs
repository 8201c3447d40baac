//! A socket hand-off that cannot work, named: a run command that is a launcher which forks
//! (`go run`, `npm run`) is warned about at start when `[[listen]]` is set, and a generation
//! that exits after binding the pre-bound port itself or refusing `LISTEN_PID` is explained in
//! one line with the fix. Real launchers, real apps, real sockets on 127.0.0.1.

mod support;

use std::process::{Command, Stdio};

use serde_json::json;
use support::{BUILD, FIRST_BUILD, Fixture, Hotdev, SHORT, go_server};

/// `--listen` on a port the kernel picks.
const ANY_PORT: &str = "127.0.0.1:0";

/// `go run .` with `--listen`: warned at start; go-server (go-systemd's strict check) sees
/// LISTEN_PID name `go`, refuses the sockets and exits 3, and hotdev says why.
#[test]
fn go_run_is_warned_about_and_its_refusal_explained() {
    let fx = go_server();
    // Port 0: the kernel picks a free one, so no other test can take it meanwhile.
    let h = Hotdev::start(fx.path(), &["--listen", ANY_PORT, "--run", "go run ."]);
    let warning = h
        .wait_for("warning", &[("kind", json!("forking_wrapper"))], SHORT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("`go run` starts the app as its child")),
        "{warning}"
    );
    assert!(
        warning["hint"]
            .as_str()
            .is_some_and(|m| m.contains("go build -o tmp/app .")),
        "{warning}"
    );
    let refused = h
        .wait_for(
            "warning",
            &[
                ("kind", json!("listen_pid_refused")),
                ("generation", json!(1)),
            ],
            FIRST_BUILD,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("generation 1 refused the pre-bound sockets (\"")
            && message.contains("is not this process"),
        "{refused}"
    );
    assert!(
        refused["hint"]
            .as_str()
            .is_some_and(|m| m.starts_with("`go run` starts the app as its child")),
        "{refused}"
    );
    assert_eq!(h.count("warning"), 2, "{}", h.tail(40));
}

/// `npm run dev` with `--listen`: the Node app (the README's recipe) sees a LISTEN_PID that is
/// npm's, binds $PORT itself, dies of EADDRINUSE, and hotdev says so, in human output too.
#[test]
fn npm_run_binding_the_port_itself_is_explained() {
    let has_npm = Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_npm {
        eprintln!("skipped: `npm` is not on PATH (this test needs Node.js and npm)");
        return;
    }
    let fx = Fixture::empty();
    fx.write(
        "package.json",
        r#"{"name": "app", "version": "1.0.0", "scripts": {"dev": "node server.js"}}"#,
    );
    fx.write(
        "server.js",
        r#"const http = require("http");
const server = http.createServer((req, res) => res.end("ok"));
const target = process.env.LISTEN_PID === String(process.pid)
  ? { fd: 3 }
  : { host: "127.0.0.1", port: Number(process.env.PORT) };
server.listen(target, () => console.log("listening"));
"#,
    );
    let mut h = Hotdev::start_human(
        fx.path(),
        &["--listen", ANY_PORT, "--", "npm", "run", "dev"],
    );
    let ok = support::wait_until(
        BUILD,
        "the warning that generation 1 bound a pre-bound address",
        || {
            h.text()
                .contains("generation 1 tried to bind a pre-bound address itself")
        },
    )
    .is_ok();
    let text = h.text();
    assert!(ok, "{text}");
    assert!(
        text.contains("! `npm run` starts the app as its child: LISTEN_PID names `npm`"),
        "{text}"
    );
    assert!(text.contains("EADDRINUSE"), "{text}");
    assert!(
        text.contains("hint: `npm run` starts the app as its child, so LISTEN_PID does not name the app: run the script's own command"),
        "{text}"
    );
    h.signal(nix::sys::signal::Signal::SIGTERM);
    h.wait_exit(SHORT).unwrap_or_else(|e| panic!("{e}"));
}

/// An app hotdev starts itself that dies of "address already in use": explained, with the
/// general fix, since no launcher is to blame.
#[test]
fn an_app_binding_the_port_itself_gets_the_general_fix() {
    let fx = Fixture::empty();
    let script = "echo \"listen tcp 127.0.0.1:$PORT: bind: address already in use\" >&2; exit 1";
    let h = Hotdev::start(fx.path(), &["--listen", ANY_PORT, "--", "sh", "-c", script]);
    let listening = h
        .wait_for("listening", &[], SHORT)
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listening["address"].as_str().unwrap_or_default().to_owned();
    let bound = h
        .wait_for("warning", &[("kind", json!("bound_itself"))], SHORT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bound["hint"]
            .as_str()
            .is_some_and(|m| m.contains("run the program itself, or `exec` it")),
        "{bound}"
    );
    assert_eq!(
        h.count("warning"),
        1,
        "no start warning for `sh -c`: {}",
        h.tail(20)
    );
    // The app's line still reached hotdev's stderr, unchanged.
    assert!(
        h.text()
            .contains(&format!("stderr| listen tcp {address}: bind")),
        "{}",
        h.tail(20)
    );
}

/// An app that dies for another reason, or binds another port of its own, gets no advice
/// about the hand-off; nor does any app without `[[listen]]`.
#[test]
fn other_exits_get_no_handoff_advice() {
    let fx = Fixture::empty();
    let other = "echo \"listen tcp 127.0.0.1:9: bind: address already in use\" >&2; echo 'LISTEN_PID' >&2; exit 1";
    for args in [
        vec![
            "--listen",
            ANY_PORT,
            "--",
            "sh",
            "-c",
            "echo 'panic: boom' >&2; exit 2",
        ],
        vec!["--", "sh", "-c", other],
    ] {
        let h = Hotdev::start(fx.path(), &args);
        h.wait_for("generation_exited", &[("requested", json!(false))], SHORT)
            .unwrap_or_else(|e| panic!("{e}"));
        h.wait_for("waiting", &[], SHORT)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.count("warning"), 0, "{args:?}: {}", h.tail(20));
    }
}
