//! The engine's two policies, one type each for the file, the flag and the resolved value:
//! how generation N is replaced by N+1, and what happens when a generation exits unasked.

use serde::{Deserialize, Serialize};

/// How generation N is replaced by N+1: `run.strategy`, `--strategy`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SwapStrategy {
    /// Stop the old generation gracefully, then start the new one (default).
    #[default]
    Restart,
    /// Start the new generation, wait until it is ready, then stop the old one.
    Overlap,
    /// Send the reload signal to the running app; no restart.
    Signal,
}

impl SwapStrategy {
    /// The name the config file and the flag spell it with.
    pub fn name(self) -> &'static str {
        match self {
            SwapStrategy::Restart => "restart",
            SwapStrategy::Overlap => "overlap",
            SwapStrategy::Signal => "signal",
        }
    }
}

/// What happens when a generation exits without being asked to: `run.restart`, `--restart`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Deserialize,
    Serialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Report it and wait for the next change (default): no crash loop.
    #[default]
    Never,
    /// Start it again, with exponential backoff, when it exited with an error or a signal.
    OnFailure,
    /// Start it again, with exponential backoff, however it exited.
    Always,
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn a_strategy_is_spelled_the_same_in_the_file_the_flag_and_messages() {
        for strategy in SwapStrategy::value_variants() {
            let flag = strategy.to_possible_value().expect("a flag value");
            let file: SwapStrategy =
                serde_json::from_value(serde_json::json!(strategy.name())).expect("file value");
            assert_eq!(flag.get_name(), strategy.name());
            assert_eq!(file, *strategy);
        }
    }
}
