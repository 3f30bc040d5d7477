#!/usr/bin/env python3
"""The cost of the MQTT hop (issue 6): one cluster against one single node, same client, same machine.

    scripts/build.sh release          # builds build/bin/{evbroker,cs_swarm}; this script builds nothing
    bench/cluster_bench.py            # a minute or two

Figures:
  1. added latency: cs_swarm heartbeat at a fixed, moderate rate (--rate) straight to a single node
     (role all) and through a gateway (gateway -> mosquitto -> manager -> mosquitto -> gateway);
     p50/p99 of each and the difference
  2. throughput of one manager behind two gateways: two cs_swarm runs at once, one per gateway,
     unpaced (every station sends its next CALL when the previous is answered), heartbeat and mixed;
     next to the same total load unpaced against a single node

Starts mosquitto, the node, the manager and the gateways on free loopback ports with fresh data
directories and stops them by PID, also on errors and Ctrl-C. Everything shares this machine's cores:
on 2 cores the cluster's five processes compete with the client, so the throughput figure is a floor.
Prints a table and writes JSON (--json, default cluster-bench-results.json). Python 3 standard library.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402  (process handling and the cs_swarm wrapper are shared)
from run_bench import BenchError, Swarm, free_port, log_tail, start, stop, stop_all  # noqa: E402

# A broker set up for this traffic: Nagle off towards clients (otherwise every message to a
# subscriber can wait 40 ms for a delayed ACK), and room for the QoS 1 messages a busy manager has
# not acknowledged yet (mosquitto's default queue of 1,000 per client drops beyond that).
MOSQUITTO_CONF = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
max_queued_messages 1000000
max_inflight_messages 0
{user}
log_dest stderr
"""


class Mosquitto:
    def __init__(self, work):
        self.port = free_port()
        self.conf = os.path.join(work, "mosquitto.conf")
        self.log = os.path.join(work, "mosquitto.log")
        with open(self.conf, "w", encoding="ascii") as f:
            f.write(MOSQUITTO_CONF.format(port=self.port, user="user root" if os.geteuid() == 0 else ""))
        self.proc = None

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout=20):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(binary):
            raise BenchError("mosquitto is not installed (scripts/install-deps.sh installs it)")
        self.proc = start([binary, "-c", self.conf], self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("mosquitto exited:\n" + log_tail(self.log))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.02)
        raise BenchError("mosquitto did not listen within %d s" % timeout)


class Process:
    """An evbroker process in some role, ready when GET /health answers 200."""

    def __init__(self, binary, work, name, role_args):
        self.name = name
        self.ws_port, self.api_port = free_port(), free_port()
        while self.api_port == self.ws_port:
            self.api_port = free_port()
        self.log = os.path.join(work, name + ".log")
        self.cmd = [binary, "--data-dir", os.path.join(work, name + "-data"), "--ws-addr",
                    f"127.0.0.1:{self.ws_port}", "--api-addr", f"127.0.0.1:{self.api_port}", "--wss-addr", "", "--files-addr", "",
                    "--log-level", "warn"] + role_args
        self.proc = None

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    def health(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=2)
        try:
            conn.request("GET", "/health")
            res = conn.getresponse()
            body = res.read().decode("utf-8", "replace")
            return res.status, (json.loads(body) if body.startswith("{") else {})
        finally:
            conn.close()

    def start(self, timeout=60):
        self.proc = start(self.cmd, self.log)
        self.wait(lambda status, _: status == 200, timeout, "ready")
        return self

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n" + log_tail(self.log))
            try:
                status, body = self.health()
                if predicate(status, body):
                    return
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.05)
        raise BenchError(f"{self.name} not {what} within {timeout} s:\n" + log_tail(self.log))

    def stop(self):
        if self.proc:
            stop(self.proc, timeout=30)
        self.proc = None


def cpu_seconds(proc):
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{proc.pid}/stat", encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(report):
    lat = report["latency_ms"]
    return {"throughput": report["throughput_msgs_per_s"], "p50_ms": lat["p50"], "p99_ms": lat["p99"],
            "errors": run_bench.errors_of(report), "stations": report["stations_connected"]}


def register(swarm, api_url, stations, prefix, ocpp):
    """Registers the stations (and the token) through the management API with cs_swarm --register-only."""
    log_path = os.path.join(swarm.work, f"register-{prefix}.log")
    proc = start([swarm.binary, "--url", "ws://127.0.0.1:1/ws", "--stations", str(stations), "--id-prefix", prefix,
                  "--ocpp", ocpp, "--register", api_url, "--register-only", "--quiet"], log_path)
    code = proc.wait(300)
    run_bench._started.remove(proc)
    if code != 0:
        raise BenchError(f"registering {stations} stations {prefix}* failed:\n" + log_tail(log_path))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--build-dir", default="build", help="where bin/evbroker and bin/cs_swarm are")
    parser.add_argument("--stations", type=int, default=200, help="stations per gateway (default 200)")
    parser.add_argument("--rate", type=int, default=1000, help="CALLs/s for the latency comparison (default 1,000)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (default 10)")
    parser.add_argument("--ocpp", default="mix", choices=["2.0.1", "1.6", "mix"])
    parser.add_argument("--json", default="cluster-bench-results.json")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data, reports)")
    args = parser.parse_args()

    binaries = {name: os.path.join(args.build_dir, "bin", name) for name in ("evbroker", "cs_swarm")}
    for name, path in binaries.items():
        if not os.access(path, os.X_OK):
            sys.exit(f"cluster_bench: {path} not found: build first (scripts/build.sh release), or --build-dir")
    run_bench.raise_fd_limit()
    signal.signal(signal.SIGTERM, run_bench.interrupted)
    work = tempfile.mkdtemp(prefix="evbroker-cluster-bench-")
    swarm = Swarm(binaries["cs_swarm"], work, 0)
    n, d = args.stations, args.duration
    common = ["--ocpp", args.ocpp]
    results = {"stations_per_gateway": n, "rate": args.rate, "duration_s": d, "ocpp": args.ocpp,
               "cores": os.cpu_count()}
    try:
        # ---- the single node: the reference --------------------------------------------------------
        node = Process(binaries["evbroker"], work, "node", []).start()
        register(swarm, node.api_url, 2 * n, "CS", args.ocpp)
        ref = swarm.run("direct-paced", node.ws_url, n, "heartbeat", d, common + ["--rate", str(args.rate)])
        results["direct_paced"] = summary(ref)
        results["direct_unpaced_heartbeat"] = summary(
            swarm.run("direct-unpaced-hb", node.ws_url, 2 * n, "heartbeat", d, common))
        results["direct_unpaced_mixed"] = summary(
            swarm.run("direct-unpaced-mixed", node.ws_url, 2 * n, "mixed", d, common))
        node.stop()

        # ---- the cluster: mosquitto, one manager, two gateways ---------------------------------------
        broker = Mosquitto(work)
        broker.start()
        mqtt = ["--mqtt-url", broker.url]
        manager = Process(binaries["evbroker"], work, "manager", ["--role", "manager", "--node-id", "m1"] + mqtt).start()
        gateways = [Process(binaries["evbroker"], work, f"gw{i}", ["--role", "gateway", "--node-id", f"gw{i}"] + mqtt)
                    .start() for i in (1, 2)]
        register(swarm, manager.api_url, n, "GA", args.ocpp)
        register(swarm, manager.api_url, n, "GB", args.ocpp)
        for gw in gateways:  # the registry reaches the gateways as retained messages
            gw.wait(lambda status, body: status == 200 and body.get("registry", 0) >= 2 * n, 60, "synced")

        hop = swarm.run("gateway-paced", gateways[0].ws_url, n, "heartbeat", d,
                        common + ["--rate", str(args.rate), "--id-prefix", "GA"])
        results["gateway_paced"] = summary(hop)
        results["added_latency_ms"] = {
            "p50": round(hop["latency_ms"]["p50"] - ref["latency_ms"]["p50"], 3),
            "p99": round(hop["latency_ms"]["p99"] - ref["latency_ms"]["p99"], 3)}

        processes = {"mosquitto": broker.proc, "manager": manager.proc,
                     "gateways": [gw.proc for gw in gateways]}

        def cpu_now():
            return {name: sum(cpu_seconds(p) for p in (procs if isinstance(procs, list) else [procs]))
                    for name, procs in processes.items()}

        for scenario in ("heartbeat", "mixed"):
            cpu_before = cpu_now()
            handles = [swarm.start_background(f"two-gw-{scenario}-{gw.name}", gw.ws_url, n, scenario, d,
                                              common + ["--id-prefix", prefix])
                       for gw, prefix in zip(gateways, ("GA", "GB"))]
            reports = []
            for gw, handle in zip(gateways, handles):
                proc = handle[0]
                proc.wait(d + 300)
                run_bench._started.remove(proc)
                reports.append(swarm._report(f"two-gw-{scenario}-{gw.name}", proc.returncode, handle[1], handle[2]))
            cpu_after = cpu_now()
            answered = sum(r["responses"] for r in reports)
            results[f"two_gateways_{scenario}"] = {
                # CPU each part of the cluster spent per 1,000 answered station CALLs (the whole run,
                # ramp included): where the time goes when the machine is the limit.
                "cpu_ms_per_1000_calls": {name: round(1e6 * (cpu_after[name] - cpu_before[name]) / max(answered, 1), 1)
                                          for name in cpu_after},
                "throughput": sum(r["throughput_msgs_per_s"] for r in reports),
                "p50_ms": max(r["latency_ms"]["p50"] for r in reports),
                "p99_ms": max(r["latency_ms"]["p99"] for r in reports),
                "errors": sum(run_bench.errors_of(r) for r in reports),
                "per_gateway": [summary(r) for r in reports]}
        for p in gateways + [manager]:
            p.stop()
        stop(broker.proc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BenchError as e:
        print(f"cluster_bench: {e}", file=sys.stderr)
        return 1
    finally:
        stop_all()
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"results": results, "runs": swarm.runs}, f, indent=2)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")

    def row(label, value, note=""):
        print(f"{label:<52}{value:<22}{note}")
    print(f"\ncluster_bench: {n} stations per gateway, OCPP {args.ocpp}, {d:g} s per run, {os.cpu_count()} cores\n")
    r = results
    row("heartbeat at %d/s, straight to a node" % args.rate,
        f"p50 {r['direct_paced']['p50_ms']:.2f} / p99 {r['direct_paced']['p99_ms']:.2f} ms")
    row("heartbeat at %d/s, through a gateway" % args.rate,
        f"p50 {r['gateway_paced']['p50_ms']:.2f} / p99 {r['gateway_paced']['p99_ms']:.2f} ms")
    row("  added by the MQTT hop", f"p50 {r['added_latency_ms']['p50']:+.2f} / p99 {r['added_latency_ms']['p99']:+.2f} ms")
    for scenario in ("heartbeat", "mixed"):
        two, direct = r[f"two_gateways_{scenario}"], r[f"direct_unpaced_{scenario}"]
        row(f"{scenario} unpaced, 1 manager behind 2 gateways", f"{two['throughput']:,.0f} msgs/s",
            f"p99 {two['p99_ms']:.1f} ms, errors {two['errors']}")
        cpu = two["cpu_ms_per_1000_calls"]
        row("  CPU ms per 1,000 calls", ", ".join(f"{k} {v:g}" for k, v in cpu.items()))
        row(f"{scenario} unpaced, single node ({2 * n} stations)", f"{direct['throughput']:,.0f} msgs/s",
            f"p99 {direct['p99_ms']:.1f} ms, errors {direct['errors']}")
    print(f"\nJSON: {args.json}")
    errors = sum(v.get("errors", 0) for v in r.values() if isinstance(v, dict))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
