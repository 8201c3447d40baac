//! Resolved values back into TOML values as a user would write them: durations in words,
//! commands as strings when they read back the same. Pure; it never decides provenance.

use toml::Value;

use crate::config::file::CommandFile;
use crate::config::value;
use crate::process::Program;
use crate::ready::Readiness;

pub(super) fn shown_path(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

pub(super) fn strings(items: impl Iterator<Item = String>) -> Value {
    Value::Array(items.map(Value::String).collect())
}

pub(super) fn duration(duration: std::time::Duration) -> Value {
    Value::String(humantime::format_duration(duration).to_string())
}

pub(super) fn env(env: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Table(
        env.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// A command as the user would write it: a string when one parses back to the same program,
/// else the argv array.
pub(super) fn command(program: &Program) -> Value {
    match program {
        Program::Script(script) => Value::String(script.clone()),
        Program::Argv(argv) => {
            let line = shell_words::join(argv);
            match value::program(&CommandFile::Line(line.clone())) {
                Ok(parsed) if parsed == *program => Value::String(line),
                _ => strings(argv.iter().cloned()),
            }
        }
    }
}

pub(super) fn ready(ready: &Readiness) -> Value {
    let (key, value) = match ready {
        Readiness::Notify => ("notify", Value::Boolean(true)),
        Readiness::Log(regex) => ("log", Value::String(regex.as_str().to_owned())),
        Readiness::Http(url) => ("http", Value::String(url.clone())),
        Readiness::Tcp(address) => ("tcp", Value::String(address.clone())),
        Readiness::Delay(delay) => ("delay", duration(*delay)),
    };
    Value::Table([(key.to_owned(), value)].into_iter().collect())
}
