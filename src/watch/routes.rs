//! Which app a changed path belongs to: one watcher serves every app of a project, and each
//! app has its own roots, rules and files watched by name. A directory is watched once,
//! however many apps watch it; a change goes to the apps whose rules accept it.
//!
//! Pure matching over the apps' [`Filter`]s; no I/O but what `Filter::rebuild` reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::bus::Sender;
use crate::filter::{Filter, FilterError};

use super::WatchConfig;

/// One app's share of the watch: what it watches, by which rules, and where its changes go.
#[derive(Debug)]
pub struct Route {
    pub(super) roots: Vec<PathBuf>,
    /// Files watched by name (hotdev's config, env files): a change counts whatever the rules.
    pub(super) files: BTreeSet<PathBuf>,
    pub(super) filter: Filter,
    pub(super) tx: Sender,
}

impl Route {
    /// The route of one app: its config, its compiled rules, and its (tagged) sender.
    pub fn new(cfg: &WatchConfig, filter: Filter, tx: Sender) -> Route {
        Route {
            roots: cfg.paths.clone(),
            files: cfg.files.iter().cloned().collect(),
            filter,
            tx,
        }
    }

    /// Whether `path` is under this app's roots.
    pub(super) fn in_scope(&self, path: &Path) -> bool {
        self.roots.iter().any(|root| path.starts_with(root))
    }

    /// Whether a change to `path` counts for this app.
    pub(super) fn accepts(&self, path: &Path, is_dir: bool) -> bool {
        self.in_scope(path) && self.filter.accepts(path, is_dir)
    }

    /// Whether `path` is one of this app's `reload_only` files.
    pub(super) fn is_asset(&self, path: &Path) -> bool {
        self.filter.is_asset(path)
    }

    fn rebuild(&self) -> Result<Route, FilterError> {
        Ok(Route {
            roots: self.roots.clone(),
            files: self.files.clone(),
            filter: self.filter.rebuild()?,
            tx: self.tx.clone(),
        })
    }
}

/// Every app's route. With one app, it answers exactly as that app's [`Filter`] does.
#[derive(Debug)]
pub struct Routes(pub(super) Vec<Route>);

impl Routes {
    pub fn new(routes: Vec<Route>) -> Routes {
        Routes(routes)
    }

    /// Whether a change to `path` counts for some app.
    pub fn accepts(&self, path: &Path, is_dir: bool) -> bool {
        self.0.iter().any(|route| route.accepts(path, is_dir))
    }

    /// Whether some app wants `dir` watched and walked.
    pub fn enters(&self, dir: &Path) -> bool {
        self.0
            .iter()
            .any(|route| route.in_scope(dir) && route.filter.enters(dir))
    }

    /// Whether a change to `path` may change some app's rules (an ignore file).
    pub fn is_ignore_file(&self, path: &Path) -> bool {
        self.0.iter().any(|route| route.filter.is_ignore_file(path))
    }

    /// Whether some app watches `path` by name.
    pub fn is_named_file(&self, path: &Path) -> bool {
        self.0.iter().any(|route| route.files.contains(path))
    }

    /// Fresh rules for every app, after an ignore file changed.
    pub fn rebuild(&self) -> Result<Routes, FilterError> {
        self.0
            .iter()
            .map(Route::rebuild)
            .collect::<Result<_, _>>()
            .map(Routes)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Route> {
        self.0.iter()
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}
