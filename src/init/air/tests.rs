use super::watch_keys::regex_as_glob;
use super::*;

const EVERY_KEY: &str = include_str!("../../../fixtures/air/every-key.toml");
const MINIMAL: &str = include_str!("../../../fixtures/air/minimal.toml");
const FULL_BIN: &str = include_str!("../../../fixtures/air/full-bin.toml");
const PROXY: &str = include_str!("../../../fixtures/air/proxy.toml");

fn hotdev(text: &str) -> Table {
    translate(text).unwrap().text.parse().unwrap()
}

fn get<'a>(t: &'a Table, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = t.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

fn strs(t: &Table, path: &str) -> Vec<String> {
    get(t, path).map(strings).unwrap_or_default()
}

/// Every key in `text` (dotted, tables and arrays of tables by name).
fn air_keys(text: &str) -> Vec<String> {
    let table: Table = text.parse().unwrap();
    let mut keys = Vec::new();
    for (key, value) in &table {
        match value {
            Value::Table(inner) if key != "proxy" && key != "color" => {
                keys.extend(inner.keys().map(|k| format!("{key}.{k}")));
            }
            _ => keys.push(key.clone()),
        }
    }
    keys
}

#[test]
fn every_air_key_gets_a_note() {
    for text in [EVERY_KEY, MINIMAL, FULL_BIN, PROXY] {
        let notes = translate(text).unwrap().notes;
        for key in air_keys(text) {
            assert!(
                notes.iter().any(|n| n.key == key),
                "no note for `{key}`; notes: {notes:#?}"
            );
        }
    }
}

#[test]
fn the_every_key_config_maps_to_what_air_did() {
    let t = hotdev(EVERY_KEY);
    assert_eq!(
        get(&t, "build.command").and_then(Value::as_str),
        Some("echo pre > tmp/pre.txt && go build -o ./tmp/server .")
    );
    assert_eq!(
        get(&t, "run.command").and_then(Value::as_str),
        Some("./tmp/server --verbose")
    );
    assert_eq!(strs(&t, "watch.extensions"), ["go", "tpl", "tmpl", "html"]);
    let ignore = strs(&t, "watch.ignore");
    for glob in [
        "tmp/**",
        "testdata/**",
        "assets/**",
        "vendor/**",
        "frontend/node_modules/**",
        "version_gen.go",
        "**/*_test.go*",
        "zz_*",
    ] {
        assert!(
            ignore.contains(&glob.to_string()),
            "{glob} not in {ignore:?}"
        );
    }
    assert_eq!(
        get(&t, "watch.debounce").and_then(Value::as_str),
        Some("200ms")
    );
    assert_eq!(
        get(&t, "watch.follow_symlinks").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(
        get(&t, "run.stop_signal").and_then(Value::as_str),
        Some("SIGINT")
    );
    assert_eq!(
        get(&t, "run.stop_timeout").and_then(Value::as_str),
        Some("750ms")
    );
    assert!(get(&t, "watch.poll").is_none());
    let notes = translate(EVERY_KEY).unwrap().notes;
    let note = |key: &str| notes.iter().find(|n| n.key == key).unwrap();
    assert!(!note("build.post_cmd").mapped);
    assert!(note("build.post_cmd").text.contains("echo post > post.txt"));
    assert!(!note("build.windows").mapped);
    assert!(!note("build.rules").mapped);
    assert!(note("env_files").mapped);
    for table in ["build", "run"] {
        let files = get(&t, &format!("{table}.env_file")).and_then(Value::as_array);
        assert_eq!(
            files.map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>()),
            Some(vec![".env"]),
            "{table}"
        );
    }
}

#[test]
fn a_minimal_config_keeps_airs_defaults() {
    let t = hotdev(MINIMAL);
    assert_eq!(
        get(&t, "build.command").and_then(Value::as_str),
        Some("go build -o ./tmp/server .")
    );
    assert_eq!(
        get(&t, "run.command").and_then(Value::as_str),
        Some("./tmp/server")
    );
    assert_eq!(strs(&t, "watch.extensions"), ["go", "tpl", "tmpl", "html"]);
    let ignore = strs(&t, "watch.ignore");
    for glob in [
        "tmp/**",
        "assets/**",
        "vendor/**",
        "testdata/**",
        "**/*_test.go*",
    ] {
        assert!(
            ignore.contains(&glob.to_string()),
            "{glob} not in {ignore:?}"
        );
    }
    // air's 1s default delay is not carried over: hotdev's debounce is better at it.
    assert!(get(&t, "watch.debounce").is_none());
}

#[test]
fn full_bin_splits_its_environment_into_run_env() {
    let t = hotdev(FULL_BIN);
    assert_eq!(
        get(&t, "run.command").and_then(Value::as_str),
        Some("./tmp/server")
    );
    assert_eq!(
        get(&t, "run.env.APP_ENV").and_then(Value::as_str),
        Some("dev")
    );
    assert_eq!(
        get(&t, "run.env.GREETING").and_then(Value::as_str),
        Some("hello air")
    );
    assert_eq!(
        get(&t, "watch.debounce").and_then(Value::as_str),
        Some("1000ms")
    );
    assert_eq!(
        get(&t, "run.stop_timeout").and_then(Value::as_str),
        Some("500ms")
    );
    assert_eq!(strs(&t, "watch.extensions"), ["go"]);
}

#[test]
fn an_enabled_proxy_becomes_hotdevs_proxy() {
    let translation = translate(PROXY).unwrap();
    let proxy = translation.notes.iter().find(|n| n.key == "proxy").unwrap();
    assert!(proxy.mapped, "{}", proxy.text);
    let t: Table = translation.text.parse().unwrap();
    assert_eq!(
        get(&t, "proxy.address").and_then(Value::as_str),
        Some("127.0.0.1:8090")
    );
    assert_eq!(
        get(&t, "proxy.target").and_then(Value::as_str),
        Some("127.0.0.1:8080")
    );
    assert_eq!(
        get(&t, "proxy.hold_timeout").and_then(Value::as_str),
        Some("5000ms")
    );
    let screen = translation
        .notes
        .iter()
        .find(|n| n.key == "screen.clear_on_rebuild")
        .unwrap();
    assert!(screen.text.contains("--clear"));
}

#[test]
fn a_proxy_without_a_port_is_a_note_and_a_disabled_one_sets_nothing() {
    let no_port =
        "[build]\ncmd = \"go build -o tmp/app .\"\n[proxy]\nenabled = true\napp_port = 8080\n";
    let translation = translate(no_port).unwrap();
    let proxy = translation.notes.iter().find(|n| n.key == "proxy").unwrap();
    assert!(
        !proxy.mapped && proxy.text.contains("proxy_port"),
        "{}",
        proxy.text
    );
    let t: Table = translation.text.parse().unwrap();
    assert!(t.get("proxy").is_none(), "{}", translation.text);

    let disabled =
        "[build]\ncmd = \"go build -o tmp/app .\"\n[proxy]\nenabled = false\nproxy_port = 8090\n";
    let translation = translate(disabled).unwrap();
    let t: Table = translation.text.parse().unwrap();
    assert!(t.get("proxy").is_none(), "{}", translation.text);
}

#[test]
fn regexes_become_globs_where_they_are_literals() {
    assert_eq!(
        regex_as_glob("_test\\.go").as_deref(),
        Some("**/*_test.go*")
    );
    assert_eq!(regex_as_glob("\\.pb\\.go$").as_deref(), Some("**/*.pb.go"));
    assert_eq!(regex_as_glob("^gen/.*").as_deref(), Some("gen/*"));
    assert_eq!(regex_as_glob("(foo|bar)\\.go"), None);
    assert_eq!(regex_as_glob("a+b"), None);
}

#[test]
fn pre_cmds_run_before_every_build_and_platform_overrides_apply_on_linux() {
    let t = hotdev(
        "[build]\npre_cmd = [\"a\", \"b\"]\ncmd = \"make\"\n[build.linux]\ncmd = \"make linux\"\n",
    );
    assert_eq!(
        get(&t, "build.command").and_then(Value::as_str),
        Some("a && b && make linux")
    );
}

#[test]
fn an_unknown_key_is_named_and_bad_toml_is_an_error() {
    let notes = translate("colour = 1\n[build]\nbogus = 2\n").unwrap().notes;
    assert!(notes.iter().any(|n| n.key == "colour" && !n.mapped));
    assert!(notes.iter().any(|n| n.key == "build.bogus" && !n.mapped));
    assert!(translate("[build\n").is_err());
}

#[test]
fn huge_numbers_are_bounded_to_what_hotdev_accepts() {
    let t = hotdev(
        "[build]\npoll = true\npoll_interval = 9223372036854775807\ndelay = 9223372036854775807\nkill_delay = 9223372036854775807\n",
    );
    assert_eq!(
        get(&t, "watch.poll").and_then(Value::as_str),
        Some("3600000ms")
    );
    assert_eq!(
        get(&t, "watch.debounce").and_then(Value::as_str),
        Some("3600000ms")
    );
    assert_eq!(
        get(&t, "run.stop_timeout").and_then(Value::as_str),
        Some("86400000ms")
    );
}

#[test]
fn bin_may_hold_arguments_as_air_runs_it_through_a_shell() {
    let t =
        hotdev("[build]\ncmd = \"true\"\nbin = \"./tmp/app --port 8080\"\nargs_bin = [\"-v\"]\n");
    assert_eq!(
        get(&t, "run.command").and_then(Value::as_str),
        Some("./tmp/app --port 8080 -v")
    );
}
