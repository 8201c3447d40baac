//! The run's result for people and tools: one line per step as it ends, the summary table, and
//! the JSON report (`--report`). Rendering only; the verdict is computed in [`Outcome::code`]
//! order, first failed step first.

use std::fmt::Write as _;
use std::path::PathBuf;

use console::Style;
use serde_json::{Value, json};

use super::driver::{Outcome, Step};
use super::exit;

/// Everything the reports show about a run.
pub struct Run {
    /// start, reload 1..N, shutdown.
    pub steps: Vec<Step>,
    pub ready_by: &'static str,
    pub touched: Option<PathBuf>,
    pub check: Option<String>,
    pub duration_ms: u64,
    /// The last lines of the app's output.
    pub tail: Vec<String>,
}

impl Run {
    /// 0 when every step passed, else the code of the first step that failed.
    pub fn code(&self) -> u8 {
        self.steps
            .iter()
            .find_map(|s| match &s.outcome {
                Outcome::Failed { code, .. } => Some(*code),
                _ => None,
            })
            .unwrap_or(exit::PASSED)
    }

    pub fn verdict(&self) -> &'static str {
        if self.code() == exit::PASSED {
            "passed"
        } else {
            "failed"
        }
    }
}

fn dur(ms: Option<u64>) -> String {
    match ms {
        None => "-".to_string(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) => format!("{:.2}s", ms as f64 / 1000.0),
    }
}

fn result_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::NotRun => "not run".into(),
        Outcome::Running => "running".into(),
        Outcome::Passed => "ok".into(),
        Outcome::Failed { code, .. } => format!("FAILED ({code})"),
    }
}

/// The CI-log line of a step that just ended.
pub fn step_line(step: &Step) -> String {
    let mut line = format!("smoke: {:<10} {}", step.name, result_word(&step.outcome));
    let mut parts = Vec::new();
    if step.build_ms.is_some() {
        parts.push(format!("build {}", dur(step.build_ms)));
    }
    if step.swap_ms.is_some() {
        parts.push(format!("swap {}", dur(step.swap_ms)));
    }
    if let Some(g) = step.generation {
        parts.push(format!("generation {g}"));
    }
    if step.ready_ms.is_some() {
        parts.push(format!("ready {}", dur(step.ready_ms)));
    }
    if step.total_ms.is_some() {
        parts.push(format!("total {}", dur(step.total_ms)));
    }
    if !parts.is_empty() {
        let _ = write!(line, "  {}", parts.join(", "));
    }
    if let Outcome::Failed { reason, .. } = &step.outcome {
        let _ = write!(line, ": {reason}");
    }
    let style = match step.outcome {
        Outcome::Failed { .. } => Style::new().for_stderr().red().bold(),
        Outcome::Passed => Style::new().for_stderr().green(),
        _ => Style::new().for_stderr(),
    };
    style.apply_to(line).to_string()
}

/// The summary table printed at the end.
pub fn table(run: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<11} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "step", "result", "build", "swap", "ready", "total", "failed req"
    );
    let last = run.steps.len().saturating_sub(1);
    for (index, step) in run.steps.iter().enumerate() {
        // The shutdown step has no request window: the loop stops before it.
        let requests = if run.check.is_some() && step.outcome != Outcome::NotRun && index != last {
            format!(
                "{}/{}",
                step.requests_failed,
                step.requests_ok + step.requests_failed
            )
        } else {
            "-".to_string()
        };
        let _ = writeln!(
            out,
            "{:<10} {:<11} {:>8} {:>8} {:>8} {:>8} {:>10}",
            step.name,
            result_word(&step.outcome),
            dur(step.build_ms),
            dur(step.swap_ms),
            dur(step.ready_ms),
            dur(step.total_ms),
            requests
        );
    }
    let _ = writeln!(out, "readiness: {}", run.ready_by);
    if let Some(path) = &run.touched {
        let _ = writeln!(out, "touched: {} (left as it was)", path.display());
    }
    let code = run.code();
    let _ = write!(
        out,
        "smoke {} (exit {code}) in {}",
        run.verdict(),
        dur(Some(run.duration_ms))
    );
    // The last line a CI log shows states the cause.
    if let Some((step, reason)) = run.steps.iter().find_map(|s| match &s.outcome {
        Outcome::Failed { reason, .. } => Some((&s.name, reason)),
        _ => None,
    }) {
        let _ = write!(out, ": {step}: {reason}");
    }
    out
}

/// The `--report` document.
pub fn json_report(run: &Run) -> Value {
    let steps: Vec<Value> = run
        .steps
        .iter()
        .map(|s| {
            let (result, code, reason) = match &s.outcome {
                Outcome::NotRun => ("not_run", None, None),
                Outcome::Running => ("running", None, None),
                Outcome::Passed => ("passed", None, None),
                Outcome::Failed { code, reason } => ("failed", Some(*code), Some(reason.clone())),
            };
            json!({
                "name": s.name,
                "result": result,
                "code": code,
                "reason": reason,
                "build": s.build,
                "generation": s.generation,
                "build_ms": s.build_ms,
                "swap_ms": s.swap_ms,
                "ready_ms": s.ready_ms,
                "total_ms": s.total_ms,
                "requests": { "ok": s.requests_ok, "failed": s.requests_failed },
            })
        })
        .collect();
    let ok: u64 = run.steps.iter().map(|s| s.requests_ok).sum();
    let failed: u64 = run.steps.iter().map(|s| s.requests_failed).sum();
    json!({
        "verdict": run.verdict(),
        "exit_code": run.code(),
        "duration_ms": run.duration_ms,
        "readiness": run.ready_by,
        "touched": run.touched,
        "check": run.check,
        "requests": { "ok": ok, "failed": failed },
        "steps": steps,
        "app_output_tail": run.tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(outcomes: Vec<Outcome>) -> Run {
        let steps = outcomes
            .into_iter()
            .enumerate()
            .map(|(i, outcome)| {
                let mut s = Step::new(format!("step {i}"));
                s.outcome = outcome;
                s
            })
            .collect();
        Run {
            steps,
            ready_by: "x",
            touched: None,
            check: None,
            duration_ms: 1,
            tail: vec![],
        }
    }

    #[test]
    fn the_first_failed_step_decides_the_exit_code() {
        let failed = |code| Outcome::Failed {
            code,
            reason: "r".into(),
        };
        let run = run_with(vec![Outcome::Passed, failed(5), failed(6)]);
        assert_eq!(run.code(), 5);
        assert_eq!(run.verdict(), "failed");
        assert_eq!(run_with(vec![Outcome::Passed; 3]).code(), 0);
    }

    #[test]
    fn the_report_names_every_step() {
        let run = run_with(vec![Outcome::Passed, Outcome::NotRun]);
        let v = json_report(&run);
        assert_eq!(v["verdict"], "passed");
        assert_eq!(v["steps"][1]["result"], "not_run");
    }

    #[test]
    fn the_last_line_states_the_first_failure() {
        let run = run_with(vec![
            Outcome::Failed {
                code: 2,
                reason: "found no watched file".into(),
            },
            Outcome::NotRun,
        ]);
        let table = table(&run);
        let last = table.lines().last().unwrap();
        assert!(last.starts_with("smoke failed (exit 2)"), "{last}");
        assert!(last.ends_with(": found no watched file"), "{last}");
        let passed = table_last(&run_with(vec![Outcome::Passed; 2]));
        assert!(!passed.contains(':'), "{passed}");
    }

    fn table_last(run: &Run) -> String {
        table(run).lines().last().unwrap().to_string()
    }
}
