#!/usr/bin/env python3
"""Holds the code base to its layers (docs/architecture.md): every #include "a/b/..." of a source
file names a folder its own folder may use. Libraries use only the ones below them, and inside
actors/ each room uses only the rooms listed for it, so no dependency between folders runs both
ways. Exit status 1, with every offending include listed, when one does not hold.

Usage: check_layers.py [--root DIR]
"""
import argparse
import os
import re
import sys

# Folder -> the folders its files may include (besides their own). Longest prefix wins, so
# actors/blocks/ is judged by its own entry, not by actors/'s.
LIBS = {"protocol", "protocol/transport", "storage", "pki"}
ALLOWED = {
    "protocol": set(),
    "protocol/transport": {"protocol", "pki"},
    "storage": {"protocol"},
    "pki": {"protocol"},
    # The data at rest: no actor, no CAF.
    "actors/records": {"protocol", "storage", "pki"},
    "actors/core": {"actors/records"} | LIBS,
    # Files beside the store (firmware images, station uploads) and the listener serving them: no actor.
    "actors/files": LIBS,
    "actors/blocks": {"actors/core", "actors/records"} | LIBS,
    "actors/station": {"actors/core", "actors/records"} | LIBS,
    "actors/pnc": {"actors/core", "actors/records", "actors/blocks", "actors/station"} | LIBS,
    "actors/api": {"actors/core", "actors/records", "actors/station", "actors/files"} | LIBS,
    "actors/cluster": {"actors/core", "actors/records", "actors/station"} | LIBS,
    # The top of actors/ (routes.cpp) wires the rooms together; nothing in actors/ includes it.
    "actors": {"actors/core", "actors/records", "actors/blocks", "actors/station", "actors/pnc"} | LIBS,
}
# Folders not listed here (apps/, tools/, tests/, bench/) may use every library.
CHECKED = sorted(ALLOWED, key=len, reverse=True)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    """The entry of ALLOWED a file (or included header) belongs to, or None."""
    for folder in CHECKED:
        if path == folder or path.startswith(folder + "/"):
            rest = path[len(folder) + 1:]
            # actors/routes.hpp belongs to "actors"; actors/core/x.hpp to "actors/core".
            if folder == "actors" and "/" in rest:
                continue
            return folder
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    problems = []
    checked = 0
    for top in ("protocol", "storage", "pki", "actors"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".cpp", ".hpp")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                own = folder_of(rel)
                if own is None:
                    continue
                checked += 1
                with open(os.path.join(root, rel), encoding="utf-8") as fh:
                    text = fh.read()
                for included in INCLUDE.findall(text):
                    target = folder_of(included)
                    if target is None or target == own:
                        continue
                    if target not in ALLOWED[own]:
                        problems.append(f"{rel}: includes {included} ({own}/ may use: "
                                        f"{', '.join(sorted(ALLOWED[own])) or 'nothing of ours'})")
    for p in problems:
        print(p)
    print(f"check_layers: {checked} files, {len(problems)} includes against the layers")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
