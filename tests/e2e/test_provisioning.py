"""Boot-time provisioning, driven from the station side: a station registered with bootProvisioning is read by
the node itself at its first boot (2.0.1 GetBaseReport FullInventory, 1.6 GetConfiguration; GetInstalledCertificateIds;
GetLocalListVersion), each answer kept and shown in the station's view; POST .../provisioning reads it again."""

import unittest
import urllib.parse

from harness import V16, V201, NodeTestCase, boot, now_iso, require_binary, wait_until

LIST_VERSION_201 = {"versionNumber": 3}


def path(cs_id, rest=""):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + rest


def answer_inventory(client):
    if client.subprotocol == V16:
        client.on_call("GetConfiguration", lambda p: {"configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
        client.on_call("GetInstalledCertificateIds", lambda p: {"status": "NotFound"})
        client.on_call("GetLocalListVersion", lambda p: {"listVersion": 2})
    else:
        client.on_call("GetBaseReport", lambda p: {"status": "Accepted"})
        client.on_call("GetInstalledCertificateIds", lambda p: {"status": "NotFound"})
        client.on_call("GetLocalListVersion", lambda p: LIST_VERSION_201)


@require_binary
class BootProvisioning(NodeTestCase):
    def provisioning(self, cs_id, steps):
        def finished():
            view = self.node.station(cs_id).get("provisioning", {})
            return view if "finishedAt" in view and len(view["steps"]) == steps else None
        return wait_until(finished, timeout=10, what=f"provisioning of {cs_id} with {steps} steps")

    def test_a_2_0_1_station_is_read_at_its_first_boot_and_not_again(self):
        client = self.station(V201, booted=False, boot_provisioning=True)
        answer_inventory(client)
        self.assertEqual(boot(client)["status"], "Accepted")
        report = client.wait_for_call("GetBaseReport")
        self.assertEqual(report.payload["reportBase"], "FullInventory")
        self.call_ok(client, "NotifyReport", {
            "requestId": report.payload["requestId"], "generatedAt": now_iso(), "seqNo": 0, "tbc": False,
            "reportData": [{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                            "variableAttribute": [{"type": "Actual", "value": "300"}]}]})
        view = self.provisioning(client.station_id, 3)
        self.assertEqual([s["action"] for s in view["steps"]],
                         ["GetBaseReport", "GetInstalledCertificateIds", "GetLocalListVersion"])
        self.assertEqual([s["outcome"] for s in view["steps"]], ["result"] * 3)
        self.assertEqual(view["steps"][2]["answer"], LIST_VERSION_201)
        self.assertEqual(len(self.assertApi(200, "GET", path(client.station_id, "/device-model"))), 1)
        self.assertTrue(self.node.station(client.station_id)["bootProvisioning"])
        # Booting again (or reconnecting) does not read it again.
        client.close()
        again = self.connect(client.station_id, V201)
        answer_inventory(again)
        self.assertEqual(boot(again)["status"], "Accepted")
        self.call_ok(again, "Heartbeat", {})
        self.assertEqual(again.calls_of("GetBaseReport"), [])

    def test_a_1_6_station_is_read_with_its_own_messages(self):
        client = self.station(V16, booted=False, boot_provisioning=True)
        answer_inventory(client)
        boot(client)
        view = self.provisioning(client.station_id, 4)
        self.assertEqual([s["action"] for s in view["steps"]],
                         ["GetConfiguration", "GetInstalledCertificateIds", "GetInstalledCertificateIds",
                          "GetLocalListVersion"])
        self.assertEqual([s["request"]["certificateType"] for s in view["steps"][1:3]],
                         ["CentralSystemRootCertificate", "ManufacturerRootCertificate"])
        self.assertEqual(view["steps"][0]["answer"]["configurationKey"][0]["key"], "HeartbeatInterval")
        self.assertEqual(view["steps"][3]["answer"], {"listVersion": 2})

    def test_a_call_the_station_fails_is_recorded_and_the_next_still_goes(self):
        client = self.station(V201, booted=False, boot_provisioning=True)
        client.on_call("GetLocalListVersion", lambda p: LIST_VERSION_201)  # nothing else: NotImplemented
        boot(client)
        view = self.provisioning(client.station_id, 3)
        self.assertEqual([s["outcome"] for s in view["steps"]], ["call_error", "call_error", "result"])
        self.assertIn("NotImplemented", view["steps"][0]["error"])

    def test_a_pending_station_is_read_too(self):
        client = self.station(V201, booted=False, boot_provisioning=True, registration="Pending")
        answer_inventory(client)
        self.assertEqual(boot(client)["status"], "Pending")
        self.provisioning(client.station_id, 3)

    def test_without_boot_provisioning_nothing_is_read_and_the_api_reads_on_demand(self):
        client = self.station(V201)
        answer_inventory(client)
        self.call_ok(client, "Heartbeat", {})
        self.assertNotIn("provisioning", self.node.station(client.station_id))
        self.assertEqual(client.calls_of("GetBaseReport"), [])
        self.assertApi(202, "POST", path(client.station_id, "/provisioning"))
        self.provisioning(client.station_id, 3)
        offline = self.unique_id()
        self.node.register_station(offline)
        self.assertApiError(409, "POST", path(offline, "/provisioning"), contains="not connected")
        self.assertApiError(404, "POST", path("NOPE-" + offline, "/provisioning"))


if __name__ == "__main__":
    unittest.main()
