"""Issue 12, the connection layer and the process: idle sockets (item 3), idle API connections (item
4), login throttling by source address (item 5), host names for --api-addr (item 14), and the
process as an operator meets it: SIGHUP, a bounded shutdown, --api-token-file."""

import os
import resource
import signal
import socket
import tempfile
import time
import unittest

from harness import NO_TOKEN, V16, V201, Node, NodeTestCase, boot, require_binary, wait_until
import ocpp_ws
from ocpp_ws import UpgradeRefused


def raise_open_file_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def idle_sockets(port, count, source="127.0.0.1"):
    """`count` TCP connections that send nothing (those the node closed early are dropped quietly)."""
    out = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
            out.append(s)
        except OSError:
            s.close()
    return out


def close_all(sockets):
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass


def metric(node, name, labels=""):
    text = node.api("GET", "/metrics")[1]
    for line in text.splitlines():
        if line.startswith(name + (("{" + labels + "}") if labels else " ")):
            return float(line.split()[-1])
    return 0.0


@require_binary
class IdleSockets(NodeTestCase):
    """Item 3: sockets that send nothing must not hold the door shut for everybody."""
    node_args = ("--max-handshakes-per-address", "16", "--first-bytes-timeout", "1")

    def test_a_thousand_idle_sockets_from_one_address_do_not_lock_out_other_stations(self):
        raise_open_file_limit(4096)
        cs = self.unique_id()
        self.node.register_station(cs, password="pw")
        idle = idle_sockets(self.node.ws_port, 1100)
        try:
            t0 = time.monotonic()
            client = ocpp_ws.connect(self.node.ws_url, cs, [V201], password="pw", timeout=5,
                                     source_address="127.0.0.2")
            self.clients.append(client)
            self.assertEqual(boot(client)["status"], "Accepted")
            self.assertLess(time.monotonic() - t0, 3, "another address got in at once")
        finally:
            close_all(idle)

    def test_idle_sockets_are_closed_after_the_first_bytes_deadline(self):
        idle = idle_sockets(self.node.ws_port, 10)
        try:
            def all_closed():
                closed = 0
                for s in idle:
                    try:
                        s.settimeout(0.01)
                        if s.recv(1) == b"":
                            closed += 1
                    except socket.timeout:
                        pass
                    except OSError:
                        closed += 1
                return closed == len(idle)
            wait_until(all_closed, 10, what="idle sockets closed by the node")
        finally:
            close_all(idle)
        # and the same address gets in again
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(boot(self.connect(cs, V16))["status"], "Accepted")


@require_binary
class IdleApiConnections(NodeTestCase):
    """Item 4: idle API connections are bounded; /health and stations keep working."""
    node_args = ("--api-max-connections", "32")

    def test_many_idle_api_connections_do_not_starve_health_or_stations(self):
        raise_open_file_limit(4096)
        idle = idle_sockets(self.node.api_port, 500)
        try:
            t0 = time.monotonic()
            self.assertEqual(self.node.api("GET", "/health", token=NO_TOKEN, timeout=5)[0], 200)
            self.assertLess(time.monotonic() - t0, 3)
            cs = self.unique_id()
            self.node.register_station(cs)
            self.assertEqual(boot(self.connect(cs, V201))["status"], "Accepted")
        finally:
            close_all(idle)


@require_binary
class LoginThrottling(NodeTestCase):
    """Item 5: failures from one address never lock out the right credentials from another."""

    def test_failures_from_one_address_do_not_lock_the_station_out_elsewhere(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="right")
        statuses = []
        for _ in range(10):
            try:
                ocpp_ws.connect(self.node.ws_url, cs, [V201], password="wrong", source_address="127.0.0.2").close()
                statuses.append(101)
            except UpgradeRefused as e:
                statuses.append(e.status)
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertEqual(set(statuses[5:]), {429}, statuses)
        # The right password from another address is never refused...
        client = ocpp_ws.connect(self.node.ws_url, cs, [V201], password="right", source_address="127.0.0.1")
        self.clients.append(client)
        self.assertEqual(boot(client)["status"], "Accepted")
        # ...but from the throttled address it waits out the lockout like any other attempt there.
        with self.assertRaises(UpgradeRefused) as ctx:
            ocpp_ws.connect(self.node.ws_url, cs, [V201], password="right", source_address="127.0.0.2")
        self.assertEqual(ctx.exception.status, 429)
        self.assertGreaterEqual(metric(self.node, "evbroker_upgrades_total", 'outcome="bad_credentials"'), 5)
        self.assertGreaterEqual(metric(self.node, "evbroker_upgrades_total", 'outcome="throttled"'), 5)

    def test_failures_from_another_address_leave_the_station_in(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="pw")
        for _ in range(6):
            with self.assertRaises(UpgradeRefused):
                ocpp_ws.connect(self.node.ws_url, cs, [V201], password="x", source_address="127.0.0.3")
        self.assertEqual(boot(self.connect(cs, V201, password="pw"))["status"], "Accepted")


@require_binary
class ProcessSignals(unittest.TestCase):
    def test_sighup_does_not_stop_the_node(self):
        with Node() as node:
            node.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "SIGHUP" in node.log_text(), 5, what="the SIGHUP logged")
            self.assertTrue(node.running(), node.log_tail())
            self.assertEqual(node.api("GET", "/health")[0], 200)

    def test_shutdown_is_bounded_when_a_peer_never_answers_the_close(self):
        with Node() as node:
            node.register_station("CS-SILENT")
            # A websocket whose peer, once upgraded, never reads again: the node's close frame is
            # never answered (the kernel still acknowledges the bytes).
            silent = socket.create_connection(("127.0.0.1", node.ws_port), timeout=5)
            silent.sendall(b"GET /ws/CS-SILENT HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                           b"Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n")
            self.assertIn(b" 101 ", silent.recv(4096))
            wait_until(lambda: node.station("CS-SILENT")["online"], 5, what="the station online")
            try:
                took = node.stop(timeout=20)
                self.assertLess(took, 8, f"SIGTERM took {took:.1f} s with a peer that never closes")
            finally:
                silent.close()


@require_binary
class ListenAddresses(unittest.TestCase):
    def test_api_addr_localhost_binds_and_serves(self):
        node = Node()
        plain = node.command
        # The API on "localhost:<the port the harness picked>": the harness then finds it there.
        node.command = lambda: [("localhost:" + a.split(":")[1]) if a == f"127.0.0.1:{node.api_port}" else a
                                for a in plain()]
        with node:
            self.assertIn(f"localhost:{node.api_port}", " ".join(node.command()))
            self.assertEqual(node.api("GET", "/health")[0], 200)

    def test_an_unresolvable_host_is_refused_at_start_with_a_message(self):
        node = Node(extra_args=["--ws-addr", "no-such-host.invalid:9999"], ready_timeout=10)
        with self.assertRaises(AssertionError) as ctx:
            node.start()
        self.assertIn("cannot resolve", str(ctx.exception))
        node.cleanup()


@require_binary
class ApiTokenFile(unittest.TestCase):
    def test_the_token_can_come_from_a_file(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("From-A-File\n")
        try:
            with Node(extra_args=["--api-token-file", f.name]) as node:
                self.assertEqual(node.api("GET", "/api/v0/cs", token="From-A-File")[0], 200)
                self.assertEqual(node.api("GET", "/api/v0/cs", token="other")[0], 401)
                self.assertNotIn("visible", node.log_text())
        finally:
            os.unlink(f.name)

    def test_a_token_on_the_command_line_is_warned_about(self):
        with Node(api_token="On-The-Command-Line") as node:
            wait_until(lambda: "process list" in node.log_text(), 5, what="the warning")


if __name__ == "__main__":
    unittest.main()
