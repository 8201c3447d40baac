//! The files hotdev's own stdout and stderr are written to (`hotdev 2> hotdev.log`): never a
//! change, or every status line hotdev writes would trigger the next build, forever.
//!
//! Reads the process's own fds; decides nothing else.

use std::io::{stderr, stdout};
use std::os::fd::AsFd;
use std::path::PathBuf;

/// The regular files fd 1 and 2 point to, by canonical path (a terminal, pipe or
/// `/dev/null` is no file in the tree).
pub fn own_output_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let fds = [
        (1, nix::sys::stat::fstat(stdout().as_fd())),
        (2, nix::sys::stat::fstat(stderr().as_fd())),
    ];
    for (fd, stat) in fds {
        let Ok(stat) = stat else { continue };
        if stat.st_mode & nix::libc::S_IFMT != nix::libc::S_IFREG {
            continue;
        }
        // Linux names an fd's file in /proc; elsewhere there is no portable way.
        let Ok(path) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
            continue;
        };
        let path = path.canonicalize().unwrap_or(path);
        if !files.contains(&path) {
            files.push(path);
        }
    }
    files
}
