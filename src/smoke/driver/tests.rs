//! The driver's rules, fed with event sequences as the child writes them.

use super::*;
use crate::report::Message;
use crate::smoke::event::ChildEvent;

fn ev(ts_ms: u64, message: Message) -> Seen {
    Seen::Event(ChildEvent {
        ts_ms,
        message,
        app: None,
    })
}

/// A driver for `reloads` reloads whose configuration smoke could read.
fn driver(reloads: usize, has_check: bool) -> Driver {
    Driver::new(reloads, has_check, Some(ReadyBy::Settle))
}

fn begin(d: &mut Driver, ready_by: ReadyBy, strategy: SwapStrategy) {
    let out = d.step(Duration::ZERO, Seen::Begin { strategy, ready_by });
    assert_eq!(out, vec![]);
}

fn change() -> Message {
    Message::Change {
        paths: vec!["/p/main.go".into()],
        count: 1,
        overflow: false,
        tentative: false,
        root: Default::default(),
    }
}

fn build_started(build: u64, pid: i32) -> Message {
    Message::BuildStarted {
        build,
        pid,
        speculative: false,
        spinner: false,
    }
}

fn build_ok(build: u64, ms: u64) -> Message {
    Message::BuildOk {
        build,
        duration: at(ms),
    }
}

fn build_failed(build: u64, ms: u64, status: &str) -> Message {
    Message::BuildFailed {
        build,
        duration: at(ms),
        status: status.into(),
        serving: None,
    }
}

fn generation_started(generation: u64, pid: i32) -> Message {
    Message::GenerationStarted {
        generation,
        pid,
        previous: None,
    }
}

fn generation_ready(generation: u64, ms: u64) -> Message {
    Message::GenerationReady {
        generation,
        ready: at(ms),
    }
}

fn generation_not_ready(generation: u64, reason: &str) -> Message {
    Message::GenerationNotReady {
        generation,
        reason: reason.into(),
    }
}

fn generation_exited(generation: u64, code: i32, requested: bool) -> Message {
    Message::GenerationExited {
        generation,
        status: crate::engine::ExitStatus::Code(code),
        requested,
        duration: at(10),
    }
}

fn generation_reloaded(generation: u64) -> Message {
    Message::GenerationReloaded {
        generation,
        signal: "SIGHUP".into(),
    }
}

fn rolled_back(failed: u64) -> Message {
    Message::RolledBack { failed, kept: None }
}

fn error(message: &str) -> Message {
    Message::Error {
        message: message.into(),
    }
}

fn at(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Feeds a build `b` that succeeds and a generation `g` that starts, under restart.
fn build_and_start(d: &mut Driver, t: u64, b: u64, g: u64) -> Vec<Do> {
    assert_eq!(d.step(at(t), ev(t, change())), vec![]);
    d.step(at(t), ev(t, build_started(b, 100 + b as i32)));
    d.step(at(t + 500), ev(t + 500, build_ok(b, 500)));
    d.step(
        at(t + 520),
        ev(t + 520, generation_started(g, 200 + g as i32)),
    )
}

#[test]
fn a_clean_run_with_readiness_and_check_passes_every_step() {
    let mut d = driver(1, true);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Restart);
    assert_eq!(build_and_start(&mut d, 0, 1, 1), vec![]);
    let out = d.step(at(600), ev(600, generation_ready(1, 80)));
    assert_eq!(
        out,
        vec![Do::Probe {
            generation: 1,
            within: VERIFY_WITHIN
        }]
    );
    let out = d.step(
        at(610),
        Seen::Probe {
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
    d.step(at(1100), ev(1100, generation_exited(1, 0, true)));
    assert_eq!(build_and_start(&mut d, 1000, 2, 2), vec![]);
    d.step(at(1600), ev(1600, generation_ready(2, 70)));
    let out = d.step(
        at(1610),
        Seen::Probe {
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
    let mut d = driver(2, false);
    begin(&mut d, ReadyBy::Settle, SwapStrategy::Restart);
    assert_eq!(
        build_and_start(&mut d, 0, 1, 1),
        vec![Do::Settle { generation: 1 }]
    );
    d.step(at(1600), Seen::Settled { generation: 1 });
    d.step(at(2000), ev(2000, change()));
    d.step(at(2000), ev(2000, build_started(2, 300)));
    let out = d.step(at(2300), ev(2300, build_failed(2, 300, "exit 1")));
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(
        d.failure(),
        Some((exit::BUILD, "build 2 failed (exit 1) after 300ms"))
    );
    assert_eq!(d.steps()[2].outcome, Outcome::NotRun);
}

#[test]
fn a_generation_that_is_not_ready_fails_with_4() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    let out = d.step(
        at(3600),
        ev(
            3600,
            generation_not_ready(1, "no sign of readiness within 3s"),
        ),
    );
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn a_generation_exiting_on_its_own_fails_with_4_but_a_requested_stop_does_not() {
    let mut d = driver(2, false);
    begin(&mut d, ReadyBy::Settle, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Seen::Settled { generation: 1 });
    let exited = |g, requested| ev(2100, generation_exited(g, 1, requested));
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
    let mut d = driver(1, true);
    begin(&mut d, ReadyBy::Check, SwapStrategy::Restart);
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
            Seen::Probe {
                generation: 9,
                result: Ok(())
            }
        ),
        vec![]
    );
    let out = d.step(
        at(30_600),
        Seen::Probe {
            generation: 1,
            result: Err("connection refused".into()),
        },
    );
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn check_failing_after_the_ready_event_fails_with_5() {
    let mut d = driver(0, true);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Overlap);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(600), ev(600, generation_ready(1, 80)));
    d.step(
        at(5600),
        Seen::Probe {
            generation: 1,
            result: Err("answered 500".into()),
        },
    );
    assert_eq!(d.failure().map(|f| f.0), Some(exit::REQUESTS));
}

#[test]
fn a_signal_reload_completes_without_a_new_generation() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Signal);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(600), ev(600, generation_ready(1, 80)));
    d.step(at(1000), ev(1000, build_started(2, 300)));
    d.step(at(1400), ev(1400, build_ok(2, 400)));
    let out = d.step(at(1405), ev(1405, generation_reloaded(1)));
    assert_eq!(out, vec![Do::Settle { generation: 1 }]);
    let out = d.step(at(2405), Seen::Settled { generation: 1 });
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.steps()[1].swap_ms, Some(5));
}

#[test]
fn an_overlap_rollback_fails_with_4() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Overlap);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(600), ev(600, generation_ready(1, 80)));
    build_and_start(&mut d, 1000, 2, 2);
    let out = d.step(at(2000), ev(2000, rolled_back(2)));
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::NOT_READY));
}

#[test]
fn a_change_the_watcher_never_sees_is_a_usage_error() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Settle, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Seen::Settled { generation: 1 });
    let timed_out = Seen::ChangeTimedOut {
        step: 1,
        after: Duration::from_secs(30),
    };
    let out = d.step(at(31_600), timed_out);
    assert_eq!(out, vec![Do::Report { index: 1 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::USAGE));
}

#[test]
fn a_seen_change_disarms_the_change_timer() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Settle, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    d.step(at(1600), Seen::Settled { generation: 1 });
    d.step(at(1700), ev(1700, change()));
    let timed_out = Seen::ChangeTimedOut {
        step: 1,
        after: Duration::from_secs(30),
    };
    assert_eq!(d.step(at(31_600), timed_out), vec![]);
}

#[test]
fn the_child_refusing_to_start_is_a_usage_error() {
    let mut d = driver(3, false);
    let out = d.step(at(50), Seen::ChildExited { code: Some(2) });
    assert_eq!(out, vec![Do::Report { index: 0 }, Do::Shutdown]);
    assert_eq!(d.failure().map(|f| f.0), Some(exit::USAGE));
}

#[test]
fn the_timeout_says_what_it_waited_for() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Restart);
    d.step(at(10), ev(10, build_started(1, 100)));
    d.step(
        at(600_000),
        Seen::TimedOut {
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
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Readiness, SwapStrategy::Restart);
    d.step(at(10), ev(10, build_started(1, 100)));
    d.step(at(500), ev(500, build_ok(1, 490)));
    d.step(
        at(501),
        ev(501, error("generation 1: tmp/server: not found")),
    );
    d.step(at(501), ev(501, Message::Waiting));
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
    let mut d = driver(1, false);
    d.step(
        at(50),
        Seen::Interrupted {
            signal: 2,
            name: "SIGINT".into(),
        },
    );
    assert_eq!(d.failure().map(|f| f.0), Some(130));
    let out = d.step(at(60), ev(60, generation_started(1, 4242)));
    assert_eq!(out, vec![]);
    assert!(d.groups().contains_key(&4242));
}

#[test]
fn failed_requests_fail_a_passed_step_with_5_but_keep_an_earlier_reason() {
    let mut d = driver(1, true);
    begin(&mut d, ReadyBy::Check, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(700),
        Seen::Probe {
            generation: 1,
            result: Ok(()),
        },
    );
    d.step(at(1000), ev(1000, build_started(2, 300)));
    d.step(at(1300), ev(1300, build_failed(2, 300, "exit 1")));
    assert!(!d.record_requests(0, 10, 0, ""));
    assert!(!d.record_requests(1, 3, 2, "refused"));
    assert_eq!(d.failure().map(|f| f.0), Some(exit::BUILD));
    assert_eq!(d.steps()[1].requests_failed, 2);

    let mut d = driver(0, true);
    begin(&mut d, ReadyBy::Check, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    d.step(
        at(700),
        Seen::Probe {
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

#[test]
fn a_refusal_to_start_states_the_childs_own_error() {
    // The closing line of a CI log must say why (a port in use), not "see above".
    let mut d = Driver::new(3, false, Some(ReadyBy::Readiness));
    d.step(
        at(40),
        Seen::ChildError {
            message: "cannot listen on 127.0.0.1:8080: address already in use".into(),
        },
    );
    d.step(at(50), Seen::ChildExited { code: Some(2) });
    assert_eq!(
        d.failure(),
        Some((
            exit::USAGE,
            "hotdev refused to start: cannot listen on 127.0.0.1:8080: address already in use"
        ))
    );
    // The readiness the configuration names, not the settle time nobody configured.
    assert_eq!(d.ready_by(), Some(ReadyBy::Readiness));
}

#[test]
fn readiness_is_unknown_only_when_smoke_could_not_read_the_configuration() {
    let d = Driver::new(1, false, None);
    assert_eq!(d.ready_by(), None);
    assert!(ReadyBy::describe(None).contains("not known"));
    assert_eq!(ReadyBy::choose(true, true), ReadyBy::Readiness);
    assert_eq!(ReadyBy::choose(false, true), ReadyBy::Check);
    assert_eq!(ReadyBy::choose(false, false), ReadyBy::Settle);
}

fn stopped(child: ChildStop) -> Stopped {
    Stopped {
        child,
        restore_failed: None,
        alive: vec![],
        took: at(30),
    }
}

#[test]
fn a_clean_stop_passes_the_shutdown_step() {
    let d = driver(1, false);
    for child in [ChildStop::AlreadyGone, ChildStop::Exited(Some(0))] {
        let step = d.shutdown_step(&stopped(child));
        assert_eq!(step.name, "shutdown");
        assert_eq!(step.outcome, Outcome::Passed);
        assert_eq!(step.total_ms, Some(30));
    }
}

#[test]
fn a_child_that_must_be_killed_or_exits_badly_fails_the_shutdown() {
    let d = driver(1, false);
    let killed = d.shutdown_step(&stopped(ChildStop::Killed {
        within: Duration::from_secs(30),
    }));
    assert_eq!(
        killed.outcome,
        Outcome::Failed {
            code: exit::LEFT_BEHIND,
            reason: "hotdev did not stop within 30s of SIGTERM: killed".into()
        }
    );
    let bad = d.shutdown_step(&stopped(ChildStop::Exited(Some(1))));
    assert_eq!(
        bad.outcome,
        Outcome::Failed {
            code: exit::INTERNAL,
            reason: "hotdev exited with code 1 when asked to stop".into()
        }
    );
}

#[test]
fn groups_left_behind_are_named_for_what_they_were() {
    let mut d = driver(1, false);
    begin(&mut d, ReadyBy::Settle, SwapStrategy::Restart);
    build_and_start(&mut d, 0, 1, 1);
    let mut facts = stopped(ChildStop::Exited(Some(0)));
    facts.alive = vec![201];
    assert_eq!(
        d.shutdown_step(&facts).outcome,
        Outcome::Failed {
            code: exit::LEFT_BEHIND,
            reason: "left behind after the stop: process group 201 (generation 1) (killed now)"
                .into()
        }
    );
}

#[test]
fn after_an_interrupt_the_restore_comes_first_in_the_verdict() {
    let mut d = driver(1, false);
    let mut facts = stopped(ChildStop::Exited(Some(1)));
    facts.restore_failed = Some("cannot restore main.go: read-only".into());
    let first = |d: &Driver| match d.shutdown_step(&facts).outcome {
        Outcome::Failed { reason, .. } => reason,
        other => panic!("{other:?}"),
    };
    assert!(!d.restore_first());
    assert_eq!(first(&d), "hotdev exited with code 1 when asked to stop");
    d.step(
        at(5),
        Seen::Interrupted {
            signal: 15,
            name: "SIGTERM".into(),
        },
    );
    assert!(d.restore_first());
    assert_eq!(first(&d), "cannot restore main.go: read-only");
}
