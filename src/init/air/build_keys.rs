//! air's build and run commands: `[build]` with `[build.linux]` laid over it, `pre_cmd` joined
//! before `cmd`, and the run command from `full_bin`, `entrypoint` or `bin`. Never writes
//! the output file; it fills in `Build` and notes.

use toml::{Table, Value};

use super::{Build, Out, strings};

pub(super) fn build_keys(build: &Table, out: &mut Out) -> Build {
    let mut b = Build {
        cmd: "go build -o ./tmp/main .".into(),
        bin: "./tmp/main".into(),
        ..Build::default()
    };
    apply_build(&mut b, build);
    for key in [
        "pre_cmd",
        "cmd",
        "post_cmd",
        "bin",
        "entrypoint",
        "full_bin",
        "args_bin",
    ] {
        let Some(value) = build.get(key) else {
            continue;
        };
        let dotted = format!("build.{key}");
        match key {
            "pre_cmd" => out.mapped(
                &dotted,
                "run before every build: build.command = \"PRE && CMD\"",
            ),
            "cmd" => out.mapped(&dotted, "build.command"),
            "post_cmd" => out.unmapped(
                &dotted,
                format!(
                    "hotdev runs no command at exit: run it after hotdev ends, e.g. `hotdev; {}`",
                    strings(value).join("; ")
                ),
            ),
            "bin" | "entrypoint" | "args_bin" => out.mapped(&dotted, "run.command"),
            "full_bin" => out.mapped(
                &dotted,
                "run.command, its leading VAR=value words as run.env",
            ),
            _ => {}
        }
    }
    for (os, table) in ["linux", "darwin", "windows"]
        .iter()
        .filter_map(|os| build.get(*os).and_then(Value::as_table).map(|t| (*os, t)))
    {
        if os == "linux" {
            apply_build(&mut b, table);
            out.mapped("build.linux", "laid over [build], as air does on Linux");
        } else {
            out.unmapped(
                &format!("build.{os}"),
                "another platform's overrides: hotdev runs on Linux, so they do not apply",
            );
        }
    }
    b
}

fn apply_build(b: &mut Build, table: &Table) {
    if let Some(v) = table.get("pre_cmd") {
        b.pre_cmd = strings(v);
    }
    if let Some(v) = table
        .get("cmd")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.cmd = v.to_string();
    }
    if let Some(v) = table
        .get("bin")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.bin = v.to_string();
    }
    if let Some(v) = table.get("entrypoint") {
        b.entrypoint = strings(v);
    }
    if let Some(v) = table
        .get("full_bin")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.full_bin = v.to_string();
    }
    if let Some(v) = table.get("args_bin") {
        b.args_bin = strings(v);
    }
}

/// air's run command: `full_bin`, else `entrypoint`, else `bin`, then `args_bin`.
pub(super) fn run_command(b: &Build, env: &mut Vec<(String, String)>) -> String {
    let mut words: Vec<String> = if !b.full_bin.is_empty() {
        let mut words =
            shell_words::split(&b.full_bin).unwrap_or_else(|_| vec![b.full_bin.clone()]);
        // Leading VAR=value words are the environment (air runs full_bin through a shell).
        while let Some((name, value)) = words.first().and_then(|w| env_assignment(w)) {
            env.push((name, value));
            words.remove(0);
        }
        words
    } else if !b.entrypoint.is_empty() {
        b.entrypoint.clone()
    } else {
        // air runs `bin` and its arguments through a shell: it may hold words of its own.
        shell_words::split(&b.bin).unwrap_or_else(|_| vec![b.bin.clone()])
    };
    words.extend(b.args_bin.iter().cloned());
    shell_words::join(words)
}

fn env_assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name.to_string(), value.to_string()))
}
