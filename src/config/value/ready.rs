//! Readiness checks: the `--ready` flag read into the file's form, then either form to a
//! [`Readiness`], with its regex, URL or address checked. Pure; it never probes.

use super::address::{probe_target, socket_address};
use super::duration::{TIMEOUT, duration_within};
use crate::config::error::{Problem, did_you_mean};
use crate::config::file::ReadyFile;
use crate::ready::Readiness;

/// The `--ready` flag: `notify`, `log:REGEX`, `http:URL`, `tcp:ADDR` or `delay:DUR`; read
/// into the file's form so both go through [`readiness`].
pub fn ready_flag(text: &str) -> Result<ReadyFile, Problem> {
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(ReadyFile::Http(text.to_owned()));
    }
    let (kind, value) = text.split_once(':').unwrap_or((text, ""));
    let value = value.to_owned();
    let known = ["notify", "log", "http", "tcp", "delay"];
    if !known.contains(&kind) && kind != "https" {
        return Err(Problem::new(format!("unknown readiness check `{text}`"))
            .with_hint(did_you_mean(kind, &known)));
    }
    if kind == "notify" {
        return match value.is_empty() {
            true => Ok(ReadyFile::Notify(true)),
            false => Err(Problem::new("`--ready notify` takes no value")),
        };
    }
    if value.is_empty() {
        return Err(
            Problem::new(format!("`--ready {kind}` needs a value after `{kind}:`"))
                .with_hint("e.g. `--ready log:listening`, `--ready tcp:8081`, `--ready delay:1s`"),
        );
    }
    Ok(match kind {
        "log" => ReadyFile::Log(value),
        "tcp" => ReadyFile::Tcp(value),
        "delay" => ReadyFile::Delay(value),
        // `http://host/…` was split at its own colon: put it back together.
        _ if value.starts_with("//") => ReadyFile::Http(format!("{kind}:{value}")),
        _ => ReadyFile::Http(format!("http://{value}")),
    })
}

/// A readiness check; `None` for `{ notify = false }`.
pub fn readiness(ready: &ReadyFile) -> Result<Option<Readiness>, Problem> {
    Ok(Some(match ready {
        ReadyFile::Notify(false) => return Ok(None),
        ReadyFile::Notify(true) => Readiness::Notify,
        ReadyFile::Log(pattern) => Readiness::Log(regex(pattern)?),
        ReadyFile::Http(url) => {
            if probe_target(url).is_none() {
                return Err(Problem::new(format!("`{url}` is not an http URL"))
                    .with_hint("e.g. \"http://127.0.0.1:8081/health\""));
            }
            Readiness::Http(url.clone())
        }
        ReadyFile::Tcp(address) => match socket_address(address) {
            Some(address) => Readiness::Tcp(address.to_string()),
            None => {
                return Err(Problem::new(format!("`{address}` is not a TCP address"))
                    .with_hint("e.g. \"127.0.0.1:8081\" or \"8081\""));
            }
        },
        ReadyFile::Delay(text) => Readiness::Delay(duration_within(text, TIMEOUT)?),
    }))
}

pub fn regex(pattern: &str) -> Result<regex::Regex, Problem> {
    regex::Regex::new(pattern).map_err(|error| {
        // regex's message spans several lines with a caret under the culprit; keep the last.
        let reason = error.to_string();
        let reason = reason
            .lines()
            .last()
            .unwrap_or("invalid")
            .trim_start_matches("error: ");
        Problem::new(format!("`{pattern}` is not a valid regex: {reason}"))
            .with_hint("escape special characters such as `(`, `[` or `.` with `\\`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_flag_forms() {
        assert_eq!(ready_flag("notify").unwrap(), ReadyFile::Notify(true));
        assert_eq!(
            ready_flag("log:listening on").unwrap(),
            ReadyFile::Log("listening on".into())
        );
        assert_eq!(ready_flag("log:a:b").unwrap(), ReadyFile::Log("a:b".into()));
        assert_eq!(
            ready_flag("http://127.0.0.1:8081/health").unwrap(),
            ReadyFile::Http("http://127.0.0.1:8081/health".into())
        );
        assert_eq!(
            ready_flag("http:127.0.0.1:8081/health").unwrap(),
            ReadyFile::Http("http://127.0.0.1:8081/health".into())
        );
        assert_eq!(
            ready_flag("tcp:8081").unwrap(),
            ReadyFile::Tcp("8081".into())
        );
        assert_eq!(
            ready_flag("delay:1s").unwrap(),
            ReadyFile::Delay("1s".into())
        );
        assert!(
            ready_flag("delay")
                .unwrap_err()
                .message
                .contains("needs a value")
        );
        let typo = ready_flag("notfy").unwrap_err();
        assert!(typo.hint.unwrap().contains("did you mean `notify`?"));
    }

    #[test]
    fn readiness_checks_are_validated() {
        assert!(readiness(&ReadyFile::Notify(false)).unwrap().is_none());
        assert!(
            matches!(readiness(&ReadyFile::Tcp("8081".into())), Ok(Some(Readiness::Tcp(a))) if a == "127.0.0.1:8081")
        );
        let bad_regex = readiness(&ReadyFile::Log("listening (".into())).unwrap_err();
        assert!(
            bad_regex
                .message
                .starts_with("`listening (` is not a valid regex: "),
            "{bad_regex:?}"
        );
        assert!(!bad_regex.message.contains('\n'));
        assert!(readiness(&ReadyFile::Http("ftp://x".into())).is_err());
        assert!(readiness(&ReadyFile::Delay("soon".into())).is_err());
    }
}
