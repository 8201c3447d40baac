//! air's `[log]`, `color`, `[misc]`, `[screen]` and `[proxy]`. The first four have no key in
//! hotdev's file, so each becomes a note saying what to do instead; `[proxy]` becomes hotdev's
//! `[proxy]`.

use toml::{Table, Value};

use super::{Out, Proxy};

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
        proxy_table(proxy, out);
    }
}

/// air's `[proxy]` (`proxy_port` where the browser connects, `app_port` where the app listens,
/// `app_start_timeout` in ms) becomes hotdev's `[proxy]`; air reloads the page after every
/// rebuild, hotdev after the new version is ready.
fn proxy_table(proxy: &Table, out: &mut Out) {
    if proxy.get("enabled").and_then(Value::as_bool) != Some(true) {
        out.mapped("proxy", "disabled: nothing to set");
        return;
    }
    let port = |key: &str| {
        proxy
            .get(key)
            .and_then(Value::as_integer)
            .filter(|p| (1..=65535).contains(p))
    };
    let Some(proxy_port) = port("proxy_port") else {
        out.unmapped(
            "proxy",
            "enabled without a valid proxy_port: add [proxy] address = \"127.0.0.1:PORT\" by hand",
        );
        return;
    };
    let target = port("app_port").map(|p| format!("127.0.0.1:{p}"));
    let hold_timeout = proxy
        .get("app_start_timeout")
        .and_then(Value::as_integer)
        .filter(|ms| *ms > 0)
        .map(|ms| format!("{ms}ms"));
    let address = format!("127.0.0.1:{proxy_port}");
    let what = match &target {
        Some(target) => format!("[proxy] address = {address:?}, target = {target:?}"),
        None => format!(
            "[proxy] address = {address:?}; no app_port: the target is the first [[listen]], \
             set target = \"127.0.0.1:PORT\" if the app binds its own port"
        ),
    };
    out.mapped("proxy", what);
    for key in proxy.keys() {
        if !["enabled", "proxy_port", "app_port", "app_start_timeout"].contains(&key.as_str()) {
            out.unmapped(&format!("proxy.{key}"), "unknown air key: not mapped");
        }
    }
    out.proxy = Some(Proxy {
        address,
        target,
        hold_timeout,
    });
}
