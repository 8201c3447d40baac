//! `[[listen]]` and `--listen` to the [`ListenSpec`]s hotdev pre-binds: addresses parsed,
//! socket names checked, duplicates refused. Never binds anything: that is `sockets`' job.

use super::{At, Ctx, defaults};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::FileConfig;
use crate::config::value;
use crate::sockets::ListenSpec;

impl Ctx<'_> {
    pub(super) fn listen(&self, file: &FileConfig) -> Result<Vec<ListenSpec>, ConfigError> {
        let mut specs: Vec<ListenSpec> = Vec::new();
        let mut push = |spec: ListenSpec, at: At<'_>| {
            if specs.iter().any(|other| other.address == spec.address) {
                return Err(self.error(
                    at,
                    Problem::new("this address is already in the listen list"),
                ));
            }
            specs.push(spec);
            Ok(())
        };
        if !self.cli.listen.is_empty() {
            for text in &self.cli.listen {
                let at = At::Flag("--listen");
                let address =
                    value::listen_address(text, self.cwd).map_err(|p| self.error(at, p))?;
                push(
                    ListenSpec {
                        address,
                        name: defaults::LISTEN_NAME.to_owned(),
                        from_flag: true,
                    },
                    at,
                )?;
            }
            return Ok(specs);
        }
        for (i, listen) in file.listen.iter().enumerate() {
            let key = format!("listen[{i}].address");
            let address = value::listen_address(&listen.address, self.root)
                .map_err(|problem| self.error(At::Key(&key), problem))?;
            let name_key = format!("listen[{i}].name");
            let name = listen
                .name
                .clone()
                .unwrap_or_else(|| defaults::LISTEN_NAME.to_owned());
            if name.is_empty()
                || name.len() > 255
                || !name.chars().all(|c| c.is_ascii_graphic() && c != ':')
            {
                return Err(self.error(
                    At::Key(&name_key),
                    Problem::new(format!("`{name}` cannot be a socket name")).with_hint(
                        "use 1 to 255 printable ASCII characters without `:`, e.g. \"http\"",
                    ),
                ));
            }
            let spec = ListenSpec {
                address,
                name,
                from_flag: false,
            };
            push(spec, At::Key(&key))?;
        }
        Ok(specs)
    }
}
