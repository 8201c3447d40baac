//! The one channel every event source sends into and the shell's loop receives from.
//!
//! Sources (watcher, process waiters, readiness checks, timers, signals, keys) only send;
//! nothing here decides anything.

use std::path::PathBuf;
use std::sync::mpsc;

use crate::engine::Event;

/// One message to the shell's loop.
#[derive(Debug)]
pub enum Input {
    /// An event for the engine.
    Event(Event),
    /// The watcher hit a problem it carries on after (a watch it could not add, an ignore
    /// file that does not parse): the message says why and what to do.
    WatchWarning(String),
    /// Every watch is in place (the number of watched directories); set-up runs beside the
    /// first build.
    Watching(usize),
    /// A burst of file events was filtered out completely (shown with -v).
    Ignored(Vec<PathBuf>),
    /// hotdev received SIGINT, SIGTERM or SIGHUP (the signal number).
    Signal(i32),
    /// The user pressed a command key.
    Key(crate::keys::Key),
}

pub type Sender = mpsc::Sender<Input>;
pub type Receiver = mpsc::Receiver<Input>;

pub fn channel() -> (Sender, Receiver) {
    mpsc::channel()
}
