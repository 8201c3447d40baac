//! Property tests: whatever the file says, loading it never panics, and every rejection of the
//! file's content names a place in it. Runs a few hundred cases in CI; set `PROPTEST_CASES`
//! (e.g. 100000) for a longer run by hand.

use clap::Parser;
use proptest::prelude::*;
use tempfile::TempDir;

use super::*;
use crate::config::error::Origin;
use crate::filter::Filter;

/// Keys hotdev knows, and a few it does not, to build plausible files from.
const KEYS: &[&str] = &[
    "[watch]",
    "[build]",
    "[run]",
    "[[listen]]",
    "[run.ready]",
    "paths",
    "extensions",
    "ignore",
    "include",
    "gitignore",
    "debounce",
    "poll",
    "command",
    "env",
    "timeout",
    "strategy",
    "reload_signal",
    "stop_signal",
    "stop_timeout",
    "ready",
    "ready_timeout",
    "restart",
    "address",
    "name",
    "comand",
    "notify",
    "log",
    "http",
    "tcp",
    "delay",
];

/// Values of every TOML type, and strings that look like what keys expect but may be wrong.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "[a-z0-9 .:/*?\\[\\]{}!$&|;~-]{0,24}".prop_map(|s| format!("{s:?}")),
        Just("\"50ms\"".to_string()),
        Just("\"unix:\"".to_string()),
        Just("\"[::1]:0\"".to_string()),
        Just("\"SIGKILL\"".to_string()),
        Just("[\"go\", 1]".to_string()),
        Just("[]".to_string()),
        Just("{ notify = true, log = \"x\" }".to_string()),
        Just("{ delay = \"1s\" }".to_string()),
        Just("{}".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
    ]
}

fn line() -> impl Strategy<Value = String> {
    (prop::sample::select(KEYS), value()).prop_map(|(key, value)| {
        if key.starts_with('[') {
            key.to_string()
        } else {
            format!("{key} = {value}")
        }
    })
}

fn check(text: &str) {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join(FILE_NAME), text).expect("write config");
    let cli = Cli::try_parse_from(["hotdev", "--no-keys"]).expect("flags parse");
    let env = Env {
        path: None,
        cargo_target_dir: None,
        own_output: Vec::new(),
    };
    if let Err(error) = load_with(&cli, dir.path(), &env) {
        let rendered = error.to_string();
        assert!(!rendered.is_empty());
        match error.origin() {
            Origin::File {
                position: Some(_), ..
            } => assert!(rendered.starts_with(".hotdev.toml:"), "{rendered}"),
            // Problems of the whole file or of the environment (no run command, a program
            // not on the empty PATH) have no line to point at.
            Origin::File { position: None, .. } | Origin::Nowhere => {}
            Origin::Flag(flag) => panic!("no flag was given, yet {flag} is blamed: {rendered}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn plausible_files_never_panic_and_point_at_a_line(
        lines in prop::collection::vec(line(), 0..12)
    ) {
        check(&lines.join("\n"));
    }

    #[test]
    fn filter_construction_never_panics(
        ignore in prop::collection::vec("[a-z*?\\[\\]{}!/\\\\.-]{0,12}", 0..4),
        include in prop::collection::vec("[a-z*?\\[\\]{}!/\\\\.-]{0,12}", 0..4),
        extensions in prop::collection::vec("[.a-zA-Z]{0,4}", 0..3),
    ) {
        let dir = TempDir::new().expect("temp dir");
        let watch = crate::watch::WatchConfig {
            paths: vec![dir.path().to_path_buf()],
            extensions,
            ignore,
            include,
            gitignore: true,
            debounce: std::time::Duration::from_millis(50),
            poll: None,
            settle: None,
            never: Vec::new(),
            files: Vec::new(),
            follow_symlinks: false,
            reload_only: vec![],
        };
        if let Ok(filter) = Filter::new(&watch, dir.path()) {
            let _ = filter.accepts(&dir.path().join("a/b.go"), false);
            let _ = filter.enters(&dir.path().join("a"));
        }
    }
}
