//! Pause, the overlap and signal strategies, manual keys and shutdown.

use super::*;

#[test]
fn changes_while_paused_build_nothing_until_resumed_then_once() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.decisions(Event::TogglePause),
        vec![Action::Report(Note::Paused { paused: true })]
    );
    assert_eq!(e.decisions(change("a.go")), vec![]);
    assert_eq!(e.decisions(change("b.go")), vec![]);
    let actions = e.decisions(Event::TogglePause);
    assert_eq!(actions[0], Action::Report(Note::Paused { paused: false }));
    assert!(matches!(actions[1..], [Action::StartBuild { id: 2, .. }]));
}

#[test]
fn resuming_without_changes_builds_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(Event::TogglePause);
    assert_eq!(
        e.decisions(Event::TogglePause),
        vec![Action::Report(Note::Paused { paused: false })]
    );
}

#[test]
fn spawn_failure_waits_for_the_next_change() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.decisions(Event::SpawnFailed { generation: 1 }),
        vec![Action::Report(Note::WaitingForChange)]
    );
    assert_eq!(e.serving(), None);
}

#[test]
fn overlap_starts_new_before_stopping_old() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    assert_eq!(only_effects(e.decisions(ok(2))), vec![start(2, Some(1))]);
    assert_eq!(e.serving(), Some(1));
    assert_eq!(
        e.decisions(Event::Ready { generation: 2 }),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.serving(), Some(2));
    assert_eq!(e.decisions(exited(1)), vec![]);
}

#[test]
fn overlap_candidate_that_exits_rolls_back_to_the_old_one() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    e.decisions(ok(2));
    let status = ExitStatus::Code(1);
    assert_eq!(
        e.decisions(Event::Exited {
            generation: 2,
            status
        }),
        vec![
            Action::Report(Note::ExitedOnItsOwn {
                generation: 2,
                status
            }),
            Action::Report(Note::RolledBack {
                failed: 2,
                kept: Some(1)
            })
        ]
    );
    assert_eq!(e.serving(), Some(1));
    // The next good build swaps in.
    e.decisions(change("main.go"));
    assert_eq!(only_effects(e.decisions(ok(3))), vec![start(3, Some(1))]);
}

#[test]
fn overlap_candidate_that_never_gets_ready_is_stopped_and_old_kept() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    e.decisions(ok(2));
    let actions = e.decisions(Event::NotReady {
        generation: 2,
        reason: NotReady::Timeout,
    });
    assert_eq!(
        only_effects(actions.clone()),
        vec![Action::StopGeneration { generation: 2 }]
    );
    assert!(actions.contains(&Action::Report(Note::RolledBack {
        failed: 2,
        kept: Some(1)
    })));
    assert_eq!(e.serving(), Some(1));
    // Its exit after the stop is quiet and changes nothing.
    assert_eq!(e.decisions(exited(2)), vec![]);
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn overlap_newer_build_replaces_a_candidate_still_starting() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    e.decisions(ok(2));
    e.decisions(change("b.go"));
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 2 }, start(3, Some(1))]
    );
    // The stale candidate's readiness is ignored.
    assert_eq!(e.decisions(Event::Ready { generation: 2 }), vec![]);
    assert_eq!(
        e.decisions(Event::Ready { generation: 3 }),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn overlap_with_nothing_serving_starts_directly() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(exited(1));
    e.decisions(change("main.go"));
    assert_eq!(only_effects(e.decisions(ok(2))), vec![start(2, None)]);
    assert_eq!(e.serving(), Some(2));
}

#[test]
fn restart_reports_not_ready_and_keeps_running() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let reason = NotReady::Timeout;
    assert_eq!(
        e.decisions(Event::NotReady {
            generation: 1,
            reason: reason.clone()
        }),
        vec![Action::Report(Note::NotReady {
            generation: 1,
            reason
        })]
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn signal_strategy_reloads_in_place() {
    let mut e = engine(SwapStrategy::Signal);
    serving_first(&mut e);
    e.decisions(change("plugin.go"));
    assert_eq!(
        only_effects(e.decisions(ok(2))),
        vec![Action::ReloadGeneration { generation: 1 }]
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn manual_restart_skips_the_build() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.decisions(Event::Manual(Manual::Restart)),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn manual_restart_before_any_good_build_builds() {
    let mut e = engine(SwapStrategy::Restart);
    e.decisions(Event::Start);
    e.decisions(failed(1));
    assert!(matches!(
        e.decisions(Event::Manual(Manual::Restart))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn manual_rebuild_builds() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert!(matches!(
        e.decisions(Event::Manual(Manual::Rebuild))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn shutdown_with_nothing_running_exits_at_once() {
    let mut e = engine(SwapStrategy::Restart);
    assert_eq!(e.decisions(Event::Shutdown), vec![Action::Exit]);
}

#[test]
fn shutdown_cancels_build_stops_generations_then_exits() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    e.decisions(ok(2)); // candidate 2 starting
    e.decisions(change("b.go")); // build 3 running
    let actions = only_effects(e.decisions(Event::Shutdown));
    assert_eq!(
        actions,
        vec![
            Action::CancelBuild {
                id: 3,
                reason: CancelReason::Shutdown
            },
            Action::StopGeneration { generation: 2 },
            Action::StopGeneration { generation: 1 },
        ]
    );
    assert_eq!(e.decisions(ok(3)), vec![]);
    assert_eq!(e.decisions(change("c.go")), vec![]);
    assert_eq!(e.decisions(exited(1)), vec![]);
    assert_eq!(e.decisions(exited(2)), vec![Action::Exit]);
}

#[test]
fn second_shutdown_kills_what_is_still_stopping() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(Event::Shutdown);
    assert_eq!(
        e.decisions(Event::Shutdown),
        vec![Action::KillGeneration { generation: 1 }]
    );
    assert_eq!(e.decisions(exited(1)), vec![Action::Exit]);
}

#[test]
fn shutdown_during_restart_gap_starts_nothing_new() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    e.decisions(ok(2)); // stopping 1, start pending
    e.decisions(Event::Shutdown);
    assert_eq!(e.decisions(exited(1)), vec![Action::Exit]);
}
