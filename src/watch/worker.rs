//! The watcher thread: it alone touches the backend. It keeps the watches in step with the
//! tree, filters each event, and closes bursts into change sets for the bus.

use super::*;

/// The watcher thread's state: it alone touches the backend after `start`.
pub(super) struct Worker {
    pub(super) backend: Backend,
    /// The bursts sent so far: the next one is numbered `bursts + 1`.
    pub(super) bursts: u64,
    /// Every app's rules, and where its changes go.
    pub(super) filter: Arc<Routes>,
    /// Directories with a watch of their own.
    pub(super) dirs: BTreeSet<PathBuf>,
    pub(super) roots: Vec<PathBuf>,
    /// Files watched by name (`WatchConfig::files`): reported whatever the filter says.
    pub(super) files: BTreeSet<PathBuf>,
    /// Paths watched by name in their parent directory: `files`, and the roots below the
    /// project's own (a root deleted and made again is watched again).
    pub(super) named: BTreeSet<PathBuf>,
    /// The parent directories of `named`: their watches stay whatever happens to the tree.
    pub(super) anchors: BTreeSet<PathBuf>,
    /// With `watch.follow_symlinks`: the roots, canonical. A symlinked directory is followed
    /// when its target is outside all of them.
    pub(super) follow: Option<Arc<Vec<PathBuf>>>,
    /// Directories that appeared empty (of accepted files) lately: gone again at once, they
    /// are nothing.
    pub(super) fresh: HashMap<PathBuf, Instant>,
    /// `HOTDEV_FAULT=watch-limit`: the OS watch limit is "reached" after this many watches.
    pub(super) fault_limit: Option<usize>,
    pub(super) per_dir: bool,
    /// The quiet period that ends a burst.
    pub(super) debounce: Duration,
    /// The pause after which a burst is sent early as a tentative change.
    pub(super) settle: Option<Duration>,
    /// Follow which accepted files are open for writing: a burst does not end while one is.
    pub(super) track_writes: bool,
    pub(super) watched: Arc<AtomicUsize>,
    /// The watch limit was reported: it is said once, not once per directory.
    pub(super) limit_reported: bool,
    pub(super) tx: Sender,
}

impl Worker {
    /// Watches every root, then says how many directories are watched. A file modified after
    /// `since` (the watcher's start) counts as a change: its directory may have been watched
    /// only after the write. False when the shell is gone.
    pub(super) fn set_up(&mut self, since: SystemTime) -> bool {
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
        let mut burst = Burst::new(&self.filter);
        for file in found {
            let modified = file.symlink_metadata().and_then(|meta| meta.modified());
            if modified.is_ok_and(|at| at > since) {
                burst.note(&self.filter, &file, false);
            }
        }
        if self.tx.send(Input::Watching(self.dirs.len())).is_err() {
            return false;
        }
        self.bursts += 1;
        burst.send(&self.filter, false, self.bursts) != Sent::Closed
    }

    /// Sends a warning; the watch limit only once (every new directory would hit it again).
    pub(super) fn warn(&mut self, err: WatchError) {
        if matches!(err, WatchError::WatchLimit) {
            if self.limit_reported {
                return;
            }
            self.limit_reported = true;
        }
        let _ = self.tx.send(Input::WatchWarning(err.to_string()));
    }

    pub(super) fn run(mut self, rx: mpsc::Receiver<Msg>) {
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
                        Sent::Change(to) => {
                            burst.tentative = true;
                            burst.tentative_to = to;
                        }
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
                            && !self.tell(&burst.tentative_to, Event::Unsettled)
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
            // An app that had the tentative change and nothing after it: that change was the
            // whole burst for it.
            let settled: BTreeSet<usize> = match &sent {
                Sent::Closed => return,
                Sent::Nothing => burst.tentative_to.clone(),
                Sent::Change(to) => burst.tentative_to.difference(to).copied().collect(),
            };
            if !self.tell(&settled, Event::Settled) {
                return; // the shell is gone
            }
        }
    }

    /// Sends `event` to each of these routes' apps; false when the shell is gone.
    fn tell(&self, routes: &BTreeSet<usize>, event: Event) -> bool {
        self.filter
            .iter()
            .enumerate()
            .filter(|(i, _)| routes.contains(i))
            .all(|(_, route)| route.tx.send(Input::Event(event.clone())).is_ok())
    }

    /// Adds an event to the burst; true when it is relevant (it extends the quiet period).
    pub(super) fn add(&self, burst: &mut Pending, event: notify::Event, now: Instant) -> bool {
        let relevant = self.relevant(&event);
        let writes = self.track_writes.then_some(&*self.filter);
        burst.add(event, relevant, now, writes);
        relevant
    }

    /// Whether an event may change what is built: a rescan, a directory, or an accepted path.
    pub(super) fn relevant(&self, event: &notify::Event) -> bool {
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
    pub(super) fn handle(&mut self, events: &[notify::Event], tentative: bool) -> Sent {
        let mut burst = Burst::new(&self.filter);
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
                    burst.note_own(&self.filter, path);
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
        self.bursts += 1;
        burst.send(&self.filter, tentative, self.bursts)
    }

    /// Watches `dir` and every directory below it that the filter enters; with `found`, also
    /// lists the files seen on the way.
    pub(super) fn add_tree(
        &mut self,
        dir: &Path,
        mut found: Option<&mut Vec<PathBuf>>,
    ) -> notify::Result<()> {
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
    pub(super) fn forget(&mut self, path: &Path) {
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
    pub(super) fn unwatch(&mut self, dir: &Path) {
        if !self.anchors.contains(dir) {
            self.backend.unwatch(dir);
        }
        self.dirs.remove(dir);
    }

    /// Watches the parent directory of each path watched by name (once; again after it was
    /// deleted and made again, at the next resync).
    pub(super) fn anchor(&mut self) {
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
    pub(super) fn in_scope(&self, path: &Path) -> bool {
        self.named.contains(path) || self.roots.iter().any(|root| path.starts_with(root))
    }

    /// Whether `path` is a symlink to be followed: to a directory outside the roots.
    pub(super) fn follows(&self, path: &Path) -> bool {
        self.follow
            .as_deref()
            .is_some_and(|roots| path.is_dir() && outside(path, roots))
    }

    /// Brings the watches in line with the tree and the rules: after new ignore rules or lost
    /// events.
    pub(super) fn resync(&mut self) {
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

    pub(super) fn report(&mut self, errors: Vec<notify::Error>) {
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

    pub(super) fn publish_count(&self) {
        self.watched.store(self.dirs.len(), Ordering::Relaxed);
    }
}

/// Whether an event kind can mean the content changed: opening or reading a file (as every
/// build does) must not trigger one.
pub(super) fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        _ => true,
    }
}

/// The watcher's start-up instant. The fine clock: a file written before it never counts
/// (the kernel's stamp, coarse or fine, is not later than the real time). A write within a
/// clock tick after it may carry a coarse stamp just before it; that window is one tick.
pub(super) fn start_instant() -> SystemTime {
    SystemTime::now()
}

/// Whether the directory a symlink at `link` points to is outside every (canonical) root:
/// one inside is watched at its real path already, and following it could loop.
pub(super) fn outside(link: &Path, roots: &[PathBuf]) -> bool {
    link.canonicalize()
        .is_ok_and(|target| !roots.iter().any(|root| target.starts_with(root)))
}

/// `HOTDEV_FAULT=watch-limit:N`, for the test that the watch limit is reported once: the
/// watcher behaves as if the OS refused every watch after the first N.
pub(super) fn fault_watch_limit() -> Option<usize> {
    let fault = std::env::var("HOTDEV_FAULT").ok()?;
    fault.strip_prefix("watch-limit:")?.parse().ok()
}

/// A path that vanished or cannot be read is not a reason to stop watching the rest.
pub(super) fn tolerate(res: notify::Result<()>) -> notify::Result<()> {
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
