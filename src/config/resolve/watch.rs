//! `[watch]` and the watch flags to a [`WatchConfig`]: roots that must exist, extensions,
//! ignore and include globs, debounce and polling. Never adds the never-watched paths or
//! hotdev's own files: `resolve` does that once every table is known.

use std::path::{Path, PathBuf};

use super::{At, Ctx, defaults};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::{FileConfig, Poll};
use crate::config::never::normalize;
use crate::config::value;
use crate::watch::WatchConfig;

impl Ctx<'_> {
    pub(super) fn watch(&self, file: &FileConfig) -> Result<WatchConfig, ConfigError> {
        let (cli, watch) = (self.cli, &file.watch);
        let mut paths = Vec::new();
        if !cli.watch.is_empty() {
            for path in &cli.watch {
                paths.push(self.existing(
                    self.cwd,
                    &path.to_string_lossy(),
                    At::Flag("--watch"),
                )?);
            }
        } else if let Some(list) = &watch.paths {
            if list.is_empty() {
                return Err(self.error(
                    At::Key("watch.paths"),
                    Problem::new("`watch.paths` is empty: nothing would be watched").with_hint(
                        "list at least one path, e.g. paths = [\".\"], or remove the key",
                    ),
                ));
            }
            for (i, path) in list.iter().enumerate() {
                paths.push(self.existing(
                    self.root,
                    path,
                    At::Key(&format!("watch.paths[{i}]")),
                )?);
            }
        } else {
            paths = defaults::WATCH_PATHS
                .iter()
                .map(|p| normalize(&self.root.join(p)))
                .collect();
        }

        let mut extensions = Vec::new();
        let (list, flag) = match &watch.extensions {
            _ if !cli.ext.is_empty() => (cli.ext.clone(), true),
            Some(list) => (list.clone(), false),
            None => (Vec::new(), false),
        };
        for (i, ext) in list.iter().enumerate() {
            let key = format!("watch.extensions[{i}]");
            let at = if flag {
                At::Flag("--ext")
            } else {
                At::Key(&key)
            };
            let ext = value::extension(ext).map_err(|problem| self.error(at, problem))?;
            if !extensions.contains(&ext) {
                extensions.push(ext);
            }
        }

        // Ignores add up: the file's, then the command line's.
        let mut ignore = Vec::new();
        for (i, glob) in watch.ignore.iter().flatten().enumerate() {
            self.glob(glob, At::Key(&format!("watch.ignore[{i}]")))?;
            ignore.push(glob.clone());
        }
        for glob in &cli.ignore {
            self.glob(glob, At::Flag("--ignore"))?;
            ignore.push(glob.clone());
        }
        let mut include = Vec::new();
        for (i, glob) in watch.include.iter().flatten().enumerate() {
            self.glob(glob, At::Key(&format!("watch.include[{i}]")))?;
            include.push(glob.clone());
        }

        let debounce = self
            .pick(
                ("--debounce", cli.debounce.as_deref()),
                ("watch.debounce", watch.debounce.as_deref()),
                |text| value::duration_within(text, value::DEBOUNCE),
            )?
            .unwrap_or(defaults::DEBOUNCE);
        let interval = |text: &str| match text {
            "" => Ok(defaults::POLL_INTERVAL),
            text => value::duration_within(text, value::POLL),
        };
        let poll = match (&cli.poll, &watch.poll) {
            (Some(text), _) => Some(interval(text).map_err(|p| self.error(At::Flag("--poll"), p))?),
            (None, Some(Poll::Enabled(true))) => Some(defaults::POLL_INTERVAL),
            (None, Some(Poll::Interval(text))) => {
                Some(interval(text).map_err(|p| self.error(At::Key("watch.poll"), p))?)
            }
            (None, Some(Poll::Enabled(false)) | None) => None,
        };
        Ok(WatchConfig {
            paths,
            extensions,
            ignore,
            include,
            gitignore: watch.gitignore.unwrap_or(defaults::GITIGNORE),
            debounce,
            poll,
            settle: None,
            never: Vec::new(),
            files: Vec::new(),
            follow_symlinks: watch.follow_symlinks.unwrap_or(false),
            reload_only: Vec::new(),
        })
    }

    fn existing(&self, base: &Path, path: &str, at: At<'_>) -> Result<PathBuf, ConfigError> {
        let full = normalize(&base.join(path));
        if full.exists() {
            return Ok(full);
        }
        Err(self.error(
            at,
            Problem::new(format!("the watch path `{path}` does not exist"))
                .with_hint(format!("paths are relative to {}", base.display())),
        ))
    }

    fn glob(&self, glob: &str, at: At<'_>) -> Result<(), ConfigError> {
        value::glob(glob).map_err(|problem| self.error(at, problem))
    }
}
