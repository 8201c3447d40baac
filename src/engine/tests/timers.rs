//! Timers: the engine arms and cancels every one.

use super::*;

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
