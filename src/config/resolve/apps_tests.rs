//! `[apps.NAME]` resolved on a real directory: inheritance, order, `--app`, and every error
//! naming the app and its place in the file.

use super::tests::Project;

const MULTI: &str = r#"[watch]
debounce = "120ms"

[build]
command = "go build -o tmp/ ./..."

[run]
stop_timeout = "2s"

[apps.api.run]
command = "tmp/api"
strategy = "overlap"
ready = { notify = true }

[[apps.api.listen]]
address = "127.0.0.1:8080"

[apps.worker]
depends_on = ["api"]
restart_with = ["api"]
run = { command = "tmp/worker" }

[apps.db]
build = false
watch = false
run = { command = "app --port 6379" }
"#;

fn names(project: &Project, args: &[&str]) -> Vec<String> {
    let apps = project
        .load_apps_in("", args)
        .unwrap_or_else(|e| panic!("{e}"));
    apps.into_iter().map(|app| app.name).collect()
}

#[test]
fn each_app_inherits_the_top_level_and_keeps_its_own() {
    let project = Project::new(Some(MULTI));
    let apps = project
        .load_apps_in("", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let [api, db, worker] = &apps[..] else {
        panic!("three apps: {apps:?}")
    };
    assert_eq!(
        (api.name.as_str(), db.name.as_str(), worker.name.as_str()),
        ("api", "db", "worker")
    );
    for app in &apps {
        assert_eq!(
            app.config.watch.debounce,
            std::time::Duration::from_millis(120)
        );
        assert_eq!(
            app.config.run.stop_timeout,
            std::time::Duration::from_secs(2)
        );
    }
    assert!(api.config.build.is_some() && worker.config.build.is_some());
    assert!(db.config.build.is_none() && !db.watch && api.watch);
    assert_eq!(api.config.listen.len(), 1);
    assert!(worker.config.listen.is_empty());
    assert_eq!(worker.depends_on, ["api"]);
    assert_eq!(worker.restart_with, ["api"]);
}

#[test]
fn dash_dash_app_runs_the_named_apps_and_what_they_depend_on() {
    let project = Project::new(Some(MULTI));
    assert_eq!(names(&project, &["--app", "worker"]), ["api", "worker"]);
    assert_eq!(names(&project, &["--app", "db"]), ["db"]);
    assert_eq!(
        project.error(&["--app", "wokrer"]),
        "--app: no app `wokrer` in the file\n  hint: did you mean `worker`? (valid: `api`, `db`, `worker`)"
    );
    assert_eq!(
        Project::new(Some(super::tests::MINIMAL)).error(&["--app", "api"]),
        "--app: no app `api`: the configuration has no [apps]\n  hint: --app picks among the [apps.NAME] tables of .hotdev.toml"
    );
}

#[test]
fn a_bad_value_names_the_app_and_where_it_is_written() {
    let own = MULTI.replace(
        "strategy = \"overlap\"",
        "strategy = \"overlap\"\nstop_signal = \"SIGNOPE\"",
    );
    let message = Project::new(Some(&own)).error(&[]);
    assert!(
        message.starts_with(".hotdev.toml:13:15: app `api`: "),
        "{message}"
    );
    assert!(
        message.contains("(key `apps.api.run.stop_signal`)"),
        "{message}"
    );
    // Inherited: the top-level key is the place, the message still names the app.
    let top = MULTI.replace("stop_timeout = \"2s\"", "stop_timeout = \"2 parsecs\"");
    let message = Project::new(Some(&top)).error(&[]);
    assert!(
        message.starts_with(".hotdev.toml:8:16: app `api`: "),
        "{message}"
    );
    assert!(message.contains("(key `run.stop_timeout`)"), "{message}");
}

#[test]
fn every_mistake_across_apps_is_one_line_with_its_place() {
    let cases: [(String, &str); 8] = [
        (
            MULTI.replace("depends_on = [\"api\"]", "depends_on = [\"apі\"]"),
            ".hotdev.toml:19:15: app `worker`: no app `apі` (key `apps.worker.depends_on[0]`)",
        ),
        (
            MULTI
                .replace("[apps.db]\n", "[apps.db]\ndepends_on = [\"worker\"]\n")
                .replace(
                    "[apps.api.run]\n",
                    "[apps.api]\ndepends_on = [\"db\"]\n[apps.api.run]\n",
                ),
            ".hotdev.toml:11:14: a dependency cycle: api → db → worker → api (key `apps.api.depends_on`)",
        ),
        (
            MULTI.replace("depends_on = [\"api\"]", "depends_on = [\"worker\"]"),
            ".hotdev.toml:19:15: app `worker` names itself in depends_on (key `apps.worker.depends_on[0]`)",
        ),
        (
            MULTI.replace("restart_with = [\"api\"]", "restart_with = [\"db\"]"),
            ".hotdev.toml:20:17: app `worker` restarts with `db` but does not depend on it (key `apps.worker.restart_with[0]`)",
        ),
        (
            format!("{MULTI}\n[[apps.worker.listen]]\naddress = \"8080\"\n"),
            ".hotdev.toml:29:11: apps `api` and `worker` both listen on this address (key `apps.worker.listen[0].address`)",
        ),
        (
            MULTI.replace("[apps.db]", "[apps.\"d b\"]"),
            ".hotdev.toml:23:1: `d b` cannot name an app (key `apps.d b`)",
        ),
        (
            format!("[[listen]]\naddress = \"9000\"\n{MULTI}"),
            ".hotdev.toml:1:1: a top-level [listen] in a file with [apps]: it belongs to one app (key `listen`)",
        ),
        (
            MULTI.replace(
                "[apps.worker]\n",
                "[apps.worker]\nwatch = { debounse = \"1s\" }\n",
            ),
            ".hotdev.toml:19:11: unknown key `debounse` in `[apps.worker.watch]`",
        ),
    ];
    for (text, expected) in cases {
        let message = Project::new(Some(&text)).error(&[]);
        let first = message.lines().next().unwrap_or_default();
        assert!(first.starts_with(expected), "{first}\nexpected {expected}");
        assert!(
            message.lines().count() <= 2,
            "one line and a hint: {message}"
        );
    }
}

#[test]
fn flags_of_one_app_are_refused_with_apps() {
    let project = Project::new(Some(MULTI));
    let message = project.error(&["--listen", "9000"]);
    assert!(
        message.starts_with("--listen: this names one app's setting, and the file has [apps]"),
        "{message}"
    );
    // Flags that are the same for every app apply to each.
    let apps = project.load_apps_in("", &["--debounce", "300ms"]).unwrap();
    assert!(
        apps.iter()
            .all(|app| app.config.watch.debounce == std::time::Duration::from_millis(300))
    );
}

#[test]
fn an_app_with_a_build_table_but_no_command_anywhere_is_named() {
    let text = "[apps.api.build]\ntimeout = \"1m\"\n[apps.api.run]\ncommand = \"app\"\n";
    let message = Project::new(Some(text)).error(&[]);
    assert!(
        message.starts_with(".hotdev.toml:1:1: app `api`: [apps.api.build] has no `command`"),
        "{message}"
    );
}
