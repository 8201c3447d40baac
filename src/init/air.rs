//! `hotdev init --from-air`: an air config (`.air.toml`) turned into a `.hotdev.toml` that does
//! what it did, with one note per air key saying how it was mapped or why it was not.
//!
//! Pure: air's TOML text in, hotdev's TOML text and the notes out. Keys air leaves out keep
//! air's defaults (air merges its file over them), so a minimal air file maps to what air
//! really did, not to hotdev's defaults. Covers air-verse/air (2026) and the older
//! cosmtrek/air keys; a key this module does not know is named, never dropped silently.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// Where air looks for its config, in order.
pub const AIR_FILES: [&str; 2] = [".air.toml", ".config/air.toml"];

/// Every `[build]` key air has; one not listed here is named as unknown.
const BUILD_KEYS: [&str; 29] = [
    "pre_cmd",
    "cmd",
    "post_cmd",
    "bin",
    "entrypoint",
    "full_bin",
    "args_bin",
    "linux",
    "darwin",
    "windows",
    "include_ext",
    "exclude_dir",
    "include_dir",
    "exclude_file",
    "include_file",
    "exclude_regex",
    "exclude_unchanged",
    "follow_symlink",
    "poll",
    "poll_interval",
    "delay",
    "log",
    "ignore_dangerous_root_dir",
    "rules",
    "send_interrupt",
    "kill_delay",
    "stop_on_error",
    "rerun",
    "rerun_delay",
];

/// The first air config in `dir`, if any.
pub fn find(dir: &Path) -> Option<PathBuf> {
    AIR_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// What became of one air key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The air key, dotted: `build.cmd`.
    pub key: String,
    /// `true`: it has an equivalent in the new file; `false`: it has none (the text says what
    /// to do instead).
    pub mapped: bool,
    pub text: String,
}

/// The new file and what happened to each air key.
#[derive(Debug)]
pub struct Translation {
    pub text: String,
    pub notes: Vec<Note>,
}

/// The settings being assembled, in hotdev's terms.
#[derive(Default)]
struct Out {
    paths: Vec<String>,
    extensions: Vec<String>,
    ignore: Vec<String>,
    include: Vec<String>,
    debounce: Option<String>,
    poll: Option<String>,
    follow_symlinks: bool,
    build: Option<String>,
    run: Option<String>,
    run_env: Vec<(String, String)>,
    env_files: Vec<String>,
    stop_signal: Option<&'static str>,
    stop_timeout: Option<String>,
    restart: Option<&'static str>,
    notes: Vec<Note>,
}

impl Out {
    fn mapped(&mut self, key: &str, text: impl Into<String>) {
        self.notes.push(Note {
            key: key.to_string(),
            mapped: true,
            text: text.into(),
        });
    }

    fn unmapped(&mut self, key: &str, text: impl Into<String>) {
        self.notes.push(Note {
            key: key.to_string(),
            mapped: false,
            text: text.into(),
        });
    }
}

/// air's build keys as they apply on Linux: `[build]` with `[build.linux]` laid over it.
#[derive(Default)]
struct Build {
    pre_cmd: Vec<String>,
    cmd: String,
    bin: String,
    entrypoint: Vec<String>,
    full_bin: String,
    args_bin: Vec<String>,
}

pub fn translate(text: &str) -> Result<Translation, String> {
    let air: Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("not valid TOML: {}", e.message()))?;
    let mut out = Out::default();
    let empty = Table::new();
    let build = match air.get("build") {
        Some(Value::Table(t)) => t,
        Some(_) => return Err("`build` is not a table".into()),
        None => &empty,
    };

    // Top level.
    for (key, value) in &air {
        match key.as_str() {
            "root" => match value.as_str() {
                Some(".") | Some("") | Some("./") => {
                    out.mapped("root", "the current directory: nothing to set")
                }
                Some(root) => {
                    out.paths.push(root.to_string());
                    out.unmapped(
                        "root",
                        format!(
                            "watch.paths = [\"{root}\"]; hotdev runs commands in the directory of \
                             .hotdev.toml, not in `{root}`: move the file there, or check the \
                             build and run commands"
                        ),
                    );
                }
                None => out.unmapped("root", "not a string: ignored"),
            },
            "tmp_dir" | "testdata_dir" => {}
            "env_files" => {
                out.env_files = strings(value);
                out.mapped(
                    "env_files",
                    "build.env_file and run.env_file (a missing file is an error in hotdev)",
                );
            }
            "build" | "log" | "color" | "misc" | "screen" | "proxy" => {}
            other => out.unmapped(other, "unknown air key: not mapped"),
        }
    }
    let tmp_dir = air.get("tmp_dir").and_then(Value::as_str).unwrap_or("tmp");
    let testdata_dir = air
        .get("testdata_dir")
        .and_then(Value::as_str)
        .unwrap_or("testdata");
    out.ignore.push(dir_glob(tmp_dir));
    out.mapped(
        "tmp_dir",
        format!("watch.ignore += \"{}\"", dir_glob(tmp_dir)),
    );
    if air.contains_key("testdata_dir") {
        out.ignore.push(dir_glob(testdata_dir));
        out.mapped(
            "testdata_dir",
            format!("watch.ignore += \"{}\"", dir_glob(testdata_dir)),
        );
    }

    let resolved = build_keys(build, &mut out);
    watch_keys(build, testdata_dir, &mut out);
    run_keys(build, &mut out);
    other_tables(&air, &mut out);

    // The commands, once every override is in.
    let mut cmd = resolved.cmd.clone();
    if !resolved.pre_cmd.is_empty() {
        cmd = format!("{} && {cmd}", resolved.pre_cmd.join(" && "));
    }
    out.build = Some(cmd);
    out.run = Some(run_command(&resolved, &mut out.run_env));

    dedup(&mut out.ignore);
    dedup(&mut out.extensions);
    Ok(Translation {
        text: render(&out),
        notes: out.notes,
    })
}

fn build_keys(build: &Table, out: &mut Out) -> Build {
    let mut b = Build {
        cmd: "go build -o ./tmp/main .".into(),
        bin: "./tmp/main".into(),
        ..Build::default()
    };
    apply_build(&mut b, build);
    for key in [
        "pre_cmd",
        "cmd",
        "post_cmd",
        "bin",
        "entrypoint",
        "full_bin",
        "args_bin",
    ] {
        let Some(value) = build.get(key) else {
            continue;
        };
        let dotted = format!("build.{key}");
        match key {
            "pre_cmd" => out.mapped(
                &dotted,
                "run before every build: build.command = \"PRE && CMD\"",
            ),
            "cmd" => out.mapped(&dotted, "build.command"),
            "post_cmd" => out.unmapped(
                &dotted,
                format!(
                    "hotdev runs no command at exit: run it after hotdev ends, e.g. `hotdev; {}`",
                    strings(value).join("; ")
                ),
            ),
            "bin" | "entrypoint" | "args_bin" => out.mapped(&dotted, "run.command"),
            "full_bin" => out.mapped(
                &dotted,
                "run.command, its leading VAR=value words as run.env",
            ),
            _ => {}
        }
    }
    for (os, table) in ["linux", "darwin", "windows"]
        .iter()
        .filter_map(|os| build.get(*os).and_then(Value::as_table).map(|t| (*os, t)))
    {
        if os == "linux" {
            apply_build(&mut b, table);
            out.mapped("build.linux", "laid over [build], as air does on Linux");
        } else {
            out.unmapped(
                &format!("build.{os}"),
                "another platform's overrides: hotdev runs on Linux, so they do not apply",
            );
        }
    }
    b
}

fn apply_build(b: &mut Build, table: &Table) {
    if let Some(v) = table.get("pre_cmd") {
        b.pre_cmd = strings(v);
    }
    if let Some(v) = table
        .get("cmd")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.cmd = v.to_string();
    }
    if let Some(v) = table
        .get("bin")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.bin = v.to_string();
    }
    if let Some(v) = table.get("entrypoint") {
        b.entrypoint = strings(v);
    }
    if let Some(v) = table
        .get("full_bin")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        b.full_bin = v.to_string();
    }
    if let Some(v) = table.get("args_bin") {
        b.args_bin = strings(v);
    }
}

/// air's run command: `full_bin`, else `entrypoint`, else `bin`, then `args_bin`.
fn run_command(b: &Build, env: &mut Vec<(String, String)>) -> String {
    let mut words: Vec<String> = if !b.full_bin.is_empty() {
        let mut words =
            shell_words::split(&b.full_bin).unwrap_or_else(|_| vec![b.full_bin.clone()]);
        // Leading VAR=value words are the environment (air runs full_bin through a shell).
        while let Some((name, value)) = words.first().and_then(|w| env_assignment(w)) {
            env.push((name, value));
            words.remove(0);
        }
        words
    } else if !b.entrypoint.is_empty() {
        b.entrypoint.clone()
    } else {
        // air runs `bin` and its arguments through a shell: it may hold words of its own.
        shell_words::split(&b.bin).unwrap_or_else(|_| vec![b.bin.clone()])
    };
    words.extend(b.args_bin.iter().cloned());
    shell_words::join(words)
}

fn env_assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| (name.to_string(), value.to_string()))
}

fn watch_keys(build: &Table, testdata_dir: &str, out: &mut Out) {
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

fn run_keys(build: &Table, out: &mut Out) {
    for (key, value) in build {
        let dotted = format!("build.{key}");
        match key.as_str() {
            "send_interrupt" => {
                if value.as_bool() == Some(true) {
                    out.stop_signal = Some("SIGINT");
                    out.mapped(&dotted, "run.stop_signal = \"SIGINT\"");
                } else {
                    out.mapped(
                        &dotted,
                        "false: air kills at once; hotdev sends SIGTERM first",
                    );
                }
            }
            "kill_delay" => match kill_delay(value) {
                Some(ms) => {
                    out.stop_timeout = Some(format!("{ms}ms"));
                    out.mapped(&dotted, "run.stop_timeout");
                }
                None => out.unmapped(&dotted, "not a number of ms or a duration: ignored"),
            },
            "stop_on_error" => out.mapped(
                &dotted,
                "hotdev always keeps the old version serving when a build fails (its point); \
                 nothing to set",
            ),
            "rerun" => {
                if value.as_bool() == Some(true) {
                    out.restart = Some("always");
                    out.mapped(&dotted, "run.restart = \"always\"");
                } else {
                    out.mapped(&dotted, "false: run.restart = \"never\", hotdev's default");
                }
            }
            "rerun_delay" => out.mapped(
                &dotted,
                "hotdev's restarts back off 1s, 2s, 4s … up to 30s instead of a fixed delay",
            ),
            known if BUILD_KEYS.contains(&known) => {}
            other => out.unmapped(&format!("build.{other}"), "unknown air key: not mapped"),
        }
    }
}

/// air reads `kill_delay` as a Go duration: a bare number below a millisecond's worth of
/// nanoseconds is taken as milliseconds (air's own rule), a larger one as nanoseconds.
fn kill_delay(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(n) if *n >= 0 && *n < 1_000_000 => Some(*n as u64),
        Value::Integer(n) if *n >= 0 => Some((*n as u64 / 1_000_000).min(86_400_000)),
        Value::String(s) => humantime::parse_duration(s)
            .ok()
            .map(|d| d.as_millis().min(86_400_000) as u64),
        _ => None,
    }
}

fn other_tables(air: &Table, out: &mut Out) {
    let table = |name: &str| air.get(name).and_then(Value::as_table);
    if let Some(log) = table("log") {
        for key in log.keys() {
            let text = match key.as_str() {
                "time" => {
                    "hotdev's JSON events carry ts_ms (`--log-format json`); its human lines have no clock"
                }
                "main_only" | "silent" => "use `hotdev -q` (only failures) on the command line",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("log.{key}"), text);
        }
    }
    if air.contains_key("color") {
        out.unmapped(
            "color",
            "hotdev styles its own lines and passes the app's through untouched; NO_COLOR turns colour off",
        );
    }
    if let Some(misc) = table("misc") {
        for key in misc.keys() {
            let text = match key.as_str() {
                "clean_on_exit" => {
                    "hotdev leaves the build output; run `rm -rf tmp` after it if you want"
                }
                "startup_banner" => "hotdev prints one start line and no banner",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("misc.{key}"), text);
        }
    }
    if let Some(screen) = table("screen") {
        for (key, value) in screen {
            let text = match key.as_str() {
                "clear_on_rebuild" if value.as_bool() == Some(true) => {
                    "use `hotdev --clear` (clears the screen before each build)"
                }
                "clear_on_rebuild" => "false: hotdev's default",
                "keep_scroll" => "hotdev never clears scrollback",
                _ => "unknown air key: not mapped",
            };
            out.unmapped(&format!("screen.{key}"), text);
        }
    }
    if let Some(proxy) = table("proxy") {
        let enabled = proxy.get("enabled").and_then(Value::as_bool) == Some(true);
        let app = proxy
            .get("app_port")
            .and_then(Value::as_integer)
            .map_or("the app's port".to_string(), |p| format!("127.0.0.1:{p}"));
        if enabled {
            out.unmapped(
                "proxy",
                format!(
                    "hotdev's browser proxy is not built yet: open {app} directly and reload by hand"
                ),
            );
        } else {
            out.mapped("proxy", "disabled: nothing to set");
        }
    }
}

/// `_test.go`, `_test\.go`, `\.pb\.go$`, `^gen/.*`: a literal with `.*` wildcards and
/// anchors, as a glob on the path relative to the root. Anything with other regex syntax is
/// `None` (the note asks for a glob).
fn regex_as_glob(regex: &str) -> Option<String> {
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

fn dir_glob(dir: &str) -> String {
    let dir = dir.trim_start_matches("./").trim_end_matches('/');
    format!("{dir}/**")
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn dedup(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(item.clone()));
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", items.join(", "))
}

fn render(out: &Out) -> String {
    let mut text = String::new();
    let mut line = |s: &str| {
        text.push_str(s);
        text.push('\n');
    };
    line("# hotdev configuration, written by `hotdev init --from-air` from air's config.");
    line("# Check it with `hotdev config`; every key is described by `hotdev schema`.");
    line("");
    line("[watch]");
    if !out.paths.is_empty() {
        line(&format!("paths = {}", list(&out.paths)));
    }
    line(&format!("extensions = {}", list(&out.extensions)));
    line(&format!("ignore = {}", list(&out.ignore)));
    if !out.include.is_empty() {
        line(&format!("include = {}", list(&out.include)));
    }
    if let Some(debounce) = &out.debounce {
        line(&format!("debounce = {}", quote(debounce)));
    }
    if out.follow_symlinks {
        line("follow_symlinks = true");
    }
    if let Some(poll) = &out.poll {
        line(&format!("poll = {}", quote(poll)));
    }
    line("");
    line("[build]");
    line("# Runs while the old server keeps serving; the server is swapped only if it succeeds.");
    if let Some(build) = &out.build {
        line(&format!("command = {}", quote(build)));
    }
    let env_files = (!out.env_files.is_empty()).then(|| {
        let quoted: Vec<String> = out.env_files.iter().map(|f| quote(f)).collect();
        format!("env_file = [{}]", quoted.join(", "))
    });
    if let Some(env_files) = &env_files {
        line(env_files);
    }
    line("");
    line("[run]");
    if let Some(run) = &out.run {
        line(&format!("command = {}", quote(run)));
    }
    if let Some(env_files) = &env_files {
        line(env_files);
    }
    if !out.run_env.is_empty() {
        let pairs: Vec<String> = out
            .run_env
            .iter()
            .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
            .collect();
        line(&format!("env = {{ {} }}", pairs.join(", ")));
    }
    if let Some(signal) = out.stop_signal {
        line(&format!("stop_signal = {}", quote(signal)));
    }
    if let Some(timeout) = &out.stop_timeout {
        line(&format!("stop_timeout = {}", quote(timeout)));
    }
    if let Some(restart) = out.restart {
        line(&format!("restart = {}", quote(restart)));
    }
    line("");
    line("# Zero-downtime swaps: hotdev binds the port and hands it to every generation (fd 3,");
    line(
        "# systemd socket activation); the app takes it with net.FileListener(os.NewFile(3, \"\")).",
    );
    line("# [[listen]]");
    line("# address = \"127.0.0.1:8080\"");
    text
}

#[cfg(test)]
mod tests;
