//! The rules for the pages open through the dev proxy (DESIGN.md §8): requests are held while
//! no generation can take them; a page reloads only once a new generation is ready (never while
//! the old one stops or the new one starts); a failed build, crash or missed readiness shows
//! an overlay until a generation is up again; a `reload_only` change reloads (or swaps CSS)
//! with no build. Every rule here is silent without a proxy.

use std::path::PathBuf;

use super::*;

/// What the pages were last told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pages {
    pub(super) gate: Gate,
    /// An overlay is shown (a failed build or generation) until the next one is up.
    pub(super) overlay: bool,
}

impl Pages {
    /// Before the first generation is up, requests wait for it.
    pub(super) const START: Pages = Pages {
        gate: Gate::Hold,
        overlay: false,
    };
}

impl Engine {
    /// A generation serves now. `reload`: it is a new one that passed readiness (or was
    /// signalled to reload): every page reloads, and an overlay goes. Without `reload` (a
    /// generation that runs but missed its check) requests pass and pages stay as they are.
    pub(super) fn pages_up(&mut self, reload: bool, out: &mut Vec<Action>) {
        if !self.settings.proxy {
            return;
        }
        self.set_gate(Gate::Open, out);
        if reload {
            if std::mem::take(&mut self.pages.overlay) {
                out.push(Action::Page(Page::Clear));
            }
            out.push(Action::Page(Page::Reload));
        }
    }

    /// No generation can take a request now: the proxy holds them.
    pub(super) fn pages_hold(&mut self, out: &mut Vec<Action>) {
        if self.settings.proxy {
            self.set_gate(Gate::Hold, out);
        }
    }

    /// A failure every page shows as an overlay until a generation is up again.
    pub(super) fn pages_show(&mut self, page: Page, out: &mut Vec<Action>) {
        if self.settings.proxy {
            self.pages.overlay = true;
            out.push(Action::Page(page));
        }
    }

    /// `reload_only` files changed: stylesheets alone are swapped in place, anything else
    /// reloads the page. Nothing builds.
    pub(super) fn pages_assets(&mut self, assets: Vec<PathBuf>, out: &mut Vec<Action>) {
        if !self.settings.proxy || assets.is_empty() {
            return;
        }
        let css = assets.iter().all(|path| {
            path.extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("css"))
        });
        out.push(Action::Page(if css {
            Page::Css(assets)
        } else {
            Page::Reload
        }));
    }

    fn set_gate(&mut self, gate: Gate, out: &mut Vec<Action>) {
        if self.pages.gate != gate {
            self.pages.gate = gate;
            out.push(Action::Gate(gate));
        }
    }
}

/// Splits the `reload_only` files out of a change: what remains, as the event it amounts to.
/// As with hotdev's own files, a burst's last change set that named only such files still
/// ends the burst ([`Event::Settled`]); a tentative one says nothing more.
pub(super) fn split_assets(mut changes: ChangeSet) -> (Vec<PathBuf>, Option<Event>) {
    let assets = std::mem::take(&mut changes.assets);
    if assets.is_empty() || changes.overflow || !changes.paths.is_empty() {
        return (assets, Some(Event::Changed(changes)));
    }
    let rest = (!changes.tentative).then_some(Event::Settled);
    (assets, rest)
}
