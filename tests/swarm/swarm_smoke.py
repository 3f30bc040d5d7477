#!/usr/bin/env python3
"""Smoke test of cs_swarm against the real node.

Starts evbroker on free loopback ports with a fresh data directory, waits for GET /health, runs
cs_swarm for ~5 s (50 stations, scenario mixed, --ocpp mix, --register, a password) and checks
its JSON report: every station connected, calls made, no CALLERROR, no invalid answer, no timeout.
Standalone (standard library only) so it needs nothing from tests/e2e.

    python3 tests/swarm/swarm_smoke.py --evbroker build/bin/evbroker --cs-swarm build/bin/cs_swarm
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from swarm_common import free_ports, get, stop, tail

STATIONS = 50
READY_TIMEOUT_S = 30
SWARM_TIMEOUT_S = 120


def check(report):
    """The failures, as readable lines; empty when the report is good."""
    failures = []
    if report.get("stations_connected") != STATIONS:
        failures.append(f"stations_connected is {report.get('stations_connected')}, expected {STATIONS}")
    if report.get("call_errors") != {}:
        failures.append(f"call_errors: {report.get('call_errors')}")
    if report.get("timeouts") != 0:
        failures.append(f"timeouts: {report.get('timeouts')}")
    if not report.get("calls", 0) > 0:
        failures.append("no calls were made")
    if report.get("invalid_responses") != {}:
        failures.append(f"invalid_responses: {report.get('invalid_responses')}")
    by_action = report.get("window", {}).get("by_action", {})
    # --ocpp mix: both versions must have been exercised (StartTransaction is 1.6 only,
    # TransactionEvent 2.0.1 only).
    for action in ("StartTransaction", "TransactionEvent"):
        if by_action.get(action, 0) == 0:
            failures.append(f"no {action} answered in the window: {by_action}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evbroker", required=True)
    parser.add_argument("--cs-swarm", required=True)
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="evbroker-swarm-smoke-")
    node = None
    ok = False
    try:
        ws_port, api_port = free_ports(2)
        node_log = os.path.join(root, "node.log")
        with open(node_log, "wb") as log:
            node = subprocess.Popen([args.evbroker, "--data-dir", os.path.join(root, "data"),
                                     "--ws-addr", f"127.0.0.1:{ws_port}", "--api-addr", f"127.0.0.1:{api_port}",
                                     "--wss-addr", "", "--files-addr", "",  # on by default: off, so tests never compete
                                     "--log-level", "warn"],
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while get(api_port, "/health")[0] != 200:
            if node.poll() is not None:
                print(f"evbroker exited with {node.returncode} before it was ready\n{tail(node_log)}")
                return 1
            if time.monotonic() > deadline:
                print(f"evbroker not ready within {READY_TIMEOUT_S} s\n{tail(node_log)}")
                return 1
            time.sleep(0.05)

        report_path = os.path.join(root, "swarm.json")
        command = [args.cs_swarm, "--url", f"ws://127.0.0.1:{ws_port}/ws", "--stations", str(STATIONS),
                   "--scenario", "mixed", "--ocpp", "mix", "--register", f"http://127.0.0.1:{api_port}",
                   "--password", "smoke-test-secret", "--duration", "5", "--json", report_path]
        print("$ " + " ".join(command), flush=True)
        swarm = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=SWARM_TIMEOUT_S, check=False)
        print(swarm.stdout.decode("utf-8", "replace"))
        if swarm.returncode != 0:
            print(f"cs_swarm exited with {swarm.returncode}\n{tail(node_log)}")
            return 1
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
        failures = check(report)
        if failures:
            print("FAILED:\n  " + "\n  ".join(failures) + f"\n--- node log ---\n{tail(node_log)}")
            return 1
        print(f"ok: {report['stations_connected']} stations, {report['calls']} calls, "
              f"{report['throughput_msgs_per_s']:.0f} msgs/s, p99 {report['latency_ms']['p99']:.1f} ms")
        ok = True
        return 0
    finally:
        if node is not None:
            stop(node)
        if ok or not os.environ.get("EVBROKER_E2E_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")


if __name__ == "__main__":
    sys.exit(main())
