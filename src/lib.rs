//! hotdev: watch a source tree, build while the old server keeps serving, and swap the running
//! server for the new one without refusing a connection.
//!
//! `main.rs` only calls [`run`]; everything else lives in the modules below (DESIGN.md §2).

pub mod bus;
pub mod capture;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod exit;
pub mod filter;
pub mod handoff;
pub mod http;
pub mod init;
pub mod keys;
pub mod manpage;
pub mod process;
pub mod proxy;
pub mod ready;
pub mod report;
pub mod shell;
pub mod smoke;
pub mod sockets;
pub mod sources;
pub mod supervisor;
pub mod watch;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
pub use crate::error::Error;

/// Parses the command line, runs hotdev and returns the process exit code.
pub fn run() -> ExitCode {
    if std::env::args_os().nth(1).as_deref() == Some(process::guard::GUARD_ARG.as_ref()) {
        return ExitCode::from(process::guard::run_guard(std::io::stdin().lock()));
    }
    let cli = Cli::parse();
    ExitCode::from(run_cli(cli))
}

fn run_cli(cli: Cli) -> u8 {
    let done = match &cli.command {
        Some(Command::Smoke(args)) => {
            let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
            let global = smoke::global_args(&<Cli as clap::CommandFactory>::command(), &argv);
            return smoke::run(args, global);
        }
        Some(Command::Init {
            force,
            from_air,
            from_procfile,
        }) => {
            let from = match (from_air, from_procfile) {
                (Some(path), _) => Some(init::From::Air(path.as_deref())),
                (None, Some(path)) => Some(init::From::Procfile(path.as_deref())),
                (None, None) => None,
            };
            in_cwd(|cwd| init::run(&cli, cwd, *force, from))
        }
        Some(Command::Config { format }) => in_cwd(|cwd| config::show::run(&cli, cwd, *format)),
        Some(Command::Schema) => print(&config::schema::json()),
        Some(Command::Man) => print(&manpage::render()),
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            cli::write_completions(*shell, &mut out);
            print(&String::from_utf8_lossy(&out))
        }
        None => return in_cwd(|cwd| serve(&cli, cwd)).unwrap_or_else(|error| fail(&error)),
    };
    match done {
        Ok(()) => exit::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Runs hotdev: the reload loop, until it is asked to stop.
fn serve(cli: &Cli, cwd: &Path) -> Result<u8, Error> {
    let apps = config::load_apps(cli, cwd)?;
    let Some(config) = apps.first().map(|app| &app.config) else {
        return Err(Error::usage("the configuration has no app to run"));
    };
    if config.file.is_none()
        && config.output.format == report::LogFormat::Human
        && let Some(air) = init::air::find(&config.root)
    {
        let name = air
            .strip_prefix(&config.root)
            .unwrap_or(&air)
            .display()
            .to_string();
        eprintln!(
            "hotdev: {name} found and no .hotdev.toml: `hotdev init --from-air` turns it into one"
        );
    }
    // Re-reads the file with the same flags when it changes while hotdev runs.
    let reload = {
        let (cli, cwd) = (cli.clone(), cwd.to_path_buf());
        Box::new(move || config::load_apps(&cli, &cwd).map_err(|e| e.to_string()))
    };
    shell::run(apps, reload)
}

fn in_cwd<T>(f: impl FnOnce(&Path) -> Result<T, Error>) -> Result<T, Error> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the working directory: {e}")))?;
    f(&cwd)
}

/// Writes a subcommand's product to stdout. A closed pipe (`hotdev man | head`) is not an error.
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::runtime(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Start-up errors reach the user here: plain text on stderr, whatever the format, because
/// nothing has started and the reader is a person or a CI log. Returns the exit code.
pub fn fail(error: &Error) -> u8 {
    error::print(error);
    error.code()
}
