//! The one error type that reaches the user from start-up and the subcommands, with its exit
//! code, and the one place an error line is printed ([`print`]). Each module keeps its own
//! typed error; they meet here.

use std::fmt;

use crate::config::ConfigError;
use crate::exit;
use crate::filter::FilterError;
use crate::proxy::ProxyError;
use crate::sockets::SocketError;
use crate::watch::WatchError;

/// Why hotdev (or a subcommand) could not do its job.
#[derive(Debug)]
pub enum Error {
    /// The configuration file or the flags: where, what, and the fix.
    Config(ConfigError),
    /// A `[[listen]]` address that cannot be bound (e.g. in use).
    Listen(SocketError),
    /// The dev proxy cannot start (e.g. its address is in use).
    Proxy(ProxyError),
    /// A watch glob or ignore rule that does not compile.
    Filter(FilterError),
    /// The watcher could not start (e.g. the inotify limits).
    Watch(WatchError),
    /// Some other usage error, phrased: nothing was done.
    Usage(String),
    /// The outside world failed us (a socket that cannot be created, a file that cannot be
    /// written), phrased.
    Runtime(String),
}

impl Error {
    /// A usage or configuration error: nothing was done.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// A failure of the outside world.
    pub fn runtime(message: impl Into<String>) -> Error {
        Error::Runtime(message.into())
    }

    /// The exit code this error ends hotdev with (README, "Exit codes").
    pub fn code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Listen(_) | Error::Filter(_) | Error::Usage(_) => exit::USAGE,
            Error::Proxy(ProxyError::Bind { .. }) => exit::USAGE,
            Error::Proxy(ProxyError::Start(_)) => exit::FAILURE,
            Error::Watch(_) | Error::Runtime(_) => exit::FAILURE,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::Listen(e) => e.fmt(f),
            Error::Filter(e) => e.fmt(f),
            Error::Proxy(e) => e.fmt(f),
            Error::Watch(e) => e.fmt(f),
            Error::Usage(m) | Error::Runtime(m) => f.write_str(m),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}

impl From<SocketError> for Error {
    fn from(e: SocketError) -> Error {
        Error::Listen(e)
    }
}

impl From<ProxyError> for Error {
    fn from(e: ProxyError) -> Error {
        Error::Proxy(e)
    }
}

impl From<FilterError> for Error {
    fn from(e: FilterError) -> Error {
        Error::Filter(e)
    }
}

impl From<WatchError> for Error {
    fn from(e: WatchError) -> Error {
        Error::Watch(e)
    }
}

/// Prints `hotdev: error: <message>` on stderr, in plain text (styled on a colour terminal):
/// every error line of hotdev and `hotdev smoke` goes through here.
pub fn print(message: &dyn fmt::Display) {
    use std::io::Write;
    let style = console::Style::new().red().bold();
    let _ = writeln!(
        std::io::stderr(),
        "{} {message}",
        style.apply_to("hotdev: error:")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_2_and_failures_of_the_world_exit_1() {
        assert_eq!(Error::usage("x").code(), exit::USAGE);
        assert_eq!(Error::Watch(WatchError::WatchLimit).code(), exit::FAILURE);
        assert_eq!(Error::runtime("x").code(), exit::FAILURE);
    }
}
