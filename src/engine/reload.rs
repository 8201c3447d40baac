//! The rules for hotdev's own files: a change to the config file or an env file reloads the
//! configuration first; the engine then decides what the new one takes (a build, a restart).

use std::path::PathBuf;

use super::*;

impl Engine {
    /// Watched files changed: hotdev's own files among them reload the configuration first;
    /// the rest is a change like any other.
    pub(super) fn changed(&mut self, changes: ChangeSet, out: &mut Vec<Action>) {
        let burst = changes.burst;
        let (own, rest) = split_own(changes, &self.settings.own_files);
        if !own.is_empty() {
            self.reconfigure(own, rest, burst, out);
            return;
        }
        match rest {
            Some(Event::Changed(changes)) => {
                out.push(Action::Report(Note::Change(changes.clone())));
                let (assets, rest) = browser::split_assets(changes);
                match rest {
                    // Paused: nothing starts, and a build is owed on resume.
                    Some(Event::Changed(_)) if self.missed_while_paused() => {}
                    _ if self.watching != Watching::Active => {}
                    // The reload once the new generation is ready covers the assets.
                    Some(Event::Changed(changes)) => self.build_or_swap(changes, out),
                    Some(other) => {
                        self.pages_assets(assets, out);
                        self.handle(other, out);
                    }
                    None => self.pages_assets(assets, out),
                }
            }
            Some(other) => self.handle(other, out),
            None => {}
        }
    }

    /// A burst the filter took out entirely: only hotdev's own files in it count.
    pub(super) fn ignored(&mut self, mut paths: Vec<PathBuf>, out: &mut Vec<Action>) {
        let own: Vec<PathBuf> = paths
            .iter()
            .filter(|path| self.settings.own_files.contains(path))
            .cloned()
            .collect();
        paths.retain(|path| !own.contains(path));
        if !paths.is_empty() {
            out.push(Action::Report(Note::Ignored { paths }));
        }
        if !own.is_empty() {
            self.reconfigure(own, None, 0, out);
        }
    }

    pub(super) fn reconfigure(
        &mut self,
        changed: Vec<PathBuf>,
        rest: Option<Event>,
        burst: u64,
        out: &mut Vec<Action>,
    ) {
        self.reload = Some(PendingReload {
            changed: changed.clone(),
            rest,
            burst,
        });
        out.push(Action::Reconfigure { changed });
    }

    /// The new configuration is in force. A new config file or a build's env file takes
    /// effect with a build (one, for the rest of the burst too); a run env file alone with a
    /// restart of the current build. An edit of the config file that left this app's
    /// configuration as it was (another app's table) asks nothing of it.
    pub(super) fn reconfigured(
        &mut self,
        settings: Settings,
        listen_changed: bool,
        unchanged: bool,
        out: &mut Vec<Action>,
    ) {
        if settings.has_build && !self.settings.has_build {
            // What ran so far was never built: a restart has nothing to run.
            self.good_build = None;
        }
        self.settings = settings;
        if listen_changed {
            out.push(Action::Report(Note::ListenersKept));
        }
        let Some(PendingReload {
            changed,
            rest,
            burst,
        }) = self.reload.take()
        else {
            return;
        };
        let own = &self.settings.own_files;
        if unchanged && changed.iter().all(|file| own.config.as_ref() == Some(file)) {
            if let Some(rest) = rest {
                self.handle(rest, out);
            }
            return;
        }
        let config_edit = own.config.clone().filter(|file| changed.contains(file));
        let build_env = own
            .build_env
            .iter()
            .find(|file| changed.contains(file))
            .cloned();
        let rebuild = config_edit.is_some() || build_env.is_some();
        match (config_edit, build_env.or_else(|| changed.first().cloned())) {
            (Some(path), _) => out.push(Action::Report(Note::ConfigReloaded { path })),
            (None, Some(path)) => out.push(Action::Report(Note::EnvFileChanged { path, rebuild })),
            (None, None) => {}
        }
        if rebuild {
            let changes = match rest {
                Some(Event::Changed(changes)) => {
                    out.push(Action::Report(Note::Change(changes.clone())));
                    changes
                }
                Some(other) => {
                    self.handle(other, out);
                    ChangeSet::default()
                }
                None => ChangeSet {
                    burst,
                    ..ChangeSet::default()
                },
            };
            if !self.missed_while_paused() {
                self.build_or_swap(
                    ChangeSet {
                        tentative: false,
                        ..changes
                    },
                    out,
                );
            }
        } else {
            if let Some(rest) = rest {
                self.handle(rest, out);
            }
            if !self.missed_while_paused() {
                self.restart_now(out);
            }
        }
    }
}

/// Splits hotdev's own files out of a change: what remains, as the event it amounts to. A
/// burst's last change set that named only own files still ends the burst: it becomes
/// [`Event::Settled`], so that a speculative build of the burst's start is not held for ever;
/// a tentative one that named only own files says nothing.
fn split_own(mut changes: ChangeSet, own: &OwnFiles) -> (Vec<PathBuf>, Option<Event>) {
    let mine: Vec<PathBuf> = changes
        .paths
        .iter()
        .filter(|path| own.contains(path))
        .cloned()
        .collect();
    if mine.is_empty() {
        return (mine, Some(Event::Changed(changes)));
    }
    changes.paths.retain(|path| !mine.contains(path));
    let rest = if changes.overflow || !changes.paths.is_empty() {
        Some(Event::Changed(changes))
    } else if changes.tentative {
        None
    } else {
        Some(Event::Settled)
    };
    (mine, rest)
}
