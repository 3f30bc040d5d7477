"""Starts and stops the real evbroker binary for the end-to-end tests, and talks to its API.

    with Node(extra_args=["--heartbeat-interval", "42"]) as node:
        node.register_station("CS1", password="secret")
        node.add_token("DEADBEEF")
        client = node.connect("CS1", "ocpp2.0.1", password="secret")
        status, body = node.api("GET", "/api/v0/cs/CS1")

Environment:
  EVBROKER_BIN          the node binary (tests are skipped when it is not set)
  EVBROKER_VECTORS_DIR  where vectors_16.json / vectors_201.json are (generated when absent)
  EVBROKER_SCHEMAS_DIR  the OCPP JSON schemas (default: <repo>/schemas)
  EVBROKER_E2E_KEEP=1   keep the temporary data directories and logs
"""

import base64
import datetime
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import ocpp_schema
import ocpp_ws

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# The node's version names and the matching websocket subprotocols.
V16, V201 = "ocpp1.6", "ocpp2.0.1"

# api(..., token=NO_TOKEN) sends no Authorization header even when the node has an API token.
NO_TOKEN = ""


def node_binary():
    return os.environ.get("EVBROKER_BIN")


def require_binary(test_case_cls):
    """Class decorator: skip the tests when EVBROKER_BIN is not set."""
    if not node_binary():
        return unittest.skip("EVBROKER_BIN is not set (path of the evbroker binary)")(test_case_cls)
    return test_case_cls


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keep_files():
    return os.environ.get("EVBROKER_E2E_KEEP") == "1"


def password_hash(password):
    """MaEVe's base64SHA256Password: base64 of the SHA-256 of the password."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest()).decode("ascii")


def now_iso(offset_seconds=0.0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_iso(text):
    """RFC 3339 date-time to an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def same_time(a, b, tolerance=0.002):
    """Two RFC 3339 texts name the same instant (up to the millisecond)."""
    return abs((parse_iso(a) - parse_iso(b)).total_seconds()) < tolerance


def seconds_from_now(text):
    return (parse_iso(text) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


class NodeError(AssertionError):
    pass


class Node:
    """One evbroker process on free loopback ports.

    data_dir: reuse this directory (restart tests); default a fresh one under a temporary root.
    Logs go to <parent of data_dir>/node-<n>.stdout.log and .stderr.log.
    """

    _runs = 0
    host = "127.0.0.1"  # where the API and the listeners are reached (a cluster node: its namespace's address)

    def __init__(self, data_dir=None, extra_args=(), api_token=None, heartbeat_interval=None,
                 call_timeout=None, ready_timeout=20):
        self.binary = node_binary()
        if not self.binary:
            raise unittest.SkipTest("EVBROKER_BIN is not set")
        self._own_root = None
        if data_dir is None:
            self._own_root = tempfile.mkdtemp(prefix="evbroker-e2e-")
            data_dir = os.path.join(self._own_root, "data")
        self.data_dir = data_dir
        self.log_dir = os.path.dirname(os.path.abspath(data_dir))
        os.makedirs(self.log_dir, exist_ok=True)
        self.extra_args = list(extra_args)
        self.api_token = api_token
        self.heartbeat_interval = heartbeat_interval
        self.call_timeout = call_timeout
        self.ready_timeout = ready_timeout
        self.proc = None
        self.ws_port = self.api_port = self.wss_port = self.files_port = None
        self.stdout_path = self.stderr_path = None

    # -- lifecycle -------------------------------------------------------------------------------
    def command(self):
        cmd = [self.binary,
               "--ws-addr", f"127.0.0.1:{self.ws_port}",
               "--api-addr", f"127.0.0.1:{self.api_port}",
               "--data-dir", self.data_dir,
               "--log-level", "debug"]
        if self.wss_port is not None:
            cmd += ["--wss-addr", f"127.0.0.1:{self.wss_port}"]
        if self.files_port is not None:
            cmd += ["--files-addr", f"127.0.0.1:{self.files_port}"]
        if self.api_token:
            cmd += ["--api-token", self.api_token]
        if self.heartbeat_interval is not None:
            cmd += ["--heartbeat-interval", str(self.heartbeat_interval)]
        if self.call_timeout is not None:
            cmd += ["--call-timeout", str(self.call_timeout)]
        return cmd + self.extra_args

    def start(self, attempts=5):
        if self.proc is not None and self.proc.poll() is None:
            raise NodeError("node already running")
        # A port free_port() saw free can be taken by a parallel test before the node binds it:
        # such a start is tried again on other ports.
        for attempt in range(attempts):
            try:
                return self._start_once()
            except NodeError:
                if attempt + 1 == attempts or "Address already in use" not in self.log_tail():
                    raise

    def _start_once(self):
        self.ws_port, self.api_port = free_port(), free_port()
        while self.api_port == self.ws_port:
            self.api_port = free_port()
        # wss is on by default (port 9311): give every node a free port of its own, so that nodes of
        # parallel tests do not collide, unless the test chose the address itself.
        self.wss_port = None
        if not any(a == "--wss-addr" or a.startswith("--wss-addr=") for a in self.extra_args):
            self.wss_port = free_port()
            while self.wss_port in (self.ws_port, self.api_port):
                self.wss_port = free_port()
        # So is the files listener (port 9412): the same.
        self.files_port = None
        if not any(a == "--files-addr" or a.startswith("--files-addr=") for a in self.extra_args):
            self.files_port = free_port()
            while self.files_port in (self.ws_port, self.api_port, self.wss_port):
                self.files_port = free_port()
        Node._runs += 1
        stem = os.path.join(self.log_dir, f"node-{os.getpid()}-{Node._runs}")
        self.stdout_path, self.stderr_path = stem + ".stdout.log", stem + ".stderr.log"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        last = None
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise NodeError(f"evbroker exited with {code} before it was ready\n"
                                f"command: {' '.join(self.command())}\n{self.log_tail()}")
            try:
                status, _ = self.api("GET", "/health", token=NO_TOKEN, timeout=1)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        raise NodeError(f"evbroker not ready within {self.ready_timeout} s (last: {last})\n{self.log_tail()}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, wait, and assert a clean exit (code 0). Returns the seconds it took."""
        if self.proc is None:
            return 0.0
        if self.proc.poll() is not None:
            code = self.proc.returncode
            self.proc = None
            raise NodeError(f"evbroker had already exited with {code}\n{self.log_tail()}")
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise NodeError(f"evbroker did not exit within {timeout} s of SIGTERM\n{self.log_tail()}")
        self.proc = None
        if code != 0:
            raise NodeError(f"evbroker exited with {code} after SIGTERM (expected 0)\n{self.log_tail()}")
        return time.monotonic() - t0

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def cleanup(self):
        if self._own_root and not keep_files():
            shutil.rmtree(self._own_root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.stop()
            else:
                self.kill9()
        finally:
            self.cleanup()

    def log_tail(self, lines=40):
        out = []
        for path in (self.stderr_path, self.stdout_path):
            if path and os.path.exists(path):
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace").splitlines()
                out.append(f"--- {os.path.basename(path)} (last {lines} lines) ---")
                out.extend(text[-lines:])
        return "\n".join(out)

    def log_text(self):
        text = ""
        for path in (self.stdout_path, self.stderr_path):
            if path and os.path.exists(path):
                with open(path, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return text

    # -- management API --------------------------------------------------------------------------
    def api(self, method, path, body=None, token=None, timeout=30, raw_body=None, headers=None):
        """One request; returns (status, parsed JSON, or text when not JSON, or None when empty).

        token None: the node's --api-token (if any); NO_TOKEN (""): no Authorization header.
        body is sent as JSON; raw_body (str/bytes) is sent as is.
        """
        conn = http.client.HTTPConnection(self.host, self.api_port, timeout=timeout)
        try:
            hdrs = {"Connection": "close"}
            hdrs.update(headers or {})
            if token is None:
                token = self.api_token
            if token:
                hdrs["Authorization"] = f"Bearer {token}"
            data = None
            if raw_body is not None:
                data = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
            elif body is not None:
                data = json.dumps(body).encode("utf-8")
            if data is not None:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            self.last_response_headers = {k.lower(): v for k, v in resp.getheaders()}
            text = raw.decode("utf-8", "replace")
            if not text:
                return resp.status, None
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text
        finally:
            conn.close()

    def register_station(self, cs_id, password=None, profile=0, tolerant=False, invalid_username_allowed=False,
                         registration=None, boot_provisioning=None):
        body = {"securityProfile": profile, "invalidUsernameAllowed": invalid_username_allowed}
        if registration is not None:
            body["registrationStatus"] = registration
        if boot_provisioning is not None:
            body["bootProvisioning"] = boot_provisioning
        if password is not None:
            body["base64SHA256Password"] = password_hash(password)
        if tolerant:
            body["tolerant"] = True
        status, answer = self.api("POST", "/api/v0/cs/" + urllib.parse.quote(cs_id, safe=""), body)
        if status != 201:
            raise NodeError(f"registering {cs_id}: HTTP {status} {answer!r}")

    def add_token(self, uid, valid=True, groupId=None, **extra):
        body = token_body(uid, valid=valid, groupId=groupId, **extra)
        status, answer = self.api("POST", "/api/v0/token", body)
        if status != 201:
            raise NodeError(f"adding token {uid}: HTTP {status} {answer!r}")
        return body

    def station(self, cs_id):
        status, body = self.api("GET", "/api/v0/cs/" + urllib.parse.quote(cs_id, safe=""))
        if status != 200:
            raise NodeError(f"GET station {cs_id}: HTTP {status} {body!r}")
        return body

    def transaction(self, cs_id, tx_id):
        status, body = self.api("GET", f"/api/v0/cs/{urllib.parse.quote(cs_id, safe='')}/transactions/"
                                       f"{urllib.parse.quote(str(tx_id), safe='')}")
        if status != 200:
            raise NodeError(f"GET transaction {cs_id}/{tx_id}: HTTP {status} {body!r}")
        return body

    # -- stations --------------------------------------------------------------------------------
    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    def connect(self, cs_id, protocol, password=None, **kw):
        return ocpp_ws.connect(self.ws_url, cs_id, [protocol], password=password, **kw)


def token_body(uid, valid=True, groupId=None, **extra):
    """A valid MaEVe Token."""
    body = {"countryCode": "GB", "partyId": "TWK", "type": "RFID", "uid": uid,
            "contractId": "GBTWK012345678V", "issuer": "Thoughtworks", "valid": valid, "cacheMode": "ALWAYS"}
    if groupId is not None:
        body["groupId"] = groupId
    body.update(extra)
    return body


def wait_until(predicate, timeout=5.0, interval=0.05, what="condition"):
    """Polls predicate() until it returns a true value; returns it or raises AssertionError."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


# ---- typical station payloads -----------------------------------------------------------------------

def boot_201(model="E2E-Model", vendor="E2E-Vendor", serial=None):
    station = {"model": model, "vendorName": vendor, "firmwareVersion": "1.2.3"}
    if serial:
        station["serialNumber"] = serial
    return {"chargingStation": station, "reason": "PowerUp"}


def boot_16(model="E2E-Model", vendor="E2E-Vendor"):
    return {"chargePointVendor": vendor, "chargePointModel": model, "firmwareVersion": "1.2.3",
            "chargePointSerialNumber": "SN-0001"}


def boot(client):
    """Sends the BootNotification of the client's version and returns the answer."""
    if client.subprotocol == V16:
        return client.call("BootNotification", boot_16())
    return client.call("BootNotification", boot_201())


class NodeTestCase(unittest.TestCase):
    """One node per test class (started in setUpClass), stations with unique ids per test."""

    node_args = ()
    api_token = None
    heartbeat_interval = 42
    call_timeout = None
    node = None
    _counter = 0

    @classmethod
    def setUpClass(cls):
        if not node_binary():
            raise unittest.SkipTest("EVBROKER_BIN is not set")
        cls.node = Node(extra_args=cls.node_args, api_token=cls.api_token,
                        heartbeat_interval=cls.heartbeat_interval, call_timeout=cls.call_timeout)
        cls.node.start()

    @classmethod
    def tearDownClass(cls):
        if cls.node is not None:
            try:
                cls.node.stop()
            finally:
                cls.node.cleanup()
                cls.node = None

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close(timeout=1)

    def unique_id(self, prefix="CS"):
        NodeTestCase._counter += 1
        return f"{prefix}{os.getpid() % 10000}-{NodeTestCase._counter}"

    def station(self, protocol, password=None, profile=0, booted=True, cs_id=None, **register_kw):
        """Registers a new station, connects it with `protocol`, optionally boots it."""
        cs_id = cs_id or self.unique_id()
        self.node.register_station(cs_id, password=password, profile=profile, **register_kw)
        client = self.node.connect(cs_id, protocol, password=password)
        self.clients.append(client)
        self.assertEqual(client.subprotocol, protocol)
        if booted:
            answer = boot(client)
            self.assertEqual(answer.get("status"), "Accepted", answer)
        return client

    def connect(self, cs_id, protocol, password=None, **kw):
        client = self.node.connect(cs_id, protocol, password=password, **kw)
        self.clients.append(client)
        return client

    def call_ok(self, client, action, payload, timeout=5):
        """Sends a CALL that must get a CALLRESULT valid against the action's response schema."""
        try:
            answer = client.call(action, payload, timeout=timeout)
        except ocpp_ws.CallError as e:
            self.fail(f"{client.subprotocol} {action}: CALLERROR {e.code} {e.description!r} {e.details} "
                      f"for {json.dumps(payload)[:300]}")
        errors = ocpp_schema.response_errors(client.subprotocol, action, answer)
        self.assertEqual(errors, [], f"{client.subprotocol} {action} answer {answer} breaks the response schema")
        return answer

    def answers_every_message(self, client, actions, hand_written):
        """Each action, with its hand-written payload (if any) and every valid schema-derived vector,
        gets a CALLRESULT valid against its response schema."""
        for action in actions:
            cases = [("hand-written", hand_written[action])] if action in hand_written else []
            cases += [(c["name"], c["payload"]) for c in ocpp_schema.vectors(client.subprotocol, action)]
            self.assertTrue(cases, f"no valid payload for {action}")
            for name, payload in cases:
                with self.subTest(action=action, case=name):
                    self.call_ok(client, action, payload)

    def call_error(self, client, action, payload, code, timeout=5):
        """Sends a CALL that must get a CALLERROR with `code`; returns the CallError."""
        with self.assertRaises(ocpp_ws.CallError, msg=f"{action} {json.dumps(payload)[:200]} got a CALLRESULT") as ctx:
            client.call(action, payload, timeout=timeout)
        self.assertEqual(ctx.exception.code, code, f"{action}: {ctx.exception.description!r}")
        return ctx.exception

    def assertApi(self, expected_status, method, path, body=None, **kw):
        status, answer = self.node.api(method, path, body, **kw)
        self.assertEqual(status, expected_status, f"{method} {path} -> {status} {answer!r}")
        return answer

    def assertApiError(self, expected_status, method, path, body=None, contains=None, **kw):
        """An error answer in MaEVe's shape {"status": <reason phrase>, "error": <text>}."""
        answer = self.assertApi(expected_status, method, path, body, **kw)
        self.assertIsInstance(answer, dict, f"{method} {path}: error body is not a JSON object: {answer!r}")
        self.assertIn("status", answer, answer)
        self.assertIsInstance(answer["status"], str, answer)
        self.assertIn("error", answer, answer)
        if contains is not None:
            self.assertIn(contains, answer["error"], answer)
        return answer
