//! Outside text made safe to print: file names and messages that reach hotdev's own output.
//!
//! A file name may hold any byte but `/` and NUL. Printed raw, a newline forges a status line
//! and an escape sequence clears the screen or retitles the window; serialized strictly, a
//! non-UTF-8 name has no JSON form. So every path is rendered here: escaped for people, lossy
//! for JSON (whose encoder escapes control characters itself). Never panics.

use std::borrow::Cow;
use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `text` with every control character (C0, DEL, C1, and the line and paragraph separators)
/// written as an escape (`\n`, `\t`, `\x1b`, `\u{9b}`), so it stays on one line and cannot
/// drive the terminal. Borrows when there is nothing to escape, the usual case.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

/// A path for people: valid UTF-8 as [`printable`] renders it, every other byte as `\xNN`.
pub fn path(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// A path for JSON: bytes that are not UTF-8 become U+FFFD. The JSON encoder escapes the rest.
pub fn path_lossy(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn needs_escape(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 && needs_escape(c) => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `text` escaped for XML or HTML attributes and content (JUnit reports, the proxy's pages).
/// Characters XML 1.0 cannot carry at all (most C0 controls, e.g. the ESC of colour codes in
/// app or compiler output) become `\u{…}` text.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(printable("a.go changed ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn newlines_and_escapes_cannot_forge_a_line_or_drive_the_terminal() {
        let evil = "evil\nhotdev ✓ build 99 ok 0.01s\x1b[2J\x1b]0;TITLE\x07.txt";
        let shown = printable(evil);
        assert_eq!(
            shown,
            "evil\\nhotdev ✓ build 99 ok 0.01s\\x1b[2J\\x1b]0;TITLE\\x07.txt"
        );
        assert!(!shown.chars().any(char::is_control));
    }

    #[test]
    fn c1_controls_and_line_separators_are_escaped() {
        assert_eq!(
            printable("a\u{9b}2Jb\u{2028}c\u{7f}"),
            "a\\u{9b}2Jb\\u{2028}c\\x7f"
        );
    }

    #[test]
    fn a_non_utf8_path_shows_its_bytes() {
        let name = Path::new(OsStr::from_bytes(b"src/bad\xff\xfe.go"));
        assert_eq!(path(name), "src/bad\\xff\\xfe.go");
        assert_eq!(path_lossy(name), "src/bad\u{fffd}\u{fffd}.go");
    }

    #[test]
    fn a_path_with_a_newline_stays_on_one_line() {
        assert_eq!(path(Path::new("a\nb\x1b.go")), "a\\nb\\x1b.go");
    }
}
