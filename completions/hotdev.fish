# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hotdev_global_optspecs
    string join \n c/config= C/directory= build= run= w/watch= e/ext= i/ignore= debounce= no-speculative poll= stop-signal= stop-timeout= strategy= reload-signal= ready= ready-timeout= restart= listen= proxy= app= log-format= q/quiet v/verbose no-keys clear bell h/help V/version
end

function __fish_hotdev_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hotdev_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hotdev_using_subcommand
    set -l cmd (__fish_hotdev_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hotdev -n "__fish_hotdev_needs_command" -s c -l config -d 'Use this config file instead of looking for .hotdev.toml' -r -F
complete -c hotdev -n "__fish_hotdev_needs_command" -s C -l directory -d 'Change to DIR before doing anything else, like `make -C`' -r -F
complete -c hotdev -n "__fish_hotdev_needs_command" -l build -d 'The build command (overrides [build] command). Shell syntax runs it with `sh -c`' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l run -d 'The run command as one string (overrides [run] command). See also `-- CMD ARGS…`' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -s w -l watch -d 'A path to watch, relative to the current directory (repeatable; replaces [watch] paths)' -r -F
complete -c hotdev -n "__fish_hotdev_needs_command" -s e -l ext -d 'A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`)' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -s i -l ignore -d 'A glob that never triggers a build (repeatable; added to [watch] ignore)' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l debounce -d 'Quiet period that closes a burst of changes into one build, e.g. 50ms' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l poll -d 'Poll for changes instead of OS events (network, WSL, container mounts); bare: every 500ms' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l stop-signal -d 'The signal that asks a generation to stop, e.g. SIGTERM, INT or 15' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l stop-timeout -d 'How long a generation may take to stop before it is killed, e.g. 5s' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l strategy -d 'How generation N is replaced by N+1' -r -f -a "restart\t'Stop the old generation gracefully, then start the new one (default)'
overlap\t'Start the new generation, wait until it is ready, then stop the old one'
signal\t'Send the reload signal to the running app; no restart'"
complete -c hotdev -n "__fish_hotdev_needs_command" -l reload-signal -d 'The signal sent to the app under `--strategy signal`, e.g. SIGHUP' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l ready -d 'How to tell that a new generation is ready: notify, log:REGEX, http:URL, tcp:ADDR or delay:DUR' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l ready-timeout -d 'How long to wait for readiness, e.g. 30s' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l restart -d 'What to do when the app exits on its own (default never: wait for a change)' -r -f -a "never\t'Report it and wait for the next change (default): no crash loop'
on-failure\t'Start it again, with exponential backoff, when it exited with an error or a signal'
always\t'Start it again, with exponential backoff, however it exited'"
complete -c hotdev -n "__fish_hotdev_needs_command" -l listen -d 'Pre-bind ADDR and hand it to every generation (repeatable; replaces [[listen]]): 127.0.0.1:8080, [::1]:8080, 8080 or unix:PATH' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l proxy -d 'Serve the browser dev proxy on ADDR (e.g. 3000): live reload once the new version is ready, build errors in the page. Forwards to [proxy] target or the first listen address' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l app -d 'With [apps.NAME] in the config: run only this app and what it depends on (repeatable)' -r
complete -c hotdev -n "__fish_hotdev_needs_command" -l log-format -d 'Human status lines or one JSON object per event' -r -f -a "human\t'Styled status lines on stderr'
json\t'One JSON object per event on stderr'"
complete -c hotdev -n "__fish_hotdev_needs_command" -l no-speculative -d 'Build only when a burst\'s debounce has run out, not speculatively when it first pauses'
complete -c hotdev -n "__fish_hotdev_needs_command" -s q -l quiet -d 'Print only errors and the app\'s own output'
complete -c hotdev -n "__fish_hotdev_needs_command" -s v -l verbose -d 'Print more about each step (what changed, the commands run)'
complete -c hotdev -n "__fish_hotdev_needs_command" -l no-keys -d 'Do not read keys from the terminal (r to rebuild, q to quit)'
complete -c hotdev -n "__fish_hotdev_needs_command" -l clear -d 'Clear the screen before each build'
complete -c hotdev -n "__fish_hotdev_needs_command" -l bell -d 'Ring the terminal bell when a build fails or the app dies'
complete -c hotdev -n "__fish_hotdev_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hotdev -n "__fish_hotdev_needs_command" -s V -l version -d 'Print version'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "init" -d 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "config" -d 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "schema" -d 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "man" -d 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "smoke" -d 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "completions" -d 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`'
complete -c hotdev -n "__fish_hotdev_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hotdev -n "__fish_hotdev_using_subcommand init" -l from-air -d 'Translate an air config instead of detecting the project (PATH, or .air.toml, then .config/air.toml); prints how each air key was mapped or why it was not' -r -F
complete -c hotdev -n "__fish_hotdev_using_subcommand init" -l from-procfile -d 'Turn a Procfile (PATH, or Procfile.dev, then Procfile) into one [apps.NAME] per line: run as is, no build, watch = false' -r -F
complete -c hotdev -n "__fish_hotdev_using_subcommand init" -l force -d 'Replace an existing .hotdev.toml'
complete -c hotdev -n "__fish_hotdev_using_subcommand init" -s h -l help -d 'Print help'
complete -c hotdev -n "__fish_hotdev_using_subcommand config" -l format -d 'TOML-like text that can be pasted into .hotdev.toml, or JSON for tools' -r -f -a "toml\t'TOML with a `# from …` comment on every value'
json\t'One JSON object: every key with its value and source'"
complete -c hotdev -n "__fish_hotdev_using_subcommand config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hotdev -n "__fish_hotdev_using_subcommand schema" -s h -l help -d 'Print help'
complete -c hotdev -n "__fish_hotdev_using_subcommand man" -s h -l help -d 'Print help'
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l reloads -d 'How many reloads to make after the first start' -r
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l touch -d 'The file to change for each reload (a trailing newline is appended, and the file is restored byte for byte afterwards). Default: the most recently modified watched file under the root' -r -F
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l check -d 'A URL to GET (plain HTTP) during the whole run: it must answer 2xx. Without a configured readiness check it also decides when a generation is ready' -r
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l timeout -d 'Give up after this long for the whole run (e.g. "90s", "10m")' -r
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l report -d 'Write a JSON report of the run (steps, timings, request counts, verdict) to FILE' -r -F
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -l junit -d 'Write a JUnit XML report (one test case per step) to FILE' -r -F
complete -c hotdev -n "__fish_hotdev_using_subcommand smoke" -s h -l help -d 'Print help'
complete -c hotdev -n "__fish_hotdev_using_subcommand completions" -s h -l help -d 'Print help'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "init" -d 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "config" -d 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "schema" -d 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "man" -d 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "smoke" -d 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "completions" -d 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`'
complete -c hotdev -n "__fish_hotdev_using_subcommand help; and not __fish_seen_subcommand_from init config schema man smoke completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
