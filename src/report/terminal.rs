//! Where hotdev's lines land, and the terminal effects around them: styling, the build
//! spinner, the bell, clearing the screen. Decides no wording (that is `human`) and never
//! writes anything but whole lines to stderr.

use std::io::Write;
use std::sync::{Arc, Mutex};

use console::{Style, Term};

use super::human::Level;
use super::message::Message;
use super::spinner::Spinner;

/// stderr, shared with the apps, and the spinner drawn on it.
pub struct Terminal {
    term: Term,
    /// Held while writing, so the spinner never draws mid-line.
    lock: Arc<Mutex<()>>,
    spinner: Mutex<Option<Spinner>>,
}

impl Terminal {
    pub fn stderr() -> Terminal {
        Terminal {
            term: Term::stderr(),
            lock: Arc::new(Mutex::new(())),
            spinner: Mutex::new(None),
        }
    }

    /// Writes `line` (erasing the spinner's line first on a terminal). A closed stderr must
    /// not take hotdev down: it still has processes to stop.
    pub fn write(&self, line: &str) {
        if let Ok(_guard) = self.lock.lock() {
            if self.term.is_term() {
                let _ = self.term.clear_line();
            }
            write_line(line);
        }
    }

    /// Writes `line` as it is: JSON, never on a terminal line of its own making.
    pub fn write_plain(&self, line: &str) {
        if let Ok(_guard) = self.lock.lock() {
            write_line(line);
        }
    }

    /// Effects that come before a message: clear the screen for a new build (`clear`), stop
    /// the spinner when its build ends.
    pub fn before(&self, message: &Message, clear: bool) {
        match message {
            Message::BuildStarted { .. } if clear && self.term.is_term() => self.clear_screen(),
            Message::BuildOk { .. }
            | Message::BuildFailed { .. }
            | Message::BuildCancelled { .. }
            | Message::Shutdown { .. }
            | Message::Exit { .. } => self.stop_spinner(),
            _ => {}
        }
    }

    /// Effects that follow a shown message: the spinner while a build runs (`spin`: not
    /// quiet), the bell on failures (`bell`).
    pub fn after(&self, message: &Message, spin: bool, bell: bool) {
        match message {
            Message::BuildStarted {
                build,
                spinner: true,
                ..
            } if spin && self.term.is_term() => {
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
            } if bell => {
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

    /// A build's own lines, verbatim (so `file:line:col` stays clickable), between rules, so
    /// they stand apart from the app's log.
    /// A build's output between two rules, each line after `prefix` (the app's name, with
    /// several apps; else empty).
    pub fn block(&self, lines: &[String], prefix: &str) {
        let rule = Style::new().dim().apply_to("─".repeat(60));
        let mut text = format!("{prefix}{rule}\n");
        for line in lines {
            text.push_str(prefix);
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(prefix);
        text.push_str(&rule.to_string());
        self.write_plain(&text);
    }

    pub fn clear_screen(&self) {
        if self.term.is_term()
            && let Ok(_guard) = self.lock.lock()
        {
            let _ = self.term.clear_screen();
        }
    }
}

/// `hotdev ✓ text`, coloured by level (console drops the colour for NO_COLOR and non-TTYs).
pub fn styled(level: Level, text: &str) -> String {
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

/// Writes `text` and its newline with one `write(2)`: the apps share hotdev's stderr, and an
/// app line must never land between an event and its line break (small pipe writes are atomic).
fn write_line(text: &str) {
    let mut buf = String::with_capacity(text.len() + 1);
    buf.push_str(text);
    buf.push('\n');
    let _ = std::io::stderr().lock().write_all(buf.as_bytes());
}
