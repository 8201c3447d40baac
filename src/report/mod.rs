//! hotdev's own output: one line per step, for people (styled, on stderr) or for tools (one
//! JSON object per line, on stderr). Every line is a [`Message`]: `human` words it, serde
//! writes its JSON, `terminal` puts it on the screen. The app's output never passes through.

mod human;
mod message;
mod options;
mod spinner;
mod terminal;
pub mod text;

use std::time::Instant;

pub use human::{format_duration, format_status};
pub use message::{
    CancelCause, Message, PageAction, ReadyKind, Redo, Stamped, VERSION, WarningKind,
};
pub use options::{LogFormat, OutputConfig, Verbosity};

use human::Level;
use terminal::Terminal;

/// Renders messages in the configured format.
pub struct Reporter {
    output: OutputConfig,
    started: Instant,
    terminal: Terminal,
}

impl Reporter {
    pub fn new(output: OutputConfig) -> Reporter {
        Reporter {
            output,
            started: Instant::now(),
            terminal: Terminal::stderr(),
        }
    }

    pub fn verbose(&self) -> bool {
        self.output.verbosity >= Verbosity::Verbose
    }

    pub fn report(&self, message: &Message) {
        match self.output.format {
            LogFormat::Json => self.terminal.write_plain(&self.json(message)),
            LogFormat::Human => self.human(message),
        }
    }

    /// One JSON line: the message and `ts_ms`.
    fn json(&self, message: &Message) -> String {
        let stamped = Stamped {
            message,
            ts_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        serde_json::to_string(&stamped).unwrap_or_else(|e| {
            serde_json::json!({"event": "error", "message": format!("cannot write an event: {e}")})
                .to_string()
        })
    }

    fn human(&self, message: &Message) {
        let verbosity = self.output.verbosity;
        self.terminal.before(message, self.output.clear);
        // A build's output is shown even with -q when the build failed.
        if let Message::BuildOutput { lines, failed, .. } = message {
            if !lines.is_empty() && (*failed || verbosity >= Verbosity::Verbose) {
                self.terminal.block(lines);
            }
            return;
        }
        let (level, text) = human::render(message);
        let shown = match verbosity {
            Verbosity::Quiet => level == Level::Bad,
            Verbosity::Normal => level != Level::Detail,
            Verbosity::Verbose => true,
        };
        if !shown {
            return;
        }
        self.terminal.write(&terminal::styled(level, &text));
        self.terminal
            .after(message, verbosity != Verbosity::Quiet, self.output.bell);
    }

    /// Clears the screen (the `c` key); a no-op for JSON output or a non-terminal.
    pub fn clear(&self) {
        if self.output.format == LogFormat::Human {
            self.terminal.clear_screen();
        }
    }
}
