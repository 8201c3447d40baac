//! The effective configuration as text: TOML with the provenance in aligned comments, or one
//! JSON object. Pure formatting of [`Effective`]; it never loads or looks anything up.

use serde_json::json;
use toml::Value;

use super::{Effective, SetBy};

/// A value as one line of TOML (tables inline).
pub(super) fn inline(value: &Value) -> String {
    match value {
        Value::Table(table) => {
            let pairs: Vec<String> = table
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            if pairs.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{ {} }}", pairs.join(", "))
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A table key, quoted when it is not a bare key.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_owned()
    } else {
        Value::String(name.to_owned()).to_string()
    }
}

pub(super) fn describe(from: &[SetBy]) -> String {
    if from.is_empty() {
        return "default".to_owned();
    }
    let parts: Vec<String> = from
        .iter()
        .map(|from| match from {
            SetBy::File { path, line } => format!("{}:{line}", path.display()),
            SetBy::Flag(flag) => flag.to_string(),
        })
        .collect();
    format!("from {}", parts.join(" and "))
}

/// Values are aligned on this column unless they are longer.
const COMMENT_COLUMN: usize = 36;

/// The TOML-like text: valid TOML, with the provenance in comments.
pub fn render_toml(effective: &Effective) -> String {
    let mut out = String::new();
    out.push_str("# The effective configuration: file, flags and defaults.\n");
    match &effective.file {
        Some(file) => out.push_str(&format!("# file: {}\n", file.display())),
        None => out.push_str("# file: none (no .hotdev.toml here or above)\n"),
    }
    out.push_str(&format!(
        "# paths are relative to {}\n",
        effective.root.display()
    ));
    let mut table = (None, String::new());
    for item in &effective.items {
        if (&item.app, &item.table) != (&table.0, &table.1) {
            let scope = match &item.app {
                Some(app) => format!("apps.{}.", key(app)),
                None => String::new(),
            };
            let has_build = effective
                .items
                .iter()
                .any(|other| other.app == item.app && other.table == "build");
            if item.table == "run" && !has_build {
                out.push_str(&format!(
                    "\n# [{scope}build]: none, a change restarts the run command\n"
                ));
            }
            table = (item.app.clone(), item.table.clone());
            match item.table.strip_prefix("[listen]") {
                Some(_) => out.push_str(&format!("\n[[{scope}listen]]\n")),
                None if item.table.is_empty() => {
                    out.push_str(&format!("\n[{}]\n", scope.trim_end_matches('.')));
                }
                None => out.push_str(&format!("\n[{scope}{}]\n", item.table)),
            }
        }
        let line = match &item.value {
            Some(value) => format!("{} = {}", item.key, inline(value)),
            None => format!("# {} not set", item.key),
        };
        let mut comment = describe(&item.from);
        if let (None, Some(unset)) = (&item.value, item.unset) {
            comment = format!("{comment}: {unset}");
        }
        let pad = COMMENT_COLUMN.saturating_sub(line.chars().count()).max(2);
        out.push_str(&format!("{line}{:pad$}# {comment}\n", ""));
    }
    if !effective.never.is_empty() {
        out.push_str(
            "\n# never watched, whatever the config says (build output, hotdev's own files):\n",
        );
        for path in &effective.never {
            out.push_str(&format!("#   {path}\n"));
        }
    }
    out
}

/// One JSON object: `file`, `root`, `never_watched`, and `values`, a list of
/// `{ "key", "value", "from" }` where `from` is a list of `{ "file", "line" }` or
/// `{ "flag" }` objects, empty for a default.
pub fn render_json(effective: &Effective) -> String {
    let values: Vec<serde_json::Value> = effective
        .items
        .iter()
        .map(|item| {
            let key = match item.table.strip_prefix("[listen] ") {
                Some(i) => format!("listen[{i}].{}", item.key),
                None => format!("{}.{}", item.table, item.key),
            };
            let key = match (&item.app, item.table.is_empty()) {
                (Some(app), true) => format!("apps.{app}.{}", item.key),
                (Some(app), false) => format!("apps.{app}.{key}"),
                (None, _) => key,
            };
            let from: Vec<serde_json::Value> = item
                .from
                .iter()
                .map(|from| match from {
                    SetBy::File { path, line } => json!({ "file": path, "line": line }),
                    SetBy::Flag(flag) => json!({ "flag": flag }),
                })
                .collect();
            let value = item
                .value
                .as_ref()
                .and_then(|value| serde_json::to_value(value).ok());
            json!({ "key": key, "value": value, "from": from, "default": item.from.is_empty() })
        })
        .collect();
    let object = json!({
        "file": effective.file,
        "root": effective.root,
        "never_watched": effective.never,
        "values": values,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&object).unwrap_or_default()
    )
}
