//! One burst of file events on its way to the engine: the events so far, whether the writer is
//! done (for speculative builds), and the change set it turns into.
//!
//! No I/O but the send: the worker decides what is relevant and when to flush.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::EventKind;
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};

use crate::bus::Input;
use crate::engine::{ChangeSet, Event};

use super::routes::Routes;

/// Where one burst stands while its events come in.
pub(super) struct Pending {
    /// Not yet turned into a message.
    pub events: Vec<notify::Event>,
    /// When the last relevant event arrived (the burst's start until one does).
    last: Instant,
    /// Relevant events are among `events`.
    relevant: bool,
    /// Accepted files written to and not closed yet: while there are any, the writer is not
    /// done and the burst is not sent early.
    writing: BTreeSet<PathBuf>,
    /// The tentative change of this burst has been sent...
    pub tentative: bool,
    /// ...to these routes (apps): they are owed [`Event::Settled`] or a change at its end.
    pub tentative_to: BTreeSet<usize>,
    /// ...and [`Event::Unsettled`] after it, at the burst's next relevant event.
    unsettled: bool,
}

impl Pending {
    pub fn new(now: Instant) -> Pending {
        Pending {
            events: Vec::new(),
            last: now,
            relevant: false,
            writing: BTreeSet::new(),
            tentative: false,
            tentative_to: BTreeSet::new(),
            unsettled: false,
        }
    }

    /// Adds an event the worker judged `relevant`; with `writes`, follows which accepted files
    /// are still open for writing.
    pub fn add(
        &mut self,
        event: notify::Event,
        relevant: bool,
        now: Instant,
        writes: Option<&Routes>,
    ) {
        if relevant {
            self.last = now;
            self.relevant = true;
            if let Some(filter) = writes {
                track_writes(filter, &event, &mut self.writing);
            }
        }
        self.events.push(event);
    }

    /// When the burst ends: `debounce` after its last relevant event, unless a file is still
    /// being written (an editor's slow fsync, a big copy), which holds it open; `cap` at most.
    pub fn ends_at(&self, debounce: Duration, cap: Instant) -> Instant {
        if self.writing.is_empty() {
            (self.last + debounce).min(cap)
        } else {
            cap
        }
    }

    /// True once, at the first relevant event after the tentative change: the moment to say
    /// [`Event::Unsettled`]. Call after [`Pending::add`] of a relevant event.
    pub fn goes_on_after_tentative(&mut self) -> bool {
        let first = self.tentative && !self.unsettled;
        self.unsettled |= first;
        first
    }

    /// The events so far, for a tentative change; later ones start afresh.
    pub fn take(&mut self) -> Vec<notify::Event> {
        self.relevant = false;
        std::mem::take(&mut self.events)
    }

    /// When the burst may be sent early: `settle` after its last relevant event, once per
    /// burst, and only while no accepted file is still open for writing.
    pub fn early_at(&self, settle: Option<Duration>) -> Option<Instant> {
        let settle = settle?;
        (!self.tentative && self.relevant && self.writing.is_empty()).then(|| self.last + settle)
    }
}

/// Follows which accepted files are open for writing: written to (`IN_MODIFY`) and not yet
/// closed (`IN_CLOSE_WRITE`), removed or renamed away. A save that is still being written, or
/// an editor's `fsync` between write and close, must not start a build on half a file.
fn track_writes(filter: &Routes, event: &notify::Event, writing: &mut BTreeSet<PathBuf>) {
    match event.kind {
        EventKind::Modify(ModifyKind::Data(_)) => {
            for path in &event.paths {
                if filter.accepts(path, false) {
                    writing.insert(path.clone());
                }
            }
        }
        EventKind::Access(AccessKind::Close(AccessMode::Write))
        | EventKind::Remove(_)
        | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            for path in &event.paths {
                writing.remove(path);
            }
        }
        // A rename names both paths: the old one is gone, the new one arrived complete.
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            if let Some(from) = event.paths.first() {
                writing.remove(from);
            }
        }
        _ => {}
    }
}

/// The outcome of (part of) one burst, before it is sent: per route (app), in route order.
pub(super) struct Burst {
    changed: Vec<BTreeSet<PathBuf>>,
    /// Changed files under `reload_only`: the browser reloads, nothing builds.
    assets: Vec<BTreeSet<PathBuf>>,
    seen: BTreeSet<PathBuf>,
    pub overflow: bool,
}

/// What [`Burst::send`] sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sent {
    /// A change set to each of these routes.
    Change(BTreeSet<usize>),
    /// Nothing that could build (filtered out, or nothing at all).
    Nothing,
    /// Nobody listens any more.
    Closed,
}

impl Burst {
    pub fn new(routes: &Routes) -> Burst {
        Burst {
            changed: vec![BTreeSet::new(); routes.len()],
            assets: vec![BTreeSet::new(); routes.len()],
            seen: BTreeSet::new(),
            overflow: false,
        }
    }

    /// A changed path: it counts for every app whose rules accept it.
    pub fn note(&mut self, routes: &Routes, path: &Path, is_dir: bool) {
        for (i, route) in routes.iter().enumerate() {
            if route.accepts(path, is_dir) {
                let set = if !is_dir && route.is_asset(path) {
                    &mut self.assets[i]
                } else {
                    &mut self.changed[i]
                };
                set.insert(path.to_path_buf());
            }
        }
        self.seen.insert(path.to_path_buf());
    }

    /// A file watched by name (hotdev's config, an env file): it counts, whatever the rules,
    /// for the apps that watch it.
    pub fn note_own(&mut self, routes: &Routes, path: &Path) {
        for (i, route) in routes.iter().enumerate() {
            if route.files.contains(path) {
                self.changed[i].insert(path.to_path_buf());
            }
        }
        self.seen.insert(path.to_path_buf());
    }

    /// One message per app with changes (`tentative` when more may follow; each names the
    /// `burst`, the same for every app), or the ignored paths (once, to the first app).
    pub fn send(self, routes: &Routes, tentative: bool, burst: u64) -> Sent {
        let mut to = BTreeSet::new();
        for (i, ((route, changed), assets)) in
            routes.iter().zip(self.changed).zip(self.assets).enumerate()
        {
            if !(self.overflow || !changed.is_empty() || !assets.is_empty()) {
                continue;
            }
            let changes = ChangeSet {
                paths: changed.into_iter().collect(),
                assets: assets.into_iter().collect(),
                overflow: self.overflow,
                tentative,
                burst,
            };
            if route
                .tx
                .send(Input::Event(Event::Changed(changes)))
                .is_err()
            {
                return Sent::Closed;
            }
            to.insert(i);
        }
        if !to.is_empty() {
            return Sent::Change(to);
        }
        let Some(first) = routes.iter().next() else {
            return Sent::Nothing;
        };
        if !self.seen.is_empty()
            && first
                .tx
                .send(Input::Ignored(self.seen.into_iter().collect()))
                .is_err()
        {
            return Sent::Closed;
        }
        Sent::Nothing
    }
}
