"""Websocket upgrades: paths, credentials, security profiles, subprotocols, a second connection for
the same station, and SIGTERM with stations connected."""

import threading
import time
import urllib.parse
import unittest

import ocpp_ws
from harness import V16, V201, Node, NodeTestCase, boot, require_binary, wait_until
from ocpp_ws import UpgradeRefused


@require_binary
class Refusals(NodeTestCase):
    def refused(self, expected_status, station_id, subprotocols=(V201,), url=None, **kw):
        with self.assertRaises(UpgradeRefused, msg=f"{station_id} was accepted") as ctx:
            client = ocpp_ws.connect(url or self.node.ws_url, station_id, list(subprotocols), **kw)
            self.clients.append(client)
        self.assertEqual(ctx.exception.status, expected_status, ctx.exception.body)
        return ctx.exception

    def test_a_bad_path_is_404(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        base = f"ws://127.0.0.1:{self.node.ws_port}"
        self.refused(404, cs, url=base + "/foo")
        self.refused(404, cs, url=base + "/")
        self.refused(404, cs, url=base + "/ws/extra")
        self.refused(404, "", url=base + "/ws")

    def test_an_unknown_station_is_404(self):
        self.refused(404, self.unique_id("UNKNOWN"))
        self.refused(404, self.unique_id("UNKNOWN"), password="whatever")

    def test_missing_or_wrong_password_is_401(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="correct horse")
        self.refused(401, cs)
        self.refused(401, cs, password="battery staple")
        self.refused(401, cs, password="")
        client = self.connect(cs, V201, password="correct horse")
        self.assertEqual(boot(client)["status"], "Accepted")

    def test_username_must_be_the_station_id_unless_allowed(self):
        strict, lax = self.unique_id(), self.unique_id()
        self.node.register_station(strict, password="pw")
        self.node.register_station(lax, password="pw", invalid_username_allowed=True)
        self.refused(401, strict, username="someone-else", password="pw")
        client = self.connect(lax, V201, username="someone-else", password="pw")
        self.assertEqual(boot(client)["status"], "Accepted")
        self.refused(401, lax, username="someone-else", password="wrong")

    def test_a_station_cannot_downgrade_its_security_profile(self):
        tls, cert = self.unique_id(), self.unique_id()
        self.node.register_station(tls, password="pw", profile=1)
        self.node.register_station(cert, profile=2)
        self.refused(403, tls, password="pw")
        self.refused(403, cert)

    def test_no_common_subprotocol_is_400(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.refused(400, cs, subprotocols=["ocpp1.5"])
        self.refused(400, cs, subprotocols=["ocpp2.0", "OCPP1.6"])
        self.refused(400, cs, subprotocols=[])

    def test_profile_0_without_password_connects_without_credentials(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        client = self.connect(cs, V16)
        self.assertEqual(client.subprotocol, V16)
        self.assertEqual(boot(client)["status"], "Accepted")

    def test_subprotocol_negotiation_picks_one_we_speak(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        client = ocpp_ws.connect(self.node.ws_url, cs, ["ocpp1.5", V16])
        self.clients.append(client)
        self.assertEqual(client.subprotocol, V16)
        client.close()
        client = ocpp_ws.connect(self.node.ws_url, cs, [V201, V16])
        self.clients.append(client)
        self.assertIn(client.subprotocol, (V201, V16))
        boot(client)
        self.assertEqual(self.node.station(cs)["protocol"], client.subprotocol)

    def test_a_refused_station_does_not_disturb_others(self):
        good = self.station(V201)
        bad = self.unique_id()
        self.node.register_station(bad, password="pw")
        self.refused(401, bad, password="nope")
        for _ in range(3):
            # repeated failures may be throttled (slowed down, or 429), never accepted
            with self.assertRaises(UpgradeRefused) as ctx:
                self.clients.append(ocpp_ws.connect(self.node.ws_url, bad, [V201], password="nope", timeout=15))
            self.assertIn(ctx.exception.status, (401, 429))
        self.call_ok(good, "Heartbeat", {})


@require_binary
class StationIds(NodeTestCase):
    def test_ids_are_identifier_strings_of_at_most_48_characters(self):
        for cs in ("CS+1*a@b|c=d", "x" * 48):   # (no ":" - Basic auth user ids cannot hold one)
            with self.subTest(cs=cs):
                self.node.register_station(cs, password="pw")
                client = self.connect(cs, V201, password="pw")
                self.assertEqual(boot(client)["status"], "Accepted")
                station = self.node.station(cs)
                self.assertEqual((station["id"], station["online"]), (cs, True))
        for cs in ("Säule 7", "CS+1%ä~"):  # spaces and characters outside identifierString: issue 12
            with self.subTest(cs=cs):
                status, _ = self.node.api("POST", "/api/v0/cs/" + urllib.parse.quote(cs, safe=""), {"securityProfile": 0})
                self.assertEqual(status, 400)


@require_binary
class ReconnectStorm(NodeTestCase):
    def test_a_hundred_stations_connecting_at_once_are_all_served(self):
        ids = [self.unique_id("STORM") for _ in range(100)]
        for cs in ids:
            self.node.register_station(cs, password="pw")
        barrier = threading.Barrier(len(ids))
        failures, lock = [], threading.Lock()

        def station(cs, protocol):
            try:
                barrier.wait(10)
                client = ocpp_ws.connect(self.node.ws_url, cs, [protocol], password="pw", timeout=20)
                with lock:
                    self.clients.append(client)
                if boot(client)["status"] != "Accepted":
                    raise AssertionError("boot not accepted")
                client.call("Heartbeat", {}, timeout=20)
            except Exception as e:
                with lock:
                    failures.append(f"{cs}: {e!r}")
        threads = [threading.Thread(target=station, args=(cs, (V201, V16)[i % 2])) for i, cs in enumerate(ids)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(failures, [])
        online = {s["id"] for s in self.node.api("GET", "/api/v0/cs?limit=100&offset=0")[1] if s.get("online")}
        online |= {s["id"] for s in self.node.api("GET", "/api/v0/cs?limit=100&offset=100")[1] if s.get("online")}
        self.assertTrue(set(ids) <= online, f"{len(set(ids) - online)} stations not online")


@require_binary
class SecondConnection(NodeTestCase):
    def test_the_new_connection_replaces_the_old_one(self):
        first = self.station(V201)
        cs = first.station_id
        second = self.connect(cs, V201)
        self.assertTrue(first.closed_event.wait(5), "the first connection is closed when the second arrives")
        self.assertEqual(boot(second)["status"], "Accepted")
        self.call_ok(second, "Heartbeat", {})
        time.sleep(0.5)   # the old session's teardown must not mark the station offline
        station = self.node.station(cs)
        self.assertIs(station["online"], True, station)
        # a call from the API goes to the new connection
        second.on_call("Reset", lambda p: {"status": "Accepted"})
        self.assertEqual(self.node.api("POST", f"/api/v0/cs/{cs}/call/Reset", {"type": "Immediate"}),
                         (200, {"status": "Accepted"}))

    def test_a_dead_socket_does_not_block_the_reconnect(self):
        first = self.station(V16)
        first.abort()   # no close handshake, as when a modem drops
        second = self.connect(first.station_id, V16)
        self.assertEqual(boot(second)["status"], "Accepted")
        self.assertIs(self.node.station(first.station_id)["online"], True)

    def test_a_version_change_on_reconnect_is_recorded(self):
        first = self.station(V16)
        first.close()
        second = self.connect(first.station_id, V201)
        self.assertEqual(boot(second)["status"], "Accepted")
        self.assertEqual(self.node.station(first.station_id)["protocol"], V201)


@require_binary
class DeadSockets(NodeTestCase):
    node_args = ("--ping-interval", "1")

    def test_idle_stations_are_pinged_and_silent_ones_dropped(self):
        alive, dead = self.station(V201), self.station(V16)
        dead.auto_pong = False
        t0 = time.monotonic()
        self.assertTrue(dead.closed_event.wait(6), "a station that answers no ping is dropped within two intervals")
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(dead.pings, "the node pinged the silent station")
        wait_until(lambda: self.node.station(dead.station_id)["online"] is False, 3, what="online:false")
        time.sleep(max(0.0, 3.5 - (time.monotonic() - t0)))
        self.assertFalse(alive.closed_event.is_set(), f"a station answering pings was dropped ({alive.close_code})")
        self.assertTrue(alive.pings, "an idle station is pinged")
        self.call_ok(alive, "Heartbeat", {})
        self.assertIs(self.node.station(alive.station_id)["online"], True)


@require_binary
class Shutdown(unittest.TestCase):
    def test_sigterm_exits_0_promptly_with_stations_connected(self):
        node = Node()
        node.start()
        clients = []
        try:
            for i, protocol in enumerate((V201, V16, V201, V16)):
                cs = f"TERM-{i}"
                node.register_station(cs)
                client = node.connect(cs, protocol)
                boot(client)
                clients.append(client)
            # one CSMS call in flight while the signal arrives
            clients[0].on_call("GetVariables", lambda p: (time.sleep(0.5), {"getVariableResult": []})[1])
            caller = threading.Thread(target=node.api, args=("POST", "/api/v0/cs/TERM-0/call/GetVariables",
                                                            {"getVariableData": [{"component": {"name": "X"},
                                                                                  "variable": {"name": "Y"}}]}))
            caller.start()
            clients[0].wait_for_call("GetVariables", timeout=5)
            took = node.stop(timeout=10)
            self.assertLess(took, 5.0, "exits within a few seconds")
            for client in clients:
                self.assertTrue(client.closed_event.wait(2), f"{client.station_id} still open after the exit")
            caller.join(5)
        finally:
            node.kill9()
            node.cleanup()
            for client in clients:
                client.close(timeout=0.5)


if __name__ == "__main__":
    unittest.main()
