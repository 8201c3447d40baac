#!/usr/bin/env python3
"""hotdev benchmark harness: Python 3 standard library only. Run it through bench/run.sh.

Runs the same workloads against hotdev and, when they are installed, watchexec and nodemon,
on temporary copies of fixtures/go-server, and prints (and saves under bench/out/) a Markdown
table and the raw JSON. Workloads:

  latency    atomic save of version.go -> new version served (median/p90), and the tool's own
             overhead: latency minus the time of the `go build` it ran (paired, from the build
             wrapper's log) and minus a bare `go build` timed separately
  avail      continuous load (a new TCP connection per request) across reloads: failed and
             successful requests, longest latency; beside it, keep-alive clients that never
             retry and 2 s requests in flight during every swap
  broken     a broken build under load: failed requests while it is broken, time to serve the fix
  storm      200 source files rewritten in place, at once and as 2 x 100 with a 30 ms pause:
             how many builds each triggers
  idle       100k-file tree, half in a gitignored node_modules: time to first run, CPU over 20 s
             idle, VmRSS, inotify watches

Only 127.0.0.1 is ever contacted. Every loop is bounded in count and in time. Every process
group started here is stopped in a `finally`, and a sweep kills (by pid) any process left whose
cwd or executable lies inside this run's temporary directory.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
FIXTURE = os.path.join(REPO, "fixtures", "go-server")
# The app of strategy `signal`: it reloads a freshly built Go plugin on SIGHUP, same pid.
PLUGIN_FIXTURE = os.path.join(REPO, "fixtures", "go-plugin")
HOTDEV = os.path.join(REPO, "target", "release", "hotdev")
BUILD_SH = os.path.join(BENCH, "build.sh")
OUT = os.path.join(BENCH, "out")

WORKLOADS = ["latency", "avail", "broken", "storm", "idle"]

# name -> (tool, description). Order is the order of the tables.
CONFIGS = {
    "hotdev-restart": ("hotdev", "hotdev --strategy restart (no listeners; app binds $PORT)"),
    "hotdev-listen": ("hotdev", "hotdev --strategy restart --listen"),
    "hotdev-overlap": ("hotdev", "hotdev --strategy overlap --ready notify --listen"),
    "hotdev-signal": ("hotdev", "hotdev --strategy signal --listen on fixtures/go-plugin (SIGHUP reloads a plugin)"),
    "hotdev-restart-nospec": ("hotdev", "hotdev-restart with --no-speculative (build when the debounce runs out)"),
    "hotdev-listen-nospec": ("hotdev", "hotdev-listen with --no-speculative"),
    "watchexec-r": ("watchexec", "watchexec -r (app binds $PORT)"),
    "watchexec-socket": ("watchexec", "watchexec -r --socket"),
    "nodemon": ("nodemon", "nodemon --exec (app binds $PORT)"),
}
# Which configurations each workload runs (the strategy does not matter for storm and idle).
WORKLOAD_CONFIGS = {
    "latency": list(CONFIGS),
    "avail": [c for c in CONFIGS if not c.endswith("-nospec")],
    "broken": ["hotdev-restart", "hotdev-listen", "hotdev-overlap", "hotdev-signal", "watchexec-r",
               "watchexec-socket", "nodemon"],
    "storm": ["hotdev-restart", "hotdev-restart-nospec", "watchexec-r", "nodemon"],
    "idle": ["hotdev-restart", "watchexec-r", "nodemon"],
}

VERSION_RE = re.compile(r'^const version = "[^"]*"$', re.M)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def mono():
    return time.monotonic()


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# HTTP on 127.0.0.1, one new TCP connection per request


def http_get(port, timeout=5.0, path="/"):
    """GET `path` over a new connection. Returns (status, body). Raises OSError on failure."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        chunks = []
        deadline = mono() + timeout
        while True:
            if mono() > deadline:
                raise TimeoutError("response took too long")
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/"):
        raise ConnectionError("no HTTP response")
    status = int(head.split(b" ", 2)[1])
    return status, body.decode(errors="replace").strip()


def wait_version(port, version, timeout, interval=0.005, fast=None, fast_interval=0.0005):
    """Poll GET / until it returns `version`. Returns the monotonic time it was first seen,
    or None on timeout. Once `fast()` is true, poll every `fast_interval` instead: the swap
    after a build takes a few ms, so a 5 ms poll would blur exactly what is measured, while
    a fast poll during the whole build would take CPU from the build."""
    deadline = mono() + timeout
    while mono() < deadline:
        try:
            status, body = http_get(port, timeout=2.0)
            if status == 200 and body == version:
                return mono()
        except OSError:
            pass
        time.sleep(fast_interval if fast is not None and fast() else interval)
    return None


class BuildEnded:
    """A callable that turns true once the build log shows a build that started after
    `since_epoch` has ended: the moment the swap begins, whichever tool runs the build."""

    def __init__(self, path, since_epoch):
        self.path, self.since, self.size, self.ended = path, since_epoch, -1, False

    def __call__(self):
        if not self.ended:
            try:
                size = os.stat(self.path).st_size
            except OSError:
                return False
            if size != self.size:
                self.size = size
                self.ended = any(b["end"] is not None for b in read_builds(self.path, self.since))
        return self.ended


class KeepAlive:
    """One HTTP/1.1 connection reused for request after request, never retried: what a
    client without retries (many load testers, some SDKs) sees. A request that fails counts,
    and the next one opens a new connection."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def get(self, path):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request("GET", path)
            resp = self.conn.getresponse()
            body = resp.read().decode(errors="replace").strip()
            if resp.will_close:
                self.close()
            return resp.status, body
        except (OSError, http.client.HTTPException) as e:
            self.close()
            if isinstance(e, http.client.HTTPException):
                raise ConnectionError(type(e).__name__) from e
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load:
    """A few threads, each sending GET `path` with a short pause between requests: on a new
    connection each (`keepalive=False`), or on one reused HTTP/1.1 connection without retries
    (`keepalive=True`). Bounded by max_requests per thread and max_seconds overall."""

    def __init__(self, port, threads=3, pause=0.004, max_requests=100_000, max_seconds=400,
                 keepalive=False, path="/", timeout=5.0):
        self.port = port
        self.keepalive = keepalive
        self.path = path
        self.timeout = timeout
        self.pause = pause
        self.max_requests = max_requests
        self.deadline = mono() + max_seconds
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failed = 0
        self.fail_kinds = {}
        self.max_latency = 0.0  # over every request, failed or not
        self.max_ok_latency = 0.0
        self.seen = {}  # version -> monotonic time first served
        self.failure_times = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self):
        n = 0
        client = KeepAlive(self.port, self.timeout) if self.keepalive else None
        while not self.stop_flag.is_set() and n < self.max_requests and mono() < self.deadline:
            n += 1
            t0 = mono()
            try:
                if client:
                    status, body = client.get(self.path)
                else:
                    status, body = http_get(self.port, timeout=self.timeout, path=self.path)
                err = None if status == 200 else f"http {status}"
            except OSError as e:
                body, err = None, type(e).__name__
            t1 = mono()
            lat = t1 - t0
            with self.lock:
                self.max_latency = max(self.max_latency, lat)
                if err is None:
                    self.ok += 1
                    self.max_ok_latency = max(self.max_ok_latency, lat)
                    self.seen.setdefault(body, t1)
                else:
                    self.failed += 1
                    self.fail_kinds[err] = self.fail_kinds.get(err, 0) + 1
                    self.failure_times.append(t1)
            time.sleep(self.pause)
        if client:
            client.close()

    def snapshot(self):
        with self.lock:
            return self.ok, self.failed

    def wait_seen(self, version, timeout):
        deadline = mono() + timeout
        while mono() < deadline:
            with self.lock:
                if version in self.seen:
                    return self.seen[version]
            time.sleep(0.005)
        return None

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=10)

    def result(self):
        with self.lock:
            return {
                "ok": self.ok,
                "failed": self.failed,
                "fail_kinds": dict(self.fail_kinds),
                "max_latency_ms": round(self.max_latency * 1000, 1),
                "max_ok_latency_ms": round(self.max_ok_latency * 1000, 1),
            }


# ---------------------------------------------------------------------------------------------
# Work trees and source edits


def fixture_of(config):
    return PLUGIN_FIXTURE if config == "hotdev-signal" else FIXTURE


def is_plugin_tree(workdir):
    return os.path.exists(os.path.join(workdir, "plugin", "answer.go"))


def make_workdir(root, name, storm_files=0, fixture=FIXTURE):
    d = os.path.join(root, name)
    shutil.copytree(fixture, d, ignore=shutil.ignore_patterns("tmp"))
    subprocess.run(["git", "init", "-q", d], check=True)
    for i in range(storm_files):
        with open(os.path.join(d, f"storm_{i:03d}.go"), "w") as f:
            f.write(f"package main\n\nconst storm{i:03d} = 0\n")
    # Warm Go's build cache for this tree (as a developer's machine would be).
    if is_plugin_tree(d):
        subprocess.run(["sh", "build.sh"], cwd=d, check=True,
                       env=dict(os.environ, HOTDEV_BUILD_ID="1"))
    else:
        subprocess.run(["go", "build", "-o", "tmp/server", "."], cwd=d, check=True)
    return d


def first_version(workdir):
    """What a fresh tree serves: go-server's version, go-plugin's answer."""
    return "a1" if is_plugin_tree(workdir) else "v1"


def atomic_write(path, text):
    """Write a temp file beside `path` and rename it over `path`, as editors do."""
    tmp = os.path.join(os.path.dirname(path), ".bench-save.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def set_version(workdir, version, broken=False):
    """Atomic save of the served string: go-server's `version`, go-plugin's `answer`."""
    name, rel = ("answer", "plugin/answer.go") if is_plugin_tree(workdir) else ("version", "version.go")
    path = os.path.join(workdir, rel)
    with open(path) as f:
        src = f.read()
    line = f'const {name} = "{version}"' + (" +" if broken else "")
    new, n = re.compile(rf'^const {name} = "[^"]*"( \+)?$', re.M).subn(line, src)
    assert n == 1, f"{rel}: the {name} line was not found"
    atomic_write(path, new)


def read_builds(path, since_epoch=0.0):
    """Parse build.sh's log: a list of dicts {start, end, rc} (end/rc None while running)."""
    builds = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return builds
    for line in lines:
        parts = line.split()
        if parts and parts[0] == "start":
            builds.append({"start": float(parts[1]), "end": None, "rc": None})
        elif parts and parts[0] == "end":
            # ends come in start order only if builds do not overlap; match the oldest open one
            for b in builds:
                if b["end"] is None:
                    b["end"], b["rc"] = float(parts[1]), int(parts[2])
                    break
    return [b for b in builds if b["start"] >= since_epoch]


# ---------------------------------------------------------------------------------------------
# Processes


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LISTEN_") and k not in ("NOTIFY_SOCKET", "PORT", "ADDR")}
    env["NO_COLOR"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def sweep(root):
    """Kill (by pid, SIGKILL) every process whose cwd or executable is inside `root`: only
    processes this harness started can be there (root is a fresh mkdtemp)."""
    me = os.getpid()
    killed = []
    for _ in range(5):
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            pid = int(name)
            for link in ("cwd", "exe"):
                try:
                    target = os.readlink(f"/proc/{pid}/{link}")
                except OSError:
                    continue
                if target == root or target.startswith(root + os.sep):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        found = True
                    except ProcessLookupError:
                        pass
                    break
        if not found:
            break
        time.sleep(0.2)
    return killed


class Tool:
    """One tool process, started in a session (process group) of its own."""

    def __init__(self, config, workdir, port, logdir, root, build_log):
        self.config = config
        self.tool = CONFIGS[config][0]
        self.workdir = workdir
        self.port = port
        self.root = root
        self.build_log = build_log
        self.events = []  # (monotonic, dict) for hotdev's JSON events
        self.events_lock = threading.Lock()
        self.log_path = os.path.join(logdir, f"{config}.log")
        self.logf = open(self.log_path, "a")
        self.logf.write(f"==== {datetime.datetime.now().isoformat()} {config} in {workdir}\n")
        self.logf.flush()
        argv, env = self.command()
        self.logf.write("argv: " + json.dumps(argv) + "\n")
        self.logf.flush()
        self.t_spawn = mono()
        self.proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self.logf,
            stderr=subprocess.PIPE if self.tool == "hotdev" else self.logf,
            start_new_session=True)
        self.pid = self.proc.pid
        self.reader = None
        if self.tool == "hotdev":
            self.reader = threading.Thread(target=self._read_events, daemon=True)
            self.reader.start()

    def command(self):
        c, port = self.config, self.port
        build = f"sh {BUILD_SH}"
        env = clean_env(BENCH_BUILD_LOG=self.build_log)
        if self.tool == "hotdev":
            argv = [HOTDEV, "-C", self.workdir, "--log-format", "json", "--no-keys",
                    "--build", build]
            if c.endswith("-nospec"):
                argv += ["--no-speculative"]
            if c in ("hotdev-restart", "hotdev-restart-nospec"):
                argv += ["--strategy", "restart"]
                env["PORT"] = str(port)
            elif c in ("hotdev-listen", "hotdev-listen-nospec"):
                argv += ["--strategy", "restart", "--listen", f"127.0.0.1:{port}"]
            elif c == "hotdev-overlap":
                argv += ["--strategy", "overlap", "--ready", "notify",
                         "--listen", f"127.0.0.1:{port}"]
            elif c == "hotdev-signal":
                # go-plugin's own build script: the server and a plugin unique to the build.
                argv[argv.index(build)] = f"{build} sh build.sh"
                argv += ["--strategy", "signal", "--reload-signal", "SIGHUP",
                         "--listen", f"127.0.0.1:{port}"]
            argv += ["--", "tmp/server"]
            return argv, env
        run = f"{build} && exec tmp/server"
        if c == "watchexec-r":
            env["PORT"] = str(port)
            return ["watchexec", "-r", "-n", "-e", "go,mod", "-w", ".", "--", "sh", "-c", run], env
        if c == "watchexec-socket":
            # watchexec 2.8's --socket (systemfd-style) hands the socket over at fd 9 with
            # LISTEN_FDS_FIRST_FD=9 and sets no LISTEN_PID, while the systemd protocol and
            # strict consumers (go-systemd, libsystemd, this fixture) use fd 3 and require
            # LISTEN_PID. The command bridges both: `$$` is sh's pid, which `exec` hands on
            # to the server, and fd 3 is made a copy of fd $LISTEN_FDS_FIRST_FD.
            run = (f"{build} && LISTEN_PID=$$ exec tmp/server "
                   "3<&\"${LISTEN_FDS_FIRST_FD:-3}\"")
            return ["watchexec", "-r", "-n", "-e", "go,mod", "-w", ".",
                    "--socket", f"127.0.0.1:{port}", "--", "sh", "-c", run], env
        if c == "nodemon":
            # nodemon's default stop signal is SIGUSR2 (for node apps), which a Go server
            # ignores; nodemon then waits for it forever. SIGTERM is what it needs here.
            # And nodemon stops for good when the command exits with code 2 ("reserved"),
            # which is what a failed `go build` returns; its own advice is `|| exit 1`.
            env["PORT"] = str(port)
            return ["nodemon", "--signal", "SIGTERM", "--watch", ".", "-e", "go,mod",
                    "--exec", run + " || exit 1"], env
        raise ValueError(c)

    def _read_events(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            self.logf.write(line)
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if isinstance(obj, dict) and "event" in obj:
                    with self.events_lock:
                        self.events.append((mono(), obj))
        self.logf.flush()

    def events_since(self, t, name=None):
        with self.events_lock:
            return [e for (ts, e) in self.events if ts >= t and (name is None or e["event"] == name)]

    def stop(self):
        """Stop the tool's process group: SIGTERM, up to 10 s, then SIGKILL; then sweep."""
        try:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self.reader:
                self.reader.join(timeout=5)
        finally:
            left = sweep(self.root)
            if left:
                self.logf.write(f"sweep killed leftover pids {left}\n")
            self.logf.close()
        return left


def installed(tool):
    if tool == "hotdev":
        return os.access(HOTDEV, os.X_OK)
    return shutil.which(tool) is not None


def tool_version(tool):
    try:
        if tool == "hotdev":
            out = subprocess.run([HOTDEV, "--version"], capture_output=True, text=True).stdout
        elif tool == "go":
            out = subprocess.run(["go", "version"], capture_output=True, text=True).stdout
        else:
            out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except OSError:
        return "not installed"


# ---------------------------------------------------------------------------------------------
# Workloads


class Ctx:
    def __init__(self, root, logdir, args):
        self.root = root
        self.logdir = logdir
        self.args = args
        self.n = 0

    def fresh(self, config, storm_files=0):
        self.n += 1
        name = f"{self.n:02d}-{config}"
        wd = make_workdir(self.root, name, storm_files, fixture_of(config))
        return wd, os.path.join(self.root, name + ".builds"), free_port()


def start_and_wait(ctx, config, wd, build_log, port, timeout=90):
    tool = Tool(config, wd, port, ctx.logdir, ctx.root, build_log)
    first = first_version(wd)
    t = wait_version(port, first, timeout, interval=0.02)
    if t is None:
        tool.stop()
        raise RuntimeError(f"{config}: {first} never served within {timeout}s (see {tool.log_path})")
    return tool, t - tool.t_spawn


def bare_build_times(ctx, n):
    """`go build -o tmp/server .` after an edit of version.go, timed alone, n times."""
    wd = make_workdir(ctx.root, "bare")
    times = []
    for i in range(n):
        set_version(wd, f"bare{i}")
        t0 = mono()
        subprocess.run(["go", "build", "-o", "tmp/server", "."], cwd=wd, check=True)
        times.append(mono() - t0)
        time.sleep(0.2)
    return times


def paired_build(build_log, t0_epoch, t_served_epoch):
    """The last successful build that started after the save and ended before it was served."""
    cands = [b for b in read_builds(build_log, t0_epoch)
             if b["end"] is not None and b["rc"] == 0 and b["end"] <= t_served_epoch + 0.001]
    return cands[-1] if cands else None


def phases(tool, t0, t1):
    """hotdev's JSON events of one reload, as ms after the save (arrival time on our pipe)."""
    first = {}
    with tool.events_lock:
        for ts, e in tool.events:
            if ts >= t0 and e["event"] not in first:
                first[e["event"]] = ts
    out = {}
    for name in ("change", "build_started", "build_ok", "generation_stopping", "generation_exited",
                 "generation_started", "generation_ready"):
        if name in first:
            out[name + "_ms"] = (first[name] - t0) * 1000
    out["served_ms"] = (t1 - t0) * 1000
    return out


def w_latency(ctx, config):
    n = ctx.args.reloads
    wd, bl, port = ctx.fresh(config)
    tool = None
    res = {"latency_ms": [], "paired_overhead_ms": [], "build_ms": [], "timeouts": 0}
    try:
        tool, first = start_and_wait(ctx, config, wd, bl, port)
        time.sleep(1.0)
        for i in range(1, n + 1):
            v = f"L{i}"
            t0_epoch, t0 = time.time(), mono()
            set_version(wd, v)
            t1 = wait_version(port, v, 30, fast=BuildEnded(bl, t0_epoch))
            if t1 is None:
                res["timeouts"] += 1
                log(f"  {config}: reload {i} not served within 30s")
                if res["timeouts"] >= 2:
                    break
                continue
            t1_epoch = t0_epoch + (t1 - t0)
            lat = t1 - t0
            res["latency_ms"].append(lat * 1000)
            b = paired_build(bl, t0_epoch, t1_epoch)
            if b:
                res["build_ms"].append((b["end"] - b["start"]) * 1000)
                res["paired_overhead_ms"].append((lat - (b["end"] - b["start"])) * 1000)
                # Where the rest goes: save -> build script starts (watch + debounce + spawn),
                # build script ends -> new version served (swap + app start).
                res.setdefault("save_to_build_ms", []).append((b["start"] - t0_epoch) * 1000)
                res.setdefault("build_end_to_served_ms", []).append((t1_epoch - b["end"]) * 1000)
            if tool.tool == "hotdev":
                time.sleep(0.05)  # let the reader thread catch up
                ph = phases(tool, t0, t1)
                for k, v in ph.items():
                    res.setdefault("hotdev_" + k, []).append(v)
            time.sleep(ctx.args.settle)
        if tool.tool == "hotdev":
            res["hotdev_build_durations_ms"] = [e["duration_ms"] for e in tool.events_since(0, "build_ok")]
    finally:
        if tool:
            tool.stop()
    return res


def w_avail(ctx, config):
    n = ctx.args.avail_reloads
    wd, bl, port = ctx.fresh(config)
    tool, load, keepalive, slow = None, None, None, None
    res = {"reloads": 0, "timeouts": 0}
    try:
        tool, _ = start_and_wait(ctx, config, wd, bl, port)
        time.sleep(0.5)
        load = Load(port, threads=ctx.args.threads).start()
        # Beside it: keep-alive clients that never retry, and requests that take 2 s, so
        # that some are always in flight when a generation is stopped.
        keepalive = Load(port, threads=2, keepalive=True).start()
        slow = Load(port, threads=2, pause=0.0, path="/slow?ms=2000", timeout=15.0,
                    max_requests=10_000).start()
        time.sleep(1.0)
        for i in range(1, n + 1):
            v = f"A{i}"
            set_version(wd, v)
            if load.wait_seen(v, 30) is None:
                res["timeouts"] += 1
                log(f"  {config}: reload {i} not seen within 30s")
                if res["timeouts"] >= 2:
                    break
            else:
                res["reloads"] += 1
            time.sleep(ctx.args.settle)
        time.sleep(1.0)
    finally:
        for extra in (keepalive, slow):
            if extra:
                extra.stop()
        if load:
            load.stop()
        if tool:
            tool.stop()
    res.update(load.result() if load else {})
    res["keepalive"] = keepalive.result() if keepalive else None
    res["slow"] = slow.result() if slow else None
    return res


def w_broken(ctx, config):
    wd, bl, port = ctx.fresh(config)
    tool, load = None, None
    res = {}
    try:
        tool, _ = start_and_wait(ctx, config, wd, bl, port)
        time.sleep(0.5)
        load = Load(port, threads=ctx.args.threads).start()
        time.sleep(1.0)
        ok0, f0 = load.snapshot()
        t_break_epoch = time.time()
        set_version(wd, "v1", broken=True)
        time.sleep(ctx.args.broken_window)
        ok1, f1 = load.snapshot()
        builds = read_builds(bl, t_break_epoch)
        res["broken_builds"] = len(builds)
        res["broken_build_failed"] = any(b["rc"] not in (0, None) for b in builds)
        res["failed_while_broken"] = f1 - f0
        res["ok_while_broken"] = ok1 - ok0
        t_fix = mono()
        set_version(wd, "v2")
        t_served = load.wait_seen("v2", 60)
        res["fix_served_ms"] = round((t_served - t_fix) * 1000, 1) if t_served else None
        ok2, f2 = load.snapshot()
        res["failed_during_fix"] = f2 - f1
        time.sleep(0.5)
        lr = load.result()
        res["fail_kinds"] = lr["fail_kinds"]
        res["max_latency_ms"] = lr["max_latency_ms"]
        if tool.tool == "hotdev":
            res["hotdev_build_failed_events"] = len(tool.events_since(0, "build_failed"))
    finally:
        if load:
            load.stop()
        if tool:
            tool.stop()
    return res


def w_storm(ctx, config):
    """Two storms on two fresh trees: 200 files at once, then 2 x 100 files 30 ms apart (a
    pause shorter than every tool's 50 ms debounce; nodemon has none)."""
    out = {"at_once": storm_once(ctx, config, gap=None)}
    out["gap30"] = storm_once(ctx, config, gap=0.030)
    return out


def storm_once(ctx, config, gap):
    nfiles = 200
    wd, bl, port = ctx.fresh(config, storm_files=nfiles)
    tool = None
    res = {}
    try:
        tool, _ = start_and_wait(ctx, config, wd, bl, port)
        time.sleep(2.0)
        t0_epoch, t0 = time.time(), mono()
        for i in range(nfiles):  # in place, as a checkout or a formatter would
            if gap and i == nfiles // 2:
                time.sleep(gap)
            with open(os.path.join(wd, f"storm_{i:03d}.go"), "w") as f:
                f.write(f"package main\n\nconst storm{i:03d} = 1\n")
        res["write_ms"] = round((mono() - t0) * 1000, 1)
        # Wait until builds have stopped starting for 4 s (at most 60 s).
        deadline = t0 + 60
        last_count, last_change = -1, mono()
        while mono() < deadline:
            c = len(read_builds(bl, t0_epoch))
            if c != last_count:
                last_count, last_change = c, mono()
            elif mono() - last_change > 4.0 and c > 0:
                break
            time.sleep(0.1)
        builds = read_builds(bl, t0_epoch)
        res["builds"] = len(builds)
        res["builds_ok"] = sum(1 for b in builds if b["rc"] == 0)
        if tool.tool == "hotdev":
            started = tool.events_since(t0, "build_started")
            res["hotdev_build_started"] = len(started)
            res["hotdev_build_cancelled"] = len(tool.events_since(t0, "build_cancelled"))
            changes = tool.events_since(t0, "change")
            with tool.events_lock:
                res["hotdev_change_batches"] = [
                    [round((ts - t0) * 1000), e.get("count")] for ts, e in tool.events
                    if ts >= t0 and e["event"] == "change"]
            res["hotdev_change_events"] = len(changes)
            res["hotdev_changed_paths"] = sum(e.get("count", 0) for e in changes)
    finally:
        if tool:
            tool.stop()
    return res


def make_big_tree(root):
    """Fixture + `git init` + 50,000 files under src/ (1,101 dirs) + 50,000 files in a gitignored
    node_modules/ (2,001 dirs)."""
    d = os.path.join(root, "bigtree")
    if os.path.isdir(d):
        return d
    t0 = mono()
    shutil.copytree(FIXTURE, d, ignore=shutil.ignore_patterns("tmp"))
    subprocess.run(["git", "init", "-q", d], check=True)
    with open(os.path.join(d, ".gitignore"), "w") as f:
        f.write("tmp/\nnode_modules/\n")
    for m in range(100):
        for p in range(10):
            sd = os.path.join(d, "src", f"m{m:02d}", f"p{p}")
            os.makedirs(sd)
            for i in range(50):
                with open(os.path.join(sd, f"f{i:02d}.go"), "w") as f:
                    f.write(f"package p{p}\n")
    for k in range(1000):
        pd = os.path.join(d, "node_modules", f"pkg{k:04d}")
        os.makedirs(os.path.join(pd, "lib"))
        with open(os.path.join(pd, "package.json"), "w") as f:
            f.write('{"name": "pkg%04d", "main": "index.js"}\n' % k)
        with open(os.path.join(pd, "index.js"), "w") as f:
            f.write("module.exports = require('./lib/f00.js');\n")
        for i in range(48):
            with open(os.path.join(pd, "lib", f"f{i:02d}.js"), "w") as f:
                f.write(f"module.exports = {i};\n")
    subprocess.run(["go", "build", "-o", "tmp/server", "."], cwd=d, check=True)
    log(f"  big tree built in {mono() - t0:.1f}s")
    return d


def tree_counts(d):
    files = dirs = nm_files = nm_dirs = 0
    for top, subdirs, fs in os.walk(d):
        rel = os.path.relpath(top, d)
        first = rel.split(os.sep)[0]
        if first in (".git", "tmp"):
            subdirs[:] = []
            continue
        if first == "node_modules":
            nm_dirs += 1
            nm_files += len(fs)
        else:
            dirs += 1
            files += len(fs)
    return {"files": files + nm_files, "node_modules_files": nm_files,
            "non_ignored_dirs": dirs, "node_modules_dirs": nm_dirs}


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def inotify_watches(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                n += sum(1 for line in f if line.startswith("inotify wd:"))
        except OSError:
            pass
    return n


_PERF = None


def perf_works():
    global _PERF
    if _PERF is None:
        try:
            r = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock", "true"],
                               capture_output=True, text=True, timeout=20)
            _PERF = r.returncode == 0 and "task-clock" in r.stderr
        except (OSError, subprocess.TimeoutExpired):
            _PERF = False
    return _PERF


def ctx_switches(pid):
    """{tid: voluntary + involuntary context switches} over the threads of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                out[tid] = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except OSError:
            pass
    return out


def switches_delta(a, b):
    """Context switches between two ctx_switches() snapshots (threads born in between count
    from zero; threads that died in between are not counted)."""
    return sum(n - a.get(tid, 0) for tid, n in b.items())


def w_idle(ctx, config):
    d = make_big_tree(ctx.root)
    counts = tree_counts(d)
    bl = os.path.join(ctx.root, f"idle-{config}.builds")
    port = free_port()
    tool = None
    res = dict(counts)
    try:
        tool, first = start_and_wait(ctx, config, d, bl, port, timeout=180)
        res["first_run_ms"] = round(first * 1000, 1)
        time.sleep(2.0)
        perf = None
        if perf_works():
            perf = subprocess.Popen(
                ["perf", "stat", "-x", ",", "-e", "task-clock", "-p", str(tool.pid), "--",
                 "sleep", str(ctx.args.idle_seconds)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        s0 = ctx_switches(tool.pid)
        c0, t0 = proc_cpu_s(tool.pid), mono()
        time.sleep(ctx.args.idle_seconds)
        c1, t1 = proc_cpu_s(tool.pid), mono()
        s1 = ctx_switches(tool.pid)
        res["wakeups_per_s"] = round(switches_delta(s0, s1) / (t1 - t0), 1)
        res["threads"] = len(os.listdir(f"/proc/{tool.pid}/task"))
        if perf:
            try:
                _, err = perf.communicate(timeout=ctx.args.idle_seconds + 15)
                for line in err.splitlines():
                    f = line.split(",")
                    if len(f) > 2 and f[2] == "task-clock":
                        # perf prints "<not counted>" when the task never ran in the window.
                        ms = 0.0 if f[0].startswith("<") else float(f[0])
                        res["perf_task_clock_s"] = round(ms / 1000, 4)
            except subprocess.TimeoutExpired:
                perf.kill()
                perf.wait()
        res["idle_window_s"] = round(t1 - t0, 2)
        res["idle_cpu_s"] = round(c1 - c0, 3)
        res["startup_cpu_s"] = round(c0, 3)
        res["rss_kib"] = proc_rss_kib(tool.pid)
        res["inotify_watches"] = inotify_watches(tool.pid)
        res["builds"] = len(read_builds(bl))
        if tool.tool == "hotdev":
            w = tool.events_since(0, "watching")
            res["hotdev_watching_dirs"] = w[-1]["dirs"] if w else None
    finally:
        if tool:
            tool.stop()
    return res


RUNNERS = {"latency": w_latency, "avail": w_avail, "broken": w_broken, "storm": w_storm,
           "idle": w_idle}


# ---------------------------------------------------------------------------------------------
# Report


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"nproc": os.cpu_count(), "memory": mem, "kernel": platform.release(),
            "cpu": model, "date": subprocess.run(["date"], capture_output=True, text=True).stdout.strip()}


def fmt(x, nd=0):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def report(results, meta):
    L = []
    m = meta["machine"]
    L.append(f"Machine: {m['nproc']} cores, {m['memory']}, kernel {m['kernel']}, {m['cpu']}")
    L.append(f"Date: {m['date']}")
    L.append("Versions: " + "; ".join(f"{k}: {v}" for k, v in meta["versions"].items()))
    L.append(f"Settings: {json.dumps(meta['settings'])}")
    L.append(f"Load average (1/5/15 min) at start {' '.join(meta.get('loadavg_start', []))}, "
             f"at end {' '.join(meta.get('loadavg_end', []))}; total {meta.get('total_s')} s")
    L.append("")
    bare = meta.get("bare_build_ms")
    if "latency" in results:
        L.append(f"### Reload latency (atomic save → new version served; {meta['settings']['reloads']} reloads)")
        L.append("")
        if bare:
            L.append(f"Bare `go build` after the same edit, alone: median {statistics.median(bare):.0f} ms, "
                     f"p90 {pct(bare, 90):.0f} ms ({len(bare)} builds).")
            L.append("")
        ref_name = "watchexec-r" if "watchexec-r" in results["latency"] else "hotdev-restart"
        L.append("| config | median ms | p90 ms | overhead vs bare build, median ms | paired overhead median ms | paired overhead p90 ms | paired overhead vs " + ref_name + " | save → build starts, median ms | build ends → served, median ms | timeouts |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        ref = results["latency"].get(ref_name, {})
        ref_po = statistics.median(ref["paired_overhead_ms"]) if ref.get("paired_overhead_ms") else None
        for c, r in results["latency"].items():
            if "error" in r:
                L.append(f"| {c} | error: {r['error']} |||||||||")
                continue
            lat = r["latency_ms"]
            po = r["paired_overhead_ms"]
            med = statistics.median(lat) if lat else None
            L.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                c, fmt(med), fmt(pct(lat, 90) if lat else None),
                # The bare build is go-server's; go-plugin's build is another one.
                fmt(med - statistics.median(bare)
                    if (med is not None and bare and fixture_of(c) == FIXTURE) else None),
                fmt(statistics.median(po) if po else None), fmt(pct(po, 90) if po else None),
                ratio(statistics.median(po) if po else None, ref_po),
                fmt(statistics.median(r["save_to_build_ms"]) if r.get("save_to_build_ms") else None),
                fmt(statistics.median(r["build_end_to_served_ms"]) if r.get("build_end_to_served_ms") else None),
                r["timeouts"]))
        L.append("")
    if "avail" in results:
        L.append(f"### Availability under load ({meta['settings']['avail_reloads']} reloads, "
                 f"{meta['settings']['threads']} client threads, new connection per request)")
        L.append("")
        L.append("| config | ok | failed | failure kinds | longest request ms | reloads seen |")
        L.append("|---|---|---|---|---|---|")
        for c, r in results["avail"].items():
            if "error" in r:
                L.append(f"| {c} | error: {r['error']} |||||")
                continue
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.get("fail_kinds", {}).items())) or "–"
            L.append(f"| {c} | {r.get('ok')} | {r.get('failed')} | {kinds} | "
                     f"{fmt(r.get('max_latency_ms'))} | {r['reloads']}/{r['reloads'] + r['timeouts']} |")
        L.append("")
        L.append("Beside that load, in the same runs: 2 keep-alive clients (one HTTP/1.1 connection "
                 "each, reused, no retry) and 2 clients of `GET /slow?ms=2000` (a new connection "
                 "each, always one in flight when a generation stops):")
        L.append("")
        L.append("| config | keep-alive ok | keep-alive failed | kinds | 2 s requests ok | 2 s requests failed | kinds | longest 2 s request ms |")
        L.append("|---|---|---|---|---|---|---|---|")
        for c, r in results["avail"].items():
            ka, sl = r.get("keepalive") or {}, r.get("slow") or {}
            if not ka and not sl:
                continue
            kk = ", ".join(f"{k} {v}" for k, v in sorted(ka.get("fail_kinds", {}).items())) or "–"
            sk = ", ".join(f"{k} {v}" for k, v in sorted(sl.get("fail_kinds", {}).items())) or "–"
            L.append(f"| {c} | {ka.get('ok')} | {ka.get('failed')} | {kk} | {sl.get('ok')} | "
                     f"{sl.get('failed')} | {sk} | {fmt(sl.get('max_latency_ms'))} |")
        L.append("")
    if "broken" in results:
        L.append(f"### Broken build under load (kept broken {meta['settings']['broken_window']} s, then fixed)")
        L.append("")
        L.append("| config | failed while broken | ok while broken | failed during fix | fix served after ms | failure kinds | longest request ms |")
        L.append("|---|---|---|---|---|---|---|")
        for c, r in results["broken"].items():
            if "error" in r:
                L.append(f"| {c} | error: {r['error']} ||||")
                continue
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.get("fail_kinds", {}).items())) or "–"
            L.append(f"| {c} | {r['failed_while_broken']} | {r['ok_while_broken']} | "
                     f"{r['failed_during_fix']} | {fmt(r['fix_served_ms'])} | {kinds} | "
                     f"{fmt(r.get('max_latency_ms'))} |")
        L.append("")
    if "storm" in results:
        L.append("### Event storm (200 .go files rewritten in place; target: exactly 1 build)")
        L.append("")
        L.append("`at once`: all 200 in one go; `gap30`: 100, a 30 ms pause, 100 (shorter than the 50 ms debounce).")
        L.append("")
        L.append("| config | storm | builds (wrapper count) | hotdev build_started | hotdev build_cancelled | hotdev change batches [ms after first write, paths] | writes took ms |")
        L.append("|---|---|---|---|---|---|---|")
        for c, rr in results["storm"].items():
            if "error" in rr:
                L.append(f"| {c} | error: {rr['error']} |||||")
                continue
            for variant, r in rr.items():
                if "error" in r:
                    L.append(f"| {c} | {variant} | error: {r['error']} ||||")
                    continue
                L.append(f"| {c} | {variant} | {r['builds']} | {fmt(r.get('hotdev_build_started'))} | "
                         f"{fmt(r.get('hotdev_build_cancelled'))} | "
                         f"{fmt(r.get('hotdev_change_batches'))} | {fmt(r['write_ms'])} |")
        L.append("")
    if "idle" in results:
        any_r = next((r for r in results["idle"].values() if "files" in r), None)
        if any_r:
            L.append(f"### Idle cost ({any_r['files']} files; {any_r['node_modules_files']} in a gitignored "
                     f"node_modules; {any_r['non_ignored_dirs']} non-ignored directories; "
                     f"{meta['settings']['idle_seconds']} s idle)")
        L.append("")
        L.append("| config | first run ms | idle CPU s (/proc stat) | idle CPU s (perf task-clock) | wake-ups/s | RSS MiB | inotify watches | watches / non-ignored dirs | RSS vs hotdev |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        ref = results["idle"].get("hotdev-restart", {}).get("rss_kib")
        for c, r in results["idle"].items():
            if "error" in r:
                L.append(f"| {c} | error: {r['error']} ||||||||")
                continue
            L.append(f"| {c} | {fmt(r['first_run_ms'])} | {r['idle_cpu_s']:.2f} | "
                     f"{fmt(r.get('perf_task_clock_s'), 3)} | {fmt(r.get('wakeups_per_s'), 0)} | {r['rss_kib'] / 1024:.1f} | "
                     f"{r['inotify_watches']} | {r['inotify_watches'] / r['non_ignored_dirs']:.3f} | "
                     f"{ratio(r['rss_kib'], ref)} |")
        L.append("")
    return "\n".join(L)


def _terminate(signum, _frame):
    # Turn SIGTERM/SIGHUP into an exception so that every `finally` (stop the tools, sweep,
    # remove the temporary tree) runs.
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=WORKLOADS, help=f"any of {WORKLOADS} (default all)")
    ap.add_argument("--configs", default=None,
                    help=f"comma-separated subset of {list(CONFIGS)} (default: all that are installed)")
    ap.add_argument("--reloads", type=int, default=20)
    ap.add_argument("--avail-reloads", type=int, default=20)
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--settle", type=float, default=0.5, help="seconds between reloads")
    ap.add_argument("--broken-window", type=float, default=5.0)
    ap.add_argument("--idle-seconds", type=float, default=20.0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    for w in args.workloads:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {WORKLOADS}")
    wanted = args.configs.split(",") if args.configs else list(CONFIGS)
    for c in wanted:
        if c not in CONFIGS:
            ap.error(f"unknown config {c!r}; choose from {list(CONFIGS)}")
    if not installed("hotdev"):
        sys.exit(f"{HOTDEV} missing: run `cargo build --release` (bench/run.sh does)")
    skipped = sorted({CONFIGS[c][0] for c in wanted if not installed(CONFIGS[c][0])})
    for t in skipped:
        log(f"{t} is not installed: skipping its configurations")
    os.makedirs(OUT, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logdir = os.path.join(OUT, f"logs-{stamp}")
    os.makedirs(logdir)
    root = os.path.realpath(tempfile.mkdtemp(prefix="hotdev-bench-"))
    meta = {"machine": machine(),
            "versions": {t: tool_version(t) for t in ("hotdev", "watchexec", "nodemon", "go")},
            "settings": {k: getattr(args, k) for k in
                         ("reloads", "avail_reloads", "threads", "settle", "broken_window", "idle_seconds")}}
    meta["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
    results = {}
    t_start = mono()
    try:
        ctx = Ctx(root, logdir, args)
        if "latency" in args.workloads:
            log("bare go build timings")
            meta["bare_build_ms"] = [t * 1000 for t in bare_build_times(ctx, args.reloads)]
        for w in args.workloads:
            results[w] = {}
            for c in WORKLOAD_CONFIGS[w]:
                if c not in wanted or CONFIGS[c][0] in skipped:
                    continue
                log(f"{w}: {c}")
                t0 = mono()
                try:
                    results[w][c] = RUNNERS[w](ctx, c)
                except Exception as e:  # record and go on with the next configuration
                    log(f"  {c}: {type(e).__name__}: {e}")
                    results[w][c] = {"error": f"{type(e).__name__}: {e}"}
                log(f"  done in {mono() - t0:.1f}s: " + json.dumps(
                    {k: v for k, v in results[w][c].items() if not isinstance(v, list)}))
    finally:
        left = sweep(root)
        if left:
            log(f"final sweep killed {left}")
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"kept {root}")
    meta["total_s"] = round(mono() - t_start, 1)
    meta["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    md = report(results, meta)
    with open(os.path.join(OUT, f"results-{stamp}.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    with open(os.path.join(OUT, f"results-{stamp}.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    log(f"total {meta['total_s']}s; results in {OUT}/results-{stamp}.{{md,json}}, logs in {logdir}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as e:  # everything started has been stopped by the finally blocks
        log(f"interrupted ({e or 'Ctrl-C'}); all processes stopped")
        sys.exit(130)
