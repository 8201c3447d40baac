//! The build spinner: one line, redrawn in place while a build runs, on terminals only.
//!
//! It shares a lock with the reporter so a status line is never written in the middle of a
//! redraw; the reporter erases the spinner's line before each of its own lines.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use console::{Style, Term};

use super::human::format_duration;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK: Duration = Duration::from_millis(100);

/// A running spinner; [`Spinner::stop`] erases it.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    pub fn start(term: Term, lock: Arc<Mutex<()>>, label: String) -> Option<Spinner> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let started = Instant::now();
        let thread = thread::Builder::new()
            .name("hotdev-spinner".into())
            .spawn(move || {
                let style = Style::new().cyan();
                let mut frame = 0usize;
                while !flag.load(Ordering::Relaxed) {
                    if let Ok(_guard) = lock.lock() {
                        let text = format!(
                            "{} {label} {}",
                            style.apply_to(FRAMES[frame % FRAMES.len()]),
                            Style::new()
                                .dim()
                                .apply_to(format_duration(started.elapsed()))
                        );
                        let _ = term.clear_line();
                        let _ = write!(&term, "{text}");
                        let _ = term.flush();
                    }
                    frame += 1;
                    thread::park_timeout(TICK);
                }
                if let Ok(_guard) = lock.lock() {
                    let _ = term.clear_line();
                }
            })
            .ok()?;
        Some(Spinner {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the spinner and waits until its line is erased.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.halt();
    }
}
