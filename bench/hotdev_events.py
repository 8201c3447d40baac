"""What bench/proxy.py and bench/apps.py share: a release hotdev run with `--log-format
json`, its events read in a thread and waited for with a deadline; a process's RSS and
inotify watches; a free port; a log line."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOTDEV = os.path.join(ROOT, "target", "release", "hotdev")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def inotify_watches(pid):
    """The inotify watches of `pid`: the `inotify wd:` lines of its fds."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                n += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            pass
    return n


def rss_kib(pid):
    """VmRSS of `pid` in KiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Hotdev:
    """`hotdev --no-keys --log-format json ARGS` in `workdir`, in a session of its own."""

    def __init__(self, workdir, args=()):
        self.events = []
        self.cond = threading.Condition()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTDEV")}
        self.proc = subprocess.Popen(
            [HOTDEV, "--no-keys", "--log-format", "json", *args],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def cursor(self):
        """The number of events so far: where a later wait starts looking."""
        with self.cond:
            return len(self.events)

    def wait_for(self, pred, timeout, start=0):
        """The first event from index `start` that satisfies `pred`; RuntimeError after
        `timeout` seconds or when hotdev has exited."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events[start:]:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError(f"no awaited event within {timeout}s")
                self.cond.wait(min(left, 0.2))

    def wait(self, name, timeout, **fields):
        """The first event `name` whose fields include `fields`."""
        return self.wait_for(
            lambda e: e.get("event") == name and all(e.get(k) == v for k, v in fields.items()),
            timeout)

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        """SIGINT, then SIGKILL to its group if it has not exited within 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
