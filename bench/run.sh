#!/bin/sh
# Reproducible hotdev benchmark (by hand, not in CI). See BENCHMARKS.md.
#   bench/run.sh                      all workloads, all installed tools (~15-20 min)
#   bench/run.sh latency storm        some workloads
#   bench/run.sh avail --configs hotdev-listen,watchexec-socket
#   bench/run.sh --help
#   bench/run.sh watch                20,000 directories removed at once; first run on 100k files
#   bench/run.sh output               a chatty app behind a `log` readiness check
#   bench/run.sh micro                watcher, probe and notify latency in-process (bench/micro.rs)
#   bench/run.sh proxy                the dev proxy against direct connections (needs wrk)
#   bench/run.sh apps                 5 apps in one hotdev against 5 hotdevs (bench/apps.py)
# Optional peers: `cargo install watchexec-cli`, `npm install -g nodemon`.
set -eu
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --quiet
# bench/run.sh watch [rmdirs|firstrun] [--dirs N]: the watcher alone (bench/watch.py).
if [ "${1:-}" = watch ]; then
    shift
    exec python3 bench/watch.py "$@"
fi
# bench/run.sh micro [write|dirs|probe|notify]: in-process measurements (bench/micro.rs).
if [ "${1:-}" = micro ]; then
    shift
    exec cargo bench --quiet --bench micro -- "$@"
fi
# bench/run.sh output [direct|inherit|log] [--lines N] [--runs N]: bench/output.py.
if [ "${1:-}" = output ]; then
    shift
    exec python3 bench/output.py "$@"
fi
# bench/run.sh apps [--reloads N] [--idle SECONDS]: bench/apps.py.
if [ "${1:-}" = apps ]; then
    shift
    exec python3 bench/apps.py "$@"
fi
# bench/run.sh proxy [--seconds N] [--rounds N] [--swaps N]: bench/proxy.py.
if [ "${1:-}" = proxy ]; then
    shift
    exec python3 bench/proxy.py "$@"
fi
exec python3 bench/bench.py "$@"
