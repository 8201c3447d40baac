//! The ways a socket hand-off goes wrong that hotdev can see from outside, and what to say:
//! a run command that is a launcher which forks (the app is its child, so `LISTEN_PID` names
//! the launcher, and strict consumers refuse the sockets), and a generation whose last lines
//! show that it bound the pre-bound port itself or refused `LISTEN_PID`.
//!
//! Pure: words and lines in, advice out. It never reports and never decides a swap.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// A launcher that starts the app as its child instead of exec'ing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    /// The words that name it, as written: `go run`, `npm run`, `npx`, `cargo watch`.
    pub name: String,
    /// What to run instead, for the hint.
    pub fix: &'static str,
}

/// `(program, subcommands)`: a program that forks with any of the subcommands (any at all
/// when empty), and the fix.
const WRAPPERS: [(&str, &[&str], &str); 7] = [
    (
        "go",
        &["run"],
        "build the binary and run it: `[build] command = \"go build -o tmp/app .\"`, `[run] command = \"tmp/app\"`",
    ),
    (
        "npm",
        &["run", "run-script", "start", "exec", "test"],
        "run the script's own command (e.g. `node server.js`) as the run command",
    ),
    (
        "yarn",
        &[],
        "run the script's own command (e.g. `node server.js`) as the run command",
    ),
    (
        "pnpm",
        &[],
        "run the script's own command (e.g. `node server.js`) as the run command",
    ),
    (
        "npx",
        &[],
        "run the program itself (e.g. `node_modules/.bin/NAME`) as the run command",
    ),
    (
        "cargo",
        &["watch"],
        "hotdev does the watching: `[build] command = \"cargo build\"`, `[run] command = \"target/debug/APP\"`",
    ),
    (
        "nodemon",
        &[],
        "hotdev does the watching: run `node server.js` itself",
    ),
];

/// Words after which the next word starts a command (`cd web && go run .`, `exec npm start`).
const COMMAND_STARTERS: [&str; 10] = [
    "&&", "||", ";", "|", "exec", "then", "do", "else", "env", "nohup",
];

/// The first known forking launcher among the commands in `words` (a run command's argv, or
/// its shell script split into words).
pub fn forking_wrapper(words: &[String]) -> Option<Wrapper> {
    words.iter().enumerate().find_map(|(i, word)| {
        let starts_command = i == 0
            || words.get(i - 1).is_some_and(|prev| {
                COMMAND_STARTERS.contains(&prev.as_str()) || is_assignment(prev)
            });
        if !starts_command {
            return None;
        }
        let program = Path::new(word).file_name()?.to_str()?;
        let (name, subcommands, fix) = WRAPPERS.iter().find(|(name, ..)| *name == program)?;
        if subcommands.is_empty() {
            return Some(Wrapper {
                name: (*name).to_owned(),
                fix,
            });
        }
        let sub = words.get(i + 1)?;
        subcommands.contains(&sub.as_str()).then(|| Wrapper {
            name: format!("{name} {sub}"),
            fix,
        })
    })
}

/// `NAME=value`, as a shell reads it before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The start-up warning for a launcher that forks while `[[listen]]` is set: one line, one
/// hint.
pub fn wrapper_warning(wrapper: &Wrapper) -> (String, String) {
    let program = wrapper.name.split(' ').next().unwrap_or(&wrapper.name);
    (
        format!(
            "`{}` starts the app as its child: LISTEN_PID names `{program}`, not the app, so the \
             app may refuse the pre-bound sockets or bind the port itself (address already in use)",
            wrapper.name
        ),
        wrapper.fix.to_owned(),
    )
}

/// What the last lines of a generation that exited say about the hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sign {
    /// It tried to bind a pre-bound address itself: "address already in use" (EADDRINUSE)
    /// on one of those ports, or on no port the line names.
    BoundItself { line: String },
    /// It complained about `LISTEN_PID` (e.g. "LISTEN_PID 41 is not this process").
    RefusedListenPid { line: String },
}

/// Longest app line quoted in a message.
const QUOTED: usize = 160;

/// Looks for the newest line of `lines` that shows a failed hand-off. `ports` are the
/// pre-bound TCP ports; a line that names other ports only (the app's own health port) is
/// not about the hand-off.
pub fn exit_sign(lines: &[String], ports: &[u16]) -> Option<Sign> {
    let quote = |line: &str| {
        let line = line.trim();
        match line.char_indices().nth(QUOTED) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.to_owned(),
        }
    };
    lines.iter().rev().find_map(|line| {
        if in_use(line) && names_one_of(line, ports) {
            Some(Sign::BoundItself { line: quote(line) })
        } else if line.contains("LISTEN_PID") {
            Some(Sign::RefusedListenPid { line: quote(line) })
        } else {
            None
        }
    })
}

fn in_use(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.contains("address already in use")
        || lower.contains("address in use")
        || line.contains("EADDRINUSE")
}

/// Whether the line names one of `ports` (`:8080`), or no port at all (Python's and Rust's
/// messages do not say which address). Two-digit numbers below 60 after a colon are taken for
/// the minutes and seconds of a timestamp, not ports.
fn names_one_of(line: &str, ports: &[u16]) -> bool {
    static PORT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r":(\d{1,5})\b").ok());
    let Some(regex) = PORT.as_ref() else {
        return true;
    };
    let named: Vec<u16> = regex
        .captures_iter(line)
        .filter_map(|c| {
            let digits = c.get(1)?.as_str();
            let port: u16 = digits.parse().ok()?;
            (digits.len() != 2 || port >= 60).then_some(port)
        })
        .collect();
    named.is_empty() || named.iter().any(|port| ports.contains(port))
}

/// The one line (and hint) said when a generation exited with `sign`. `pid` is the process
/// hotdev started, the one `LISTEN_PID` named; `wrapper` the run command's forking launcher.
pub fn exit_advice(
    generation: u64,
    pid: i32,
    sign: &Sign,
    wrapper: Option<&Wrapper>,
) -> (String, String) {
    let message = match sign {
        Sign::BoundItself { line } => format!(
            "generation {generation} tried to bind a pre-bound address itself (\"{line}\"): it did \
             not take the socket hotdev holds for it at fd 3"
        ),
        Sign::RefusedListenPid { line } => format!(
            "generation {generation} refused the pre-bound sockets (\"{line}\"): LISTEN_PID is \
             {pid}, the process hotdev started, not the process that read it"
        ),
    };
    let hint = match wrapper {
        Some(wrapper) => format!(
            "`{}` starts the app as its child, so LISTEN_PID does not name the app: {}",
            wrapper.name, wrapper.fix
        ),
        None => "take fd 3 when LISTEN_PID is the app's own pid (README: Port pre-binding); a \
                 launcher that forks (`go run`, `npm run`, a shell script without `exec`) hides \
                 the sockets from the app: run the program itself, or `exec` it"
            .to_owned(),
    };
    (message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        shell_words::split(text).expect("words")
    }

    fn wrapper(text: &str) -> Option<String> {
        forking_wrapper(&words(text)).map(|w| w.name)
    }

    #[test]
    fn known_launchers_that_fork_are_named() {
        assert_eq!(wrapper("go run ."), Some("go run".into()));
        assert_eq!(
            wrapper("/usr/lib/go/bin/go run ./cmd/api"),
            Some("go run".into())
        );
        assert_eq!(wrapper("npm run dev"), Some("npm run".into()));
        assert_eq!(wrapper("npm start"), Some("npm start".into()));
        assert_eq!(wrapper("yarn dev"), Some("yarn".into()));
        assert_eq!(wrapper("pnpm start"), Some("pnpm".into()));
        assert_eq!(wrapper("npx tsx server.ts"), Some("npx".into()));
        assert_eq!(wrapper("cargo watch -x run"), Some("cargo watch".into()));
        assert_eq!(wrapper("nodemon server.js"), Some("nodemon".into()));
    }

    #[test]
    fn a_launcher_later_in_a_script_counts_and_exec_does_not_help_it() {
        assert_eq!(
            wrapper("cd web && exec npm run dev"),
            Some("npm run".into())
        );
        assert_eq!(wrapper("PORT=1 go run ."), Some("go run".into()));
        assert_eq!(wrapper("env GOFLAGS=-race go run ."), Some("go run".into()));
    }

    #[test]
    fn programs_that_exec_or_only_build_are_not_named() {
        for text in [
            "tmp/app",
            "cargo run",
            "go build -o tmp/app .",
            "npm install",
            "node server.js",
            "tmp/app --mode go run",
            "echo 'go run .'",
            "",
        ] {
            assert_eq!(wrapper(text), None, "{text}");
        }
    }

    #[test]
    fn the_warning_names_the_launcher_and_the_fix() {
        let go = forking_wrapper(&words("go run .")).expect("go run");
        let (message, hint) = wrapper_warning(&go);
        assert!(
            message.starts_with("`go run` starts the app as its child: LISTEN_PID names `go`"),
            "{message}"
        );
        assert!(hint.contains("go build -o tmp/app ."), "{hint}");
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|l| (*l).to_owned()).collect()
    }

    #[test]
    fn address_in_use_on_a_pre_bound_port_is_binding_it_itself() {
        for line in [
            "2024/05/01 12:30:45 listen tcp 127.0.0.1:8080: bind: address already in use",
            "Error: listen EADDRINUSE: address already in use :::8080",
            "OSError: [Errno 98] Address already in use",
            "Error: Address already in use (os error 98)",
        ] {
            let sign = exit_sign(&lines(&["starting", line, "exit status 1"]), &[8080]);
            assert_eq!(
                sign,
                Some(Sign::BoundItself {
                    line: line.to_owned()
                }),
                "{line}"
            );
        }
    }

    #[test]
    fn address_in_use_on_another_port_is_not_about_the_hand_off() {
        let line = "12:30:45 listen tcp 127.0.0.1:9000: bind: address already in use";
        assert_eq!(exit_sign(&lines(&[line]), &[8080]), None);
        assert_eq!(
            exit_sign(&lines(&["panic: boom", "exit status 2"]), &[8080]),
            None
        );
    }

    #[test]
    fn a_complaint_about_listen_pid_is_a_refusal() {
        let line = "sd_listen_fds: LISTEN_PID 4242 is not this process (4250)";
        assert_eq!(
            exit_sign(&lines(&[line, "exit status 1"]), &[8080]),
            Some(Sign::RefusedListenPid {
                line: line.to_owned()
            })
        );
    }

    #[test]
    fn a_long_line_is_quoted_cut() {
        let long = format!("address already in use {}", "x".repeat(500));
        let Some(Sign::BoundItself { line }) = exit_sign(&[long], &[8080]) else {
            panic!("no sign");
        };
        assert_eq!(line.chars().count(), QUOTED + 1);
    }

    #[test]
    fn the_advice_names_the_launcher_when_there_is_one() {
        let sign = Sign::BoundItself {
            line: "bind: address already in use".into(),
        };
        let go = forking_wrapper(&words("go run .")).expect("go run");
        let (message, hint) = exit_advice(2, 4242, &sign, Some(&go));
        assert_eq!(
            message,
            "generation 2 tried to bind a pre-bound address itself (\"bind: address already in use\"): it did not take the socket hotdev holds for it at fd 3"
        );
        assert!(
            hint.starts_with("`go run` starts the app as its child"),
            "{hint}"
        );
        let (_, hint) = exit_advice(2, 4242, &sign, None);
        assert!(
            hint.contains("run the program itself, or `exec` it"),
            "{hint}"
        );
    }
}
