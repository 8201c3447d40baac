//! The text of the `.hotdev.toml` that `hotdev init` writes: the plan's values, each with a
//! line on what it does, and the optional settings commented out with when to use them.
//!
//! Pure: a `Plan` in, a string out.

use super::plan::{Kind, Plan};

/// A TOML string literal (quoted and escaped).
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", items.join(", "))
}

/// How an app of this kind takes the pre-bound socket on fd 3.
fn listen_how(kind: Kind) -> &'static str {
    match kind {
        Kind::Go => {
            "net.FileListener(os.NewFile(3, \"http\")) or go-systemd's activation.Listeners()"
        }
        Kind::Rust => "the listenfd crate, or TcpListener::from_raw_fd(3)",
        Kind::Node => {
            "server.listen({ fd: 3 }); run node itself, not through npm, so LISTEN_PID names it"
        }
        Kind::Python => "socket.socket(fileno=3)",
        Kind::Unknown => "fd 3, as systemd socket activation hands it (LISTEN_FDS=1)",
    }
}

/// The file's text.
pub fn render(plan: &Plan) -> String {
    if !plan.apps.is_empty() {
        return render_apps(plan);
    }
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line("# hotdev configuration, written by `hotdev init`.");
    line(&format!("# Detected: {}.", plan.detected));
    line("# Check it with `hotdev config`; every key is described by `hotdev schema`.");
    line("# Editor completion (Taplo / Even Better TOML): `hotdev schema > .hotdev.schema.json`,");
    line("# then make `#:schema ./.hotdev.schema.json` the first line of this file.");
    line("");
    line("[watch]");
    line("# File extensions that trigger a build; an empty list means every file.");
    line(&format!("extensions = {}", list(&plan.extensions)));
    line("# Globs that never trigger a build, on top of .gitignore, .ignore and .hotdevignore.");
    line(&format!("ignore = {}", list(&plan.ignore)));
    line("");
    match &plan.build {
        Some(build) => {
            line("[build]");
            line(
                "# Runs while the old server keeps serving; the server is swapped only if it succeeds.",
            );
            line("# Its output is never watched, so a build cannot trigger itself.");
            line(&format!("command = {}", quote(build)));
        }
        None => {
            line("# No build step: a change restarts the run command. To add one:");
            line("# [build]");
            line("# command = \"make\"");
        }
    }
    line("");
    line("[run]");
    match &plan.run {
        Some(run) => {
            line("# The server. Without shell syntax it is exec'd directly, so signals and");
            line("# pre-bound sockets reach the server itself.");
            line(&format!("command = {}", quote(run)));
        }
        None => {
            line("# The server: hotdev could not tell what to run. Write its command here, e.g.");
            line(&format!("# {}", plan.run_example));
        }
    }
    line(
        "# How generation N is replaced by N+1: \"restart\" (default) stops the old one, then starts",
    );
    line(
        "# the new one; \"overlap\" starts the new one and stops the old one once the new one is ready,",
    );
    line(
        "# for swaps without a gap (needs `ready`); \"signal\" sends reload_signal to an app that",
    );
    line("# reloads itself.");
    line("# strategy = \"overlap\"");
    line(
        "# How to tell the new generation is ready (needed by \"overlap\"): notify when the app sends",
    );
    line(
        "# READY=1 to $NOTIFY_SOCKET, log when it prints a line, http/tcp for a port it binds itself,",
    );
    line("# delay as a last resort.");
    line("# ready = { notify = true }");
    line("# ready = { log = \"listening on\" }");
    line("");
    line("# Pre-bind the port in hotdev and hand it to every generation (fd 3, systemd socket");
    line("# activation), so no connection is refused during a swap. Use it when the app can take");
    line(&format!(
        "# its listener from fd 3: {}.",
        listen_how(plan.kind)
    ));
    line("# [[listen]]");
    line("# address = \"127.0.0.1:8080\"");
    line("# name = \"http\"");
    if let Some(web) = &plan.web {
        line("");
        line(&format!(
            "# A web app ({}): open the browser at hotdev's dev proxy instead of the app.",
            web.evidence
        ));
        line("# It reloads the page once the new version is ready, shows a failed build in the");
        line("# page, swaps CSS in place and holds requests during a swap. `target` is the app's");
        line(
            "# address: the first [[listen]] when left out; set it when the app binds its own port.",
        );
        line("# [proxy]");
        line("# address = \"127.0.0.1:3000\"");
        line("# target = \"127.0.0.1:8080\"");
        let globs = if web.reload_only.is_empty() {
            vec!["templates/**".to_owned(), "static/**".to_owned()]
        } else {
            web.reload_only.clone()
        };
        line("# Files whose change only reloads the page, with no build or restart:");
        line(&format!("# reload_only = {}", list(&globs)));
    }
    out
}

/// A project of several commands: shared defaults, then one `[apps.NAME]` per command.
fn render_apps(plan: &Plan) -> String {
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    let names: Vec<&str> = plan.apps.iter().map(|app| app.name.as_str()).collect();
    line("# hotdev configuration, written by `hotdev init`.");
    line(&format!(
        "# Detected: {}, with {} commands ({}): one app each.",
        plan.detected,
        names.len(),
        names.join(", ")
    ));
    line("# Check it with `hotdev config`; every key is described by `hotdev schema`.");
    line("");
    line("# Defaults every app inherits key by key.");
    line("[watch]");
    line(&format!("extensions = {}", list(&plan.extensions)));
    line(&format!("ignore = {}", list(&plan.ignore)));
    line("");
    if let Some(build) = &plan.build {
        line("[build]");
        line("# Builds every command into tmp/ while the old versions keep serving. Apps with the");
        line("# same command share one run of it: an edit of shared code is one build.");
        line(&format!("command = {}", quote(build)));
    }
    for app in &plan.apps {
        line("");
        line(&format!("[apps.{}]", app.name));
        line("# Rebuilt and swapped only when these change: its own package and the shared code.");
        line(&format!("watch = {{ paths = {} }}", list(&app.paths)));
        line("# Start it only once these apps are ready (their readiness check passed):");
        line("# depends_on = [\"db\"]");
        line(&format!("run = {{ command = {} }}", quote(&app.run)));
        line("# Pre-bind its port (fd 3) for swaps without a refused connection:");
        line(&format!("# [[apps.{}.listen]]", app.name));
        line("# address = \"127.0.0.1:8080\"");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::{CommandFile, parse};

    fn plan(build: Option<&str>, run: Option<&str>) -> Plan {
        Plan {
            kind: Kind::Go,
            detected: "Go module example.com/app (go.mod)".into(),
            extensions: vec!["go".into(), "mod".into()],
            ignore: vec!["tmp/**".into()],
            build: build.map(str::to_owned),
            run: run.map(str::to_owned),
            run_example: "command = \"tmp/app\"".into(),
            output: None,
            tools: vec!["go".into()],
            warnings: Vec::new(),
            web: None,
            apps: Vec::new(),
        }
    }

    #[test]
    fn written_file_parses_with_the_planned_commands() {
        let text = render(&plan(Some("go build -o \"tmp/my app\" ."), Some("tmp/app")));
        let file = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            file.build.map(|b| b.command),
            Some(Some(CommandFile::Line(
                "go build -o \"tmp/my app\" .".into()
            )))
        );
        assert_eq!(file.run.command, Some(CommandFile::Line("tmp/app".into())));
        assert_eq!(file.watch.ignore, Some(vec!["tmp/**".to_owned()]));
        assert!(file.run.strategy.is_none() && file.listen.is_empty());
    }

    #[test]
    fn a_web_app_gets_a_commented_proxy_that_parses_once_uncommented() {
        let mut web = plan(Some("go build -o tmp/app ."), Some("tmp/app"));
        web.web = Some(crate::init::plan::Web {
            evidence: "net/http in main.go".into(),
            reload_only: vec!["templates/**".into()],
        });
        let text = render(&web);
        assert!(text.contains("# [proxy]"), "{text}");
        assert!(
            text.contains("# reload_only = [\"templates/**\"]"),
            "{text}"
        );
        assert!(parse(&text).unwrap().proxy.is_none(), "commented out");
        let on: String = text
            .lines()
            .map(|l| match l {
                "# [proxy]" | "# [[listen]]" => l[2..].to_owned(),
                _ if l.starts_with("# address =")
                    || l.starts_with("# target =")
                    || l.starts_with("# reload_only =")
                    || l.starts_with("# name =") =>
                {
                    l[2..].to_owned()
                }
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file = parse(&on).unwrap_or_else(|e| panic!("{e}\n{on}"));
        assert!(file.proxy.is_some(), "{on}");
        assert!(plan(None, None).web.is_none() && !render(&plan(None, None)).contains("[proxy]"));
    }

    #[test]
    fn several_commands_are_one_app_each_with_one_build() {
        let mut several = plan(Some("go build -o tmp/ ./..."), None);
        several.apps = ["api", "worker"]
            .iter()
            .map(|name| crate::init::plan::PlanApp {
                name: (*name).into(),
                run: format!("tmp/{name}"),
                paths: vec![format!("cmd/{name}"), "internal".into(), "go.mod".into()],
            })
            .collect();
        let text = render(&several);
        let file = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(file.apps.len(), 2, "{text}");
        let worker = crate::config::apps::app_file(&file, &file.apps["worker"]);
        assert_eq!(
            worker.run.command,
            Some(CommandFile::Line("tmp/worker".into()))
        );
        assert_eq!(
            worker.watch.paths,
            Some(vec![
                "cmd/worker".into(),
                "internal".into(),
                "go.mod".into()
            ])
        );
        assert_eq!(
            worker.build.and_then(|b| b.command),
            Some(CommandFile::Line("go build -o tmp/ ./...".into()))
        );
    }

    #[test]
    fn optional_settings_are_commented_out_with_a_reason() {
        let text = render(&plan(None, None));
        for needle in [
            "# strategy = \"overlap\"",
            "# ready = { notify = true }",
            "# [[listen]]",
            "# [build]",
            "# command = \"tmp/app\"",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        let file = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(file.build.is_none() && file.run.command.is_none());
    }
}
