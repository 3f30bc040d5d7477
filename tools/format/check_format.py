#!/usr/bin/env python3
"""Holds every C++ file we write to .clang-format (the generated code, protocol/ocpp*/,
actors/records/generated/ and actors/api/generated/, is its generator's business). Exit status 1, listing the files that differ, when one does not hold;
`--fix` rewrites them instead.

Usage: check_format.py [--root DIR] [--clang-format clang-format-14] [--fix]
"""
import argparse
import os
import shutil
import subprocess
import sys

SOURCES = ("actors", "apps", "bench", "pki", "protocol", "storage", "tests", "tools")
GENERATED = ("protocol/ocpp16/", "protocol/ocpp201/", "protocol/ocpp21/", "actors/records/generated/",
             "actors/api/generated/")


def our_files(root):
    for top in SOURCES:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if name.endswith((".cpp", ".hpp", ".h")) and not rel.startswith(GENERATED):
                    yield rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--clang-format", default=shutil.which("clang-format-14") or "clang-format")
    ap.add_argument("--fix", action="store_true")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    files = sorted(our_files(root))
    if args.fix:
        subprocess.run([args.clang_format, "-i", *files], cwd=root, check=True)
        print(f"check_format: {len(files)} files formatted")
        return 0
    wrong = []
    for f in files:
        with open(os.path.join(root, f), "rb") as fh:
            original = fh.read()
        formatted = subprocess.run([args.clang_format, "--style=file", f"--assume-filename={f}"], input=original,
                                   cwd=root, capture_output=True, check=True).stdout
        if formatted != original:
            wrong.append(f)
    for f in wrong:
        print(f"{f}: not formatted (tools/format/check_format.py --fix)")
    print(f"check_format: {len(files)} files, {len(wrong)} not formatted")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
