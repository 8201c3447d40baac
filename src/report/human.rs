//! Messages for people: one line of text and its level per [`Message`], the only place that
//! words hotdev's status lines. Pure: no styling, no terminal, no I/O (see `terminal`).

use std::path::Path;
use std::time::Duration;

use super::message::{CancelCause, Message, PageAction, Redo};
use super::text;
use crate::engine::{ExitStatus, GenId};

/// How important a message is: decides what `-q` hides and how it is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Shown with -v only.
    Detail,
    /// A normal step.
    Step,
    /// Good news worth a green mark.
    Good,
    /// Something went wrong but hotdev carries on.
    Warn,
    /// Shown even with -q.
    Bad,
}

/// `42ms` below a second, `1.21s` above.
pub fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.2}s", d.as_secs_f64())
    }
}

/// `exit 1` or `signal 9 (SIGKILL)`.
pub fn format_status(status: ExitStatus) -> String {
    match status {
        ExitStatus::Code(code) => format!("exit {code}"),
        ExitStatus::Signal(signal) => match nix::sys::signal::Signal::try_from(signal) {
            Ok(sig) => format!("signal {signal} ({})", sig.as_str()),
            Err(_) => format!("signal {signal}"),
        },
    }
}

fn generation_word(generation: Option<GenId>) -> String {
    match generation {
        Some(g) => format!("generation {g}"),
        None => "nothing".to_string(),
    }
}

fn relative<'p>(path: &'p Path, root: &Path) -> &'p Path {
    path.strip_prefix(root).unwrap_or(path)
}

/// The line for `message`, made safe to print: outside text (file names, commands, app output
/// quoted in a reason) cannot drive the terminal; only a warning's own line break (before its
/// hint) is kept. A build's output is not a line: `terminal` shows it as a block.
pub fn render(message: &Message) -> (Level, String) {
    let (level, line) = line_of(message);
    let line = match message {
        Message::Error { .. } | Message::Warning { .. } => line
            .split('\n')
            .map(text::printable)
            .collect::<Vec<_>>()
            .join("\n"),
        _ => text::printable(&line).into_owned(),
    };
    (level, line)
}

fn line_of(message: &Message) -> (Level, String) {
    use Message::*;
    match message {
        Started {
            version,
            root,
            config,
            strategy,
            build,
            run,
            ..
        } => {
            let config = match config {
                Some(path) if path.parent() == Some(root) => String::new(),
                Some(path) => format!(" ({})", text::path(path)),
                None => " (no config file)".to_string(),
            };
            let build = match build {
                Some(cmd) => format!("build `{cmd}` · "),
                None => String::new(),
            };
            (
                Level::Step,
                format!(
                    "{} {version} · {}{config} · {build}run `{run}` · {}",
                    env!("CARGO_PKG_NAME"),
                    text::path(root),
                    strategy.name()
                ),
            )
        }
        Proxy { url, target } => (
            Level::Step,
            format!("proxy {url} → {target}: open it in the browser for live reload"),
        ),
        Browser {
            action,
            pages,
            paths,
        } => {
            let what = match action {
                PageAction::Reload => "reload".to_string(),
                PageAction::Css => format!("css {}", paths.join(", ")),
                PageAction::Overlay => "error overlay".to_string(),
                PageAction::Clear => "overlay cleared".to_string(),
            };
            let level = if *pages == 0 {
                Level::Detail
            } else {
                Level::Step
            };
            let open = match pages {
                0 => "no page open".to_string(),
                1 => "1 page".to_string(),
                n => format!("{n} pages"),
            };
            (level, format!("browser: {what} ({open})"))
        }
        Watching { dirs } => (Level::Detail, format!("watching {dirs} directories")),
        Listening { address, name, fd } => (
            Level::Step,
            format!("listening on {address} (fd {fd}, name {name})"),
        ),
        Change {
            paths,
            overflow,
            root,
            ..
        } => {
            if *overflow {
                return (
                    Level::Step,
                    "many files changed (the OS dropped events)".to_string(),
                );
            }
            let shown: Vec<String> = paths
                .iter()
                .take(3)
                .map(|p| text::path(relative(p, root)))
                .collect();
            let more = paths.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let noun = if paths.len() == 1 { "file" } else { "files" };
            (
                Level::Step,
                format!("{} {noun} changed: {}{more}", paths.len(), shown.join(", ")),
            )
        }
        Ignored { paths } => (
            Level::Detail,
            format!(
                "ignored: {}",
                paths
                    .iter()
                    .map(|p| text::path(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        BuildShared {
            build,
            with_app,
            with_build,
        } => (
            Level::Step,
            format!("build {build} is {with_app}'s build {with_build} (same command)"),
        ),
        BuildStarted { build, pid, .. } => {
            (Level::Step, format!("build {build} started (pid {pid})"))
        }
        BuildCancelled { build, reason } => (
            Level::Warn,
            match reason {
                CancelCause::Shutdown => {
                    format!("build {build} cancelled: hotdev is shutting down")
                }
                CancelCause::NewerChange => {
                    format!("build {build} cancelled: a newer change arrived")
                }
            },
        ),
        BuildOk { build, duration } => (
            Level::Good,
            format!("build {build} ok {}", format_duration(*duration)),
        ),
        BuildFailed {
            build,
            duration,
            status,
            serving,
        } => (
            Level::Bad,
            format!(
                "build {build} failed ({status}) after {}; {} keeps serving",
                format_duration(*duration),
                generation_word(*serving)
            ),
        ),
        BuildOutput { build, lines, .. } => (
            Level::Detail,
            format!("build {build} printed {} lines", lines.len()),
        ),
        GenerationStarted {
            generation, pid, ..
        } => (
            Level::Step,
            format!("generation {generation} running (pid {pid})"),
        ),
        GenerationReady { generation, ready } => (
            Level::Good,
            format!("generation {generation} ready {}", format_duration(*ready)),
        ),
        GenerationNotReady { generation, reason } => (
            Level::Bad,
            format!("generation {generation} not ready: {reason}"),
        ),
        GenerationStopping { generation, signal } => (
            Level::Detail,
            format!("stopping generation {generation} ({signal})"),
        ),
        GenerationKilled { generation, after } => (
            Level::Warn,
            format!(
                "generation {generation} still running {} after the stop signal: killed (SIGKILL)",
                format_duration(*after)
            ),
        ),
        GenerationExited {
            generation,
            status,
            requested: true,
            duration,
        } => (
            Level::Step,
            format!(
                "generation {generation} stopped {} ({})",
                format_duration(*duration),
                format_status(*status)
            ),
        ),
        GenerationExited {
            generation,
            status,
            requested: false,
            duration,
        } => (
            Level::Bad,
            format!(
                "generation {generation} exited on its own ({}) after {}",
                format_status(*status),
                format_duration(*duration)
            ),
        ),
        GenerationReloaded { generation, signal } => (
            Level::Good,
            format!("generation {generation} reloaded ({signal})"),
        ),
        RolledBack { failed, kept } => (
            Level::Bad,
            format!(
                "generation {failed} failed to take over; {} keeps serving",
                generation_word(*kept)
            ),
        ),
        Waiting => (Level::Step, "waiting for a change".to_string()),
        ConfigReloaded { path } => (
            Level::Good,
            format!("{} reloaded: rebuilding with it", text::path(path)),
        ),
        EnvFileChanged { path, action } => (
            Level::Good,
            format!(
                "{} changed: {} with its variables",
                text::path(path),
                match action {
                    Redo::Rebuild => "rebuilding",
                    Redo::Restart => "restarting",
                }
            ),
        ),
        WaitingFor { apps } => (
            Level::Step,
            format!(
                "starts once {} ready (depends_on)",
                match apps.as_slice() {
                    [one] => format!("{one} is"),
                    _ => format!("{} are", apps.join(", ")),
                }
            ),
        ),
        RestartWith { swapped } => (
            Level::Step,
            format!("restarting: {swapped} was swapped (restart_with)"),
        ),
        Restarting { attempt, delay } => (
            Level::Warn,
            format!(
                "restarting in {} (attempt {attempt}; the delay doubles up to 30s while it keeps exiting)",
                format_duration(*delay)
            ),
        ),
        Requested { action, key } => {
            let action = match action {
                Redo::Rebuild => "rebuild",
                Redo::Restart => "restart",
            };
            (Level::Step, format!("{action} requested ({key})"))
        }
        Paused { paused: true } => (
            Level::Warn,
            "paused: changes are noted, nothing builds (p resumes)".to_string(),
        ),
        Paused { paused: false } => (Level::Step, "resumed watching".to_string()),
        Help { text } => (Level::Step, text.clone()),
        Shutdown { signal } => (Level::Step, format!("{signal}: stopping everything")),
        Warning { message, hint, .. } => (
            Level::Warn,
            format!(
                "{}\n  hint: {}",
                text::printable(message),
                text::printable(hint)
            ),
        ),
        Error { message } => (Level::Bad, message.clone()),
        Exit { code } => (Level::Detail, format!("exit {code}")),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_millis(42)), "42ms");
        assert_eq!(format_duration(Duration::from_millis(1210)), "1.21s");
    }

    #[test]
    fn statuses_name_the_signal() {
        assert_eq!(format_status(ExitStatus::Code(1)), "exit 1");
        assert_eq!(format_status(ExitStatus::Signal(9)), "signal 9 (SIGKILL)");
    }

    #[test]
    fn change_lists_three_paths_then_counts() {
        let root = PathBuf::from("/p");
        let paths: Vec<PathBuf> = ["a.go", "b.go", "c.go", "d.go"]
            .iter()
            .map(|p| root.join(p))
            .collect();
        let (_, text) = render(&Message::Change {
            count: paths.len(),
            paths,
            overflow: false,
            tentative: false,
            root,
        });
        assert_eq!(text, "4 files changed: a.go, b.go, c.go and 1 more");
    }

    #[test]
    fn a_key_request_is_one_line() {
        let message = Message::Requested {
            action: Redo::Rebuild,
            key: 'r',
        };
        assert_eq!(render(&message).1, "rebuild requested (r)");
    }

    #[test]
    fn failed_build_says_what_keeps_serving() {
        let (level, text) = render(&Message::BuildFailed {
            build: 2,
            duration: Duration::from_millis(300),
            status: "exit 2".into(),
            serving: Some(1),
        });
        assert_eq!(level, Level::Bad);
        assert_eq!(
            text,
            "build 2 failed (exit 2) after 300ms; generation 1 keeps serving"
        );
    }

    #[test]
    fn a_file_name_cannot_forge_a_line() {
        let (_, text) = render(&Message::ConfigReloaded {
            path: PathBuf::from("/p/a\nhotdev ✓ build 9 ok.toml"),
        });
        assert!(!text.contains('\n'));
    }
}
