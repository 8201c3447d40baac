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
pub mod keys;
pub mod process;
pub mod ready;
pub mod report;
pub mod shell;
pub mod sockets;
pub mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Parses the command line, runs hotdev and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run_cli(cli))
}

fn run_cli(cli: Cli) -> u8 {
    if let Some(Command::Completions { shell }) = cli.command {
        cli::write_completions(shell, &mut std::io::stdout());
        return exit::SUCCESS;
    }
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(e) => {
            return fail(
                exit::USAGE,
                &format!("cannot read the working directory: {e}"),
            );
        }
    };
    let config = match config::load(&cli, &cwd) {
        Ok(config) => config,
        Err(e) => return fail(exit::USAGE, &e.to_string()),
    };
    match shell::run(config) {
        Ok(code) => code,
        Err(shell::StartError::Usage(m)) => fail(exit::USAGE, &m),
        Err(shell::StartError::Runtime(m)) => fail(exit::FAILURE, &m),
    }
}

/// The one place start-up errors reach the user: plain text on stderr, whatever the format,
/// because nothing has started and the reader is a person or a CI log.
fn fail(code: u8, message: &str) -> u8 {
    let style = console::Style::new().red().bold();
    let _ = writeln!(
        std::io::stderr(),
        "{} {message}",
        style.apply_to("hotdev: error:")
    );
    code
}
