//! Rust projects: which binary to run, from `cargo metadata` (or Cargo.toml when cargo is
//! missing or fails), and where cargo puts it.
//!
//! Runs `cargo metadata --no-deps` and reads files; never writes anything.

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use super::plan::{Kind, Plan, strings};

/// The parts of `cargo metadata --format-version 1` that matter here.
#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub packages: Vec<Package>,
    pub target_directory: PathBuf,
}

#[derive(Debug, Deserialize)]
pub struct Package {
    pub name: String,
    pub manifest_path: PathBuf,
    pub targets: Vec<Target>,
    /// `[package] default-run`.
    #[serde(default)]
    pub default_run: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Target {
    pub name: String,
    pub kind: Vec<String>,
    #[serde(default)]
    pub src_path: PathBuf,
}

/// The plan for the Cargo project in `dir`.
pub fn plan(dir: &Path) -> Plan {
    let mut plan = Plan {
        kind: Kind::Rust,
        detected: "Rust package (Cargo.toml)".to_owned(),
        extensions: strings(&["rs", "toml"]),
        ignore: strings(&["target/**"]),
        build: Some("cargo build".to_owned()),
        run: None,
        run_example: "command = \"target/debug/<your binary>\"".to_owned(),
        output: Some("target".to_owned()),
        tools: strings(&["cargo"]),
        warnings: Vec::new(),
        web: None,
        apps: Vec::new(),
    };
    match cargo_metadata(dir) {
        Ok(metadata) => plan_from_metadata(dir, &metadata, &mut plan),
        Err(problem) => {
            plan.warnings.push(format!(
                "{problem}; read Cargo.toml instead (the binary is assumed in target/debug)"
            ));
            plan_from_manifest(dir, &mut plan);
        }
    }
    plan
}

fn cargo_metadata(dir: &Path) -> Result<Metadata, String> {
    let output = Command::new("cargo")
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `cargo metadata` ({e})"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!("`cargo metadata` failed: {}", reason.trim()));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cannot read the output of `cargo metadata` ({e})"))
}

/// Picks the binary: the package in `dir` if it has one, else the first of the workspace; in
/// a package, the one `cargo run` would pick (`default-run`, the package's name, src/main.rs),
/// else the first. Says so when there was a choice.
pub fn plan_from_metadata(dir: &Path, metadata: &Metadata, plan: &mut Plan) {
    let bins = |package: &Package| -> Vec<String> {
        let mut bins: Vec<&Target> = package
            .targets
            .iter()
            .filter(|target| target.kind.iter().any(|kind| kind == "bin"))
            .collect();
        let rank = |target: &&Target| {
            if package.default_run.as_deref() == Some(target.name.as_str()) {
                0
            } else if target.name == package.name {
                1
            } else if target.src_path.ends_with("src/main.rs") {
                2
            } else {
                3
            }
        };
        // Stable: equals keep cargo's order.
        bins.sort_by_key(rank);
        bins.into_iter().map(|target| target.name.clone()).collect()
    };
    let manifest = dir.join("Cargo.toml");
    let here = metadata
        .packages
        .iter()
        .find(|package| same_file(&package.manifest_path, &manifest));
    let candidates: Vec<(&Package, String)> = match here {
        Some(package) if !bins(package).is_empty() => bins(package)
            .into_iter()
            .map(|bin| (package, bin))
            .collect(),
        _ => metadata
            .packages
            .iter()
            .flat_map(|package| bins(package).into_iter().map(move |bin| (package, bin)))
            .collect(),
    };
    let workspace = metadata.packages.len() > 1;
    plan.detected = match (here, workspace) {
        (Some(package), false) => format!("Rust package {} (Cargo.toml)", package.name),
        (Some(package), true) => format!(
            "Rust package {} in a workspace of {} packages (Cargo.toml)",
            package.name,
            metadata.packages.len()
        ),
        (None, _) => format!(
            "Rust workspace of {} packages (Cargo.toml)",
            metadata.packages.len()
        ),
    };
    let Some((package, bin)) = candidates.first() else {
        plan.warnings.push(
            "no binary target (src/main.rs or [[bin]]) in this package or workspace: write the run command in [run]".into(),
        );
        return;
    };
    if candidates.len() > 1 {
        let others: Vec<String> = candidates[1..]
            .iter()
            .map(|(package, bin)| match workspace {
                true => format!("{bin} (package {})", package.name),
                false => bin.clone(),
            })
            .collect();
        plan.warnings.push(format!(
            "several binaries: using {bin}; the others are {}. To run another, change `--bin` and the path in [build] and [run]",
            others.join(", ")
        ));
    }
    let own_bins = bins(package).len();
    plan.build = Some(match (workspace, own_bins > 1 || candidates.len() > 1) {
        (true, _) => format!("cargo build -p {} --bin {bin}", package.name),
        (false, true) => format!("cargo build --bin {bin}"),
        (false, false) => "cargo build".to_owned(),
    });
    let target = relative_to(dir, &metadata.target_directory);
    plan.run = Some(format!("{}/debug/{bin}", target.display()));
    if !target.starts_with("..") && !target.is_absolute() {
        plan.ignore = vec![format!("{}/**", target.display())];
        plan.output = Some(target.display().to_string());
    } else {
        plan.ignore = Vec::new();
        plan.output = None;
    }
}

/// Without cargo: `[package] name` or the first `[[bin]] name` of Cargo.toml.
fn plan_from_manifest(dir: &Path, plan: &mut Plan) {
    #[derive(Deserialize)]
    struct Manifest {
        package: Option<NameOnly>,
        #[serde(default)]
        bin: Vec<NameOnly>,
    }
    #[derive(Deserialize)]
    struct NameOnly {
        name: Option<String>,
    }
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let manifest: Option<Manifest> = toml::from_str(&text).ok();
    let name = manifest.and_then(|manifest| {
        let first_bin = manifest.bin.into_iter().find_map(|bin| bin.name);
        first_bin.or_else(|| manifest.package.and_then(|package| package.name))
    });
    match name {
        Some(name) => {
            plan.detected = format!("Rust package {name} (Cargo.toml)");
            plan.run = Some(format!("target/debug/{name}"));
        }
        None => plan
            .warnings
            .push("Cargo.toml names no package: write the run command in [run]".into()),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `path` relative to `base` (with `..` when it is outside), or `path` itself when they share
/// nothing (different roots).
pub fn relative_to(base: &Path, path: &Path) -> PathBuf {
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Ok(rest) = path.strip_prefix(&base) {
        return if rest.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            rest.to_path_buf()
        };
    }
    let base: Vec<Component> = base.components().collect();
    let target: Vec<Component> = path.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return path;
    }
    let mut out = PathBuf::new();
    for _ in common..base.len() {
        out.push("..");
    }
    for component in &target[common..] {
        out.push(component);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spec<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn metadata(packages: &[Spec<'_>]) -> Metadata {
        Metadata {
            packages: packages
                .iter()
                .map(|(name, manifest, targets)| Package {
                    name: (*name).to_owned(),
                    manifest_path: PathBuf::from(manifest),
                    targets: targets
                        .iter()
                        .map(|(name, kind)| Target {
                            name: (*name).to_owned(),
                            kind: vec![(*kind).to_owned()],
                            src_path: PathBuf::from(format!("/src/bin/{name}.rs")),
                        })
                        .collect(),
                    default_run: None,
                })
                .collect(),
            target_directory: PathBuf::from("/nonexistent/ws/target"),
        }
    }

    fn plan_for(dir: &str, metadata: &Metadata) -> Plan {
        let mut plan = rust_skeleton();
        plan_from_metadata(Path::new(dir), metadata, &mut plan);
        plan
    }

    fn rust_skeleton() -> Plan {
        Plan {
            kind: Kind::Rust,
            detected: String::new(),
            extensions: Vec::new(),
            ignore: Vec::new(),
            build: None,
            run: None,
            run_example: String::new(),
            output: None,
            tools: Vec::new(),
            warnings: Vec::new(),
            web: None,
            apps: Vec::new(),
        }
    }

    #[test]
    fn single_binary_package_builds_with_plain_cargo_build() {
        let m = metadata(&[(
            "app",
            "/nonexistent/ws/Cargo.toml",
            &[("app", "bin"), ("app", "lib")],
        )]);
        let plan = plan_for("/nonexistent/ws", &m);
        assert_eq!(plan.build.as_deref(), Some("cargo build"));
        assert_eq!(plan.run.as_deref(), Some("target/debug/app"));
        assert_eq!(plan.ignore, ["target/**"]);
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn workspace_with_several_binaries_picks_the_first_and_says_so() {
        let m = metadata(&[
            ("api", "/nonexistent/ws/api/Cargo.toml", &[("api", "bin")]),
            (
                "worker",
                "/nonexistent/ws/worker/Cargo.toml",
                &[("worker", "bin")],
            ),
        ]);
        let plan = plan_for("/nonexistent/ws", &m);
        assert_eq!(plan.build.as_deref(), Some("cargo build -p api --bin api"));
        assert_eq!(plan.run.as_deref(), Some("target/debug/api"));
        assert!(
            plan.warnings[0].contains("using api; the others are worker (package worker)"),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn member_directory_prefers_its_own_binary_and_reaches_the_shared_target() {
        let m = metadata(&[
            ("api", "/nonexistent/ws/api/Cargo.toml", &[("api", "bin")]),
            (
                "worker",
                "/nonexistent/ws/worker/Cargo.toml",
                &[("worker", "bin")],
            ),
        ]);
        let plan = plan_for("/nonexistent/ws/worker", &m);
        assert_eq!(
            plan.build.as_deref(),
            Some("cargo build -p worker --bin worker")
        );
        assert_eq!(plan.run.as_deref(), Some("../target/debug/worker"));
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn library_only_workspace_asks_for_a_run_command() {
        let m = metadata(&[("lib", "/nonexistent/ws/Cargo.toml", &[("lib", "lib")])]);
        let plan = plan_for("/nonexistent/ws", &m);
        assert_eq!(plan.run, None);
        assert!(plan.warnings[0].contains("no binary target"));
    }
}
