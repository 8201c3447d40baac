//! One step of the smoke run (`start`, `reload N`, `shutdown`) and how it ended: the record
//! the summary and JUnit report print. Plain data; the driver decides every outcome.

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NotRun,
    Running,
    Passed,
    Failed { code: u8, reason: String },
}

/// One step of the run: `start`, `reload N`, `shutdown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub outcome: Outcome,
    pub build: Option<u64>,
    pub build_ms: Option<u64>,
    pub generation: Option<u64>,
    /// From `build_ok` to the new generation's start (or reload), child clock.
    pub swap_ms: Option<u64>,
    /// From the generation's start to ready.
    pub ready_ms: Option<u64>,
    /// From the step's start (the touch) to its end, smoke's clock.
    pub total_ms: Option<u64>,
    pub requests_ok: u64,
    pub requests_failed: u64,
}

impl Step {
    pub fn new(name: String) -> Step {
        Step {
            name,
            outcome: Outcome::NotRun,
            build: None,
            build_ms: None,
            generation: None,
            swap_ms: None,
            ready_ms: None,
            total_ms: None,
            requests_ok: 0,
            requests_failed: 0,
        }
    }
}
