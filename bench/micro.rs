//! In-process measurements of hotdev's parts, through its library: the watcher (a write to its
//! change set, and setting up 2,000 directories), the `tcp` readiness probe and the notify
//! socket. They print numbers; they were `#[ignore]`d unit tests before (BENCHMARKS.md).
//!
//!     bench/run.sh micro            # cargo bench --bench micro (release)
//!     bench/run.sh micro notify     # one of: write, dirs, probe, notify
//!
//! Under `cargo test --all-targets` (no `--bench` argument) every measurement runs once with
//! tiny counts and no threshold, so that it keeps compiling and working.

use std::fs;
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hotdev::bus::{self, Input, Receiver};
use hotdev::engine::Event;
use hotdev::filter::Filter;
use hotdev::ready::{self, Check, NotifySocket, Readiness, Registry};
use hotdev::watch::{WatchConfig, Watcher};

/// Turns a hang into a failure; no measurement waits this long.
const DEADLINE: Duration = Duration::from_secs(20);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let full = args.iter().any(|a| a == "--bench");
    let only: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    type Measurement = fn(bool);
    let runs: [(&str, Measurement); 4] = [
        ("write", write_latency),
        ("dirs", watches_for_2000_dirs),
        ("probe", probe_latency),
        ("notify", notify_latency),
    ];
    for (name, run) in runs {
        if only.is_empty() || only.contains(&name) {
            run(full);
        }
    }
}

/// The `q` quantile of `samples` (0: the minimum, 1: the maximum); sorts them.
fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * q) as usize]
}

fn watch_config(root: &Path) -> WatchConfig {
    WatchConfig::under(root)
}

fn temp_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    (dir, root)
}

fn next_change(rx: &Receiver) {
    let end = Instant::now() + DEADLINE;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Input::Event(Event::Changed(_))) => return,
            Ok(_) => continue,
            Err(e) => panic!("no change within {DEADLINE:?}: {e}"),
        }
    }
}

/// A write to a watched file → its change set, with the default 50 ms debounce.
fn write_latency(full: bool) {
    let (_dir, root) = temp_root();
    let file = root.join("main.go");
    fs::write(&file, "").expect("write");
    let cfg = watch_config(&root);
    let (tx, rx) = bus::channel();
    let filter = Filter::new(&cfg, &root).expect("filter");
    let _watch = Watcher::start(&cfg, filter, tx).expect("watch");
    match rx.recv_timeout(DEADLINE) {
        Ok(Input::Watching(_)) => {}
        other => panic!("expected the watcher to be set up, got {other:?}"),
    }
    let mut samples = Vec::new();
    for i in 0..if full { 15 } else { 1 } {
        let t0 = Instant::now();
        fs::write(&file, format!("{i}")).expect("write");
        next_change(&rx);
        samples.push(t0.elapsed());
    }
    println!(
        "watch, debounce 50ms: write -> change set over {} runs: min {:?}, median {:?}, max {:?}",
        samples.len(),
        quantile(&mut samples, 0.0),
        quantile(&mut samples, 0.5),
        quantile(&mut samples, 1.0)
    );
}

/// `Filter::new` and `Watcher::start` on 2,102 directories, half of them under a gitignored
/// `vendor/` (which must not be watched).
fn watches_for_2000_dirs(full: bool) {
    let (_dir, root) = temp_root();
    fs::write(root.join(".gitignore"), "vendor/\n").expect("write .gitignore");
    let n = if full { 1000 } else { 10 };
    for i in 0..n {
        for top in ["src", "vendor"] {
            fs::create_dir_all(root.join(format!("{top}/m{}/p{i}", i % 50))).expect("mkdir");
        }
    }
    let cfg = watch_config(&root);
    let t0 = Instant::now();
    let filter = Filter::new(&cfg, &root).expect("filter");
    let t_filter = t0.elapsed();
    let (tx, rx) = bus::channel();
    let t1 = Instant::now();
    let watch = Watcher::start(&cfg, filter, tx).expect("watch");
    let t_start = t1.elapsed();
    // The set-up runs on the watcher's thread: count the watches once it is done.
    let set_up = loop {
        match rx.recv_timeout(DEADLINE) {
            Ok(Input::Watching(_)) => break t1.elapsed(),
            Ok(_) => continue,
            Err(e) => panic!("the watcher was not set up within {DEADLINE:?}: {e}"),
        }
    };
    println!(
        "watch, {n} dirs under src/ and {n} under gitignored vendor/: {} watches; \
         Filter::new {t_filter:?}, Watcher::start {t_start:?}, set up after {set_up:?}",
        watch.watched_dirs()
    );
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn next_event(rx: &Receiver) -> Event {
    match rx.recv_timeout(DEADLINE) {
        Ok(Input::Event(event)) => event,
        other => panic!("expected an event within {DEADLINE:?}, got {other:?}"),
    }
}

/// A `tcp` readiness probe: the app's `listen` → `Event::Ready`.
fn probe_latency(full: bool) {
    let mut samples = Vec::new();
    for generation in 1..=if full { 40 } else { 2 } {
        let (tx, rx) = bus::channel();
        let port = free_port();
        ready::start_check(
            &Readiness::Tcp(format!("127.0.0.1:{port}")),
            Check::new(generation),
            Duration::from_secs(60),
            tx,
        );
        // Spread the phase against the probe's 25 ms interval.
        std::thread::sleep(Duration::from_millis(7 * (generation % 5)));
        let started = Instant::now();
        let _listener = TcpListener::bind(("127.0.0.1", port)).expect("bind late");
        assert_eq!(next_event(&rx), Event::Ready { generation });
        samples.push(started.elapsed());
    }
    println!(
        "ready, tcp probe: listen -> Event::Ready over {} runs: p50 {:?}, max {:?}",
        samples.len(),
        quantile(&mut samples, 0.5),
        quantile(&mut samples, 1.0)
    );
}

/// The notify socket: `READY=1` sent → `Event::Ready`. The bench fails if the median is over
/// 50 ms (it is well under a millisecond).
fn notify_latency(full: bool) {
    let socket = NotifySocket::open().expect("open the notify socket");
    let registry = Registry::new();
    let (tx, rx) = bus::channel();
    socket.serve(registry.clone(), tx).expect("serve");
    // This process's own group stands in for a generation.
    let own = nix::unistd::getpgid(None).expect("getpgid").as_raw();
    let me = UnixDatagram::unbound().expect("socket");
    let mut samples = Vec::new();
    for generation in 1..=if full { 2000 } else { 2 } {
        registry.register(generation, own);
        let start = Instant::now();
        me.send_to(b"READY=1", socket.path()).expect("send");
        assert_eq!(next_event(&rx), Event::Ready { generation });
        samples.push(start.elapsed());
        registry.unregister(generation);
    }
    let p50 = quantile(&mut samples, 0.5);
    println!(
        "ready, notify: READY=1 -> Event::Ready over {} runs: p50 {p50:?}, p99 {:?}, max {:?}",
        samples.len(),
        quantile(&mut samples, 0.99),
        quantile(&mut samples, 1.0)
    );
    if full {
        assert!(
            p50 < Duration::from_millis(50),
            "notify p50 {p50:?} over 50ms"
        );
    }
}
