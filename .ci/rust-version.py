#!/usr/bin/env python3
"""Fails when a dependency declares a rust-version newer than hotdev's own (Cargo.toml).

Reads `cargo metadata` (every package in the resolved graph, all targets) on stdin; hotdev's
`rust-version` must be at least the highest one there, or `cargo install --locked` would fail
on the toolchain the README promises.
"""
import json
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


meta = json.load(sys.stdin)
root = next(p for p in meta["packages"] if p["id"] == meta["resolve"]["root"])
ours = version(root["rust_version"])
newer = sorted(
    (version(p["rust_version"]), p["name"], p["version"])
    for p in meta["packages"]
    if p["id"] != root["id"] and p.get("rust_version") and version(p["rust_version"]) > ours
)
if newer:
    need, name, at = newer[-1]
    print(f"rust-version = {root['rust_version']} in Cargo.toml, but {name} {at} needs "
          f"{'.'.join(map(str, need))}: raise it (and the README's Install line)", file=sys.stderr)
    sys.exit(1)
print(f"rust-version {root['rust_version']}: no dependency needs a newer Rust")
