mod browser;
mod build;
mod generation;
mod reload;
mod restart;
mod speculative;
mod timers;

use std::time::Duration;

use super::*;

fn engine(strategy: SwapStrategy) -> Engine {
    Engine::new(Settings::new(true, strategy))
}

fn change(path: &str) -> Event {
    Event::Changed(ChangeSet {
        paths: vec![PathBuf::from(path)],
        assets: vec![],
        overflow: false,
        tentative: false,
        burst: 0,
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
