//! The `hotdev smoke` options, and the split of the user's command line into the global options
//! that the child hotdev must see. Nothing here starts anything.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

use crate::cli::Cli;
use crate::config::Config;

/// Build, start, reload a few times through the watcher and stop, checking every step: a
/// test of the app's reload loop for CI. Uses the same `.hotdev.toml` and global options as
/// plain `hotdev`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {
    /// How many reloads to make after the first start.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub reloads: usize,

    /// The file to change for each reload (a trailing newline is appended, and the file is
    /// restored byte for byte afterwards). Default: the most recently modified watched file
    /// under the root.
    #[arg(long, value_name = "PATH")]
    pub touch: Option<PathBuf>,

    /// A URL to GET (plain HTTP) during the whole run: it must answer 2xx. Without a
    /// configured readiness check it also decides when a generation is ready.
    #[arg(long, value_name = "URL")]
    pub check: Option<String>,

    /// Give up after this long for the whole run (e.g. "90s", "10m").
    #[arg(long, value_name = "DUR", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Write a JSON report of the run (steps, timings, request counts, verdict) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Write a JUnit XML report (one test case per step) to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::config::value::duration_within(text, crate::config::value::TIMEOUT)
        .map_err(|problem| problem.message)
}

/// The options the smoke run adds so that it can follow the child: events as JSON lines on
/// stderr, and no keyboard handling (stdin is null).
pub const CHILD_FLAGS: [&str; 3] = ["--log-format", "json", "--no-keys"];

/// The words of `argv` (program name first) before the `smoke` subcommand: the global options
/// the user gave, to pass on to the child hotdev. `cli` tells which options take a value, so
/// that `--config smoke smoke` finds the right token.
pub fn global_args(cli: &clap::Command, argv: &[OsString]) -> Vec<OsString> {
    let takes_value = |long: Option<&str>, short: Option<char>| {
        cli.get_arguments().any(|arg| {
            let named = match (long, short) {
                (Some(l), _) => arg.get_long() == Some(l),
                (_, Some(s)) => arg.get_short() == Some(s),
                _ => false,
            };
            // `--poll[=DUR]` (require_equals) never takes the next word.
            named && arg.get_action().takes_values() && !arg.is_require_equals_set()
        })
    };
    let mut out = Vec::new();
    let mut words = argv.iter().skip(1);
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == "smoke" || text == "--" {
            break;
        }
        out.push(word.clone());
        let needs_next = if let Some(long) = text.strip_prefix("--") {
            !long.contains('=') && takes_value(Some(long), None)
        } else if let Some(shorts) = text.strip_prefix('-').filter(|s| !s.is_empty()) {
            // `-vc path`: the first short option that takes a value ends the cluster.
            let chars: Vec<char> = shorts.chars().collect();
            chars
                .iter()
                .position(|c| takes_value(None, Some(*c)))
                .is_some_and(|i| i + 1 == chars.len())
        } else {
            false
        };
        if needs_next {
            match words.next() {
                Some(value) => out.push(value.clone()),
                None => break,
            }
        }
    }
    out
}

/// The child's command line: the user's global options without the ones smoke must own,
/// then [`CHILD_FLAGS`].
pub fn child_args(global: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut words = global.iter();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == "--log-format" {
            words.next();
            continue;
        }
        if text.starts_with("--log-format=") || text == "--no-keys" {
            continue;
        }
        out.push(word.clone());
    }
    out.extend(CHILD_FLAGS.iter().map(OsString::from));
    out
}

/// The configuration the child hotdev will run with: its global options (`global`) read by
/// the same `Cli` and `config::load`, so smoke knows the readiness check and the watched files
/// exactly as the child does. The error is the one line the child will print too.
/// With `app`, that app's configuration in a file with `[apps]`.
pub fn load_config(global: &[OsString], cwd: &Path, app: Option<&str>) -> Result<Config, String> {
    let cli = parse(global)?;
    let Some(app) = app else {
        return crate::config::load(&cli, cwd).map_err(|e| e.to_string());
    };
    let apps = crate::config::load_apps(&cli, cwd).map_err(|e| e.to_string())?;
    apps.into_iter()
        .find(|one| one.name == app)
        .map(|one| one.config)
        .ok_or_else(|| format!("no app `{app}`"))
}

/// The apps smoke checks one after the other in a file with several `[apps]`: those `--app`
/// names, else every app. Empty for one app, or a file that does not load (the child says
/// why).
pub fn targets(global: &[OsString], cwd: &Path) -> Vec<String> {
    let Ok(cli) = parse(global) else {
        return Vec::new();
    };
    let Ok(apps) = crate::config::load_apps(&cli, cwd) else {
        return Vec::new();
    };
    match (apps.len(), cli.apps.is_empty()) {
        (1, true) => Vec::new(),
        (_, true) => apps.into_iter().map(|app| app.name).collect(),
        (_, false) => cli.apps.clone(),
    }
}

fn parse(global: &[OsString]) -> Result<Cli, String> {
    let argv = std::iter::once(OsString::from("hotdev")).chain(global.iter().cloned());
    Cli::try_parse_from(argv).map_err(|e| format!("cannot read the options: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};

    fn cli() -> Command {
        Command::new("hotdev")
            .arg(Arg::new("config").long("config").short('c'))
            .arg(Arg::new("listen").long("listen"))
            .arg(
                Arg::new("poll")
                    .long("poll")
                    .num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value(""),
            )
            .arg(
                Arg::new("verbose")
                    .long("verbose")
                    .short('v')
                    .action(ArgAction::Count),
            )
            .subcommand(Command::new("smoke"))
    }

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn global_args_stop_at_the_subcommand() {
        let got = global_args(
            &cli(),
            &words("hotdev -v --listen 127.0.0.1:1 smoke --reloads 2"),
        );
        assert_eq!(got, words("-v --listen 127.0.0.1:1"));
    }

    #[test]
    fn an_option_value_spelled_smoke_is_not_the_subcommand() {
        let got = global_args(&cli(), &words("hotdev --config smoke -vc smoke smoke"));
        assert_eq!(got, words("--config smoke -vc smoke"));
        let got = global_args(&cli(), &words("hotdev --config=smoke smoke"));
        assert_eq!(got, words("--config=smoke"));
        let got = global_args(&cli(), &words("hotdev --poll smoke --reloads 1"));
        assert_eq!(got, words("--poll"));
    }

    #[test]
    fn child_args_own_the_log_format() {
        let got = child_args(&words("--log-format human -q --log-format=human --no-keys"));
        assert_eq!(got, words("-q --log-format json --no-keys"));
    }

    #[test]
    fn readiness_on_the_command_line_is_noticed() {}
}
