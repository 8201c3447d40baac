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
use burst::{Burst, Pending, Sent};

/// Why watching could not start (or go on). Displays as one line a user can act on.
#[derive(Debug)]
pub enum WatchError {
    /// inotify's per-user watch limit (`fs.inotify.max_user_watches`, ENOSPC).
    WatchLimit,
    /// inotify's per-user instance limit (`fs.inotify.max_user_instances`) or the open-file
    /// limit (EMFILE).
    InstanceLimit,
    /// Anything else, already phrased.
    Other(String),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::WatchLimit => f.write_str(
                "cannot watch more directories: the inotify watch limit (fs.inotify.max_user_watches) \
                 is reached; raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, ignore \
                 big directories in .gitignore or watch.ignore, or use --poll",
            ),
            WatchError::InstanceLimit => f.write_str(
                "cannot start a file watcher: the inotify instance limit (fs.inotify.max_user_instances) \
                 or the open-file limit is reached; raise it with \
                 `sudo sysctl fs.inotify.max_user_instances=1024`, or use --poll",
            ),
            WatchError::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for WatchError {}

impl From<notify::Error> for WatchError {
    fn from(err: notify::Error) -> Self {
        let raw = match &err.kind {
            ErrorKind::MaxFilesWatch => return WatchError::WatchLimit,
            ErrorKind::Io(io) => io.raw_os_error(),
            _ => None,
        };
        match raw {
            Some(code) if code == Errno::ENOSPC as i32 => WatchError::WatchLimit,
            Some(code) if code == Errno::EMFILE as i32 => WatchError::InstanceLimit,
            _ => {
                let what = match &err.kind {
                    ErrorKind::PathNotFound => "it does not exist".to_owned(),
                    ErrorKind::Io(io) => io.to_string(),
                    ErrorKind::Generic(msg) => msg.clone(),
                    _ => err.to_string(),
                };
                WatchError::Other(match err.paths.first() {
                    Some(path) => format!("cannot watch {}: {what}", path.display()),
                    None => format!("file watcher failed: {what}"),
                })
            }
        }
    }
}

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
            .chain(cfg.paths.iter().filter(|root| *root != filter.root()))
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
            filter: Arc::new(filter),
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

enum Backend {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Inotify(inotify::InotifyBackend),
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

impl Backend {
    fn new<F>(poll: Option<Duration>, handler: F, tx: &Sender) -> notify::Result<Backend>
    where
        F: FnMut(notify::Result<notify::Event>) + Send + 'static,
    {
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = tx;
        Ok(match poll {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            None => Backend::Inotify(inotify::InotifyBackend::new(handler, tx)?),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            None => Backend::Native(RecommendedWatcher::new(handler, notify::Config::default())?),
            Some(interval) => Backend::Poll(PollWatcher::new(
                handler,
                // notify's poller compares mtimes in whole seconds: without hashing, a save in
                // the same second as the previous one would be missed, not just delayed.
                notify::Config::default()
                    .with_poll_interval(interval)
                    .with_compare_contents(true),
            )?),
        })
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Inotify(d) => d.watch(path),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Backend::Native(d) => d.watch(path, mode),
            Backend::Poll(d) => d.watch(path, mode),
        }
    }

    /// Errors mean the watch is already gone (the kernel drops it with the directory).
    fn unwatch(&mut self, path: &Path) {
        let _ = match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Inotify(d) => {
                d.unwatch(path);
                Ok(())
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Backend::Native(d) => d.unwatch(path),
            Backend::Poll(d) => d.unwatch(path),
        };
    }
}

/// The watcher thread's state: it alone touches the backend after `start`.
struct Worker {
    backend: Backend,
    filter: Arc<Filter>,
    /// Directories with a watch of their own.
    dirs: BTreeSet<PathBuf>,
    roots: Vec<PathBuf>,
    /// Files watched by name (`WatchConfig::files`): reported whatever the filter says.
    files: BTreeSet<PathBuf>,
    /// Paths watched by name in their parent directory: `files`, and the roots below the
    /// project's own (a root deleted and made again is watched again).
    named: BTreeSet<PathBuf>,
    /// The parent directories of `named`: their watches stay whatever happens to the tree.
    anchors: BTreeSet<PathBuf>,
    /// With `watch.follow_symlinks`: the roots, canonical. A symlinked directory is followed
    /// when its target is outside all of them.
    follow: Option<Arc<Vec<PathBuf>>>,
    /// Directories that appeared empty (of accepted files) lately: gone again at once, they
    /// are nothing.
    fresh: HashMap<PathBuf, Instant>,
    /// `HOTDEV_FAULT=watch-limit`: the OS watch limit is "reached" after this many watches.
    fault_limit: Option<usize>,
    per_dir: bool,
    /// The quiet period that ends a burst.
    debounce: Duration,
    /// The pause after which a burst is sent early as a tentative change.
    settle: Option<Duration>,
    /// Follow which accepted files are open for writing: a burst does not end while one is.
    track_writes: bool,
    watched: Arc<AtomicUsize>,
    /// The watch limit was reported: it is said once, not once per directory.
    limit_reported: bool,
    tx: Sender,
}

impl Worker {
    /// Watches every root, then says how many directories are watched. A file modified after
    /// `since` (the watcher's start) counts as a change: its directory may have been watched
    /// only after the write. False when the shell is gone.
    fn set_up(&mut self, since: SystemTime) -> bool {
        let mut found = Vec::new();
        for root in self.roots.clone() {
            if let Err(err) = self.add_tree(&root, Some(&mut found)) {
                self.warn(WatchError::from(err));
            }
        }
        self.anchor();
        self.publish_count();
        // Which files changed during set-up is decided before `Watching` goes out: a write
        // after it is an event of its own (its watch is in place), never a second report.
        let mut burst = Burst::default();
        for file in found {
            let modified = file.symlink_metadata().and_then(|meta| meta.modified());
            if modified.is_ok_and(|at| at > since) {
                burst.note(&self.filter, &file, false);
            }
        }
        if self.tx.send(Input::Watching(self.dirs.len())).is_err() {
            return false;
        }
        burst.send(&self.tx, false) != Sent::Closed
    }

    /// Sends a warning; the watch limit only once (every new directory would hit it again).
    fn warn(&mut self, err: WatchError) {
        if matches!(err, WatchError::WatchLimit) {
            if self.limit_reported {
                return;
            }
            self.limit_reported = true;
        }
        let _ = self.tx.send(Input::WatchWarning(err.to_string()));
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        // Blocks while idle: no timer runs until an event arrives.
        while let Ok(msg) = rx.recv() {
            let first = match msg {
                Msg::Stop => return,
                Msg::Raw(Ok(event)) => event,
                Msg::Raw(Err(error)) => {
                    self.report(vec![error]);
                    continue;
                }
            };
            let started = Instant::now();
            let cap = started + MAX_BURST.max(self.debounce * 4);
            let mut burst = Pending::new(started);
            self.add(&mut burst, first, started);
            loop {
                let now = Instant::now();
                let end = burst.ends_at(self.debounce, cap);
                let early = burst.early_at(self.settle).filter(|at| *at < end);
                if early.is_some_and(|at| now >= at) {
                    match self.handle(&burst.take(), true) {
                        Sent::Change => burst.tentative = true,
                        Sent::Nothing => {}
                        Sent::Closed => return,
                    }
                    continue;
                }
                if now >= end {
                    break;
                }
                match rx.recv_timeout(early.unwrap_or(end) - now) {
                    Ok(Msg::Raw(Ok(event))) => {
                        // Only events that could matter extend the quiet period: an app that
                        // writes an ignored log file all the time must not hold builds back.
                        // The speculative build is stale: say so now, not when the burst ends,
                        // so that it stops taking CPU from everything else.
                        if self.add(&mut burst, event, Instant::now())
                            && burst.goes_on_after_tentative()
                            && self.tx.send(Input::Event(Event::Unsettled)).is_err()
                        {
                            return;
                        }
                    }
                    Ok(Msg::Raw(Err(error))) => self.report(vec![error]),
                    Ok(Msg::Stop) => return,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            let sent = self.handle(&burst.events, false);
            let confirmed = match sent {
                Sent::Closed => return,
                // Nothing after the tentative change counted: that change was the whole burst.
                Sent::Nothing if burst.tentative => self.tx.send(Input::Event(Event::Settled)),
                Sent::Nothing | Sent::Change => Ok(()),
            };
            if confirmed.is_err() {
                return; // the shell is gone
            }
        }
    }

    /// Adds an event to the burst; true when it is relevant (it extends the quiet period).
    fn add(&self, burst: &mut Pending, event: notify::Event, now: Instant) -> bool {
        let relevant = self.relevant(&event);
        let writes = self.track_writes.then_some(&*self.filter);
        burst.add(event, relevant, now, writes);
        relevant
    }

    /// Whether an event may change what is built: a rescan, a directory, or an accepted path.
    fn relevant(&self, event: &notify::Event) -> bool {
        event.need_rescan()
            || (counts(&event.kind)
                && event.paths.iter().any(|path| {
                    if !self.in_scope(path) {
                        return false;
                    }
                    let is_dir = path.is_dir();
                    is_dir
                        || self.files.contains(path)
                        || self.filter.accepts(path, is_dir)
                        || self.filter.is_ignore_file(path)
                }))
    }

    /// Turns (part of) a burst into one message; `tentative` when more may follow.
    fn handle(&mut self, events: &[notify::Event], tentative: bool) -> Sent {
        let mut burst = Burst::default();
        let mut new_dirs = Vec::new();
        let mut rules_changed = false;
        for event in events {
            if event.need_rescan() {
                burst.overflow = true;
                continue;
            }
            if !counts(&event.kind) {
                continue;
            }
            // Whatever was at a created, removed or renamed path is not what is there now:
            // its watches are dropped, and a directory there now is watched afresh (inotify
            // drops a deleted directory's watch, so one recreated at once needs a new one).
            let replaced = matches!(
                event.kind,
                EventKind::Create(_)
                    | EventKind::Remove(_)
                    | EventKind::Modify(ModifyKind::Name(_))
            );
            for path in &event.paths {
                if !self.in_scope(path) {
                    continue; // a neighbour of a file or root watched by name
                }
                if self.files.contains(path) {
                    burst.note_own(path);
                    continue;
                }
                let exists = path.symlink_metadata().ok();
                let was_watched = self.dirs.contains(path);
                let is_dir = match event.kind {
                    EventKind::Create(notify::event::CreateKind::Folder)
                    | EventKind::Remove(notify::event::RemoveKind::Folder) => true,
                    _ => match &exists {
                        Some(meta) => meta.is_dir(),
                        None => was_watched,
                    },
                };
                if exists.is_none() || (replaced && was_watched) {
                    self.forget(path);
                }
                let dir_now = exists
                    .as_ref()
                    .is_some_and(|meta| meta.is_dir() || (meta.is_symlink() && self.follows(path)));
                if dir_now && !self.dirs.contains(path) && self.filter.enters(path) {
                    new_dirs.push(path.clone());
                }
                rules_changed |= self.filter.is_ignore_file(path);
                // A directory counts through the files it holds: one that is there now, new or
                // not, only through those its scan finds (an empty one changes no build); one
                // that vanished counts if it was part of the watched tree, unless it came and
                // went empty within a burst's time (cargo makes `target/` as `targetXXXXXX`
                // and renames it: within one burst, or across two).
                let fresh = self
                    .fresh
                    .remove(path)
                    .is_some_and(|at| at.elapsed() < MAX_BURST);
                let came_and_went = exists.is_none() && !was_watched;
                if !(is_dir && (dir_now || fresh || came_and_went)) {
                    burst.note(&self.filter, path, is_dir);
                }
            }
        }
        if rules_changed {
            match self.filter.rebuild() {
                Ok(filter) => {
                    self.filter = Arc::new(filter);
                    self.resync();
                }
                Err(err) => {
                    let msg = format!("{err} (keeping the previous watch rules)");
                    if self.tx.send(Input::WatchWarning(msg)).is_err() {
                        return Sent::Closed;
                    }
                }
            }
        }
        for dir in new_dirs {
            // Files created in a new directory before its watch was added still count.
            let mut found = Vec::new();
            if let Err(err) = self.add_tree(&dir, Some(&mut found)) {
                self.warn(WatchError::from(err));
            }
            let accepted = found
                .iter()
                .filter(|f| self.filter.accepts(f, false))
                .count();
            for file in found {
                burst.note(&self.filter, &file, false);
            }
            if accepted == 0 {
                self.fresh.insert(dir, Instant::now());
            }
        }
        self.fresh.retain(|_, at| at.elapsed() < MAX_BURST);
        if burst.overflow {
            self.resync();
        }
        self.publish_count();
        burst.send(&self.tx, tentative)
    }

    /// Watches `dir` and every directory below it that the filter enters; with `found`, also
    /// lists the files seen on the way.
    fn add_tree(&mut self, dir: &Path, mut found: Option<&mut Vec<PathBuf>>) -> notify::Result<()> {
        if !self.per_dir || !dir.is_dir() {
            if self.dirs.insert(dir.to_path_buf()) {
                return tolerate(self.backend.watch(dir, RecursiveMode::Recursive));
            }
            return Ok(());
        }
        let filter = Arc::clone(&self.filter);
        let want_files = found.is_some();
        let follow = self.follow.clone();
        let walk = ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .hidden(false)
            .parents(false)
            // The walker also stops at a link back to one of its own ancestors.
            .follow_links(follow.is_some())
            .filter_entry(move |e| match e.file_type() {
                // Followed links report their target's type.
                Some(t) if t.is_dir() => {
                    filter.enters(e.path())
                        && (e.depth() == 0
                            || !e.path_is_symlink()
                            || follow
                                .as_deref()
                                .is_some_and(|roots| outside(e.path(), roots)))
                }
                _ => want_files,
            })
            .build();
        // Vanished or unreadable entries are skipped: a directory deleted mid-walk is normal.
        for entry in walk.flatten() {
            let path = entry.path();
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                if !self.dirs.contains(path) {
                    if self
                        .fault_limit
                        .is_some_and(|limit| self.dirs.len() >= limit)
                    {
                        return Err(notify::Error::new(ErrorKind::MaxFilesWatch));
                    }
                    tolerate(self.backend.watch(path, RecursiveMode::NonRecursive))?;
                    self.dirs.insert(entry.into_path());
                }
            } else if let Some(found) = found.as_deref_mut() {
                found.push(entry.into_path());
            }
        }
        Ok(())
    }

    /// Drops the watches of `path` and everything below it.
    fn forget(&mut self, path: &Path) {
        let below: Vec<PathBuf> = self
            .dirs
            .range(path.to_path_buf()..)
            .take_while(|d| d.starts_with(path))
            .cloned()
            .collect();
        for dir in below {
            self.unwatch(&dir);
        }
    }

    /// Drops `dir` from the tree, and its watch unless it anchors a path watched by name.
    fn unwatch(&mut self, dir: &Path) {
        if !self.anchors.contains(dir) {
            self.backend.unwatch(dir);
        }
        self.dirs.remove(dir);
    }

    /// Watches the parent directory of each path watched by name (once; again after it was
    /// deleted and made again, at the next resync).
    fn anchor(&mut self) {
        let parents: BTreeSet<PathBuf> = self
            .named
            .iter()
            .filter_map(|path| path.parent())
            .map(Path::to_path_buf)
            .collect();
        for dir in parents {
            // A directory of the tree is watched already; `unwatch` now leaves it be.
            if !self.dirs.contains(&dir)
                && let Err(err) = tolerate(self.backend.watch(&dir, RecursiveMode::NonRecursive))
            {
                self.warn(WatchError::from(err));
            }
            self.anchors.insert(dir);
        }
    }

    /// Whether an event at `path` concerns the watch at all: under a root, or watched by name
    /// (the rest of an anchor's directory does not).
    fn in_scope(&self, path: &Path) -> bool {
        self.named.contains(path) || self.roots.iter().any(|root| path.starts_with(root))
    }

    /// Whether `path` is a symlink to be followed: to a directory outside the roots.
    fn follows(&self, path: &Path) -> bool {
        self.follow
            .as_deref()
            .is_some_and(|roots| path.is_dir() && outside(path, roots))
    }

    /// Brings the watches in line with the tree and the rules: after new ignore rules or lost
    /// events.
    fn resync(&mut self) {
        let stale: Vec<PathBuf> = self
            .dirs
            .iter()
            .filter(|d| !d.is_dir() || (self.per_dir && !self.filter.enters(d)))
            .cloned()
            .collect();
        for dir in stale {
            self.unwatch(&dir);
        }
        for root in self.roots.clone() {
            if let Err(err) = self.add_tree(&root, None) {
                self.warn(WatchError::from(err));
            }
        }
        self.anchor();
    }

    fn report(&mut self, errors: Vec<notify::Error>) {
        for err in errors {
            let vanished = match &err.kind {
                ErrorKind::PathNotFound | ErrorKind::WatchNotFound => true,
                ErrorKind::Io(io) => io.kind() == std::io::ErrorKind::NotFound,
                _ => false,
            };
            if !vanished {
                self.warn(WatchError::from(err));
            }
        }
    }

    fn publish_count(&self) {
        self.watched.store(self.dirs.len(), Ordering::Relaxed);
    }
}

/// Whether an event kind can mean the content changed: opening or reading a file (as every
/// build does) must not trigger one.
fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        _ => true,
    }
}

/// The watcher's start-up instant. The fine clock: a file written before it never counts
/// (the kernel's stamp, coarse or fine, is not later than the real time). A write within a
/// clock tick after it may carry a coarse stamp just before it; that window is one tick.
fn start_instant() -> SystemTime {
    SystemTime::now()
}

/// Whether the directory a symlink at `link` points to is outside every (canonical) root:
/// one inside is watched at its real path already, and following it could loop.
fn outside(link: &Path, roots: &[PathBuf]) -> bool {
    link.canonicalize()
        .is_ok_and(|target| !roots.iter().any(|root| target.starts_with(root)))
}

/// `HOTDEV_FAULT=watch-limit:N`, for the test that the watch limit is reported once: the
/// watcher behaves as if the OS refused every watch after the first N.
fn fault_watch_limit() -> Option<usize> {
    let fault = std::env::var("HOTDEV_FAULT").ok()?;
    fault.strip_prefix("watch-limit:")?.parse().ok()
}

/// A path that vanished or cannot be read is not a reason to stop watching the rest.
fn tolerate(res: notify::Result<()>) -> notify::Result<()> {
    match res {
        Err(err) => match &err.kind {
            ErrorKind::PathNotFound => Ok(()),
            ErrorKind::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Ok(())
            }
            _ => Err(err),
        },
        ok => ok,
    }
}

mod spec;
pub use spec::WatchConfig;
mod burst;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod inotify;

#[cfg(test)]
mod tests;
