//! Generations: start the run command in its own process group with the listeners and its
//! readiness check, signal it, and say what its exit means.

use std::time::Instant;

use nix::sys::signal::Signal;

use super::{OUTPUT_GRACE, Supervisor, command_words};
use crate::bus::Input;
use crate::config::Config;
use crate::engine::{BuildId, Event, ExitStatus, GenId};
use crate::handoff;
use crate::process::{self, Output, Spawn};
use crate::ready::Readiness;
use crate::ready::{self, Check, Tail};
use crate::report::{Message, Reporter, WarningKind};

pub(super) struct GenerationRun {
    pub(super) pgid: i32,
    started: Instant,
    stop_requested: Option<Instant>,
    check: Option<Check>,
    /// Its last lines on the streams hotdev reads (with `[[listen]]`, stderr at least): a
    /// failed hand-off is named from them when it exits on its own.
    tail: Option<Tail>,
}

impl Supervisor {
    /// Starts `generation` of the run command (running `build`, if any); `false` when it could
    /// not start (already reported).
    pub fn start_generation(
        &mut self,
        config: &Config,
        generation: GenId,
        previous: Option<GenId>,
        build: Option<BuildId>,
        reporter: &Reporter,
    ) -> bool {
        let run = &config.run;
        // O_NONBLOCK belongs to the listeners' open file descriptions, shared by every
        // generation: reset it only when no generation holds them. Under overlap N still
        // serves, may poll a non-blocking accept, and would block in accept if cleared.
        if self.generations.is_empty()
            && let Err(e) = self.listeners.reset_nonblocking()
        {
            reporter.report(&Message::Error {
                message: format!("cannot reset O_NONBLOCK on the listeners: {e}"),
            });
        }
        let mut extra_env = vec![("HOTDEV_GENERATION".to_string(), generation.to_string())];
        if let Some(build) = build {
            extra_env.push(("HOTDEV_BUILD_ID".to_string(), build.to_string()));
        }
        if let Some(notify) = &self.notify {
            extra_env.push((
                "NOTIFY_SOCKET".to_string(),
                notify.path().display().to_string(),
            ));
        }
        // Its last lines explain a failed hand-off and fill the browser's error overlay.
        let keep_tail = !self.listeners.is_empty() || config.proxy.is_some();
        let log_ready = match &run.ready {
            Some(Readiness::Log(regex)) => Some(regex.clone()),
            _ => None,
        };
        let spawn = Spawn {
            spec: &run.command,
            cwd: &config.root,
            extra_env,
            fallback_env: &self.app_fallback_env,
            listeners: (!self.listeners.is_empty()).then_some(&self.listeners),
            // With listeners, stderr is read (only stderr: a piped stdout is block-buffered
            // by C and Python) so that a failed hand-off can be named when the app exits.
            output: if log_ready.is_some() || self.prefix.is_some() {
                Output::Piped
            } else if !keep_tail {
                Output::Inherit
            } else {
                Output::PipedStderr
            },
        };
        let mut child = match process::spawn(&spawn) {
            Ok(child) => child,
            Err(e) => {
                reporter.report(&Message::Error {
                    message: format!("generation {generation}: {e}"),
                });
                return false;
            }
        };
        let pgid = child.pid;
        self.cover(pgid);
        let started = Instant::now();
        reporter.report(&Message::GenerationStarted {
            generation,
            pid: pgid,
            previous,
        });
        let fallback = match (&run.ready, &config.proxy) {
            (None, Some(proxy)) => Some(self.accepting(proxy.target)),
            _ => None,
        };
        let check = run.ready.as_ref().or(fallback.as_ref()).map(|readiness| {
            let check = self.registry.register(generation, pgid);
            ready::start_check(readiness, check.clone(), run.ready_timeout, self.tx.clone());
            check
        });
        let mut tail = None;
        let mut drained = None;
        if let Some(stderr) = child.stderr.take() {
            let log = log_ready.zip(check.clone());
            let kept = keep_tail.then(Tail::default);
            let prefix = self.prefix.as_deref();
            match ready::forward_output(child.stdout.take(), stderr, log, kept.clone(), prefix) {
                Ok(forwarding) => {
                    drained = Some(forwarding);
                    tail = kept;
                }
                Err(e) => reporter.report(&Message::Error {
                    message: format!("cannot forward the output of generation {generation}: {e}"),
                }),
            }
        }
        self.generations.insert(
            generation,
            GenerationRun {
                pgid,
                started,
                stop_requested: None,
                check,
                tail,
            },
        );
        let tx = self.tx.clone();
        self.spawn_worker("hotdev-generation-wait", move || {
            let status = process::wait_group(pgid);
            // Its last words must be in the tail before the exit is looked at.
            if let Some(drained) = drained {
                drained.wait(OUTPUT_GRACE);
            }
            let _ = tx.send(Input::Event(Event::Exited { generation, status }));
        });
        true
    }

    /// Graceful stop: the stop signal to the generation's process group.
    pub fn stop_generation(&mut self, config: &Config, generation: GenId, reporter: &Reporter) {
        let signal = config.run.stop_signal;
        let Some(run) = self.generations.get_mut(&generation) else {
            return;
        };
        if let Some(check) = &run.check {
            check.cancel();
        }
        run.stop_requested.get_or_insert_with(Instant::now);
        let _ = process::signal_group(run.pgid, signal);
        reporter.report(&Message::GenerationStopping {
            generation,
            signal: signal.as_str().into(),
        });
    }

    /// SIGKILL to the generation's process group, saying how long it was waited for.
    pub fn kill_generation(&self, generation: GenId, reporter: &Reporter) {
        if let Some(run) = self.generations.get(&generation) {
            let after = run.stop_requested.unwrap_or(run.started).elapsed();
            reporter.report(&Message::GenerationKilled { generation, after });
            let _ = process::signal_group(run.pgid, Signal::SIGKILL);
        }
    }

    /// The reload signal to the generation (strategy `signal`).
    pub fn reload_generation(&self, config: &Config, generation: GenId, reporter: &Reporter) {
        let Some(run) = self.generations.get(&generation) else {
            return;
        };
        let signal = config.run.reload_signal;
        match process::signal_group(run.pgid, signal) {
            Ok(()) => reporter.report(&Message::GenerationReloaded {
                generation,
                signal: signal.as_str().into(),
            }),
            Err(e) => reporter.report(&Message::Error {
                message: format!(
                    "cannot send {} to generation {generation}: {e}",
                    signal.as_str()
                ),
            }),
        }
    }

    /// With a proxy and no readiness check, a generation is up once the proxy's target takes
    /// connections: at once when hotdev holds that socket (the kernel queues them), else when
    /// a connect succeeds.
    fn accepting(&self, target: std::net::SocketAddr) -> Readiness {
        if self.listeners.tcp_ports().contains(&target.port()) {
            Readiness::Delay(std::time::Duration::ZERO)
        } else {
            Readiness::Tcp(target.to_string())
        }
    }

    /// The last lines `generation` wrote on stderr (and stdout, with a `log` check), if they
    /// were read: while it runs, and for the generation that exited last.
    pub fn last_lines(&self, generation: GenId) -> Vec<String> {
        match (self.generations.get(&generation), &self.last_exit) {
            (Some(run), _) => run.tail.as_ref().map(Tail::lines).unwrap_or_default(),
            (None, Some((exited, lines))) if *exited == generation => lines.clone(),
            _ => Vec::new(),
        }
    }

    /// The generation passed its readiness check: say how long it took.
    pub fn ready(&self, generation: GenId, reporter: &Reporter) {
        if let Some(run) = self.generations.get(&generation) {
            reporter.report(&Message::GenerationReady {
                generation,
                ready: run.started.elapsed(),
            });
        }
    }

    /// The generation's process group is gone: report it, and name a failed socket hand-off
    /// when its last lines show one.
    pub fn exited(
        &mut self,
        config: &Config,
        generation: GenId,
        status: ExitStatus,
        reporter: &Reporter,
    ) {
        let Some(run) = self.generations.remove(&generation) else {
            return;
        };
        self.release(run.pgid);
        if let Some(check) = &run.check {
            check.cancel();
        }
        self.last_exit = Some((
            generation,
            run.tail.as_ref().map(Tail::lines).unwrap_or_default(),
        ));
        self.registry.unregister(generation);
        let duration = match run.stop_requested {
            Some(at) => at.elapsed(),
            None => run.started.elapsed(),
        };
        reporter.report(&Message::GenerationExited {
            generation,
            status,
            requested: run.stop_requested.is_some(),
            duration,
        });
        if run.stop_requested.is_none() {
            self.name_a_failed_handoff(config, generation, &run, reporter);
        }
    }

    /// A generation that exited on its own: if its last lines show it bound a pre-bound port
    /// itself or refused `LISTEN_PID`, say so and how to fix it, in one line and a hint.
    fn name_a_failed_handoff(
        &self,
        config: &Config,
        generation: GenId,
        run: &GenerationRun,
        reporter: &Reporter,
    ) {
        let Some(tail) = &run.tail else {
            return;
        };
        let Some(sign) = handoff::exit_sign(&tail.lines(), &self.listeners.tcp_ports()) else {
            return;
        };
        let wrapper = handoff::forking_wrapper(&command_words(&config.run.command));
        let (message, hint) = handoff::exit_advice(generation, run.pgid, &sign, wrapper.as_ref());
        reporter.report(&Message::Warning {
            kind: match sign {
                handoff::Sign::BoundItself { .. } => WarningKind::BoundItself,
                handoff::Sign::RefusedListenPid { .. } => WarningKind::ListenPidRefused,
            },
            generation: Some(generation),
            message,
            hint,
        });
    }
}
