#!/usr/bin/env python3
"""hotdev watcher benchmark: Python 3 standard library only. Run it through bench/run.sh watch.

Two workloads, each on a fresh temporary tree, with `build = "true"` and `run = "sleep 600"`
so that only the watcher is measured:

  rmdirs    N directories (default 20,000) under a watched tree are removed at once
            (`rm -rf`). Measured: hotdev's CPU (utime+stime from /proc/PID/stat) from the
            removal until it is idle again, and, in a second run, how long hotdev takes to
            exit after a SIGTERM sent right after the removal.
  firstrun  a tree of 100,000 files: 50,000 in 5,000 watched directories, 50,000 in a
            gitignored node_modules/. Measured: launch -> `generation_started` (the app runs).

Every process group started here is stopped in a `finally`. Only the temp dir is written.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
CONFIG = '[build]\ncommand = "true"\n\n[run]\ncommand = "sleep 600"\n'


def cpu_seconds(pid):
    """utime+stime of `pid` in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Hotdev:
    """hotdev --log-format json in `root`, its JSON events collected by a thread."""

    def __init__(self, binary, root):
        self.events = []
        self.cond = threading.Condition()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--log-format", "json", "--no-keys"],
            cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append((time.monotonic(), event))
                self.cond.notify_all()

    def wait(self, name, timeout, **fields):
        """The time (monotonic) of the first event `name` with `fields`, or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, e in self.events:
                    if e.get("event") == name and all(e.get(k) == v for k, v in fields.items()):
                        return at
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def idle_cpu(self, timeout=120.0):
        """hotdev's CPU once it stops rising (unchanged over 0.5 s), bounded by `timeout`."""
        end = time.monotonic() + timeout
        last = cpu_seconds(self.proc.pid)
        still = 0
        while time.monotonic() < end and still < 5:
            time.sleep(0.1)
            now = cpu_seconds(self.proc.pid)
            still = still + 1 if now == last else 0
            last = now
        return last

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def make_dirs(root, n):
    big = os.path.join(root, "src", "big")
    for i in range(n):
        os.makedirs(os.path.join(big, f"d{i // 100}", f"e{i}"))
    return big


def rmdirs(binary, n):
    result = {}
    for mode in ("cpu", "sigterm"):
        root = tempfile.mkdtemp(prefix="hotdev-bench-watch-")
        h = None
        try:
            with open(os.path.join(root, ".hotdev.toml"), "w") as f:
                f.write(CONFIG)
            big = make_dirs(root, n)
            h = Hotdev(binary, root)
            if h.wait("watching", 120) is None or h.wait("generation_started", 120) is None:
                raise SystemExit("hotdev did not start")
            before = h.idle_cpu()
            subprocess.run(["rm", "-rf", big], check=True)
            if mode == "cpu":
                result["cpu_s"] = round(h.idle_cpu() - before, 3)
            else:
                t = time.monotonic()
                os.kill(h.proc.pid, signal.SIGTERM)
                try:
                    h.proc.wait(timeout=120)
                    result["exit_after_sigterm_s"] = round(time.monotonic() - t, 3)
                except subprocess.TimeoutExpired:
                    result["exit_after_sigterm_s"] = None
        finally:
            if h:
                h.stop()
            shutil.rmtree(root, ignore_errors=True)
    return result


def firstrun(binary, runs):
    root = tempfile.mkdtemp(prefix="hotdev-bench-first-")
    try:
        with open(os.path.join(root, ".hotdev.toml"), "w") as f:
            f.write(CONFIG)
        with open(os.path.join(root, ".gitignore"), "w") as f:
            f.write("node_modules/\n")
        for top in ("src", "node_modules"):
            for d in range(5000):
                path = os.path.join(root, top, f"m{d // 100}", f"p{d}")
                os.makedirs(path)
                for i in range(10):
                    open(os.path.join(path, f"f{i}.go"), "w").close()
        times = []
        for _ in range(runs):
            h = Hotdev(binary, root)
            try:
                at = h.wait("generation_started", 120)
                watching = h.wait("watching", 120)
                times.append((round(at - h.started, 3), round(watching - h.started, 3)))
            finally:
                h.stop()
        return {
            "first_run_s": sorted(t[0] for t in times)[len(times) // 2],
            "all_watched_s": sorted(t[1] for t in times)[len(times) // 2],
            "runs": times,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=["rmdirs", "firstrun"])
    ap.add_argument("--hotdev", default=os.path.join(REPO, "target", "release", "hotdev"))
    ap.add_argument("--dirs", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    out = {"hotdev": args.hotdev}
    if "rmdirs" in args.workloads:
        out["rmdirs"] = {"dirs": args.dirs, **rmdirs(args.hotdev, args.dirs)}
    if "firstrun" in args.workloads:
        out["firstrun"] = firstrun(args.hotdev, args.runs)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
