//! A config reload's effects: read the configuration again, keep what cannot change while
//! running (listeners, output), open what it newly needs, replace the watcher. What the reload
//! then means (a build, a restart) is the engine's rule.

use crate::config::Config;
use crate::engine::Event;
use crate::filter::Filter;
use crate::ready::Readiness;
use crate::report::Message;
use crate::watch::Watcher;

use super::Shell;
use super::start::settings_of;

impl Shell {
    /// Reads the configuration again and puts it in force: the engine's answer is
    /// [`Event::Reconfigured`], or [`Event::ReconfigureFailed`] after saying why the previous
    /// configuration stays (the error reads `…; keeping the previous configuration`).
    pub(super) fn reconfigure(&mut self) -> Event {
        match self.read_again() {
            Ok(event) => event,
            Err(message) => {
                self.reporter.report(&Message::Error { message });
                Event::ReconfigureFailed
            }
        }
    }

    fn read_again(&mut self) -> Result<Event, String> {
        const KEEPING: &str = "keeping the previous configuration";
        let mut new = (self.reload)().map_err(|message| format!("{message}\nhotdev: {KEEPING}"))?;
        // Rebinding would refuse connections: the listeners stay (the engine says so).
        let listen_changed = new.listen != self.config.listen;
        new.listen = self.config.listen.clone();
        new.output = self.config.output;
        // The proxy keeps its address and the pages connected to it; `reload_only` is the
        // watcher's and does change.
        if let (Some(running), Some(asked)) = (&self.config.proxy, &mut new.proxy)
            && asked.target.port() == 0
        {
            asked.target = running.target;
        }
        if new.proxy != self.config.proxy {
            self.reporter.report(&Message::Error {
                message: "[proxy] changed: restart hotdev to apply it; the current proxy stays"
                    .into(),
            });
            new.proxy = self.config.proxy.clone();
        }
        if matches!(new.run.ready, Some(Readiness::Notify)) {
            self.supervisor
                .ensure_notify_socket()
                .map_err(|e| format!("cannot create the readiness socket ({e}); {KEEPING}"))?;
        }
        if new.watch != self.config.watch
            && let Err(message) = self.rewatch(&new)
        {
            let _ = self.rewatch(&self.config.clone());
            return Err(format!("{message}; {KEEPING}"));
        }
        let settings = settings_of(&new);
        self.config = new;
        Ok(Event::Reconfigured {
            settings,
            listen_changed,
        })
    }

    /// Replaces the watcher by one for `config`.
    fn rewatch(&mut self, config: &Config) -> Result<(), String> {
        drop(self.watch.take());
        let filter = Filter::new(&config.watch, &config.root).map_err(|e| e.to_string())?;
        let watch =
            Watcher::start(&config.watch, filter, self.tx.clone()).map_err(|e| e.to_string())?;
        self.watch = Some(watch);
        Ok(())
    }
}
