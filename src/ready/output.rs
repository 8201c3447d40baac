//! Passes a piped generation's stdout/stderr through to hotdev's own, byte for byte, and
//! settles a `log` check on the first line that matches. It never alters or drops output.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use regex::Regex;

use super::check::Check;

/// Longest line prefix the matcher looks at; the output itself is never cut.
const MAX_MATCHED_LINE: usize = 64 * 1024;

#[derive(Debug)]
struct LineMatcher {
    regex: Regex,
    check: Check,
}

/// Starts one thread per stream that copies it to hotdev's stdout / stderr unchanged (flushed
/// per line, or per read for a partial line such as a prompt) until EOF. With `log`, the first
/// line on either stream that matches settles the check ready. The threads are returned so the
/// caller can wait until the output is drained.
pub fn forward_output(
    stdout: impl Read + Send + 'static,
    stderr: impl Read + Send + 'static,
    log: Option<(Regex, Check)>,
) -> io::Result<[JoinHandle<()>; 2]> {
    let matcher = log.map(|(regex, check)| Arc::new(LineMatcher { regex, check }));
    let out_matcher = matcher.clone();
    let out = thread::Builder::new()
        .name("hotdev-stdout".into())
        .spawn(move || pump(stdout, io::stdout(), out_matcher.as_deref()))?;
    let err = thread::Builder::new()
        .name("hotdev-stderr".into())
        .spawn(move || pump(stderr, io::stderr(), matcher.as_deref()))?;
    Ok([out, err])
}

/// Copies `input` to `output` until EOF, one write and flush per read (not per line: a chatty
/// app must not be throttled by hotdev's copy), so a partial line such as a prompt still goes
/// out at once. Matching is done on the bytes already read, each line bounded by
/// `MAX_MATCHED_LINE`, and stops once the check is settled. A failing `output` (e.g. hotdev's
/// stdout closed) is given up on, but `input` is still drained so the child never blocks on a
/// full pipe.
fn pump(input: impl Read, output: impl Write, matcher: Option<&LineMatcher>) {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut output = Some(output);
    let mut matcher = matcher.filter(|m| m.check.is_pending());
    let mut line = Vec::new();
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
    use crate::ready::testing::{assert_quiet, next_event, wait_until};

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
        pump(&mut input, Broken, Some(&matcher("ready", &check)));
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
            pump(reader, out, Some(&matcher("started", &pump_check)));
        });
        writer.write_all(b"compiling\n").expect("write");
        wait_until("the first line", || seen.bytes() == b"compiling\n");
        assert!(check.is_pending());
        writer.write_all(b"server started\n").expect("write");
        assert_eq!(next_event(&rx), Event::Ready { generation: 5 });
        drop(writer);
        thread.join().expect("pump ends at EOF");
        assert_eq!(seen.bytes(), b"compiling\nserver started\n");
    }
}
