//! Several apps' lives: an app starts once every app it depends on is up (its readiness check
//! passed; without one, running), a swap of a dependency restarts the apps that asked for it
//! (`restart_with`), and shutdown stops dependents first, one app after the other.

use crate::bus::AppId;
use crate::config::Config;
use crate::engine::{Event, Manual};
use crate::report::Message;

use super::{App, Shell};

/// Where an app is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Not started: waiting for its dependencies.
    Waiting,
    /// Started; not up yet.
    Starting,
    /// A generation passed its readiness check (or runs, without one).
    Up,
    /// Asked to stop everything (shutdown).
    Stopping,
    /// Its engine is done.
    Exited,
}

/// Each app's list of app names as indexes (names that are not apps were refused by the
/// config already, and are skipped).
pub fn resolve(apps: &[App], names: impl Fn(&App) -> &Vec<String>) -> Vec<Vec<AppId>> {
    apps.iter()
        .map(|app| {
            names(app)
                .iter()
                .filter_map(|name| apps.iter().position(|other| &other.name == name))
                .collect()
        })
        .collect()
}

/// Whether the app's readiness is signalled ([`Event::Ready`]): a configured check, or the
/// proxy's wait for the target to take connections.
pub fn has_check(config: &Config) -> bool {
    config.run.ready.is_some() || config.proxy.is_some()
}

/// Dependencies first, ties in file order. (The config refuses cycles; an app caught in one
/// anyway comes last rather than never.)
pub fn start_order(depends: &[Vec<AppId>]) -> Vec<AppId> {
    let mut order: Vec<AppId> = Vec::new();
    while order.len() < depends.len() {
        let next = (0..depends.len())
            .filter(|app| !order.contains(app))
            .find(|app| depends[*app].iter().all(|dep| order.contains(dep)))
            .or_else(|| (0..depends.len()).find(|app| !order.contains(app)));
        match next {
            Some(app) => order.push(app),
            None => break,
        }
    }
    order
}

impl Shell {
    fn depends(&self) -> Vec<Vec<AppId>> {
        self.apps.iter().map(|app| app.depends_on.clone()).collect()
    }

    /// Starts every waiting app whose dependencies are all up.
    pub(super) fn start_due(&mut self) {
        if self.stopping {
            return;
        }
        for app in start_order(&self.depends()) {
            let run = &self.apps[app];
            if run.life == Life::Waiting
                && run
                    .depends_on
                    .iter()
                    .all(|dep| self.apps[*dep].life == Life::Up)
            {
                self.apps[app].life = Life::Starting;
                self.follow_ups.push_back((app, Event::Start));
            }
        }
    }

    /// A generation of `app` is up: the first time, its dependents may start; after that it
    /// was swapped, and the apps that `restart_with` it restart.
    pub(super) fn up(&mut self, app: AppId) {
        match self.apps[app].life {
            Life::Starting => {
                self.apps[app].life = Life::Up;
                self.start_due();
            }
            Life::Up => {
                for other in 0..self.apps.len() {
                    if self.apps[other].restart_with.contains(&app)
                        && self.apps[other].life == Life::Up
                    {
                        let swapped = self.apps[app].name.clone();
                        self.apps[other]
                            .reporter
                            .report(&Message::RestartWith { swapped });
                        self.follow_ups
                            .push_back((other, Event::Manual(Manual::Restart)));
                    }
                }
            }
            Life::Waiting | Life::Stopping | Life::Exited => {}
        }
    }

    /// Ctrl-C, SIGTERM, `q`: stop the apps one after the other, dependents first. Asked
    /// again: stop waiting politely, everywhere.
    pub(super) fn shutdown(&mut self) {
        if !self.stopping {
            self.stopping = true;
            self.stop_next();
            return;
        }
        for app in 0..self.apps.len() {
            match self.apps[app].life {
                Life::Exited => {}
                Life::Waiting => self.apps[app].life = Life::Exited,
                Life::Stopping => self.step(app, Event::Shutdown),
                Life::Starting | Life::Up => {
                    self.apps[app].life = Life::Stopping;
                    self.step(app, Event::Shutdown);
                    self.step(app, Event::Shutdown);
                }
            }
        }
    }

    /// Asks the next app in stop order (reverse start order) to stop, unless one is stopping.
    pub(super) fn stop_next(&mut self) {
        let mut order = start_order(&self.depends());
        order.reverse();
        for app in order {
            match self.apps[app].life {
                Life::Exited => {}
                Life::Waiting => self.apps[app].life = Life::Exited,
                Life::Stopping => return,
                Life::Starting | Life::Up => {
                    self.apps[app].life = Life::Stopping;
                    // An app with nothing running exits at once, and the next is asked then.
                    self.step(app, Event::Shutdown);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_start_first_and_ties_keep_file_order() {
        // 0 web → 1 api → 2 db; 3 worker → 1 api.
        let depends = vec![vec![1], vec![2], vec![], vec![1]];
        assert_eq!(start_order(&depends), vec![2, 1, 0, 3]);
        assert_eq!(start_order(&[vec![], vec![]]), vec![0, 1]);
    }

    #[test]
    fn a_cycle_still_starts_everything() {
        assert_eq!(start_order(&[vec![1], vec![0]]).len(), 2);
    }
}
