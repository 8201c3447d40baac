//! Reading the child hotdev's stderr: each line is either one of its JSON events — the same
//! [`Message`] type hotdev writes, read back by serde — or output of the app (or a build).
//! Pure parsing, no I/O; no second idea of what an event holds.

use crate::report::{Message, Stamped};

/// One event of the child, with the time it wrote it (its own clock).
pub type ChildEvent = Stamped<Message>;

/// A line of the child's stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Event(ChildEvent),
    /// Anything that is not one of hotdev's events: the app's output.
    Output(String),
}

pub fn parse_line(line: &str) -> Line {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return Line::Output(line.to_string());
    }
    match serde_json::from_str::<ChildEvent>(trimmed) {
        Ok(event) => Line::Event(event),
        Err(_) => Line::Output(line.to_string()),
    }
}

/// The message of a plain-text error of the child (`hotdev: error: …`): what it printed
/// when it refused to start (a config error, a port in use).
pub fn child_error(line: &str) -> Option<&str> {
    line.strip_prefix("hotdev: error: ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn events_are_recognised_with_their_fields() {
        let line = r#"{"event":"build_ok","build":2,"duration_ms":840,"ts_ms":1200}"#;
        assert_eq!(
            parse_line(line),
            Line::Event(ChildEvent {
                ts_ms: 1200,
                message: Message::BuildOk {
                    build: 2,
                    duration: Duration::from_millis(840)
                },
                app: None,
            })
        );
    }

    #[test]
    fn app_output_that_looks_like_json_stays_output() {
        for line in [
            r#"{"level":"info","msg":"listening"}"#,
            "{not json",
            "listening on 127.0.0.1:8080",
            r#"{"event": 3}"#,
            r#"{"event":"login","user":"ann"}"#,
        ] {
            assert_eq!(parse_line(line), Line::Output(line.to_string()));
        }
    }

    #[test]
    fn started_reads_the_strategy_and_readiness_as_types() {
        let line = r#"{"event":"started","version":"0.1.0","root":"/p","config":null,"strategy":"signal","ready":"notify","build":null,"run":"app","ts_ms":0}"#;
        let Line::Event(ChildEvent {
            message:
                Message::Started {
                    strategy,
                    ready,
                    config,
                    ..
                },
            ..
        }) = parse_line(line)
        else {
            panic!("not an event");
        };
        assert_eq!(strategy, crate::engine::SwapStrategy::Signal);
        assert_eq!(ready, Some(crate::report::ReadyKind::Notify));
        assert_eq!(config, None);
    }

    #[test]
    fn a_refusal_is_read_from_hotdevs_error_line() {
        assert_eq!(
            child_error("hotdev: error: cannot listen on 127.0.0.1:8080: address already in use"),
            Some("cannot listen on 127.0.0.1:8080: address already in use")
        );
        assert_eq!(child_error("app| hotdev: error: x"), None);
    }
}
