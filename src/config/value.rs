//! Parsers for the value syntaxes that the file and the command line share: durations,
//! signals, commands, listen addresses, readiness checks, globs and extensions.
//!
//! Pure functions from text to typed values. They return a [`Problem`] and never know where
//! the text came from; `resolve` adds the file position or the flag.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::error::{Problem, did_you_mean};
use super::file::{CommandFile, ReadyFile};
use super::{ListenAddress, Program, Readiness};

const DURATION_HINT: &str = "write a number and a unit, e.g. \"50ms\", \"5s\" or \"1m 30s\"";

/// The range a duration setting accepts: hotdev adds and multiplies durations (a poll
/// interval and a half, a deadline from now), so none may be near the end of time, and a
/// poll interval near zero would burn a core while idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: Duration,
    pub max: Duration,
}

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `watch.debounce`: up to an hour.
pub const DEBOUNCE: Limits = Limits {
    min: Duration::ZERO,
    max: HOUR,
};
/// `watch.poll`: 10ms to an hour.
pub const POLL: Limits = Limits {
    min: Duration::from_millis(10),
    max: HOUR,
};
/// Timeouts and delays (`build.timeout`, `run.stop_timeout`, `run.ready_timeout`,
/// `ready = { delay }`, smoke's `--timeout`): up to a day.
pub const TIMEOUT: Limits = Limits {
    min: Duration::ZERO,
    max: DAY,
};

/// A duration within `limits`.
pub fn duration_within(text: &str, limits: Limits) -> Result<Duration, Problem> {
    let value = duration(text)?;
    if value < limits.min || value > limits.max {
        let range = match limits.min {
            Duration::ZERO => format!("at most {}", humantime::format_duration(limits.max)),
            min => format!(
                "from {} to {}",
                humantime::format_duration(min),
                humantime::format_duration(limits.max)
            ),
        };
        let side = if value < limits.min { "short" } else { "long" };
        return Err(Problem::new(format!(
            "`{}` is too {side}: this setting takes {range}",
            text.trim()
        ))
        .with_hint(DURATION_HINT));
    }
    Ok(value)
}

pub fn duration(text: &str) -> Result<Duration, Problem> {
    if text.trim().is_empty() {
        return Err(Problem::new("the duration is empty").with_hint(DURATION_HINT));
    }
    humantime::parse_duration(text.trim()).map_err(|error| {
        Problem::new(format!("`{text}` is not a duration ({error})")).with_hint(DURATION_HINT)
    })
}

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

/// Whether a command string needs `sh -c`: anything a shell would interpret, so that
/// splitting it into words ourselves would change its meaning. Quotes alone do not count.
pub fn has_shell_syntax(line: &str) -> bool {
    const SPECIAL: &[char] = &[
        '&', '|', ';', '<', '>', '$', '`', '*', '?', '[', '~', '(', ')', '\n', '\r',
    ];
    if line.contains(SPECIAL) {
        return true;
    }
    // A comment, or a leading `VAR=value` assignment, is shell syntax too.
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().any(|word| word.starts_with('#'))
        || words
            .first()
            .and_then(|word| word.split_once('='))
            .is_some_and(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
}

/// A command as written in the file or given to `--build`/`--run`.
pub fn program(command: &CommandFile) -> Result<Program, Problem> {
    let program = match command {
        CommandFile::Argv(argv) => Program::Argv(argv.clone()),
        CommandFile::Line(line) if has_shell_syntax(line) => {
            Program::Script(line.trim().to_owned())
        }
        CommandFile::Line(line) => Program::Argv(shell_words::split(line).map_err(|_| {
            Problem::new(format!("`{line}` has an unclosed quote"))
                .with_hint("close the quote, or write the command as an array of strings")
        })?),
    };
    let empty = match &program {
        Program::Argv(argv) => argv.first().is_none_or(|word| word.is_empty()),
        Program::Script(script) => script.is_empty(),
    };
    if empty {
        return Err(Problem::new("the command is empty")
            .with_hint("write the command, e.g. \"go build -o tmp/app .\""));
    }
    Ok(program)
}

/// The program a command starts, for the PATH check: argv[0], or the first word of a shell
/// script that is not a variable assignment. `None` for scripts that start with a shell
/// keyword or builtin (`cd dir && …`), which we cannot check without running them.
pub fn program_name(program: &Program) -> Option<String> {
    match program {
        Program::Argv(argv) => argv.first().cloned(),
        Program::Script(script) => {
            let first = script
                .split(|c: char| c.is_whitespace() || ";&|()<>".contains(c))
                .filter(|word| !word.is_empty())
                .find(|word| !word.contains('='))?;
            const BUILTINS: &[&str] = &[
                "cd", "exec", "export", "set", "if", "for", "while", "until", "case", ".",
                "source", "eval", "env", "test", "[", "{", "!", "true", "false", "echo", "printf",
                "unset",
            ];
            let plain = !first.contains(['$', '`', '*', '?', '~', '"', '\'']);
            (plain && !BUILTINS.contains(&first)).then(|| first.to_owned())
        }
    }
}

/// `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `8080` and `:8080` (127.0.0.1), or
/// `unix:path` (relative to `root`).
pub fn listen_address(text: &str, root: &Path) -> Result<ListenAddress, Problem> {
    let bad = || {
        Problem::new(format!("`{text}` is not a listen address")).with_hint(
            "use `127.0.0.1:8080`, `[::1]:8080`, `8080` (127.0.0.1) or `unix:tmp/app.sock`",
        )
    };
    let text = text.trim();
    if let Some(path) = text.strip_prefix("unix:") {
        if path.is_empty() {
            return Err(bad());
        }
        return Ok(ListenAddress::Unix(root.join(path)));
    }
    socket_address(text).map(ListenAddress::Tcp).ok_or_else(bad)
}

/// A TCP address where the host may be left out (127.0.0.1) or be `localhost`.
fn socket_address(text: &str) -> Option<SocketAddr> {
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    if let Ok(port) = text.strip_prefix(':').unwrap_or(text).parse::<u16>() {
        return Some(SocketAddr::new(loopback, port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        return port
            .parse()
            .ok()
            .map(|port| SocketAddr::new(loopback, port));
    }
    text.parse().ok()
}

/// The `--ready` flag: `notify`, `log:REGEX`, `http:URL`, `tcp:ADDR` or `delay:DUR`; read
/// into the file's form so both go through [`readiness`].
pub fn ready_flag(text: &str) -> Result<ReadyFile, Problem> {
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(ReadyFile::Http(text.to_owned()));
    }
    let (kind, value) = text.split_once(':').unwrap_or((text, ""));
    let value = value.to_owned();
    let known = ["notify", "log", "http", "tcp", "delay"];
    if !known.contains(&kind) && kind != "https" {
        return Err(Problem::new(format!("unknown readiness check `{text}`"))
            .with_hint(did_you_mean(kind, &known)));
    }
    if kind == "notify" {
        return match value.is_empty() {
            true => Ok(ReadyFile::Notify(true)),
            false => Err(Problem::new("`--ready notify` takes no value")),
        };
    }
    if value.is_empty() {
        return Err(
            Problem::new(format!("`--ready {kind}` needs a value after `{kind}:`"))
                .with_hint("e.g. `--ready log:listening`, `--ready tcp:8081`, `--ready delay:1s`"),
        );
    }
    Ok(match kind {
        "log" => ReadyFile::Log(value),
        "tcp" => ReadyFile::Tcp(value),
        "delay" => ReadyFile::Delay(value),
        // `http://host/…` was split at its own colon: put it back together.
        _ if value.starts_with("//") => ReadyFile::Http(format!("{kind}:{value}")),
        _ => ReadyFile::Http(format!("http://{value}")),
    })
}

/// A readiness check; `None` for `{ notify = false }`.
pub fn readiness(ready: &ReadyFile) -> Result<Option<Readiness>, Problem> {
    Ok(Some(match ready {
        ReadyFile::Notify(false) => return Ok(None),
        ReadyFile::Notify(true) => Readiness::Notify,
        ReadyFile::Log(pattern) => Readiness::Log(regex(pattern)?),
        ReadyFile::Http(url) => {
            if probe_target(url).is_none() {
                return Err(Problem::new(format!("`{url}` is not an http URL"))
                    .with_hint("e.g. \"http://127.0.0.1:8081/health\""));
            }
            Readiness::Http(url.clone())
        }
        ReadyFile::Tcp(address) => match socket_address(address) {
            Some(address) => Readiness::Tcp(address.to_string()),
            None => {
                return Err(Problem::new(format!("`{address}` is not a TCP address"))
                    .with_hint("e.g. \"127.0.0.1:8081\" or \"8081\""));
            }
        },
        ReadyFile::Delay(text) => Readiness::Delay(duration_within(text, TIMEOUT)?),
    }))
}

pub fn regex(pattern: &str) -> Result<regex::Regex, Problem> {
    regex::Regex::new(pattern).map_err(|error| {
        // regex's message spans several lines with a caret under the culprit; keep the last.
        let reason = error.to_string();
        let reason = reason
            .lines()
            .last()
            .unwrap_or("invalid")
            .trim_start_matches("error: ");
        Problem::new(format!("`{pattern}` is not a valid regex: {reason}"))
            .with_hint("escape special characters such as `(`, `[` or `.` with `\\`")
    })
}

/// The host and port an `http`/`tcp` readiness check connects to, to compare with the
/// pre-bound listeners.
pub fn probe_target(target: &str) -> Option<(String, u16)> {
    let (default_port, rest) = if let Some(rest) = target.strip_prefix("http://") {
        (80, rest)
    } else if let Some(rest) = target.strip_prefix("https://") {
        (443, rest)
    } else {
        let address = socket_address(target)?;
        return Some((address.ip().to_string(), address.port()));
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// Whether a probe of `host:port` would reach the pre-bound listener at `listener`.
pub fn probe_hits_listener(host: &str, port: u16, listener: &SocketAddr) -> bool {
    if port != listener.port() {
        return false;
    }
    if listener.ip().is_unspecified() {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip == listener.ip() || (ip.is_unspecified() && listener.ip().is_loopback()),
        Err(_) => host == "localhost" && listener.ip().is_loopback(),
    }
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
    fn durations_out_of_range_are_refused_with_the_range() {
        let huge = duration_within("500000000000y", POLL).unwrap_err();
        assert!(huge.message.contains("too long"), "{}", huge.message);
        assert!(huge.message.contains("from 10ms to 1h"), "{}", huge.message);
        let tiny = duration_within("1ns", POLL).unwrap_err();
        assert!(tiny.message.contains("too short"), "{}", tiny.message);
        let day = duration_within("2days", TIMEOUT).unwrap_err();
        assert!(day.message.contains("at most 1day"), "{}", day.message);
        assert_eq!(duration_within("1h", DEBOUNCE).unwrap(), HOUR);
        assert_eq!(duration_within("0s", DEBOUNCE).unwrap(), Duration::ZERO);
        assert_eq!(
            duration_within("10ms", POLL).unwrap(),
            Duration::from_millis(10)
        );
    }

    #[test]
    fn durations_parse_and_bad_ones_hint_at_examples() {
        assert_eq!(duration("50ms").unwrap(), Duration::from_millis(50));
        assert_eq!(duration("1m 30s").unwrap(), Duration::from_secs(90));
        let problem = duration("5x").unwrap_err();
        assert!(
            problem.message.starts_with("`5x` is not a duration"),
            "{problem:?}"
        );
        assert!(problem.hint.unwrap().contains("\"50ms\", \"5s\""));
        assert!(duration("5").is_err(), "a unit is required");
    }

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
    fn shell_syntax_is_detected() {
        for line in [
            "go build && ./app",
            "a || b",
            "a | b",
            "a; b",
            "app > log",
            "app < in",
            "echo $HOME",
            "echo `date`",
            "ls *.go",
            "ls a?",
            "ls [ab]",
            "cd ~",
            "(cd x)",
            "a\nb",
            "app & ",
            "CGO_ENABLED=0 go build",
            "app # comment",
        ] {
            assert!(has_shell_syntax(line), "{line:?}");
        }
        for line in [
            "tmp/app --port 8080",
            "go build -o tmp/app .",
            "app --name 'my app' \"x y\"",
            "app --flag=value",
            "curl http://x/#frag",
        ] {
            assert!(!has_shell_syntax(line), "{line:?}");
        }
    }

    #[test]
    fn commands_become_argv_or_shell() {
        let line = |s: &str| program(&CommandFile::Line(s.into()));
        assert_eq!(
            line("app --name 'my app'").unwrap(),
            Program::Argv(vec!["app".into(), "--name".into(), "my app".into()])
        );
        assert_eq!(
            line("make && exec ./app").unwrap(),
            Program::Script("make && exec ./app".into())
        );
        assert_eq!(
            program(&CommandFile::Argv(vec!["a b".into(), "&&".into()])).unwrap(),
            Program::Argv(vec!["a b".into(), "&&".into()])
        );
        assert!(
            line("app 'unclosed")
                .unwrap_err()
                .message
                .contains("unclosed quote")
        );
        assert!(line("  ").unwrap_err().message.contains("empty"));
        assert!(program(&CommandFile::Argv(vec![])).is_err());
    }

    #[test]
    fn program_name_skips_assignments_and_builtins() {
        let shell = |s: &str| program_name(&Program::Script(s.into()));
        assert_eq!(shell("CGO_ENABLED=0 go build ./..."), Some("go".into()));
        assert_eq!(shell("make&&exec ./app"), Some("make".into()));
        assert_eq!(shell("cd web && npm run build"), None);
        assert_eq!(shell("$CC -o app"), None);
    }

    #[test]
    fn listen_addresses() {
        let root = Path::new("/project");
        let tcp = |s: &str| match listen_address(s, root).unwrap() {
            ListenAddress::Tcp(address) => address.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(tcp("127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(tcp("[::1]:8080"), "[::1]:8080");
        assert_eq!(tcp("8080"), "127.0.0.1:8080");
        assert_eq!(tcp(":8080"), "127.0.0.1:8080");
        assert_eq!(tcp("localhost:8080"), "127.0.0.1:8080");
        assert_eq!(tcp("0.0.0.0:80"), "0.0.0.0:80");
        assert_eq!(
            listen_address("unix:tmp/app.sock", root).unwrap(),
            ListenAddress::Unix("/project/tmp/app.sock".into())
        );
        assert_eq!(
            listen_address("unix:/run/app.sock", root).unwrap(),
            ListenAddress::Unix("/run/app.sock".into())
        );
        for bad in ["example.com:80", "99999", "127.0.0.1", "unix:", "http://x"] {
            let problem = listen_address(bad, root).unwrap_err();
            assert!(problem.message.contains("is not a listen address"), "{bad}");
        }
    }

    #[test]
    fn ready_flag_forms() {
        assert_eq!(ready_flag("notify").unwrap(), ReadyFile::Notify(true));
        assert_eq!(
            ready_flag("log:listening on").unwrap(),
            ReadyFile::Log("listening on".into())
        );
        assert_eq!(ready_flag("log:a:b").unwrap(), ReadyFile::Log("a:b".into()));
        assert_eq!(
            ready_flag("http://127.0.0.1:8081/health").unwrap(),
            ReadyFile::Http("http://127.0.0.1:8081/health".into())
        );
        assert_eq!(
            ready_flag("http:127.0.0.1:8081/health").unwrap(),
            ReadyFile::Http("http://127.0.0.1:8081/health".into())
        );
        assert_eq!(
            ready_flag("tcp:8081").unwrap(),
            ReadyFile::Tcp("8081".into())
        );
        assert_eq!(
            ready_flag("delay:1s").unwrap(),
            ReadyFile::Delay("1s".into())
        );
        assert!(
            ready_flag("delay")
                .unwrap_err()
                .message
                .contains("needs a value")
        );
        let typo = ready_flag("notfy").unwrap_err();
        assert!(typo.hint.unwrap().contains("did you mean `notify`?"));
    }

    #[test]
    fn readiness_checks_are_validated() {
        assert!(readiness(&ReadyFile::Notify(false)).unwrap().is_none());
        assert!(
            matches!(readiness(&ReadyFile::Tcp("8081".into())), Ok(Some(Readiness::Tcp(a))) if a == "127.0.0.1:8081")
        );
        let bad_regex = readiness(&ReadyFile::Log("listening (".into())).unwrap_err();
        assert!(
            bad_regex
                .message
                .starts_with("`listening (` is not a valid regex: "),
            "{bad_regex:?}"
        );
        assert!(!bad_regex.message.contains('\n'));
        assert!(readiness(&ReadyFile::Http("ftp://x".into())).is_err());
        assert!(readiness(&ReadyFile::Delay("soon".into())).is_err());
    }

    #[test]
    fn probe_targets_and_listener_overlap() {
        assert_eq!(
            probe_target("http://localhost:8080/health"),
            Some(("localhost".into(), 8080))
        );
        assert_eq!(
            probe_target("http://[::1]:8080"),
            Some(("::1".into(), 8080))
        );
        assert_eq!(
            probe_target("https://example.com/x"),
            Some(("example.com".into(), 443))
        );
        assert_eq!(
            probe_target("127.0.0.1:9000"),
            Some(("127.0.0.1".into(), 9000))
        );
        let listener: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(probe_hits_listener("localhost", 8080, &listener));
        assert!(probe_hits_listener("127.0.0.1", 8080, &listener));
        assert!(!probe_hits_listener("127.0.0.1", 8081, &listener));
        assert!(probe_hits_listener(
            "10.0.0.1",
            80,
            &"0.0.0.0:80".parse().unwrap()
        ));
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
