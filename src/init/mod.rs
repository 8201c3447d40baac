//! `hotdev init`: detect the project in a directory and write a `.hotdev.toml` that works as
//! is, then say what was detected and what to do next.
//!
//! `detect` (with `cargo` for Rust) reads the project into a `plan`, `template` renders the
//! file; this module only decides where to write and talks to the user (on stderr, like every
//! status line). It never overwrites a config without `--force`.

pub mod air;
pub mod cargo;
pub mod detect;
pub mod gitignore;
pub mod plan;
pub mod procfile;
pub mod template;

use std::io::Write;
use std::path::{Path, PathBuf};

use console::Style;

use crate::Error;
use crate::cli::Cli;
use crate::config::FILE_NAME;

/// Runs `hotdev init` in `cwd` (or `-C DIR`); writes `--config PATH` instead of `.hotdev.toml`
/// when given.
/// `from`: a config to translate instead of detecting the project (`--from-air`,
/// `--from-procfile`), with the path given, if any.
pub fn run(cli: &Cli, cwd: &Path, force: bool, from: Option<From<'_>>) -> Result<(), Error> {
    let dir = match &cli.directory {
        Some(dir) => cwd.join(dir),
        None => cwd.to_path_buf(),
    };
    if !dir.is_dir() {
        return Err(Error::usage(format!(
            "`{}` is not a directory",
            dir.display()
        )));
    }
    let target = match &cli.config {
        Some(path) => dir.join(path),
        None => dir.join(FILE_NAME),
    };
    let shown = shown(cwd, &target);
    if target.exists() && !force {
        let again = next_command(cli);
        return Err(Error::usage(format!(
            "`{}` already exists; hotdev init does not overwrite it\n  hint: run `{again} init --force` to replace it, or `{again} config` to see what it sets",
            shown.display()
        )));
    }

    match from {
        Some(From::Air(path)) => return from_air_config(cli, cwd, &dir, path, &target),
        Some(From::Procfile(path)) => return from_procfile(cli, cwd, &dir, path, &target),
        None => {}
    }
    let plan = detect::detect(&dir);
    let text = template::render(&plan);
    std::fs::write(&target, text)
        .map_err(|e| Error::runtime(format!("cannot write `{}`: {e}", shown.display())))?;

    let mut say = Say::stderr();
    say.info(&format!("detected {}", plan.detected));
    let mut wrote = format!("wrote {}", shown.display());
    if let Some(build) = &plan.build {
        wrote.push_str(&format!(": build `{build}`"));
    }
    if let Some(run) = &plan.run {
        let sep = if plan.build.is_some() { "," } else { ":" };
        wrote.push_str(&format!("{sep} run `{run}`"));
    }
    if !plan.apps.is_empty() {
        let names: Vec<&str> = plan.apps.iter().map(|app| app.name.as_str()).collect();
        wrote.push_str(&format!(", one app per command: {}", names.join(", ")));
    }
    say.good(&wrote);
    for tool in &plan.tools {
        if which::which(tool).is_err() {
            say.warn(&format!(
                "`{tool}` is not on PATH: install it before running hotdev"
            ));
        }
    }
    for warning in &plan.warnings {
        say.warn(warning);
    }
    if let Some(output) = &plan.output
        && !gitignore::ignored(&dir, Path::new(output))
    {
        say.warn(&format!(
            "{output}/ (the build output) is not ignored by git: add `/{output}/` to .gitignore"
        ));
    }
    let next = next_command(cli);
    if plan.run.is_some() || !plan.apps.is_empty() {
        say.info(&format!("next: run `{next}`"));
    } else {
        say.info(&format!(
            "next: write the run command in {}, then run `{next}`",
            shown.display()
        ));
    }
    Ok(())
}

/// What `hotdev init` translates instead of detecting: air's config or a Procfile, at the
/// path given (`None`: look for the usual names).
#[derive(Debug, Clone, Copy)]
pub enum From<'a> {
    Air(Option<&'a Path>),
    Procfile(Option<&'a Path>),
}

/// Where `hotdev init --from-procfile` looks without a path: the development one first.
pub const PROCFILES: [&str; 2] = ["Procfile.dev", "Procfile"];

/// `hotdev init --from-procfile`: every Procfile line an app, each note said.
fn from_procfile(
    cli: &Cli,
    cwd: &Path,
    dir: &Path,
    path: Option<&Path>,
    target: &Path,
) -> Result<(), Error> {
    let found = PROCFILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file());
    let source = source_path(
        cwd,
        dir,
        path,
        found,
        &PROCFILES,
        "no Procfile",
        "--from-procfile",
    )?;
    let shown_source = shown(cwd, &source).display().to_string();
    let translation = translate(cwd, &source, procfile::translate)?;
    let apps = translation.notes.iter().filter(|n| n.mapped).count();
    write_translation(
        cli,
        cwd,
        target,
        &shown_source,
        &translation,
        |note| format!("{shown_source} {}: {}", note.key, note.text),
        &format!(
            "{apps} apps; each runs as is: add a build and drop `watch = false` to rebuild one on a change"
        ),
    )
}

/// `hotdev init --from-air`: translate the air config, write it, and say what became of every
/// air key (mapped ones as steps, the rest as warnings), so nothing is dropped in silence.
fn from_air_config(
    cli: &Cli,
    cwd: &Path,
    dir: &Path,
    path: Option<&Path>,
    target: &Path,
) -> Result<(), Error> {
    let source = source_path(
        cwd,
        dir,
        path,
        air::find(dir),
        &air::AIR_FILES,
        "no air config",
        "--from-air",
    )?;
    let shown_source = shown(cwd, &source).display().to_string();
    let translation = translate(cwd, &source, air::translate)?;
    let unmapped = translation.notes.iter().filter(|n| !n.mapped).count();
    write_translation(
        cli,
        cwd,
        target,
        &shown_source,
        &translation,
        |note| format!("air `{}`: {}", note.key, note.text),
        &format!(
            "{} air keys mapped, {unmapped} with no equivalent: see the ! lines",
            translation.notes.len() - unmapped
        ),
    )
}

/// The file to translate: the one named (relative to `cwd`), else the one `found` among
/// `names` in `dir`.
fn source_path(
    cwd: &Path,
    dir: &Path,
    named: Option<&Path>,
    found: Option<PathBuf>,
    names: &[&str],
    none: &str,
    flag: &str,
) -> Result<PathBuf, Error> {
    match named {
        Some(path) => Ok(cwd.join(path)),
        None => found.ok_or_else(|| {
            Error::usage(format!(
                "{none} in {}: looked for {}\n  hint: name one with `{flag} PATH`",
                dir.display(),
                names.join(" and ")
            ))
        }),
    }
}

/// Reads `source` and translates it; errors name the file.
fn translate(
    cwd: &Path,
    source: &Path,
    translate: fn(&str) -> Result<air::Translation, String>,
) -> Result<air::Translation, Error> {
    let shown_source = shown(cwd, source);
    let text = std::fs::read_to_string(source)
        .map_err(|e| Error::usage(format!("cannot read `{}`: {e}", shown_source.display())))?;
    translate(&text).map_err(|e| Error::usage(format!("`{}`: {e}", shown_source.display())))
}

/// Writes the translated file and says what became of everything in the source: mapped notes
/// as steps, the rest as warnings, then what was written and what to run next.
fn write_translation(
    cli: &Cli,
    cwd: &Path,
    target: &Path,
    shown_source: &str,
    translation: &air::Translation,
    line_of: impl Fn(&air::Note) -> String,
    summary: &str,
) -> Result<(), Error> {
    let shown_target = shown(cwd, target);
    std::fs::write(target, &translation.text)
        .map_err(|e| Error::runtime(format!("cannot write `{}`: {e}", shown_target.display())))?;
    let mut say = Say::stderr();
    say.info(&format!("read {shown_source}"));
    for note in &translation.notes {
        let line = line_of(note);
        if note.mapped {
            say.info(&line);
        } else {
            say.warn(&line);
        }
    }
    say.good(&format!("wrote {} ({summary})", shown_target.display()));
    let next = next_command(cli);
    say.info(&format!(
        "next: check it with `{next} config`, then run `{next}`"
    ));
    Ok(())
}

/// `hotdev` with the `-C` and `-c` the user gave, to run next.
fn next_command(cli: &Cli) -> String {
    let mut next = String::from("hotdev");
    if let Some(dir) = &cli.directory {
        next.push_str(&format!(
            " -C {}",
            shell_words::quote(&dir.to_string_lossy())
        ));
    }
    if let Some(config) = &cli.config {
        next.push_str(&format!(
            " -c {}",
            shell_words::quote(&config.to_string_lossy())
        ));
    }
    next
}

/// The path relative to the working directory when it is inside it.
fn shown(cwd: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(cwd)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// Status lines in hotdev's style (`hotdev ▸`, `hotdev ✓`, `hotdev !`), coloured only on a
/// terminal that wants colour.
struct Say {
    out: std::io::Stderr,
}

impl Say {
    fn stderr() -> Self {
        Say {
            out: std::io::stderr(),
        }
    }

    fn line(&mut self, glyph: &str, style: Style, text: &str) {
        let prefix = style.for_stderr().apply_to(format!("hotdev {glyph}"));
        let _ = writeln!(self.out, "{prefix} {text}");
    }

    fn info(&mut self, text: &str) {
        self.line("▸", Style::new().cyan(), text);
    }

    fn good(&mut self, text: &str) {
        self.line("✓", Style::new().green(), text);
    }

    fn warn(&mut self, text: &str) {
        self.line("!", Style::new().yellow(), text);
    }
}
