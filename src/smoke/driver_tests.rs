//! The driver's rules, fed with event sequences as the child writes them.

use super::*;

fn ev(ts_ms: u64, kind: Kind) -> Input {
    Input::Event(Event { ts_ms, kind })
}

fn begin(d: &mut Driver, ready_by: ReadyBy, strategy: &str) {
    let out = d.step(
        Duration::ZERO,
        Input::Begin {
            strategy: strategy.into(),
            ready_by,
        },
    );
    assert_eq!(out, vec![]);
}

fn at(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Feeds a build `b` that succeeds and a generation `g` that starts, under restart.
fn build_and_start(d: &mut Driver, t: u64, b: u64, g: u64) -> Vec<Do> {
    assert_eq!(d.step(at(t), ev(t, Kind::Change)), vec![]);
    d.step(
        at(t),
        ev(
            t,
            Kind::BuildStarted {
                build: b,
                pid: 100 + b as i32,
            },
        ),
    );
    d.step(
        at(t + 500),
        ev(
            t + 500,
            Kind::BuildOk {
                build: b,
                duration_ms: 500,
            },
        ),
    );
    d.step(
        at(t + 520),
        ev(
            t + 520,
            Kind::GenerationStarted {
                generation: g,
                pid: 200 + g as i32,
            },
        ),
    )
}

#[test]
fn a_clean_run_with_readiness_and_check_passes_every_step() {
    let mut d = Driver::new(1, true);
    begin(&mut d, ReadyBy::Event, "restart");
    assert_eq!(build_and_start(&mut d, 0, 1, 1), vec![]);
    let out = d.step(
        at(600),
        ev(
            600,
            Kind::GenerationReady {
                generation: 1,
                ready_ms: 80,
            },
        ),
    );
    assert_eq!(
        out,
        vec![Do::Probe {
            generation: 1,
            within: VERIFY_WITHIN
        }]
    );
    let out = d.step(
        at(610),
        Input::Probe {
            generation: 1,
            result: Ok(()),
        },
    );
    assert_eq!(
        out,
        vec![
            Do::Report { index: 0 },
            Do::StartLoad,
            Do::Touch { step: 1 }
        ]
    );
    // Reload 1: the old generation's requested exit is part of the swap.
    d.step(
        at(1100),
        ev(
            1100,
            Kind::GenerationExited {
                generation: 1,
                status: "exit 0".into(),
                requested: true,
            },
        ),
    );
    assert_eq!(build_and_start(&mut d, 1000, 2, 2), vec![]);
    d.step(
        at(1600),
        ev(
            1600,
            Kind::GenerationReady {
                generation: 2,
                ready_ms: 70,
            },
        ),
    );
    let out = d.step(
        at(1610),
        Input::Probe {
            generation: 2,
            result: Ok(()),
        },
    );
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);

    let step = &d.steps()[1];
    assert_eq!(step.outcome, Outcome::Passed);
    assert_eq!(
        (
            step.build,
            step.build_ms,
            step.swap_ms,
            step.ready_ms,
            step.total_ms
        ),
        (Some(2), Some(500), Some(20), Some(70), Some(1000))
    );
    assert_eq!(d.failure(), None);
    let groups: Vec<i32> = d.groups().keys().copied().collect();
    assert_eq!(groups, vec![101, 102, 201, 202]);
}

#[test]
fn a_failed_build_during_a_reload_fails_that_step_with_3() {
    let mut d = Driver::new(2, false);
    begin(&mut d, ReadyBy::Settle, "restart");
    assert_eq!(
        build_and_start(&mut d, 0, 1, 1),
        vec![Do::Settle { generation: 1 }]
    );
    d.step(at(1600), Input::Settled { generation: 1 });
    d.step(at(2000), ev(2000, Kind::Change));
    d.step(
        at(2000),
        ev(2000, Kind::BuildStarted { build: 2, pid: 300 }),
    );
    let out = d.step(
        at(2300),
        ev(
            2300,
            Kind::BuildFailed {
                build: 2,
                duration_ms: 300,
                status: "exit 1".into(),
            },
        ),
    );
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(
        d.failure(),
        Some((exit::BUILD, "build 2 failed (exit 1) after 300ms"))
    );
    assert_eq!(d.steps()[2].outcome, Outcome::NotRun);
}

#[test]
fn a_generation_that_is_not_ready_fails_with_4() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Event, "restart");
    build_and_start(&mut d, 0, 1, 1);
    let out = d.step(
        at(3600),
        ev(
            3600,
            Kind::GenerationNotReady {
                generation: 1,
                reason: "no sign of readiness within 3s".into(),
            },
        ),
    );
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn a_generation_exiting_on_its_own_fails_with_4_but_a_requested_stop_does_not() {
    let mut d = Driver::new(2, false);
    begin(&mut d, ReadyBy::Settle, "restart");
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Input::Settled { generation: 1 });
    let exited = |g, requested| {
        ev(
            2100,
            Kind::GenerationExited {
                generation: g,
                status: "exit 1".into(),
                requested,
            },
        )
    };
    assert_eq!(d.step(at(2100), exited(1, true)), vec![]);
    build_and_start(&mut d, 2000, 2, 2);
    let out = d.step(at(2700), exited(2, false));
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(
        d.failure(),
        Some((exit::NOT_READY, "generation 2 exited on its own (exit 1)"))
    );
}

#[test]
fn without_readiness_check_answering_decides_and_its_silence_fails_with_4() {
    let mut d = Driver::new(1, true);
    begin(&mut d, ReadyBy::Check, "restart");
    let out = build_and_start(&mut d, 0, 1, 1);
    assert_eq!(
        out,
        vec![Do::Probe {
            generation: 1,
            within: CHECK_READY_WITHIN
        }]
    );
    // A stale answer about another generation changes nothing.
    assert_eq!(
        d.step(
            at(700),
            Input::Probe {
                generation: 9,
                result: Ok(())
            }
        ),
        vec![]
    );
    let out = d.step(
        at(30_600),
        Input::Probe {
            generation: 1,
            result: Err("connection refused".into()),
        },
    );
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn check_failing_after_the_ready_event_fails_with_5() {
    let mut d = Driver::new(0, true);
    begin(&mut d, ReadyBy::Event, "overlap");
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(600),
        ev(
            600,
            Kind::GenerationReady {
                generation: 1,
                ready_ms: 80,
            },
        ),
    );
    d.step(
        at(5600),
        Input::Probe {
            generation: 1,
            result: Err("answered 500".into()),
        },
    );
    assert_eq!(d.failure().map(|f| f.0), Some(exit::REQUESTS));
}

#[test]
fn a_signal_reload_completes_without_a_new_generation() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Event, "signal");
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(600),
        ev(
            600,
            Kind::GenerationReady {
                generation: 1,
                ready_ms: 80,
            },
        ),
    );
    d.step(
        at(1000),
        ev(1000, Kind::BuildStarted { build: 2, pid: 300 }),
    );
    d.step(
        at(1400),
        ev(
            1400,
            Kind::BuildOk {
                build: 2,
                duration_ms: 400,
            },
        ),
    );
    let out = d.step(
        at(1405),
        ev(1405, Kind::GenerationReloaded { generation: 1 }),
    );
    assert_eq!(out, vec![Do::Settle { generation: 1 }]);
    let out = d.step(at(2405), Input::Settled { generation: 1 });
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.steps()[1].swap_ms, Some(5));
}

#[test]
fn an_overlap_rollback_fails_with_4() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Event, "overlap");
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(600),
        ev(
            600,
            Kind::GenerationReady {
                generation: 1,
                ready_ms: 80,
            },
        ),
    );
    build_and_start(&mut d, 1000, 2, 2);
    let out = d.step(at(2000), ev(2000, Kind::RolledBack { failed: 2 }));
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn a_change_the_watcher_never_sees_is_a_usage_error() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Settle, "restart");
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Input::Settled { generation: 1 });
    let timed_out = Input::ChangeTimedOut {
        step: 1,
        after: Duration::from_secs(30),
    };
    let out = d.step(at(31_600), timed_out);
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::USAGE));
}

#[test]
fn a_seen_change_disarms_the_change_timer() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Settle, "restart");
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Input::Settled { generation: 1 });
    d.step(at(1700), ev(1700, Kind::Change));
    let timed_out = Input::ChangeTimedOut {
        step: 1,
        after: Duration::from_secs(30),
    };
    assert_eq!(d.step(at(31_600), timed_out), vec![]);
}

#[test]
fn the_child_refusing_to_start_is_a_usage_error() {
    let mut d = Driver::new(3, false);
    let out = d.step(at(50), Input::ChildExited { code: Some(2) });
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::USAGE));
}

#[test]
fn the_timeout_says_what_it_waited_for() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Event, "restart");
    d.step(at(10), ev(10, Kind::BuildStarted { build: 1, pid: 100 }));
    d.step(
        at(600_000),
        Input::TimedOut {
            after: Duration::from_secs(600),
        },
    );
    assert_eq!(
        d.failure(),
        Some((
            exit::TIMEOUT,
            "timed out after 10m waiting for the build (start)"
        ))
    );
}

#[test]
fn a_spawn_failure_after_a_good_build_fails_with_the_childs_message() {
    let mut d = Driver::new(1, false);
    begin(&mut d, ReadyBy::Event, "restart");
    d.step(at(10), ev(10, Kind::BuildStarted { build: 1, pid: 100 }));
    d.step(
        at(500),
        ev(
            500,
            Kind::BuildOk {
                build: 1,
                duration_ms: 490,
            },
        ),
    );
    d.step(
        at(501),
        ev(
            501,
            Kind::Error {
                message: "generation 1: tmp/server: not found".into(),
            },
        ),
    );
    d.step(at(501), ev(501, Kind::Waiting));
    assert_eq!(
        d.failure(),
        Some((
            exit::NOT_READY,
            "the app did not start: generation 1: tmp/server: not found"
        ))
    );
}

#[test]
fn later_events_after_a_failure_only_track_process_groups() {
    let mut d = Driver::new(1, false);
    d.step(
        at(50),
        Input::Interrupted {
            signal: 2,
            name: "SIGINT".into(),
        },
    );
    assert_eq!(d.failure().map(|f| f.0), Some(130));
    let out = d.step(
        at(60),
        ev(
            60,
            Kind::GenerationStarted {
                generation: 1,
                pid: 4242,
            },
        ),
    );
    assert_eq!(out, vec![]);
    assert!(d.groups().contains_key(&4242));
}

#[test]
fn failed_requests_fail_a_passed_step_with_5_but_keep_an_earlier_reason() {
    let mut d = Driver::new(1, true);
    begin(&mut d, ReadyBy::Check, "restart");
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(700),
        Input::Probe {
            generation: 1,
            result: Ok(()),
        },
    );
    d.step(
        at(1000),
        ev(1000, Kind::BuildStarted { build: 2, pid: 300 }),
    );
    d.step(
        at(1300),
        ev(
            1300,
            Kind::BuildFailed {
                build: 2,
                duration_ms: 300,
                status: "exit 1".into(),
            },
        ),
    );
    assert!(!d.record_requests(0, 10, 0, ""));
    assert!(!d.record_requests(1, 3, 2, "refused"));
    assert_eq!(d.failure().map(|f| f.0), Some(exit::BUILD));
    assert_eq!(d.steps()[1].requests_failed, 2);

    let mut d = Driver::new(0, true);
    begin(&mut d, ReadyBy::Check, "restart");
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(700),
        Input::Probe {
            generation: 1,
            result: Ok(()),
        },
    );
    assert!(d.record_requests(0, 8, 2, "connection refused"));
    assert_eq!(
        d.failure(),
        Some((
            exit::REQUESTS,
            "2 of 10 requests failed, e.g. connection refused"
        ))
    );
}
