//! `hotdev config`: the effective configuration, each value with where it came from.
//!
//! It loads the configuration exactly as a run would (`load`, unchanged), then works out the
//! provenance of every value by looking at the same inputs again: the flags in `Cli` and the
//! keys written in the file (`Source` spans). It never changes how a value is resolved.

use std::path::{Path, PathBuf};

use toml::Value;

use super::never::normalize;
use super::source::Source;
use crate::Error;
use crate::cli::{Cli, ConfigFormatArg};

mod lookup;
mod render;
mod values;

use lookup::Lookup;
pub use render::{render_json, render_toml};

/// Where one value came from. A value can have several sources (file and flag ignores add up);
/// none means the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetBy {
    /// Written in the config file at this 1-based line.
    File { path: PathBuf, line: usize },
    /// Given on the command line.
    Flag(&'static str),
}

/// One `key = value` line of the output.
#[derive(Debug, Clone)]
pub struct Item {
    /// The app it belongs to, in a file with `[apps]`.
    pub app: Option<String>,
    /// The table it belongs to, as written in the header: `watch`, `run`, `[listen]`.
    pub table: String,
    pub key: &'static str,
    /// `None` when the key is not set and has no default value (e.g. `build.timeout`).
    pub value: Option<Value>,
    /// Empty: the default.
    pub from: Vec<SetBy>,
    /// What an unset value means, e.g. "no limit".
    pub unset: Option<&'static str>,
}

/// The effective configuration as items, in file order.
#[derive(Debug, Clone)]
pub struct Effective {
    pub root: PathBuf,
    pub file: Option<PathBuf>,
    pub items: Vec<Item>,
    /// Paths never watched whatever the config says, relative to the root where possible.
    pub never: Vec<String>,
}

/// Runs `hotdev config`: loads the configuration like a run would and prints it to stdout.
pub fn run(cli: &Cli, cwd: &Path, format: ConfigFormatArg) -> Result<(), Error> {
    let effective = effective(cli, cwd)?;
    let text = match format {
        ConfigFormatArg::Toml => render_toml(&effective),
        ConfigFormatArg::Json => render_json(&effective),
    };
    crate::print(&text)
}

/// Loads the configuration and works out where each value came from.
pub fn effective(cli: &Cli, cwd: &Path) -> Result<Effective, Error> {
    let apps = super::load_apps(cli, cwd)?;
    let Some(config) = apps.first().map(|app| &app.config) else {
        return Err(Error::usage("the configuration has no app"));
    };
    let source = match &config.file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", path.display())))?;
            let dir = match &cli.directory {
                Some(dir) => normalize(&cwd.join(dir)),
                None => cwd.to_path_buf(),
            };
            let shown = path.strip_prefix(&dir).unwrap_or(path).to_path_buf();
            Some(Source::parse(shown, text)?.1)
        }
        None => None,
    };
    let several = source.as_ref().is_some_and(|s| s.has("apps"));
    let mut items = Vec::new();
    let mut never: Vec<String> = Vec::new();
    for app in &apps {
        let lookup = Lookup {
            cli,
            source: source.as_ref(),
            app: several.then_some(app.name.as_str()),
        };
        if several {
            items.extend(lookup.app_items(app));
        }
        items.extend(lookup.items(&app.config));
        for path in &app.config.watch.never {
            let path = relative(&app.config.root, path);
            if !never.contains(&path) {
                never.push(path);
            }
        }
    }
    Ok(Effective {
        root: config.root.clone(),
        file: config.file.clone(),
        items,
        never,
    })
}
/// `path` relative to `root` when it is inside it (`.` for the root itself), else absolute.
fn relative(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".to_owned(),
        Ok(rest) => rest.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests;
