//! The readiness checks a generation can be given (DESIGN.md §5). Assembled by `config`.

use std::time::Duration;

/// How hotdev learns that a generation is ready (DESIGN.md §5).
#[derive(Debug, Clone)]
pub enum Readiness {
    /// `READY=1` on `NOTIFY_SOCKET` from a process of the generation.
    Notify,
    /// A line of the generation's stdout/stderr matches.
    Log(regex::Regex),
    /// An HTTP GET answers (any status below 500).
    Http(String),
    /// A TCP connect succeeds.
    Tcp(String),
    /// Still alive after this long.
    Delay(Duration),
}

/// The kind of a readiness check, as the config spells it (and events report it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadyKind {
    Notify,
    Log,
    Http,
    Tcp,
    Delay,
}

impl Readiness {
    /// The check's kind.
    pub fn kind(&self) -> ReadyKind {
        match self {
            Readiness::Notify => ReadyKind::Notify,
            Readiness::Log(_) => ReadyKind::Log,
            Readiness::Http(_) => ReadyKind::Http,
            Readiness::Tcp(_) => ReadyKind::Tcp,
            Readiness::Delay(_) => ReadyKind::Delay,
        }
    }
}
