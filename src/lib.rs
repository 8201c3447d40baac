//! hotdev: watch a source tree, build while the old server keeps serving, and swap the running
//! server for the new one without refusing a connection.
//!
//! `main.rs` only calls [`run`]; everything else lives in the modules below (DESIGN.md §2).

pub mod bus;
pub mod cli;
pub mod config;
pub mod engine;
pub mod exit;
pub mod filter;
pub mod process;
pub mod ready;
pub mod report;
pub mod shell;
pub mod sockets;
pub mod watch;

/// Parses the command line, runs hotdev and returns the process exit code.
pub fn run() -> std::process::ExitCode {
    std::process::ExitCode::from(exit::SUCCESS)
}
