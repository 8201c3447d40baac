#!/usr/bin/env python3
"""hotdev output benchmark: how much a `log` readiness check slows a chatty app.

Run it through `bench/run.sh output`. Python 3 standard library only.

The app writes LINES lines of 80 bytes to stdout as fast as it can and records how long that
took (its own clock, so hotdev's start-up is not counted). It runs three ways:

  direct   the app alone, stdout to a pipe that is read and thrown away (the baseline)
  inherit  under hotdev without a readiness check (the app writes to hotdev's stdout itself)
  log      under hotdev with `ready = { log = "..." }`: hotdev reads the app's pipe, matches
           lines until the check passes, and copies everything to its own stdout

In every case the end of the chain is a pipe drained by this script. Each way runs RUNS times;
the median is reported. Every process group started here is stopped in a `finally`.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP = """
import os, sys, time
out = sys.stdout.buffer
out.write(b"listening\\n"); out.flush()
line = b"x" * 79 + b"\\n"
start = time.monotonic()
for _ in range({lines} // 100):
    out.write(line * 100)
    out.flush()
elapsed = time.monotonic() - start
with open("elapsed.txt.tmp", "w") as f:
    f.write(str(elapsed))
os.rename("elapsed.txt.tmp", "elapsed.txt")
time.sleep(600)
"""


def drain(stream):
    while stream.read(65536):
        pass


def run_once(way, hotdev, lines, timeout):
    with tempfile.TemporaryDirectory(prefix="hotdev-bench-output-") as work:
        with open(os.path.join(work, "app.py"), "w") as f:
            f.write(APP.format(lines=lines))
        ready = 'ready = { log = "listening" }\n' if way == "log" else ""
        with open(os.path.join(work, ".hotdev.toml"), "w") as f:
            f.write(f'[run]\ncommand = ["python3", "app.py"]\n{ready}')
        if way == "direct":
            argv = [sys.executable, "app.py"]
        else:
            argv = [hotdev, "--no-keys", "-q"]
        proc = subprocess.Popen(
            argv, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True,
            env=dict(os.environ, NO_COLOR="1"),
        )
        reader = threading.Thread(target=drain, args=(proc.stdout,), daemon=True)
        reader.start()
        done = os.path.join(work, "elapsed.txt")
        try:
            deadline = time.monotonic() + timeout
            while not os.path.exists(done):
                if time.monotonic() > deadline:
                    raise SystemExit(f"{way}: no result within {timeout}s")
                if proc.poll() is not None:
                    raise SystemExit(f"{way}: exited early ({proc.returncode})")
                time.sleep(0.02)
            with open(done) as f:
                return float(f.read())
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hotdev", default=os.path.join(REPO, "target/release/hotdev"))
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("ways", nargs="*", default=["direct", "inherit", "log"])
    args = parser.parse_args()
    args.hotdev = os.path.abspath(args.hotdev)
    base = None
    for way in args.ways:
        times = [run_once(way, args.hotdev, args.lines, args.timeout) for _ in range(args.runs)]
        median = statistics.median(times)
        base = base or median
        rate = args.lines / median / 1e6
        print(f"{way:8} {median:7.3f}s median of {args.runs} ({rate:.2f} M lines/s, "
              f"{median / base:.2f}x direct)  runs: {', '.join(f'{t:.3f}' for t in times)}",
              flush=True)


if __name__ == "__main__":
    main()
