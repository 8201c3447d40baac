//! `hotdev init --from-procfile`: a Procfile (foreman, overmind, Heroku) as `[apps.NAME]`
//! tables. Each `name: command` line becomes an app that runs the command as is, with no build
//! and not restarted by file changes (`watch = false`), as a Procfile means it; a command that
//! uses `$PORT` gets the port foreman would give it (5000, 5100, …). What cannot be mapped is
//! a note, never dropped in silence. Pure: text in, text and notes out.

use super::air::{Note, Translation};
use crate::config::apps::valid_name;

/// foreman's first `$PORT` and its step from one process to the next.
const FIRST_PORT: u16 = 5000;
const PORT_STEP: u16 = 100;

/// The `.hotdev.toml` text for a Procfile, and a note per line.
pub fn translate(text: &str) -> Result<Translation, String> {
    let mut notes = Vec::new();
    let mut apps: Vec<(String, String, Option<u16>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = format!("line {}", n + 1);
        let Some((name, command)) = line.split_once(':') else {
            notes.push(unmapped(&key, "not `name: command`: skipped"));
            continue;
        };
        let (name, command) = (name.trim(), command.trim());
        if !valid_name(name) {
            let text = format!("`{name}` cannot name an app (letters, digits, `-`, `_`): skipped");
            notes.push(unmapped(&key, &text));
        } else if command.is_empty() {
            notes.push(unmapped(&key, &format!("`{name}` has no command: skipped")));
        } else if name == "release" {
            let text = "`release` is Heroku's release phase, run once per deploy, not a service: \
                        run it by hand";
            notes.push(unmapped(&key, text));
        } else if apps.iter().any(|(other, _, _)| other == name) {
            notes.push(unmapped(&key, &format!("`{name}` is there twice: skipped")));
        } else {
            let port = command
                .contains("$PORT")
                .then(|| FIRST_PORT + PORT_STEP * apps.len() as u16);
            let mut text = format!("[apps.{name}] runs `{command}`, no build, watch = false");
            if let Some(port) = port {
                text.push_str(&format!(", PORT = {port} (as foreman would)"));
            }
            notes.push(Note {
                key,
                mapped: true,
                text,
            });
            apps.push((name.to_owned(), command.to_owned(), port));
        }
    }
    if apps.is_empty() {
        return Err("no `name: command` line to turn into an app".into());
    }
    Ok(Translation {
        text: render(&apps),
        notes,
    })
}

fn unmapped(key: &str, text: &str) -> Note {
    Note {
        key: key.to_owned(),
        mapped: false,
        text: text.to_owned(),
    }
}

fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

fn render(apps: &[(String, String, Option<u16>)]) -> String {
    let mut out = String::from(
        "# hotdev configuration, written by `hotdev init --from-procfile` from a Procfile.\n\
         # Check it with `hotdev config`; every key is described by `hotdev schema`.\n\
         #\n\
         # Each Procfile line is an app that runs as is: no build, and not restarted by file\n\
         # changes (`watch = false`). To rebuild and swap one on a change, give it a build and\n\
         # drop its `watch = false`, e.g.\n\
         #   [apps.api]\n\
         #   build = { command = \"go build -o tmp/api ./cmd/api\" }\n\
         #   watch = { paths = [\"cmd/api\", \"internal\"], extensions = [\"go\"] }\n\
         # `depends_on = [\"db\"]` starts an app once the apps it names are ready.\n",
    );
    for (name, command, port) in apps {
        out.push_str(&format!("\n[apps.{name}]\nbuild = false\nwatch = false\n"));
        match port {
            Some(port) => out.push_str(&format!(
                "run = {{ command = {}, env = {{ PORT = \"{port}\" }} }}\n",
                quote(command)
            )),
            None => out.push_str(&format!("run = {{ command = {} }}\n", quote(command))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::apps::{app_file, watches};
    use crate::config::file::{CommandFile, parse};

    const PROCFILE: &str = "\
# the dev stack
web: bundle exec puma -p $PORT
worker: bin/worker --queue default
release: bin/migrate
db:redis-server --port 6379
bad line
web: again
api.v2: x
";

    #[test]
    fn each_line_is_an_app_that_runs_as_is() {
        let translation = translate(PROCFILE).unwrap();
        let file = parse(&translation.text).unwrap_or_else(|e| panic!("{e}\n{}", translation.text));
        let names: Vec<&String> = file.apps.keys().collect();
        assert_eq!(names, ["db", "web", "worker"]);
        for app in file.apps.values() {
            let single = app_file(&file, app);
            assert!(single.build.is_none() && !watches(app));
        }
        let web = app_file(&file, &file.apps["web"]);
        assert_eq!(
            web.run.command,
            Some(CommandFile::Line("bundle exec puma -p $PORT".into()))
        );
        assert_eq!(web.run.env["PORT"], "5000");
        assert!(app_file(&file, &file.apps["worker"]).run.env.is_empty());
    }

    #[test]
    fn what_cannot_be_mapped_is_a_note_with_its_line() {
        let notes = translate(PROCFILE).unwrap().notes;
        let text = |key: &str| {
            notes
                .iter()
                .find(|n| n.key == key)
                .map(|n| (n.mapped, n.text.clone()))
                .unwrap_or_else(|| panic!("no note for {key}: {notes:?}"))
        };
        assert!(text("line 2").0);
        assert!(text("line 4").1.contains("release phase"));
        assert!(text("line 6").1.contains("not `name: command`"));
        assert!(text("line 7").1.contains("twice"));
        assert!(text("line 8").1.contains("cannot name an app"));
        assert_eq!(notes.iter().filter(|n| !n.mapped).count(), 4);
        assert!(translate("# nothing\n\n").is_err());
    }
}
