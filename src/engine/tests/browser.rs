//! The dev proxy's rules: hold requests while nothing serves, reload pages only once a new
//! generation is ready, overlays for failures, `reload_only` changes without a build.

use super::*;

fn proxied(strategy: SwapStrategy) -> Engine {
    Engine::new(Settings {
        proxy: true,
        ..Settings::new(true, strategy)
    })
}

fn pages(actions: &[Action]) -> Vec<Action> {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Gate(_) | Action::Page(_)))
        .cloned()
        .collect()
}

fn assets(paths: &[&str], tentative: bool) -> Event {
    Event::Changed(ChangeSet {
        paths: vec![],
        assets: paths.iter().map(PathBuf::from).collect(),
        overflow: false,
        tentative,
        burst: 0,
    })
}

fn up(e: &mut Engine, generation: GenId) -> Vec<Action> {
    e.decisions(Event::Ready { generation })
}

const OPEN: Action = Action::Gate(Gate::Open);
const HOLD: Action = Action::Gate(Gate::Hold);
const RELOAD: Action = Action::Page(Page::Reload);

#[test]
fn without_a_proxy_nothing_is_said_to_pages() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(up(&mut e, 1), vec![]);
    assert_eq!(e.decisions(failed(2)), vec![]);
    e.decisions(change("main.go"));
    assert!(pages(&e.decisions(failed(2))).is_empty());
    assert!(pages(&e.decisions(assets(&["static/a.css"], false))).is_empty());
}

#[test]
fn restart_holds_requests_in_the_gap_and_reloads_only_once_the_new_one_is_ready() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(pages(&up(&mut e, 1)), vec![OPEN, RELOAD]);
    e.decisions(change("main.go"));
    // The old one stops: requests wait, pages are not told anything yet.
    let swap = e.decisions(ok(2));
    assert_eq!(pages(&swap), vec![HOLD]);
    let started = e.decisions(exited(1));
    assert!(started.contains(&start(2, Some(1))), "{started:?}");
    assert_eq!(pages(&started), vec![]);
    assert_eq!(pages(&up(&mut e, 2)), vec![OPEN, RELOAD]);
}

#[test]
fn overlap_reloads_when_the_candidate_is_ready_and_never_holds() {
    let mut e = proxied(SwapStrategy::Overlap);
    serving_first(&mut e);
    assert_eq!(pages(&up(&mut e, 1)), vec![OPEN, RELOAD]);
    e.decisions(change("main.go"));
    assert_eq!(pages(&e.decisions(ok(2))), vec![]);
    let promoted = up(&mut e, 2);
    assert_eq!(promoted[0], Action::StopGeneration { generation: 1 });
    assert_eq!(pages(&promoted), vec![RELOAD]);
    assert_eq!(pages(&e.decisions(exited(1))), vec![]);
}

#[test]
fn a_failed_build_shows_an_overlay_that_the_next_ready_generation_clears() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    e.decisions(change("main.go"));
    assert_eq!(
        pages(&e.decisions(failed(2))),
        vec![Action::Page(Page::BuildFailed {
            build: 2,
            failure: exit_1()
        })]
    );
    e.decisions(change("main.go"));
    e.decisions(ok(3));
    e.decisions(exited(1));
    assert_eq!(
        pages(&up(&mut e, 2)),
        vec![OPEN, Action::Page(Page::Clear), RELOAD]
    );
    // Shown once, cleared once.
    e.decisions(change("main.go"));
    e.decisions(ok(4));
    e.decisions(exited(2));
    assert_eq!(pages(&up(&mut e, 3)), vec![OPEN, RELOAD]);
}

#[test]
fn a_candidate_that_crashes_shows_its_failure_and_the_old_one_keeps_serving() {
    let mut e = proxied(SwapStrategy::Overlap);
    serving_first(&mut e);
    up(&mut e, 1);
    e.decisions(change("main.go"));
    e.decisions(ok(2));
    let status = ExitStatus::Code(2);
    assert_eq!(
        pages(&e.decisions(Event::Exited {
            generation: 2,
            status
        })),
        vec![Action::Page(Page::GenerationFailed {
            generation: 2,
            failure: GenerationFailure::Exited(Some(status)),
        })]
    );
    let not_ready = NotReady::Timeout;
    e.decisions(change("main.go"));
    e.decisions(ok(3));
    let rolled = e.decisions(Event::NotReady {
        generation: 3,
        reason: not_ready.clone(),
    });
    assert_eq!(
        pages(&rolled),
        vec![Action::Page(Page::GenerationFailed {
            generation: 3,
            failure: GenerationFailure::NotReady(not_ready),
        })]
    );
    // The candidate asked to stop after its rollback is no news.
    assert_eq!(pages(&e.decisions(exited(3))), vec![]);
}

#[test]
fn a_serving_generation_that_crashes_holds_requests_and_shows_why() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    assert_eq!(
        pages(&e.decisions(crash(1))),
        vec![
            HOLD,
            Action::Page(Page::GenerationFailed {
                generation: 1,
                failure: GenerationFailure::Exited(Some(ExitStatus::Code(1))),
            })
        ]
    );
}

#[test]
fn a_generation_that_misses_readiness_under_restart_takes_requests_and_shows_why() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        pages(&e.decisions(Event::NotReady {
            generation: 1,
            reason: NotReady::Timeout
        })),
        vec![
            OPEN,
            Action::Page(Page::GenerationFailed {
                generation: 1,
                failure: GenerationFailure::NotReady(NotReady::Timeout),
            })
        ]
    );
}

#[test]
fn the_signal_strategy_reloads_pages_once_the_signal_is_sent() {
    let mut e = proxied(SwapStrategy::Signal);
    serving_first(&mut e);
    up(&mut e, 1);
    e.decisions(change("main.go"));
    assert_eq!(
        e.decisions(ok(2))
            .into_iter()
            .filter(|a| !matches!(a, Action::Report(_)))
            .collect::<Vec<_>>(),
        vec![Action::ReloadGeneration { generation: 1 }, RELOAD]
    );
}

#[test]
fn reload_only_files_reload_or_swap_css_and_build_nothing() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    let css = e.decisions(assets(&["/p/static/a.css", "/p/static/b.CSS"], false));
    assert_eq!(
        only_effects(css),
        vec![Action::Page(Page::Css(vec![
            PathBuf::from("/p/static/a.css"),
            PathBuf::from("/p/static/b.CSS")
        ]))]
    );
    let template = e.decisions(assets(&["/p/templates/i.html", "/p/static/a.css"], false));
    assert_eq!(only_effects(template), vec![RELOAD]);
}

#[test]
fn a_change_with_code_and_assets_builds_and_reloads_only_once_ready() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    let mixed = e.decisions(Event::Changed(ChangeSet {
        paths: vec![PathBuf::from("/p/main.go")],
        assets: vec![PathBuf::from("/p/static/a.css")],
        overflow: false,
        tentative: false,
        burst: 0,
    }));
    assert!(
        matches!(mixed[..], [Action::StartBuild { id: 2, .. }]),
        "{mixed:?}"
    );
}

#[test]
fn a_burst_that_ends_with_assets_only_still_settles_its_speculative_build() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    e.decisions(Event::Changed(ChangeSet {
        paths: vec![PathBuf::from("/p/main.go")],
        assets: vec![],
        overflow: false,
        tentative: true,
        burst: 0,
    }));
    assert_eq!(e.decisions(ok(2)), vec![]);
    let end = e.decisions(assets(&["/p/static/a.css"], false));
    assert_eq!(
        only_effects(end),
        vec![
            Action::Page(Page::Css(vec![PathBuf::from("/p/static/a.css")])),
            HOLD,
            Action::StopGeneration { generation: 1 },
        ]
    );
}

#[test]
fn a_tentative_asset_change_acts_at_once_and_owes_nothing() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    assert_eq!(
        only_effects(e.decisions(assets(&["/p/templates/i.html"], true))),
        vec![RELOAD]
    );
    assert_eq!(e.decisions(Event::Settled), vec![]);
}

#[test]
fn asset_changes_while_paused_do_nothing_and_owe_no_build() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    e.decisions(Event::TogglePause);
    assert_eq!(e.decisions(assets(&["/p/static/a.css"], false)), vec![]);
    assert_eq!(
        e.decisions(Event::TogglePause),
        vec![Action::Report(Note::Paused { paused: false })]
    );
}

#[test]
fn shutdown_holds_requests() {
    let mut e = proxied(SwapStrategy::Restart);
    serving_first(&mut e);
    up(&mut e, 1);
    assert_eq!(pages(&e.decisions(Event::Shutdown)), vec![HOLD]);
}
