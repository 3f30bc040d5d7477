"""Issue 12, what the node sends to stations: settings pushed once per key (item 2), CSMS calls whose
reported outcome is what happened to them (item 6), and credentials changes that end the session
they no longer admit (item 7)."""

import json
import socket
import threading
import time
import unittest

from harness import V16, V201, NodeTestCase, boot, password_hash, require_binary, wait_until
from ocpp_ws import NO_REPLY, UpgradeRefused


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@require_binary
class ReconfigureIsASet(NodeTestCase):
    node_args = ("--max-pending-settings", "60")
    call_timeout = 2

    def setting(self, cs, key):
        entry = self.node.station(cs).get("settings", {}).get(key, {})
        return entry.get("value"), entry.get("status")

    def test_fifty_keys_set_one_call_at_a_time_are_sent_once_each(self):
        client = self.station(V16)
        client.on_call("ChangeConfiguration", lambda p: (time.sleep(0.02), {"status": "Accepted"})[1])
        keys = [f"Key{i}" for i in range(50)]
        for key in keys:
            self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", {key: "1"})
        for key in keys:
            wait_until(lambda: self.setting(client.station_id, key) == ("1", "Accepted"), 15, what=key)
        sent = [c.payload["key"] for c in client.calls_of("ChangeConfiguration")]
        self.assertEqual(sorted(sent), sorted(keys), f"{len(sent)} ChangeConfiguration calls for 50 keys")

    def test_the_latest_value_of_a_key_wins(self):
        client = self.station(V201)
        release = threading.Event()

        def answer(payload):
            release.wait(5)
            return {"setVariableResult": [{"attributeStatus": "Accepted", "component": d["component"],
                                           "variable": d["variable"]} for d in payload["setVariableData"]]}
        client.on_call("SetVariables", answer)
        key = "OCPPCommCtrlr/HeartbeatInterval"
        for value in ("10", "20", "30"):
            self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", {key: value})
        release.set()
        wait_until(lambda: self.setting(client.station_id, key) == ("30", "Accepted"), 10, what="30 Accepted")
        values = [d["attributeValue"] for c in client.calls_of("SetVariables") for d in c.payload["setVariableData"]]
        self.assertEqual(values[-1], "30")
        self.assertLessEqual(len(values), 2, f"a value replaced while pending is not pushed again: {values}")

    def test_reconfigure_to_a_silent_station_does_not_pile_up(self):
        client = self.station(V16)
        client.on_call("ChangeConfiguration", lambda p: NO_REPLY)
        before = rss_kib(self.node.proc.pid)
        t0 = time.monotonic()
        for i in range(600):
            self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", {f"K{i % 50}": str(i)})
        elapsed = time.monotonic() - t0
        grown = rss_kib(self.node.proc.pid) - before
        calls = len(client.calls_of("ChangeConfiguration"))
        # One call at a time, each given up after the 2 s call timeout: the rest waits in the store.
        self.assertLessEqual(calls, elapsed / 2 + 2, f"{calls} ChangeConfiguration calls in {elapsed:.1f} s to a "
                                                     "station that answers none")
        self.assertLess(grown, 64 * 1024, f"RSS grew by {grown} KiB")
        self.call_ok(client, "Heartbeat", {})

    def test_pending_settings_are_bounded_with_a_clear_409(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        settings = {f"K{i}": "v" for i in range(60)}
        self.assertApi(200, "POST", f"/api/v0/cs/{cs}/reconfigure", settings)
        self.assertApi(200, "POST", f"/api/v0/cs/{cs}/reconfigure", {"K0": "again"})  # a pending key: no new room
        error = self.assertApiError(409, "POST", f"/api/v0/cs/{cs}/reconfigure", {"K60": "v"})
        self.assertIn("--max-pending-settings", error["error"])

    def test_set_variables_respects_the_items_per_message_the_station_reported(self):
        client = self.station(V201)
        self.call_ok(client, "NotifyReport", {
            "requestId": 1, "generatedAt": "2024-01-01T00:00:00Z", "seqNo": 0,
            "reportData": [{"component": {"name": "DeviceDataCtrlr"},
                            "variable": {"name": "ItemsPerMessage", "instance": "SetVariables"},
                            "variableAttribute": [{"type": "Actual", "value": "2"}]}]})

        def answer(payload):
            return {"setVariableResult": [{"attributeStatus": "Accepted", "component": d["component"],
                                           "variable": d["variable"]} for d in payload["setVariableData"]]}
        client.on_call("SetVariables", answer)
        settings = {f"Ctrlr{i}/Var": str(i) for i in range(5)}
        self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", settings)
        for key, value in settings.items():
            wait_until(lambda: self.setting(client.station_id, key) == (value, "Accepted"), 10, what=key)
        sizes = [len(c.payload["setVariableData"]) for c in client.calls_of("SetVariables")]
        self.assertEqual(sum(sizes), 5)
        self.assertLessEqual(max(sizes), 2, sizes)


@require_binary
class CallOutcomes(NodeTestCase):
    """Item 6: a call reported as not sent is never sent; what the API says is what happened."""
    call_timeout = 2

    def test_calls_queued_behind_a_slow_station_are_reported_truthfully(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: (time.sleep(1.5), {"status": "Accepted"})[1])
        results, lock = [], threading.Lock()

        def api_call():
            answer = self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"},
                                   timeout=60)
            with lock:
                results.append(answer)
        threads = [threading.Thread(target=api_call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 8)
        answered = [b for s, b in results if s == 200]
        not_sent = [b for s, b in results if s == 504 and b.get("sent") is False]
        timed_out = [b for s, b in results if s == 504 and b.get("sent") is True]
        self.assertEqual(len(answered) + len(not_sent) + len(timed_out), 8, results)
        self.assertGreater(len(not_sent), 0, "some calls waited longer than a call timeout behind the others")
        for body in not_sent:
            self.assertIn("not sent", body["error"])
        # Give any call that would wrongly go out late the time to do so.
        time.sleep(3)
        received = len(client.calls_of("Reset"))
        self.assertEqual(received, len(answered) + len(timed_out),
                         f"the station got {received} calls; the API reported {len(answered) + len(timed_out)} sent")
        self.assertTrue(client.closed_event.is_set() is False, "the station stayed connected")

    def test_a_call_to_a_station_that_goes_away_says_whether_it_was_sent(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: NO_REPLY)
        results = []
        threads = [threading.Thread(target=lambda: results.append(self.node.api(
            "POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"}))) for _ in range(2)]
        threads[0].start()
        client.wait_for_call("Reset", timeout=5)
        threads[1].start()
        client.abort()
        for t in threads:
            t.join(15)
        self.assertEqual([status for status, _ in results], [409, 409], results)
        # The one in flight went out; the other was queued (not sent) or came after the station left
        # ("not connected", nothing to say about sending).
        flags = sorted(str(body.get("sent")) for _, body in results)
        self.assertIn(flags, (["False", "True"], ["None", "True"]), results)


@require_binary
class CallerGivesUp(NodeTestCase):
    """Item 6: a caller that gives up (closes its connection) withdraws its call if it is still queued."""
    call_timeout = 2

    def test_a_call_whose_client_went_away_is_never_sent(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: NO_REPLY)  # the first call keeps the station busy
        first = threading.Thread(target=lambda: self.node.api(
            "POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"}))
        first.start()
        client.wait_for_call("Reset", timeout=5)
        # A second call from a client that sends its request and leaves at once.
        body = json.dumps({"type": "OnIdle"}).encode()
        with socket.create_connection(("127.0.0.1", self.node.api_port), timeout=5) as sock:
            sock.sendall(f"POST /api/v0/cs/{client.station_id}/call/Reset HTTP/1.1\r\nHost: x\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        first.join(10)
        # Calls go out in order: had the second not been withdrawn, it would reach the station
        # before this third one.
        client.on_call("Reset", lambda p: {"status": "Accepted"})
        self.assertEqual(self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"}),
                         (200, {"status": "Accepted"}))
        sent = [c.payload["type"] for c in client.calls_of("Reset")]
        self.assertEqual(sent, ["Immediate", "Immediate"], "the abandoned OnIdle call was never sent")


@require_binary
class CredentialChanges(NodeTestCase):
    """Item 7: a new password or security profile ends the session opened with the old one."""

    def test_a_new_password_ends_the_open_session(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="old-pw")
        client = self.connect(cs, V201, password="old-pw")
        self.assertEqual(boot(client)["status"], "Accepted")
        answer = self.assertApi(201, "POST", f"/api/v0/cs/{cs}",
                                {"securityProfile": 0, "base64SHA256Password": password_hash("new-pw")})
        self.assertEqual(answer.get("sessionEnded"), True, answer)
        self.assertTrue(client.closed_event.wait(5), "the old session was closed")
        with self.assertRaises(UpgradeRefused) as ctx:
            self.connect(cs, V201, password="old-pw")
        self.assertEqual(ctx.exception.status, 401)
        again = self.connect(cs, V201, password="new-pw")
        self.assertEqual(boot(again)["status"], "Accepted")

    def test_a_new_security_profile_ends_the_open_session(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="pw")
        client = self.connect(cs, V16, password="pw")
        self.assertEqual(boot(client)["status"], "Accepted")
        answer = self.assertApi(201, "POST", f"/api/v0/cs/{cs}",
                                {"securityProfile": 1, "base64SHA256Password": password_hash("pw")})
        self.assertEqual(answer.get("sessionEnded"), True, answer)
        self.assertTrue(client.closed_event.wait(5))
        with self.assertRaises(UpgradeRefused) as ctx:
            self.connect(cs, V16, password="pw")  # profile 1 needs wss now
        self.assertEqual(ctx.exception.status, 403)

    def test_re_registering_with_the_same_credentials_keeps_the_session(self):
        cs = self.unique_id()
        self.node.register_station(cs, password="pw")
        client = self.connect(cs, V201, password="pw")
        self.assertEqual(boot(client)["status"], "Accepted")
        answer = self.assertApi(201, "POST", f"/api/v0/cs/{cs}",
                                {"securityProfile": 0, "base64SHA256Password": password_hash("pw"), "tolerant": True})
        self.assertEqual(answer.get("sessionEnded"), False, answer)
        self.call_ok(client, "Heartbeat", {})


if __name__ == "__main__":
    unittest.main()
