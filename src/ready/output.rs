//! Passes a piped generation's stdout/stderr through to hotdev's own, byte for byte, settles a
//! `log` check on the first line that matches, and keeps the last lines (a [`Tail`]) for a
//! look at why the generation exited. It never alters or drops output.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use regex::Regex;

use super::check::Check;

/// Longest line prefix the matcher looks at; the output itself is never cut.
const MAX_MATCHED_LINE: usize = 64 * 1024;

#[derive(Debug)]
struct LineMatcher {
    regex: Regex,
    check: Check,
}

/// Lines kept by a [`Tail`], the newest last.
const TAIL_LINES: usize = 40;

/// Bytes kept of one line in a [`Tail`].
const TAIL_LINE_BYTES: usize = 1024;

/// The last lines a generation wrote on its piped streams (bounded: [`TAIL_LINES`] lines of at
/// most [`TAIL_LINE_BYTES`]), for a look at why it exited. Clones share the lines.
#[derive(Debug, Clone, Default)]
pub struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    /// The lines so far, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|lines| lines.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn push(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\n', '\r']);
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(text.to_owned());
        }
    }
}

/// Tells when the forwarding threads have copied their streams to the end.
pub struct Drained {
    done: mpsc::Receiver<()>,
    streams: usize,
}

impl Drained {
    /// Waits until every stream reached EOF, but no longer than `grace` (a daemon the app left
    /// behind may hold a pipe open for ever).
    pub fn wait(self, grace: Duration) {
        let deadline = Instant::now() + grace;
        for _ in 0..self.streams {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.done.recv_timeout(left).is_err() {
                return;
            }
        }
    }
}

/// Starts one thread per piped stream that copies it to hotdev's stdout / stderr unchanged
/// (flushed per line, or per read for a partial line such as a prompt) until EOF. With `log`,
/// the first line on either stream that matches settles the check ready; with `tail`, the last
/// lines are kept there. With `prefix` (an app of several), each line starts with it.
pub fn forward_output(
    stdout: Option<impl Read + Send + 'static>,
    stderr: impl Read + Send + 'static,
    log: Option<(Regex, Check)>,
    tail: Option<Tail>,
    prefix: Option<&str>,
) -> io::Result<Drained> {
    let prefixed = |out: Box<dyn Write + Send>| -> Box<dyn Write + Send> {
        match prefix {
            Some(prefix) => Box::new(Prefixed::new(out, prefix)),
            None => out,
        }
    };
    let (out, err) = (
        prefixed(Box::new(io::stdout())),
        prefixed(Box::new(io::stderr())),
    );
    let matcher = log.map(|(regex, check)| Arc::new(LineMatcher { regex, check }));
    let (done_tx, done) = mpsc::channel();
    let mut streams = 0;
    if let Some(stdout) = stdout {
        let (matcher, tail, done_tx) = (matcher.clone(), tail.clone(), done_tx.clone());
        thread::Builder::new()
            .name("hotdev-stdout".into())
            .spawn(move || {
                pump(stdout, out, matcher.as_deref(), tail.as_ref());
                let _ = done_tx.send(());
            })?;
        streams += 1;
    }
    thread::Builder::new()
        .name("hotdev-stderr".into())
        .spawn(move || {
            pump(stderr, err, matcher.as_deref(), tail.as_ref());
            let _ = done_tx.send(());
        })?;
    streams += 1;
    Ok(Drained { done, streams })
}

/// Copies `input` to `output` until EOF, one write and flush per read (not per line: a chatty
/// app must not be throttled by hotdev's copy), so a partial line such as a prompt still goes
/// out at once. Matching is done on the bytes already read, each line bounded by
/// `MAX_MATCHED_LINE`, and stops once the check is settled. A failing `output` (e.g. hotdev's
/// stdout closed) is given up on, but `input` is still drained so the child never blocks on a
/// full pipe.
fn pump(input: impl Read, output: impl Write, matcher: Option<&LineMatcher>, tail: Option<&Tail>) {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut output = Some(output);
    let mut matcher = matcher.filter(|m| m.check.is_pending());
    let mut line = Vec::new();
    let mut tail_line = Vec::new();
    loop {
        let buf = match input.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let len = buf.len();
        if let Some(out) = output.as_mut()
            && out.write_all(buf).and_then(|()| out.flush()).is_err()
        {
            output = None;
        }
        if let Some(tail) = tail {
            for piece in buf.split_inclusive(|&b| b == b'\n') {
                let room = TAIL_LINE_BYTES.saturating_sub(tail_line.len());
                tail_line.extend_from_slice(&piece[..piece.len().min(room)]);
                if piece.ends_with(b"\n") {
                    tail.push(&tail_line);
                    tail_line.clear();
                }
            }
        }
        if let Some(m) = matcher {
            for piece in buf.split_inclusive(|&b| b == b'\n') {
                let room = MAX_MATCHED_LINE.saturating_sub(line.len());
                line.extend_from_slice(&piece[..piece.len().min(room)]);
                if piece.ends_with(b"\n") {
                    let wanted = keep_looking(m, &line);
                    line.clear();
                    if !wanted {
                        matcher = None;
                        break;
                    }
                }
            }
        }
        input.consume(len);
    }
    if let Some(m) = matcher
        && !line.is_empty()
    {
        keep_looking(m, &line);
    }
    if let Some(tail) = tail
        && !tail_line.is_empty()
    {
        tail.push(&tail_line);
    }
}

/// A writer that starts every line with a prefix (an app's name), writing each chunk with its
/// prefixes in one `write` so that apps sharing hotdev's stdout never split each other's lines
/// more than their own writes do.
pub struct Prefixed<W> {
    out: W,
    prefix: Vec<u8>,
    at_line_start: bool,
}

impl<W> Prefixed<W> {
    pub fn new(out: W, prefix: &str) -> Prefixed<W> {
        Prefixed {
            out,
            prefix: prefix.as_bytes().to_vec(),
            at_line_start: true,
        }
    }
}

impl<W: Write> Write for Prefixed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut chunk = Vec::with_capacity(buf.len() + self.prefix.len() * 2);
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            if self.at_line_start {
                chunk.extend_from_slice(&self.prefix);
            }
            chunk.extend_from_slice(piece);
            self.at_line_start = piece.ends_with(b"\n");
        }
        self.out.write_all(&chunk)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Tries one line; returns whether the matcher is still wanted (the check is pending).
fn keep_looking(m: &LineMatcher, line: &[u8]) -> bool {
    if !m.check.is_pending() {
        return false;
    }
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    if m.regex.is_match(text) {
        m.check.ready();
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::Mutex;

    use super::*;
    use crate::bus;
    use crate::engine::Event;
    use crate::ready::testing::{DEADLINE, assert_quiet, next_event, wait_until};

    fn matcher(pattern: &str, check: &Check) -> LineMatcher {
        LineMatcher {
            regex: Regex::new(pattern).expect("regex"),
            check: check.clone(),
        }
    }

    /// A writer the test can read while the pump still runs.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn bytes(&self) -> Vec<u8> {
            self.0.lock().expect("lock").clone()
        }
    }

    #[test]
    fn matching_line_settles_ready_and_every_byte_is_forwarded() {
        let (tx, rx) = bus::channel();
        let check = Check::new(1);
        check.attach(tx);
        let input: &[u8] =
            b"booting \xff\xfe\r\nlistening on :8080\nlistening again\nlast, no newline";
        let mut out = Vec::new();
        pump(
            Cursor::new(input),
            &mut out,
            Some(&matcher("^listening on", &check)),
            None,
        );
        assert_eq!(out, input);
        assert_eq!(next_event(&rx), Event::Ready { generation: 1 });
        assert_quiet(&rx);
    }

    #[test]
    fn no_match_leaves_the_check_pending() {
        let check = Check::new(2);
        let mut out = Vec::new();
        pump(
            Cursor::new(b"a\nb\n"),
            &mut out,
            Some(&matcher("^ready$", &check)),
            None,
        );
        assert_eq!(out, b"a\nb\n");
        assert!(check.is_pending());
    }

    #[test]
    fn a_last_line_without_newline_and_crlf_lines_can_match() {
        for input in [&b"x\nready"[..], b"ready\r\n"] {
            let check = Check::new(3);
            pump(
                Cursor::new(input),
                io::sink(),
                Some(&matcher("^ready$", &check)),
                None,
            );
            assert!(!check.is_pending(), "{input:?}");
        }
    }

    #[test]
    fn a_failing_output_does_not_stop_draining_or_matching() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let check = Check::new(4);
        let mut input = Cursor::new(b"one\ntwo\nready\n".to_vec());
        pump(&mut input, Broken, Some(&matcher("ready", &check)), None);
        assert_eq!(input.position(), 14);
        assert!(!check.is_pending());
    }

    #[test]
    fn lines_are_forwarded_as_they_come_not_at_eof() {
        let (tx, rx) = bus::channel();
        let check = Check::new(5);
        check.attach(tx);
        let (reader, mut writer) = io::pipe().expect("pipe");
        let out = Shared::default();
        let seen = out.clone();
        let pump_check = check.clone();
        let thread = std::thread::spawn(move || {
            pump(reader, out, Some(&matcher("started", &pump_check)), None);
        });
        writer.write_all(b"compiling\n").expect("write");
        wait_until(DEADLINE, "the first line", || {
            seen.bytes() == b"compiling\n"
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(check.is_pending());
        writer.write_all(b"server started\n").expect("write");
        assert_eq!(next_event(&rx), Event::Ready { generation: 5 });
        drop(writer);
        thread.join().expect("pump ends at EOF");
        assert_eq!(seen.bytes(), b"compiling\nserver started\n");
    }

    #[test]
    fn the_tail_keeps_the_last_lines_bounded_and_forwards_every_byte() {
        let tail = Tail::default();
        let mut input = Vec::new();
        for i in 0..TAIL_LINES + 5 {
            input.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        input.extend_from_slice(&[b'x'; 3000]);
        input.extend_from_slice(b"\nbind: address already in use");
        let mut out = Vec::new();
        pump(Cursor::new(&input), &mut out, None, Some(&tail));
        assert_eq!(out, input);
        let lines = tail.lines();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 7");
        assert_eq!(lines[TAIL_LINES - 2].len(), TAIL_LINE_BYTES);
        assert_eq!(lines[TAIL_LINES - 1], "bind: address already in use");
    }
}
