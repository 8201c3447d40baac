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
    /// A worker thread (`what`, named for people, e.g. "the watcher") died: by a panic
    /// (`cause` is `None`, the panic message is already on stderr) or by an error it cannot go
    /// on after. hotdev would go on blind, so it stops everything and exits 1.
    WorkerDied { what: String, cause: Option<String> },
}

/// Which app of the project an input is about (its index in start-up order of the config);
/// inputs about no app in particular (signals, keys, the watcher) come from app 0's sender.
pub type AppId = usize;

/// The sending side: cheap to clone. Every input it sends is tagged with its app, so that one
/// loop can serve several apps while each source knows nothing of the others.
#[derive(Debug, Clone)]
pub struct Sender {
    inner: mpsc::Sender<(AppId, Input)>,
    app: AppId,
}

impl Sender {
    pub fn send(&self, input: Input) -> Result<(), mpsc::SendError<Input>> {
        self.inner
            .send((self.app, input))
            .map_err(|mpsc::SendError((_, input))| mpsc::SendError(input))
    }

    /// A sender whose inputs are about `app`.
    pub fn for_app(&self, app: AppId) -> Sender {
        Sender {
            inner: self.inner.clone(),
            app,
        }
    }

    /// The app this sender's inputs are about.
    pub fn app(&self) -> AppId {
        self.app
    }
}

/// The loop's side.
#[derive(Debug)]
pub struct Receiver(mpsc::Receiver<(AppId, Input)>);

impl Receiver {
    /// The next input and the app it is about.
    pub fn recv_tagged(&self) -> Result<(AppId, Input), mpsc::RecvError> {
        self.0.recv()
    }

    pub fn recv(&self) -> Result<Input, mpsc::RecvError> {
        self.0.recv().map(|(_, input)| input)
    }

    pub fn recv_timeout(
        &self,
        timeout: std::time::Duration,
    ) -> Result<Input, mpsc::RecvTimeoutError> {
        self.0.recv_timeout(timeout).map(|(_, input)| input)
    }

    /// The next input within `timeout`, and the app it is about.
    pub fn recv_timeout_tagged(
        &self,
        timeout: std::time::Duration,
    ) -> Result<(AppId, Input), mpsc::RecvTimeoutError> {
        self.0.recv_timeout(timeout)
    }

    pub fn try_recv(&self) -> Result<Input, mpsc::TryRecvError> {
        self.0.try_recv().map(|(_, input)| input)
    }

    pub fn iter(&self) -> impl Iterator<Item = Input> + '_ {
        self.0.iter().map(|(_, input)| input)
    }
}

/// A channel whose sender speaks for app 0.
pub fn channel() -> (Sender, Receiver) {
    let (inner, rx) = mpsc::channel();
    (Sender { inner, app: 0 }, Receiver(rx))
}

/// Held by a worker thread for its whole life: if the thread unwinds (a panic), the loop
/// hears of it as [`Input::WorkerDied`] instead of waiting for events that never come.
pub struct Watchdog {
    what: String,
    tx: Sender,
}

impl Watchdog {
    pub fn new(what: impl Into<String>, tx: Sender) -> Watchdog {
        Watchdog {
            what: what.into(),
            tx,
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.tx.send(Input::WorkerDied {
                what: std::mem::take(&mut self.what),
                cause: None,
            });
        }
    }
}

/// Starts thread `name` running `f` under a [`Watchdog`] that reports `what` on `tx`.
pub fn spawn_worker(
    name: &str,
    what: &str,
    tx: &Sender,
    f: impl FnOnce() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let watchdog = Watchdog::new(what, tx.clone());
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _watchdog = watchdog;
            f()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_worker_is_reported_and_a_finished_one_is_not() {
        let (tx, rx) = channel();
        spawn_worker("t-ok", "the fine one", &tx, || {})
            .unwrap()
            .join()
            .unwrap();
        let died = spawn_worker("t-panic", "the watcher", &tx, || panic!("boom")).unwrap();
        assert!(died.join().is_err());
        drop(tx);
        let reports: Vec<String> = rx
            .iter()
            .filter_map(|input| match input {
                Input::WorkerDied { what, .. } => Some(what),
                _ => None,
            })
            .collect();
        assert_eq!(reports, ["the watcher"]);
    }
}
