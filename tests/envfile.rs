//! `run.env_file` / `build.env_file` on the real binary: precedence, a changed file restarting
//! the app without a build, and bad files with their position.

mod support;

use serde_json::json;
use support::*;

const APP: &str = "sh -c 'echo \"vars A=$A B=$B C=$C\"; exec sleep 600'";

fn project(env: &str, extra_run: &str) -> Fixture {
    let fx = Fixture::empty();
    fx.write(".env", env);
    fx.write(
        ".hotdev.toml",
        &format!(
            "[build]\ncommand = \"true\"\n\n[run]\ncommand = \"{}\"\nenv_file = \".env\"\n{extra_run}",
            APP.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    );
    fx
}

/// Waits for the app to print `vars …` equal to `want`.
fn wait_vars(h: &Hotdev, want: &str) {
    let line = format!("stdout| vars {want}");
    wait_until(SHORT, "the app to print its variables", || {
        h.lines().iter().any(|l| l.trim_end() == line)
    })
    .unwrap_or_else(|e| panic!("{e}\nno `{line}`\n{}", h.tail(30)));
}

#[test]
fn explicit_env_wins_over_the_file_which_wins_over_the_inherited_environment() {
    let fx = project("A=file\nB=file\nC=file\n", "env = { B = \"explicit\" }\n");
    let h = Hotdev::start_with_env(fx.path(), &[], &[("C", "inherited"), ("A", "inherited")]);
    wait_vars(&h, "A=file B=explicit C=file");
}

#[test]
fn a_changed_run_env_file_restarts_the_app_without_a_build() {
    let fx = project("A=1\n", "");
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    wait_vars(&h, "A=1 B= C=");
    fx.atomic_write(".env", "A=2\n");
    h.wait_for("env_file_changed", &[("action", json!("restart"))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    h.wait_for("generation_started", &[("generation", json!(2))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    wait_vars(&h, "A=2 B= C=");
    assert_eq!(h.count("build_started"), 1, "{}", h.tail(30));
}

#[test]
fn a_changed_build_env_file_rebuilds() {
    let fx = Fixture::empty();
    fx.write("build.env", "MODE=one\n");
    fx.write(
        ".hotdev.toml",
        "[build]\ncommand = \"test $MODE = one\"\nenv_file = \"build.env\"\n\n\
         [run]\ncommand = \"sleep 600\"\n",
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    fx.write("build.env", "MODE=two\n");
    h.wait_for("env_file_changed", &[("action", json!("rebuild"))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    h.wait_for("build_started", &[("build", json!(2))], SHORT)
        .unwrap();
    // The build sees the new value: `test two = one` fails.
    h.wait_for("build_failed", &[("build", json!(2))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
}

#[test]
fn a_malformed_env_file_is_an_error_at_its_line_and_column() {
    let fx = project("A=1\n\nB C=2\n", "");
    let (code, text) = run_to_exit(fx.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(".env:3:3:"), "no position: {text}");
    assert!(text.contains("run.env_file"), "no key: {text}");
}

#[test]
fn a_missing_env_file_is_an_error_at_its_key() {
    let fx = project("", "");
    std::fs::remove_file(fx.file(".env")).unwrap();
    let (code, text) = run_to_exit(fx.path(), &[]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(".hotdev.toml:6:"), "no position: {text}");
    assert!(text.contains("cannot read the env file `.env`"), "{text}");
}

#[test]
fn a_broken_edit_keeps_the_app_and_the_fix_restarts_it() {
    let fx = project("A=1\n", "");
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for("generation_started", &[("generation", json!(1))], SHORT)
        .unwrap();
    fx.atomic_write(".env", "A=1\nnot a line\n");
    let error = h
        .wait_for("error", &[], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains(".env:2:"), "{message}");
    assert!(message.contains("keeping the previous"), "{message}");
    fx.atomic_write(".env", "A=3\n");
    h.wait_for("generation_started", &[("generation", json!(2))], SHORT)
        .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(30)));
    wait_vars(&h, "A=3 B= C=");
    assert_eq!(h.count("generation_started"), 2, "{}", h.tail(30));
}

#[test]
fn hotdev_config_credits_the_env_file_and_env_for_the_variables() {
    let fx = project("A=file\n", "env = { B = \"explicit\" }\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotdev"))
        .arg("config")
        .current_dir(fx.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run hotdev config");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let env = text
        .lines()
        .find(|l| l.starts_with("env = ") && l.contains("explicit"))
        .unwrap_or_else(|| panic!("no run env line:\n{text}"));
    assert!(env.contains("A = \"file\""), "{env}");
    // env_file is on line 6, env on line 7.
    assert!(env.contains(".hotdev.toml:6 and .hotdev.toml:7"), "{env}");
}
