//! `hotdev config`: the effective configuration, each value with where it came from.
//!
//! It loads the configuration exactly as a run would (`load`, unchanged), then works out the
//! provenance of every value by looking at the same inputs again: the flags in `Cli` and the
//! keys written in the file (`Source` spans). It never changes how a value is resolved.

use std::path::{Path, PathBuf};

use serde_json::json;
use toml::Value;

use super::never::normalize;
use super::source::Source;
use super::{Config, ListenAddress, Program, Readiness, value};
use crate::Error;
use crate::cli::{Cli, ConfigFormatArg};
use crate::config::file::CommandFile;

/// Where one value came from. A value can have several sources (file and flag ignores add up);
/// none means the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetBy {
    /// Written in the config file at this 1-based line.
    File { path: PathBuf, line: usize },
    /// Given on the command line.
    Flag(&'static str),
}

/// One `key = value` line of the output.
#[derive(Debug, Clone)]
pub struct Item {
    /// The table it belongs to, as written in the header: `watch`, `run`, `[listen]`.
    pub table: String,
    pub key: &'static str,
    /// `None` when the key is not set and has no default value (e.g. `build.timeout`).
    pub value: Option<Value>,
    /// Empty: the default.
    pub from: Vec<SetBy>,
    /// What an unset value means, e.g. "no limit".
    pub unset: Option<&'static str>,
}

/// The effective configuration as items, in file order.
#[derive(Debug, Clone)]
pub struct Effective {
    pub root: PathBuf,
    pub file: Option<PathBuf>,
    pub items: Vec<Item>,
    /// Paths never watched whatever the config says, relative to the root where possible.
    pub never: Vec<String>,
}

/// Runs `hotdev config`: loads the configuration like a run would and prints it to stdout.
pub fn run(cli: &Cli, cwd: &Path, format: ConfigFormatArg) -> Result<(), Error> {
    let effective = effective(cli, cwd)?;
    let text = match format {
        ConfigFormatArg::Toml => render_toml(&effective),
        ConfigFormatArg::Json => render_json(&effective),
    };
    crate::print(&text)
}

/// Loads the configuration and works out where each value came from.
pub fn effective(cli: &Cli, cwd: &Path) -> Result<Effective, Error> {
    let config = super::load(cli, cwd)?;
    let source = match &config.file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", path.display())))?;
            let dir = match &cli.directory {
                Some(dir) => normalize(&cwd.join(dir)),
                None => cwd.to_path_buf(),
            };
            let shown = path.strip_prefix(&dir).unwrap_or(path).to_path_buf();
            Some(Source::parse(shown, text)?.1)
        }
        None => None,
    };
    let items = Lookup {
        cli,
        source: source.as_ref(),
    }
    .items(&config);
    let never = config
        .watch
        .never
        .iter()
        .map(|path| relative(&config.root, path))
        .collect();
    Ok(Effective {
        root: config.root,
        file: config.file,
        items,
        never,
    })
}

struct Lookup<'a> {
    cli: &'a Cli,
    source: Option<&'a Source>,
}

impl Lookup<'_> {
    /// The flag if it was given, else the file's key if it is written there, else nothing.
    fn from(&self, flag: Option<&'static str>, key: &str) -> Vec<SetBy> {
        match flag {
            Some(flag) => vec![SetBy::Flag(flag)],
            None => self.key(key).into_iter().collect(),
        }
    }

    /// Where `[table].env` comes from: its env files, then its own `env` laid over them.
    fn env_from(&self, table: &str) -> Vec<SetBy> {
        [format!("{table}.env_file"), format!("{table}.env")]
            .iter()
            .filter_map(|key| self.key(key))
            .collect()
    }

    fn key(&self, key: &str) -> Option<SetBy> {
        let source = self.source?;
        Some(SetBy::File {
            path: source.shown_path().to_path_buf(),
            line: source.line_of(key)?,
        })
    }

    fn items(&self, config: &Config) -> Vec<Item> {
        let cli = self.cli;
        let root = &config.root;
        let flag = |given: bool, name: &'static str| given.then_some(name);
        let mut items = Vec::new();
        let mut push = |table: &str, key, value, from, unset| {
            items.push(Item {
                table: table.to_owned(),
                key,
                value,
                from,
                unset,
            })
        };

        let watch = &config.watch;
        let paths = watch.paths.iter().map(|p| relative(root, p));
        push(
            "watch",
            "paths",
            Some(strings(paths)),
            self.from(flag(!cli.watch.is_empty(), "--watch"), "watch.paths"),
            None,
        );
        push(
            "watch",
            "extensions",
            Some(strings(watch.extensions.iter().cloned())),
            self.from(flag(!cli.ext.is_empty(), "--ext"), "watch.extensions"),
            None,
        );
        let mut ignore_from: Vec<SetBy> = self.key("watch.ignore").into_iter().collect();
        if !cli.ignore.is_empty() {
            ignore_from.push(SetBy::Flag("--ignore"));
        }
        push(
            "watch",
            "ignore",
            Some(strings(watch.ignore.iter().cloned())),
            ignore_from,
            None,
        );
        push(
            "watch",
            "include",
            Some(strings(watch.include.iter().cloned())),
            self.from(None, "watch.include"),
            None,
        );
        push(
            "watch",
            "gitignore",
            Some(Value::Boolean(watch.gitignore)),
            self.from(None, "watch.gitignore"),
            None,
        );
        push(
            "watch",
            "follow_symlinks",
            Some(Value::Boolean(watch.follow_symlinks)),
            self.from(None, "watch.follow_symlinks"),
            None,
        );
        push(
            "watch",
            "debounce",
            Some(duration(watch.debounce)),
            self.from(flag(cli.debounce.is_some(), "--debounce"), "watch.debounce"),
            None,
        );
        push(
            "watch",
            "poll",
            Some(watch.poll.map_or(Value::Boolean(false), duration)),
            self.from(flag(cli.poll.is_some(), "--poll"), "watch.poll"),
            None,
        );

        if let Some(build) = &config.build {
            push(
                "build",
                "command",
                Some(command(&build.command.program)),
                self.from(flag(cli.build.is_some(), "--build"), "build.command"),
                None,
            );
            push(
                "build",
                "env",
                Some(env(&build.command.env)),
                self.env_from("build"),
                None,
            );
            push(
                "build",
                "env_file",
                Some(strings(
                    build.command.env_files.iter().map(|p| shown_path(p)),
                )),
                self.from(None, "build.env_file"),
                None,
            );
            push(
                "build",
                "timeout",
                build.timeout.map(duration),
                self.from(None, "build.timeout"),
                Some("no limit"),
            );
            push(
                "build",
                "speculative",
                Some(Value::Boolean(build.speculative)),
                self.from(
                    flag(cli.no_speculative, "--no-speculative"),
                    "build.speculative",
                ),
                None,
            );
        }

        let run = &config.run;
        let run_flag = if !cli.run_argv.is_empty() {
            Some("-- CMD")
        } else {
            flag(cli.run.is_some(), "--run")
        };
        push(
            "run",
            "command",
            Some(command(&run.command.program)),
            self.from(run_flag, "run.command"),
            None,
        );
        push(
            "run",
            "env",
            Some(env(&run.command.env)),
            self.env_from("run"),
            None,
        );
        push(
            "run",
            "env_file",
            Some(strings(run.command.env_files.iter().map(|p| shown_path(p)))),
            self.from(None, "run.env_file"),
            None,
        );
        push(
            "run",
            "strategy",
            Some(Value::String(run.strategy.name().to_owned())),
            self.from(flag(cli.strategy.is_some(), "--strategy"), "run.strategy"),
            None,
        );
        let signals = [
            (
                "reload_signal",
                run.reload_signal,
                cli.reload_signal.is_some(),
                "--reload-signal",
            ),
            (
                "stop_signal",
                run.stop_signal,
                cli.stop_signal.is_some(),
                "--stop-signal",
            ),
        ];
        for (key, signal, given, name) in signals {
            push(
                "run",
                key,
                Some(Value::String(signal.as_str().to_owned())),
                self.from(flag(given, name), &format!("run.{key}")),
                None,
            );
        }
        push(
            "run",
            "stop_timeout",
            Some(duration(run.stop_timeout)),
            self.from(
                flag(cli.stop_timeout.is_some(), "--stop-timeout"),
                "run.stop_timeout",
            ),
            None,
        );
        push(
            "run",
            "ready",
            run.ready.as_ref().map(ready),
            self.from(flag(cli.ready.is_some(), "--ready"), "run.ready"),
            Some("no readiness check"),
        );
        push(
            "run",
            "ready_timeout",
            Some(duration(run.ready_timeout)),
            self.from(
                flag(cli.ready_timeout.is_some(), "--ready-timeout"),
                "run.ready_timeout",
            ),
            None,
        );

        let restart = clap::ValueEnum::to_possible_value(&run.restart)
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default();
        push(
            "run",
            "restart",
            Some(Value::String(restart)),
            self.from(flag(cli.restart.is_some(), "--restart"), "run.restart"),
            None,
        );

        let from_flag = !cli.listen.is_empty();
        for (i, spec) in config.listen.iter().enumerate() {
            let address = match &spec.address {
                ListenAddress::Tcp(address) => address.to_string(),
                ListenAddress::Unix(path) => format!("unix:{}", relative(root, path)),
            };
            let (address_from, name_from) = if from_flag {
                (vec![SetBy::Flag("--listen")], Vec::new())
            } else {
                (
                    self.key(&format!("listen[{i}].address"))
                        .into_iter()
                        .collect(),
                    self.key(&format!("listen[{i}].name")).into_iter().collect(),
                )
            };
            let table = format!("[listen] {i}");
            push(
                &table,
                "address",
                Some(Value::String(address)),
                address_from,
                None,
            );
            push(
                &table,
                "name",
                Some(Value::String(spec.name.clone())),
                name_from,
                None,
            );
        }
        items
    }
}

/// `path` relative to `root` when it is inside it (`.` for the root itself), else absolute.
fn relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".to_owned(),
        Ok(rest) => rest.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

fn shown_path(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

fn strings(items: impl Iterator<Item = String>) -> Value {
    Value::Array(items.map(Value::String).collect())
}

fn duration(duration: std::time::Duration) -> Value {
    Value::String(humantime::format_duration(duration).to_string())
}

fn env(env: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Table(
        env.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A command as the user would write it: a string when one parses back to the same program,
/// else the argv array.
fn command(program: &Program) -> Value {
    match program {
        Program::Script(script) => Value::String(script.clone()),
        Program::Argv(argv) => {
            let line = shell_words::join(argv);
            match value::program(&CommandFile::Line(line.clone())) {
                Ok(parsed) if parsed == *program => Value::String(line),
                _ => strings(argv.iter().cloned()),
            }
        }
    }
}

fn ready(ready: &Readiness) -> Value {
    let (key, value) = match ready {
        Readiness::Notify => ("notify", Value::Boolean(true)),
        Readiness::Log(regex) => ("log", Value::String(regex.as_str().to_owned())),
        Readiness::Http(url) => ("http", Value::String(url.clone())),
        Readiness::Tcp(address) => ("tcp", Value::String(address.clone())),
        Readiness::Delay(delay) => ("delay", duration(*delay)),
    };
    Value::Table([(key.to_owned(), value)].into_iter().collect())
}

/// A value as one line of TOML (tables inline).
fn inline(value: &Value) -> String {
    match value {
        Value::Table(table) => {
            let pairs: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            if pairs.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{ {} }}", pairs.join(", "))
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A table key, quoted when it is not a bare key.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        Value::String(name.to_owned()).to_string()
    }
}

fn describe(from: &[SetBy]) -> String {
    if from.is_empty() {
        return "default".to_owned();
    }
    let parts: Vec<String> = from
        .iter()
        .map(|from| match from {
            SetBy::File { path, line } => format!("{}:{line}", path.display()),
            SetBy::Flag(flag) => flag.to_string(),
        })
        .collect();
    format!("from {}", parts.join(" and "))
}

/// Values are aligned on this column unless they are longer.
const COMMENT_COLUMN: usize = 36;

/// The TOML-like text: valid TOML, with the provenance in comments.
pub fn render_toml(effective: &Effective) -> String {
    let mut out = String::new();
    out.push_str("# The effective configuration: file, flags and defaults.\n");
    match &effective.file {
        Some(file) => out.push_str(&format!("# file: {}\n", file.display())),
        None => out.push_str("# file: none (no .hotdev.toml here or above)\n"),
    }
    out.push_str(&format!(
        "# paths are relative to {}\n",
        effective.root.display()
    ));
    let mut table = String::new();
    let has_build = effective.items.iter().any(|item| item.table == "build");
    for item in &effective.items {
        if item.table != table {
            if item.table == "run" && !has_build {
                out.push_str("\n# [build]: none, a change restarts the run command\n");
            }
            table.clone_from(&item.table);
            match table.strip_prefix("[listen]") {
                Some(_) => out.push_str("\n[[listen]]\n"),
                None => out.push_str(&format!("\n[{table}]\n")),
            }
        }
        let line = match &item.value {
            Some(value) => format!("{} = {}", item.key, inline(value)),
            None => format!("# {} not set", item.key),
        };
        let mut comment = describe(&item.from);
        if let (None, Some(unset)) = (&item.value, item.unset) {
            comment = format!("{comment}: {unset}");
        }
        let pad = COMMENT_COLUMN.saturating_sub(line.chars().count()).max(2);
        out.push_str(&format!("{line}{:pad$}# {comment}\n", ""));
    }
    if !effective.never.is_empty() {
        out.push_str(
            "\n# never watched, whatever the config says (build output, hotdev's own files):\n",
        );
        for path in &effective.never {
            out.push_str(&format!("#   {path}\n"));
        }
    }
    out
}

/// One JSON object: `file`, `root`, `never_watched`, and `values`, a list of
/// `{ "key", "value", "from" }` where `from` is a list of `{ "file", "line" }` or
/// `{ "flag" }` objects, empty for a default.
pub fn render_json(effective: &Effective) -> String {
    let values: Vec<serde_json::Value> = effective
        .items
        .iter()
        .map(|item| {
            let key = match item.table.strip_prefix("[listen] ") {
                Some(i) => format!("listen[{i}].{}", item.key),
                None => format!("{}.{}", item.table, item.key),
            };
            let from: Vec<serde_json::Value> = item
                .from
                .iter()
                .map(|from| match from {
                    SetBy::File { path, line } => json!({ "file": path, "line": line }),
                    SetBy::Flag(flag) => json!({ "flag": flag }),
                })
                .collect();
            let value = item
                .value
                .as_ref()
                .and_then(|value| serde_json::to_value(value).ok());
            json!({ "key": key, "value": value, "from": from, "default": item.from.is_empty() })
        })
        .collect();
    let object = json!({
        "file": effective.file,
        "root": effective.root,
        "never_watched": effective.never,
        "values": values,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&object).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_strings_when_they_read_back_the_same() {
        let argv = Program::Argv(vec!["tmp/app".into(), "--port".into(), "8080".into()]);
        assert_eq!(inline(&command(&argv)), "\"tmp/app --port 8080\"");
        let shell = Program::Script("make && exec tmp/app".into());
        assert_eq!(inline(&command(&shell)), "\"make && exec tmp/app\"");
        let odd = Program::Argv(vec!["sh".into(), "-c".into(), "a && b".into()]);
        assert_eq!(inline(&command(&odd)), "[\"sh\", \"-c\", \"a && b\"]");
    }

    #[test]
    fn tables_are_inline_and_keys_quoted_when_needed() {
        let mut env = std::collections::BTreeMap::new();
        env.insert("CGO_ENABLED".to_owned(), "0".to_owned());
        env.insert("a.b".to_owned(), "x".to_owned());
        assert_eq!(
            inline(&super::env(&env)),
            "{ CGO_ENABLED = \"0\", \"a.b\" = \"x\" }"
        );
        assert_eq!(inline(&super::env(&Default::default())), "{}");
    }

    #[test]
    fn provenance_reads_as_a_comment() {
        assert_eq!(describe(&[]), "default");
        assert_eq!(
            describe(&[
                SetBy::File {
                    path: ".hotdev.toml".into(),
                    line: 7
                },
                SetBy::Flag("--ignore")
            ]),
            "from .hotdev.toml:7 and --ignore"
        );
    }
}
