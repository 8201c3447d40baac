//! The paths hotdev never watches, whatever the config says: what the build writes and
//! hotdev's own files. Without this a build would trigger itself, forever.
//!
//! Pure: derived from the commands' words, without touching the file system.

use std::path::{Component, Path, PathBuf};

use super::BuildConfig;

use crate::process::Program;

/// hotdev's own directory under the root (state, sockets).
pub const OWN_DIR: &str = ".hotdev";

/// Absolute paths that must never trigger a build. `cargo_target_dir` is the process's
/// `CARGO_TARGET_DIR`, if set.
pub fn never_watched(
    root: &Path,
    build: Option<&BuildConfig>,
    run: &Program,
    cargo_target_dir: Option<&Path>,
) -> Vec<PathBuf> {
    let mut never = vec![root.join(OWN_DIR)];
    if let Some(build) = build {
        let words = words(&build.command.program);
        if let Some(output) = go_build_output(&words) {
            never.push(output_to_ignore(root, &output));
        }
        if words.iter().any(|word| program_stem(word) == "cargo") {
            let target = flag_value(&words, "--target-dir")
                .map(PathBuf::from)
                .or_else(|| build.command.env.get("CARGO_TARGET_DIR").map(PathBuf::from))
                .or_else(|| cargo_target_dir.map(Path::to_path_buf))
                .unwrap_or_else(|| PathBuf::from("target"));
            never.push(normalize(&root.join(target)));
        }
    }
    if let Some(program) = words(run).first().filter(|word| word.contains('/')) {
        let path = normalize(&root.join(program));
        if path.starts_with(root) && path != root {
            never.push(path);
        }
    }
    never.sort();
    never.dedup();
    never
}

/// The words of a command; a shell script is split as well as it can be (an unclosed quote
/// falls back to whitespace), which is enough to find `-o PATH`.
fn words(program: &Program) -> Vec<String> {
    match program {
        Program::Argv(argv) => argv.clone(),
        Program::Script(script) => shell_words::split(script)
            .unwrap_or_else(|_| script.split_whitespace().map(str::to_owned).collect()),
    }
}

fn program_stem(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The `-o PATH` of a `go build` (Go's flag package also takes `--o` and `-o=PATH`).
fn go_build_output(words: &[String]) -> Option<String> {
    words.windows(2).enumerate().find_map(|(i, pair)| {
        if program_stem(&pair[0]) != "go" || pair[1] != "build" {
            return None;
        }
        // Stop at the end of this command in a script (`go build -o x . && go vet`).
        let rest = &words[i + 2..];
        let end = rest
            .iter()
            .position(|word| ["&&", "||", ";", "|"].contains(&word.as_str()));
        let args = &rest[..end.unwrap_or(rest.len())];
        flag_value(args, "-o").or_else(|| flag_value(args, "--o"))
    })
}

/// The value of `flag VALUE` or `flag=VALUE`.
fn flag_value(words: &[String], flag: &str) -> Option<String> {
    words.iter().enumerate().find_map(|(i, word)| {
        if word == flag {
            words.get(i + 1).cloned()
        } else {
            word.strip_prefix(flag)?
                .strip_prefix('=')
                .map(str::to_owned)
        }
    })
}

/// A build output in a subdirectory of the root (`tmp/app`) means that whole directory is
/// output; one written straight into the root (`./app`) is ignored by itself.
fn output_to_ignore(root: &Path, output: &str) -> PathBuf {
    let path = normalize(&root.join(output));
    if output.ends_with('/') {
        return path;
    }
    match path.parent() {
        Some(parent) if parent != root && parent.starts_with(root) => parent.to_path_buf(),
        _ => path,
    }
}

/// Removes `.` and folds `..` without touching the file system (outputs may not exist yet).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::process::CommandSpec;

    fn build(line: &str) -> BuildConfig {
        BuildConfig {
            command: CommandSpec {
                program: Program::Script(line.into()),
                env: BTreeMap::new(),
                env_files: Vec::new(),
            },
            timeout: None,
            speculative: true,
        }
    }

    fn never(build_line: Option<&str>, run: &str) -> Vec<String> {
        let build = build_line.map(build);
        let run = Program::Argv(vec![run.into()]);
        never_watched(Path::new("/p"), build.as_ref(), &run, None)
            .into_iter()
            .map(|path| path.display().to_string())
            .collect()
    }

    #[test]
    fn go_build_output_in_a_subdirectory_ignores_the_directory() {
        assert_eq!(
            never(Some("go build -o tmp/app ."), "tmp/app"),
            ["/p/.hotdev", "/p/tmp", "/p/tmp/app"]
        );
        assert_eq!(
            never(Some("go build -o=./bin/server ./cmd"), "app"),
            ["/p/.hotdev", "/p/bin"]
        );
    }

    #[test]
    fn go_build_output_in_the_root_ignores_only_the_file() {
        assert_eq!(
            never(Some("go build -o app ."), "./app"),
            ["/p/.hotdev", "/p/app"]
        );
    }

    #[test]
    fn go_build_is_found_inside_a_script() {
        assert_eq!(
            never(
                Some("go vet ./... && go build -o bin/app . && echo -o x"),
                "app"
            ),
            ["/p/.hotdev", "/p/bin"]
        );
    }

    #[test]
    fn cargo_builds_ignore_the_target_dir() {
        assert_eq!(
            never(Some("cargo build"), "app"),
            ["/p/.hotdev", "/p/target"]
        );
        assert_eq!(
            never(Some("cargo build --target-dir /tmp/t && echo ok"), "app"),
            ["/p/.hotdev", "/tmp/t"]
        );
    }

    #[test]
    fn run_program_outside_the_root_is_not_listed() {
        assert_eq!(never(None, "../elsewhere/app"), ["/p/.hotdev"]);
        assert_eq!(never(None, "app"), ["/p/.hotdev"]);
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/p/./a/../b")), PathBuf::from("/p/b"));
    }
}
