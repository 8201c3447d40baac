//! air's `[log]`, `color`, `[misc]`, `[screen]` and `[proxy]`: none has a key in hotdev's
//! file, so each becomes a note saying what to do instead. Never adds a setting.

use toml::{Table, Value};

use super::Out;

pub(super) fn other_tables(air: &Table, out: &mut Out) {
    let table = |name: &str| air.get(name).and_then(Value::as_table);
    if let Some(log) = table("log") {
        for key in log.keys() {
            let text = match key.as_str() {
                "time" => {
                    "hotdev's JSON events carry ts_ms (`--log-format json`); its human lines have no clock"
                }
                "main_only" | "silent" => "use `hotdev -q` (only failures) on the command line",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("log.{key}"), text);
        }
    }
    if air.contains_key("color") {
        out.unmapped(
            "color",
            "hotdev styles its own lines and passes the app's through untouched; NO_COLOR turns colour off",
        );
    }
    if let Some(misc) = table("misc") {
        for key in misc.keys() {
            let text = match key.as_str() {
                "clean_on_exit" => {
                    "hotdev leaves the build output; run `rm -rf tmp` after it if you want"
                }
                "startup_banner" => "hotdev prints one start line and no banner",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("misc.{key}"), text);
        }
    }
    if let Some(screen) = table("screen") {
        for (key, value) in screen {
            let text = match key.as_str() {
                "clear_on_rebuild" if value.as_bool() == Some(true) => {
                    "use `hotdev --clear` (clears the screen before each build)"
                }
                "clear_on_rebuild" => "false: hotdev's default",
                "keep_scroll" => "hotdev never clears scrollback",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("screen.{key}"), text);
        }
    }
    if let Some(proxy) = table("proxy") {
        let enabled = proxy.get("enabled").and_then(Value::as_bool) == Some(true);
        let app = proxy
            .get("app_port")
            .and_then(Value::as_integer)
            .map_or("the app's port".to_string(), |p| format!("127.0.0.1:{p}"));
        if enabled {
            out.unmapped(
                "proxy",
                format!(
                    "hotdev's browser proxy is not built yet: open {app} directly and reload by hand"
                ),
            );
        } else {
            out.mapped("proxy", "disabled: nothing to set");
        }
    }
}
