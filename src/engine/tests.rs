use super::*;

fn engine(strategy: SwapStrategy) -> Engine {
    Engine::new(Settings {
        has_build: true,
        strategy,
        restart: RestartPolicy::Never,
    })
}

fn change(path: &str) -> Event {
    Event::Changed(ChangeSet {
        paths: vec![PathBuf::from(path)],
        overflow: false,
        tentative: false,
    })
}

fn ok(id: BuildId) -> Event {
    Event::BuildFinished {
        id,
        status: ExitStatus::Code(0),
    }
}

fn failed(id: BuildId) -> Event {
    Event::BuildFinished {
        id,
        status: ExitStatus::Code(1),
    }
}

fn exited(generation: GenId) -> Event {
    Event::Exited {
        generation,
        status: ExitStatus::Signal(15),
    }
}

fn start(generation: GenId, previous: Option<GenId>) -> Action {
    Action::StartGeneration {
        generation,
        previous,
    }
}

fn only_effects(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| !matches!(a, Action::Report(_)))
        .collect()
}

/// Runs start → build 1 ok → generation 1 running.
fn serving_first(e: &mut Engine) {
    assert!(matches!(
        e.step(Event::Start)[..],
        [Action::StartBuild { id: 1, .. }]
    ));
    assert_eq!(
        e.step(ok(1)),
        vec![
            Action::Report(Note::BuildSucceeded { build: 1 }),
            start(1, None)
        ]
    );
}

#[test]
fn start_builds_then_runs_generation_one() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn without_build_step_start_and_change_run_directly() {
    let mut e = Engine::new(Settings {
        has_build: false,
        strategy: SwapStrategy::Restart,
        restart: RestartPolicy::Never,
    });
    assert_eq!(e.step(Event::Start), vec![start(1, None)]);
    assert_eq!(
        e.step(change("main.go")),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.step(exited(1)), vec![start(2, Some(1))]);
}

#[test]
fn change_starts_a_build_with_the_changed_paths() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let actions = e.step(change("main.go"));
    assert_eq!(
        actions,
        vec![Action::StartBuild {
            id: 2,
            changes: ChangeSet {
                paths: vec![PathBuf::from("main.go")],
                overflow: false,
                tentative: false,
            }
        }]
    );
}

#[test]
fn old_generation_keeps_serving_while_building() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let actions = e.step(change("main.go"));
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
    e.step(change("a.go"));
    let actions = only_effects(e.step(change("b.go")));
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
    e.step(change("a.go"));
    e.step(change("b.go"));
    assert_eq!(e.step(ok(2)), vec![]);
    assert_eq!(e.step(failed(2)), vec![]);
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn failed_build_keeps_the_old_generation_serving() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("main.go"));
    assert_eq!(
        e.step(failed(2)),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 2,
            serving: Some(1)
        })]
    );
    assert_eq!(e.serving(), Some(1));
    // The next change tries again.
    assert!(matches!(
        e.step(change("main.go"))[..],
        [Action::StartBuild { id: 3, .. }]
    ));
}

#[test]
fn failed_first_build_runs_nothing_and_waits() {
    let mut e = engine(SwapStrategy::Restart);
    e.step(Event::Start);
    assert_eq!(
        e.step(failed(1)),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 1,
            serving: None
        })]
    );
    assert!(matches!(
        e.step(change("x.go"))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
    assert_eq!(only_effects(e.step(ok(2))), vec![start(1, None)]);
}

#[test]
fn build_that_cannot_start_counts_as_failed() {
    let mut e = engine(SwapStrategy::Restart);
    e.step(Event::Start);
    assert_eq!(
        e.step(Event::BuildSpawnFailed { id: 1 }),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 1,
            serving: None
        })]
    );
    assert!(!e.building());
}

#[test]
fn build_timeout_kills_it_and_keeps_serving() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("a.go"));
    assert_eq!(
        e.step(Event::BuildTimedOut { id: 2 }),
        vec![
            Action::CancelBuild {
                id: 2,
                reason: CancelReason::TimedOut
            },
            Action::Report(Note::BuildFailedKeeping {
                build: 2,
                serving: Some(1)
            })
        ]
    );
    assert_eq!(e.step(Event::BuildTimedOut { id: 2 }), vec![]);
}

#[test]
fn restart_stops_old_before_starting_new() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("main.go"));
    assert_eq!(
        only_effects(e.step(ok(2))),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.step(exited(1)), vec![start(2, Some(1))]);
    assert_eq!(e.serving(), Some(2));
}

#[test]
fn restart_kills_a_generation_that_ignores_the_stop_signal() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("main.go"));
    e.step(ok(2));
    assert_eq!(
        e.step(Event::StopTimedOut { generation: 1 }),
        vec![
            Action::Report(Note::StopTimedOut { generation: 1 }),
            Action::KillGeneration { generation: 1 }
        ]
    );
    assert_eq!(e.step(exited(1)), vec![start(2, Some(1))]);
    // A late timer for a generation that is gone does nothing.
    assert_eq!(e.step(Event::StopTimedOut { generation: 1 }), vec![]);
}

#[test]
fn two_builds_during_one_stop_start_one_generation() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("a.go"));
    e.step(ok(2));
    e.step(change("b.go"));
    assert_eq!(only_effects(e.step(ok(3))), vec![]);
    assert_eq!(e.step(exited(1)), vec![start(2, Some(1))]);
}

#[test]
fn app_that_exits_on_its_own_is_not_restarted() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let status = ExitStatus::Code(3);
    assert_eq!(
        e.step(Event::Exited {
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
    e.step(change("main.go"));
    assert_eq!(only_effects(e.step(ok(2))), vec![start(2, None)]);
}

fn engine_restarting(restart: RestartPolicy) -> Engine {
    Engine::new(Settings {
        has_build: true,
        strategy: SwapStrategy::Restart,
        restart,
    })
}

fn crash(generation: GenId) -> Event {
    Event::Exited {
        generation,
        status: ExitStatus::Code(1),
    }
}

#[test]
fn backoff_doubles_from_one_second_to_a_cap() {
    let delays: Vec<u64> = (1..=7).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
    assert_eq!(backoff(500), BACKOFF_CAP);
}

#[test]
fn on_failure_restarts_a_crashed_app_with_growing_delays() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    let actions = e.step(crash(1));
    assert!(actions.contains(&Action::ScheduleRestart {
        token: 1,
        delay: Duration::from_secs(1)
    }));
    assert!(!actions.contains(&Action::Report(Note::WaitingForChange)));
    assert_eq!(e.step(Event::RestartDue { token: 1 }), vec![start(2, None)]);
    let actions = e.step(crash(2));
    assert!(actions.contains(&Action::ScheduleRestart {
        token: 2,
        delay: Duration::from_secs(2)
    }));
}

#[test]
fn on_failure_leaves_a_clean_exit_alone() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    let actions = e.step(Event::Exited {
        generation: 1,
        status: ExitStatus::Code(0),
    });
    assert!(actions.contains(&Action::Report(Note::WaitingForChange)));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::ScheduleRestart { .. }))
    );
}

#[test]
fn always_restarts_even_a_clean_exit() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    let actions = e.step(Event::Exited {
        generation: 1,
        status: ExitStatus::Code(0),
    });
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::ScheduleRestart { .. }))
    );
}

#[test]
fn never_policy_waits_for_a_change() {
    let mut e = engine_restarting(RestartPolicy::Never);
    serving_first(&mut e);
    let actions = e.step(crash(1));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::ScheduleRestart { .. }))
    );
}

#[test]
fn a_stable_run_resets_the_backoff() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    e.step(crash(1));
    e.step(Event::RestartDue { token: 1 });
    e.step(Event::Stable { generation: 2 });
    let actions = e.step(crash(2));
    assert!(actions.contains(&Action::ScheduleRestart {
        token: 2,
        delay: Duration::from_secs(1)
    }));
}

#[test]
fn a_change_cancels_a_scheduled_restart() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    e.step(crash(1));
    e.step(change("main.go"));
    assert_eq!(e.step(Event::RestartDue { token: 1 }), vec![]);
    assert_eq!(only_effects(e.step(ok(2))), vec![start(2, None)]);
}

#[test]
fn a_stopped_generation_is_not_restarted() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    e.step(change("main.go"));
    e.step(ok(2));
    let actions = e.step(exited(1));
    assert_eq!(actions, vec![start(2, Some(1))]);
}

#[test]
fn shutdown_cancels_a_scheduled_restart() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    e.step(crash(1));
    assert_eq!(e.step(Event::Shutdown), vec![Action::Exit]);
    assert_eq!(e.step(Event::RestartDue { token: 1 }), vec![]);
}

#[test]
fn changes_while_paused_build_nothing_until_resumed_then_once() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.step(Event::TogglePause),
        vec![Action::Report(Note::Paused { paused: true })]
    );
    assert_eq!(e.step(change("a.go")), vec![]);
    assert_eq!(e.step(change("b.go")), vec![]);
    let actions = e.step(Event::TogglePause);
    assert_eq!(actions[0], Action::Report(Note::Paused { paused: false }));
    assert!(matches!(actions[1..], [Action::StartBuild { id: 2, .. }]));
}

#[test]
fn resuming_without_changes_builds_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(Event::TogglePause);
    assert_eq!(
        e.step(Event::TogglePause),
        vec![Action::Report(Note::Paused { paused: false })]
    );
}

#[test]
fn spawn_failure_waits_for_the_next_change() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.step(Event::SpawnFailed { generation: 1 }),
        vec![Action::Report(Note::WaitingForChange)]
    );
    assert_eq!(e.serving(), None);
}

#[test]
fn overlap_starts_new_before_stopping_old() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(change("main.go"));
    assert_eq!(only_effects(e.step(ok(2))), vec![start(2, Some(1))]);
    assert_eq!(e.serving(), Some(1));
    assert_eq!(
        e.step(Event::Ready { generation: 2 }),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.serving(), Some(2));
    assert_eq!(e.step(exited(1)), vec![]);
}

#[test]
fn overlap_candidate_that_exits_rolls_back_to_the_old_one() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(change("main.go"));
    e.step(ok(2));
    let status = ExitStatus::Code(1);
    assert_eq!(
        e.step(Event::Exited {
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
    e.step(change("main.go"));
    assert_eq!(only_effects(e.step(ok(3))), vec![start(3, Some(1))]);
}

#[test]
fn overlap_candidate_that_never_gets_ready_is_stopped_and_old_kept() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(change("main.go"));
    e.step(ok(2));
    let actions = e.step(Event::NotReady {
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
    assert_eq!(e.step(exited(2)), vec![]);
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn overlap_newer_build_replaces_a_candidate_still_starting() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(change("a.go"));
    e.step(ok(2));
    e.step(change("b.go"));
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 2 }, start(3, Some(1))]
    );
    // The stale candidate's readiness is ignored.
    assert_eq!(e.step(Event::Ready { generation: 2 }), vec![]);
    assert_eq!(
        e.step(Event::Ready { generation: 3 }),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn overlap_with_nothing_serving_starts_directly() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(exited(1));
    e.step(change("main.go"));
    assert_eq!(only_effects(e.step(ok(2))), vec![start(2, None)]);
    assert_eq!(e.serving(), Some(2));
}

#[test]
fn restart_reports_not_ready_and_keeps_running() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    let reason = NotReady::Timeout;
    assert_eq!(
        e.step(Event::NotReady {
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
    e.step(change("plugin.go"));
    assert_eq!(
        only_effects(e.step(ok(2))),
        vec![Action::ReloadGeneration { generation: 1 }]
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn manual_restart_skips_the_build() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(
        e.step(Event::Manual(Manual::Restart)),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn manual_restart_before_any_good_build_builds() {
    let mut e = engine(SwapStrategy::Restart);
    e.step(Event::Start);
    e.step(failed(1));
    assert!(matches!(
        e.step(Event::Manual(Manual::Restart))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn manual_rebuild_builds() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert!(matches!(
        e.step(Event::Manual(Manual::Rebuild))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn shutdown_with_nothing_running_exits_at_once() {
    let mut e = engine(SwapStrategy::Restart);
    assert_eq!(e.step(Event::Shutdown), vec![Action::Exit]);
}

#[test]
fn shutdown_cancels_build_stops_generations_then_exits() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(change("a.go"));
    e.step(ok(2)); // candidate 2 starting
    e.step(change("b.go")); // build 3 running
    let actions = only_effects(e.step(Event::Shutdown));
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
    assert_eq!(e.step(ok(3)), vec![]);
    assert_eq!(e.step(change("c.go")), vec![]);
    assert_eq!(e.step(exited(1)), vec![]);
    assert_eq!(e.step(exited(2)), vec![Action::Exit]);
}

#[test]
fn second_shutdown_kills_what_is_still_stopping() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(Event::Shutdown);
    assert_eq!(
        e.step(Event::Shutdown),
        vec![Action::KillGeneration { generation: 1 }]
    );
    assert_eq!(e.step(exited(1)), vec![Action::Exit]);
}

#[test]
fn shutdown_during_restart_gap_starts_nothing_new() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("a.go"));
    e.step(ok(2)); // stopping 1, start pending
    e.step(Event::Shutdown);
    assert_eq!(e.step(exited(1)), vec![Action::Exit]);
}

// Speculative builds: a tentative change builds at once; the result waits for `Settled`.

fn tentative(path: &str) -> Event {
    Event::Changed(ChangeSet {
        paths: vec![PathBuf::from(path)],
        overflow: false,
        tentative: true,
    })
}

#[test]
fn tentative_change_builds_at_once_but_swaps_only_when_settled() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert!(matches!(
        &e.step(tentative("a.go"))[..],
        [Action::StartBuild { id: 2, changes }] if changes.tentative
    ));
    assert_eq!(e.step(ok(2)), vec![], "held until the burst is over");
    assert_eq!(e.serving(), Some(1));
    assert_eq!(
        e.step(Event::Settled),
        vec![
            Action::Report(Note::BuildSucceeded { build: 2 }),
            Action::StopGeneration { generation: 1 }
        ]
    );
}

#[test]
fn a_burst_that_settles_during_the_build_swaps_when_it_finishes() {
    let mut e = engine(SwapStrategy::Overlap);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    assert_eq!(e.step(Event::Settled), vec![]);
    assert_eq!(
        e.step(ok(2)),
        vec![
            Action::Report(Note::BuildSucceeded { build: 2 }),
            start(2, Some(1))
        ]
    );
}

#[test]
fn more_changes_in_the_burst_cancel_the_speculative_build() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    let actions = e.step(change("b.go"));
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
    assert_eq!(e.step(ok(2)), vec![], "the cancelled build's late result");
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 1 }],
        "a confirmed build swaps without waiting"
    );
}

#[test]
fn more_changes_drop_a_finished_speculative_result_without_a_kill() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    e.step(ok(2));
    let actions = e.step(change("b.go"));
    assert_eq!(
        actions[0],
        Action::Report(Note::BuildSuperseded { cancelled: 2 })
    );
    assert!(matches!(actions[1..], [Action::StartBuild { id: 3, .. }]));
    assert_eq!(
        e.step(Event::Settled),
        vec![],
        "nothing is waiting any more"
    );
    assert_eq!(e.serving(), Some(1));
}

#[test]
fn a_failed_speculative_build_is_reported_only_once_its_burst_settles() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    assert_eq!(e.step(failed(2)), vec![]);
    assert_eq!(
        e.step(Event::Settled),
        vec![Action::Report(Note::BuildFailedKeeping {
            build: 2,
            serving: Some(1)
        })]
    );
}

#[test]
fn a_failed_speculative_build_of_half_a_burst_is_never_reported_as_failed() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    e.step(failed(2));
    let actions = e.step(change("a.go"));
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Report(Note::BuildFailedKeeping { .. }))),
        "{actions:?}"
    );
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn without_a_build_step_a_tentative_change_waits_for_the_burst_to_settle() {
    let mut e = Engine::new(Settings {
        has_build: false,
        strategy: SwapStrategy::Restart,
        restart: RestartPolicy::Never,
    });
    e.step(Event::Start);
    assert_eq!(e.step(tentative("a.go")), vec![]);
    assert_eq!(
        e.step(Event::Settled),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.step(Event::Settled), vec![], "one swap per burst");
}

#[test]
fn settled_with_nothing_speculative_does_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.step(Event::Settled), vec![]);
    e.step(change("a.go"));
    assert_eq!(e.step(Event::Settled), vec![]);
    assert_eq!(
        only_effects(e.step(ok(2))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_manual_rebuild_replaces_a_speculative_build_by_a_confirmed_one() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    let actions = only_effects(e.step(Event::Manual(Manual::Rebuild)));
    assert_eq!(
        actions[0],
        Action::CancelBuild {
            id: 2,
            reason: CancelReason::NewerChange
        }
    );
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_tentative_change_while_paused_builds_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(Event::TogglePause);
    assert_eq!(e.step(tentative("a.go")), vec![]);
    assert_eq!(e.step(Event::Settled), vec![]);
    assert!(matches!(
        only_effects(e.step(Event::TogglePause))[..],
        [Action::StartBuild { id: 2, .. }]
    ));
}

#[test]
fn shutdown_drops_a_held_speculative_result() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    e.step(ok(2));
    assert_eq!(
        only_effects(e.step(Event::Shutdown)),
        vec![Action::StopGeneration { generation: 1 }]
    );
    assert_eq!(e.step(Event::Settled), vec![]);
    assert_eq!(e.step(exited(1)), vec![Action::Exit]);
}

#[test]
fn a_burst_that_goes_on_cancels_the_speculative_build_at_once() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    assert_eq!(
        e.step(Event::Unsettled),
        vec![
            Action::CancelBuild {
                id: 2,
                reason: CancelReason::NewerChange
            },
            Action::Report(Note::BuildSuperseded { cancelled: 2 })
        ]
    );
    assert_eq!(e.step(ok(2)), vec![], "the cancelled build's late result");
    // The rest of the burst, when it ends: one fresh build, nothing left to cancel.
    assert!(matches!(
        &e.step(change("b.go"))[..],
        [Action::StartBuild { id: 3, changes }] if !changes.tentative
    ));
    assert_eq!(
        only_effects(e.step(ok(3))),
        vec![Action::StopGeneration { generation: 1 }]
    );
}

#[test]
fn a_burst_that_went_on_and_settles_with_nothing_new_still_builds() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(tentative("a.go"));
    e.step(ok(2));
    assert_eq!(
        e.step(Event::Unsettled),
        vec![Action::Report(Note::BuildSuperseded { cancelled: 2 })],
        "a held result is dropped, nothing to kill"
    );
    // What came after counted for nothing (say, an ignored file): a.go is still unbuilt.
    assert!(matches!(
        &e.step(Event::Settled)[..],
        [Action::StartBuild { id: 3, changes }] if !changes.tentative
    ));
    assert_eq!(e.step(Event::Settled), vec![], "owed once");
}

#[test]
fn unsettled_without_a_speculative_build_does_nothing() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    assert_eq!(e.step(Event::Unsettled), vec![]);
    e.step(change("a.go"));
    assert_eq!(
        e.step(Event::Unsettled),
        vec![],
        "a confirmed build is not stale"
    );
    assert_eq!(e.step(Event::Settled), vec![]);
}
