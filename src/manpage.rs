//! `hotdev man`: the man page, rendered by clap_mangen from the same `Cli` definition as
//! `--help`, plus the sections clap does not know (files, exit status, environment).
//!
//! Committed as `doc/hotdev.1`; `tests/cli.rs` keeps the copy current.

use clap::CommandFactory;

use crate::cli::Cli;

/// The whole page as roff.
pub fn render() -> String {
    let man = clap_mangen::Man::new(Cli::command());
    type Section = fn(&clap_mangen::Man, &mut dyn std::io::Write) -> std::io::Result<()>;
    // clap's own sections, without the EXTRA one it makes of `after_help` (the keys and the
    // exit codes, which KEYS and EXIT STATUS below say in full).
    let sections: [Section; 6] = [
        clap_mangen::Man::render_title,
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
        clap_mangen::Man::render_subcommands_section,
    ];
    let mut page = String::new();
    for (i, section) in sections
        .iter()
        .chain([&(clap_mangen::Man::render_version_section as Section)])
        .enumerate()
    {
        if i == sections.len() {
            page.push_str(EXTRA);
        }
        let mut out = Vec::new();
        // Writing to a Vec cannot fail; an error would only leave a section out.
        let _ = section(&man, &mut out);
        let text = String::from_utf8_lossy(&out);
        // Each section repeats the roff preamble that defines `\*(Aq`; keep the first.
        for line in text.lines() {
            let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
            if i == 0 || !preamble {
                page.push_str(line);
                page.push('\n');
            }
        }
    }
    page
}

/// Hand-written roff for what the CLI definition cannot say.
const EXTRA: &str = r#".SH KEYS
When stdin is a terminal that hotdev owns (and without \fB\-\-no\-keys\fR):
.TP
\fBr\fR
Rebuild and swap now (hotdev answers "rebuild requested (r)").
.TP
\fBR\fR
Restart the app without building ("restart requested (R)").
.TP
\fBc\fR
Clear the screen.
.TP
\fBp\fR
Pause or resume watching; a change made while paused builds on resume.
.TP
\fBq\fR
Quit, as Ctrl\-C does.
.TP
\fBh\fR, \fB?\fR
The keys in one line.
.SH FILES
.TP
\fI.hotdev.toml\fR
The configuration, looked for in the working directory and its ancestors (\fB\-\-config\fR names
one). Paths in it are relative to its directory. \fBhotdev init\fR writes one for the project
it detects; \fBhotdev config\fR prints the effective configuration with the source of every
value; \fBhotdev schema\fR prints its JSON Schema.
.TP
\fI.hotdevignore\fR
Globs that never trigger a build, in \fI.gitignore\fR syntax, next to \fI.gitignore\fR and
\fI.ignore\fR.
.SH ENVIRONMENT
.TP
\fBNO_COLOR\fR
Plain status lines, without colour; builds and apps are not asked for colour either.
.TP
\fBCARGO_TERM_COLOR\fR, \fBCLICOLOR_FORCE\fR, \fBFORCE_COLOR\fR
Set to always, 1 and 1 for builds (and apps) when hotdev writes to a colour terminal, since their
output reaches it through a pipe; a value you set yourself, or in build.env or run.env, is kept.
.TP
\fBLISTEN_FDS\fR, \fBLISTEN_FDNAMES\fR, \fBLISTEN_PID\fR, \fBPORT\fR
Set for the app when \fB[[listen]]\fR or \fB\-\-listen\fR pre-binds sockets (systemd socket
activation: the listeners are fds 3, 4, ...).
.TP
\fBNOTIFY_SOCKET\fR
Set for the app with \fBready = { notify = true }\fR: it sends READY=1 there when it serves.
.SH EXIT STATUS
.TP
\fB0\fR
Stopped on request (Ctrl\-C, SIGTERM, SIGHUP, \fBq\fR) after everything hotdev started had stopped.
.TP
\fB1\fR
A runtime failure: the watcher could not start or died, or the readiness socket could not be created.
.TP
\fB2\fR
A usage or configuration error, or a listen address already in use: nothing was started.
.SH SEE ALSO
\fBwatchexec\fR(1), \fBsystemd.socket\fR(5), \fBsd_listen_fds\fR(3), \fBsd_notify\fR(3)
"#;
