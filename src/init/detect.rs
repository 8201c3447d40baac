//! What kind of project a directory holds, and the commands that build and run it.
//!
//! Reads marker files (go.mod, Cargo.toml, package.json, pyproject.toml, requirements.txt) and,
//! for Rust, asks `cargo metadata` (through `cargo`). Never writes anything; the result is a
//! [`Plan`].

use std::path::Path;

use serde::Deserialize;

use super::plan::{Kind, Plan, PlanApp, strings};

/// Looks at `dir` and plans a config for the first marker found, in the order Go, Rust, Node,
/// Python. Other markers found are mentioned in a warning.
pub fn detect(dir: &Path) -> Plan {
    let markers = [
        ("go.mod", Kind::Go),
        ("Cargo.toml", Kind::Rust),
        ("package.json", Kind::Node),
        ("pyproject.toml", Kind::Python),
        ("requirements.txt", Kind::Python),
    ];
    let found: Vec<(&str, Kind)> = markers
        .into_iter()
        .filter(|(name, _)| dir.join(name).is_file())
        .collect();
    let Some(&(marker, kind)) = found.first() else {
        return unknown();
    };
    let mut plan = match kind {
        Kind::Go => go(dir),
        Kind::Rust => super::cargo::plan(dir),
        Kind::Node => node(dir),
        Kind::Python => python(dir, marker),
        Kind::Unknown => unknown(),
    };
    let others: Vec<&str> = found
        .iter()
        .filter(|(_, other)| *other != kind)
        .map(|(name, _)| *name)
        .collect();
    if !others.is_empty() {
        plan.warnings.push(format!(
            "also found {}; this config is for {marker} (edit [build] and [run] for the other)",
            others.join(", ")
        ));
    }
    plan
}

fn unknown() -> Plan {
    Plan {
        kind: Kind::Unknown,
        detected: "no go.mod, Cargo.toml, package.json, pyproject.toml or requirements.txt"
            .to_owned(),
        extensions: Vec::new(),
        ignore: Vec::new(),
        build: None,
        run: None,
        run_example: "command = \"./server --port 8080\"".to_owned(),
        output: None,
        tools: Vec::new(),
        warnings: vec!["write the command of your server in [run] before running hotdev".into()],
        web: None,
        apps: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Go

fn go(dir: &Path) -> Plan {
    let text = std::fs::read_to_string(dir.join("go.mod")).unwrap_or_default();
    let module = go_module(&text);
    let mut warnings = Vec::new();
    let (package, cmd_name, commands) = go_main_package(dir);
    let name = cmd_name
        .or_else(|| module.as_deref().map(go_binary_name))
        .unwrap_or_else(|| dir_name(dir, "app"));
    let detected = match &module {
        Some(module) => format!("Go module {module} (go.mod)"),
        None => {
            warnings
                .push("go.mod has no `module` line; named the binary after the directory".into());
            "Go module (go.mod)".to_owned()
        }
    };
    let shared = go_shared_dirs(dir);
    let module_files: Vec<String> = ["go.mod", "go.sum"]
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| (*f).to_owned())
        .collect();
    let apps: Vec<PlanApp> = commands
        .iter()
        .map(|command| PlanApp {
            name: command.clone(),
            run: format!("tmp/{command}"),
            paths: std::iter::once(format!("cmd/{command}"))
                .chain(shared.iter().cloned())
                .chain(module_files.iter().cloned())
                .collect(),
        })
        .collect();
    let build = match apps.is_empty() {
        true => format!("go build -o tmp/{name} {package}"),
        false => "go build -o tmp/ ./...".to_owned(),
    };
    Plan {
        kind: Kind::Go,
        detected,
        extensions: strings(&["go", "mod", "sum"]),
        ignore: strings(&["tmp/**"]),
        build: Some(build),
        run: apps.is_empty().then(|| format!("tmp/{name}")),
        run_example: String::new(),
        output: Some("tmp".to_owned()),
        tools: strings(&["go"]),
        warnings,
        web: go_web(dir),
        apps,
    }
}

/// Packages a Go web app imports; one of them in a non-test Go file makes `init` offer `[proxy]`.
const GO_WEB_IMPORTS: [&str; 2] = ["\"html/template\"", "\"net/http\""];

/// Directories whose files a browser reloads without a rebuild, when they exist.
const GO_WEB_DIRS: [&str; 6] = ["templates", "static", "views", "public", "web", "assets"];

/// Whether a Go file in the module imports a web package: the first 500 non-test Go files in
/// breadth-first order, skipping `vendor`, `testdata`, `tmp` and hidden directories.
fn go_web(dir: &Path) -> Option<super::plan::Web> {
    let mut queue = std::collections::VecDeque::from([dir.to_path_buf()]);
    let mut read = 0;
    while let Some(next) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !(name.starts_with('.') || ["vendor", "testdata", "tmp"].contains(&name)) {
                    queue.push_back(path);
                }
                continue;
            }
            if !name.ends_with(".go") || name.ends_with("_test.go") {
                continue;
            }
            read += 1;
            if read > 500 {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(import) = GO_WEB_IMPORTS.iter().find(|i| text.contains(*i)) {
                let shown = path.strip_prefix(dir).unwrap_or(&path).display();
                return Some(super::plan::Web {
                    evidence: format!("{} in {shown}", import.trim_matches('"')),
                    reload_only: GO_WEB_DIRS
                        .iter()
                        .filter(|d| dir.join(d).is_dir())
                        .map(|d| format!("{d}/**"))
                        .collect(),
                });
            }
        }
    }
    None
}

/// The module path of a go.mod: `module example.com/app` (quotes and comments allowed).
pub fn go_module(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"']) {
            return None;
        }
        let path = rest.trim().trim_matches(['"', '`']);
        (!path.is_empty()).then(|| path.to_owned())
    })
}

/// What `go build` names the binary: the last element of the module path, skipping a major
/// version suffix (`example.com/app/v2` → `app`).
pub fn go_binary_name(module: &str) -> String {
    let mut elements = module.rsplit('/');
    let last = elements.next().unwrap_or(module);
    let is_major =
        last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    match (is_major, elements.next()) {
        (true, Some(previous)) => previous.to_owned(),
        _ => last.to_owned(),
    }
}

/// The package to build: `.` when the directory has Go files, else the only `cmd/<name>`,
/// whose name then names the binary. With several `cmd/*`, all of them: one app each.
fn go_main_package(dir: &Path) -> (String, Option<String>, Vec<String>) {
    if has_file_with_extension(dir, "go") {
        return (".".to_owned(), None, Vec::new());
    }
    let mut commands: Vec<String> = std::fs::read_dir(dir.join("cmd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| has_file_with_extension(&entry.path(), "go"))
        .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
        .filter(|name| crate::config::apps::valid_name(name))
        .collect();
    commands.sort();
    match commands.as_slice() {
        [] => (".".to_owned(), None, Vec::new()),
        [only] => (format!("./cmd/{only}"), Some(only.clone()), Vec::new()),
        _ => ("./...".to_owned(), None, commands),
    }
}

/// The top-level directories (other than `cmd`, `vendor`, `testdata`, `tmp` and hidden ones)
/// that hold Go code somewhere below: what the commands share, e.g. `internal`, `pkg`.
fn go_shared_dirs(dir: &Path) -> Vec<String> {
    fn has_go(dir: &Path, depth: usize) -> bool {
        has_file_with_extension(dir, "go")
            || (depth < 4
                && std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|e| e.path().is_dir() && has_go(&e.path(), depth + 1)))
    }
    let mut dirs: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| {
            !name.starts_with('.') && !["cmd", "vendor", "testdata", "tmp"].contains(&name.as_str())
        })
        .filter(|name| has_go(&dir.join(name), 0))
        .collect();
    dirs.sort();
    dirs
}

fn has_file_with_extension(dir: &Path, extension: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| entry.path().extension().is_some_and(|e| e == extension))
}

fn dir_name(dir: &Path, fallback: &str) -> String {
    dir.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(fallback)
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Node

fn node(dir: &Path) -> Plan {
    #[derive(Deserialize, Default)]
    struct PackageJson {
        name: Option<String>,
        main: Option<String>,
        #[serde(default)]
        scripts: std::collections::BTreeMap<String, String>,
    }
    let mut warnings = Vec::new();
    let package: PackageJson = match std::fs::read_to_string(dir.join("package.json")) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
            warnings.push(format!("cannot read package.json ({e})"));
            PackageJson::default()
        }),
        Err(e) => {
            warnings.push(format!("cannot read package.json ({e})"));
            PackageJson::default()
        }
    };
    let manager = [
        ("pnpm-lock.yaml", "pnpm"),
        ("yarn.lock", "yarn"),
        ("bun.lockb", "bun"),
        ("bun.lock", "bun"),
    ]
    .into_iter()
    .find(|(lock, _)| dir.join(lock).is_file())
    .map_or("npm", |(_, manager)| manager);
    let script = ["dev", "start"]
        .into_iter()
        .find(|script| package.scripts.contains_key(*script));
    let entry = package
        .main
        .clone()
        .filter(|main| dir.join(main).is_file())
        .or_else(|| {
            ["server.js", "index.js", "app.js", "main.js"]
                .into_iter()
                .find(|file| dir.join(file).is_file())
                .map(str::to_owned)
        });
    let (run, tool) = match (script, entry) {
        (Some(script), _) => {
            let run = match manager {
                "yarn" => format!("yarn {script}"),
                _ => format!("{manager} run {script}"),
            };
            (Some(run), manager)
        }
        (None, Some(entry)) => (Some(format!("node {entry}")), "node"),
        (None, None) => {
            warnings.push(
                "package.json has no `dev` or `start` script and no entry file: write the run command in [run]"
                    .into(),
            );
            (None, "node")
        }
    };
    let detected = match &package.name {
        Some(name) => format!("Node.js package {name} (package.json)"),
        None => "Node.js package (package.json)".to_owned(),
    };
    Plan {
        kind: Kind::Node,
        detected,
        extensions: strings(&["js", "mjs", "cjs", "jsx", "ts", "mts", "tsx", "json"]),
        ignore: strings(&["node_modules/**"]),
        build: None,
        run,
        run_example: "command = \"node server.js\"".to_owned(),
        output: None,
        tools: vec![tool.to_owned()],
        warnings,
        web: None,
        apps: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Python

fn python(dir: &Path, marker: &str) -> Plan {
    let venv = [".venv/bin/python", "venv/bin/python"]
        .into_iter()
        .find(|python| dir.join(python).exists());
    let python = venv.unwrap_or("python3");
    let run = if dir.join("manage.py").is_file() {
        Some(format!("{python} manage.py runserver --noreload"))
    } else {
        ["app.py", "main.py", "server.py"]
            .into_iter()
            .find(|file| dir.join(file).is_file())
            .map(|file| format!("{python} {file}"))
    };
    let mut warnings = Vec::new();
    if run.is_none() {
        warnings.push(
            "no app.py, main.py, server.py or manage.py: write the run command in [run]".into(),
        );
    }
    Plan {
        kind: Kind::Python,
        detected: format!("Python project ({marker})"),
        extensions: strings(&["py"]),
        ignore: strings(&["**/__pycache__/**", ".venv/**", "venv/**"]),
        build: None,
        run,
        run_example: format!("command = \"{python} app.py\""),
        output: None,
        tools: match venv {
            Some(_) => Vec::new(),
            None => strings(&["python3"]),
        },
        warnings,
        web: None,
        apps: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_module_path_is_read_with_quotes_and_comments() {
        assert_eq!(
            go_module("module example.com/app\n\ngo 1.19\n").as_deref(),
            Some("example.com/app")
        );
        assert_eq!(
            go_module("// c\nmodule \"example.com/q\" // x\n").as_deref(),
            Some("example.com/q")
        );
        assert_eq!(go_module("go 1.19\nmodules x\n"), None);
    }

    #[test]
    fn a_go_web_app_is_recognised_by_its_imports_and_its_dirs_offered() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("go.mod"), "module example.com/w\n").unwrap();
        std::fs::write(root.join("main.go"), "package main\nfunc main() {}\n").unwrap();
        assert_eq!(go_web(root), None, "no web import yet");
        std::fs::create_dir_all(root.join("internal/web")).unwrap();
        std::fs::write(
            root.join("internal/web/h_test.go"),
            "package web\nimport \"net/http\"\n",
        )
        .unwrap();
        assert_eq!(go_web(root), None, "a test file does not count");
        std::fs::write(
            root.join("internal/web/h.go"),
            "package web\nimport (\n\t\"html/template\"\n)\n",
        )
        .unwrap();
        std::fs::create_dir(root.join("templates")).unwrap();
        std::fs::create_dir(root.join("static")).unwrap();
        let web = go_web(root).expect("web app");
        assert_eq!(web.evidence, "html/template in internal/web/h.go");
        assert_eq!(web.reload_only, ["templates/**", "static/**"]);
    }

    #[test]
    fn go_binary_is_named_after_the_last_element_without_major_version() {
        assert_eq!(go_binary_name("example.com/goserver"), "goserver");
        assert_eq!(go_binary_name("github.com/me/app/v2"), "app");
        assert_eq!(go_binary_name("hello"), "hello");
        assert_eq!(go_binary_name("v2"), "v2");
    }
}
