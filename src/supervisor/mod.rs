//! Every process hotdev starts, by process group: builds and generations, their waiters,
//! readiness checks and captured output. The shell's hands for the engine's actions.
//!
//! It carries out and reports effects (pids, timings); it decides nothing. A process it starts
//! is known here until its whole group is gone, and killed when the supervisor is dropped.

mod build;
mod generation;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use console::Term;
use nix::sys::signal::Signal;

use crate::bus::{self, Sender};
use crate::engine::{BuildId, GenId};
use crate::process::{self, guard::Guard};
use crate::process::{CommandSpec, Program};
use crate::ready::{NotifySocket, Registry};
use crate::sockets::Listeners;

use build::BuildRun;
use generation::GenerationRun;

/// How long a finished build's output (or an exited generation's last words) may still
/// trickle in: a daemon it left behind may hold the pipe open for ever.
const OUTPUT_GRACE: Duration = Duration::from_millis(500);

/// The processes hotdev runs and what it needs to start more.
pub struct Supervisor {
    tx: Sender,
    /// Kills what hotdev started if hotdev is killed; `None` if it could not start.
    guard: Option<Arc<Guard>>,
    listeners: Listeners,
    registry: Registry,
    notify: Option<NotifySocket>,
    builds: BTreeMap<BuildId, BuildRun>,
    generations: BTreeMap<GenId, GenerationRun>,
    /// The last lines of the generation that exited last (for the browser's overlay).
    last_exit: Option<(GenId, Vec<String>)>,
    /// An app of several: every line of its output starts with this (its name).
    prefix: Option<String>,
    /// Environment builds get unless the user set it: colour, when their output (shown on
    /// hotdev's stderr) reaches a colour terminal through hotdev's pipe.
    build_fallback_env: Vec<(String, String)>,
    /// The same for generations, whose output goes to hotdev's stdout and stderr.
    app_fallback_env: Vec<(String, String)>,
}

impl Supervisor {
    pub fn new(
        tx: Sender,
        guard: Option<Arc<Guard>>,
        listeners: Listeners,
        registry: Registry,
        notify: Option<NotifySocket>,
    ) -> Supervisor {
        Supervisor {
            tx,
            guard,
            listeners,
            registry,
            notify,
            builds: BTreeMap::new(),
            generations: BTreeMap::new(),
            last_exit: None,
            prefix: None,
            build_fallback_env: process::colour::fallback_env(colour_terminal(&[Term::stderr()])),
            app_fallback_env: process::colour::fallback_env(colour_terminal(&[
                Term::stdout(),
                Term::stderr(),
            ])),
        }
    }

    /// An app of several: its output is read (both streams) and each line prefixed.
    pub fn with_prefix(mut self, prefix: String) -> Supervisor {
        self.prefix = Some(prefix);
        self
    }

    pub fn listeners(&self) -> &Listeners {
        &self.listeners
    }

    /// Opens the readiness socket if there is none yet (a reload turned `notify` on).
    pub fn ensure_notify_socket(&mut self) -> std::io::Result<()> {
        if self.notify.is_none() {
            let socket = NotifySocket::open()?;
            socket.serve(self.registry.clone(), self.tx.clone())?;
            self.notify = Some(socket);
        }
        Ok(())
    }

    /// The guard kills this group if hotdev dies.
    fn cover(&self, pgid: i32) {
        if let Some(guard) = &self.guard {
            guard.cover(pgid);
        }
    }

    /// The group is gone: the guard can let it go.
    fn release(&self, pgid: i32) {
        if let Some(guard) = &self.guard {
            guard.release(pgid);
        }
    }

    /// Starts a worker thread whose panic reaches the loop ([`bus::Input::WorkerDied`]).
    fn spawn_worker(&self, name: &str, f: impl FnOnce() + Send + 'static) {
        spawn_named(name, &self.tx, f);
    }
}

impl Drop for Supervisor {
    /// The last line of defence: whatever path leaves the loop, nothing hotdev started
    /// outlives it. A normal exit has nothing left here.
    fn drop(&mut self) {
        for run in self.builds.values() {
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
        for run in self.generations.values() {
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
    }
}

/// Starts worker thread `name` whose panic reaches the loop ([`bus::Input::WorkerDied`]).
pub fn spawn_named(name: &str, tx: &Sender, f: impl FnOnce() + Send + 'static) {
    // Spawning a thread only fails when the system is out of resources. Say so: the Drop of
    // the supervisor still kills every process group it knows about when hotdev exits.
    if let Err(e) = bus::spawn_worker(name, name, tx, f) {
        crate::error::print(&format!("cannot start a thread: {e}"));
    }
}

/// A command as words, for a look at what it runs: its argv, or its shell script split as the
/// shell would (nothing when the script does not split).
pub fn command_words(command: &CommandSpec) -> Vec<String> {
    match &command.program {
        Program::Argv(argv) => argv.clone(),
        Program::Script(script) => shell_words::split(script).unwrap_or_default(),
    }
}

/// Whether every one of `terms` is a terminal that takes colour (`NO_COLOR` unset, `TERM` not
/// `dumb`), as hotdev's own styling decides it.
fn colour_terminal(terms: &[Term]) -> bool {
    terms.iter().all(|term| term.features().colors_supported())
}
