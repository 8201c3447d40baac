//! A listener to pre-bind: its address and its name in `LISTEN_FDNAMES`. Assembled by
//! `config`.

use std::path::PathBuf;

/// One pre-bound listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenSpec {
    pub address: ListenAddress,
    /// The name in `LISTEN_FDNAMES`.
    pub name: String,
    /// Given with `--listen` rather than in the file: messages about it name the flag.
    pub from_flag: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddress {
    Tcp(std::net::SocketAddr),
    Unix(PathBuf),
}
