"""Every CSMS request obeys the limits the station reported (OCPP 2.0.1 B06.FR.05 and friends, 1.6
GetConfigurationMaxKeys): a request over the limit is sent in parts, one at a time, and the answers are merged
into one API answer; when the limit is not known yet the node reads it first. Driven from the station side."""

import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, now_iso, require_binary


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


def variables(n):
    return [{"component": {"name": f"Ctrlr{i}"}, "variable": {"name": f"Var{i}"}} for i in range(n)]


def answer_get_variables(limits=None):
    """A station handler for GetVariables: its own limits when asked, else every item Accepted."""
    def handle(payload):
        results = []
        for item in payload["getVariableData"]:
            name = item["variable"]["name"]
            if item["component"]["name"] == "DeviceDataCtrlr" and name in (limits or {}):
                value = limits[name]
                results.append(dict(item, attributeStatus="Accepted", attributeValue=str(value)) if value is not None
                               else dict(item, attributeStatus="UnknownVariable"))
            else:
                results.append(dict(item, attributeStatus="Accepted", attributeValue="v-" + item["component"]["name"]))
        return {"getVariableResult": results}
    return handle


def limits_report(items, instance="GetVariables"):
    return {"requestId": 1, "generatedAt": now_iso(), "seqNo": 0, "tbc": False, "reportData": [
        {"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage", "instance": instance},
         "variableAttribute": [{"type": "Actual", "value": str(items), "mutability": "ReadOnly"}]}]}


@require_binary
class MessageLimits(NodeTestCase):
    def sizes(self, client, action, start=0):
        calls = client.calls_of(action)[start:]
        key = {"GetVariables": "getVariableData", "SetVariables": "setVariableData", "GetConfiguration": "key"}[action]
        return [len(c.payload[key]) for c in calls]

    def test_tc_b_08_get_variables_over_the_reported_items_per_message_go_in_parts(self):
        client = self.station(V201)
        self.call_ok(client, "NotifyReport", limits_report(2))
        client.on_call("GetVariables", answer_get_variables())
        answer = self.assertApi(200, "POST", path(client.station_id, "/call/GetVariables"),
                                {"getVariableData": variables(5)})
        self.assertEqual(self.sizes(client, "GetVariables"), [2, 2, 1])
        self.assertEqual([r["component"]["name"] for r in answer["getVariableResult"]],
                         [f"Ctrlr{i}" for i in range(5)], "one answer, in the order asked")

    def test_limits_not_reported_are_read_from_the_station_first(self):
        client = self.station(V201)
        client.on_call("GetVariables", answer_get_variables({"ItemsPerMessage": 3, "BytesPerMessage": None}))
        answer = self.assertApi(200, "POST", path(client.station_id, "/call/GetVariables"),
                                {"getVariableData": variables(7)})
        first = client.calls_of("GetVariables")[0].payload["getVariableData"]
        self.assertEqual({(d["component"]["name"], d["variable"]["name"], d["variable"].get("instance")) for d in first},
                         {("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
                          ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables")})
        self.assertEqual(self.sizes(client, "GetVariables", start=1), [3, 3, 1])
        self.assertEqual(len(answer["getVariableResult"]), 7)

    def test_set_variables_follow_their_own_limit(self):
        client = self.station(V201)
        self.call_ok(client, "NotifyReport", limits_report(1, instance="SetVariables"))
        client.on_call("SetVariables", lambda p: {"setVariableResult": [
            dict(component=d["component"], variable=d["variable"], attributeStatus="Accepted")
            for d in p["setVariableData"]]})
        body = {"setVariableData": [dict(v, attributeValue="1") for v in variables(3)]}
        answer = self.assertApi(200, "POST", path(client.station_id, "/call/SetVariables"), body)
        self.assertEqual(self.sizes(client, "SetVariables"), [1, 1, 1])
        self.assertEqual(len(answer["setVariableResult"]), 3)

    def test_1_6_get_configuration_keys_go_in_parts_of_get_configuration_max_keys(self):
        client = self.station(V16)

        def get_configuration(payload):
            keys = payload.get("key", [])
            if keys == ["GetConfigurationMaxKeys"]:
                return {"configurationKey": [{"key": "GetConfigurationMaxKeys", "readonly": True, "value": "2"}]}
            known = [k for k in keys if k != "Nope"]
            return {"configurationKey": [{"key": k, "readonly": False, "value": "1"} for k in known],
                    "unknownKey": [k for k in keys if k == "Nope"]}
        client.on_call("GetConfiguration", get_configuration)
        answer = self.assertApi(200, "POST", path(client.station_id, "/call/GetConfiguration"),
                                {"key": ["HeartbeatInterval", "MeterValueSampleInterval", "Nope", "WebSocketPingInterval"]})
        self.assertEqual(self.sizes(client, "GetConfiguration"), [1, 2, 2])
        self.assertEqual([kv["key"] for kv in answer["configurationKey"]],
                         ["HeartbeatInterval", "MeterValueSampleInterval", "WebSocketPingInterval"])
        self.assertEqual(answer["unknownKey"], ["Nope"])

    def test_a_part_that_fails_ends_the_request_and_says_which(self):
        client = self.station(V201)
        self.call_ok(client, "NotifyReport", limits_report(2))
        seen = []

        def fail_second(payload):
            seen.append(payload)
            if len(seen) == 2:
                from ocpp_ws import CallError
                raise CallError("InternalError", "boom")
            return answer_get_variables()(payload)
        client.on_call("GetVariables", fail_second)
        failed = self.assertApi(502, "POST", path(client.station_id, "/call/GetVariables"),
                                {"getVariableData": variables(5)})
        self.assertEqual(len(seen), 2, "nothing sent after the part that failed")
        self.assertIn("part 2 of 3", failed.get("error_description", ""), failed)


if __name__ == "__main__":
    unittest.main()
