//! A file with `[apps.NAME]`: each app resolved like a single-app file (its tables laid over
//! the top level's), then the checks that span apps: names, dependencies and their cycles,
//! addresses two apps would share, flags that only make sense for one app, `--app`.

use std::collections::BTreeMap;
use std::path::Path;

use super::Ctx;
use crate::config::App;
use crate::config::apps::{app_file, cycle, valid_name, watches, with_dependencies};
use crate::config::error::{ConfigError, Problem, did_you_mean};
use crate::config::file::FileConfig;
use crate::sockets::ListenAddress;

/// Whether a listen address is the TCP address `address`.
fn is_tcp(listen: &ListenAddress, address: std::net::SocketAddr) -> bool {
    matches!(listen, ListenAddress::Tcp(a) if *a == address)
}

impl Ctx<'_> {
    /// `--app` on a file without `[apps]`.
    pub(super) fn no_apps_chosen(&self) -> Result<(), ConfigError> {
        match self.cli.apps.first() {
            Some(name) => Err(ConfigError::flag(
                "--app",
                Problem::new(format!("no app `{name}`: the configuration has no [apps]"))
                    .with_hint("--app picks among the [apps.NAME] tables of .hotdev.toml"),
            )),
            None => Ok(()),
        }
    }

    pub(super) fn apps(&self, file: &FileConfig, path: &Path) -> Result<Vec<App>, ConfigError> {
        let source = self.source;
        let at_key = |key: &str, problem: Problem| match source {
            Some(source) => source.error(key, problem),
            None => ConfigError::nowhere(problem).with_key(key),
        };
        for (key, set) in [
            ("listen", !file.listen.is_empty()),
            ("proxy", file.proxy.is_some()),
        ] {
            if set {
                return Err(at_key(
                    key,
                    Problem::new(format!(
                        "a top-level [{key}] in a file with [apps]: it belongs to one app"
                    ))
                    .with_hint(format!(
                        "move it into the app that serves it: [apps.NAME.{key}]"
                    )),
                ));
            }
        }
        let cli = self.cli;
        for (flag, given) in [
            ("--build", cli.build.is_some()),
            ("--run", cli.run.is_some()),
            ("the command after --", !cli.run_argv.is_empty()),
            ("--listen", !cli.listen.is_empty()),
            ("--proxy", cli.proxy.is_some()),
            ("--ready", cli.ready.is_some()),
        ] {
            if given {
                return Err(ConfigError::flag(
                    flag,
                    Problem::new("this names one app's setting, and the file has [apps]")
                        .with_hint("set it in the app's table, e.g. [apps.NAME.run]"),
                ));
            }
        }
        let names: Vec<&String> = file.apps.keys().collect();
        for name in &names {
            if !valid_name(name) {
                return Err(at_key(
                    &format!("apps.{name}"),
                    Problem::new(format!("`{name}` cannot name an app"))
                        .with_hint("use letters, digits, `-` and `_`, e.g. [apps.api-v2]"),
                ));
            }
        }
        let graph: BTreeMap<String, Vec<String>> = file
            .apps
            .iter()
            .map(|(name, app)| (name.clone(), app.depends_on.clone()))
            .collect();
        for (name, app) in &file.apps {
            for (list, names_in) in [
                ("depends_on", &app.depends_on),
                ("restart_with", &app.restart_with),
            ] {
                for (i, other) in names_in.iter().enumerate() {
                    let key = format!("apps.{name}.{list}[{i}]");
                    if other == name {
                        return Err(at_key(
                            &key,
                            Problem::new(format!("app `{name}` names itself in {list}")),
                        ));
                    }
                    if !file.apps.contains_key(other) {
                        return Err(at_key(
                            &key,
                            Problem::new(format!("app `{name}`: no app `{other}`"))
                                .with_hint(did_you_mean(other, &names)),
                        ));
                    }
                    if list == "restart_with" && !app.depends_on.contains(other) {
                        return Err(at_key(
                            &key,
                            Problem::new(format!(
                                "app `{name}` restarts with `{other}` but does not depend on it"
                            ))
                            .with_hint(format!("add \"{other}\" to apps.{name}.depends_on")),
                        ));
                    }
                }
            }
        }
        if let Some(cycle) = cycle(&graph) {
            return Err(at_key(
                &format!("apps.{}.depends_on", cycle[0]),
                Problem::new(format!("a dependency cycle: {}", cycle.join(" → "))).with_hint(
                    "an app can only start once what it depends on is ready: break the cycle",
                ),
            ));
        }
        let chosen = self.chosen(&names, &graph)?;
        let mut apps: Vec<App> = Vec::new();
        for (name, app) in &file.apps {
            if !chosen.contains(name) {
                continue;
            }
            let ctx = Ctx {
                app: Some(name),
                ..*self
            };
            let config = ctx.resolve(app_file(file, app), Some(path.to_path_buf()))?;
            for (i, spec) in config.listen.iter().enumerate() {
                let taken = apps.iter().find(|other| {
                    other
                        .config
                        .listen
                        .iter()
                        .any(|o| o.address == spec.address)
                        || other
                            .config
                            .proxy
                            .as_ref()
                            .is_some_and(|p| is_tcp(&spec.address, p.address))
                });
                if let Some(other) = taken {
                    return Err(at_key(
                        &format!("apps.{name}.listen[{i}].address"),
                        Problem::new(format!(
                            "apps `{}` and `{name}` both listen on this address",
                            other.name
                        ))
                        .with_hint("give each app an address of its own"),
                    ));
                }
            }
            if let Some(proxy) = &config.proxy {
                let taken = apps.iter().find(|other| {
                    other
                        .config
                        .proxy
                        .as_ref()
                        .is_some_and(|p| p.address == proxy.address)
                        || other
                            .config
                            .listen
                            .iter()
                            .any(|l| is_tcp(&l.address, proxy.address))
                });
                if let Some(other) = taken {
                    return Err(at_key(
                        &source.map_or(format!("apps.{name}.proxy"), |s| {
                            s.scoped(Some(name), "proxy.address")
                        }),
                        Problem::new(format!(
                            "apps `{}` and `{name}` both listen on this address",
                            other.name
                        ))
                        .with_hint("give each app's proxy an address of its own"),
                    ));
                }
            }
            apps.push(App {
                name: name.clone(),
                config,
                depends_on: app.depends_on.clone(),
                restart_with: app.restart_with.clone(),
                watch: watches(app),
            });
        }
        Ok(apps)
    }

    /// The apps `--app` names and what they depend on; every app without `--app`.
    fn chosen(
        &self,
        names: &[&String],
        graph: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<String>, ConfigError> {
        if self.cli.apps.is_empty() {
            return Ok(names.iter().map(|name| (*name).clone()).collect());
        }
        for name in &self.cli.apps {
            if !graph.contains_key(name) {
                return Err(ConfigError::flag(
                    "--app",
                    Problem::new(format!("no app `{name}` in the file"))
                        .with_hint(did_you_mean(name, names)),
                ));
            }
        }
        Ok(with_dependencies(&self.cli.apps, graph))
    }
}
