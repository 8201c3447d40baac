//! Collects a build's output so that a failed build can be shown as one block under its
//! verdict, instead of scrolling past interleaved with the running app's log.
//!
//! Bounded: only the last [`MAX_LINES`] lines are kept. Never decides what is shown.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Lines kept per build; a compiler that prints more is cut from the front.
pub const MAX_LINES: usize = 2000;

/// The output of one build, being collected by two reader threads.
pub struct Capture {
    lines: Arc<Mutex<Lines>>,
    /// Each reader sends once when its stream reached EOF.
    done: mpsc::Receiver<()>,
}

#[derive(Default)]
struct Lines {
    kept: VecDeque<String>,
    dropped: usize,
}

impl Capture {
    /// Starts reading both streams. With `echo`, each line is also written to hotdev's stderr
    /// as it arrives (`-v`).
    pub fn start(
        stdout: impl Read + Send + 'static,
        stderr: impl Read + Send + 'static,
        echo: bool,
    ) -> io::Result<Capture> {
        let lines = Arc::new(Mutex::new(Lines::default()));
        let (done_tx, done) = mpsc::channel();
        for (name, stream) in [
            ("hotdev-build-out", Box::new(stdout) as Box<dyn Read + Send>),
            ("hotdev-build-err", Box::new(stderr)),
        ] {
            let lines = Arc::clone(&lines);
            let done_tx = done_tx.clone();
            thread::Builder::new().name(name.into()).spawn(move || {
                collect(stream, &lines, echo);
                let _ = done_tx.send(());
            })?;
        }
        Ok(Capture { lines, done })
    }

    /// Waits until both streams reached EOF (every process of the build closed them), but no
    /// longer than `grace` — a daemon the build left behind may hold a pipe open for ever —
    /// and returns the lines, with a first line saying how many were cut if any were.
    pub fn finish(self, grace: Duration) -> Vec<String> {
        let deadline = Instant::now() + grace;
        for _ in 0..2 {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.done.recv_timeout(left).is_err() {
                break;
            }
        }
        let Ok(mut lines) = self.lines.lock() else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(lines.kept.len() + 1);
        if lines.dropped > 0 {
            out.push(format!("… {} earlier lines not shown", lines.dropped));
        }
        out.extend(lines.kept.drain(..));
        out
    }
}

fn collect(stream: impl Read, lines: &Mutex<Lines>, echo: bool) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        let line = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        if echo {
            let _ = writeln!(io::stderr(), "{line}");
        }
        if let Ok(mut lines) = lines.lock() {
            if lines.kept.len() == MAX_LINES {
                lines.kept.pop_front();
                lines.dropped += 1;
            }
            lines.kept.push_back(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_both_streams_in_full() {
        let capture = Capture::start(&b"a\nb\n"[..], &b"main.go:3:1: oops\n"[..], false)
            .expect("threads start");
        let mut lines = capture.finish(Duration::from_secs(5));
        lines.sort();
        assert_eq!(lines, vec!["a", "b", "main.go:3:1: oops"]);
    }

    #[test]
    fn keeps_a_last_line_without_newline_and_invalid_utf8() {
        let capture = Capture::start(&b"x\n\xffy"[..], io::empty(), false).expect("threads start");
        assert_eq!(
            capture.finish(Duration::from_secs(5)),
            vec!["x", "\u{fffd}y"]
        );
    }

    #[test]
    fn long_output_is_cut_from_the_front_and_says_so() {
        let text: String = (0..MAX_LINES + 5).map(|i| format!("{i}\n")).collect();
        let capture =
            Capture::start(io::Cursor::new(text), io::empty(), false).expect("threads start");
        let lines = capture.finish(Duration::from_secs(5));
        assert_eq!(lines[0], "… 5 earlier lines not shown");
        assert_eq!(lines[1], "5");
        assert_eq!(lines.len(), MAX_LINES + 1);
    }
}
