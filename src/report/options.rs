//! How hotdev's own lines are shown: the format, how much, and the terminal extras. Assembled
//! by `config` from the flags.

/// `--log-format`: how hotdev's own lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Styled status lines on stderr.
    #[default]
    Human,
    /// One JSON object per event on stderr.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

#[derive(Debug, Clone, Copy)]
pub struct OutputConfig {
    pub format: LogFormat,
    pub verbosity: Verbosity,
    /// Read keys from the terminal (`r` rebuild, `q` quit); off with `--no-keys`.
    pub keys: bool,
    /// Clear the screen before each build (`--clear`).
    pub clear: bool,
    /// Ring the terminal bell when a build fails or a generation dies (`--bell`).
    pub bell: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            format: LogFormat::default(),
            verbosity: Verbosity::default(),
            keys: true,
            clear: false,
            bell: false,
        }
    }
}
