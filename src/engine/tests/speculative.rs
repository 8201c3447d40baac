//! Speculative builds: a tentative change builds at once; the result waits for `Settled`.

use super::*;

fn tentative(path: &str) -> Event {
    Event::Changed(ChangeSet {
        paths: vec![PathBuf::from(path)],
        assets: vec![],
        overflow: false,
        tentative: true,
        burst: 0,
    })
}

#[test]
fn tentative_change_builds_at_once_but_swaps_only_when_settled() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert!(matches!(
        &e.decisions(tentative("a.go"))[..],
        [Action::StartBuild { id: 2, changes }] if changes.tentative
    ));
    assert_eq!(e.decisions(ok(2)), vec![], "held until the burst is over");
    assert_eq!(e.serving(), Some(1));
    assert_eq!(
        e.decisions(Event::Settled),
        vec![
            Action::Report(Note::BuildSucceeded {
                build: 2,
                report: BuildReport::default()
            }),
            Action::StopGeneration { generation: 1 }
        ]
    );
}

#[test]
fn a_burst_that_settles_during_the_build_swaps_when_it_finishes() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    assert_eq!(e.decisions(Event::Settled), vec![]);
    assert_eq!(
        e.decisions(ok(2)),
        vec![
            Action::Report(Note::BuildSucceeded {
                build: 2,
                report: BuildReport::default()
            }),
            start(2, Some(1))
        ]
    );
}

#[test]
fn more_changes_in_the_burst_cancel_the_speculative_build() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    let actions = e.decisions(change("b.go"));
    assert_eq!(
        actions[..2],
        [
            Action::CancelBuild {
                id: 2,
                reason: CancelReason::NewerChange
            },
            Action::Report(Note::BuildSuperseded { cancelled: 2 })
        ]
    );
    assert!(matches!(
        &actions[2..],
        [Action::StartBuild { id: 3, changes }] if !changes.tentative
    ));
    assert_eq!(
        e.decisions(ok(2)),
        vec![],
        "the cancelled build's late result"
    );
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 1 }],
        "a confirmed build swaps without waiting"
    );
}

#[test]
fn more_changes_drop_a_finished_speculative_result_without_a_kill() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    e.decisions(ok(2));
    let actions = e.decisions(change("b.go"));
    assert_eq!(
        actions[0],
        Action::Report(Note::BuildSuperseded { cancelled: 2 })
    );
    assert!(matches!(actions[1..], [Action::StartBuild { id: 3, .. }]));
    assert_eq!(
        e.decisions(Event::Settled),
        vec![],
        "nothing is waiting any more"
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn a_failed_speculative_build_is_reported_only_once_its_burst_settles() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    assert_eq!(e.decisions(failed(2)), vec![]);
    assert_eq!(
        e.decisions(Event::Settled),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 2,
            serving: Some(1),
            failure: exit_1()
        })]
    );
}

#[test]
fn a_failed_speculative_build_of_half_a_burst_is_never_reported_as_failed() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    e.decisions(failed(2));
    let actions = e.decisions(change("a.go"));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Report(Note::BuildFailedKeeping { .. }))),
        "{actions:?}"
    );
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn without_a_build_step_a_tentative_change_waits_for_the_burst_to_settle() {
    let mut e = Engine::new(Settings::new(false, SwapStrategy::Restart));
    e.decisions(Event::Start);
    assert_eq!(e.decisions(tentative("a.go")), vec![]);
    assert_eq!(
        e.decisions(Event::Settled),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.decisions(Event::Settled), vec![], "one swap per burst");
}

#[test]
fn settled_with_nothing_speculative_does_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.decisions(Event::Settled), vec![]);
    e.decisions(change("a.go"));
    assert_eq!(e.decisions(Event::Settled), vec![]);
    assert_eq!(
        only_effects(e.decisions(ok(2))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_manual_rebuild_replaces_a_speculative_build_by_a_confirmed_one() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    let actions = only_effects(e.decisions(Event::Manual(Manual::Rebuild)));
    assert_eq!(
        actions[0],
        Action::CancelBuild {
            id: 2,
            reason: CancelReason::NewerChange
        }
    );
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_tentative_change_while_paused_builds_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(Event::TogglePause);
    assert_eq!(e.decisions(tentative("a.go")), vec![]);
    assert_eq!(e.decisions(Event::Settled), vec![]);
    assert!(matches!(
        only_effects(e.decisions(Event::TogglePause))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn shutdown_drops_a_held_speculative_result() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    e.decisions(ok(2));
    assert_eq!(
        only_effects(e.decisions(Event::Shutdown)),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.decisions(Event::Settled), vec![]);
    assert_eq!(e.decisions(exited(1)), vec![Action::Exit]);
}

#[test]
fn a_burst_that_goes_on_cancels_the_speculative_build_at_once() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    assert_eq!(
        e.decisions(Event::Unsettled),
        vec![
            Action::CancelBuild {
                id: 2,
                reason: CancelReason::NewerChange
            },
            Action::Report(Note::BuildSuperseded { cancelled: 2 })
        ]
    );
    assert_eq!(
        e.decisions(ok(2)),
        vec![],
        "the cancelled build's late result"
    );
    // The rest of the burst, when it ends: one fresh build, nothing left to cancel.
    assert!(matches!(
        &e.decisions(change("b.go"))[..],
        [Action::StartBuild { id: 3, changes }] if !changes.tentative
    ));
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_burst_that_went_on_and_settles_with_nothing_new_still_builds() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(tentative("a.go"));
    e.decisions(ok(2));
    assert_eq!(
        e.decisions(Event::Unsettled),
        vec![Action::Report(Note::BuildSuperseded { cancelled: 2 })],
        "a held result is dropped, nothing to kill"
    );
    // What came after counted for nothing (say, an ignored file): a.go is still unbuilt.
    assert!(matches!(
        &e.decisions(Event::Settled)[..],
        [Action::StartBuild { id: 3, changes }] if !changes.tentative
    ));
    assert_eq!(e.decisions(Event::Settled), vec![], "owed once");
}

#[test]
fn unsettled_without_a_speculative_build_does_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.decisions(Event::Unsettled), vec![]);
    e.decisions(change("a.go"));
    assert_eq!(
        e.decisions(Event::Unsettled),
        vec![],
        "a confirmed build is not stale"
    );
    assert_eq!(e.decisions(Event::Settled), vec![]);
}
