"""Issue 12, hostile input: frames and API bodies that crashed the node or were answered wrongly.

Each test sends what the issue found against the real binary and checks the node's answer and that
it is still up and serving other stations afterwards.
"""

import json
import socket
import unittest
import urllib.parse

from harness import (NO_TOKEN, V16, V201, NodeTestCase, boot, password_hash, require_binary, wait_until)
import ocpp_ws
from ocpp_ws import UpgradeRefused

ATTACK_LEVELS = 60000  # the frame: ~120 KB of nested arrays
OBJECT_LEVELS = 40000  # nested objects take 5 bytes a level: ~200 KB, within the 256 KB frame limit


def upgrade_status(node, path):
    """The HTTP status the node answers a websocket upgrade of `path` with (raw bytes, no quoting)."""
    with socket.create_connection(("127.0.0.1", node.ws_port), timeout=5) as sock:
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: ocpp2.0.1\r\n\r\n").encode("ascii"))
        head = sock.recv(4096).decode("latin-1")
    return int(head.split(" ", 2)[1])


def nested_arrays(levels):
    return "[" * levels + "1" + "]" * levels


def nested_objects(levels):
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


class StaysUp:
    """Mixin: the node answers /health and another station is still served."""

    def assertNodeServes(self):
        self.assertTrue(self.node.running(), f"the node died\n{self.node.log_tail()}")
        self.assertEqual(self.node.api("GET", "/health", token=NO_TOKEN)[0], 200)
        other = self.station(V201)
        self.call_ok(other, "Heartbeat", {})


@require_binary
class DeepNesting(NodeTestCase, StaysUp):
    """Item 1: one frame of deeply nested JSON killed the node (unbounded recursion)."""

    def test_a_callerror_with_deep_details_is_dropped_and_the_node_stays_up(self):
        client = self.station(V201)
        client.send_raw(f'[4,"no-such-call","GenericError","x",{{"d":{nested_arrays(ATTACK_LEVELS)}}}]')
        client.send_raw(f'[4,"no-such-call","GenericError","x",{nested_objects(OBJECT_LEVELS)}]')
        # A CALLERROR is never answered; the connection stays usable.
        self.call_ok(client, "Heartbeat", {})
        self.assertNodeServes()

    def test_a_deep_data_transfer_gets_format_violation(self):
        for protocol, code in ((V201, "FormatViolation"), (V16, "FormationViolation")):
            with self.subTest(protocol=protocol):
                client = self.station(protocol)
                message_id = "deep-" + protocol
                client.send_raw(f'[2,"{message_id}","DataTransfer",{{"vendorId":"v","data":{nested_arrays(ATTACK_LEVELS)}}}]')
                answer = json.loads(client.recv_raw(timeout=10))
                self.assertEqual(answer[:3], [4, message_id, code], answer)
                self.assertIn("nested", answer[3])
                self.call_ok(client, "Heartbeat", {})
        self.assertNodeServes()

    def test_deep_custom_data_gets_format_violation(self):
        client = self.station(V201)
        client.send_raw(f'[2,"cd","Heartbeat",{{"customData":{{"vendorId":"v","x":{nested_objects(OBJECT_LEVELS)}}}}}]')
        answer = json.loads(client.recv_raw(timeout=10))
        self.assertEqual(answer[:3], [4, "cd", "FormatViolation"], answer)
        self.assertNodeServes()

    def test_a_tolerant_station_is_held_to_the_same_depth(self):
        client = self.station(V201, tolerant=True)
        client.send_raw(f'[2,"t","Heartbeat",{{"unknown":{nested_arrays(ATTACK_LEVELS)}}}]')
        answer = json.loads(client.recv_raw(timeout=10))
        self.assertEqual(answer[:3], [4, "t", "FormatViolation"], answer)
        self.assertNodeServes()

    def test_moderate_vendor_data_still_passes(self):
        client = self.station(V201)
        answer = self.call_ok(client, "DataTransfer", {"vendorId": "v", "data": json.loads(nested_arrays(40))})
        self.assertEqual(answer["status"], "UnknownVendorId")

    def test_a_deep_api_body_is_400(self):
        client = self.station(V201)
        status, answer = self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/DataTransfer",
                                       raw_body='{"vendorId":"v","data":' + nested_arrays(ATTACK_LEVELS) + "}")
        self.assertEqual(status, 400, answer)
        self.assertIn("nested", answer["error"])
        status, answer = self.node.api("POST", f"/api/v0/cs/{self.unique_id()}",
                                       raw_body='{"securityProfile":0,"x":' + nested_arrays(ATTACK_LEVELS) + "}")
        self.assertEqual(status, 400, answer)
        self.assertIn("deeper than 64 levels", answer["error"])
        self.assertEqual(client.calls_of("DataTransfer"), [], "nothing was sent to the station")
        self.assertNodeServes()


@require_binary
class Numbers(NodeTestCase):
    """Item 13: a number of the wrong range is not malformed JSON."""

    def test_an_integer_beyond_64_bits_gets_type_constraint_violation_like_1e300(self):
        client = self.station(V201)
        for number in ("99999999999999999999", "1e300"):
            with self.subTest(number=number):
                client.send_raw('[2,"n","StatusNotification",{"timestamp":"2024-01-01T00:00:00Z",'
                                f'"connectorStatus":"Available","evseId":{number},"connectorId":1}}]')
                answer = json.loads(client.recv_raw(timeout=5))
                self.assertEqual(answer[:3], [4, "n", "TypeConstraintViolation"], answer)
                self.assertIn("/evseId", answer[3])

    def test_16_uses_the_same_code(self):
        client = self.station(V16)
        client.send_raw('[2,"n","MeterValues",{"connectorId":99999999999999999999,"meterValue":[]}]')
        answer = json.loads(client.recv_raw(timeout=5))
        self.assertEqual(answer[:3], [4, "n", "TypeConstraintViolation"], answer)


@require_binary
class StationIds(NodeTestCase):
    """Item 9: ids follow OCPP's identifierString (48 characters at most) at registration and upgrade."""

    def test_identifier_string_ids_are_accepted(self):
        for cs in ("CS-1_a.b", "DE*ABC*E1234", "x" * 48, "a=b+c|d@e"):
            with self.subTest(cs=cs):
                self.node.register_station(cs, password="pw")
                client = self.connect(cs, V201, password="pw")
                self.assertEqual(boot(client)["status"], "Accepted")
                self.assertIs(self.node.station(cs)["online"], True)

    def test_other_ids_are_refused_at_registration(self):
        for path_segment, why in ((urllib.parse.quote("Säule 7"), "identifierString"), ("CS%201", "identifierString"),
                                  ("CS%2F1", "identifierString"), ("%FF%FE", "identifierString"),
                                  ("a~b", "identifierString"), ("x" * 49, "1 to 48 characters")):
            with self.subTest(path_segment=path_segment):
                status, answer = self.node.api("POST", f"/api/v0/cs/{path_segment}", {"securityProfile": 0})
                self.assertEqual(status, 400, answer)
                self.assertIn(why, answer["error"])

    def test_an_id_with_a_colon_cannot_log_in_with_a_password_unless_usernames_are_free(self):
        status, answer = self.node.api("POST", "/api/v0/cs/CS:1", {"securityProfile": 0,
                                                                   "base64SHA256Password": password_hash("pw")})
        self.assertEqual(status, 400, answer)
        self.assertIn("':'", answer["error"])
        self.assertApi(201, "POST", "/api/v0/cs/CS:2", {"securityProfile": 0, "invalidUsernameAllowed": True,
                                                       "base64SHA256Password": password_hash("pw")})
        client = self.connect("CS:2", V201, username="any", password="pw")
        self.assertEqual(boot(client)["status"], "Accepted")

    def test_an_upgrade_with_an_invalid_id_is_refused_and_the_listing_stays_valid_json(self):
        with self.assertRaises(UpgradeRefused) as ctx:
            self.connect("Säule 7", V201)
        self.assertEqual(ctx.exception.status, 400)
        # Bytes that are not UTF-8 at all, percent-encoded in the path.
        self.assertEqual(upgrade_status(self.node, "/ws/%FF%FE"), 400)
        status, listed = self.node.api("GET", "/api/v0/cs?limit=100")
        self.assertEqual(status, 200)
        self.assertIsInstance(listed, list, "the listing parses as JSON")


@require_binary
class ApiDetails(NodeTestCase):
    api_token = "Secret-1"

    def test_the_bearer_scheme_is_case_insensitive(self):
        for scheme in ("Bearer", "bearer", "BEARER", "bEaReR"):
            with self.subTest(scheme=scheme):
                status, _ = self.node.api("GET", "/api/v0/cs", token=NO_TOKEN,
                                          headers={"Authorization": f"{scheme} Secret-1"})
                self.assertEqual(status, 200)
        self.assertEqual(self.node.api("GET", "/api/v0/cs", token=NO_TOKEN,
                                       headers={"Authorization": "bearer Secret-2"})[0], 401)

    def test_head_health_answers_like_get(self):
        status, body = self.node.api("HEAD", "/health", token=NO_TOKEN)
        self.assertEqual((status, body), (200, None))
        self.assertEqual(self.node.api("HEAD", "/api/v0/cs")[0], 200)

    def test_duplicate_keys_in_an_api_body_are_refused(self):
        cs = self.unique_id()
        status, answer = self.node.api("POST", f"/api/v0/cs/{cs}",
                                       raw_body='{"securityProfile":0,"securityProfile":1}')
        self.assertEqual(status, 400, answer)
        self.assertIn("/securityProfile", answer["error"])
        self.assertEqual(self.node.api("GET", f"/api/v0/cs/{cs}")[0], 404, "nothing was registered")
        status, answer = self.node.api("POST", "/api/v0/token",
                                       raw_body='{"countryCode":"GB","partyId":"TWK","type":"RFID","uid":"U1",'
                                                '"contractId":"C","issuer":"I","valid":true,"valid":false,'
                                                '"cacheMode":"ALWAYS"}')
        self.assertEqual(status, 400, answer)
        client = self.station(V201)
        status, answer = self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/Reset",
                                       raw_body='{"type":"Immediate","type":"OnIdle"}')
        self.assertEqual(status, 400, answer)


@require_binary
class LogFlood(NodeTestCase):
    """Item 15: malformed frames are logged a few at a time per station; the metrics count them all."""

    def test_a_thousand_malformed_frames_write_a_handful_of_lines(self):
        client = self.station(V201)
        before = self.node.log_text().count(client.station_id + ": malformed frame")
        for i in range(1000):
            client.send_raw("[2, not json " + str(i))
        self.call_ok(client, "Heartbeat", {})  # every frame before it was handled
        lines = self.node.log_text().count(client.station_id + ": malformed frame") - before
        self.assertGreaterEqual(lines, 1)
        self.assertLessEqual(lines, 20, f"{lines} log lines for 1000 malformed frames")
        metrics = self.node.api("GET", "/metrics")[1]
        rejected = [line for line in metrics.splitlines() if line.startswith("evbroker_frames_rejected_total")]
        self.assertTrue(rejected and int(rejected[0].split()[-1]) >= 1000, rejected)


if __name__ == "__main__":
    unittest.main()
