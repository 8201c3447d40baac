//! `[proxy]` and `--proxy` to the [`ProxyConfig`] the browser dev proxy runs with, and the
//! `reload_only` globs the watcher classifies changes by. Never binds anything.

use std::net::SocketAddr;

use super::{At, Ctx};
use crate::config::error::{ConfigError, Problem};
use crate::config::file::FileConfig;
use crate::config::value;
use crate::proxy::ProxyConfig;
use crate::sockets::{ListenAddress, ListenSpec};

/// What `[proxy]` resolves to: the proxy's parameters and the `reload_only` globs.
pub(super) struct ProxyParts {
    pub proxy: Option<ProxyConfig>,
    pub reload_only: Vec<String>,
}

impl Ctx<'_> {
    pub(super) fn proxy(
        &self,
        file: &FileConfig,
        listen: &[ListenSpec],
    ) -> Result<ProxyParts, ConfigError> {
        let table = file.proxy.as_ref();
        let address = self.pick(
            ("--proxy", self.cli.proxy.as_deref()),
            (
                "proxy.address",
                table.and_then(|proxy| proxy.address.as_deref()),
            ),
            |text| value::tcp_address(text, "proxy address"),
        )?;
        let Some(address) = address else {
            if table.is_some() {
                return Err(self.error(
                    At::Key("proxy"),
                    Problem::new(
                        "[proxy] has no address: the browser would have nowhere to connect",
                    )
                    .with_hint("add address = \"3000\" (127.0.0.1:3000), or remove [proxy]"),
                ));
            }
            return Ok(ProxyParts {
                proxy: None,
                reload_only: Vec::new(),
            });
        };
        let at_address = match self.cli.proxy {
            Some(_) => At::Flag("--proxy"),
            None => At::Key("proxy.address"),
        };
        let target = match table.and_then(|proxy| proxy.target.as_deref()) {
            Some(text) => value::tcp_address(text, "proxy target")
                .map_err(|problem| self.error(At::Key("proxy.target"), problem))?,
            None => first_tcp_listener(listen).ok_or_else(|| {
                self.error(
                    at_address,
                    Problem::new(
                        "the proxy has no target: there is no TCP [[listen]] address to forward to",
                    )
                    .with_hint(
                        "set [proxy] target = \"127.0.0.1:8080\" (the port your app listens \
                         on), or pre-bind it with [[listen]] / --listen",
                    ),
                )
            })?,
        };
        if address == target
            || listen
                .iter()
                .any(|spec| spec.address == ListenAddress::Tcp(address))
        {
            return Err(self.error(
                at_address,
                Problem::new(format!(
                    "the proxy address {address} is the app's own address"
                ))
                .with_hint(
                    "give the proxy a port of its own, e.g. 3000, and open that one in the browser",
                ),
            ));
        }
        let mut config = ProxyConfig::new(address, target);
        if let Some(text) = table.and_then(|proxy| proxy.hold_timeout.as_deref()) {
            config.hold_timeout = value::duration_within(text, value::TIMEOUT)
                .map_err(|problem| self.error(At::Key("proxy.hold_timeout"), problem))?;
        }
        let mut reload_only = Vec::new();
        for (i, glob) in table
            .and_then(|proxy| proxy.reload_only.as_ref())
            .into_iter()
            .flatten()
            .enumerate()
        {
            value::glob(glob)
                .map_err(|p| self.error(At::Key(&format!("proxy.reload_only[{i}]")), p))?;
            reload_only.push(glob.clone());
        }
        Ok(ProxyParts {
            proxy: Some(config),
            reload_only,
        })
    }
}

/// The first pre-bound TCP address: where the app serves, so the proxy's default target.
fn first_tcp_listener(listen: &[ListenSpec]) -> Option<SocketAddr> {
    listen.iter().find_map(|spec| match spec.address {
        ListenAddress::Tcp(address) => Some(address),
        ListenAddress::Unix(_) => None,
    })
}
