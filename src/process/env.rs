//! The environment of a child: hotdev's own, less the hand-off variables hotdev itself
//! inherited, plus the command's `env`, the caller's extras and, with listeners, the systemd
//! socket-activation variables. Pure: the caller passes hotdev's environment in.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// Variables that describe a hand-off *to hotdev* (hotdev run under systemd, or under another
/// hotdev). A child must never take them for its own, so they are dropped unless hotdev sets
/// them for this child.
const INHERITED_HANDOFF: [&str; 5] = [
    "LISTEN_FDS",
    "LISTEN_PID",
    "LISTEN_FDNAMES",
    "LISTEN_FDS_FIRST_FD",
    "NOTIFY_SOCKET",
];

/// The listeners a child receives at fds 3, 4, …
pub(super) struct Handoff<'a> {
    pub names: Vec<&'a str>,
    /// The first TCP listener's port, for `PORT`.
    pub port: Option<u16>,
}

/// The first fd of the hand-off, as the protocol fixes it (`SD_LISTEN_FDS_START`).
pub(super) const FIRST_FD: usize = 3;

/// Builds the child's environment, later sources winning: `fallback` (e.g. the force-colour
/// variables, which the user's own settings override), `inherited` (less the hand-off
/// variables), `spec_env`, `extra`, then the hand-off. `LISTEN_PID` is left out: only the
/// child knows its pid, so `exec` adds it between fork and exec.
pub(super) fn child_env(
    fallback: &[(String, String)],
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    spec_env: &BTreeMap<String, String>,
    extra: &[(String, String)],
    handoff: Option<&Handoff<'_>>,
) -> BTreeMap<OsString, OsString> {
    let mut env: BTreeMap<OsString, OsString> =
        fallback.iter().map(|(k, v)| (k.into(), v.into())).collect();
    env.extend(
        inherited
            .into_iter()
            .filter(|(key, _)| !INHERITED_HANDOFF.iter().any(|h| key == h)),
    );
    let set = spec_env.iter().chain(extra.iter().map(|(k, v)| (k, v)));
    env.extend(set.map(|(k, v)| (k.into(), v.into())));
    if let Some(handoff) = handoff {
        let mut put = |key: &str, value: String| env.insert(key.into(), value.into());
        put("LISTEN_FDS", handoff.names.len().to_string());
        put("LISTEN_FDNAMES", handoff.names.join(":"));
        put("LISTEN_FDS_FIRST_FD", FIRST_FD.to_string());
        if let Some(port) = handoff.port {
            put("PORT", port.to_string());
        }
        env.remove(std::ffi::OsStr::new("LISTEN_PID"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    fn get<'a>(env: &'a BTreeMap<OsString, OsString>, key: &str) -> Option<&'a str> {
        env.get(std::ffi::OsStr::new(key)).and_then(|v| v.to_str())
    }

    #[test]
    fn inherited_handoff_variables_are_dropped() {
        let inherited = vars(&[
            ("HOME", "/home/me"),
            ("LISTEN_FDS", "1"),
            ("LISTEN_PID", "1"),
            ("LISTEN_FDNAMES", "x"),
            ("LISTEN_FDS_FIRST_FD", "3"),
            ("NOTIFY_SOCKET", "/run/systemd/notify"),
        ]);
        let env = child_env(&[], inherited, &BTreeMap::new(), &[], None);
        assert_eq!(env.len(), 1);
        assert_eq!(get(&env, "HOME"), Some("/home/me"));
    }

    #[test]
    fn spec_env_then_extras_override_what_hotdev_inherited() {
        let inherited = vars(&[("MODE", "inherited"), ("KEEP", "1")]);
        let spec = BTreeMap::from([
            ("MODE".to_string(), "spec".to_string()),
            ("BUILD".to_string(), "spec".to_string()),
        ]);
        let extra = [
            ("BUILD".to_string(), "extra".to_string()),
            ("NOTIFY_SOCKET".to_string(), "/tmp/hotdev.sock".to_string()),
        ];
        let env = child_env(&[], inherited, &spec, &extra, None);
        assert_eq!(get(&env, "MODE"), Some("spec"));
        assert_eq!(get(&env, "BUILD"), Some("extra"));
        assert_eq!(get(&env, "KEEP"), Some("1"));
        assert_eq!(get(&env, "NOTIFY_SOCKET"), Some("/tmp/hotdev.sock"));
    }

    #[test]
    fn handoff_sets_the_systemd_variables_and_leaves_listen_pid_to_the_child() {
        let spec = BTreeMap::from([("LISTEN_PID".to_string(), "99".to_string())]);
        let handoff = Handoff {
            names: vec!["http", "admin"],
            port: Some(8080),
        };
        let env = child_env(&[], vars(&[("PORT", "1")]), &spec, &[], Some(&handoff));
        assert_eq!(get(&env, "LISTEN_FDS"), Some("2"));
        assert_eq!(get(&env, "LISTEN_FDNAMES"), Some("http:admin"));
        assert_eq!(get(&env, "LISTEN_FDS_FIRST_FD"), Some("3"));
        assert_eq!(get(&env, "PORT"), Some("8080"));
        assert_eq!(get(&env, "LISTEN_PID"), None);
    }

    #[test]
    fn fallback_variables_give_way_to_the_inherited_and_the_commands_own() {
        let fallback = [
            ("CARGO_TERM_COLOR".to_string(), "always".to_string()),
            ("CLICOLOR_FORCE".to_string(), "1".to_string()),
            ("FORCE_COLOR".to_string(), "1".to_string()),
        ];
        let spec = BTreeMap::from([("FORCE_COLOR".to_string(), "0".to_string())]);
        let env = child_env(
            &fallback,
            vars(&[("CARGO_TERM_COLOR", "never")]),
            &spec,
            &[],
            None,
        );
        assert_eq!(get(&env, "CARGO_TERM_COLOR"), Some("never"));
        assert_eq!(get(&env, "FORCE_COLOR"), Some("0"));
        assert_eq!(get(&env, "CLICOLOR_FORCE"), Some("1"));
    }

    #[test]
    fn no_tcp_listener_leaves_port_alone() {
        let handoff = Handoff {
            names: vec!["unix"],
            port: None,
        };
        let env = child_env(
            &[],
            vars(&[("PORT", "3000")]),
            &BTreeMap::new(),
            &[],
            Some(&handoff),
        );
        assert_eq!(get(&env, "PORT"), Some("3000"));
    }
}
