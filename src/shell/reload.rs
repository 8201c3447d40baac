//! A config reload's effects: read the configuration again, keep what cannot change while
//! running (listeners, output, the proxy, the set of apps), open what it newly needs, replace
//! the watcher. What the reload then means (a build, a restart) is the engine's rule.

use crate::bus::AppId;
use crate::engine::Event;
use crate::ready::Readiness;
use crate::report::Message;

use super::start::{settings_of, watch_all};
use super::{App, Shell};

const KEEPING: &str = "keeping the previous configuration";

impl Shell {
    /// Reads the configuration again and puts `app`'s in force: its engine's answer is
    /// [`Event::Reconfigured`], or [`Event::ReconfigureFailed`] after saying why the previous
    /// configuration stays (the error reads `…; keeping the previous configuration`).
    pub(super) fn reconfigure(&mut self, app: AppId) -> Event {
        match self.read_again(app) {
            Ok(event) => event,
            Err(message) => {
                self.apps[app].reporter.report(&Message::Error { message });
                Event::ReconfigureFailed
            }
        }
    }

    fn read_again(&mut self, app: AppId) -> Result<Event, String> {
        let apps = (self.reload)().map_err(|message| format!("{message}\nhotdev: {KEEPING}"))?;
        let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
        let running: Vec<&str> = self.apps.iter().map(|a| a.name.as_str()).collect();
        if names != running {
            return Err(format!(
                "the apps changed ({} → {}): restart hotdev to apply that; {KEEPING}",
                running.join(", "),
                names.join(", ")
            ));
        }
        let mut new = apps[app].config.clone();
        let run = &self.apps[app];
        let current = &run.config;
        // Rebinding would refuse connections: the listeners stay (the engine says so).
        let listen_changed = new.listen != current.listen;
        new.listen = current.listen.clone();
        new.output = current.output;
        // The proxy keeps its address and the pages connected to it; `reload_only` is the
        // watcher's and does change.
        if let (Some(running), Some(asked)) = (&current.proxy, &mut new.proxy)
            && asked.target.port() == 0
        {
            asked.target = running.target;
        }
        if new.proxy != current.proxy {
            run.reporter.report(&Message::Error {
                message: "[proxy] changed: restart hotdev to apply it; the current proxy stays"
                    .into(),
            });
            new.proxy = current.proxy.clone();
        }
        // With several apps, an edit of one app's table leaves the others alone. (Config has
        // no PartialEq: regexes, commands; its Debug form names every value.) One app
        // rebuilds on any edit, as it always did.
        let unchanged = self.apps.len() > 1 && format!("{new:?}") == format!("{current:?}");
        if matches!(new.run.ready, Some(Readiness::Notify)) {
            self.apps[app]
                .supervisor
                .ensure_notify_socket()
                .map_err(|e| format!("cannot create the readiness socket ({e}); {KEEPING}"))?;
        }
        if new.watch != self.apps[app].config.watch {
            let previous = std::mem::replace(&mut self.apps[app].config.watch, new.watch.clone());
            if let Err(message) = self.rewatch() {
                self.apps[app].config.watch = previous;
                let _ = self.rewatch();
                return Err(format!("{message}; {KEEPING}"));
            }
        }
        let settings = settings_of(&new);
        self.apps[app].config = new;
        Ok(Event::Reconfigured {
            settings,
            listen_changed,
            unchanged,
        })
    }

    /// Replaces the watcher by one for every app's current watch configuration.
    fn rewatch(&mut self) -> Result<(), String> {
        drop(self.watch.take());
        let apps: Vec<App> = self
            .apps
            .iter()
            .map(|run| App {
                name: run.name.clone(),
                config: run.config.clone(),
                depends_on: Vec::new(),
                restart_with: Vec::new(),
                watch: run.watch,
            })
            .collect();
        self.watch = watch_all(&apps, &self.tx).map_err(|e| e.to_string())?;
        Ok(())
    }
}
