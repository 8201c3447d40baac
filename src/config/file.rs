//! The shape of `.hotdev.toml`, one serde struct per table, exactly as a user writes it.
//!
//! Values stay as written (durations, signals and globs are strings here): turning them into
//! typed values, with a message that points at the key, is `resolve`'s job. Nothing here reads
//! the file system. The doc comments are the reference for every key.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// The whole file. Every table is optional: an empty file is valid.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[schemars(title = "hotdev configuration (.hotdev.toml)")]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// What to watch and what to ignore.
    #[serde(default)]
    pub watch: WatchFile,
    /// The build step; absent when a change should just restart the run command.
    pub build: Option<BuildFile>,
    /// The server to run and how to swap generations.
    #[serde(default)]
    pub run: RunFile,
    /// Sockets hotdev binds once and hands to every generation (`[[listen]]`).
    #[serde(default)]
    pub listen: Vec<ListenFile>,
    /// The browser dev proxy: live reload, build errors in the page, CSS hot swap.
    pub proxy: Option<ProxyFile>,
    /// Several services in one file (`[apps.NAME]`, NAME of letters, digits, `-` and `_`):
    /// each is built, run and swapped on its own. The top-level `[watch]`, `[build]` and
    /// `[run]` are then defaults every app inherits key by key.
    #[serde(default)]
    pub apps: BTreeMap<String, AppFile>,
}

/// `[apps.NAME]`: one service, with the sections of a single-app file.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    /// `[apps.NAME.watch]`, laid key by key over the top-level `[watch]`; or `watch = false`:
    /// file changes never rebuild or restart this app (a Procfile-style entry).
    pub watch: Option<Switch<WatchFile>>,
    /// `[apps.NAME.build]`, laid key by key over the top-level `[build]`; or `build = false`:
    /// this app has no build step even when the top level has one.
    pub build: Option<Switch<BuildFile>>,
    /// `[apps.NAME.run]`, laid key by key over the top-level `[run]` (`env` merged).
    pub run: Option<RunFile>,
    /// `[[apps.NAME.listen]]`: this app's pre-bound sockets (never inherited).
    #[serde(default)]
    pub listen: Vec<ListenFile>,
    /// `[apps.NAME.proxy]`: a browser dev proxy in front of this app.
    pub proxy: Option<ProxyFile>,
    /// Apps that must be ready (their readiness check passed; with none, running) before this
    /// one starts. Shutdown stops this one first.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Apps whose swap restarts this one (each must be in `depends_on`), e.g. a worker that
    /// holds connections to the API.
    #[serde(default)]
    pub restart_with: Vec<String>,
}

/// A table, or `false` to switch the section off (`true`: the table with its defaults).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum Switch<T> {
    /// `watch = false`, `build = false`.
    Enabled(bool),
    /// The section's table.
    Table(T),
}

/// `[watch]`
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchFile {
    /// Roots to watch, relative to the file's directory. Default `["."]`.
    pub paths: Option<Vec<String>>,
    /// File extensions that trigger a build (`"go"` or `".go"`); empty or absent = every file.
    pub extensions: Option<Vec<String>>,
    /// Globs that never trigger a build, on top of the ignore files.
    pub ignore: Option<Vec<String>>,
    /// Globs watched even when an ignore file excludes them.
    pub include: Option<Vec<String>>,
    /// Honour `.gitignore`, `.ignore` and `.hotdevignore`. Default `true`.
    pub gitignore: Option<bool>,
    /// Quiet period that closes a burst of changes into one build, e.g. `"50ms"`.
    pub debounce: Option<String>,
    /// `false`, `true` (every 500ms) or an interval such as `"1s"`: poll instead of using OS
    /// events, for network, WSL and container mounts where events do not arrive.
    pub poll: Option<Poll>,
    /// Watch the directories that symlinks in the tree point to, when they are outside the
    /// watched roots (a link to a directory inside them adds nothing, so no loop). Default
    /// `false`.
    pub follow_symlinks: Option<bool>,
}

/// `[build]`
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildFile {
    /// The build command: a string or an array of strings (see "Commands" in DESIGN.md §6).
    /// Required, here or (with `[apps]`) in the app's `[apps.NAME.build]`.
    pub command: Option<CommandFile>,
    /// Variables added to hotdev's environment for the build.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Dotenv files (a path or a list, relative to this file) read into the build's
    /// environment; `env` wins over them, and a later file over an earlier one.
    pub env_file: Option<PathList>,
    /// Kill a build that runs longer than this, e.g. `"5m"`. Default: no limit.
    pub timeout: Option<String>,
    /// Start the build as soon as a burst of changes pauses (5ms, every changed file closed)
    /// instead of when its debounce runs out; the result is swapped in only once the burst is
    /// over, and a later change in the burst cancels it. Default `true`.
    pub speculative: Option<bool>,
}

/// `[run]`
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunFile {
    /// The server command: a string or an array of strings.
    pub command: Option<CommandFile>,
    /// Variables added to hotdev's environment for every generation.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Dotenv files (a path or a list, relative to this file) read into every generation's
    /// environment; `env` wins over them, and a later file over an earlier one. A changed
    /// file restarts the app without a build.
    pub env_file: Option<PathList>,
    /// How generation N is replaced by N+1. Default `restart`.
    pub strategy: Option<crate::engine::SwapStrategy>,
    /// The signal that asks the app to reload itself under `strategy = "signal"`. Default `SIGHUP`.
    pub reload_signal: Option<String>,
    /// The signal that asks a generation to stop. Default `SIGTERM`.
    pub stop_signal: Option<String>,
    /// How long a generation may take to stop before it is killed. Default `"5s"`.
    pub stop_timeout: Option<String>,
    /// How hotdev learns a generation is ready: exactly one of `notify`, `log`, `http`, `tcp`,
    /// `delay`. Required by `strategy = "overlap"`.
    pub ready: Option<ReadyFile>,
    /// How long to wait for readiness. Default `"30s"`.
    pub ready_timeout: Option<String>,
    /// What to do when the app exits on its own: `never` (default: wait for a change),
    /// `on-failure` or `always` (start it again with exponential backoff, 1s doubling to 30s).
    pub restart: Option<crate::engine::RestartPolicy>,
}

/// `[[listen]]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListenFile {
    /// `"127.0.0.1:8080"`, `"[::1]:8080"`, `"8080"` (127.0.0.1) or `"unix:tmp/app.sock"`.
    pub address: String,
    /// The name the app sees in `LISTEN_FDNAMES`. Default `"unknown"`, as systemd's.
    pub name: Option<String>,
}

/// `[proxy]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyFile {
    /// Where the browser connects: `"127.0.0.1:3000"`, `"3000"` or `":3000"` (127.0.0.1).
    /// Required (or `--proxy`).
    pub address: Option<String>,
    /// The app's address. Default: the first `[[listen]]` address; required when the app
    /// binds its own port.
    pub target: Option<String>,
    /// Globs (relative to this file) of files whose change reloads the browser with no build
    /// or restart, e.g. `"templates/**"`; CSS files among them are swapped in place. Watched
    /// whatever `watch.extensions` and the ignore rules say.
    pub reload_only: Option<Vec<String>>,
    /// How long a request waits while no generation can serve it, before a 502. Default
    /// `"10s"`.
    pub hold_timeout: Option<String>,
}

/// `run.ready`: an inline table with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyFile {
    /// `{ notify = true }`: wait for `READY=1` on `NOTIFY_SOCKET`. `false` means no check.
    Notify(bool),
    /// `{ log = "<regex>" }`: wait for a matching line of output.
    Log(String),
    /// `{ http = "<url>" }`: wait for an answer from a port the app binds itself.
    Http(String),
    /// `{ tcp = "<addr>" }`: wait for a connect to a port the app binds itself.
    Tcp(String),
    /// `{ delay = "<duration>" }`: ready when still alive after this long.
    Delay(String),
}

/// A command as written: a string (split into words, or run by `sh -c` when it uses shell
/// syntax) or an array exec'd as argv.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum CommandFile {
    /// `command = "go build -o tmp/app ."`
    Line(String),
    /// `command = ["go", "build", "-o", "tmp/app", "."]`
    Argv(Vec<String>),
}

/// One path or a list of paths.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum PathList {
    /// `env_file = ".env"`
    One(String),
    /// `env_file = [".env", ".env.local"]`
    Many(Vec<String>),
}

impl PathList {
    /// The paths with the dotted key of each (`run.env_file` or `run.env_file[1]`).
    pub fn keyed(&self, key: &str) -> Vec<(String, String)> {
        match self {
            PathList::One(path) => vec![(path.clone(), key.to_string())],
            PathList::Many(paths) => paths
                .iter()
                .enumerate()
                .map(|(i, path)| (path.clone(), format!("{key}[{i}]")))
                .collect(),
        }
    }
}

/// `watch.poll`: a switch or an interval.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum Poll {
    /// `poll = true` / `poll = false`.
    Enabled(bool),
    /// `poll = "1s"`.
    Interval(String),
}

/// Parses the text of a config file. Errors carry toml's byte span; `source` adds the location.
pub fn parse(text: &str) -> Result<FileConfig, toml::de::Error> {
    toml::from_str(text)
}

// Hand-written so that a wrong type says "expected a command string or an array of strings"
// instead of serde's "data did not match any variant of untagged enum".
impl<'de> Deserialize<'de> for CommandFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let what = StringOrList("a command string or an array of strings");
        Ok(match deserializer.deserialize_any(what)? {
            OneOrMany::One(line) => CommandFile::Line(line),
            OneOrMany::Many(argv) => CommandFile::Argv(argv),
        })
    }
}

impl<'de> Deserialize<'de> for PathList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(
            match deserializer.deserialize_any(StringOrList("a path or an array of paths"))? {
                OneOrMany::One(path) => PathList::One(path),
                OneOrMany::Many(paths) => PathList::Many(paths),
            },
        )
    }
}

/// A string or an array of strings; the text says what was expected in a type error.
struct StringOrList(&'static str);

enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Visitor<'de> for StringOrList {
    type Value = OneOrMany;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(OneOrMany::One(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            items.push(item);
        }
        Ok(OneOrMany::Many(items))
    }
}

impl<'de> Deserialize<'de> for Poll {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PollVisitor;
        impl Visitor<'_> for PollVisitor {
            type Value = Poll;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`true`, `false` or an interval such as \"500ms\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Poll::Enabled(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Poll::Interval(v.to_owned()))
            }
        }
        deserializer.deserialize_any(PollVisitor)
    }
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Switch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SwitchVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for SwitchVisitor<T> {
            type Value = Switch<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table, or `false` to switch it off")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Switch::Enabled(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Switch::Table)
            }
        }
        deserializer.deserialize_any(SwitchVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_file_parses() {
        let file =
            parse("[build]\ncommand = \"go build -o tmp/app .\"\n[run]\ncommand = \"tmp/app\"\n")
                .unwrap();
        assert_eq!(
            file.build.unwrap().command,
            Some(CommandFile::Line("go build -o tmp/app .".into()))
        );
        assert_eq!(file.run.command, Some(CommandFile::Line("tmp/app".into())));
    }

    #[test]
    fn full_file_parses() {
        let text = r#"
            [watch]
            paths = ["."]
            extensions = ["go", "mod"]
            ignore = ["tmp/**"]
            include = []
            gitignore = true
            debounce = "50ms"
            poll = "500ms"

            [build]
            command = ["go", "build", "-o", "tmp/app", "."]
            env = { CGO_ENABLED = "0" }
            timeout = "5m"
            speculative = false

            [run]
            command = "tmp/app"
            env = {}
            strategy = "overlap"
            reload_signal = "SIGHUP"
            stop_signal = "SIGTERM"
            stop_timeout = "5s"
            ready = { notify = true }
            ready_timeout = "30s"

            [[listen]]
            address = "127.0.0.1:8080"
            name = "http"
        "#;
        let file = parse(text).unwrap();
        assert_eq!(file.watch.poll, Some(Poll::Interval("500ms".into())));
        assert_eq!(
            file.run.strategy,
            Some(crate::engine::SwapStrategy::Overlap)
        );
        assert_eq!(file.run.ready, Some(ReadyFile::Notify(true)));
        assert_eq!(file.listen.len(), 1);
        assert_eq!(file.build.unwrap().env["CGO_ENABLED"], "0");
    }

    #[test]
    fn ready_with_two_keys_is_rejected() {
        assert!(parse("[run]\nready = { notify = true, delay = \"1s\" }\n").is_err());
    }

    #[test]
    fn apps_take_tables_or_false_and_say_what_else_they_expected() {
        let file =
            parse("[apps.api.watch]\ndebounce = \"1s\"\n[apps.db]\nwatch = false\nbuild = false\n")
                .unwrap();
        assert_eq!(
            file.apps["api"].watch,
            Some(Switch::Table(WatchFile {
                debounce: Some("1s".into()),
                ..WatchFile::default()
            }))
        );
        assert_eq!(file.apps["db"].watch, Some(Switch::Enabled(false)));
        assert_eq!(file.apps["db"].build, Some(Switch::Enabled(false)));
        let error = parse("[apps.api]\nwatch = 3\n").unwrap_err();
        assert!(error.message().contains("a table, or `false`"), "{error}");
        let error = parse("[apps.api.watch]\ndebounse = \"1s\"\n").unwrap_err();
        assert!(error.message().contains("debounse"), "{error}");
    }

    #[test]
    fn poll_accepts_a_bool() {
        let file = parse("[watch]\npoll = true\n").unwrap();
        assert_eq!(file.watch.poll, Some(Poll::Enabled(true)));
    }
}
