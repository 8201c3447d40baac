//! The assembled settings as `.hotdev.toml` text, in the order and with the comments a user
//! reads first. Pure formatting; it never decides a value.

use toml::Value;

use super::Out;

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", items.join(", "))
}

pub(super) fn render(out: &Out) -> String {
    let mut text = String::new();
    let mut line = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    line("# hotdev configuration, written by `hotdev init --from-air` from air's config.");
    line("# Check it with `hotdev config`; every key is described by `hotdev schema`.");
    line("");
    line("[watch]");
    if !out.paths.is_empty() {
        line(&format!("paths = {}", list(&out.paths)));
    }
    line(&format!("extensions = {}", list(&out.extensions)));
    line(&format!("ignore = {}", list(&out.ignore)));
    if !out.include.is_empty() {
        line(&format!("include = {}", list(&out.include)));
    }
    if let Some(debounce) = &out.debounce {
        line(&format!("debounce = {}", quote(debounce)));
    }
    if out.follow_symlinks {
        line("follow_symlinks = true");
    }
    if let Some(poll) = &out.poll {
        line(&format!("poll = {}", quote(poll)));
    }
    line("");
    line("[build]");
    line("# Runs while the old server keeps serving; the server is swapped only if it succeeds.");
    if let Some(build) = &out.build {
        line(&format!("command = {}", quote(build)));
    }
    let env_files = (!out.env_files.is_empty()).then(|| {
        let quoted: Vec<String> = out.env_files.iter().map(|f| quote(f)).collect();
        format!("env_file = [{}]", quoted.join(", "))
    });
    if let Some(env_files) = &env_files {
        line(env_files);
    }
    line("");
    line("[run]");
    if let Some(run) = &out.run {
        line(&format!("command = {}", quote(run)));
    }
    if let Some(env_files) = &env_files {
        line(env_files);
    }
    if !out.run_env.is_empty() {
        let pairs: Vec<String> = out
            .run_env
            .iter()
            .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
            .collect();
        line(&format!("env = {{ {} }}", pairs.join(", ")));
    }
    if let Some(signal) = out.stop_signal {
        line(&format!("stop_signal = {}", quote(signal)));
    }
    if let Some(timeout) = &out.stop_timeout {
        line(&format!("stop_timeout = {}", quote(timeout)));
    }
    if let Some(restart) = out.restart {
        line(&format!("restart = {}", quote(restart)));
    }
    if let Some(proxy) = &out.proxy {
        line("");
        line("[proxy]");
        line("# Open this address in the browser: hotdev reloads the page once the new version is");
        line("# ready, shows a failed build in the page, and holds requests during a swap.");
        line(&format!("address = {}", quote(&proxy.address)));
        if let Some(target) = &proxy.target {
            line("# The app's own port (air's app_port).");
            line(&format!("target = {}", quote(target)));
        }
        if let Some(hold) = &proxy.hold_timeout {
            line(&format!("hold_timeout = {}", quote(hold)));
        }
        line("# Files whose change only reloads the page (no build); CSS is swapped in place.");
        line("# reload_only = [\"templates/**\", \"static/**\"]");
    }
    line("");
    line("# Zero-downtime swaps: hotdev binds the port and hands it to every generation (fd 3,");
    line(
        "# systemd socket activation); the app takes it with net.FileListener(os.NewFile(3, \"\")).",
    );
    line("# [[listen]]");
    line("# address = \"127.0.0.1:8080\"");
    text
}
