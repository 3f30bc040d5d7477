#!/usr/bin/env python3
"""The long fuzz campaign (issue 12): runs each fuzz target of a fuzz build for a number of
executions and prints, per target, the executions done, exec/s, the corpus it ended with, the
coverage of that corpus (libFuzzer's cov and ft) and the findings (crash-*, leak-*, timeout-*,
oom-* files). Usually started by scripts/fuzz_long.sh.

Each target runs as --jobs independent libFuzzer processes of --runs/--jobs executions each,
sharing one corpus directory (new inputs of one process are not seen by the other until the next
target run; that costs a little efficiency, not correctness). After the runs one more pass
(-runs=0) over the whole corpus measures the coverage of its union. Logs, corpora and findings stay
in --out (default build-fuzz/long/<target>/), so a second campaign continues from the first one's
corpus.

--max-len-cap lowers a target's input size limit for the campaign: at 16-20 KB the JSON targets run about
three times as many executions per second as at their 300 KB (which stays in CI, so the frame-size
refusal is still fuzzed there); 20 KB still nests far deeper than the deepest configurable JSON depth and
still exceeds Beast's 16 KiB header limit.

Usage: run_long.py [--build build-fuzz] [--runs 10000000] [--jobs 2] [--max-time SECONDS]
                   [--targets ocpp,upgrade] [--out DIR] [--nice 10] [--max-len-cap BYTES]
Exit status: 0 when no target has a finding, 1 otherwise.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")


def read_targets(build):
    path = os.path.join(build, "tests", "fuzz", "targets.txt")
    targets = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 6:
                name, exe, max_len, dictionary, seeds, regressions = parts
                targets.append(dict(name=name, exe=exe, max_len=int(max_len), dict=dictionary, seeds=seeds,
                                    regressions=regressions))
    return targets


def stats_of(log_text):
    stats = {}
    for key in ("number_of_executed_units", "average_exec_per_sec", "new_units_added", "peak_rss_mb",
                "slowest_unit_time_sec"):
        m = re.findall(rf"stat::{key}:\s+(\d+)", log_text)
        if m:
            stats[key] = int(m[-1])
    return stats


def coverage_of(log_text):
    """cov, ft, corpus units and size of the last status line (INITED/DONE/pulse)."""
    lines = re.findall(r"#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)", log_text)
    if not lines:
        return {}
    cov, ft, units, size = lines[-1]
    return {"cov": int(cov), "ft": int(ft), "corpus_units": int(units), "corpus_size": size}


def findings_in(directory):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(directory, "*"))
                  if os.path.basename(p).startswith(FINDING_PREFIXES))


def run_target(t, args):
    base = os.path.join(args.out, t["name"])
    corpus, artifacts, logs = (os.path.join(base, d) for d in ("corpus", "artifacts", "logs"))
    for d in (corpus, artifacts, logs):
        os.makedirs(d, exist_ok=True)
    # malloc_context_size=0: ASan records no stack for each allocation and free (a fifth of the time of
    # allocation-heavy targets such as config); every bad access is still caught, and a finding is
    # rerun on its own (tests/fuzz/README.md) to get the allocation stacks. quarantine_size_mb=16:
    # freed memory is held back 16 MB deep instead of 256 (a use after free within one input is
    # still caught); recycling the deep quarantine had become a third of a long config run's time.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:malloc_context_size=0:quarantine_size_mb=16",
               UBSAN_OPTIONS="print_stacktrace=1")
    max_len = min(t["max_len"], args.max_len_cap) if args.max_len_cap else t["max_len"]
    # -reload=10: the jobs share their corpus directory; libFuzzer's default rereads it every second,
    # which with a few thousand files costs a tenth of the run.
    common = [f"-max_len={max_len}", "-rss_limit_mb=2048", "-timeout=30", f"-artifact_prefix={artifacts}/",
              "-reload=10", "-print_final_stats=1"]
    nice = ["nice", "-n", str(args.nice)] if args.nice else []
    runs_each = max(1, args.runs // args.jobs)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    procs = []
    started = time.time()
    for job in range(args.jobs):
        log_path = os.path.join(logs, f"{stamp}-job{job}.log")
        cmd = nice + [t["exe"], f"-runs={runs_each}", f"-dict={t['dict']}", f"-seed={int(started) + job}",
                      *common, *([f"-max_total_time={args.max_time}"] if args.max_time else []),
                      corpus, t["seeds"], t["regressions"]]
        log = open(log_path, "w", encoding="utf-8", errors="replace")
        procs.append((subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log, log_path))
    for proc, log, _ in procs:
        proc.wait()
        log.close()
    elapsed = time.time() - started

    executions, exit_codes = 0, []
    for proc, _, log_path in procs:
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            executions += stats_of(fh.read()).get("number_of_executed_units", 0)
        exit_codes.append(proc.returncode)

    # The coverage of the whole corpus (both jobs' inputs and the seeds).
    measure_log = os.path.join(logs, f"{stamp}-coverage.log")
    with open(measure_log, "w", encoding="utf-8") as log:
        subprocess.run(nice + [t["exe"], "-runs=0", *common, corpus, t["seeds"], t["regressions"]],
                       stdout=log, stderr=subprocess.STDOUT, env=env)
    with open(measure_log, encoding="utf-8", errors="replace") as fh:
        coverage = coverage_of(fh.read())
    return {
        "target": t["name"], "max_len": max_len, "executions": executions, "seconds": round(elapsed, 1),
        "exec_per_sec": round(executions / elapsed) if elapsed > 0 else 0, **coverage,
        "findings": findings_in(artifacts), "exit_codes": exit_codes, "logs": logs,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build-fuzz")
    ap.add_argument("--runs", type=int, default=10_000_000, help="executions per target, over all jobs")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-time", type=int, default=0, help="cap per target in seconds (0: none)")
    ap.add_argument("--targets", default="", help="comma-separated names (fuzz_ocpp or ocpp); default all")
    ap.add_argument("--out", default="")
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--max-len-cap", type=int, default=0, help="cap on each target's -max_len (0: none)")
    args = ap.parse_args()
    args.out = args.out or os.path.join(args.build, "long")

    targets = read_targets(args.build)
    if args.targets:
        wanted = {n if n.startswith("fuzz_") else "fuzz_" + n for n in args.targets.split(",")}
        targets = [t for t in targets if t["name"] in wanted]
    results = []
    for t in targets:
        print(f"{t['name']}: {args.runs} executions in {args.jobs} jobs ...", flush=True)
        r = run_target(t, args)
        results.append(r)
        print(f"  {r['executions']} executions in {r['seconds']} s ({r['exec_per_sec']}/s), corpus "
              f"{r.get('corpus_units', '?')} inputs ({r.get('corpus_size', '?')}), cov {r.get('cov', '?')} "
              f"ft {r.get('ft', '?')}, findings {len(r['findings'])} {' '.join(r['findings'])}", flush=True)

    header = f"{'target':<20}{'max_len':>8}{'executions':>12}{'exec/s':>9}{'seconds':>10}{'corpus':>9}{'size':>9}{'cov':>7}{'ft':>8}  findings"
    print("\n" + header)
    for r in results:
        print(f"{r['target']:<20}{r['max_len']:>8}{r['executions']:>12}{r['exec_per_sec']:>9}{r['seconds']:>10}"
              f"{r.get('corpus_units', 0):>9}{r.get('corpus_size', '-'):>9}{r.get('cov', 0):>7}{r.get('ft', 0):>8}  "
              f"{len(r['findings'])} {' '.join(r['findings'])}")
    summary = os.path.join(args.out, "summary.json")
    with open(summary, "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=2)
    print(f"\nsummary: {summary}")
    return 1 if any(r["findings"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
