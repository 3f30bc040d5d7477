#!/usr/bin/env python3
"""The node benchmark suite (issues 5 and 13): every figure measured in one run, next to its ceiling and
its target.

    scripts/build.sh release          # builds build/bin/{evbroker,cs_swarm,ws_echo}; this script builds nothing
    bench/run_bench.py                # short profile: 2,000 ws and 1,000 wss stations, a few minutes
    bench/run_bench.py --full         # the targets' scale: 19,800 ws stations (or 100,000 where the
                                      # open-file limit allows), 10,000 wss, 15 s probes

Figures (docs/load-testing.md explains each and how to read it):
  1. idle capacity: N ws stations connected and booted, node RSS per station, connect+boot rate
  2. heartbeat and mixed throughput: the highest rate with p99 < 50 ms, and the same search
     against bench/ws_echo (the bare websocket ceiling, same client, same machine)
  3. durable writes: 2.0.1 TransactionEvents (10 sampled values) acknowledged per second with
     fsync on, the average group-commit size from the node's /metrics, and the node's CPU per
     answered CALL (utime+stime from /proc over the run)
  4. storm: time until N stations are reconnected and booted after the node is killed (SIGKILL)
     and started again
  5. latency p50/p99 at 50% of the highest throughput
  6. heartbeat answers per node CPU-second against ws_echo's, each pinned to core 0 with cs_swarm
     on core 1 (the efficiency ratio, free of how the cores are shared)
  7. wss (security profile 2, password; MaEVe's profile 1): idle RSS per station and the storm

Starts the node and ws_echo on free loopback ports with fresh data directories, talks to them
only over their sockets, and stops every process it started by PID, also on errors and Ctrl-C.
Prints the figures, then each target of issue 13 with met / not met and the commit measured, and
writes JSON (--json, default <build-dir>/bench-results.json). Python 3 standard library only.
"""

import argparse
import collections
import http.client
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

P99_LIMIT_MS = 50.0
# Issue 5's capacity goal and its heartbeat rule (the node within half of the bare websocket ceiling).
CAPACITY_STATIONS = 100_000
ECHO_SHARE_TARGET = 0.5

# Issue 13's performance targets, each for the scale it was set at: `part` is the entry of the results
# the figure comes from (its "stations" says how many stations it was measured with), `field` the
# figure in it (absent: not measured), `at` the range of stations a measurement must have been made
# with for a verdict (None: any); outside it the row says at what scale it was measured instead.
Target = collections.namedtuple("Target", "figure op limit unit digits part field at note")

TARGETS = [
    Target("durable TransactionEvents/s, fsync on, 10 sampled values", ">=", 20_000, "/s", 0,
           "durable", "transaction_events_per_s", (2_000, 2_000), None),
    Target("node CPU per answered CALL in that run", "<=", 30, " µs", 1,
           "durable", "node_cpu_us_per_call", (2_000, 2_000), None),
    Target("heartbeat answers per node CPU-s, vs ws_echo's (pinned)", ">=", 0.85, "", 2,
           "heartbeat_cpu", "ratio", None, None),
    Target("idle RSS per connected ws station", "<=", 8, " KiB", 1,
           "idle", "rss_kib_per_station", (19_800, None), None),
    Target("idle RSS per connected wss station (password)", "<=", 16, " KiB", 1,
           "wss_idle", "rss_kib_per_station", (5_000, 10_000), None),
    Target("ws stations back and booted after kill -9 + restart", "<=", 3, " s", 2,
           "storm", "seconds_from_restart", (19_800, None), None),
    Target("wss stations back after kill -9 + restart", "<=", 10, " s", 2,
           "wss_storm", "seconds_from_restart", (10_000, None), None),
]

# The parts of a run, in the order they run (--only picks some).
PARTS = ["idle", "wss", "throughput", "cpu"]

# ---- processes ---------------------------------------------------------------------------------------

_started = []  # every Popen this script started, to stop by PID on any exit


def raise_fd_limit():
    """Children inherit the soft limit: give them the hard one (each station is a socket)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def start(cmd, log_path, cpus=None):
    """Starts cmd with its output in log_path; `cpus` (a set of core numbers) pins it and every thread
    it starts (affinity is inherited), from before its first instruction."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=pin)
    _started.append(proc)
    return proc


def cpu_seconds(pid):
    """utime + stime of a process, all its threads, in seconds (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()  # after "(comm)", which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def git_commit():
    """The commit measured: short hash, "-dirty" when tracked files differ from it."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("-dirty" if dirty else "")


def stop(proc, timeout=30):
    """SIGTERM, wait, SIGKILL: by PID, never by name. Returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in _started:
        _started.remove(proc)
    return proc.returncode


def stop_all():
    for proc in list(_started):
        stop(proc, timeout=10)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path, lines=25):
    try:
        with open(path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


class BenchError(Exception):
    pass


def interrupted(_signum, _frame):
    """SIGTERM ends the run like Ctrl-C: the finally clause stops every process started."""
    raise KeyboardInterrupt()


# ---- the node ----------------------------------------------------------------------------------------

class Node:
    extra_args = []  # --node-arg, for experiments (e.g. --max-pending-handshakes 8192)

    def __init__(self, binary, work, name, tls=False, cpus=None):
        """tls: stations connect over wss (the local PKI's server certificate, made at first start);
        cpus: pin the node to these cores."""
        self.binary = binary
        self.data_dir = os.path.join(work, name + "-data")
        self.log = os.path.join(work, name + ".log")
        self.tls = tls
        self.cpus = cpus
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        self.ws_port, self.wss_port, self.api_port = sorted(ports)
        self.proc = None

    @property
    def ws_url(self):
        if self.tls:
            return f"wss://127.0.0.1:{self.wss_port}/ws"
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    @property
    def pid(self):
        return self.proc.pid

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, ready_timeout=120):
        """Starts the node and waits until GET /health answers; returns the seconds it took."""
        t0 = time.monotonic()
        self.proc = start([self.binary, "--data-dir", self.data_dir, "--ws-addr", f"127.0.0.1:{self.ws_port}",
                           "--api-addr", f"127.0.0.1:{self.api_port}", "--log-level", "warn", "--files-addr", "",
                           # wss is on by default at 9311: a port of its own, or off
                           "--wss-addr", f"127.0.0.1:{self.wss_port}" if self.tls else "",
                           # every simulated station comes from 127.0.0.1, real ones from their own
                           # addresses: the per-address handshake bound would shed the storm
                           "--max-handshakes-per-address", "0"] + Node.extra_args,
                          self.log, self.cpus)
        deadline = t0 + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"evbroker exited with {self.proc.returncode} before it was ready:\n"
                                 + log_tail(self.log))
            try:
                if self.get("/health", timeout=1)[0] == 200:
                    return time.monotonic() - t0
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"evbroker not ready within {ready_timeout} s:\n" + log_tail(self.log))
            time.sleep(0.02)

    def stop(self):
        code = stop(self.proc, timeout=60) if self.proc else 0
        self.proc = None
        return code

    def kill(self):
        """SIGKILL, as a crash or an OOM kill would end it: no close frame, no flush."""
        self.proc.kill()
        self.proc.wait()
        _started.remove(self.proc)
        self.proc = None

    def get(self, path, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            return res.status, res.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def metrics(self):
        """The /metrics text as {"name{labels}": value}."""
        status, text = self.get("/metrics")
        if status != 200:
            raise BenchError(f"GET /metrics answered {status}")
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            try:
                out[name] = float(value)
            except ValueError:
                pass
        return out

    def rss_kib(self):
        """VmRSS and RssAnon of the node process, in KiB."""
        fields = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    fields[key] = int(rest.split()[0])
        return fields


def metric_sum(metrics, name, **labels):
    """Sum of a metric over the series whose labels include `labels`."""
    total = 0.0
    for key, value in metrics.items():
        base, _, label_text = key.partition("{")
        if base != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += value
    return total


def connected_and_booted(node):
    m = node.metrics()
    return (int(metric_sum(m, "evbroker_connections")),
            int(metric_sum(m, "evbroker_station_messages_total", action="BootNotification", outcome="ok")))


# ---- the echo server and the swarm ----------------------------------------------------------------------

class Echo:
    def __init__(self, binary, work, cpus=None):
        self.binary = binary
        self.log = os.path.join(work, "ws_echo.log")
        self.port = free_port()
        self.cpus = cpus
        self.proc = None

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self):
        return self.proc.pid

    def start(self, ready_timeout=30):
        self.proc = start([self.binary, "--addr", f"127.0.0.1:{self.port}"], self.log, self.cpus)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"ws_echo exited with {self.proc.returncode}:\n" + log_tail(self.log))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.02)
        raise BenchError("ws_echo did not listen within %d s" % ready_timeout)

    def stop(self):
        if self.proc:
            stop(self.proc)
        self.proc = None


class Swarm:
    """Runs cs_swarm and reads its JSON report."""

    def __init__(self, binary, work, threads):
        self.binary = binary
        self.work = work
        self.threads = threads
        self.runs = []  # every report, for the JSON file
        self._n = 0

    def command(self, url, stations, scenario, duration, json_path, extra=()):
        cmd = [self.binary, "--url", url, "--stations", str(stations), "--scenario", scenario,
               "--duration", str(duration), "--json", json_path, "--quiet"]
        if self.threads and "--threads" not in extra:
            cmd += ["--threads", str(self.threads)]
        return cmd + list(extra)

    def paths(self, label):
        self._n += 1
        stem = os.path.join(self.work, f"swarm-{self._n:02d}-{label}")
        return stem + ".json", stem + ".log"

    def run(self, label, url, stations, scenario, duration, extra=(), timeout=None, cpus=None):
        json_path, log_path = self.paths(label)
        cmd = self.command(url, stations, scenario, duration, json_path, extra)
        proc = start(cmd, log_path, cpus)
        try:
            proc.wait(timeout or duration + 300)
        except subprocess.TimeoutExpired:
            stop(proc)
            raise BenchError(f"cs_swarm ({label}) did not finish:\n" + log_tail(log_path))
        _started.remove(proc)
        return self._report(label, proc.returncode, json_path, log_path)

    def start_background(self, label, url, stations, scenario, duration, extra=()):
        json_path, log_path = self.paths(label)
        proc = start(self.command(url, stations, scenario, duration, json_path, extra), log_path)
        return proc, json_path, log_path

    def finish_background(self, label, handle, timeout=120):
        proc, json_path, log_path = handle
        proc.send_signal(signal.SIGINT)  # ends the window now; the report is still written
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            raise BenchError(f"cs_swarm ({label}) did not stop after SIGINT:\n" + log_tail(log_path))
        _started.remove(proc)
        return self._report(label, proc.returncode, json_path, log_path)

    def _report(self, label, code, json_path, log_path):
        if code != 0 or not os.path.exists(json_path):
            raise BenchError(f"cs_swarm ({label}) exited with {code}:\n" + log_tail(log_path))
        with open(json_path, encoding="utf-8") as f:
            report = json.load(f)
        report["label"] = label
        self.runs.append(report)
        return report


def errors_of(report):
    return int(report.get("errors_total", 0))


def throughput_ok(report, target_rate):
    """The run met its rate (within 5%) with p99 under the limit and no error."""
    achieved = report["throughput_msgs_per_s"]
    return (report["latency_ms"]["p99"] < P99_LIMIT_MS and errors_of(report) == 0
            and (target_rate == 0 or achieved >= 0.95 * target_rate))


def search_max_rate(swarm, label, url, stations, scenario, duration, steps, extra=()):
    """The highest CALL rate at which p99 stays under 50 ms.

    First unpaced (every station sends its next CALL as soon as the answer arrives), best of two:
    the saturated throughput X. If even that keeps p99 under the limit, X is the figure. Otherwise
    bisect --rate between X/50 and X on a log scale (durable writes can put the answer far below
    X; 5 steps find it within 13%, 7 within 3%); each probe is a fresh cs_swarm run of `duration` s.
    """
    probes = []
    saturated = None
    for attempt in range(2):  # best of two: other load on a shared machine only ever lowers a figure
        report = swarm.run(f"{label}-unpaced{attempt + 1}", url, stations, scenario, duration, extra)
        probes.append({"rate": 0, "achieved": report["throughput_msgs_per_s"], "p99_ms": report["latency_ms"]["p99"],
                       "errors": errors_of(report)})
        if saturated is None or report["throughput_msgs_per_s"] > saturated["throughput_msgs_per_s"]:
            saturated = report
    x = saturated["throughput_msgs_per_s"]
    if throughput_ok(saturated, 0):
        return {"max_rate": x, "limited_by": "saturation (p99 stayed under 50 ms unpaced)",
                "probes": probes, "saturated": x}
    lo, hi, best = x / 50, x, None
    rate = math.sqrt(lo * hi)
    for _ in range(steps):
        report = swarm.run(f"{label}-rate{int(rate)}", url, stations, scenario, duration,
                           list(extra) + ["--rate", str(int(rate))])
        ok = throughput_ok(report, rate)
        probes.append({"rate": int(rate), "achieved": report["throughput_msgs_per_s"],
                       "p99_ms": report["latency_ms"]["p99"], "errors": errors_of(report), "ok": ok})
        if ok:
            lo = rate
            best = report["throughput_msgs_per_s"] if best is None else max(best, report["throughput_msgs_per_s"])
        else:
            hi = rate
        rate = math.sqrt(lo * hi)
    return {"max_rate": best or 0.0, "limited_by": "p99 < 50 ms", "probes": probes, "saturated": x}


# ---- the figures ----------------------------------------------------------------------------------------

BENCH_PASSWORD = "bench-password-0123456789"  # every wss station's (HTTP Basic; at least 16 characters)


def idle_and_storm(binaries, work, swarm, stations, results, tls=False, tls_resume=True):
    """Figures 1 and 4 (7 with tls) on one node: N idle stations, RSS per station, then the node is
    killed and started again on the same data and ports under them. With tls, the stations resume
    their TLS sessions after the restart unless tls_resume is False (every reconnect a full handshake)."""
    kind = "wss" if tls else "ws"
    idle_key, storm_key = ("wss_idle", "wss_storm") if tls else ("idle", "storm")
    # wss stations use a password (security profile 2; cs_swarm registers them for MaEVe's profile 1)
    auth = ["--tls", "--password", BENCH_PASSWORD] if tls else []
    if tls and not tls_resume:
        auth.append("--no-tls-resume")
    node = Node(binaries["evbroker"], work, f"node-idle-{kind}", tls=tls)
    node.start()
    print(f"[{idle_key}] registering {stations} stations", flush=True)
    register = swarm.run(f"{idle_key}-register", node.ws_url, stations, "boot", 0,
                         ["--register", node.api_url, "--register-only", "--register-connections", "64"] + auth)
    time.sleep(1)
    rss0 = node.rss_kib()
    print(f"[{idle_key}] connecting {stations} stations over {kind} (scenario boot)", flush=True)
    t0 = time.monotonic()
    # --reconnect-delay 1: a lost or refused station retries after 0.5-1.5 s
    handle = swarm.start_background(f"{idle_key}-storm", node.ws_url, stations, "boot", 3600,
                                    ["--reconnect-delay", "1", "--max-connecting", "1024"] + auth)
    connected = booted = 0
    deadline = t0 + max(120, stations / 100)
    while time.monotonic() < deadline:
        if handle[0].poll() is not None:
            raise BenchError("cs_swarm ended during the ramp:\n" + log_tail(handle[2]))
        connected, booted = connected_and_booted(node)
        if connected >= stations and booted >= stations:
            break
        time.sleep(0.1)
    ramp_s = time.monotonic() - t0
    time.sleep(2)  # let the last StatusNotifications commit
    rss_n = node.rss_kib()
    connected, booted = connected_and_booted(node)
    idle = {"stations": connected, "requested": stations, "booted": booted, "transport": kind, "ramp_s": ramp_s,
            "connect_boot_rate_per_s": booted / ramp_s if ramp_s > 0 else 0,
            "rss_kib_at_0": rss0, "rss_kib_at_n": rss_n,
            "rss_kib_per_station": (rss_n["VmRSS"] - rss0["VmRSS"]) / max(1, connected),
            "anon_kib_per_station": (rss_n.get("RssAnon", 0) - rss0.get("RssAnon", 0)) / max(1, connected),
            "registration_s": register["registration"]["seconds"] if register.get("registration") else None}
    results[idle_key] = idle
    print(f"[{idle_key}] {connected} connected, {booted} booted in {ramp_s:.1f} s; "
          f"RSS {rss0['VmRSS']} -> {rss_n['VmRSS']} KiB ({idle['rss_kib_per_station']:.1f} KiB/station)", flush=True)

    print(f"[{storm_key}] killing the node (SIGKILL) under the connected stations and starting it again", flush=True)
    node.kill()
    t_restart = time.monotonic()
    ready_s = node.start()
    connected = booted = 0
    deadline = t_restart + 600
    while time.monotonic() < deadline:
        connected, booted = connected_and_booted(node)
        if connected >= stations and booted >= stations:
            break
        time.sleep(0.05)
    storm_s = time.monotonic() - t_restart
    report = swarm.finish_background(f"{idle_key}-storm", handle)
    results[storm_key] = {"stations": stations, "reconnected": connected, "booted": booted, "transport": kind,
                          "seconds_from_restart": storm_s, "node_ready_s": ready_s, "stop": "SIGKILL",
                          "swarm_recovery_s": report["recovery"]["seconds"],
                          "complete": connected >= stations and booted >= stations}
    if tls:
        results[storm_key].update(tls_resume=tls_resume, connects=report.get("connects"),
                                  tls_resumed=report.get("tls_resumed"))
    print(f"[{storm_key}] node ready after {ready_s:.2f} s; {booted}/{stations} booted again {storm_s:.2f} s after "
          f"the restart began (cs_swarm: {report['recovery']['seconds']} s from first drop)"
          + (f"; {report.get('tls_resumed')} of {report.get('connects')} TLS connections resumed" if tls else ""),
          flush=True)
    node.stop()


def throughput(binaries, work, swarm, stations, duration, steps, results):
    """Figures 2, 3 and 5 on one node, then the echo ceiling."""
    node = Node(binaries["evbroker"], work, "node-throughput")
    node.start()
    swarm.run("throughput-register", node.ws_url, stations, "boot", 0,
              ["--register", node.api_url, "--register-only", "--register-connections", "64"])

    print(f"[heartbeat] searching the highest rate with p99 < {P99_LIMIT_MS:.0f} ms ({stations} stations)", flush=True)
    hb = search_max_rate(swarm, "heartbeat", node.ws_url, stations, "heartbeat", duration, steps)
    print(f"[heartbeat] {hb['max_rate']:.0f} msgs/s (unpaced {hb['saturated']:.0f})", flush=True)

    # The ceiling right after the node's figure, so both see the same machine (the idle node stays up).
    echo = Echo(binaries["ws_echo"], work)
    echo.start()
    print("[echo] the same heartbeat search against ws_echo (transport ceiling)", flush=True)
    ceiling = search_max_rate(swarm, "echo-heartbeat", echo.ws_url, stations, "heartbeat", duration, steps)
    echo.stop()
    print(f"[echo] {ceiling['max_rate']:.0f} msgs/s (unpaced {ceiling['saturated']:.0f})", flush=True)

    print("[mixed] searching the highest rate with p99 < 50 ms (--ocpp mix)", flush=True)
    mixed = search_max_rate(swarm, "mixed", node.ws_url, stations, "mixed", duration, steps, ["--ocpp", "mix"])
    print(f"[mixed] {mixed['max_rate']:.0f} msgs/s (unpaced {mixed['saturated']:.0f})", flush=True)

    print("[durable] TransactionEvents with 10 sampled values, fsync on", flush=True)
    before = node.metrics()
    cpu_before = cpu_seconds(node.pid)
    tx = swarm.run("durable", node.ws_url, stations, "transactions", duration, ["--ocpp", "2.0.1"])
    node_cpu_s = cpu_seconds(node.pid) - cpu_before
    after = node.metrics()
    commits = metric_sum(after, "evbroker_store_commits_total") - metric_sum(before, "evbroker_store_commits_total")
    operations = (metric_sum(after, "evbroker_store_operations_total")
                  - metric_sum(before, "evbroker_store_operations_total"))
    events = tx["window"]["by_action"].get("TransactionEvent", 0)
    durable = {"stations": stations,
               "transaction_events_per_s": events / tx["duration_s"] if tx["duration_s"] else 0,
               # over the whole cs_swarm run (ramp included), per CALL answered in it
               "node_cpu_s": node_cpu_s, "answered_calls": tx["responses"],
               "node_cpu_us_per_call": 1e6 * node_cpu_s / tx["responses"] if tx["responses"] else None,
               "p99_ms": tx["latency_ms"]["p99"], "errors": errors_of(tx), "commits": commits,
               "operations": operations, "avg_group_size": operations / commits if commits else 0,
               "avg_commit_ms": 1000 * (metric_sum(after, "evbroker_store_commit_seconds_sum")
                                        - metric_sum(before, "evbroker_store_commit_seconds_sum")) / commits
               if commits else 0,
               "max_group_size": metric_sum(after, "evbroker_store_max_group_size")}
    print(f"[durable] {durable['transaction_events_per_s']:.0f} TransactionEvents/s, "
          f"average group {durable['avg_group_size']:.1f}, node CPU {fmt(durable['node_cpu_us_per_call'], 1)} µs "
          "per answered CALL", flush=True)

    print("[latency] at 50% of the highest rates", flush=True)
    latency = {}
    for name, found, scenario, extra in (("heartbeat", hb, "heartbeat", []), ("mixed", mixed, "mixed", ["--ocpp", "mix"])):
        rate = int(found["max_rate"] / 2)
        if rate <= 0:
            continue
        r = swarm.run(f"latency-{name}", node.ws_url, stations, scenario, duration, extra + ["--rate", str(rate)])
        latency[name] = {"rate": rate, "achieved": r["throughput_msgs_per_s"], "p50_ms": r["latency_ms"]["p50"],
                         "p99_ms": r["latency_ms"]["p99"], "errors": errors_of(r)}
    node.stop()
    results.update({"heartbeat": hb, "mixed": mixed, "durable": durable, "latency_at_half": latency,
                    "echo_heartbeat": ceiling})


def heartbeat_cpu(binaries, work, swarm, stations, duration, results):
    """Figure 6: heartbeats answered per CPU-second of the node and of ws_echo, each alone on core 0
    with cs_swarm (one I/O thread) on core 1, unpaced for `duration` s. CPU is utime+stime from
    /proc over the whole cs_swarm run, answers are every CALL cs_swarm got an answer to in it (the
    boot sequence included, the same for both)."""
    if (os.cpu_count() or 1) < 2 or len(os.sched_getaffinity(0)) < 2:
        results["heartbeat_cpu"] = {"skipped": "needs two cores: the server on one, cs_swarm on the other"}
        print("[heartbeat-cpu] skipped: needs two cores", flush=True)
        return
    server_core, client_core = sorted(os.sched_getaffinity(0))[:2]
    pinned = ["--threads", "1"]

    def measure(label, server):
        cpu_before = cpu_seconds(server.pid)
        report = swarm.run(label, server.ws_url, stations, "heartbeat", duration, pinned, cpus={client_core})
        cpu_s = cpu_seconds(server.pid) - cpu_before
        return {"answers": report["responses"], "cpu_s": cpu_s, "errors": errors_of(report),
                "answers_per_cpu_s": report["responses"] / cpu_s if cpu_s > 0 else None,
                "cpu_us_per_answer": 1e6 * cpu_s / report["responses"] if report["responses"] else None,
                "throughput_msgs_per_s": report["throughput_msgs_per_s"]}

    node = Node(binaries["evbroker"], work, "node-pinned", cpus={server_core})
    node.start()
    swarm.run("pinned-register", node.ws_url, stations, "boot", 0,
              ["--register", node.api_url, "--register-only", "--register-connections", "64"])
    print(f"[heartbeat-cpu] node on core {server_core}, cs_swarm on core {client_core}", flush=True)
    of_node = measure("pinned-heartbeat-node", node)
    node.stop()
    echo = Echo(binaries["ws_echo"], work, cpus={server_core})
    echo.start()
    of_echo = measure("pinned-heartbeat-echo", echo)
    echo.stop()
    ratio = (of_node["answers_per_cpu_s"] / of_echo["answers_per_cpu_s"]
             if of_node["answers_per_cpu_s"] and of_echo["answers_per_cpu_s"] else None)
    results["heartbeat_cpu"] = {"stations": stations, "node": of_node, "echo": of_echo, "ratio": ratio,
                                "server_core": server_core, "client_core": client_core}
    print(f"[heartbeat-cpu] node {fmt(of_node['answers_per_cpu_s'])} answers per CPU-s, ws_echo "
          f"{fmt(of_echo['answers_per_cpu_s'])}: ratio {fmt(ratio, 2)}", flush=True)


# ---- output ------------------------------------------------------------------------------------------------

def fmt(n, digits=0):
    return f"{n:,.{digits}f}" if isinstance(n, (int, float)) else str(n)


def columns(header, rows):
    """Rows of strings as left-aligned columns under a header, the last column unpadded."""
    widths = [max(len(r[i]) for r in [header] + rows) + 2 for i in range(len(header) - 1)]
    line = lambda r: "".join(f"{c:<{w}}" for c, w in zip(r, widths)) + r[-1]
    return "\n".join([line(header), "-" * (sum(widths) + 40)] + [line(r) for r in rows])


def idle_rows(idle, storm, profile):
    rows = []
    kind = idle["transport"]
    if kind == "ws":
        capped = f" (requested {fmt(profile['requested'])}; {profile['cap_note']})" if profile.get("cap_note") else ""
        rows.append(("idle: ws stations connected + booted", fmt(idle["booted"]),
                     f"goal {fmt(CAPACITY_STATIONS)}{capped}"))
    else:
        rows.append(("idle: wss stations connected + booted", fmt(idle["booted"]), f"of {fmt(idle['requested'])}"))
    rows.append((f"idle: node RSS per connected {kind} station", f"{idle['rss_kib_per_station']:.1f} KiB",
                 f"anon {idle['anon_kib_per_station']:.1f} KiB"))
    rows.append((f"idle: {kind} connect + boot rate", f"{fmt(idle['connect_boot_rate_per_s'])} /s", "-"))
    if storm:
        done = "" if storm["complete"] else f" INCOMPLETE: {fmt(storm['booted'])} booted"
        rows.append((f"storm: {fmt(storm['stations'])} {kind} back after kill -9",
                     f"{storm['seconds_from_restart']:.2f} s{done}", f"node ready {storm['node_ready_s']:.2f} s"))
        if kind == "wss":
            how = "resumed" if storm.get("tls_resume", True) else "full handshakes (--no-tls-resume)"
            rows.append(("storm: TLS sessions resumed", f"{fmt(storm.get('tls_resumed') or 0)} of "
                         f"{fmt(storm.get('connects') or 0)} connects", how))
    return rows


def table(results, profile):
    """The figures next to their ceilings."""
    rows = []
    if results.get("idle"):
        rows += idle_rows(results["idle"], results.get("storm"), profile)
    if results.get("wss_idle"):
        rows += idle_rows(results["wss_idle"], results.get("wss_storm"), profile)
    hb, echo = results.get("heartbeat"), results.get("echo_heartbeat")
    if hb and echo:
        share = hb["max_rate"] / echo["max_rate"] if echo["max_rate"] else 0
        rows.append((f"heartbeat: max msgs/s, p99 < {P99_LIMIT_MS:.0f} ms", fmt(hb["max_rate"]),
                     f"echo ceiling {fmt(echo['max_rate'])}: {share:.0%} (goal >= {ECHO_SHARE_TARGET:.0%})"))
        share = hb["saturated"] / echo["saturated"] if echo["saturated"] else 0
        rows.append(("heartbeat: unpaced (saturated) msgs/s", fmt(hb["saturated"]),
                     f"echo unpaced {fmt(echo['saturated'])}: {share:.0%}"))
    cpu = results.get("heartbeat_cpu")
    if cpu and not cpu.get("skipped"):
        rows.append(("heartbeat, pinned: node CPU per answer", f"{fmt(cpu['node']['cpu_us_per_answer'], 1)} µs",
                     f"ws_echo {fmt(cpu['echo']['cpu_us_per_answer'], 1)} µs (each on core {cpu['server_core']}, "
                     f"cs_swarm on core {cpu['client_core']})"))
    if results.get("mixed"):
        rows.append((f"mixed: max msgs/s, p99 < {P99_LIMIT_MS:.0f} ms", fmt(results["mixed"]["max_rate"]),
                     f"unpaced {fmt(results['mixed']['saturated'])}; no echo ceiling (it answers heartbeats only)"))
    d = results.get("durable")
    if d:
        rows.append(("durable TransactionEvents/s (fsync on)", fmt(d["transaction_events_per_s"]),
                     f"p99 {d['p99_ms']:.1f} ms; node CPU {fmt(d['node_cpu_us_per_call'], 1)} µs per answered CALL"))
        rows.append(("  average group-commit size", f"{d['avg_group_size']:.1f}",
                     f"max {fmt(d['max_group_size'])}; {fmt(d['commits'])} commits of {d['avg_commit_ms']:.1f} ms"))
    for name, lat in results.get("latency_at_half", {}).items():
        rows.append((f"latency at 50% of max ({name})", f"p50 {lat['p50_ms']:.2f} / p99 {lat['p99_ms']:.2f} ms",
                     f"at {fmt(lat['rate'])} msgs/s"))
    return columns(("figure", "measured", "ceiling / context"), rows) if rows else ""


def verdict(target, results):
    """(measured text, verdict text) of one target."""
    part = results.get(target.part) or {}
    value = part.get(target.field)
    if part.get("skipped"):
        return "-", "not measured: " + part["skipped"]
    if value is None:
        return "-", "not measured in this run"
    measured = fmt(value, target.digits) + target.unit
    if target.at:
        low, high = target.at
        stations = part.get("stations") or 0
        if stations < low or (high is not None and stations > high):
            scale = fmt(low) if high == low else (f"{fmt(low)}-{fmt(high)}" if high else f">= {fmt(low)}")
            return measured, f"not at scale: measured at {fmt(stations)} stations, the target is for {scale}"
        measured += f" at {fmt(stations)}"
    if part.get("tls_resume") is False:  # the target is for stations that resume their sessions
        return measured, "not the target's setting: measured with --no-tls-resume (full handshakes)"
    met = value >= target.limit if target.op == ">=" else value <= target.limit
    if target.part.endswith("storm") and not part.get("complete", True):
        met = False
    text = "met" if met else "NOT MET"
    return measured, text + (f" ({target.note})" if target.note and not met else "")


def target_table(results, commit):
    rows = []
    for t in TARGETS:
        measured, said = verdict(t, results)
        rows.append((t.figure, measured, f"{t.op} {fmt(t.limit, 0 if isinstance(t.limit, int) else 2)}{t.unit}", said))
    return f"targets of issue 13, commit {commit}\n" + columns(("target", "measured", "target", "verdict"), rows)


def print_tables(document):
    results = document.get("results") or {}
    if results:
        print()
        print(table(results, document["profile"]))
    print()
    print(target_table(results, document.get("commit", "unknown")))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--build-dir", default="build", help="where bin/evbroker, bin/cs_swarm, bin/ws_echo are")
    parser.add_argument("--full", action="store_true",
                        help="100,000 ws stations for the idle and storm figures (capped by the open-file limit), "
                             "10,000 wss, 15 s probes, 7 bisection steps")
    parser.add_argument("--stations", type=int, help="ws stations for the idle and storm figures (default 2,000; --full 100,000)")
    parser.add_argument("--wss-stations", type=int,
                        help="wss stations for their idle and storm figures (default 1,000; --full 10,000)")
    parser.add_argument("--no-tls-resume", action="store_true",
                        help="wss stations reconnect with full TLS handshakes (cs_swarm --no-tls-resume), to compare "
                             "the storm with and without session resumption")
    parser.add_argument("--throughput-stations", type=int,
                        help="stations for the throughput and latency figures (default 2,000)")
    parser.add_argument("--duration", type=float, help="seconds per throughput probe (default 5; --full 15)")
    parser.add_argument("--steps", type=int, help="bisection steps per rate search (default 5; --full 7)")
    parser.add_argument("--swarm-threads", type=int, default=0, help="cs_swarm --threads (default: one per core)")
    parser.add_argument("--json", help="where to write the results (default <build-dir>/bench-results.json)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data, reports)")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="run only this part (repeat for several): " + ", ".join(PARTS))
    parser.add_argument("--from-json", metavar="FILE",
                        help="run nothing: print the tables of an earlier run's results file")
    parser.add_argument("--node-arg", action="append", default=[],
                        help="extra argument for every evbroker started (repeat; e.g. --node-arg=--no-sync)")
    args = parser.parse_args()
    Node.extra_args = args.node_arg
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            document = json.load(f)
        print_tables(document)
        return 0

    bin_dir = os.path.join(args.build_dir, "bin")
    binaries = {name: os.path.abspath(os.path.join(bin_dir, name)) for name in ("evbroker", "cs_swarm", "ws_echo")}
    missing = [p for p in binaries.values() if not os.access(p, os.X_OK)]
    if missing:
        print("missing: " + ", ".join(missing) + "\nbuild them first, e.g. scripts/build.sh release "
              "(or cmake --build build --target evbroker cs_swarm ws_echo)", file=sys.stderr)
        return 1

    hard = raise_fd_limit()
    requested = args.stations or (100_000 if args.full else 2_000)
    # Each station is one socket in cs_swarm and one in the node, and both processes get this limit.
    fits = max(1, hard - 200)
    stations = min(requested, fits)
    wss_stations = min(args.wss_stations or (10_000 if args.full else 1_000), fits)
    cap_note = None
    if stations < requested:
        cap_note = f"open-file hard limit {fmt(hard)} allows {fmt(stations)}"
        print(f"NOTE: {fmt(requested)} stations requested, but the open-file hard limit is {fmt(hard)} "
              f"(ulimit -Hn): measuring {fmt(stations)}. Raise the hard limit to measure more.", flush=True)
    profile = {"name": "full" if args.full else "short", "requested": requested, "stations": stations,
               "wss_stations": wss_stations, "node_args": args.node_arg,
               "fd_hard_limit": hard, "cap_note": cap_note,
               "throughput_stations": args.throughput_stations or 2_000,
               "duration_s": args.duration or (15.0 if args.full else 5.0),
               "steps": args.steps or (7 if args.full else 5)}

    # Everything shares the machine's cores (node, cs_swarm, ws_echo): other load skews every figure.
    load_before = os.getloadavg()
    if load_before[0] > (os.cpu_count() or 1) * 0.5:
        print(f"NOTE: load average {load_before[0]:.1f} on {os.cpu_count()} cores before the run: "
              "other processes will depress the figures", flush=True)
    work = tempfile.mkdtemp(prefix="evbroker-bench-")
    swarm = Swarm(binaries["cs_swarm"], work, args.swarm_threads)
    results = {}
    started = time.monotonic()
    previous_term = signal.signal(signal.SIGTERM, interrupted)
    failed = None
    parts = args.only or PARTS
    try:
        if "idle" in parts:
            idle_and_storm(binaries, work, swarm, stations, results)
        if "wss" in parts:
            idle_and_storm(binaries, work, swarm, wss_stations, results, tls=True, tls_resume=not args.no_tls_resume)
        if "throughput" in parts:
            throughput(binaries, work, swarm, profile["throughput_stations"], profile["duration_s"],
                       profile["steps"], results)
        if "cpu" in parts:
            heartbeat_cpu(binaries, work, swarm, profile["throughput_stations"], profile["duration_s"], results)
    except (BenchError, KeyboardInterrupt) as e:
        failed = str(e) or type(e).__name__
        print(f"\nbenchmark stopped: {failed}", file=sys.stderr)
    finally:
        stop_all()
        signal.signal(signal.SIGTERM, previous_term)

    machine = {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version(),
               "load_average_before": load_before, "load_average_after": os.getloadavg()}
    commit = git_commit()
    verdicts = [dict(t._asdict(), measured=m, verdict=v) for t in TARGETS for m, v in [verdict(t, results)]]
    document = {"commit": commit, "profile": profile, "machine": machine, "seconds": time.monotonic() - started,
                "results": results, "error": failed, "targets": verdicts, "runs": swarm.runs}
    json_path = args.json or os.path.join(args.build_dir, "bench-results.json")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)
    print_tables(document)
    print(f"\n{profile['name']} profile, {os.cpu_count()} cores, load average {load_before[0]:.1f} before and "
          f"{machine['load_average_after'][0]:.1f} after, {time.monotonic() - started:.0f} s; "
          f"results in {json_path}" + (f"; logs in {work}" if args.keep or failed else ""))
    if not args.keep and not failed:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
