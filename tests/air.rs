//! `hotdev init --from-air` on real-world-shaped air configs (fixtures/air/), through the real
//! binary: the result loads (`hotdev config`), and runs the same app air ran.

mod support;

use std::process::{Command, Output, Stdio};

use serde_json::json;
use support::*;

const AIR_CONFIGS: [&str; 4] = ["every-key", "minimal", "full-bin", "proxy"];

fn hotdev_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotdev"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run hotdev")
}

/// go-server without its own .hotdev.toml: an air project.
fn air_project() -> Fixture {
    let fx = Fixture::copy("go-server");
    let _ = std::fs::remove_file(fx.file(".hotdev.toml"));
    fx
}

fn air_fixture(name: &str) -> String {
    let path = format!("{}/fixtures/air/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_air_config_becomes_a_hotdev_config_that_loads() {
    for name in AIR_CONFIGS {
        let fx = air_project();
        fx.write(".air.toml", &air_fixture(name));
        // every-key names `.env` in env_files: hotdev reads it, so it must be there.
        fx.write(".env", "GREETING=hello\n");
        let init = hotdev_in(fx.path(), &["init", "--from-air"]);
        let stderr = String::from_utf8_lossy(&init.stderr);
        assert!(init.status.success(), "{name}: {stderr}");
        assert!(stderr.contains("wrote .hotdev.toml"), "{name}: {stderr}");
        // Every air key of the file is accounted for, one line each.
        assert!(stderr.contains("air `build.cmd`"), "{name}: {stderr}");
        let config = hotdev_in(fx.path(), &["config"]);
        assert!(
            config.status.success(),
            "{name}: the written file does not load: {}\n{}",
            String::from_utf8_lossy(&config.stderr),
            fx.read(".hotdev.toml")
        );
    }
}

#[test]
fn the_translated_config_runs_the_same_app_with_its_environment() {
    require_go();
    let fx = air_project();
    let addr = free_addr();
    fx.write(
        ".air.toml",
        &format!(
            "[build]\ncmd = \"go build -o ./tmp/server .\"\nfull_bin = \"ADDR={addr} ./tmp/server\"\n"
        ),
    );
    let init = hotdev_in(fx.path(), &["init", "--from-air"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let h = Hotdev::start(fx.path(), &[]);
    h.wait_for(
        "generation_started",
        &[("generation", json!(1))],
        FIRST_BUILD,
    )
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    // The server got ADDR from run.env (full_bin's VAR=value) and serves there.
    wait_until(SHORT, "the app to answer v1", || {
        get_trimmed(addr, "/").is_ok_and(|v| v == "v1")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
    fx.set_version("version.go", "v2");
    wait_until(BUILD, "the app to answer v2", || {
        get_trimmed(addr, "/").is_ok_and(|v| v == "v2")
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", h.tail(40)));
}

#[test]
fn no_air_config_is_a_clear_error_and_an_existing_hotdev_toml_is_kept() {
    let fx = Fixture::empty();
    let out = hotdev_in(fx.path(), &["init", "--from-air"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".air.toml and .config/air.toml"),
        "{stderr}"
    );

    fx.write(".config/air.toml", &air_fixture("minimal"));
    fx.write(".hotdev.toml", "# mine\n");
    let out = hotdev_in(fx.path(), &["init", "--from-air"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fx.read(".hotdev.toml"), "# mine\n");
    let out = hotdev_in(fx.path(), &["init", "--from-air", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        fx.read(".hotdev.toml")
            .contains("go build -o ./tmp/server .")
    );
}

#[test]
fn hotdev_in_an_air_project_says_that_init_from_air_exists() {
    let fx = Fixture::empty();
    fx.write(".air.toml", &air_fixture("minimal"));
    let out = hotdev_in(fx.path(), &["--no-keys"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("hotdev init --from-air"), "{stderr}");
    assert!(!stderr.contains("go run"), "{stderr}");
}
