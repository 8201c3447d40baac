//! Commands as written (a line or an argv array) to a [`Program`]: split into words, or run
//! through `sh -c` when the line has shell syntax; and the program's name for the PATH check.
//! Pure; it never looks the program up.

use crate::config::error::Problem;
use crate::config::file::CommandFile;
use crate::process::Program;

/// Whether a command string needs `sh -c`: anything a shell would interpret, so that
/// splitting it into words ourselves would change its meaning. Quotes alone do not count.
pub fn has_shell_syntax(line: &str) -> bool {
    const SPECIAL: &[char] = &[
        '&', '|', ';', '<', '>', '$', '`', '*', '?', '[', '~', '(', ')', '\n', '\r',
    ];
    if line.contains(SPECIAL) {
        return true;
    }
    // A comment, or a leading `VAR=value` assignment, is shell syntax too.
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().any(|word| word.starts_with('#'))
        || words
            .first()
            .and_then(|word| word.split_once('='))
            .is_some_and(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
}

/// A command as written in the file or given to `--build`/`--run`.
pub fn program(command: &CommandFile) -> Result<Program, Problem> {
    let program = match command {
        CommandFile::Argv(argv) => Program::Argv(argv.clone()),
        CommandFile::Line(line) if has_shell_syntax(line) => {
            Program::Script(line.trim().to_owned())
        }
        CommandFile::Line(line) => Program::Argv(shell_words::split(line).map_err(|_| {
            Problem::new(format!("`{line}` has an unclosed quote"))
                .with_hint("close the quote, or write the command as an array of strings")
        })?),
    };
    let empty = match &program {
        Program::Argv(argv) => argv.first().is_none_or(|word| word.is_empty()),
        Program::Script(script) => script.is_empty(),
    };
    if empty {
        return Err(Problem::new("the command is empty")
            .with_hint("write the command, e.g. \"go build -o tmp/app .\""));
    }
    Ok(program)
}

/// The program a command starts, for the PATH check: argv[0], or the first word of a shell
/// script that is not a variable assignment. `None` for scripts that start with a shell
/// keyword or builtin (`cd dir && …`), which we cannot check without running them.
pub fn program_name(program: &Program) -> Option<String> {
    match program {
        Program::Argv(argv) => argv.first().cloned(),
        Program::Script(script) => {
            let first = script
                .split(|c: char| c.is_whitespace() || ";&|()<>".contains(c))
                .filter(|word| !word.is_empty())
                .find(|word| !word.contains('='))?;
            const BUILTINS: &[&str] = &[
                "cd", "exec", "export", "set", "if", "for", "while", "until", "case", ".",
                "source", "eval", "env", "test", "[", "{", "!", "true", "false", "echo", "printf",
                "unset",
            ];
            let plain = !first.contains(['$', '`', '*', '?', '~', '"', '\'']);
            (plain && !BUILTINS.contains(&first)).then(|| first.to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_syntax_is_detected() {
        for line in [
            "go build && ./app",
            "a || b",
            "a | b",
            "a; b",
            "app > log",
            "app < in",
            "echo $HOME",
            "echo `date`",
            "ls *.go",
            "ls a?",
            "ls [ab]",
            "cd ~",
            "(cd x)",
            "a\nb",
            "app & ",
            "CGO_ENABLED=0 go build",
            "app # comment",
        ] {
            assert!(has_shell_syntax(line), "{line:?}");
        }
        for line in [
            "tmp/app --port 8080",
            "go build -o tmp/app .",
            "app --name 'my app' \"x y\"",
            "app --flag=value",
            "curl http://x/#frag",
        ] {
            assert!(!has_shell_syntax(line), "{line:?}");
        }
    }

    #[test]
    fn commands_become_argv_or_shell() {
        let line = |s: &str| program(&CommandFile::Line(s.into()));
        assert_eq!(
            line("app --name 'my app'").unwrap(),
            Program::Argv(vec!["app".into(), "--name".into(), "my app".into()])
        );
        assert_eq!(
            line("make && exec ./app").unwrap(),
            Program::Script("make && exec ./app".into())
        );
        assert_eq!(
            program(&CommandFile::Argv(vec!["a b".into(), "&&".into()])).unwrap(),
            Program::Argv(vec!["a b".into(), "&&".into()])
        );
        assert!(
            line("app 'unclosed")
                .unwrap_err()
                .message
                .contains("unclosed quote")
        );
        assert!(line("  ").unwrap_err().message.contains("empty"));
        assert!(program(&CommandFile::Argv(vec![])).is_err());
    }

    #[test]
    fn program_name_skips_assignments_and_builtins() {
        let shell = |s: &str| program_name(&Program::Script(s.into()));
        assert_eq!(shell("CGO_ENABLED=0 go build ./..."), Some("go".into()));
        assert_eq!(shell("make&&exec ./app"), Some("make".into()));
        assert_eq!(shell("cd web && npm run build"), None);
        assert_eq!(shell("$CC -o app"), None);
    }
}
