"""A station's security profile upgraded by the node as one operation (OCPP 2.0.1 A05, TC_A_19_CSMS; the 1.6
security extension's upgrade), driven from the station side: the operator asks once
(POST /api/v0/cs/{csId}/security-profile); the node checks the CSMS root, gets the station a client
certificate when it needs one, sends SetNetworkProfile, NetworkConfigurationPriority and Reset (1.6:
ChangeConfiguration SecurityProfile), lets the station in with the new profile, and from its first login
with it refuses the old one.

MaEVe's profile numbering in the API: 0 = ws + Basic, 1 = wss + Basic, 2 = wss + client certificate; the
station is sent OCPP's (one more)."""

import os
import unittest
import urllib.parse

import ocpp_ws
from harness import V16, V201, boot, require_binary, wait_until
from test_pnc import make_csr
from test_profile3 import LocalPkiTestCase, read_text

PASSWORD = "upgrade-password-01"


def path(cs_id):
    return "/api/v0/cs/" + urllib.parse.quote(cs_id, safe="") + "/security-profile"


def accept(client, *actions):
    for action in actions:
        client.on_call(action, lambda payload: {"status": "Accepted"})


def answer_priority(client, current="1"):
    client.on_call("GetVariables", lambda payload: {"getVariableResult": [{
        "attributeStatus": "Accepted", "attributeValue": current, "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "NetworkConfigurationPriority"}}]})
    client.on_call("SetVariables", lambda payload: {"setVariableResult": [{
        "attributeStatus": "Accepted", "component": {"name": "OCPPCommCtrlr"},
        "variable": {"name": "NetworkConfigurationPriority"}}]})


@require_binary
class SecurityProfileUpgrade(LocalPkiTestCase):
    counter = 0

    def new_id(self, prefix):
        SecurityProfileUpgrade.counter += 1
        return f"{prefix}-{os.getpid() % 10000}-{SecurityProfileUpgrade.counter}"

    def api(self, expected, method, url, body=None):
        status, answer = self.node.api(method, url, body)
        self.assertEqual(status, expected, answer)
        return answer

    def ws(self, cs_id, protocol=V201, password=PASSWORD):
        return self.node.connect(cs_id, protocol, password=password)

    def csms_url(self):
        return f"wss://127.0.0.1:{self.node.wss_port}/ws"

    def state(self, cs_id):
        return self.api(200, "GET", path(cs_id))

    def wait_state(self, cs_id, state):
        return wait_until(lambda: (s := self.state(cs_id))["state"] == state and s, timeout=10,
                          what=f"upgrade state {state}")

    def profile(self, cs_id):
        return self.api(200, "GET", f"/api/v0/cs/{cs_id}/auth")["securityProfile"]

    def test_tc_a_19_profile_1_to_2_installs_the_root_then_moves_the_station_and_refuses_the_old_profile(self):
        cs = self.register(self.new_id("A19"), profile=0, password=PASSWORD)
        client = self.ws(cs)
        self.assertEqual(boot(client)["status"], "Accepted")
        client.on_call("GetInstalledCertificateIds", lambda payload: {"status": "NotFound"})
        accept(client, "InstallCertificate", "SetNetworkProfile", "Reset")
        answer_priority(client, current="1, 3")
        started = self.api(202, "POST", path(cs), {"securityProfile": 1, "ocppCsmsUrl": self.csms_url(),
                                                  "configurationSlot": 2})
        self.assertEqual((started["fromProfile"], started["toProfile"], started["state"]), (0, 1, "Running"))

        installed = client.wait_for_call("GetInstalledCertificateIds")
        self.assertEqual(installed.payload, {"certificateType": ["CSMSRootCertificate"]})
        install = client.wait_for_call("InstallCertificate")
        self.assertEqual(install.payload["certificateType"], "CSMSRootCertificate")
        self.assertEqual(install.payload["certificate"].strip(), read_text(self.csms_root).strip())
        network = client.wait_for_call("SetNetworkProfile").payload
        self.assertEqual(network["configurationSlot"], 2)
        self.assertEqual(network["connectionData"], {
            "ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": self.csms_url(),
            "messageTimeout": 30, "securityProfile": 2, "ocppInterface": "Wired0"})
        priority = client.wait_for_call("SetVariables").payload["setVariableData"][0]
        self.assertEqual((priority["component"]["name"], priority["variable"]["name"], priority["attributeValue"]),
                         ("OCPPCommCtrlr", "NetworkConfigurationPriority", "2,1,3"))
        self.assertEqual(client.wait_for_call("Reset").payload, {"type": "OnIdle"})
        waiting = self.wait_state(cs, "WaitingForReconnect")
        self.assertEqual([s["step"] for s in waiting["steps"]],
                         ["csmsRoot", "csmsRoot", "networkProfile", "priority", "priority", "reset"])
        self.assertEqual(self.profile(cs), 0)
        client.close()

        # Steps 7-9: the station reconnects with the new profile and boots.
        self.connects(lambda: self.wss(cs, password=PASSWORD))
        done = self.wait_state(cs, "Completed")
        self.assertEqual(done["steps"][-1]["step"], "reconnect")
        self.assertIn("finishedAt", done)
        self.assertEqual(self.profile(cs), 1)
        # Steps 10-13: the old profile is refused, the new one still accepted.
        self.refused(403, lambda: self.ws(cs), mention="connect with wss")
        self.connects(lambda: self.wss(cs, password=PASSWORD))

    def test_tc_a_19_profile_2_to_3_gets_the_station_a_certificate_first(self):
        cs = self.register(self.new_id("A19C"), profile=1, password=PASSWORD)
        client = self.wss(cs, password=PASSWORD)
        self.assertEqual(boot(client)["status"], "Accepted")
        accept(client, "TriggerMessage", "CertificateSigned", "SetNetworkProfile", "Reset")
        answer_priority(client)
        self.api(202, "POST", path(cs), {"securityProfile": 2, "ocppCsmsUrl": self.csms_url(), "reset": "Immediate"})
        trigger = client.wait_for_call("TriggerMessage")
        self.assertEqual(trigger.payload, {"requestedMessage": "SignChargingStationCertificate"})
        self.wait_state(cs, "WaitingForCertificate")
        csr = make_csr(self.dir, f"{cs}-client", cs)
        self.assertEqual(client.call("SignCertificate", {"csr": csr, "certificateType": "ChargingStationCertificate"})
                         ["status"], "Accepted")
        chain = client.wait_for_call("CertificateSigned", timeout=10).payload["certificateChain"]
        network = client.wait_for_call("SetNetworkProfile", timeout=10).payload
        self.assertEqual(network["connectionData"]["securityProfile"], 3)
        self.assertEqual(client.wait_for_call("Reset").payload, {"type": "Immediate"})
        self.assertFalse(client.calls_of("InstallCertificate"), "the station has the root already (profile 1)")
        self.wait_state(cs, "WaitingForReconnect")
        client.close()

        cert_file = os.path.join(self.dir, f"{cs}-client.pem")
        with open(cert_file, "w") as f:
            f.write(chain)
        certificate = (cert_file, os.path.join(self.dir, f"{cs}-client.key"))
        self.connects(lambda: self.wss(cs, certificate=certificate))
        self.wait_state(cs, "Completed")
        self.assertEqual(self.profile(cs), 2)
        self.refused(403, lambda: self.wss(cs, password=PASSWORD), mention="client-certificate")

    def test_1_6_upgrade_sets_the_security_profile_key_and_the_station_reconnects_by_itself(self):
        cs = self.register(self.new_id("U16"), profile=0, password=PASSWORD)
        client = self.ws(cs, V16)
        self.assertEqual(boot(client)["status"], "Accepted")
        client.on_call("GetInstalledCertificateIds", lambda payload: {"status": "NotFound"})
        accept(client, "InstallCertificate", "ChangeConfiguration")
        self.api(202, "POST", path(cs), {"securityProfile": 1})
        self.assertEqual(client.wait_for_call("GetInstalledCertificateIds").payload,
                         {"certificateType": "CentralSystemRootCertificate"})
        self.assertEqual(client.wait_for_call("InstallCertificate").payload["certificateType"],
                         "CentralSystemRootCertificate")
        self.assertEqual(client.wait_for_call("ChangeConfiguration").payload, {"key": "SecurityProfile", "value": "2"})
        self.wait_state(cs, "WaitingForReconnect")
        self.assertFalse(client.calls_of("Reset"))
        client.close()
        self.connects(lambda: self.wss(cs, V16, password=PASSWORD), V16)
        self.wait_state(cs, "Completed")
        self.refused(403, lambda: self.ws(cs, V16))

    def test_1_6_reboot_required_gets_a_soft_reset(self):
        cs = self.register(self.new_id("U16R"), profile=1, password=PASSWORD)
        client = self.wss(cs, V16, password=PASSWORD)
        self.assertEqual(boot(client)["status"], "Accepted")
        accept(client, "TriggerMessage", "Reset")
        client.on_call("ChangeConfiguration", lambda payload: {"status": "RebootRequired"})
        client.on_call("ExtendedTriggerMessage", lambda payload: {"status": "Rejected"})
        # To profile 2 a 1.6 station is asked for a certificate first; it refuses: the upgrade fails there.
        self.api(202, "POST", path(cs), {"securityProfile": 2})
        self.assertEqual(client.wait_for_call("ExtendedTriggerMessage").payload,
                         {"requestedMessage": "SignChargePointCertificate"})
        failed = self.wait_state(cs, "Failed")
        self.assertIn("ExtendedTriggerMessage", failed["detail"])
        self.assertFalse(client.calls_of("ChangeConfiguration"))
        client.close()
        # Profile 0 -> 1 on another station: RebootRequired makes the node send Reset Soft.
        cs2 = self.register(self.new_id("U16S"), profile=0, password=PASSWORD)
        other = self.ws(cs2, V16)
        self.assertEqual(boot(other)["status"], "Accepted")
        accept(other, "Reset")
        other.on_call("ChangeConfiguration", lambda payload: {"status": "RebootRequired"})
        self.api(202, "POST", path(cs2), {"securityProfile": 1, "installCsmsRoot": False})
        self.assertEqual(other.wait_for_call("Reset").payload, {"type": "Soft"})
        waiting = self.wait_state(cs2, "WaitingForReconnect")
        self.assertEqual(waiting["steps"][0]["detail"], "skipped: installCsmsRoot is false")
        self.assertFalse(other.calls_of("GetInstalledCertificateIds"))
        other.close()

    def test_a_refused_network_profile_fails_and_only_the_old_profile_logs_in(self):
        cs = self.register(self.new_id("A19R"), profile=0, password=PASSWORD)
        client = self.ws(cs)
        self.assertEqual(boot(client)["status"], "Accepted")
        client.on_call("SetNetworkProfile", lambda payload: {"status": "Rejected"})
        self.api(202, "POST", path(cs), {"securityProfile": 1, "ocppCsmsUrl": self.csms_url(),
                                         "installCsmsRoot": False})
        failed = self.wait_state(cs, "Failed")
        self.assertIn("SetNetworkProfile", failed["detail"])
        self.assertEqual(failed["steps"][-1]["answer"], {"status": "Rejected"})
        self.assertFalse(client.calls_of("Reset"))
        client.close()
        self.refused(403, lambda: self.wss(cs, password=PASSWORD), mention="connect with ws")
        self.connects(lambda: self.ws(cs))
        self.assertEqual(self.profile(cs), 0)

    def test_cancelling_a_waiting_upgrade_refuses_the_new_profile_again(self):
        cs = self.register(self.new_id("A19X"), profile=0, password=PASSWORD)
        client = self.ws(cs)
        self.assertEqual(boot(client)["status"], "Accepted")
        accept(client, "SetNetworkProfile", "Reset")
        answer_priority(client)
        self.api(202, "POST", path(cs), {"securityProfile": 1, "ocppCsmsUrl": self.csms_url(),
                                         "installCsmsRoot": False})
        self.wait_state(cs, "WaitingForReconnect")
        self.assertIn("cancel it first", self.api(409, "POST", path(cs), {
            "securityProfile": 1, "ocppCsmsUrl": self.csms_url()})["error"])
        cancelled = self.api(200, "DELETE", path(cs))
        self.assertEqual(cancelled["state"], "Cancelled")
        self.api(409, "DELETE", path(cs))
        client.close()
        self.refused(403, lambda: self.wss(cs, password=PASSWORD))
        self.connects(lambda: self.ws(cs))

    def test_bad_requests_get_clear_errors(self):
        cs = self.register(self.new_id("A19E"), profile=1, password=PASSWORD)
        self.api(404, "GET", path(cs))
        self.assertIn("not connected", self.api(409, "POST", path(cs), {"securityProfile": 2})["error"])
        client = self.wss(cs, password=PASSWORD)
        self.assertEqual(boot(client)["status"], "Accepted")
        self.assertIn("higher", self.api(409, "POST", path(cs), {"securityProfile": 1})["error"])
        self.assertIn("/securityProfile", self.api(400, "POST", path(cs), {"securityProfile": 3})["error"])
        self.assertIn("/ocppCsmsUrl", self.api(400, "POST", path(cs), {"securityProfile": 2})["error"])
        self.assertIn("wss://", self.api(400, "POST", path(cs), {"securityProfile": 2,
                                                                "ocppCsmsUrl": "ws://x/ws"})["error"])
        self.assertIn("/csmsRootCertificate", self.api(400, "POST", path(cs), {
            "securityProfile": 2, "ocppCsmsUrl": self.csms_url(), "csmsRootCertificate": "junk"})["error"])
        self.assertIn("/colour", self.api(400, "POST", path(cs), {"securityProfile": 2, "colour": 1})["error"])
        client.close()
        self.api(404, "POST", path("NO-SUCH-STATION"), {"securityProfile": 1})
        no_password = self.register(self.new_id("A19N"), profile=0)
        self.assertIn("without one", self.api(409, "POST", path(no_password), {"securityProfile": 1})["error"])


if __name__ == "__main__":
    unittest.main()
