//! Reading the child hotdev's stderr: each line is either one of its JSON events or output of
//! the app (or of a build). Pure parsing, no I/O.

use std::path::PathBuf;

use serde_json::Value;

/// One event of the child, with the fields the smoke run uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Milliseconds since the child started (its own clock).
    pub ts_ms: u64,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Started {
        root: PathBuf,
        config: Option<PathBuf>,
        strategy: String,
        /// The configured readiness check, when the child says so (newer versions).
        ready: Option<Option<String>>,
    },
    Change,
    BuildStarted {
        build: u64,
        pid: i32,
    },
    BuildCancelled {
        build: u64,
    },
    BuildOk {
        build: u64,
        duration_ms: u64,
    },
    BuildFailed {
        build: u64,
        duration_ms: u64,
        status: String,
    },
    GenerationStarted {
        generation: u64,
        pid: i32,
    },
    GenerationReady {
        generation: u64,
        ready_ms: u64,
    },
    GenerationNotReady {
        generation: u64,
        reason: String,
    },
    GenerationExited {
        generation: u64,
        status: String,
        requested: bool,
    },
    GenerationReloaded {
        generation: u64,
    },
    RolledBack {
        failed: u64,
    },
    Waiting,
    Error {
        message: String,
    },
    /// The collected output of a build (always sent for a failed one).
    BuildOutput {
        lines: Vec<String>,
    },
    /// An event the smoke run does not act on (`watching`, `listening`, …).
    Other(String),
}

/// A line of the child's stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Event(Event),
    /// Anything that is not a JSON object with an `"event"` string: the app's output.
    Output(String),
}

pub fn parse_line(line: &str) -> Line {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return Line::Output(line.to_string());
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) else {
        return Line::Output(line.to_string());
    };
    let Some(name) = map.get("event").and_then(Value::as_str) else {
        return Line::Output(line.to_string());
    };
    let num = |key: &str| map.get(key).and_then(Value::as_u64).unwrap_or(0);
    let pid = |key: &str| map.get(key).and_then(Value::as_i64).unwrap_or(0) as i32;
    let text = |key: &str| match map.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let kind = match name {
        "started" => Kind::Started {
            root: PathBuf::from(text("root")),
            config: map.get("config").and_then(Value::as_str).map(PathBuf::from),
            strategy: text("strategy"),
            ready: map
                .get("ready")
                .map(|v| v.as_str().map(str::to_string).or_else(|| object_key(v))),
        },
        "change" => Kind::Change,
        "build_started" => Kind::BuildStarted {
            build: num("build"),
            pid: pid("pid"),
        },
        "build_cancelled" => Kind::BuildCancelled {
            build: num("build"),
        },
        "build_ok" => Kind::BuildOk {
            build: num("build"),
            duration_ms: num("duration_ms"),
        },
        "build_failed" => Kind::BuildFailed {
            build: num("build"),
            duration_ms: num("duration_ms"),
            status: text("status"),
        },
        "generation_started" => Kind::GenerationStarted {
            generation: num("generation"),
            pid: pid("pid"),
        },
        "generation_ready" => Kind::GenerationReady {
            generation: num("generation"),
            ready_ms: num("ready_ms"),
        },
        "generation_not_ready" => Kind::GenerationNotReady {
            generation: num("generation"),
            reason: text("reason"),
        },
        "generation_exited" => Kind::GenerationExited {
            generation: num("generation"),
            status: text("status"),
            requested: map
                .get("requested")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        "generation_reloaded" => Kind::GenerationReloaded {
            generation: num("generation"),
        },
        "rolled_back" => Kind::RolledBack {
            failed: num("failed"),
        },
        "waiting" => Kind::Waiting,
        "build_output" => Kind::BuildOutput {
            lines: map
                .get("lines")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect(),
        },
        "error" => Kind::Error {
            message: text("message"),
        },
        other => Kind::Other(other.to_string()),
    };
    Line::Event(Event {
        ts_ms: num("ts_ms"),
        kind,
    })
}

/// `{"notify": true}` → `notify`: the kind of a readiness check given as a table.
fn object_key(value: &Value) -> Option<String> {
    value.as_object()?.keys().next().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_recognised_with_their_fields() {
        let line = r#"{"event":"build_ok","build":2,"duration_ms":840,"ts_ms":1200}"#;
        assert_eq!(
            parse_line(line),
            Line::Event(Event {
                ts_ms: 1200,
                kind: Kind::BuildOk {
                    build: 2,
                    duration_ms: 840
                }
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
        ] {
            assert_eq!(parse_line(line), Line::Output(line.to_string()));
        }
    }

    #[test]
    fn started_reads_the_readiness_when_present() {
        let line = r#"{"event":"started","root":"/p","config":null,"strategy":"restart","ready":"notify","ts_ms":0}"#;
        let Line::Event(Event {
            kind: Kind::Started { ready, config, .. },
            ..
        }) = parse_line(line)
        else {
            panic!("not an event");
        };
        assert_eq!(ready, Some(Some("notify".to_string())));
        assert_eq!(config, None);
    }
}
