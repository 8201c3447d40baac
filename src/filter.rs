//! Which paths count as a change, and which directories are worth watching at all.
//!
//! A pure matcher: construction walks the roots once to read ignore files; after that
//! [`Filter::accepts`] and [`Filter::enters`] do no I/O, so they can run on every event.
//! It never watches or decides what to do about a change: that is `watch`'s and the engine's job.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::watch::WatchConfig;

/// Version-control metadata directories: never watched, never a change.
const VCS_DIRS: [&str; 4] = [".git", ".hg", ".svn", ".jj"];

/// Ignore files read in every directory, most specific first. `.hotdevignore` is read even
/// when `gitignore = false`.
const HOTDEV_IGNORE: &str = ".hotdevignore";
const DOT_IGNORE: &str = ".ignore";
const GIT_IGNORE: &str = ".gitignore";

/// A glob or ignore file that cannot be used; the message is one line that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

/// The ignore files found in one directory.
#[derive(Debug, Default)]
struct Layer {
    hotdev: Option<Gitignore>,
    dot_ignore: Option<Gitignore>,
    git: Option<Gitignore>,
}

/// What the ignore files say about one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    None,
    Ignore,
    Whitelist,
}

fn verdict<T>(m: Match<T>) -> Verdict {
    match m {
        Match::None => Verdict::None,
        Match::Ignore(_) => Verdict::Ignore,
        Match::Whitelist(_) => Verdict::Whitelist,
    }
}

/// The compiled watch rules (see [`Filter::accepts`] for their order).
#[derive(Debug)]
pub struct Filter {
    cfg: WatchConfig,
    /// What `include` and `ignore` globs are relative to.
    root: PathBuf,
    include: GlobSet,
    /// `reload_only` (`[proxy]`): files whose change reloads the browser and builds nothing.
    assets: GlobSet,
    /// Literal directory prefixes of the `include` globs: directories on the way to them are
    /// entered even when ignored. `None` when some include glob can match anywhere.
    include_prefixes: Option<Vec<PathBuf>>,
    ignore: GlobSet,
    /// `x` for every `ignore` glob `x/**`, so that the directory itself is not entered.
    ignore_dirs: GlobSet,
    /// Ignore files by the directory that holds them.
    layers: HashMap<PathBuf, Layer>,
    /// `.git/info/exclude` by the work tree it belongs to.
    excludes: HashMap<PathBuf, Gitignore>,
    global: Option<Gitignore>,
}

impl Filter {
    /// Compiles the globs and reads every ignore file under `cfg.paths` (and in their parents
    /// up to the enclosing git work tree). `root` is what the globs are relative to.
    pub fn new(cfg: &WatchConfig, root: &Path) -> Result<Filter, FilterError> {
        // `reload_only` files count whatever the other rules say, as `include` ones do.
        let included: Vec<String> = cfg
            .include
            .iter()
            .chain(&cfg.reload_only)
            .cloned()
            .collect();
        let include = glob_set(&included, "watch.include")?;
        let assets = glob_set(&cfg.reload_only, "proxy.reload_only")?;
        let ignore = glob_set(&cfg.ignore, "watch.ignore")?;
        let dir_globs: Vec<String> = cfg
            .ignore
            .iter()
            .filter_map(|g| g.strip_suffix("/**").map(str::to_owned))
            .filter(|g| !g.is_empty())
            .collect();
        let ignore_dirs = glob_set(&dir_globs, "watch.ignore")?;
        let include_prefixes = included
            .iter()
            .map(|g| literal_prefix(g))
            .collect::<Option<Vec<_>>>();

        let mut filter = Filter {
            cfg: cfg.clone(),
            root: root.to_path_buf(),
            include,
            assets,
            include_prefixes,
            ignore,
            ignore_dirs,
            layers: HashMap::new(),
            excludes: HashMap::new(),
            global: None,
        };
        filter.read_ignore_files()?;
        Ok(filter)
    }

    /// The project root that relative globs start from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A fresh filter from the same configuration, after an ignore file changed.
    pub fn rebuild(&self) -> Result<Filter, FilterError> {
        Filter::new(&self.cfg, &self.root)
    }

    /// Whether a change to this path may change the rules themselves (an ignore file).
    pub fn is_ignore_file(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|name| {
            name == HOTDEV_IGNORE
                || (self.cfg.gitignore && (name == DOT_IGNORE || name == GIT_IGNORE))
        })
    }

    /// Whether a change to `path` counts. In order: `never` paths, VCS directories and editor
    /// temporary files never count; `include` globs always count; `ignore` globs, then ignore
    /// files (their own precedence: `.hotdevignore` > `.ignore` > `.gitignore` >
    /// `.git/info/exclude` > global excludes, the deepest file of a kind winning), exclude;
    /// last, files (not directories) must have one of `extensions`, if any are given.
    pub fn accepts(&self, path: &Path, is_dir: bool) -> bool {
        if self.is_never(path) || self.is_vcs(path) {
            return false;
        }
        if !is_dir
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_editor_temp)
        {
            return false;
        }
        let rel = self.relative(path);
        if self.include.is_match(rel) {
            return true;
        }
        if self.ignored_by_globs(rel, is_dir) || self.ignored_by_files(path, is_dir) {
            return false;
        }
        if is_dir || self.cfg.extensions.is_empty() {
            return true;
        }
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            self.cfg
                .extensions
                .iter()
                .any(|x| x.eq_ignore_ascii_case(e))
        })
    }

    /// Whether `path`, a file that [`Filter::accepts`], is one whose change only reloads the
    /// browser (`[proxy] reload_only`).
    pub fn is_asset(&self, path: &Path) -> bool {
        self.assets.is_match(self.relative(path))
    }

    /// Whether `dir` should be watched and descended into: not when nothing below it can
    /// count (a `never` path, a VCS directory, an ignored directory with no `include` glob
    /// reaching into it).
    pub fn enters(&self, dir: &Path) -> bool {
        if self.is_never(dir) || self.is_vcs(dir) {
            return false;
        }
        let rel = self.relative(dir);
        let toward_include = match &self.include_prefixes {
            None => true,
            Some(prefixes) => prefixes
                .iter()
                .any(|p| p.starts_with(rel) || rel.starts_with(p)),
        };
        toward_include || !(self.ignored_by_globs(rel, true) || self.ignored_by_files(dir, true))
    }

    fn is_never(&self, path: &Path) -> bool {
        self.cfg.never.iter().any(|n| path.starts_with(n))
    }

    fn is_vcs(&self, path: &Path) -> bool {
        self.relative(path).components().any(|c| match c {
            Component::Normal(name) => VCS_DIRS.iter().any(|v| name == *v),
            _ => false,
        })
    }

    /// `path` relative to the glob root, else to the watch root holding it, else as given.
    fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        std::iter::once(&self.root)
            .chain(&self.cfg.paths)
            .find_map(|r| path.strip_prefix(r).ok())
            .unwrap_or(path)
    }

    fn ignored_by_globs(&self, rel: &Path, is_dir: bool) -> bool {
        let dir_ignored = |d: &Path| self.ignore.is_match(d) || self.ignore_dirs.is_match(d);
        if if is_dir {
            dir_ignored(rel)
        } else {
            self.ignore.is_match(rel)
        } {
            return true;
        }
        rel.ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .any(dir_ignored)
    }

    /// Ignored by an ignore file, itself or through a parent directory (as in git, a file
    /// under an excluded directory cannot be re-included).
    fn ignored_by_files(&self, path: &Path, is_dir: bool) -> bool {
        if self.layers.is_empty() && self.excludes.is_empty() && self.global.is_none() {
            return false;
        }
        let Some(scope) = self.cfg.paths.iter().find(|r| path.starts_with(r)) else {
            return self.verdict(path, is_dir) == Verdict::Ignore;
        };
        self.verdict(path, is_dir) == Verdict::Ignore
            || path
                .ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(scope) && *a != scope)
                .any(|a| self.verdict(a, true) == Verdict::Ignore)
    }

    /// The ignore files' verdict on `path` alone, not its parents.
    fn verdict(&self, path: &Path, is_dir: bool) -> Verdict {
        let (mut hotdev, mut dot, mut git, mut exclude) =
            (Verdict::None, Verdict::None, Verdict::None, Verdict::None);
        for dir in path.ancestors().skip(1) {
            if let Some(layer) = self.layers.get(dir) {
                for (slot, gi) in [
                    (&mut hotdev, &layer.hotdev),
                    (&mut dot, &layer.dot_ignore),
                    (&mut git, &layer.git),
                ] {
                    if let (Verdict::None, Some(gi)) = (*slot, gi) {
                        *slot = verdict(gi.matched(path, is_dir));
                    }
                }
            }
            if exclude == Verdict::None
                && let Some(gi) = self.excludes.get(dir)
            {
                exclude = verdict(gi.matched(path, is_dir));
            }
        }
        let global = match &self.global {
            Some(gi) => verdict(gi.matched(self.relative(path), is_dir)),
            None => Verdict::None,
        };
        [hotdev, dot, git, exclude, global]
            .into_iter()
            .find(|v| *v != Verdict::None)
            .unwrap_or(Verdict::None)
    }

    /// Reads the ignore files of every directory the `ignore` crate's own walk enters (so
    /// ignored directories are not even read), plus those of the parents up to the work tree.
    fn read_ignore_files(&mut self) -> Result<(), FilterError> {
        let git = self.cfg.gitignore;
        let mut dirs: Vec<PathBuf> = Vec::new();
        for root in &self.cfg.paths {
            if let Some(work_tree) = work_tree_of(root) {
                if git && let Some(exclude) = exclude_file(&work_tree) {
                    let gi = build_gitignore(&work_tree, &[exclude])?;
                    self.excludes.insert(work_tree.clone(), gi);
                }
                dirs.extend(
                    root.ancestors()
                        .skip(1)
                        .take_while(|a| a.starts_with(&work_tree))
                        .map(Path::to_path_buf),
                );
            }
            let never = self.cfg.never.clone();
            let walk = ignore::WalkBuilder::new(root)
                .standard_filters(false)
                .hidden(false)
                .parents(false)
                .require_git(false)
                .git_ignore(git)
                .git_exclude(git)
                .git_global(git)
                .ignore(git)
                .add_custom_ignore_filename(HOTDEV_IGNORE)
                .filter_entry(move |e| {
                    let vcs = e
                        .file_name()
                        .to_str()
                        .is_some_and(|n| VCS_DIRS.contains(&n));
                    !vcs && !never.iter().any(|n| e.path().starts_with(n))
                })
                .build();
            // Unreadable directories are skipped here; the watcher reports what it cannot watch.
            dirs.extend(
                walk.flatten()
                    .filter(|e| e.file_type().is_some_and(|t| t.is_dir()))
                    .map(ignore::DirEntry::into_path),
            );
        }
        for dir in dirs {
            let load = |name: &str, wanted: bool| -> Result<Option<Gitignore>, FilterError> {
                let file = dir.join(name);
                if wanted && file.is_file() {
                    build_gitignore(&dir, &[file]).map(Some)
                } else {
                    Ok(None)
                }
            };
            let layer = Layer {
                hotdev: load(HOTDEV_IGNORE, true)?,
                dot_ignore: load(DOT_IGNORE, git)?,
                git: load(GIT_IGNORE, git)?,
            };
            if layer.hotdev.is_some() || layer.dot_ignore.is_some() || layer.git.is_some() {
                self.layers.insert(dir, layer);
            }
        }
        if git {
            // A missing or unreadable global excludes file is not worth refusing to start.
            let (global, _err) = GitignoreBuilder::new(&self.root).build_global();
            self.global = (!global.is_empty()).then_some(global);
        }
        Ok(())
    }
}

/// Compiles globs relative to the root. A glob without `/` matches at any depth, as in
/// `.gitignore`; `*` does not cross `/`.
fn glob_set(globs: &[String], key: &str) -> Result<GlobSet, FilterError> {
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let pattern = normalise_glob(g);
        let glob = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| FilterError(format!("invalid glob `{g}` in {key}: {}", e.kind())))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| FilterError(format!("cannot compile the globs in {key}: {e}")))
}

fn normalise_glob(glob: &str) -> String {
    let g = glob.trim_start_matches("./").trim_end_matches('/');
    if g.contains('/') {
        g.trim_start_matches('/').to_owned()
    } else {
        format!("**/{g}")
    }
}

/// The directories an include glob starts with before its first wildcard; `None` when it can
/// match anywhere.
fn literal_prefix(glob: &str) -> Option<PathBuf> {
    let g = normalise_glob(glob);
    let prefix: PathBuf = g
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[', '{', '\\']))
        .collect();
    (!prefix.as_os_str().is_empty()).then_some(prefix)
}

fn build_gitignore(dir: &Path, files: &[PathBuf]) -> Result<Gitignore, FilterError> {
    let mut builder = GitignoreBuilder::new(dir);
    for file in files {
        if let Some(err) = builder.add(file) {
            return Err(FilterError(format!(
                "cannot use ignore file {}: {}",
                file.display(),
                one_line(&err.to_string())
            )));
        }
    }
    builder.build().map_err(|e| {
        FilterError(format!(
            "cannot use ignore files in {}: {}",
            dir.display(),
            one_line(&e.to_string())
        ))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The nearest directory at or above `path` that holds a `.git` (directory or worktree file).
fn work_tree_of(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `info/exclude` of a work tree, following a linked worktree's `.git` file to the common dir.
fn exclude_file(work_tree: &Path) -> Option<PathBuf> {
    let dot_git = work_tree.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let linked = work_tree.join(text.strip_prefix("gitdir:")?.trim());
        match std::fs::read_to_string(linked.join("commondir")) {
            Ok(common) => linked.join(common.trim()),
            Err(_) => linked,
        }
    };
    let exclude = git_dir.join("info").join("exclude");
    exclude.is_file().then_some(exclude)
}

/// Files editors write next to the real one while saving (swap, backup, lock, temp).
fn is_editor_temp(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let by_ext = ext.as_deref().is_some_and(|e| {
        matches!(
            e,
            "swp" | "swx" | "swo" | "swn" | "swpx" | "kate-swp" | "tmp"
        )
    });
    by_ext
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || name.contains("___jb_tmp___")
        || name.contains("___jb_old___")
        || name.starts_with(".goutputstream-")
        || is_vim_probe(name)
}

/// Vim checks that it may write a directory by creating `4913` (then 5036, 5159, … if taken).
fn is_vim_probe(name: &str) -> bool {
    name.len() <= 6
        && name
            .parse::<u32>()
            .is_ok_and(|n| n >= 4913 && (n - 4913) % 123 == 0)
}

#[cfg(test)]
mod tests;
