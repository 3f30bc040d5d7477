"""A small evbroker cluster for the end-to-end tests: one Mosquitto broker, gateways and a manager,
each a real process, plus an MQTT observer/injector built on mosquitto_sub / mosquitto_pub.

    cluster = Cluster(gateways=("gw1", "gw2")).start()
    try:
        cluster.register_station("CS1", password="pw")        # on the manager; waits for the gateways
        client = cluster.gateway("gw1").connect("CS1", "ocpp2.0.1", password="pw")
        with cluster.observer() as wire:                      # sees everything on cs/#
            client.call("Heartbeat", {})
            wire.wait_for(lambda m: m.topic.startswith("cs/out/"))
    finally:
        cluster.stop()

Where the machine allows it (running as root, `ip netns add` works), each process runs in its own
network namespace, joined to the others by veth pairs on a Linux bridge in the root namespace, and
listens on its namespace's address; the tests talk to them from the root namespace over the bridge.
Otherwise everything runs on loopback ports. The mode that ran is printed ("[cluster] mode ...").

The observer runs `mosquitto_sub -V mqttv5 -F %j`: one JSON line per message with topic, qos, retain,
payload and the MQTT 5 properties (content-type, correlation-data, response-topic, user-properties).
(mosquitto_sub 2.0.11 also prints them one by one: %t topic, %p payload, %C content type,
%D correlation data, %R response topic, %P user properties as name:value.)

Environment:
  EVBROKER_CLUSTER_NETNS  1: namespaces (fail when impossible), 0: loopback, unset/auto: try namespaces
  CI                      when set, a missing mosquitto / mosquitto-clients fails instead of skipping
  EVBROKER_E2E_KEEP=1     keep the temporary directory (node, broker and observer logs)
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness import NO_TOKEN, Node, NodeError, free_port, keep_files

# Every cluster node gets this management-API token: an API on a namespace address (not loopback)
# must have one, and using it on loopback too keeps both modes alike.
API_TOKEN = "cluster-e2e-token"
PREFIX = "cs"
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

_live = set()  # clusters, networks and processes not cleaned up yet (atexit safety net)


def log(text):
    print(f"[cluster] {text}", file=sys.stderr, flush=True)


def in_ci():
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_tool(names, package):
    """The path of the first existing tool; SkipTest when missing (a failure under CI)."""
    for name in names:
        path = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if path:
            return path
    message = f"{names[0]} is not installed (Debian package {package}; scripts/install-deps.sh installs it)"
    if in_ci():
        raise RuntimeError(f"CI is set and {message}: the cluster tests cannot run")
    raise unittest.SkipTest(message)


def mosquitto_binary():
    return require_tool(["/usr/sbin/mosquitto", "mosquitto"], "mosquitto")


def mosquitto_sub_binary():
    return require_tool(["mosquitto_sub"], "mosquitto-clients")


def mosquitto_pub_binary():
    return require_tool(["mosquitto_pub"], "mosquitto-clients")


def _run(cmd, check=True):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _pid_is(proc, binary):
    """True when the process `proc` runs is `binary` itself (ip netns exec execs, so it should be)."""
    try:
        return os.path.samefile(os.readlink(f"/proc/{proc.pid}/exe"), binary)
    except OSError:
        return False


# ---- where the processes live -------------------------------------------------------------------

class Network:
    """Addresses and namespaces of the cluster's processes.

    mode "netns": each name gets a network namespace "evb<pid><name>" with 10.X.Y.N/24 on a veth
    whose other end is on the bridge "evbr<pid>" (10.X.Y.1/24, in the root namespace).
    mode "loopback": every name is 127.0.0.1, no namespace.
    """

    def __init__(self, names, wanted=None):
        self.names = list(names)
        self.wanted = wanted if wanted is not None else os.environ.get("EVBROKER_CLUSTER_NETNS", "auto").strip().lower()
        self.mode = "loopback"
        self.reason = ""
        self.hosts = {name: "127.0.0.1" for name in self.names}
        self.namespaces = {name: None for name in self.names}
        self.bridge = None
        self.subnet = None
        self._made_namespaces = []
        self._made_links = []

    @property
    def netns(self):
        return self.mode == "netns"

    @property
    def forced(self):
        return self.wanted in ("1", "yes", "true", "on")

    def setup(self):
        if self.wanted in ("0", "no", "false", "off"):
            self.reason = "EVBROKER_CLUSTER_NETNS=0"
            return self
        problem = None
        if os.geteuid() != 0:
            problem = "not running as root"
        elif not shutil.which("ip"):
            problem = "no ip command (iproute2)"
        else:
            _live.add(self)
            try:
                self._make_namespaces()
                self.mode = "netns"
                return self
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                problem = f"network namespaces unavailable: {e}"
                self.teardown()
        if self.forced:
            raise RuntimeError(f"EVBROKER_CLUSTER_NETNS=1 but {problem}")
        self.reason = problem
        return self

    def _free_subnet(self):
        pid = os.getpid()
        used = _run(["ip", "-4", "-o", "addr", "show"]).stdout + _run(["ip", "-4", "route", "show"]).stdout
        x = 64 + (pid // 256) % 128
        for step in range(256):
            y = (pid + step) % 256
            if f"10.{x}.{y}." not in used:
                return f"10.{x}.{y}"
        raise RuntimeError(f"no free 10.{x}.*.0/24 subnet")

    _instances = 0

    def _make_namespaces(self):
        Network._instances += 1
        pid = os.getpid() if Network._instances == 1 else f"{os.getpid()}x{Network._instances}"
        self.subnet = self._free_subnet()
        self.bridge = f"evbr{pid}"
        _run(["ip", "link", "add", self.bridge, "type", "bridge"])
        self._made_links.append(self.bridge)
        _run(["ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge])
        _run(["ip", "link", "set", self.bridge, "up"])
        for i, name in enumerate(self.names):
            ns = f"evb{pid}{name}"
            host_end, ns_end = f"ve{pid}{i}h", f"ve{pid}{i}n"
            address = f"{self.subnet}.{10 + i}"
            _run(["ip", "netns", "add", ns])
            self._made_namespaces.append(ns)
            _run(["ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end])
            self._made_links.append(host_end)
            _run(["ip", "link", "set", ns_end, "netns", ns])
            _run(["ip", "link", "set", host_end, "master", self.bridge])
            _run(["ip", "link", "set", host_end, "up"])
            _run(["ip", "-n", ns, "addr", "add", f"{address}/24", "dev", ns_end])
            _run(["ip", "-n", ns, "link", "set", ns_end, "up"])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
            self.hosts[name] = address
            self.namespaces[name] = ns

    def prefix(self, name):
        """Command prefix that runs a program in `name`'s namespace ([] on loopback)."""
        ns = self.namespaces.get(name)
        return ["ip", "netns", "exec", ns] if ns else []

    def can_connect(self, name, host, port, timeout=3.0):
        """Whether a TCP connection from `name`'s namespace to host:port works."""
        code = "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()"
        cmd = self.prefix(name) + [sys.executable, "-c", code, host, str(port), str(timeout)]
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout + 10).returncode == 0

    def describe(self):
        if self.netns:
            return (f"netns: bridge {self.bridge} {self.subnet}.1/24, "
                    + ", ".join(f"{n}={self.namespaces[n]}@{self.hosts[n]}" for n in self.names))
        return f"loopback ({self.reason or 'chosen'})"

    def teardown(self):
        """Deletes what setup made (namespaces, veths, bridge); quiet about what is already gone."""
        for ns in reversed(self._made_namespaces):
            _run(["ip", "netns", "del", ns], check=False)
        for link in reversed(self._made_links):
            if _run(["ip", "link", "show", link], check=False).returncode == 0:
                _run(["ip", "link", "del", link], check=False)
        self._made_namespaces, self._made_links = [], []
        _live.discard(self)

    def cleanup(self):  # atexit
        self.teardown()


# ---- the broker ---------------------------------------------------------------------------------

class Mosquitto:
    """One Mosquitto broker on host:port (in a namespace when given), restartable on the same port."""

    def __init__(self, work_dir, host="127.0.0.1", port=None, prefix=(), ready_timeout=10, tcp_nodelay=True):
        self.binary = mosquitto_binary()
        self.work_dir = work_dir
        os.makedirs(work_dir, exist_ok=True)
        self.host = host
        self.port = port or free_port()
        self.prefix = list(prefix)
        self.ready_timeout = ready_timeout
        self.tcp_nodelay = tcp_nodelay
        self.conf_path = os.path.join(work_dir, "mosquitto.conf")
        self.log_path = os.path.join(work_dir, "mosquitto.log")
        self.out_path = os.path.join(work_dir, "mosquitto.out.log")
        self.proc = None

    @property
    def url(self):
        return f"mqtt://{self.host}:{self.port}"

    def write_config(self):
        lines = [f"listener {self.port} {self.host}",
                 "allow_anonymous true",
                 "persistence false",
                 f"log_dest file {self.log_path}",
                 "log_type error", "log_type warning", "log_type notice", "log_type information",
                 "connection_messages true",
                 "log_timestamp_format %Y-%m-%dT%H:%M:%S"]
        if self.tcp_nodelay:
            # Mosquitto's default leaves Nagle on for its client sockets; with the peers' delayed ACKs
            # that costs ~40 ms per hop (a station CALL through the cluster: ~45 ms instead of ~1 ms).
            lines.append("set_tcp_nodelay true")
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to the "mosquitto" user, who cannot write here
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Starts the broker and waits until it accepts TCP connections; returns the seconds it took."""
        if self.running():
            raise RuntimeError("mosquitto already running")
        self.write_config()
        t0 = time.monotonic()
        with open(self.out_path, "ab") as out:
            self.proc = subprocess.Popen(self.prefix + [self.binary, "-c", self.conf_path], stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _live.add(self)
        deadline = t0 + self.ready_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"mosquitto exited with {code} before it was ready\n{self.log_tail()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                if self.prefix and not _pid_is(self.proc, self.binary):
                    raise RuntimeError(f"pid {self.proc.pid} is not mosquitto itself")
                return time.monotonic() - t0
            except OSError as e:
                last = e
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"mosquitto not accepting on {self.host}:{self.port} within {self.ready_timeout} s "
                           f"(last: {last!r})\n{self.log_tail()}")

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the seconds it took."""
        if not self.running():
            self.proc = None
            return 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        _live.discard(self)
        return time.monotonic() - t0

    def kill(self):
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        _live.discard(self)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):  # atexit
        self.kill()

    def log_tail(self, lines=30):
        out = []
        for path in (self.log_path, self.out_path):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace").splitlines()
                out.append(f"--- {os.path.basename(path)} (last {lines} lines) ---")
                out.extend(text[-lines:])
        return "\n".join(out)


# ---- evbroker in a cluster role -----------------------------------------------------------------

class ClusterNode(Node):
    """harness.Node in a cluster role, listening on `host` (its namespace's address), started with
    `ip netns exec <netns>` when it has a namespace."""

    role = None

    def __init__(self, mqtt_url, node_id, host="127.0.0.1", prefix=(), data_dir=None, mqtt_prefix=PREFIX,
                 extra_args=(), api_token=API_TOKEN, **kw):
        urls = mqtt_url if isinstance(mqtt_url, str) else ",".join(mqtt_url)
        args = ["--role", self.role, "--mqtt-url", urls, "--mqtt-prefix", mqtt_prefix, "--node-id", node_id]
        args += self.role_args() + list(extra_args)
        super().__init__(data_dir=data_dir, extra_args=args, api_token=api_token, **kw)
        self.node_id = node_id
        self.host = host
        self.prefix = list(prefix)
        self.mqtt_prefix = mqtt_prefix

    def role_args(self):
        return []

    def command(self):
        cmd = []
        for arg in super().command():
            if arg.startswith("127.0.0.1:"):
                arg = f"{self.host}:{arg.split(':', 1)[1]}"
            cmd.append(arg)
        return self.prefix + cmd

    def start(self):
        t0 = time.monotonic()
        super().start()
        _live.add(self)
        if self.prefix and not _pid_is(self.proc, self.binary):
            self.kill9()
            raise NodeError(f"{self.node_id}: pid {self.proc.pid if self.proc else '?'} is not evbroker itself")
        self.started_in = time.monotonic() - t0
        return self

    def stop(self, timeout=10):
        try:
            return super().stop(timeout)
        finally:
            _live.discard(self)

    def kill9(self):
        super().kill9()
        _live.discard(self)

    def cleanup(self):  # atexit (and Node's own cleanup of a private root, unused here)
        if self.running():
            super().kill9()
        super().cleanup()

    @property
    def ws_url(self):
        return f"ws://{self.host}:{self.ws_port}/ws"

    def health(self, timeout=2):
        """(status, body) of GET /health; (None, error text) when it does not answer."""
        try:
            return self.api("GET", "/health", token=NO_TOKEN, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            return None, repr(e)

    def wait_health(self, status=200, timeout=15, check=None):
        """Polls /health until it answers `status` (and check(body), if given); returns the seconds."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        last = None
        while True:
            last = self.health(timeout=1)
            if last[0] == status and (check is None or (isinstance(last[1], dict) and check(last[1]))):
                return time.monotonic() - t0
            if not self.running():
                raise NodeError(f"{self.node_id} is not running\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.node_id}: /health not {status} within {timeout} s (last: {last!r})")
            time.sleep(0.05)

    def metric(self, name):
        """The value of an unlabelled Prometheus gauge/counter from GET /metrics (None if absent)."""
        status, text = self.api("GET", "/metrics", timeout=5)
        if status != 200 or not isinstance(text, str):
            raise NodeError(f"{self.node_id}: GET /metrics -> {status}")
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == name:
                return float(parts[1])
        return None


class Gateway(ClusterNode):
    role = "gateway"

    def __init__(self, mqtt_url, node_id, **kw):
        kw.setdefault("heartbeat_interval", None)
        super().__init__(mqtt_url, node_id, **kw)

    def wait_registry(self, n, timeout=10):
        """Waits until the gateway knows at least n station records; returns the seconds."""
        return self.wait_health(200, timeout, lambda body: body.get("registry", -1) >= n)

    def wait_connections(self, n, timeout=10):
        """Waits until the gateway holds exactly n station websockets; returns the seconds."""
        return self.wait_health(200, timeout, lambda body: body.get("connections") == n)

    def registry_size(self):
        status, body = self.health()
        if status != 200:
            raise NodeError(f"{self.node_id}: /health {status} {body!r}")
        return body["registry"]

    def connections(self):
        status, body = self.health()
        if not isinstance(body, dict):
            raise NodeError(f"{self.node_id}: /health {status} {body!r}")
        return body["connections"]


class Manager(ClusterNode):
    role = "manager"

    def __init__(self, mqtt_url, node_id, group="manager", **kw):
        self.group = group
        super().__init__(mqtt_url, node_id, **kw)

    def role_args(self):
        return ["--mqtt-group", self.group]


# ---- watching and feeding the broker ------------------------------------------------------------

class MqttMessage:
    """One message as mosquitto_sub's JSON output (-F %j) shows it."""

    def __init__(self, raw, seen_at):
        self.raw = raw
        self.seen_at = seen_at
        self.topic = raw.get("topic", "")
        self.payload = raw.get("payload", "")
        if not isinstance(self.payload, str):  # %J prints JSON payloads unquoted; %j always quotes
            self.payload = json.dumps(self.payload)
        self.retain = bool(raw.get("retain"))
        self.qos = raw.get("qos")
        props = raw.get("properties") or {}
        self.content_type = props.get("content-type")
        self.correlation_data = props.get("correlation-data")
        self.response_topic = props.get("response-topic")
        self.user_properties = props.get("user-properties") or {}
        try:
            self.json = json.loads(self.payload) if self.payload else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return (f"MqttMessage({self.topic} retain={int(self.retain)} ct={self.content_type!r} "
                f"corr={self.correlation_data!r} rt={self.response_topic!r} up={self.user_properties!r} "
                f"{self.payload[:300]})")


class MqttObserver:
    """mosquitto_sub -V mqttv5 -F %j on the given topics, read on a thread; ready when subscribed."""

    _count = 0

    def __init__(self, host, port, topics=(f"{PREFIX}/#",), log_path=None):
        self.binary = mosquitto_sub_binary()
        self.host, self.port = host, port
        self.topics = list(topics)
        self.log_path = log_path
        self.messages = []
        self._cond = threading.Condition()
        self.proc = None
        self._reader = None
        MqttObserver._count += 1
        self.client_id = f"e2e-observer-{os.getpid()}-{MqttObserver._count}"
        self.probe_topic = f"evbroker-e2e/probe/{self.client_id}"

    def start(self, timeout=10):
        cmd = [self.binary, "-V", "mqttv5", "-h", self.host, "-p", str(self.port), "-q", "1", "-i", self.client_id,
               "-F", "%j"]
        for topic in self.topics + [self.probe_topic]:
            cmd += ["-t", topic]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        _live.add(self)
        self._reader = threading.Thread(target=self._read, name=self.client_id, daemon=True)
        self._reader.start()
        # Subscribed once a probe published after the start comes back (all topics were in one SUBSCRIBE).
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            n += 1
            token = f"probe-{n}"
            publish(self.host, self.port, self.probe_topic, token, qos=0)
            try:
                self.wait_for(lambda m: m.topic == self.probe_topic and m.payload == token, timeout=0.3)
                return self
            except AssertionError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto_sub exited with {self.proc.returncode}: "
                                       f"{self.proc.stderr.read().decode('utf-8', 'replace')}")
                if time.monotonic() >= deadline:
                    self.stop()
                    raise AssertionError(f"observer not subscribed within {timeout} s")

    def _read(self):
        sink = open(self.log_path, "a") if self.log_path else None
        try:
            for line in self.proc.stdout:
                text = line.decode("utf-8", "replace").strip()
                if not text:
                    continue
                if sink:
                    sink.write(text + "\n")
                    sink.flush()
                try:
                    raw = json.loads(text)
                except ValueError:
                    raw = {"topic": "?", "payload": text}
                message = MqttMessage(raw, time.monotonic())
                with self._cond:
                    self.messages.append(message)
                    self._cond.notify_all()
        finally:
            if sink:
                sink.close()

    def mark(self):
        """Index to pass as `start` to see only what arrives from now on."""
        with self._cond:
            return len(self.messages)

    def find(self, predicate, start=0):
        with self._cond:
            return [m for m in self.messages[start:] if predicate(m)]

    def wait_for(self, predicate, timeout=5, start=0, what="message"):
        """The first message at index >= start matching predicate; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages[start:]:
                    if predicate(m):
                        return m
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [repr(m) for m in self.messages[start:] if not m.topic.startswith("evbroker-e2e/")][-8:]
                    raise AssertionError(f"no {what} on the wire within {timeout} s; last seen:\n  " + "\n  ".join(recent))
                self._cond.wait(remaining)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._reader is not None:
            self._reader.join(2)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()
        self.proc = None
        _live.discard(self)

    def cleanup(self):  # atexit
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def publish(host, port, topic, payload, qos=1, retain=False, content_type=None, correlation_data=None,
            response_topic=None, user_properties=()):
    """One MQTT v5 publish with mosquitto_pub (waits for it to be sent)."""
    cmd = [mosquitto_pub_binary(), "-V", "mqttv5", "-h", host, "-p", str(port), "-q", str(qos), "-t", topic,
           "-m", payload]
    if retain:
        cmd.append("-r")
    if content_type:
        cmd += ["-D", "publish", "content-type", content_type]
    if correlation_data:
        cmd += ["-D", "publish", "correlation-data", correlation_data]
    if response_topic:
        cmd += ["-D", "publish", "response-topic", response_topic]
    for name, value in user_properties:
        cmd += ["-D", "publish", "user-property", name, value]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=15)
    if result.returncode != 0:
        raise RuntimeError(f"mosquitto_pub to {topic} failed ({result.returncode}): {result.stderr.strip()}")


# ---- the whole cluster --------------------------------------------------------------------------

class Cluster:
    """Mosquitto, one manager and gateways, in namespaces where possible (see Network)."""

    def __init__(self, gateways=("gw1", "gw2"), manager="m1", heartbeat_interval=42, call_timeout=None,
                 manager_args=(), gateway_args=()):
        self.gateway_ids = list(gateways)
        self.manager_id = manager
        self.heartbeat_interval = heartbeat_interval
        self.call_timeout = call_timeout
        self.manager_args = list(manager_args)
        self.gateway_args = list(gateway_args)
        self.root = None
        self.network = None
        self.mosquitto = None
        self.manager = None
        self.gateways = {}
        self.observers = []

    # -- lifecycle -------------------------------------------------------------------------------
    def _names(self):
        return ["mqtt", "manager"] + self.gateway_ids

    def start(self):
        t0 = time.monotonic()
        self.root = tempfile.mkdtemp(prefix="evbroker-cluster-")
        _live.add(self)
        try:
            self.network = Network(self._names()).setup()
            self._start_broker()
            if self.network.netns:
                blocked = [n for n in self._names()[1:]
                           if not self.network.can_connect(n, self.mosquitto.host, self.mosquitto.port)]
                if blocked:
                    problem = f"namespaces {blocked} cannot reach the broker over the bridge (filtered?)"
                    if self.network.forced:
                        raise RuntimeError(f"EVBROKER_CLUSTER_NETNS=1 but {problem}")
                    self.mosquitto.stop()
                    self.network.teardown()
                    self.network = Network(self._names(), wanted="0").setup()
                    self.network.reason = problem
                    self._start_broker()
            log(f"mode {self.network.describe()}; files under {self.root}")
            self.manager = Manager(self.mosquitto.url, self.manager_id, host=self.network.hosts["manager"],
                                   prefix=self.network.prefix("manager"),
                                   data_dir=os.path.join(self.root, self.manager_id, "data"),
                                   heartbeat_interval=self.heartbeat_interval, call_timeout=self.call_timeout,
                                   extra_args=self.manager_args)
            self.manager.start()
            for gw in self.gateway_ids:
                self.gateways[gw] = self._make_gateway(gw)
                self.gateways[gw].start()
            timings = ", ".join([f"broker {self.mosquitto_ready_in:.2f}s", f"{self.manager_id} {self.manager.started_in:.2f}s"]
                                + [f"{g.node_id} {g.started_in:.2f}s" for g in self.gateways.values()])
            log(f"cluster up in {time.monotonic() - t0:.2f}s ({timings})")
        except BaseException:
            self.stop(quiet=True)
            raise
        return self

    def _start_broker(self):
        port = 1883 if self.network.netns else None
        self.mosquitto = Mosquitto(os.path.join(self.root, "mosquitto"), host=self.network.hosts["mqtt"], port=port,
                                   prefix=self.network.prefix("mqtt"))
        self.mosquitto_ready_in = self.mosquitto.start()

    def _make_gateway(self, gw):
        return Gateway(self.mosquitto.url, gw, host=self.network.hosts[gw], prefix=self.network.prefix(gw),
                       data_dir=os.path.join(self.root, gw, "data"), extra_args=self.gateway_args)

    def stop(self, quiet=False, keep=False):
        """Stops everything (gateways, manager, broker, observers), removes the namespaces and, unless
        `keep` or EVBROKER_E2E_KEEP=1, the files. Raises the first unclean node exit after cleaning up."""
        errors = []
        for obs in self.observers:
            obs.stop()
        self.observers = []
        nodes = list(self.gateways.values()) + ([self.manager] if self.manager else [])
        for node in nodes:
            try:
                node.stop()
            except Exception as e:  # keep cleaning up
                errors.append(e)
                node.kill9()
        if self.mosquitto is not None:
            self.mosquitto.stop()
        if self.network is not None:
            self.network.teardown()
        if self.root:
            if keep or keep_files() or (errors and not quiet):
                log(f"files kept under {self.root}")
            else:
                shutil.rmtree(self.root, ignore_errors=True)
        self.gateways, self.manager, self.mosquitto, self.network = {}, None, None, None
        _live.discard(self)
        if errors and not quiet:
            raise errors[0]

    def cleanup(self):  # atexit
        self.stop(quiet=True)

    # -- helpers ---------------------------------------------------------------------------------
    def gateway(self, node_id):
        return self.gateways[node_id]

    def running_gateways(self):
        return [g for g in self.gateways.values() if g.running()]

    def register_station(self, cs_id, password=None, timeout=10, **kw):
        """Registers on the manager and waits until every running gateway knows the record."""
        before = {g.node_id: g.registry_size() for g in self.running_gateways()}
        self.manager.register_station(cs_id, password=password, **kw)
        for g in self.running_gateways():
            g.wait_registry(before[g.node_id] + 1, timeout)

    def observer(self, topics=(f"{PREFIX}/#",)):
        """A started MqttObserver (stopped with the cluster, or by `with`)."""
        obs = MqttObserver(self.mosquitto.host, self.mosquitto.port, topics,
                           log_path=os.path.join(self.root, f"observer-{MqttObserver._count + 1}.jsonl"))
        obs.start()
        self.observers.append(obs)
        return obs

    def publish(self, topic, payload, **kw):
        if not isinstance(payload, str):
            payload = json.dumps(payload)
        publish(self.mosquitto.host, self.mosquitto.port, topic, payload, **kw)

    def logs(self):
        """Tails of every node's and the broker's logs, for failure messages."""
        parts = []
        for node in [self.manager] + list(self.gateways.values()):
            if node is not None:
                parts.append(f"===== {node.node_id} =====\n{node.log_tail(25)}")
        if self.mosquitto is not None:
            parts.append(f"===== mosquitto =====\n{self.mosquitto.log_tail(15)}")
        return "\n".join(parts)


def topic(kind, version, station_id):
    return f"{PREFIX}/{kind}/{version}/{station_id}"  # plain ids need no percent-encoding


@atexit.register
def _cleanup_leftovers():
    for thing in list(_live):
        try:
            thing.cleanup()
        except Exception:
            pass
