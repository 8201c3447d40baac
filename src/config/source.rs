//! A config file as read: its text, the spans of its keys, and `FileConfig` parsed from it.
//!
//! Every error about the file goes through here so that it names a line, a column and the
//! dotted key. toml's own messages are reworded into sentences with a fix.

use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, Origin, Problem, did_you_mean};
use super::file::{self, FileConfig};

/// The parsed file and a map from dotted keys to where they are written.
#[derive(Debug)]
pub struct Source {
    /// The path as shown in messages (relative to the working directory when under it).
    shown_path: PathBuf,
    text: String,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    /// Dotted key: `run.ready.log`, `listen[0].address`, `watch.ignore[2]`.
    key: String,
    /// The key as written; `None` for array elements.
    key_span: Option<Range<usize>>,
    value_span: Range<usize>,
}

/// The file's bytes as text: TOML is UTF-8, and a file that is not gets its first bad byte
/// located (line, column, byte offset) instead of "stream did not contain valid UTF-8".
pub fn utf8(shown_path: PathBuf, bytes: Vec<u8>) -> Result<String, ConfigError> {
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let before = String::from_utf8_lossy(&bytes[..offset]);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let problem = Problem::new(format!(
            "the file is not UTF-8: byte 0x{:02x} at offset {offset}",
            bytes[offset]
        ))
        .with_hint("TOML files are UTF-8; save it as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)");
        ConfigError::new(
            Origin::File {
                path: shown_path,
                position: Some((line, column)),
            },
            problem,
        )
    })
}

impl Source {
    /// Parses `text`; `shown_path` is what messages call the file.
    pub fn parse(shown_path: PathBuf, text: String) -> Result<(FileConfig, Source), ConfigError> {
        let mut source = Source {
            shown_path,
            text,
            entries: Vec::new(),
        };
        let entries = match DeTable::parse(&source.text) {
            Ok(table) => {
                let mut entries = Vec::new();
                index_table(table.get_ref(), "", &mut entries);
                entries
            }
            Err(error) => {
                let span = error.span().unwrap_or(0..0);
                let problem = Problem::new(format!("invalid TOML: {}", error.message()))
                    .with_hint("see https://toml.io for the syntax");
                return Err(source.error_at_span(span, None, problem));
            }
        };
        source.entries = entries;
        match file::parse(&source.text) {
            Ok(config) => Ok((config, source)),
            Err(error) => Err(source.translate(&error)),
        }
    }

    /// An error about the value of `key`, located at the value (or at the file when the key is
    /// not in it, which only happens for defaults and is a bug upstream, not a panic).
    pub fn error(&self, key: &str, problem: Problem) -> ConfigError {
        let span = self
            .entries
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| entry.value_span.clone());
        match span {
            Some(span) => self.error_at_span(span, Some(key.to_owned()), problem),
            None => ConfigError::new(self.origin(None), problem).with_key(key),
        }
    }

    /// The key an app's value was read from: `apps.NAME.KEY` when the app's table writes it,
    /// else the top-level `KEY` it inherited, else (neither writes it) the app's table
    /// `apps.NAME`. With no app, `KEY`.
    pub fn scoped(&self, app: Option<&str>, key: &str) -> String {
        let Some(app) = app else {
            return key.to_owned();
        };
        let own = format!("apps.{app}.{key}");
        if self.has(&own) {
            own
        } else if self.has(key) {
            key.to_owned()
        } else {
            format!("apps.{app}")
        }
    }

    /// Whether the file writes `key` (dotted).
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|entry| entry.key == key)
    }

    /// The 1-based line where `key` (dotted, as in errors) is written, if the file has it.
    /// For `hotdev config`, which says where each value came from.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        let entry = self.entries.iter().find(|entry| entry.key == key)?;
        let span = entry.key_span.as_ref().unwrap_or(&entry.value_span);
        Some(self.line_col(span.start).0)
    }

    /// The path as messages show it.
    pub fn shown_path(&self) -> &std::path::Path {
        &self.shown_path
    }

    fn origin(&self, position: Option<(usize, usize)>) -> Origin {
        Origin::File {
            path: self.shown_path.clone(),
            position,
        }
    }

    fn error_at_span(
        &self,
        span: Range<usize>,
        key: Option<String>,
        problem: Problem,
    ) -> ConfigError {
        let error = ConfigError::new(self.origin(Some(self.line_col(span.start))), problem);
        match key {
            Some(key) => error.with_key(key),
            None => error,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// The innermost key whose key or value contains `span`.
    fn key_at(&self, span: &Range<usize>) -> Option<&str> {
        let contains = |outer: &Range<usize>| outer.start <= span.start && span.end <= outer.end;
        self.entries
            .iter()
            .filter_map(|entry| {
                let hit = [entry.key_span.as_ref(), Some(&entry.value_span)]
                    .into_iter()
                    .flatten()
                    .filter(|s| contains(s))
                    .map(|s| s.len())
                    .min()?;
                Some((hit, entry.key.as_str()))
            })
            .min_by_key(|(len, _)| *len)
            .map(|(_, key)| key)
    }

    /// Turns a serde error from `file::parse` into a located sentence.
    fn translate(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span().unwrap_or(0..0);
        let key = self.key_at(&span).map(str::to_owned);
        let problem = reword(error.message(), key.as_deref());
        self.error_at_span(span, key, problem)
    }
}

/// Rewords serde's and toml's messages, whose shapes are stable (`serde::de::Error`'s
/// `unknown_field`, `unknown_variant`, `invalid_type`, `missing_field`).
fn reword(message: &str, key: Option<&str>) -> Problem {
    let key = key.unwrap_or("");
    let (parent, last) = match key.rsplit_once('.') {
        Some((parent, last)) => (parent, last),
        None => ("", key),
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, valid) = split_expected(rest);
        let place = if parent.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in `[{}]`", strip_index(parent))
        };
        return Problem::new(format!("unknown key `{name}` {place}"))
            .with_hint(did_you_mean(&name, &valid));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, valid) = split_expected(rest);
        let what = if key.ends_with("strategy") {
            "strategy"
        } else if key.contains("ready") {
            "readiness check"
        } else {
            "value"
        };
        return Problem::new(format!("unknown {what} `{name}`"))
            .with_hint(did_you_mean(&name, &valid));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return Problem::new(format!("`[[{}]]` needs the key {rest}", strip_index(key)))
            .with_hint("e.g. address = \"127.0.0.1:8080\"");
    }
    if last == "ready" {
        return Problem::new("`ready` takes an inline table with exactly one check")
            .with_hint("e.g. ready = { notify = true }, or { log = \"listening\" }, { http = \"http://127.0.0.1:8081/health\" }, { tcp = \"127.0.0.1:8081\" }, { delay = \"1s\" }");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if key == "listen" {
            return listen_not_a_list(rest.starts_with("map"));
        }
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return Problem::new(format!("wrong type: expected {expected}, found {found}"));
        }
    }
    Problem::new(message.to_owned())
}

/// `[listen]` (one table) or `listen = …` where the listeners, a list, belong.
fn listen_not_a_list(table: bool) -> Problem {
    let problem = if table {
        "`[listen]` is a single table, but the listeners are a list"
    } else {
        "`listen` takes a list of listeners"
    };
    Problem::new(problem).with_hint(
        "write `[[listen]]`, an array of tables (double brackets, one per listener):\n\
         [[listen]]\n\
         address = \"127.0.0.1:8080\"",
    )
}

/// "`comand`, expected one of `command`, `env`" → ("comand", ["command", "env"]).
fn split_expected(rest: &str) -> (String, Vec<String>) {
    let mut ticked = rest.split('`').skip(1).step_by(2).map(str::to_owned);
    let name = ticked.next().unwrap_or_default();
    (name, ticked.collect())
}

fn strip_index(key: &str) -> &str {
    key.split('[').next().unwrap_or(key)
}

fn index_table(table: &DeTable<'_>, prefix: &str, out: &mut Vec<Entry>) {
    for (key, value) in table {
        let dotted = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        out.push(Entry {
            key: dotted.clone(),
            key_span: Some(key.span()),
            value_span: value.span(),
        });
        index_value(value.get_ref(), &dotted, out);
    }
}

fn index_value(value: &DeValue<'_>, key: &str, out: &mut Vec<Entry>) {
    match value {
        DeValue::Table(table) => index_table(table, key, out),
        DeValue::Array(array) => {
            for (i, element) in array.iter().enumerate() {
                let dotted = format!("{key}[{i}]");
                out.push(Entry {
                    key: dotted.clone(),
                    key_span: None,
                    value_span: element.span(),
                });
                index_value(element.get_ref(), &dotted, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Source::parse(".hotdev.toml".into(), text.to_owned())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
        let message = utf8(
            ".hotdev.toml".into(),
            b"[run]\ncommand = \"caf\xe9\"\n".to_vec(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            message.starts_with(".hotdev.toml:2:15: the file is not UTF-8: byte 0xe9 at offset 20"),
            "{message}"
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        assert_eq!(
            error("[build]\ncommand = \"x\"\n[run\n"),
            ".hotdev.toml:3:5: invalid TOML: unclosed table, expected `]`\n  hint: see https://toml.io for the syntax"
        );
    }

    #[test]
    fn unknown_key_names_key_table_and_closest_valid_key() {
        assert_eq!(
            error("[build]\ncomand = \"go build\"\n"),
            ".hotdev.toml:2:1: unknown key `comand` in `[build]` (key `build.comand`)\n  hint: did you mean `command`? (valid: `command`, `env`, `env_file`, `timeout`, `speculative`)"
        );
    }

    #[test]
    fn unknown_top_level_table_lists_the_valid_ones() {
        assert_eq!(
            error("[server]\nx = 1\n"),
            ".hotdev.toml:1:2: unknown key `server` at the top level (key `server`)\n  hint: valid here: `watch`, `build`, `run`, `listen`, `proxy`, `apps`"
        );
    }

    #[test]
    fn unknown_key_in_array_of_tables() {
        let message = error("[[listen]]\naddress = \"8080\"\nnmae = \"http\"\n");
        assert!(
            message.starts_with(
                ".hotdev.toml:3:1: unknown key `nmae` in `[listen]` (key `listen[0].nmae`)"
            ),
            "{message}"
        );
        assert!(message.contains("did you mean `name`?"), "{message}");
    }

    #[test]
    fn wrong_type_says_what_was_expected() {
        assert_eq!(
            error("[run]\nstop_timeout = 5\n"),
            ".hotdev.toml:2:16: wrong type: expected a string, found integer `5` (key `run.stop_timeout`)"
        );
        assert_eq!(
            error("[run]\ncommand = 5\n"),
            ".hotdev.toml:2:11: wrong type: expected a command string or an array of strings, found integer `5` (key `run.command`)"
        );
    }

    #[test]
    fn unknown_strategy_suggests_the_closest() {
        assert_eq!(
            error("[run]\nstrategy = \"overlapp\"\n"),
            ".hotdev.toml:2:12: unknown strategy `overlapp` (key `run.strategy`)\n  hint: did you mean `overlap`? (valid: `restart`, `overlap`, `signal`)"
        );
    }

    #[test]
    fn ready_must_be_a_table_with_one_known_check() {
        let two = error("[run]\nready = { notify = true, delay = \"1s\" }\n");
        assert!(two.starts_with(".hotdev.toml:2:9: `ready` takes an inline table with exactly one check (key `run.ready`)"), "{two}");
        let string = error("[run]\nready = \"notify\"\n");
        assert!(string.contains("exactly one check"), "{string}");
        let typo = error("[run]\nready = { notfy = true }\n");
        assert!(
            typo.starts_with(".hotdev.toml:2:11: unknown readiness check `notfy`"),
            "{typo}"
        );
        assert!(typo.contains("did you mean `notify`?"), "{typo}");
    }

    #[test]
    fn listen_written_as_a_single_table_says_to_double_the_brackets() {
        let message = error("[run]\ncommand = \"app\"\n\n[listen]\naddress = \"8080\"\n");
        assert_eq!(
            message,
            ".hotdev.toml:4:1: `[listen]` is a single table, but the listeners are a list (key `listen`)\n  hint: write `[[listen]]`, an array of tables (double brackets, one per listener):\n        [[listen]]\n        address = \"127.0.0.1:8080\""
        );
        let inline = error("listen = \"8080\"\n");
        assert!(
            inline.starts_with(".hotdev.toml:1:10: `listen` takes a list of listeners"),
            "{inline}"
        );
        assert!(inline.contains("write `[[listen]]`"), "{inline}");
    }

    #[test]
    fn missing_listen_address_is_named() {
        let message = error("[[listen]]\nname = \"http\"\n");
        assert!(message.contains("needs the key `address`"), "{message}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let message = error("[run]\ncommand = \"é\"\nstop_timeout = 5\n");
        assert!(message.starts_with(".hotdev.toml:3:16:"), "{message}");
        let message = error("[run] # é\nstop_timeout = 5\n");
        assert!(message.starts_with(".hotdev.toml:2:16:"), "{message}");
    }
}
