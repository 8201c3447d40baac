//! Continuous load: threads of new-connection GETs whose failures, latency and bodies are
//! counted, to prove that no request fails across a swap.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{Target, get_trimmed};

/// What a [`Load`] measured.
#[derive(Debug, Default, Clone)]
pub struct LoadStats {
    pub ok: u64,
    pub failed: u64,
    pub max_latency: Duration,
    /// Answers by body (trimmed), to check every version was served.
    pub bodies: BTreeMap<String, u64>,
    /// The first failures, with the time since the load started.
    pub errors: Vec<String>,
}

impl LoadStats {
    pub fn total(&self) -> u64 {
        self.ok + self.failed
    }

    pub fn summary(&self) -> String {
        format!(
            "{} failed / {} total, max latency {:?}, bodies {:?}{}",
            self.failed,
            self.total(),
            self.max_latency,
            self.bodies,
            if self.errors.is_empty() {
                String::new()
            } else {
                format!(", first errors: {:?}", self.errors)
            }
        )
    }
}

/// Continuous load: `threads` loops of new-connection GETs, each loop stopping after
/// `max_requests` requests or `max_duration`, whichever comes first, or on [`Load::stop`].
pub struct Load {
    stop: Arc<AtomicBool>,
    stats: Arc<Mutex<LoadStats>>,
    handles: Vec<JoinHandle<()>>,
}

impl Load {
    pub fn start(
        target: impl Into<Target>,
        path: &str,
        threads: usize,
        max_requests: u64,
        max_duration: Duration,
    ) -> Load {
        let target = target.into();
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(Mutex::new(LoadStats::default()));
        let started = Instant::now();
        let handles = (0..threads)
            .map(|_| {
                let (target, path, stop, stats) = (
                    target.clone(),
                    path.to_string(),
                    stop.clone(),
                    stats.clone(),
                );
                thread::spawn(move || {
                    let mut n = 0;
                    while n < max_requests
                        && started.elapsed() < max_duration
                        && !stop.load(Ordering::Relaxed)
                    {
                        n += 1;
                        let t = Instant::now();
                        let result = get_trimmed(target.clone(), &path);
                        let latency = t.elapsed();
                        let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
                        s.max_latency = s.max_latency.max(latency);
                        match result {
                            Ok(body) => {
                                s.ok += 1;
                                *s.bodies.entry(body).or_default() += 1;
                            }
                            Err(e) => {
                                s.failed += 1;
                                if s.errors.len() < 10 {
                                    s.errors.push(format!(
                                        "at {:.3}s: {e}",
                                        started.elapsed().as_secs_f64()
                                    ));
                                }
                            }
                        }
                        drop(s);
                        // Pace the loop a little so two cores still have room for the builds.
                        thread::sleep(Duration::from_millis(2));
                    }
                })
            })
            .collect();
        Load {
            stop,
            stats,
            handles,
        }
    }

    /// The numbers so far.
    pub fn snapshot(&self) -> LoadStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops every loop and returns the totals.
    pub fn stop(mut self) -> LoadStats {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
        self.snapshot()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
