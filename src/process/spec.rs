//! A command to start: the program and the environment on top of hotdev's own. Assembled by
//! `config`.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a command is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// Exec'd directly: the process hotdev starts is the program itself.
    Argv(Vec<String>),
    /// Run as `sh -c <script>` because it uses shell syntax.
    Script(String),
}

impl Program {
    /// The command as a user would type it, for messages.
    pub fn display(&self) -> String {
        match self {
            Program::Argv(argv) => shell_words::join(argv),
            Program::Script(script) => script.clone(),
        }
    }
}

/// A command plus the environment it gets on top of hotdev's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: Program,
    /// Set over hotdev's own environment: `env` laid over what the `env_files` say.
    pub env: BTreeMap<String, String>,
    /// The dotenv files `env` was read from (absolute), watched by name.
    pub env_files: Vec<PathBuf>,
}
