//! `[build]` and `--build` to a [`BuildConfig`], and the check that a command's program exists
//! now. The only I/O is the PATH lookup; it never runs the program.

use super::{At, Ctx, defaults};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::{CommandFile, FileConfig};
use crate::config::{BuildConfig, value};
use crate::process::{CommandSpec, Program};

impl Ctx<'_> {
    pub(super) fn build(
        &self,
        file: &FileConfig,
    ) -> Result<Option<(BuildConfig, At<'static>)>, ConfigError> {
        let from_file = file.build.as_ref();
        let (command, at) = match (&self.cli.build, from_file) {
            (Some(line), _) => (CommandFile::Line(line.clone()), At::Flag("--build")),
            (None, Some(build)) => match &build.command {
                Some(command) => (command.clone(), At::Key("build.command")),
                None => {
                    let table = match self.app {
                        Some(app) => format!("[apps.{app}.build]"),
                        None => "[build]".to_owned(),
                    };
                    return Err(self.error(
                        At::Key("build"),
                        Problem::new(format!("{table} has no `command`")).with_hint(
                            "add `command = \"…\"`, e.g. command = \"go build -o tmp/app .\"; \
                             with [apps], `build = false` gives an app no build",
                        ),
                    ));
                }
            },
            (None, None) => return Ok(None),
        };
        let program = value::program(&command).map_err(|problem| self.error(at, problem))?;
        let timeout = self.pick(
            ("", None),
            (
                "build.timeout",
                from_file.and_then(|b| b.timeout.as_deref()),
            ),
            |text| value::duration_within(text, value::TIMEOUT),
        )?;
        let (env, env_files) = self.env(
            from_file.map(|build| &build.env),
            from_file.and_then(|build| build.env_file.as_ref()),
            "build",
        )?;
        let speculative = !self.cli.no_speculative
            && from_file
                .and_then(|build| build.speculative)
                .unwrap_or(defaults::SPECULATIVE);
        Ok(Some((
            BuildConfig {
                command: CommandSpec {
                    program,
                    env,
                    env_files,
                },
                timeout,
                speculative,
            },
            at,
        )))
    }

    /// The program must exist now: the build's always, the run's only when no build step
    /// could create it.
    pub(super) fn check_program(&self, program: &Program, at: At<'_>) -> Result<(), ConfigError> {
        let Some(name) = value::program_name(program) else {
            return Ok(());
        };
        if name.contains('/') {
            let path = self.root.join(&name);
            if path.is_file() {
                return Ok(());
            }
            return Err(self.error(
                at,
                Problem::new(format!("`{name}` does not exist")).with_hint(format!(
                    "the path is relative to {}; build it first, or add a [build] step",
                    self.root.display()
                )),
            ));
        }
        match which::which_in(&name, self.env.path.as_ref(), self.root) {
            Ok(_) => Ok(()),
            Err(_) => Err(self.error(
                at,
                Problem::new(format!("`{name}` is not on PATH")).with_hint(install_hint(&name)),
            )),
        }
    }
}

fn install_hint(name: &str) -> String {
    let how = match name {
        "go" => "install Go from https://go.dev/dl/ or your package manager",
        "cargo" | "rustc" => "install Rust with https://rustup.rs",
        "node" | "npm" | "npx" => "install Node.js from https://nodejs.org",
        _ => "install it, or check the spelling",
    };
    format!(
        "{how}, then check that `{name}` runs in this shell (PATH is searched as hotdev sees it)"
    )
}
