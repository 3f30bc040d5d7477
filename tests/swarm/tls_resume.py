#!/usr/bin/env python3
"""wss stations resume their TLS sessions after the node is killed and started again.

Starts evbroker with a wss listener on free loopback ports and a fresh data directory, connects
20 cs_swarm stations over wss with a password (security profile 2), waits until all booted, kills
the node (SIGKILL), starts it again on the same data directory and waits until all booted again.
The session ticket keys are in the data directory (pki/tls-ticket-keys), so every reconnect must
resume its TLS session: cs_swarm's report counts 2 x 20 connects (or more) of which all but the
first 20 resumed. Then the same with --no-tls-resume must resume none (the figure is real, not a
constant).

    python3 tests/swarm/tls_resume.py --evbroker build/bin/evbroker --cs-swarm build/bin/cs_swarm
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from swarm_common import free_ports, get, stop, tail

STATIONS = 20
PASSWORD = "resume-test-secret"
READY_TIMEOUT_S = 30
BOOT_TIMEOUT_S = 60


def booted(api_port):
    """BootNotifications answered since the node started (the /metrics counter)."""
    status, text = get(api_port, "/metrics")
    if status != 200:
        return 0
    total = 0.0
    for line in text.splitlines():
        if line.startswith("evbroker_station_messages_total{") and 'action="BootNotification"' in line \
                and 'outcome="ok"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


class Node:
    def __init__(self, binary, root):
        self.binary = binary
        self.root = root
        self.ws_port, self.wss_port, self.api_port = free_ports(3)
        self.log = os.path.join(root, "node.log")
        self.proc = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "--data-dir", os.path.join(self.root, "data"),
                 "--ws-addr", f"127.0.0.1:{self.ws_port}", "--wss-addr", f"127.0.0.1:{self.wss_port}",
                 "--api-addr", f"127.0.0.1:{self.api_port}", "--files-addr", "", "--log-level", "warn"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while get(self.api_port, "/health")[0] != 200:
            if self.proc.poll() is not None:
                raise RuntimeError(f"evbroker exited with {self.proc.returncode}\n{tail(self.log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"evbroker not ready within {READY_TIMEOUT_S} s\n{tail(self.log)}")
            time.sleep(0.05)

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        stop(self.proc)


def wait_booted(node, count, swarm, swarm_log):
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while booted(node.api_port) < count:
        if swarm.poll() is not None:
            raise RuntimeError(f"cs_swarm ended early ({swarm.returncode})\n{tail(swarm_log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {booted(node.api_port)} of {count} stations booted within "
                               f"{BOOT_TIMEOUT_S} s\n{tail(node.log)}\n--- cs_swarm ---\n{tail(swarm_log)}")
        time.sleep(0.05)


def run(args, root, resume):
    """One node, one swarm, one kill -9 and restart; returns cs_swarm's report."""
    node = Node(args.evbroker, root)
    swarm = None
    try:
        node.start()
        url = f"wss://127.0.0.1:{node.wss_port}/ws"
        common = [args.cs_swarm, "--url", url, "--stations", str(STATIONS), "--password", PASSWORD]
        reg = subprocess.run(common + ["--register", f"http://127.0.0.1:{node.api_port}", "--register-only"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False)
        if reg.returncode != 0:
            raise RuntimeError("registration failed:\n" + reg.stdout.decode("utf-8", "replace"))
        report_path = os.path.join(root, "swarm.json")
        swarm_log = os.path.join(root, "swarm.log")
        command = common + ["--scenario", "boot", "--duration", "3600", "--reconnect-delay", "0.2",
                            "--json", report_path] + ([] if resume else ["--no-tls-resume"])
        print("$ " + " ".join(command), flush=True)
        with open(swarm_log, "wb") as log:
            swarm = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_booted(node, STATIONS, swarm, swarm_log)
        node.kill()
        node.start()  # same data directory and ports: the same ticket keys
        wait_booted(node, STATIONS, swarm, swarm_log)
        swarm.send_signal(signal.SIGINT)  # ends the run; the report is still written
        swarm.wait(60)
        print(tail(swarm_log, 20))
        if swarm.returncode != 0:
            raise RuntimeError(f"cs_swarm exited with {swarm.returncode}")
        with open(report_path, encoding="utf-8") as f:
            return json.load(f)
    finally:
        if swarm is not None and swarm.poll() is None:
            swarm.kill()
            swarm.wait()
        node.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evbroker", required=True)
    parser.add_argument("--cs-swarm", required=True)
    args = parser.parse_args()
    failures = []
    for resume in (True, False):
        root = tempfile.mkdtemp(prefix="evbroker-tls-resume-")
        try:
            report = run(args, root, resume)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"FAILED ({'resume' if resume else '--no-tls-resume'}): {e}")
            return 1
        finally:
            shutil.rmtree(root, ignore_errors=True)
        connects, resumed = report.get("connects"), report.get("tls_resumed")
        print(f"{'resume' if resume else '--no-tls-resume'}: {resumed} of {connects} connections resumed")
        if not isinstance(connects, int) or connects < 2 * STATIONS:
            failures.append(f"{connects} connects, expected at least {2 * STATIONS} (each station once, then again)")
            continue
        # Every connection after a station's first resumes (a station may have reconnected more than
        # once around the restart); none does with --no-tls-resume.
        expected = connects - STATIONS if resume else 0
        if resumed != expected:
            failures.append(f"{resumed} TLS sessions resumed, expected {expected} "
                            f"({'every reconnect' if resume else 'none with --no-tls-resume'})")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
