//! `build.env_file` / `run.env_file`: variables read from dotenv files by `dotenvy`, with a
//! bad line reported at its line and column in the dotenv file.
//!
//! The only I/O is reading the file. Values may refer to earlier ones and to hotdev's own
//! environment (`$VAR`, `${VAR}`), as dotenvy expands them.

use std::collections::BTreeMap;
use std::path::Path;

/// Why a dotenv file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFileError {
    /// It cannot be read (missing, a directory, unreadable, not UTF-8): the cause, phrased.
    Unreadable(String),
    /// A line that is not `NAME=value`: 1-based line and column, and the line as written.
    Malformed {
        line: usize,
        column: usize,
        text: String,
    },
}

/// Reads `path` into name → value; a later line wins over an earlier one.
pub fn read(path: &Path) -> Result<BTreeMap<String, String>, EnvFileError> {
    let text = std::fs::read(path).map_err(|e| EnvFileError::Unreadable(e.to_string()))?;
    let text = String::from_utf8(text).map_err(|e| {
        EnvFileError::Unreadable(format!(
            "it is not UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse(&text)
}

/// Parses the text of a dotenv file.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, EnvFileError> {
    let mut vars = BTreeMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((name, value)) => {
                vars.insert(name, value);
            }
            Err(dotenvy::Error::LineParse(bad, at)) => return Err(malformed(text, &bad, at)),
            Err(e) => return Err(EnvFileError::Unreadable(e.to_string())),
        }
    }
    Ok(vars)
}

/// Where dotenvy's bad (logical, maybe multi-line) line `bad` is in `text`, with `at` its
/// char offset inside that line.
fn malformed(text: &str, bad: &str, at: usize) -> EnvFileError {
    let start = text.find(bad).unwrap_or(0);
    let before: String = bad.chars().take(at).collect();
    let upto = &text[..start + before.len()];
    let line = upto.matches('\n').count() + 1;
    let column = upto.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    EnvFileError::Malformed {
        line,
        column,
        text: text
            .lines()
            .nth(line - 1)
            .unwrap_or(bad)
            .trim_end()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_values_quotes_comments_and_export() {
        let vars = parse(
            "# a comment\nPORT=8080\nexport MODE=dev\nGREETING=\"hello world\"\n\nRAW='a $b'\n",
        )
        .unwrap();
        assert_eq!(vars["PORT"], "8080");
        assert_eq!(vars["MODE"], "dev");
        assert_eq!(vars["GREETING"], "hello world");
        assert_eq!(vars["RAW"], "a $b");
    }

    #[test]
    fn a_later_line_wins_and_values_refer_to_earlier_ones() {
        let vars = parse("A=1\nA=2\nB=${A}0\n").unwrap();
        assert_eq!(vars["A"], "2");
        assert_eq!(vars["B"], "20");
    }

    #[test]
    fn a_bad_line_is_reported_at_its_line_and_column() {
        let err = parse("A=1\n\nB C=2\n").unwrap_err();
        assert_eq!(
            err,
            EnvFileError::Malformed {
                line: 3,
                column: 3,
                text: "B C=2".into()
            }
        );
    }

    #[test]
    fn an_unterminated_quote_is_malformed_not_a_panic() {
        assert!(matches!(
            parse("A=1\nB=\"open\n"),
            Err(EnvFileError::Malformed { .. })
        ));
    }

    #[test]
    fn a_missing_file_is_unreadable() {
        assert!(matches!(
            read(Path::new("/nonexistent/.env")),
            Err(EnvFileError::Unreadable(_))
        ));
    }
}
