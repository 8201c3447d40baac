//! What the watcher is asked to watch: roots, filters, timings. Assembled by `config`.

use std::path::PathBuf;
use std::time::Duration;

/// What to watch and what to ignore.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchConfig {
    /// Absolute roots to watch.
    pub paths: Vec<PathBuf>,
    /// File extensions without the dot; empty means every file.
    pub extensions: Vec<String>,
    /// Globs (relative to `Config::root`) that never trigger a build.
    pub ignore: Vec<String>,
    /// Globs watched even when an ignore file excludes them.
    pub include: Vec<String>,
    /// Honour .gitignore, .ignore, .git/info/exclude and git's global excludes.
    pub gitignore: bool,
    /// Quiet period that closes a burst of events into one change set.
    pub debounce: Duration,
    /// `Some(interval)` to use the polling watcher instead of the OS one.
    pub poll: Option<Duration>,
    /// Speculative builds (`build.speculative`): a burst that has paused this long, with
    /// every changed file closed, is sent as a tentative change before its debounce runs out.
    /// `None` for no early change (no build step, or switched off); the watcher also sends none
    /// where it cannot see writers close (polling, not Linux) or the debounce is no longer.
    pub settle: Option<Duration>,
    /// Absolute paths that are never watched whatever the config says: the build's output
    /// and hotdev's own files, so that a build can never trigger itself.
    pub never: Vec<PathBuf>,
    /// Absolute paths of files watched by name whatever the roots and rules say (the config
    /// file): every change to one is reported, and nothing else in its directory.
    pub files: Vec<PathBuf>,
    /// Follow symlinked directories whose target is outside the watched roots (one inside
    /// them is watched at its real path already; that also rules out loops).
    pub follow_symlinks: bool,
    /// Globs (relative to `Config::root`) of files whose change only reloads the browser
    /// (`[proxy] reload_only`): they count whatever `extensions` and the ignore rules say,
    /// and arrive as [`crate::engine::ChangeSet::assets`], not as paths to build.
    pub reload_only: Vec<String>,
}

impl WatchConfig {
    /// What one watcher for several apps needs: every app's roots and named files once, the
    /// longest debounce (no app's bursts end sooner than it asked), the shortest poll interval
    /// and settle time. The rules (extensions, globs, `never`) stay each app's own: they are
    /// in its route.
    pub fn union(configs: &[&WatchConfig]) -> Option<WatchConfig> {
        let (first, rest) = configs.split_first()?;
        let mut union = (*first).clone();
        for cfg in rest {
            for path in &cfg.paths {
                if !union.paths.contains(path) {
                    union.paths.push(path.clone());
                }
            }
            for file in &cfg.files {
                if !union.files.contains(file) {
                    union.files.push(file.clone());
                }
            }
            union.debounce = union.debounce.max(cfg.debounce);
            union.poll = match (union.poll, cfg.poll) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            union.settle = match (union.settle, cfg.settle) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            union.follow_symlinks |= cfg.follow_symlinks;
        }
        Some(union)
    }

    /// Every file under `root`, ignore files honoured, a 50 ms debounce, nothing else: the
    /// plain case that tests and benchmarks start from.
    pub fn under(root: &std::path::Path) -> WatchConfig {
        WatchConfig {
            paths: vec![root.to_path_buf()],
            extensions: vec![],
            ignore: vec![],
            include: vec![],
            gitignore: true,
            debounce: Duration::from_millis(50),
            poll: None,
            settle: None,
            never: vec![],
            files: vec![],
            follow_symlinks: false,
            reload_only: vec![],
        }
    }
}
