//! The environment of `[build]` and `[run]`: env files read in order, `env` laid over them, and
//! every name checked. Its only I/O is reading the env files; it never looks at hotdev's own
//! environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{At, Ctx};
use crate::config::dotenv::{self, EnvFileError};
use crate::config::error::{ConfigError, Origin, Problem};
use crate::config::file::PathList;
use crate::config::never::normalize;

impl Ctx<'_> {
    /// The environment of `[table]`: its `env_file`s in order (a later one wins), then its
    /// `env` over them. Returns the variables and the files' absolute paths.
    pub(super) fn env(
        &self,
        env: Option<&BTreeMap<String, String>>,
        files: Option<&PathList>,
        table: &str,
    ) -> Result<(BTreeMap<String, String>, Vec<PathBuf>), ConfigError> {
        let mut vars = BTreeMap::new();
        let mut paths = Vec::new();
        let key = format!("{table}.env_file");
        for (path, at) in files.map(|f| f.keyed(&key)).unwrap_or_default() {
            let full = normalize(&self.root.join(&path));
            match dotenv::read(&full) {
                Ok(read) => vars.extend(read),
                Err(EnvFileError::Unreadable(why)) => {
                    return Err(self.error(
                        At::Key(&at),
                        Problem::new(format!("cannot read the env file `{path}`: {why}"))
                            .with_hint(format!(
                                "env files are relative to {}",
                                self.root.display()
                            )),
                    ));
                }
                Err(EnvFileError::Malformed { line, column, text }) => {
                    let origin = Origin::File {
                        path: full,
                        position: Some((line, column)),
                    };
                    return Err(ConfigError::new(
                        origin,
                        Problem::new(format!("not a `NAME=value` line: `{text}`")).with_hint(
                            "quote values with spaces or `#` (NAME=\"a b\"); comments start a line with `#`",
                        ),
                    )
                    .with_key(at));
                }
            }
            paths.push(full);
        }
        vars.extend(
            env.into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        self.check_env(&vars, &format!("{table}.env"))?;
        Ok((vars, paths))
    }

    /// Environment names a process can be given: `A=B = "x"` would reach the child as
    /// `A=B=x`, which is `A` set to `B=x`.
    fn check_env(
        &self,
        env: &std::collections::BTreeMap<String, String>,
        table: &str,
    ) -> Result<(), ConfigError> {
        for (name, value) in env {
            let problem = if name.is_empty() {
                Some("an environment variable needs a name")
            } else if name.contains('=') {
                Some("an environment variable's name cannot contain `=`")
            } else if name.contains('\0') || value.contains('\0') {
                Some("an environment variable cannot contain a NUL byte")
            } else {
                None
            };
            if let Some(problem) = problem {
                let key = format!("{table}.{name}");
                return Err(self.error(
                    At::Key(&key),
                    Problem::new(format!("{problem} (`{}`)", name.escape_debug()))
                        .with_hint(format!("write it as `{table} = {{ NAME = \"value\" }}`")),
                ));
            }
        }
        Ok(())
    }
}
