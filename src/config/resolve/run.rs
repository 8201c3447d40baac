//! `[run]` and its flags to a [`RunConfig`]: the command, signals, timeouts, readiness and
//! restart policy, and the rule that `overlap` needs a readiness check that does not probe a
//! pre-bound listener. Never looks at `[build]`: `resolve` decides which program to check.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{At, Ctx, defaults};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::{CommandFile, FileConfig, ReadyFile};
use crate::config::{RunConfig, value};
use crate::engine::SwapStrategy;
use crate::process::CommandSpec;
use crate::ready::Readiness;
use crate::sockets::{ListenAddress, ListenSpec};

impl Ctx<'_> {
    pub(super) fn run(
        &self,
        file: &FileConfig,
    ) -> Result<(RunConfig, At<'static>, At<'static>), ConfigError> {
        let (cli, run) = (self.cli, &file.run);
        let (command, at) = if !cli.run_argv.is_empty() {
            (
                CommandFile::Argv(cli.run_argv.clone()),
                At::Flag("the command after --"),
            )
        } else if let Some(line) = &cli.run {
            (CommandFile::Line(line.clone()), At::Flag("--run"))
        } else if let Some(command) = &run.command {
            (command.clone(), At::Key("run.command"))
        } else if let Some(app) = self.app {
            return Err(self.error(
                At::Key("run"),
                Problem::new("no run command")
                    .with_hint(format!("set `command = \"…\"` in [apps.{app}.run]")),
            ));
        } else {
            return Err(no_run_command(self.source.is_some(), self.cwd));
        };
        let program = value::program(&command).map_err(|problem| self.error(at, problem))?;

        let strategy = cli.strategy.or(run.strategy).unwrap_or(defaults::STRATEGY);
        let signal = |flag, flag_value: &Option<String>, key, file_value: &Option<String>| {
            self.pick(
                (flag, flag_value.as_deref()),
                (key, file_value.as_deref()),
                value::signal,
            )
        };
        let reload_signal = signal(
            "--reload-signal",
            &cli.reload_signal,
            "run.reload_signal",
            &run.reload_signal,
        )?
        .unwrap_or(defaults::RELOAD_SIGNAL);
        let stop_signal = signal(
            "--stop-signal",
            &cli.stop_signal,
            "run.stop_signal",
            &run.stop_signal,
        )?
        .unwrap_or(defaults::STOP_SIGNAL);
        let duration = |flag,
                        flag_value: &Option<String>,
                        key,
                        file_value: &Option<String>,
                        default: Duration| {
            self.pick(
                (flag, flag_value.as_deref()),
                (key, file_value.as_deref()),
                |text| value::duration_within(text, value::TIMEOUT),
            )
            .map(|picked| picked.unwrap_or(default))
        };
        let stop_timeout = duration(
            "--stop-timeout",
            &cli.stop_timeout,
            "run.stop_timeout",
            &run.stop_timeout,
            defaults::STOP_TIMEOUT,
        )?;
        let ready_timeout = duration(
            "--ready-timeout",
            &cli.ready_timeout,
            "run.ready_timeout",
            &run.ready_timeout,
            defaults::READY_TIMEOUT,
        )?;

        let (ready, ready_at) = match (&cli.ready, &run.ready) {
            (Some(text), _) => {
                let at = At::Flag("--ready");
                let parsed = value::ready_flag(text).and_then(|ready| value::readiness(&ready));
                (parsed.map_err(|problem| self.error(at, problem))?, at)
            }
            (None, Some(ready)) => {
                let at = At::Key(ready_key(ready));
                (
                    value::readiness(ready).map_err(|problem| self.error(at, problem))?,
                    at,
                )
            }
            (None, None) => (None, At::Key("run.ready")),
        };
        let (env, env_files) = self.env(Some(&run.env), run.env_file.as_ref(), "run")?;
        let config = RunConfig {
            command: CommandSpec {
                program,
                env,
                env_files,
            },
            strategy,
            reload_signal,
            stop_signal,
            stop_timeout,
            ready,
            ready_timeout,
            restart: cli.restart.or(run.restart).unwrap_or_default(),
        };
        Ok((config, at, ready_at))
    }

    pub(super) fn check_strategy(
        &self,
        run: &RunConfig,
        listen: &[ListenSpec],
        ready_at: At<'_>,
    ) -> Result<(), ConfigError> {
        if run.strategy != SwapStrategy::Overlap {
            return Ok(());
        }
        let strategy_at = match self.cli.strategy {
            Some(_) => At::Flag("--strategy"),
            None => At::Key("run.strategy"),
        };
        let target = match &run.ready {
            None => {
                let hint = match strategy_at {
                    At::Flag(_) => {
                        "add `--ready notify` (the app sends READY=1 to $NOTIFY_SOCKET), or log:, http:, tcp: or delay:"
                    }
                    At::Key(_) => {
                        "add `ready = { notify = true }` to [run] (the app sends READY=1 to $NOTIFY_SOCKET), or a log, http, tcp or delay check"
                    }
                };
                return Err(self.error(
                    strategy_at,
                    Problem::new("`overlap` needs a readiness check to tell the new generation from the old one")
                        .with_hint(hint),
                ));
            }
            Some(Readiness::Http(target) | Readiness::Tcp(target)) => target,
            Some(_) => return Ok(()),
        };
        let Some((host, port)) = value::probe_target(target) else {
            return Ok(());
        };
        let hit = listen.iter().find_map(|spec| match spec.address {
            ListenAddress::Tcp(address) if value::probe_hits_listener(&host, port, &address) => {
                Some(address)
            }
            _ => None,
        });
        match hit {
            Some(address) => Err(self.error(ready_at, pre_bound_probe(target, address))),
            None => Ok(()),
        }
    }
}

fn pre_bound_probe(target: &str, address: SocketAddr) -> Problem {
    Problem::new(format!(
        "the readiness check `{target}` probes the pre-bound listener {address}, where the old generation answers too"
    ))
    .with_hint("probe a port the app binds itself (e.g. a health port), or use `ready = { notify = true }`")
}

fn ready_key(ready: &ReadyFile) -> &'static str {
    match ready {
        ReadyFile::Notify(_) => "run.ready.notify",
        ReadyFile::Log(_) => "run.ready.log",
        ReadyFile::Http(_) => "run.ready.http",
        ReadyFile::Tcp(_) => "run.ready.tcp",
        ReadyFile::Delay(_) => "run.ready.delay",
    }
}

fn no_run_command(have_file: bool, cwd: &Path) -> ConfigError {
    let problem = if have_file {
        "no run command: the config file has no `[run] command` and none was given"
    } else {
        "no run command: there is no .hotdev.toml here or above, and no command was given"
    };
    // Not `go run .`: it forks, so signals and pre-bound sockets would miss the app.
    let mut hint = String::from(
        "give one after `--`, e.g. `hotdev --build \"go build -o tmp/app .\" -- tmp/app`, or \
         create .hotdev.toml:\n\
         [build]\n\
         command = \"go build -o tmp/app .\"\n\
         \n\
         [run]\n\
         command = \"tmp/app\"",
    );
    if let Some(air) = crate::init::air::find(cwd).filter(|_| !have_file) {
        let name = air.strip_prefix(cwd).unwrap_or(&air).display().to_string();
        hint = format!(
            "{name} is here: `hotdev init --from-air` turns it into .hotdev.toml; or {hint}"
        );
    }
    ConfigError::nowhere(Problem::new(problem).with_hint(hint))
}
