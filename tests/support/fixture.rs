//! Fixtures: a private, writable copy of `fixtures/<name>` in a temp dir, the edits tests make
//! to it (in place, or atomically as editors save), the Go toolchain check and warm-up, and the
//! configs the go-server and rust-server tests start from.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use tempfile::TempDir;

/// A private, writable copy of `fixtures/<name>` in a temp dir, removed on drop.
pub struct Fixture {
    dir: TempDir,
}

impl Fixture {
    /// Copies `fixtures/<name>` without build output (`tmp/`, `target/`).
    pub fn copy(name: &str) -> Fixture {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        assert!(src.is_dir(), "fixture {} does not exist", src.display());
        let dir = tempfile::Builder::new()
            .prefix(&format!("hotdev-{name}-"))
            .tempdir()
            .expect("create temp dir");
        copy_tree(&src, dir.path());
        Fixture { dir }
    }

    /// An empty temp dir, for tests that write every file themselves.
    pub fn empty() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("hotdev-empty-")
            .tempdir()
            .expect("create temp dir");
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The absolute path of `rel` inside the copy.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.file(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Plain in-place write (truncate + write), creating parent dirs.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.file(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        fs::write(&path, content).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    /// Replaces the first occurrence of `from` by `to` in `rel`, in place. Panics when `from`
    /// is not there: a test that edits nothing proves nothing.
    pub fn replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(from),
            "{rel} does not contain {from:?}:\n{text}"
        );
        self.write(rel, &text.replacen(from, to, 1));
    }

    /// Writes `content` the way editors save: a temp file beside `rel`, then a rename over it.
    pub fn atomic_write(&self, rel: &str, content: &str) {
        let path = self.file(rel);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = path.with_file_name(format!(".{name}.hotdev-test~"));
        {
            let mut f = fs::File::create(&tmp).expect("create temp file");
            f.write_all(content.as_bytes()).expect("write temp file");
            f.sync_all().expect("sync temp file");
        }
        fs::rename(&tmp, &path).unwrap_or_else(|e| panic!("rename over {rel}: {e}"));
    }

    /// [`Fixture::replace`] done as an atomic save.
    pub fn atomic_replace(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(
            text.contains(from),
            "{rel} does not contain {from:?}:\n{text}"
        );
        self.atomic_write(rel, &text.replacen(from, to, 1));
    }

    /// go-server / rust-server: `const version = "<v>"` (`VERSION: &str` in Rust).
    pub fn set_version(&self, rel: &str, version: &str) {
        self.set_consts(rel, &[("version", version)]);
    }

    /// go-server / rust-server: `const mode = "<m>"`.
    pub fn set_mode(&self, rel: &str, mode: &str) {
        self.set_consts(rel, &[("mode", mode)]);
    }

    /// Sets several string constants (`const <name> = "…"`, any case) in one write, so that
    /// one edit is one change.
    pub fn set_consts(&self, rel: &str, consts: &[(&str, &str)]) {
        let mut text = self.read(rel);
        for (name, value) in consts {
            let re = regex::Regex::new(&format!(
                r#"(?i)(const\s+{name}\s*(?::\s*&(?:'static\s+)?str\s*)?=\s*")[^"]*(")"#
            ))
            .unwrap();
            assert!(
                re.is_match(&text),
                "{rel} has no `const {name} = \"…\"`:\n{text}"
            );
            text = re
                .replace(&text, format!("${{1}}{value}${{2}}"))
                .into_owned();
        }
        self.write(rel, &text);
    }

    /// `git init` the copy, so that `.gitignore` applies as it does in a real checkout.
    pub fn git_init(&self) {
        let status = Command::new("git")
            .args(["init", "-q", "."])
            .current_dir(self.path())
            .stdout(Stdio::null())
            .status()
            .expect("run git init");
        assert!(status.success(), "git init failed: {status}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let ty = entry.file_type().unwrap();
        if ty.is_dir() {
            if name == "tmp" || name == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(&name));
        } else if ty.is_file() {
            fs::copy(entry.path(), to.join(&name)).expect("copy fixture file");
        }
    }
}

/// Fails loudly when `go` is missing: CI installs it, so a missing toolchain is a broken setup,
/// not a reason to skip.
pub fn require_go() {
    let ok = Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`go` is not on PATH: these tests need a Go toolchain (CI installs one)"
    );
}

/// Runs `go <args>` once per test binary on a throwaway copy of `fixtures/<name>`, outside
/// hotdev, so that a cold Go build cache costs this warm-up and not a test's deadline.
/// Best effort: a failure here shows up again, with hotdev's output, in the test itself.
pub fn warm_go(name: &str, args: &[&str]) {
    static WARMED: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    require_go();
    let set = WARMED.get_or_init(|| Mutex::new(BTreeSet::new()));
    let mut set = set.lock().unwrap_or_else(|e| e.into_inner());
    if !set.insert(format!("{name} {args:?}")) {
        return;
    }
    let fixture = Fixture::copy(name);
    let started = Instant::now();
    let ok = Command::new("go")
        .args(args)
        .current_dir(fixture.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    eprintln!(
        "warm-up: go {args:?} in {name}: ok={ok}, {:?}",
        started.elapsed()
    );
}

/// The `[watch]` and `[build]` sections every go-server test starts from (tests add `[run]`).
pub const GO_WATCH_BUILD: &str = r#"
[watch]
extensions = ["go", "mod"]
ignore = ["tmp/**"]

[build]
command = "go build -o tmp/server ."
"#;

/// A copy of go-server, after a warm-up build of it (once per test binary).
pub fn go_server() -> Fixture {
    warm_go("go-server", &["build", "-o", "tmp/server", "."]);
    Fixture::copy("go-server")
}

/// Writes `.hotdev.toml` = [`GO_WATCH_BUILD`] + `rest`.
pub fn write_go_config(fx: &Fixture, rest: &str) {
    fx.write(".hotdev.toml", &format!("{GO_WATCH_BUILD}\n{rest}"));
}

/// Writes the rust-server `.hotdev.toml`: watch `.rs`/`.toml` outside `target/`, `cargo build
/// --quiet`, run `target/debug/rust-server`; `run` adds keys to `[run]`, `rest` adds sections.
pub fn write_rust_config(fx: &Fixture, run: &str, rest: &str) {
    fx.write(
        ".hotdev.toml",
        &format!(
            r#"
[watch]
extensions = ["rs", "toml"]
ignore = ["target/**"]

[build]
command = "cargo build --quiet"

[run]
command = "target/debug/rust-server"
{run}
{rest}"#
        ),
    );
}
