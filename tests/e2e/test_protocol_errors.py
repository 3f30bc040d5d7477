"""Malformed frames, unknown actions and schema violations get a CALLERROR with the exact code for
the version, the description names the field, and the connection stays open."""

import json
import time
import unittest

import ocpp_schema
from harness import V16, V201, NodeTestCase, require_binary
from ocpp_ws import OP_BINARY, CallError
from payloads import STATION_ACTIONS_16, STATION_ACTIONS_201


class ProtocolErrorsMixin:
    protocol = None
    codes = {}          # what -> the error code of this version
    station_actions = ()

    def expect_raw_error(self, client, text, code, message_id):
        client.send_raw(text)
        answer = json.loads(client.recv_raw(5))
        self.assertEqual(len(answer), 5, answer)
        self.assertEqual(answer[0], 4, answer)
        if isinstance(message_id, tuple):
            self.assertIn(answer[1], message_id, answer)
        else:
            self.assertEqual(answer[1], message_id, answer)
        self.assertEqual(answer[2], code, answer)
        self.assertIsInstance(answer[3], str)
        self.assertIsInstance(answer[4], dict)
        self.still_open(client)
        return answer

    def still_open(self, client):
        self.assertFalse(client.closed_event.is_set(), f"connection closed ({client.close_code} {client.close_reason})")
        self.call_ok(client, "Heartbeat", {})

    def test_malformed_frames(self):
        client = self.station(self.protocol)
        rpc = self.codes["rpc"]
        self.expect_raw_error(client, "this is not json", rpc, "-1")
        # truncated JSON: the id may be salvaged from the prefix or not (the spec does not say)
        self.expect_raw_error(client, '[2, "abc", "Heartbeat", {}', rpc, ("abc", "-1"))
        self.expect_raw_error(client, '{"messageTypeId": 2}', rpc, "-1")
        self.expect_raw_error(client, '[2, "id-arity", "Heartbeat"]', rpc, "id-arity")
        self.expect_raw_error(client, '[2, 42, "Heartbeat", {}]', rpc, "-1")
        self.expect_raw_error(client, '[2, "' + "x" * 37 + '", "Heartbeat", {}]', rpc, "-1")
        self.expect_raw_error(client, '[2, "id-payload", "Heartbeat", []]', self.codes["format"], "id-payload")

    def test_an_unknown_message_type_is_answered_with_its_message_id(self):
        # the id is readable (a string in second place): the station must be able to match the error
        client = self.station(self.protocol)
        self.expect_raw_error(client, '[7, "id-type", "Heartbeat", {}]', self.codes["message_type"], "id-type")

    def test_unknown_action_is_not_implemented(self):
        client = self.station(self.protocol)
        error = self.call_error(client, "BogusAction", {}, "NotImplemented")
        self.assertIsInstance(error.details, dict)
        self.still_open(client)

    def test_a_csms_only_action_from_the_station_is_not_supported(self):
        client = self.station(self.protocol)
        self.call_error(client, "Reset", self.reset_payload, "NotSupported")
        self.still_open(client)

    def test_schema_violations_in_boot_notification(self):
        client = self.station(self.protocol)
        for name, payload, code, pointer in self.boot_violations():
            with self.subTest(name):
                error = self.call_error(client, "BootNotification", payload, self.codes.get(code, code))
                self.assertIn(pointer, error.description)
                self.assertLessEqual(len(error.description), 255)
                self.still_open(client)

    def test_every_schema_violation_vector_gets_its_error_code(self):
        client = self.station(self.protocol)
        mismatches, total = [], 0
        for action in self.station_actions:
            for case in ocpp_schema.vectors(self.protocol, action, valid=False):
                total += 1
                expect = case["expect"]
                try:
                    answer = client.call(action, case["payload"])
                    mismatches.append(f"{action} {case['name']}: CALLRESULT {json.dumps(answer)[:80]}")
                except Exception as e:  # CallError expected; anything else is a mismatch too
                    code = getattr(e, "code", None)
                    description = getattr(e, "description", "")
                    if code != expect["ocpp"] or expect["pointer"] not in description:
                        mismatches.append(f"{action} {case['name']}: want {expect['ocpp']} naming {expect['pointer']}, "
                                          f"got {code or type(e).__name__} {description!r}")
                    if client.closed_event.is_set():
                        self.fail(f"connection closed after {action} {case['name']}; mismatches so far: {mismatches[:10]}")
        self.assertGreater(total, 100)
        self.assertEqual(mismatches[:25], [], f"{len(mismatches)} of {total} violations answered wrongly")
        self.still_open(client)

    def test_a_result_for_an_unknown_call_is_ignored(self):
        client = self.station(self.protocol)
        client.send_raw('[3, "nobody-asked", {}]')
        client.send_raw('[4, "nobody-asked-either", "GenericError", "", {}]')
        self.still_open(client)
        with self.assertRaises(TimeoutError):
            client.recv_raw(0.5)

    def test_a_fragmented_call_is_answered(self):
        client = self.station(self.protocol)
        client.send_fragmented('[2, "frag-1", "Heartbeat", {}]', pieces=4)
        answer = json.loads(client.recv_raw(5))
        self.assertEqual(answer[:2], [3, "frag-1"])
        self.assertIn("currentTime", answer[2])

    def test_a_binary_message_closes_only_that_connection(self):
        bad, good = self.station(self.protocol), self.station(self.protocol)
        bad._send_frame(OP_BINARY, b"\x00\x01")
        self.assertTrue(bad.closed_event.wait(5))
        self.assertEqual(bad.close_code, 1003)
        self.still_open(good)

    def test_a_large_message_within_the_limit_is_answered(self):
        client = self.station(self.protocol)
        answer = self.call_ok(client, "DataTransfer", {"vendorId": "com.example.e2e", "data": "B" * (200 * 1024)})
        self.assertIn("status", answer)

    def test_an_oversized_message_hurts_only_its_sender(self):
        bad, good = self.station(self.protocol), self.station(self.protocol)
        huge = json.dumps([2, "huge-1", "DataTransfer", {"vendorId": "x", "data": "A" * (300 * 1024)}])
        bad.send_raw(huge)
        # either the frame is refused with a CALLERROR or the connection is closed with 1009
        deadline = time.monotonic() + 5
        outcome = None
        while outcome is None and time.monotonic() < deadline:
            if bad.closed_event.is_set():
                outcome = ("closed", bad.close_code)
                break
            try:
                answer = json.loads(bad.recv_raw(0.2))
                outcome = ("error", answer[2] if answer[0] == 4 else answer)
            except TimeoutError:
                pass
        self.assertIn(outcome, [("closed", 1009), ("error", self.codes["format"])])
        self.still_open(good)


@require_binary
class ProtocolErrors201(ProtocolErrorsMixin, NodeTestCase):
    protocol = V201
    station_actions = STATION_ACTIONS_201
    reset_payload = {"type": "Immediate"}
    codes = {"rpc": "RpcFrameworkError", "message_type": "MessageTypeNotSupported", "format": "FormatViolation",
             "occurrence": "OccurrenceConstraintViolation", "type": "TypeConstraintViolation",
             "property": "PropertyConstraintViolation", "unknown_property": "FormatViolation"}

    def boot_violations(self):
        station = {"model": "M", "vendorName": "V"}
        return [
            ("missing required", {"chargingStation": {"vendorName": "V"}, "reason": "PowerUp"},
             "occurrence", "/chargingStation/model"),
            ("missing object", {"reason": "PowerUp"}, "occurrence", "/chargingStation"),
            ("wrong type", {"chargingStation": {"model": 42, "vendorName": "V"}, "reason": "PowerUp"},
             "type", "/chargingStation/model"),
            ("too long", {"chargingStation": {"model": "M" * 21, "vendorName": "V"}, "reason": "PowerUp"},
             "property", "/chargingStation/model"),
            ("enum", {"chargingStation": station, "reason": "Bored"}, "property", "/reason"),
            ("unknown property", {"chargingStation": station, "reason": "PowerUp", "colour": "red"},
             "unknown_property", "/colour"),
            ("unknown nested property", {"chargingStation": dict(station, colour="red"), "reason": "PowerUp"},
             "unknown_property", "/chargingStation/colour"),
        ]


@require_binary
class ProtocolErrors16(ProtocolErrorsMixin, NodeTestCase):
    protocol = V16
    station_actions = STATION_ACTIONS_16
    reset_payload = {"type": "Soft"}
    codes = {"rpc": "FormationViolation", "message_type": "FormationViolation", "format": "FormationViolation",
             "occurrence": "OccurenceConstraintViolation", "type": "TypeConstraintViolation",
             "property": "PropertyConstraintViolation", "unknown_property": "FormationViolation"}

    def boot_violations(self):
        return [
            ("missing required", {"chargePointVendor": "V"}, "occurrence", "/chargePointModel"),
            ("wrong type", {"chargePointVendor": "V", "chargePointModel": 42}, "type", "/chargePointModel"),
            ("too long", {"chargePointVendor": "V", "chargePointModel": "M" * 21}, "property", "/chargePointModel"),
            ("unknown property", {"chargePointVendor": "V", "chargePointModel": "M", "colour": "red"},
             "unknown_property", "/colour"),
        ]

    def test_enum_violation_in_status_notification(self):
        client = self.station(V16)
        error = self.call_error(client, "StatusNotification",
                                {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"},
                                "PropertyConstraintViolation")
        self.assertIn("/status", error.description)
        self.still_open(client)


@require_binary
class TolerantStations(NodeTestCase):
    """A station registered with "tolerant": true gets unknown enum values and extra fields accepted
    (and stored as sent); what is missing is still an error."""

    def test_tolerant_station_accepts_extra_fields_and_unknown_optional_enums(self):
        client = self.station(V201, booted=False, tolerant=True)
        boot = {"chargingStation": {"model": "M", "vendorName": "V", "colour": "red"}, "reason": "PowerUp", "x-extra": 1}
        self.assertEqual(self.call_ok_tolerant(client, "BootNotification", boot)["status"], "Accepted")
        self.assertEqual(self.node.station(client.station_id)["boot"], boot, "stored as sent")
        event = {"eventType": "Started", "timestamp": "2026-01-01T00:00:00Z", "triggerReason": "CablePluggedIn",
                 "seqNo": 0, "transactionInfo": {"transactionId": "TOL-1", "chargingState": "Sleeping"},
                 "vendorFlag": True}
        self.call_ok_tolerant(client, "TransactionEvent", event)
        self.assertEqual(self.node.transaction(client.station_id, "TOL-1")["state"], "active")
        self.call_error(client, "BootNotification", {"reason": "PowerUp"}, "OccurrenceConstraintViolation")
        v16 = self.station(V16, tolerant=True)
        self.call_ok_tolerant(v16, "Heartbeat", {"vendorClock": "x"})
        self.call_error(v16, "StatusNotification", {"connectorId": 1, "status": "Available"},
                        "OccurenceConstraintViolation")

    # Known gap (README "What does not work yet"): tolerant mode relaxes unknown properties,
    # over-long strings and unknown values of optional enums, but a required enum has no slot in
    # the typed message for a value outside the schema, so it is still refused. Kept as an
    # expected failure so that the day it passes, the marker must go.
    @unittest.expectedFailure
    def test_tolerant_station_accepts_unknown_values_of_required_enums(self):
        # The design: "a per-station tolerant mode accepts unknown enum values ... and stores what was sent".
        # Real 2.0.1 chargers send 1.6 statuses ("Charging"); real 1.6 ones send vendor statuses.
        client = self.station(V201, tolerant=True)
        self.call_ok_tolerant(client, "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z",
                                                             "connectorStatus": "Charging", "evseId": 1, "connectorId": 1})
        self.assertEqual([c["status"] for c in self.node.station(client.station_id)["connectors"]], ["Charging"])
        v16 = self.station(V16, tolerant=True)
        self.call_ok_tolerant(v16, "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"})
        self.assertEqual([c["status"] for c in self.node.station(v16.station_id)["connectors"]], ["Sleeping"])

    def test_strict_is_the_default(self):
        client = self.station(V201)
        self.call_error(client, "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Charging",
                                                       "evseId": 1, "connectorId": 1}, "PropertyConstraintViolation")

    def call_ok_tolerant(self, client, action, payload):
        try:
            return client.call(action, payload)
        except CallError as e:
            self.fail(f"tolerant station: {action} got {e.code} {e.description!r}")


if __name__ == "__main__":
    unittest.main()
