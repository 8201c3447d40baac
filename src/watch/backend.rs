//! The OS event source behind the watcher: hotdev's own inotify backend on Linux, notify's
//! native one elsewhere, or polling (`--poll`).

use super::*;

pub(super) enum Backend {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Inotify(inotify::InotifyBackend),
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

impl Backend {
    pub(super) fn new<F>(poll: Option<Duration>, handler: F, tx: &Sender) -> notify::Result<Backend>
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

    pub(super) fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Inotify(d) => d.watch(path),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            Backend::Native(d) => d.watch(path, mode),
            Backend::Poll(d) => d.watch(path, mode),
        }
    }

    /// Errors mean the watch is already gone (the kernel drops it with the directory).
    pub(super) fn unwatch(&mut self, path: &Path) {
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
