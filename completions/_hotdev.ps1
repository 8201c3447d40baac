
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hotdev' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hotdev'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hotdev' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Use this config file instead of looking for .hotdev.toml')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Use this config file instead of looking for .hotdev.toml')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Change to DIR before doing anything else, like `make -C`')
            [CompletionResult]::new('--directory', '--directory', [CompletionResultType]::ParameterName, 'Change to DIR before doing anything else, like `make -C`')
            [CompletionResult]::new('--build', '--build', [CompletionResultType]::ParameterName, 'The build command (overrides [build] command). Shell syntax runs it with `sh -c`')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run command as one string (overrides [run] command). See also `-- CMD ARGS…`')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'A path to watch, relative to the current directory (repeatable; replaces [watch] paths)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'A path to watch, relative to the current directory (repeatable; replaces [watch] paths)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`)')
            [CompletionResult]::new('--ext', '--ext', [CompletionResultType]::ParameterName, 'A file extension that triggers a build (repeatable or comma-separated: `-e go,mod`)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'A glob that never triggers a build (repeatable; added to [watch] ignore)')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'A glob that never triggers a build (repeatable; added to [watch] ignore)')
            [CompletionResult]::new('--debounce', '--debounce', [CompletionResultType]::ParameterName, 'Quiet period that closes a burst of changes into one build, e.g. 50ms')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Poll for changes instead of OS events (network, WSL, container mounts); bare: every 500ms')
            [CompletionResult]::new('--stop-signal', '--stop-signal', [CompletionResultType]::ParameterName, 'The signal that asks a generation to stop, e.g. SIGTERM, INT or 15')
            [CompletionResult]::new('--stop-timeout', '--stop-timeout', [CompletionResultType]::ParameterName, 'How long a generation may take to stop before it is killed, e.g. 5s')
            [CompletionResult]::new('--strategy', '--strategy', [CompletionResultType]::ParameterName, 'How generation N is replaced by N+1')
            [CompletionResult]::new('--reload-signal', '--reload-signal', [CompletionResultType]::ParameterName, 'The signal sent to the app under `--strategy signal`, e.g. SIGHUP')
            [CompletionResult]::new('--ready', '--ready', [CompletionResultType]::ParameterName, 'How to tell that a new generation is ready: notify, log:REGEX, http:URL, tcp:ADDR or delay:DUR')
            [CompletionResult]::new('--ready-timeout', '--ready-timeout', [CompletionResultType]::ParameterName, 'How long to wait for readiness, e.g. 30s')
            [CompletionResult]::new('--restart', '--restart', [CompletionResultType]::ParameterName, 'What to do when the app exits on its own (default never: wait for a change)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Pre-bind ADDR and hand it to every generation (repeatable; replaces [[listen]]): 127.0.0.1:8080, [::1]:8080, 8080 or unix:PATH')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Serve the browser dev proxy on ADDR (e.g. 3000): live reload once the new version is ready, build errors in the page. Forwards to [proxy] target or the first listen address')
            [CompletionResult]::new('--app', '--app', [CompletionResultType]::ParameterName, 'With [apps.NAME] in the config: run only this app and what it depends on (repeatable)')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Human status lines or one JSON object per event')
            [CompletionResult]::new('--no-speculative', '--no-speculative', [CompletionResultType]::ParameterName, 'Build only when a burst''s debounce has run out, not speculatively when it first pauses')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only errors and the app''s own output')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only errors and the app''s own output')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more about each step (what changed, the commands run)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more about each step (what changed, the commands run)')
            [CompletionResult]::new('--no-keys', '--no-keys', [CompletionResultType]::ParameterName, 'Do not read keys from the terminal (r to rebuild, q to quit)')
            [CompletionResult]::new('--clear', '--clear', [CompletionResultType]::ParameterName, 'Clear the screen before each build')
            [CompletionResult]::new('--bell', '--bell', [CompletionResultType]::ParameterName, 'Ring the terminal bell when a build fails or the app dies')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`')
            [CompletionResult]::new('smoke', 'smoke', [CompletionResultType]::ParameterValue, 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hotdev;init' {
            [CompletionResult]::new('--from-air', '--from-air', [CompletionResultType]::ParameterName, 'Translate an air config instead of detecting the project (PATH, or .air.toml, then .config/air.toml); prints how each air key was mapped or why it was not')
            [CompletionResult]::new('--from-procfile', '--from-procfile', [CompletionResultType]::ParameterName, 'Turn a Procfile (PATH, or Procfile.dev, then Procfile) into one [apps.NAME] per line: run as is, no build, watch = false')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing .hotdev.toml')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hotdev;config' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'TOML-like text that can be pasted into .hotdev.toml, or JSON for tools')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hotdev;schema' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hotdev;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hotdev;smoke' {
            [CompletionResult]::new('--reloads', '--reloads', [CompletionResultType]::ParameterName, 'How many reloads to make after the first start')
            [CompletionResult]::new('--touch', '--touch', [CompletionResultType]::ParameterName, 'The file to change for each reload (a trailing newline is appended, and the file is restored byte for byte afterwards). Default: the most recently modified watched file under the root')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'A URL to GET (plain HTTP) during the whole run: it must answer 2xx. Without a configured readiness check it also decides when a generation is ready')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long for the whole run (e.g. "90s", "10m")')
            [CompletionResult]::new('--report', '--report', [CompletionResultType]::ParameterName, 'Write a JSON report of the run (steps, timings, request counts, verdict) to FILE')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Write a JUnit XML report (one test case per step) to FILE')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hotdev;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'hotdev;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Detect the project here (go.mod, Cargo.toml, package.json, pyproject.toml) and write a commented .hotdev.toml that works as is')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Print the effective configuration (file, flags and defaults), each value with where it came from. Flags go before the subcommand: `hotdev --debounce 75ms config`')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of .hotdev.toml (for editors: Taplo, Even Better TOML)')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff) to stdout, e.g. `hotdev man | man -l -`')
            [CompletionResult]::new('smoke', 'smoke', [CompletionResultType]::ParameterValue, 'Build, start, reload a few times through the watcher and stop, checking every step: a CI test of the reload loop. Exit codes: 0 passed, 1 internal error, 2 usage or configuration error, 3 a build failed, 4 the app never became ready or exited on its own, 5 requests to --check failed, 6 a process was left behind, 7 --timeout ran out')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout, e.g. `hotdev completions bash > /etc/bash_completion.d/hotdev`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hotdev;help;init' {
            break
        }
        'hotdev;help;config' {
            break
        }
        'hotdev;help;schema' {
            break
        }
        'hotdev;help;man' {
            break
        }
        'hotdev;help;smoke' {
            break
        }
        'hotdev;help;completions' {
            break
        }
        'hotdev;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
