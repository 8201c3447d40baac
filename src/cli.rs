//! The command line, as clap sees it. Values stay as typed here (durations, signals and
//! commands are strings); `config::resolve` turns them into a typed `Config`, with the same
//! rules and messages as the file, so `--debounce 5x` and `debounce = "5x"` fail alike.

use std::io::Write;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// Below the options: the keys (src/keys.rs reads them) and the exit codes.
const AFTER_HELP: &str = "Keys (when stdin is a terminal hotdev owns; --no-keys turns them off):\n  \
r  rebuild and swap now\n  \
R  restart without building\n  \
c  clear the screen\n  \
p  pause/resume watching\n  \
q  quit\n  \
h  this list in one line (also ?)\n  \
1-9  with [apps.NAME]: r, R and p act on that app only (0: every app)\n\n\
Exit codes: 0 stopped on request, 1 runtime failure, 2 usage or configuration error.";

/// Watch a source tree, build while the old server keeps serving, and swap the running
/// server for the new one.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "hotdev",
    version,
    about = "Rebuild and swap a dev server on every change, without dropping a connection",
    long_about = "Watch a source tree, build while the old server keeps serving, and swap the running \
server for the new one without refusing a connection.\n\n\
Settings come from .hotdev.toml (in this directory or the nearest ancestor); flags override it.\n\n\
Examples:\n  \
hotdev --build 'go build -o tmp/app .' --listen 8080 -- tmp/app\n  \
hotdev -e rs --build 'cargo build' --strategy overlap --ready notify -- target/debug/app\n  \
hotdev -C services/api --ready log:listening -q",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Use this config file instead of looking for .hotdev.toml.
    #[arg(short = 'c', long = "config", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Change to DIR before doing anything else, like `make -C`.
    #[arg(short = 'C', long = "directory", value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// The build command (overrides [build] command). Shell syntax runs it with `sh -c`.
    #[arg(long, value_name = "CMD")]
    pub build: Option<String>,

    /// The run command as one string (overrides [run] command). See also `-- CMD ARGS…`.
    #[arg(long, value_name = "CMD", conflicts_with = "run_argv")]
    pub run: Option<String>,

    /// The run command as words after `--`, exec'd as is (overrides [run] command).
    #[arg(last = true, value_name = "CMD")]
    pub run_argv: Vec<String>,

    /// A path to watch, relative to the current directory (repeatable; replaces [watch] paths).
    #[arg(short = 'w', long = "watch", value_name = "PATH")]
    pub watch: Vec<PathBuf>,

    /// A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`).
    #[arg(short = 'e', long = "ext", value_name = "EXT", value_delimiter = ',')]
    pub ext: Vec<String>,

    /// A glob that never triggers a build (repeatable; added to [watch] ignore).
    #[arg(short = 'i', long = "ignore", value_name = "GLOB")]
    pub ignore: Vec<String>,

    /// Quiet period that closes a burst of changes into one build, e.g. 50ms.
    #[arg(long, value_name = "DUR")]
    pub debounce: Option<String>,

    /// Build only when a burst's debounce has run out, not speculatively when it first pauses.
    #[arg(long)]
    pub no_speculative: bool,

    /// Poll for changes instead of OS events (network, WSL, container mounts); bare: every 500ms.
    // A bare `--poll` yields "", which resolve maps to `defaults::POLL_INTERVAL`.
    #[arg(long, value_name = "DUR", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub poll: Option<String>,

    /// The signal that asks a generation to stop, e.g. SIGTERM, INT or 15.
    #[arg(long, value_name = "SIG")]
    pub stop_signal: Option<String>,

    /// How long a generation may take to stop before it is killed, e.g. 5s.
    #[arg(long, value_name = "DUR")]
    pub stop_timeout: Option<String>,

    /// How generation N is replaced by N+1.
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub strategy: Option<crate::engine::SwapStrategy>,

    /// The signal sent to the app under `--strategy signal`, e.g. SIGHUP.
    #[arg(long, value_name = "SIG")]
    pub reload_signal: Option<String>,

    /// How to tell that a new generation is ready: notify, log:REGEX, http:URL, tcp:ADDR or delay:DUR.
    #[arg(long, value_name = "CHECK")]
    pub ready: Option<String>,

    /// How long to wait for readiness, e.g. 30s.
    #[arg(long, value_name = "DUR")]
    pub ready_timeout: Option<String>,

    /// What to do when the app exits on its own (default never: wait for a change).
    #[arg(long, value_enum, value_name = "POLICY")]
    pub restart: Option<crate::engine::RestartPolicy>,

    /// Pre-bind ADDR and hand it to every generation (repeatable; replaces [[listen]]):
    /// 127.0.0.1:8080, [::1]:8080, 8080 or unix:PATH.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<String>,

    /// Serve the browser dev proxy on ADDR (e.g. 3000): live reload once the new version is
    /// ready, build errors in the page. Forwards to [proxy] target or the first listen address.
    #[arg(long, value_name = "ADDR")]
    pub proxy: Option<String>,

    /// With [apps.NAME] in the config: run only this app and what it depends on
    /// (repeatable).
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,

    /// Human status lines or one JSON object per event.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<crate::report::LogFormat>,

    /// Print only errors and the app's own output.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more about each step (what changed, the commands run).
    #[arg(short, long)]
    pub verbose: bool,

    /// Do not read keys from the terminal (r to rebuild, q to quit).
    #[arg(long)]
    pub no_keys: bool,

    /// Clear the screen before each build.
    #[arg(long)]
    pub clear: bool,

    /// Ring the terminal bell when a build fails or the app dies.
    #[arg(long)]
    pub bell: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands; with none, hotdev runs.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a
    /// commented .hotdev.toml that works as is.
    Init {
        /// Replace an existing .hotdev.toml.
        #[arg(long)]
        force: bool,
        /// Translate an air config instead of detecting the project (PATH, or .air.toml, then
        /// .config/air.toml); prints how each air key was mapped or why it was not.
        #[arg(long, value_name = "PATH", num_args = 0..=1)]
        from_air: Option<Option<PathBuf>>,
        /// Turn a Procfile (PATH, or Procfile.dev, then Procfile) into one [apps.NAME] per
        /// line: run as is, no build, watch = false.
        #[arg(long, value_name = "PATH", num_args = 0..=1, conflicts_with = "from_air")]
        from_procfile: Option<Option<PathBuf>>,
    },
    /// Print the effective configuration (file, flags and defaults), each value with where it
    /// came from. Flags go before the subcommand: `hotdev --debounce 75ms config`.
    Config {
        /// TOML-like text that can be pasted into .hotdev.toml, or JSON for tools.
        #[arg(long, value_enum, value_name = "FORMAT", default_value = "toml")]
        format: ConfigFormatArg,
    },
    /// Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML).
    Schema,
    /// Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`.
    Man,
    /// Build, start, reload a few times through the watcher and stop, checking every step:
    /// a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or
    /// configuration error, 3 a build failed, 4 the app never became ready or exited on its
    /// own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out.
    Smoke(crate::smoke::SmokeArgs),
    /// Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`.
    Completions {
        /// The shell to write completions for.
        shell: clap_complete::Shell,
    },
}

/// `hotdev config --format`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormatArg {
    /// TOML with a `# from …` comment on every value.
    Toml,
    /// One JSON object: every key with its value and source.
    Json,
}

/// Writes the completion script for `shell`.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "hotdev", out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("hotdev").chain(args.iter().copied()))
            .unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn trailing_words_are_the_run_command() {
        let cli = parse(&[
            "--build",
            "go build -o tmp/app .",
            "--",
            "tmp/app",
            "--port",
            "8080",
        ]);
        assert_eq!(cli.run_argv, ["tmp/app", "--port", "8080"]);
        assert_eq!(cli.build.as_deref(), Some("go build -o tmp/app ."));
        assert!(cli.command.is_none());
    }

    #[test]
    fn extensions_are_repeatable_and_comma_separated() {
        let cli = parse(&["-e", "go,mod", "-e", "tmpl"]);
        assert_eq!(cli.ext, ["go", "mod", "tmpl"]);
    }

    #[test]
    fn bare_poll_means_the_default_and_does_not_eat_the_next_word() {
        assert_eq!(parse(&["--poll"]).poll.as_deref(), Some(""));
        assert_eq!(parse(&["--poll=2s"]).poll.as_deref(), Some("2s"));
        assert_eq!(parse(&[]).poll, None);
        let cli = parse(&["--poll", "--", "app"]);
        assert_eq!(cli.poll.as_deref(), Some(""));
        assert_eq!(cli.run_argv, ["app"]);
    }

    #[test]
    fn run_string_and_trailing_command_conflict() {
        assert!(Cli::try_parse_from(["hotdev", "--run", "a", "--", "b"]).is_err());
        assert!(Cli::try_parse_from(["hotdev", "-q", "-v"]).is_err());
    }

    #[test]
    fn help_lists_every_key() {
        let help = Cli::command().render_help().to_string();
        for (key, word) in [
            ('r', "rebuild"),
            ('R', "restart"),
            ('c', "clear"),
            ('p', "pause"),
            ('q', "quit"),
            ('h', "this list"),
        ] {
            assert!(
                crate::keys::key_of(key as u8).is_some(),
                "`{key}` is not a key"
            );
            assert!(help.contains(&format!("  {key}  {word}")), "{help}");
        }
    }

    #[test]
    fn completions_subcommand_writes_a_script() {
        let cli = parse(&["completions", "bash"]);
        let Some(Command::Completions { shell }) = cli.command else {
            panic!("expected completions");
        };
        let mut out = Vec::new();
        write_completions(shell, &mut out);
        assert!(String::from_utf8_lossy(&out).contains("hotdev"));
    }
}
