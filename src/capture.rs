//! Collects a build's output so that a failed build can be shown as one block under its
//! verdict, instead of scrolling past interleaved with the running app's log.
//!
//! Bounded whatever a build prints: each line is cut at [`MAX_LINE_BYTES`] (read in bounded
//! chunks, never into an unbounded buffer), and only the last [`MAX_LINES`] lines and at most
//! [`MAX_BYTES`] are kept. Never decides what is shown.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Lines kept per build; a compiler that prints more is cut from the front.
pub const MAX_LINES: usize = 2000;

/// Bytes kept of one line; the rest is dropped and counted in a `… N bytes cut` marker.
pub const MAX_LINE_BYTES: usize = 4096;

/// Bytes kept per build, all lines together; older lines go first.
pub const MAX_BYTES: usize = 1024 * 1024;

/// The output of one build, being collected by two reader threads.
pub struct Capture {
    lines: Arc<Mutex<Lines>>,
    /// Each reader sends once when its stream reached EOF.
    done: mpsc::Receiver<()>,
}

#[derive(Default)]
struct Lines {
    kept: VecDeque<String>,
    /// The bytes of `kept`.
    bytes: usize,
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
        let cut = match read_line_bounded(&mut reader, &mut buf, MAX_LINE_BYTES) {
            Ok(None) => break,
            Ok(Some(cut)) => cut,
            Err(_) => break,
        };
        let mut line = String::from_utf8_lossy(&buf)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        if cut > 0 {
            line.push_str(&format!(" … {cut} bytes cut"));
        }
        if echo {
            let _ = writeln!(io::stderr(), "{line}");
        }
        if let Ok(mut lines) = lines.lock() {
            lines.bytes += line.len();
            lines.kept.push_back(line);
            while lines.kept.len() > MAX_LINES || (lines.bytes > MAX_BYTES && lines.kept.len() > 1)
            {
                if let Some(old) = lines.kept.pop_front() {
                    lines.bytes -= old.len();
                    lines.dropped += 1;
                }
            }
        }
    }
}

/// Reads one line into `buf` (cleared first), keeping at most `max` bytes of it and skipping
/// the rest up to and including its newline. Returns `None` at EOF, else how many bytes were
/// cut. Memory stays bounded by `max` plus the reader's buffer whatever the line's length.
fn read_line_bounded(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<usize>> {
    buf.clear();
    let mut cut = 0;
    let mut read_any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(read_any.then_some(cut));
        }
        read_any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = max.saturating_sub(buf.len());
        let keep = take.min(room);
        buf.extend_from_slice(&chunk[..keep]);
        cut += take - keep;
        reader.consume(take);
        if done {
            // The newline, if it was cut, is not content.
            if keep < take {
                cut -= 1;
            }
            return Ok(Some(cut));
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

    #[test]
    fn a_huge_line_is_cut_and_says_how_much() {
        let mut text = vec![b'x'; MAX_LINE_BYTES + 100];
        text.extend_from_slice(b"\nnext\n");
        let capture =
            Capture::start(io::Cursor::new(text), io::empty(), false).expect("threads start");
        let lines = capture.finish(Duration::from_secs(5));
        assert_eq!(
            lines.len(),
            2,
            "{:?}",
            lines.iter().map(|l| l.len()).collect::<Vec<_>>()
        );
        assert!(lines[0].starts_with(&"x".repeat(MAX_LINE_BYTES)));
        assert!(
            lines[0].ends_with(" … 100 bytes cut"),
            "{}",
            &lines[0][MAX_LINE_BYTES..]
        );
        assert_eq!(lines[1], "next");
    }

    #[test]
    fn the_block_is_bounded_in_bytes() {
        let line = "y".repeat(MAX_LINE_BYTES - 1);
        let text: String = (0..1000).map(|_| format!("{line}\n")).collect();
        let capture =
            Capture::start(io::Cursor::new(text), io::empty(), false).expect("threads start");
        let lines = capture.finish(Duration::from_secs(5));
        let bytes: usize = lines.iter().map(|l| l.len()).sum();
        assert!(bytes <= MAX_BYTES + 100, "{bytes} bytes kept");
        assert!(
            lines[0].ends_with("earlier lines not shown"),
            "{}",
            lines[0]
        );
    }
}
