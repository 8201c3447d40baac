//! `[apps.NAME]`: each app's sections laid over the top-level defaults key by key, and the
//! checks on the graph of apps (names, `depends_on` cycles). Pure: files in, files out.

use std::collections::BTreeMap;

use super::file::{AppFile, BuildFile, FileConfig, RunFile, Switch, WatchFile};

/// Whether `name` may name an app: letters, digits, `-` and `_`, not empty.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether file changes reach the app (`watch = false` says no).
pub fn watches(app: &AppFile) -> bool {
    app.watch != Some(Switch::Enabled(false))
}

/// The single-app file an app amounts to: its own `watch`, `build` and `run` keys laid over
/// the top level's (`env` tables merged, the app's variables winning), its own listeners and
/// proxy, no `[apps]`.
pub fn app_file(top: &FileConfig, app: &AppFile) -> FileConfig {
    let watch = match &app.watch {
        Some(Switch::Table(own)) => watch_over(own, &top.watch),
        _ => top.watch.clone(),
    };
    let build = match &app.build {
        Some(Switch::Enabled(false)) => None,
        Some(Switch::Table(own)) => Some(build_over(own, top.build.as_ref())),
        Some(Switch::Enabled(true)) | None => top.build.clone(),
    };
    let run = match &app.run {
        Some(own) => run_over(own, &top.run),
        None => top.run.clone(),
    };
    FileConfig {
        watch,
        build,
        run,
        listen: app.listen.clone(),
        proxy: app.proxy.clone(),
        apps: BTreeMap::new(),
    }
}

fn watch_over(own: &WatchFile, top: &WatchFile) -> WatchFile {
    let top = top.clone();
    WatchFile {
        paths: own.paths.clone().or(top.paths),
        extensions: own.extensions.clone().or(top.extensions),
        ignore: own.ignore.clone().or(top.ignore),
        include: own.include.clone().or(top.include),
        gitignore: own.gitignore.or(top.gitignore),
        debounce: own.debounce.clone().or(top.debounce),
        poll: own.poll.clone().or(top.poll),
        follow_symlinks: own.follow_symlinks.or(top.follow_symlinks),
    }
}

fn build_over(own: &BuildFile, top: Option<&BuildFile>) -> BuildFile {
    let top = top.cloned().unwrap_or_default();
    let mut env = top.env;
    env.extend(own.env.clone());
    BuildFile {
        command: own.command.clone().or(top.command),
        env,
        env_file: own.env_file.clone().or(top.env_file),
        timeout: own.timeout.clone().or(top.timeout),
        speculative: own.speculative.or(top.speculative),
    }
}

fn run_over(own: &RunFile, top: &RunFile) -> RunFile {
    let top = top.clone();
    let mut env = top.env;
    env.extend(own.env.clone());
    RunFile {
        command: own.command.clone().or(top.command),
        env,
        env_file: own.env_file.clone().or(top.env_file),
        strategy: own.strategy.or(top.strategy),
        reload_signal: own.reload_signal.clone().or(top.reload_signal),
        stop_signal: own.stop_signal.clone().or(top.stop_signal),
        stop_timeout: own.stop_timeout.clone().or(top.stop_timeout),
        ready: own.ready.clone().or(top.ready),
        ready_timeout: own.ready_timeout.clone().or(top.ready_timeout),
        restart: own.restart.or(top.restart),
    }
}

/// A cycle of `depends_on`, as the names along it with the first repeated at the end
/// (`["api", "worker", "api"]`), if there is one. Unknown names are not followed.
pub fn cycle(depends_on: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        name: &str,
        graph: &BTreeMap<String, Vec<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(name) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|n| n == name).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(name.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(name.to_owned(), Mark::Open);
        path.push(name.to_owned());
        for next in graph.get(name).into_iter().flatten() {
            if graph.contains_key(next)
                && let Some(cycle) = visit(next, graph, marks, path)
            {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(name.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for name in depends_on.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = visit(name, depends_on, &mut marks, &mut path) {
            return Some(cycle);
        }
    }
    None
}

/// `names` and, transitively, every app they depend on.
pub fn with_dependencies(
    names: &[String],
    depends_on: &BTreeMap<String, Vec<String>>,
) -> Vec<String> {
    let mut chosen: Vec<String> = Vec::new();
    let mut queue: Vec<String> = names.to_vec();
    while let Some(name) = queue.pop() {
        if chosen.contains(&name) {
            continue;
        }
        queue.extend(depends_on.get(&name).into_iter().flatten().cloned());
        chosen.push(name);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::{CommandFile, parse};

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(name, deps)| {
                let deps = deps.iter().map(|d| (*d).to_owned()).collect();
                ((*name).to_owned(), deps)
            })
            .collect()
    }

    #[test]
    fn an_app_inherits_the_top_level_key_by_key() {
        let file = parse(
            r#"
            [watch]
            debounce = "200ms"
            ignore = ["tmp/**"]
            [build]
            command = "go build -o tmp/ ./..."
            env = { CGO_ENABLED = "0", A = "top" }
            [run]
            stop_timeout = "2s"
            env = { A = "top" }
            [apps.api.watch]
            paths = ["cmd/api", "internal"]
            [apps.api.build]
            env = { A = "api" }
            [apps.api.run]
            command = "tmp/api"
            [apps.db]
            build = false
            watch = false
            run = { command = "redis-server" }
            "#,
        )
        .unwrap();
        let api = app_file(&file, &file.apps["api"]);
        assert_eq!(api.watch.debounce.as_deref(), Some("200ms"));
        assert_eq!(api.watch.ignore, Some(vec!["tmp/**".to_owned()]));
        assert_eq!(
            api.watch.paths,
            Some(vec!["cmd/api".to_owned(), "internal".to_owned()])
        );
        let build = api.build.unwrap();
        assert_eq!(
            build.command,
            Some(CommandFile::Line("go build -o tmp/ ./...".into()))
        );
        assert_eq!(
            (build.env["A"].as_str(), build.env["CGO_ENABLED"].as_str()),
            ("api", "0")
        );
        assert_eq!(api.run.stop_timeout.as_deref(), Some("2s"));
        assert_eq!(api.run.command, Some(CommandFile::Line("tmp/api".into())));
        let db = app_file(&file, &file.apps["db"]);
        assert!(db.build.is_none() && !watches(&file.apps["db"]) && watches(&file.apps["api"]));
        assert_eq!(db.run.env["A"], "top");
    }

    #[test]
    fn a_cycle_is_named_along_its_path() {
        assert_eq!(cycle(&graph(&[("api", &["db"]), ("db", &[])])), None);
        assert_eq!(
            cycle(&graph(&[
                ("api", &["worker"]),
                ("db", &[]),
                ("worker", &["db", "api"])
            ])),
            Some(vec!["api".into(), "worker".into(), "api".into()])
        );
        assert_eq!(
            cycle(&graph(&[("a", &["a"])])),
            Some(vec!["a".into(), "a".into()])
        );
        assert_eq!(cycle(&graph(&[("a", &["nobody"])])), None);
    }

    #[test]
    fn a_choice_brings_its_dependencies() {
        let g = graph(&[
            ("api", &["db"]),
            ("db", &[]),
            ("web", &["api"]),
            ("worker", &["db"]),
        ]);
        let mut chosen = with_dependencies(&["web".into()], &g);
        chosen.sort();
        assert_eq!(chosen, ["api", "db", "web"]);
    }

    #[test]
    fn names_are_letters_digits_dashes_and_underscores() {
        assert!(valid_name("api-2_x"));
        assert!(!valid_name("") && !valid_name("a b") && !valid_name("api.v2"));
    }
}
