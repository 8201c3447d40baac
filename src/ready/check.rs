//! The per-generation one-shot ([`Check`]) and the table that maps a notify sender to its
//! generation ([`Registry`]).
//!
//! Exactly one of ready / not ready / cancelled wins; at most one event leaves a check, and none
//! after it was cancelled. Nothing here does I/O besides sending that one event.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::bus::{Input, Sender};
use crate::engine::{Event, GenId, NotReady};

/// How a check was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ready,
    NotReady(NotReady),
}

impl Outcome {
    fn event(&self, generation: GenId) -> Input {
        Input::Event(match self {
            Outcome::Ready => Event::Ready { generation },
            Outcome::NotReady(reason) => Event::NotReady {
                generation,
                reason: reason.clone(),
            },
        })
    }
}

#[derive(Debug)]
enum State {
    Pending,
    Settled(Outcome),
    Cancelled,
}

#[derive(Debug)]
struct Slot {
    state: State,
    /// Where the event goes. A check may be settled before anyone attached a sender (a log
    /// line or an early `READY=1` can beat the shell's call to `watch`); the event then waits
    /// here and leaves on [`Check::attach`].
    tx: Option<Sender>,
    delivered: bool,
}

impl Slot {
    fn deliver(&mut self, generation: GenId) {
        if self.delivered {
            return;
        }
        if let (State::Settled(outcome), Some(tx)) = (&self.state, &self.tx) {
            // A closed channel means the shell is gone; nobody is left to tell.
            let _ = tx.send(outcome.event(generation));
            self.delivered = true;
        }
    }
}

#[derive(Debug)]
struct Shared {
    generation: GenId,
    slot: Mutex<Slot>,
    changed: Condvar,
}

/// One generation's readiness check: whoever settles it first wins, and exactly one
/// `Event::Ready` / `Event::NotReady` is sent for it (none once cancelled).
///
/// Cheap to clone; every clone is the same check.
#[derive(Debug, Clone)]
pub struct Check(Arc<Shared>);

impl Check {
    /// A pending check for `generation`, not known to any [`Registry`] (enough for every kind
    /// but `notify`).
    pub fn new(generation: GenId) -> Check {
        Check(Arc::new(Shared {
            generation,
            slot: Mutex::new(Slot {
                state: State::Pending,
                tx: None,
                delivered: false,
            }),
            changed: Condvar::new(),
        }))
    }

    pub fn generation(&self) -> GenId {
        self.0.generation
    }

    /// Names the channel the event goes to; sends it at once if the check is already settled.
    pub fn attach(&self, tx: Sender) {
        let mut slot = self.lock();
        slot.tx.get_or_insert(tx);
        slot.deliver(self.0.generation);
    }

    /// Settles the check as ready. Returns whether this call won.
    pub fn ready(&self) -> bool {
        self.settle(Outcome::Ready)
    }

    /// Settles the check as not ready. Returns whether this call won.
    pub fn not_ready(&self, reason: NotReady) -> bool {
        self.settle(Outcome::NotReady(reason))
    }

    /// The generation exited or was replaced: nothing will be sent for this check any more,
    /// and every probe or timer working for it stops.
    pub fn cancel(&self) {
        let mut slot = self.lock();
        match slot.state {
            State::Pending => slot.state = State::Cancelled,
            // Settled but not yet sent (no channel attached yet): cancel still wins.
            State::Settled(_) if !slot.delivered => slot.state = State::Cancelled,
            _ => {}
        }
        self.0.changed.notify_all();
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.lock().state, State::Pending)
    }

    /// Blocks until the check is settled or cancelled, at most `timeout`. Returns `true` if it
    /// is no longer pending. Probes use it as their pause, so a cancel ends them at once.
    pub fn wait(&self, timeout: Duration) -> bool {
        let slot = self.lock();
        let (slot, _) = self
            .0
            .changed
            .wait_timeout_while(slot, timeout, |s| matches!(s.state, State::Pending))
            .unwrap_or_else(PoisonError::into_inner);
        !matches!(slot.state, State::Pending)
    }

    fn settle(&self, outcome: Outcome) -> bool {
        let mut slot = self.lock();
        if !matches!(slot.state, State::Pending) {
            return false;
        }
        slot.state = State::Settled(outcome);
        slot.deliver(self.0.generation);
        self.0.changed.notify_all();
        true
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Nothing panics while holding the lock; if something did, the state is still sound.
        self.0.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One parsed sd_notify datagram (only the keys hotdev uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Notification {
    pub ready: bool,
    pub status: Option<String>,
}

impl Notification {
    /// Parses newline-separated `KEY=VALUE` assignments; unknown keys are ignored.
    pub fn parse(bytes: &[u8]) -> Notification {
        let mut out = Notification::default();
        for line in String::from_utf8_lossy(bytes).split('\n') {
            if line == "READY=1" {
                out.ready = true;
            } else if let Some(status) = line.strip_prefix("STATUS=") {
                out.status = Some(status.to_owned());
            }
        }
        out
    }
}

/// Who sent a datagram, as the kernel saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Peer {
    pub pid: i32,
    /// `getpgid(pid)` at receipt; `None` if the sender was already gone.
    pub pgid: Option<i32>,
}

#[derive(Debug)]
struct Member {
    pgid: i32,
    check: Check,
    status: Option<String>,
}

/// A datagram nobody was registered for yet: a child can send `READY=1` before the shell
/// learnt its pid and called [`Registry::register`]. Kept briefly, replayed on register.
#[derive(Debug)]
struct Early {
    from: Peer,
    at: Instant,
    note: Notification,
}

const EARLY_KEEP: usize = 32;
const EARLY_MAX_AGE: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Members {
    generations: HashMap<GenId, Member>,
    early: VecDeque<Early>,
    /// Where the checks this table hands out send their event, once [`Registry::route_to`]
    /// named it.
    tx: Option<Sender>,
}

impl Members {
    fn find(&mut self, from: Peer) -> Option<&mut Member> {
        self.generations
            .values_mut()
            .find(|m| from.pid == m.pgid || from.pgid == Some(m.pgid))
    }
}

/// Which generation owns which process group, for the notify socket to check senders against.
/// Cheap to clone; every clone is the same table.
#[derive(Debug, Clone, Default)]
pub struct Registry(Arc<Mutex<Members>>);

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `generation`, whose process group is `pgid` (its leader's pid), and returns
    /// its pending check. A `READY=1` the group sent moments before is honoured. Registering
    /// a generation again cancels its previous check.
    pub fn register(&self, generation: GenId, pgid: i32) -> Check {
        let check = Check::new(generation);
        let mut members = self.lock();
        if let Some(tx) = &members.tx {
            check.attach(tx.clone());
        }
        let mut status = None;
        let mut ready = false;
        let now = Instant::now();
        members.early.retain(|e| {
            let mine = e.from.pid == pgid || e.from.pgid == Some(pgid);
            if mine {
                ready |= e.note.ready;
                if e.note.status.is_some() {
                    status.clone_from(&e.note.status);
                }
            }
            !mine && now.duration_since(e.at) < EARLY_MAX_AGE
        });
        if ready {
            check.ready();
        }
        let member = Member {
            pgid,
            check: check.clone(),
            status,
        };
        if let Some(old) = members.generations.insert(generation, member) {
            old.check.cancel();
        }
        check
    }

    /// The generation exited or was replaced: forget its group and cancel its check.
    pub fn unregister(&self, generation: GenId) {
        if let Some(old) = self.lock().generations.remove(&generation) {
            old.check.cancel();
        }
    }

    /// The last `STATUS=` the generation sent, for verbose output.
    pub fn status(&self, generation: GenId) -> Option<String> {
        self.lock()
            .generations
            .get(&generation)
            .and_then(|m| m.status.clone())
    }

    /// Sends the event of every check registered here (now or later) to `tx`, unless the
    /// check was given a channel of its own first.
    pub(super) fn route_to(&self, tx: Sender) {
        let mut members = self.lock();
        for member in members.generations.values() {
            member.check.attach(tx.clone());
        }
        members.tx = Some(tx);
    }

    /// Hands a datagram to the generation it came from. Returns `false` if no registered
    /// generation owns the sender (the datagram is kept briefly in case one is about to be).
    pub(super) fn deliver(&self, from: Peer, note: Notification) -> bool {
        let mut members = self.lock();
        if let Some(member) = members.find(from) {
            if note.status.is_some() {
                member.status = note.status;
            }
            if note.ready {
                member.check.ready();
            }
            return true;
        }
        if members.early.len() >= EARLY_KEEP {
            members.early.pop_front();
        }
        members.early.push_back(Early {
            from,
            at: Instant::now(),
            note,
        });
        false
    }

    fn lock(&self) -> MutexGuard<'_, Members> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus;
    use crate::ready::testing::{assert_quiet, next_event};

    fn stranger() -> Peer {
        Peer {
            pid: 999_999,
            pgid: Some(999_999),
        }
    }

    #[test]
    fn first_settle_wins_and_sends_one_event() {
        let (tx, rx) = bus::channel();
        let check = Check::new(3);
        check.attach(tx);
        assert!(check.ready());
        assert!(!check.not_ready(NotReady::Timeout));
        assert!(!check.ready());
        check.cancel();
        assert_eq!(next_event(&rx), Event::Ready { generation: 3 });
        assert_quiet(&rx);
    }

    #[test]
    fn settled_before_attach_is_sent_on_attach() {
        let (tx, rx) = bus::channel();
        let check = Check::new(4);
        assert!(check.ready());
        assert_quiet(&rx);
        check.attach(tx.clone());
        check.attach(tx);
        assert_eq!(next_event(&rx), Event::Ready { generation: 4 });
        assert_quiet(&rx);
    }

    #[test]
    fn cancel_sends_nothing_and_wins_over_later_settles() {
        let (tx, rx) = bus::channel();
        let check = Check::new(5);
        check.attach(tx);
        check.cancel();
        assert!(!check.ready());
        assert!(!check.not_ready(NotReady::Timeout));
        assert!(check.wait(Duration::ZERO));
        assert_quiet(&rx);
    }

    #[test]
    fn cancel_suppresses_an_outcome_not_yet_sent() {
        let (tx, rx) = bus::channel();
        let check = Check::new(6);
        check.ready();
        check.cancel();
        check.attach(tx);
        assert_quiet(&rx);
    }

    #[test]
    fn wait_returns_false_while_pending() {
        assert!(!Check::new(1).wait(Duration::from_millis(1)));
    }

    #[test]
    fn sender_is_matched_by_leader_pid_or_process_group() {
        let (tx, rx) = bus::channel();
        let registry = Registry::new();
        registry.route_to(tx);
        let leader = registry.register(1, 100);
        let member = registry.register(2, 200);
        let ready = Notification::parse(b"READY=1");
        // The leader itself, already gone (no pgid any more).
        assert!(registry.deliver(
            Peer {
                pid: 100,
                pgid: None
            },
            ready.clone()
        ));
        // A member of the group.
        assert!(registry.deliver(
            Peer {
                pid: 201,
                pgid: Some(200)
            },
            ready.clone()
        ));
        assert!(!registry.deliver(stranger(), ready));
        assert!(!leader.is_pending() && !member.is_pending());
        assert_eq!(next_event(&rx), Event::Ready { generation: 1 });
        assert_eq!(next_event(&rx), Event::Ready { generation: 2 });
        assert_quiet(&rx);
    }

    #[test]
    fn ready_sent_just_before_register_is_honoured() {
        let (tx, rx) = bus::channel();
        let registry = Registry::new();
        let early = Peer {
            pid: 300,
            pgid: Some(300),
        };
        assert!(!registry.deliver(early, Notification::parse(b"STATUS=up\nREADY=1")));
        assert!(!registry.deliver(stranger(), Notification::parse(b"READY=1")));
        let check = registry.register(7, 300);
        assert!(!check.is_pending());
        assert_eq!(registry.status(7).as_deref(), Some("up"));
        assert_quiet(&rx);
        registry.route_to(tx);
        assert_eq!(next_event(&rx), Event::Ready { generation: 7 });
        // The stranger's datagram did not make a later generation ready.
        assert!(registry.register(8, 400).is_pending());
    }

    #[test]
    fn unregister_and_reregister_cancel_the_old_check() {
        let (tx, rx) = bus::channel();
        let registry = Registry::new();
        let first = registry.register(1, 10);
        first.attach(tx);
        let second = registry.register(1, 11);
        assert!(!first.ready());
        registry.unregister(1);
        assert!(!second.ready());
        // Gone from the table: its group is a stranger now.
        assert!(!registry.deliver(
            Peer {
                pid: 11,
                pgid: None
            },
            Notification::parse(b"READY=1")
        ));
        assert_quiet(&rx);
    }

    #[test]
    fn notification_reads_ready_and_status_only() {
        let n = Notification::parse(b"STATUS=loading\nMAINPID=1\nREADY=1\n");
        assert!(n.ready);
        assert_eq!(n.status.as_deref(), Some("loading"));
        assert!(!Notification::parse(b"READY=0\nXREADY=1\nREADY=1 ").ready);
        assert_eq!(Notification::parse(b"\xff\xfe"), Notification::default());
    }
}
