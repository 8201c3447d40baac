//! Colour for builds and apps whose output hotdev reads through a pipe: cargo, `ls`, Node and
//! most tools print plain text when their output is not a terminal, even when hotdev shows it
//! on one. Pure: the caller says whether hotdev's output is a colour terminal.

/// The variables that ask for colour on a pipe: cargo's, the `CLICOLOR` convention's, and the
/// one Node, chalk and supports-color read.
pub const FORCE_COLOUR: [(&str, &str); 3] = [
    ("CARGO_TERM_COLOR", "always"),
    ("CLICOLOR_FORCE", "1"),
    ("FORCE_COLOR", "1"),
];

/// What a child gets as fallback environment (set only where neither hotdev's environment
/// nor the command's `env` has the name): the force-colour variables when the output it is
/// shown on is a terminal that takes colour (`console`'s answer: a terminal, `NO_COLOR`
/// unset, `TERM` not `dumb`), nothing otherwise.
pub fn fallback_env(colour_terminal: bool) -> Vec<(String, String)> {
    if !colour_terminal {
        return Vec::new();
    }
    FORCE_COLOUR
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_terminal_gets_the_three_force_colour_variables() {
        let env = fallback_env(true);
        let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["CARGO_TERM_COLOR", "CLICOLOR_FORCE", "FORCE_COLOR"]);
        assert!(fallback_env(false).is_empty());
    }
}
