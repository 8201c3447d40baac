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

use crate::config::Config;
use crate::filter::Filter;

/// Picks the file to touch: `explicit` (relative to `cwd`) or the most recently modified file
/// that hotdev itself would rebuild for, as the child's resolved `config` says: its watch
/// roots and the same [`Filter`] as the watcher, so smoke can never pick a file that the
/// watcher ignores (build output, hotdev's own files, ignore files' entries, other extensions).
pub fn pick(explicit: Option<&Path>, cwd: &Path, config: &Config) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        let path = cwd.join(path);
        return match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(path),
            Ok(_) => Err(format!("--touch {}: not a regular file", path.display())),
            Err(e) => Err(format!("--touch {}: {e}", path.display())),
        };
    }
    let filter = Filter::new(&config.watch, &config.root).map_err(|e| e.to_string())?;
    let filter = std::sync::Arc::new(filter);
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for start in &config.watch.paths {
        let enters = std::sync::Arc::clone(&filter);
        let walker = ignore::WalkBuilder::new(start)
            // The filter reads the ignore files itself, with hotdev's precedence.
            .standard_filters(false)
            .filter_entry(move |e| {
                !e.file_type().is_some_and(|t| t.is_dir()) || enters.enters(e.path())
            })
            .build();
        for entry in walker.flatten() {
            let path = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file())
                || !filter.accepts(path, false)
                || config.file.as_deref() == Some(path)
                || filter.is_ignore_file(path)
            {
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
            config.root.display()
        )
    })
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
            crate::error::print(&format!("cannot restore {}: {e}", self.path.display()));
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
        let global = ["-i", "tmp/**", "--", "true"].map(std::ffi::OsString::from);
        let config = crate::smoke::args::load_config(&global, root, None).unwrap();
        let picked = pick(None, root, &config).unwrap();
        assert_eq!(picked, root.join("version.go"));
    }

    #[test]
    fn pick_honours_watch_paths_written_with_a_leading_dot_slash() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("src")).unwrap();
        fs::write(
            root.join(".hotdev.toml"),
            "[watch]\npaths = [\"./src\"]\n[run]\ncommand = \"true\"\n",
        )
        .unwrap();
        fs::write(root.join("src/lib.go"), "package main\n").unwrap();
        let config = crate::smoke::args::load_config(&[], root, None).unwrap();
        let picked = pick(None, root, &config).unwrap();
        assert_eq!(picked, root.join("src/lib.go"));
    }
}
