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

impl Readiness {
    /// The check's name as the config spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Readiness::Notify => "notify",
            Readiness::Log(_) => "log",
            Readiness::Http(_) => "http",
            Readiness::Tcp(_) => "tcp",
            Readiness::Delay(_) => "delay",
        }
    }
}
