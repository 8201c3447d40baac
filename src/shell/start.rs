//! Start-up: everything the loop needs, wired once — the guard, the reaper, the listeners,
//! the readiness socket, the watcher, the signal source — and the lines that open a session.

use crate::bus::{self, Input, Sender};
use crate::config::Config;
use crate::engine::{OwnFiles, Settings};
use crate::filter::Filter;
use crate::handoff;
use crate::process::{self, guard::Guard};
use crate::proxy::{Proxy, ProxyConfig, Upstream};
use crate::ready::Readiness;
use crate::ready::{NotifySocket, Registry};
use crate::report::{Message, Reporter, VERSION, WarningKind};
use crate::sockets::Listeners;
use crate::sources;
use crate::supervisor::{Supervisor, command_words};
use crate::watch::{Route, Routes, WatchConfig, Watcher};

use std::sync::Arc;

use super::App;

use crate::error::Error;

/// The engine's settings for `config`.
pub fn settings_of(config: &Config) -> Settings {
    Settings {
        has_build: config.build.is_some(),
        strategy: config.run.strategy,
        restart: config.run.restart,
        build_timeout: config.build.as_ref().and_then(|build| build.timeout),
        stop_timeout: config.run.stop_timeout,
        own_files: OwnFiles {
            config: config.file.clone(),
            build_env: config
                .build
                .as_ref()
                .map(|build| build.command.env_files.clone())
                .unwrap_or_default(),
            run_env: config.run.command.env_files.clone(),
        },
        proxy: config.proxy.is_some(),
    }
}

/// What start-up hands the loop for one app.
pub struct AppStart {
    pub supervisor: Supervisor,
    /// The dev proxy, running; its config has the target's real port.
    pub proxy: Option<(Proxy, ProxyConfig)>,
}

/// What start-up hands the loop.
pub struct Started {
    /// In the order of the apps given.
    pub apps: Vec<AppStart>,
    /// `None` when no app watches files.
    pub watch: Option<Watcher>,
}

/// Sets up everything, reporting what can go wrong without stopping hotdev; `Err` for what
/// must stop it. `reporters` are the apps' own, in their order.
pub fn start(
    apps: &[App],
    labels: &[(Reporter, String)],
    reporter: &Reporter,
    tx: &Sender,
) -> Result<Started, Error> {
    if let Err(e) = process::become_subreaper() {
        // Without it, orphans of a `sh -c` wrapper go to init; stops still signal the group.
        reporter.report(&Message::Error {
            message: format!("cannot become a child subreaper ({e}); continuing"),
        });
    }
    let guard = match Guard::start() {
        Ok(guard) => Some(Arc::new(guard)),
        Err(e) => {
            reporter.report(&Message::Error {
                message: format!(
                    "cannot start the guard process ({e}): if hotdev is killed with SIGKILL, \
                     what it started may keep running"
                ),
            });
            None
        }
    };
    if let Err(e) = process::reaper::start() {
        reporter.report(&Message::Error {
            message: format!(
                "cannot start the orphan reaper ({e}); adopted daemons may linger as zombies"
            ),
        });
    }
    let mut parts = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let config = &app.config;
        let tx = tx.for_app(i);
        let listeners = Listeners::bind(&config.listen)?;
        let proxy = match &config.proxy {
            Some(proxy) => Some(start_proxy(proxy, &listeners)?),
            None => None,
        };
        let registry = Registry::default();
        let notify = match config.run.ready {
            Some(Readiness::Notify) => {
                let socket = NotifySocket::open().map_err(|e| {
                    Error::runtime(format!("cannot create the readiness socket: {e}"))
                })?;
                socket.serve(registry.clone(), tx.clone()).map_err(|e| {
                    Error::runtime(format!("cannot read the readiness socket: {e}"))
                })?;
                Some(socket)
            }
            _ => None,
        };
        parts.push((tx, listeners, proxy, registry, notify));
    }
    let watch = watch_all(apps, tx)?;
    spawn_signal_source(tx.clone())
        .map_err(|e| Error::runtime(format!("cannot listen for signals: {e}")))?;
    let several = apps.len() > 1;
    let mut started = Vec::new();
    for ((app, (app_reporter, prefix)), (tx, listeners, proxy, registry, notify)) in
        apps.iter().zip(labels).zip(parts)
    {
        let mut supervisor = Supervisor::new(tx, guard.clone(), listeners, registry, notify);
        if several {
            supervisor = supervisor.with_prefix(prefix.clone());
        }
        announce(&app.config, supervisor.listeners(), app_reporter);
        if let Some((running, proxy)) = &proxy {
            app_reporter.report(&Message::Proxy {
                url: format!("http://{}", running.local_addr()),
                target: proxy.target.to_string(),
            });
        }
        started.push(AppStart { supervisor, proxy });
    }
    Ok(Started {
        apps: started,
        watch,
    })
}

/// One watcher for every app that watches files: a directory once, each change routed to the
/// apps whose roots and rules accept it.
pub fn watch_all(apps: &[App], tx: &Sender) -> Result<Option<Watcher>, Error> {
    let watching: Vec<(usize, &App)> = apps.iter().enumerate().filter(|(_, a)| a.watch).collect();
    let configs: Vec<&WatchConfig> = watching.iter().map(|(_, a)| &a.config.watch).collect();
    let Some(union) = WatchConfig::union(&configs) else {
        return Ok(None);
    };
    let mut routes = Vec::new();
    for (i, app) in &watching {
        let filter = Filter::new(&app.config.watch, &app.config.root)?;
        routes.push(Route::new(&app.config.watch, filter, tx.for_app(*i)));
    }
    let root = &watching[0].1.config.root;
    Ok(Some(Watcher::start_routes(
        &union,
        root,
        Routes::new(routes),
        tx.clone(),
    )?))
}

/// Starts the dev proxy, holding requests until the first generation is up. A target with
/// port 0 is the first listener, whose real port is known once it is bound.
fn start_proxy(proxy: &ProxyConfig, listeners: &Listeners) -> Result<(Proxy, ProxyConfig), Error> {
    let mut proxy = proxy.clone();
    if proxy.target.port() == 0
        && let Some(port) = listeners.first_tcp_port()
    {
        proxy.target.set_port(port);
    }
    let running = Proxy::start(proxy.clone())?;
    running.handle().set_upstream(Upstream::Unavailable);
    Ok((running, proxy))
}

/// The session's first lines: what runs, where it listens, and a warning when the run command
/// forks away from the sockets it is handed.
fn announce(config: &Config, listeners: &Listeners, reporter: &Reporter) {
    reporter.report(&Message::Started {
        version: VERSION.into(),
        root: config.root.clone(),
        config: config.file.clone(),
        strategy: config.run.strategy,
        ready: config.run.ready.as_ref().map(Readiness::kind),
        build: config.build.as_ref().map(|b| b.command.program.display()),
        run: config.run.command.program.display(),
    });
    for (i, (address, name)) in listeners
        .local_addrs()
        .into_iter()
        .zip(listeners.names())
        .enumerate()
    {
        reporter.report(&Message::Listening {
            address,
            name: name.to_string(),
            fd: 3 + i as i32,
        });
    }
    if !listeners.is_empty()
        && let Some(wrapper) = handoff::forking_wrapper(&command_words(&config.run.command))
    {
        let (message, hint) = handoff::wrapper_warning(&wrapper);
        reporter.report(&Message::Warning {
            kind: WarningKind::ForkingWrapper,
            generation: None,
            message,
            hint,
        });
    }
}

/// SIGINT, SIGTERM and SIGHUP become shutdown requests on the bus.
fn spawn_signal_source(tx: Sender) -> std::io::Result<()> {
    let deliver = tx.clone();
    sources::signals::spawn(
        "hotdev-signals",
        |name, body| bus::spawn_worker(name, "the signal handler", &tx, body).map(drop),
        move |signal| deliver.send(Input::Signal(signal)).is_ok(),
    )?;
    Ok(())
}
