//! air's keys about the running app (`send_interrupt`, `kill_delay`, `rerun`, …) to `[run]`;
//! any other `[build]` key air does not have is named as unknown, never dropped.

use toml::{Table, Value};

use super::{BUILD_KEYS, Out};

pub(super) fn run_keys(build: &Table, out: &mut Out) {
    for (key, value) in build {
        let dotted = format!("build.{key}");
        match key.as_str() {
            "send_interrupt" => {
                if value.as_bool() == Some(true) {
                    out.stop_signal = Some("SIGINT");
                    out.mapped(&dotted, "run.stop_signal = \"SIGINT\"");
                } else {
                    out.mapped(
                        &dotted,
                        "false: air kills at once; hotdev sends SIGTERM first",
                    );
                }
            }
            "kill_delay" => match kill_delay(value) {
                Some(ms) => {
                    out.stop_timeout = Some(format!("{ms}ms"));
                    out.mapped(&dotted, "run.stop_timeout");
                }
                None => out.unmapped(&dotted, "not a number of ms or a duration: ignored"),
            },
            "stop_on_error" => out.mapped(
                &dotted,
                "hotdev always keeps the old version serving when a build fails (its point); \
                 nothing to set",
            ),
            "rerun" => {
                if value.as_bool() == Some(true) {
                    out.restart = Some("always");
                    out.mapped(&dotted, "run.restart = \"always\"");
                } else {
                    out.mapped(&dotted, "false: run.restart = \"never\", hotdev's default");
                }
            }
            "rerun_delay" => out.mapped(
                &dotted,
                "hotdev's restarts back off 1s, 2s, 4s … up to 30s instead of a fixed delay",
            ),
            known if BUILD_KEYS.contains(&known) => {}
            other => out.unmapped(&format!("build.{other}"), "unknown air key: not mapped"),
        }
    }
}

/// air reads `kill_delay` as a Go duration: a bare number below a millisecond's worth of
/// nanoseconds is taken as milliseconds (air's own rule), a larger one as nanoseconds.
fn kill_delay(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(n) if *n >= 0 && *n < 1_000_000 => Some(*n as u64),
        Value::Integer(n) if *n >= 0 => Some((*n as u64 / 1_000_000).min(86_400_000)),
        Value::String(s) => humantime::parse_duration(s)
            .ok()
            .map(|d| d.as_millis().min(86_400_000) as u64),
        _ => None,
    }
}
