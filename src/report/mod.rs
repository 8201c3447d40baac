//! hotdev's own output: one line per step, for people (styled, on stderr) or for tools (one
//! JSON object per line, on stderr). Both renderings of every message live here, side by side,
//! so they cannot drift apart. The app's output never passes through this module.

mod spinner;
pub mod text;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spinner::Spinner;

use console::{Style, Term};
use serde_json::{Value, json};

use crate::config::{LogFormat, OutputConfig, Verbosity};
use crate::engine::SwapStrategy;
use crate::engine::{BuildId, ExitStatus, GenId};

/// One thing worth telling the user. Field names match the JSON schema in the README.
#[derive(Debug)]
pub enum Message<'a> {
    Started {
        root: &'a Path,
        config: Option<&'a Path>,
        strategy: SwapStrategy,
        /// The readiness check's kind (`notify`, `log`, `http`, `tcp`, `delay`), if any.
        ready: Option<&'static str>,
        build: Option<String>,
        run: String,
    },
    Watching {
        dirs: usize,
    },
    Listening {
        address: String,
        name: &'a str,
        fd: i32,
    },
    Change {
        paths: &'a [PathBuf],
        overflow: bool,
        /// Sent early (speculative builds): the burst may go on.
        tentative: bool,
        root: &'a Path,
    },
    Ignored {
        paths: &'a [PathBuf],
    },
    BuildStarted {
        build: BuildId,
        pid: i32,
        /// Started on a burst that may not be over (`build.speculative`).
        speculative: bool,
        /// Show a spinner (terminals only): off while a generation runs, whose log lines
        /// would otherwise be glued to the spinner's line.
        spinner: bool,
    },
    BuildCancelled {
        build: BuildId,
        /// Cancelled because hotdev is shutting down, not because a newer change arrived.
        shutdown: bool,
    },
    BuildOk {
        build: BuildId,
        duration: Duration,
    },
    BuildFailed {
        build: BuildId,
        duration: Duration,
        status: String,
        serving: Option<GenId>,
    },
    /// A build's collected output: always for a failed build, with -v for a good one.
    BuildOutput {
        build: BuildId,
        lines: &'a [String],
        failed: bool,
    },
    GenerationStarted {
        generation: GenId,
        pid: i32,
        previous: Option<GenId>,
    },
    GenerationReady {
        generation: GenId,
        ready: Duration,
    },
    GenerationNotReady {
        generation: GenId,
        reason: String,
    },
    GenerationStopping {
        generation: GenId,
        signal: &'a str,
    },
    GenerationKilled {
        generation: GenId,
        after: Duration,
    },
    GenerationExited {
        generation: GenId,
        status: ExitStatus,
        requested: bool,
        duration: Duration,
    },
    GenerationReloaded {
        generation: GenId,
        signal: &'a str,
    },
    RolledBack {
        failed: GenId,
        kept: Option<GenId>,
    },
    Waiting,
    /// The config file changed and its new content is in force.
    ConfigReloaded {
        path: &'a Path,
    },
    /// An env file changed and its variables are in force: the app restarts with them (or,
    /// for a build's env file, a build runs first).
    EnvFileChanged {
        path: &'a Path,
        rebuild: bool,
    },
    /// The restart policy starts the app again after `delay`.
    Restarting {
        attempt: u32,
        delay: Duration,
    },
    /// A key asked for a rebuild (`r`) or a restart (`R`): said at once, since the build or
    /// swap it starts may take a while to show.
    Requested {
        /// `rebuild` or `restart`.
        action: &'static str,
        key: char,
    },
    /// `p` pressed: watching paused or resumed.
    Paused {
        paused: bool,
    },
    /// The key help line.
    Help {
        text: &'a str,
    },
    Shutdown {
        signal: &'a str,
    },
    /// Something hotdev can see will go (or went) wrong, with the fix: e.g. a run command that
    /// forks while `[[listen]]` is set.
    Warning {
        /// Stable name for tools: `forking_wrapper`, `bound_itself`, `listen_pid_refused`.
        kind: &'static str,
        generation: Option<GenId>,
        message: &'a str,
        hint: &'a str,
    },
    Error {
        message: &'a str,
    },
    Exit {
        code: u8,
    },
}

/// Renders messages in the configured format.
pub struct Reporter {
    output: OutputConfig,
    started: Instant,
    term: Term,
    /// Held while writing to the terminal, so the spinner never draws mid-line.
    lock: Arc<Mutex<()>>,
    spinner: Mutex<Option<Spinner>>,
}

/// How important a message is: decides what `-q` hides and how it is styled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
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

impl Reporter {
    pub fn new(output: OutputConfig) -> Reporter {
        Reporter {
            output,
            started: Instant::now(),
            term: Term::stderr(),
            lock: Arc::new(Mutex::new(())),
            spinner: Mutex::new(None),
        }
    }

    pub fn verbose(&self) -> bool {
        self.output.verbosity >= Verbosity::Verbose
    }

    pub fn report(&self, message: &Message) {
        let human = self.output.format == LogFormat::Human;
        if human {
            self.before(message);
        }
        let line = match self.output.format {
            LogFormat::Json => {
                let mut value = json_of(message);
                if let Value::Object(map) = &mut value {
                    let ts = self.started.elapsed().as_millis() as u64;
                    map.insert("ts_ms".into(), json!(ts));
                }
                value.to_string()
            }
            LogFormat::Human => {
                if let Message::BuildOutput { lines, failed, .. } = message {
                    self.block(lines, *failed);
                    return;
                }
                let (level, text) = human_of(message);
                // Outside text (file names, commands, app output quoted in a reason) must not
                // drive the terminal. Only an error's own line breaks (its hint) are kept.
                let text = match message {
                    Message::Error { .. } | Message::Warning { .. } => text
                        .split('\n')
                        .map(text::printable)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    _ => text::printable(&text).into_owned(),
                };
                let shown = match self.output.verbosity {
                    Verbosity::Quiet => level == Level::Bad,
                    Verbosity::Normal => level != Level::Detail,
                    Verbosity::Verbose => true,
                };
                if !shown {
                    return;
                }
                self.styled(level, &text)
            }
        };
        // A closed stderr must not take hotdev down: it still has processes to stop.
        if let Ok(_guard) = self.lock.lock() {
            if human && self.term.is_term() {
                let _ = self.term.clear_line();
            }
            write_line(&line);
        }
        if human {
            self.after(message);
        }
    }

    /// Terminal effects that come before a message: clear the screen for a new build
    /// (`--clear`), stop the spinner when its build ends.
    fn before(&self, message: &Message) {
        match message {
            Message::BuildStarted { .. } if self.output.clear && self.term.is_term() => {
                if let Ok(_guard) = self.lock.lock() {
                    let _ = self.term.clear_screen();
                }
            }
            Message::BuildOk { .. }
            | Message::BuildFailed { .. }
            | Message::BuildCancelled { .. }
            | Message::Shutdown { .. }
            | Message::Exit { .. } => self.stop_spinner(),
            _ => {}
        }
    }

    /// Terminal effects that follow a message: the spinner while a build runs, the bell on
    /// failures (`--bell`).
    fn after(&self, message: &Message) {
        match message {
            Message::BuildStarted {
                build,
                spinner: true,
                ..
            } if self.term.is_term() && self.output.verbosity != Verbosity::Quiet => {
                let spinner = Spinner::start(
                    self.term.clone(),
                    Arc::clone(&self.lock),
                    format!("building {build}"),
                );
                if let Ok(mut slot) = self.spinner.lock() {
                    *slot = spinner;
                }
            }
            Message::BuildFailed { .. }
            | Message::RolledBack { .. }
            | Message::GenerationExited {
                requested: false, ..
            } if self.output.bell => {
                if let Ok(_guard) = self.lock.lock() {
                    let _ = write!(&self.term, "\x07");
                }
            }
            _ => {}
        }
    }

    fn stop_spinner(&self) {
        let spinner = self.spinner.lock().ok().and_then(|mut slot| slot.take());
        if let Some(spinner) = spinner {
            spinner.stop();
        }
    }

    /// The build's own lines, verbatim (so `file:line:col` stays clickable), between rules, so
    /// they stand apart from the app's log. Shown even with -q when the build failed.
    fn block(&self, lines: &[String], failed: bool) {
        if lines.is_empty() || (!failed && self.output.verbosity < Verbosity::Verbose) {
            return;
        }
        let rule = Style::new().dim().apply_to("─".repeat(60));
        let mut text = format!("{rule}\n");
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&rule.to_string());
        if let Ok(_guard) = self.lock.lock() {
            write_line(&text);
        }
    }

    /// Clears the screen (the `c` key); a no-op for JSON output or a non-terminal.
    pub fn clear(&self) {
        if self.output.format == LogFormat::Human && self.term.is_term() {
            let _ = self.term.clear_screen();
        }
    }

    fn styled(&self, level: Level, text: &str) -> String {
        let (mark, style) = match level {
            Level::Detail => ("·", Style::new().dim()),
            Level::Step => ("▸", Style::new()),
            Level::Good => ("✓", Style::new().green()),
            Level::Warn => ("!", Style::new().yellow()),
            Level::Bad => ("✗", Style::new().red().bold()),
        };
        let prefix = Style::new().dim().apply_to("hotdev");
        format!("{prefix} {} {}", style.apply_to(mark), style.apply_to(text))
    }
}

/// Writes `text` and its newline with one `write(2)`: the apps share hotdev's stderr, and an
/// app line must never land between an event and its line break (small pipe writes are atomic).
fn write_line(text: &str) {
    let mut buf = String::with_capacity(text.len() + 1);
    buf.push_str(text);
    buf.push('\n');
    let _ = std::io::stderr().lock().write_all(buf.as_bytes());
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

fn lossy(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| text::path_lossy(p)).collect()
}

fn relative<'p>(path: &'p Path, root: &Path) -> &'p Path {
    path.strip_prefix(root).unwrap_or(path)
}

fn human_of(message: &Message) -> (Level, String) {
    use Message::*;
    match message {
        Started {
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
                    "{} {} · {}{config} · {build}run `{run}` · {}",
                    env!("CARGO_PKG_NAME"),
                    env!("CARGO_PKG_VERSION"),
                    text::path(root),
                    strategy_name(*strategy)
                ),
            )
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
        BuildStarted { build, pid, .. } => {
            (Level::Step, format!("build {build} started (pid {pid})"))
        }
        BuildCancelled { build, shutdown } => (
            Level::Warn,
            if *shutdown {
                format!("build {build} cancelled: hotdev is shutting down")
            } else {
                format!("build {build} cancelled: a newer change arrived")
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
            requested,
            duration,
        } => {
            if *requested {
                (
                    Level::Step,
                    format!(
                        "generation {generation} stopped {} ({})",
                        format_duration(*duration),
                        format_status(*status)
                    ),
                )
            } else {
                (
                    Level::Bad,
                    format!(
                        "generation {generation} exited on its own ({}) after {}",
                        format_status(*status),
                        format_duration(*duration)
                    ),
                )
            }
        }
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
        EnvFileChanged { path, rebuild } => (
            Level::Good,
            format!(
                "{} changed: {} with its variables",
                text::path(path),
                if *rebuild { "rebuilding" } else { "restarting" }
            ),
        ),
        Restarting { attempt, delay } => (
            Level::Warn,
            format!(
                "restarting in {} (attempt {attempt}; the delay doubles up to 30s while it keeps exiting)",
                format_duration(*delay)
            ),
        ),
        Requested { action, key } => (Level::Step, format!("{action} requested ({key})")),
        Paused { paused: true } => (
            Level::Warn,
            "paused: changes are noted, nothing builds (p resumes)".to_string(),
        ),
        Paused { paused: false } => (Level::Step, "resumed watching".to_string()),
        Help { text } => (Level::Step, text.to_string()),
        Shutdown { signal } => (Level::Step, format!("{signal}: stopping everything")),
        Warning { message, hint, .. } => (
            Level::Warn,
            format!(
                "{}\n  hint: {}",
                text::printable(message),
                text::printable(hint)
            ),
        ),
        Error { message } => (Level::Bad, message.to_string()),
        Exit { code } => (Level::Detail, format!("exit {code}")),
    }
}

fn strategy_name(strategy: SwapStrategy) -> &'static str {
    match strategy {
        SwapStrategy::Restart => "restart",
        SwapStrategy::Overlap => "overlap",
        SwapStrategy::Signal => "signal",
    }
}

fn ms(d: &Duration) -> u64 {
    d.as_millis() as u64
}

fn json_of(message: &Message) -> Value {
    use Message::*;
    match message {
        Started {
            root,
            config,
            strategy,
            ready,
            build,
            run,
        } => json!({
            "event": "started",
            "version": env!("CARGO_PKG_VERSION"),
            "root": text::path_lossy(root),
            "config": config.map(text::path_lossy),
            "strategy": strategy_name(*strategy),
            "ready": ready,
            "build": build,
            "run": run,
        }),
        Watching { dirs } => json!({"event": "watching", "dirs": dirs}),
        Listening { address, name, fd } => {
            json!({"event": "listening", "address": address, "name": name, "fd": fd})
        }
        Change {
            paths,
            overflow,
            tentative,
            ..
        } => json!({
            "event": "change",
            "paths": lossy(paths),
            "count": paths.len(),
            "overflow": overflow,
            "tentative": tentative,
        }),
        Ignored { paths } => json!({"event": "ignored", "paths": lossy(paths)}),
        BuildStarted {
            build,
            pid,
            speculative,
            ..
        } => {
            json!({"event": "build_started", "build": build, "pid": pid, "speculative": speculative})
        }
        BuildCancelled { build, shutdown } => json!({
            "event": "build_cancelled",
            "build": build,
            "reason": if *shutdown { "shutdown" } else { "newer_change" },
        }),
        BuildOk { build, duration } => {
            json!({"event": "build_ok", "build": build, "duration_ms": ms(duration)})
        }
        BuildFailed {
            build,
            duration,
            status,
            serving,
        } => json!({
            "event": "build_failed",
            "build": build,
            "duration_ms": ms(duration),
            "status": status,
            "serving": serving,
        }),
        // Plain text for tools: a build given colour (hotdev on a terminal) wrote escapes.
        BuildOutput {
            build,
            lines,
            failed,
        } => json!({
            "event": "build_output",
            "build": build,
            "failed": failed,
            "lines": lines.iter().map(|l| console::strip_ansi_codes(l)).collect::<Vec<_>>(),
        }),
        GenerationStarted {
            generation,
            pid,
            previous,
        } => json!({
            "event": "generation_started",
            "generation": generation,
            "pid": pid,
            "previous": previous,
        }),
        GenerationReady { generation, ready } => json!({
            "event": "generation_ready",
            "generation": generation,
            "ready_ms": ms(ready),
        }),
        GenerationNotReady { generation, reason } => json!({
            "event": "generation_not_ready",
            "generation": generation,
            "reason": reason,
        }),
        GenerationStopping { generation, signal } => json!({
            "event": "generation_stopping",
            "generation": generation,
            "signal": signal,
        }),
        GenerationKilled { generation, after } => json!({
            "event": "generation_killed",
            "generation": generation,
            "after_ms": ms(after),
        }),
        GenerationExited {
            generation,
            status,
            requested,
            duration,
        } => {
            let (code, signal) = match status {
                ExitStatus::Code(c) => (Some(*c), None),
                ExitStatus::Signal(s) => (None, Some(*s)),
            };
            json!({
                "event": "generation_exited",
                "generation": generation,
                "status": format_status(*status),
                "code": code,
                "signal": signal,
                "requested": requested,
                "duration_ms": ms(duration),
            })
        }
        GenerationReloaded { generation, signal } => json!({
            "event": "generation_reloaded",
            "generation": generation,
            "signal": signal,
        }),
        RolledBack { failed, kept } => {
            json!({"event": "rolled_back", "failed": failed, "kept": kept})
        }
        Waiting => json!({"event": "waiting"}),
        ConfigReloaded { path } => {
            json!({"event": "config_reloaded", "path": text::path_lossy(path)})
        }
        EnvFileChanged { path, rebuild } => json!({
            "event": "env_file_changed",
            "path": text::path_lossy(path),
            "action": if *rebuild { "rebuild" } else { "restart" },
        }),
        Restarting { attempt, delay } => json!({
            "event": "restarting",
            "attempt": attempt,
            "delay_ms": ms(delay),
        }),
        Requested { action, key } => {
            json!({"event": "requested", "action": action, "key": key.to_string()})
        }
        Paused { paused } => json!({"event": "paused", "paused": paused}),
        Help { text } => json!({"event": "help", "text": text}),
        Shutdown { signal } => json!({"event": "shutdown", "signal": signal}),
        Warning {
            kind,
            generation,
            message,
            hint,
        } => json!({
            "event": "warning",
            "kind": kind,
            "generation": generation,
            "message": message,
            "hint": hint,
        }),
        Error { message } => json!({"event": "error", "message": message}),
        Exit { code } => json!({"event": "exit", "code": code}),
    }
}

#[cfg(test)]
mod tests {
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
    fn json_build_failed_has_stable_fields() {
        let v = json_of(&Message::BuildFailed {
            build: 3,
            duration: Duration::from_millis(840),
            status: "exit 1".into(),
            serving: Some(2),
        });
        assert_eq!(
            v,
            json!({"event": "build_failed", "build": 3, "duration_ms": 840, "status": "exit 1", "serving": 2})
        );
    }

    #[test]
    fn json_exited_splits_code_and_signal() {
        let v = json_of(&Message::GenerationExited {
            generation: 1,
            status: ExitStatus::Signal(15),
            requested: true,
            duration: Duration::from_millis(5),
        });
        assert_eq!(v["code"], Value::Null);
        assert_eq!(v["signal"], json!(15));
        assert_eq!(v["status"], json!("signal 15 (SIGTERM)"));
    }

    #[test]
    fn change_lists_three_paths_then_counts() {
        let root = Path::new("/p");
        let paths: Vec<PathBuf> = ["a.go", "b.go", "c.go", "d.go"]
            .iter()
            .map(|p| root.join(p))
            .collect();
        let (_, text) = human_of(&Message::Change {
            paths: &paths,
            overflow: false,
            tentative: false,
            root,
        });
        assert_eq!(text, "4 files changed: a.go, b.go, c.go and 1 more");
    }

    #[test]
    fn json_build_output_carries_the_text_without_escape_codes() {
        let lines = [
            "\x1b[1m\x1b[91merror[E0308]\x1b[0m\x1b[1m: mismatched types\x1b[0m".to_string(),
            "\x1b[K  --> src/main.rs:2:5".to_string(),
            "plain".to_string(),
        ];
        let v = json_of(&Message::BuildOutput {
            build: 1,
            lines: &lines,
            failed: true,
        });
        assert_eq!(
            v["lines"],
            json!([
                "error[E0308]: mismatched types",
                "  --> src/main.rs:2:5",
                "plain"
            ])
        );
    }

    #[test]
    fn a_key_request_is_one_line_and_one_event() {
        let message = Message::Requested {
            action: "rebuild",
            key: 'r',
        };
        assert_eq!(human_of(&message).1, "rebuild requested (r)");
        assert_eq!(
            json_of(&message),
            json!({"event": "requested", "action": "rebuild", "key": "r"})
        );
    }

    #[test]
    fn failed_build_says_what_keeps_serving() {
        let (level, text) = human_of(&Message::BuildFailed {
            build: 2,
            duration: Duration::from_millis(300),
            status: "exit 2".into(),
            serving: Some(1),
        });
        assert!(level == Level::Bad);
        assert_eq!(
            text,
            "build 2 failed (exit 2) after 300ms; generation 1 keeps serving"
        );
    }
}
