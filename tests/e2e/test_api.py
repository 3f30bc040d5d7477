"""The management API (docs/api.md): every endpoint, its answers and its errors."""

import http.client
import json
import os
import shutil
import tempfile
import unittest

from harness import (NO_TOKEN, V16, V201, Node, NodeTestCase, boot_201, keep_files, now_iso, password_hash,
                     require_binary, token_body)
from ocpp_ws import UpgradeRefused
from payloads import meter_value, sv, tx_event


@require_binary
class Stations(NodeTestCase):
    def test_register_and_read_back_the_auth_settings(self):
        cs = self.unique_id()
        self.assertEqual(self.assertApi(201, "POST", f"/api/v0/cs/{cs}", {
            "securityProfile": 0, "base64SHA256Password": password_hash("pw"), "invalidUsernameAllowed": False}),
            {"status": "Created", "sessionEnded": False})
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/auth"),
                         {"securityProfile": 0, "invalidUsernameAllowed": False})
        # re-registering updates
        self.assertApi(201, "POST", f"/api/v0/cs/{cs}", {"securityProfile": 1, "invalidUsernameAllowed": True,
                                                         "base64SHA256Password": password_hash("pw")})
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/auth"),
                         {"securityProfile": 1, "invalidUsernameAllowed": True})
        station = self.assertApi(200, "GET", f"/api/v0/cs/{cs}")
        self.assertEqual((station["id"], station["securityProfile"], station["invalidUsernameAllowed"], station["online"]),
                         (cs, 1, True, False))
        self.assertNotIn("base64SHA256Password", json.dumps(station), "no password material in the station view")

    def test_fields_a_station_never_reported_are_absent(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        station = self.assertApi(200, "GET", f"/api/v0/cs/{cs}")
        reported = ("protocol", "lastSeen", "connectedAt", "bootedAt", "boot", "connectors", "firmwareStatus",
                    "logStatus", "diagnosticsStatus")
        self.assertEqual([key for key in reported if key in station], [], f"docs/api.md: absent, got {station}")

    def test_tolerant_flag_is_kept(self):
        cs = self.unique_id()
        self.assertApi(201, "POST", f"/api/v0/cs/{cs}", {"securityProfile": 0, "tolerant": True})
        self.assertIs(self.assertApi(200, "GET", f"/api/v0/cs/{cs}")["tolerant"], True)

    def test_unknown_station_is_404_everywhere(self):
        cs = self.unique_id("NOPE")
        error = self.assertApiError(404, "GET", f"/api/v0/cs/{cs}/auth")
        self.assertEqual(error["status"], "Not Found")
        self.assertIn(cs, error["error"])
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}")
        self.assertApiError(404, "DELETE", f"/api/v0/cs/{cs}")
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}/events")
        self.assertApiError(404, "POST", f"/api/v0/cs/{cs}/trigger", {"trigger": "Heartbeat"})
        self.assertApiError(404, "POST", f"/api/v0/cs/{cs}/call/Reset", {"type": "Immediate"})
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}/transactions/1")

    def test_bad_registration_bodies_are_400_naming_the_field(self):
        cs = self.unique_id()
        error = self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", {"securityProfile": 7}, contains="/securityProfile")
        self.assertEqual(error["status"], "Bad Request")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", {"securityProfile": "zero"}, contains="/securityProfile")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", {"securityProfile": -1}, contains="/securityProfile")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", {"securityProfile": 0, "invalidUsernameAllowed": "yes"},
                            contains="/invalidUsernameAllowed")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", raw_body="{not json")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}", raw_body="[]")
        # nothing was registered by the failed attempts
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}")

    def test_station_id_length_is_checked(self):
        self.assertApi(201, "POST", "/api/v0/cs/" + "A" * 48, {"securityProfile": 0})
        self.assertApiError(400, "POST", "/api/v0/cs/" + "B" * 49, {"securityProfile": 0})

    def test_list_stations_with_paging(self):
        ids = sorted(self.unique_id("LST") for _ in range(3))
        for cs in ids:
            self.node.register_station(cs)
        listed = self.assertApi(200, "GET", "/api/v0/cs?offset=0&limit=100")
        self.assertIsInstance(listed, list)
        listed_ids = [s["id"] for s in listed]
        for cs in ids:
            self.assertIn(cs, listed_ids)
        self.assertEqual(len(self.assertApi(200, "GET", "/api/v0/cs?offset=0&limit=2")), 2)
        first = self.assertApi(200, "GET", "/api/v0/cs?offset=0&limit=1")
        second = self.assertApi(200, "GET", "/api/v0/cs?offset=1&limit=1")
        self.assertNotEqual(first[0]["id"], second[0]["id"])

    def test_delete_a_station_disconnects_it(self):
        client = self.station(V201)
        cs = client.station_id
        self.assertIsNone(self.assertApi(204, "DELETE", f"/api/v0/cs/{cs}"))
        self.assertTrue(client.closed_event.wait(5), "deleting a station closes its connection")
        self.assertApiError(404, "GET", f"/api/v0/cs/{cs}")
        self.assertApiError(404, "DELETE", f"/api/v0/cs/{cs}")
        with self.assertRaises(UpgradeRefused) as ctx:
            self.connect(cs, V201)
        self.assertEqual(ctx.exception.status, 404)

    def test_transaction_queries_are_validated(self):
        self.assertApiError(400, "GET", "/api/v0/transactions?from=yesterday")
        self.assertApiError(400, "GET", "/api/v0/transactions?to=2026-13-45T99:00:00Z")
        self.assertApiError(400, "GET", "/api/v0/transactions?limit=many")
        self.assertEqual(self.assertApi(200, "GET", "/api/v0/transactions?csId=NOBODY-AT-ALL"), [])

    def test_events_of_a_quiet_station_are_empty(self):
        client = self.station(V16)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{client.station_id}/events"), [])

    def test_reconfigure_and_trigger_validation(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.assertApi(200, "POST", f"/api/v0/cs/{cs}/reconfigure", {"HeartbeatInterval": "60"}),
                         {"status": "OK"})
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}/reconfigure", raw_body="nope")
        self.assertApiError(400, "POST", f"/api/v0/cs/{cs}/reconfigure", {"HeartbeatInterval": 60})
        self.assertApiError(409, "POST", f"/api/v0/cs/{cs}/trigger", {"trigger": "StatusNotification"})
        client = self.station(V201)
        for body in ({"trigger": "NoSuchMessage"}, {}, {"trigger": 5}):
            self.assertApiError(400, "POST", f"/api/v0/cs/{client.station_id}/trigger", body)
        self.assertApiError(400, "POST", f"/api/v0/cs/{client.station_id}/trigger", raw_body="{")
        self.assertEqual(client.calls_of("TriggerMessage"), [], "nothing sent for a bad trigger")


@require_binary
class Tokens(NodeTestCase):
    def test_create_read_update_delete(self):
        uid = self.unique_id("TK")
        body = token_body(uid, groupId="G1", visualNumber="VIS-1", languageCode="en")
        self.assertIsNone(self.assertApi(201, "POST", "/api/v0/token", body))
        got = self.assertApi(200, "GET", f"/api/v0/token/{uid}")
        self.assertIn("lastUpdated", got)
        for key, value in body.items():
            self.assertEqual(got.get(key), value, key)
        body["valid"] = False
        self.assertApi(201, "POST", "/api/v0/token", body)
        self.assertIs(self.assertApi(200, "GET", f"/api/v0/token/{uid}")["valid"], False)
        self.assertIsNone(self.assertApi(204, "DELETE", f"/api/v0/token/{uid}"))
        self.assertApiError(404, "GET", f"/api/v0/token/{uid}")
        self.assertApiError(404, "DELETE", f"/api/v0/token/{uid}")

    def test_bad_token_bodies_are_400_naming_the_field(self):
        body = token_body("X1")
        del body["uid"]
        self.assertApiError(400, "POST", "/api/v0/token", body, contains="/uid")
        self.assertApiError(400, "POST", "/api/v0/token", token_body("X2", valid="yes"), contains="/valid")
        self.assertApiError(400, "POST", "/api/v0/token", token_body("X3", cacheMode="SOMETIMES"), contains="/cacheMode")
        self.assertApiError(400, "POST", "/api/v0/token", token_body("X4", type="BARCODE"), contains="/type")
        self.assertApiError(400, "POST", "/api/v0/token", raw_body="{")
        self.assertApiError(400, "POST", "/api/v0/token", token_body("X5", contractId="GB-TWK-0123"), contains="/contractId")
        self.assertApiError(400, "POST", "/api/v0/token", token_body("X6", countryCode="GBR"), contains="/countryCode")
        self.assertApiError(404, "GET", "/api/v0/token/X1")
        # MaEVe's eMAID pattern, with and without separators
        for uid, emaid in (("X7", "GB-TWK-012345678-V"), ("X8", "GBTWK012345678"), ("X9", "gb-twk-abcdefghi")):
            self.assertApi(201, "POST", "/api/v0/token", token_body(uid, contractId=emaid))

    def test_list_in_uid_order_with_paging(self):
        prefix = self.unique_id("ZZLIST")
        uids = [f"{prefix}-{c}" for c in "cab"]
        for uid in uids:
            self.node.add_token(uid)
        everything = self.assertApi(200, "GET", "/api/v0/token?offset=0&limit=100")
        listed = [t["uid"] for t in everything]
        self.assertEqual(listed, sorted(listed), "uid order")
        self.assertEqual([u for u in listed if u.startswith(prefix)], sorted(uids))
        self.assertLessEqual(len(self.assertApi(200, "GET", "/api/v0/token")), 20, "default limit 20")
        page = self.assertApi(200, "GET", "/api/v0/token?offset=1&limit=2")
        self.assertEqual([t["uid"] for t in page], listed[1:3])
        self.assertApiError(400, "GET", "/api/v0/token?limit=0")
        self.assertApiError(400, "GET", "/api/v0/token?limit=101")
        self.assertApiError(400, "GET", "/api/v0/token?offset=-1")


@require_binary
class Operations(NodeTestCase):
    def test_health(self):
        self.assertEqual(self.assertApi(200, "GET", "/health"), {"status": "OK"})

    def test_metrics_in_prometheus_text_format(self):
        client = self.station(V201)
        client.call("Heartbeat", {})
        text = self.assertApi(200, "GET", "/metrics")
        self.assertIsInstance(text, str)
        self.assertTrue(self.node.last_response_headers.get("content-type", "").startswith("text/plain"),
                        self.node.last_response_headers)
        names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
        self.assertTrue(any(n.startswith("evbroker_") for n in names), names)
        self.assertIn("# TYPE evbroker_", text)
        samples = [line for line in text.splitlines() if line.startswith("evbroker_")]
        self.assertTrue(any('protocol="ocpp2.0.1"' in line and not line.endswith(" 0") for line in samples),
                        "connections or messages by protocol")
        self.assertTrue(any('action="Heartbeat"' in line for line in samples), "messages by action")
        self.assertRegex(text, r"# TYPE evbroker_\w+ histogram", "a latency histogram")

    def test_openapi_document(self):
        doc = self.assertApi(200, "GET", "/api/openapi.json")
        self.assertIsInstance(doc, dict)
        self.assertTrue(str(doc.get("openapi", "")).startswith("3"), doc.get("openapi"))
        for path in ("/api/v0/cs/{csId}", "/api/v0/token", "/api/v0/cs/{csId}/call/{action}"):
            self.assertTrue(any(p.lower() == path.lower() for p in doc.get("paths", {})), f"{path} in {list(doc.get('paths', {}))}")

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.node.api_port, timeout=10)
        try:
            for path in ("/health", "/api/v0/cs?limit=1", "/api/v0/nothing-here", "/health"):
                conn.request("GET", path)
                response = conn.getresponse()
                json.loads(response.read())
                self.assertIn(response.status, (200, 404))
        finally:
            conn.close()

    def test_unknown_paths_are_404(self):
        self.assertApiError(404, "GET", "/api/v0/nothing-here")
        self.assertApiError(404, "GET", "/api/v1/cs")
        self.assertApiError(404, "GET", "/api/v0/cs/CS1/nothing-here")

    def test_a_known_path_with_another_method_is_405_naming_its_methods(self):
        answer = self.assertApiError(405, "PUT", "/api/v0/cs/CS1", {"x": 1}, contains="POST, GET, DELETE")
        self.assertEqual(answer["status"], "Method Not Allowed", answer)
        conn = http.client.HTTPConnection("127.0.0.1", self.node.api_port, timeout=10)
        try:
            conn.request("PATCH", "/api/v0/token")
            response = conn.getresponse()
            response.read()
            self.assertEqual(response.status, 405)
            self.assertEqual(response.getheader("Allow"), "POST, GET")
        finally:
            conn.close()


@require_binary
class Persistence(unittest.TestCase):
    def test_registrations_tokens_station_data_and_transactions_survive_a_restart(self):
        root = tempfile.mkdtemp(prefix="evbroker-e2e-persist-")
        self.addCleanup(lambda: keep_files() or shutil.rmtree(root, ignore_errors=True))
        data = os.path.join(root, "data")
        with Node(data_dir=data) as node:
            node.register_station("P-1", password="pw", invalid_username_allowed=True)
            node.add_token("P-TOKEN", groupId="P-GROUP")
            client = node.connect("P-1", V201, password="pw")
            try:
                client.call("BootNotification", boot_201(serial="P-SERIAL"))
                client.call("StatusNotification", {"timestamp": now_iso(), "connectorStatus": "Occupied",
                                                   "evseId": 1, "connectorId": 1})
                client.call("SecurityEventNotification", {"type": "TamperDetectionActivated", "timestamp": now_iso()})
                client.call("TransactionEvent", tx_event("Started", "P-TX", 0, "Authorized", id_token="P-TOKEN",
                                                         meter=[meter_value(now_iso(), sv(10))]))
            finally:
                client.close()
            before = node.station("P-1")
            token_before = node.api("GET", "/api/v0/token/P-TOKEN")[1]
            tx_before = node.transaction("P-1", "P-TX")
            events_before = node.api("GET", "/api/v0/cs/P-1/events")[1]
            self.assertIn("SecurityEventNotification", [e["type"] for e in events_before])
        with Node(data_dir=data) as node:
            after = node.station("P-1")
            self.assertIs(after["online"], False)
            for key in ("securityProfile", "invalidUsernameAllowed", "protocol", "boot", "connectors", "bootedAt"):
                self.assertEqual(after.get(key), before.get(key), key)
            self.assertEqual(node.api("GET", "/api/v0/token/P-TOKEN"), (200, token_before))
            self.assertEqual(node.transaction("P-1", "P-TX"), tx_before)
            self.assertEqual(node.api("GET", "/api/v0/cs/P-1/events"), (200, events_before))
            # the stored password still works, and a wrong one still does not
            with self.assertRaises(UpgradeRefused):
                node.connect("P-1", V201, password="nope")
            client = node.connect("P-1", V201, password="pw")
            try:
                self.assertEqual(client.call("BootNotification", boot_201())["status"], "Accepted")
            finally:
                client.close()


@require_binary
class BearerToken(NodeTestCase):
    api_token = "s3cret-token"

    def test_every_request_but_health_needs_the_token(self):
        self.assertEqual(self.assertApi(200, "GET", "/health", token=NO_TOKEN), {"status": "OK"})
        for method, path in (("GET", "/api/v0/cs"), ("GET", "/api/v0/token"), ("GET", "/metrics"),
                             ("GET", "/api/openapi.json"), ("POST", "/api/v0/cs/CSX")):
            with self.subTest(path=path):
                body = {"securityProfile": 0} if method == "POST" else None
                self.assertApiError(401, method, path, body, token=NO_TOKEN)
                self.assertApiError(401, method, path, body, token="wrong-token")
        self.assertApiError(404, "GET", "/api/v0/cs/CSX", token="s3cret-token")   # nothing was registered
        self.assertApi(200, "GET", "/api/v0/cs", token="s3cret-token")
        self.assertApi(201, "POST", "/api/v0/cs/CSX", {"securityProfile": 0}, token="s3cret-token")
        self.assertApi(200, "GET", "/api/v0/cs/CSX")


if __name__ == "__main__":
    unittest.main()
