//! Single-key commands when stdin is a terminal: `r` rebuild, `R` restart, `c` clear, `p` pause,
//! `q` quit, `h`/`?` help.
//!
//! The terminal goes into *cbreak* mode (no line buffering, no echo) rather than full raw mode:
//! output post-processing and Ctrl-C stay on, so the app's log lines keep their line breaks and
//! Ctrl-C still reaches hotdev as SIGINT. The saved settings are restored when [`Keys`] drops
//! and from a panic hook; this module never decides what a key does.

use std::io::Read;
use std::os::fd::AsFd;
use std::sync::{Mutex, OnceLock};
use std::thread;

use nix::sys::termios::{self, LocalFlags, SetArg, Termios};

/// The settings to restore, shared with the panic hook.
static SAVED: OnceLock<Mutex<Option<Termios>>> = OnceLock::new();

/// A key the user pressed, as the shell understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Rebuild,
    Restart,
    Clear,
    Pause,
    Quit,
    Help,
    /// A digit: with several apps, `1`–`9` pick the app `r`, `R` and `p` act on, `0` all.
    Select(u8),
}

impl Key {
    /// The key that stands for a rebuild or restart, for the line that says it was pressed.
    pub fn char(self) -> char {
        match self {
            Key::Rebuild => 'r',
            Key::Restart => 'R',
            Key::Clear => 'c',
            Key::Pause => 'p',
            Key::Quit => 'q',
            Key::Help => 'h',
            Key::Select(n) => char::from(b'0' + n),
        }
    }
}

/// Maps a byte read from the terminal to a command; other keys are ignored.
pub fn key_of(byte: u8) -> Option<Key> {
    match byte {
        b'r' => Some(Key::Rebuild),
        b'R' => Some(Key::Restart),
        b'c' => Some(Key::Clear),
        b'p' => Some(Key::Pause),
        b'q' => Some(Key::Quit),
        b'h' | b'?' => Some(Key::Help),
        b'0'..=b'9' => Some(Key::Select(byte - b'0')),
        _ => None,
    }
}

/// The one help line shown for `h`.
pub const HELP: &str =
    "keys: r rebuild · R restart without building · c clear · p pause/resume · q quit";

/// Keeps the terminal in cbreak mode while alive.
pub struct Keys {
    _private: (),
}

impl Keys {
    /// Starts reading keys when stdin is a terminal that hotdev owns in the foreground;
    /// `None` otherwise (piped stdin, CI, `hotdev &`). Each key goes to `deliver`, until it
    /// returns `false` (its receiver is gone).
    pub fn start(deliver: impl Fn(Key) -> bool + Send + 'static) -> Option<Keys> {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        if !nix::unistd::isatty(fd).unwrap_or(false) {
            return None;
        }
        // In the background, reading the terminal would stop hotdev with SIGTTIN.
        if nix::unistd::tcgetpgrp(fd).ok()? != nix::unistd::getpgrp() {
            return None;
        }
        let saved = termios::tcgetattr(fd).ok()?;
        let mut cbreak = saved.clone();
        cbreak
            .local_flags
            .remove(LocalFlags::ICANON | LocalFlags::ECHO);
        termios::tcsetattr(fd, SetArg::TCSANOW, &cbreak).ok()?;
        if let Ok(mut slot) = SAVED.get_or_init(|| Mutex::new(None)).lock() {
            *slot = Some(saved);
        }
        install_panic_hook();
        follow_job_control(cbreak);
        let reader = thread::Builder::new()
            .name("hotdev-keys".into())
            .spawn(move || {
                let mut byte = [0u8; 1];
                let mut stdin = std::io::stdin();
                while let Ok(1) = stdin.read(&mut byte) {
                    if let Some(key) = key_of(byte[0])
                        && !deliver(key)
                    {
                        break;
                    }
                }
            });
        if reader.is_err() {
            restore();
            return None;
        }
        Some(Keys { _private: () })
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as hotdev found it. Safe to call more than once.
pub fn restore() {
    let Some(slot) = SAVED.get() else {
        return;
    };
    if let Ok(mut slot) = slot.lock()
        && let Some(saved) = slot.take()
    {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, &saved);
    }
}

/// Ctrl-Z (SIGTSTP): put the terminal back, then stop as the shell expects. `fg` (SIGCONT):
/// cbreak again, if hotdev is in the foreground. The app keeps serving meanwhile: it is in
/// process groups of its own, which the terminal's Ctrl-Z does not reach.
fn follow_job_control(cbreak: Termios) {
    use signal_hook::consts::{SIGCONT, SIGTSTP};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTSTP, SIGCONT]) else {
        return;
    };
    let _ = thread::Builder::new()
        .name("hotdev-jobs".into())
        .spawn(move || {
            for signal in signals.forever() {
                let stdin = std::io::stdin();
                let fd = stdin.as_fd();
                if signal == SIGTSTP {
                    if let Some(Ok(slot)) = SAVED.get().map(|s| s.lock())
                        && let Some(saved) = slot.as_ref()
                    {
                        let _ = termios::tcsetattr(fd, SetArg::TCSANOW, saved);
                    }
                    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP);
                } else if nix::unistd::tcgetpgrp(fd).ok() == Some(nix::unistd::getpgrp()) {
                    let _ = termios::tcsetattr(fd, SetArg::TCSANOW, &cbreak);
                }
            }
        });
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_commands() {
        assert_eq!(key_of(b'r'), Some(Key::Rebuild));
        assert_eq!(key_of(b'2'), Some(Key::Select(2)));
        assert_eq!(Key::Select(2).char(), '2');
        assert_eq!(key_of(b'R'), Some(Key::Restart));
        assert_eq!(key_of(b'q'), Some(Key::Quit));
        assert_eq!(key_of(b'?'), Some(Key::Help));
        assert_eq!(key_of(b'x'), None);
    }
}
