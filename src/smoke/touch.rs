//! The file each reload changes: which one, how it is changed, and how it is put back exactly
//! as it was (bytes, permissions, modification time), whatever way the run ends.
//!
//! Reload `k` writes the original content plus `k` newlines, in place (same inode, same mode):
//! every reload is a real, distinct change for the watcher and the build, and harmless to the
//! languages hotdev serves (Go, Rust, JS, Python, templates).

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Directories that hold build output or dependencies, never a source worth touching.
const SKIP_DIRS: [&str; 5] = ["tmp", "target", "node_modules", "vendor", "dist"];

/// Picks the file to touch: `explicit` (relative to `cwd`) or the most recently modified
/// watched file under the root, as far as the config file tells (`watch.paths`,
/// `watch.extensions`, `watch.ignore`, ignore files; build output directories skipped).
pub fn pick(
    explicit: Option<&Path>,
    cwd: &Path,
    root: &Path,
    config: Option<&Path>,
) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        let path = cwd.join(path);
        return match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(path),
            Ok(_) => Err(format!("--touch {}: not a regular file", path.display())),
            Err(e) => Err(format!("--touch {}: {e}", path.display())),
        };
    }
    let watch = config.map(read_watch_table).unwrap_or_default();
    let mut ignore = globset::GlobSetBuilder::new();
    for glob in &watch.ignore {
        if let Ok(g) = globset::Glob::new(glob) {
            ignore.add(g);
        }
    }
    let ignore = ignore.build().unwrap_or_else(|_| globset::GlobSet::empty());
    let roots: Vec<PathBuf> = if watch.paths.is_empty() {
        vec![root.to_path_buf()]
    } else {
        watch.paths.iter().map(|p| root.join(p)).collect()
    };
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for start in roots {
        let walker = ignore::WalkBuilder::new(&start)
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_some_and(|t| t.is_dir()) && SKIP_DIRS.contains(&name.as_ref()))
            })
            .build();
        for entry in walker.flatten() {
            let path = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if name.starts_with(".hotdev") || Some(path) == config {
                continue;
            }
            let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
            if !watch.extensions.is_empty() && !ext.is_some_and(|e| watch.extensions.contains(&e)) {
                continue;
            }
            if ignore.is_match(path.strip_prefix(root).unwrap_or(path)) {
                continue;
            }
            let Ok(modified) = entry.metadata().and_then(|m| Ok(m.modified()?)) else {
                continue;
            };
            if best.as_ref().is_none_or(|(t, _)| modified > *t) {
                best = Some((modified, path.to_path_buf()));
            }
        }
    }
    best.map(|(_, p)| p).ok_or_else(|| {
        format!(
            "found no watched file to change under {}: name one with --touch PATH",
            root.display()
        )
    })
}

#[derive(Default)]
struct WatchTable {
    paths: Vec<String>,
    extensions: Vec<String>,
    ignore: Vec<String>,
}

/// The `[watch]` keys, read leniently: the child validates the file, not us.
fn read_watch_table(config: &Path) -> WatchTable {
    let Ok(text) = fs::read_to_string(config) else {
        return WatchTable::default();
    };
    let Ok(value) = text.parse::<toml::Table>() else {
        return WatchTable::default();
    };
    let list = |key: &str| -> Vec<String> {
        value
            .get("watch")
            .and_then(|w| w.get(key))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(|s| s.trim_start_matches('.').to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    WatchTable {
        paths: list("paths"),
        extensions: list("extensions"),
        ignore: list("ignore"),
    }
}

/// Whether the config file configures a readiness check (`[run] ready`).
pub fn config_names_readiness(config: &Path) -> bool {
    fs::read_to_string(config)
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .is_some_and(|v| v.get("run").and_then(|r| r.get("ready")).is_some())
}

/// The touched file and everything needed to put it back.
pub struct Touched {
    path: PathBuf,
    original: Vec<u8>,
    times: (SystemTime, SystemTime),
    dirty: bool,
}

impl Touched {
    pub fn new(path: PathBuf) -> std::io::Result<Touched> {
        let original = fs::read(&path)?;
        let meta = fs::metadata(&path)?;
        let times = (meta.accessed()?, meta.modified()?);
        Ok(Touched {
            path,
            original,
            times,
            dirty: false,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the content of reload `step`: the original plus `step` newlines.
    pub fn change(&mut self, step: usize) -> std::io::Result<()> {
        self.dirty = true;
        let mut content = self.original.clone();
        content.extend(std::iter::repeat_n(b'\n', step));
        write_in_place(&self.path, &content)
    }

    /// Puts the original bytes and times back. Idempotent.
    pub fn restore(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        write_in_place(&self.path, &self.original)?;
        let file = File::options().write(true).open(&self.path)?;
        file.set_times(
            FileTimes::new()
                .set_accessed(self.times.0)
                .set_modified(self.times.1),
        )?;
        self.dirty = false;
        Ok(())
    }
}

impl Drop for Touched {
    fn drop(&mut self) {
        if let Err(e) = self.restore() {
            eprintln!("smoke: error: cannot restore {}: {e}", self.path.display());
        }
    }
}

/// Truncate and write the same inode, so that mode, owner and hard links stay as they were.
fn write_in_place(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).truncate(true).open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_puts_back_bytes_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("version.go");
        fs::write(&path, b"package main\nconst version = \"v1\"").unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let mut touched = Touched::new(path.clone()).unwrap();
        touched.change(2).unwrap();
        assert_eq!(
            fs::read(&path).unwrap(),
            b"package main\nconst version = \"v1\"\n\n"
        );
        drop(touched);
        assert_eq!(
            fs::read(&path).unwrap(),
            b"package main\nconst version = \"v1\""
        );
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), old);
    }

    #[test]
    fn pick_takes_the_newest_watched_file_outside_build_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("tmp")).unwrap();
        let config = root.join(".hotdev.toml");
        fs::write(
            &config,
            "[watch]\nextensions = [\"go\"]\nignore = [\"gen/**\"]\n",
        )
        .unwrap();
        fs::write(root.join("main.go"), "package main\n").unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        File::options()
            .write(true)
            .open(root.join("main.go"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        fs::write(root.join("version.go"), "package main\n").unwrap();
        fs::write(root.join("tmp/x.go"), "package main\n").unwrap();
        fs::create_dir(root.join("gen")).unwrap();
        fs::write(root.join("gen/y.go"), "package main\n").unwrap();
        fs::write(root.join("notes.txt"), "x").unwrap();
        let picked = pick(None, root, root, Some(&config)).unwrap();
        assert_eq!(picked, root.join("version.go"));
    }
}
