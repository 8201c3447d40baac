#!/usr/bin/env python3
"""Five apps in one hotdev against five single-app hotdevs (issue 14, BENCHMARKS.md
"Several services"), by hand, not in CI.

    bench/run.sh apps [--reloads N] [--idle SECONDS]

A copy of fixtures/go-multi with five commands, cmd/svc1 … cmd/svc5 (each a copy of cmd/api)
sharing internal/. Setups: one release hotdev with svc1 alone (the single-app figure); one with
[apps.svc1] … [apps.svc5]; five release hotdevs, one per app (`-c svcN.toml`), side by side
in the same tree. Each app builds
its own command (`go build -o tmp/svcN ./cmd/svcN`), runs under `restart` with `notify`
readiness and watches cmd/svcN and internal/. For each setup, with every app up:
  - idle CPU of the hotdev process(es) over --idle seconds (utime+stime from /proc);
  - their RSS (VmRSS, summed);
  - their inotify watches (the `inotify wd:` lines of their fds, summed);
  - the overhead of a reload of svc1 while the other four run: from hotdev's `change` event
    to `generation_ready`, minus the build's own `duration_ms` (median of --reloads edits).
Needs Go.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from hotdev_events import ROOT, Hotdev, free_port, inotify_watches, log, rss_kib

APPS = [f"svc{i}" for i in range(1, 6)]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def app_toml(name, port, table):
    """One app's settings, under `[apps.NAME]` when `table`, else as a single-app file's."""
    p = f"apps.{name}." if table else ""
    watch = f'[{p}watch]\npaths = ["cmd/{name}", "internal"]\n'
    if not table:
        watch = f'paths = ["cmd/{name}", "internal"]\n'
    return f"""{watch}
[{p}build]
command = "go build -o tmp/{name} ./cmd/{name}"
[{p}run]
command = "tmp/{name}"
env = {{ ADDR = "127.0.0.1:{port}" }}
ready = {{ notify = true }}
"""


def project(work):
    shutil.copytree(os.path.join(ROOT, "fixtures", "go-multi"), work, dirs_exist_ok=True)
    for name in APPS:
        shutil.copytree(os.path.join(work, "cmd", "api"), os.path.join(work, "cmd", name))
    os.remove(os.path.join(work, ".hotdev.toml"))
    top = '[watch]\nextensions = ["go", "mod"]\nignore = ["tmp/**"]\ndebounce = "50ms"\n\n'
    ports = {name: free_port() for name in APPS}
    with open(os.path.join(work, "all.toml"), "w") as f:
        f.write(top + "".join(app_toml(n, ports[n], True) for n in APPS))
    for name in APPS:
        with open(os.path.join(work, f"{name}.toml"), "w") as f:
            f.write(top + app_toml(name, ports[name], False))
    subprocess.run(["go", "build", "-o", "tmp/", "./..."], cwd=work, check=True)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def ready(e, app, generation):
    return (e.get("event") == "generation_ready" and e.get("generation") == generation
            and e.get("app", app) == app)


def measure(work, hotdevs, by_app, reloads, idle):
    for name in by_app:
        by_app[name].wait_for(lambda e, n=name: ready(e, n, 1), 300)
    time.sleep(1.0)  # let start-up settle before the idle window
    pids = [h.proc.pid for h in hotdevs]
    before = sum(cpu_ticks(p) for p in pids)
    time.sleep(idle)
    cpu = (sum(cpu_ticks(p) for p in pids) - before) / CLK_TCK / idle * 100
    rss = sum(rss_kib(p) for p in pids)
    watches = sum(inotify_watches(p) for p in pids)
    h = by_app["svc1"]
    overheads = []
    version = os.path.join(work, "cmd", "svc1", "version.go")
    for i in range(reloads):
        start = h.cursor()
        with open(version) as f:
            text = f.read()
        with open(version, "w") as f:
            f.write(text.replace(text.split('"')[1], f"svc1-r{i}", 1))
        gen = i + 2
        done = h.wait_for(lambda e: ready(e, "svc1", gen), 120, start)
        seen = h.events[start:]
        change = next(e for e in seen if e.get("event") == "change")
        built = next(e for e in seen if e.get("event") == "build_ok")
        total = done["ts_ms"] - change["ts_ms"]
        overheads.append(total - built["duration_ms"])
        time.sleep(0.3)
    return {"idle_cpu_percent": round(cpu, 3), "rss_kib": rss, "inotify_watches": watches,
            "reload_overhead_ms": overheads,
            "reload_overhead_median_ms": statistics.median(overheads)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reloads", type=int, default=10)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()
    results = {}
    for setup in ["one hotdev, 1 app", "one hotdev, 5 apps", "5 hotdevs, 1 app each"]:
        work = tempfile.mkdtemp(prefix="hotdev-bench-apps-")
        hotdevs = []
        try:
            project(work)
            if setup == "one hotdev, 1 app":
                h = Hotdev(work, ["-c", "svc1.toml"])
                hotdevs = [h]
                by_app = {"svc1": h}
            elif setup == "one hotdev, 5 apps":
                h = Hotdev(work, ["-c", "all.toml"])
                hotdevs = [h]
                by_app = {name: h for name in APPS}
            else:
                by_app = {name: Hotdev(work, ["-c", f"{name}.toml"]) for name in APPS}
                hotdevs = list(by_app.values())
            results[setup] = measure(work, hotdevs, by_app, args.reloads, args.idle)
            log(f"{setup}: {json.dumps(results[setup])}")
        finally:
            for h in hotdevs:
                h.stop()
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=1))
    log(f"{'':24}" + "".join(f"{setup:>24}" for setup in results))
    for key, label in [("idle_cpu_percent", "idle CPU %"), ("rss_kib", "RSS KiB"),
                       ("inotify_watches", "inotify watches"),
                       ("reload_overhead_median_ms", "reload overhead ms")]:
        log(f"{label:24}" + "".join(f"{r[key]:>24}" for r in results.values()))


if __name__ == "__main__":
    main()
