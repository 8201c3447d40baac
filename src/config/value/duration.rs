//! Durations in words (`50ms`, `1m 30s`) and the range each setting accepts. Pure; a value
//! out of range is refused with the range, never clamped.

use std::time::Duration;

use crate::config::error::Problem;

const DURATION_HINT: &str = "write a number and a unit, e.g. \"50ms\", \"5s\" or \"1m 30s\"";

/// The range a duration setting accepts: hotdev adds and multiplies durations (a poll
/// interval and a half, a deadline from now), so none may be near the end of time, and a
/// poll interval near zero would burn a core while idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: Duration,
    pub max: Duration,
}

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// `watch.debounce`: up to an hour.
pub const DEBOUNCE: Limits = Limits {
    min: Duration::ZERO,
    max: HOUR,
};
/// `watch.poll`: 10ms to an hour.
pub const POLL: Limits = Limits {
    min: Duration::from_millis(10),
    max: HOUR,
};
/// Timeouts and delays (`build.timeout`, `run.stop_timeout`, `run.ready_timeout`,
/// `ready = { delay }`, smoke's `--timeout`): up to a day.
pub const TIMEOUT: Limits = Limits {
    min: Duration::ZERO,
    max: DAY,
};

/// A duration within `limits`.
pub fn duration_within(text: &str, limits: Limits) -> Result<Duration, Problem> {
    let value = duration(text)?;
    if value < limits.min || value > limits.max {
        let range = match limits.min {
            Duration::ZERO => format!("at most {}", humantime::format_duration(limits.max)),
            min => format!(
                "from {} to {}",
                humantime::format_duration(min),
                humantime::format_duration(limits.max)
            ),
        };
        let side = if value < limits.min { "short" } else { "long" };
        return Err(Problem::new(format!(
            "`{}` is too {side}: this setting takes {range}",
            text.trim()
        ))
        .with_hint(DURATION_HINT));
    }
    Ok(value)
}

pub fn duration(text: &str) -> Result<Duration, Problem> {
    if text.trim().is_empty() {
        return Err(Problem::new("the duration is empty").with_hint(DURATION_HINT));
    }
    humantime::parse_duration(text.trim()).map_err(|error| {
        Problem::new(format!("`{text}` is not a duration ({error})")).with_hint(DURATION_HINT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_out_of_range_are_refused_with_the_range() {
        let huge = duration_within("500000000000y", POLL).unwrap_err();
        assert!(huge.message.contains("too long"), "{}", huge.message);
        assert!(huge.message.contains("from 10ms to 1h"), "{}", huge.message);
        let tiny = duration_within("1ns", POLL).unwrap_err();
        assert!(tiny.message.contains("too short"), "{}", tiny.message);
        let day = duration_within("2days", TIMEOUT).unwrap_err();
        assert!(day.message.contains("at most 1day"), "{}", day.message);
        assert_eq!(duration_within("1h", DEBOUNCE).unwrap(), HOUR);
        assert_eq!(duration_within("0s", DEBOUNCE).unwrap(), Duration::ZERO);
        assert_eq!(
            duration_within("10ms", POLL).unwrap(),
            Duration::from_millis(10)
        );
    }

    #[test]
    fn durations_parse_and_bad_ones_hint_at_examples() {
        assert_eq!(duration("50ms").unwrap(), Duration::from_millis(50));
        assert_eq!(duration("1m 30s").unwrap(), Duration::from_secs(90));
        let problem = duration("5x").unwrap_err();
        assert!(
            problem.message.starts_with("`5x` is not a duration"),
            "{problem:?}"
        );
        assert!(problem.hint.unwrap().contains("\"50ms\", \"5s\""));
        assert!(duration("5").is_err(), "a unit is required");
    }
}
