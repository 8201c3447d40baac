
use builtin;
use str;

set edit:completion:arg-completer[hotdev] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hotdev'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hotdev'= {
            cand -c 'Use this config file instead of looking for .hotdev.toml'
            cand --config 'Use this config file instead of looking for .hotdev.toml'
            cand -C 'Change to DIR before doing anything else, like `make -C`'
            cand --directory 'Change to DIR before doing anything else, like `make -C`'
            cand --build 'The build command (overrides [build] command). Shell syntax runs it with `sh -c`'
            cand --run 'The run command as one string (overrides [run] command). See also `-- CMD ARGS…`'
            cand -w 'A path to watch, relative to the current directory (repeatable; replaces [watch] paths)'
            cand --watch 'A path to watch, relative to the current directory (repeatable; replaces [watch] paths)'
            cand -e 'A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`)'
            cand --ext 'A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`)'
            cand -i 'A glob that never triggers a build (repeatable; added to [watch] ignore)'
            cand --ignore 'A glob that never triggers a build (repeatable; added to [watch] ignore)'
            cand --debounce 'Quiet period that closes a burst of changes into one build, e.g. 50ms'
            cand --poll 'Poll for changes instead of OS events (network, WSL, container mounts); bare: every 500ms'
            cand --stop-signal 'The signal that asks a generation to stop, e.g. SIGTERM, INT or 15'
            cand --stop-timeout 'How long a generation may take to stop before it is killed, e.g. 5s'
            cand --strategy 'How generation N is replaced by N+1'
            cand --reload-signal 'The signal sent to the app under `--strategy signal`, e.g. SIGHUP'
            cand --ready 'How to tell that a new generation is ready: notify, log:REGEX, http:URL, tcp:ADDR or delay:DUR'
            cand --ready-timeout 'How long to wait for readiness, e.g. 30s'
            cand --restart 'What to do when the app exits on its own (default never: wait for a change)'
            cand --listen 'Pre-bind ADDR and hand it to every generation (repeatable; replaces [[listen]]): 127.0.0.1:8080, [::1]:8080, 8080 or unix:PATH'
            cand --proxy 'Serve the browser dev proxy on ADDR (e.g. 3000): live reload once the new version is ready, build errors in the page. Forwards to [proxy] target or the first listen address'
            cand --app 'With [apps.NAME] in the config: run only this app and what it depends on (repeatable)'
            cand --log-format 'Human status lines or one JSON object per event'
            cand --no-speculative 'Build only when a burst''s debounce has run out, not speculatively when it first pauses'
            cand -q 'Print only errors and the app''s own output'
            cand --quiet 'Print only errors and the app''s own output'
            cand -v 'Print more about each step (what changed, the commands run)'
            cand --verbose 'Print more about each step (what changed, the commands run)'
            cand --no-keys 'Do not read keys from the terminal (r to rebuild, q to quit)'
            cand --clear 'Clear the screen before each build'
            cand --bell 'Ring the terminal bell when a build fails or the app dies'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is'
            cand config 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`'
            cand schema 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)'
            cand man 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`'
            cand smoke 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out'
            cand completions 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hotdev;init'= {
            cand --from-air 'Translate an air config instead of detecting the project (PATH, or .air.toml, then .config/air.toml); prints how each air key was mapped or why it was not'
            cand --from-procfile 'Turn a Procfile (PATH, or Procfile.dev, then Procfile) into one [apps.NAME] per line: run as is, no build, watch = false'
            cand --force 'Replace an existing .hotdev.toml'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hotdev;config'= {
            cand --format 'TOML-like text that can be pasted into .hotdev.toml, or JSON for tools'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hotdev;schema'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hotdev;man'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hotdev;smoke'= {
            cand --reloads 'How many reloads to make after the first start'
            cand --touch 'The file to change for each reload (a trailing newline is appended, and the file is restored byte for byte afterwards). Default: the most recently modified watched file under the root'
            cand --check 'A URL to GET (plain HTTP) during the whole run: it must answer 2xx. Without a configured readiness check it also decides when a generation is ready'
            cand --timeout 'Give up after this long for the whole run (e.g. "90s", "10m")'
            cand --report 'Write a JSON report of the run (steps, timings, request counts, verdict) to FILE'
            cand --junit 'Write a JUnit XML report (one test case per step) to FILE'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hotdev;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'hotdev;help'= {
            cand init 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is'
            cand config 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`'
            cand schema 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)'
            cand man 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`'
            cand smoke 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out'
            cand completions 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hotdev;help;init'= {
        }
        &'hotdev;help;config'= {
        }
        &'hotdev;help;schema'= {
        }
        &'hotdev;help;man'= {
        }
        &'hotdev;help;smoke'= {
        }
        &'hotdev;help;completions'= {
        }
        &'hotdev;help;help'= {
        }
    ]
    $completions[$command]
}
