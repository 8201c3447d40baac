//! The `--junit` report: one `<testcase>` per step (start, each reload, shutdown), a
//! `<failure>` with the reason and the tail of the app's output for the step that failed, and
//! `<skipped>` for the steps an earlier failure prevented.

use std::fmt::Write as _;

use super::driver::Outcome;
use super::summary::Run;
use crate::report::text::escape_markup as escape;

/// Several runs, one `<testsuite>` each: with `[apps]`, a run per app (`hotdev smoke: api`,
/// test cases `hotdev.smoke.api`).
pub fn render_apps(runs: &[(Option<&str>, &Run)]) -> String {
    let count = |run: &Run, pick: fn(&Outcome) -> bool| {
        run.steps.iter().filter(|s| pick(&s.outcome)).count()
    };
    let failed = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let skipped = |o: &Outcome| matches!(o, Outcome::NotRun | Outcome::Running);
    let secs = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
    let tests: usize = runs.iter().map(|(_, run)| run.steps.len()).sum();
    let failures: usize = runs.iter().map(|(_, run)| count(run, failed)).sum();
    let time: u64 = runs.iter().map(|(_, run)| run.duration_ms).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"hotdev smoke\" tests=\"{tests}\" failures=\"{failures}\" time=\"{}\">",
        secs(time)
    );
    for (app, run) in runs {
        let (suite, class) = match app {
            Some(app) => (
                format!("hotdev smoke: {app}"),
                format!("hotdev.smoke.{app}"),
            ),
            None => ("hotdev smoke".to_owned(), "hotdev.smoke".to_owned()),
        };
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            escape(&suite),
            run.steps.len(),
            count(run, failed),
            count(run, skipped),
            secs(run.duration_ms)
        );
        for step in &run.steps {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                escape(&class),
                escape(&step.name),
                secs(step.total_ms.unwrap_or(0))
            );
            match &step.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::NotRun | Outcome::Running => {
                    out.push_str(">\n      <skipped message=\"not run: an earlier step failed\"/>\n    </testcase>\n");
                }
                Outcome::Failed { code, reason } => {
                    let mut body = format!("{reason}\n");
                    if !run.tail.is_empty() {
                        body.push_str("\nlast lines of the app's output:\n");
                        for line in &run.tail {
                            body.push_str(line);
                            body.push('\n');
                        }
                    }
                    let _ = write!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"exit {code}\">{}</failure>\n    </testcase>\n",
                        escape(reason),
                        escape(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smoke::driver::Step;

    #[test]
    fn escape_handles_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'\x1b[31m"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;\\u{1b}[31m"
        );
    }

    #[test]
    fn one_testcase_per_step_and_a_failure_with_the_tail() {
        let mut passed = Step::new("start".into());
        passed.outcome = Outcome::Passed;
        let mut failed = Step::new("reload 1".into());
        failed.outcome = Outcome::Failed {
            code: 3,
            reason: "build 2 failed (exit 1)".into(),
        };
        let run = Run {
            steps: vec![passed, failed, Step::new("shutdown".into())],
            ready_by: "x",
            touched: None,
            check: None,
            duration_ms: 1500,
            tail: vec!["main.go:3: syntax error <here>".into()],
        };
        let xml = render_apps(&[(None, &run)]);
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains("<failure message=\"build 2 failed (exit 1)\" type=\"exit 3\">"));
        assert!(xml.contains("syntax error &lt;here&gt;"));
        assert!(xml.contains("<skipped "));
        let both = render_apps(&[(Some("api"), &run), (Some("worker"), &run)]);
        assert_eq!(both.matches("<testsuite ").count(), 2);
        assert_eq!(
            both.matches("<testcase classname=\"hotdev.smoke.worker\"")
                .count(),
            3
        );
        assert!(both.contains("<testsuites name=\"hotdev smoke\" tests=\"6\" failures=\"2\""));
    }
}
