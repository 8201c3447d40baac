//! Builds and the restart strategy: a change builds while the old generation serves, a newer
//! change cancels, a failed build keeps serving.

use super::*;

#[test]
fn start_builds_then_runs_generation_one() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn without_build_step_start_and_change_run_directly() {
    let mut e = Engine::new(Settings::new(false, SwapStrategy::Restart));
    assert_eq!(e.decisions(Event::Start), vec![start(1, None)]);
    assert_eq!(
        e.decisions(change("main.go")),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.decisions(exited(1)), vec![start(2, Some(1))]);
}

#[test]
fn change_starts_a_build_with_the_changed_paths() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let actions = e.decisions(change("main.go"));
    assert_eq!(
        actions,
        vec![Action::StartBuild {
            id: 2,
            changes: ChangeSet {
                paths: vec![PathBuf::from("main.go")],
                assets: vec![],
                overflow: false,
                tentative: false,
                burst: 0,
            }
        }]
    );
}

#[test]
fn old_generation_keeps_serving_while_building() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let actions = e.decisions(change("main.go"));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::StopGeneration { .. }))
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn change_during_build_cancels_it_and_starts_a_fresh_one() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    let actions = only_effects(e.decisions(change("b.go")));
    assert_eq!(
        actions[0],
        Action::CancelBuild {
            id: 2,
            reason: CancelReason::NewerChange
        }
    );
    assert!(matches!(actions[1], Action::StartBuild { id: 3, .. }));
}

#[test]
fn result_of_a_cancelled_build_is_ignored() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    e.decisions(change("b.go"));
    assert_eq!(e.decisions(ok(2)), vec![]);
    assert_eq!(e.decisions(failed(2)), vec![]);
    assert_eq!(
        only_effects(e.decisions(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn failed_build_keeps_the_old_generation_serving() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    assert_eq!(
        e.decisions(failed(2)),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 2,
            serving: Some(1),
            failure: exit_1()
        })]
    );
    assert_eq!(e.serving(), Some(1));
    // The next change tries again.
    assert!(matches!(
        e.decisions(change("main.go"))[..],
        [Action::StartBuild { id: 3, .. }]
    ));
}

#[test]
fn failed_first_build_runs_nothing_and_waits() {
    let mut e = engine(SwapStrategy::Restart);
    e.decisions(Event::Start);
    assert_eq!(
        e.decisions(failed(1)),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 1,
            serving: None,
            failure: exit_1()
        })]
    );
    assert!(matches!(
        e.decisions(change("x.go"))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
    assert_eq!(only_effects(e.decisions(ok(2))), vec![start(1, None)]);
}

#[test]
fn build_that_cannot_start_counts_as_failed() {
    let mut e = engine(SwapStrategy::Restart);
    e.decisions(Event::Start);
    assert_eq!(
        e.decisions(Event::BuildSpawnFailed {
            id: 1,
            error: "no such file".into()
        }),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 1,
            serving: None,
            failure: BuildFailure::CannotStart("no such file".into()),
        })]
    );
    assert!(!e.building());
}

#[test]
fn build_timeout_kills_it_and_keeps_serving() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    assert_eq!(
        e.decisions(Event::BuildTimedOut { id: 2 }),
        vec![
            Action::CancelBuild {
                id: 2,
                reason: CancelReason::TimedOut
            },
            Action::Report(Note::BuildFailedKeeping {
                build: 2,
                serving: Some(1),
                failure: BuildFailure::TimedOut,
            })
        ]
    );
    assert_eq!(e.decisions(Event::BuildTimedOut { id: 2 }), vec![]);
}

#[test]
fn restart_stops_old_before_starting_new() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    assert_eq!(
        only_effects(e.decisions(ok(2))),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.decisions(exited(1)), vec![start(2, Some(1))]);
    assert_eq!(e.serving(), Some(2));
}

#[test]
fn restart_kills_a_generation_that_ignores_the_stop_signal() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    e.decisions(ok(2));
    assert_eq!(
        e.decisions(Event::StopTimedOut { generation: 1 }),
        vec![
            Action::Report(Note::StopTimedOut { generation: 1 }),
            Action::KillGeneration { generation: 1 }
        ]
    );
    assert_eq!(e.decisions(exited(1)), vec![start(2, Some(1))]);
    // A late timer for a generation that is gone does nothing.
    assert_eq!(e.decisions(Event::StopTimedOut { generation: 1 }), vec![]);
}

#[test]
fn two_builds_during_one_stop_start_one_generation() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.decisions(change("a.go"));
    e.decisions(ok(2));
    e.decisions(change("b.go"));
    assert_eq!(only_effects(e.decisions(ok(3))), vec![]);
    assert_eq!(e.decisions(exited(1)), vec![start(2, Some(1))]);
}

#[test]
fn app_that_exits_on_its_own_is_not_restarted() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let status = ExitStatus::Code(3);
    assert_eq!(
        e.decisions(Event::Exited {
            generation: 1,
            status
        }),
        vec![
            Action::Report(Note::ExitedOnItsOwn {
                generation: 1,
                status
            }),
            Action::Report(Note::WaitingForChange)
        ]
    );
    assert_eq!(e.serving(), None);
    e.decisions(change("main.go"));
    assert_eq!(only_effects(e.decisions(ok(2))), vec![start(2, None)]);
}
