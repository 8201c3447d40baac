//! `hotdev init --from-air`: an air config (`.air.toml`) turned into a `.hotdev.toml` that does
//! what it did, with one note per air key saying how it was mapped or why it was not.
//!
//! Pure: air's TOML text in, hotdev's TOML text and the notes out. Keys air leaves out keep
//! air's defaults (air merges its file over them), so a minimal air file maps to what air
//! really did, not to hotdev's defaults. Covers air-verse/air (2026) and the older
//! cosmtrek/air keys; a key this module does not know is named, never dropped silently.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

mod build_keys;
mod other_tables;
mod render;
mod run_keys;
mod watch_keys;

use build_keys::{build_keys, run_command};
use other_tables::other_tables;
use render::render;
use run_keys::run_keys;
use watch_keys::watch_keys;

/// Where air looks for its config, in order.
pub const AIR_FILES: [&str; 2] = [".air.toml", ".config/air.toml"];

/// Every `[build]` key air has; one not listed here is named as unknown.
const BUILD_KEYS: [&str; 29] = [
    "pre_cmd",
    "cmd",
    "post_cmd",
    "bin",
    "entrypoint",
    "full_bin",
    "args_bin",
    "linux",
    "darwin",
    "windows",
    "include_ext",
    "exclude_dir",
    "include_dir",
    "exclude_file",
    "include_file",
    "exclude_regex",
    "exclude_unchanged",
    "follow_symlink",
    "poll",
    "poll_interval",
    "delay",
    "log",
    "ignore_dangerous_root_dir",
    "rules",
    "send_interrupt",
    "kill_delay",
    "stop_on_error",
    "rerun",
    "rerun_delay",
];

/// The first air config in `dir`, if any.
pub fn find(dir: &Path) -> Option<PathBuf> {
    AIR_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// What became of one air key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The air key, dotted: `build.cmd`.
    pub key: String,
    /// `true`: it has an equivalent in the new file; `false`: it has none (the text says what
    /// to do instead).
    pub mapped: bool,
    pub text: String,
}

/// The new file and what happened to each air key.
#[derive(Debug)]
pub struct Translation {
    pub text: String,
    pub notes: Vec<Note>,
}

/// The settings being assembled, in hotdev's terms.
#[derive(Default)]
struct Out {
    paths: Vec<String>,
    extensions: Vec<String>,
    ignore: Vec<String>,
    include: Vec<String>,
    debounce: Option<String>,
    poll: Option<String>,
    follow_symlinks: bool,
    build: Option<String>,
    run: Option<String>,
    run_env: Vec<(String, String)>,
    env_files: Vec<String>,
    stop_signal: Option<&'static str>,
    stop_timeout: Option<String>,
    restart: Option<&'static str>,
    proxy: Option<Proxy>,
    notes: Vec<Note>,
}

/// air's enabled `[proxy]` in hotdev's terms: where the browser connects, the app's own port,
/// and how long a request may wait for the app (air's `app_start_timeout`).
struct Proxy {
    address: String,
    target: Option<String>,
    hold_timeout: Option<String>,
}

impl Out {
    fn mapped(&mut self, key: &str, text: impl Into<String>) {
        self.notes.push(Note {
            key: key.to_string(),
            mapped: true,
            text: text.into(),
        });
    }

    fn unmapped(&mut self, key: &str, text: impl Into<String>) {
        self.notes.push(Note {
            key: key.to_string(),
            mapped: false,
            text: text.into(),
        });
    }
}

/// air's build keys as they apply on Linux: `[build]` with `[build.linux]` laid over it.
#[derive(Default)]
struct Build {
    pre_cmd: Vec<String>,
    cmd: String,
    bin: String,
    entrypoint: Vec<String>,
    full_bin: String,
    args_bin: Vec<String>,
}

pub fn translate(text: &str) -> Result<Translation, String> {
    let air: Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
    let mut out = Out::default();
    let empty = Table::new();
    let build = match air.get("build") {
        Some(Value::Table(t)) => t,
        Some(_) => return Err("`build` is not a table".into()),
        None => &empty,
    };

    // Top level.
    for (key, value) in &air {
        match key.as_str() {
            "root" => match value.as_str() {
                Some(".") | Some("") | Some("./") => {
                    out.mapped("root", "the current directory: nothing to set")
                }
                Some(root) => {
                    out.paths.push(root.to_string());
                    out.unmapped(
                        "root",
                        format!(
                            "watch.paths = [\"{root}\"]; hotdev runs commands in the directory of \
                             .hotdev.toml, not in `{root}`: move the file there, or check the \
                             build and run commands"
                        ),
                    );
                }
                None => out.unmapped("root", "not a string: ignored"),
            },
            "tmp_dir" | "testdata_dir" => {}
            "env_files" => {
                out.env_files = strings(value);
                out.mapped(
                    "env_files",
                    "build.env_file and run.env_file (a missing file is an error in hotdev)",
                );
            }
            "build" | "log" | "color" | "misc" | "screen" | "proxy" => {}
            other => out.unmapped(other, "unknown air key: not mapped"),
        }
    }
    let tmp_dir = air.get("tmp_dir").and_then(Value::as_str).unwrap_or("tmp");
    let testdata_dir = air
        .get("testdata_dir")
        .and_then(Value::as_str)
        .unwrap_or("testdata");
    out.ignore.push(dir_glob(tmp_dir));
    out.mapped(
        "tmp_dir",
        format!("watch.ignore += \"{}\"", dir_glob(tmp_dir)),
    );
    if air.contains_key("testdata_dir") {
        out.ignore.push(dir_glob(testdata_dir));
        out.mapped(
            "testdata_dir",
            format!("watch.ignore += \"{}\"", dir_glob(testdata_dir)),
        );
    }

    let resolved = build_keys(build, &mut out);
    watch_keys(build, testdata_dir, &mut out);
    run_keys(build, &mut out);
    other_tables(&air, &mut out);

    // The commands, once every override is in.
    let mut cmd = resolved.cmd.clone();
    if !resolved.pre_cmd.is_empty() {
        cmd = format!("{} && {cmd}", resolved.pre_cmd.join(" && "));
    }
    out.build = Some(cmd);
    out.run = Some(run_command(&resolved, &mut out.run_env));

    dedup(&mut out.ignore);
    dedup(&mut out.extensions);
    Ok(Translation {
        text: render(&out),
        notes: out.notes,
    })
}
fn dir_glob(dir: &str) -> String {
    let dir = dir.trim_start_matches("./").trim_end_matches('/');
    format!("{dir}/**")
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn dedup(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(item.clone()));
}
#[cfg(test)]
mod tests;
