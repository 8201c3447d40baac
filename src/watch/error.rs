//! Why watching could not start or go on, as one line a user can act on (the sysctl to raise,
//! `--poll` as the way out).

use super::*;

/// Why watching could not start (or go on). Displays as one line a user can act on.
#[derive(Debug)]
pub enum WatchError {
    /// inotify's per-user watch limit (`fs.inotify.max_user_watches`, ENOSPC).
    WatchLimit,
    /// inotify's per-user instance limit (`fs.inotify.max_user_instances`) or the open-file
    /// limit (EMFILE).
    InstanceLimit,
    /// Anything else, already phrased.
    Other(String),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::WatchLimit => f.write_str(
                "cannot watch more directories: the inotify watch limit (fs.inotify.max_user_watches) \
                 is reached; raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, ignore \
                 big directories in .gitignore or watch.ignore, or use --poll",
            ),
            WatchError::InstanceLimit => f.write_str(
                "cannot start a file watcher: the inotify instance limit (fs.inotify.max_user_instances) \
                 or the open-file limit is reached; raise it with \
                 `sudo sysctl fs.inotify.max_user_instances=1024`, or use --poll",
            ),
            WatchError::Other(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for WatchError {}

impl From<notify::Error> for WatchError {
    fn from(err: notify::Error) -> Self {
        let raw = match &err.kind {
            ErrorKind::MaxFilesWatch => return WatchError::WatchLimit,
            ErrorKind::Io(io) => io.raw_os_error(),
            _ => None,
        };
        match raw {
            Some(code) if code == Errno::ENOSPC as i32 => WatchError::WatchLimit,
            Some(code) if code == Errno::EMFILE as i32 => WatchError::InstanceLimit,
            _ => {
                let what = match &err.kind {
                    ErrorKind::PathNotFound => "it does not exist".to_owned(),
                    ErrorKind::Io(io) => io.to_string(),
                    ErrorKind::Generic(msg) => msg.clone(),
                    _ => err.to_string(),
                };
                WatchError::Other(match err.paths.first() {
                    Some(path) => format!("cannot watch {}: {what}", path.display()),
                    None => format!("file watcher failed: {what}"),
                })
            }
        }
    }
}
