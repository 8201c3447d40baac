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

/// Copies `input` to `output` until EOF. A failing `output` (e.g. hotdev's stdout closed) is
/// given up on, but `input` is still drained so the child never blocks on a full pipe.
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
        let (len, line_ends) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let chunk = &buf[..len];
        if let Some(out) = output.as_mut()
            && out.write_all(chunk).and_then(|()| out.flush()).is_err()
        {
            output = None;
        }
        if let Some(m) = matcher {
            let room = MAX_MATCHED_LINE.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if line_ends {
                if !keep_looking(m, &line) {
                    matcher = None;
                }
                line.clear();
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
