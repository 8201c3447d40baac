#!/usr/bin/env python3
"""The dev proxy's cost (issue 13, BENCHMARKS.md "Dev proxy"), by hand, not in CI.

    bench/run.sh proxy [--seconds N] [--rounds N] [--swaps N]

One release hotdev runs the go-web fixture (pre-bound port, `notify` readiness) with `[proxy]`.
In the same run, alternating direct and proxied, `wrk` measures:
  - latency: one connection, one request at a time (p50/p99), keep-alive and a new
    connection per request (`Connection: close`);
  - throughput: 16 connections (requests/s), the same two ways;
  - `/` (an HTML page the proxy buffers to inject its script) and `/version` (plain text);
then the RSS of hotdev with 0 and 100 pages on `/__hotdev/events`, and the failed requests of
a keep-alive client without retries over real swaps (edits of version.go), direct vs proxied.
Needs `wrk` (Debian: apt-get install wrk) and Go.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from hotdev_events import ROOT, Hotdev, free_port, log



def wrk(port, path, connections, seconds, close):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    lat = {}
    for p, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[p] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return {"rps": rps, "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def keep_alive_client(port, stop, seen):
    """GET /version on one kept-alive connection, never retried; a failure opens a new one."""
    conn = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/version")
            reply = conn.getresponse()
            body = reply.read()
            if reply.status == 200:
                seen["served"] += 1
                seen["last"] = body.decode().strip()
            else:
                seen["failed"] += 1
        except (OSError, http.client.HTTPException):
            seen["failed"] += 1
            conn = None


def set_version(workdir, version):
    path = os.path.join(workdir, "version.go")
    with open(path) as f:
        text = f.read()
    text = re.sub(r'const version = "[^"]*"', f'const version = "{version}"', text)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out: {what}")
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=5, help="each wrk run (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="direct/proxied pairs (default 3)")
    ap.add_argument("--swaps", type=int, default=20, help="swaps for the keep-alive count")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/proxy.py needs wrk (apt-get install wrk)")
    tmp = tempfile.mkdtemp(prefix="hotdev-bench-proxy-")
    workdir = os.path.join(tmp, "go-web")
    shutil.copytree(os.path.join(ROOT, "fixtures", "go-web"), workdir)
    app, proxy = free_port(), free_port()
    config = os.path.join(workdir, ".hotdev.toml")
    with open(config) as f:
        text = f.read()
    text = text.replace('address = "127.0.0.1:8080"', f'address = "127.0.0.1:{app}"')
    text = text.replace('address = "127.0.0.1:3000"', f'address = "127.0.0.1:{proxy}"')
    with open(config, "w") as f:
        f.write(text)
    hotdev = Hotdev(workdir)
    results = {"seconds": args.seconds, "rounds": args.rounds, "runs": []}
    try:
        hotdev.wait("generation_ready", 180, generation=1)
        for path in ["/version", "/"]:
            for close in [False, True]:
                for kind, connections in [("latency", 1), ("throughput", 16)]:
                    for r in range(args.rounds):
                        order = [("direct", app), ("proxy", proxy)]
                        if r % 2:
                            order.reverse()
                        for target, port in order:
                            run = wrk(port, path, connections, args.seconds, close)
                            run.update(path=path, close=close, kind=kind, target=target)
                            results["runs"].append(run)
                            log(json.dumps(run))
        # Memory: hotdev with 0, then 100, pages connected.
        results["rss_kib_0_pages"] = hotdev.rss_kib()
        pages = []
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", proxy))
            s.sendall(b"GET /__hotdev/events HTTP/1.1\r\nHost: b\r\n\r\n")
            pages.append(s)
        for s in pages:
            s.settimeout(10)
            s.recv(4096)
        time.sleep(1)
        results["rss_kib_100_pages"] = hotdev.rss_kib()
        for s in pages:
            s.close()
        # Keep-alive clients without retries over real swaps.
        stop = threading.Event()
        seen = {t: {"served": 0, "failed": 0, "last": ""} for t in ("direct", "proxy")}
        threads = [threading.Thread(target=keep_alive_client, args=(port, stop, seen[t]))
                   for t, port in (("direct", app), ("proxy", proxy))]
        for t in threads:
            t.start()
        first = max(e.get("generation", 0) for e in hotdev.events
                    if e.get("event") == "generation_ready")
        for n in range(1, args.swaps + 1):
            version = f"bench{n}"
            set_version(workdir, version)
            hotdev.wait("generation_ready", 120, generation=first + n)
            wait_until(lambda: all(s["last"] == version for s in seen.values()), 30,
                       f"both clients see {version}")
        stop.set()
        for t in threads:
            t.join()
        results["swaps"] = args.swaps
        results["keep_alive"] = seen
    finally:
        hotdev.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    summarize(results)
    print(json.dumps(results, indent=1))


def summarize(results):
    runs = results["runs"]
    log("\npath      conn        kind        direct            proxy             added p50")
    for path in ["/version", "/"]:
        for close in [False, True]:
            for kind in ["latency", "throughput"]:
                pick = lambda t: [r for r in runs if (r["path"], r["close"], r["kind"],
                                                      r["target"]) == (path, close, kind, t)]
                d, p = pick("direct"), pick("proxy")
                med = lambda rs, k: statistics.median(r[k] for r in rs)
                conn = "new" if close else "keep-alive"
                if kind == "latency":
                    log(f"{path:9} {conn:11} p50/p99     {med(d, 'p50_ms'):.3f}/{med(d, 'p99_ms'):.3f} ms"
                        f"   {med(p, 'p50_ms'):.3f}/{med(p, 'p99_ms'):.3f} ms"
                        f"   +{med(p, 'p50_ms') - med(d, 'p50_ms'):.3f} ms")
                else:
                    log(f"{path:9} {conn:11} req/s       {med(d, 'rps'):9.0f}         "
                        f"{med(p, 'rps'):9.0f}         {100 * med(p, 'rps') / med(d, 'rps'):.0f}%")
    log(f"RSS: {results['rss_kib_0_pages']} KiB with no page, "
        f"{results['rss_kib_100_pages']} KiB with 100 pages")
    ka = results["keep_alive"]
    log(f"keep-alive, no retries, {results['swaps']} swaps: direct {ka['direct']['failed']} failed "
        f"of {ka['direct']['served'] + ka['direct']['failed']}; proxy {ka['proxy']['failed']} "
        f"failed of {ka['proxy']['served'] + ka['proxy']['failed']}")


if __name__ == "__main__":
    main()
