//! Config reloads: hotdev's own files reload the configuration, and the engine decides what
//! the new one takes.

use super::*;

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
        assets: vec![],
        overflow: false,
        tentative,
        burst: 0,
    })
}

fn reconfigured() -> Event {
    Event::Reconfigured {
        settings: own_settings(),
        listen_changed: false,
        unchanged: false,
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
            assets: vec![],
            overflow: false,
            tentative: false,
            burst: 0,
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
        unchanged: false,
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
        unchanged: false,
    });
    assert_eq!(
        only_effects(e.decisions(ok(2))),
        vec![Action::ReloadGeneration { generation: 1 }]
    );
}

#[test]
fn a_config_edit_that_left_this_app_as_it_was_asks_nothing_of_it() {
    let mut e = serving_with_own_files();
    e.step(changes(&[CONFIG], false));
    let actions = e.step(Event::Reconfigured {
        settings: own_settings(),
        listen_changed: false,
        unchanged: true,
    });
    assert_eq!(actions, vec![], "no build, no restart, nothing to say");
    // An env file is read again whatever the config says: it still counts.
    let mut e = serving_with_own_files();
    e.step(changes(&[CONFIG, RUN_ENV], false));
    let actions = e.step(Event::Reconfigured {
        settings: own_settings(),
        listen_changed: false,
        unchanged: true,
    });
    assert!(!actions.is_empty(), "{actions:?}");
}
