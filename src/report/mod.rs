//! hotdev's own output: one line per step, for people (styled, on stderr) or for tools (one
//! JSON object per line, on stderr). Every line is a [`Message`]: `human` words it, serde
//! writes its JSON, `terminal` puts it on the screen. The app's output never passes through.

mod human;
mod message;
mod options;
mod spinner;
mod terminal;
pub mod text;

use std::sync::Arc;
use std::time::Instant;

pub use human::{format_duration, format_status};
pub use message::{
    CancelCause, Message, PageAction, ReadyKind, Redo, Stamped, VERSION, WarningKind,
};
pub use options::{LogFormat, OutputConfig, Verbosity};

use human::Level;
use terminal::Terminal;

/// Renders messages in the configured format. Clones share the terminal and the clock; an
/// app's reporter ([`Reporter::for_app`]) names its app on every line.
#[derive(Clone)]
pub struct Reporter {
    output: OutputConfig,
    started: Instant,
    terminal: Arc<Terminal>,
    app: Option<Arc<AppLabel>>,
}

/// An app's name as its lines show it.
struct AppLabel {
    name: String,
    /// The name padded to the widest app's and styled in the app's colour, with a separator:
    /// the start of each of its lines, hotdev's and the app's own.
    prefix: String,
}

/// The colours apps are told apart by, in order (as overmind and foreman do).
const APP_COLOURS: [console::Color; 6] = [
    console::Color::Cyan,
    console::Color::Magenta,
    console::Color::Green,
    console::Color::Yellow,
    console::Color::Blue,
    console::Color::Red,
];

/// The start of every line of app `name`: padded to `width`, in the colour of app number
/// `index` on a colour terminal (plain with NO_COLOR or without one).
pub fn app_prefix(name: &str, width: usize, index: usize) -> String {
    let style = console::Style::new()
        .fg(APP_COLOURS[index % APP_COLOURS.len()])
        .for_stderr();
    format!("{} │ ", style.apply_to(format!("{name:<width$}")))
}

impl Reporter {
    pub fn new(output: OutputConfig) -> Reporter {
        Reporter {
            output,
            started: Instant::now(),
            terminal: Arc::new(Terminal::stderr()),
            app: None,
        }
    }

    /// The same reporter, naming `name` on each line: its human lines start with `prefix`
    /// ([`app_prefix`]), its JSON events carry `"app"`.
    pub fn for_app(&self, name: &str, prefix: String) -> Reporter {
        Reporter {
            app: Some(Arc::new(AppLabel {
                name: name.to_string(),
                prefix,
            })),
            ..self.clone()
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
            app: self.app.as_ref().map(|label| label.name.clone()),
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
                let prefix = self.app.as_ref().map_or("", |label| label.prefix.as_str());
                self.terminal.block(lines, prefix);
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
        let line = terminal::styled(level, &text);
        match &self.app {
            Some(label) => self.terminal.write(&format!("{}{line}", label.prefix)),
            None => self.terminal.write(&line),
        }
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
