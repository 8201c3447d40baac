//! The one error type of configuration, and the one place it is rendered.
//!
//! A message names where the bad value came from (`file:line:col` or `--flag`), what is wrong
//! with it, the dotted key, and, when there is one, a fix. It never contains `Debug` output.

use std::fmt;
use std::path::PathBuf;

/// Where a bad value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A value in the config file; `line` and `column` are 1-based, `None` for the whole file.
    File {
        path: PathBuf,
        position: Option<(usize, usize)>,
    },
    /// A command-line flag, e.g. `--debounce`.
    Flag(String),
    /// Neither: e.g. no run command anywhere.
    Nowhere,
}

/// A configuration that cannot be used. Nothing was started; `main` exits with `exit::USAGE`.
///
/// `Display` renders it as one line, `<file>:<line>:<col>: <problem> (key `<dotted.key>`)`,
/// optionally followed by `  hint: …` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    origin: Origin,
    problem: String,
    key: Option<String>,
    hint: Option<String>,
}

/// What is wrong with a value and how to fix it, before we know where the value came from.
/// The parsers of single values return this; `resolve` adds the origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl ConfigError {
    pub fn new(origin: Origin, problem: Problem) -> Self {
        ConfigError {
            origin,
            problem: problem.message,
            key: None,
            hint: problem.hint,
        }
    }

    /// An error about a command-line flag (`flag` includes the dashes).
    pub fn flag(flag: impl Into<String>, problem: Problem) -> Self {
        Self::new(Origin::Flag(flag.into()), problem)
    }

    /// An error that belongs to no single value.
    pub fn nowhere(problem: Problem) -> Self {
        Self::new(Origin::Nowhere, problem)
    }

    /// Names the dotted key the error is about (file errors only).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// What is wrong, without location or hint.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// The dotted key, e.g. `run.stop_timeout` or `listen[0].address`.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::File {
                path,
                position: Some((line, column)),
            } => write!(f, "{}:{line}:{column}: ", path.display())?,
            Origin::File {
                path,
                position: None,
            } => write!(f, "{}: ", path.display())?,
            Origin::Flag(flag) => write!(f, "{flag}: ")?,
            Origin::Nowhere => {}
        }
        f.write_str(&self.problem)?;
        if let (Some(key), Origin::File { .. }) = (&self.key, &self.origin) {
            write!(f, " (key `{key}`)")?;
        }
        if let Some(hint) = &self.hint {
            // Continuation lines line up under the text after "hint: ".
            let mut lines = hint.lines();
            if let Some(first) = lines.next() {
                write!(f, "\n  hint: {first}")?;
            }
            for line in lines {
                write!(f, "\n        {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// "did you mean `command`?" when a valid name is close, and the valid names either way.
pub fn did_you_mean<S: AsRef<str>>(name: &str, valid: &[S]) -> String {
    let list = valid
        .iter()
        .map(|v| format!("`{}`", v.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    let closest = valid
        .iter()
        .map(|v| (strsim::jaro_winkler(name, v.as_ref()), v.as_ref()))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match closest {
        Some((_, v)) => format!("did you mean `{v}`? (valid: {list})"),
        None if valid.is_empty() => "remove it".to_owned(),
        None => format!("valid here: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_error_renders_location_problem_and_key_on_one_line() {
        let error = ConfigError::new(
            Origin::File {
                path: ".hotdev.toml".into(),
                position: Some((3, 16)),
            },
            Problem::new("`5x` is not a duration"),
        )
        .with_key("run.stop_timeout");
        assert_eq!(
            error.to_string(),
            ".hotdev.toml:3:16: `5x` is not a duration (key `run.stop_timeout`)"
        );
    }

    #[test]
    fn flag_error_names_the_flag_and_not_a_key() {
        let error = ConfigError::flag("--debounce", Problem::new("`5x` is not a duration"))
            .with_key("watch.debounce")
            .with_hint("write a number and a unit, e.g. \"50ms\"");
        assert_eq!(
            error.to_string(),
            "--debounce: `5x` is not a duration\n  hint: write a number and a unit, e.g. \"50ms\""
        );
    }

    #[test]
    fn multi_line_hints_are_indented() {
        let error = ConfigError::nowhere(Problem::new("no run command").with_hint("a\nb"));
        assert_eq!(error.to_string(), "no run command\n  hint: a\n        b");
    }
}
