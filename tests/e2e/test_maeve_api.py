"""The maintained MaEVe fork's management API (docs/api.md "The maintained MaEVe fork's API").

Each test is named after the fork's operationId and drives the operation against a real node with a
simulated station: it checks the OCPP request the station received (action and payload mapped from
the fork's body, per version) and the API answer against the fork's response shape.
"""

import json
import os
import re
import unittest

from harness import V16, V201, NodeTestCase, boot_201, now_iso, require_binary
from payloads import meter_value, notify_report_201, start_tx_16, status_201, sv, sv16, tx_event

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FORK_SPEC = os.environ.get("MAEVE_FORK_SPEC", os.path.join(ROOT, "..", "shared", "seed", "maeve-fork",
                                                           "api-spec.bundled.yaml"))

# The fork's operations that are not evbroker's to serve here: OCPI registration (the roaming
# issue) and GET /cs/{csId}/events, where evbroker serves its own (older) shape.
NOT_SERVED = {("post", "/register"), ("post", "/location/{locationId}"), ("get", "/cs/{csId}/events")}


def fork_operations(text):
    """(method, path, operationId) of an OpenAPI YAML document, read line by line: paths are the
    two-space keys under `paths:`, methods the four-space keys below them."""
    ops, path, method, in_paths = [], None, None, False
    for line in text.splitlines():
        if line.startswith("paths:"):
            in_paths = True
            continue
        if in_paths and line and not line.startswith(" "):
            break
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m:
            method = m.group(1)
            continue
        m = re.match(r"^      operationId:\s*(\S+)\s*$", line)
        if m and path and method:
            ops.append((method, path, m.group(1)))
    return ops


def station_answers(client, action, answer):
    """The simulated station answers every `action` with `answer`."""
    client.on_call(action, lambda payload: answer)


@require_binary
class MaeveForkRoutes(NodeTestCase):
    def test_every_fork_operation_is_in_openapi_json(self):
        if not os.path.exists(FORK_SPEC):
            self.skipTest(f"no {FORK_SPEC}")
        with open(FORK_SPEC, encoding="utf-8") as f:
            ops = fork_operations(f.read())
        self.assertGreater(len(ops), 50)
        with open(os.path.join(ROOT, "docs", "openapi.json"), encoding="utf-8") as f:
            paths = json.load(f)["paths"]
        missing = [(m, p, o) for m, p, o in ops
                   if (m, p) not in NOT_SERVED and m not in paths.get("/api/v0" + p, {})]
        self.assertEqual(missing, [], "fork operations docs/openapi.json (and so the route table) lacks")
        # And the node routes them: a request reaches a handler (it may be refused: an unknown
        # station, a bad body), never "no such endpoint" or 405.
        for method, path, op in ops:
            if (method, path) in NOT_SERVED:
                continue
            url = "/api/v0" + path.replace("{csId}", "NOPE-ROUTE").replace("{", "").replace("}", "")
            status, answer = self.node.api(method.upper(), url, {} if method in ("post", "patch") else None)
            with self.subTest(op=op):
                self.assertNotEqual(status, 405, f"{method} {url}: {answer}")
                self.assertNotIn("no such endpoint", json.dumps(answer), f"{method} {url}")


class CommandHelpers:
    def command(self, client, action, answer, method, path, body=None, status=202):
        """Calls the fork's operation; returns (the payload the station got, the API's answer)."""
        station_answers(client, action, answer)
        start = len(client.received_calls)
        got = self.assertApi(status, method, f"/api/v0/cs/{client.station_id}{path}", body)
        call = client.wait_for_call(action, start=start)
        return call.payload, got


@require_binary
class MaeveForkCommands(CommandHelpers, NodeTestCase):

    def test_ResetChargeStation(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "Reset", {"status": "Accepted"}, "POST", "/reset", {"type": "Hard"})
        self.assertEqual(sent, {"type": "Immediate"})
        self.assertEqual(got, {"status": "Accepted"})
        sent, _ = self.command(c201, "Reset", {"status": "Scheduled"}, "POST", "/reset", {"type": "Soft"})
        self.assertEqual(sent, {"type": "OnIdle"})
        c16 = self.station(V16)
        sent, got = self.command(c16, "Reset", {"status": "Accepted"}, "POST", "/reset", {"type": "Soft"})
        self.assertEqual(sent, {"type": "Soft"})
        self.assertApiError(400, "POST", f"/api/v0/cs/{c16.station_id}/reset", {"type": "Warm"}, contains="/type")

    def test_UnlockConnector(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "UnlockConnector", {"status": "Unlocked"}, "POST", "/unlock-connector",
                                 {"connectorId": 2})
        self.assertEqual(sent, {"evseId": 2, "connectorId": 1})
        self.assertEqual(got["status"], "Unlocked")
        c16 = self.station(V16)
        sent, _ = self.command(c16, "UnlockConnector", {"status": "Unlocked"}, "POST", "/unlock-connector",
                               {"connectorId": 2})
        self.assertEqual(sent, {"connectorId": 2})

    def test_changeAvailability(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "ChangeAvailability", {"status": "Accepted"}, "POST", "/availability",
                                 {"type": "Inoperative", "evseId": 1})
        self.assertEqual(sent, {"operationalStatus": "Inoperative", "evse": {"id": 1}})
        self.assertEqual(got, {"status": "Accepted"})
        sent, _ = self.command(c201, "ChangeAvailability", {"status": "Accepted"}, "POST", "/availability",
                               {"type": "Operative"})
        self.assertEqual(sent, {"operationalStatus": "Operative"})
        c16 = self.station(V16)
        sent, _ = self.command(c16, "ChangeAvailability", {"status": "Scheduled"}, "POST", "/availability",
                               {"type": "Inoperative", "connectorId": 1})
        self.assertEqual(sent, {"connectorId": 1, "type": "Inoperative"})

    def test_clearAuthorizationCache(self):
        for version in (V201, V16):
            client = self.station(version)
            sent, got = self.command(client, "ClearCache", {"status": "Accepted"}, "POST", "/cache/clear")
            self.assertEqual((sent, got), ({}, {"status": "Accepted"}))

    def test_sendDataTransfer(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "DataTransfer", {"status": "Accepted", "data": {"x": 1}}, "POST",
                                 "/data-transfer", {"vendorId": "com.example", "messageId": "m", "data": "hello"})
        self.assertEqual(sent, {"vendorId": "com.example", "messageId": "m", "data": "hello"})
        self.assertEqual(got, {"status": "Accepted", "data": '{"x":1}'}, "fork: data is a string")
        c16 = self.station(V16)
        sent, got = self.command(c16, "DataTransfer", {"status": "UnknownVendorId"}, "POST", "/data-transfer",
                                 {"vendorId": "com.example"})
        self.assertEqual((sent, got), ({"vendorId": "com.example"}, {"status": "UnknownVendorId"}))

    def test_remoteStartTransaction(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "RequestStartTransaction", {"status": "Accepted"}, "POST",
                                 "/start-transaction", {"idTag": "TAG1", "connectorId": 1})
        self.assertEqual(sent["idToken"], {"idToken": "TAG1", "type": "Central"})
        self.assertEqual(sent["evseId"], 1)
        self.assertEqual(got["status"], "Accepted")
        self.assertEqual(got["remoteStartId"], sent["remoteStartId"])
        c16 = self.station(V16)
        profile = {"chargingProfileId": 7, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
                   "chargingProfileKind": "Relative",
                   "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                                             "limit": 16}]}}
        sent, got = self.command(c16, "RemoteStartTransaction", {"status": "Accepted"}, "POST", "/start-transaction",
                                 {"idTag": "TAG1", "connectorId": 1, "chargingProfile": profile})
        self.assertEqual(sent, {"connectorId": 1, "idTag": "TAG1", "chargingProfile": profile})

    def test_remoteStopTransaction(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "RequestStopTransaction", {"status": "Accepted"}, "POST",
                                 "/stop-transaction", {"transactionId": "tx-9"})
        self.assertEqual((sent, got), ({"transactionId": "tx-9"}, {"status": "Accepted"}))
        c16 = self.station(V16)
        sent, _ = self.command(c16, "RemoteStopTransaction", {"status": "Accepted"}, "POST", "/stop-transaction",
                               {"transactionId": "42"})
        self.assertEqual(sent, {"transactionId": 42})
        self.assertApiError(400, "POST", f"/api/v0/cs/{c16.station_id}/stop-transaction", {"transactionId": "x"},
                            contains="integer")

    def test_deleteChargeStationCertificate(self):
        c201 = self.station(V201)
        hash_data = {"hashAlgorithm": "SHA256", "issuerNameHash": "aa", "issuerKeyHash": "bb", "serialNumber": "01"}
        sent, got = self.command(c201, "DeleteCertificate", {"status": "Accepted"}, "DELETE", "/certificate",
                                 {"certificateHashData": hash_data})
        self.assertEqual((sent, got), ({"certificateHashData": hash_data}, {"status": "Accepted"}))

    def test_a_station_that_is_not_connected_is_409_and_unknown_404(self):
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertApiError(409, "POST", f"/api/v0/cs/{cs}/reset", {"type": "Hard"}, contains="not connected")
        self.assertApiError(404, "POST", f"/api/v0/cs/{self.unique_id('NOPE')}/reset", {"type": "Hard"})

    def test_a_call_error_is_502(self):
        c201 = self.station(V201)  # no handler for Reset: the station answers NotImplemented
        error = self.assertApiError(502, "POST", f"/api/v0/cs/{c201.station_id}/reset", {"type": "Hard"})
        self.assertEqual(error["error_code"], "NotImplemented")


@require_binary
class MaeveForkConfiguration(CommandHelpers, NodeTestCase):
    def test_getChargeStationConfiguration(self):
        c16 = self.station(V16)
        answer = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
                  "unknownKey": ["Nope"]}
        sent, got = self.command(c16, "GetConfiguration", answer, "GET",
                                 "/configuration?key=HeartbeatInterval,Nope", status=200)
        self.assertEqual(sent, {"key": ["HeartbeatInterval", "Nope"]})
        self.assertEqual(got, answer)
        sent, _ = self.command(c16, "GetConfiguration", answer, "GET", "/configuration", status=200)
        self.assertEqual(sent, {})
        c201 = self.station(V201)
        self.assertApiError(400, "GET", f"/api/v0/cs/{c201.station_id}/configuration", contains="GetConfiguration")

    def test_changeChargeStationConfiguration(self):
        c16 = self.station(V16)
        answers = iter([{"status": "Accepted"}, {"status": "RebootRequired"}])
        c16.on_call("ChangeConfiguration", lambda payload: next(answers))
        got = self.assertApi(202, "PATCH", f"/api/v0/cs/{c16.station_id}/configuration",
                             {"HeartbeatInterval": "600", "MeterValueSampleInterval": "120"})
        self.assertEqual([c.payload for c in c16.calls_of("ChangeConfiguration")],
                         [{"key": "HeartbeatInterval", "value": "600"}, {"key": "MeterValueSampleInterval",
                                                                         "value": "120"}])
        self.assertEqual(got, {"results": [{"key": "HeartbeatInterval", "status": "Accepted"},
                                           {"key": "MeterValueSampleInterval", "status": "RebootRequired"}]})

    def test_getChargeStationVariables(self):
        c201 = self.station(V201)
        answer = {"getVariableResult": [{"attributeStatus": "Accepted", "attributeValue": "300",
                                         "component": {"name": "OCPPCommCtrlr"},
                                         "variable": {"name": "HeartbeatInterval"}}]}
        sent, got = self.command(c201, "GetVariables", answer, "GET",
                                 "/variables?component=OCPPCommCtrlr&variable=HeartbeatInterval", status=200)
        self.assertEqual(sent, {"getVariableData": [{"component": {"name": "OCPPCommCtrlr"},
                                                     "variable": {"name": "HeartbeatInterval"}}]})
        self.assertEqual(got["variables"][0]["component"], {"name": "OCPPCommCtrlr"})
        self.assertEqual(got["variables"][0]["variableAttribute"], [{"value": "300"}])
        self.assertEqual(got["variables"][0]["attributeStatus"], "Accepted")
        # Without both names: what the station reported (NotifyReport).
        self.call_ok(c201, "NotifyReport", notify_report_201())
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/variables?component=OCPPCommCtrlr")
        self.assertEqual([v["variable"]["name"] for v in got["variables"]], ["HeartbeatInterval"])
        self.assertEqual(got["variables"][0]["variableAttribute"][0]["value"], "300")

    def test_setChargeStationVariables(self):
        c201 = self.station(V201)
        item = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                "attributeValue": "600"}
        answer = {"setVariableResult": [{"attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"},
                                         "variable": {"name": "HeartbeatInterval"}}]}
        sent, got = self.command(c201, "SetVariables", answer, "PATCH", "/variables", {"variables": [item]})
        self.assertEqual(sent, {"setVariableData": [item]})
        self.assertEqual(got, {"results": [{"component": {"name": "OCPPCommCtrlr"},
                                            "variable": {"name": "HeartbeatInterval"}, "attributeStatus": "Accepted"}]})

    def test_setDisplayMessage(self):
        c201 = self.station(V201)
        message = {"id": 3, "priority": "InFront", "message": {"content": "Hello", "format": "UTF8"}}
        sent, got = self.command(c201, "SetDisplayMessage", {"status": "Accepted"}, "POST", "/display-message",
                                 {"message": message})
        self.assertEqual((sent, got), ({"message": message}, {"status": "Accepted"}))
        c16 = self.station(V16)
        self.assertApiError(400, "POST", f"/api/v0/cs/{c16.station_id}/display-message", {"message": message},
                            contains="ocpp1.6")

    def test_clearDisplayMessage(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "ClearDisplayMessage", {"status": "Accepted"}, "DELETE", "/display-message/3")
        self.assertEqual((sent, got), ({"id": 3}, {"status": "Accepted"}))

    def test_getDisplayMessages(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "GetDisplayMessages", {"status": "Unknown"}, "GET",
                                 "/display-messages?state=Charging&priority=InFront")
        self.assertEqual((sent["state"], sent["priority"]), ("Charging", "InFront"))
        self.assertEqual(got, {"status": "Unknown", "requestId": sent["requestId"]})

    def test_setVariableMonitoring(self):
        c201 = self.station(V201)
        component, variable = {"name": "EVSE", "evse": {"id": 1}}, {"name": "Power"}
        answer = {"setMonitoringResult": [{"id": 5, "status": "Accepted", "type": "UpperThreshold", "severity": 4,
                                           "component": component, "variable": variable}]}
        sent, got = self.command(c201, "SetVariableMonitoring", answer, "POST", "/monitoring", {"monitoringData": [
            {"component": component, "variable": variable,
             "variableMonitoring": [{"value": 11000, "type": "UpperThreshold", "severity": 4}]}]})
        self.assertEqual(sent, {"setMonitoringData": [{"value": 11000, "type": "UpperThreshold", "severity": 4,
                                                       "component": component, "variable": variable}]})
        self.assertEqual(got["results"][0]["id"], 5)
        self.assertEqual(got["results"][0]["status"], "Accepted")

    def test_clearVariableMonitoring(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "ClearVariableMonitoring", {"clearMonitoringResult": [
            {"status": "Accepted", "id": 5}]}, "DELETE", "/monitoring/5")
        self.assertEqual(sent, {"id": [5]})
        self.assertEqual(got["clearMonitoringResult"][0]["status"], "Accepted")

    def test_setMonitoringBase(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "SetMonitoringBase", {"status": "Accepted"}, "POST", "/monitoring/base",
                                 {"monitoringBase": "FactoryDefault"})
        self.assertEqual((sent, got), ({"monitoringBase": "FactoryDefault"}, {"status": "Accepted"}))

    def test_setMonitoringLevel(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "SetMonitoringLevel", {"status": "Accepted"}, "POST", "/monitoring/level",
                                 {"severity": 5})
        self.assertEqual((sent, got), ({"severity": 5}, {"status": "Accepted"}))
        self.assertApiError(400, "POST", f"/api/v0/cs/{c201.station_id}/monitoring/level", {"severity": 10})

    def test_getMonitoringReport(self):
        c201 = self.station(V201)
        cv = [{"component": {"name": "EVSE"}, "variable": {"name": "Power"}}]
        sent, got = self.command(c201, "GetMonitoringReport", {"status": "Accepted"}, "POST", "/monitoring/report",
                                 {"requestId": 12, "componentVariable": cv})
        self.assertEqual((sent, got), ({"requestId": 12, "componentVariable": cv}, {"status": "Accepted"}))


PROFILE_16 = {"chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "ChargePointMaxProfile",
              "chargingProfileKind": "Absolute",
              "chargingSchedule": {"chargingRateUnit": "W", "startSchedule": "2026-01-01T00:00:00.000Z",
                                   "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}]}}


@require_binary
class MaeveForkSmartCharging(CommandHelpers, NodeTestCase):
    def test_setChargingProfile(self):
        c16 = self.station(V16)
        sent, got = self.command(c16, "SetChargingProfile", {"status": "Accepted"}, "POST", "/charging-profile",
                                 {"connectorId": 0, "csChargingProfiles": PROFILE_16})
        self.assertEqual((sent, got), ({"connectorId": 0, "csChargingProfiles": PROFILE_16}, {"status": "Accepted"}))
        c201 = self.station(V201)
        sent, got = self.command(c201, "SetChargingProfile", {"status": "Accepted"}, "POST", "/charging-profile",
                                 {"connectorId": 0, "csChargingProfiles": PROFILE_16})
        self.assertEqual(sent, {"evseId": 0, "chargingProfile": {
            "id": 7, "stackLevel": 1, "chargingProfilePurpose": "ChargingStationMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [{"id": 1, "chargingRateUnit": "W", "startSchedule": "2026-01-01T00:00:00.000Z",
                                  "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}]}]}})

    def test_getChargingProfiles(self):
        c201 = self.station(V201)
        path = "/charging-profile?connectorId=1&chargingProfilePurpose=TxDefaultProfile"
        sent, got = self.command(c201, "GetChargingProfiles", {"status": "NoProfiles"}, "GET", path, status=200)
        self.assertEqual(sent["evseId"], 1)
        self.assertEqual(sent["chargingProfile"], {"chargingProfilePurpose": "TxDefaultProfile"})
        self.assertEqual(got, {"profiles": [], "status": "NoProfiles", "requestId": sent["requestId"]})
        # What the station reported (ReportChargingProfiles) comes back in the fork's (1.6) shape.
        periods = [{"startPeriod": 0, "limit": 16}]
        self.call_ok(c201, "ReportChargingProfiles", {
            "requestId": sent["requestId"], "chargingLimitSource": "CSO", "tbc": False, "evseId": 1,
            "chargingProfile": [{"id": 3, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
                                 "chargingProfileKind": "Absolute", "chargingSchedule": [
                                     {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": periods}]}]})
        _, got = self.command(c201, "GetChargingProfiles", {"status": "Accepted"}, "GET", path, status=200)
        self.assertEqual(got["profiles"], [{"connectorId": 1, "chargingProfileId": 3, "stackLevel": 0,
                                            "chargingProfilePurpose": "TxDefaultProfile",
                                            "chargingProfileKind": "Absolute",
                                            "chargingSchedule": {"chargingRateUnit": "A",
                                                                 "chargingSchedulePeriod": periods}}])
        c16 = self.station(V16)
        self.assertApiError(400, "GET", f"/api/v0/cs/{c16.station_id}/charging-profile", contains="ocpp1.6")

    def test_clearChargingProfile(self):
        c16 = self.station(V16)
        sent, got = self.command(c16, "ClearChargingProfile", {"status": "Accepted"}, "DELETE",
                                 "/charging-profile/7?connectorId=1")
        self.assertEqual((sent, got), ({"id": 7, "connectorId": 1}, {"status": "Accepted"}))
        c201 = self.station(V201)
        sent, _ = self.command(c201, "ClearChargingProfile", {"status": "Accepted"}, "DELETE",
                               "/charging-profile/7?chargingProfilePurpose=ChargePointMaxProfile")
        self.assertEqual(sent, {"chargingProfileId": 7,
                                "chargingProfileCriteria": {"chargingProfilePurpose": "ChargingStationMaxProfile"}})

    def test_getCompositeSchedule(self):
        c201 = self.station(V201)
        periods = [{"startPeriod": 0, "limit": 16.0}]
        answer = {"status": "Accepted", "schedule": {"evseId": 1, "duration": 600, "scheduleStart": "2026-01-01T00:00:00Z",
                                                     "chargingRateUnit": "A", "chargingSchedulePeriod": periods}}
        sent, got = self.command(c201, "GetCompositeSchedule", answer, "GET",
                                 "/composite-schedule?connectorId=1&duration=600", status=200)
        self.assertEqual(sent, {"duration": 600, "chargingRateUnit": "A", "evseId": 1})
        self.assertEqual(got, {"status": "Accepted", "connectorId": 1, "scheduleStart": "2026-01-01T00:00:00Z",
                               "chargingSchedule": {"duration": 600, "startSchedule": "2026-01-01T00:00:00Z",
                                                    "chargingRateUnit": "A", "chargingSchedulePeriod": periods}})
        c16 = self.station(V16)
        sent, _ = self.command(c16, "GetCompositeSchedule", {"status": "Rejected"}, "GET",
                               "/composite-schedule?connectorId=1&chargingRateUnit=W", status=200)
        self.assertEqual(sent, {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"})


@require_binary
class MaeveForkTransfers(CommandHelpers, NodeTestCase):
    def test_updateChargeStationFirmware(self):
        c16 = self.station(V16)
        sent, got = self.command(c16, "UpdateFirmware", {}, "POST", "/firmware/update",
                                 {"location": "https://fw.example/1.bin", "retrieveDate": "2026-01-01T00:00:00Z",
                                  "retries": 2})
        # Date-times go out as the node writes them (milliseconds, UTC).
        self.assertEqual(sent, {"location": "https://fw.example/1.bin", "retries": 2,
                                "retrieveDate": "2026-01-01T00:00:00.000Z"})
        sent, got = self.command(c16, "SignedUpdateFirmware", {"status": "Accepted"}, "POST", "/firmware/update",
                                 {"location": "https://fw.example/1.bin", "signature": "c2ln",
                                  "signingCertificate": "-----BEGIN CERTIFICATE-----"})
        self.assertEqual(sent["firmware"]["signature"], "c2ln")
        self.assertEqual(got["requestId"], sent["requestId"])
        c201 = self.station(V201)
        sent, got = self.command(c201, "UpdateFirmware", {"status": "Accepted"}, "POST", "/firmware/update",
                                 {"location": "https://fw.example/1.bin"})
        self.assertEqual(sent["firmware"]["location"], "https://fw.example/1.bin")
        self.assertIn("retrieveDateTime", sent["firmware"])
        self.assertEqual(got, {"status": "Accepted", "requestId": sent["requestId"]})

    def test_requestChargeStationDiagnostics(self):
        c16 = self.station(V16)
        sent, got = self.command(c16, "GetDiagnostics", {"fileName": "diag.zip"}, "POST", "/diagnostics",
                                 {"location": "ftp://logs.example/", "retries": 1})
        self.assertEqual((sent, got), ({"location": "ftp://logs.example/", "retries": 1}, {"fileName": "diag.zip"}))
        c201 = self.station(V201)
        sent, got = self.command(c201, "GetLog", {"status": "Accepted"}, "POST", "/diagnostics",
                                 {"location": "ftp://logs.example/"})
        self.assertEqual((sent["logType"], sent["log"]), ("DiagnosticsLog", {"remoteLocation": "ftp://logs.example/"}))

    def test_requestChargeStationLogs(self):
        body = {"logType": "SecurityLog", "requestId": 4, "log": {"remoteLocation": "ftp://logs.example/"}}
        for version in (V201, V16):
            client = self.station(version)
            sent, got = self.command(client, "GetLog", {"status": "Accepted"}, "POST", "/logs", body)
            self.assertEqual((sent, got), (body, {"status": "Accepted"}))

    def test_updateLocalAuthorizationList(self):
        entries = [{"idTag": "TAG1", "idTagInfo": {"status": "Accepted", "parentIdTag": "GROUP"}}]
        c16 = self.station(V16)
        sent, got = self.command(c16, "SendLocalList", {"status": "Accepted"}, "POST", "/local-list",
                                 {"listVersion": 3, "updateType": "Full", "localAuthorizationList": entries})
        self.assertEqual(sent, {"listVersion": 3, "updateType": "Full", "localAuthorizationList": entries})
        c201 = self.station(V201)
        sent, _ = self.command(c201, "SendLocalList", {"status": "Accepted"}, "POST", "/local-list",
                               {"listVersion": 3, "updateType": "Differential", "localAuthorizationList": entries})
        self.assertEqual(sent, {"versionNumber": 3, "updateType": "Differential", "localAuthorizationList": [
            {"idToken": {"idToken": "TAG1", "type": "Central"},
             "idTokenInfo": {"status": "Accepted", "groupIdToken": {"idToken": "GROUP", "type": "Central"}}}]})

    def test_getLocalListVersion(self):
        c201 = self.station(V201)
        sent, got = self.command(c201, "GetLocalListVersion", {"versionNumber": 8}, "GET", "/local-list/version",
                                 status=200)
        self.assertEqual((sent, got), ({}, {"listVersion": 8}))
        c16 = self.station(V16)
        _, got = self.command(c16, "GetLocalListVersion", {"listVersion": 2}, "GET", "/local-list/version",
                              status=200)
        self.assertEqual(got, {"listVersion": 2})

    def test_getLocalAuthorizationList(self):
        # The list the node keeps (test_local_list.py); a station no token is assigned to holds none of it.
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/local-list"),
                         {"listVersion": 0, "localAuthorizationList": [], "state": "unmanaged", "waiting": 0})

    def test_listReservations(self):
        # The reservations the node made (test_reservations.py).
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/reservations"), {"reservations": []})

    def test_createReservation(self):
        expiry = now_iso(3600)
        c16 = self.station(V16)
        sent, got = self.command(c16, "ReserveNow", {"status": "Accepted"}, "POST", "/reservation",
                                 {"connectorId": 1, "expiryDate": expiry, "idTag": "TAG1", "reservationId": 11})
        self.assertEqual((sent, got), ({"connectorId": 1, "expiryDate": expiry, "idTag": "TAG1", "reservationId": 11},
                                       {"status": "Accepted"}))
        c201 = self.station(V201)
        sent, _ = self.command(c201, "ReserveNow", {"status": "Accepted"}, "POST", "/reservation",
                               {"connectorId": 0, "expiryDate": expiry, "idTag": "TAG1", "reservationId": 11,
                                "parentIdTag": "G"})
        self.assertEqual(sent, {"id": 11, "expiryDateTime": expiry, "idToken": {"idToken": "TAG1", "type": "Central"},
                                "groupIdToken": {"idToken": "G", "type": "Central"}})

    def test_cancelReservation(self):
        for version in (V201, V16):
            client = self.station(version)
            self.command(client, "ReserveNow", {"status": "Accepted"}, "POST", "/reservation",
                         {"connectorId": 1, "expiryDate": now_iso(3600), "idTag": "TAG1", "reservationId": 11})
            sent, got = self.command(client, "CancelReservation", {"status": "Accepted"}, "DELETE", "/reservation/11")
            self.assertEqual((sent, got), ({"reservationId": 11}, {"status": "Accepted"}))


@require_binary
class MaeveForkStatus(NodeTestCase):
    def test_getChargeStationStatus(self):
        c201 = self.station(V201)
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/status")
        boot = boot_201()["chargingStation"]
        self.assertEqual((got["id"], got["connected"], got["model"], got["vendor"]),
                         (c201.station_id, True, boot["model"], boot["vendorName"]))
        self.assertIn("lastHeartbeat", got)
        cs = self.unique_id()
        self.node.register_station(cs)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/status"), {"id": cs, "connected": False})
        self.assertApiError(404, "GET", f"/api/v0/cs/{self.unique_id('NOPE')}/status")

    def test_getConnectorStatuses(self):
        c16 = self.station(V16)
        self.call_ok(c16, "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c16.station_id}/connectors")
        self.assertEqual([(c["connectorId"], c["status"], c["errorCode"]) for c in got], [(1, "Available", "NoError")])
        c201 = self.station(V201)
        self.call_ok(c201, "StatusNotification", status_201(2, 1, "Occupied"))
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/connectors")
        self.assertEqual([(c["connectorId"], c["status"], c["errorCode"], c["ocppStatus"]) for c in got],
                         [(2, "Preparing", "NoError", "Occupied")])

    def test_listTransactions_and_getTransactionDetails(self):
        c16 = self.station(V16)
        started = self.call_ok(c16, "StartTransaction", start_tx_16(1, "TAG1", 1000))
        tx = str(started["transactionId"])
        self.call_ok(c16, "MeterValues", {"connectorId": 1, "transactionId": started["transactionId"],
                                          "meterValue": [{"timestamp": now_iso(), "sampledValue": [sv16(1500)]}]})
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c16.station_id}/transactions?status=active")
        self.assertEqual((got["total"], got["limit"], got["offset"]), (1, 50, 0))
        self.assertEqual((got["transactions"][0]["transactionId"], got["transactions"][0]["idTag"],
                          got["transactions"][0]["meterStart"], got["transactions"][0]["status"]),
                         (tx, "TAG1", 1000, "active"))
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{c16.station_id}/transactions?status=completed")
                         ["total"], 0)
        detail = self.assertApi(200, "GET", f"/api/v0/cs/{c16.station_id}/transaction/{tx}")
        self.assertEqual(detail["transactionId"], tx)
        self.assertEqual(detail["meterValues"][0]["sampledValue"][0]["value"], "1500")
        self.assertEqual(detail["meterValues"][0]["connectorId"], 1)
        self.assertApiError(404, "GET", f"/api/v0/cs/{c16.station_id}/transaction/999999")

    def test_getMeterValues(self):
        c201 = self.station(V201)
        self.call_ok(c201, "TransactionEvent", tx_event("Started", "T-MV", 0, "Authorized",
                                                        meter=[meter_value(now_iso(), sv(10.5))]))
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/meter-values?transactionId=T-MV")
        self.assertEqual(got["total"], 1)
        value = got["meterValues"][0]
        self.assertEqual((value["transactionId"], value["sampledValue"][0]["value"], value["sampledValue"][0]["unit"]),
                         ("T-MV", "10.5", "Wh"))
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/meter-values?connectorId=9")
                         ["total"], 0)

    def test_status_notifications_firmware_diagnostics_logs(self):
        c16 = self.station(V16)
        cs = c16.station_id
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/firmware/status")["status"], "Idle")
        self.call_ok(c16, "FirmwareStatusNotification", {"status": "Downloading"})
        got = self.assertApi(200, "GET", f"/api/v0/cs/{cs}/firmware/status")
        self.assertEqual(got["status"], "Downloading")
        self.assertIn("lastUpdate", got)
        self.call_ok(c16, "DiagnosticsStatusNotification", {"status": "Uploaded"})
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{cs}/diagnostics/status")["status"], "Uploaded")
        c201 = self.station(V201)
        self.call_ok(c201, "LogStatusNotification", {"status": "Uploading", "requestId": 4})
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/logs/status?requestId=4")
        self.assertEqual((got["status"], got["requestId"]), ("Uploading", 4))
        self.assertApiError(404, "GET", f"/api/v0/cs/{c201.station_id}/logs/status?requestId=5")

    def test_getDeviceReports(self):
        c201 = self.station(V201)
        self.assertEqual(self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/reports")["reports"], [])
        self.call_ok(c201, "NotifyReport", notify_report_201())
        got = self.assertApi(200, "GET", f"/api/v0/cs/{c201.station_id}/reports")
        self.assertEqual(got["total"], 1)
        self.assertEqual(len(got["reports"][0]["reportData"]), 2)


if __name__ == "__main__":
    unittest.main()
