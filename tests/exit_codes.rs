//! Every exit code the README documents, produced by the real binary for a real cause: 0 after
//! a stop on request, 1 when the outside world fails hotdev (at start and later), 2 for usage
//! and configuration errors. Each error is one `hotdev: error:` line in plain text.

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const HOTDEV: &str = env!("CARGO_BIN_EXE_hotdev");
/// Generous: only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(60);

/// A project directory holding only `.hotdev.toml`.
fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(".hotdev.toml"), config).expect("write config");
    dir
}

fn hotdev(dir: &Path) -> Command {
    let mut command = Command::new(HOTDEV);
    support::scrub_env(&mut command)
        .current_dir(dir)
        .args(["--no-keys", "--log-format", "json"])
        .stdin(Stdio::null());
    command
}

/// Runs hotdev to its end (it must end by itself); kills its group if it does not in time.
fn run_to_end(mut command: Command) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.process_group(0);
    let child = command.spawn().expect("spawn hotdev");
    let guard = Group(child.id() as i32);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = rx
        .recv_timeout(DEADLINE)
        .expect("hotdev did not exit within the deadline")
        .expect("wait for hotdev");
    drop(guard);
    output
}

/// Kills a process group when dropped, so a failing test leaves nothing running.
struct Group(i32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The one plain-text error line, asserted to be there once.
fn error_line(output: &Output) -> String {
    let text = stderr(output);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("hotdev: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line expected: {text}");
    lines[0].to_string()
}

#[test]
fn a_stop_on_request_exits_0() {
    let dir = project("[run]\ncommand = \"sleep 1000\"\n");
    let mut command = hotdev(dir.path());
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    command.process_group(0);
    let mut child: Child = command.spawn().expect("spawn hotdev");
    let _guard = Group(child.id() as i32);
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("\"event\":\"generation_started\"") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(DEADLINE)
        .expect("generation 1 did not start");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn a_readiness_socket_that_cannot_be_made_exits_1_at_start() {
    let dir = project("[run]\ncommand = \"sleep 1000\"\nready = { notify = true }\n");
    let mut command = hotdev(dir.path());
    command
        .env_remove("XDG_RUNTIME_DIR")
        .env("TMPDIR", dir.path().join("no-such-dir"));
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        error_line(&output).contains("cannot create the readiness socket"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_dead_watcher_exits_1_after_stopping_everything() {
    // The app writes a watched file until the watcher reads an event, and fails (fault
    // injection: the read returns EIO).
    let dir = project("[run]\ncommand = \"while :; do date > x.txt; sleep 0.2; done\"\n");
    let mut command = hotdev(dir.path());
    command.env("HOTDEV_FAULT", "inotify-reader-error");
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("\"event\":\"exit\""), "{text}");
}

#[test]
fn configuration_and_usage_errors_exit_2_with_one_line() {
    let cases = [
        ("[run]\ncommand = \"sleep 1\"\nbogus = 1\n", "bogus"),
        (
            "[run]\ncommand = \"sleep 1\"\n[watch]\nignore = [\"a[\"]\n",
            "a[",
        ),
    ];
    for (config, named) in cases {
        let dir = project(config);
        let output = run_to_end(hotdev(dir.path()));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{config}: {}",
            stderr(&output)
        );
        assert!(
            error_line(&output).contains(named),
            "{config}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_listen_address_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let dir = project("[run]\ncommand = \"sleep 1000\"\n");
    let mut command = hotdev(dir.path());
    command.args(["--listen", &address]);
    let output = run_to_end(command);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        error_line(&output).contains(&address),
        "{}",
        stderr(&output)
    );
}
