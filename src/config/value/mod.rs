//! Parsers for the value syntaxes that the file and the command line share: durations,
//! signals, commands, listen addresses, readiness checks, globs and extensions.
//!
//! Pure functions from text to typed values. They return a [`Problem`] and never know where
//! the text came from; `resolve` adds the file position or the flag.

use std::str::FromStr;

use nix::sys::signal::Signal;

use super::error::Problem;

mod address;
mod command;
mod duration;
mod ready;

pub use address::{listen_address, probe_hits_listener, probe_target, tcp_address};
pub use command::{program, program_name};
pub use duration::{DEBOUNCE, POLL, TIMEOUT, duration_within};
pub use ready::{readiness, ready_flag};

/// Accepts `SIGTERM`, `TERM`, `term`, `sigterm` and `15`.
pub fn signal(text: &str) -> Result<Signal, Problem> {
    let trimmed = text.trim();
    let parsed = match trimmed.parse::<i32>() {
        Ok(number) => Signal::try_from(number).ok(),
        Err(_) => {
            let upper = trimmed.to_ascii_uppercase();
            let name = if upper.starts_with("SIG") {
                upper
            } else {
                format!("SIG{upper}")
            };
            Signal::from_str(&name).ok()
        }
    };
    parsed.ok_or_else(|| {
        Problem::new(format!("`{text}` is not a signal")).with_hint(
            "use a name such as `SIGTERM`, `TERM`, `SIGINT`, `SIGHUP`, or a number such as `15`",
        )
    })
}

pub fn glob(pattern: &str) -> Result<(), Problem> {
    globset::Glob::new(pattern).map(|_| ()).map_err(|error| {
        Problem::new(format!("`{pattern}` is not a valid glob: {}", error.kind()))
            .with_hint("e.g. \"tmp/**\", \"*.log\" or \"**/*_test.go\"")
    })
}

/// `go`, `.go` and `GO` all mean the extension `go`.
pub fn extension(text: &str) -> Result<String, Problem> {
    let normal = text.trim().trim_start_matches('.').to_lowercase();
    if normal.contains(['*', '/', '?', '[']) || normal.is_empty() {
        return Err(
            Problem::new(format!("`{text}` is not a file extension")).with_hint(
                "write extensions without a pattern, e.g. \"go\"; put globs in `ignore`/`include`",
            ),
        );
    }
    Ok(normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_accept_names_short_names_lowercase_and_numbers() {
        for text in ["SIGTERM", "TERM", "term", "sigterm", "15"] {
            assert_eq!(signal(text).unwrap(), Signal::SIGTERM, "{text}");
        }
        assert_eq!(signal("hup").unwrap(), Signal::SIGHUP);
        let problem = signal("SIGFOO").unwrap_err();
        assert_eq!(problem.message, "`SIGFOO` is not a signal");
        assert!(signal("99").is_err());
    }

    #[test]
    fn globs_and_extensions() {
        assert!(glob("tmp/**").is_ok());
        let problem = glob("src/[a").unwrap_err();
        assert!(
            problem
                .message
                .starts_with("`src/[a` is not a valid glob: unclosed character class"),
            "{problem:?}"
        );
        assert_eq!(extension(".GO").unwrap(), "go");
        assert!(extension("*.go").is_err());
    }
}
