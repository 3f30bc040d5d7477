#!/usr/bin/env python3
"""bench/run_bench.py without the node: the verdict of each target (met, not met, not at scale, not
measured), the tables it prints from a results file (--from-json), and the helpers that measure
(CPU seconds from /proc, pinning a child to a core, the commit). Python 3 standard library only."""

import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import run_bench  # noqa: E402


def target(part, field):
    return next(t for t in run_bench.TARGETS if t.part == part and t.field == field)


def results_at_scale():
    """Figures as a --full run at the targets' scale would give them."""
    return {
        "idle": {"stations": 19_800, "requested": 19_800, "booted": 19_800, "transport": "ws", "ramp_s": 7.7,
                 "connect_boot_rate_per_s": 2571.0, "rss_kib_per_station": 7.5, "anon_kib_per_station": 6.9},
        "storm": {"stations": 19_800, "booted": 19_800, "transport": "ws", "seconds_from_restart": 4.1,
                  "node_ready_s": 0.15, "complete": True},
        "wss_idle": {"stations": 10_000, "requested": 10_000, "booted": 10_000, "transport": "wss", "ramp_s": 21.2,
                     "connect_boot_rate_per_s": 471.0, "rss_kib_per_station": 84.0, "anon_kib_per_station": 80.0},
        "wss_storm": {"stations": 10_000, "booted": 9_000, "transport": "wss", "seconds_from_restart": 9.0,
                      "node_ready_s": 0.2, "complete": False},
        "durable": {"stations": 2_000, "transaction_events_per_s": 7_197.0, "p99_ms": 438.3,
                    "node_cpu_us_per_call": 88.4, "avg_group_size": 740.4, "max_group_size": 1728,
                    "commits": 73, "avg_commit_ms": 46.0},
        "heartbeat_cpu": {"stations": 2_000, "ratio": 0.61, "server_core": 0, "client_core": 1,
                          "node": {"cpu_us_per_answer": 16.0}, "echo": {"cpu_us_per_answer": 9.8}},
    }


class Verdicts(unittest.TestCase):
    def test_a_figure_beyond_its_limit_is_not_met_and_one_within_it_is_met(self):
        results = results_at_scale()
        self.assertEqual(run_bench.verdict(target("durable", "transaction_events_per_s"), results),
                         ("7,197/s at 2,000", "NOT MET"))
        self.assertEqual(run_bench.verdict(target("idle", "rss_kib_per_station"), results),
                         ("7.5 KiB at 19,800", "met"))
        self.assertEqual(run_bench.verdict(target("heartbeat_cpu", "ratio"), results), ("0.61", "NOT MET"))
        results["heartbeat_cpu"]["ratio"] = 0.85
        self.assertEqual(run_bench.verdict(target("heartbeat_cpu", "ratio"), results)[1], "met")

    def test_a_figure_measured_at_another_scale_gets_no_verdict(self):
        results = results_at_scale()
        results["idle"]["stations"] = 2_000
        measured, said = run_bench.verdict(target("idle", "rss_kib_per_station"), results)
        self.assertEqual(measured, "7.5 KiB")
        self.assertEqual(said, "not at scale: measured at 2,000 stations, the target is for >= 19,800")
        results["wss_idle"]["stations"] = 1_000
        self.assertIn("the target is for 5,000-10,000", run_bench.verdict(target("wss_idle", "rss_kib_per_station"),
                                                                          results)[1])

    def test_a_storm_that_did_not_complete_is_not_met_whatever_its_time(self):
        measured, said = run_bench.verdict(target("wss_storm", "seconds_from_restart"), results_at_scale())
        self.assertEqual(measured, "9.00 s at 10,000")
        self.assertEqual(said, "NOT MET")

    def test_a_wss_storm_without_session_resumption_gets_no_verdict(self):
        results = results_at_scale()
        results["wss_storm"].update(booted=10_000, complete=True, tls_resume=False)
        measured, said = run_bench.verdict(target("wss_storm", "seconds_from_restart"), results)
        self.assertEqual(said, "not the target's setting: measured with --no-tls-resume (full handshakes)")
        results["wss_storm"]["tls_resume"] = True
        self.assertEqual(run_bench.verdict(target("wss_storm", "seconds_from_restart"), results)[1], "met")

    def test_a_part_not_run_or_skipped_says_so(self):
        self.assertEqual(run_bench.verdict(target("durable", "node_cpu_us_per_call"), {}),
                         ("-", "not measured in this run"))
        skipped = {"heartbeat_cpu": {"skipped": "needs two cores"}}
        self.assertEqual(run_bench.verdict(target("heartbeat_cpu", "ratio"), skipped),
                         ("-", "not measured: needs two cores"))


class Tables(unittest.TestCase):
    def test_from_json_prints_every_figure_and_every_target_with_the_commit(self):
        document = {"commit": "abc1234", "profile": {"requested": 19_800, "cap_note": None},
                    "results": results_at_scale()}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(document, f)
        try:
            out = subprocess.run([sys.executable, run_bench.__file__, "--from-json", f.name], capture_output=True,
                                 text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        self.assertIn("targets of issue 13, commit abc1234", out)
        for t in run_bench.TARGETS:
            self.assertIn(t.figure, out)
        self.assertIn("storm: 10,000 wss back after kill -9", out)
        self.assertIn("INCOMPLETE: 9,000 booted", out)
        self.assertIn("88.4 µs per answered CALL", out)

    def test_tables_of_an_empty_run_still_list_the_targets(self):
        buf = io.StringIO()
        with redirect_stdout(buf):
            run_bench.print_tables({"results": {}, "profile": {}})
        self.assertEqual(buf.getvalue().count("not measured in this run"), len(run_bench.TARGETS))


class Helpers(unittest.TestCase):
    def test_cpu_seconds_grow_with_work_done(self):
        before = run_bench.cpu_seconds(os.getpid())
        x = 0
        while run_bench.cpu_seconds(os.getpid()) - before < 0.05:
            x += sum(range(1000))
        self.assertGreater(x, 0)

    def test_a_pinned_child_runs_on_its_core_only(self):
        core = sorted(os.sched_getaffinity(0))[-1]
        with tempfile.TemporaryDirectory() as work:
            log = os.path.join(work, "child.log")
            proc = run_bench.start([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                                   log, cpus={core})
            proc.wait(timeout=30)
            self.assertEqual(run_bench.stop(proc), 0)  # already ended: stop only forgets it
            with open(log, encoding="utf-8") as f:
                self.assertEqual(f.read().strip(), f"[{core}]")

    def test_the_commit_is_named(self):
        commit = run_bench.git_commit()
        self.assertRegex(commit, r"^([0-9a-f]{7,}(-dirty)?|unknown \(not a git checkout\))$")


if __name__ == "__main__":
    unittest.main()
