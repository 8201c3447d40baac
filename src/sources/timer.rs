//! One-shot timers: a closure runs after a delay unless the timer was cancelled first.
//!
//! A thread per timer: hotdev arms a handful per reload, and a sleeping thread costs nothing
//! the loop would notice. A cancelled timer's thread still sleeps out its delay, then does
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// An armed timer; [`Timer::cancel`] (or dropping every clone of it) does not stop it — only
/// `cancel` does.
#[derive(Debug, Clone, Default)]
pub struct Timer {
    cancelled: Arc<AtomicBool>,
}

impl Timer {
    /// Its closure will not run (if it has not yet).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
}

/// Runs `fire` after `delay` on a thread that `spawn` starts (e.g. under a watchdog).
pub fn after(
    delay: Duration,
    spawn: impl FnOnce(Box<dyn FnOnce() + Send>),
    fire: impl FnOnce() + Send + 'static,
) -> Timer {
    let timer = Timer::default();
    let cancelled = Arc::clone(&timer.cancelled);
    spawn(Box::new(move || {
        std::thread::sleep(delay);
        if !cancelled.load(Ordering::SeqCst) {
            fire();
        }
    }));
    timer
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Instant;

    use super::*;

    fn thread(f: Box<dyn FnOnce() + Send>) {
        std::thread::spawn(f);
    }

    #[test]
    fn a_timer_fires_after_its_delay_and_a_cancelled_one_never() {
        let (tx, rx) = mpsc::channel();
        let start = Instant::now();
        let cancelled = after(Duration::from_millis(10), thread, {
            let tx = tx.clone();
            move || tx.send("cancelled").unwrap()
        });
        cancelled.cancel();
        after(Duration::from_millis(50), thread, move || {
            tx.send("fired").unwrap()
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("fired"));
        assert!(start.elapsed() >= Duration::from_millis(50));
        // Both threads are done (the cancelled one slept less): nothing else arrives.
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    }
}
