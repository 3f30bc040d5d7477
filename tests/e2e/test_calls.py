"""Commands to stations through the API: POST /api/v0/cs/{csId}/call/{Action}, reconfigure and
trigger, with the station's answers, CALLERRORs, timeouts and the one-CALL-in-flight rule."""

import threading
import time
import unittest

from harness import V16, V201, NodeTestCase, boot_16, boot_201, require_binary, wait_until
from ocpp_ws import NO_REPLY, CallError

GET_VARIABLES = {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]}
GET_VARIABLES_RESULT = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                               "component": {"name": "OCPPCommCtrlr"},
                                               "variable": {"name": "HeartbeatInterval"}}]}
REQUEST_START = {"idToken": {"idToken": "REMOTE-1", "type": "Central"}, "remoteStartId": 77, "evseId": 1}
GET_CONFIGURATION_RESULT = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
                            "unknownKey": ["Nope"]}


def set_variables_answer(status):
    """A station's SetVariables handler: every variable gets `status` (attributeType echoed)."""
    def answer(payload):
        results = []
        for data in payload["setVariableData"]:
            result = {"attributeStatus": status, "component": data["component"], "variable": data["variable"]}
            if "attributeType" in data:
                result["attributeType"] = data["attributeType"]
            results.append(result)
        return {"setVariableResult": results}
    return answer


@require_binary
class AnyCommand(NodeTestCase):
    call_timeout = 2

    def post_call(self, cs, action, body=None, **kw):
        return self.node.api("POST", f"/api/v0/cs/{cs}/call/{action}", body, **kw)

    def test_station_answers_come_back_as_200_201(self):
        client = self.station(V201)
        client.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
        client.on_call("Reset", lambda p: {"status": "Scheduled" if p["type"] == "OnIdle" else "Accepted"})
        client.on_call("RequestStartTransaction", lambda p: {"status": "Accepted", "transactionId": "TX-REMOTE-1"})
        for action, body, expected in (("GetVariables", GET_VARIABLES, GET_VARIABLES_RESULT),
                                       ("Reset", {"type": "OnIdle"}, {"status": "Scheduled"}),
                                       ("RequestStartTransaction", REQUEST_START,
                                        {"status": "Accepted", "transactionId": "TX-REMOTE-1"})):
            with self.subTest(action=action):
                start = len(client.received_calls)
                status, answer = self.post_call(client.station_id, action, body)
                self.assertEqual((status, answer), (200, expected))
                call = client.wait_for_call(action, start=start, timeout=1)
                self.assertEqual(call.payload, body, "the payload reaches the station as given")

    def test_station_answers_come_back_as_200_16(self):
        client = self.station(V16)
        client.on_call("GetConfiguration", lambda p: GET_CONFIGURATION_RESULT)
        client.on_call("Reset", lambda p: {"status": "Accepted"})
        client.on_call("RemoteStartTransaction", lambda p: {"status": "Rejected"})
        for action, body, expected in (("GetConfiguration", {"key": ["HeartbeatInterval", "Nope"]}, GET_CONFIGURATION_RESULT),
                                       ("Reset", {"type": "Soft"}, {"status": "Accepted"}),
                                       ("RemoteStartTransaction", {"idTag": "REMOTE-16", "connectorId": 1},
                                        {"status": "Rejected"})):
            with self.subTest(action=action):
                start = len(client.received_calls)
                self.assertEqual(self.post_call(client.station_id, action, body), (200, expected))
                got = client.wait_for_call(action, start=start, timeout=1)
                if action == "GetConfiguration" and got.payload != body:
                    # GetConfigurationMaxKeys is not known yet: the node reads it before asking for two keys
                    self.assertEqual(got.payload, {"key": ["GetConfigurationMaxKeys"]})
                    got = client.wait_for_call(action, start=client.received_calls.index(got) + 1, timeout=1)
                self.assertEqual(got.payload, body)

    def test_a_call_error_from_the_station_is_502_with_its_fields(self):
        for protocol, action, body in ((V201, "Reset", {"type": "Immediate"}), (V16, "Reset", {"type": "Hard"})):
            with self.subTest(protocol=protocol):
                client = self.station(protocol)

                def refuse(payload):
                    raise CallError("NotSupported", "resets are disabled", {"reason": "maintenance"})
                client.on_call(action, refuse)
                status, answer = self.post_call(client.station_id, action, body)
                self.assertEqual(status, 502, answer)
                self.assertEqual(answer.get("status"), "Bad Gateway")
                self.assertEqual(answer.get("error_code"), "NotSupported")
                self.assertEqual(answer.get("error_description"), "resets are disabled")
                self.assertEqual(answer.get("error_details"), {"reason": "maintenance"})

    def test_an_answer_that_breaks_the_schema_is_502(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: {"status": "Maybe"})
        status, answer = self.post_call(client.station_id, "Reset", {"type": "Immediate"})
        self.assertEqual(status, 502, answer)
        self.assertIn("error", answer)

    def test_no_answer_is_504_after_the_call_timeout(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: NO_REPLY)
        t0 = time.monotonic()
        status, answer = self.post_call(client.station_id, "Reset", {"type": "Immediate"})
        elapsed = time.monotonic() - t0
        self.assertEqual(status, 504, answer)
        self.assertGreater(elapsed, 1.5, "--call-timeout 2")
        self.assertLess(elapsed, 10)
        # the station is still usable afterwards
        client.on_call("Reset", lambda p: {"status": "Accepted"})
        self.assertEqual(self.post_call(client.station_id, "Reset", {"type": "Immediate"}), (200, {"status": "Accepted"}))

    def test_an_invalid_payload_is_400_naming_the_field_and_not_sent(self):
        client = self.station(V201)
        client.on_call("GetVariables", lambda p: GET_VARIABLES_RESULT)
        for body, pointer in (({"getVariableData": "all"}, "/getVariableData"),
                              ({}, "/getVariableData"),
                              ({"getVariableData": [{"component": {"name": "X"}}]}, "/getVariableData/0/variable"),
                              ({"getVariableData": GET_VARIABLES["getVariableData"], "extra": 1}, "/extra")):
            with self.subTest(body=body):
                status, answer = self.post_call(client.station_id, "GetVariables", body)
                self.assertEqual(status, 400, answer)
                self.assertIn(pointer, answer.get("error", ""))
        status, _ = self.post_call(client.station_id, "GetVariables", raw_body="{oops")
        self.assertEqual(status, 400)
        self.assertEqual(self.post_call(client.station_id, "GetVariables", GET_VARIABLES)[0], 200)
        self.assertEqual([c.payload for c in client.calls_of("GetVariables")], [GET_VARIABLES],
                         "only the valid call reached the station")

    def test_actions_the_csms_may_not_send_are_400(self):
        v201, v16 = self.station(V201), self.station(V16)
        for client, action, body in ((v201, "BootNotification", boot_201()), (v201, "TransactionEvent", {}),
                                     (v201, "NoSuchAction", {}), (v201, "GetConfiguration", {}),
                                     (v16, "BootNotification", boot_16()), (v16, "GetVariables", GET_VARIABLES),
                                     (v16, "StartTransaction", {})):
            with self.subTest(protocol=client.subprotocol, action=action):
                status, answer = self.post_call(client.station_id, action, body)
                self.assertEqual(status, 400, answer)
                self.assertIn("error", answer)
        tried = {"BootNotification", "TransactionEvent", "NoSuchAction", "GetConfiguration", "GetVariables",
                 "StartTransaction"}
        self.assertEqual([c for c in v201.received_calls + v16.received_calls if c.action in tried], [])

    def test_unknown_station_404_and_not_connected_409(self):
        status, answer = self.post_call(self.unique_id("NOPE"), "Reset", {"type": "Immediate"})
        self.assertEqual(status, 404, answer)
        offline = self.unique_id("OFF")
        self.node.register_station(offline)
        status, answer = self.post_call(offline, "Reset", {"type": "Immediate"})
        self.assertEqual(status, 409, answer)
        self.assertEqual(answer.get("status"), "Conflict")

    def test_one_call_in_flight_per_station(self):
        client = self.station(V201)
        release = threading.Event()

        def slow_get_variables(payload):
            release.wait(10)
            return GET_VARIABLES_RESULT
        client.on_call("GetVariables", slow_get_variables)
        client.on_call("Reset", lambda p: {"status": "Accepted"})
        results = {}

        def api_call(name, action, body):
            results[name] = self.post_call(client.station_id, action, body)
        first = threading.Thread(target=api_call, args=("first", "GetVariables", GET_VARIABLES))
        second = threading.Thread(target=api_call, args=("second", "Reset", {"type": "Immediate"}))
        first.start()
        client.wait_for_call("GetVariables", timeout=5)
        second.start()
        time.sleep(1.0)   # the second request has reached the node by now; it must wait
        self.assertEqual([c.action for c in client.received_calls if c.action in ("GetVariables", "Reset")],
                         ["GetVariables"], "a second CALL was sent while the first was unanswered")
        release.set()
        reset = client.wait_for_call("Reset", timeout=5)
        self.assertGreater(reset.seq, client.calls_of("GetVariables")[0].seq)
        first.join(10)
        second.join(10)
        self.assertEqual(results["first"], (200, GET_VARIABLES_RESULT))
        self.assertEqual(results["second"], (200, {"status": "Accepted"}))

    def test_a_slow_station_does_not_hold_up_calls_to_others(self):
        slow, quick = self.station(V201), self.station(V201)
        release = threading.Event()
        slow.on_call("Reset", lambda p: (release.wait(10), {"status": "Accepted"})[1])
        quick.on_call("Reset", lambda p: {"status": "Accepted"})
        waiting = threading.Thread(target=self.post_call, args=(slow.station_id, "Reset", {"type": "Immediate"}))
        waiting.start()
        try:
            slow.wait_for_call("Reset", timeout=5)
            t0 = time.monotonic()
            self.assertEqual(self.post_call(quick.station_id, "Reset", {"type": "Immediate"}), (200, {"status": "Accepted"}))
            self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            release.set()
            waiting.join(10)

    def test_queued_calls_all_reach_the_station_one_at_a_time(self):
        client = self.station(V16)
        in_handler, answered_at = [], []

        def change(payload):
            in_handler.append(payload["value"])
            time.sleep(0.1)
            answered_at.append(time.monotonic())
            return {"status": "Accepted"}
        client.on_call("ChangeConfiguration", change)
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(self.post_call(
            client.station_id, "ChangeConfiguration", {"key": "K", "value": str(i)}))) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        self.assertEqual(results, [(200, {"status": "Accepted"})] * 5)
        self.assertEqual(sorted(in_handler), ["0", "1", "2", "3", "4"])
        arrivals = [c.time for c in client.calls_of("ChangeConfiguration")]
        for i in range(4):
            self.assertGreaterEqual(arrivals[i + 1], answered_at[i], f"CALL {i + 1} arrived before CALL {i} was answered")
        calls = client.calls_of("ChangeConfiguration")
        self.assertEqual(len(calls), 5)
        ids = [c.message_id for c in calls]
        self.assertEqual(len(set(ids)), 5, "each CALL has its own message id")


@require_binary
class QueueLimit(NodeTestCase):
    node_args = ("--max-queued-calls", "1")

    def test_calls_beyond_the_queue_are_503(self):
        client = self.station(V201)
        release = threading.Event()
        client.on_call("Reset", lambda p: (release.wait(10), {"status": "Accepted"})[1])
        results = []
        lock = threading.Lock()

        def api_call():
            answer = self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"})
            with lock:
                results.append(answer)
        first = threading.Thread(target=api_call)
        first.start()
        client.wait_for_call("Reset", timeout=5)
        others = [threading.Thread(target=api_call) for _ in range(4)]
        for t in others:
            t.start()
        # with one call in flight and room for one more, at least three of the four are refused at once
        wait_until(lambda: sum(1 for status, _ in results if status == 503) >= 3, 5, what="503 answers")
        release.set()
        for t in [first] + others:
            t.join(15)
        statuses = sorted(status for status, _ in results)
        self.assertEqual(len(statuses), 5)
        self.assertTrue(set(statuses) <= {200, 503}, statuses)
        refused = [body for status, body in results if status == 503]
        for body in refused:
            self.assertEqual(body.get("status"), "Service Unavailable", body)
            self.assertIn("error", body)


@require_binary
class StationGoesAway(NodeTestCase):
    call_timeout = 10

    def test_a_station_that_disconnects_mid_call_fails_the_call_at_once(self):
        client = self.station(V201)
        client.on_call("Reset", lambda p: NO_REPLY)
        results = []
        caller = threading.Thread(target=lambda: results.append(
            self.node.api("POST", f"/api/v0/cs/{client.station_id}/call/Reset", {"type": "Immediate"})))
        caller.start()
        client.wait_for_call("Reset", timeout=5)
        t0 = time.monotonic()
        client.abort()
        caller.join(15)
        elapsed = time.monotonic() - t0
        self.assertEqual(len(results), 1)
        status, body = results[0]
        self.assertIn(status, (409, 502, 503), body)
        self.assertLess(elapsed, 5, "answered when the station went away, not at the 10 s call timeout")


@require_binary
class Reconfigure(NodeTestCase):
    def setting(self, cs, key):
        """(value, status) of a setting in the station view."""
        entry = self.node.station(cs).get("settings", {}).get(key, {})
        return entry.get("value"), entry.get("status")

    def test_settings_are_pushed_with_set_variables_when_connected(self):
        client = self.station(V201)
        client.on_call("SetVariables", set_variables_answer("Accepted"))
        self.assertEqual(self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure",
                                        {"OCPPCommCtrlr/HeartbeatInterval": "30"}), {"status": "OK"})
        call = client.wait_for_call("SetVariables", timeout=5)
        data = call.payload["setVariableData"]
        self.assertEqual(len(data), 1, call.payload)
        self.assertEqual(data[0]["component"]["name"], "OCPPCommCtrlr")
        self.assertEqual(data[0]["variable"]["name"], "HeartbeatInterval")
        self.assertEqual(data[0]["attributeValue"], "30")
        self.assertIn(data[0].get("attributeType", "Actual"), ("Actual",))
        wait_until(lambda: self.setting(client.station_id, "OCPPCommCtrlr/HeartbeatInterval") == ("30", "Accepted"),
                   5, what="the SetVariables result stored")

    def test_several_settings_at_once(self):
        client = self.station(V201)
        client.on_call("SetVariables", set_variables_answer("Accepted"))
        settings = {"OCPPCommCtrlr/HeartbeatInterval": "30", "SampledDataCtrlr/TxUpdatedInterval": "60",
                    "AuthCtrlr/LocalPreAuthorize": "true"}
        self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", settings)
        for key, value in settings.items():
            wait_until(lambda: self.setting(client.station_id, key) == (value, "Accepted"), 5, what=key)
        sent = [(d["component"]["name"], d["variable"]["name"], d["attributeValue"])
                for call in client.calls_of("SetVariables") for d in call.payload["setVariableData"]]
        self.assertEqual(sorted(sent), sorted((k.split("/")[0], k.split("/")[1], v) for k, v in settings.items()))

    def test_instance_evse_and_attribute_type_are_parsed(self):
        client = self.station(V201)
        client.on_call("SetVariables", set_variables_answer("Rejected"))
        self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure",
                       {"EVSE;main;2/Power;L1;MaxSet": "11000"})
        data = client.wait_for_call("SetVariables", timeout=5).payload["setVariableData"]
        self.assertEqual(data[0]["component"], {"name": "EVSE", "instance": "main", "evse": {"id": 2}})
        self.assertEqual(data[0]["variable"], {"name": "Power", "instance": "L1"})
        self.assertEqual(data[0]["attributeType"], "MaxSet")
        self.assertEqual(data[0]["attributeValue"], "11000")
        wait_until(lambda: self.setting(client.station_id, "EVSE;main;2/Power;L1;MaxSet") == ("11000", "Rejected"),
                   5, what="Rejected stored")

    def test_settings_are_pushed_with_change_configuration_in_16(self):
        client = self.station(V16)
        client.on_call("ChangeConfiguration", lambda p: {"status": "RebootRequired"})
        self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/reconfigure", {"HeartbeatInterval": "30"})
        call = client.wait_for_call("ChangeConfiguration", timeout=5)
        self.assertEqual(call.payload, {"key": "HeartbeatInterval", "value": "30"})
        wait_until(lambda: self.setting(client.station_id, "HeartbeatInterval") == ("30", "RebootRequired"),
                   5, what="ChangeConfiguration result stored")

    def test_settings_for_an_offline_station_are_pushed_after_the_next_boot(self):
        for protocol, key, action in ((V201, "OCPPCommCtrlr/HeartbeatInterval", "SetVariables"),
                                      (V16, "HeartbeatInterval", "ChangeConfiguration")):
            with self.subTest(protocol=protocol):
                cs = self.unique_id()
                self.node.register_station(cs)
                self.assertApi(200, "POST", f"/api/v0/cs/{cs}/reconfigure", {key: "45"})
                client = self.connect(cs, protocol)
                if protocol == V16:
                    client.on_call(action, lambda p: {"status": "Accepted"})
                    answer = client.call("BootNotification", boot_16())
                else:
                    client.on_call(action, set_variables_answer("Accepted"))
                    answer = client.call("BootNotification", boot_201())
                self.assertEqual(answer["status"], "Accepted")
                call = client.wait_for_call(action, timeout=5)
                boot_seq = client.inbound_index(lambda m: isinstance(m, list) and m[0] == 3 and "interval" in m[2])
                self.assertLess(boot_seq, call.seq, "pushed after the BootNotification answer")
                if protocol == V16:
                    self.assertEqual(call.payload, {"key": key, "value": "45"})
                else:
                    self.assertEqual(call.payload["setVariableData"][0]["attributeValue"], "45")
                wait_until(lambda: self.setting(cs, key) == ("45", "Accepted"), 5, what="result stored")


@require_binary
class Trigger(NodeTestCase):
    def test_trigger_sends_trigger_message(self):
        for protocol in (V201, V16):
            with self.subTest(protocol=protocol):
                client = self.station(protocol)
                client.on_call("TriggerMessage", lambda p: {"status": "Accepted"})
                answer = self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/trigger",
                                        {"trigger": "StatusNotification"})
                self.assertEqual(answer, {"status": "Accepted"})
                call = client.wait_for_call("TriggerMessage", timeout=1)
                self.assertEqual(call.payload.get("requestedMessage"), "StatusNotification")

    def test_trigger_passes_the_station_refusal_on(self):
        client = self.station(V201)
        client.on_call("TriggerMessage", lambda p: {"status": "NotImplemented"})
        self.assertEqual(self.assertApi(200, "POST", f"/api/v0/cs/{client.station_id}/trigger", {"trigger": "Heartbeat"}),
                         {"status": "NotImplemented"})
        self.assertEqual(client.wait_for_call("TriggerMessage").payload["requestedMessage"], "Heartbeat")


if __name__ == "__main__":
    unittest.main()
