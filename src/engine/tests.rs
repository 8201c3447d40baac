use std::time::Duration;

use super::*;

fn engine(strategy: SwapStrategy) -> Engine {
    Engine::new(Settings::new(true, strategy))
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
        report: BuildReport::default(),
    }
}

fn failed(id: BuildId) -> Event {
    Event::BuildFinished {
        id,
        status: ExitStatus::Code(1),
        report: BuildReport::default(),
    }
}

/// How [`failed`] fails.
fn exit_1() -> BuildFailure {
    BuildFailure::Exited {
        status: ExitStatus::Code(1),
        report: BuildReport::default(),
    }
}

/// The engine's decisions, without the bookkeeping pinned by its own tests at the end: the
/// timers that only bound a wait (build and stop timeouts, stability), the build number each
/// generation is told, and the note that repeats a change. The restart policy's timers are
/// decisions: kept.
trait Decisions {
    fn decisions(&mut self, event: Event) -> Vec<Action>;
}

impl Decisions for Engine {
    fn decisions(&mut self, event: Event) -> Vec<Action> {
        self.step(event)
            .into_iter()
            .filter(|action| match action {
                Action::StartTimer { timer, .. } | Action::CancelTimer { timer } => {
                    matches!(timer, Timer::Restart { .. })
                }
                Action::Report(Note::Change(_)) => false,
                _ => true,
            })
            .map(|action| match action {
                Action::StartGeneration {
                    generation,
                    previous,
                    ..
                } => Action::StartGeneration {
                    generation,
                    previous,
                    build: None,
                },
                other => other,
            })
            .collect()
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
        build: None,
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
        e.decisions(Event::Start)[..],
        [Action::StartBuild { id: 1, .. }]
    ));
    assert_eq!(
        e.decisions(ok(1)),
        vec![
            Action::Report(Note::BuildSucceeded {
                build: 1,
                report: BuildReport::default()
            }),
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

fn engine_restarting(restart: RestartPolicy) -> Engine {
    Engine::new(Settings {
        restart,
        ..Settings::new(true, SwapStrategy::Restart)
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
    let actions = e.decisions(crash(1));
    assert!(actions.contains(&Action::StartTimer {
        timer: Timer::Restart { token: 1 },
        after: Duration::from_secs(1)
    }));
    assert!(!actions.contains(&Action::Report(Note::WaitingForChange)));
    assert_eq!(
        e.decisions(Event::RestartDue { token: 1 }),
        vec![start(2, None)]
    );
    let actions = e.decisions(crash(2));
    assert!(actions.contains(&Action::StartTimer {
        timer: Timer::Restart { token: 2 },
        after: Duration::from_secs(2)
    }));
}

#[test]
fn on_failure_leaves_a_clean_exit_alone() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    let actions = e.decisions(Event::Exited {
        generation: 1,
        status: ExitStatus::Code(0),
    });
    assert!(actions.contains(&Action::Report(Note::WaitingForChange)));
    assert!(!actions.iter().any(|a| matches!(
        a,
        Action::StartTimer {
            timer: Timer::Restart { .. },
            ..
        }
    )));
}

#[test]
fn always_restarts_even_a_clean_exit() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    let actions = e.decisions(Event::Exited {
        generation: 1,
        status: ExitStatus::Code(0),
    });
    assert!(actions.iter().any(|a| matches!(
        a,
        Action::StartTimer {
            timer: Timer::Restart { .. },
            ..
        }
    )));
}

#[test]
fn never_policy_waits_for_a_change() {
    let mut e = engine_restarting(RestartPolicy::Never);
    serving_first(&mut e);
    let actions = e.decisions(crash(1));
    assert!(!actions.iter().any(|a| matches!(
        a,
        Action::StartTimer {
            timer: Timer::Restart { .. },
            ..
        }
    )));
}

#[test]
fn a_stable_run_resets_the_backoff() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    e.decisions(crash(1));
    e.decisions(Event::RestartDue { token: 1 });
    e.decisions(Event::Stable { generation: 2 });
    let actions = e.decisions(crash(2));
    assert!(actions.contains(&Action::StartTimer {
        timer: Timer::Restart { token: 2 },
        after: Duration::from_secs(1)
    }));
}

#[test]
fn a_change_cancels_a_scheduled_restart() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    serving_first(&mut e);
    e.decisions(crash(1));
    e.decisions(change("main.go"));
    assert_eq!(e.decisions(Event::RestartDue { token: 1 }), vec![]);
    assert_eq!(only_effects(e.decisions(ok(2))), vec![start(2, None)]);
}

#[test]
fn a_stopped_generation_is_not_restarted() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    e.decisions(change("main.go"));
    e.decisions(ok(2));
    let actions = e.decisions(exited(1));
    assert_eq!(actions, vec![start(2, Some(1))]);
}

#[test]
fn shutdown_cancels_a_scheduled_restart() {
    let mut e = engine_restarting(RestartPolicy::Always);
    serving_first(&mut e);
    e.decisions(crash(1));
    assert_eq!(
        e.decisions(Event::Shutdown),
        vec![
            Action::CancelTimer {
                timer: Timer::Restart { token: 1 }
            },
            Action::Exit
        ]
    );
    assert_eq!(e.decisions(Event::RestartDue { token: 1 }), vec![]);
}

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

// Timers: the engine arms and cancels every one.

fn timers(actions: &[Action]) -> Vec<Action> {
    actions
        .iter()
        .filter(|a| matches!(a, Action::StartTimer { .. } | Action::CancelTimer { .. }))
        .cloned()
        .collect()
}

#[test]
fn a_build_timeout_is_armed_with_the_build_and_cancelled_when_it_finishes() {
    let after = Duration::from_secs(60);
    let mut e = Engine::new(Settings {
        build_timeout: Some(after),
        ..Settings::new(true, SwapStrategy::Restart)
    });
    let timer = Timer::BuildTimeout { id: 1 };
    assert_eq!(
        timers(&e.step(Event::Start)),
        vec![Action::StartTimer { timer, after }]
    );
    assert_eq!(timers(&e.step(ok(1))), vec![Action::CancelTimer { timer }]);
    // A newer change cancels the running build and its timer, and arms one for the next.
    e.step(change("a.go"));
    assert_eq!(
        timers(&e.step(change("b.go"))),
        vec![
            Action::CancelTimer {
                timer: Timer::BuildTimeout { id: 2 }
            },
            Action::StartTimer {
                timer: Timer::BuildTimeout { id: 3 },
                after
            }
        ]
    );
}

#[test]
fn without_a_build_timeout_no_timer_is_armed() {
    let mut e = engine(SwapStrategy::Restart);
    assert_eq!(timers(&e.step(Event::Start)), vec![]);
    assert_eq!(timers(&e.step(ok(1))), vec![]);
}

#[test]
fn a_stop_arms_the_stop_timeout_and_the_exit_cancels_it() {
    let after = Duration::from_secs(7);
    let mut e = Engine::new(Settings {
        stop_timeout: after,
        ..Settings::new(true, SwapStrategy::Restart)
    });
    serving_first(&mut e);
    e.step(change("a.go"));
    let actions = e.step(ok(2));
    let timer = Timer::StopTimeout { generation: 1 };
    assert_eq!(timers(&actions), vec![Action::StartTimer { timer, after }]);
    assert_eq!(
        timers(&e.step(exited(1))),
        vec![Action::CancelTimer { timer }]
    );
}

#[test]
fn a_stop_timeout_that_fired_is_not_cancelled_afterwards() {
    let mut e = engine(SwapStrategy::Restart);
    serving_first(&mut e);
    e.step(change("a.go"));
    e.step(ok(2));
    e.step(Event::StopTimedOut { generation: 1 });
    assert_eq!(timers(&e.step(exited(1))), vec![]);
}

#[test]
fn a_restart_policy_arms_the_stable_timer_per_generation() {
    let mut e = engine_restarting(RestartPolicy::OnFailure);
    e.step(Event::Start);
    let timer = Timer::Stable { generation: 1 };
    assert_eq!(
        timers(&e.step(ok(1))),
        vec![Action::StartTimer {
            timer,
            after: STABLE_AFTER
        }]
    );
    let actions = e.step(crash(1));
    assert!(
        actions.contains(&Action::CancelTimer { timer }),
        "{actions:?}"
    );
}

#[test]
fn each_generation_is_told_the_build_it_runs() {
    let mut e = engine(SwapStrategy::Overlap);
    e.step(Event::Start);
    assert!(e.step(ok(1)).contains(&Action::StartGeneration {
        generation: 1,
        previous: None,
        build: Some(1)
    }));
    e.step(change("a.go"));
    e.step(failed(2));
    e.step(change("a.go"));
    assert!(e.step(ok(3)).contains(&Action::StartGeneration {
        generation: 2,
        previous: Some(1),
        build: Some(3)
    }));
    // A restart by key runs the newest good build again.
    e.step(Event::Ready { generation: 2 });
    assert!(
        e.step(Event::Manual(Manual::Restart))
            .contains(&Action::StartGeneration {
                generation: 3,
                previous: Some(2),
                build: Some(3)
            })
    );
}

// Config reloads: hotdev's own files reload the configuration, and the engine decides what
// the new one takes.

const CONFIG: &str = "/p/.hotdev.toml";
const RUN_ENV: &str = "/p/.env";
const BUILD_ENV: &str = "/p/build.env";

fn own_settings() -> Settings {
    Settings {
        own_files: OwnFiles {
            config: Some(PathBuf::from(CONFIG)),
            build_env: vec![PathBuf::from(BUILD_ENV)],
            run_env: vec![PathBuf::from(RUN_ENV)],
        },
        ..Settings::new(true, SwapStrategy::Restart)
    }
}

fn changes(paths: &[&str], tentative: bool) -> Event {
    Event::Changed(ChangeSet {
        paths: paths.iter().map(PathBuf::from).collect(),
        overflow: false,
        tentative,
    })
}

fn reconfigured() -> Event {
    Event::Reconfigured {
        settings: own_settings(),
        listen_changed: false,
    }
}

fn reload_of(paths: &[&str]) -> Action {
    Action::Reconfigure {
        changed: paths.iter().map(PathBuf::from).collect(),
    }
}

fn serving_with_own_files() -> Engine {
    let mut e = Engine::new(own_settings());
    serving_first(&mut e);
    e
}

#[test]
fn a_config_edit_reloads_first_then_builds_once_for_the_whole_burst() {
    let mut e = serving_with_own_files();
    assert_eq!(
        e.step(changes(&["/p/main.go", CONFIG], false)),
        vec![reload_of(&[CONFIG])],
        "nothing starts before the new configuration is in force"
    );
    let actions = e.decisions(reconfigured());
    assert_eq!(
        actions[0],
        Action::Report(Note::ConfigReloaded {
            path: PathBuf::from(CONFIG)
        })
    );
    assert!(
        matches!(&actions[1..], [Action::StartBuild { id: 2, changes }]
            if changes.paths == [PathBuf::from("/p/main.go")]),
        "one build, with the burst's other paths: {actions:?}"
    );
}

#[test]
fn the_change_note_leaves_hotdevs_own_files_out() {
    let mut e = serving_with_own_files();
    e.step(changes(&["/p/main.go", CONFIG], false));
    let notes: Vec<Action> = e
        .step(reconfigured())
        .into_iter()
        .filter(|a| matches!(a, Action::Report(Note::Change(_))))
        .collect();
    assert_eq!(
        notes,
        vec![Action::Report(Note::Change(ChangeSet {
            paths: vec![PathBuf::from("/p/main.go")],
            overflow: false,
            tentative: false,
        }))]
    );
}

#[test]
fn a_config_only_burst_still_settles_a_held_speculative_build() {
    let mut e = serving_with_own_files();
    e.step(changes(&["/p/main.go"], true));
    e.step(ok(2));
    // The burst's end named only the config file: it still ends the burst.
    assert_eq!(
        e.step(changes(&[CONFIG], false)),
        vec![reload_of(&[CONFIG])]
    );
    let actions = e.decisions(reconfigured());
    assert!(
        actions.contains(&Action::Report(Note::BuildSucceeded {
            build: 2,
            report: BuildReport::default()
        })),
        "the held build counts once its burst is over: {actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::StartBuild { id: 3, .. })),
        "and the new configuration builds afresh: {actions:?}"
    );
}

#[test]
fn a_tentative_config_only_change_says_nothing_about_the_burst() {
    let mut e = serving_with_own_files();
    e.step(changes(&["/p/main.go"], true));
    e.step(changes(&[CONFIG], true));
    let actions = e.decisions(reconfigured());
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Report(Note::BuildSucceeded { .. }))),
        "{actions:?}"
    );
}

#[test]
fn a_run_env_file_restarts_the_current_build_without_building() {
    let mut e = serving_with_own_files();
    assert_eq!(
        e.step(changes(&[RUN_ENV], false)),
        vec![reload_of(&[RUN_ENV])]
    );
    assert_eq!(
        e.decisions(reconfigured()),
        vec![
            Action::Report(Note::EnvFileChanged {
                path: PathBuf::from(RUN_ENV),
                rebuild: false
            }),
            Action::StopGeneration { generation: 1 }
        ]
    );
    assert_eq!(e.decisions(exited(1)), vec![start(2, Some(1))]);
}

#[test]
fn a_build_env_file_rebuilds() {
    let mut e = serving_with_own_files();
    e.step(changes(&[BUILD_ENV, RUN_ENV], false));
    let actions = e.decisions(reconfigured());
    assert_eq!(
        actions[0],
        Action::Report(Note::EnvFileChanged {
            path: PathBuf::from(BUILD_ENV),
            rebuild: true
        })
    );
    assert!(matches!(actions[1..], [Action::StartBuild { id: 2, .. }]));
}

#[test]
fn a_git_ignored_env_file_still_reloads() {
    let mut e = serving_with_own_files();
    assert_eq!(
        e.step(Event::Ignored(vec![
            PathBuf::from("/p/debug.log"),
            PathBuf::from(RUN_ENV)
        ])),
        vec![
            Action::Report(Note::Ignored {
                paths: vec![PathBuf::from("/p/debug.log")]
            }),
            reload_of(&[RUN_ENV])
        ]
    );
    assert!(
        e.decisions(reconfigured())
            .contains(&Action::StopGeneration { generation: 1 })
    );
}

#[test]
fn a_failed_reload_keeps_the_old_configuration_and_builds_the_rest() {
    let mut e = serving_with_own_files();
    e.step(changes(&["/p/main.go", CONFIG], false));
    assert!(matches!(
        e.decisions(Event::ReconfigureFailed)[..],
        [Action::StartBuild { id: 2, .. }]
    ));
    // A config-only burst that fails to load starts nothing.
    e.step(ok(2));
    e.step(exited(1));
    e.step(changes(&[CONFIG], false));
    assert_eq!(e.decisions(Event::ReconfigureFailed), vec![]);
}

#[test]
fn other_listeners_in_a_new_configuration_are_kept_and_said_so() {
    let mut e = serving_with_own_files();
    e.step(changes(&[CONFIG], false));
    let actions = e.step(Event::Reconfigured {
        settings: own_settings(),
        listen_changed: true,
    });
    assert_eq!(actions[0], Action::Report(Note::ListenersKept));
}

#[test]
fn a_reload_while_paused_applies_and_builds_on_resume() {
    let mut e = serving_with_own_files();
    e.step(Event::TogglePause);
    e.step(changes(&[CONFIG], false));
    assert_eq!(
        e.decisions(reconfigured()),
        vec![Action::Report(Note::ConfigReloaded {
            path: PathBuf::from(CONFIG)
        })]
    );
    assert!(
        e.decisions(Event::TogglePause)
            .iter()
            .any(|a| matches!(a, Action::StartBuild { id: 2, .. }))
    );
}

#[test]
fn new_settings_apply_from_the_next_decision() {
    let mut e = serving_with_own_files();
    e.step(changes(&[CONFIG], false));
    e.step(Event::Reconfigured {
        settings: Settings {
            strategy: SwapStrategy::Signal,
            ..own_settings()
        },
        listen_changed: false,
    });
    assert_eq!(
        only_effects(e.decisions(ok(2))),
        vec![Action::ReloadGeneration { generation: 1 }]
    );
}
