//! The JSON schema pinned: every variant's fields against the README's table, and every
//! variant read back as it was written (what `hotdev smoke` relies on).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;

const README: &str = include_str!("../../README.md");

/// One sample of every variant; [`variant`] makes a new variant impossible to forget.
fn samples() -> Vec<Message> {
    let ms = Duration::from_millis;
    vec![
        Message::Started {
            version: VERSION.into(),
            root: "/p".into(),
            config: Some("/p/.hotdev.toml".into()),
            strategy: SwapStrategy::Overlap,
            ready: Some(ReadyKind::Notify),
            build: Some("go build -o tmp/app .".into()),
            run: "tmp/app".into(),
        },
        Message::Watching { dirs: 4 },
        Message::Listening {
            address: "127.0.0.1:8080".into(),
            name: "http".into(),
            fd: 3,
        },
        Message::Proxy {
            url: "http://127.0.0.1:3000".into(),
            target: "127.0.0.1:8080".into(),
        },
        Message::Browser {
            action: PageAction::Css,
            pages: 2,
            paths: vec!["static/app.css".into()],
        },
        Message::Change {
            paths: vec!["/p/a.go".into()],
            count: 1,
            overflow: false,
            tentative: true,
            root: PathBuf::new(),
        },
        Message::Ignored {
            paths: vec!["/p/tmp/x".into()],
        },
        Message::WaitingFor {
            apps: vec!["api".into()],
        },
        Message::RestartWith {
            swapped: "api".into(),
        },
        Message::BuildShared {
            build: 2,
            with_app: "api".into(),
            with_build: 1,
        },
        Message::BuildStarted {
            build: 1,
            pid: 100,
            speculative: false,
            spinner: false,
        },
        Message::BuildCancelled {
            build: 1,
            reason: CancelCause::NewerChange,
        },
        Message::BuildOk {
            build: 2,
            duration: ms(840),
        },
        Message::BuildFailed {
            build: 3,
            duration: ms(840),
            status: "exit 1".into(),
            serving: Some(2),
        },
        Message::BuildOutput {
            build: 3,
            failed: true,
            lines: vec!["error".into()],
        },
        Message::GenerationStarted {
            generation: 2,
            pid: 200,
            previous: Some(1),
        },
        Message::GenerationReady {
            generation: 2,
            ready: ms(42),
        },
        Message::GenerationNotReady {
            generation: 2,
            reason: "no sign of readiness within 30s".into(),
        },
        Message::GenerationStopping {
            generation: 1,
            signal: "SIGTERM".into(),
        },
        Message::GenerationKilled {
            generation: 1,
            after: ms(5000),
        },
        Message::GenerationExited {
            generation: 1,
            status: ExitStatus::Signal(15),
            requested: true,
            duration: ms(5),
        },
        Message::GenerationReloaded {
            generation: 1,
            signal: "SIGHUP".into(),
        },
        Message::RolledBack {
            failed: 3,
            kept: Some(2),
        },
        Message::Waiting,
        Message::ConfigReloaded {
            path: "/p/.hotdev.toml".into(),
        },
        Message::EnvFileChanged {
            path: "/p/.env".into(),
            action: Redo::Restart,
        },
        Message::Restarting {
            attempt: 2,
            delay: ms(400),
        },
        Message::Requested {
            action: Redo::Rebuild,
            key: 'r',
        },
        Message::Paused { paused: true },
        Message::Help {
            text: "keys".into(),
        },
        Message::Shutdown {
            signal: "SIGINT".into(),
        },
        Message::Warning {
            kind: WarningKind::ForkingWrapper,
            generation: None,
            message: "m".into(),
            hint: "h".into(),
        },
        Message::Error {
            message: "m".into(),
        },
        Message::Exit { code: 0 },
    ]
}

/// The variant's position: an exhaustive match, so a new variant fails to compile here until
/// it has a sample (and, through the test below, a README row).
fn variant(message: &Message) -> usize {
    use Message::*;
    match message {
        Started { .. } => 0,
        Watching { .. } => 1,
        Listening { .. } => 2,
        Change { .. } => 3,
        Ignored { .. } => 4,
        BuildStarted { .. } => 5,
        BuildCancelled { .. } => 6,
        BuildOk { .. } => 7,
        BuildFailed { .. } => 8,
        BuildOutput { .. } => 9,
        GenerationStarted { .. } => 10,
        GenerationReady { .. } => 11,
        GenerationNotReady { .. } => 12,
        GenerationStopping { .. } => 13,
        GenerationKilled { .. } => 14,
        GenerationExited { .. } => 15,
        GenerationReloaded { .. } => 16,
        RolledBack { .. } => 17,
        Waiting => 18,
        ConfigReloaded { .. } => 19,
        EnvFileChanged { .. } => 20,
        Restarting { .. } => 21,
        Requested { .. } => 22,
        Paused { .. } => 23,
        Help { .. } => 24,
        Shutdown { .. } => 25,
        Warning { .. } => 26,
        Error { .. } => 27,
        Exit { .. } => 28,
        Proxy { .. } => 29,
        Browser { .. } => 30,
        BuildShared { .. } => 31,
        RestartWith { .. } => 32,
        WaitingFor { .. } => 33,
    }
}

/// The README's "JSON events" table: event name → its field names (the backticked words
/// outside parentheses; those inside are values and notes).
fn readme_schema() -> Vec<(String, BTreeSet<String>)> {
    let start = README
        .find("### JSON events (`--log-format json`)")
        .expect("the README documents the JSON events");
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in README[start..].lines().skip(1) {
        if !line.starts_with('|') {
            if in_table {
                break;
            }
            continue;
        }
        in_table = true;
        let cells: Vec<&str> = line.trim_matches('|').splitn(2, '|').collect();
        let [name, fields] = cells[..] else { continue };
        let Some(name) = name
            .trim()
            .strip_prefix('`')
            .and_then(|n| n.strip_suffix('`'))
        else {
            continue; // the header and its rule
        };
        rows.push((name.to_string(), top_level_code(fields)));
    }
    rows
}

fn top_level_code(text: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    let (mut depth, mut word): (i32, Option<String>) = (0, None);
    for c in text.chars() {
        match (c, word.as_mut()) {
            ('`', Some(_)) => {
                if let Some(w) = word.take().filter(|_| depth == 0) {
                    words.insert(w);
                }
            }
            (c, Some(w)) => w.push(c),
            ('`', None) => word = Some(String::new()),
            ('(', None) => depth += 1,
            (')', None) => depth -= 1,
            _ => {}
        }
    }
    words
}

#[test]
fn every_event_has_exactly_the_fields_the_readme_lists() {
    let samples = samples();
    let covered: BTreeSet<usize> = samples.iter().map(variant).collect();
    assert_eq!(covered.len(), samples.len(), "one sample per variant");
    assert_eq!(
        covered,
        (0..samples.len()).collect(),
        "a sample of every variant"
    );
    let documented = readme_schema();
    let mut written = Vec::new();
    for message in &samples {
        let Value::Object(map) = serde_json::to_value(message).unwrap() else {
            panic!("{message:?} is not a JSON object");
        };
        let name = map["event"].as_str().unwrap().to_string();
        let fields = map.keys().filter(|k| *k != "event").cloned().collect();
        written.push((name, fields));
    }
    written.sort();
    let mut documented = documented;
    documented.sort();
    let differ: Vec<String> = written
        .iter()
        .filter(|row| !documented.contains(row))
        .map(|(name, fields)| format!("written: {name} {fields:?}"))
        .chain(
            documented
                .iter()
                .filter(|row| !written.contains(row))
                .map(|(name, fields)| format!("README:  {name} {fields:?}")),
        )
        .collect();
    assert!(
        differ.is_empty(),
        "the JSON events and the README table (README.md, JSON events) differ: add the \
         field to the table, never rename one\n{}",
        differ.join("\n")
    );
}

#[test]
fn every_event_reads_back_as_it_was_written() {
    for message in samples() {
        let line = serde_json::to_string(&Stamped {
            message: &message,
            ts_ms: 1200,
            app: None,
        })
        .unwrap();
        let back: Stamped<Message> = serde_json::from_str(&line).unwrap();
        assert_eq!(back.message, message, "{line}");
        assert_eq!(back.ts_ms, 1200);
    }
}

#[test]
fn json_build_failed_has_stable_fields() {
    let v = serde_json::to_value(Stamped {
        message: Message::BuildFailed {
            build: 3,
            duration: Duration::from_millis(840),
            status: "exit 1".into(),
            serving: Some(2),
        },
        ts_ms: 7,
        app: None,
    })
    .unwrap();
    assert_eq!(
        v,
        json!({"event": "build_failed", "build": 3, "duration_ms": 840, "status": "exit 1", "serving": 2, "ts_ms": 7})
    );
}

#[test]
fn json_exited_splits_code_and_signal() {
    let v = serde_json::to_value(Message::GenerationExited {
        generation: 1,
        status: ExitStatus::Signal(15),
        requested: true,
        duration: Duration::from_millis(5),
    })
    .unwrap();
    assert_eq!(v["code"], Value::Null);
    assert_eq!(v["signal"], json!(15));
    assert_eq!(v["status"], json!("signal 15 (SIGTERM)"));
}

#[test]
fn json_names_strategies_reasons_and_actions_in_snake_case() {
    let started = serde_json::to_value(&samples()[0]).unwrap();
    assert_eq!(started["strategy"], json!("overlap"));
    assert_eq!(started["ready"], json!("notify"));
    let cancelled = serde_json::to_value(Message::BuildCancelled {
        build: 1,
        reason: CancelCause::Shutdown,
    })
    .unwrap();
    assert_eq!(cancelled["reason"], json!("shutdown"));
    let requested = serde_json::to_value(Message::Requested {
        action: Redo::Rebuild,
        key: 'r',
    })
    .unwrap();
    assert_eq!(
        requested,
        json!({"event": "requested", "action": "rebuild", "key": "r"})
    );
}

#[test]
fn json_build_output_carries_the_text_without_escape_codes() {
    let v = serde_json::to_value(Message::BuildOutput {
        build: 1,
        failed: true,
        lines: vec![
            "\x1b[1m\x1b[91merror[E0308]\x1b[0m\x1b[1m: mismatched types\x1b[0m".to_string(),
            "\x1b[K  --> src/main.rs:2:5".to_string(),
            "plain".to_string(),
        ],
    })
    .unwrap();
    assert_eq!(
        v["lines"],
        json!([
            "error[E0308]: mismatched types",
            "  --> src/main.rs:2:5",
            "plain"
        ])
    );
}
