//! Where each effective value came from: the flag if one was given, else the key written in
//! the file, else the default. Reads the same inputs `load` read; it never re-resolves a
//! value, only reports the one `Config` holds.

use toml::Value;

use super::values::{command, duration, env, ready, shown_path, strings};
use super::{Item, SetBy, relative};
use crate::cli::Cli;
use crate::config::source::Source;
use crate::config::{App, Config};
use crate::sockets::ListenAddress;

pub(super) struct Lookup<'a> {
    pub(super) cli: &'a Cli,
    pub(super) source: Option<&'a Source>,
    /// The app whose values these are, in a file with `[apps]`: its own table's key wins
    /// over the top level's it inherits.
    pub(super) app: Option<&'a str>,
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
        let own = self.app.map(|app| format!("apps.{app}.{key}"));
        let line = own
            .and_then(|own| source.line_of(&own))
            .or_else(|| source.line_of(key))?;
        Some(SetBy::File {
            path: source.shown_path().to_path_buf(),
            line,
        })
    }

    /// An app's own keys (`[apps.NAME]`): what it depends on and whether it watches files.
    pub(super) fn app_items(&self, app: &App) -> Vec<Item> {
        let own = |key: &str| {
            let source = self.source?;
            Some(SetBy::File {
                path: source.shown_path().to_path_buf(),
                line: source.line_of(&format!("apps.{}.{key}", app.name))?,
            })
        };
        let item = |key: &'static str, value: Value| Item {
            app: Some(app.name.clone()),
            table: String::new(),
            key,
            value: Some(value),
            from: own(key).into_iter().collect(),
            unset: None,
        };
        vec![
            item("depends_on", strings(app.depends_on.iter().cloned())),
            item("restart_with", strings(app.restart_with.iter().cloned())),
            item("watch", Value::Boolean(app.watch)),
        ]
    }

    pub(super) fn items(&self, config: &Config) -> Vec<Item> {
        let cli = self.cli;
        let root = &config.root;
        let flag = |given: bool, name: &'static str| given.then_some(name);
        let mut items = Vec::new();
        let mut push = |table: &str, key, value, from, unset| {
            items.push(Item {
                app: self.app.map(str::to_owned),
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
        if let Some(proxy) = &config.proxy {
            push(
                "proxy",
                "address",
                Some(Value::String(proxy.address.to_string())),
                self.from(flag(cli.proxy.is_some(), "--proxy"), "proxy.address"),
                None,
            );
            let target_from = self.from(None, "proxy.target");
            push(
                "proxy",
                "target",
                Some(Value::String(proxy.target.to_string())),
                target_from,
                None,
            );
            push(
                "proxy",
                "reload_only",
                Some(strings(watch.reload_only.iter().cloned())),
                self.from(None, "proxy.reload_only"),
                None,
            );
            push(
                "proxy",
                "hold_timeout",
                Some(duration(proxy.hold_timeout)),
                self.from(None, "proxy.hold_timeout"),
                None,
            );
        }
        items
    }
}
