//! The restart policy: a crash restarts with a growing backoff, a stable run resets it.

use super::*;

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
