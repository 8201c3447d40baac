//! The dev proxy's side of the engine's page actions: the gate, and what every open page is
//! told, worded for the overlay. It decides nothing; without a proxy there is nothing to do.

use std::path::Path;

use crate::config::Config;
use crate::engine::{BuildFailure, Gate, GenerationFailure, NotReady, Page};
use crate::proxy::{ProxyEvent, ProxyHandle, Upstream};
use crate::report::{Message, PageAction, Reporter, format_status};
use crate::supervisor::Supervisor;

/// Lets requests through, or holds them.
pub fn gate(proxy: &ProxyHandle, gate: Gate) {
    proxy.set_upstream(match gate {
        Gate::Open => Upstream::Serving,
        Gate::Hold => Upstream::Unavailable,
    });
}

/// Tells every open page, and says so.
pub fn tell(
    proxy: &ProxyHandle,
    page: Page,
    config: &Config,
    supervisor: &Supervisor,
    reporter: &Reporter,
) {
    let mut paths = Vec::new();
    let (action, event) = match page {
        Page::Reload => (PageAction::Reload, ProxyEvent::Reload),
        Page::Clear => (PageAction::Clear, ProxyEvent::Clear),
        Page::Css(files) => {
            paths = files.iter().map(|f| web_path(&config.root, f)).collect();
            (PageAction::Css, ProxyEvent::Css(paths.clone()))
        }
        Page::BuildFailed { build, failure } => {
            let (title, lines) = build_overlay(build, failure);
            (
                PageAction::Overlay,
                ProxyEvent::BuildFailed { title, lines },
            )
        }
        Page::GenerationFailed {
            generation,
            failure,
        } => {
            let title = generation_title(generation, &failure, config);
            let lines = plain(supervisor.last_lines(generation));
            (
                PageAction::Overlay,
                ProxyEvent::BuildFailed { title, lines },
            )
        }
    };
    let pages = proxy.pages();
    proxy.send(event);
    reporter.report(&Message::Browser {
        action,
        pages,
        paths,
    });
}

/// A changed file as the page's stylesheet links name it: relative to the root, with `/`.
fn web_path(root: &Path, file: &Path) -> String {
    // Unix paths already separate with `/`.
    let relative = file.strip_prefix(root).unwrap_or(file);
    relative.to_string_lossy().into_owned()
}

fn build_overlay(build: u64, failure: BuildFailure) -> (String, Vec<String>) {
    let kept = "the page shows the last good version";
    match failure {
        BuildFailure::Exited { status, report } => (
            format!("build {build} failed ({}) — {kept}", format_status(status)),
            plain(report.output),
        ),
        BuildFailure::TimedOut => (
            format!("build {build} timed out (build.timeout) — {kept}"),
            Vec::new(),
        ),
        BuildFailure::CannotStart(error) => {
            (format!("build {build} cannot start — {kept}"), vec![error])
        }
    }
}

fn generation_title(generation: u64, failure: &GenerationFailure, config: &Config) -> String {
    match failure {
        GenerationFailure::Exited(Some(status)) => format!(
            "generation {generation} exited on its own ({}); its last output",
            format_status(*status)
        ),
        GenerationFailure::Exited(None) => {
            format!("generation {generation} could not be started")
        }
        GenerationFailure::NotReady(NotReady::Timeout) => format!(
            "generation {generation} did not become ready within {}; its last output",
            humantime::format_duration(config.run.ready_timeout)
        ),
        GenerationFailure::NotReady(NotReady::Failed(why)) => {
            format!("generation {generation} is not ready: {why}")
        }
    }
}

/// Lines without terminal escape codes: the page shows text.
fn plain(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|line| console::strip_ansi_codes(&line).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stylesheet_is_named_as_a_link_names_it() {
        let root = Path::new("/p");
        assert_eq!(
            web_path(root, Path::new("/p/static/app.css")),
            "static/app.css"
        );
        assert_eq!(
            web_path(root, Path::new("/elsewhere/x.css")),
            "/elsewhere/x.css"
        );
    }

    #[test]
    fn a_failed_build_is_titled_with_its_status_and_keeps_its_lines_plain() {
        let report = crate::engine::BuildReport {
            output: vec!["\u{1b}[31m./main.go:3:1: syntax error\u{1b}[0m".into()],
            ..Default::default()
        };
        let failure = BuildFailure::Exited {
            status: crate::engine::ExitStatus::Code(1),
            report,
        };
        let (title, lines) = build_overlay(4, failure);
        assert!(title.starts_with("build 4 failed (exit 1)"), "{title}");
        assert_eq!(lines, vec!["./main.go:3:1: syntax error".to_string()]);
    }
}
