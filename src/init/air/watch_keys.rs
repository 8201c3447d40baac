//! air's watch keys (`include_ext`, `exclude_dir`, `exclude_regex`, `poll`, `delay`, …) to
//! `[watch]`, with air's defaults for the keys its file leaves out. A regex that is not a
//! plain literal is named in a note, never guessed at.

use toml::{Table, Value};

use super::{Note, Out, dir_glob, strings};

pub(super) fn watch_keys(build: &Table, testdata_dir: &str, out: &mut Out) {
    // air's defaults for the keys its file leaves out.
    let include_ext = build
        .get("include_ext")
        .map(strings)
        .unwrap_or_else(|| ["go", "tpl", "tmpl", "html"].map(String::from).to_vec());
    if include_ext.iter().any(|e| e == "*") {
        out.mapped(
            "build.include_ext",
            "[\"*\"]: watch.extensions = [] (every file)",
        );
    } else {
        out.extensions = include_ext;
        let how = if build.contains_key("include_ext") {
            "watch.extensions"
        } else {
            "absent: air's default go, tpl, tmpl, html as watch.extensions"
        };
        out.mapped("build.include_ext", how);
    }
    let exclude_dir = build.get("exclude_dir").map(strings).unwrap_or_else(|| {
        vec![
            "assets".into(),
            "tmp".into(),
            "vendor".into(),
            testdata_dir.to_string(),
        ]
    });
    for dir in &exclude_dir {
        out.ignore.push(dir_glob(dir));
    }
    let how = if build.contains_key("exclude_dir") {
        "watch.ignore, each as \"DIR/**\""
    } else {
        "absent: air's default assets, tmp, vendor, testdata as watch.ignore"
    };
    out.mapped("build.exclude_dir", how);
    let regexes = build
        .get("exclude_regex")
        .map(strings)
        .unwrap_or_else(|| vec!["_test.go".into()]);
    let mut unmapped = Vec::new();
    for regex in &regexes {
        match regex_as_glob(regex) {
            Some(glob) => out.ignore.push(glob),
            None => unmapped.push(regex.clone()),
        }
    }
    if unmapped.is_empty() {
        out.mapped(
            "build.exclude_regex",
            "watch.ignore, as the equivalent globs",
        );
    } else {
        out.unmapped(
            "build.exclude_regex",
            format!(
                "hotdev's watch.ignore takes globs; write one for {} (e.g. \"**/*_gen.go\")",
                unmapped
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    for (key, value) in build {
        let dotted = format!("build.{key}");
        match key.as_str() {
            "include_dir" => {
                let dirs = strings(value);
                if dirs.is_empty() {
                    out.mapped(&dotted, "empty: the whole root is watched");
                } else {
                    out.paths.extend(dirs);
                    out.mapped(&dotted, "watch.paths (only these are watched)");
                }
            }
            "include_file" => {
                let files = strings(value);
                if files.is_empty() {
                    out.mapped(&dotted, "empty: nothing to set");
                } else {
                    out.include.extend(files);
                    out.mapped(&dotted, "watch.include");
                }
            }
            "exclude_file" => {
                out.ignore.extend(strings(value));
                out.mapped(&dotted, "watch.ignore");
            }
            "exclude_unchanged" => match value.as_bool() {
                Some(true) => out.unmapped(
                    &dotted,
                    "hotdev builds on every write; an editor's save without a change still \
                     builds (cheap with Go's build cache)",
                ),
                _ => out.mapped(&dotted, "false: hotdev's behaviour"),
            },
            "follow_symlink" => {
                out.follow_symlinks = value.as_bool() == Some(true);
                out.mapped(&dotted, "watch.follow_symlinks");
            }
            "poll" => {
                if value.as_bool() == Some(true) && out.poll.is_none() {
                    out.poll = Some("500ms".into());
                }
                out.mapped(&dotted, "watch.poll");
            }
            "poll_interval" => {
                if let Some(ms) = value.as_integer().filter(|ms| *ms > 0)
                    && build.get("poll").and_then(Value::as_bool) == Some(true)
                {
                    // air's minimum is 500ms.
                    out.poll = Some(format!("{}ms", ms.clamp(500, 3_600_000)));
                }
                out.mapped(&dotted, "watch.poll's interval");
            }
            "delay" => match value.as_integer() {
                Some(ms) if ms > 0 => {
                    out.debounce = Some(format!("{}ms", ms.min(3_600_000)));
                    out.mapped(&dotted, "watch.debounce");
                }
                _ => out.mapped(&dotted, "0: hotdev's 50ms debounce"),
            },
            "log" => out.unmapped(
                &dotted,
                "hotdev prints a failed build's output itself and keeps no log file; use \
                 `hotdev 2>&1 | tee tmp/hotdev.log` for one",
            ),
            "ignore_dangerous_root_dir" => out.unmapped(
                &dotted,
                "hotdev has no such check: it watches what you point it at",
            ),
            "rules" => out.unmapped(
                &dotted,
                "hotdev has no per-glob commands: run such a command from build.command \
                 (e.g. `npm run build && go build …`), or as a second hotdev",
            ),
            _ => {}
        }
    }
    if !build.contains_key("delay") {
        out.notes.push(Note {
            key: "build.delay".into(),
            mapped: true,
            text: "absent (air waited 1s): hotdev's 50ms debounce, which ends when the save is \
                   complete"
                .into(),
        });
    }
}

/// `_test.go`, `_test\.go`, `\.pb\.go$`, `^gen/.*`: a literal with `.*` wildcards and
/// anchors, as a glob on the path relative to the root. Anything with other regex syntax is
/// `None` (the note asks for a glob).
pub(super) fn regex_as_glob(regex: &str) -> Option<String> {
    let anchored_start = regex.starts_with('^');
    let body = regex.trim_start_matches('^');
    let (body, anchored_end) = match body.strip_suffix('$') {
        Some(body) => (body, true),
        None => (body, false),
    };
    let mut glob = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if ".-_/+()^$|\\".contains(e) => glob.push(e),
                _ => return None,
            },
            '.' if chars.peek() == Some(&'*') => {
                chars.next();
                glob.push('*');
            }
            // An unescaped `.` in a file-name pattern is almost always meant literally
            // (air's own default is "_test.go").
            '.' => glob.push('.'),
            c if "*+?()[]{}|".contains(c) => return None,
            c => glob.push(c),
        }
    }
    if glob.is_empty() {
        return None;
    }
    let start = if anchored_start { "" } else { "**/*" };
    let end = if anchored_end || glob.ends_with('*') {
        ""
    } else {
        "*"
    };
    Some(format!("{start}{glob}{end}"))
}
