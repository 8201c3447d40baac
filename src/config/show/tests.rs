//! Rendering of single values and of provenance comments.

use super::render::{describe, inline};
use super::values::{self, command};
use super::*;
use crate::process::Program;

#[test]
fn commands_are_strings_when_they_read_back_the_same() {
    let argv = Program::Argv(vec!["tmp/app".into(), "--port".into(), "8080".into()]);
    assert_eq!(inline(&command(&argv)), "\"tmp/app --port 8080\"");
    let shell = Program::Script("make && exec tmp/app".into());
    assert_eq!(inline(&command(&shell)), "\"make && exec tmp/app\"");
    let odd = Program::Argv(vec!["sh".into(), "-c".into(), "a && b".into()]);
    assert_eq!(inline(&command(&odd)), "[\"sh\", \"-c\", \"a && b\"]");
}

#[test]
fn tables_are_inline_and_keys_quoted_when_needed() {
    let mut env = std::collections::BTreeMap::new();
    env.insert("CGO_ENABLED".to_owned(), "0".to_owned());
    env.insert("a.b".to_owned(), "x".to_owned());
    assert_eq!(
        inline(&values::env(&env)),
        "{ CGO_ENABLED = \"0\", \"a.b\" = \"x\" }"
    );
    assert_eq!(inline(&values::env(&Default::default())), "{}");
}

#[test]
fn provenance_reads_as_a_comment() {
    assert_eq!(describe(&[]), "default");
    assert_eq!(
        describe(&[
            SetBy::File {
                path: ".hotdev.toml".into(),
                line: 7
            },
            SetBy::Flag("--ignore")
        ]),
        "from .hotdev.toml:7 and --ignore"
    );
}
