//! hotdev's own inotify backend: one non-recursive watch per directory, with bookkeeping that
//! stays linear however many directories come and go.
//!
//! notify's inotify watcher scans every watch it holds for each directory deleted (20,000
//! directories removed at once took 25 s of CPU) and keeps a deleted directory's path mapped
//! to its dead watch, so a directory recreated at once was never watched again. Here the
//! tables are a `HashMap` by descriptor and a `BTreeMap` by path: removing a subtree is one
//! range, and `IN_IGNORED` (the kernel dropped a watch) drops exactly that descriptor.
//! It emits the same `notify::Event`s notify would, so the worker does not care which backend
//! runs. It decides nothing: which directories to watch is the worker's business.

use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask, Watches};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use notify::event::{
    AccessKind, AccessMode, CreateKind, DataChange, Flag, MetadataKind, ModifyKind, RemoveKind,
    RenameMode,
};
use notify::{Error, ErrorKind, Event, EventKind};

/// Which directories each watch descriptor stands for, and back. One directory reached by two
/// paths (a followed symlink and its target, or two links) has one descriptor: its events are
/// reported under each path, and the kernel watch goes only with the last path.
#[derive(Default)]
struct Table {
    by_wd: HashMap<WatchDescriptor, Vec<PathBuf>>,
    by_path: BTreeMap<PathBuf, WatchDescriptor>,
}

impl Table {
    /// The kernel dropped `wd` (its directory is gone): forget every path it stood for.
    fn drop_wd(&mut self, wd: &WatchDescriptor) {
        for path in self.by_wd.remove(wd).unwrap_or_default() {
            if self.by_path.get(&path) == Some(wd) {
                self.by_path.remove(&path);
            }
        }
    }

    /// Maps `dir` to `wd`; returns a descriptor no path stands for any more.
    fn insert(&mut self, dir: &Path, wd: WatchDescriptor) -> Option<WatchDescriptor> {
        let unused = match self.by_path.insert(dir.to_path_buf(), wd.clone()) {
            Some(old) if old != wd => self.detach(dir, old),
            _ => None,
        };
        let paths = self.by_wd.entry(wd).or_default();
        if !paths.iter().any(|p| p == dir) {
            paths.push(dir.to_path_buf());
        }
        unused
    }

    /// Unmaps `dir`; returns its descriptor when no other path stands for it.
    fn remove(&mut self, dir: &Path) -> Option<WatchDescriptor> {
        let wd = self.by_path.remove(dir)?;
        self.detach(dir, wd)
    }

    fn detach(&mut self, dir: &Path, wd: WatchDescriptor) -> Option<WatchDescriptor> {
        let paths = self.by_wd.get_mut(&wd)?;
        paths.retain(|p| p != dir);
        if paths.is_empty() {
            self.by_wd.remove(&wd);
            Some(wd)
        } else {
            None
        }
    }
}

/// A running inotify instance and the thread that reads it.
pub(super) struct InotifyBackend {
    watches: Watches,
    table: Arc<Mutex<Table>>,
    stop: Option<OwnedFd>,
    reader: Option<JoinHandle<()>>,
}

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

const MASK: WatchMask = WatchMask::CREATE
    .union(WatchMask::DELETE)
    .union(WatchMask::MODIFY)
    .union(WatchMask::CLOSE_WRITE)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::ATTRIB);

impl InotifyBackend {
    /// Starts the reader thread, which hands every event to `handler`. If the reader dies (a
    /// panic, or an error reading the inotify descriptor), `tx` hears of it: hotdev must not
    /// go on without file events.
    pub fn new<F>(handler: F, tx: &crate::bus::Sender) -> notify::Result<InotifyBackend>
    where
        F: FnMut(notify::Result<Event>) + Send + 'static,
    {
        let inotify = Inotify::init().map_err(Error::io)?;
        let watches = inotify.watches();
        // Close-on-exec: every generation and build would inherit it otherwise.
        let (stop_rx, stop_tx) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Error::io(e.into()))?;
        let table = Arc::new(Mutex::new(Table::default()));
        let reader_table = Arc::clone(&table);
        let died = tx.clone();
        let reader = crate::bus::spawn_worker("hotdev-inotify", "inotify reader", tx, move || {
            if let Err(e) = read_loop(inotify, stop_rx, reader_table, handler) {
                let _ = died.send(crate::bus::Input::WorkerDied {
                    what: "inotify reader".into(),
                    cause: Some(format!("reading file events failed: {e}")),
                });
            }
        })
        .map_err(Error::io)?;
        Ok(InotifyBackend {
            watches,
            table,
            stop: Some(stop_tx),
            reader: Some(reader),
        })
    }

    /// Watches one directory (not what is below it).
    pub fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        // Held across the call: an event of the new descriptor waits for its path.
        let mut table = lock(&self.table);
        let wd = self.watches.add(dir, MASK).map_err(|e| {
            match e.raw_os_error() {
                Some(code) if code == Errno::ENOSPC as i32 => Error::new(ErrorKind::MaxFilesWatch),
                _ if e.kind() == std::io::ErrorKind::NotFound => Error::path_not_found(),
                _ => Error::io(e),
            }
            .add_path(dir.to_path_buf())
        })?;
        if let Some(unused) = table.insert(dir, wd) {
            let _ = self.watches.remove(unused);
        }
        Ok(())
    }

    /// Drops the watch of `dir`; one that is already gone (its directory was deleted) is fine.
    pub fn unwatch(&mut self, dir: &Path) {
        let mut table = lock(&self.table);
        if let Some(unused) = table.remove(dir) {
            let _ = self.watches.remove(unused);
        }
    }
}

impl Drop for InotifyBackend {
    fn drop(&mut self) {
        // Closing the write end wakes the reader, which then returns.
        drop(self.stop.take());
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Reads events until `stop` closes (`Ok`) or the inotify descriptor fails (`Err`).
fn read_loop<F>(
    mut inotify: Inotify,
    stop: OwnedFd,
    table: Arc<Mutex<Table>>,
    mut handler: F,
) -> std::io::Result<()>
where
    F: FnMut(notify::Result<Event>),
{
    // Fault injection for the test of a dead reader (hotdev must stop, not go on blind).
    let fault = std::env::var_os("HOTDEV_FAULT").is_some_and(|f| f == "inotify-reader-error");
    let mut buffer = vec![0u8; 64 * 1024];
    let mut rename_from: Option<(u32, PathBuf)> = None;
    loop {
        let mut fds = [
            PollFd::new(inotify.as_fd(), PollFlags::POLLIN),
            PollFd::new(stop.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            return Ok(());
        }
        if fault {
            return Err(Errno::EIO.into());
        }
        let events = match inotify.read_events(&mut buffer) {
            Ok(events) => events,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        {
            let mut table = lock(&table);
            for event in events {
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    out.push(Event::new(EventKind::Other).set_flag(Flag::Rescan));
                    continue;
                }
                if event.mask.contains(EventMask::IGNORED) {
                    table.drop_wd(&event.wd);
                    continue;
                }
                let Some(dirs) = table.by_wd.get(&event.wd) else {
                    continue; // a watch already dropped
                };
                for dir in dirs {
                    let path = match event.name {
                        Some(name) => dir.join(name),
                        None => dir.clone(),
                    };
                    translate(event.mask, event.cookie, path, &mut rename_from, &mut out);
                }
            }
        }
        for event in out {
            handler(Ok(event));
        }
    }
}

/// The notify events for one inotify event, as notify's own backend names them.
fn translate(
    mask: EventMask,
    cookie: u32,
    path: PathBuf,
    rename_from: &mut Option<(u32, PathBuf)>,
    out: &mut Vec<Event>,
) {
    let dir = mask.contains(EventMask::ISDIR);
    let one = |kind| Event::new(kind).add_path(path.clone());
    if mask.contains(EventMask::MOVED_FROM) {
        out.push(one(EventKind::Modify(ModifyKind::Name(RenameMode::From))));
        *rename_from = Some((cookie, path.clone()));
    }
    if mask.contains(EventMask::MOVED_TO) {
        out.push(one(EventKind::Modify(ModifyKind::Name(RenameMode::To))));
        if let Some((from_cookie, from)) = rename_from.take()
            && from_cookie == cookie
        {
            out.push(
                Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
                    .add_path(from)
                    .add_path(path.clone()),
            );
        }
    }
    if mask.contains(EventMask::CREATE) {
        let kind = if dir {
            CreateKind::Folder
        } else {
            CreateKind::File
        };
        out.push(one(EventKind::Create(kind)));
    }
    if mask.contains(EventMask::DELETE) {
        let kind = if dir {
            RemoveKind::Folder
        } else {
            RemoveKind::File
        };
        out.push(one(EventKind::Remove(kind)));
    }
    if mask.contains(EventMask::MODIFY) {
        out.push(one(EventKind::Modify(ModifyKind::Data(DataChange::Any))));
    }
    if mask.contains(EventMask::CLOSE_WRITE) {
        out.push(one(EventKind::Access(AccessKind::Close(AccessMode::Write))));
    }
    if mask.contains(EventMask::ATTRIB) {
        out.push(one(EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::Any,
        ))));
    }
}
