//! The watcher: OS file events in, one filtered [`ChangeSet`] per debounced burst out.
//!
//! Debouncing is a true quiet period, driven by the events themselves: a burst ends when no
//! relevant event arrived for `debounce` and no changed file is still open for writing (with
//! inotify, which reports the close), capped at [`MAX_BURST`] so that a file written for ever
//! cannot hold builds back. An idle watcher thread blocks on its channel and never wakes up.
//!
//! With `settle` (speculative builds), a burst that has paused that long while no changed file
//! is still open for writing is sent early, once, as a *tentative* change. If the burst goes on,
//! [`Event::Unsettled`] follows at once; when it ends, a normal change names what came after the
//! tentative one, or [`Event::Settled`] says nothing did. The engine builds at once and swaps
//! only when the burst is over.
//! (notify-debouncer-full was used first; its fixed tick woke hotdev ~150 times a second when
//! idle, released each path on its own clock so a burst with a short pause became two builds,
//! and added a tick to every reload — see BENCHMARKS.md.)
//!
//! Each directory the [`Filter`] enters gets its own non-recursive watch, so an ignored
//! `node_modules` or `target/` costs no inotify watch at all; new directories are walked and
//! watched as they appear. It decides nothing about builds: it only sends to the bus.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use nix::errno::Errno;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use notify::RecommendedWatcher;
use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{self, ErrorKind, EventKind, PollWatcher, RecursiveMode, Watcher as _};

use crate::bus::{Input, Sender};
use crate::engine::Event;
use crate::filter::Filter;
use backend::Backend;
use burst::{Burst, Pending, Sent};
pub use error::WatchError;
pub use routes::{Route, Routes};
use worker::{Worker, fault_watch_limit, start_instant};

/// A running watcher. Dropping it stops watching; nothing is sent after `drop` returns.
pub struct Watcher {
    control: mpsc::Sender<Msg>,
    worker: Option<JoinHandle<()>>,
    watched: Arc<AtomicUsize>,
}

impl Watcher {
    /// Watches `cfg.paths` through `filter` and sends one [`Input`] per debounced burst to
    /// `tx`. Returns at once: the watches are set up on the watcher's thread while the first
    /// build runs, [`Input::Watching`] says when they are all in place, and a file changed
    /// meanwhile in a directory watched late still counts (its mtime is after the start).
    pub fn start(cfg: &WatchConfig, filter: Filter, tx: Sender) -> Result<Watcher, WatchError> {
        let root = filter.root().to_path_buf();
        let route = Route::new(cfg, filter, tx.clone());
        Watcher::start_routes(cfg, &root, Routes(vec![route]), tx)
    }

    /// One watcher for several apps: `cfg` is the union of their watch configs ([`WatchConfig::union`]),
    /// `root` the project's directory, and each route says which changes go to which app.
    /// `tx` gets what concerns no app in particular (warnings, the watch count).
    pub fn start_routes(
        cfg: &WatchConfig,
        root: &Path,
        routes: Routes,
        tx: Sender,
    ) -> Result<Watcher, WatchError> {
        let (control, rx) = mpsc::channel();
        let handler_tx = control.clone();
        let handler = move |res: notify::Result<notify::Event>| {
            let _ = handler_tx.send(Msg::Raw(res));
        };
        // A poller reports one change over up to two scans (a directory's mtime in one, the
        // file inside it in the next), so its bursts need a quiet period longer than a scan.
        let debounce = match cfg.poll {
            Some(interval) => cfg.debounce.max(interval * 3 / 2),
            None => cfg.debounce,
        }
        .max(Duration::from_millis(1));
        let backend = Backend::new(cfg.poll, handler, &tx)?;
        // Only inotify says when a writer closed a file; a poller or FSEvents never would.
        let track_writes =
            cfg.poll.is_none() && cfg!(any(target_os = "linux", target_os = "android"));
        let watched = Arc::new(AtomicUsize::new(0));
        let since = start_instant();
        // Watched by name in their directory: hotdev's own files, and each root but the project
        // itself, so that a root deleted and made again is seen coming back.
        let named = cfg
            .files
            .iter()
            .chain(cfg.paths.iter().filter(|path| *path != root))
            .cloned()
            .collect();
        let follow = cfg.follow_symlinks.then(|| {
            Arc::new(
                cfg.paths
                    .iter()
                    .map(|root| root.canonicalize().unwrap_or_else(|_| root.clone()))
                    .collect(),
            )
        });
        let mut worker = Worker {
            backend,
            bursts: 0,
            filter: Arc::new(routes),
            dirs: BTreeSet::new(),
            roots: cfg.paths.clone(),
            files: cfg.files.iter().cloned().collect(),
            named,
            anchors: BTreeSet::new(),
            fresh: HashMap::new(),
            follow,
            fault_limit: fault_watch_limit(),
            // FSEvents and ReadDirectoryChangesW are recursive by nature and slow to re-arm per
            // directory; inotify and polling are what per-directory watches are for.
            per_dir: cfg.poll.is_some() || cfg!(any(target_os = "linux", target_os = "android")),
            debounce,
            // No early change where hotdev cannot tell that a writer is done.
            settle: cfg
                .settle
                .filter(|settle| *settle < debounce && track_writes),
            track_writes,
            watched: Arc::clone(&watched),
            limit_reported: false,
            tx,
        };
        for root in &cfg.paths {
            if !root.exists() {
                return Err(WatchError::Other(format!(
                    "cannot watch {}: it does not exist",
                    root.display()
                )));
            }
        }
        let tx = worker.tx.clone();
        let worker = crate::bus::spawn_worker("hotdev-watch", "the watcher", &tx, move || {
            // Fault injection for the tests of what a dead watcher does (exit 1, nothing left).
            if std::env::var_os("HOTDEV_FAULT").is_some_and(|f| f == "watcher-panic") {
                panic!("HOTDEV_FAULT=watcher-panic");
            }
            if worker.set_up(since) {
                worker.run(rx);
            }
        })
        .map_err(|e| WatchError::Other(format!("cannot start the watcher thread: {e}")))?;
        Ok(Watcher {
            control,
            worker: Some(worker),
            watched,
        })
    }

    /// How many OS watches are in place (one per watched directory with inotify).
    pub fn watched_dirs(&self) -> usize {
        self.watched.load(Ordering::Relaxed)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.control.send(Msg::Stop);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The longest a burst may last before it is sent anyway.
pub const MAX_BURST: Duration = Duration::from_secs(2);

enum Msg {
    Raw(notify::Result<notify::Event>),
    Stop,
}

mod backend;
mod error;
mod spec;
mod worker;
pub use spec::WatchConfig;
mod burst;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod inotify;
mod routes;

#[cfg(test)]
mod tests;
